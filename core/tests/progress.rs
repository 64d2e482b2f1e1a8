//! `analyze_with_progress`: the stages it reports, in order, and the same analysis as `analyze`.

use dnatlas_core::{analyze, analyze_with_progress, Options, Source, Stage};

/// A stage with the input's name owned, so the list outlives the analysis.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Reading(String, usize, usize, u64, u64),
    Naming,
    Lookups,
    Findings,
    Merging,
}

fn stages(sources: &[Source<'_>]) -> Vec<Seen> {
    let mut seen = Vec::new();
    let with = analyze_with_progress(sources, &Options::default(), &mut |stage| {
        seen.push(match stage {
            Stage::Reading {
                source,
                index,
                count,
                bytes_done,
                bytes_total,
            } => Seen::Reading(source.to_string(), index, count, bytes_done, bytes_total),
            Stage::Naming => Seen::Naming,
            Stage::Lookups => Seen::Lookups,
            Stage::Findings => Seen::Findings,
            Stage::Merging => Seen::Merging,
        })
    });
    assert_eq!(
        with,
        analyze(sources, &Options::default()),
        "progress changes nothing"
    );
    seen
}

const DUMP: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");
const RESOLV: &str = "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local\n";
const CAPTURE: &str = include_str!("../../fixtures/tcpdump/n/capture.txt");

#[test]
fn reports_each_input_with_the_bytes_before_it_then_the_later_stages() {
    let sources = [
        Source::new("node.txt", DUMP.as_bytes()),
        Source::new("resolv.conf", RESOLV.as_bytes()),
    ];
    let (a, b) = (DUMP.len() as u64, RESOLV.len() as u64);
    assert_eq!(
        stages(&sources),
        [
            Seen::Reading("node.txt".into(), 0, 2, 0, a + b),
            Seen::Reading("resolv.conf".into(), 1, 2, a, a + b),
            Seen::Reading("resolv.conf".into(), 2, 2, a + b, a + b),
            Seen::Naming,
            Seen::Findings,
            Seen::Merging,
        ]
    );
}

#[test]
fn a_capture_adds_the_lookups_stage() {
    let sources = [Source::new("dns.txt", CAPTURE.as_bytes())];
    let n = CAPTURE.len() as u64;
    assert_eq!(
        stages(&sources),
        [
            Seen::Reading("dns.txt".into(), 0, 1, 0, n),
            Seen::Reading("dns.txt".into(), 1, 1, n, n),
            Seen::Naming,
            Seen::Lookups,
            Seen::Findings,
            Seen::Merging,
        ]
    );
}

#[test]
fn no_inputs_still_ends() {
    assert_eq!(
        stages(&[]),
        [
            Seen::Reading(String::new(), 0, 0, 0, 0),
            Seen::Naming,
            Seen::Findings,
            Seen::Merging,
        ]
    );
}

#[test]
fn labels_name_the_input_being_read() {
    let reading = Stage::Reading {
        source: "node-a.txt",
        index: 0,
        count: 1,
        bytes_done: 0,
        bytes_total: 10,
    };
    assert_eq!(reading.label(), "reading node-a.txt");
    assert_eq!(Stage::Findings.label(), "checking for findings");
}
