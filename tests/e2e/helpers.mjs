// End-to-end test helpers: serve the trunk build in dist/ and drive it in Debian's Chromium
// through playwright-core. Run the suite with `node --test tests/e2e/` after
// `trunk build --release` (scripts/test.sh does both).
//
// API
//   withPage(t, fn, options?) -> Promise<void>
//     Serves dist/ on http://127.0.0.1:<free port>/, launches headless /usr/bin/chromium
//     (fresh profile, fresh context), opens a page, calls `await fn(ctx)`, then closes
//     everything. After fn returns it FAILS the test (throws) if any console error
//     (including CSP violations and failed loads), uncaught page error or failed request
//     was seen, unless options.allowErrors is true (then inspect ctx.errors yourself).
//     `t` is node:test's TestContext (used for diagnostics and names; may be null).
//     options: { path = "/", waitFor = "load" | "networkidle" | null,
//                viewport = { width: 1280, height: 900 }, allowErrors = false,
//                colorScheme = "light" | "dark" (the system setting the page sees; default light),
//                dist = dist/ (the build to serve), prefix = "" (serve it under this sub-path,
//                e.g. "/some/sub/path"; `path` then defaults to prefix + "/") }
//     A JavaScript dialog (alert, confirm, prompt) fails the test like a page error.
//     By default fn is called after page.goto(path) has reached the "networkidle" state and
//     the app has signalled start-up (see ctx.waitForApp); pass waitFor: null to navigate yourself
//     (`await page.goto(ctx.url("/")); await ctx.waitForApp();`).
//
//   ctx (the argument of fn):
//     page, context, browser   playwright-core objects (page.getByRole, page.locator, ...)
//     baseURL                  "http://127.0.0.1:<port>"
//     url(path)                baseURL + path
//     requests                 array of every request URL the browser context made, in order
//     mark()                   returns a marker (current requests.length)
//     requestsSince(marker)    request URLs made after that marker
//     assertAllLocal()         asserts every request so far went to baseURL (data:/blob: allowed)
//     assertNoRequestsSince(marker, settleMs = 500)
//                              waits settleMs, then asserts no request was made after marker
//     errors                   { console: string[], page: string[], requests: string[] }
//     waitForApp()             resolves once boot.js fired "TrunkApplicationStarted" (wasm
//                              running, app mounted); rejects after 15 s with the errors seen
//     screenshot(name)         saves tests/e2e/screenshots/<name>.png (full page); returns path
//
//     reload()                 reloads the page and waits for the app again
//
//   serveDist(dir = dist/, prefix = "") -> Promise<{ baseURL, close() }>   the static server on its own
//   launchChromium()       -> Promise<Browser>                 the browser on its own
//
// Example
//   import test from "node:test";
//   import assert from "node:assert/strict";
//   import { withPage } from "./helpers.mjs";
//   test("loads", (t) => withPage(t, async ({ page, mark, assertNoRequestsSince, screenshot }) => {
//     const m = mark();
//     await page.getByRole("button", { name: "Analyse" }).click();
//     await screenshot("after-click");
//     await assertNoRequestsSince(m);
//   }));

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "..", "..");
export const DIST_DIR = path.join(REPO_ROOT, "dist");
export const SCREENSHOT_DIR = path.join(here, "screenshots");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".yaml": "text/yaml; charset=utf-8",
  ".yml": "text/yaml; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Serve `dir` on 127.0.0.1, a free port, under `prefix` ("" or "/a/b": other paths are 404). `/` (and any
 * directory) serves its index.html. */
export async function serveDist(dir = DIST_DIR, prefix = "") {
  const root = path.resolve(dir);
  if (!fs.existsSync(path.join(root, "index.html"))) {
    throw new Error(`${root}/index.html missing: run \`trunk build --release\` first`);
  }
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (prefix) {
      if (rel !== prefix && !rel.startsWith(prefix + "/")) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      rel = rel.slice(prefix.length) || "/";
    }
    let file = path.join(root, path.normalize(rel));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "content-type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    baseURL: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** Headless Debian Chromium (never a Playwright-downloaded browser). Fresh temporary profile. */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

function isLocal(url, baseURL) {
  return url === baseURL || url.startsWith(baseURL + "/") || url.startsWith("data:") || url.startsWith("blob:");
}

export async function withPage(t, fn, options = {}) {
  const {
    prefix = "",
    path: startPath = prefix + "/",
    waitFor = "networkidle",
    viewport = { width: 1280, height: 900 },
    allowErrors = false,
    colorScheme = "light",
    dist = DIST_DIR,
  } = options;
  const server = await serveDist(dist, prefix);
  let browser;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport, colorScheme, serviceWorkers: "block" });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const { baseURL } = server;

    const requests = [];
    const errors = { console: [], page: [], requests: [] };
    context.on("request", (r) => requests.push(r.url()));
    context.on("requestfailed", (r) => errors.requests.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on("console", (m) => {
      if (m.type() === "error") errors.console.push(m.text());
    });
    page.on("pageerror", (e) => errors.page.push(String(e?.stack || e)));
    page.on("dialog", (d) => {
      errors.page.push(`unexpected ${d.type()} dialog: ${d.message()}`);
      d.dismiss().catch(() => {});
    });

    // boot.js fires "TrunkApplicationStarted" once the wasm is running; record it before any
    // page script runs so waitForApp() can poll for it (and time out if start-up fails).
    await page.addInitScript(() => {
      addEventListener("TrunkApplicationStarted", () => (window.__appStarted = true), { once: true });
    });
    const waitForApp = async () => {
      try {
        await page.waitForFunction(() => window.__appStarted === true);
      } catch (e) {
        throw new Error(`app did not start: ${JSON.stringify(errors)}`, { cause: e });
      }
    };

    const ctx = {
      page,
      context,
      browser,
      baseURL,
      url: (p = "/") => baseURL + p,
      requests,
      errors,
      waitForApp,
      mark: () => requests.length,
      requestsSince: (marker) => requests.slice(marker),
      assertAllLocal() {
        const foreign = requests.filter((u) => !isLocal(u, baseURL));
        assert.deepEqual(foreign, [], `requests left ${baseURL}`);
      },
      async assertNoRequestsSince(marker, settleMs = 500) {
        await page.waitForTimeout(settleMs);
        assert.deepEqual(requests.slice(marker), [], "unexpected requests after the marker");
      },
      async reload() {
        await page.reload({ waitUntil: "networkidle" });
        await waitForApp();
      },
      async screenshot(name) {
        fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, "_")}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t?.diagnostic?.(`screenshot ${path.relative(REPO_ROOT, file)}`);
        return file;
      },
    };

    if (waitFor) {
      await page.goto(ctx.url(startPath), { waitUntil: waitFor });
      await waitForApp();
    }
    await fn(ctx);

    if (!allowErrors) {
      assert.deepEqual(errors.page, [], "uncaught page errors");
      assert.deepEqual(errors.console, [], "console errors");
      assert.deepEqual(errors.requests, [], "failed requests");
    }
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }
}

// Removes every input whose name is not in `keep` (the example case has four) and waits until only those are left.
export async function removeInputs(page, keep = []) {
  const others = (names) => names.filter((n) => !keep.includes(n));
  const names = () => page.locator('[data-testid="source"]').evaluateAll((cs) => cs.map((c) => c.dataset.name));
  for (let left = others(await names()); left.length > 0; left = others(await names())) {
    const count = (await names()).length;
    await page.locator(`[data-testid="source"][data-name="${left[0]}"] [data-testid="remove"]`).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="source"]').length === n - 1, count);
  }
}
