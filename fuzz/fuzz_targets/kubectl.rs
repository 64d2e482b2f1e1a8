//! The kubectl parsers (tables, describe, JSON, YAML) on arbitrary bytes: never panic; diagnostics point inside.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::kubectl::parse(data);
    let lines = dnatlas_core::text::lines(data).count().max(1);
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line as usize <= lines, "{d:?} outside {lines} lines");
        assert!(d.column >= 1);
    }
    let _ = dnatlas_core::source::kubectl::detect(data);
});
