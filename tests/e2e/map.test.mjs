// The Service map: shares on the example, filters narrowing in the engine, zoom and its level of detail, and a
// 10,000-Service dump that scrolls with only the Services near the viewport in the DOM.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { withPage, REPO_ROOT } from "./helpers.mjs";

const service = (page, label) => page.locator(`[data-testid="service"][data-service="${label}"]`);
const labels = (page) => page.locator('[data-testid="service"]').evaluateAll((els) => els.map((e) => e.dataset.service));
const nonEmpty = (xs) => xs.filter((x) => x.trim() !== "");

/** The generated 10k dump (dnatlas-gen's default mix), made once per machine. */
function bigDump() {
  const file = path.join(os.tmpdir(), "dnatlas-e2e-node-10k.txt");
  if (fs.existsSync(file) && fs.statSync(file).size > 1e6) return file;
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, "target");
  const bin = path.join(target, "release", "dnatlas-gen");
  if (fs.existsSync(bin)) {
    execFileSync(bin, ["--services", "10000", "-o", file]);
  } else {
    execFileSync("cargo", ["run", "-q", "--release", "-p", "dnatlas-gen", "--", "--services", "10000", "-o", file], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
  }
  return file;
}

test("the example map shows shares, pods' ways in, and narrows by namespace, name and address", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await service(page, "default/nginx").waitFor();
    const shares = await service(page, "default/nginx").locator('[data-testid="edge-share"]').allTextContents();
    assert.deepEqual(nonEmpty(shares), ["33.3%", "33.3%", "33.3%"]);
    // The dump writes 0.33332999982 and 0.50000000000; the edges show them short.
    const rules = await service(page, "default/nginx").locator(".edge-rule").allTextContents();
    assert.deepEqual(nonEmpty(rules), ["p 0.33333", "p 0.5", "else"]);
    assert.equal(await service(page, "default/nginx").locator('[data-testid="entry"] .box-title').textContent(), "NodePort 30361");
    assert.deepEqual((await labels(page)).length, 4);

    await page.locator('[data-testid="filter-namespace"]').selectOption({ label: "kube-system (2)" });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="service"]').length === 2);
    assert.deepEqual(await labels(page), ["kube-system/kube-dns:dns", "kube-system/kube-dns:dns-tcp"]);
    assert.match(await page.locator('[data-testid="map-count"]').textContent(), /2 of 4 Service ports/);
    await page.locator('[data-testid="filter-namespace"]').selectOption({ label: "all" });

    await page.locator('[data-testid="filter-ip"]').fill("10.244.0.4");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="service"]').length === 1);
    assert.deepEqual(await labels(page), ["default/nginx"]);
    await page.locator('[data-testid="filter-ip"]').fill("");
    await page.locator('[data-testid="filter-name"]').fill("dns-tcp");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="service"]').length === 1);
    assert.deepEqual(await labels(page), ["kube-system/kube-dns:dns-tcp"]);
    await page.locator('[data-testid="filter-name"]').fill("no-such-service");
    await page.locator('[data-testid="map-empty"]').waitFor();
    await page.locator('[data-testid="filter-name"]').fill("");
    await service(page, "default/nginx").waitFor();
    await screenshot("map-example");
  }));

test("zoom: buttons and keys, and one line per Service when zoomed out", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await service(page, "default/nginx").waitFor();
    const level = page.locator('[data-testid="zoom-level"]');
    const width = () => page.locator('[data-testid="graph"]').evaluate((s) => s.getBoundingClientRect().width);
    const full = await width();
    await page.locator('[data-testid="zoom-out"]').click();
    assert.equal(await level.textContent(), "80%");
    await page.waitForFunction((w) => document.querySelector('[data-testid="graph"]').getBoundingClientRect().width < w * 0.9, full);
    const viewport = page.locator('[data-testid="map-viewport"]');
    await viewport.focus();
    await page.keyboard.press("-");
    await page.keyboard.press("-");
    await page.keyboard.press("-");
    assert.equal(await level.textContent(), "41%");
    // Compact: one line per Service, shares still there, no boxes.
    await page.locator(".service.compact").first().waitFor();
    assert.equal(await page.locator(".service.compact").count(), 4);
    assert.equal(await page.locator('[data-testid="vip"]').count(), 0);
    assert.match(await service(page, "default/nginx").locator('[data-testid="edge-share"]').textContent(), /33\.3% 33\.3% 33\.3%/);
    await screenshot("map-compact");
    await page.keyboard.press("0");
    assert.equal(await level.textContent(), "100%");
    await service(page, "default/nginx").locator('[data-testid="vip"]').waitFor();
    await page.keyboard.press("+");
    assert.equal(await level.textContent(), "125%");
  }));

test("a 10,000-Service node scrolls with a small DOM, zooms out to lines, and filters", { timeout: 240_000 }, (t) =>
  withPage(t, async ({ page, screenshot }) => {
    const file = bigDump();
    page.setDefaultTimeout(120_000);
    const started = Date.now();
    await page.locator('[data-testid="file-input"]').setInputFiles(file);
    const node = page.locator(`[data-testid="node"][data-source="${path.basename(file)}"]`);
    await node.locator('[data-testid="service"]').first().waitFor();
    t.diagnostic(`10k dump analysed and first window drawn in ${Date.now() - started} ms`);
    const count = await node.locator('[data-testid="map-count"]').textContent();
    assert.match(count, /^13,?818 Service ports$/);
    const elements = () => node.evaluate((n) => n.querySelectorAll("*").length);
    const top = await elements();
    t.diagnostic(`elements in the node's map at the top: ${top}`);
    assert.ok(top < 3000, `${top} elements`);

    // Jump far down: the window follows, the DOM stays small, and the spacer holds the whole list.
    const viewport = node.locator('[data-testid="map-viewport"]');
    const scrollHeight = await viewport.evaluate((v) => v.scrollHeight);
    assert.ok(scrollHeight > 500_000, `scroll height ${scrollHeight}`);
    const times = [];
    for (const fraction of [0.25, 0.5, 0.9, 0.999]) {
      const ms = await viewport.evaluate(async (v, f) => {
        const t0 = performance.now();
        v.scrollTop = v.scrollHeight * f;
        const want = v.scrollTop;
        // Wait until a drawn Service covers the viewport's top.
        for (;;) {
          await new Promise((r) => requestAnimationFrame(r));
          const svg = v.querySelector("svg.graph");
          if (svg) {
            const r = svg.getBoundingClientRect(), vr = v.getBoundingClientRect();
            if (r.top <= vr.top + 1 && r.bottom >= vr.bottom - 1 && Math.abs(v.scrollTop - want) < 2) break;
          }
          if (performance.now() - t0 > 10000) break;
        }
        return performance.now() - t0;
      }, fraction);
      times.push(Math.round(ms));
      const n = await elements();
      assert.ok(n < 3000, `${n} elements at ${fraction}`);
      const indices = await node.locator('[data-testid="service"]').evaluateAll((els) => els.map((e) => +e.dataset.index));
      assert.ok(Math.min(...indices) > 13818 * fraction - 400, `window ${Math.min(...indices)}..${Math.max(...indices)} at ${fraction}`);
    }
    t.diagnostic(`scroll to 25%, 50%, 90%, end and redraw: ${times.join(", ")} ms`);
    assert.ok(Math.max(...times) < 3000, times.join(","));
    await screenshot("map-10k-scrolled");

    // Zoomed out: one line per Service, still a small DOM.
    await viewport.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("-");
    await node.locator(".service.compact").first().waitFor();
    const compact = await elements();
    t.diagnostic(`elements zoomed out (compact): ${compact}`);
    assert.ok(compact < 3000, `${compact}`);
    await screenshot("map-10k-compact");

    // The engine filters: one namespace, then a name within it.
    const t0 = Date.now();
    await node.locator('[data-testid="filter-namespace"]').selectOption("=kube-system");
    const countOf = (re) =>
      page.waitForFunction(
        ([name, source]) => new RegExp(source).test(document.querySelector(`[data-testid="node"][data-source="${name}"] [data-testid="map-count"]`).textContent),
        [path.basename(file), re],
      );
    await countOf("of 13,?818");
    t.diagnostic(`namespace filter answered in ${Date.now() - t0} ms: ${await node.locator('[data-testid="map-count"]').textContent()}`);
    await node.locator('[data-testid="filter-name"]').fill("kube-dns");
    await countOf("^3 of");
    const names = await node.locator('[data-testid="service"]').evaluateAll((els) => els.map((e) => e.dataset.service));
    assert.deepEqual(names, ["kube-system/kube-dns:dns", "kube-system/kube-dns:dns-tcp", "kube-system/kube-dns:metrics"]);
  }));
