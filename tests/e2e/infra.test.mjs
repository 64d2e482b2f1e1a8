// The app's infrastructure in a real browser: the engine in a Web Worker, inputs kept across reloads, files dropped
// on the page (a pcap included), progress on a large input, no network after load, hostile text, the theme
// toggle, and the site served from a sub-path.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { withPage, removeInputs, REPO_ROOT } from "./helpers.mjs";

const fixture = (name) =>
  fs.readFileSync(path.join(REPO_ROOT, "fixtures", "iptables", name, "input.txt"), "utf8");

/** A file written by dnatlas-gen (built on first use), kept between runs in the system's temporary directory. */
function generated(name, args) {
  const dir = path.join(os.tmpdir(), "dnatlas-e2e");
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("cargo", ["run", "-q", "-p", "dnatlas-gen", "--", ...args, "-o", file + ".part"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    fs.renameSync(file + ".part", file);
  }
  return file;
}

const card = (page, n) => page.locator('[data-testid="source"]').nth(n);
const shares = (page, label) =>
  page.locator(`[data-testid="service"][data-service="${label}"] [data-testid="edge-share"]`).allTextContents();
const nonEmpty = (xs) => xs.filter((x) => x.trim() !== "");

/** Drops files on the page as a user would: dragenter (the overlay shows), dragover, drop — on `target`. */
async function dropFiles(page, files, { target = "main", screenshotOverlay = null } = {}) {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type || "application/octet-stream" }));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, type: f.type, base64: Buffer.from(f.bytes).toString("base64") })));
  await page.dispatchEvent(target, "dragenter", { dataTransfer });
  await page.dispatchEvent(target, "dragover", { dataTransfer });
  await page.locator('[data-testid="drop-overlay"]').waitFor();
  if (screenshotOverlay) await screenshotOverlay();
  await page.dispatchEvent(target, "drop", { dataTransfer });
  await page.locator('[data-testid="drop-overlay"]').waitFor({ state: "detached" });
}

/** Lets the debounced analysis and the IndexedDB writes finish before a reload. */
const settle = (page) => page.waitForTimeout(900);

/** What the inputs panel shows, card by card. */
async function inputs(page) {
  return page.locator('[data-testid="source"]').evaluateAll((cards) =>
    cards.map((c) => ({
      name: c.querySelector('[data-testid="source-name"]').value,
      kind: c.querySelector('[data-testid="kind-select"]').value,
      node: c.querySelector('[data-testid="node-input"]').value,
      text: c.querySelector('[data-testid="paste"]')?.value ?? null,
      detected: c.querySelector('[data-testid="source-kind"]')?.textContent ?? null,
      counts: c.querySelector('[data-testid="source-counts"]')?.textContent ?? null,
    })),
  );
}

test("the engine runs in a module Web Worker loaded from the page's own files", (t) =>
  withPage(t, async ({ page, requests, baseURL }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    const workers = page.workers();
    assert.equal(workers.length, 1, "one worker");
    assert.equal(workers[0].url(), `${baseURL}/worker.js`);
    // The worker imported the same glue and wasm as the page: each was fetched twice, never from elsewhere.
    assert.equal(requests.filter((u) => u.endsWith(".wasm")).length, 2, requests.join("\n"));
    assert.deepEqual(nonEmpty(await shares(page, "default/nginx")), ["33.3%", "33.3%", "33.3%"]);
  }));

test("inputs come back after a reload exactly as left: paste, file, names, kind override, node, order, removal", (t) =>
  withPage(t, async ({ page, reload, screenshot }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    // The example's dump only (its kubectl output, resolv.conf and capture removed).
    await removeInputs(page, ["example-node-2017.txt"]);
    // A second paste area with a resolv.conf, renamed.
    await page.locator('[data-testid="add-paste"]').click();
    await card(page, 1).locator('[data-testid="paste"]').fill("nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n");
    await card(page, 1).locator('[data-testid="source-name"]').fill("pod-a/resolv.conf");
    await card(page, 1).locator('[data-testid="source-name"]').press("Enter");
    // A file, assigned to a node, its kind forced.
    await page.locator('[data-testid="file-input"]').setInputFiles({
      name: "node-b.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(fixture("corpus-02-iptables-repeated-initial")),
    });
    await page.locator('[data-testid="source"][data-name="node-b.txt"] [data-testid="source-kind"]').waitFor();
    await card(page, 2).locator('[data-testid="node-input"]').fill("worker-b");
    await card(page, 2).locator('[data-testid="node-input"]').press("Enter");
    await card(page, 2).locator('[data-testid="kind-select"]').selectOption("iptables-save");
    // A third input, removed again.
    await page.locator('[data-testid="file-input"]').setInputFiles({ name: "gone.txt", mimeType: "text/plain", buffer: Buffer.from("nameserver 1.1.1.1\n") });
    await page.locator('[data-testid="source"][data-name="gone.txt"] [data-testid="source-kind"]').waitFor();
    await card(page, 3).locator('[data-testid="remove"]').click();
    await page.locator('[data-testid="node"][data-source="worker-b"]').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="source"]').length === 3);
    await page.locator('[data-testid="source"][data-name="pod-a/resolv.conf"] [data-testid="source-kind"]').waitFor();
    await settle(page);
    const before = await inputs(page);
    assert.deepEqual(before.map((i) => [i.name, i.kind, i.node, i.detected]), [
      ["example-node-2017.txt", "auto", "", "iptables-save"],
      ["pod-a/resolv.conf", "auto", "", "resolv-conf"],
      ["node-b.txt", "iptables-save", "worker-b", "iptables-save"],
    ]);
    assert.match(before[2].counts, /2 service ports · 2 endpoints/);
    await screenshot("infra-before-reload");

    await reload();
    await page.locator('[data-testid="node"][data-source="worker-b"] [data-service="ns2/svc2:p8080"]').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="source-counts"]').length === 3);
    const after = await inputs(page);
    assert.deepEqual(after, before);
    assert.deepEqual(nonEmpty(await shares(page, "default/nginx")), ["33.3%", "33.3%", "33.3%"]);
    assert.equal(await page.locator('[data-testid="tab-map"]').getAttribute("aria-selected"), "true");
    await screenshot("infra-after-reload");

    // Emptied lists stay empty: no example comes back.
    for (let n = 3; n > 0; n--) {
      await card(page, 0).locator('[data-testid="remove"]').click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="source"]').length === n - 1, n);
    }
    await settle(page);
    await reload();
    await page.locator('[data-testid="no-graph"]').waitFor();
    assert.equal(await page.locator('[data-testid="source"]').count(), 0);
  }));

test("a pcap dropped anywhere on the page is read, kept across a reload, and nothing is requested", (t) =>
  withPage(t, async ({ page, reload, mark, assertNoRequestsSince, assertAllLocal, screenshot }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    const pcap = fs.readFileSync(generated("sll2.pcap", ["capture", "--config", path.join(REPO_ROOT, "fixtures/pcap/sll2/case.json")]));
    const m = mark();
    await dropFiles(page, [{ name: "dns-sll2.pcap", bytes: pcap, type: "application/vnd.tcpdump.pcap" }], {
      screenshotOverlay: () => screenshot("infra-drop-overlay"),
    });
    const source = page.locator('[data-testid="source"][data-name="dns-sll2.pcap"]');
    await source.locator('[data-testid="source-kind"]').waitFor();
    assert.equal(await source.locator('[data-testid="source-kind"]').textContent(), "pcap");
    // The case's reference (tshark) reads 95 DNS messages in 48 transactions.
    assert.match(await source.locator('[data-testid="source-counts"]').textContent(), /95 DNS messages · 48 transactions/);
    assert.equal(await source.locator('[data-testid="source-size"]').textContent(), `${(pcap.length / 1024).toFixed(1)} KB`);
    await screenshot("infra-pcap-dropped");
    await assertNoRequestsSince(m);
    await settle(page);

    await reload();
    const settled = mark();
    await source.locator('[data-testid="source-counts"]').waitFor();
    assert.match(await source.locator('[data-testid="source-counts"]').textContent(), /95 DNS messages · 48 transactions/);
    await assertNoRequestsSince(settled, 1000);
    assertAllLocal();
  }));

test("a large input shows the analysis' progress with its stage", (t) =>
  withPage(t, async ({ page }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    const dump = fs.readFileSync(generated("node-10k.txt", ["--services", "10000"]));
    // Every stage the progress bar shows, recorded as it changes.
    await page.evaluate(() => {
      window.__stages = [];
      new MutationObserver(() => {
        const p = document.querySelector('[data-testid="progress"]');
        const text = p?.getAttribute("aria-valuetext");
        if (text && window.__stages.at(-1) !== text) window.__stages.push(text);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.locator('[data-testid="file-input"]').setInputFiles({ name: "node-10k.txt", mimeType: "text/plain", buffer: dump });
    await page.locator('[data-testid="source"][data-name="node-10k.txt"] [data-testid="source-counts"]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="progress"]').waitFor({ state: "detached" });
    const stages = await page.evaluate(() => window.__stages);
    assert.ok(stages.includes("reading node-10k.txt"), stages.join(" | "));
    assert.ok(stages.includes("checking for findings"), stages.join(" | "));
  }));

test("hostile names, comments and lines render as text: no dialog, no element, no request", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    const m = mark();
    const evil =
      '*nat\n:KUBE-SERVICES - [0:0]\n' +
      '-A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment "<script>alert(1)</script>/x:y cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n' +
      '-A KUBE-SERVICES -d 10.0.0.2/32 -p tcp -m comment --comment "<img src=x onerror=alert(2)>/z:w cluster IP" -m tcp --dport 80 -j KUBE-SVC-BBBBBBBBBBBBBBBB\n' +
      "<img src=x onerror=alert(3)>\nCOMMIT\n";
    await page.locator('[data-testid="paste"]').fill(evil);
    const name = "<img src=x onerror=alert(4)><script>alert(5)</script>";
    await card(page, 0).locator('[data-testid="source-name"]').fill(name);
    await card(page, 0).locator('[data-testid="source-name"]').press("Enter");
    await page.locator(`[data-testid="source"][data-name="${name}"] [data-testid="diagnostic"]`).first().waitFor();
    await page.locator('[data-testid="service"]').first().waitFor();
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("body script").count(), 0);
    const diagnostics = await page.locator('[data-testid="diagnostic"]').allTextContents();
    assert.ok(diagnostics.some((d) => d.includes("<img src=x onerror=alert(3)>")), diagnostics.join("\n"));
    assert.equal(await card(page, 0).locator('[data-testid="source-name"]').inputValue(), name);
    const drawn = await page.locator('[data-testid="service"]').evaluateAll((gs) => gs.map((g) => g.getAttribute("data-service")));
    assert.ok(drawn.includes("<script>alert(1)</script>/x:y"), drawn.join("\n"));
    await screenshot("infra-hostile");
    await assertNoRequestsSince(m);
  }));

const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

test("the theme follows the system, the toggle switches it, and the choice survives a reload", (t) =>
  withPage(t, async ({ page, reload, screenshot }) => {
    await page.locator('[data-testid="graph"]').first().waitFor();
    assert.equal(await background(page), "rgb(247, 248, 250)", "light, as the system prefers");
    await page.locator('[data-testid="theme-toggle"]').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
    assert.equal(await background(page), "rgb(20, 23, 29)");
    await page.locator('[data-testid="tab-trace"]').click();
    await screenshot("infra-dark");
    await reload();
    assert.equal(await background(page), "rgb(20, 23, 29)", "dark after the reload");
    assert.equal(await page.locator('[data-testid="tab-trace"]').getAttribute("aria-selected"), "true", "the tab too");
    assert.equal(await page.locator('[data-testid="theme-toggle"]').getAttribute("aria-pressed"), "true");
  }));

test("a system in dark mode gets the dark theme until the toggle says otherwise", (t) =>
  withPage(
    t,
    async ({ page, reload }) => {
      await page.locator('[data-testid="graph"]').first().waitFor();
      assert.equal(await background(page), "rgb(20, 23, 29)");
      await page.locator('[data-testid="theme-toggle"]').click();
      assert.equal(await background(page), "rgb(247, 248, 250)");
      await reload();
      assert.equal(await background(page), "rgb(247, 248, 250)");
    },
    { colorScheme: "dark" },
  ));

const SUBPATH_DIST = process.env.DNATLAS_SUBPATH_DIST || path.join(REPO_ROOT, "dist-subpath");
const SUBPATH = "/some/sub/path";

test("the site works from a sub-path, worker included", (t) => {
  assert.ok(
    fs.existsSync(path.join(SUBPATH_DIST, "index.html")),
    `${SUBPATH_DIST} missing: trunk build --release --public-url ${SUBPATH}/ --dist ${SUBPATH_DIST}`,
  );
  return withPage(
    t,
    async ({ page, requests, baseURL, assertAllLocal }) => {
      await page.locator('[data-service="default/nginx"]').waitFor();
      assert.deepEqual(nonEmpty(await shares(page, "default/nginx")), ["33.3%", "33.3%", "33.3%"]);
      assert.equal(page.workers()[0]?.url(), `${baseURL}${SUBPATH}/worker.js`);
      assert.ok(requests.every((u) => u.startsWith(`${baseURL}${SUBPATH}/`)), requests.join("\n"));
      assertAllLocal();
    },
    { dist: SUBPATH_DIST, prefix: SUBPATH },
  );
});
