// Starts the wasm app without an inline script, so the page's CSP needs no 'unsafe-inline'
// or per-build hash. Trunk.toml's `pattern_script` replaces the rust <link> in index.html with
// a JSON data block naming the hashed JS glue and wasm files; this module loads them.
const paths = JSON.parse(document.getElementById("trunk-app").textContent);
const { default: init } = await import(paths.js);
const wasm = await init({ module_or_path: paths.wasm });
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
