//! dnatlas-core: parse what a customer sent about a Kubernetes node (kube-proxy `iptables-save` dumps first) and
//! rebuild what the node does with Service traffic.
//!
//! The façade is [`analyze`]: inputs in, an [`Analysis`] (plain serde data) out. The core does no I/O, reads no
//! clock, uses no randomness or threads, and never panics on any input; it builds for `wasm32-unknown-unknown`.
//!
//! The modules, bottom-up by layer (`core/tests/layers.rs` keeps them so):
//! - base: [`text`] (lines, decoding), [`diagnostic`] (diagnostics and their budget), [`evidence`] (where a fact
//!   comes from);
//! - sources: [`source`] (one parser per input kind);
//! - model: [`model`] (the Service graph, the cluster model), [`capture::engine`] (DNS transactions);
//! - derivations: [`simulate`] (the netfilter walk), [`dns`] (resolver plans, CoreDNS's answers),
//!   [`capture::lookups`];
//! - lint: [`lint`] (every finding);
//! - output: [`pipeline`] (the analysis: input kinds, their readers, the stages), [`analysis`], [`report`],
//!   [`trace`], [`walk`].

#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod analysis;
pub mod capture;
pub mod diagnostic;
pub mod dns;
pub mod evidence;
pub mod format;
pub mod lint;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod simulate;
pub mod source;
pub mod text;
pub mod trace;
pub mod walk;

pub use analysis::{
    Analysis, CorefileSource, Counts, Evidence, Finding, KubeSource, ResolvSource, SourceReport,
    SCHEMA,
};
pub use diagnostic::{Diagnostic, Parsed, Severity};
pub use model::services::{Endpoint, Service};
pub use pipeline::options::{
    Options, Stage, MAX_DIAGNOSTICS, MAX_LISTED_TRANSACTIONS, MAX_LOOKUP_TRANSACTIONS,
    MAX_SOURCE_BYTES,
};
pub use pipeline::registry::detect;
pub use source::{Kind, Source};

/// Analyses a set of inputs.
pub fn analyze(sources: &[Source<'_>], options: &Options) -> Analysis {
    pipeline::analyze(sources, options, &mut |_| {})
}

/// [`analyze`], telling `progress` where it has got to (see [`Stage`]). The callback only hears about the work;
/// the result is the same.
pub fn analyze_with_progress(
    sources: &[Source<'_>],
    options: &Options,
    progress: &mut dyn FnMut(Stage<'_>),
) -> Analysis {
    pipeline::analyze(sources, options, progress)
}
