// The trace player on seed 004's node, kubectl tables and resolv.conf: a pod's lookup of nginx step by step, each
// step naming its input line, the three-way fork at 33.3% each, re-roll, keyboard, and a step's line highlighted on
// the map.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { withPage, removeInputs, REPO_ROOT } from "./helpers.mjs";

const dir = path.join(REPO_ROOT, "fixtures", "trace", "seed-004");
const files = ["node.txt", "kubectl.txt", "resolv.conf"].map((name) => ({
  name,
  mimeType: "text/plain",
  buffer: fs.readFileSync(path.join(dir, name)),
}));

async function loadSeed004(page) {
  await page.locator('[data-testid="file-input"]').setInputFiles(files);
  await page.locator('[data-testid="source"][data-name="resolv.conf"]').waitFor();
  // Only the seed's own inputs: drop the built-in example.
  await removeInputs(page, ["node.txt", "kubectl.txt", "resolv.conf"]);
  await page.locator('[data-testid="tab-trace"]').click();
  await page.locator('[data-testid="trace-from"]').fill("10.244.0.21");
  await page.locator('[data-testid="trace-to"]').fill("nginx:80");
  await page.locator('[data-testid="trace-run"]').click();
  await page.locator('[data-testid="step"]').first().waitFor();
}

test("a pod's trace to nginx steps through its hops, each naming its line, and forks three ways", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await loadSeed004(page);
    assert.match(await page.locator('[data-testid="trace-status"]').textContent(), /10\.244\.0\.21 → nginx:80: connected/);
    const steps = page.locator('[data-testid="step"]');
    // pod, candidate, nameserver, four rules, DNS pod, A and AAAA answers, VIP, four rules, endpoint.
    assert.equal(await steps.count(), 16);
    for (let i = 0; i < 16; i++) {
      const lines = await steps.nth(i).locator('[data-testid="step-line"]').allTextContents();
      assert.ok(lines.length > 0 && lines.every((l) => /^(node\.txt|kubectl\.txt|resolv\.conf):\d+$/.test(l)), `step ${i}: ${lines}`);
    }
    assert.match(await steps.nth(1).textContent(), /nginx\.default\.svc\.cluster\.local\./);
    assert.match(await steps.nth(2).textContent(), /10\.96\.0\.10:53\/udp/);

    // Step with the arrow keys and the buttons; the packet moves.
    const packet = page.locator('[data-testid="packet"]');
    const where = () => packet.evaluate((c) => c.style.transform);
    await page.locator('[data-testid="trace-player"]').focus();
    const p0 = await where();
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.locator('[data-testid="step-count"]').textContent(), "step 2 of 16");
    assert.notEqual(await where(), p0);
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.locator('[data-testid="step-count"]').textContent(), "step 1 of 16");
    for (let i = 0; i < 13; i++) await page.locator('[data-testid="step-forward"]').click();
    assert.equal(await page.locator('[data-testid="step-count"]').textContent(), "step 14 of 16");

    // The fork into nginx's three endpoints.
    const fork = page.locator('[data-testid="fork"]');
    assert.deepEqual(await fork.locator(".share").allTextContents(), ["33.3%", "33.3%", "33.3%"]);
    assert.deepEqual(
      await page.locator('[data-testid="branch-share"]').allTextContents(),
      ["100.0%", "33.3%", "33.3%", "33.3%"],
    );
    const followed = () => fork.locator('[data-chosen="true"] .branch').textContent();
    const first = await followed();
    await screenshot("trace-fork");

    // Re-roll until another branch is followed; the last step goes where the fork says.
    let other = first;
    for (let i = 0; i < 20 && other === first; i++) {
      await page.locator('[data-testid="reroll"]').click();
      await page.waitForTimeout(150);
      other = await followed();
    }
    assert.notEqual(other, first, "re-roll never picked another branch");
    await page.locator('[data-testid="step"]').last().click();
    const endpoint = await steps.last().locator(".step-label").textContent();
    assert.ok(endpoint.startsWith(other.split(" via ")[0]), `${endpoint} / ${other}`);

    // Play runs to the end by itself at 4×.
    await page.locator('[data-testid="step-back"]').click();
    await page.locator('[data-testid="speed"]').selectOption("4");
    await page.locator('[data-testid="trace-player"]').focus();
    await page.keyboard.press(" ");
    await page.waitForFunction(() => document.querySelector('[data-testid="step-count"]').textContent === "step 16 of 16");
    assert.equal(await page.locator('[data-testid="play"]').textContent(), "Play");
    await screenshot("trace-end");
  }));

test("clicking a step's line highlights it on the map", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await loadSeed004(page);
    // Step 14 is the jump from nginx's service chain to the followed endpoint chain (node.txt:55, 56 or 57).
    const line = page.locator('[data-testid="step"]').nth(13).locator('[data-testid="step-line"]').first();
    const text = await line.textContent();
    assert.match(text, /^node\.txt:5[567]$/);
    await line.click();
    await page.locator('[data-testid="tab-map"]').click();
    const marked = page.locator('[data-testid="service"][data-service="default/nginx"] .box.highlighted');
    await marked.first().waitFor();
    assert.equal(await marked.count(), 1);
    assert.equal(await marked.getAttribute("data-testid"), "endpoint-chain");
    await screenshot("trace-line-on-map");
  }));
