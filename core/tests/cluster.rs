//! Every case under `fixtures/cluster/<case>/` (several inputs: node dumps, kubectl output) is analysed together and
//! compared with its hand-written `expected.json`: the Service ports (named through the chain hash when the dump has
//! no comments), the merged cluster model with the provenance of each fact, and the findings of the codes listed.
//!
//! The expectations were reasoned from the inputs and docs/domain/kube-proxy-iptables.md §8 (chain-name hashes), not copied from dnatlas's output.
//! Only the fields an expectation names are compared; an evidence item is written `input:line`; an expected `null`
//! or `[]` also matches a field left out of the JSON.

use std::path::{Path, PathBuf};

use dnatlas_core::{analyze, Options, Source};
use serde_json::Value;

mod common;

fn case_dirs() -> Vec<PathBuf> {
    common::cases("cluster")
}

/// The inputs of a case: every file but `expected.json`, sorted by name.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "expected.json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn compare(path: &str, want: &Value, got: &Value, errors: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(want), _) => {
            for (key, w) in want {
                let g = got.get(key).unwrap_or(&Value::Null);
                compare(&format!("{path}.{key}"), w, g, errors);
            }
        }
        (Value::Array(want), Value::Null) if want.is_empty() => {}
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                errors.push(format!(
                    "{path}: expected {} items, got {}: {}",
                    want.len(),
                    got.len(),
                    Value::Array(got.clone())
                ));
                return;
            }
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                compare(&format!("{path}[{i}]"), w, g, errors);
            }
        }
        // Evidence: `input:line`.
        (Value::String(w), Value::Object(g)) if g.contains_key("source") => {
            let g = format!("{}:{}", g["source"].as_str().unwrap_or("?"), g["line"]);
            if *w != g {
                errors.push(format!("{path}: expected {w}, got {g}"));
            }
        }
        (Value::Number(w), Value::Number(g)) => {
            if (w.as_f64().unwrap() - g.as_f64().unwrap()).abs() > 1e-6 {
                errors.push(format!("{path}: expected {w}, got {g}"));
            }
        }
        _ => {
            if want != got {
                errors.push(format!("{path}: expected {want}, got {got}"));
            }
        }
    }
}

#[test]
fn every_cluster_case_matches_its_expectation() {
    let dirs = case_dirs();
    assert!(dirs.len() >= 4, "cluster cases are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let files = inputs(dir);
        let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
        let analysis = analyze(&sources, &Options::default());
        let actual = serde_json::to_value(&analysis).unwrap();
        let mut expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        for source in actual["sources"].as_array().unwrap() {
            let diagnostics = source["diagnostics"].as_array().unwrap();
            if !diagnostics.is_empty() {
                errors.push(format!(
                    "{name}: {} has diagnostics: {diagnostics:?}",
                    source["name"]
                ));
            }
        }
        let codes: Vec<String> = expected["finding_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let findings: Vec<Value> = analysis
            .findings
            .iter()
            .filter(|f| codes.contains(&f.code))
            .map(|f| serde_json::to_value(f).unwrap())
            .collect();
        compare(
            &format!("{name} findings"),
            &expected["findings"],
            &Value::Array(findings),
            &mut errors,
        );
        let object = expected.as_object_mut().unwrap();
        for key in ["about", "finding_codes", "findings"] {
            object.remove(key);
        }
        compare(&name, &expected, &actual, &mut errors);
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The merged model does not depend on the order the inputs are given in.
#[test]
fn input_order_does_not_change_the_cluster_model() {
    for dir in case_dirs() {
        let files = inputs(&dir);
        let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
        let reversed: Vec<Source> = files.iter().rev().map(|(n, b)| Source::new(n, b)).collect();
        let a = analyze(&sources, &Options::default());
        let b = analyze(&reversed, &Options::default());
        assert_eq!(a.cluster, b.cluster, "{dir:?}");
        assert_eq!(a.services, b.services, "{dir:?}");
    }
}
