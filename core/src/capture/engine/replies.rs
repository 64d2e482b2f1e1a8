//! Responses: the transaction a response answers, a reply from the wrong source, or an unmatched one; and what
//! an answer changes (latency, rcode, records, the signals of a retry, a failure or a truncated answer).

use super::grouper::Grouper;
use super::signals::{Example, Judge, Stamp};
use super::state::{ClientKey, Open, TcKey, TcPending, NONE};
use crate::capture::transactions::StrayReply;
use crate::source::packet::{is_failure, rcode_name, Packet, Transport};

impl Grouper {
    /// Takes a response: the answer of a transaction, a reply from the wrong source, or unmatched.
    pub(super) fn response(&mut self, packet: &Packet<'_>, time: Option<u64>) {
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
            if let Some(judge) = self.judge {
                let example = self.example(&s, Some(packet.src.to_string()));
                self.signals
                    .wrong_source
                    .add(judge, example, &[s.first, here]);
            }
        } else {
            self.summary.unmatched += 1;
            if self.out.unmatched.len() < self.limits.max_strays {
                let reply = stray(None);
                self.out.unmatched.push(reply);
            }
        }
    }

    /// Transaction `i` answered by `packet`.
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
        if let Some(judge) = self.judge {
            self.judge_answer(judge, &s, packet, time, here);
        }
    }

    /// The signals an answer gives: a failure, a retry (with the race when its partner was answered at once), a
    /// truncated UDP answer that waits for its TCP retry.
    fn judge_answer(
        &mut self,
        judge: &dyn Judge,
        s: &Open,
        packet: &Packet<'_>,
        time: Option<u64>,
        here: Stamp,
    ) {
        if is_failure(packet.rcode) {
            let e = self.example(s, Some(rcode_name(packet.rcode).into_owned()));
            self.signals.failed.add(judge, e, &[here]);
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
                ..self.example(s, None)
            };
            self.signals.retried.add(judge, e, &places);
        }
        if packet.truncated && packet.transport == Transport::Udp {
            let key = TcKey {
                host: s.client.host,
                name: s.name,
                qtype: s.qtype,
            };
            if !self.tc.contains_key(&key) {
                let deadline = self.clock.now.saturating_add(judge.tcp_retry_us());
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
}
