//! The grouper: its state, and queries — a copy of an open transaction's query is a retransmission, anything
//! else opens a transaction (listed while the list has room), and an A/AAAA pair of one socket sent together is
//! linked for the conntrack race. `replies.rs` takes responses, `closing.rs` closes transactions.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::records::sock_string;
use super::signals::{Example, Judge, Moment, Signals, Stamp};
use super::state::{
    ClientKey, Clock, HostKey, Interner, Open, SockKey, TcKey, TcPending, NONE, NO_PORT,
};
use super::summary::Summary;
use super::Limits;
use crate::capture::transactions::{QueryCopy, Transaction, Transactions, MAX_LISTED_COPIES};
use crate::diagnostic::Diagnostic;
use crate::source::packet::{type_name, Host, Packet, Question, Sock, Transport};

/// Groups one capture's DNS messages into transactions; see the module documentation.
#[derive(Debug)]
pub struct Grouper {
    pub(super) source: Arc<str>,
    /// The findings' judgement, when signals are gathered.
    pub(super) judge: Option<&'static dyn Judge>,
    pub(super) limits: Limits,
    pub(super) out: Transactions,
    pub(super) slots: Vec<Open>,
    pub(super) free: Vec<u32>,
    pub(super) seq: u64,
    pub(super) by_client: FxHashMap<ClientKey, u32>,
    pub(super) last_by_socket: FxHashMap<SockKey, u32>,
    pub(super) names: Interner,
    pub(super) hosts: Interner,
    /// Server sockets as text, shared by their transactions (a capture talks to few servers).
    pub(super) servers: FxHashMap<SockKey, Arc<str>>,
    /// When transactions may close: after a query copy, and after an answer. Each queue is in time order.
    pub(super) expiry: VecDeque<(u64, u32, u32)>,
    pub(super) answered_expiry: VecDeque<(u64, u32, u32)>,
    pub(super) tc: FxHashMap<TcKey, TcPending>,
    pub(super) tc_expiry: VecDeque<(u64, TcKey)>,
    pub(super) clock: Clock,
    pub(super) summary: Summary,
    pub(super) rcodes: [u64; 24],
    pub(super) other_rcodes: FxHashMap<u16, u64>,
    pub(super) qtypes: FxHashMap<u16, u64>,
    pub(super) signals: Signals,
    pub(super) lower: String,
    pub(super) first_unlisted: Option<Stamp>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Grouper {
    /// An engine for the capture named `source`.
    pub fn new(source: Arc<str>, limits: Limits) -> Self {
        Self {
            source,
            judge: None,
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

    /// Also gathers the signals the capture findings read, as `judge` has them judged.
    pub(crate) fn judged_by(mut self, judge: &'static dyn Judge) -> Self {
        self.judge = Some(judge);
        self
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
            self.query(packet, time);
        }
    }

    pub(super) fn sock_key(&mut self, sock: &Sock<'_>) -> SockKey {
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

    /// An example of a signal: transaction `s`'s name, type, client and server, and `other`.
    pub(super) fn example(&self, s: &Open, other: Option<String>) -> Example {
        Example {
            at: s.first,
            name: self.names.get(s.name).to_string(),
            qtype: type_name(s.qtype).into_owned(),
            client: self.sock_text(s.client),
            server: self.sock_text(s.server),
            other,
            gap_us: None,
            race: false,
            unanswered: false,
        }
    }

    /// A socket key as text.
    pub(super) fn sock_text(&self, key: SockKey) -> String {
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
    pub(super) fn lowered<'n>(lower: &'n mut String, name: &'n str) -> &'n str {
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(name);
            lower.make_ascii_lowercase();
            lower
        } else {
            name
        }
    }

    pub(super) fn slot(&self, i: u32) -> Option<&Open> {
        self.slots.get(i as usize).filter(|s| s.live)
    }

    pub(super) fn slot_mut(&mut self, i: u32) -> Option<&mut Open> {
        self.slots.get_mut(i as usize).filter(|s| s.live)
    }

    fn query(&mut self, packet: &Packet<'_>, time: Option<u64>) {
        let Some(q) = packet.question else {
            self.summary.queries += 1;
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
        if let (Some(s), Some(now)) = (self.slot(found), time) {
            let since = s.last_time.and_then(|last| now.checked_sub(last));
            if since.is_some_and(|gap| gap < self.limits.copy_window_us) {
                self.summary.copies += 1;
                return;
            }
        }
        self.summary.queries += 1;
        let deadline = self.clock.now.saturating_add(self.limits.window_us);
        if self.resent(found, packet, time, deadline) {
            return;
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
        let listed = self.list(packet, q, name, client, server);
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
        if let (Some(&p), Some(judge)) = (self.last_by_socket.get(&client), self.judge) {
            self.pair(
                judge,
                p,
                i,
                Moment {
                    time,
                    frame: packet.frame,
                },
            );
        }
        self.last_by_socket.insert(client, i);
    }

    /// Counts `packet` as a retransmission of transaction `found` when that one is open and unanswered; whether it
    /// was.
    fn resent(
        &mut self,
        found: u32,
        packet: &Packet<'_>,
        time: Option<u64>,
        deadline: u64,
    ) -> bool {
        let Some(s) = self.slots.get_mut(found as usize) else {
            return false;
        };
        if !s.live || s.answer.is_some() {
            return false;
        }
        s.queries_sent = s.queries_sent.saturating_add(1);
        if s.resend.is_none() {
            s.resend = Some(Stamp {
                frame: packet.frame,
                line: packet.line,
            });
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
        true
    }

    /// Lists the new transaction of `packet` while the list has room: its index, or [`NONE`].
    fn list(
        &mut self,
        packet: &Packet<'_>,
        q: Question<'_>,
        name: u32,
        client: SockKey,
        server: SockKey,
    ) -> u32 {
        if self.out.transactions.len() >= self.limits.max_listed {
            self.first_unlisted.get_or_insert(Stamp {
                frame: packet.frame,
                line: packet.line,
            });
            return NONE;
        }
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
    }

    /// Links `i` with the socket's previous query `p` when they are an A/AAAA pair for one name sent together.
    fn pair(&mut self, judge: &dyn Judge, p: u32, i: u32, now: Moment) {
        let (Some(a), Some(b)) = (self.slot(p), self.slot(i)) else {
            return;
        };
        let types = (a.qtype, b.qtype);
        let first = Moment {
            time: a.first_time,
            frame: a.first.frame,
        };
        let together = judge.sent_together(first, now);
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
}
