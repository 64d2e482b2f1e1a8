//! Snapshots of the parse (the ruleset) and of the analysis of every iptables fixture, and of every lint rule's
//! findings on its fixtures.
//!
//! The fixture tests check the facts that matter against hand-written expectations; these snapshots catch every
//! other change in what the parser keeps, what the analysis reports and how each finding is worded. Review a
//! changed snapshot with `cargo insta review` before accepting it.

use std::path::{Path, PathBuf};

use dnatlas_core::{analyze, lint, source::iptables, Options, Source};
use serde_json::{json, Value};

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

/// Per lint rule, what it reports on the inputs of its fixture folder (`fixtures/lint/<code>/`: `bad`, `good` and
/// any other input beside them, each a file or a folder of inputs): every finding of that code with its severity,
/// message and evidence places. The fixture tests check the codes and lines; these catch a changed message.
#[test]
fn rule_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lint");
    for doc in lint::docs() {
        let dir = root.join(doc.code);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != "expected.json"))
            .collect();
        inputs.sort();
        let mut by_input = serde_json::Map::new();
        for input in inputs {
            let name = input.file_name().unwrap().to_string_lossy().to_string();
            let findings: Vec<Value> = analysed(&input)
                .findings
                .into_iter()
                .filter(|f| f.code == doc.code)
                .map(|f| {
                    json!({
                        "code": f.code,
                        "severity": f.severity,
                        "message": f.message,
                        "evidence": f.evidence,
                    })
                })
                .collect();
            by_input.insert(name, Value::from(findings));
        }
        insta::assert_json_snapshot!(format!("rule-{}", doc.code), by_input);
    }
}

/// The analysis of one input file (named by its file name), or of every file of a folder (each by its name).
fn analysed(path: &Path) -> dnatlas_core::Analysis {
    let mut files: Vec<(String, Vec<u8>)> = if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    } else {
        vec![(
            path.file_name().unwrap().to_string_lossy().to_string(),
            std::fs::read(path).unwrap(),
        )]
    };
    files.sort();
    let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
    analyze(&sources, &Options::default())
}
