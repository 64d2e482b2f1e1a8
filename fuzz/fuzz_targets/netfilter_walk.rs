//! The netfilter walk over arbitrary rulesets: never panics, and stays within its bounds — outcome probabilities
//! are numbers in [0, 1] that sum to 1, at most `MAX_BRANCHES` outcomes (plus the two set aside for the rule budget
//! and the branch limit), each with bounded steps and assumptions. A loop or an amplification is a crash here, not
//! a slow success.
#![no_main]

use std::net::IpAddr;

use dnatlas_core::simulate::netfilter::{
    walk, Hook, NodeContext, Packet, MAX_ASSUMPTIONS, MAX_BRANCHES, STEPS_HEAD, STEPS_TAIL,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ruleset = dnatlas_core::source::iptables::parse(data).value;
    let node = NodeContext { local_addresses: vec![IpAddr::from([10, 0, 2, 15])] };
    for (dst, port, hook) in [([10, 96, 0, 10], 53, Hook::Prerouting), ([10, 0, 2, 15], 30000, Hook::Output)] {
        let packet = Packet::new(IpAddr::from([10, 244, 0, 20]), IpAddr::from(dst), "udp", port, hook);
        let outcomes = walk(&ruleset, &packet, &node);
        assert!(!outcomes.is_empty() && outcomes.len() <= MAX_BRANCHES + 2, "{} outcomes", outcomes.len());
        let mut total = 0.0;
        for o in &outcomes {
            assert!(o.probability.is_finite() && (0.0..=1.0).contains(&o.probability), "p {}", o.probability);
            assert!(o.steps.len() <= STEPS_HEAD + STEPS_TAIL, "{} steps", o.steps.len());
            assert!(o.assumptions.len() <= MAX_ASSUMPTIONS, "{} assumptions", o.assumptions.len());
            total += o.probability;
        }
        // Each outcome is rounded to 1e-9.
        assert!((total - 1.0).abs() <= 1e-9 * outcomes.len() as f64, "outcomes sum to {total}");
    }
});
