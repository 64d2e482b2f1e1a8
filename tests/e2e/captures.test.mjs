// The captures view end to end: a pcap picked through the file input (the generator's `losses` case, whose
// transactions tshark lists in fixtures/pcap/losses/tshark.tsv: 55 transactions, 34 NXDOMAIN, 17 NOERROR, 4 never
// answered, 11 re-sent on the same socket), the timeline coloured by rcode, the rcode filter narrowing the table,
// and a retried transaction's frames and resolver-plan fit.
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { withPage, removeInputs, REPO_ROOT, SCREENSHOT_DIR } from "./helpers.mjs";

/** The captures view alone, at the size it is drawn (the full-page screenshot is mostly other panels). */
async function shotView(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.locator('[data-testid="captures-view"]').screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-view.png`) });
}

/** The bytes `dnatlas-gen capture --config fixtures/pcap/<name>/case.json` writes (what tshark.tsv was read from). */
function generatedPcap(name, extra = []) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dnatlas-cap-")), `${name}.pcap`);
  execFileSync(
    "cargo",
    ["run", "--quiet", "-p", "dnatlas-gen", "--", "capture", "--config",
      path.join(REPO_ROOT, "fixtures", "pcap", name, "case.json"), "--format", "pcap", "-o", out, ...extra],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  return fs.readFileSync(out);
}

async function openCaptures(page, name, buffer) {
  await removeInputs(page);
  await page.locator('[data-testid="file-input"]').setInputFiles({
    name,
    mimeType: "application/vnd.tcpdump.pcap",
    buffer,
  });
  await page.locator(`[data-testid="source"][data-name="${name}"]`).waitFor();
  await page.locator('[data-testid="tab-captures"]').click();
  await page.locator('[data-testid="timeline"]').waitFor();
}

const rowsRange = (page) => page.locator('[data-testid="rows-range"]').textContent();

test("a pcap's transactions on the timeline, filtered by rcode, one retried transaction in detail", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
    const pcap = generatedPcap("losses");
    const m = mark();
    await openCaptures(page, "losses.pcap", pcap);
    assert.match(await page.locator('[data-testid="captures-overview"]').textContent(), /55 transactions/);

    // One mark per transaction, coloured by rcode class; unanswered ones crossed, retried ones ringed.
    const marks = page.locator('[data-testid="mark"]');
    assert.equal(await marks.count(), 55);
    assert.equal(await page.locator('[data-testid="mark"][data-class="NXDOMAIN"]').count(), 34);
    assert.equal(await page.locator('[data-testid="mark"][data-class="NOERROR"]').count(), 17);
    assert.equal(await page.locator('[data-testid="mark"][data-class="no answer"]').count(), 4);
    assert.equal(await page.locator('[data-testid="mark"] .retry-ring').count(), 11);
    const fills = await page.locator('[data-testid="mark"] circle.shape').evaluateAll((els) =>
      [...new Set(els.map((e) => getComputedStyle(e).fill))]);
    assert.equal(fills.length, 2, `NOERROR and NXDOMAIN drawn in two colours: ${fills}`);
    assert.match(await page.locator('[data-testid="percentiles"]').textContent(), /p50 .+ · p90 .+ · p99 /);
    assert.ok(await page.locator('[data-testid="bucket"]').count() > 0);
    assert.match(await rowsRange(page), /Transactions 1–50 of 55/);
    await screenshot("captures-all");
    await shotView(page, "captures-all");

    // The rcode filter narrows the timeline and the table.
    await page.locator('[data-testid="filter-rcode"]').selectOption("none");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="tx-row"]').length === 4);
    assert.match(await rowsRange(page), /of 4$/);
    assert.deepEqual(
      [...new Set(await page.locator('[data-testid="tx-row"]').evaluateAll((rs) => rs.map((r) => r.dataset.rcode)))],
      ["no answer"]);
    assert.equal(await marks.count(), 4);
    await page.locator('[data-testid="filter-rcode"]').selectOption("rcode:NXDOMAIN");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="tx-row"]').length === 34);
    await page.locator('[data-testid="filter-rcode"]').selectOption("");

    // Only the retried: 11 rows. The first (frame 1, re-sent in frame 55, answered in 57) by keyboard.
    await page.locator('[data-testid="filter-retried"]').check();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="tx-row"]').length === 11);
    await page.locator('[data-testid="tx-row"]').first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    const detail = page.locator('[data-testid="detail"]');
    await detail.waitFor();
    const first = await page.locator('[data-testid="tx-row"]').first().getAttribute("data-index");
    assert.equal(await detail.getAttribute("data-index"), first);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "tx-detail", "Enter opens the detail");
    const frames = await detail.locator('[data-testid="detail-frames"] li').allTextContents();
    assert.deepEqual(frames, ["query — frame 1", "copy 2 (+5.000 s) — frame 55", "answer (+5.001 s) — frame 57"]);
    assert.match(await detail.locator('[data-testid="detail-sent"]').textContent(), /sent 2 times/);
    assert.match(await detail.locator('[data-testid="resolver-fit"]').textContent(), /glibc/);
    assert.match(await detail.locator('[data-testid="explanation"]').textContent(), /frames 1, 2/);
    assert.ok(await page.locator('[data-testid="mark"].selected').count() === 1, "the selected transaction's mark stands out");

    // Arrow down moves to the next retried transaction (frame 2, its AAAA partner).
    await page.locator('[data-testid="tx-row"]').first().focus();
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="detail-frames"] li')?.textContent === "query — frame 2");
    await screenshot("captures-retried-detail");
    await shotView(page, "captures-retried-detail");

    // Clicking a mark selects its transaction.
    await page.locator('[data-testid="filter-retried"]').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="mark"]').length === 55);
    await page.locator('[data-testid="mark"][data-class="no answer"][data-sent="2"]').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="detail-frames"] li')?.textContent === "query — frame 65");
    assert.equal(await page.locator('[data-testid="tx-row"].selected').count(), 1, "its row is brought into the table");
    await assertNoRequestsSince(m);
  }));

test("tcpdump text frames open their lines in the source viewer", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    const text = fs.readFileSync(path.join(REPO_ROOT, "fixtures", "tcpdump", "seed-004", "capture.txt"));
    await page.locator('[data-testid="file-input"]').setInputFiles({ name: "capture.txt", mimeType: "text/plain", buffer: text });
    await page.locator('[data-testid="source"][data-name="capture.txt"]').waitFor();
    await page.locator('[data-testid="tab-captures"]').click();
    await page.locator('[data-testid="tx-row"]').first().click();
    const lines = page.locator('[data-testid="detail"] [data-testid="frame-line"]');
    await lines.first().waitFor();
    assert.deepEqual(await lines.evaluateAll((b) => b.map((e) => e.dataset.line)), ["11", "13"]);
    await lines.last().click();
    await screenshot("captures-text-lines");
    await shotView(page, "captures-text-lines");
  }));

test("past 2,000 transactions the timeline is binned", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    const pcap = generatedPcap("losses", ["--lookups", "1500"]);
    await openCaptures(page, "big.pcap", pcap);
    assert.equal(await page.locator('[data-testid="timeline"]').getAttribute("data-mode"), "bins");
    assert.equal(await page.locator('[data-testid="mark"]').count(), 0);
    const bins = await page.locator('[data-testid="bin"]').count();
    assert.ok(bins > 0 && bins <= 120 * 22, `${bins} cells`);
    assert.equal(await page.locator('[data-testid="tx-row"]').count(), 50, "one page of rows");
    await page.locator('[data-testid="rows-next"]').click();
    await page.waitForFunction(() => /Transactions 51–100 of/.test(document.querySelector('[data-testid="rows-range"]')?.textContent));
    await screenshot("captures-binned");
    // The dark theme redefines the colour variables the view uses.
    await page.emulateMedia({ colorScheme: "dark" });
    await shotView(page, "captures-binned-dark");
    await shotView(page, "captures-binned");
  }));
