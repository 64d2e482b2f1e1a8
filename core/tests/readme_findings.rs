//! The README's findings table lists every lint rule once, in the rules' own order, with the severity its
//! documentation (`dnatlas explain CODE`) gives, and nothing else: a rule added, renamed or re-graded without the
//! README, or a README row with no rule, fails here.

use std::path::Path;

/// `(code, severity)` of each row of the table under `### Findings`.
fn readme_rows() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = readme
        .split("### Findings")
        .nth(1)
        .expect("README has a `### Findings` section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn the_readme_lists_every_rule_with_its_severity() {
    let rules: Vec<(String, String)> = dnatlas_core::lint::docs()
        .map(|d| {
            let severity = serde_json::to_value(d.severity).unwrap();
            (d.code.to_string(), severity.as_str().unwrap().to_string())
        })
        .collect();
    let rows = readme_rows();
    assert!(rows.len() >= 20, "{} rows read from the README", rows.len());
    assert_eq!(
        rows, rules,
        "README findings table (left) against the rules (right)"
    );
}
