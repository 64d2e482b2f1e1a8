//! The iptables-save parser on arbitrary bytes: it must never panic, and every diagnostic must point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::iptables::parse(data);
    let lines = dnatlas_core::text::lines(data).count();
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && (d.line as usize) <= lines.max(1), "{d:?} outside {lines} lines");
        assert!(d.column >= 1);
    }
});
