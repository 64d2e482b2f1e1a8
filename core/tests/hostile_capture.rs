//! Captures whose headers claim more than their bytes hold: the cost of reading them follows the bytes, and each
//! cause is reported once per input with a count, not once per repetition.

mod common;

use std::time::{Duration, Instant};

use common::pcap::{self as w, record, Record};
use dnatlas_core::{analyze, Analysis, Options, Source};

/// A DNS response whose header claims 65,535 entries in every section but holds one question and nothing more.
fn lying_reply(id: u16) -> Vec<u8> {
    let mut m = w::answer(id, "web.default.svc.cluster.local.", 1, 0, &[]);
    m[4..12].copy_from_slice(&[0xff; 8]);
    m
}

/// A pcap of `n` queries each answered by a lying reply.
fn lying_pcap(n: u32) -> Vec<u8> {
    let mut records: Vec<Record> = Vec::new();
    for i in 0..n {
        let id = i as u16;
        let t = 1_700_000_000_000_000 + u64::from(i) * 1000;
        let client = format!(
            "10.0.{}.{}:{}",
            (i >> 8) & 0xff,
            i & 0xff,
            1024 + (i % 60000)
        );
        records.push(record(
            t,
            w::ethernet(
                &w::udp(
                    &client,
                    "10.96.0.10:53",
                    &w::query(id, "web.default.svc.cluster.local.", 1),
                ),
                &[],
            ),
        ));
        records.push(record(
            t + 100,
            w::ethernet(&w::udp("10.96.0.10:53", &client, &lying_reply(id)), &[]),
        ));
    }
    w::pcap(false, false, 1, &records)
}

fn timed(bytes: &[u8]) -> (Analysis, Duration) {
    let start = Instant::now();
    let a = analyze(&[Source::new("lies.pcap", bytes)], &Options::default());
    (a, start.elapsed())
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.sources[0]
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn dns_headers_that_claim_65535_records_cost_what_their_bytes_hold() {
    // About 93 KB: 450 replies whose headers claim 65,535 entries in every section.
    let small = lying_pcap(450);
    assert!((90_000..100_000).contains(&small.len()), "{}", small.len());
    let (a, took) = timed(&small);
    assert!(took < Duration::from_millis(500), "{took:?}");
    let report = &a.sources[0];
    // One diagnostic for the cause, with the count and the first place; nothing else to say.
    assert_eq!(
        codes(&a),
        ["dns-counts-exceed-message"],
        "{:?}",
        report.diagnostics
    );
    let d = &report.diagnostics[0];
    assert_eq!(d.frame, Some(2));
    assert!(
        d.message.starts_with("450 DNS messages claim more records than they hold; first at frame 2 (its header claims 65,535 questions, 65,535 answers, 65,535 authority and 65,535 additional records in "),
        "{}",
        d.message
    );
    // What the messages do hold is read: every query is answered.
    assert_eq!(report.counts.transactions, 450);
    let summary = report.capture.as_ref().unwrap();
    assert_eq!(summary.answered, 450);

    // About 4 MB of them.
    let big = lying_pcap(20_000);
    assert!(big.len() > 4_000_000, "{}", big.len());
    let (a, took) = timed(&big);
    eprintln!("{} bytes analysed in {took:?}", big.len());
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The cause once; the only other diagnostic says lookups are sampled from the capture's start.
    assert_eq!(
        codes(&a),
        ["dns-counts-exceed-message", "lookups-sampled"],
        "{:?}",
        a.sources[0].diagnostics
    );
    assert!(a.sources[0].diagnostics[0]
        .message
        .starts_with("20,000 DNS messages claim"));
}

#[test]
fn record_block_and_tcp_lengths_are_bounded_by_the_bytes_there() {
    // A pcap record that claims 262,144 bytes (the largest snap length) with 40 there: the capture is cut there.
    let mut bytes = w::pcap(false, false, 1, &[]);
    bytes.extend(1u32.to_le_bytes());
    bytes.extend(0u32.to_le_bytes());
    bytes.extend(262_144u32.to_le_bytes());
    bytes.extend(262_144u32.to_le_bytes());
    bytes.extend([0u8; 40]);
    let (a, took) = timed(&bytes);
    assert!(took < Duration::from_millis(100), "{took:?}");
    assert_eq!(codes(&a), ["truncated-capture"]);
    assert!(a.sources[0].diagnostics[0]
        .message
        .contains("262144 bytes, 40 remain"));

    // A pcapng block that claims 4 GB.
    let mut ng = w::Ng {
        big_endian: false,
        bytes: Vec::new(),
    };
    ng.section();
    ng.interface(1, None);
    ng.bytes.extend(6u32.to_le_bytes());
    ng.bytes.extend(0xffff_fff0u32.to_le_bytes());
    ng.bytes.extend([0u8; 64]);
    let (a, took) = timed(&ng.bytes);
    assert!(took < Duration::from_millis(100), "{took:?}");
    assert_eq!(codes(&a), ["truncated-capture"]);

    // 2,000 TCP connections to port 53, each sending a length prefix of 65,535 and then 10 bytes, again and
    // again: nothing waits for bytes that never come beyond what is there, and each stream is reported once.
    let mut records = Vec::new();
    for c in 0..2_000u32 {
        let client = format!("10.1.{}.{}:{}", c >> 8, c & 0xff, 40_000 + c % 1000);
        let mut seq = 1000;
        for k in 0..5u64 {
            let mut data = 0xffffu16.to_be_bytes().to_vec();
            data.extend([0xab; 10]);
            records.push(record(
                1_700_000_000_000_000 + u64::from(c) * 10 + k,
                w::ethernet(
                    &w::tcp(&client, "10.96.0.10:53", seq, w::ACK | w::PSH, &data),
                    &[],
                ),
            ));
            seq += data.len() as u32;
        }
    }
    let bytes = w::pcap(false, false, 1, &records);
    let (a, took) = timed(&bytes);
    assert!(took < Duration::from_secs(1), "{took:?}");
    let report = &a.sources[0];
    assert_eq!(report.counts.dns_messages, 0);
    // Each stream ends inside its first message: reported for the first streams, then summarised with a count.
    let incomplete = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "tcp-incomplete")
        .count();
    assert!(incomplete <= 20, "{incomplete}");
    assert!(report.diagnostics.len() <= 21, "{:?}", report.diagnostics);
}
