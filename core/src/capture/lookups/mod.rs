//! Lookups: the queries one application lookup sent, read back from a capture's transactions and compared with
//! what the pod's stub resolver plans for the name (docs/domain/resolvers.md §2–§7), with why its last query was sent.
//!
//! A lookup is the run of queries from one client address whose names are successive candidates of one base name:
//! the search list's suffixes (from a resolv.conf given with the capture, or inferred from the names themselves
//! when none fits) and the name as typed, an A and an AAAA per candidate, each candidate usually from a new source
//! port (glibc and musl close the socket between candidates). A query joins the open lookup of its client for which
//! it is the same or a later candidate; a query that fits none starts a lookup, whose base name and resolv.conf are
//! the reading that explains the most of the client's next queries (then the one that starts at its first
//! candidate). A lookup ends at the candidate that got addresses (its A/AAAA partner may still follow), when a
//! query repeats one it has, or — when the caller gives times — after [`WINDOW_US`] without a query.
//!
//! Each lookup is then walked with `dns::plan` for glibc, musl and Go, every candidate answered as the capture
//! shows (NXDOMAIN for a candidate the capture does not show). A resolver fits when it sends exactly the queries
//! seen, in the same families (a lookup that asks only A is compared with the A queries of the plan), and its
//! sockets agree: glibc and musl send a pair from one socket, Go from two. `expected`, `missing` and `extra` are
//! those of the first resolver that fits (glibc, musl, Go), or of the closest one.
//!
//! Queries are not a stub resolver's when their client answers DNS queries in the same capture (CoreDNS or
//! kube-dns forwarding upstream): each name such a client asks is a lookup of its own, explained as a forward.
//! Reverse (PTR) lookups are asked as is. CoreDNS's loop-plugin probes (HINFO for two large integers) are no
//! lookups.
//!
//! `sent.rs` reads the queries as sent, `grouping.rs` groups them into lookups, `describe.rs` compares each with
//! the plans, `explain.rs` finds why its queries were sent, `reasons.rs` is that as data, and `words.rs` writes it
//! out.

mod describe;
mod explain;
mod grouping;
mod reasons;
mod sent;
mod words;

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::capture::transactions::Transaction;
use crate::dns::plan::Resolver;
use crate::source::inputs::ResolvSource;
use describe::{describe, describe_forward};
use grouping::{client_groups, forwarded_groups};
use sent::{sent_queries, Index, Sent};

/// With times: the longest gap between two queries of one lookup. glibc waits `timeout` (5 s) per try and tries
/// each of up to three nameservers `attempts` (2) times before it moves to the next candidate.
pub const WINDOW_US: u64 = 30_000_000;

/// One application lookup seen in a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// The client's address (without the port, which changes per candidate).
    pub client: String,
    /// The name the application asked for, without the search suffix (`nginx`).
    pub base_name: String,
    /// The transactions of the lookup (indices into the capture's transactions), in order; a query seen twice
    /// (at the Service VIP and at the pod behind it) is both of its transactions.
    pub queries: Vec<usize>,
    /// The resolv.conf input it was compared with; `None` when its search list was inferred from the names.
    pub resolv_conf: Option<Arc<str>>,
    /// The search list used: the resolv.conf's, or the suffixes the client sent, in order.
    pub search: Vec<String>,
    /// Whether `search` was inferred from the names sent.
    pub search_inferred: bool,
    /// The resolv.conf's ndots; `None` when inferred.
    pub ndots: Option<u8>,
    /// The resolvers whose plan is exactly what the capture shows, in the order glibc, musl, Go.
    pub resolver_fit: Vec<Resolver>,
    /// How the last candidate sent was answered.
    pub outcome: LookupOutcome,
    /// The candidate that got addresses, if one did.
    pub answered_by: Option<String>,
    /// What the first fitting resolver (or the closest) sends, given the answers the capture shows.
    pub expected: Vec<PlannedQuery>,
    /// Planned queries the capture does not show.
    pub missing: Vec<PlannedQuery>,
    /// Queries the capture shows that the plan does not have.
    pub extra: Vec<PlannedQuery>,
    /// Why the queries were sent, and why the last one was, with frames.
    pub explanation: String,
    /// Each query as sent (a query seen at a VIP and at the pod behind it once), in order, with where it is.
    pub evidence: Vec<QueryEvidence>,
}

/// One query of a plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlannedQuery {
    /// Fully qualified, with the trailing dot.
    pub name: String,
    /// `A`, `AAAA`, or the lookup's own type.
    #[serde(rename = "type")]
    pub qtype: String,
}

/// How a candidate (its A and AAAA taken together) was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LookupOutcome {
    /// Records came back.
    Answered,
    /// NXDOMAIN.
    NxDomain,
    /// NOERROR without records.
    NoData,
    /// SERVFAIL.
    ServFail,
    /// REFUSED (or another error rcode).
    Refused,
    /// No answer in the capture.
    Unanswered,
}

/// One query of a lookup as sent, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryEvidence {
    /// The name asked, lower case, with the trailing dot.
    pub name: String,
    /// The query type.
    #[serde(rename = "type")]
    pub qtype: String,
    /// The answer's rcode; `None` when unanswered.
    pub rcode: Option<String>,
    /// The capture input.
    pub source: String,
    /// The query's frame (1-based position among the capture's DNS packets).
    pub frame: u32,
    /// The query's line (0 when the capture has no lines).
    pub line: u32,
    /// The answer's line, if answered.
    pub answer_line: Option<u32>,
}

/// The lookups in `transactions` (one capture's, or several captures' in order), compared with the resolv.conf
/// inputs `confs`. Without times, lookups are not cut by [`WINDOW_US`].
pub fn lookups(transactions: &[Transaction], confs: &[ResolvSource]) -> Vec<Lookup> {
    lookups_timed(transactions, &[], confs)
}

/// [`lookups`], with the time of each transaction's first query (microseconds, as `tcpdump::Timestamp::micros`;
/// index for index with `transactions`, missing or `None` when unknown) to end lookups after [`WINDOW_US`].
pub fn lookups_timed(
    transactions: &[Transaction],
    first_sent_us: &[Option<u64>],
    confs: &[ResolvSource],
) -> Vec<Lookup> {
    let sent = sent_queries(transactions, first_sent_us);
    let index = Index::new(transactions);
    // Each client's queries, clients in order of their first query.
    let mut order: Vec<&str> = Vec::new();
    let mut by_client: FxHashMap<&str, Vec<&Sent>> = FxHashMap::default();
    for s in &sent {
        by_client
            .entry(s.client)
            .or_insert_with(|| {
                order.push(s.client);
                Vec::new()
            })
            .push(s);
    }
    let mut found: Vec<(usize, Lookup)> = Vec::new();
    for client in order {
        let mine = by_client.get(client).map(Vec::as_slice).unwrap_or_default();
        let server = index.first_served.contains_key(client);
        let groups = if server {
            forwarded_groups(mine)
        } else {
            client_groups(mine, confs)
        };
        for group in groups {
            let first = group.sent.first().map_or(usize::MAX, |s| s.first_index());
            let lookup = if server {
                describe_forward(&group, &index)
            } else {
                describe(&group, &index, confs)
            };
            found.push((first, lookup));
        }
    }
    found.sort_by_key(|(first, _)| *first);
    found.into_iter().map(|(_, l)| l).collect()
}
