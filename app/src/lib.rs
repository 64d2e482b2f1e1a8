//! dnatlas in the browser: a Leptos (CSR) view over `dnatlas_core`.
//!
//! `main.rs` only mounts [`App`] (or, in the engine's Web Worker, nothing: `worker.js` calls `worker::start`). The page ([`state`], [`components`]) never holds the inputs' bytes or the
//! analysis: it asks the [`engine`] through [`client`] with the messages of [`protocol`], and draws the windows it
//! gets back. Layout is a pure function in [`layout`], tested natively.

pub mod client;
pub mod components;
pub mod engine;
pub mod files;
pub mod layout;
pub mod owned;
pub mod persist;
pub mod protocol;
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod worker;

pub use components::app::App;

/// The example case shown on a first visit is seed 004, a 2017 single-node cluster: its `iptables-save` dump
/// (kube-dns and a 3-replica nginx; in the paste area)…
pub const EXAMPLE_NAME: &str = "example-node-2017.txt";
/// …its text…
pub const EXAMPLE_DUMP: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");
/// …and, as files beside it, the kubectl output, the pod's resolv.conf and the tcpdump of `nslookup nginx` from
/// 10.244.0.20, all from the same case: enough for every view (map, findings, trace, captures).
pub const EXAMPLE_FILES: [(&str, &str); 3] = [
    (
        "example-kubectl.txt",
        include_str!("../../fixtures/trace/seed-004/kubectl.txt"),
    ),
    (
        "example-pod-resolv.conf",
        include_str!("../../fixtures/trace/seed-004/resolv.conf"),
    ),
    (
        "example-tcpdump.txt",
        include_str!("../../fixtures/tcpdump/seed-004/capture.txt"),
    ),
];
