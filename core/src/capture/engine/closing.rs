//! Closing transactions: when their window has passed, and at the end of the capture, with what that means for
//! the summary and the signals; `finish` hands back everything.

use super::grouper::Grouper;
use super::signals::{Example, Judge, Moment};
use super::state::{ClientKey, TcKey, TcPending, NONE};
use super::Grouped;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::packet::{rcode_name, type_name};

impl Grouper {
    /// Closes the transactions and truncated answers whose window has passed.
    pub(super) fn expire(&mut self) {
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
                if let (Some(p), Some(judge)) = (self.tc.remove(&key), self.judge) {
                    self.truncated_no_tcp(judge, key, p);
                }
            }
        }
    }

    /// A truncated answer that got no TCP retry: a signal.
    fn truncated_no_tcp(&mut self, judge: &dyn Judge, key: TcKey, p: TcPending) {
        let example = Example {
            at: p.at,
            name: self.names.get(key.name).to_string(),
            qtype: type_name(key.qtype).into_owned(),
            client: self.sock_text(p.client),
            server: self.sock_text(p.server),
            other: None,
            gap_us: None,
            race: false,
            unanswered: false,
        };
        self.signals.truncated_no_tcp.add(judge, example, &[p.at]);
        self.names.release(key.name);
    }

    /// When the capture's latest packet was seen: its latest time and its last frame.
    fn end(&self) -> Moment {
        Moment {
            time: Some(self.clock.now),
            frame: self.clock.last_frame,
        }
    }

    /// Closes transaction `i`: counts it, notes a finding, frees its slot.
    fn close(&mut self, i: u32, at_end: bool) {
        let Some(s) = self.slot(i).cloned() else {
            return;
        };
        if s.answer.is_none() {
            self.summary.unanswered += 1;
            if let Some(judge) = self.judge {
                let last = Moment {
                    time: s.last_time,
                    frame: s.last_frame,
                };
                // A query the capture may have stopped before the answer of is not held against it.
                if !at_end || judge.went_on_after(last, self.end()) {
                    let example = self.example(&s, None);
                    self.signals.unanswered.add(judge, example, &[s.first]);
                }
                // Re-sent and still not answered: the resend shows a timeout whether or not the capture went on.
                if s.queries_sent > 1 {
                    let gap_us = match (s.first_time, s.resend_time) {
                        (Some(a), Some(b)) => b.checked_sub(a),
                        _ => None,
                    };
                    let example = Example {
                        gap_us,
                        unanswered: true,
                        ..self.example(&s, None)
                    };
                    let mut places = vec![s.first];
                    places.extend(s.resend);
                    self.signals.retried.add(judge, example, &places);
                }
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
        if let Some(judge) = self.judge {
            let mut pending: Vec<(TcKey, TcPending)> = self.tc.drain().collect();
            pending.sort_by_key(|(_, p)| p.at);
            let end = self.end();
            for (key, p) in pending {
                let at = Moment {
                    time: p.time,
                    frame: p.at.frame,
                };
                if judge.went_on_after(at, end) {
                    self.truncated_no_tcp(judge, key, p);
                }
            }
            for s in self.signals.all_mut() {
                s.settle(judge);
            }
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
