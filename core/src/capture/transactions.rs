//! DNS transactions: a query, its retransmissions and its answer, as the client experiences them (DESIGN's
//! `captures.transactions`).
//!
//! A transaction is keyed by the client socket, the server socket, the id, the name and the type. Copies of a
//! query with the same key while it is unanswered are retransmissions (`queries_sent`); once answered, the same key
//! starts a new transaction. A response belongs to the earliest unanswered transaction of its client socket and id
//! whose server is the response's source (and whose question matches, when the response prints one with `-vv`).
//! The latency runs from the first copy of the query to the first answer. A response with the id and client of a
//! transaction but from another address is not the answer (a connected UDP socket drops it): it is listed as a
//! reply from the wrong source. A response that matches nothing is listed as unmatched.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::source::tcpdump::{Packet, Socket, Timestamp, Transport, DAY_US};

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
    pub client: String,
    /// The server socket the query went to.
    pub server: String,
    /// The DNS id.
    pub id: u16,
    /// The queried name, with its trailing dot.
    pub name: String,
    /// The query type.
    #[serde(rename = "type")]
    pub qtype: String,
    /// The answer's rcode (`NOERROR`, `NXDOMAIN`, …); `None` when unanswered.
    pub rcode: Option<String>,
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
    pub source: String,
    /// The first query's position among the capture's DNS packets (1-based).
    pub frame: u32,
    /// The first query's line.
    pub line: u32,
    /// The answer's line.
    pub answer_line: Option<u32>,
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
    pub rcode: Option<String>,
    /// For a reply from the wrong source: the transaction (index into `transactions`) whose query went elsewhere.
    pub transaction: Option<usize>,
    /// Its position among the capture's DNS packets (1-based).
    pub frame: u32,
    /// Its line.
    pub line: u32,
}

/// Everything that identifies a query.
type Key = (Socket, Socket, u16, String, String);

/// Microseconds from `from` to `to`, wrapping at midnight for times of day.
fn elapsed(from: Option<&Timestamp>, to: Option<&Timestamp>) -> Option<u64> {
    let (from, to) = (from?, to?);
    match to.micros.checked_sub(from.micros) {
        Some(d) => Some(d),
        None if from.time_of_day && to.time_of_day => {
            Some(to.micros.saturating_add(DAY_US).saturating_sub(from.micros))
        }
        None => None,
    }
}

/// Groups the DNS packets of a capture named `source` into transactions.
pub fn group(source: &str, packets: &[Packet]) -> Transactions {
    let mut out = Transactions::default();
    // The first query's time of each transaction, beside it.
    let mut started: Vec<Option<&Timestamp>> = Vec::new();
    let mut by_key: BTreeMap<Key, usize> = BTreeMap::new();
    let mut by_client: BTreeMap<(Socket, u16), Vec<usize>> = BTreeMap::new();
    for packet in packets {
        let dns = &packet.dns;
        if !dns.response {
            let Some(q) = dns.questions.first() else {
                continue;
            };
            let key: Key = (
                packet.src.clone(),
                packet.dst.clone(),
                dns.id,
                q.name.to_ascii_lowercase(),
                q.qtype.clone(),
            );
            if let Some(&i) = by_key.get(&key) {
                if let Some(t) = out.transactions.get_mut(i) {
                    if t.rcode.is_none() {
                        t.queries_sent = t.queries_sent.saturating_add(1);
                        continue;
                    }
                }
            }
            let i = out.transactions.len();
            out.transactions.push(Transaction {
                client: packet.src.to_string(),
                server: packet.dst.to_string(),
                id: dns.id,
                name: q.name.clone(),
                qtype: q.qtype.clone(),
                rcode: None,
                answers: Vec::new(),
                queries_sent: 1,
                latency_us: None,
                truncated: false,
                transport: packet.transport,
                source: source.to_string(),
                frame: packet.frame,
                line: packet.line,
                answer_line: None,
            });
            started.push(packet.time.as_ref());
            by_key.insert(key, i);
            by_client
                .entry((packet.src.clone(), dns.id))
                .or_default()
                .push(i);
            continue;
        }
        // A response: its client is where it went.
        let server = packet.src.to_string();
        let question = dns.questions.first();
        let candidates: Vec<usize> = by_client
            .get(&(packet.dst.clone(), dns.id))
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| {
                        out.transactions.get(i).is_some_and(|t| {
                            question.is_none_or(|q| {
                                q.name.eq_ignore_ascii_case(&t.name) && q.qtype == t.qtype
                            })
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let pick = |from_server: bool| {
            let mut matching = candidates.iter().copied().filter(|&i| {
                out.transactions
                    .get(i)
                    .is_some_and(|t| (t.server == server) == from_server)
            });
            let unanswered = matching
                .clone()
                .find(|&i| out.transactions.get(i).is_some_and(|t| t.rcode.is_none()));
            unanswered.or_else(|| matching.next_back())
        };
        let stray = |transaction| StrayReply {
            from: server.clone(),
            to: packet.dst.to_string(),
            id: dns.id,
            rcode: dns.rcode.clone(),
            transaction,
            frame: packet.frame,
            line: packet.line,
        };
        if let Some(i) = pick(true) {
            let start = started.get(i).copied().flatten();
            if let Some(t) = out.transactions.get_mut(i) {
                // A second answer (to a retransmission) changes nothing.
                if t.rcode.is_none() {
                    t.rcode = dns.rcode.clone();
                    t.answers = dns.answers.iter().map(|r| r.data.clone()).collect();
                    t.latency_us = elapsed(start, packet.time.as_ref());
                    t.truncated = dns.flags.truncated;
                    t.answer_line = Some(packet.line);
                }
            }
        } else if let Some(i) = pick(false) {
            out.wrong_source.push(stray(Some(i)));
        } else {
            out.unmatched.push(stray(None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
            .map(|t| (t.server.as_str(), t.latency_us))
            .collect();
        assert_eq!(
            got,
            [("10.96.0.10:53", Some(310)), ("10.244.0.2:53", Some(290))]
        );
        assert!(t.wrong_source.is_empty());
    }
}
