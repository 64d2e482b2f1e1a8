//! Snapshots of the parse (the ruleset) and of the analysis of every iptables fixture.
//!
//! The fixture tests check the facts that matter against hand-written expectations; these snapshots catch every
//! other change in what the parser keeps and what the analysis reports. Review a changed snapshot with
//! `cargo insta review` before accepting it.

use dnatlas_core::{analyze, source::iptables, Options, Source};

#[test]
fn parse_snapshots() {
    insta::glob!("../../fixtures", "iptables/*/input.txt", |path| {
        let bytes = std::fs::read(path).unwrap();
        let parsed = iptables::parse(&bytes);
        insta::assert_json_snapshot!(serde_json::json!({
            "ruleset": parsed.value,
            "diagnostics": parsed.diagnostics,
        }));
    });
}

#[test]
fn analysis_snapshots() {
    insta::glob!("../../fixtures", "iptables/*/input.txt", |path| {
        let bytes = std::fs::read(path).unwrap();
        let analysis = analyze(&[Source::new("input.txt", &bytes)], &Options::default());
        insta::assert_json_snapshot!(analysis);
    });
}
