//! A tiny capture writer for the tests: DNS messages, UDP/TCP over IPv4/IPv6, link headers and pcap/pcapng files,
//! each written byte by byte from the formats' definitions (RFC 1035 §4.1, RFC 791, RFC 8200, RFC 768, RFC 9293,
//! libpcap's `pcap-savefile(5)` and LINKTYPE list, the pcapng draft), independent of the crates the reader uses.
//! Checksums are left 0, which the reader does not check.

use std::net::IpAddr;

/// A resource record of an answer section.
#[derive(Debug, Clone)]
pub enum Rr {
    A(&'static str),
    Aaaa(&'static str),
    Cname(&'static str),
}

/// A name in wire format, uncompressed.
pub fn name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A DNS message: header, one question, the answers (owner name as a pointer to the question, offset 12).
pub fn dns(
    id: u16,
    response: bool,
    rcode: u8,
    tc: bool,
    qname: &str,
    qtype: u16,
    answers: &[Rr],
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    // QR, opcode 0, AA on responses, TC, RD.
    let flags1 = (u8::from(response) << 7) | (u8::from(response) << 2) | (u8::from(tc) << 1) | 1;
    m.push(flags1);
    m.push(if response { 0x80 | (rcode & 0x0f) } else { 0 });
    m.extend(1u16.to_be_bytes());
    m.extend((answers.len() as u16).to_be_bytes());
    m.extend(0u16.to_be_bytes());
    m.extend(0u16.to_be_bytes());
    m.extend(name(qname));
    m.extend(qtype.to_be_bytes());
    m.extend(1u16.to_be_bytes());
    for rr in answers {
        m.extend([0xc0, 0x0c]);
        let (rtype, rdata): (u16, Vec<u8>) = match rr {
            Rr::A(ip) => (
                1,
                ip.parse::<std::net::Ipv4Addr>().unwrap().octets().to_vec(),
            ),
            Rr::Aaaa(ip) => (
                28,
                ip.parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec(),
            ),
            Rr::Cname(target) => (5, name(target)),
        };
        m.extend(rtype.to_be_bytes());
        m.extend(1u16.to_be_bytes());
        m.extend(30u32.to_be_bytes());
        m.extend((rdata.len() as u16).to_be_bytes());
        m.extend(rdata);
    }
    m
}

pub fn query(id: u16, qname: &str, qtype: u16) -> Vec<u8> {
    dns(id, false, 0, false, qname, qtype, &[])
}

pub fn answer(id: u16, qname: &str, qtype: u16, rcode: u8, answers: &[Rr]) -> Vec<u8> {
    dns(id, true, rcode, false, qname, qtype, answers)
}

/// A socket, `"10.0.0.1:1000"` or `"[fd00::1]:53"`.
pub fn sock(s: &str) -> (IpAddr, u16) {
    let addr: std::net::SocketAddr = s.parse().unwrap();
    (addr.ip(), addr.port())
}

fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, transport: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.push(0x45);
            p.push(0);
            p.extend(((20 + transport.len()) as u16).to_be_bytes());
            p.extend([0x12, 0x34, 0x40, 0x00]); // id, DF
            p.push(64);
            p.push(protocol);
            p.extend([0, 0]);
            p.extend(s.octets());
            p.extend(d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend([0x60, 0, 0, 0]);
            p.extend((transport.len() as u16).to_be_bytes());
            p.push(protocol);
            p.push(64);
            p.extend(s.octets());
            p.extend(d.octets());
        }
        _ => panic!("mixed address families"),
    }
    p.extend_from_slice(transport);
    p
}

/// An IP packet with a UDP datagram.
pub fn udp(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let (s, sp) = sock(src);
    let (d, dp) = sock(dst);
    let mut u = Vec::new();
    u.extend(sp.to_be_bytes());
    u.extend(dp.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend_from_slice(payload);
    ip_packet(s, d, 17, &u)
}

/// An IPv6 packet with a hop-by-hop options header (8 bytes of padding) before its UDP datagram.
pub fn udp6_with_hop_by_hop(src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let plain = udp(src, dst, payload);
    let udp_part = &plain[40..];
    let (s, _) = sock(src);
    let (d, _) = sock(dst);
    let mut ext = vec![17, 0, 1, 4, 0, 0, 0, 0]; // next header UDP, length 0 (8 bytes), PadN of 4
    ext.extend_from_slice(udp_part);
    ip_packet(s, d, 0, &ext)
}

/// TCP flags.
pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;

/// An IP packet with a TCP segment (20-byte header, no options).
pub fn tcp(src: &str, dst: &str, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (s, sp) = sock(src);
    let (d, dp) = sock(dst);
    let mut t = Vec::new();
    t.extend(sp.to_be_bytes());
    t.extend(dp.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.push(5 << 4);
    t.push(flags);
    t.extend(64240u16.to_be_bytes());
    t.extend([0, 0, 0, 0]);
    t.extend_from_slice(payload);
    ip_packet(s, d, 6, &t)
}

/// A DNS message with its 2-byte TCP length prefix.
pub fn framed(message: &[u8]) -> Vec<u8> {
    let mut out = (message.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(message);
    out
}

fn ethertype(ip: &[u8]) -> [u8; 2] {
    if ip[0] >> 4 == 6 {
        [0x86, 0xdd]
    } else {
        [0x08, 0x00]
    }
}

/// An Ethernet frame with the given 802.1Q tags (outermost first; QinQ's outer tag uses 0x88a8).
pub fn ethernet(ip: &[u8], vlans: &[u16]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    for (i, vlan) in vlans.iter().enumerate() {
        f.extend(if i == 0 && vlans.len() > 1 {
            [0x88, 0xa8]
        } else {
            [0x81, 0x00]
        });
        f.extend(vlan.to_be_bytes());
    }
    f.extend(ethertype(ip));
    f.extend_from_slice(ip);
    f
}

/// A LINUX_SLL frame: packet type, ARPHRD_ETHER, address length 6, address, protocol.
pub fn sll(ip: &[u8], outgoing: bool) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend((if outgoing { 4u16 } else { 0 }).to_be_bytes());
    f.extend(1u16.to_be_bytes());
    f.extend(6u16.to_be_bytes());
    f.extend([2, 0, 0, 0, 0, 1, 0, 0]);
    f.extend(ethertype(ip));
    f.extend_from_slice(ip);
    f
}

/// A LINUX_SLL2 frame: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address.
pub fn sll2(ip: &[u8], outgoing: bool) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(ethertype(ip));
    f.extend([0, 0]);
    f.extend(7u32.to_be_bytes());
    f.extend(1u16.to_be_bytes());
    f.push(if outgoing { 4 } else { 0 });
    f.push(6);
    f.extend([2, 0, 0, 0, 0, 1, 0, 0]);
    f.extend_from_slice(ip);
    f
}

/// A NULL/loopback frame: the address family in the capturing host's byte order (little-endian here).
pub fn null(ip: &[u8]) -> Vec<u8> {
    let af: u32 = if ip[0] >> 4 == 6 { 30 } else { 2 };
    let mut f = af.to_le_bytes().to_vec();
    f.extend_from_slice(ip);
    f
}

/// A LOOP frame: the address family in network byte order.
pub fn lo(ip: &[u8]) -> Vec<u8> {
    let af: u32 = if ip[0] >> 4 == 6 { 24 } else { 2 };
    let mut f = af.to_be_bytes().to_vec();
    f.extend_from_slice(ip);
    f
}

/// One record: microseconds since the epoch, the bytes kept, the original length.
#[derive(Debug, Clone)]
pub struct Record {
    pub micros: u64,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

pub fn record(micros: u64, data: Vec<u8>) -> Record {
    let orig_len = data.len() as u32;
    Record {
        micros,
        data,
        orig_len,
    }
}

/// A pcap file: byte order, nanosecond timestamps, link type, snap length.
pub fn pcap(big_endian: bool, nanos: bool, linktype: u32, records: &[Record]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend(u16b(2));
    f.extend(u16b(4));
    f.extend(u32b(0));
    f.extend(u32b(0));
    f.extend(u32b(262_144));
    f.extend(u32b(linktype));
    for r in records {
        f.extend(u32b((r.micros / 1_000_000) as u32));
        let sub = r.micros % 1_000_000;
        f.extend(u32b(if nanos {
            (sub * 1000) as u32
        } else {
            sub as u32
        }));
        f.extend(u32b(r.data.len() as u32));
        f.extend(u32b(r.orig_len));
        f.extend_from_slice(&r.data);
    }
    f
}

/// pcapng blocks, in one byte order.
pub struct Ng {
    pub big_endian: bool,
    pub bytes: Vec<u8>,
}

impl Ng {
    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u16b(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn block(&mut self, block_type: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = 12 + body.len() as u32;
        let (t, l) = (self.u32b(block_type), self.u32b(len));
        self.bytes.extend(t);
        self.bytes.extend(l);
        self.bytes.extend(body);
        self.bytes.extend(l);
    }

    /// A Section Header Block.
    pub fn section(&mut self) {
        let mut body = self.u32b(0x1a2b_3c4d).to_vec();
        body.extend(self.u16b(1));
        body.extend(self.u16b(0));
        body.extend([0xff; 8]); // section length unknown
        self.block(0x0a0d_0d0a, &body);
    }

    /// An Interface Description Block, with `if_tsresol` when given.
    pub fn interface(&mut self, linktype: u16, tsresol: Option<u8>) {
        let mut body = self.u16b(linktype).to_vec();
        body.extend(self.u16b(0));
        body.extend(self.u32b(262_144));
        if let Some(r) = tsresol {
            body.extend(self.u16b(9));
            body.extend(self.u16b(1));
            body.extend([r, 0, 0, 0]);
            body.extend(self.u16b(0)); // opt_endofopt
            body.extend(self.u16b(0));
        }
        self.block(1, &body);
    }

    /// An Enhanced Packet Block; `ts` is in the interface's units.
    pub fn packet(&mut self, interface: u32, ts: u64, data: &[u8]) {
        let mut body = self.u32b(interface).to_vec();
        body.extend(self.u32b((ts >> 32) as u32));
        body.extend(self.u32b(ts as u32));
        body.extend(self.u32b(data.len() as u32));
        body.extend(self.u32b(data.len() as u32));
        body.extend_from_slice(data);
        self.block(6, &body);
    }

    /// A Simple Packet Block (interface 0, no timestamp).
    pub fn simple(&mut self, data: &[u8]) {
        let mut body = self.u32b(data.len() as u32).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body);
    }

    /// A Name Resolution Block with only its end marker, which the reader skips.
    pub fn names(&mut self) {
        let body = [self.u16b(0), self.u16b(0)].concat();
        self.block(4, &body);
    }
}
