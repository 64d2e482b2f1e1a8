// The walking skeleton in a real browser: the example graph, pasting a dump, picking a file,
// diagnostics with line:column, and no network request once the page is loaded.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { withPage, REPO_ROOT } from "./helpers.mjs";

const fixture = (name) =>
  fs.readFileSync(path.join(REPO_ROOT, "fixtures", "iptables", name, "input.txt"), "utf8");

const service = (page, label) => page.locator(`[data-testid="service"][data-service="${label}"]`);
const shares = (page, label) => service(page, label).locator('[data-testid="edge-share"]').allTextContents();
const nonEmpty = (xs) => xs.filter((x) => x.trim() !== "");

test("the example shows nginx's three endpoints at 33.3% and kube-dns to 10.244.0.2:53", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, assertAllLocal, screenshot }) => {
    const settled = mark();
    await page.locator('[data-testid="graph"]').first().waitFor();
    assert.deepEqual(nonEmpty(await shares(page, "default/nginx")), ["33.3%", "33.3%", "33.3%"]);
    const nginxEndpoints = await service(page, "default/nginx").locator('[data-testid="endpoint"] .box-title').allTextContents();
    assert.deepEqual(nginxEndpoints, ["10.244.0.3:80", "10.244.0.4:80", "10.244.0.5:80"]);
    const dns = service(page, "kube-system/kube-dns:dns");
    assert.equal(await dns.getAttribute("data-protocol"), "udp");
    assert.deepEqual(await dns.locator('[data-testid="endpoint"] .box-title').allTextContents(), ["10.244.0.2:53"]);
    assert.deepEqual(nonEmpty(await shares(page, "kube-system/kube-dns:dns")), ["100.0%"]);
    assert.match(await dns.locator('[data-testid="vip"] .box-title').textContent(), /10\.96\.0\.10:53 udp/);
    const kinds = await page.locator('[data-testid="source-kind"]').allTextContents();
    assert.deepEqual(kinds, ["iptables-save", "kubectl", "resolv-conf", "tcpdump"]);
    await screenshot("example");
    await assertNoRequestsSince(settled);
    assertAllLocal();
  }));

test("pasting corpus case 01 changes the graph", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
    const m = mark();
    await page.locator('[data-testid="paste"]').fill(fixture("corpus-01-iptables-overall"));
    await service(page, "ns4/svc4:p80").waitFor();
    assert.equal(await service(page, "default/nginx").count(), 0, "the example's services are gone");
    assert.deepEqual(nonEmpty(await shares(page, "ns4/svc4:p80")), ["50.0%", "50.0%"]);
    assert.equal(await page.locator('[data-testid="service"]').count(), 6);
    const svc6 = service(page, "ns6/svc6:p80");
    assert.match(await svc6.locator('[data-testid="problem"] .box-sub').last().textContent(), /filter REJECT, line 9/);
    await screenshot("pasted-corpus-01");
    await assertNoRequestsSince(m);
  }));

test("a file picked through the input is analysed beside the paste", (t) =>
  withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
    const m = mark();
    await page.locator('[data-testid="file-input"]').setInputFiles({
      name: "node-b.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(fixture("corpus-02-iptables-repeated-initial")),
    });
    const source = page.locator('[data-testid="source"][data-name="node-b.txt"]');
    await source.waitFor();
    assert.equal(await source.locator('[data-testid="source-kind"]').textContent(), "iptables-save");
    assert.match(await source.locator('[data-testid="source-counts"]').textContent(), /2 service ports · 2 endpoints/);
    const node = page.locator('[data-testid="node"][data-source="node-b.txt"]');
    await node.locator('[data-service="ns2/svc2:p8080"]').waitFor();
    assert.deepEqual(await node.locator('[data-service="ns2/svc2:p8080"] [data-testid="endpoint"] .box-title').allTextContents(), ["10.0.2.1:8080"]);
    assert.equal(await page.locator('[data-testid="node"]').count(), 2, "the example and the file side by side");
    await screenshot("file-picked");
    await source.locator("button.remove").click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="node"]').length === 1);
    await assertNoRequestsSince(m);
  }));

test("bad lines are listed with line:column and the rest is still drawn", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    await page.locator('[data-testid="paste"]').fill(fixture("seed-002-blog-excerpt"));
    // The paste is analysed once typing pauses; the example's kube-dns is drawn meanwhile.
    await page.locator('[data-testid="diagnostic"]').filter({ hasText: "missing-argument" }).first().waitFor();
    await service(page, "kube-system/kube-dns:dns").waitFor();
    const diagnostics = await page.locator('[data-testid="diagnostic"]').allTextContents();
    assert.ok(diagnostics.some((d) => d.startsWith("3:20 error[missing-argument]")), diagnostics.join("\n"));
    assert.ok(diagnostics.some((d) => d.startsWith("1:1 error[unknown-line]")));
    await screenshot("diagnostics");
    await page.locator('[data-testid="load-example"]').click();
    await service(page, "default/nginx").waitFor();
    assert.equal(await page.locator(`[data-testid="source"][data-name="example-node-2017.txt"] [data-testid="diagnostic"]`).count(), 0);
  }));

test("hostile text in an input renders as text", (t) =>
  withPage(t, async ({ page }) => {
    const evil = '*nat\n-A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment "<img src=x onerror=alert(1)>/x:y cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n<script>alert(2)</script>\nCOMMIT\n';
    await page.locator('[data-testid="paste"]').fill(evil);
    await page.locator('[data-testid="source"][data-name="pasted"] [data-testid="diagnostic"]').first().waitFor();
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("main script, aside script").count(), 0);
    const texts = await page.locator('[data-testid="diagnostic"]').allTextContents();
    assert.ok(texts.some((x) => x.includes("<script>alert(2)</script>")), texts.join("\n"));
  }));

test("findings are listed with their code and evidence lines", (t) =>
  withPage(t, async ({ page, screenshot }) => {
    const example = page.locator('[data-testid="finding"][data-code="dns-single-endpoint"]');
    await example.waitFor();
    assert.match(await example.locator(".evidence").textContent(), /example-node-2017\.txt:58, example-node-2017\.txt:61/);
    await page.locator('[data-testid="paste"]').fill(fixture("corpus-04-iptables-repeated-no-endpoints-reject"));
    const rejected = page.locator('[data-testid="finding"][data-code="service-no-endpoints"]');
    await rejected.waitFor();
    assert.match(await rejected.locator(".message").textContent(), /ns4\/svc4:p80/);
    assert.match(await rejected.locator(".evidence").textContent(), /pasted:8/);
    await screenshot("findings");
  }));
