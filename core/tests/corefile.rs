//! Every case under `fixtures/corefile/` is parsed and compared with its hand-written `expected.json`: the server
//! blocks (keys as written, the closing line, each directive's name and line), the risks (code and lines) and the
//! diagnostics (code, line, column), all in order. The expectations were reasoned from SPEC §5.4 and the case's
//! `about`, not copied from dnatlas's output. Every case, cut and damaged, then goes through the parser, `risks`
//! and `looks_like` without a panic.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use dnatlas_core::source::corefile;
use serde_json::{json, Value};

#[test]
fn fixtures_match_their_expectations() {
    let cases = common::cases("corefile");
    assert!(cases.len() >= 4, "the corefile fixtures are missing");
    let mut failures = Vec::new();
    for dir in cases {
        let bytes = std::fs::read(dir.join("Corefile")).unwrap();
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        let parsed = corefile::parse(&bytes);
        let blocks: Vec<Value> = parsed
            .value
            .blocks
            .iter()
            .map(|b| {
                json!({
                    "keys": b.keys.iter().map(|k| k.text.clone()).collect::<Vec<_>>(),
                    "end_line": b.end_line,
                    "directives": b.directives.iter().map(|d| json!([d.name, d.line])).collect::<Vec<_>>(),
                })
            })
            .collect();
        let risks: Vec<Value> = corefile::risks(&parsed.value)
            .iter()
            .map(|r| json!({"code": r.code, "lines": r.lines}))
            .collect();
        let diagnostics: Vec<Value> = parsed
            .diagnostics
            .iter()
            .map(|d| json!({"code": d.code, "line": d.line, "column": d.column}))
            .collect();
        for (key, got) in [
            ("blocks", Value::from(blocks)),
            ("risks", Value::from(risks)),
            ("diagnostics", Value::from(diagnostics)),
        ] {
            if expected.get(key) != Some(&got) {
                failures.push(format!(
                    "{}: {key}: expected {}, got {got}",
                    dir.display(),
                    expected.get(key).unwrap_or(&Value::Null)
                ));
            }
        }
        // Every case, broken ones included, is a Corefile to detection.
        assert!(
            corefile::looks_like(&bytes),
            "{}: looks_like",
            dir.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn damaged_fixtures_do_not_panic() {
    let mut variants = 0;
    for dir in common::cases("corefile") {
        let bytes = std::fs::read(dir.join("Corefile")).unwrap();
        let name = dir.display().to_string();
        variants += common::for_each_variant(&bytes, 200, b"{}\"\\#,\n\0 ", |what, v| {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let parsed = corefile::parse(v);
                let _ = corefile::risks(&parsed.value);
                let _ = corefile::looks_like(v);
            }));
            assert!(result.is_ok(), "{name}: panic on {what}");
        });
    }
    assert!(variants > 1_000, "only {variants} variants were tried");
}
