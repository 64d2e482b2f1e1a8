//! dnatlas-core: parse what a customer sent about a Kubernetes node (kube-proxy `iptables-save` dumps first) and
//! rebuild what the node does with Service traffic.
//!
//! The façade is [`analyze`]: inputs in, an [`Analysis`] (plain serde data) out. The core does no I/O, reads no
//! clock, uses no randomness or threads, and never panics on any input; it builds for `wasm32-unknown-unknown`.

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
pub mod lint;
pub mod model;
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
use source::inputs::{CorefileRead, KubeRead};
pub use source::{detect, Kind, Source};

/// The largest input read by default, in bytes; the rest of a larger one is ignored with a diagnostic. A
/// 50,000-Service dump is about 153 MB.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024 * 1024;

/// The most diagnostics kept per input, shared fairly between their codes ([`diagnostic::budget`]); notes say how
/// many more there were.
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

/// Adds one capture's transactions to the analysis's, renumbering the wrong-source replies' transactions.
fn add_capture(captures: &mut Option<capture::Captures>, grouped: capture::engine::Grouped) {
    let all = captures.get_or_insert_with(capture::Captures::default);
    let base = all.transactions.len();
    let capture::Transactions {
        transactions,
        wrong_source,
        unmatched,
    } = grouped.transactions;
    all.transactions.extend(transactions);
    all.wrong_source
        .extend(wrong_source.into_iter().map(|mut w| {
            w.transaction = w.transaction.map(|i| i + base);
            w
        }));
    all.unmatched.extend(unmatched);
    all.summary.merge(&grouped.summary);
}

/// The lookups of every capture's listed transactions (a capture's transactions are consecutive), with their
/// `queries` indexing the whole list; at most `max` transactions of each capture, the first, with an info
/// diagnostic on a capture that has more.
fn capture_lookups(
    transactions: &[capture::Transaction],
    confs: &[ResolvSource],
    max: usize,
    reports: &mut [SourceReport],
) -> Vec<capture::lookups::Lookup> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(first) = transactions.get(start) {
        let len = transactions
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|t| t.source == first.source)
            .count();
        let run = transactions
            .get(start..start + len.min(max))
            .unwrap_or_default();
        if len > max {
            if let Some(report) = reports.iter_mut().find(|r| *r.name == *first.source) {
                // At the capture's first transaction: its line in text, its frame in a binary capture.
                let mut note = Diagnostic::new(
                    Severity::Info,
                    "lookups-sampled",
                    first.line,
                    u32::from(first.line > 0),
                    format!(
                        "lookups are read back from the first {max} of the capture's {len} listed transactions; \
                         the transactions, summary and findings cover all of them"
                    ),
                );
                if first.line == 0 {
                    note.frame = Some(first.frame);
                }
                report.diagnostics.push(note);
            }
        }
        let times: Vec<Option<u64>> = run.iter().map(|t| t.time_us).collect();
        out.extend(
            capture::lookups::lookups_timed(run, &times, confs)
                .into_iter()
                .map(|mut l| {
                    l.queries.iter_mut().for_each(|q| *q += start);
                    l
                }),
        );
        start += len.max(1);
    }
    out
}

/// Where [`analyze_with_progress`] has got to. Reading the inputs is most of the time on large inputs, so it is
/// reported per input with bytes; the later stages are reported as they start.
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

/// Analyses a set of inputs.
pub fn analyze(sources: &[Source<'_>], options: &Options) -> Analysis {
    analyze_with_progress(sources, options, &mut |_| {})
}

/// [`analyze`], telling `progress` where it has got to (see [`Stage`]). The callback only hears about the work;
/// the result is the same.
pub fn analyze_with_progress(
    sources: &[Source<'_>],
    options: &Options,
    progress: &mut dyn FnMut(Stage<'_>),
) -> Analysis {
    let limit = options.max_source_bytes;
    let bytes_total: u64 = sources.iter().map(|s| s.bytes.len() as u64).sum();
    let mut bytes_done = 0u64;
    let mut reports = Vec::with_capacity(sources.len());
    // Each node dump's name, rules and Service ports, kept for the lint rules. The rules stay the parser's view,
    // which borrows the input's text: an owned copy of a 10,000-Service dump would cost more than the analysis.
    let mut nodes: Vec<(&str, source::iptables::RulesetView<'_>, Vec<Service>)> = Vec::new();
    let mut kubernetes: Vec<KubeSource> = Vec::new();
    let mut resolv_confs: Vec<ResolvSource> = Vec::new();
    let mut captures: Option<capture::Captures> = None;
    let mut capture_inputs: Vec<lint::CaptureInput> = Vec::new();
    let mut corefiles: Vec<CorefileSource> = Vec::new();
    // Each input's bytes as every reader sees them (`text::normalise`): the input itself, or its head when it is
    // over the limit, decoded only when it is UTF-16 or has carriage-return line ends. They outlive the loop, as
    // the node dumps' rules borrow them.
    let normalised: Vec<(std::borrow::Cow<'_, [u8]>, Option<text::Decoded>)> = sources
        .iter()
        .map(|s| text::normalise_noting(s.bytes.get(..limit).unwrap_or(s.bytes)))
        .collect();
    for ((index, source), (decoded, note)) in sources.iter().enumerate().zip(&normalised) {
        progress(Stage::Reading {
            source: source.name,
            index,
            count: sources.len(),
            bytes_done,
            bytes_total,
        });
        bytes_done += source.bytes.len() as u64;
        let mut diagnostics = Vec::new();
        let bytes: &[u8] = decoded;
        match note {
            Some(text::Decoded::Utf16 {
                big_endian,
                bom,
                invalid,
            }) => diagnostics.push(Diagnostic::new(
                Severity::Info,
                "decoded-utf16",
                1,
                1,
                format!(
                    "UTF-16 {} text{} decoded to UTF-8{}",
                    if *big_endian { "big-endian" } else { "little-endian" },
                    match (bom, big_endian) {
                        (true, false) => " (its byte order mark FF FE is what Windows PowerShell's `>` writes)",
                        (true, true) => " (byte order mark FE FF)",
                        (false, _) => " without a byte order mark",
                    },
                    if *invalid > 0 {
                        format!(
                            "; {} invalid code units were replaced by U+FFFD",
                            diagnostic::thousands(*invalid as u64)
                        )
                    } else {
                        String::new()
                    }
                ),
            )),
            Some(text::Decoded::CrLineEnds) => diagnostics.push(Diagnostic::new(
                Severity::Info,
                "cr-line-ends",
                1,
                1,
                "lines end with a carriage return alone (classic Mac OS, some copy-paste); each is read as a line break",
            )),
            None => {}
        }
        if source.bytes.len() > limit {
            // A binary capture has no lines: the note is about the file.
            let binary = source::pcap::is_pcap(bytes) || source::pcap::is_pcapng(bytes);
            let line = if binary {
                0
            } else {
                u32::try_from(text::lines(bytes).count()).unwrap_or(u32::MAX)
            };
            diagnostics.push(Diagnostic::new(
                Severity::Error,
                "input-too-large",
                line,
                u32::from(!binary),
                // A reader that stops one byte past the cap (the CLI, the page) does not know the whole size.
                format!(
                    "input of more than {limit} bytes: only the first {limit} bytes (the cap) are read, \
                     the rest is ignored"
                ),
            ));
        }
        let kind = source.kind.unwrap_or_else(|| detect(bytes));
        // The parser counts lines as it reads them; other kinds are counted below.
        let mut counts = Counts::default();
        let mut generated_by = None;
        let mut capture_summary = None;
        match kind {
            Kind::IptablesSave => {
                // The graph is built from the parser's view of the input, which borrows its text.
                let parsed = source::iptables::parse_view(bytes);
                diagnostics.extend(parsed.diagnostics);
                let (found, graph_diagnostics) =
                    model::services::build_view(source.name, &parsed.value);
                diagnostics.extend(graph_diagnostics);
                counts.lines = parsed.value.line_count();
                counts.tables = parsed.value.table_count();
                counts.chains = parsed.value.chain_count();
                counts.rules = parsed.value.rule_count();
                counts.services = found.len();
                counts.endpoints = found.iter().map(|s| s.endpoints.len()).sum();
                generated_by = parsed.value.generated_by().map(str::to_string);
                nodes.push((source.name, parsed.value, found));
            }
            Kind::IptablesList => {
                let parsed = source::iptables_list::parse(bytes);
                diagnostics.extend(parsed.diagnostics);
                let (found, graph_diagnostics) = model::services::build(source.name, &parsed.value);
                diagnostics.extend(graph_diagnostics);
                counts.tables = parsed.value.tables.len();
                counts.chains = parsed.value.chain_count();
                counts.rules = parsed.value.rule_count();
                counts.services = found.len();
                counts.endpoints = found.iter().map(|s| s.endpoints.len()).sum();
                nodes.push((
                    source.name,
                    source::iptables::RulesetView::from_ruleset(&parsed.value),
                    found,
                ));
            }
            Kind::ResolvConf => {
                let parsed = source::resolv_conf::parse(bytes);
                diagnostics.extend(parsed.diagnostics);
                resolv_confs.push(ResolvSource::new(&source.name.into(), parsed.value));
            }
            Kind::Corefile => {
                let parsed = source::corefile::parse(&source::corefile::view(bytes));
                diagnostics.extend(parsed.diagnostics);
                counts.add_corefile(&parsed.value);
                corefiles.push(CorefileSource::new(
                    &source.name.into(),
                    CorefileRead {
                        config_map: None,
                        string_line: None,
                        corefile: parsed.value,
                    },
                ));
            }
            Kind::Kubectl => {
                let parsed = source::kubectl::parse(bytes);
                diagnostics.extend(parsed.diagnostics);
                for config_map in &parsed.value.config_maps {
                    let found = embedded_corefile(source.name, config_map, &mut diagnostics);
                    counts.add_corefile(&found.corefile);
                    corefiles.push(found);
                }
                counts.services = parsed.value.services.len();
                counts.endpoints = parsed
                    .value
                    .endpoints
                    .iter()
                    .flat_map(|e| e.subsets.iter())
                    .map(|s| s.addresses.len())
                    .sum::<usize>()
                    + parsed
                        .value
                        .endpoint_slices
                        .iter()
                        .map(|s| s.endpoints.len())
                        .sum::<usize>();
                kubernetes.push(KubeSource::new(
                    &source.name.into(),
                    KubeRead {
                        format: source::kubectl::detect(bytes).map(|f| f.as_str().to_string()),
                        objects: parsed.value,
                    },
                ));
            }
            Kind::Tcpdump | Kind::Pcap | Kind::Pcapng => {
                let listed = captures.as_ref().map_or(0, |c| c.transactions.len());
                let limits = capture::Limits {
                    max_listed: options.max_listed_transactions.saturating_sub(listed),
                    ..capture::Limits::default()
                };
                let mut grouper = capture::Grouper::new(source.name.into(), limits)
                    .judged_by(&lint::rules::capture::THRESHOLDS);
                if kind == Kind::Tcpdump {
                    let parsed = source::tcpdump::parse(bytes);
                    diagnostics.extend(parsed.diagnostics);
                    grouper.add_packets(parsed.value.packets.len() as u64);
                    for packet in &parsed.value.packets {
                        grouper.push(&source::tcpdump::compact(packet));
                    }
                } else {
                    diagnostics.extend(source::pcap::read(bytes, &mut grouper));
                }
                let grouped = grouper.finish();
                diagnostics.extend(grouped.diagnostics.iter().cloned());
                counts.packets = grouped.summary.packets;
                counts.dns_messages = grouped.summary.dns_messages;
                counts.transactions = grouped.summary.transactions;
                capture_summary = Some(grouped.summary.clone());
                capture_inputs.push(lint::CaptureInput {
                    source: source.name.into(),
                    signals: grouped.signals.clone(),
                });
                add_capture(&mut captures, grouped);
            }
            Kind::Unknown => {
                let message = if bytes.iter().all(u8::is_ascii_whitespace) {
                    "the input is empty".to_string()
                } else if let Some(what) = source::describe_binary(bytes) {
                    what
                } else if bytes.get(..4096).unwrap_or(bytes).contains(&0) {
                    "binary input of a kind dnatlas does not read".to_string()
                } else {
                    "not an iptables-save dump or another kind dnatlas reads".to_string()
                };
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    "unknown-kind",
                    1,
                    1,
                    message,
                ));
            }
        }
        if counts.lines == 0 && !matches!(kind, Kind::Pcap | Kind::Pcapng) {
            counts.lines = text::lines(bytes).count();
        }
        // Sorted by place and shared fairly: one bad line or one repeated cause cannot hide the rest.
        let diagnostics = diagnostic::budget(diagnostics, MAX_DIAGNOSTICS);
        reports.push(SourceReport {
            name: source.name.to_string(),
            kind,
            bytes: source.bytes.len(),
            counts,
            generated_by,
            capture: capture_summary,
            diagnostics,
        });
    }
    progress(Stage::Reading {
        source: sources.last().map_or("", |s| s.name),
        index: sources.len(),
        count: sources.len(),
        bytes_done,
        bytes_total,
    });
    progress(Stage::Naming);
    // Names comment-less chains through the hash, before the lints, which read the names.
    let names = model::cluster::name(
        &mut nodes
            .iter_mut()
            .map(|(n, _, s)| (*n, s))
            .collect::<Vec<_>>(),
        &kubernetes,
    );
    if let Some(captures) = captures.as_mut() {
        progress(Stage::Lookups);
        captures.lookups = capture_lookups(
            &captures.transactions,
            &resolv_confs,
            options.max_lookup_transactions,
            &mut reports,
        );
    }
    let context = lint::Context {
        kubernetes: &kubernetes,
        resolv_confs: &resolv_confs,
        captures: &capture_inputs,
        corefiles: &corefiles,
        lookups: captures.as_ref().map_or(&[], |c| c.lookups.as_slice()),
        nodes: nodes
            .iter()
            .map(|(name, ruleset, services)| lint::NodeInput::new(name, ruleset, services))
            .collect(),
    };
    progress(Stage::Findings);
    let findings = lint::run(&context);
    // The rulesets are no longer needed: they go before the merged model is built, which keeps the peak low.
    let nodes: Vec<(&str, Vec<Service>)> = nodes.into_iter().map(|(n, _, s)| (n, s)).collect();
    progress(Stage::Merging);
    let cluster = model::cluster::merge(
        names,
        &nodes
            .iter()
            .map(|(n, s)| (*n, s.as_slice()))
            .collect::<Vec<_>>(),
        &kubernetes,
    );
    let mut services: Vec<Service> = nodes.into_iter().flat_map(|(_, s)| s).collect();
    services.sort_by(|a, b| {
        (
            &a.namespace,
            &a.name,
            &a.port_name,
            &a.protocol,
            &a.source,
            &a.cluster_ip,
        )
            .cmp(&(
                &b.namespace,
                &b.name,
                &b.port_name,
                &b.protocol,
                &b.source,
                &b.cluster_ip,
            ))
    });
    Analysis {
        schema: SCHEMA.to_string(),
        sources: reports,
        services,
        kubernetes,
        resolv_confs,
        corefiles,
        findings,
        cluster,
        captures,
    }
}

/// Parses the Corefile of a ConfigMap read from kubectl output named `name`. A YAML block's lines are parsed where
/// they stand in the input (blank lines above, the block's indentation before each line: Caddyfile syntax does
/// not care), so every line and column is the input's; a Corefile that is one JSON string is parsed alone, and
/// its diagnostics point at that string's line with the Corefile's own line and column in the message.
fn embedded_corefile(
    name: &str,
    config_map: &source::kubectl::model::KubeConfigMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> CorefileSource {
    use source::kubectl::model::TextAt;
    let label = match &config_map.namespace {
        Some(namespace) => format!("{namespace}/{}", config_map.name),
        None => config_map.name.clone(),
    };
    let text = &config_map.corefile;
    let (parsed, string_line) = match config_map.corefile_at {
        Some(TextAt::Lines { first_line, indent }) => {
            let indent = " ".repeat(usize::try_from(indent).unwrap_or(0).min(1024));
            let blank = usize::try_from(first_line.saturating_sub(1)).unwrap_or(0);
            let mut placed = String::with_capacity(text.len() + blank + 64);
            placed.extend(std::iter::repeat_n('\n', blank));
            for line in text.lines() {
                if !line.is_empty() {
                    placed.push_str(&indent);
                    placed.push_str(line);
                }
                placed.push('\n');
            }
            (source::corefile::parse(placed.as_bytes()), None)
        }
        Some(TextAt::String { line }) => (source::corefile::parse(text.as_bytes()), Some(line)),
        None => (
            source::corefile::parse(text.as_bytes()),
            Some(config_map.line),
        ),
    };
    for d in parsed.diagnostics {
        diagnostics.push(match string_line {
            Some(line) => Diagnostic::new(
                d.severity,
                &d.code,
                line,
                1,
                format!(
                    "Corefile of ConfigMap {label}, its line {} column {}: {}",
                    d.line, d.column, d.message
                ),
            ),
            None => Diagnostic {
                message: format!("Corefile of ConfigMap {label}: {}", d.message),
                ..d
            },
        });
    }
    CorefileSource::new(
        &name.into(),
        CorefileRead {
            config_map: Some(label),
            string_line,
            corefile: parsed.value,
        },
    )
}
