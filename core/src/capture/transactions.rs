//! DNS transactions: a query, its retransmissions and its answer, as the client experiences them: the
//! `captures.transactions` of the `dnatlas.analysis/1` contract, defined here.
//!
//! A transaction is keyed by the client socket, the server socket, the id, the name and the type. Copies of a
//! query with the same key while it is unanswered are retransmissions (`queries_sent`); once answered, the same key
//! starts a new transaction. A response belongs to the earliest unanswered transaction of its client socket and id
//! whose server is the response's source (and whose question matches, when the response prints one with `-vv`).
//! The latency runs from the first copy of the query to the first answer. A response with the id and client of a
//! transaction but from another address is not the answer (a connected UDP socket drops it): it is listed as a
//! reply from the wrong source. A response that matches nothing is listed as unmatched.
//!
//! These are the contract types; `engine.rs` does the grouping for every kind of capture, and its `group` runs it
//! over the packets of a tcpdump text capture.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::source::packet::Transport;

/// The transactions of one capture, and the replies that belong to none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transactions {
    /// One entry per transaction, in the order of their first query.
    pub transactions: Vec<Transaction>,
    /// Responses to a transaction's client and id from an address other than the one the query went to.
    pub wrong_source: Vec<StrayReply>,
    /// Responses that match no query of the capture.
    pub unmatched: Vec<StrayReply>,
}

/// One DNS transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The client socket, `ip:port` (`[ip]:port` for IPv6).
    pub client: Arc<str>,
    /// The server socket the query went to.
    pub server: Arc<str>,
    /// The DNS id.
    pub id: u16,
    /// The queried name, with its trailing dot.
    pub name: Arc<str>,
    /// The query type.
    #[serde(rename = "type")]
    pub qtype: Cow<'static, str>,
    /// The answer's rcode (`NOERROR`, `NXDOMAIN`, …); `None` when unanswered.
    pub rcode: Option<Cow<'static, str>>,
    /// The answer section's data (`10.109.102.230`, `target.`, …).
    pub answers: Vec<String>,
    /// Copies of the query seen.
    pub queries_sent: u32,
    /// Microseconds from the first copy of the query to the first answer; `None` when unanswered or without
    /// timestamps.
    pub latency_us: Option<u64>,
    /// Whether the answer had TC set (the client should retry over TCP).
    pub truncated: bool,
    /// UDP or TCP.
    pub transport: Transport,
    /// The input the capture came from.
    pub source: Arc<str>,
    /// The first query's frame: its number in a pcap/pcapng file (1-based, as tshark counts), or its position among
    /// the DNS packets of a text capture.
    pub frame: u32,
    /// The first query's line in a text capture (absent for a binary capture).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
    /// The answer's line in a text capture.
    pub answer_line: Option<u32>,
    /// The answer's frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_frame: Option<u32>,
    /// When the first query was seen: microseconds since the epoch, or since midnight for a text capture that
    /// prints only the time of day; absent without timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_us: Option<u64>,
    /// The query's later copies (retransmissions), in order: the first [`MAX_LISTED_COPIES`] of
    /// `queries_sent - 1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resent: Vec<QueryCopy>,
}

/// How many retransmissions of one transaction are listed in [`Transaction::resent`].
pub const MAX_LISTED_COPIES: usize = 16;

/// A retransmitted copy of a transaction's query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryCopy {
    /// Its frame (counted as [`Transaction::frame`]).
    pub frame: u32,
    /// Its line in a text capture (absent for a binary capture).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
    /// When it was seen (as [`Transaction::time_us`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_us: Option<u64>,
}

/// A response that is not the answer of any transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrayReply {
    /// Where it came from.
    pub from: String,
    /// Where it went.
    pub to: String,
    /// The DNS id.
    pub id: u16,
    /// Its rcode.
    pub rcode: Option<Cow<'static, str>>,
    /// For a reply from the wrong source: the transaction (index into `transactions`) whose query went elsewhere,
    /// when that transaction is listed.
    pub transaction: Option<usize>,
    /// The input the capture came from.
    pub source: Arc<str>,
    /// Its frame.
    pub frame: u32,
    /// Its line in a text capture (absent for a binary capture).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
}

pub(crate) fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::engine::group;
    use crate::source::tcpdump;

    fn grouped(text: &str) -> Transactions {
        let parsed = tcpdump::parse(text.as_bytes());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        group("c.txt", &parsed.value.packets)
    }

    #[test]
    fn a_query_answered_then_sent_again_starts_a_new_transaction() {
        let t = grouped(
            "10:00:00.000000 IP 10.0.0.1.1000 > 10.0.0.2.53: 7+ A? a.example. (27)\n\
             10:00:00.000500 IP 10.0.0.2.53 > 10.0.0.1.1000: 7 1/0/0 A 192.0.2.1 (43)\n\
             10:00:00.000600 IP 10.0.0.2.53 > 10.0.0.1.1000: 7 1/0/0 A 192.0.2.9 (43)\n\
             10:00:01.000000 IP 10.0.0.1.1000 > 10.0.0.2.53: 7+ A? a.example. (27)\n",
        );
        let [first, second] = t.transactions.as_slice() else {
            panic!("{t:?}")
        };
        // The duplicate answer changes nothing; the later copy is a new, unanswered transaction.
        assert_eq!(first.answers, ["192.0.2.1"]);
        assert_eq!(first.latency_us, Some(500));
        assert_eq!((first.queries_sent, first.answer_line), (1, Some(2)));
        assert_eq!((second.rcode.as_deref(), second.latency_us), (None, None));
        assert_eq!(second.frame, 4);
        assert!(t.unmatched.is_empty() && t.wrong_source.is_empty());
    }

    #[test]
    fn a_printed_question_must_match_and_unmatched_replies_are_listed() {
        let t = grouped(
            "IP 10.0.0.1.1000 > 10.0.0.2.53: [udp sum ok] 7+ A? a.example. (27)\n\
             IP 10.0.0.2.53 > 10.0.0.1.1000: [udp sum ok] 7 q: AAAA? a.example. 0/1/0 (27)\n\
             IP 10.0.0.2.53 > 10.0.0.1.1001: 8 NXDomain 0/0/0 (27)\n",
        );
        assert_eq!(t.transactions.len(), 1);
        assert_eq!(t.transactions[0].rcode, None);
        assert_eq!(t.unmatched.len(), 2);
        assert_eq!(t.unmatched[1].rcode.as_deref(), Some("NXDOMAIN"));
        assert_eq!(t.unmatched[1].to, "10.0.0.1:1001");
    }

    #[test]
    fn latency_wraps_at_midnight_and_dates_do_not() {
        let t = grouped(
            "23:59:59.999900 IP 10.0.0.1.1000 > 10.0.0.2.53: 7+ A? a.example. (27)\n\
             00:00:00.000100 IP 10.0.0.2.53 > 10.0.0.1.1000: 7 0/0/0 (27)\n\
             2024-02-28 23:59:59.999900 IP 10.0.0.1.1001 > 10.0.0.2.53: 8+ A? a.example. (27)\n\
             2024-02-29 00:00:00.000100 IP 10.0.0.2.53 > 10.0.0.1.1001: 8 0/0/0 (27)\n\
             1700000000.000000 IP 10.0.0.1.1002 > 10.0.0.2.53: 9+ A? a.example. (27)\n\
             1700000001.5 IP 10.0.0.2.53 > 10.0.0.1.1002: 9 0/0/0 (27)\n",
        );
        let latencies: Vec<_> = t.transactions.iter().map(|t| t.latency_us).collect();
        assert_eq!(latencies, [Some(200), Some(200), Some(1_500_000)]);
    }

    #[test]
    fn the_same_query_seen_at_two_addresses_is_two_transactions() {
        // `-i any` on a node: once on the client's veth (to the VIP), once on CoreDNS's (to the pod), both answered.
        let t = grouped(
            "10:00:00.000000 IP 10.244.1.7.41234 > 10.96.0.10.53: 5+ A? a.example. (27)\n\
             10:00:00.000010 IP 10.244.1.7.41234 > 10.244.0.2.53: 5+ A? a.example. (27)\n\
             10:00:00.000300 IP 10.244.0.2.53 > 10.244.1.7.41234: 5 0/0/0 (27)\n\
             10:00:00.000310 IP 10.96.0.10.53 > 10.244.1.7.41234: 5 0/0/0 (27)\n",
        );
        let got: Vec<_> = t
            .transactions
            .iter()
            .map(|t| (&*t.server, t.latency_us))
            .collect();
        assert_eq!(
            got,
            [("10.96.0.10:53", Some(310)), ("10.244.0.2:53", Some(290))]
        );
        assert!(t.wrong_source.is_empty());
    }
}
