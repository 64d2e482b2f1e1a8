//! `dnatlas.analysis/1` reads back as it was written: for every fixture case (its inputs analysed together), the
//! JSON deserialised into an `Analysis` and serialised again is the same text. The page's worker hands analyses to
//! the page this way, and the named inputs (`source` beside the fields read, through `serde(flatten)`) must survive
//! it.

mod common;

use dnatlas_core::{analyze, Analysis, Options, Source};

#[test]
fn every_fixture_analysis_reads_back_as_written() {
    let mut checked = 0;
    for kind in [
        "iptables",
        "iptables-list",
        "kubectl",
        "lint",
        "cluster",
        "trace",
        "corefile",
        "lookups",
        "tcpdump",
        "pcap",
    ] {
        for dir in common::cases(kind) {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.is_file()
                        && !p
                            .extension()
                            .is_some_and(|e| e == "json" || e == "md" || e == "snap")
                })
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            files.sort();
            let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
            let analysis = analyze(&sources, &Options::default());
            let json = serde_json::to_string(&analysis).unwrap();
            let back: Analysis =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
            assert_eq!(serde_json::to_string(&back).unwrap(), json, "{dir:?}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} cases");
}
