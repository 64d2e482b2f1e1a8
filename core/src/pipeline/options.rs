//! The settings of an analysis and their defaults.

/// The largest input read by default, in bytes; the rest of a larger one is ignored with a diagnostic. A
/// 50,000-Service dump is about 153 MB.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024 * 1024;

/// The most diagnostics kept per input, shared fairly between their codes ([`crate::diagnostic::budget`]); notes
/// say how many more there were.
pub const MAX_DIAGNOSTICS: usize = 500;

/// The most capture transactions listed in an analysis by default; later ones are counted in the summary and
/// checked for findings.
pub const MAX_LISTED_TRANSACTIONS: usize = 100_000;

/// The most transactions of each capture read back into lookups by default (the first ones): comparing a lookup
/// with the resolvers' plans and explaining it costs tens of microseconds, so a long capture's lookups are
/// sampled from its start, with an info diagnostic, while its transactions and findings still cover all of it.
pub const MAX_LOOKUP_TRANSACTIONS: usize = 4_000;

/// Settings of an analysis.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most bytes read of each input ([`MAX_SOURCE_BYTES`] by default).
    pub max_source_bytes: usize,
    /// The most capture transactions listed, over all capture inputs ([`MAX_LISTED_TRANSACTIONS`] by default).
    pub max_listed_transactions: usize,
    /// The most transactions of each capture read back into lookups ([`MAX_LOOKUP_TRANSACTIONS`] by default).
    pub max_lookup_transactions: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_source_bytes: MAX_SOURCE_BYTES,
            max_listed_transactions: MAX_LISTED_TRANSACTIONS,
            max_lookup_transactions: MAX_LOOKUP_TRANSACTIONS,
        }
    }
}

/// Where [`crate::analyze_with_progress`] has got to. Reading the inputs is most of the time on large inputs, so
/// it is reported per input with bytes; the later stages are reported as they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage<'a> {
    /// About to read input `index` (0-based) of `count`, named `source`; `bytes_done` of `bytes_total` bytes of all
    /// the inputs were read before it. Sent once more with `index == count` and `bytes_done == bytes_total` after
    /// the last input.
    Reading {
        /// The input's name (the last input's after the last one).
        source: &'a str,
        /// Its position among the inputs.
        index: usize,
        /// The number of inputs.
        count: usize,
        /// Bytes of the inputs before it.
        bytes_done: u64,
        /// Bytes of all the inputs.
        bytes_total: u64,
    },
    /// Naming comment-less chains through kube-proxy's hash.
    Naming,
    /// Reading the captures' transactions back into lookups.
    Lookups,
    /// Running the lint rules.
    Findings,
    /// Merging the nodes and kubectl objects into the cluster model.
    Merging,
}

impl Stage<'_> {
    /// A short description for a progress bar, e.g. `reading node-a.txt`.
    pub fn label(&self) -> String {
        match self {
            Stage::Reading {
                source,
                index,
                count,
                ..
            } if index < count => format!("reading {source}"),
            Stage::Reading { .. } => "read every input".to_string(),
            Stage::Naming => "naming chains".to_string(),
            Stage::Lookups => "reading lookups back from captures".to_string(),
            Stage::Findings => "checking for findings".to_string(),
            Stage::Merging => "building the cluster model".to_string(),
        }
    }
}
