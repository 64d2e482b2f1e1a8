//! No input makes the analysis panic (a panic in the browser kills the page).
//!
//! Every fixture is analysed whole, cut at every line, cut inside lines, and with single bytes replaced by
//! bytes that matter to the parsers (quotes, `!`, newlines, NUL, invalid UTF-8, bit flips). The multi-input cases
//! (`fixtures/cluster/`) are also analysed together with one input damaged at a time. Text captures are fixtures
//! like the rest; binary captures (pcap in both byte orders, pcapng with two sections) are written here and cut and
//! corrupted at every byte offset.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use dnatlas_core::{analyze, Options, Source};

fn all_fixture_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .file_name()
                .is_some_and(|n| n != "expected.json" && n != "README.md")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"),
        &mut out,
    );
    out.sort();
    out
}

fn check(name: &str, what: &str, bytes: &[u8]) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let analysis = analyze(&[Source::new(name, bytes)], &Options::default());
        // Serialising is part of what the app and CLI do with every analysis.
        serde_json::to_string(&analysis).unwrap();
    }));
    assert!(result.is_ok(), "{name}: panicked on {what}");
}

#[test]
fn no_fixture_variant_panics() {
    let files = all_fixture_files();
    assert!(files.len() >= 10, "fixtures are missing");
    let mut variants = 0usize;
    for path in &files {
        let name = path.to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        variants +=
            common::for_each_variant(&bytes, 250, b"\"!\n\0{:", |what, v| check(&name, what, v));
    }
    assert!(variants > 10_000, "only {variants} variants were tried");
}

/// Multi-input cases (`fixtures/cluster/<case>/`: node dumps with kubectl output) are analysed together, each input
/// damaged in turn while the others stay whole: the join of chain names to kubectl's Service ports sees every
/// variant of both sides.
#[test]
fn no_damaged_input_of_a_multi_input_case_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cluster");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "multi-input cases are missing");
    let mut variants = 0usize;
    for dir in &cases {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != "expected.json"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        for damaged in 0..files.len() {
            variants += common::for_each_variant(&files[damaged].1, 60, b"\"\n:/", |what, v| {
                let sources: Vec<Source> = files
                    .iter()
                    .enumerate()
                    .map(|(i, (n, b))| Source::new(n, if i == damaged { v } else { b }))
                    .collect();
                let result = catch_unwind(AssertUnwindSafe(|| {
                    serde_json::to_string(&analyze(&sources, &Options::default())).unwrap();
                }));
                assert!(
                    result.is_ok(),
                    "{dir:?}: panicked on {what} of {}",
                    files[damaged].0
                );
            });
        }
    }
    assert!(variants > 1_000, "only {variants} variants were tried");
}

#[test]
fn hostile_inputs_do_not_panic() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("only newlines", b"\n\n\r\n".to_vec()),
        ("lone quote", b"-A X -m comment --comment \"".to_vec()),
        ("lone bang", b"-A X !".to_vec()),
        ("huge counters", b"*nat\n:X - [99999999999999999999999:1]\n[1:1] -A X -j Y\n".to_vec()),
        ("insert past end", b"*nat\n-I X 999 -j Y\n-I X 0 -j Z\n".to_vec()),
        ("nan probability", b"*nat\n-A KUBE-SERVICES -d 1.2.3.4/32 -p tcp --dport 80 -j KUBE-SVC-A\n-A KUBE-SVC-A -m statistic --mode random --probability NaN -j KUBE-SEP-A\n-A KUBE-SVC-A -m statistic --mode random --probability -5 -j KUBE-SEP-B\n-A KUBE-SEP-A -j DNAT --to-destination [::1\n-A KUBE-SEP-B -j DNAT --to-destination :\n".to_vec()),
        ("self loop", b"*nat\n-A KUBE-SERVICES -d 1.2.3.4/32 -j KUBE-SVC-A\n-A KUBE-SVC-A -j KUBE-SVC-A\n".to_vec()),
        ("long line", [b"-A X ".to_vec(), vec![b'a'; 100_000]].concat()),
        ("binary", (0..=255u8).cycle().take(10_000).collect()),
    ];
    for (name, bytes) in cases {
        check(name, "the whole input", &bytes);
    }
}

/// `trace` over every fixture folder's inputs taken together (node dumps, kubectl output, resolv.conf files of
/// every kind of case), for a few names, pods and resolvers: odd inputs and names never make it panic.
#[test]
fn trace_never_panics_on_any_fixture_set() {
    use dnatlas_core::dns::plan::Resolver;
    use dnatlas_core::trace::{trace, Request};

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut dirs = Vec::new();
    fn folders(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push(path.clone());
                folders(&path, out);
            }
        }
    }
    folders(&root, &mut dirs);
    dirs.sort();
    let long = "a.".repeat(200);
    let names = [
        "nginx",
        "nginx:80",
        "kube-dns.kube-system:53",
        "kubernetes.default.svc.cluster.local.",
        "example.com",
        "10.96.0.10:53",
        "10.109.102.230",
        "[fd00::10]:53",
        "svc4",
        "a..b",
        "_dns._udp.kube-dns.kube-system",
        "*.",
        long.as_str(),
    ];
    let resolvers = [Resolver::Glibc, Resolver::Musl, Resolver::Go];
    let mut traced = 0usize;
    for dir in &dirs {
        let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    n != "expected.json" && n != "request.json" && n != "README.md"
                })
            })
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
        for (i, name) in names.iter().enumerate() {
            for from in ["10.244.0.20", "10.0.5.7", "fd00::20"] {
                let request = Request {
                    from: from.to_string(),
                    to: name.to_string(),
                    resolver: resolvers[i % resolvers.len()],
                };
                let result = catch_unwind(AssertUnwindSafe(|| {
                    serde_json::to_string(&trace(&sources, &request, &Options::default())).unwrap();
                }));
                assert!(
                    result.is_ok(),
                    "{dir:?}: trace panicked for {from} -> {name}"
                );
                traced += 1;
            }
        }
    }
    assert!(traced > 1_000, "only {traced} traces were run");
}

/// The trace cases with one input damaged at a time (cut, bytes replaced), traced with the case's own requests.
#[test]
fn trace_never_panics_on_damaged_trace_inputs() {
    use dnatlas_core::trace::{trace, Request};

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/trace");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "trace cases are missing");
    let mut variants = 0usize;
    for dir in &cases {
        let request: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("request.json")).unwrap()).unwrap();
        let requests: Vec<Request> = match request {
            serde_json::Value::Array(list) => list
                .into_iter()
                .map(|r| serde_json::from_value(r).unwrap())
                .collect(),
            one => vec![serde_json::from_value(one).unwrap()],
        };
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n != "expected.json" && n != "request.json")
            })
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        for damaged in 0..files.len() {
            variants += common::for_each_variant(&files[damaged].1, 25, b"\"\n:.", |what, v| {
                let sources: Vec<Source> = files
                    .iter()
                    .enumerate()
                    .map(|(i, (n, b))| Source::new(n, if i == damaged { v } else { b }))
                    .collect();
                for request in &requests {
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        serde_json::to_string(&trace(&sources, request, &Options::default()))
                            .unwrap();
                    }));
                    assert!(
                        result.is_ok(),
                        "{dir:?}: trace panicked on {what} of {} ({})",
                        files[damaged].0,
                        request.to
                    );
                }
            });
        }
    }
    assert!(variants > 500, "only {variants} variants were tried");
}

/// Small binary captures with a bit of everything: Ethernet and LINUX_SLL2 frames, UDP and a TCP stream with a
/// message split across segments, an IP fragment, IPv6, pcap in both byte orders and pcapng with two sections.
fn captures() -> Vec<(&'static str, Vec<u8>)> {
    use common::pcap::{self as w, Rr};
    let t0 = 1_700_000_000_000_000u64;
    let q = w::udp(
        "10.244.0.20:35926",
        "10.96.0.10:53",
        &w::query(1, "a.example.", 1),
    );
    let a = w::udp(
        "10.96.0.10:53",
        "10.244.0.20:35926",
        &w::answer(
            1,
            "a.example.",
            1,
            0,
            &[Rr::A("192.0.2.1"), Rr::Cname("b.example.")],
        ),
    );
    let q6 = w::udp(
        "[fd00::14]:4000",
        "[fd00::a]:53",
        &w::query(2, "b.example.", 28),
    );
    let a6 = w::udp6_with_hop_by_hop(
        "[fd00::a]:53",
        "[fd00::14]:4000",
        &w::answer(2, "b.example.", 28, 0, &[Rr::Aaaa("fd00::1")]),
    );
    let message = w::framed(&w::query(3, "c.example.", 1));
    let reply = w::framed(&w::answer(3, "c.example.", 1, 2, &[]));
    let (c, s) = ("10.244.0.20:46500", "10.96.0.10:53");
    let mut fragment = w::udp("10.96.0.10:53", "10.244.0.20:1", &w::query(4, "f.", 1));
    fragment[6] = 0x20;
    let frames = vec![
        w::ethernet(&q, &[7]),
        w::sll2(&a, true),
        w::ethernet(&q6, &[]),
        w::ethernet(&a6, &[]),
        w::ethernet(&w::tcp(c, s, 10, w::SYN, &[]), &[]),
        w::ethernet(&w::tcp(c, s, 11, w::ACK | w::PSH, &message[..5]), &[]),
        w::ethernet(&w::tcp(c, s, 16, w::ACK | w::PSH, &message[5..]), &[]),
        w::ethernet(&w::tcp(s, c, 90, w::SYN | w::ACK, &[]), &[]),
        w::ethernet(&w::tcp(s, c, 91, w::ACK | w::PSH | w::FIN, &reply), &[]),
        w::ethernet(&fragment, &[]),
    ];
    let records: Vec<w::Record> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| w::record(t0 + 100 * i as u64, f.clone()))
        .collect();
    let mut ng = w::Ng {
        big_endian: false,
        bytes: Vec::new(),
    };
    ng.section();
    ng.interface(1, None);
    ng.interface(276, Some(9));
    ng.packet(0, t0, &frames[0]);
    ng.packet(1, t0 * 1000 + 5, &frames[1]);
    ng.names();
    let mut be = w::Ng {
        big_endian: true,
        bytes: Vec::new(),
    };
    be.section();
    be.interface(101, Some(0x94));
    be.packet(0, 1 << 20, &q);
    be.simple(&a);
    vec![
        ("le.pcap", w::pcap(false, false, 1, &records)),
        ("be-ns.pcap", w::pcap(true, true, 1, &records)),
        ("two-sections.pcapng", [ng.bytes, be.bytes].concat()),
    ]
}

/// Every binary capture cut at every byte offset, and with every byte flipped, set to 0 and set to 0xff.
#[test]
fn binary_captures_cut_or_corrupted_anywhere_do_not_panic() {
    let mut variants = 0usize;
    for (name, bytes) in captures() {
        let whole = analyze(&[Source::new(name, &bytes)], &Options::default());
        // Whole, only the fragment is worth a diagnostic.
        assert!(
            whole.sources[0]
                .diagnostics
                .iter()
                .all(|d| d.code == "ip-fragment"),
            "{name}: {:?}",
            whole.sources[0].diagnostics
        );
        assert!(!whole.captures.unwrap().transactions.is_empty(), "{name}");
        for i in 0..bytes.len() {
            check(name, &format!("a cut at byte {i}"), &bytes[..i]);
            for value in [bytes[i] ^ 0xff, 0, 0xff] {
                let mut damaged = bytes.clone();
                damaged[i] = value;
                check(name, &format!("byte {i} set to {value:#04x}"), &damaged);
            }
            variants += 4;
        }
    }
    assert!(variants > 2_000, "only {variants} variants were tried");
}
