//! The `iptables -L` listing parser on arbitrary bytes, and the Service graph over what it builds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::iptables_list::parse(data);
    let lines = dnatlas_core::text::lines(data).count().max(1);
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line as usize <= lines, "{d:?} outside {lines} lines");
    }
    // Cost follows the bytes: no more diagnostics than bytes (plus a few per line; the analysis folds and caps them),
    // a graph no larger than a multiple of the input.
    assert!(parsed.diagnostics.len() <= data.len() + lines * 8 + 8, "{} diagnostics", parsed.diagnostics.len());
    let (services, _) = dnatlas_core::model::services::build("fuzz", &parsed.value);
    let size = format!("{services:?}").len();
    assert!(size <= data.len() * 64 + 65_536, "{size} bytes of Services from {} bytes", data.len());
});
