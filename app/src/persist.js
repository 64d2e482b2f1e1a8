// The inputs kept in IndexedDB across reloads (imported by persist.rs through wasm-bindgen).
//
// Database "dnatlas", version 1:
//   "inputs"   key id -> { id, order, meta }   meta: the page's JSON description (name, kind, node, paste)
//   "contents" key id -> a paste's text (string) or a file's bytes (Blob: stored by the browser, never copied
//                        into the app's memory)
//   "meta"     "saved" -> true once anything was saved, so an emptied list stays empty instead of showing
//                        the example again
// Failures (private windows without IndexedDB, quota) are warnings: the app works without persistence.

const NAME = "dnatlas";
let opening = null;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

function db() {
  if (!opening) {
    const r = indexedDB.open(NAME, 1);
    r.onupgradeneeded = () => {
      for (const store of ["inputs", "contents", "meta"]) {
        if (!r.result.objectStoreNames.contains(store)) r.result.createObjectStore(store);
      }
    };
    opening = request(r);
    opening.catch(() => (opening = null));
  }
  return opening;
}

function warn(what, e) {
  console.warn(`dnatlas: could not ${what}: ${e?.message || e}`);
}

/** Every stored input in order, as [{ meta, content }], or null when nothing was ever saved. */
export async function loadInputs() {
  try {
    const d = await db();
    const tx = d.transaction(["inputs", "contents", "meta"], "readonly");
    const [saved, inputs, keys, contents] = await Promise.all([
      request(tx.objectStore("meta").get("saved")),
      request(tx.objectStore("inputs").getAll()),
      request(tx.objectStore("contents").getAllKeys()),
      request(tx.objectStore("contents").getAll()),
    ]);
    if (!saved) return null;
    const byId = new Map(keys.map((k, i) => [k, contents[i]]));
    inputs.sort((a, b) => a.order - b.order);
    return inputs.map((i) => ({ meta: i.meta, content: byId.get(i.id) ?? "" }));
  } catch (e) {
    warn("read the saved inputs", e);
    return null;
  }
}

/** Replaces the list of inputs (JSON array of { id, ... }); contents of inputs no longer listed are deleted. */
export async function saveInputs(json) {
  try {
    const list = JSON.parse(json);
    const d = await db();
    const tx = d.transaction(["inputs", "contents", "meta"], "readwrite");
    const inputs = tx.objectStore("inputs");
    const contents = tx.objectStore("contents");
    inputs.clear();
    list.forEach((meta, order) => inputs.put({ id: meta.id, order, meta: JSON.stringify(meta) }, meta.id));
    const keep = new Set(list.map((m) => m.id));
    // A callback, not an await: the transaction must still be active when the deletes are queued.
    contents.getAllKeys().onsuccess = (e) => {
      for (const k of e.target.result) if (!keep.has(k)) contents.delete(k);
    };
    tx.objectStore("meta").put(true, "saved");
    await done(tx);
  } catch (e) {
    warn("save the inputs", e);
  }
}

/** Stores an input's content: a string, or a Blob (a File) whose bytes the browser keeps. */
export async function saveContent(id, content) {
  try {
    const d = await db();
    const tx = d.transaction(["contents"], "readwrite");
    tx.objectStore("contents").put(content, id);
    await done(tx);
  } catch (e) {
    warn("save an input", e);
  }
}

/** Forgets everything stored (the next start is a first visit). */
export async function clearAll() {
  try {
    const d = await db();
    const tx = d.transaction(["inputs", "contents", "meta"], "readwrite");
    for (const s of ["inputs", "contents", "meta"]) tx.objectStore(s).clear();
    await done(tx);
  } catch (e) {
    warn("clear the saved inputs", e);
  }
}
