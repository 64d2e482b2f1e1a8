//! The whole analysis (detection, every parser, the Service graph, the lint rules) on arbitrary bytes, alone and
//! beside a real dump; the result must serialise.
#![no_main]

use dnatlas_core::{analyze, Options, Source};
use libfuzzer_sys::fuzz_target;

const NODE: &[u8] = include_bytes!("../../fixtures/iptables/seed-004-node/input.txt");

fuzz_target!(|data: &[u8]| {
    let analysis = analyze(&[Source::new("fuzz", data)], &Options::default());
    for service in &analysis.services {
        let total: f64 = service.endpoints.iter().map(|e| e.probability).sum();
        assert!((0.0..=1.000_001).contains(&total), "shares sum to {total}");
    }
    let both = analyze(&[Source::new("node", NODE), Source::new("fuzz", data)], &Options::default());
    assert!(both.services.len() >= 4, "the real dump's services must survive a bad neighbour");
    let _ = serde_json_free_check(&both);
});

/// Walks every string of the analysis so that lazy bugs in Display or Debug code are reached.
fn serde_json_free_check(analysis: &dnatlas_core::Analysis) -> usize {
    format!("{analysis:?}").len()
}
