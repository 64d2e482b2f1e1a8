//! What each stub resolver sends for one candidate name: glibc's pair from one socket, musl's parallel queries
//! and Go's separate sockets, with their retries and fallbacks to TCP.

use dnatlas_core::dns::plan::Outcome;
use dnatlas_core::source::resolv_conf::ResolvConf;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::sim::{combine, Ask, Got, Sim};
use super::{S, US};

impl Sim {
    /// glibc's `send_dg` for one candidate name (res_send.c): the A/AAAA pair in parallel from one socket.
    pub(super) fn glibc(
        &mut self,
        pod: usize,
        qname: &str,
        start: u64,
        conf: &ResolvConf,
    ) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let attempts = conf.options.attempts.max(1);
        let mut port = self.port();
        let id = self.rng.next_u64() as u16;
        let ids = [id, id.wrapping_add(1)];
        let mut single = conf.options.single_request;
        let mut reopened = conf.options.single_request_reopen;
        let mut tries = 0;
        let mut t = start;
        // An application that asks for IPv4 only (`gethostbyname`, `getaddrinfo` with AF_INET) sends A alone.
        let pair = !self.pods[pod].a_only;
        loop {
            let deadline = t + timeout;
            let mut got: [Option<Got>; 2] = [None, None];
            got[0] = self
                .udp_exchange(
                    pod,
                    port,
                    t,
                    Ask {
                        id: ids[0],
                        qname,
                        qtype: RecordType::A,
                        edns: false,
                    },
                )
                .filter(|g| g.time < deadline);
            let second_at = if single {
                got[0].map(|g| g.time + self.between(10 * US, 50 * US))
            } else {
                Some(t + self.between(5 * US, 40 * US))
            };
            // In single-request mode a truncated A answer goes to TCP before the AAAA query is sent.
            if pair && (!single || got[0].is_none_or(|g| !g.truncated)) {
                if let Some(at) = second_at.filter(|&at| at < deadline) {
                    got[1] = self
                        .udp_exchange(
                            pod,
                            port,
                            at,
                            Ask {
                                id: ids[1],
                                qname,
                                qtype: RecordType::AAAA,
                                edns: false,
                            },
                        )
                        .filter(|g| g.time < deadline);
                }
            }
            if let Some(tc) = got.iter().flatten().find(|g| g.truncated).copied() {
                if !self.pods[pod].tcp_fallback {
                    return (combine(&got), tc.time);
                }
                let at = tc.time + self.between(20 * US, 100 * US);
                let queries = [(ids[0], RecordType::A), (ids[1], RecordType::AAAA)];
                let (replies, end) =
                    self.tcp_exchange(pod, qname, &queries[..if pair { 2 } else { 1 }], at, false);
                let replies: Vec<Option<Got>> = replies.into_iter().map(Some).collect();
                return (combine(&replies), end);
            }
            let answered = got.iter().flatten().count();
            if answered == if pair { 2 } else { 1 } {
                let end = got.iter().flatten().map(|g| g.time).max().unwrap_or(t);
                return (combine(&got), end);
            }
            match answered {
                1 => {
                    if !single {
                        // A server (or a firewall) that lost one of the pair: retry on the same socket, one
                        // query after the other.
                        single = true;
                    } else if !reopened {
                        reopened = true;
                        port = self.port();
                    } else {
                        return (combine(&got), deadline);
                    }
                }
                _ => {
                    tries += 1;
                    if tries >= attempts {
                        return (Outcome::Timeout, deadline);
                    }
                }
            }
            t = deadline;
        }
    }

    /// musl's `res_msend` for one candidate: both queries from one socket, the unanswered ones re-sent every
    /// `timeout / attempts`.
    pub(super) fn musl(
        &mut self,
        pod: usize,
        qname: &str,
        start: u64,
        conf: &ResolvConf,
    ) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let retry = timeout / u64::from(conf.options.attempts.max(1));
        let deadline = start + timeout;
        let port = self.port();
        let ids = [self.rng.next_u64() as u16, self.rng.next_u64() as u16];
        let types = [RecordType::A, RecordType::AAAA];
        let mut got: [Option<Got>; 2] = [None, None];
        let mut t = start;
        loop {
            let tick = (t + retry).min(deadline);
            for i in 0..2 {
                if got[i].is_some() {
                    continue;
                }
                let at = t + if i == 0 {
                    0
                } else {
                    self.between(3 * US, 20 * US)
                };
                got[i] = self
                    .udp_exchange(
                        pod,
                        port,
                        at,
                        Ask {
                            id: ids[i],
                            qname,
                            qtype: types[i],
                            edns: false,
                        },
                    )
                    .filter(|g| g.time < deadline);
            }
            for i in 0..2 {
                if let Some(tc) = got[i].filter(|g| g.truncated) {
                    if self.pods[pod].tcp_fallback {
                        let at = tc.time + self.between(20 * US, 100 * US);
                        let (replies, end) =
                            self.tcp_exchange(pod, qname, &[(ids[i], types[i])], at, false);
                        got[i] = replies.first().map(|g| Got { time: end, ..*g });
                    }
                }
            }
            if got.iter().all(Option::is_some) {
                let end = got.iter().flatten().map(|g| g.time).max().unwrap_or(t);
                let outcome = match got.map(|g| g.map(|g| g.rcode)) {
                    _ if got.iter().flatten().any(|g| g.records) => Outcome::Answer,
                    [Some(ResponseCode::NXDomain), _] => Outcome::NxDomain,
                    _ => combine(&got),
                };
                return (outcome, end);
            }
            if tick >= deadline {
                return (Outcome::Timeout, deadline);
            }
            t = tick;
        }
    }

    /// Go's resolver for one candidate: A and AAAA on their own sockets with EDNS0, a new socket and id per try.
    pub(super) fn go(
        &mut self,
        pod: usize,
        qname: &str,
        start: u64,
        conf: &ResolvConf,
    ) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let attempts = conf.options.attempts.max(1);
        let mut got: [Option<Got>; 2] = [None, None];
        let mut end = start;
        for (i, qtype) in [RecordType::A, RecordType::AAAA].into_iter().enumerate() {
            let mut t = start
                + if i == 0 {
                    0
                } else {
                    self.between(5 * US, 80 * US)
                };
            for _ in 0..attempts {
                let port = self.port();
                let id = self.rng.next_u64() as u16;
                let reply = self
                    .udp_exchange(
                        pod,
                        port,
                        t,
                        Ask {
                            id,
                            qname,
                            qtype,
                            edns: true,
                        },
                    )
                    .filter(|g| g.time < t + timeout);
                match reply {
                    Some(g) if g.truncated => {
                        let at = g.time + self.between(20 * US, 100 * US);
                        let (replies, tcp_end) =
                            self.tcp_exchange(pod, qname, &[(id, qtype)], at, true);
                        got[i] = replies.first().map(|r| Got {
                            time: tcp_end,
                            ..*r
                        });
                        break;
                    }
                    Some(g) => {
                        got[i] = Some(g);
                        break;
                    }
                    None => t += timeout,
                }
            }
            end = end.max(got[i].map_or(t, |g| g.time));
        }
        (combine(&got), end)
    }
}
