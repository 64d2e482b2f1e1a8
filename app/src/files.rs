//! Files in and out of the page: inputs read into JavaScript's memory, texts kept as `Blob`s, downloads.
//!
//! An input's bytes are read from its `Blob` capped, and never into this wasm's memory, so they can be transferred to
//! the engine; a download goes through an object URL revoked once used.

use gloo_file::{Blob, ObjectUrl};
use wasm_bindgen::JsCast;

/// A file's bytes, read no further than the engine's cap and one byte more (so that the analysis says the input
/// is larger than the cap): a 2 GB file dropped by mistake costs 256 MiB, not 2 GB. An unreadable file gives no
/// bytes; it still shows up, as an empty input with the analysis's diagnostic.
pub async fn read_capped(blob: &web_sys::Blob) -> js_sys::Uint8Array {
    let blob = Blob::from(blob.clone());
    let cap = dnatlas_core::MAX_SOURCE_BYTES as u64 + 1;
    let part = if blob.size() > cap {
        blob.slice(0, cap)
    } else {
        blob
    };
    match gloo_file::futures::read_as_array_buffer(&part).await {
        Ok(buffer) => js_sys::Uint8Array::new(&buffer),
        Err(_) => js_sys::Uint8Array::new_with_length(0),
    }
}

/// A `Blob` of a text's UTF-8 bytes (browser memory, not this wasm's).
pub fn text_blob(text: &str) -> web_sys::Blob {
    Blob::new(text).into()
}

/// Hands `text` to the browser as a download named `file_name` (a `blob:` URL: nothing leaves the page).
pub fn download(file_name: &str, mime: &str, text: &str) {
    let url = ObjectUrl::from(Blob::new_with_options(text, Some(mime)));
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    // Dropping `url` revokes it: the click has started the download.
}
