//! The diagnostic budget of an input is shared fairly: one bad line, or one cause repeated thousands of times,
//! cannot hide the problems of the lines after it.

use dnatlas_core::{analyze, Diagnostic, Options, Source, MAX_DIAGNOSTICS};

fn diagnostics(bytes: &[u8]) -> Vec<Diagnostic> {
    analyze(&[Source::new("node.txt", bytes)], &Options::default())
        .sources
        .remove(0)
        .diagnostics
}

/// Five lines after the bad one, each wrong in its own way.
const LATER: &str = "-A KUBE-SERVICES -p tcp --dport 53 -j\n\
                     -A KUBE-SERVICES \"unterminated -j ACCEPT\n\
                     frob the node\n\
                     :KUBE-X - [x:y]\n\
                     -A\n";

fn places(ds: &[Diagnostic], from: u32) -> Vec<u32> {
    let mut lines: Vec<u32> = ds.iter().map(|d| d.line).filter(|&l| l >= from).collect();
    lines.dedup();
    lines
}

#[test]
fn one_line_of_20000_bangs_does_not_hide_the_lines_after_it() {
    let mut dump = b"*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES ".to_vec();
    dump.extend(std::iter::repeat_n(b"! ".as_slice(), 20_000).flatten());
    dump.extend(b"-j ACCEPT\n");
    dump.extend(LATER.as_bytes());
    dump.extend(b"COMMIT\n");
    let ds = diagnostics(&dump);
    // Every later line's problem is reported: lines 4 to 8.
    assert_eq!(places(&ds, 4), [4, 5, 6, 7, 8], "{ds:#?}");
    // The bad line says what is wrong a few times and counts the rest.
    let on_3: Vec<&Diagnostic> = ds.iter().filter(|d| d.line == 3).collect();
    // Three `double-negation`, their note, and the `!` before `-j` (`misplaced-negation`).
    assert_eq!(on_3.len(), 5, "{on_3:#?}");
    let note = on_3.iter().find(|d| d.code == "more-diagnostics").unwrap();
    assert!(
        note.message.ends_with("diagnostics on line 3 not shown"),
        "{}",
        note.message
    );
    assert!(ds.len() < 20, "{}", ds.len());

    // The same later lines, after 10,000 lines with one cause each.
    let mut dump = b"*nat\n:KUBE-SERVICES - [0:0]\n".to_vec();
    for _ in 0..10_000 {
        dump.extend(b"frob\n");
    }
    dump.extend(LATER.as_bytes());
    dump.extend(b"COMMIT\n");
    let ds = diagnostics(&dump);
    assert!(ds.len() <= MAX_DIAGNOSTICS + 10, "{}", ds.len());
    let later = places(&ds, 10_003);
    // Lines 10,003 to 10,007: the ones whose cause is not `frob`'s are all there; `frob the node` (line 10,005)
    // shares its cause with the 10,000 before it, which is counted instead.
    for line in [10_003, 10_004, 10_006, 10_007] {
        assert!(later.contains(&line), "line {line}: {later:?}");
    }
    assert!(ds.iter().any(|d| d.code == "more-diagnostics"));
}
