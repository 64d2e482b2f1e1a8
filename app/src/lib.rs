//! dnatlas in the browser: a Leptos (CSR) view over `dnatlas_core::analyze`.
//!
//! `main.rs` only mounts [`App`]. The raw inputs live in one [`state::AppState`] provided at the root; the
//! analysis is derived from them; layout is a pure function in [`layout`], tested natively.

pub mod components;
pub mod layout;
pub mod state;

pub use components::app::App;

/// The example case shown on a first visit: a 2017 node's `iptables-save` dump (kube-dns and a 3-replica nginx).
pub const EXAMPLE_NAME: &str = "example-node-2017.txt";
/// Its text.
pub const EXAMPLE_DUMP: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");
