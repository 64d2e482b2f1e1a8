//! The kubectl parsers (tables, describe, JSON, YAML) on arbitrary bytes: never panic; diagnostics point inside;
//! cost follows the bytes (YAML aliases cannot expand a few hundred bytes into millions of objects).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::kubectl::parse(data);
    let lines = dnatlas_core::text::lines(data).count().max(1);
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line as usize <= lines, "{d:?} outside {lines} lines");
        assert!(d.column >= 1);
    }
    assert!(parsed.diagnostics.len() <= data.len() + lines * 8 + 8, "{} diagnostics", parsed.diagnostics.len());
    let size = format!("{:?}", parsed.value).len();
    assert!(size <= data.len() * 256 + 1_048_576, "{size} bytes of objects from {} bytes", data.len());
    let _ = dnatlas_core::source::kubectl::detect(data);
});
