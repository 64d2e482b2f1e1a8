//! Entry point of the web app. In the page: mount and nothing else. In the engine's Web Worker (the same wasm,
//! instantiated by `worker.js`) there is no `window`: nothing is mounted, and `worker.js` calls [`worker_start`].

fn main() {
    console_error_panic_hook::set_once();
    #[cfg(target_arch = "wasm32")]
    if web_sys::window().is_none() {
        return;
    }
    leptos::mount::mount_to_body(dnatlas_app::App);
}

/// Runs the analysis engine in this (worker) thread: installs the handler of the page's messages.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn worker_start() {
    dnatlas_app::worker::start();
}
