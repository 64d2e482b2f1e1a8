//! The transaction engine: DNS messages in, one at a time; transactions, counts, a latency histogram and what the
//! capture findings need out.
//!
//! [`Grouper::push`] takes each [`Packet`] of a capture in capture order and applies `transactions.rs`'s rules: a
//! query is keyed by client socket, server socket, id, name (case-insensitive) and type; copies while unanswered are
//! retransmissions; a response answers the earliest unanswered transaction of its client socket and id whose server
//! is the response's source (question checked when the response has one), is a reply from the wrong source when
//! only a query to another server matches, and is unmatched otherwise.
//!
//! Memory stays bounded however long the capture: an unanswered transaction is kept for matching until
//! [`Limits::window_us`] of capture time (30 s) has passed since its last query copy — then it is closed and counts
//! as unanswered — and an answered one for [`Limits::answered_window_us`] (5 s) after its answer, which a duplicate
//! answer or a resend of the same query still finds. The open transactions are those of the last 30 s at most,
//! whatever the length of the capture. Times are the capture's own (a time of day wraps at midnight), and
//! a capture without timestamps keeps every transaction open until its end. Names are interned while a transaction
//! or pending check uses them. At most [`Limits::max_listed`] transactions are listed (100,000); later ones are still
//! counted in the [`Summary`] and checked for the findings. At most [`Limits::max_strays`] wrong-source and
//! unmatched replies are listed.
//!
//! For the findings, a grouper given the lint rules' `Judge` (`lint/rules/capture.rs`) records per capture the
//! signals (`Signals`): transactions answered only after a resend (and whether the A and AAAA queries of one
//! socket were sent together with only one of them lost: the conntrack race), transactions never answered,
//! truncated UDP answers with no later TCP query from the client's address for the same name and type, replies
//! from the wrong source, and SERVFAIL or REFUSED answers — each counted, with its earliest examples and places.
//! What counts as sent together, how close to the end of a capture a query is too late to hold against it, how
//! long a TCP retry may take and how many examples to keep are the judge's: the rules decide, the engine records.
//!
//! `grouper.rs` takes queries, `replies.rs` responses, `closing.rs` closes transactions and finishes;
//! `state.rs` is their working state, `records.rs` answer records and sockets as text, `summary.rs` the counts
//! and latency histogram, `signals.rs` what the findings read.

mod closing;
mod grouper;
mod records;
mod replies;
pub(crate) mod signals;
mod state;
pub mod summary;

pub use grouper::Grouper;
pub use summary::{Bucket, Latency, Summary};

use super::transactions::Transactions;
use crate::diagnostic::Diagnostic;
use crate::source::packet::Packet;
use crate::source::tcpdump;
use signals::Signals;

/// How much the engine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Transactions listed (later ones are only counted).
    pub max_listed: usize,
    /// Wrong-source and unmatched replies listed, each.
    pub max_strays: usize,
    /// Capture time after its last query copy for which an unanswered transaction is kept for matching.
    pub window_us: u64,
    /// Capture time after its answer for which a transaction is kept (so that a late duplicate answer still
    /// finds it, and a resent query with the same key still counts as answered).
    pub answered_window_us: u64,
    /// A copy of a query this soon after the previous one is the same packet seen again — on a second interface of
    /// a `tcpdump -i any` capture (a pod's veth and the bridge, the bridge and the uplink) — not a retransmission:
    /// resolvers wait at least a second (glibc's and musl's `timeout:1` is the shortest) before re-sending.
    pub copy_window_us: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_listed: 100_000,
            max_strays: 10_000,
            window_us: 30_000_000,
            answered_window_us: 5_000_000,
            copy_window_us: 10_000,
        }
    }
}

/// What the engine made of one capture.
#[derive(Debug, Clone)]
pub struct Grouped {
    /// The listed transactions and stray replies.
    pub transactions: Transactions,
    /// The counts and the latency histogram.
    pub summary: Summary,
    /// Answer sections that could not be decoded, and a note when transactions were not listed.
    pub diagnostics: Vec<Diagnostic>,
    pub(crate) signals: Signals,
}

/// Groups the DNS packets of a text capture named `source` into transactions.
pub fn group(source: &str, packets: &[tcpdump::Packet]) -> Transactions {
    let mut grouper = Grouper::new(source.into(), Limits::default());
    for packet in packets {
        grouper.push(&tcpdump::compact(packet));
    }
    grouper.finish().transactions
}

/// The pcap reader hands its packets straight to the engine.
impl crate::source::packet::PacketSink for Grouper {
    fn reserve(&mut self, n: usize) {
        Grouper::reserve(self, n);
    }

    fn push(&mut self, packet: &Packet<'_>) {
        Grouper::push(self, packet);
    }

    fn add_packets(&mut self, n: u64) {
        Grouper::add_packets(self, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::packet::{Answers, Host, Sock, Transport};
    use std::net::IpAddr;

    /// Transactions one per 10 ms for 100 s, each answered 1 ms later and kept 5 s after its answer: about 500 are
    /// open at any time, whatever the length of the capture.
    #[test]
    fn open_transactions_are_bounded_by_the_window() {
        use crate::capture::{Question, Time};
        let mut g = Grouper::new("c".into(), Limits::default());
        let mut most = 0;
        for k in 0..10_000u32 {
            let t0 = 1_000_000_000 + u64::from(k) * 10_000;
            let client = Sock {
                host: Host::Ip(IpAddr::from([10, 0, (k >> 8) as u8, k as u8])),
                port: Some(40_000),
            };
            let server = Sock {
                host: Host::Ip(IpAddr::from([10, 96, 0, 10])),
                port: Some(53),
            };
            let mut p = Packet {
                frame: 2 * k + 1,
                line: 0,
                time: Some(Time {
                    micros: t0,
                    time_of_day: false,
                }),
                transport: Transport::Udp,
                src: client,
                dst: server,
                id: k as u16,
                response: false,
                rcode: 0,
                truncated: false,
                question: Some(Question {
                    name: "a.example.",
                    qtype: 1,
                }),
                answers: Answers::None,
            };
            g.push(&p);
            p.frame += 1;
            p.time = Some(Time {
                micros: t0 + 1_000,
                time_of_day: false,
            });
            (p.src, p.dst, p.response) = (server, client, true);
            g.push(&p);
            most = most.max(g.slots.len());
        }
        assert!((500..=502).contains(&most), "{most} slots");
        // Each transaction has an entry for its query (30 s) and one for its answer (5 s).
        assert!(g.by_client.len() <= 502 && g.answered_expiry.len() <= 502);
        assert!(g.expiry.len() <= 3_002, "{}", g.expiry.len());
        let grouped = g.finish();
        assert_eq!(grouped.summary.answered, 10_000);
    }
}
