//! pcap and pcapng captures through `analyze()`: every link type, both pcap byte orders and nanosecond timestamps,
//! pcapng sections and interfaces, IPv6, DNS over TCP, damaged files, the transaction list's cap and window, and the
//! capture findings with frames as evidence.
//!
//! The captures are written byte by byte by `common/pcap.rs` from the formats' definitions. The expectations are
//! reasoned by hand: frames are numbered from 1 in file order (as tshark does), a latency is the answer's timestamp
//! minus the first query copy's, in microseconds (nanosecond timestamps rounded down), and a TCP message belongs to
//! the frame that completes it.

mod common;

use common::compare;
use common::pcap::{self as w, Rr};
use dnatlas_core::{analyze, Options, Source};
use serde_json::{json, Value};

/// 2023-11-14 22:13:20 UTC, in microseconds.
const T0: u64 = 1_700_000_000_000_000;

fn analysed_with(name: &str, bytes: &[u8], options: &Options) -> Value {
    serde_json::to_value(analyze(&[Source::new(name, bytes)], options)).unwrap()
}

fn analysed(bytes: &[u8]) -> Value {
    analysed_with("capture.pcap", bytes, &Options::default())
}

fn check(what: &str, expected: Value, actual: &Value) {
    let mut errors = Vec::new();
    compare(what, &expected, actual, &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn codes(v: &Value) -> Vec<(String, Option<u64>)> {
    v["sources"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["frame"].as_u64()))
        .collect()
}

/// An IPv4 pair as tcpdump `-n` prints it (docs/domain/formats.md §8): a query and CoreDNS's answer 110 µs later.
fn v4_pair() -> (Vec<u8>, Vec<u8>) {
    let q = w::udp(
        "10.244.0.20:35926",
        "10.96.0.10:53",
        &w::query(44017, "nginx.default.svc.cluster.local.", 1),
    );
    let a = w::udp(
        "10.96.0.10:53",
        "10.244.0.20:35926",
        &w::answer(
            44017,
            "nginx.default.svc.cluster.local.",
            1,
            0,
            &[Rr::A("10.109.102.230")],
        ),
    );
    (q, a)
}

fn v4_expected() -> Value {
    json!({
        "client": "10.244.0.20:35926", "server": "10.96.0.10:53", "id": 44017,
        "name": "nginx.default.svc.cluster.local.", "type": "A", "rcode": "NOERROR",
        "answers": ["10.109.102.230"], "queries_sent": 1, "latency_us": 110, "truncated": false,
        "transport": "udp", "source": "capture.pcap", "frame": 1, "answer_frame": 2
    })
}

#[test]
fn every_link_type_reads_the_same_transaction() {
    let (q, a) = v4_pair();
    let cases: Vec<(&str, u32, Vec<u8>, Vec<u8>)> = vec![
        ("ethernet", 1, w::ethernet(&q, &[]), w::ethernet(&a, &[])),
        (
            "ethernet 802.1Q",
            1,
            w::ethernet(&q, &[100]),
            w::ethernet(&a, &[100]),
        ),
        (
            "ethernet QinQ",
            1,
            w::ethernet(&q, &[100, 200]),
            w::ethernet(&a, &[100, 200]),
        ),
        ("LINUX_SLL", 113, w::sll(&q, false), w::sll(&a, true)),
        ("LINUX_SLL2", 276, w::sll2(&q, false), w::sll2(&a, true)),
        ("RAW", 101, q.clone(), a.clone()),
        ("IPV4", 228, q.clone(), a.clone()),
        ("NULL", 0, w::null(&q), w::null(&a)),
        ("LOOP", 108, w::lo(&q), w::lo(&a)),
    ];
    for (what, linktype, qf, af) in cases {
        let bytes = w::pcap(
            false,
            false,
            linktype,
            &[w::record(T0 + 100, qf), w::record(T0 + 210, af)],
        );
        let v = analysed(&bytes);
        check(
            what,
            json!({
                "sources": [{"kind": "pcap", "diagnostics": [],
                             "counts": {"packets": 2, "dns_messages": 2, "transactions": 1}}],
                "captures": {"transactions": [v4_expected()], "wrong_source": [], "unmatched": []},
                "findings": []
            }),
            &v,
        );
        // A binary capture has no lines.
        assert!(
            v["captures"]["transactions"][0].get("line").is_none(),
            "{what}"
        );
    }
    // IPv6 as LINKTYPE_IPV6 (229), and over Ethernet behind a hop-by-hop options header.
    let q6 = w::udp(
        "[fd00:10:244::14]:35926",
        "[fd00:10:96::a]:53",
        &w::query(17, "nginx.default.svc.cluster.local.", 28),
    );
    let a6 = w::answer(
        17,
        "nginx.default.svc.cluster.local.",
        28,
        0,
        &[Rr::Aaaa("fd00:10:96::5e1f")],
    );
    let a6_plain = w::udp("[fd00:10:96::a]:53", "[fd00:10:244::14]:35926", &a6);
    let a6_ext = w::udp6_with_hop_by_hop("[fd00:10:96::a]:53", "[fd00:10:244::14]:35926", &a6);
    for (what, linktype, qf, af) in [
        ("IPV6", 229, q6.clone(), a6_plain),
        (
            "IPv6 hop-by-hop",
            1,
            w::ethernet(&q6, &[]),
            w::ethernet(&a6_ext, &[]),
        ),
    ] {
        let bytes = w::pcap(
            false,
            false,
            linktype,
            &[w::record(T0, qf), w::record(T0 + 350, af)],
        );
        check(
            what,
            json!({"captures": {"transactions": [{
                "client": "[fd00:10:244::14]:35926", "server": "[fd00:10:96::a]:53", "id": 17, "type": "AAAA",
                "rcode": "NOERROR", "answers": ["fd00:10:96::5e1f"], "latency_us": 350, "frame": 1
            }]}}),
            &analysed(&bytes),
        );
    }
}

#[test]
fn both_byte_orders_and_nanosecond_timestamps() {
    let (q, a) = v4_pair();
    let records = [w::record(T0 + 100, q), w::record(T0 + 210, a)];
    for (big_endian, nanos) in [(true, false), (false, true), (true, true)] {
        let mut bytes = w::pcap(big_endian, nanos, 101, &records);
        if nanos {
            // Frame 1 at .000100999 s: rounded down to .000100, so the latency stays 110 µs.
            let sub: u32 = 100_999;
            let field = if big_endian {
                sub.to_be_bytes()
            } else {
                sub.to_le_bytes()
            };
            bytes[28..32].copy_from_slice(&field);
        }
        let v = analysed(&bytes);
        check(
            &format!("big-endian {big_endian}, ns {nanos}"),
            json!({"sources": [{"kind": "pcap", "diagnostics": []}],
                   "captures": {"transactions": [v4_expected()]}}),
            &v,
        );
    }
}

#[test]
fn pcapng_sections_interfaces_and_resolutions() {
    let (q, a) = v4_pair();
    let mut ng = w::Ng {
        big_endian: false,
        bytes: Vec::new(),
    };
    ng.section();
    // Interface 0: Ethernet, microseconds by default. Interface 1: LINUX_SLL2 in nanoseconds.
    ng.interface(1, None);
    ng.names();
    ng.interface(276, Some(9));
    ng.packet(0, T0 + 100, &w::ethernet(&q, &[]));
    ng.packet(1, (T0 + 210) * 1000 + 999, &w::sll2(&a, true));
    // A second section, big-endian, with its own interface 0 (RAW): a query and an answer in a Simple Packet
    // Block, which has no timestamp.
    let mut be = w::Ng {
        big_endian: true,
        bytes: Vec::new(),
    };
    be.section();
    be.interface(101, None);
    let q2 = w::udp(
        "10.244.0.21:40000",
        "10.96.0.10:53",
        &w::query(9, "a.example.", 1),
    );
    let a2 = w::udp(
        "10.96.0.10:53",
        "10.244.0.21:40000",
        &w::answer(9, "a.example.", 1, 3, &[]),
    );
    be.packet(0, T0 + 5_000_000, &q2);
    be.simple(&a2);
    let bytes = [ng.bytes, be.bytes].concat();
    let v = analysed(&bytes);
    check(
        "pcapng",
        json!({
            "sources": [{"kind": "pcapng", "diagnostics": [], "counts": {"packets": 4, "transactions": 2}}],
            "captures": {"transactions": [
                v4_expected(),
                {"client": "10.244.0.21:40000", "name": "a.example.", "rcode": "NXDOMAIN", "latency_us": null,
                 "frame": 3, "answer_frame": 4}
            ]}
        }),
        &v,
    );
}

#[test]
fn dns_over_tcp_is_reassembled() {
    let client = "10.244.0.20:46500";
    let server = "10.96.0.10:53";
    let big: Vec<Rr> = [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
        "192.0.2.5",
        "192.0.2.6",
        "192.0.2.7",
        "192.0.2.8",
    ]
    .into_iter()
    .map(Rr::A)
    .collect();
    // First over UDP: the answer is truncated (TC), so the client asks again over TCP.
    let udp_q = w::udp(
        "10.244.0.20:41000",
        server,
        &w::query(7003, "big.example.com.", 1),
    );
    let udp_a = w::udp(
        server,
        "10.244.0.20:41000",
        &w::dns(7003, true, 0, true, "big.example.com.", 1, &[]),
    );
    let q1 = w::framed(&w::query(7004, "big.example.com.", 1));
    let q2 = w::framed(&w::query(7005, "a.example.", 1));
    let q3 = w::framed(&w::query(7006, "a.example.", 28));
    let r1 = w::framed(&w::answer(7004, "big.example.com.", 1, 0, &big));
    let r2 = w::framed(&w::answer(7005, "a.example.", 1, 0, &[Rr::A("192.0.2.9")]));
    let r3 = w::framed(&w::answer(7006, "a.example.", 28, 0, &[]));
    let (c0, s0) = (1000u32, 5000u32);
    let mut frames = vec![
        w::tcp(client, server, c0, w::SYN, &[]),
        w::tcp(server, client, s0, w::SYN | w::ACK, &[]),
        w::tcp(client, server, c0 + 1, w::ACK, &[]),
    ];
    // The first query split across three segments (frames 6, 7, 8), the middle one sent twice (frame 9).
    let at = c0 + 1;
    frames.push(w::tcp(client, server, at, w::ACK | w::PSH, &q1[..10]));
    frames.push(w::tcp(
        client,
        server,
        at + 10,
        w::ACK | w::PSH,
        &q1[10..20],
    ));
    frames.push(w::tcp(client, server, at + 20, w::ACK | w::PSH, &q1[20..]));
    frames.push(w::tcp(
        client,
        server,
        at + 10,
        w::ACK | w::PSH,
        &q1[10..20],
    ));
    // Two queries in one segment (frame 10).
    let at = at + q1.len() as u32;
    frames.push(w::tcp(
        client,
        server,
        at,
        w::ACK | w::PSH,
        &[q2.clone(), q3.clone()].concat(),
    ));
    // The server's answers: the segment with the second and third answers arrives first (frame 11) and waits for
    // the one before it (frame 12), which completes all three.
    let s1 = s0 + 1;
    frames.push(w::tcp(
        server,
        client,
        s1 + r1.len() as u32,
        w::ACK | w::PSH,
        &[r2, r3].concat(),
    ));
    frames.push(w::tcp(server, client, s1, w::ACK | w::PSH, &r1));
    frames.push(w::tcp(
        client,
        server,
        at + (q2.len() + q3.len()) as u32,
        w::ACK | w::FIN,
        &[],
    ));
    let mut records = vec![w::record(T0, udp_q), w::record(T0 + 20_000, udp_a)];
    for (i, f) in frames.into_iter().enumerate() {
        records.push(w::record(T0 + 20_500 + 100 * i as u64, f));
    }
    let v = analysed(&w::pcap(false, false, 101, &records));
    // Times: frame n (n >= 3) at T0 + 20_500 + 100 (n - 3). Frame 8 at +21_000, 10 at +21_200, 12 at +21_400.
    let answers: Vec<&str> = [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
        "192.0.2.5",
        "192.0.2.6",
        "192.0.2.7",
        "192.0.2.8",
    ]
    .to_vec();
    check(
        "tcp",
        json!({
            "sources": [{"diagnostics": [], "counts": {"packets": 13, "dns_messages": 8, "transactions": 4}}],
            "captures": {"transactions": [
                {"id": 7003, "transport": "udp", "truncated": true, "latency_us": 20_000, "frame": 1},
                {"client": client, "server": server, "id": 7004, "transport": "tcp", "answers": answers,
                 "queries_sent": 1, "frame": 8, "answer_frame": 12, "latency_us": 400},
                {"id": 7005, "type": "A", "answers": ["192.0.2.9"], "frame": 10, "answer_frame": 12, "latency_us": 200},
                {"id": 7006, "type": "AAAA", "answers": [], "frame": 10, "answer_frame": 12, "latency_us": 200}
            ], "wrong_source": [], "unmatched": []},
            // The TC answer was followed by a TCP query for the same name and type.
            "findings": []
        }),
        &v,
    );
}

#[test]
fn a_cut_file_keeps_the_frames_before_the_cut() {
    let (q, a) = v4_pair();
    let third = w::udp(
        "10.244.0.20:35927",
        "10.96.0.10:53",
        &w::query(1, "x.example.", 1),
    );
    let bytes = w::pcap(
        false,
        false,
        101,
        &[
            w::record(T0, q),
            w::record(T0 + 110, a),
            w::record(T0 + 500, third.clone()),
        ],
    );
    let third_at = bytes.len() - third.len() - 16;
    // Inside frame 3's data: its header says third.len() bytes, 10 remain.
    let v = analysed(&bytes[..third_at + 16 + 10]);
    let d = &v["sources"][0]["diagnostics"];
    assert_eq!(codes(&v), [("truncated-capture".to_string(), Some(3))]);
    assert_eq!(
        d[0]["message"],
        format!(
            "the capture ends inside frame 3 (record header says {} bytes, 10 remain)",
            third.len()
        )
    );
    assert!(d[0].get("line").is_none());
    check(
        "cut",
        json!({"sources": [{"counts": {"packets": 2}}],
               "captures": {"transactions": [{"id": 44017, "latency_us": 110}]}}),
        &v,
    );
    // Inside frame 3's record header.
    let v = analysed(&bytes[..third_at + 7]);
    assert_eq!(codes(&v), [("truncated-capture".to_string(), Some(3))]);
    assert_eq!(v["captures"]["transactions"].as_array().unwrap().len(), 1);
    // A record length no snap length allows: reading stops at frame 3, frames 1 and 2 are kept.
    let mut corrupt = bytes.clone();
    corrupt[third_at + 8..third_at + 12].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let v = analysed(&corrupt);
    assert_eq!(codes(&v), [("corrupt-record".to_string(), Some(3))]);
    assert_eq!(v["captures"]["transactions"][0]["rcode"], "NOERROR");
    // pcapng cut inside its second Enhanced Packet Block.
    let (q, a) = v4_pair();
    let mut ng = w::Ng {
        big_endian: false,
        bytes: Vec::new(),
    };
    ng.section();
    ng.interface(101, None);
    ng.packet(0, T0, &q);
    ng.packet(0, T0 + 110, &a);
    let cut = &ng.bytes[..ng.bytes.len() - 5];
    let v = analysed(cut);
    assert_eq!(codes(&v), [("truncated-capture".to_string(), Some(2))]);
    let message = v["sources"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("the capture ends inside frame 2 (block header says"),
        "{message}"
    );
    check(
        "pcapng cut",
        json!({"captures": {"transactions": [{"id": 44017, "rcode": null, "frame": 1}]}}),
        &v,
    );
}

#[test]
fn damaged_frames_are_diagnosed_by_frame_and_the_rest_is_read() {
    let (q, _) = v4_pair();
    // Frame 2: a DNS header promising a question that is not there.
    let garbage = w::udp(
        "10.244.0.20:40000",
        "10.96.0.10:53",
        &[0, 17, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, b'a', b'b'],
    );
    // Frame 3: a first IP fragment of a DNS answer (more fragments, offset 0).
    let mut fragment = w::udp(
        "10.96.0.10:53",
        "10.244.0.20:40001",
        &w::query(5, "f.example.", 1),
    );
    fragment[6] = 0x20;
    // Frame 4: the answer, cut by the snap length inside its second answer record.
    let long = w::answer(
        44017,
        "nginx.default.svc.cluster.local.",
        1,
        0,
        &[Rr::A("10.109.102.230"), Rr::A("10.109.102.231")],
    );
    let long = w::udp("10.96.0.10:53", "10.244.0.20:35926", &long);
    let mut cut = w::record(T0 + 300, long.clone());
    cut.data.truncate(long.len() - 6);
    let bytes = w::pcap(
        false,
        false,
        101,
        &[
            w::record(T0, q),
            w::record(T0 + 100, garbage),
            w::record(T0 + 200, fragment),
            cut,
        ],
    );
    let v = analysed(&bytes);
    assert_eq!(
        codes(&v),
        [
            ("dns-undecodable".to_string(), Some(2)),
            ("ip-fragment".to_string(), Some(3)),
            ("dns-cut".to_string(), Some(4)),
        ]
    );
    let message = v["sources"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.starts_with("DNS message could not be decoded: "),
        "{message}"
    );
    // The cut answer still answers the query, with the record it kept.
    check(
        "cut answer",
        json!({"captures": {"transactions": [{"id": 44017, "answers": ["10.109.102.230"], "latency_us": 300}]}}),
        &v,
    );
    // A link type dnatlas does not read: one diagnostic for its frames.
    let bytes = w::pcap(
        false,
        false,
        147,
        &[w::record(T0, vec![1, 2, 3]), w::record(T0 + 1, vec![4])],
    );
    let v = analysed(&bytes);
    assert_eq!(codes(&v), [("unknown-linktype".to_string(), Some(1))]);
    assert_eq!(
        v["sources"][0]["diagnostics"][0]["message"],
        "link type 147 is not one dnatlas reads: its 2 frames are skipped"
    );
}

#[test]
fn retries_and_the_conntrack_race_are_found_with_frames() {
    // glibc's A/AAAA pair from one socket 20 µs apart; the AAAA is lost and re-sent 5 s later (docs/domain/resolvers.md §2, §7).
    let c = "10.244.1.7:41234";
    let s = "10.96.0.10:53";
    let name = "nginx.prod.svc.cluster.local.";
    let records = [
        w::record(T0, w::udp(c, s, &w::query(1001, name, 1))),
        w::record(T0 + 20, w::udp(c, s, &w::query(1002, name, 28))),
        w::record(T0 + 800, w::udp(s, c, &w::answer(1001, name, 1, 3, &[]))),
        w::record(T0 + 5_000_900, w::udp(c, s, &w::query(1002, name, 28))),
        w::record(
            T0 + 5_001_500,
            w::udp(s, c, &w::answer(1002, name, 28, 3, &[])),
        ),
        // The capture goes on: an unrelated answered query 10 s later.
        w::record(
            T0 + 15_000_000,
            w::udp("10.244.1.7:50000", s, &w::query(7, "b.example.", 1)),
        ),
        w::record(
            T0 + 15_000_300,
            w::udp(
                s,
                "10.244.1.7:50000",
                &w::answer(7, "b.example.", 1, 0, &[]),
            ),
        ),
    ];
    let v = analysed(&w::pcap(
        false,
        false,
        1,
        &records.map(|r| w::Record {
            data: w::ethernet(&r.data, &[]),
            orig_len: r.orig_len + 14,
            ..r
        }),
    ));
    check(
        "retry",
        json!({
            "captures": {"transactions": [
                {"id": 1001, "queries_sent": 1, "latency_us": 800},
                {"id": 1002, "queries_sent": 2, "latency_us": 5_001_480, "frame": 2, "answer_frame": 5},
                {"id": 7}
            ], "summary": {"transactions": 3, "answered": 3, "unanswered": 0, "retried": 1,
                           "rcodes": {"NXDOMAIN": 2, "NOERROR": 1}, "types": {"A": 2, "AAAA": 1}}},
            "findings": [{
                "code": "dns-timeout-retry", "severity": "warning",
                "evidence": [{"source": "capture.pcap", "frame": 1}, {"frame": 2}, {"frame": 4}, {"frame": 5}]
            }]
        }),
        &v,
    );
    let message = v["findings"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "capture.pcap: 1 query was answered only after the client re-sent it (nginx.prod.svc.cluster.local. AAAA from 10.244.1.7:41234 to 10.96.0.10:53, re-sent after 5.0 s); it matches the conntrack race signature: the A and AAAA queries of one socket sent together, one answered at once, the other lost"
    );
    assert!(v["findings"][0]["evidence"][0].get("line").is_none());
}

#[test]
fn the_list_is_capped_and_open_queries_close_after_the_window() {
    let s = "10.96.0.10:53";
    // Frame 1 is never answered; frames 2-3 and 4-5 are answered 40 s later; frame 6 is a query in the last
    // second of the capture.
    let records = [
        w::record(
            T0,
            w::udp("10.0.0.1:1000", s, &w::query(1, "lost.example.", 1)),
        ),
        w::record(
            T0 + 40_000_000,
            w::udp("10.0.0.1:1001", s, &w::query(2, "a.example.", 1)),
        ),
        w::record(
            T0 + 40_000_100,
            w::udp(s, "10.0.0.1:1001", &w::answer(2, "a.example.", 1, 0, &[])),
        ),
        w::record(
            T0 + 40_000_200,
            w::udp("10.0.0.1:1002", s, &w::query(3, "b.example.", 1)),
        ),
        w::record(
            T0 + 40_000_500,
            w::udp(s, "10.0.0.1:1002", &w::answer(3, "b.example.", 1, 2, &[])),
        ),
        w::record(
            T0 + 40_500_000,
            w::udp("10.0.0.1:1003", s, &w::query(4, "late.example.", 1)),
        ),
    ];
    let bytes = w::pcap(false, false, 101, &records);
    let options = Options {
        max_listed_transactions: 2,
        ..Options::default()
    };
    let v = analysed_with("capture.pcap", &bytes, &options);
    check(
        "cap and window",
        json!({
            "sources": [{"counts": {"transactions": 4}}],
            "captures": {
                "transactions": [{"id": 1, "rcode": null}, {"id": 2, "latency_us": 100}],
                "summary": {"transactions": 4, "listed": 2, "answered": 2, "unanswered": 2,
                            "rcodes": {"NOERROR": 1, "SERVFAIL": 1},
                            "latency": {"count": 2, "p50_us": 100, "p90_us": 300, "p99_us": 300, "max_us": 300}}
            },
            "findings": [
                {"code": "dns-servfail", "evidence": [{"frame": 5}]},
                {"code": "dns-unanswered", "evidence": [{"frame": 1}]}
            ]
        }),
        &v,
    );
    assert_eq!(
        v["findings"][1]["message"],
        "capture.pcap: 1 query was never answered (lost.example. A from 10.0.0.1:1000 to 10.96.0.10:53)"
    );
    assert_eq!(
        v["findings"][0]["message"],
        "capture.pcap: 1 answer was SERVFAIL or REFUSED (b.example. A from 10.0.0.1:1002 to 10.96.0.10:53: SERVFAIL)"
    );
    let notes: Vec<&Value> = v["sources"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "transactions-not-listed")
        .collect();
    assert_eq!(notes.len(), 1, "{v}");
    assert_eq!(notes[0]["frame"], 4);
    assert!(notes[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("2 transactions from here on"));
}

#[test]
fn several_captures_share_one_list() {
    let (q, a) = v4_pair();
    let one = w::pcap(
        false,
        false,
        101,
        &[w::record(T0, q.clone()), w::record(T0 + 110, a)],
    );
    // The second capture: the same query answered from the CoreDNS pod's address (a wrong source).
    let wrong = w::udp(
        "10.244.0.2:53",
        "10.244.0.20:35926",
        &w::answer(
            44017,
            "nginx.default.svc.cluster.local.",
            1,
            0,
            &[Rr::A("10.109.102.230")],
        ),
    );
    let two = w::pcap(
        false,
        false,
        101,
        &[w::record(T0, q), w::record(T0 + 90, wrong)],
    );
    let analysis = analyze(
        &[Source::new("one.pcap", &one), Source::new("two.pcap", &two)],
        &Options::default(),
    );
    let v = serde_json::to_value(&analysis).unwrap();
    check(
        "two captures",
        json!({
            "captures": {
                "transactions": [{"source": "one.pcap", "rcode": "NOERROR"}, {"source": "two.pcap", "rcode": null}],
                "wrong_source": [{"from": "10.244.0.2:53", "to": "10.244.0.20:35926", "transaction": 1,
                                  "source": "two.pcap", "frame": 2}],
                "summary": {"packets": 4, "transactions": 2, "answered": 1, "unanswered": 1, "wrong_source": 1}
            },
            "findings": [{"code": "dns-reply-wrong-source",
                          "evidence": [{"source": "two.pcap", "frame": 1}, {"source": "two.pcap", "frame": 2}]}]
        }),
        &v,
    );
}

#[test]
fn tcp_gaps_and_cut_messages_are_reported() {
    let client = "10.244.0.20:46501";
    let server = "10.96.0.10:53";
    let q1 = w::framed(&w::query(1, "a.example.", 1));
    let q2 = w::framed(&w::query(2, "b.example.", 1));
    let q3 = w::framed(&w::query(3, "c.example.", 1));
    let c0 = 100u32;
    let at2 = c0 + 1 + q1.len() as u32;
    let at3 = at2 + q2.len() as u32;
    let frames = vec![
        w::tcp(client, server, c0, w::SYN, &[]),
        // Frame 2: the first query.
        w::tcp(client, server, c0 + 1, w::ACK | w::PSH, &q1),
        // The segment with the second query is never captured; frame 3 carries the third, after the gap.
        w::tcp(client, server, at3, w::ACK | w::PSH, &q3),
        // Frame 4 closes the stream: the gap is reported and the third query is read after it.
        w::tcp(client, server, at3 + q3.len() as u32, w::ACK | w::FIN, &[]),
        // Another connection ends (frame 6) with half a message: 7 of its bytes after the length prefix.
        w::tcp("10.244.0.20:46502", server, 500, w::SYN, &[]),
        w::tcp(
            "10.244.0.20:46502",
            server,
            501,
            w::ACK | w::PSH | w::FIN,
            &q1[..9],
        ),
    ];
    let records: Vec<w::Record> = frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| w::record(T0 + 1000 * i as u64, f))
        .collect();
    let v = analysed(&w::pcap(false, false, 101, &records));
    assert_eq!(
        codes(&v),
        [
            ("tcp-gap".to_string(), Some(4)),
            ("tcp-incomplete".to_string(), Some(6)),
        ]
    );
    let d = &v["sources"][0]["diagnostics"];
    assert_eq!(
        d[0]["message"],
        format!(
            "TCP stream 10.244.0.20:46501 > 10.96.0.10:53: {} bytes are missing from the capture; DNS messages are read again after them",
            q2.len()
        )
    );
    assert_eq!(
        d[1]["message"],
        format!(
            "TCP stream 10.244.0.20:46502 > 10.96.0.10:53 ends inside a DNS message: 7 of its {} bytes were captured",
            q1.len() - 2
        )
    );
    check(
        "gap",
        json!({"captures": {"transactions": [{"id": 1, "frame": 2}, {"id": 3, "frame": 4}]}}),
        &v,
    );
}
