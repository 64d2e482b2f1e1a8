//! The analysis as a pipeline: each input is decoded, detected and read by its kind's reader
//! ([`registry::KINDS`]) into an [`intake::Intake`]; then the chains are named, the captures read back into
//! lookups, the lint rules run and the cluster model merged.

pub(crate) mod intake;
pub(crate) mod kinds;
pub mod options;
pub mod registry;

use std::borrow::Cow;

use crate::analysis::{Analysis, SourceReport, SCHEMA};
use crate::capture;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::lint;
use crate::model;
use crate::model::services::Service;
use crate::source::inputs::ResolvSource;
use crate::source::{self, Kind, Source};
use crate::text;
use intake::{Input, Intake, Reading};
use options::{Options, Stage, MAX_DIAGNOSTICS};

/// Analyses a set of inputs, telling `progress` where it has got to (see [`Stage`]).
pub fn analyze(
    sources: &[Source<'_>],
    options: &Options,
    progress: &mut dyn FnMut(Stage<'_>),
) -> Analysis {
    let limit = options.max_source_bytes;
    let bytes_total: u64 = sources.iter().map(|s| s.bytes.len() as u64).sum();
    let mut bytes_done = 0u64;
    let mut reports = Vec::with_capacity(sources.len());
    let mut intake = Intake {
        max_listed_transactions: options.max_listed_transactions,
        ..Intake::default()
    };
    // Each input's bytes as every reader sees them (`text::normalise`): the input itself, or its head when it is
    // over the limit, decoded only when it is UTF-16 or has carriage-return line ends. They outlive the loop, as
    // the node dumps' rules borrow them.
    let normalised: Vec<(Cow<'_, [u8]>, Option<text::Decoded>)> = sources
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
        reports.push(read(source, decoded, note.as_ref(), limit, &mut intake));
    }
    progress(Stage::Reading {
        source: sources.last().map_or("", |s| s.name),
        index: sources.len(),
        count: sources.len(),
        bytes_done,
        bytes_total,
    });
    finish(intake, reports, options, progress)
}

/// Reads one input into the intake and says what was read in it.
fn read<'a>(
    source: &Source<'a>,
    bytes: &'a [u8],
    note: Option<&text::Decoded>,
    limit: usize,
    intake: &mut Intake<'a>,
) -> SourceReport {
    let mut reading = Reading::default();
    if let Some(note) = note {
        reading.diagnostics.push(decoded_note(note));
    }
    if source.bytes.len() > limit {
        reading.diagnostics.push(too_large(bytes, limit));
    }
    let kind = source.kind.unwrap_or_else(|| registry::detect(bytes));
    let input = Input {
        name: source.name,
        bytes,
    };
    match registry::entry(kind) {
        Some(entry) => (entry.read)(&input, intake, &mut reading),
        None => reading.diagnostics.push(unknown_kind(bytes)),
    }
    let Reading {
        diagnostics,
        mut counts,
        generated_by,
        capture,
    } = reading;
    if counts.lines == 0 && !matches!(kind, Kind::Pcap | Kind::Pcapng) {
        counts.lines = text::lines(bytes).count();
    }
    SourceReport {
        name: source.name.to_string(),
        kind,
        bytes: source.bytes.len(),
        counts,
        generated_by,
        capture,
        // Sorted by place and shared fairly: one bad line or one repeated cause cannot hide the rest.
        diagnostics: diagnostic::budget(diagnostics, MAX_DIAGNOSTICS),
    }
}

/// The note on an input that was decoded before it was read.
fn decoded_note(note: &text::Decoded) -> Diagnostic {
    match note {
        text::Decoded::Utf16 {
            big_endian,
            bom,
            invalid,
        } => Diagnostic::new(
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
        ),
        text::Decoded::CrLineEnds => Diagnostic::new(
            Severity::Info,
            "cr-line-ends",
            1,
            1,
            "lines end with a carriage return alone (classic Mac OS, some copy-paste); each is read as a line break",
        ),
    }
}

/// The error on an input cut at the size limit: at its last line read, or on the file for a binary capture.
fn too_large(bytes: &[u8], limit: usize) -> Diagnostic {
    let binary = source::pcap::is_pcap(bytes) || source::pcap::is_pcapng(bytes);
    let line = if binary {
        0
    } else {
        u32::try_from(text::lines(bytes).count()).unwrap_or(u32::MAX)
    };
    Diagnostic::new(
        Severity::Error,
        "input-too-large",
        line,
        u32::from(!binary),
        // A reader that stops one byte past the cap (the CLI, the page) does not know the whole size.
        format!(
            "input of more than {limit} bytes: only the first {limit} bytes (the cap) are read, \
             the rest is ignored"
        ),
    )
}

/// The error on an input no reader takes, saying what it looks like.
fn unknown_kind(bytes: &[u8]) -> Diagnostic {
    let message = if bytes.iter().all(u8::is_ascii_whitespace) {
        "the input is empty".to_string()
    } else if let Some(what) = source::describe_binary(bytes) {
        what
    } else if bytes.get(..4096).unwrap_or(bytes).contains(&0) {
        "binary input of a kind dnatlas does not read".to_string()
    } else {
        "not an iptables-save dump or another kind dnatlas reads".to_string()
    };
    Diagnostic::new(Severity::Error, "unknown-kind", 1, 1, message)
}

/// After every input is read: names comment-less chains, reads the captures back into lookups, runs the lint
/// rules and merges the cluster model.
fn finish(
    intake: Intake<'_>,
    mut reports: Vec<SourceReport>,
    options: &Options,
    progress: &mut dyn FnMut(Stage<'_>),
) -> Analysis {
    let Intake {
        mut nodes,
        kubernetes,
        resolv_confs,
        corefiles,
        mut captures,
        capture_inputs,
        ..
    } = intake;
    progress(Stage::Naming);
    // Names comment-less chains through the hash, before the lints, which read the names.
    let names = model::cluster::name(
        &mut nodes
            .iter_mut()
            .map(|n| (n.name, &mut n.services))
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
            .map(|n| lint::NodeInput::new(n.name, &n.rules, &n.services))
            .collect(),
    };
    progress(Stage::Findings);
    let findings = lint::run(&context);
    // The rulesets are no longer needed: they go before the merged model is built, which keeps the peak low.
    let nodes: Vec<(&str, Vec<Service>)> =
        nodes.into_iter().map(|n| (n.name, n.services)).collect();
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
