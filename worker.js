// The analysis engine's Web Worker (a module worker started by the page, see app/src/client.rs). It loads the same
// wasm as the page: the page's first message names the glue JS and wasm files (hashed names, public URL included),
// the worker imports and instantiates them and hands over to the wasm (`worker_start`). Messages that arrive while
// the wasm loads are kept and replayed in order.
const queued = [];
self.onmessage = async (event) => {
  if (event.data?.t !== "init") {
    queued.push(event.data);
    return;
  }
  self.onmessage = (e) => queued.push(e.data);
  try {
    const glue = await import(event.data.js);
    await glue.default({ module_or_path: event.data.wasm });
    glue.worker_start();
  } catch (e) {
    self.postMessage({ t: "fatal", id: 0, json: String(e?.stack || e) });
    return;
  }
  for (const data of queued.splice(0)) self.onmessage(new MessageEvent("message", { data }));
};
