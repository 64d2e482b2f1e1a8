//! Every fixture under `fixtures/kubectl/` is parsed and compared with its hand-written `expected.json`, and every
//! fixture, cut and mutated, goes through the kubectl parser without a panic.
//!
//! The expectations were reasoned from each case's source (the samples of docs/domain/formats.md §1–§7, the seed documents, kube-proxy's test
//! configuration), not copied from dnatlas's output. An expectation names the detected format, the objects of each
//! kind (a kind it leaves out must come out empty), and the diagnostics in order (code, line, and column when
//! given). Objects are compared field by field for the fields the expectation names; lists must have the same
//! length.

mod common;
use common::compare;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use dnatlas_core::source::kubectl;
use dnatlas_core::source::kubectl::model::Objects;
use serde_json::Value;

const KINDS: [&str; 4] = ["services", "endpoints", "endpoint_slices", "pods"];

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/kubectl");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The one `input.*` file of a case.
fn input(dir: &Path) -> PathBuf {
    let inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_stem()
                .is_some_and(|s| s.to_string_lossy() == "input")
        })
        .collect();
    assert_eq!(inputs.len(), 1, "{}: one input.* file", dir.display());
    inputs[0].clone()
}

#[test]
fn every_kubectl_fixture_matches_its_expectation() {
    let dirs = cases();
    assert!(dirs.len() >= 15, "fixtures are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(input(dir)).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json"))
                .unwrap_or_else(|e| panic!("{name}: expected.json: {e}")),
        )
        .unwrap_or_else(|e| panic!("{name}: expected.json: {e}"));

        let format = kubectl::detect(&bytes).map(|f| f.as_str());
        if expected["format"].as_str() != format {
            errors.push(format!(
                "{name}: format: expected {}, got {format:?}",
                expected["format"]
            ));
        }

        let parsed = kubectl::parse(&bytes);
        let actual = serde_json::to_value(&parsed.value).unwrap();
        for kind in KINDS {
            let want = expected
                .get(kind)
                .cloned()
                .unwrap_or(Value::Array(Vec::new()));
            compare(
                &format!("{name}: {kind}"),
                &want,
                &actual[kind],
                &mut errors,
            );
        }

        let want_diags = expected["diagnostics"].as_array().unwrap();
        let matches = want_diags.len() == parsed.diagnostics.len()
            && want_diags.iter().zip(&parsed.diagnostics).all(|(w, g)| {
                w["code"] == g.code.as_str()
                    && w["line"] == g.line
                    && w.get("column").is_none_or(|c| *c == g.column)
            });
        if !matches {
            let got: Vec<String> = parsed
                .diagnostics
                .iter()
                .map(|d| format!("{} {}:{} {}", d.code, d.line, d.column, d.message))
                .collect();
            errors.push(format!(
                "{name}: diagnostics differ: expected {want_diags:?}, got {got:#?}"
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// What the parser returns is plain data that survives a JSON round trip (the app and CLI serialise it).
#[test]
fn objects_round_trip_through_json() {
    for dir in cases() {
        let bytes = std::fs::read(input(&dir)).unwrap();
        let parsed = kubectl::parse(&bytes);
        let text = serde_json::to_string(&parsed.value).unwrap();
        let back: Objects = serde_json::from_str(&text).unwrap();
        assert_eq!(back, parsed.value, "{}", dir.display());
    }
}

/// CRLF line ends and a BOM change nothing.
#[test]
fn crlf_and_bom_read_the_same() {
    for dir in cases() {
        let plain = std::fs::read_to_string(input(&dir)).unwrap();
        let mut variant = String::from("\u{feff}");
        for line in plain.lines() {
            variant.push_str(line);
            variant.push_str("\r\n");
        }
        let a = kubectl::parse(plain.as_bytes());
        let b = kubectl::parse(variant.as_bytes());
        assert_eq!(a.value, b.value, "{}", dir.display());
        assert_eq!(a.diagnostics, b.diagnostics, "{}", dir.display());
    }
}

/// Collapsing every run of spaces to one (as blogs and chat do) still reads the tables whose cells are never
/// empty.
#[test]
fn collapsed_spaces_still_read() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/kubectl");
    for case in [
        "spec-get-svc-wide",
        "spec-get-pods-wide",
        "spec-get-endpointslices",
    ] {
        let plain = std::fs::read_to_string(input(&root.join(case))).unwrap();
        let collapsed: String = plain
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
            .collect();
        let a = kubectl::parse(plain.as_bytes());
        let b = kubectl::parse(collapsed.as_bytes());
        assert!(b.diagnostics.is_empty(), "{case}: {:?}", b.diagnostics);
        let names = |o: &Objects| {
            (
                o.services
                    .iter()
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>(),
                o.pods
                    .iter()
                    .map(|p| (p.name.clone(), p.restarts.clone(), p.ips.clone()))
                    .collect::<Vec<_>>(),
                o.endpoint_slices
                    .iter()
                    .map(|s| (s.name.clone(), s.endpoints.len(), s.truncated_more))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(names(&a.value), names(&b.value), "{case}");
        let ports = |o: &Objects| o.services.iter().map(|s| s.ports.len()).collect::<Vec<_>>();
        assert_eq!(ports(&a.value), ports(&b.value), "{case}");
    }
}

fn check(name: &str, what: &str, bytes: &[u8]) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let _ = kubectl::detect(bytes);
        let parsed = kubectl::parse(bytes);
        serde_json::to_string(&parsed.value).unwrap();
        for d in &parsed.diagnostics {
            assert!(d.line >= 1 && d.column >= 1, "{d:?}");
        }
    }));
    assert!(result.is_ok(), "{name}: panicked on {what}");
}

#[test]
fn no_kubectl_fixture_variant_panics() {
    let mut variants = 0usize;
    for dir in cases() {
        let path = input(&dir);
        let name = path.to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        variants += common::for_each_variant(&bytes, 300, b"\"\n\0{[:- \t\\", |what, v| {
            check(&name, what, v)
        });
    }
    assert!(variants > 10_000, "only {variants} variants were tried");
}

/// Hostile inputs: deep nesting, huge counts, odd bytes.
#[test]
fn hostile_inputs_do_not_panic() {
    let long_row = format!(
        "NAME   ENDPOINTS   AGE\nweb    {}   1m\n",
        "1.2.3.4:80,".repeat(10_000)
    );
    let inputs: Vec<Vec<u8>> = vec![
        "[".repeat(200_000).into_bytes(),
        "{\"items\": ".repeat(50_000).into_bytes(),
        format!("items:\n{}", "- ".repeat(5_000)).into_bytes(),
        "apiVersion: v1\nkind: List\nitems: &a [*a]\n"
            .as_bytes()
            .to_vec(),
        "NAME ENDPOINTS AGE\nx 1.2.3.4:80 + 99999999999999999999 more...\n"
            .as_bytes()
            .to_vec(),
        "NAME   PORT(S)   TYPE\nx   65536:99999/TCP,:/,/,80:/X   ClusterIP\n"
            .as_bytes()
            .to_vec(),
        "Name:\nType: ClusterIP\nPort: \nEndpoints: ,,,[::]:,[\n"
            .as_bytes()
            .to_vec(),
        "NAME\u{3000}AGE\nx\u{3000}1m\n".as_bytes().to_vec(),
        b"NAME   AGE\n\xff\xfe   1m\n".to_vec(),
        long_row.into_bytes(),
    ];
    for (i, bytes) in inputs.iter().enumerate() {
        check("hostile", &format!("input {i}"), bytes);
    }
}
