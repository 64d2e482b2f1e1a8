//! The netfilter walk over arbitrary rulesets: bounded, never panics, and outcome probabilities sum to at most 1.
#![no_main]

use std::net::IpAddr;

use dnatlas_core::simulate::netfilter::{walk, Hook, NodeContext, Packet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ruleset = dnatlas_core::source::iptables::parse(data).value;
    let node = NodeContext { local_addresses: vec![IpAddr::from([10, 0, 2, 15])] };
    for (dst, port, hook) in [([10, 96, 0, 10], 53, Hook::Prerouting), ([10, 0, 2, 15], 30000, Hook::Output)] {
        let packet = Packet::new(IpAddr::from([10, 244, 0, 20]), IpAddr::from(dst), "udp", port, hook);
        let outcomes = walk(&ruleset, &packet, &node);
        let total: f64 = outcomes.iter().map(|o| o.probability).sum();
        assert!(total <= 1.000_001, "outcomes sum to {total}");
    }
});
