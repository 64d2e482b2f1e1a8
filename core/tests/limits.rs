//! An input over `Options::max_source_bytes` is read up to the limit: a diagnostic says so, at the last line read,
//! and everything before it is still analysed.

use dnatlas_core::{analyze, Options, Severity, Source, MAX_SOURCE_BYTES};

#[test]
fn an_input_over_the_limit_is_cut_with_a_diagnostic_and_its_head_analysed() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/iptables/seed-004-node/input.txt"
    );
    let dump = std::fs::read(path).unwrap();
    let whole = analyze(&[Source::new("node.txt", &dump)], &Options::default());
    assert!(whole.sources[0]
        .diagnostics
        .iter()
        .all(|d| d.code != "input-too-large"));

    // Cut in the middle of the nat table: the lines before the cut are read, the rest is not.
    let limit = dump.len() / 2;
    let lines_read = dump[..limit].split(|&b| b == b'\n').count() as u32;
    let cut = analyze(
        &[Source::new("node.txt", &dump)],
        &Options {
            max_source_bytes: limit,
            ..Options::default()
        },
    );
    let report = &cut.sources[0];
    assert_eq!(report.bytes, dump.len());
    assert_eq!(report.kind, dnatlas_core::Kind::IptablesSave);
    let too_large: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "input-too-large")
        .collect();
    assert_eq!(too_large.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(too_large[0].severity, Severity::Error);
    assert_eq!(too_large[0].line, lines_read);
    // The cap is stated; the whole size is the report's `bytes` (a reader that stops past the cap, as the CLI
    // does, cannot know it, so the message does not claim it).
    assert!(
        too_large[0]
            .message
            .contains(&format!("more than {limit} bytes")),
        "{}",
        too_large[0].message
    );
    assert!(report.counts.rules > 0);
    assert!(report.counts.rules < whole.sources[0].counts.rules);
    // A 50,000-Service dump (153 MB) fits under the default limit.
    const { assert!(MAX_SOURCE_BYTES >= 200_000_000) };
}
