//! Queries as their clients sent them (a query seen at a Service VIP and at the pod behind it is one), and an
//! index of every transaction by who asked what and whom.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::capture::transactions::Transaction;
use crate::source::tcpdump::DAY_US;

/// Input, address, lower-case name with its trailing dot, type.
type Key<'t> = (&'t str, &'t str, Cow<'t, str>, &'t str);

/// The transactions by who asked what and whom, for the explanations.
pub(super) struct Index<'t> {
    /// Every transaction.
    pub(super) transactions: &'t [Transaction],
    /// (input, client address, lower-case name, type) → transactions, in order.
    asked_by: FxHashMap<Key<'t>, Vec<usize>>,
    /// (input, server address, lower-case name, type) → transactions, in order.
    asked_of: FxHashMap<Key<'t>, Vec<usize>>,
    /// Server address → the first frame that went to it.
    pub(super) first_served: FxHashMap<&'t str, u32>,
}

impl<'t> Index<'t> {
    /// The index of `transactions`.
    pub(super) fn new(transactions: &'t [Transaction]) -> Self {
        let mut index = Index {
            transactions,
            asked_by: FxHashMap::default(),
            asked_of: FxHashMap::default(),
            first_served: FxHashMap::default(),
        };
        for (i, t) in transactions.iter().enumerate() {
            let name = normal(&t.name);
            let (client, server) = (host(&t.client), host(&t.server));
            index
                .asked_by
                .entry((&*t.source, client, name.clone(), &*t.qtype))
                .or_default()
                .push(i);
            index
                .asked_of
                .entry((&*t.source, server, name, &*t.qtype))
                .or_default()
                .push(i);
            index.first_served.entry(server).or_insert(t.frame);
        }
        index
    }

    /// For each of `sent`, the other transaction for the same name and type with `who` as its client (`by`) or
    /// its server, nearest in frames: the first at or after it (`after`), or the last at or before it.
    pub(super) fn nearest(
        &self,
        sent: &[&Sent],
        who: &[&str],
        by: bool,
        after: bool,
    ) -> Vec<&'t Transaction> {
        let map = if by { &self.asked_by } else { &self.asked_of };
        let frame = |i: &&usize| self.transactions.get(**i).map_or(0, |t| t.frame);
        let mut out: Vec<usize> = Vec::new();
        for s in sent {
            for w in who {
                let key = (s.source, *w, s.name.clone(), s.qtype);
                let Some(list) = map.get(&key) else { continue };
                let others = list.iter().filter(|i| !s.indices.contains(i));
                let found = if after {
                    others.filter(|i| frame(i) >= s.frame).min_by_key(frame)
                } else {
                    others.filter(|i| frame(i) <= s.frame).max_by_key(frame)
                };
                if let Some(&i) = found {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        out.sort_unstable();
        out.iter()
            .filter_map(|&i| self.transactions.get(i))
            .collect()
    }
}

/// One query as the client sent it: its transactions (two when seen at the VIP and at the pod behind it), with
/// the texts of the first.
#[derive(Debug)]
pub(super) struct Sent<'t> {
    pub(super) indices: Vec<usize>,
    pub(super) client: &'t str,
    pub(super) port: &'t str,
    pub(super) server: &'t str,
    /// Lower case, with the trailing dot.
    pub(super) name: Cow<'t, str>,
    pub(super) qtype: &'t str,
    pub(super) rcode: Option<&'t str>,
    pub(super) answers: &'t [String],
    pub(super) queries_sent: u32,
    pub(super) time: Option<u64>,
    pub(super) frame: u32,
    pub(super) source: &'t str,
    pub(super) line: u32,
    pub(super) answer_line: Option<u32>,
}

impl Sent<'_> {
    /// Its first transaction.
    pub(super) fn first_index(&self) -> usize {
        self.indices.first().copied().unwrap_or(usize::MAX)
    }

    /// Whether it asks for addresses (A or AAAA).
    pub(super) fn address_family(&self) -> bool {
        self.qtype == "A" || self.qtype == "AAAA"
    }
}

/// The host part of a socket text (`10.0.0.1:53`, `[fd00::1]:53`).
pub(super) fn host(socket: &str) -> &str {
    let h = socket.rsplit_once(':').map_or(socket, |(h, _)| h);
    h.trim_start_matches('[').trim_end_matches(']')
}

/// The port part of a socket text.
fn port(socket: &str) -> &str {
    socket.rsplit_once(':').map_or("", |(_, p)| p)
}

/// CoreDNS's loop-plugin probe: HINFO for `<integer>.<integer>.<zone>`.
fn loop_probe(t: &Transaction) -> bool {
    let mut labels = t.name.split('.');
    let integer =
        |l: Option<&str>| l.is_some_and(|l| l.len() >= 10 && l.bytes().all(|b| b.is_ascii_digit()));
    t.qtype == "HINFO" && integer(labels.next()) && integer(labels.next())
}

/// A name in lower case with one trailing dot, borrowed when it already is.
fn normal(name: &str) -> Cow<'_, str> {
    let bare = name.trim_end_matches('.');
    if bare.bytes().any(|b| b.is_ascii_uppercase()) || name.len() != bare.len() + 1 {
        Cow::Owned(format!("{}.", bare.to_ascii_lowercase()))
    } else {
        Cow::Borrowed(name)
    }
}

/// The queries as sent, one per query seen at a VIP and at the pod behind it, lookups' own (loop probes and
/// empty names left out).
pub(super) fn sent_queries<'t>(
    transactions: &'t [Transaction],
    times: &[Option<u64>],
) -> Vec<Sent<'t>> {
    let mut out: Vec<Sent<'t>> = Vec::new();
    for (i, t) in transactions.iter().enumerate() {
        if t.name.trim_end_matches('.').is_empty() || loop_probe(t) {
            continue;
        }
        let name = normal(&t.name);
        // The same query seen again on its way to the pod behind a VIP: same socket, id, name and type.
        if let Some(s) = out.iter_mut().rev().take(8).find(|s| {
            transactions.get(s.first_index()).is_some_and(|f| {
                f.client == t.client && f.id == t.id && f.qtype == t.qtype && f.server != t.server
            }) && s.name == name
        }) {
            s.indices.push(i);
            if s.rcode.is_none() && t.rcode.is_some() {
                s.rcode = t.rcode.as_deref();
                s.answers = &t.answers;
                s.answer_line = t.answer_line;
            }
            s.queries_sent = s.queries_sent.max(t.queries_sent);
            continue;
        }
        out.push(Sent {
            indices: vec![i],
            client: host(&t.client),
            port: port(&t.client),
            server: host(&t.server),
            name,
            qtype: &t.qtype,
            rcode: t.rcode.as_deref(),
            answers: &t.answers,
            queries_sent: t.queries_sent,
            time: times.get(i).copied().flatten(),
            frame: t.frame,
            source: &t.source,
            line: t.line,
            answer_line: t.answer_line,
        });
    }
    out
}

/// Microseconds from `from` to `to`, wrapping at midnight.
pub(super) fn gap(from: Option<u64>, to: Option<u64>) -> Option<u64> {
    let (from, to) = (from?, to?);
    Some(
        to.checked_sub(from)
            .unwrap_or_else(|| to.saturating_add(DAY_US).saturating_sub(from)),
    )
}
