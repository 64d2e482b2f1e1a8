//! Packets as bytes: the IP, UDP and TCP headers with their checksums, the link-layer frame, and the pcap and pcapng
//! files.

use std::io::{self, Write};
use std::net::IpAddr;

use etherparse::{IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, TcpHeader, UdpHeader};

use super::{CaptureConfig, Format, Link, Packet, Stats, Traffic, S, SNAPLEN, US};

pub(super) fn ethertype(ip: &IpAddr) -> u16 {
    if ip.is_ipv4() {
        0x0800
    } else {
        0x86dd
    }
}

/// The IP packet (header, transport header, payload) with correct checksums.
pub(super) fn ip_packet(p: &Packet) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 + p.payload.len());
    let transport_len =
        p.payload.len() + if p.tcp.is_some() { 20 } else { 8 } + syn_options(p).len();
    let proto = if p.tcp.is_some() {
        IpNumber::TCP
    } else {
        IpNumber::UDP
    };
    let tcp_header = p.tcp.map(|s| {
        let mut h = TcpHeader::new(p.src.port(), p.dst.port(), s.seq, s.window);
        h.syn = s.syn;
        h.ack = s.ack;
        h.acknowledgment_number = s.ack_number;
        h.psh = s.psh;
        h.fin = s.fin;
        let _ = h.set_options_raw(syn_options(p));
        h
    });
    match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut ip = match Ipv4Header::new(
                transport_len as u16,
                p.ttl,
                proto,
                src.octets(),
                dst.octets(),
            ) {
                Ok(ip) => ip,
                Err(_) => return out,
            };
            ip.identification = p.ip_id;
            ip.dont_fragment = p.dont_fragment;
            ip.header_checksum = ip.calc_header_checksum();
            let _ = ip.write(&mut out);
            match tcp_header {
                Some(mut h) => {
                    h.checksum = h.calc_checksum_ipv4(&ip, &p.payload).unwrap_or(0);
                    let _ = h.write(&mut out);
                }
                None => {
                    if let Ok(h) =
                        UdpHeader::with_ipv4_checksum(p.src.port(), p.dst.port(), &ip, &p.payload)
                    {
                        let _ = h.write(&mut out);
                    }
                }
            }
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let ip = Ipv6Header {
                traffic_class: 0,
                flow_label: Ipv6FlowLabel::try_new(u32::from(p.ip_id) << 4 & 0xf_ffff)
                    .unwrap_or_default(),
                payload_length: transport_len as u16,
                next_header: proto,
                hop_limit: p.ttl,
                source: src.octets(),
                destination: dst.octets(),
            };
            let _ = ip.write(&mut out);
            match tcp_header {
                Some(mut h) => {
                    h.checksum = h.calc_checksum_ipv6(&ip, &p.payload).unwrap_or(0);
                    let _ = h.write(&mut out);
                }
                None => {
                    if let Ok(h) =
                        UdpHeader::with_ipv6_checksum(p.src.port(), p.dst.port(), &ip, &p.payload)
                    {
                        let _ = h.write(&mut out);
                    }
                }
            }
        }
        _ => return out,
    }
    out.extend_from_slice(&p.payload);
    out
}

/// Linux's SYN options without timestamps: `mss 1460,nop,nop,sackOK,nop,wscale 7`.
pub(super) fn syn_options(p: &Packet) -> &'static [u8] {
    match p.tcp {
        Some(s) if s.syn => &[2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7],
        _ => &[],
    }
}

/// The frame as captured with `link` (and `vlan` on Ethernet).
pub fn frame(p: &Packet, link: Link, vlan: Option<u16>) -> Vec<u8> {
    let ip = ip_packet(p);
    let proto = ethertype(&p.src.ip());
    let mut out = Vec::with_capacity(ip.len() + 20);
    match link {
        Link::Ethernet => {
            out.extend_from_slice(&p.dst_mac);
            out.extend_from_slice(&p.src_mac);
            if let Some(id) = vlan {
                out.extend_from_slice(&0x8100u16.to_be_bytes());
                out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
            }
            out.extend_from_slice(&proto.to_be_bytes());
        }
        Link::Sll => {
            // pkttype, ARPHRD_ETHER, address length, the sender's address padded to 8, protocol.
            out.extend_from_slice(&(if p.outgoing { 4u16 } else { 0 }).to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.extend_from_slice(&6u16.to_be_bytes());
            out.extend_from_slice(&p.src_mac);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&proto.to_be_bytes());
        }
        Link::Sll2 => {
            // protocol, reserved, ifindex, ARPHRD_ETHER, pkttype, address length, address padded to 8.
            out.extend_from_slice(&proto.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&p.ifindex.to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.push(if p.outgoing { 4 } else { 0 });
            out.push(6);
            out.extend_from_slice(&p.src_mac);
            out.extend_from_slice(&[0, 0]);
        }
        Link::Raw => {}
    }
    out.extend_from_slice(&ip);
    out
}

/// Counts the bytes that go through.
pub(super) struct Counting<'a, W: Write> {
    pub(super) inner: &'a mut W,
    pub(super) bytes: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Integers in the file's byte order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Order(bool);

impl Order {
    pub(super) fn u16(self, v: u16) -> [u8; 2] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    pub(super) fn u32(self, v: u32) -> [u8; 4] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

pub(super) fn invalid(e: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// Writes the capture of `config` in its format to `out`.
pub fn write(config: &CaptureConfig, out: &mut impl Write) -> io::Result<Stats> {
    let mut traffic = Traffic::new(config).map_err(invalid)?;
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let order = Order(config.big_endian);
    let links = [config.link, config.second_link.unwrap_or(config.link)];
    let mut stats = Stats::default();
    match config.format {
        Format::Pcap => {
            let magic = if config.nanos {
                0xa1b2_3c4d
            } else {
                0xa1b2_c3d4
            };
            w.write_all(&order.u32(magic))?;
            w.write_all(&order.u16(2))?;
            w.write_all(&order.u16(4))?;
            w.write_all(&order.u32(0))?;
            w.write_all(&order.u32(0))?;
            w.write_all(&order.u32(SNAPLEN))?;
            w.write_all(&order.u32(u32::from(config.link.linktype())))?;
            for p in traffic.by_ref() {
                let data = frame(&p, config.link, config.vlan);
                let secs = p.time_ns / S;
                let frac = if config.nanos {
                    p.time_ns % S
                } else {
                    p.time_ns % S / US
                };
                w.write_all(&order.u32(secs as u32))?;
                w.write_all(&order.u32(frac as u32))?;
                w.write_all(&order.u32(data.len() as u32))?;
                w.write_all(&order.u32(data.len() as u32))?;
                w.write_all(&data)?;
                stats.packets += 1;
                stats.dns_messages += u64::from(p.dns_messages);
            }
        }
        Format::Pcapng => {
            let block = |w: &mut Counting<'_, _>, kind: u32, body: &[u8]| -> io::Result<()> {
                let len = 12 + body.len() as u32;
                w.write_all(&order.u32(kind))?;
                w.write_all(&order.u32(len))?;
                w.write_all(body)?;
                w.write_all(&order.u32(len))
            };
            let option = |body: &mut Vec<u8>, code: u16, value: &[u8]| {
                body.extend_from_slice(&order.u16(code));
                body.extend_from_slice(&order.u16(value.len() as u16));
                body.extend_from_slice(value);
                body.resize(body.len().next_multiple_of(4), 0);
            };
            let mut shb = Vec::new();
            shb.extend_from_slice(&order.u32(0x1a2b_3c4d));
            shb.extend_from_slice(&order.u16(1));
            shb.extend_from_slice(&order.u16(0));
            shb.extend_from_slice(&[0xff; 8]);
            option(&mut shb, 4, b"dnatlas-gen");
            option(&mut shb, 0, &[]);
            block(&mut w, 0x0a0d_0d0a, &shb)?;
            let interfaces = if config.second_link.is_some() { 2 } else { 1 };
            for &link in &links[..interfaces] {
                let mut idb = Vec::new();
                idb.extend_from_slice(&order.u16(link.linktype()));
                idb.extend_from_slice(&order.u16(0));
                idb.extend_from_slice(&order.u32(SNAPLEN));
                option(&mut idb, 2, link.interface_name().as_bytes());
                option(&mut idb, 9, &[if config.nanos { 9 } else { 6 }]);
                option(&mut idb, 0, &[]);
                block(&mut w, 1, &idb)?;
            }
            for p in traffic.by_ref() {
                let interface = (p.interface as usize).min(interfaces - 1);
                let vlan = if interface == 0 { config.vlan } else { None };
                let data = frame(&p, links[interface], vlan);
                let ts = if config.nanos {
                    p.time_ns
                } else {
                    p.time_ns / US
                };
                let mut epb = Vec::with_capacity(data.len() + 24);
                epb.extend_from_slice(&order.u32(interface as u32));
                epb.extend_from_slice(&order.u32((ts >> 32) as u32));
                epb.extend_from_slice(&order.u32(ts as u32));
                epb.extend_from_slice(&order.u32(data.len() as u32));
                epb.extend_from_slice(&order.u32(data.len() as u32));
                epb.extend_from_slice(&data);
                epb.resize(epb.len().next_multiple_of(4), 0);
                block(&mut w, 6, &epb)?;
                stats.packets += 1;
                stats.dns_messages += u64::from(p.dns_messages);
            }
        }
    }
    w.flush()?;
    stats.bytes = w.bytes;
    stats.lookups = traffic.lookups();
    Ok(stats)
}

/// The capture of `config` in its format, in memory.
pub fn capture(config: &CaptureConfig) -> Result<(Vec<u8>, Stats), String> {
    let mut out = Vec::new();
    let stats = write(config, &mut out).map_err(|e| e.to_string())?;
    Ok((out, stats))
}
