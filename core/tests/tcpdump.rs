//! Every fixture under `fixtures/tcpdump/` is parsed, grouped into DNS transactions and compared with its
//! hand-written `expected.json`; every fixture, cut and mutated, goes through the parser and the grouping without a
//! panic.
//!
//! The expectations were reasoned from docs/domain/formats.md §8 and docs/domain/resolvers.md §7 and the seed documents (latencies computed by hand from
//! the printed timestamps), not copied from dnatlas's output. An expectation names the number of DNS packets, the
//! transactions, the replies from a wrong source, the unmatched replies and the diagnostics (sorted by line and
//! column), and what `analyze` makes of it: its kind, the capture findings with their evidence lines, and (where
//! named) the summary's counts and latency percentiles. Objects are compared for the fields the expectation names;
//! lists must have the same length.

mod common;
use common::compare;

use std::panic::{catch_unwind, AssertUnwindSafe};

use dnatlas_core::source::tcpdump;
use dnatlas_core::{analyze, Options, Source};
use serde_json::{json, Value};

/// What a capture reads as, in the shape of an expectation: the parse and grouping, then what `analyze` makes of
/// the capture as an input (its kind, the findings with their evidence lines, the summary).
fn read(bytes: &[u8]) -> Value {
    let parsed = tcpdump::parse(bytes);
    let grouped = dnatlas_core::capture::engine::group("capture.txt", &parsed.value.packets);
    let mut diagnostics = parsed.diagnostics.clone();
    diagnostics.sort_by_key(|d| (d.line, d.column));
    let analysis = analyze(&[Source::new("capture.txt", bytes)], &Options::default());
    let captures = analysis.captures.clone().unwrap_or_default();
    // `analyze` runs the same engine as `group`.
    assert_eq!(captures.transactions, grouped.transactions);
    assert_eq!(captures.wrong_source, grouped.wrong_source);
    assert_eq!(captures.unmatched, grouped.unmatched);
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| json!({"code": f.code, "evidence": f.evidence.iter().map(|e| e.line_number().unwrap_or(0)).collect::<Vec<_>>()}))
        .collect();
    json!({
        "packets": parsed.value.packets.len(),
        "transactions": grouped.transactions,
        "wrong_source": grouped.wrong_source,
        "unmatched": grouped.unmatched,
        "diagnostics": diagnostics,
        "kind": analysis.sources[0].kind,
        "findings": findings,
        "summary": captures.summary,
    })
}

#[test]
fn every_tcpdump_fixture_matches_its_expectation() {
    let dirs = common::cases("tcpdump");
    assert!(dirs.len() >= 10, "fixtures are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(dir.join("capture.txt")).unwrap();
        let mut expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let about = expected.as_object_mut().unwrap().remove("about");
        assert!(
            about.is_some_and(|a| a.as_str().is_some_and(|s| !s.is_empty())),
            "{name}: expected.json needs an `about`"
        );
        assert!(
            tcpdump::looks_like(&bytes),
            "{name}: not detected as tcpdump text"
        );
        compare(&name, &expected, &read(&bytes), &mut errors);
        // Pasted from Windows, with a BOM: the same packets, lines and columns.
        let mut crlf = b"\xEF\xBB\xBF".to_vec();
        crlf.extend(
            String::from_utf8_lossy(&bytes)
                .replace('\n', "\r\n")
                .bytes(),
        );
        compare(
            &format!("{name} (CRLF)"),
            &expected,
            &read(&crlf),
            &mut errors,
        );
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn lines_and_columns_are_one_based_and_the_rest_is_kept_after_a_bad_line() {
    let good = "10:00:00.000000 IP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a.example. (27)\n";
    for bad in [
        "IP 10.0.0.1.",
        "10:00:00.1 IP 1.2.3.4.53 > 5.6.7.8.9: ",
        "\u{ff}\u{fe}",
        "IP (tos",
    ] {
        let input = format!("{good}{bad}\n{good}");
        let p = tcpdump::parse(input.as_bytes());
        assert_eq!(p.value.packets.len(), 2, "{bad:?}: {:?}", p.diagnostics);
        assert_eq!(p.value.packets[1].line, 3);
        for d in &p.diagnostics {
            assert!(d.line >= 1 && d.column >= 1, "{bad:?}: {d:?}");
        }
    }
}

#[test]
fn damaged_captures_never_panic() {
    let mut variants = 0;
    for dir in common::cases("tcpdump") {
        let bytes = std::fs::read(dir.join("capture.txt")).unwrap();
        variants += common::for_each_variant(&bytes, 60, b" .:>()[]?|*-/,0\n", |what, input| {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                tcpdump::looks_like(input);
                let parsed = tcpdump::parse(input);
                let grouped =
                    dnatlas_core::capture::engine::group("capture.txt", &parsed.value.packets);
                for d in &parsed.diagnostics {
                    assert!(d.line >= 1 && d.column >= 1, "{d:?}");
                }
                let answered = grouped.transactions.iter().filter(|t| t.rcode.is_some());
                assert!(answered.count() <= parsed.value.packets.len());
            }));
            assert!(outcome.is_ok(), "{}: {what}", dir.display());
        });
    }
    assert!(variants > 1000, "{variants}");
}
