//! The Corefile parser on arbitrary bytes, as written and through `view` (the Corefile lines of a paste), with
//! its risks and detection: never panic; diagnostics and directive lines point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

use dnatlas_core::source::corefile;

fuzz_target!(|data: &[u8]| {
    let lines = dnatlas_core::text::lines(data).count().max(1);
    let view = corefile::view(data);
    // Blanking keeps every line where it was.
    assert!(dnatlas_core::text::lines(&view).count() <= lines);
    for bytes in [data, &view[..]] {
        let parsed = corefile::parse(bytes);
        for d in &parsed.diagnostics {
            assert!(d.line >= 1 && d.line as usize <= lines, "{d:?} outside {lines} lines");
            assert!(d.column >= 1, "{d:?}");
        }
        assert!(parsed.diagnostics.len() <= bytes.len() + lines * 8 + 8, "{} diagnostics", parsed.diagnostics.len());
        for block in &parsed.value.blocks {
            assert!(block.line >= 1 && block.line as usize <= lines, "block at {}", block.line);
            for directive in &block.directives {
                assert!(directive.line >= block.line && directive.line as usize <= lines);
            }
        }
        let _ = dnatlas_core::lint::corefile_risks(&parsed.value, &["10.96.0.10".parse().unwrap()]);
    }
    let _ = corefile::looks_like(&view);
});
