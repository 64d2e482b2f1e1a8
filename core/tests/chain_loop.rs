//! `chain-loop` on dumps whose chains loop, and the rules that follow jumps (`dangling-jump`, `orphan-chain`)
//! keeping quiet about loops that are not theirs to report.

use std::path::Path;
use std::time::{Duration, Instant};

use dnatlas_core::{analyze, Options, Severity, Source};

fn findings(dump: &str) -> Vec<dnatlas_core::Finding> {
    analyze(
        &[Source::new("node.txt", dump.as_bytes())],
        &Options::default(),
    )
    .findings
}

#[test]
fn the_fixture_names_each_loop_with_its_chains_and_lines() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lint/chain-loop/bad.txt");
    let dump = std::fs::read_to_string(path).unwrap();
    let all = findings(&dump);
    let loops: Vec<_> = all.iter().filter(|f| f.code == "chain-loop").collect();
    assert_eq!(loops.len(), 2, "{loops:#?}");
    assert_eq!(loops[0].severity, Severity::Error);
    assert!(
        loops[0]
            .message
            .starts_with("nat chains of node.txt loop: L -> L (line 20); the kernel does not load"),
        "{}",
        loops[0].message
    );
    assert!(
        loops[1].message.starts_with(
            "filter chains of node.txt loop: KUBE-A -> KUBE-B -> KUBE-A (lines 32, 34);"
        ),
        "{}",
        loops[1].message
    );
    // Loops are not dangling jumps, and the chains in them are jumped to.
    assert!(
        all.iter()
            .all(|f| f.code != "dangling-jump" && f.code != "orphan-chain"),
        "{all:#?}"
    );
}

#[test]
fn a_service_chain_that_only_jumps_to_itself_is_a_loop_and_an_orphan() {
    let dump = "*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n\
                -A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SVC-AAAAAAAAAAAAAAAA\nCOMMIT\n";
    let all = findings(dump);
    let codes: Vec<&str> = all.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"chain-loop"), "{codes:?}");
    assert!(codes.contains(&"orphan-chain"), "{codes:?}");
    assert!(!codes.contains(&"dangling-jump"), "{codes:?}");
}

#[test]
fn a_ring_of_100000_chains_is_one_finding_in_bounded_time() {
    let n = 100_000;
    let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
    for i in 0..n {
        dump.push_str(&format!(":C{i} - [0:0]\n"));
    }
    dump.push_str("-A KUBE-SERVICES -j C0\n");
    for i in 0..n {
        dump.push_str(&format!("-A C{i} -j C{}\n", (i + 1) % n));
    }
    dump.push_str("COMMIT\n");
    let started = Instant::now();
    let all = findings(&dump);
    let took = started.elapsed();
    let loops: Vec<_> = all.iter().filter(|f| f.code == "chain-loop").collect();
    assert_eq!(loops.len(), 1);
    // The first 16 chains and their rules are named, and the size of the ring.
    assert_eq!(loops[0].evidence.len(), 16);
    assert!(
        loops[0].message.contains("C0 -> C1 -> ") && loops[0].message.contains("-> … -> C0"),
        "{}",
        loops[0].message
    );
    assert!(loops[0].message.contains("100000 chains in all"));
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn many_loops_are_listed_up_to_a_limit_and_counted() {
    let mut dump = String::from("*nat\n");
    for i in 0..50 {
        dump.push_str(&format!(":S{i} - [0:0]\n"));
    }
    for i in 0..50 {
        dump.push_str(&format!("-A S{i} -j S{i}\n"));
    }
    dump.push_str("COMMIT\n");
    let all = findings(&dump);
    let loops: Vec<_> = all.iter().filter(|f| f.code == "chain-loop").collect();
    assert_eq!(loops.len(), 21);
    assert!(loops.iter().any(|f| f
        .message
        .starts_with("30 more loops of nat chains of node.txt")));
}
