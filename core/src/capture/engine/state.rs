//! The engine's working state: sockets, names and keys as numbers, the transactions still open for matching, and
//! the capture's clock.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::signals::Stamp;
use crate::source::packet::Packet;
use crate::source::tcpdump::DAY_US;

/// No slot.
pub(super) const NONE: u32 = u32::MAX;
/// A port a text capture printed as a service name.
pub(super) const NO_PORT: u32 = 0x1_0000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum HostKey {
    V4([u8; 4]),
    V6([u8; 16]),
    Name(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct SockKey {
    pub(super) host: HostKey,
    pub(super) port: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct ClientKey {
    pub(super) sock: SockKey,
    pub(super) id: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct TcKey {
    pub(super) host: HostKey,
    pub(super) name: u32,
    pub(super) qtype: u16,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct TcPending {
    pub(super) at: Stamp,
    pub(super) time: Option<u64>,
    pub(super) client: SockKey,
    pub(super) server: SockKey,
    pub(super) deadline: u64,
}

/// Strings by number, counted while used.
#[derive(Debug, Default)]
pub(super) struct Interner {
    pub(super) map: FxHashMap<Arc<str>, u32>,
    pub(super) entries: Vec<(Option<Arc<str>>, u32)>,
    pub(super) free: Vec<u32>,
}

impl Interner {
    pub(super) fn intern(&mut self, s: &str) -> u32 {
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

    pub(super) fn lookup(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }

    pub(super) fn arc(&self, id: u32) -> Option<Arc<str>> {
        self.entries.get(id as usize).and_then(|e| e.0.clone())
    }

    pub(super) fn get(&self, id: u32) -> &str {
        self.entries
            .get(id as usize)
            .and_then(|e| e.0.as_deref())
            .unwrap_or("?")
    }

    pub(super) fn retain(&mut self, id: u32) {
        if let Some(e) = self.entries.get_mut(id as usize) {
            e.1 += 1;
        }
    }

    pub(super) fn release(&mut self, id: u32) {
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
pub(super) struct Open {
    pub(super) gen: u32,
    pub(super) live: bool,
    pub(super) seq: u64,
    pub(super) client: SockKey,
    pub(super) server: SockKey,
    pub(super) id: u16,
    pub(super) qtype: u16,
    pub(super) name: u32,
    pub(super) first: Stamp,
    pub(super) first_time: Option<u64>,
    pub(super) resend: Option<Stamp>,
    pub(super) resend_time: Option<u64>,
    pub(super) last_frame: u32,
    pub(super) last_time: Option<u64>,
    pub(super) queries_sent: u32,
    pub(super) answer: Option<Stamp>,
    pub(super) listed: u32,
    pub(super) partner: u32,
    pub(super) partner_gen: u32,
    /// The partner's first query, once the partner was answered without a resend while this one waited.
    pub(super) partner_answered: Option<Stamp>,
    /// The same, kept at this one's first resend: the conntrack race signature.
    pub(super) race: Option<Stamp>,
    pub(super) next: u32,
    pub(super) deadline: u64,
}

/// The capture's clock: times of day unwrapped at midnight, and the latest time seen.
#[derive(Debug, Default)]
pub(super) struct Clock {
    pub(super) day_offset: u64,
    pub(super) last_time_of_day: Option<u64>,
    pub(super) now: u64,
    pub(super) last_frame: u32,
}

impl Clock {
    pub(super) fn read(&mut self, packet: &Packet<'_>) -> Option<u64> {
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
