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
