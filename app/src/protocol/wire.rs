//! How an envelope travels between the page and the worker: as JSON text, an input's bytes beside it.
//!
//! A message is a plain object `{json}`, with an input's bytes beside the envelope as `bytes`, their buffer
//! transferred (not copied) when they own all of it.

use js_sys::{Array, JsString, Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

const JSON: &str = "json";
const BYTES: &str = "bytes";

/// The object to post for `envelope` (with `bytes` beside it) and its transfer list: the bytes' buffer when they
/// cover all of it (it is detached once posted), else nothing (they are copied).
pub fn pack<T: Serialize>(
    envelope: &T,
    bytes: Option<&Uint8Array>,
) -> Result<(Object, Array), serde_json::Error> {
    let json = serde_json::to_string(envelope)?;
    let message = Object::new();
    let _ = Reflect::set(&message, &JSON.into(), &json.into());
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        let _ = Reflect::set(&message, &BYTES.into(), bytes);
        let buffer = bytes.buffer();
        if bytes.byte_offset() == 0 && bytes.byte_length() == buffer.byte_length() {
            transfer.push(&buffer);
        }
    }
    Ok((message, transfer))
}

/// A posted message's envelope as JSON text, still in JavaScript's memory (so it can be measured before it is
/// copied into this wasm's).
pub fn json(data: &JsValue) -> Option<JsString> {
    Reflect::get(data, &JSON.into()).ok()?.dyn_into().ok()
}

/// The bytes posted beside an envelope.
pub fn bytes(data: &JsValue) -> Option<Uint8Array> {
    Reflect::get(data, &BYTES.into()).ok()?.dyn_into().ok()
}
