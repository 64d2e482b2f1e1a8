//! The iptables-save parser on arbitrary bytes: it must never panic, every diagnostic must point inside the input,
//! and its cost must follow the bytes: no more diagnostics than the input has bytes (plus a few per line; the
//! analysis folds them by line and code and caps them, which the `analyze` target checks), and a parsed ruleset no
//! larger than a fixed multiple of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::iptables::parse(data);
    let lines = dnatlas_core::text::lines(data).count();
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && (d.line as usize) <= lines.max(1), "{d:?} outside {lines} lines");
        assert!(d.column >= 1);
    }
    assert!(
        parsed.diagnostics.len() <= data.len() + lines * 8 + 8,
        "{} diagnostics for {lines} lines",
        parsed.diagnostics.len()
    );
    let size = format!("{:?}", parsed.value).len();
    assert!(size <= data.len() * 64 + 65_536, "{size} bytes of ruleset from {} bytes", data.len());
});
