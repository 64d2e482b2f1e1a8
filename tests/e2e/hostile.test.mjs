// The hostile-input catalogue (`dnatlas-gen hostile`) in a real browser: every case is dropped on the page (through
// the file picker), one at a time, and must be analysed within its time bound with what the case says must be said
// shown on its input card — no page error, no engine failure. Then the cases that once killed the page: a trace
// through a ruleset that loops, a Service with 10,000 endpoints on the map, and an engine that fails and comes back.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { withPage, removeInputs, REPO_ROOT } from "./helpers.mjs";

/** Milliseconds from choosing a file to its analysed card on the page. */
const MAX_MS = 2000;

/** The catalogue, written once per run by dnatlas-gen. */
function catalogue() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnatlas-hostile-"));
  execFileSync("cargo", ["run", "-q", "-p", "dnatlas-gen", "--", "hostile", "--out", dir], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const cases = JSON.parse(fs.readFileSync(path.join(dir, "cases.json"), "utf8"));
  return cases.map((c) => ({ ...c, path: path.join(dir, c.name, c.file) }));
}

const cases = catalogue();

/** Adds one file through the picker; resolves with its card once analysed, and the milliseconds it took. */
async function addFile(page, file) {
  const before = await page.locator('[data-testid="source"]').count();
  const started = Date.now();
  await page.locator('[data-testid="file-input"]').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="source"]').length === n + 1, before);
  const card = page.locator('[data-testid="source"]').nth(before);
  await card.locator('[data-testid="source-kind"]').waitFor({ timeout: 30_000 });
  // The page answers again (nothing blocks its thread).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  return { card, ms: Date.now() - started };
}

test("every hostile input is analysed on the page within its bound and says what it must", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await removeInputs(page, []);
    const problems = [];
    const times = [];
    for (const c of cases) {
      const { card, ms } = await addFile(page, c.path);
      times.push([c.name, ms]);
      if (ms > MAX_MS) problems.push(`${c.name}: ${ms} ms`);
      const kind = await card.locator('[data-testid="source-kind"]').textContent();
      if (c.expect.kind && kind !== c.expect.kind) problems.push(`${c.name}: read as ${kind}, not ${c.expect.kind}`);
      const codes = await card.locator(".diagnostic .code").allTextContents();
      for (const code of c.expect.diagnostics) {
        if (!codes.some((shown) => shown.endsWith(`[${code}]`))) problems.push(`${c.name}: no ${code} among ${codes}`);
      }
      if (c.expect.message) {
        const messages = await card.locator(".diagnostic .message").allTextContents();
        if (!messages.some((m) => m.includes(c.expect.message))) problems.push(`${c.name}: nothing says ${c.expect.message}`);
      }
      // Nothing from an input becomes markup: no element the input named exists.
      if ((await page.locator("main script, main img, aside script, aside img").count()) > 0) {
        problems.push(`${c.name}: an input's markup became live`);
      }
      if (c.name === "service-with-10000-endpoints") await screenshot("hostile-huge-service");
      await removeInputs(page, []);
    }
    t.diagnostic(`slowest: ${times.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([n, ms]) => `${n} ${ms} ms`).join(", ")}`);
    assert.deepEqual(problems, []);
  }, { viewport: { width: 1280, height: 800 } }));

test("a trace through rules that loop stops, says why, and the page goes on working", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await removeInputs(page, []);
    const loop = cases.find((c) => c.name === "trace-through-goto-loop");
    await addFile(page, loop.path);
    await page.locator('[data-testid="tab-trace"]').click();
    await page.locator('[data-testid="trace-from"]').fill("10.244.0.20");
    await page.locator('[data-testid="trace-to"]').fill("10.96.0.50:80");
    const started = Date.now();
    await page.locator('[data-testid="trace-run"]').click();
    await page.locator('[data-testid="trace-status"]').waitFor();
    await page.waitForFunction(() => /loop/.test(document.querySelector('[data-testid="trace-status"]')?.textContent ?? "")
      || [...document.querySelectorAll('[data-testid="step"]')].some((s) => /loop/.test(s.textContent)));
    assert.ok(Date.now() - started < MAX_MS, `the trace took ${Date.now() - started} ms`);
    await screenshot("hostile-trace-loop");
    // The map and another input still work.
    const huge = cases.find((c) => c.name === "service-with-10000-endpoints");
    await page.locator('[data-testid="tab-map"]').click();
    await addFile(page, huge.path);
    await page.locator('[data-testid="service"][data-service="default/huge:http"]').waitFor();
    const nodes = await page.locator('[data-testid="service"][data-service="default/huge:http"] *').count();
    assert.ok(nodes < 2000, `the 10,000-endpoint Service is ${nodes} elements`);
    assert.equal(await page.locator('[data-testid="service"][data-service="default/huge:http"] [data-testid="endpoint"]').count(), 30);
    await screenshot("hostile-huge-service-map");
  }, { viewport: { width: 1280, height: 800 } }));

test("an engine that fails is restarted with every input, says so, and the page goes on working", (t) =>
  withPage(t, async ({ page, errors, screenshot }) => {
    await removeInputs(page, []);
    await addFile(page, path.join(REPO_ROOT, "fixtures", "iptables", "seed-004-node", "input.txt"));
    await page.locator('[data-testid="service"]').first().waitFor();
    // An uncaught error in the worker is what a wasm trap (`RuntimeError: unreachable`) or an exhausted memory
    // raises there: the page sees the worker's `error` event either way.
    const fail = async () => {
      const workers = page.workers();
      assert.equal(workers.length, 1, "one engine worker");
      const next = page.waitForEvent("worker");
      await workers[0].evaluate(() => {
        setTimeout(() => {
          throw new Error("forced engine failure");
        }, 0);
      });
      const worker = await next;
      // The failed worker is terminated: only the new one is left.
      for (let i = 0; page.workers().length !== 1 || page.workers()[0] !== worker; i++) {
        assert.ok(i < 100, "the failed worker is still there");
        await page.waitForTimeout(50);
      }
      return worker;
    };
    await fail();
    const notice = page.locator('[data-testid="engine-failure"]');
    await notice.waitFor();
    assert.match(await notice.textContent(), /forced engine failure.*restarted with every input/);
    await screenshot("hostile-engine-restarted");
    // The new engine has the input: a trace through its rules forks three ways, and the map filters.
    await page.locator('[data-testid="tab-trace"]').click();
    await page.locator('[data-testid="trace-from"]').fill("10.244.0.20");
    await page.locator('[data-testid="trace-to"]').fill("10.109.102.230:80");
    await page.locator('[data-testid="trace-run"]').click();
    await page.waitForFunction(() => /connected/.test(document.querySelector('[data-testid="trace-status"]')?.textContent ?? ""));
    assert.ok((await page.locator('[data-testid="step"]').count()) >= 5, "the trace steps through the rules");
    // A new input after the restart is analysed and shown (the new engine's answers are not taken for stale ones):
    // a second node on the map.
    await page.locator('[data-testid="tab-map"]').click();
    assert.equal(await page.locator('[data-testid="node"]').count(), 1);
    await addFile(page, path.join(REPO_ROOT, "fixtures", "iptables", "corpus-01-iptables-overall", "input.txt"));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="node"]').length === 2);
    await page.locator('[data-testid="tab-trace"]').click();
    await page.locator('[data-testid="engine-failure-dismiss"]').click();
    assert.equal(await notice.count(), 0);
    // Restarted five times in all, the sixth failure makes the page give up on the engine, saying to reload,
    // instead of restarting forever.
    for (let i = 0; i < 4; i++) await fail();
    const last = page.workers()[0];
    const gone = page.waitForEvent("worker", { timeout: 3000 }).then(() => true, () => false);
    await last.evaluate(() => setTimeout(() => { throw new Error("forced engine failure"); }, 0));
    assert.equal(await gone, false, "no seventh worker");
    await page.waitForFunction(() => /reload the page/.test(document.querySelector('[data-testid="engine-failure"]')?.textContent ?? ""));
    await page.locator('[data-testid="trace-run"]').click();
    await page.waitForFunction(() => /no answer — .*reload the page/.test(document.querySelector('[data-testid="trace-status"]')?.textContent ?? ""));
    // Each failure was logged on the console, and nothing else went wrong.
    assert.ok(errors.console.length >= 6 && errors.console.every((e) => /forced engine failure/.test(e)), errors.console.join("\n"));
    errors.console.splice(0);
  }, { viewport: { width: 1280, height: 800 } }));
