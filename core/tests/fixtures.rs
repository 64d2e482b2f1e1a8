//! Every fixture under `fixtures/iptables/` is analysed and compared with its hand-written `expected.json`.
//!
//! The expectations were reasoned from each case's source (kube-proxy's test configuration in the corpus, or the
//! seed document), not copied from dnatlas's output. Only the fields an expectation names are compared.

use std::path::{Path, PathBuf};

use dnatlas_core::{analyze, Options, Source};
use serde_json::Value;

mod common;

fn fixture_dirs() -> Vec<PathBuf> {
    common::cases("iptables")
}

/// Whether `actual` has what `expected` names: numbers within 1e-6, objects by the keys the expectation names
/// (recursively), arrays element by element with the same length.
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            (e.as_f64().unwrap() - a.as_f64().unwrap()).abs() < 1e-6
        }
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(key, want)| same(want, a.get(key).unwrap_or(&Value::Null))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(w, g)| same(w, g))
        }
        _ => expected == actual,
    }
}

fn compare_object(context: &str, expected: &Value, actual: &Value, errors: &mut Vec<String>) {
    for (key, want) in expected.as_object().unwrap() {
        if key == "endpoints" {
            continue;
        }
        let got = actual.get(key).unwrap_or(&Value::Null);
        if !same(want, got) {
            errors.push(format!("{context}: {key}: expected {want}, got {got}"));
        }
    }
    // An entry point's own endpoints (a local-endpoints chain) share new connections like the Service's.
    for (i, entry) in actual["entry_points"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let shares: Vec<f64> = entry["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["probability"].as_f64().unwrap())
            .collect();
        let sum: f64 = shares.iter().sum();
        if !shares.is_empty() && (sum - 1.0).abs() > 1e-6 {
            errors.push(format!(
                "{context}: entry point {i}: endpoint shares sum to {sum}"
            ));
        }
    }
}

/// Each finding of a JSON list as its code and evidence lines (`line` reads one evidence item).
fn codes_and_lines(findings: &Value, line: impl Fn(&Value) -> u64) -> Vec<(String, Vec<u64>)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let lines = f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(&line)
                .collect();
            (f["code"].as_str().unwrap().to_string(), lines)
        })
        .collect()
}

#[test]
fn every_fixture_matches_its_expectation() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 10, "fixtures are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let input = std::fs::read(dir.join("input.txt")).unwrap();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let analysis = analyze(&[Source::new("input.txt", &input)], &Options::default());
        let actual = serde_json::to_value(&analysis).unwrap();
        assert_eq!(actual["sources"][0]["kind"], "iptables-save", "{name}");

        let want_services = expected["services"].as_array().unwrap();
        let got_services = actual["services"].as_array().unwrap();
        if want_services.len() != got_services.len() {
            errors.push(format!(
                "{name}: expected {} services, got {}: {:?}",
                want_services.len(),
                got_services.len(),
                got_services
                    .iter()
                    .map(|s| s["spn"].clone())
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for (want, got) in want_services.iter().zip(got_services) {
            let context = format!("{name} {}", want["spn"]);
            compare_object(&context, want, got, &mut errors);
            let want_eps = want["endpoints"].as_array().unwrap();
            let got_eps = got["endpoints"].as_array().unwrap();
            if want_eps.len() != got_eps.len() {
                errors.push(format!(
                    "{context}: expected {} endpoints, got {}",
                    want_eps.len(),
                    got_eps.len()
                ));
                continue;
            }
            for (i, (we, ge)) in want_eps.iter().zip(got_eps).enumerate() {
                compare_object(&format!("{context} endpoint {i}"), we, ge, &mut errors);
            }
            if !want_eps.is_empty() {
                let sum: f64 = got_eps
                    .iter()
                    .map(|e| e["probability"].as_f64().unwrap())
                    .sum();
                if (sum - 1.0).abs() > 1e-6 {
                    errors.push(format!("{context}: endpoint shares sum to {sum}"));
                }
            }
        }

        let want_findings = codes_and_lines(&expected["findings"], |l| l.as_u64().unwrap());
        let got_findings = codes_and_lines(&actual["findings"], |e| e["line"].as_u64().unwrap());
        if want_findings != got_findings {
            errors.push(format!(
                "{name}: findings differ: expected {want_findings:?}, got {got_findings:?}"
            ));
        }

        let want_diags = expected["diagnostics"].as_array().unwrap();
        let got_diags = actual["sources"][0]["diagnostics"].as_array().unwrap();
        let got_keys: Vec<String> = got_diags
            .iter()
            .map(|d| format!("{} {}:{}", d["code"], d["line"], d["column"]))
            .collect();
        let matches = want_diags.len() == got_diags.len()
            && want_diags.iter().zip(got_diags).all(|(w, g)| {
                w["code"] == g["code"]
                    && w["line"] == g["line"]
                    && (w.get("column").is_none() || w["column"] == g["column"])
            });
        if !matches {
            errors.push(format!(
                "{name}: diagnostics differ: expected {want_diags:?}, got {got_keys:?}"
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The same dump with CRLF line ends, a BOM, and `iptables-save -c` counters on every rule routes the same way.
#[test]
fn line_ends_bom_and_counters_do_not_change_the_routing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/iptables");
    for case in ["seed-004-node", "corpus-01-iptables-overall-saved"] {
        let plain = std::fs::read_to_string(root.join(case).join("input.txt")).unwrap();
        let mut variant = String::from("\u{feff}");
        for line in plain.lines() {
            if line.starts_with("-A ") {
                variant.push_str("[17:1020] ");
            }
            variant.push_str(line);
            variant.push_str("\r\n");
        }
        let a = analyze(&[Source::new("x", plain.as_bytes())], &Options::default());
        let b = analyze(&[Source::new("x", variant.as_bytes())], &Options::default());
        assert_eq!(a.services, b.services, "{case}");
        assert!(
            b.sources[0].diagnostics.is_empty(),
            "{case}: {:?}",
            b.sources[0].diagnostics
        );
    }
}
