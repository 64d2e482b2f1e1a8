//! Generated dumps read back through `dnatlas_core::analyze` exactly as generated: no diagnostics, every Service port
//! with its endpoints, shares summing to 1, and every chain name kube-proxy's hash of what it claims.

use std::collections::HashMap;

use dnatlas_core::{analyze, Analysis, Kind, Options, Source};
use dnatlas_gen::{generate, Config, Dump, EndpointCount};

fn check(config: &Config) -> (Dump, Analysis) {
    let dump = generate(config);
    let analysis = analyze(
        &[Source::new("generated.txt", dump.text.as_bytes())],
        &Options::default(),
    );
    let report = &analysis.sources[0];
    assert_eq!(report.kind, Kind::IptablesSave);
    assert!(
        report.diagnostics.is_empty(),
        "diagnostics: {:?}",
        &report.diagnostics[..report.diagnostics.len().min(10)]
    );
    assert_eq!(report.counts.rules, dump.rule_count());
    assert_eq!(report.counts.chains, dump.chain_count());
    assert_eq!(report.counts.tables, 3);
    assert_eq!(
        report.generated_by.as_deref(),
        Some("iptables-nft-save v1.8.9 (nf_tables)")
    );

    assert_eq!(
        analysis.services.len(),
        dump.ports.len(),
        "one service per port"
    );
    let by_key: HashMap<(&str, &str, &str), _> = analysis
        .services
        .iter()
        .map(|s| {
            (
                (
                    s.spn.as_str(),
                    s.protocol.as_str(),
                    s.cluster_ip.as_deref().unwrap_or(""),
                ),
                s,
            )
        })
        .collect();
    assert_eq!(by_key.len(), dump.ports.len(), "service ports are unique");
    for want in &dump.ports {
        let got = by_key
            .get(&(want.spn.as_str(), want.protocol, want.cluster_ip.as_str()))
            .unwrap_or_else(|| panic!("{} {} is missing", want.spn, want.protocol));
        let context = format!("{} {}", want.spn, want.protocol);
        assert_eq!(
            (&got.namespace, &got.name, &got.port_name),
            (&want.namespace, &want.name, &want.port_name),
            "{context}"
        );
        assert_eq!(got.port, Some(want.port), "{context}");
        assert_eq!(got.chain, want.chain, "{context}");
        assert_eq!(
            got.affinity_timeout_secs, want.affinity_timeout_secs,
            "{context}"
        );
        assert!(!got.chain_missing, "{context}");
        let endpoints: Vec<(String, u16)> = got
            .endpoints
            .iter()
            .map(|e| (e.ip.clone(), e.port.unwrap_or(0)))
            .collect();
        assert_eq!(endpoints, want.endpoints, "{context}");
        if want.chain.is_some() {
            assert_eq!(got.chain_hash_matches, Some(true), "{context}");
            assert!(got.reject_line.is_none(), "{context}");
            let sum: f64 = got.endpoints.iter().map(|e| e.probability).sum();
            assert!((sum - 1.0).abs() < 1e-5, "{context}: shares sum to {sum}");
            assert!(got.unrouted_share.abs() < 1e-5, "{context}");
            let n = got.endpoints.len() as f64;
            for e in &got.endpoints {
                assert_eq!(e.chain_hash_matches, Some(true), "{context} {}", e.chain);
                assert!(
                    (e.probability - 1.0 / n).abs() < 1e-5,
                    "{context}: {}",
                    e.probability
                );
                assert!(e.dnat_line.is_some(), "{context}");
                assert_eq!(
                    e.affinity,
                    want.affinity_timeout_secs.is_some(),
                    "{context}"
                );
            }
        } else {
            assert!(got.endpoints.is_empty(), "{context}");
            assert!(got.reject_line.is_some(), "{context}: no REJECT rule");
        }
    }
    (dump, analysis)
}

#[test]
fn default_mix_reads_back_exactly() {
    let (dump, analysis) = check(&Config {
        services: 1_000,
        ..Config::default()
    });
    // The mix has what the benchmarks claim: Services without endpoints, affinity, internalTrafficPolicy Local.
    assert!(dump.ports.iter().any(|p| p.chain.is_none()));
    assert!(dump.ports.iter().any(|p| p.affinity_timeout_secs.is_some()));
    assert!(dump.ports.iter().any(|p| p
        .chain
        .as_deref()
        .is_some_and(|c| c.starts_with("KUBE-SVL-"))));
    assert!(dump.ports.iter().any(|p| p.protocol == "udp"));
    for chain in ["KUBE-EXT-", "KUBE-FW-", "KUBE-SVL-"] {
        assert!(dump.text.contains(&format!(":{chain}")), "no {chain} chain");
    }
    for text in [
        "has no local endpoints\" -m addrtype --dst-type LOCAL",
        "health check node port\" -m tcp --dport",
        "-m recent --rcheck --seconds ",
        "--probability 0.33333333349 -j KUBE-SEP-",
        "-j REJECT --reject-with icmp-port-unreachable",
        "--nfacct-name  localhost_nps_accepted_pkts",
    ] {
        assert!(dump.text.contains(text), "no {text:?}");
    }
    let kubernetes = analysis
        .services
        .iter()
        .find(|s| s.spn == "default/kubernetes:https")
        .expect("default/kubernetes");
    assert_eq!(
        kubernetes.chain.as_deref(),
        Some("KUBE-SVC-NPX46M4PTMTKRN6Y")
    );
}

#[test]
fn large_cluster_mode_and_other_distributions_read_back() {
    check(&Config {
        services: 300,
        seed: 7,
        endpoints: "1-20".parse::<EndpointCount>().unwrap(),
        empty_percent: 10,
        endpoint_comments: false,
    });
    check(&Config {
        services: 200,
        seed: 0,
        endpoints: EndpointCount {
            min: 1,
            max: 1,
            skew: 1,
        },
        empty_percent: 0,
        endpoint_comments: true,
    });
}
