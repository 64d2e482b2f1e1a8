//! dnatlas in the browser: a Leptos (CSR) view over `dnatlas_core`.
//!
//! `main.rs` only mounts [`App`] (or, in the engine's Web Worker, nothing: `worker.js` calls `worker::start`). The page ([`state`], [`components`]) never holds the inputs' bytes or the
//! analysis: it asks the [`engine`] through [`client`] with the messages of [`protocol`], and draws the windows it
//! gets back. Layout is a pure function in [`layout`], tested natively.

pub mod client;
pub mod components;
pub mod engine;
pub mod layout;
pub mod persist;
pub mod protocol;
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod worker;

pub use components::app::App;

/// The example case shown on a first visit: a 2017 node's `iptables-save` dump (kube-dns and a 3-replica nginx).
pub const EXAMPLE_NAME: &str = "example-node-2017.txt";
/// Its text.
pub const EXAMPLE_DUMP: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");
