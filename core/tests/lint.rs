//! Every lint rule has a fixture that triggers it (`bad.txt`, with the expected findings and evidence lines in
//! `expected.json`, reasoned from the fixture) and one that must not (`good.txt`). Every rule is documented.

use std::path::Path;

use dnatlas_core::lint::{docs, explain};
use dnatlas_core::{analyze, Options, Source};
use serde_json::Value;

/// The findings for a fixture: one file (`bad.txt`, named `input`) or a folder of inputs named by file name;
/// evidence as `line` for one file and `file:line` for a folder.
fn findings(path: &Path) -> Vec<(String, Vec<String>)> {
    let (files, single): (Vec<(String, Vec<u8>)>, bool) = if path.is_dir() {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        (files, false)
    } else {
        (
            vec![(
                "input".to_string(),
                std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")),
            )],
            true,
        )
    };
    let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
    analyze(&sources, &Options::default())
        .findings
        .into_iter()
        .map(|f| {
            let evidence = f
                .evidence
                .iter()
                .map(|e| {
                    if single {
                        e.line_number().unwrap_or(0).to_string()
                    } else {
                        format!("{}:{}", e.source, e.line_number().unwrap_or(0))
                    }
                })
                .collect();
            (f.code, evidence)
        })
        .collect()
}

fn input(dir: &Path, name: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.txt"));
    if file.exists() {
        file
    } else {
        dir.join(name)
    }
}

#[test]
fn every_rule_has_a_triggering_and_a_clean_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lint");
    let mut errors = Vec::new();
    for doc in docs() {
        let code = doc.code;
        let dir = root.join(code);
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let want: Vec<(String, Vec<String>)> = expected["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let lines = f["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                    .collect();
                (f["code"].as_str().unwrap().to_string(), lines)
            })
            .collect();
        let run = findings;
        let got: Vec<(String, Vec<String>)> = run(&input(&dir, "bad"))
            .into_iter()
            .filter(|(c, _)| c == code)
            .collect();
        if got != want {
            errors.push(format!("{code}: bad.txt gave {got:?}, expected {want:?}"));
        }
        let clean: Vec<_> = run(&input(&dir, "good"))
            .into_iter()
            .filter(|(c, _)| c == code)
            .collect();
        if !clean.is_empty() {
            errors.push(format!("{code}: good.txt triggered {clean:?}"));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn every_rule_is_documented_and_codes_are_unique() {
    let mut codes: Vec<&str> = docs().map(|d| d.code).collect();
    for doc in docs() {
        assert!(
            doc.code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            doc.code
        );
        for (section, text) in [
            ("title", doc.title),
            ("what", doc.what),
            ("why", doc.why),
            ("example", doc.example),
            ("fix", doc.fix),
        ] {
            assert!(text.len() > 20, "{}: {section} is too short", doc.code);
        }
        assert_eq!(explain(doc.code).map(|d| d.code), Some(doc.code));
    }
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "duplicate codes");
    assert!(explain("no-such-rule").is_none());
}
