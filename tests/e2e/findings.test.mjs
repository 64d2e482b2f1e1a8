// The findings panel, the source viewer and the exports: a finding selected opens its explanation and fix, and the
// viewer scrolls to and highlights the lines it cites; the report downloads with those lines quoted.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { withPage, REPO_ROOT } from "./helpers.mjs";

const fixture = (name) =>
  fs.readFileSync(path.join(REPO_ROOT, "fixtures", "iptables", name, "input.txt"), "utf8");
const CORPUS_01 = fixture("corpus-01-iptables-overall");
const line = (text, n) => text.split("\n")[n - 1];

async function pasteCorpus01(page) {
  await page.locator('[data-testid="paste"]').first().fill(CORPUS_01);
  await page.locator('[data-testid="finding"][data-code="service-no-endpoints"]').waitFor();
}

test("findings are grouped by severity; selecting one explains it and highlights its lines", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
    const m = mark();
    await pasteCorpus01(page);
    const groups = page.locator('[data-testid="finding-group"]');
    // The example's pod resolv.conf (ndots:5, three search domains) stays beside the pasted dump: its info finding too.
    assert.deepEqual(await groups.evaluateAll((gs) => gs.map((g) => g.dataset.severity)), ["error", "warning", "info"]);
    assert.deepEqual(
      await page.locator('[data-testid="finding-group"][data-severity="warning"] [data-testid="finding"]').evaluateAll((fs) => fs.map((f) => f.dataset.code)),
      ["no-local-endpoints"],
    );
    const finding = page.locator('[data-testid="finding"][data-code="service-no-endpoints"]');
    await finding.locator("button.finding-head").click();
    const detail = finding.locator('[data-testid="finding-detail"]');
    await detail.waitFor();
    assert.match(await detail.locator('[data-testid="fix"]').textContent(), /\S/);
    assert.deepEqual(await detail.locator('[data-testid="evidence"]').allTextContents(), ["pasted:9"]);
    // The viewer shows line 9 (the REJECT), highlighted and on screen.
    const hl = page.locator('[data-testid="source-viewer"] .viewer-line.hl');
    await hl.first().waitFor();
    assert.deepEqual(await hl.evaluateAll((ls) => ls.map((l) => l.dataset.line)), ["9"]);
    assert.equal(await hl.locator(".text").textContent(), line(CORPUS_01, 9));
    assert.ok(await hl.isVisible());
    await screenshot("finding-selected");

    // The warning cites three lines: all highlighted; choosing the third scrolls to it.
    const warning = page.locator('[data-testid="finding"][data-code="no-local-endpoints"]');
    await warning.locator("button.finding-head").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="source-viewer"] .viewer-line.hl').length === 3);
    assert.deepEqual(await hl.evaluateAll((ls) => ls.map((l) => l.dataset.line)), ["10", "11", "12"]);
    assert.equal(await finding.locator('[data-testid="finding-detail"]').count(), 0, "one finding open at a time");
    await assertNoRequestsSince(m);
  }));

test("the findings list answers the keyboard", (t) =>
  withPage(t, async ({ page }) => {
    await pasteCorpus01(page);
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("f");
    const focused = () => page.evaluate(() => document.activeElement?.closest('[data-testid="finding"]')?.dataset.code);
    assert.equal(await focused(), "service-no-endpoints");
    await page.keyboard.press("ArrowDown");
    assert.equal(await focused(), "no-local-endpoints");
    await page.locator('[data-testid="finding"][data-code="no-local-endpoints"] [data-testid="finding-detail"]').waitFor();
    await page.keyboard.press("ArrowUp");
    await page.locator('[data-testid="finding"][data-code="service-no-endpoints"] [data-testid="finding-detail"]').waitFor();
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => !document.querySelector('[data-testid="finding-detail"]'));
    // Alt+2 opens the trace player and `/` focuses its target; Alt+1 is back on the map, `/` in its name filter.
    await page.keyboard.press("Alt+2");
    await page.locator('[data-testid="tab-trace"][aria-selected="true"]').waitFor();
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "trace-to");
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("Alt+1");
    await page.locator('[data-testid="tab-map"][aria-selected="true"]').waitFor();
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "filter-name");
  }));

test("the Markdown report and the JSON download without a request", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince }) => {
    await pasteCorpus01(page);
    const m = mark();
    const [md] = await Promise.all([page.waitForEvent("download"), page.locator('[data-testid="export-markdown"]').click()]);
    assert.equal(md.suggestedFilename(), "dnatlas-report.md");
    const text = fs.readFileSync(await md.path(), "utf8");
    assert.ok(text.startsWith("# dnatlas report\n"), text);
    assert.ok(text.includes("### 1. Error `service-no-endpoints`"), text);
    assert.ok(text.includes("- `pasted:9`\n  ```text\n  " + line(CORPUS_01, 9) + "\n  ```"), text);
    const [json] = await Promise.all([page.waitForEvent("download"), page.locator('[data-testid="export-json"]').click()]);
    const analysis = JSON.parse(fs.readFileSync(await json.path(), "utf8"));
    assert.equal(analysis.schema, "dnatlas.analysis/1");
    assert.deepEqual(analysis.findings.map((f) => f.code), ["service-no-endpoints", "no-local-endpoints", "ndots-amplification"]);
    await assertNoRequestsSince(m);
  }));
