//! Text inputs built to cost: deep nesting, huge lines, NUL-only files, a million empty lines. Each is analysed in
//! bounded time, with a diagnostic that says what it is or what stopped it.

use std::time::{Duration, Instant};

use dnatlas_core::{analyze, Diagnostic, Kind, Options, Source};

/// Analyses one input; returns its kind, diagnostics and the time taken.
fn measured(name: &str, bytes: &[u8]) -> (Kind, Vec<Diagnostic>, Duration) {
    let start = Instant::now();
    let mut a = analyze(&[Source::new(name, bytes)], &Options::default());
    let took = start.elapsed();
    let report = a.sources.remove(0);
    (report.kind, report.diagnostics, took)
}

fn codes(ds: &[Diagnostic]) -> Vec<&str> {
    ds.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn deep_json_and_yaml_do_not_overflow_the_stack() {
    for (name, text) in [
        ("deep.json", "[".repeat(100_000)),
        (
            "deep-closed.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "deep-object.json",
            format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}",
                "[".repeat(100_000)
            ),
        ),
        (
            "deep.yaml",
            format!(
                "apiVersion: v1\nkind: List\nitems: {}\n",
                "[".repeat(100_000)
            ),
        ),
        (
            "deep-block.yaml",
            format!(
                "apiVersion: v1\nkind: List\nitems:\n{}x\n",
                "- ".repeat(100_000)
            ),
        ),
    ] {
        let (kind, ds, took) = measured(name, text.as_bytes());
        eprintln!("{name}: {kind:?} {took:?} {:?}", codes(&ds));
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
        assert!(!ds.is_empty(), "{name}: no diagnostic");
        if name == "deep-object.json" {
            // serde_json stops at its recursion limit (128) rather than overflowing the stack.
            assert_eq!(codes(&ds), ["json-syntax"]);
            assert!(
                ds[0].message.contains("recursion limit"),
                "{}",
                ds[0].message
            );
        }
    }
}
