//! The capture findings, one table: a row per code — its documentation (in the code's own file), the signal it
//! reads and how its message is written — and the judgement the transaction engine applies while it reads a
//! capture ([`THRESHOLDS`]): how many examples a finding names, what counts as an A/AAAA pair sent together, how
//! close to the end of a capture a query is too late to hold against it, how long a TCP retry may take.

use std::sync::Arc;

use crate::capture::engine::signals::{Example, Judge, Moment, Signal, SignalKind, Stamp};
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::rules::{
    dns_reply_wrong_source, dns_servfail, dns_timeout_retry, dns_truncated_no_tcp, dns_unanswered,
};
use crate::lint::{Context, Rule, RuleDoc};

/// How many examples a finding names (name, type, client, server).
pub(crate) const EXAMPLES: usize = 3;
/// How many places (lines or frames) a finding cites.
pub(crate) const PLACES: usize = 20;
/// An A and an AAAA query of one socket sent this close together count as sent together (the conntrack race).
pub(crate) const TOGETHER_US: u64 = 10_000;
/// Queries and truncated answers this close to the end of a capture are not held against it: the capture may
/// have stopped before the answer or the TCP retry.
pub(crate) const END_GRACE_US: u64 = 2_000_000;
/// How long after a truncated UDP answer a TCP query for the same name and type still counts as its retry.
pub(crate) const TCP_RETRY_US: u64 = 30_000_000;

/// The capture findings' judgement, as the engine applies it (`analyze` hands it to every capture's grouper).
#[derive(Debug)]
pub(crate) struct Thresholds;

/// The one judgement of the capture findings.
pub(crate) static THRESHOLDS: Thresholds = Thresholds;

impl Judge for Thresholds {
    fn examples(&self) -> usize {
        EXAMPLES
    }

    fn places(&self) -> usize {
        PLACES
    }

    /// Within [`TOGETHER_US`] of each other; without timestamps, back to back.
    fn sent_together(&self, first: Moment, second: Moment) -> bool {
        match (first.time, second.time) {
            (Some(t0), Some(t1)) => t1.abs_diff(t0) <= TOGETHER_US,
            (None, None) => first.frame.saturating_add(1) == second.frame,
            _ => false,
        }
    }

    /// [`END_GRACE_US`] or more before the end; without timestamps, any packet but the last.
    fn went_on_after(&self, at: Moment, end: Moment) -> bool {
        match (at.time, end.time) {
            (Some(t), Some(end_time)) => end_time.saturating_sub(t) >= END_GRACE_US,
            _ => at.frame < end.frame,
        }
    }

    fn tcp_retry_us(&self) -> u64 {
        TCP_RETRY_US
    }
}

/// One capture finding: its documentation (code, severity, title, what, why, example, fix), the signal it reads,
/// and its message (after the capture's name) from that signal.
pub(crate) struct CaptureRule {
    /// The documentation.
    pub(crate) doc: &'static RuleDoc,
    /// The signal it reads.
    pub(crate) signal: SignalKind,
    /// What it says of the signal.
    pub(crate) message: fn(&Signal) -> String,
}

/// The capture findings, in catalog order.
pub(crate) static TABLE: [CaptureRule; 5] = [
    CaptureRule {
        doc: &dns_timeout_retry::DOC,
        signal: SignalKind::Retried,
        message: dns_timeout_retry::message,
    },
    CaptureRule {
        doc: &dns_unanswered::DOC,
        signal: SignalKind::Unanswered,
        message: dns_unanswered::message,
    },
    CaptureRule {
        doc: &dns_truncated_no_tcp::DOC,
        signal: SignalKind::TruncatedNoTcp,
        message: dns_truncated_no_tcp::message,
    },
    CaptureRule {
        doc: &dns_reply_wrong_source::DOC,
        signal: SignalKind::WrongSource,
        message: dns_reply_wrong_source::message,
    },
    CaptureRule {
        doc: &dns_servfail::DOC,
        signal: SignalKind::Failed,
        message: dns_servfail::message,
    },
];

/// One finding per capture whose signal counted anything: the capture's name, `: `, the row's message; the
/// signal's places as evidence.
impl Rule for CaptureRule {
    fn doc(&self) -> &'static RuleDoc {
        self.doc
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for capture in context.captures {
            let signal = capture.signals.get(self.signal);
            if signal.count > 0 {
                out.push(self.doc.finding(
                    format!("{}: {}", capture.source, (self.message)(signal)),
                    evidence(&capture.source, signal),
                ));
            }
        }
    }
}

/// A place of a capture as evidence: its line in a text capture, its frame in a binary one.
fn evidence(source: &Arc<str>, signal: &Signal) -> Vec<Evidence> {
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

/// One example query as the capture findings' messages name it: `name type from client to server`.
pub(crate) fn query(e: &Example) -> String {
    format!("{} {} from {} to {}", e.name, e.qtype, e.client, e.server)
}

/// The examples, each written by `write`, then `…` when there are more.
pub(crate) fn examples(signal: &Signal, write: impl Fn(&Example) -> String) -> String {
    let mut text: Vec<String> = signal.examples.iter().map(write).collect();
    if signal.count > signal.examples.len() as u64 {
        text.push("…".to_string());
    }
    text.join("; ")
}

pub(crate) use crate::format::duration;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::engine::signals::Signals;
    use crate::capture::engine::{Grouper, Limits};
    use crate::source::tcpdump;

    fn grouped(text: &str, judged: bool) -> Signals {
        let parsed = tcpdump::parse(text.as_bytes());
        let mut g = Grouper::new("c".into(), Limits::default());
        if judged {
            g = g.judged_by(&THRESHOLDS);
        }
        for p in &parsed.value.packets {
            g.push(&tcpdump::compact(p));
        }
        g.finish().signals
    }

    fn signals(text: &str) -> Signals {
        grouped(text, true)
    }

    #[test]
    fn the_race_is_seen_however_long_the_timeout() {
        // `options timeout:12`: the lost AAAA is re-sent 12 s later, long after its answered A twin was closed.
        let s = signals(
            "10:00:00.000000 IP 10.0.0.1.1000 > 10.96.0.10.53: 1+ A? a.example. (27)\n\
             10:00:00.000010 IP 10.0.0.1.1000 > 10.96.0.10.53: 2+ AAAA? a.example. (27)\n\
             10:00:00.000500 IP 10.96.0.10.53 > 10.0.0.1.1000: 1 0/0/0 (27)\n\
             10:00:12.000010 IP 10.0.0.1.1000 > 10.96.0.10.53: 2+ AAAA? a.example. (27)\n\
             10:00:12.000600 IP 10.96.0.10.53 > 10.0.0.1.1000: 2 0/0/0 (27)\n",
        );
        assert_eq!((s.retried.count, s.retried.race), (1, 1));
        assert_eq!(s.retried.examples[0].gap_us, Some(12_000_000));
        let lines: Vec<u32> = s.retried.evidence.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 4, 5]);
        // Both lost and re-sent: not the race (nothing was answered at once); nor a pair sent 50 ms apart.
        let s = signals(
            "10:00:00.000000 IP 10.0.0.1.1000 > 10.96.0.10.53: 1+ A? a.example. (27)\n\
             10:00:00.000010 IP 10.0.0.1.1000 > 10.96.0.10.53: 2+ AAAA? a.example. (27)\n\
             10:00:05.000000 IP 10.0.0.1.1000 > 10.96.0.10.53: 1+ A? a.example. (27)\n\
             10:00:05.000010 IP 10.0.0.1.1000 > 10.96.0.10.53: 2+ AAAA? a.example. (27)\n\
             10:00:05.000500 IP 10.96.0.10.53 > 10.0.0.1.1000: 1 0/0/0 (27)\n\
             10:00:05.000600 IP 10.96.0.10.53 > 10.0.0.1.1000: 2 0/0/0 (27)\n\
             10:00:06.000000 IP 10.0.0.1.1001 > 10.96.0.10.53: 3+ A? b.example. (27)\n\
             10:00:06.050000 IP 10.0.0.1.1001 > 10.96.0.10.53: 4+ AAAA? b.example. (27)\n\
             10:00:06.050500 IP 10.96.0.10.53 > 10.0.0.1.1001: 3 0/0/0 (27)\n\
             10:00:11.050000 IP 10.0.0.1.1001 > 10.96.0.10.53: 4+ AAAA? b.example. (27)\n\
             10:00:11.050500 IP 10.96.0.10.53 > 10.0.0.1.1001: 4 0/0/0 (27)\n",
        );
        assert_eq!((s.retried.count, s.retried.race), (3, 0));
    }

    #[test]
    fn a_grouper_without_the_judgement_gathers_no_signals() {
        let text = "10:00:00.000000 IP 10.0.0.1.1000 > 10.96.0.10.53: 1+ A? a.example. (27)\n\
                    10:00:05.000000 IP 10.0.0.1.1000 > 10.96.0.10.53: 1+ A? a.example. (27)\n\
                    10:00:05.000500 IP 10.96.0.10.53 > 10.0.0.1.1000: 1 ServFail 0/0/0 (27)\n\
                    10:00:06.000000 IP 10.0.0.1.1001 > 10.96.0.10.53: 2+ A? b.example. (27)\n\
                    10:00:09.000000 IP 10.0.0.1.1002 > 10.96.0.10.53: 3+ A? c.example. (27)\n";
        let judged = signals(text);
        let counts = |s: &Signals| {
            TABLE
                .iter()
                .map(|row| s.get(row.signal).count)
                .collect::<Vec<_>>()
        };
        // A retry that failed; b is unanswered 3 s before the end, c too close to it to count.
        assert_eq!(counts(&judged), [1, 1, 0, 0, 1]);
        assert_eq!(grouped(text, false), Signals::default());
    }

    #[test]
    fn the_rules_documentation_states_the_thresholds() {
        assert!(dns_timeout_retry::DOC
            .what
            .contains(&format!("within {} ms", TOGETHER_US / 1_000)));
        for doc in [&dns_unanswered::DOC, &dns_truncated_no_tcp::DOC] {
            assert!(
                doc.what
                    .contains(&format!("in the last {} s", END_GRACE_US / 1_000_000)),
                "{}",
                doc.code
            );
        }
        assert!(dns_truncated_no_tcp::DOC
            .what
            .contains(&format!("within {} s", TCP_RETRY_US / 1_000_000)));
    }

    #[test]
    fn the_table_reads_each_signal_once() {
        let kinds: Vec<SignalKind> = TABLE.iter().map(|row| row.signal).collect();
        for (i, kind) in kinds.iter().enumerate() {
            assert!(!kinds[..i].contains(kind), "{kind:?} read twice");
        }
        let codes: Vec<&str> = TABLE.iter().map(|row| row.doc.code).collect();
        assert_eq!(
            codes,
            [
                "dns-timeout-retry",
                "dns-unanswered",
                "dns-truncated-no-tcp",
                "dns-reply-wrong-source",
                "dns-servfail"
            ]
        );
    }
}
