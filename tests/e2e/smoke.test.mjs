// Smoke test: the trunk build in dist/ loads in Chromium under its CSP, the wasm starts,
// nothing errors, and no request leaves 127.0.0.1 or happens once the page has settled.
import test from "node:test";
import assert from "node:assert/strict";
import { withPage } from "./helpers.mjs";

test("dist/ loads without errors or outside requests", (t) =>
  withPage(t, async ({ page, requests, mark, assertAllLocal, assertNoRequestsSince, screenshot }) => {
    assert.match(await page.title(), /dnatlas/);
    assert.ok(requests.some((u) => u.endsWith(".wasm")), "the wasm was fetched");
    const settled = mark();
    await screenshot("smoke");
    await assertNoRequestsSince(settled);
    assertAllLocal();
  }));
