//! A DNS exchange over TCP: the handshake, the queries in one write, each answer in its own (split across segments
//! at random, also inside a length prefix), and the close.

use hickory_proto::rr::RecordType;

use super::cluster::{query_message, response_message};
use super::sim::{Got, Leg, Sim};
use super::{TcpSegment, US};

/// One direction of a TCP connection: pod `pod`'s socket `port`, sent by the client or by the server, the
/// sender's next sequence number, what it acknowledges, its window, and the initial sequence numbers (the sender's
/// first).
#[derive(Debug, Clone, Copy)]
struct Stream {
    pod: usize,
    port: u16,
    from_client: bool,
    seq: u32,
    ack: u32,
    window: u16,
    isn: (u32, u32),
}

impl Sim {
    /// Queries over one TCP connection (both in one segment, as glibc writes them), each answered in its own
    /// write; returns the replies and when the connection is closed.
    pub(super) fn tcp_exchange(
        &mut self,
        pod: usize,
        qname: &str,
        queries: &[(u16, RecordType)],
        time: u64,
        edns: bool,
    ) -> (Vec<Got>, u64) {
        let vip = self.cluster.vip;
        let port = self.port();
        let (c_isn, s_isn) = (self.rng.next_u64() as u32, self.rng.next_u64() as u32);
        let seg =
            |seq: u32, ack: Option<u32>, psh: bool, window: u16, isn: (u32, u32)| TcpSegment {
                seq,
                ack_number: ack.unwrap_or(0),
                syn: false,
                ack: ack.is_some(),
                psh,
                fin: false,
                window,
                isn,
                message_start: false,
            };
        let (cw, sw) = (64240u16, 65160u16);
        let (c_win, s_win) = (502u16, 509u16);
        let leg = |time: u64, to_server: bool| Leg {
            pod,
            port,
            server: vip,
            time,
            to_server,
        };
        let mut t = time;
        // Handshake.
        let syn = TcpSegment {
            syn: true,
            ..seg(c_isn, None, false, cw, (c_isn, s_isn))
        };
        let p = self.packet(leg(t, true), Some(syn), Vec::new(), 0);
        self.push(p);
        t += self.log_between(60 * US, 400 * US);
        let syn_ack = TcpSegment {
            syn: true,
            ..seg(
                s_isn,
                Some(c_isn.wrapping_add(1)),
                false,
                sw,
                (s_isn, c_isn),
            )
        };
        let p = self.packet(leg(t, false), Some(syn_ack), Vec::new(), 0);
        self.push(p);
        t += self.between(10 * US, 40 * US);
        let mut c_seq = c_isn.wrapping_add(1);
        let mut s_seq = s_isn.wrapping_add(1);
        let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
        let p = self.packet(leg(t, true), Some(ack), Vec::new(), 0);
        self.push(p);
        t += self.between(5 * US, 30 * US);
        // The queries, in one write.
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for &(id, qtype) in queries {
            let q = query_message(id, qname, qtype, edns);
            data.extend_from_slice(&(q.len() as u16).to_be_bytes());
            data.extend_from_slice(&q);
            ends.push(data.len());
        }
        let mut up = Stream {
            pod,
            port,
            from_client: true,
            seq: c_seq,
            ack: s_seq,
            window: c_win,
            isn: (c_isn, s_isn),
        };
        t = self.send_stream(&mut up, &data, &ends, t);
        c_seq = up.seq;
        // The answers, one write each; the client acknowledges each segment.
        let mut got = Vec::new();
        for &(id, qtype) in queries {
            let served = self.served(qname, qtype);
            t += self.latency(&served);
            let (reply, _, _) = response_message(id, qname, qtype, &served, edns, 65_535);
            let mut data = (reply.len() as u16).to_be_bytes().to_vec();
            data.extend_from_slice(&reply);
            let ends = [data.len()];
            let mut down = Stream {
                pod,
                port,
                from_client: false,
                seq: s_seq,
                ack: c_seq,
                window: s_win,
                isn: (s_isn, c_isn),
            };
            t = self.send_stream(&mut down, &data, &ends, t);
            s_seq = down.seq;
            got.push(Got {
                time: t,
                rcode: served.rcode,
                records: !served.answers.is_empty(),
                truncated: false,
            });
            t += self.between(20 * US, 60 * US);
            let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
            let p = self.packet(leg(t, true), Some(ack), Vec::new(), 0);
            self.push(p);
        }
        // The client closes; the server closes.
        t += self.between(20 * US, 80 * US);
        let fin = TcpSegment {
            fin: true,
            ..seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn))
        };
        let p = self.packet(leg(t, true), Some(fin), Vec::new(), 0);
        self.push(p);
        c_seq = c_seq.wrapping_add(1);
        t += self.between(30 * US, 200 * US);
        let fin = TcpSegment {
            fin: true,
            ..seg(s_seq, Some(c_seq), false, s_win, (s_isn, c_isn))
        };
        let p = self.packet(leg(t, false), Some(fin), Vec::new(), 0);
        self.push(p);
        s_seq = s_seq.wrapping_add(1);
        t += self.between(10 * US, 40 * US);
        let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
        let p = self.packet(leg(t, true), Some(ack), Vec::new(), 0);
        self.push(p);
        (got, t)
    }

    /// Sends `data` (length-prefixed messages ending at `ends`) on `stream` as one write at `t`, split into two or
    /// three segments with probability `tcp_split`; returns the time of the last segment.
    fn send_stream(&mut self, stream: &mut Stream, data: &[u8], ends: &[usize], mut t: u64) -> u64 {
        let vip = self.cluster.vip;
        let mut cuts = vec![0, data.len()];
        if data.len() > 3 && self.chance(self.config.tcp_split) {
            let pieces = 2 + self.rng.below(2) as usize;
            for _ in 1..pieces {
                // Sometimes inside the two-byte length prefix.
                let cut = if self.rng.percent(20) {
                    1
                } else {
                    1 + self.rng.below(data.len() as u64 - 1) as usize
                };
                cuts.push(cut);
            }
            cuts.sort_unstable();
            cuts.dedup();
        }
        let mut starts: Vec<usize> = vec![0];
        starts.extend(ends.iter().copied().filter(|&e| e < data.len()));
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let completes = ends.iter().filter(|&&e| e > a && e <= b).count() as u32;
            let segment = TcpSegment {
                seq: stream.seq,
                ack_number: stream.ack,
                syn: false,
                ack: true,
                psh: true,
                fin: false,
                window: stream.window,
                isn: stream.isn,
                message_start: starts.contains(&a),
            };
            let leg = Leg {
                pod: stream.pod,
                port: stream.port,
                server: vip,
                time: t,
                to_server: stream.from_client,
            };
            let p = self.packet(leg, Some(segment), data[a..b].to_vec(), completes);
            self.push(p);
            stream.seq = stream.seq.wrapping_add((b - a) as u32);
            if b < data.len() {
                t += self.between(5 * US, 300 * US);
            }
        }
        t
    }
}
