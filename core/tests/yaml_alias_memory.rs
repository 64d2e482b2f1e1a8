//! A YAML alias bomb costs little memory: the allocator counts the bytes, so the bound is asserted, not assumed
//! (alone in its test binary, so no other test's allocations count).

use std::alloc::System;
use std::time::{Duration, Instant};

use cap::Cap;
use dnatlas_core::{analyze, Diagnostic, Kind, Options, Source};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn a_yaml_alias_bomb_stops_at_the_alias_limit_in_little_memory() {
    // Nine anchors, each a list of ten aliases of the one before: 10^9 strings if expanded, in about 0.7 KB.
    let mut bomb = String::from("apiVersion: v1\nkind: List\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, name) = (pair[0], pair[1]);
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    bomb.push_str("items: []\n");
    assert!(bomb.len() < 800, "{}", bomb.len());
    let before = ALLOCATOR.allocated();
    let start = Instant::now();
    let mut a = analyze(
        &[Source::new("bomb.yaml", bomb.as_bytes())],
        &Options::default(),
    );
    let took = start.elapsed();
    let peak = ALLOCATOR.max_allocated().saturating_sub(before);
    let report = a.sources.remove(0);
    let (kind, ds) = (report.kind, report.diagnostics);
    eprintln!("alias bomb: {took:?}, peak {peak} bytes");
    assert_eq!(kind, Kind::Kubectl);
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(peak < 64 << 20, "{peak}");
    let limit: Vec<&Diagnostic> = ds.iter().filter(|d| d.code == "yaml-alias-limit").collect();
    assert_eq!(limit.len(), 1, "{ds:?}");
    // Line 7 is `e`'s list of ten `*d` (a on line 3): as in the reader's own test, its 8th alias passes 100,000
    // copied values; written without spaces, it starts at column 8 + 7 × 3.
    assert_eq!((limit[0].line, limit[0].column), (7, 29), "{:?}", limit[0]);
    assert!(limit[0].message.contains("more than 100,000 values"));
}
