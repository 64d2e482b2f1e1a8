//! Every lint rule has a fixture that triggers it (`bad.txt`, with the expected findings and evidence lines in
//! `expected.json`, reasoned from the fixture) and one that must not (`good.txt`). Every rule is documented.

use std::path::Path;

use dnatlas_core::lint::{explain, rules::ALL};
use dnatlas_core::{analyze, Options, Source};
use serde_json::Value;

fn findings(path: &Path) -> Vec<(String, Vec<u32>)> {
    let bytes = std::fs::read(path).unwrap();
    analyze(&[Source::new("input", &bytes)], &Options::default())
        .findings
        .into_iter()
        .map(|f| (f.code, f.evidence.iter().map(|e| e.line).collect()))
        .collect()
}

#[test]
fn every_rule_has_a_triggering_and_a_clean_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lint");
    let mut errors = Vec::new();
    for rule in ALL {
        let code = rule.doc().code;
        let dir = root.join(code);
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let want: Vec<(String, Vec<u32>)> = expected["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let lines = f["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_u64().unwrap() as u32)
                    .collect();
                (f["code"].as_str().unwrap().to_string(), lines)
            })
            .collect();
        let got: Vec<(String, Vec<u32>)> = findings(&dir.join("bad.txt"))
            .into_iter()
            .filter(|(c, _)| c == code)
            .collect();
        if got != want {
            errors.push(format!("{code}: bad.txt gave {got:?}, expected {want:?}"));
        }
        let clean: Vec<_> = findings(&dir.join("good.txt"))
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
    let mut codes: Vec<&str> = ALL.iter().map(|r| r.doc().code).collect();
    for rule in ALL {
        let doc = rule.doc();
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
