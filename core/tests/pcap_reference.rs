//! Captures checked against a reference decoder. Each `fixtures/pcap/<case>/` holds a generator configuration
//! (`case.json`, with an `about`) and `tshark.tsv`: what tshark 4.0 (Debian 12) decoded from the bytes
//! `dnatlas-gen capture --config case.json` writes, with the exact command line and the SHA-256 of those bytes in
//! its header (`scripts/tshark-reference.sh` rewrites them). No capture file is committed: the tests regenerate
//! the bytes and first check that they are still the ones tshark read.
//!
//! The expectations come from tshark, not from dnatlas. Every DNS message tshark decodes is a query or an answer:
//! a query tshark marks as a retransmission (`dns.retransmit_request_in`, copies up to 30 s apart) is one more copy
//! of the transaction it names (`queries_sent`, and in `resent` with its frame and time); any other query starts a transaction (client, server, id, name,
//! type, and `frame` = tshark's frame number); an answer tshark pairs with a query (`dns.response_to`) gives that
//! transaction its rcode, its answer records in order and, for the first answer, `latency_us` = tshark's
//! `dns.time` in microseconds (from the first copy of the query); for nanosecond captures, which dnatlas reads
//! rounded down to microseconds, the difference of the two rounded-down `frame.time_epoch`s, and tshark's
//! `dns.time` must be their exact difference. An answer tshark pairs with nothing is a reply from the wrong source
//! when a query of the same client socket and id went to another server, else unmatched.
//!
//! The text path is checked the same way: the generator's `tcpdump -n` rendering of the same traffic, read by
//! `source::tcpdump` and grouped by `capture::transactions`, gives tshark's transactions (cases without DNS over
//! TCP: tcpdump prints only the first message of a segment), and the pcap and its text rendering give the same
//! transactions through `analyze()`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;
use common::compare;

use dnatlas_core::source::tcpdump;
use dnatlas_core::{analyze, Options, Source};
use dnatlas_gen::capture::{self, CaptureConfig};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A reference case.
struct Case {
    name: String,
    dir: PathBuf,
    config: CaptureConfig,
    tsv: Tsv,
}

/// `tshark.tsv`: the header comments and the rows, by column name.
struct Tsv {
    sha256: String,
    rows: Vec<BTreeMap<String, String>>,
}

fn read_tsv(path: &Path) -> Tsv {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sha256 = String::new();
    let mut lines = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some(rest) = comment.strip_prefix("sha256 ") {
                sha256 = rest.split_whitespace().next().unwrap().to_string();
            }
        } else {
            lines.push(line);
        }
    }
    let header: Vec<&str> = lines[0].split('\t').collect();
    let rows = lines[1..]
        .iter()
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "{}: {l}", path.display());
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect();
    assert_eq!(sha256.len(), 64, "{}: no sha256 line", path.display());
    Tsv { sha256, rows }
}

fn cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/pcap");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 12, "reference cases are missing: {dirs:?}");
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                    .unwrap();
            assert!(
                case["about"].as_str().is_some_and(|a| !a.is_empty()),
                "{name}: case.json needs an `about`"
            );
            let config: CaptureConfig = serde_json::from_value(case["capture"].clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let tsv = read_tsv(&dir.join("tshark.tsv"));
            Case {
                name,
                dir,
                config,
                tsv,
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The capture of a case, checked to be the bytes tshark read.
fn bytes_of(case: &Case) -> Vec<u8> {
    let (bytes, _) = capture::capture(&case.config).unwrap();
    assert_eq!(
        hex(&Sha256::digest(&bytes)),
        case.tsv.sha256,
        "{}: the generator no longer writes the bytes tshark.tsv describes; run scripts/tshark-reference.sh {} and \
         review the difference ({})",
        case.name,
        case.name,
        case.dir.display()
    );
    bytes
}

/// `1714550400.000313000` → nanoseconds.
fn nanos(s: &str) -> u64 {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut ns: u64 = 0;
    for i in 0..9 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
        ns = ns * 10 + digit;
    }
    secs.parse::<u64>().unwrap() * 1_000_000_000 + ns
}

fn type_name(n: &str) -> String {
    match n {
        "1" => "A".into(),
        "2" => "NS".into(),
        "5" => "CNAME".into(),
        "6" => "SOA".into(),
        "12" => "PTR".into(),
        "15" => "MX".into(),
        "16" => "TXT".into(),
        "28" => "AAAA".into(),
        "33" => "SRV".into(),
        "64" => "SVCB".into(),
        "65" => "HTTPS".into(),
        "255" => "ANY".into(),
        other => format!("Type{other}"),
    }
}

fn rcode_name(n: &str) -> &'static str {
    match n {
        "0" => "NOERROR",
        "1" => "FORMERR",
        "2" => "SERVFAIL",
        "3" => "NXDOMAIN",
        "4" => "NOTIMP",
        "5" => "REFUSED",
        other => panic!("rcode {other} has no name here"),
    }
}

/// One DNS message as tshark decoded it.
#[derive(Debug, Clone)]
struct Message {
    frame: u32,
    time_ns: u64,
    src: String,
    dst: String,
    id: u16,
    response: bool,
    rcode: Option<&'static str>,
    name: String,
    qtype: String,
    answers: Vec<String>,
    dns_time_ns: Option<u64>,
    retransmission_of: Option<u32>,
    response_to: Option<u32>,
}

fn list(row: &BTreeMap<String, String>, field: &str) -> Vec<String> {
    let cell = &row[field];
    if cell.is_empty() {
        Vec::new()
    } else {
        cell.split(',').map(str::to_string).collect()
    }
}

/// The DNS messages of the rows, in order (several in a frame: in the frame's order).
fn messages(tsv: &Tsv) -> Vec<Message> {
    let mut out = Vec::new();
    for row in &tsv.rows {
        let frame: u32 = row["frame.number"].parse().unwrap();
        let ip = |v4: &str, v6: &str| {
            if row[v4].is_empty() {
                format!("[{}]", row[v6])
            } else {
                row[v4].clone()
            }
        };
        let port = |udp: &str, tcp: &str| {
            if row[udp].is_empty() {
                row[tcp].clone()
            } else {
                row[udp].clone()
            }
        };
        let src = format!(
            "{}:{}",
            ip("ip.src", "ipv6.src"),
            port("udp.srcport", "tcp.srcport")
        );
        let dst = format!(
            "{}:{}",
            ip("ip.dst", "ipv6.dst"),
            port("udp.dstport", "tcp.dstport")
        );
        let ids = list(row, "dns.id");
        let responses = list(row, "dns.flags.response");
        let names = list(row, "dns.qry.name");
        let types = list(row, "dns.qry.type");
        let counts = list(row, "dns.count.answers");
        assert!(
            ids.len() == responses.len() && ids.len() == names.len() && ids.len() == types.len(),
            "frame {frame}: one question per message"
        );
        if ids.len() > 1 {
            // Several messages in one segment: queries only, none retransmitted, none answered by this frame.
            assert!(
                responses.iter().all(|r| r == "0") && row["dns.retransmission"].is_empty(),
                "frame {frame}: a frame of several messages that is not plain queries"
            );
        }
        let mut a = list(row, "dns.a").into_iter();
        let mut aaaa = list(row, "dns.aaaa").into_iter();
        let mut cname = list(row, "dns.cname").into_iter();
        let mut ptr = list(row, "dns.ptr.domain_name").into_iter();
        let mut resp_types = list(row, "dns.resp.type").into_iter();
        for i in 0..ids.len() {
            let response = responses[i] == "1";
            let count: usize = counts[i].parse().unwrap();
            let answers = (0..count)
                .map(|_| match resp_types.next().as_deref() {
                    Some("1") => a.next().unwrap(),
                    Some("28") => aaaa.next().unwrap(),
                    Some("5") => format!("{}.", cname.next().unwrap()),
                    Some("12") => format!("{}.", ptr.next().unwrap()),
                    other => panic!("frame {frame}: answer type {other:?} not read here"),
                })
                .collect();
            let one = |field: &str| -> Option<String> {
                let values = list(row, field);
                assert!(values.len() <= 1, "frame {frame}: several {field}");
                values.into_iter().next()
            };
            out.push(Message {
                frame,
                time_ns: nanos(&row["frame.time_epoch"]),
                src: src.clone(),
                dst: dst.clone(),
                id: u16::from_str_radix(ids[i].trim_start_matches("0x"), 16).unwrap(),
                response,
                rcode: if response {
                    one("dns.flags.rcode").map(|r| rcode_name(&r))
                } else {
                    None
                },
                name: format!("{}.", names[i]),
                qtype: type_name(&types[i]),
                answers,
                dns_time_ns: one("dns.time").map(|t| nanos(&t)),
                retransmission_of: one("dns.retransmit_request_in").map(|f| f.parse().unwrap()),
                response_to: one("dns.response_to").map(|f| f.parse().unwrap()),
            });
        }
    }
    out
}

/// tshark's transactions in the `captures.transactions` shape (`core/src/capture/transactions.rs`) (in the order of their first query), and the
/// frames of replies from a wrong source and of unmatched replies.
struct Expected {
    transactions: Vec<Value>,
    wrong_source: Vec<u32>,
    unmatched: Vec<u32>,
}

fn expected(tsv: &Tsv) -> Expected {
    let messages = messages(tsv);
    let mut transactions: Vec<Value> = Vec::new();
    // (first frame, id) → index; the first query's time.
    let mut index: BTreeMap<(u32, u16), usize> = BTreeMap::new();
    let mut started: Vec<u64> = Vec::new();
    let mut wrong_source = Vec::new();
    let mut unmatched = Vec::new();
    for m in &messages {
        if !m.response {
            if let Some(original) = m.retransmission_of {
                let &i = index
                    .get(&(original, m.id))
                    .unwrap_or_else(|| panic!("frame {}: retransmission of nothing", m.frame));
                let t = &mut transactions[i];
                t["queries_sent"] = json!(t["queries_sent"].as_u64().unwrap() + 1);
                // Each copy is listed with its frame and time (rounded down to microseconds).
                let copy = json!({"frame": m.frame, "time_us": m.time_ns / 1000});
                match t.get_mut("resent").and_then(Value::as_array_mut) {
                    Some(copies) => copies.push(copy),
                    None => t["resent"] = json!([copy]),
                }
                continue;
            }
            index.insert((m.frame, m.id), transactions.len());
            started.push(m.time_ns);
            transactions.push(json!({
                "client": m.src, "server": m.dst, "id": m.id, "name": m.name, "type": m.qtype,
                "rcode": null, "answers": [], "queries_sent": 1, "latency_us": null, "frame": m.frame,
            }));
            continue;
        }
        match m.response_to {
            Some(query) => {
                let &i = index
                    .get(&(query, m.id))
                    .unwrap_or_else(|| panic!("frame {}: answers an unknown query", m.frame));
                let t = &mut transactions[i];
                assert!(
                    t["rcode"].is_null(),
                    "frame {}: a second answer to frame {query}",
                    m.frame
                );
                // Rounded down to microseconds, as dnatlas reads nanosecond captures; tshark's dns.time is the
                // exact difference of the two timestamps.
                let first = started[i];
                let dns_time = m.dns_time_ns.unwrap();
                assert_eq!(
                    dns_time,
                    m.time_ns - first,
                    "frame {}: dns.time is not from the first copy",
                    m.frame
                );
                t["rcode"] = json!(m.rcode.unwrap());
                t["answers"] = json!(m.answers);
                t["latency_us"] = json!(m.time_ns / 1000 - first / 1000);
            }
            None => {
                let asked_elsewhere = transactions.iter().any(|t| {
                    t["client"] == json!(m.dst)
                        && t["id"] == json!(m.id)
                        && t["server"] != json!(m.src)
                });
                if asked_elsewhere {
                    wrong_source.push(m.frame);
                } else {
                    unmatched.push(m.frame);
                }
            }
        }
    }
    Expected {
        transactions,
        wrong_source,
        unmatched,
    }
}

/// `value` without the named fields of each object of the list.
fn without(value: &[Value], fields: &[&str]) -> Vec<Value> {
    value
        .iter()
        .map(|v| {
            let mut v = v.clone();
            for f in fields {
                v.as_object_mut().unwrap().remove(*f);
            }
            v
        })
        .collect()
}

/// Whether a case carries DNS over TCP (tcpdump text shows only the first message of a segment).
fn has_tcp(case: &Case) -> bool {
    case.tsv.rows.iter().any(|r| !r["tcp.srcport"].is_empty())
}

#[test]
fn the_generator_still_writes_the_bytes_tshark_read() {
    for case in cases() {
        let bytes = bytes_of(&case);
        assert!(
            !case.tsv.rows.is_empty(),
            "{}: tshark decoded no DNS",
            case.name
        );
        // Every DNS message of the capture is in the reference.
        let (_, stats) = capture::capture(&case.config).unwrap();
        assert_eq!(
            messages(&case.tsv).len() as u64,
            stats.dns_messages,
            "{}: tshark decoded another number of DNS messages than were written",
            case.name
        );
        assert!(bytes.len() > 24);
    }
}

#[test]
fn the_reference_shows_what_each_case_is_about() {
    // What each case is named for is in tshark's reading of it.
    for case in cases() {
        let e = expected(&case.tsv);
        let messages = messages(&case.tsv);
        let name = case.name.as_str();
        let rcodes: Vec<&str> = e
            .transactions
            .iter()
            .filter_map(|t| t["rcode"].as_str())
            .collect();
        // Truncated UDP answers, and whether the client then asked the same question over TCP.
        let tcp_queries: Vec<&Message> = messages
            .iter()
            .filter(|m| {
                !m.response
                    && case.tsv.rows.iter().any(|r| {
                        r["frame.number"] == m.frame.to_string() && !r["tcp.srcport"].is_empty()
                    })
            })
            .collect();
        let (mut retried_over_tcp, mut not_retried) = (0, 0);
        for row in &case.tsv.rows {
            if row["udp.srcport"].is_empty() || row["dns.flags.truncated"] != "1" {
                continue;
            }
            let frame: u32 = row["frame.number"].parse().unwrap();
            let tc = messages.iter().find(|m| m.frame == frame).unwrap();
            let client = tc.dst.rsplit_once(':').unwrap().0;
            if tcp_queries.iter().any(|q| {
                q.frame > frame
                    && q.src.rsplit_once(':').unwrap().0 == client
                    && q.name == tc.name
                    && q.qtype == tc.qtype
            }) {
                retried_over_tcp += 1;
            } else {
                not_retried += 1;
            }
        }
        match name {
            "losses" => assert!(
                e.transactions
                    .iter()
                    .any(|t| t["queries_sent"].as_u64() > Some(1)
                        && t["latency_us"].as_u64() >= Some(2_500_000)),
                "{name}: an answer after a retransmission"
            ),
            "wrong-source" => assert!(!e.wrong_source.is_empty(), "{name}"),
            "servfail-refused" => assert!(
                rcodes.contains(&"SERVFAIL") && rcodes.contains(&"REFUSED"),
                "{name}"
            ),
            "truncation" => assert!(retried_over_tcp > 0 && not_retried > 0, "{name}"),
            "tcp-split" => {
                assert!(retried_over_tcp > 0, "{name}");
                assert!(
                    case.tsv.rows.iter().any(|r| r["dns.id"].contains(',')),
                    "{name}: two queries in one segment"
                );
            }
            "ipv6" => assert!(messages.iter().all(|m| m.src.starts_with('[')), "{name}"),
            _ => {}
        }
        assert!(
            e.transactions.iter().any(|t| !t["rcode"].is_null()),
            "{name}: nothing answered"
        );
    }
}

#[test]
fn text_rendering_gives_tsharks_transactions() {
    // The tcpdump text of the same traffic, read by the text parser and grouped, against tshark's reading of the
    // binary capture: the generator's two renderings agree, and the text path reads them as tshark does.
    let mut errors = Vec::new();
    let mut checked = 0;
    for case in cases() {
        if has_tcp(&case) {
            continue;
        }
        let (text, _) = capture::text(&case.config).unwrap();
        let parsed = tcpdump::parse(text.as_bytes());
        assert!(
            parsed.diagnostics.is_empty(),
            "{}: {:?}",
            case.name,
            parsed.diagnostics
        );
        let grouped = dnatlas_core::capture::engine::group("capture.txt", &parsed.value.packets);
        let e = expected(&case.tsv);
        let got = serde_json::to_value(&grouped.transactions).unwrap();
        // Frames count DNS packets in text; the copies' lines and places are checked on the pcap side.
        let want = Value::Array(without(&e.transactions, &["frame", "resent"]));
        compare(&case.name, &want, &got, &mut errors);
        if grouped.wrong_source.len() != e.wrong_source.len()
            || grouped.unmatched.len() != e.unmatched.len()
        {
            errors.push(format!(
                "{}: {} wrong-source and {} unmatched replies, tshark: {} and {}",
                case.name,
                grouped.wrong_source.len(),
                grouped.unmatched.len(),
                e.wrong_source.len(),
                e.unmatched.len()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} cases checked");
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// `analysis.captures` as JSON.
fn captures_of(name: &str, bytes: &[u8]) -> Value {
    let analysis = analyze(&[Source::new(name, bytes)], &Options::default());
    let value = serde_json::to_value(&analysis).unwrap();
    value
        .get("captures")
        .cloned()
        .unwrap_or_else(|| panic!("{name}: the analysis has no `captures`"))
}

fn frames(list: &Value) -> Vec<u64> {
    list.as_array()
        .map(|a| a.iter().filter_map(|r| r["frame"].as_u64()).collect())
        .unwrap_or_default()
}

#[test]
fn pcap_transactions_are_tsharks() {
    let mut errors = Vec::new();
    for case in cases() {
        let bytes = bytes_of(&case);
        let captures = captures_of("case.pcap", &bytes);
        let e = expected(&case.tsv);
        let want: Vec<Value> = e
            .transactions
            .iter()
            .map(|t| {
                let mut t = t.clone();
                t["source"] = json!("case.pcap");
                t
            })
            .collect();
        compare(
            &case.name,
            &Value::Array(want),
            &captures["transactions"],
            &mut errors,
        );
        let wrong: Vec<u64> = e.wrong_source.iter().map(|&f| u64::from(f)).collect();
        let unmatched: Vec<u64> = e.unmatched.iter().map(|&f| u64::from(f)).collect();
        if frames(&captures["wrong_source"]) != wrong {
            errors.push(format!(
                "{}: replies from a wrong source in frames {:?}, tshark: {wrong:?}",
                case.name,
                frames(&captures["wrong_source"])
            ));
        }
        if frames(&captures["unmatched"]) != unmatched {
            errors.push(format!(
                "{}: unmatched replies in frames {:?}, tshark: {unmatched:?}",
                case.name,
                frames(&captures["unmatched"])
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn text_and_pcap_of_the_same_traffic_give_the_same_transactions() {
    // The generated cases without DNS over TCP, and seed 004's tcpdump text as pasted (a -v capture with `domain`
    // ports) against its re-creation as a pcap.
    let mut errors = Vec::new();
    let ignore = [
        "source",
        "frame",
        "line",
        "answer_line",
        "answer_frame",
        "time_us",
        "resent",
    ];
    for case in cases() {
        if has_tcp(&case) {
            continue;
        }
        let bytes = bytes_of(&case);
        let text = if case.name == "seed-004" {
            std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../fixtures/tcpdump/seed-004/capture.txt"),
            )
            .unwrap()
        } else {
            capture::text(&case.config).unwrap().0.into_bytes()
        };
        let from_pcap = captures_of("case.pcap", &bytes);
        let from_text = captures_of("capture.txt", &text);
        let pcap = without(from_pcap["transactions"].as_array().unwrap(), &ignore);
        let text = without(from_text["transactions"].as_array().unwrap(), &ignore);
        compare(
            &case.name,
            &Value::Array(pcap),
            &Value::Array(text),
            &mut errors,
        );
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
