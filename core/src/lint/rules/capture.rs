//! What the capture findings share: evidence from the places the engine noted, and examples in messages.

use std::sync::Arc;

use crate::capture::engine::{Example, Signal, Signals, Stamp};
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::{Context, RuleDoc};

/// One finding of `doc` per capture whose `signal` counted anything: the message is the capture's name, `: `, then
/// what `message` writes of the signal; the evidence is the signal's places.
pub(crate) fn per_capture(
    doc: &RuleDoc,
    context: &Context<'_>,
    out: &mut Vec<Finding>,
    signal: impl Fn(&Signals) -> &Signal,
    message: impl Fn(&Signal) -> String,
) {
    for capture in context.captures {
        let signal = signal(&capture.signals);
        if signal.count > 0 {
            out.push(doc.finding(
                format!("{}: {}", capture.source, message(signal)),
                evidence(&capture.source, signal),
            ));
        }
    }
}

/// A place of a capture as evidence: its line in a text capture, its frame in a binary one.
pub(crate) fn evidence(source: &Arc<str>, signal: &Signal) -> Vec<Evidence> {
    signal
        .evidence
        .iter()
        .map(|s: &Stamp| match s.line {
            0 => Evidence::frame(source, s.frame),
            line => Evidence::line(source, line),
        })
        .collect()
}

/// `1 query was` / `3 queries were`.
pub(crate) fn counted(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The first examples, each written by `write`, then `…` when there are more.
pub(crate) fn examples(signal: &Signal, write: impl Fn(&Example) -> String) -> String {
    let mut text: Vec<String> = signal.examples.iter().map(write).collect();
    if signal.count > signal.examples.len() as u64 {
        text.push("…".to_string());
    }
    text.join("; ")
}

/// A duration in seconds with one decimal (`5.0 s`), or in milliseconds below one second.
pub(crate) fn duration(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.1} s", us as f64 / 1e6)
    } else {
        format!("{:.1} ms", us as f64 / 1e3)
    }
}
