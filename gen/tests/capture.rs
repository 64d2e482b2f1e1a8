//! Generated captures read back independently of the generator: the pcap and pcapng containers walked by hand,
//! every IPv4 header, UDP and TCP checksum recomputed (RFC 1071, with the pseudo-headers of RFC 768 and RFC 8200),
//! every DNS message decoded, the tcpdump text read by dnatlas's text parser and grouped into transactions, and
//! the resolver behaviour the generator promises (glibc's A/AAAA pair from one socket with consecutive ids, the
//! 5 s re-send after a loss, a new source port per candidate) found in what it wrote.

use std::collections::BTreeMap;

use dnatlas_core::source::tcpdump;
use dnatlas_gen::capture::{self, CaptureConfig, Format, Link, NameMix, Traffic};
use hickory_proto::op::Message;

/// A frame read back from a container: interface, timestamp in nanoseconds, bytes.
struct Frame {
    interface: u32,
    time_ns: u64,
    data: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize, be: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

fn u32_at(b: &[u8], at: usize, be: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

/// Reads a pcap file: (linktype, frames).
fn read_pcap(b: &[u8]) -> (u16, Vec<Frame>) {
    let magic_le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let (be, nanos) = match magic_le {
        0xa1b2_c3d4 => (false, false),
        0xa1b2_3c4d => (false, true),
        _ => match u32::from_be_bytes([b[0], b[1], b[2], b[3]]) {
            0xa1b2_c3d4 => (true, false),
            0xa1b2_3c4d => (true, true),
            m => panic!("not a pcap magic: {m:#x}"),
        },
    };
    assert_eq!((u16_at(b, 4, be), u16_at(b, 6, be)), (2, 4), "version 2.4");
    assert_eq!(u32_at(b, 16, be), capture::SNAPLEN);
    let linktype = u32_at(b, 20, be) as u16;
    let mut frames = Vec::new();
    let mut at = 24;
    while at < b.len() {
        let secs = u64::from(u32_at(b, at, be));
        let frac = u64::from(u32_at(b, at + 4, be));
        let incl = u32_at(b, at + 8, be) as usize;
        assert_eq!(incl, u32_at(b, at + 12, be) as usize, "nothing cut");
        assert!(frac < if nanos { 1_000_000_000 } else { 1_000_000 });
        let time_ns = secs * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
        frames.push(Frame {
            interface: 0,
            time_ns,
            data: b[at + 16..at + 16 + incl].to_vec(),
        });
        at += 16 + incl;
    }
    assert_eq!(at, b.len());
    (linktype, frames)
}

/// Reads a pcapng file: (linktype and if_tsresol per interface, frames).
fn read_pcapng(b: &[u8]) -> (Vec<(u16, u8)>, Vec<Frame>) {
    assert_eq!(&b[..4], &[0x0a, 0x0d, 0x0d, 0x0a], "starts with an SHB");
    let be = match &b[8..12] {
        [0x1a, 0x2b, 0x3c, 0x4d] => true,
        [0x4d, 0x3c, 0x2b, 0x1a] => false,
        other => panic!("byte-order magic {other:?}"),
    };
    let mut interfaces = Vec::new();
    let mut frames = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let kind = u32_at(b, at, be);
        let len = u32_at(b, at + 4, be) as usize;
        assert_eq!(len % 4, 0, "blocks are 32-bit aligned");
        assert_eq!(u32_at(b, at + len - 4, be) as usize, len, "trailing length");
        let body = &b[at + 8..at + len - 4];
        match kind {
            0x0a0d_0d0a => assert_eq!(u16_at(body, 4, be), 1, "pcapng 1.0"),
            1 => {
                let linktype = u16_at(body, 0, be);
                let mut resol = 6;
                let mut o = 8;
                while o + 4 <= body.len() {
                    let (code, olen) = (u16_at(body, o, be), usize::from(u16_at(body, o + 2, be)));
                    if code == 0 {
                        break;
                    }
                    if code == 9 {
                        resol = body[o + 4];
                    }
                    o += 4 + olen.next_multiple_of(4);
                }
                interfaces.push((linktype, resol));
            }
            6 => {
                let interface = u32_at(body, 0, be);
                let ts = (u64::from(u32_at(body, 4, be)) << 32) | u64::from(u32_at(body, 8, be));
                let cap = u32_at(body, 12, be) as usize;
                assert_eq!(cap, u32_at(body, 16, be) as usize);
                let (_, resol) = interfaces[interface as usize];
                let time_ns = if resol == 9 { ts } else { ts * 1000 };
                frames.push(Frame {
                    interface,
                    time_ns,
                    data: body[20..20 + cap].to_vec(),
                });
            }
            other => panic!("unexpected block type {other}"),
        }
        at += len;
    }
    (interfaces, frames)
}

/// The one's-complement sum of RFC 1071.
fn sum16(data: &[u8], mut sum: u32) -> u32 {
    for pair in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    sum
}

fn folds_to_ffff(mut sum: u32) -> bool {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

/// A decoded packet: transport protocol, payload, and whether the addresses are IPv6.
struct Decoded {
    tcp: bool,
    v6: bool,
    src_port: u16,
    dst_port: u16,
    payload: Vec<u8>,
}

/// Strips the link header and checks the IP and transport checksums.
fn decode(link: u16, frame: &[u8]) -> Decoded {
    let (ip_at, proto) = match link {
        1 => {
            let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
            if ethertype == 0x8100 {
                (18, u16::from_be_bytes([frame[16], frame[17]]))
            } else {
                (14, ethertype)
            }
        }
        113 => (16, u16::from_be_bytes([frame[14], frame[15]])),
        276 => (20, u16::from_be_bytes([frame[0], frame[1]])),
        101 => (0, if frame[0] >> 4 == 4 { 0x0800 } else { 0x86dd }),
        other => panic!("linktype {other}"),
    };
    let ip = &frame[ip_at..];
    let (header_len, protocol, pseudo, v6) = match proto {
        0x0800 => {
            assert_eq!(ip[0] >> 4, 4);
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            assert_eq!(
                usize::from(u16::from_be_bytes([ip[2], ip[3]])),
                ip.len(),
                "IPv4 total length"
            );
            assert!(folds_to_ffff(sum16(&ip[..ihl], 0)), "IPv4 header checksum");
            let len = (ip.len() - ihl) as u32;
            let pseudo = sum16(&ip[12..20], 0) + u32::from(ip[9]) + len;
            (ihl, ip[9], pseudo, false)
        }
        0x86dd => {
            assert_eq!(ip[0] >> 4, 6);
            assert_eq!(
                usize::from(u16::from_be_bytes([ip[4], ip[5]])) + 40,
                ip.len(),
                "IPv6 payload length"
            );
            let len = (ip.len() - 40) as u32;
            let pseudo = sum16(&ip[8..40], 0) + u32::from(ip[6]) + (len >> 16) + (len & 0xffff);
            (40, ip[6], pseudo, true)
        }
        other => panic!("ethertype {other:#x}"),
    };
    let segment = &ip[header_len..];
    assert!(folds_to_ffff(sum16(segment, pseudo)), "UDP/TCP checksum");
    let (src_port, dst_port) = (
        u16::from_be_bytes([segment[0], segment[1]]),
        u16::from_be_bytes([segment[2], segment[3]]),
    );
    let payload = match protocol {
        17 => {
            assert_eq!(
                usize::from(u16::from_be_bytes([segment[4], segment[5]])),
                segment.len()
            );
            segment[8..].to_vec()
        }
        6 => segment[usize::from(segment[12] >> 4) * 4..].to_vec(),
        other => panic!("IP protocol {other}"),
    };
    Decoded {
        tcp: protocol == 6,
        v6,
        src_port,
        dst_port,
        payload,
    }
}

/// Every packet checks, every UDP payload is a DNS message, every TCP stream a sequence of length-prefixed ones;
/// returns the number of DNS messages.
fn check_frames(name: &str, links: &[u16], frames: &[Frame], v6: bool) -> u64 {
    let mut messages = 0;
    let mut streams: BTreeMap<(u16, u16), Vec<u8>> = BTreeMap::new();
    let mut last = 0;
    for f in frames {
        assert!(f.time_ns >= last, "{name}: time goes back");
        last = f.time_ns;
        let d = decode(links[f.interface as usize], &f.data);
        assert_eq!(d.v6, v6, "{name}: IP version");
        assert!(d.src_port == 53 || d.dst_port == 53, "{name}: port 53");
        if d.tcp {
            let stream = streams.entry((d.src_port, d.dst_port)).or_default();
            stream.extend_from_slice(&d.payload);
            while stream.len() >= 2 {
                let len = usize::from(u16::from_be_bytes([stream[0], stream[1]]));
                if stream.len() < 2 + len {
                    break;
                }
                Message::from_vec(&stream[2..2 + len]).unwrap_or_else(|e| panic!("{name}: {e}"));
                stream.drain(..2 + len);
                messages += 1;
            }
        } else {
            Message::from_vec(&d.payload).unwrap_or_else(|e| panic!("{name}: {e}"));
            messages += 1;
        }
    }
    assert!(
        streams.values().all(Vec::is_empty),
        "{name}: a TCP message is cut"
    );
    messages
}

/// A lookup-limited, fault-heavy configuration, so that small captures show every path.
fn busy(seed: u64) -> CaptureConfig {
    CaptureConfig {
        lookups: 150,
        seed,
        pods: 6,
        query_loss: 0.05,
        reply_loss: 0.02,
        wrong_source: 0.02,
        servfail: 0.05,
        refused: 0.01,
        truncation: 0.1,
        tcp_split: 0.5,
        ..CaptureConfig::default()
    }
}

#[test]
fn every_link_type_and_format_reads_back_with_good_checksums() {
    let links = [Link::Ethernet, Link::Sll, Link::Sll2, Link::Raw];
    for (i, &link) in links.iter().enumerate() {
        for ipv6 in [false, true] {
            for (nanos, big_endian) in [(false, false), (true, true)] {
                let config = CaptureConfig {
                    link,
                    ipv6,
                    nanos,
                    big_endian,
                    vlan: (link == Link::Ethernet && nanos).then_some(100),
                    ..busy(i as u64)
                };
                let name = format!("{link:?} ipv6={ipv6} ns={nanos} be={big_endian}");
                let (bytes, stats) = capture::capture(&config).unwrap();
                assert_eq!(stats.bytes, bytes.len() as u64, "{name}");
                let (linktype, frames) = read_pcap(&bytes);
                assert_eq!(linktype, link.linktype(), "{name}");
                assert_eq!(frames.len() as u64, stats.packets, "{name}");
                let messages = check_frames(&name, &[linktype], &frames, ipv6);
                assert_eq!(messages, stats.dns_messages, "{name}");
                if nanos {
                    assert!(
                        frames.iter().any(|f| f.time_ns % 1000 != 0),
                        "{name}: sub-µs times"
                    );
                }
            }
        }
    }
}

#[test]
fn pcapng_with_two_interfaces() {
    let config = CaptureConfig {
        format: Format::Pcapng,
        link: Link::Ethernet,
        vlan: Some(7),
        second_link: Some(Link::Raw),
        nanos: true,
        ..busy(3)
    };
    let (bytes, stats) = capture::capture(&config).unwrap();
    let (interfaces, frames) = read_pcapng(&bytes);
    assert_eq!(interfaces, [(1, 9), (101, 9)]);
    assert_eq!(frames.len() as u64, stats.packets);
    assert!(frames.iter().any(|f| f.interface == 0) && frames.iter().any(|f| f.interface == 1));
    let links: Vec<u16> = interfaces.iter().map(|&(l, _)| l).collect();
    assert_eq!(
        check_frames("pcapng", &links, &frames, false),
        stats.dns_messages
    );
    // Microseconds, big-endian, one interface.
    let config = CaptureConfig {
        format: Format::Pcapng,
        big_endian: true,
        ..busy(4)
    };
    let (bytes, stats) = capture::capture(&config).unwrap();
    let (interfaces, frames) = read_pcapng(&bytes);
    assert_eq!(interfaces, [(276, 6)]);
    assert_eq!(
        check_frames("pcapng be", &[276], &frames, false),
        stats.dns_messages
    );
}

#[test]
fn the_same_configuration_gives_the_same_bytes() {
    let a = capture::capture(&busy(7)).unwrap().0;
    assert_eq!(a, capture::capture(&busy(7)).unwrap().0);
    assert_ne!(a, capture::capture(&busy(8)).unwrap().0);
    assert_eq!(
        capture::text(&busy(7)).unwrap().0,
        capture::text(&busy(7)).unwrap().0
    );
}

#[test]
fn a_packet_limit_is_exact_and_memory_stays_bounded() {
    let config = CaptureConfig {
        packets: 200_000,
        ..CaptureConfig::default()
    };
    let mut traffic = Traffic::new(&config).unwrap();
    let (mut count, mut most) = (0u64, 0);
    while traffic.next().is_some() {
        count += 1;
        most = most.max(traffic.buffered());
    }
    assert_eq!(count, 200_000);
    // Only packets later than the next lookup's start wait: the rest of the lookups under way and the re-sends
    // scheduled after a timeout (about 400 at the default rate), whatever the length of the capture.
    assert!(most < 5_000, "{most} packets buffered");
}

#[test]
fn the_text_reads_back_with_the_text_parser() {
    for (i, link) in [Link::Sll2, Link::Ethernet].into_iter().enumerate() {
        let config = CaptureConfig {
            link,
            ..busy(20 + i as u64)
        };
        let (text, stats) = capture::text(&config).unwrap();
        assert_eq!(text.lines().count() as u64, stats.packets);
        let parsed = tcpdump::parse(text.as_bytes());
        // Over TCP, a segment that carries only part of a message prints tcpdump's truncation mark.
        for d in &parsed.diagnostics {
            let line = text.lines().nth(d.line as usize - 1).unwrap();
            assert!(line.contains("[|domain]"), "{d:?}: {line}");
        }
        // Every UDP packet is a DNS packet.
        let udp = text.lines().filter(|l| !l.contains("Flags [")).count();
        let read_udp = parsed
            .value
            .packets
            .iter()
            .filter(|p| p.transport == tcpdump::Transport::Udp)
            .count();
        assert_eq!(read_udp, udp);
        if link == Link::Sll2 {
            assert!(text
                .lines()
                .all(|l| l.contains(" In  IP") || l.contains(" Out IP")));
        }
        let grouped = dnatlas_core::capture::engine::group("capture.txt", &parsed.value.packets);
        assert!(grouped.transactions.len() > 100);
    }
}

#[test]
fn glibc_pairs_retries_and_ports() {
    // glibc only, every application asking for A and AAAA, lossy.
    let config = CaptureConfig {
        lookups: 400,
        glibc: 1,
        musl: 0,
        go: 0,
        a_only: 0.0,
        query_loss: 0.05,
        reply_loss: 0.0,
        wrong_source: 0.0,
        servfail: 0.0,
        refused: 0.0,
        truncation: 0.0,
        names: NameMix {
            own: 1,
            other_namespace: 0,
            full_name: 0,
            rooted: 0,
            external: 1,
            missing: 0,
        },
        ..CaptureConfig::default()
    };
    let (text, _) = capture::text(&config).unwrap();
    let parsed = tcpdump::parse(text.as_bytes());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let packets = &parsed.value.packets;
    // The first query of every candidate: A then AAAA from the same socket, ids n and n+1.
    let queries: Vec<_> = packets.iter().filter(|p| !p.dns.response).collect();
    let mut pairs = 0;
    for w in queries.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.src == b.src && a.dns.questions[0].qtype == "A" && b.dns.questions[0].qtype == "AAAA" {
            assert_eq!(b.dns.id, a.dns.id.wrapping_add(1));
            pairs += 1;
        }
    }
    assert!(pairs > 300, "{pairs} pairs");
    let grouped = dnatlas_core::capture::engine::group("capture.txt", packets);
    // An external name walks the search list with a new source port for each candidate.
    let mut ports_by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &grouped.transactions {
        if t.name.starts_with("www.example.com.") && t.qtype == "A" {
            ports_by_name.entry(&*t.name).or_default().push(&*t.client);
        }
    }
    let candidates: Vec<&str> = ports_by_name.keys().copied().collect();
    assert!(candidates.contains(&"www.example.com.default.svc.cluster.local."));
    assert!(candidates.contains(&"www.example.com.ec2.internal."));
    assert!(candidates.contains(&"www.example.com."));
    // A lost query is re-sent after glibc's 5 s timeout (or a multiple, when a copy is lost again), from the
    // same socket with the same id; in single-request mode an AAAA copy waits for the A answer, so the answer
    // comes within two upstream latencies (at most 50 ms each) of the timeout.
    let retried: Vec<_> = grouped
        .transactions
        .iter()
        .filter(|t| t.queries_sent >= 2 && t.rcode.is_some())
        .collect();
    assert!(retried.len() > 10, "{} retried", retried.len());
    for t in &retried {
        let latency = t.latency_us.unwrap();
        assert!(
            latency >= 5_000_000 && latency % 5_000_000 < 110_000,
            "{t:?}"
        );
    }
}

#[test]
fn a_script_re_creates_packets() {
    let config: CaptureConfig = serde_json::from_str(
        r#"{"date": "2017-03-14", "link": "raw", "script": [
            {"time": "23:04:02.789492", "src": "10.244.0.20:35926", "dst": "10.244.0.2:53", "ip_id": 7088,
             "dns": {"id": 44017, "rd": true, "name": "nginx.default.svc.cluster.local.", "type": "A"}},
            {"time": "23:04:02.789602", "src": "10.244.0.2:53", "dst": "10.244.0.20:35926", "df": true,
             "dns": {"id": 44017, "response": true, "rd": true, "ra": true, "name": "nginx.default.svc.cluster.local.",
                     "type": "A", "answers": [{"name": "nginx.default.svc.cluster.local.", "ttl": 30, "type": "A",
                     "data": "10.109.102.230"}]}}]}"#,
    )
    .unwrap();
    let (text, _) = capture::text(&config).unwrap();
    assert_eq!(
        text,
        "23:04:02.789492 IP 10.244.0.20.35926 > 10.244.0.2.53: 44017+ A? nginx.default.svc.cluster.local. (49)\n\
         23:04:02.789602 IP 10.244.0.2.53 > 10.244.0.20.35926: 44017 1/0/0 A 10.109.102.230 (65)\n"
    );
    let (bytes, _) = capture::capture(&config).unwrap();
    let (_, frames) = read_pcap(&bytes);
    // 2017-03-14 23:04:02 UTC is 1489532642 s after the epoch; IPv4 total lengths as tcpdump -v printed them.
    assert_eq!(frames[0].time_ns, 1_489_532_642_789_492_000);
    assert_eq!(frames[0].data.len(), 77);
    assert_eq!(frames[1].data.len(), 93);
    assert_eq!(
        u16::from_be_bytes([frames[0].data[4], frames[0].data[5]]),
        7088
    );
    let bad: Result<CaptureConfig, _> = serde_json::from_str(
        r#"{"script": [{"time": "25:00:00", "src": "a", "dst": "b", "dns": {"id": 1, "name": "x.", "type": "A"}}]}"#,
    );
    assert!(capture::capture(&bad.unwrap()).is_err());
}
