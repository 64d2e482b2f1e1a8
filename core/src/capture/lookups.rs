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

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::capture::transactions::Transaction;
use crate::dns::plan::{self, Outcome, Resolver};
use crate::source::inputs::ResolvSource;
use crate::source::resolv_conf::ResolvConf;
use crate::source::tcpdump::DAY_US;

/// With times: the longest gap between two queries of one lookup. glibc waits `timeout` (5 s) per try and tries
/// each of up to three nameservers `attempts` (2) times before it moves to the next candidate.
pub const WINDOW_US: u64 = 30_000_000;
/// How many of a client's later queries are read to choose a new lookup's base name and resolv.conf.
const LOOKAHEAD: usize = 64;
/// How many lookups of one client stay open at once (interleaved lookups of several threads).
const MAX_OPEN: usize = 32;
/// The most queries one lookup takes (a real one has two per candidate, and kubelet allows 32 search domains).
const MAX_GROUP: usize = 128;
/// The lookahead stops after this many of the client's queries in a row that a reading does not take.
const MAX_MISSES: usize = 16;
/// The most leading label runs tried as an inferred base name (besides the whole name).
const MAX_INFERRED: usize = 16;
/// The most candidates named in an explanation.
const MAX_NAMED: usize = 8;

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

/// Input, address, lower-case name with its trailing dot, type.
type Key<'t> = (&'t str, &'t str, Cow<'t, str>, &'t str);

/// The transactions by who asked what and whom, for the explanations.
struct Index<'t> {
    transactions: &'t [Transaction],
    /// (input, client address, lower-case name, type) → transactions, in order.
    asked_by: FxHashMap<Key<'t>, Vec<usize>>,
    /// (input, server address, lower-case name, type) → transactions, in order.
    asked_of: FxHashMap<Key<'t>, Vec<usize>>,
    /// Server address → the first frame that went to it.
    first_served: FxHashMap<&'t str, u32>,
}

impl<'t> Index<'t> {
    fn new(transactions: &'t [Transaction]) -> Self {
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
    fn nearest(&self, sent: &[&Sent], who: &[&str], by: bool, after: bool) -> Vec<&'t Transaction> {
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

// ---------------------------------------------------------------------------------------------------------------
// Queries as sent

/// One query as the client sent it: its transactions (two when seen at the VIP and at the pod behind it), with
/// the texts of the first.
#[derive(Debug)]
struct Sent<'t> {
    indices: Vec<usize>,
    client: &'t str,
    port: &'t str,
    server: &'t str,
    /// Lower case, with the trailing dot.
    name: Cow<'t, str>,
    qtype: &'t str,
    rcode: Option<&'t str>,
    answers: &'t [String],
    queries_sent: u32,
    time: Option<u64>,
    frame: u32,
    source: &'t str,
    line: u32,
    answer_line: Option<u32>,
}

impl Sent<'_> {
    fn first_index(&self) -> usize {
        self.indices.first().copied().unwrap_or(usize::MAX)
    }

    fn address_family(&self) -> bool {
        self.qtype == "A" || self.qtype == "AAAA"
    }
}

/// The host part of a socket text (`10.0.0.1:53`, `[fd00::1]:53`).
fn host(socket: &str) -> &str {
    let h = socket.rsplit_once(':').map_or(socket, |(h, _)| h);
    h.trim_start_matches('[').trim_end_matches(']')
}

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

fn sent_queries<'t>(transactions: &'t [Transaction], times: &[Option<u64>]) -> Vec<Sent<'t>> {
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
fn gap(from: Option<u64>, to: Option<u64>) -> Option<u64> {
    let (from, to) = (from?, to?);
    Some(
        to.checked_sub(from)
            .unwrap_or_else(|| to.saturating_add(DAY_US).saturating_sub(from)),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Grouping

/// How a lookup's names are read.
#[derive(Debug, Clone)]
struct Reading {
    /// The base name, without a trailing dot.
    base: String,
    /// The resolv.conf used (an index into the inputs), or `None` when inferred.
    conf: Option<usize>,
    /// Every name a modelled resolver may send for `base`, in glibc's order (conf readings only).
    candidates: Vec<String>,
}

impl Reading {
    /// The candidate index of `name`: its place among `candidates`, or for an inferred reading 0 for any name
    /// that is the base with a suffix or the base itself.
    fn index(&self, name: &str) -> Option<usize> {
        if self.conf.is_some() {
            self.candidates.iter().position(|c| c == name)
        } else {
            let bare = name.trim_end_matches('.');
            (bare == self.base
                || bare
                    .strip_prefix(self.base.as_str())
                    .is_some_and(|rest| rest.starts_with('.')))
            .then_some(0)
        }
    }
}

#[derive(Debug)]
struct Group<'a> {
    reading: Rc<Reading>,
    sent: Vec<&'a Sent<'a>>,
    /// The last candidate index joined.
    last: usize,
    /// The candidate that got addresses.
    answered: Option<String>,
}

impl Group<'_> {
    fn accepts(&self, s: &Sent) -> bool {
        let Some(first) = self.sent.first() else {
            return false;
        };
        if first.address_family() != s.address_family()
            || (!first.address_family() && first.qtype != s.qtype)
        {
            return false;
        }
        if self.sent.len() >= MAX_GROUP
            || self
                .sent
                .iter()
                .any(|o| o.name == s.name && o.qtype == s.qtype)
        {
            return false;
        }
        if let Some(answered) = &self.answered {
            return *answered == s.name;
        }
        if let Some(g) = gap(self.sent.last().and_then(|l| l.time), s.time) {
            if g > WINDOW_US {
                return false;
            }
        }
        self.reading.index(&s.name).is_some_and(|i| i >= self.last)
    }
}

impl<'a> Group<'a> {
    fn push(&mut self, s: &'a Sent) {
        if let Some(i) = self.reading.index(&s.name) {
            self.last = self.last.max(i);
        }
        if has_addresses(s) {
            self.answered = Some(s.name.to_string());
        }
        self.sent.push(s);
    }
}

fn has_addresses(s: &Sent) -> bool {
    s.rcode == Some("NOERROR") && !s.answers.is_empty()
}

/// Every name a modelled resolver may send for `base` with `conf`, in glibc's order: glibc's candidates, and the
/// name as typed when glibc leaves it out (`no-tld-query`), since musl and Go still send it. (musl's and Go's other
/// lists are parts of glibc's: the name alone, or without `.onion` names.)
fn candidate_names(base: &str, conf: &ResolvConf) -> Vec<String> {
    let mut out = plan::candidates(Resolver::Glibc, base, conf);
    let as_is = format!("{}.", base.trim_end_matches('.'));
    if !out.contains(&as_is) && as_is.len() > 1 {
        out.push(as_is);
    }
    for name in &mut out {
        name.make_ascii_lowercase();
    }
    out
}

/// The readings of a lookup that starts with `first`: for each resolv.conf, the name less each search suffix it
/// ends with and the name itself; then, inferred, every leading run of its labels.
fn readings(first: &Sent, confs: &[ResolvSource]) -> Vec<(Rc<Reading>, usize)> {
    let bare = first.name.trim_end_matches('.');
    let mut out = Vec::new();
    for (c, r) in confs.iter().enumerate() {
        let mut bases = vec![bare.to_string()];
        for domain in &r.value.search {
            let domain = domain.trim_matches('.').to_ascii_lowercase();
            if let Some(base) = bare
                .strip_suffix(domain.as_str())
                .and_then(|b| b.strip_suffix('.'))
            {
                if !base.is_empty() && !bases.iter().any(|b| b == base) {
                    bases.push(base.to_string());
                }
            }
        }
        for base in bases {
            let candidates = candidate_names(&base, &r.value);
            if let Some(start) = candidates.iter().position(|n| *n == first.name) {
                out.push((
                    Rc::new(Reading {
                        base,
                        conf: Some(c),
                        candidates,
                    }),
                    start,
                ));
            }
        }
    }
    let labels: Vec<&str> = bare.split('.').collect();
    let runs = (1..labels.len().min(MAX_INFERRED)).chain(std::iter::once(labels.len()));
    for n in runs {
        out.push((inferred(labels.get(..n).unwrap_or_default().join(".")), 0));
    }
    out
}

/// A reading with no resolv.conf: `base` and what the client's names add to it.
fn inferred(base: String) -> Rc<Reading> {
    Rc::new(Reading {
        base,
        conf: None,
        candidates: Vec::new(),
    })
}

/// How many of `later` (a client's next queries) a lookup read as `reading` would take.
fn explained(reading: &Rc<Reading>, first: &Sent, later: &[&Sent]) -> usize {
    let mut group = Group {
        reading: Rc::clone(reading),
        sent: Vec::new(),
        last: 0,
        answered: None,
    };
    group.push(first);
    let mut count = 1;
    let mut misses = 0;
    for s in later.iter().take(LOOKAHEAD) {
        if group.accepts(s) {
            group.push(s);
            count += 1;
            misses = 0;
        } else {
            misses += 1;
            if misses >= MAX_MISSES {
                break;
            }
        }
    }
    count
}

/// Chooses how to read a lookup that starts with `first`: the reading that takes the most later queries, then the
/// one whose first candidate is `first`, then resolv.conf over inference (a longer inferred base on ties).
fn choose(first: &Sent, later: &[&Sent], confs: &[ResolvSource]) -> Rc<Reading> {
    let mut best: Option<(Rc<Reading>, (usize, usize))> = None;
    let mut best_inferred: Option<(Rc<Reading>, usize)> = None;
    for (reading, start) in readings(first, confs) {
        let score = explained(&reading, first, later);
        if reading.conf.is_some() {
            let key = (score, usize::MAX - start);
            if best.as_ref().is_none_or(|(_, k)| key > *k) {
                best = Some((reading, key));
            }
        } else if best_inferred.as_ref().is_none_or(|(_, k)| score >= *k) {
            best_inferred = Some((reading, score));
        }
    }
    match (best, best_inferred) {
        (Some((_, (score, _))), Some((inferred, inferred_score))) if inferred_score > score => {
            inferred
        }
        (Some((conf, _)), _) => conf,
        (None, Some((inferred, _))) => inferred,
        (None, None) => self::inferred(first.name.trim_end_matches('.').to_string()),
    }
}

/// Groups one client's queries into lookups.
fn client_groups<'a>(mine: &[&'a Sent], confs: &[ResolvSource]) -> Vec<Group<'a>> {
    let mut done: Vec<Group<'a>> = Vec::new();
    let mut open: Vec<Group<'a>> = Vec::new();
    for (i, &s) in mine.iter().enumerate() {
        if let Some(g) = open.iter_mut().rev().find(|g| g.accepts(s)) {
            g.push(s);
            continue;
        }
        let later = mine.get(i + 1..).unwrap_or_default();
        let reading = if is_reverse(&s.name) || !s.address_family() && s.qtype == "PTR" {
            inferred(s.name.trim_end_matches('.').to_string())
        } else {
            choose(s, later, confs)
        };
        let mut group = Group {
            reading,
            sent: Vec::new(),
            last: 0,
            answered: None,
        };
        group.push(s);
        open.push(group);
        if open.len() > MAX_OPEN {
            done.push(open.remove(0));
        }
    }
    done.extend(open);
    done.sort_by_key(|g| g.sent.first().map_or(usize::MAX, |s| s.first_index()));
    done
}

/// A DNS server's own queries: one lookup per name (its A and AAAA together).
fn forwarded_groups<'a>(mine: &[&'a Sent]) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for &s in mine {
        if let Some(g) = out.iter_mut().rev().take(MAX_OPEN).find(|g| {
            g.sent
                .iter()
                .all(|o| o.name == s.name && o.qtype != s.qtype)
                && g.sent
                    .first()
                    .is_some_and(|f| f.address_family() && s.address_family())
        }) {
            g.sent.push(s);
            continue;
        }
        out.push(Group {
            reading: inferred(s.name.trim_end_matches('.').to_string()),
            sent: vec![s],
            last: 0,
            answered: None,
        });
    }
    out
}

fn is_reverse(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    n.ends_with(".in-addr.arpa") || n.ends_with(".ip6.arpa")
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing with the plan and explaining

/// How one candidate name was answered, its queries taken together.
fn outcome(sent: &[&Sent]) -> LookupOutcome {
    if sent.iter().any(|s| has_addresses(s)) {
        return LookupOutcome::Answered;
    }
    let rcodes: Vec<Option<&str>> = sent.iter().map(|s| s.rcode).collect();
    if rcodes.iter().any(Option::is_none) {
        LookupOutcome::Unanswered
    } else if rcodes
        .iter()
        .any(|r| !matches!(r, Some("NOERROR" | "NXDOMAIN" | "SERVFAIL")))
    {
        LookupOutcome::Refused
    } else if rcodes.contains(&Some("SERVFAIL")) {
        LookupOutcome::ServFail
    } else if rcodes.contains(&Some("NXDOMAIN")) {
        LookupOutcome::NxDomain
    } else {
        LookupOutcome::NoData
    }
}

fn plan_outcome(o: LookupOutcome) -> Outcome {
    match o {
        LookupOutcome::Answered => Outcome::Answer,
        LookupOutcome::NxDomain => Outcome::NxDomain,
        LookupOutcome::NoData => Outcome::NoData,
        LookupOutcome::ServFail => Outcome::ServFail,
        // glibc treats a REFUSED like a timeout: another failure that stops the search list.
        LookupOutcome::Refused | LookupOutcome::Unanswered => Outcome::Timeout,
    }
}

/// The candidate names of a lookup in the order first sent, each with its queries.
fn by_name<'a>(sent: &[&'a Sent<'a>]) -> Vec<(String, Vec<&'a Sent<'a>>)> {
    let mut out: Vec<(String, Vec<&'a Sent<'a>>)> = Vec::new();
    for &s in sent {
        match out.iter_mut().find(|(n, _)| *n == s.name) {
            Some((_, v)) => v.push(s),
            None => out.push((s.name.to_string(), vec![s])),
        }
    }
    out
}

/// The resolv.conf a lookup is compared with: the input's, or one inferred from the names sent.
fn effective_conf(group: &Group<'_>, confs: &[ResolvSource]) -> (ResolvConf, bool) {
    if let Some(conf) = group.reading.conf.and_then(|c| confs.get(c)) {
        return (conf.value.clone(), false);
    }
    let base = &group.reading.base;
    let mut conf = ResolvConf::default();
    let mut as_is_first = false;
    for (name, _) in by_name(&group.sent) {
        let bare = name.trim_end_matches('.');
        match bare
            .strip_prefix(base.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            Some(suffix) if !suffix.is_empty() => conf.search.push(suffix.to_string()),
            _ if bare == base && conf.search.is_empty() => as_is_first = true,
            _ => {}
        }
    }
    let dots = u8::try_from(base.matches('.').count()).unwrap_or(u8::MAX);
    conf.options.ndots = if as_is_first {
        dots
    } else {
        dots.saturating_add(1)
    };
    (conf, true)
}

/// The cluster zone a search list names (`<ns>.svc.<zone>`).
fn cluster_zone(search: &[String]) -> Option<String> {
    search.iter().find_map(|d| {
        let d = d.trim_matches('.').to_ascii_lowercase();
        let mut parts = d.splitn(3, '.');
        let (_, svc, zone) = (parts.next()?, parts.next()?, parts.next()?);
        (svc == "svc" && !zone.is_empty()).then(|| zone.to_string())
    })
}

fn in_zone(name: &str, zone: &str) -> bool {
    let n = name.trim_end_matches('.');
    n == zone || n.ends_with(&format!(".{zone}"))
}

fn frames(sent: &[&Sent]) -> String {
    let mut f: Vec<u32> = sent.iter().map(|s| s.frame).collect();
    f.sort_unstable();
    f.dedup();
    let list: Vec<String> = f.iter().map(u32::to_string).collect();
    match list.as_slice() {
        [one] => format!("frame {one}"),
        _ => format!("frames {}", list.join(", ")),
    }
}

/// What a candidate's answer was, in words.
fn answered_words(o: LookupOutcome, sent: &[&Sent]) -> String {
    match o {
        LookupOutcome::Answered => {
            let answers: Vec<&str> = sent
                .iter()
                .flat_map(|s| s.answers.iter().map(String::as_str))
                .take(4)
                .collect();
            format!("was answered with {}", answers.join(", "))
        }
        LookupOutcome::NxDomain => "got NXDOMAIN".to_string(),
        LookupOutcome::NoData => "got NODATA (NOERROR without records)".to_string(),
        LookupOutcome::ServFail => "got SERVFAIL".to_string(),
        LookupOutcome::Refused => {
            let rcode = sent
                .iter()
                .find_map(|s| {
                    s.rcode
                        .filter(|r| !matches!(*r, "NOERROR" | "NXDOMAIN" | "SERVFAIL"))
                })
                .unwrap_or("REFUSED");
            format!("got {rcode}")
        }
        LookupOutcome::Unanswered => {
            let most = sent.iter().map(|s| s.queries_sent).max().unwrap_or(1);
            if most > 1 {
                format!("got no answer (sent {most} times: the resolver's timeout and retry)")
            } else {
                "got no answer".to_string()
            }
        }
    }
}

fn resolver_name(r: Resolver) -> &'static str {
    match r {
        Resolver::Glibc => "glibc",
        Resolver::Musl => "musl",
        Resolver::Go => "Go",
        Resolver::Busybox => "busybox nslookup",
    }
}

fn join_names(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().take(MAX_NAMED).map(String::as_str).collect();
    let more = names.len().saturating_sub(MAX_NAMED);
    let more_text = format!("{more} more");
    if more > 0 {
        shown.push(&more_text);
    }
    shown.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One resolver's walk compared with the capture.
struct Comparison {
    expected: Vec<PlannedQuery>,
    missing: Vec<PlannedQuery>,
    extra: Vec<PlannedQuery>,
    sockets_agree: bool,
}

fn compare(
    resolver: Resolver,
    group: &Group<'_>,
    conf: &ResolvConf,
    families: &BTreeSet<String>,
    pairs: (bool, bool),
) -> Comparison {
    let named = by_name(&group.sent);
    let observed = |candidate: &str| {
        let c = candidate.to_ascii_lowercase();
        named
            .iter()
            .find(|(n, _)| *n == c)
            .map_or(Outcome::NxDomain, |(_, s)| plan_outcome(outcome(s)))
    };
    let walk = plan::walk(resolver, &group.reading.base, conf, observed);
    let address = group.sent.first().is_none_or(|s| s.address_family());
    let mut expected: Vec<PlannedQuery> = Vec::new();
    for q in &walk.queries {
        let name = q.name.to_ascii_lowercase();
        let qtype = if address {
            match q.qtype {
                plan::QueryType::A => "A".to_string(),
                plan::QueryType::Aaaa => "AAAA".to_string(),
            }
        } else {
            group
                .sent
                .first()
                .map(|s| s.qtype.to_string())
                .unwrap_or_default()
        };
        if address && !families.contains(&qtype) {
            continue;
        }
        let q = PlannedQuery { name, qtype };
        if !expected.contains(&q) {
            expected.push(q);
        }
    }
    let seen: Vec<PlannedQuery> = group
        .sent
        .iter()
        .map(|s| PlannedQuery {
            name: s.name.to_string(),
            qtype: s.qtype.to_string(),
        })
        .collect();
    let missing = expected
        .iter()
        .filter(|q| !seen.contains(q))
        .cloned()
        .collect();
    let extra = seen
        .iter()
        .filter(|q| !expected.contains(q))
        .cloned()
        .collect();
    let (same_socket, two_sockets) = pairs;
    let sockets_agree = match resolver {
        Resolver::Glibc => !two_sockets || conf.options.single_request_reopen,
        // busybox nslookup sends every query from its one socket.
        Resolver::Musl | Resolver::Busybox => !two_sockets,
        Resolver::Go => !same_socket,
    };
    Comparison {
        expected,
        missing,
        extra,
        sockets_agree,
    }
}

/// Builds the lookup of a stub resolver's queries.
fn describe(group: &Group<'_>, index: &Index<'_>, confs: &[ResolvSource]) -> Lookup {
    let (conf, inferred) = effective_conf(group, confs);
    let base = group.reading.base.clone();
    let named = by_name(&group.sent);
    let address = group.sent.first().is_none_or(|s| s.address_family());
    let families: BTreeSet<String> = group
        .sent
        .iter()
        .filter(|s| s.address_family())
        .map(|s| s.qtype.to_string())
        .collect();
    // Whether an A/AAAA pair of one name left from one socket, or from two.
    let mut pairs = (false, false);
    for (_, sent) in &named {
        let a = sent.iter().find(|s| s.qtype == "A");
        let aaaa = sent.iter().find(|s| s.qtype == "AAAA");
        if let (Some(a), Some(aaaa)) = (a, aaaa) {
            if a.port == aaaa.port {
                pairs.0 = true;
            } else {
                pairs.1 = true;
            }
        }
    }
    let reverse =
        is_reverse(&base) || (!address && group.sent.first().is_some_and(|s| s.qtype == "PTR"));
    let resolvers = [Resolver::Glibc, Resolver::Musl, Resolver::Go];
    let comparisons: Vec<(Resolver, Comparison)> = resolvers
        .iter()
        .map(|&r| (r, compare(r, group, &conf, &families, pairs)))
        .collect();
    let fits: Vec<Resolver> = comparisons
        .iter()
        .filter(|(_, c)| c.missing.is_empty() && c.extra.is_empty() && c.sockets_agree)
        .map(|(r, _)| *r)
        .collect();
    let chosen = comparisons
        .iter()
        .min_by_key(|(r, c)| {
            (
                !fits.contains(r),
                c.missing.len() + c.extra.len() + usize::from(!c.sockets_agree),
            )
        })
        .map(|(r, c)| (*r, c));
    let last_outcome = named
        .last()
        .map_or(LookupOutcome::Unanswered, |(_, s)| outcome(s));
    let answered_by = named
        .iter()
        .find(|(_, s)| outcome(s) == LookupOutcome::Answered)
        .map(|(n, _)| n.clone());

    let explanation = if reverse {
        let (name, sent) = named
            .first()
            .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
        format!(
            "`{name}` is a reverse lookup (PTR), the address written backwards under {}: it is asked as is — \
             getnameinfo and gethostbyaddr do not use the search list — and {} ({}).",
            if name.ends_with(".ip6.arpa.") { "ip6.arpa" } else { "in-addr.arpa" },
            answered_words(outcome(&sent), &sent),
            frames(&sent)
        )
    } else {
        explain(&Explain {
            group,
            conf: &conf,
            conf_source: group.reading.conf.and_then(|c| confs.get(c)),
            confs_given: !confs.is_empty(),
            named: &named,
            chosen,
            fits: &fits,
            families: &families,
            two_sockets: pairs.1,
            index,
        })
    };
    let (expected, missing, extra) = match (reverse, chosen) {
        (false, Some((_, c))) => (c.expected.clone(), c.missing.clone(), c.extra.clone()),
        _ => (
            group
                .sent
                .iter()
                .map(|s| PlannedQuery {
                    name: s.name.to_string(),
                    qtype: s.qtype.to_string(),
                })
                .collect(),
            Vec::new(),
            Vec::new(),
        ),
    };
    let resolver_fit = if reverse { resolvers.to_vec() } else { fits };
    Lookup {
        client: group
            .sent
            .first()
            .map(|s| s.client.to_string())
            .unwrap_or_default(),
        base_name: base,
        queries: group
            .sent
            .iter()
            .flat_map(|s| s.indices.iter().copied())
            .collect(),
        resolv_conf: group
            .reading
            .conf
            .and_then(|c| confs.get(c))
            .map(|c| c.source.clone()),
        search: conf.search.clone(),
        search_inferred: inferred && !reverse,
        ndots: (!inferred).then_some(conf.options.ndots),
        resolver_fit,
        outcome: last_outcome,
        answered_by,
        expected,
        missing,
        extra,
        explanation,
        evidence: evidence(group),
    }
}

fn evidence(group: &Group<'_>) -> Vec<QueryEvidence> {
    group
        .sent
        .iter()
        .map(|s| QueryEvidence {
            name: s.name.to_string(),
            qtype: s.qtype.to_string(),
            rcode: s.rcode.map(str::to_string),
            source: s.source.to_string(),
            frame: s.frame,
            line: s.line,
            answer_line: s.answer_line,
        })
        .collect()
}

/// What an explanation is built from.
struct Explain<'a, 'g> {
    group: &'a Group<'g>,
    conf: &'a ResolvConf,
    conf_source: Option<&'a ResolvSource>,
    confs_given: bool,
    named: &'a [(String, Vec<&'g Sent<'g>>)],
    chosen: Option<(Resolver, &'a Comparison)>,
    fits: &'a [Resolver],
    families: &'a BTreeSet<String>,
    two_sockets: bool,
    index: &'a Index<'a>,
}

/// The names of `resolvers`: `glibc`, `glibc and musl`, `glibc, musl and Go`.
fn resolver_list(resolvers: &[Resolver]) -> String {
    let names: Vec<&str> = resolvers.iter().map(|&r| resolver_name(r)).collect();
    match names.as_slice() {
        [] => "the resolver".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn quoted(names: &[String]) -> Vec<String> {
    names.iter().map(|n| format!("`{n}`")).collect()
}

/// Why each query of a stub resolver's lookup was sent, and why the last one was.
fn explain(e: &Explain<'_, '_>) -> String {
    let base = &e.group.reading.base;
    let as_is = format!("{base}.");
    let dots = base.matches('.').count();
    let ndots = usize::from(e.conf.options.ndots);
    let search_first = !e.conf.search.is_empty() && dots < ndots;
    let who = match e.fits {
        [] => e.chosen.map_or("the resolver".to_string(), |(r, _)| {
            resolver_name(r).to_string()
        }),
        fits => resolver_list(fits),
    };
    let client = e.group.sent.first().map_or("", |s| s.client);
    let mut out: Vec<String> = Vec::new();

    // The rule that orders the candidates.
    match e.conf_source {
        Some(source) => {
            let place = match e.conf.options.line {
                Some(line) => format!("{}:{line}", source.source),
                None => format!("{}, default", source.source),
            };
            if e.conf.search.is_empty() {
                out.push(format!(
                    "{} has no search list, so `{as_is}` is the only name to ask.",
                    source.source
                ));
            } else if search_first {
                out.push(format!(
                    "`{base}` has {} < ndots {ndots} ({place}), so the search list goes first and the name as typed last.",
                    plural(dots, "dot", "dots")
                ));
            } else {
                out.push(format!(
                    "`{base}` has {} ≥ ndots {ndots} ({place}), so it is tried as typed first (glibc and Go then try the \
                     search list if that fails; musl never searches it).",
                    plural(dots, "dot", "dots")
                ));
            }
        }
        None => {
            let why = if e.confs_given {
                "No resolv.conf given fits this client"
            } else {
                "No resolv.conf was given"
            };
            if e.conf.search.is_empty() {
                out.push(format!("{why}; {client} asked `{as_is}` alone."));
            } else {
                out.push(format!(
                    "{why}, so the search list is inferred from the names {client} sent: {}.",
                    e.conf.search.join(", ")
                ));
            }
        }
    }

    let Some(((last, last_sent), before)) = e.named.split_last() else {
        return out.join(" ");
    };
    let last_outcome = outcome(last_sent);
    let result = format!(
        "{} ({})",
        answered_words(last_outcome, last_sent),
        frames(last_sent)
    );
    // The candidates a resolver with this file tries, in order (glibc's list with the others' extras).
    let planned = if e.conf_source.is_some() {
        e.group.reading.candidates.clone()
    } else {
        candidate_names(base, e.conf)
    };
    let first_sent = e.named.first().map(|(n, _)| n.as_str()).unwrap_or_default();
    let skipped_before: Vec<String> = planned
        .iter()
        .take_while(|n| n.as_str() != first_sent)
        .cloned()
        .collect();

    if before.is_empty() && *last == as_is && search_first {
        // Only the name as typed, though the search list should have come first.
        let first: Vec<String> = skipped_before.iter().take(3).cloned().collect();
        out.push(format!(
            "Only `{as_is}` was sent, though a resolver with this search list tries {} first: the name was asked \
             with a trailing dot, or by a client that does not search (dig without +search, res_query, a hostNetwork \
             pod whose dnsPolicy ClusterFirst fell back to the node's resolv.conf). It {result}.",
            join_names(&quoted(&first))
        ));
    } else {
        if !skipped_before.is_empty() {
            out.push(format!(
                "The capture starts at `{first_sent}`: {} before it {} not in it (the capture began mid-lookup, or \
                 this client's search list differs).",
                join_names(&quoted(&skipped_before)),
                if skipped_before.len() == 1 { "is" } else { "are" }
            ));
        }
        // What the candidates before the last got.
        let continued = |o: LookupOutcome| {
            matches!(
                o,
                LookupOutcome::NxDomain | LookupOutcome::NoData | LookupOutcome::ServFail
            )
        };
        let stop = before.iter().position(|(_, s)| {
            matches!(
                outcome(s),
                LookupOutcome::Unanswered | LookupOutcome::Refused
            )
        });
        let summary = summarize(before, true);
        let as_is_last = *last == as_is && search_first;
        match (stop, as_is_last) {
            (Some(k), true) => {
                // glibc's stop rule: a timeout or REFUSED ends the search list, then the name as typed.
                let (stopped, stopped_sent) = before
                    .get(k)
                    .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
                let after: Vec<String> = planned
                    .iter()
                    .skip_while(|n| **n != stopped)
                    .skip(1)
                    .filter(|n| **n != as_is && !e.named.iter().any(|(m, _)| m == *n))
                    .cloned()
                    .collect();
                if let Some(earlier) = summarize(before.get(..k).unwrap_or_default(), false) {
                    out.push(format!("{}.", crate::text::capitalize(&earlier)));
                }
                out.push(format!(
                    "`{stopped}` {} ({}): glibc stops walking the search list on a timeout or REFUSED and tries the \
                     name as typed right away, `{as_is}`{}. It {result}.",
                    answered_words(outcome(&stopped_sent), &stopped_sent),
                    frames(&stopped_sent),
                    if after.is_empty() {
                        String::new()
                    } else {
                        format!(", skipping {}", join_names(&quoted(&after)))
                    }
                ));
            }
            (None, true) => {
                let every_continued = before.iter().all(|(_, s)| continued(outcome(s)));
                let summary = summary.unwrap_or_default();
                let summary = crate::text::capitalize(&summary);
                if every_continued {
                    out.push(format!(
                        "{summary}, so {who} fell through to the name as typed, `{as_is}` ({}), the final fallback \
                         after every search candidate failed. It {}.",
                        frames(last_sent),
                        answered_words(last_outcome, last_sent)
                    ));
                } else {
                    out.push(format!("{summary}. Then `{as_is}` {result}."));
                }
            }
            (_, false) => {
                if let Some(summary) = summary {
                    out.push(format!("{}.", crate::text::capitalize(&summary)));
                }
                if last_outcome == LookupOutcome::Answered {
                    let searched = *last != as_is && search_first;
                    out.push(format!(
                        "`{last}` {result}, so the lookup ended there{}.",
                        if searched {
                            format!(" and no bare `{as_is}` query was sent")
                        } else {
                            String::new()
                        }
                    ));
                } else {
                    out.push(format!("`{last}` {result}."));
                    out.push(after_failure(e, last, last_outcome, &planned));
                }
            }
        }
    }

    // A name outside the cluster zone goes upstream.
    if let Some(zone) = cluster_zone(&e.conf.search) {
        if !in_zone(last, &zone) {
            out.push(forward_note(e, last, last_sent, &zone));
        }
    }
    if e.families.len() == 1 {
        if let Some(family) = e.families.first() {
            out.push(format!(
                "Only {family} was asked: the application wanted {} addresses only, so no {} is expected.",
                if family == "A" { "IPv4" } else { "IPv6" },
                if family == "A" { "AAAA" } else { "A" }
            ));
        }
    }
    out.push(match (e.fits, e.chosen) {
        ([], Some((r, c))) => {
            let names = |q: &[PlannedQuery]| {
                join_names(
                    &q.iter()
                        .map(|q| format!("{} {}", q.name, q.qtype))
                        .collect::<Vec<_>>(),
                )
            };
            let mut parts = Vec::new();
            if !c.missing.is_empty() {
                parts.push(format!(
                    "{} would also send {}",
                    resolver_name(r),
                    names(&c.missing)
                ));
            }
            if !c.extra.is_empty() {
                parts.push(format!(
                    "{} would not send {}",
                    resolver_name(r),
                    names(&c.extra)
                ));
            }
            if !c.sockets_agree {
                parts.push(format!(
                    "{} would send each A/AAAA pair from {}",
                    resolver_name(r),
                    if r == Resolver::Go {
                        "two sockets"
                    } else {
                        "one socket"
                    }
                ));
            }
            format!(
                "No modelled resolver sends exactly this: {}.",
                parts.join("; ")
            )
        }
        ([], None) => String::new(),
        ([_, _, _], _) => "glibc, musl and Go all send exactly this.".to_string(),
        (fits, _) => format!(
            "Of the modelled resolvers only {} {} exactly this{}.",
            resolver_list(fits),
            if fits.len() == 1 { "sends" } else { "send" },
            if e.two_sockets {
                " (each A/AAAA pair left from two source ports, as Go's separate sockets send them)"
            } else {
                ""
            }
        ),
    });
    out.retain(|s| !s.is_empty());
    out.join(" ")
}

/// What `candidates` got, in words with frames: one phrase when they all got the same (`every candidate before it
/// — … —` when `every`), else one per candidate.
fn summarize(candidates: &[(String, Vec<&Sent<'_>>)], every: bool) -> Option<String> {
    let (first, rest) = candidates.split_first()?;
    let o = outcome(&first.1);
    let all: Vec<&Sent> = candidates
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    let names: Vec<String> = candidates.iter().map(|(n, _)| n.clone()).collect();
    if rest.iter().all(|(_, s)| outcome(s) == o) {
        let words = answered_words(o, &all);
        Some(match (rest.is_empty(), every) {
            (true, _) => format!("`{}` {words} ({})", first.0, frames(&all)),
            (false, true) => format!(
                "every candidate before it — {} — {words} ({})",
                join_names(&quoted(&names)),
                frames(&all)
            ),
            (false, false) => format!("{} {words} ({})", join_names(&quoted(&names)), frames(&all)),
        })
    } else {
        Some(
            candidates
                .iter()
                .map(|(n, s)| format!("`{n}` {} ({})", answered_words(outcome(s), s), frames(s)))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// What happens after a failed last candidate: where each resolver stops or goes on.
fn after_failure(e: &Explain<'_, '_>, last: &str, o: LookupOutcome, planned: &[String]) -> String {
    let next: Option<&String> = planned.iter().skip_while(|n| n.as_str() != last).nth(1);
    let Some(next) = next else {
        return format!(
            "That was the last candidate: the lookup failed with {}.",
            outcome_word(o)
        );
    };
    if e.fits.contains(&Resolver::Musl) && !e.fits.contains(&Resolver::Glibc) {
        let remaining: Vec<String> = planned
            .iter()
            .skip_while(|n| n.as_str() != last)
            .skip(1)
            .cloned()
            .collect();
        return format!(
            "musl stops the search on {} (it goes on only after NXDOMAIN), so {} {} never sent; glibc and Go \
             would have gone on to `{next}`.",
            outcome_word(o),
            join_names(&quoted(&remaining)),
            if remaining.len() == 1 { "was" } else { "were" }
        );
    }
    format!(
        "No later query for this name follows in the capture (it ended, or the application gave up); a resolver \
         that goes on would ask `{next}` next."
    )
}

fn outcome_word(o: LookupOutcome) -> &'static str {
    match o {
        LookupOutcome::Answered => "an answer",
        LookupOutcome::NxDomain => "NXDOMAIN",
        LookupOutcome::NoData => "NODATA",
        LookupOutcome::ServFail => "SERVFAIL",
        LookupOutcome::Refused => "REFUSED",
        LookupOutcome::Unanswered => "no answer",
    }
}

/// Where a name outside the cluster zone goes, with the forwarded query when the capture shows it.
fn forward_note(e: &Explain<'_, '_>, last: &str, last_sent: &[&Sent], zone: &str) -> String {
    let mut note = format!(
        "`{last}` is outside the cluster zone {zone}, so cluster DNS does not answer it from its Kubernetes records \
         but forwards it upstream"
    );
    // The DNS servers the query went to (a Service VIP and the pod behind it), and the next query for the same name
    // and type from one of them.
    let servers: Vec<&str> = last_sent
        .iter()
        .flat_map(|s| s.indices.iter())
        .filter_map(|&i| e.index.transactions.get(i))
        .map(|t| host(&t.server))
        .collect();
    let forwarded = e.index.nearest(last_sent, &servers, true, true);
    if let Some(f) = forwarded.first() {
        let mut frames: Vec<u32> = forwarded.iter().map(|t| t.frame).collect();
        frames.sort_unstable();
        frames.dedup();
        let list: Vec<String> = frames.iter().map(u32::to_string).collect();
        note.push_str(&format!(
            ": the capture shows {} asking {} ({} {}){}",
            host(&f.client),
            host(&f.server),
            if list.len() == 1 { "frame" } else { "frames" },
            list.join(", "),
            match f.rcode.as_deref() {
                Some(rcode) => format!(", which answers {rcode}"),
                None => String::new(),
            }
        ));
    }
    note.push('.');
    note
}

/// Builds the lookup of a DNS server's own query (a forward upstream).
fn describe_forward(group: &Group<'_>, index: &Index<'_>) -> Lookup {
    let named = by_name(&group.sent);
    let (name, sent) = named
        .first()
        .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
    let client = group
        .sent
        .first()
        .map(|s| s.client.to_string())
        .unwrap_or_default();
    let server = group
        .sent
        .first()
        .map(|s| s.server.to_string())
        .unwrap_or_default();
    let served = index
        .first_served
        .get(client.as_str())
        .copied()
        .unwrap_or(0);
    // The client queries it forwards: the last query for the same name and type sent to it before each of its own.
    let asked = index.nearest(&sent, &[client.as_str()], false, false);
    let what = match asked.last() {
        Some(t) => {
            let mut f: Vec<u32> = asked.iter().map(|t| t.frame).collect();
            f.sort_unstable();
            f.dedup();
            let list: Vec<String> = f.iter().map(u32::to_string).collect();
            format!(
                "it forwards what {} asked it ({} {})",
                host(&t.client),
                if list.len() == 1 { "frame" } else { "frames" },
                list.join(", ")
            )
        }
        None => {
            "a query of its own (a forward, or a lookup the server makes for itself)".to_string()
        }
    };
    let explanation = format!(
        "{client} answers DNS queries in this capture (frame {served}), so `{name}` to {server} is its own upstream \
         traffic: {what}, sent as it is — a stub resolver's search list does not apply. It {} ({}).",
        answered_words(outcome(&sent), &sent),
        frames(&sent)
    );
    Lookup {
        client,
        base_name: name.trim_end_matches('.').to_string(),
        queries: group
            .sent
            .iter()
            .flat_map(|s| s.indices.iter().copied())
            .collect(),
        resolv_conf: None,
        search: Vec::new(),
        search_inferred: false,
        ndots: None,
        resolver_fit: Vec::new(),
        outcome: outcome(&sent),
        answered_by: (outcome(&sent) == LookupOutcome::Answered).then(|| name.clone()),
        expected: group
            .sent
            .iter()
            .map(|s| PlannedQuery {
                name: s.name.to_string(),
                qtype: s.qtype.to_string(),
            })
            .collect(),
        missing: Vec::new(),
        extra: Vec::new(),
        explanation,
        evidence: evidence(group),
    }
}
