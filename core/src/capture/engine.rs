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
//! For the findings the engine gathers, per capture: transactions answered only after a resend (and whether the A
//! and AAAA queries of one socket were sent together — within 10 ms, or back to back without timestamps — with
//! only one of them lost: the conntrack race), transactions never answered, truncated UDP answers with no later TCP
//! query from the client's address for the same name and type, replies from the wrong source, and SERVFAIL or
//! REFUSED answers. A query or truncated answer in the last 2 s of a capture (without timestamps: its last packet)
//! is not held against it, since the capture may have stopped before the answer or the TCP retry.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::rr::{RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::transactions::{QueryCopy, StrayReply, Transaction, Transactions, MAX_LISTED_COPIES};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::packet::{
    is_failure, rcode_name, type_name, Answers, Host, Packet, Sock, Transport,
};
use crate::source::tcpdump;
use crate::source::tcpdump::DAY_US;

/// No slot.
const NONE: u32 = u32::MAX;
/// A port a text capture printed as a service name.
const NO_PORT: u32 = 0x1_0000;
/// Queries and truncated answers this close to the end of a capture are not counted against it.
const END_GRACE_US: u64 = 2_000_000;
/// An A and an AAAA query of one socket sent this close together count as sent together.
const TOGETHER_US: u64 = 10_000;
/// How many examples a finding names, and how many places it cites.
const EXAMPLES: usize = 3;
const EVIDENCE: usize = 20;

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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_listed: 100_000,
            max_strays: 10_000,
            window_us: 30_000_000,
            answered_window_us: 5_000_000,
        }
    }
}

/// What a set of captures shows, in numbers: the UI's counters and latency histogram.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Packets read: frames of a binary capture, DNS packets of a text one.
    pub packets: u64,
    /// DNS messages read (a TCP segment may carry several, or a part of one).
    pub dns_messages: u64,
    /// Of those, queries.
    pub queries: u64,
    /// Of those, responses.
    pub responses: u64,
    /// DNS transactions (a query and its retransmissions).
    pub transactions: u64,
    /// Transactions listed in `captures.transactions`.
    pub listed: u64,
    /// Transactions answered.
    pub answered: u64,
    /// Transactions never answered in the capture.
    pub unanswered: u64,
    /// Transactions whose query was sent more than once.
    pub retried: u64,
    /// Transactions whose answer had TC set.
    pub truncated: u64,
    /// Replies from an address the query was not sent to.
    pub wrong_source: u64,
    /// Replies that match no query.
    pub unmatched: u64,
    /// Answered transactions per rcode.
    pub rcodes: BTreeMap<String, u64>,
    /// Transactions per query type.
    #[serde(rename = "types")]
    pub qtypes: BTreeMap<String, u64>,
    /// Latency of the answered transactions with timestamps.
    pub latency: Latency,
}

/// A latency histogram with fixed log-scale buckets, and percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// How many latencies.
    pub count: u64,
    /// The median (nearest rank), in microseconds.
    pub p50_us: Option<u64>,
    /// The 90th percentile.
    pub p90_us: Option<u64>,
    /// The 99th percentile.
    pub p99_us: Option<u64>,
    /// The largest.
    pub max_us: Option<u64>,
    /// Counts per bucket, from the fastest: 10, 20, 50 µs … 20 s, then everything slower.
    pub buckets: Vec<Bucket>,
    /// A finer histogram the percentiles come from: exact below 128 µs, then 64 buckets per power of two, each
    /// with its largest value, so a percentile is a latency that was measured, within 1.6 % of the exact rank.
    #[serde(skip)]
    fine: Fine,
}

/// One bucket of [`Latency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The bucket holds latencies up to this many microseconds (above the previous bucket's); `None` for the last,
    /// open-ended one.
    pub le_us: Option<u64>,
    /// How many.
    pub count: u64,
}

/// Upper bounds of the display buckets, in microseconds.
const BOUNDS_US: [u64; 21] = [
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    u64::MAX,
];

/// Fine buckets: 128 exact ones, then 64 per power of two from 2^7 to 2^40 µs (12.7 days; slower ones share the
/// last bucket).
const FINE_BUCKETS: usize = 128 + 34 * 64;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fine {
    counts: Vec<u64>,
    max: Vec<u64>,
    display: Vec<u64>,
}

fn fine_index(v: u64) -> usize {
    let v = v.min((1 << 41) - 1);
    if v < 128 {
        return usize::try_from(v).unwrap_or(0);
    }
    let e = 63 - v.leading_zeros();
    let m = usize::try_from(v >> (e - 6)).unwrap_or(127);
    let e = usize::try_from(e).unwrap_or(40);
    128 + (e - 7) * 64 + (m.saturating_sub(64))
}

impl Latency {
    /// The histogram and percentiles of these latencies (microseconds), as the capture summary computes them.
    pub fn of(latencies_us: impl IntoIterator<Item = u64>) -> Latency {
        let mut latency = Latency::default();
        for us in latencies_us {
            latency.add(us);
        }
        latency.settle();
        latency
    }

    fn add(&mut self, us: u64) {
        if self.fine.counts.is_empty() {
            self.fine.counts = vec![0; FINE_BUCKETS];
            self.fine.max = vec![0; FINE_BUCKETS];
            self.fine.display = vec![0; BOUNDS_US.len()];
        }
        let i = fine_index(us);
        if let (Some(c), Some(m)) = (self.fine.counts.get_mut(i), self.fine.max.get_mut(i)) {
            *c += 1;
            *m = (*m).max(us);
        }
        let slot = BOUNDS_US.partition_point(|&b| b < us);
        if let Some(n) = self.fine.display.get_mut(slot) {
            *n += 1;
        }
        self.count += 1;
    }

    fn merge(&mut self, other: &Latency) {
        if other.fine.counts.is_empty() {
            return;
        }
        if self.fine.counts.is_empty() {
            self.fine = other.fine.clone();
        } else {
            for (a, b) in self.fine.counts.iter_mut().zip(&other.fine.counts) {
                *a += b;
            }
            for (a, b) in self.fine.max.iter_mut().zip(&other.fine.max) {
                *a = (*a).max(*b);
            }
            for (a, b) in self.fine.display.iter_mut().zip(&other.fine.display) {
                *a += b;
            }
        }
        self.count += other.count;
    }

    /// Fills in the percentiles and display buckets from the fine histogram.
    fn settle(&mut self) {
        let percentile = |p: u64| -> Option<u64> {
            let rank = (p * self.count).div_ceil(100).max(1);
            let mut seen = 0;
            for (c, m) in self.fine.counts.iter().zip(&self.fine.max) {
                seen += c;
                if *c > 0 && seen >= rank {
                    return Some(*m);
                }
            }
            None
        };
        if self.count == 0 {
            *self = Latency::default();
            return;
        }
        self.p50_us = percentile(50);
        self.p90_us = percentile(90);
        self.p99_us = percentile(99);
        self.max_us = self
            .fine
            .counts
            .iter()
            .zip(&self.fine.max)
            .rev()
            .find(|(c, _)| **c > 0)
            .map(|(_, m)| *m);
        self.buckets = BOUNDS_US
            .iter()
            .zip(&self.fine.display)
            .map(|(&b, &count)| Bucket {
                le_us: (b != u64::MAX).then_some(b),
                count,
            })
            .collect();
    }
}

impl Summary {
    /// Adds another capture's summary to this one.
    pub fn merge(&mut self, other: &Summary) {
        self.packets += other.packets;
        self.dns_messages += other.dns_messages;
        self.queries += other.queries;
        self.responses += other.responses;
        self.transactions += other.transactions;
        self.listed += other.listed;
        self.answered += other.answered;
        self.unanswered += other.unanswered;
        self.retried += other.retried;
        self.truncated += other.truncated;
        self.wrong_source += other.wrong_source;
        self.unmatched += other.unmatched;
        for (k, v) in &other.rcodes {
            *self.rcodes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.qtypes {
            *self.qtypes.entry(k.clone()).or_default() += v;
        }
        self.latency.merge(&other.latency);
        self.latency.settle();
    }
}

/// A place in a capture: a frame, and a line for a text capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Stamp {
    pub(crate) frame: u32,
    pub(crate) line: u32,
}

/// One example of a capture finding: the transaction's name and type, its client and server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Example {
    pub(crate) at: Stamp,
    pub(crate) name: String,
    pub(crate) qtype: String,
    pub(crate) client: String,
    pub(crate) server: String,
    /// The rcode of a failure, or the address a wrong-source reply came from.
    pub(crate) other: Option<String>,
    /// For a retried query: microseconds from the first copy to the first resend.
    pub(crate) gap_us: Option<u64>,
    /// For a retried query: whether it is one of an A/AAAA pair sent together, the other one answered.
    pub(crate) race: bool,
}

/// What one capture finding has gathered: how often, the first examples and the first places.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Signal {
    pub(crate) count: u64,
    /// How many of them match the conntrack race signature (retries only).
    pub(crate) race: u64,
    pub(crate) examples: Vec<Example>,
    pub(crate) evidence: Vec<Stamp>,
}

impl Signal {
    fn add(&mut self, example: Example, places: &[Stamp]) {
        self.count += 1;
        self.race += u64::from(example.race);
        self.examples.push(example);
        if self.examples.len() > 2 * EXAMPLES {
            self.examples.sort_by_key(|e| e.at);
            self.examples.truncate(EXAMPLES);
        }
        self.evidence.extend_from_slice(places);
        if self.evidence.len() > 2 * EVIDENCE {
            self.settle();
        }
    }

    fn settle(&mut self) {
        self.examples.sort_by_key(|e| e.at);
        self.examples.truncate(EXAMPLES);
        self.evidence.sort_unstable();
        self.evidence.dedup();
        self.evidence.truncate(EVIDENCE);
    }
}

/// What the capture findings read, per capture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Signals {
    pub(crate) retried: Signal,
    pub(crate) unanswered: Signal,
    pub(crate) truncated_no_tcp: Signal,
    pub(crate) wrong_source: Signal,
    pub(crate) failed: Signal,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HostKey {
    V4([u8; 4]),
    V6([u8; 16]),
    Name(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SockKey {
    host: HostKey,
    port: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ClientKey {
    sock: SockKey,
    id: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TcKey {
    host: HostKey,
    name: u32,
    qtype: u16,
}

#[derive(Debug, Clone, Copy)]
struct TcPending {
    at: Stamp,
    time: Option<u64>,
    client: SockKey,
    server: SockKey,
    deadline: u64,
}

/// Strings by number, counted while used.
#[derive(Debug, Default)]
struct Interner {
    map: FxHashMap<Arc<str>, u32>,
    entries: Vec<(Option<Arc<str>>, u32)>,
    free: Vec<u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let text: Arc<str> = s.into();
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(e) = self.entries.get_mut(id as usize) {
                    *e = (Some(text.clone()), 0);
                }
                id
            }
            None => {
                self.entries.push((Some(text.clone()), 0));
                u32::try_from(self.entries.len() - 1).unwrap_or(NONE)
            }
        };
        self.map.insert(text, id);
        id
    }

    fn lookup(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }

    fn arc(&self, id: u32) -> Option<Arc<str>> {
        self.entries.get(id as usize).and_then(|e| e.0.clone())
    }

    fn get(&self, id: u32) -> &str {
        self.entries
            .get(id as usize)
            .and_then(|e| e.0.as_deref())
            .unwrap_or("?")
    }

    fn retain(&mut self, id: u32) {
        if let Some(e) = self.entries.get_mut(id as usize) {
            e.1 += 1;
        }
    }

    fn release(&mut self, id: u32) {
        let Some(e) = self.entries.get_mut(id as usize) else {
            return;
        };
        e.1 = e.1.saturating_sub(1);
        if e.1 == 0 {
            if let Some(text) = e.0.take() {
                self.map.remove(&text);
                self.free.push(id);
            }
        }
    }
}

/// A transaction while it can still be matched.
#[derive(Debug, Clone)]
struct Open {
    gen: u32,
    live: bool,
    seq: u64,
    client: SockKey,
    server: SockKey,
    id: u16,
    qtype: u16,
    name: u32,
    first: Stamp,
    first_time: Option<u64>,
    resend: Option<Stamp>,
    resend_time: Option<u64>,
    last_frame: u32,
    last_time: Option<u64>,
    queries_sent: u32,
    answer: Option<Stamp>,
    listed: u32,
    partner: u32,
    partner_gen: u32,
    /// The partner's first query, once the partner was answered without a resend while this one waited.
    partner_answered: Option<Stamp>,
    /// The same, kept at this one's first resend: the conntrack race signature.
    race: Option<Stamp>,
    next: u32,
    deadline: u64,
}

/// The capture's clock: times of day unwrapped at midnight, and the latest time seen.
#[derive(Debug, Default)]
struct Clock {
    day_offset: u64,
    last_time_of_day: Option<u64>,
    now: u64,
    last_frame: u32,
}

impl Clock {
    fn read(&mut self, packet: &Packet<'_>) -> Option<u64> {
        self.last_frame = self.last_frame.max(packet.frame);
        let t = packet.time?;
        let mut micros = t.micros;
        if t.time_of_day {
            if let Some(prev) = self.last_time_of_day {
                if micros.saturating_add(DAY_US / 2) < prev {
                    self.day_offset = self.day_offset.saturating_add(DAY_US);
                }
            }
            self.last_time_of_day = Some(t.micros);
            micros = micros.saturating_add(self.day_offset);
        }
        self.now = self.now.max(micros);
        Some(micros)
    }
}

/// Groups one capture's DNS messages into transactions; see the module documentation.
#[derive(Debug)]
pub struct Grouper {
    source: Arc<str>,
    limits: Limits,
    out: Transactions,
    slots: Vec<Open>,
    free: Vec<u32>,
    seq: u64,
    by_client: FxHashMap<ClientKey, u32>,
    last_by_socket: FxHashMap<SockKey, u32>,
    names: Interner,
    hosts: Interner,
    /// Server sockets as text, shared by their transactions (a capture talks to few servers).
    servers: FxHashMap<SockKey, Arc<str>>,
    /// When transactions may close: after a query copy, and after an answer. Each queue is in time order.
    expiry: VecDeque<(u64, u32, u32)>,
    answered_expiry: VecDeque<(u64, u32, u32)>,
    tc: FxHashMap<TcKey, TcPending>,
    tc_expiry: VecDeque<(u64, TcKey)>,
    clock: Clock,
    summary: Summary,
    rcodes: [u64; 24],
    other_rcodes: FxHashMap<u16, u64>,
    qtypes: FxHashMap<u16, u64>,
    signals: Signals,
    lower: String,
    first_unlisted: Option<Stamp>,
    diagnostics: Vec<Diagnostic>,
}

impl Grouper {
    /// An engine for the capture named `source`.
    pub fn new(source: Arc<str>, limits: Limits) -> Self {
        Self {
            source,
            limits,
            out: Transactions::default(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
            by_client: FxHashMap::default(),
            last_by_socket: FxHashMap::default(),
            names: Interner::default(),
            hosts: Interner::default(),
            servers: FxHashMap::default(),
            expiry: VecDeque::new(),
            answered_expiry: VecDeque::new(),
            tc: FxHashMap::default(),
            tc_expiry: VecDeque::new(),
            clock: Clock::default(),
            summary: Summary::default(),
            rcodes: [0; 24],
            other_rcodes: FxHashMap::default(),
            qtypes: FxHashMap::default(),
            signals: Signals::default(),
            lower: String::new(),
            first_unlisted: None,
            diagnostics: Vec::new(),
        }
    }

    /// Makes room for about `transactions` listed transactions (a hint from the input's size).
    pub fn reserve(&mut self, transactions: usize) {
        let room = self
            .limits
            .max_listed
            .saturating_sub(self.out.transactions.len());
        self.out.transactions.reserve(transactions.min(room));
    }

    /// Counts packets read that are not DNS messages (or all packets of a text capture).
    pub fn add_packets(&mut self, n: u64) {
        self.summary.packets = self.summary.packets.saturating_add(n);
    }

    /// Takes the next DNS message of the capture.
    pub fn push(&mut self, packet: &Packet<'_>) {
        self.summary.dns_messages += 1;
        let time = self.clock.read(packet);
        self.expire();
        if packet.response {
            self.summary.responses += 1;
            self.response(packet, time);
        } else {
            self.summary.queries += 1;
            self.query(packet, time);
        }
    }

    fn sock_key(&mut self, sock: &Sock<'_>) -> SockKey {
        let host = match sock.host {
            Host::Ip(IpAddr::V4(ip)) => HostKey::V4(ip.octets()),
            Host::Ip(IpAddr::V6(ip)) => HostKey::V6(ip.octets()),
            Host::Name(name) => HostKey::Name(self.hosts.intern(name)),
        };
        SockKey {
            host,
            port: sock.port.map_or(NO_PORT, u32::from),
        }
    }

    fn sock_text(&self, key: SockKey) -> String {
        let port = u16::try_from(key.port).ok();
        let sock = match key.host {
            HostKey::V4(o) => Sock {
                host: Host::Ip(IpAddr::from(o)),
                port,
            },
            HostKey::V6(o) => Sock {
                host: Host::Ip(IpAddr::from(o)),
                port,
            },
            HostKey::Name(id) => Sock {
                host: Host::Name(self.hosts.get(id)),
                port,
            },
        };
        sock.to_string()
    }

    /// The name in lower case, in `self.lower` unless it already is.
    fn lowered<'n>(lower: &'n mut String, name: &'n str) -> &'n str {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(name);
            lower.make_ascii_lowercase();
            lower
        } else {
            name
        }
    }

    fn slot(&self, i: u32) -> Option<&Open> {
        self.slots.get(i as usize).filter(|s| s.live)
    }

    fn slot_mut(&mut self, i: u32) -> Option<&mut Open> {
        self.slots.get_mut(i as usize).filter(|s| s.live)
    }

    fn query(&mut self, packet: &Packet<'_>, time: Option<u64>) {
        let Some(q) = packet.question else {
            return;
        };
        let name = {
            let lowered = Self::lowered(&mut self.lower, q.name);
            self.names.intern(lowered)
        };
        let client = self.sock_key(&packet.src);
        let server = self.sock_key(&packet.dst);
        let key = ClientKey {
            sock: client,
            id: packet.id,
        };
        let here = Stamp {
            frame: packet.frame,
            line: packet.line,
        };
        // The latest transaction with this key, and the end of the list.
        let mut found = NONE;
        let mut tail = NONE;
        let mut cur = self.by_client.get(&key).copied().unwrap_or(NONE);
        while let Some(s) = self.slot(cur) {
            if s.server == server && s.name == name && s.qtype == q.qtype {
                found = cur;
            }
            tail = cur;
            cur = s.next;
        }
        let deadline = self.clock.now.saturating_add(self.limits.window_us);
        if let Some(s) = self.slots.get_mut(found as usize) {
            if s.live && s.answer.is_none() {
                s.queries_sent = s.queries_sent.saturating_add(1);
                if s.resend.is_none() {
                    s.resend = Some(here);
                    s.resend_time = time;
                    // The conntrack race: the A/AAAA partner sent with the first copy was answered before this
                    // first resend, with no resend of its own.
                    s.race = s.partner_answered;
                }
                s.last_frame = packet.frame;
                s.last_time = time;
                s.deadline = deadline;
                let (listed, gen) = (s.listed, s.gen);
                self.expiry.push_back((deadline, found, gen));
                if let Some(t) = self.out.transactions.get_mut(listed as usize) {
                    t.queries_sent = t.queries_sent.saturating_add(1);
                    if t.resent.len() < MAX_LISTED_COPIES {
                        t.resent.push(QueryCopy {
                            frame: packet.frame,
                            line: packet.line,
                            time_us: packet.time.map(|t| t.micros),
                        });
                    }
                }
                return;
            }
        }
        // A new transaction.
        self.summary.transactions += 1;
        *self.qtypes.entry(q.qtype).or_default() += 1;
        if packet.transport == Transport::Tcp {
            let tc = TcKey {
                host: client.host,
                name,
                qtype: q.qtype,
            };
            if self.tc.remove(&tc).is_some() {
                self.names.release(name);
            }
        }
        let listed = if self.out.transactions.len() < self.limits.max_listed {
            // Text shared where it can be: the interned name when it is already in lower case, the server's
            // socket, and the client's when the socket's previous query (an A/AAAA pair) is listed.
            let name_text = match self.names.arc(name) {
                Some(text) if *text == *q.name => text,
                _ => q.name.into(),
            };
            let server_text = match self.servers.get(&server) {
                Some(text) => text.clone(),
                None => {
                    let text: Arc<str> = sock_string(&packet.dst).into();
                    if self.servers.len() < 4096 {
                        self.servers.insert(server, text.clone());
                    }
                    text
                }
            };
            let previous = self
                .last_by_socket
                .get(&client)
                .and_then(|&p| self.slot(p))
                .and_then(|p| self.out.transactions.get(p.listed as usize));
            let client_text = match previous {
                Some(t) => t.client.clone(),
                None => sock_string(&packet.src).into(),
            };
            self.out.transactions.push(Transaction {
                client: client_text,
                server: server_text,
                id: packet.id,
                name: name_text,
                qtype: type_name(q.qtype),
                rcode: None,
                answers: Vec::new(),
                queries_sent: 1,
                latency_us: None,
                truncated: false,
                transport: packet.transport,
                source: self.source.clone(),
                frame: packet.frame,
                line: packet.line,
                answer_line: None,
                answer_frame: None,
                time_us: packet.time.map(|t| t.micros),
                resent: Vec::new(),
            });
            u32::try_from(self.out.transactions.len() - 1).unwrap_or(NONE)
        } else {
            self.first_unlisted.get_or_insert(here);
            NONE
        };
        self.names.retain(name);
        self.seq += 1;
        let open = Open {
            gen: 0,
            live: true,
            seq: self.seq,
            client,
            server,
            id: packet.id,
            qtype: q.qtype,
            name,
            first: here,
            first_time: time,
            resend: None,
            resend_time: None,
            last_frame: packet.frame,
            last_time: time,
            queries_sent: 1,
            answer: None,
            listed,
            partner: NONE,
            partner_gen: 0,
            partner_answered: None,
            race: None,
            next: NONE,
            deadline,
        };
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i as usize) {
                    let gen = s.gen;
                    *s = Open { gen, ..open };
                }
                i
            }
            None => {
                self.slots.push(open);
                u32::try_from(self.slots.len() - 1).unwrap_or(NONE)
            }
        };
        let gen = self.slots.get(i as usize).map_or(0, |s| s.gen);
        match self.slots.get_mut(tail as usize) {
            Some(t) if t.live => t.next = i,
            _ => {
                self.by_client.insert(key, i);
            }
        }
        self.expiry.push_back((deadline, i, gen));
        // The A/AAAA pair of one socket, sent together.
        if let Some(&p) = self.last_by_socket.get(&client) {
            self.pair(p, i, packet.frame, time);
        }
        self.last_by_socket.insert(client, i);
    }

    /// Links `i` with the socket's previous query `p` when they are an A/AAAA pair for one name sent together.
    fn pair(&mut self, p: u32, i: u32, frame: u32, time: Option<u64>) {
        let (Some(a), Some(b)) = (self.slot(p), self.slot(i)) else {
            return;
        };
        let types = (a.qtype, b.qtype);
        let together = match (a.first_time, time) {
            (Some(t0), Some(t1)) => t1.abs_diff(t0) <= TOGETHER_US,
            (None, None) => a.first.frame.saturating_add(1) == frame,
            _ => false,
        };
        if a.name != b.name
            || !matches!(types, (1, 28) | (28, 1))
            || a.partner != NONE
            || a.resend.is_some()
            || !together
        {
            return;
        }
        let (pg, ig) = (a.gen, b.gen);
        if let Some(a) = self.slots.get_mut(p as usize) {
            a.partner = i;
            a.partner_gen = ig;
        }
        if let Some(b) = self.slots.get_mut(i as usize) {
            b.partner = p;
            b.partner_gen = pg;
        }
    }

    fn response(&mut self, packet: &Packet<'_>, time: Option<u64>) {
        let client = self.sock_key(&packet.dst);
        let server = self.sock_key(&packet.src);
        let question = packet.question.map(|q| {
            let lowered = Self::lowered(&mut self.lower, q.name);
            (self.names.lookup(lowered).unwrap_or(NONE), q.qtype)
        });
        let key = ClientKey {
            sock: client,
            id: packet.id,
        };
        let (mut first_open, mut last) = (NONE, NONE);
        let (mut other_open, mut other_last) = (NONE, NONE);
        let mut cur = self.by_client.get(&key).copied().unwrap_or(NONE);
        while let Some(s) = self.slot(cur) {
            let fits = question.is_none_or(|(n, t)| s.name == n && s.qtype == t);
            if fits && s.server == server {
                if first_open == NONE && s.answer.is_none() {
                    first_open = cur;
                }
                last = cur;
            } else if fits {
                if other_open == NONE && s.answer.is_none() {
                    other_open = cur;
                }
                other_last = cur;
            }
            cur = s.next;
        }
        let here = Stamp {
            frame: packet.frame,
            line: packet.line,
        };
        let answered = if first_open != NONE { first_open } else { last };
        if answered != NONE {
            self.answer(answered, packet, time, here);
            return;
        }
        let other = if other_open != NONE {
            other_open
        } else {
            other_last
        };
        let stray = |transaction: Option<usize>| StrayReply {
            from: packet.src.to_string(),
            to: packet.dst.to_string(),
            id: packet.id,
            rcode: Some(rcode_name(packet.rcode)),
            transaction,
            source: self.source.clone(),
            frame: packet.frame,
            line: packet.line,
        };
        if let Some(s) = self.slot(other).cloned() {
            self.summary.wrong_source += 1;
            let listed = (s.listed != NONE).then_some(s.listed as usize);
            if self.out.wrong_source.len() < self.limits.max_strays {
                let reply = stray(listed);
                self.out.wrong_source.push(reply);
            }
            let example = Example {
                at: s.first,
                name: self.names.get(s.name).to_string(),
                qtype: type_name(s.qtype).into_owned(),
                client: self.sock_text(s.client),
                server: self.sock_text(s.server),
                other: Some(packet.src.to_string()),
                gap_us: None,
                race: false,
            };
            self.signals.wrong_source.add(example, &[s.first, here]);
        } else {
            self.summary.unmatched += 1;
            if self.out.unmatched.len() < self.limits.max_strays {
                let reply = stray(None);
                self.out.unmatched.push(reply);
            }
        }
    }

    fn answer(&mut self, i: u32, packet: &Packet<'_>, time: Option<u64>, here: Stamp) {
        let deadline = self
            .clock
            .now
            .saturating_add(self.limits.answered_window_us);
        let Some(s) = self.slot_mut(i) else {
            return;
        };
        // A second answer (to a retransmission) changes nothing.
        if s.answer.is_some() {
            return;
        }
        s.answer = Some(here);
        s.deadline = deadline;
        let s = s.clone();
        self.answered_expiry.push_back((deadline, i, s.gen));
        if s.queries_sent == 1 {
            if let Some(t) = self.slot_mut(s.partner) {
                if t.gen == s.partner_gen && t.answer.is_none() && t.resend.is_none() {
                    t.partner_answered = Some(s.first);
                }
            }
        }
        let latency = match (s.first_time, time) {
            (Some(from), Some(to)) => to.checked_sub(from),
            _ => None,
        };
        self.summary.answered += 1;
        match self.rcodes.get_mut(usize::from(packet.rcode)) {
            Some(n) => *n += 1,
            None => *self.other_rcodes.entry(packet.rcode).or_default() += 1,
        }
        if let Some(us) = latency {
            self.summary.latency.add(us);
        }
        if packet.truncated {
            self.summary.truncated += 1;
        }
        if s.listed != NONE {
            let answers = self.answers(packet);
            if let Some(t) = self.out.transactions.get_mut(s.listed as usize) {
                t.rcode = Some(rcode_name(packet.rcode));
                t.answers = answers;
                t.latency_us = latency;
                t.truncated = packet.truncated;
                t.answer_line = (packet.line > 0).then_some(packet.line);
                t.answer_frame = Some(packet.frame);
            }
        }
        let example = |this: &Self, other: Option<String>| Example {
            at: s.first,
            name: this.names.get(s.name).to_string(),
            qtype: type_name(s.qtype).into_owned(),
            client: this.sock_text(s.client),
            server: this.sock_text(s.server),
            other,
            gap_us: None,
            race: false,
        };
        if is_failure(packet.rcode) {
            let e = example(self, Some(rcode_name(packet.rcode).into_owned()));
            self.signals.failed.add(e, &[here]);
        }
        if s.queries_sent > 1 {
            let mut places = vec![s.first, here];
            places.extend(s.resend);
            places.extend(s.race);
            let race = s.race.is_some();
            let gap_us = match (s.first_time, s.resend_time) {
                (Some(a), Some(b)) => b.checked_sub(a),
                _ => None,
            };
            let e = Example {
                gap_us,
                race,
                ..example(self, None)
            };
            self.signals.retried.add(e, &places);
        }
        if packet.truncated && packet.transport == Transport::Udp {
            let key = TcKey {
                host: s.client.host,
                name: s.name,
                qtype: s.qtype,
            };
            if !self.tc.contains_key(&key) {
                let deadline = self.clock.now.saturating_add(self.limits.window_us);
                self.names.retain(s.name);
                self.tc.insert(
                    key,
                    TcPending {
                        at: here,
                        time,
                        client: s.client,
                        server: s.server,
                        deadline,
                    },
                );
                self.tc_expiry.push_back((deadline, key));
            }
        }
    }

    /// The answer records of a listed transaction's response, as tcpdump prints their data.
    fn answers(&mut self, packet: &Packet<'_>) -> Vec<String> {
        match packet.answers {
            Answers::None => Vec::new(),
            Answers::Text(records) => records.iter().map(|r| r.data.clone()).collect(),
            Answers::Wire {
                message,
                offset,
                count,
            } => {
                let mut out = Vec::with_capacity(usize::from(count).min(16));
                let mut pos = offset;
                for _ in 0..count {
                    // A and AAAA records are read here; every other type is decoded by hickory-proto.
                    let Some(end) = crate::source::packet::skip_name(message, pos) else {
                        break;
                    };
                    let field = |at: usize| match message.get(end + at..end + at + 2) {
                        Some(&[hi, lo]) => Some(u16::from_be_bytes([hi, lo])),
                        _ => None,
                    };
                    let (Some(rtype), Some(rdlen)) = (field(0), field(8)) else {
                        break;
                    };
                    let rdata = message.get(end + 10..end + 10 + usize::from(rdlen));
                    match (rtype, rdata) {
                        (1, Some(&[a, b, c, d])) => {
                            let mut text = String::with_capacity(15);
                            ipv4(&mut text, [a, b, c, d]);
                            out.push(text);
                        }
                        (28, Some(rdata)) if rdata.len() == 16 => {
                            let mut octets = [0u8; 16];
                            octets.copy_from_slice(rdata);
                            out.push(std::net::Ipv6Addr::from(octets).to_string());
                        }
                        _ => {
                            let decoded = u16::try_from(pos)
                                .map_err(|_| "the record is past 64 KiB".to_string())
                                .and_then(|at| {
                                    Record::read(&mut BinDecoder::new(message).clone(at))
                                        .map_err(|e| e.to_string())
                                });
                            match decoded {
                                Ok(record) => out.push(rdata_text(&record.data)),
                                Err(e) => {
                                    self.diagnostics.push(Diagnostic::at_frame(
                                        Severity::Warning,
                                        "dns-undecodable",
                                        packet.frame,
                                        format!("an answer record could not be decoded: {e}"),
                                    ));
                                    break;
                                }
                            }
                        }
                    }
                    pos = end + 10 + usize::from(rdlen);
                }
                out
            }
        }
    }

    /// Closes the transactions and truncated answers whose window has passed.
    fn expire(&mut self) {
        let now = self.clock.now;
        for answered in [false, true] {
            loop {
                let queue = if answered {
                    &mut self.answered_expiry
                } else {
                    &mut self.expiry
                };
                let Some(&(deadline, i, gen)) = queue.front() else {
                    break;
                };
                if deadline > now {
                    break;
                }
                queue.pop_front();
                let Some(s) = self.slots.get(i as usize) else {
                    continue;
                };
                // A transaction with a later packet has a later entry.
                if s.live && s.gen == gen && s.deadline <= deadline {
                    self.close(i, false);
                }
            }
        }
        while let Some(&(deadline, key)) = self.tc_expiry.front() {
            if deadline > now {
                break;
            }
            self.tc_expiry.pop_front();
            if self.tc.get(&key).is_some_and(|p| p.deadline == deadline) {
                if let Some(p) = self.tc.remove(&key) {
                    self.truncated_no_tcp(key, p);
                }
            }
        }
    }

    fn truncated_no_tcp(&mut self, key: TcKey, p: TcPending) {
        let example = Example {
            at: p.at,
            name: self.names.get(key.name).to_string(),
            qtype: type_name(key.qtype).into_owned(),
            client: self.sock_text(p.client),
            server: self.sock_text(p.server),
            other: None,
            gap_us: None,
            race: false,
        };
        self.signals.truncated_no_tcp.add(example, &[p.at]);
        self.names.release(key.name);
    }

    /// Whether the capture went on long enough after a packet at `time`/`frame` for its answer or retry to show.
    fn went_on_after(&self, time: Option<u64>, frame: u32) -> bool {
        match time {
            Some(t) => self.clock.now.saturating_sub(t) >= END_GRACE_US,
            None => frame < self.clock.last_frame,
        }
    }

    /// Closes transaction `i`: counts it, notes a finding, frees its slot.
    fn close(&mut self, i: u32, at_end: bool) {
        let Some(s) = self.slot(i).cloned() else {
            return;
        };
        if s.answer.is_none() {
            self.summary.unanswered += 1;
            if !at_end || self.went_on_after(s.last_time, s.last_frame) {
                let example = Example {
                    at: s.first,
                    name: self.names.get(s.name).to_string(),
                    qtype: type_name(s.qtype).into_owned(),
                    client: self.sock_text(s.client),
                    server: self.sock_text(s.server),
                    other: None,
                    gap_us: None,
                    race: false,
                };
                self.signals.unanswered.add(example, &[s.first]);
            }
        }
        if s.queries_sent > 1 {
            self.summary.retried += 1;
        }
        if at_end {
            return;
        }
        // Unlink from its client socket and id.
        let key = ClientKey {
            sock: s.client,
            id: s.id,
        };
        let head = self.by_client.get(&key).copied().unwrap_or(NONE);
        if head == i {
            if s.next == NONE {
                self.by_client.remove(&key);
            } else {
                self.by_client.insert(key, s.next);
            }
        } else {
            let mut cur = head;
            while let Some(c) = self.slots.get_mut(cur as usize) {
                if c.next == i {
                    c.next = s.next;
                    break;
                }
                cur = c.next;
            }
        }
        if self.last_by_socket.get(&s.client) == Some(&i) {
            self.last_by_socket.remove(&s.client);
        }
        self.names.release(s.name);
        if let Some(slot) = self.slots.get_mut(i as usize) {
            slot.live = false;
            slot.gen = slot.gen.wrapping_add(1);
            slot.next = NONE;
        }
        self.free.push(i);
    }

    /// Ends the capture: closes what is open and returns everything.
    pub fn finish(mut self) -> Grouped {
        let mut open: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live)
            .map(|(i, s)| (s.seq, u32::try_from(i).unwrap_or(NONE)))
            .collect();
        open.sort_unstable();
        for (_, i) in open {
            self.close(i, true);
        }
        let mut pending: Vec<(TcKey, TcPending)> = self.tc.drain().collect();
        pending.sort_by_key(|(_, p)| p.at);
        for (key, p) in pending {
            if self.went_on_after(p.time, p.at.frame) {
                self.truncated_no_tcp(key, p);
            }
        }
        for s in [
            &mut self.signals.retried,
            &mut self.signals.unanswered,
            &mut self.signals.truncated_no_tcp,
            &mut self.signals.wrong_source,
            &mut self.signals.failed,
        ] {
            s.settle();
        }
        let mut summary = self.summary;
        summary.listed = self.out.transactions.len() as u64;
        for (code, n) in self.rcodes.iter().enumerate() {
            if *n > 0 {
                let name = rcode_name(u16::try_from(code).unwrap_or(0)).into_owned();
                *summary.rcodes.entry(name).or_default() += n;
            }
        }
        for (code, n) in &self.other_rcodes {
            *summary
                .rcodes
                .entry(rcode_name(*code).into_owned())
                .or_default() += n;
        }
        for (qtype, n) in &self.qtypes {
            *summary
                .qtypes
                .entry(type_name(*qtype).into_owned())
                .or_default() += n;
        }
        summary.latency.settle();
        let mut diagnostics = self.diagnostics;
        if let Some(at) = self.first_unlisted {
            let unlisted = summary.transactions.saturating_sub(summary.listed);
            let mut d = Diagnostic::at_frame(
                Severity::Info,
                "transactions-not-listed",
                at.frame,
                format!(
                    "{unlisted} transactions from here on are counted in the summary and checked for findings but not listed (the list keeps {})",
                    self.limits.max_listed
                ),
            );
            if at.line > 0 {
                d.line = at.line;
                d.column = 1;
                d.frame = None;
            }
            diagnostics.push(d);
        }
        Grouped {
            transactions: self.out,
            summary,
            diagnostics,
            signals: self.signals,
        }
    }
}

/// A socket as text (`Sock`'s `Display`), IPv4 written without the formatting machinery: the engine writes two
/// per listed transaction.
fn sock_string(sock: &Sock<'_>) -> String {
    match (sock.host, sock.port) {
        (Host::Ip(IpAddr::V4(ip)), Some(port)) => {
            let mut out = String::with_capacity(21);
            ipv4(&mut out, ip.octets());
            out.push(':');
            number(&mut out, port);
            out
        }
        _ => sock.to_string(),
    }
}

/// Writes an IPv4 address in dotted decimal.
fn ipv4(out: &mut String, octets: [u8; 4]) {
    for (k, octet) in octets.into_iter().enumerate() {
        if k > 0 {
            out.push('.');
        }
        number(out, u16::from(octet));
    }
}

/// Writes a number in decimal.
fn number(out: &mut String, mut n: u16) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// A record's data as tcpdump prints it (docs/domain/formats.md §8): `10.1.2.3`, `target.`, `target.:80 0 50` for SRV, `target. 10`
/// for MX, `"text"` for TXT.
fn rdata_text(data: &RData) -> String {
    match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::SRV(srv) => format!(
            "{}:{} {} {}",
            srv.target, srv.port, srv.priority, srv.weight
        ),
        RData::MX(mx) => format!("{} {}", mx.exchange, mx.preference),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
            .collect::<Vec<_>>()
            .join(" "),
        RData::SOA(soa) => format!(
            "{} {} {} {} {} {} {}",
            soa.mname, soa.rname, soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum
        ),
        other => other.to_string(),
    }
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

    fn signals(text: &str) -> Signals {
        let parsed = crate::source::tcpdump::parse(text.as_bytes());
        let mut g = Grouper::new("c".into(), Limits::default());
        for p in &parsed.value.packets {
            g.push(&crate::source::tcpdump::compact(p));
        }
        g.finish().signals
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
    fn fine_buckets_are_exact_below_128_and_ordered() {
        assert_eq!(fine_index(0), 0);
        assert_eq!(fine_index(127), 127);
        assert_eq!(fine_index(128), 128);
        assert_eq!(fine_index(129), 128);
        assert_eq!(fine_index(130), 129);
        assert_eq!(fine_index(u64::MAX), FINE_BUCKETS - 1);
        let mut values: Vec<u64> = (0..40)
            .map(|s| 1u64 << s)
            .chain([5_000_000, 123_456_789])
            .collect();
        values.sort_unstable();
        let mut prev = 0;
        for v in values {
            let i = fine_index(v);
            assert!(i >= prev && i < FINE_BUCKETS, "{v}");
            prev = i;
        }
    }

    #[test]
    fn percentiles_are_measured_latencies_by_nearest_rank() {
        let mut l = Latency::default();
        for us in [110, 150, 1000, 12345, 5000, 20000] {
            l.add(us);
        }
        l.settle();
        // Sorted: 110 150 1000 5000 12345 20000. Ranks: p50 ceil(3) = 1000, p90 ceil(5.4) = 6th, p99 the 6th.
        assert_eq!(
            (l.p50_us, l.p90_us, l.p99_us, l.max_us),
            (Some(1000), Some(20000), Some(20000), Some(20000))
        );
        let counts: Vec<(Option<u64>, u64)> = l
            .buckets
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| (b.le_us, b.count))
            .collect();
        assert_eq!(
            counts,
            [
                (Some(200), 2),
                (Some(1000), 1),
                (Some(5000), 1),
                (Some(20000), 2)
            ]
        );
        assert_eq!(l.buckets.len(), 21);
        assert_eq!(l.buckets.last().map(|b| b.le_us), Some(None));
    }
}
