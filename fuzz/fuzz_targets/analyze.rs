//! The whole analysis (detection, every parser, the Service graph, the lint rules, the hash join and the merged
//! model) on arbitrary bytes, alone, beside a real dump, and as either half of a comment-less dump with its kubectl
//! JSON; the result must serialise.
#![no_main]

use dnatlas_core::{analyze, Options, Source};
use libfuzzer_sys::fuzz_target;

const NODE: &[u8] = include_bytes!("../../fixtures/iptables/seed-004-node/input.txt");
/// A dump without comments and the kubectl JSON that names its chains through the hash.
const BARE_NODE: &[u8] = include_bytes!("../../fixtures/cluster/comment-less/node.txt");
const CLUSTER: &[u8] = include_bytes!("../../fixtures/cluster/comment-less/cluster.json");

fuzz_target!(|data: &[u8]| {
    let analysis = analyze(&[Source::new("fuzz", data)], &Options::default());
    // Cost follows the bytes: the per-input diagnostic budget holds, and the analysis is no larger than a fixed
    // multiple of the input (a loop or an expansion would be a finding here, not a slow success).
    for source in &analysis.sources {
        assert!(source.diagnostics.len() <= dnatlas_core::MAX_DIAGNOSTICS + 1, "{} diagnostics", source.diagnostics.len());
    }
    let size = serde_json::to_vec(&analysis).map_or(0, |v| v.len());
    assert!(size <= data.len() * 256 + 1_048_576, "{size} bytes of analysis from {} bytes", data.len());
    for service in &analysis.services {
        let total: f64 = service.endpoints.iter().map(|e| e.probability).sum();
        assert!((0.0..=1.000_001).contains(&total), "shares sum to {total}");
    }
    let both = analyze(&[Source::new("node", NODE), Source::new("fuzz", data)], &Options::default());
    assert!(both.services.len() >= 4, "the real dump's services must survive a bad neighbour");
    let _ = serde_json_free_check(&both);
    // Beside a comment-less dump and its kubectl JSON, as either: the hash join and the merged model.
    for pair in [[BARE_NODE, data], [data, CLUSTER]] {
        let joined = analyze(
            &[Source::new("node", pair[0]), Source::new("cluster", pair[1])],
            &Options::default(),
        );
        let _ = serde_json_free_check(&joined);
    }
});

/// Walks every string of the analysis so that lazy bugs in Display or Debug code are reached.
fn serde_json_free_check(analysis: &dnatlas_core::Analysis) -> usize {
    format!("{analysis:?}").len()
}
