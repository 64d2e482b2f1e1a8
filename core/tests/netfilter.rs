//! The netfilter walk against kube-proxy's own packet-trace expectations (`TestTracePacket`, corpus case 07) and
//! the real seed dump.

use std::net::IpAddr;
use std::path::Path;

use dnatlas_core::simulate::netfilter::{
    walk, Action, Hook, NodeContext, Outcome, Packet, Verdict,
};
use dnatlas_core::source::iptables;

fn ruleset(case: &str) -> iptables::Ruleset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/iptables")
        .join(case)
        .join("input.txt");
    iptables::parse(&std::fs::read(path).unwrap()).value
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn trace(case: &str, src: &str, dst: &str, port: u16, node_ip: &str) -> Vec<Outcome> {
    let hook = if src == node_ip {
        Hook::Output
    } else {
        Hook::Prerouting
    };
    let node = NodeContext {
        local_addresses: vec![ip(node_ip)],
    };
    walk(
        &ruleset(case),
        &Packet::new(ip(src), ip(dst), "tcp", port, hook),
        &node,
    )
}

fn destinations(outcomes: &[Outcome]) -> Vec<(String, f64, bool)> {
    let mut v: Vec<(String, f64, bool)> = outcomes
        .iter()
        .map(|o| {
            (
                format!("{}:{}", o.destination, o.destination_port),
                o.probability,
                o.masquerade,
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

const CASE_07: &str = "corpus-07-iptables-tracepacket-ruleset";
const NODE: &str = "192.168.0.2";

// The rows of TestTracePacket's table (corpus 07 config.md).
#[test]
fn pod_to_unknown_address_is_untouched() {
    let out = trace(CASE_07, "10.0.0.2", "10.0.0.3", 80, NODE);
    assert_eq!(out.len(), 1);
    assert!(!out[0].dnat && !out[0].masquerade && out[0].verdict == Verdict::Accept);
}

#[test]
fn pod_to_cluster_ip_is_dnated_without_masquerade() {
    let out = trace(CASE_07, "10.0.0.2", "172.30.0.41", 80, NODE);
    assert_eq!(
        destinations(&out),
        [("10.180.0.1:80".to_string(), 1.0, false)]
    );
    let chains: Vec<&str> = out[0].steps.iter().map(|s| s.chain.as_str()).collect();
    assert!(
        chains.starts_with(&[
            "PREROUTING",
            "KUBE-SERVICES",
            "KUBE-SVC-XPGD46QRK7WJZT7O",
            "KUBE-SEP-SXIVWICOYRO3J4NJ"
        ]),
        "{chains:?}"
    );
}

#[test]
fn two_endpoints_fork_half_and_half() {
    let out = trace(CASE_07, "10.0.0.2", "172.30.0.44", 80, NODE);
    assert_eq!(
        destinations(&out),
        [
            ("10.180.0.4:80".to_string(), 0.5, false),
            ("10.180.0.5:80".to_string(), 0.5, false)
        ]
    );
    let fork = out
        .iter()
        .flat_map(|o| o.steps.iter())
        .find(|s| s.probability.is_some())
        .unwrap();
    assert_eq!(fork.chain, "KUBE-SVC-4SW47YFZTEDKD3PK");
}

#[test]
fn node_to_external_ip_of_local_policy_service_goes_to_cluster_endpoint_masqueraded() {
    let out = trace(CASE_07, NODE, "192.168.99.22", 80, NODE);
    assert_eq!(
        destinations(&out),
        [("10.180.0.2:80".to_string(), 1.0, true)]
    );
}

#[test]
fn outside_client_to_local_policy_service_without_local_endpoints_is_dropped() {
    let out = trace(CASE_07, "203.0.113.2", "192.168.99.22", 80, NODE);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].verdict, Verdict::Drop);
    let last = out[0].steps.last().unwrap();
    assert_eq!(
        (last.table.as_str(), last.chain.as_str()),
        ("filter", "KUBE-EXTERNAL-SERVICES")
    );
}

#[test]
fn health_check_node_port_is_accepted() {
    let out = trace(CASE_07, NODE, NODE, 30000, NODE);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].verdict, Verdict::Accept);
    assert!(
        out[0]
            .steps
            .iter()
            .any(|s| s.chain == "KUBE-NODEPORTS" && s.action == Action::Accept),
        "{:?}",
        out[0].steps
    );
}

#[test]
fn service_without_endpoints_is_rejected() {
    let out = trace(CASE_07, "10.0.0.2", "172.30.0.46", 80, NODE);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].verdict,
        Verdict::Reject {
            with: "icmp-port-unreachable".into()
        }
    );
}

#[test]
fn seed_004_nginx_splits_three_ways_and_dns_goes_to_one_pod() {
    let node = "10.0.2.15";
    let out = trace("seed-004-node", "10.244.0.20", "10.109.102.230", 80, node);
    let d = destinations(&out);
    assert_eq!(d.len(), 3);
    for ((dest, p, masq), want) in d
        .iter()
        .zip(["10.244.0.3:80", "10.244.0.4:80", "10.244.0.5:80"])
    {
        assert_eq!(dest, want);
        assert!((p - 1.0 / 3.0).abs() < 1e-4, "{p}");
        assert!(!masq);
    }
    let node_ctx = NodeContext {
        local_addresses: vec![ip(node)],
    };
    let dns = walk(
        &ruleset("seed-004-node"),
        &Packet::new(
            ip("10.244.0.20"),
            ip("10.96.0.10"),
            "udp",
            53,
            Hook::Prerouting,
        ),
        &node_ctx,
    );
    assert_eq!(
        destinations(&dns),
        [("10.244.0.2:53".to_string(), 1.0, false)]
    );
    // Hairpin: the DNS pod reaching itself through the VIP is masqueraded.
    let hairpin = walk(
        &ruleset("seed-004-node"),
        &Packet::new(
            ip("10.244.0.2"),
            ip("10.96.0.10"),
            "udp",
            53,
            Hook::Prerouting,
        ),
        &node_ctx,
    );
    assert_eq!(
        destinations(&hairpin),
        [("10.244.0.2:53".to_string(), 1.0, true)]
    );
}

/// A step's action reads as one string in the walk's JSON and back as the same action; other actions are refused.
#[test]
fn actions_read_back_what_they_write() {
    for text in [
        "jump KUBE-SVC-ERIFXISQEP7F7OF4",
        "goto KUBE-SEP-A",
        "DNAT 10.244.0.2:53",
        "DNAT [fd00::2]:53",
        "MARK --set-xmark 0x4000/0x4000",
        "policy ACCEPT",
        "ACCEPT",
        "DROP",
        "REJECT",
        "RETURN",
        "MASQUERADE",
        "SNAT",
        "REDIRECT",
    ] {
        let action: Action = text.parse().unwrap();
        assert_eq!(action.to_string(), text);
    }
    assert_eq!(
        "jump KUBE-SEP-A".parse::<Action>().unwrap().chain(),
        Some("KUBE-SEP-A")
    );
    for bad in ["", "jump", "LOG", "accept", "DNAT"] {
        assert!(bad.parse::<Action>().is_err(), "{bad:?}");
    }
}
