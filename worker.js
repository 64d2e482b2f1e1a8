// The analysis engine's Web Worker (a module worker started by the page, see app/src/client.rs). It loads the same
// wasm as the page. Every message is an envelope (app/src/protocol/mod.rs) as JSON text in `{json}`; the page's
// first one, `init`, names the glue JS and wasm files (hashed names, public URL included). The worker imports and
// instantiates them and hands over to the wasm (`worker_start`, which listens for messages itself). Messages that
// arrive while the wasm loads are kept and replayed in order.
const queued = [];
self.onmessage = async (event) => {
  const init = JSON.parse(event.data?.json ?? "null")?.init;
  if (!init) {
    queued.push(event.data);
    return;
  }
  self.onmessage = (e) => queued.push(e.data);
  try {
    const glue = await import(init.js);
    await glue.default({ module_or_path: init.wasm });
    self.onmessage = null;
    glue.worker_start();
  } catch (e) {
    self.postMessage({ json: JSON.stringify({ fatal: { message: String(e?.stack || e) } }) });
    return;
  }
  for (const data of queued.splice(0)) self.dispatchEvent(new MessageEvent("message", { data }));
};
