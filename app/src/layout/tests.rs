//! The map layout's tests: the example and corpus dumps laid out, a huge Service summarised, the ways in.

use super::block::{block, BlockContext};
use super::labels::short_probability;
use super::*;
use crate::protocol::map::{BoxKind, GraphBox, ServiceBlock};
use dnatlas_core::{analyze, Options, Source};

const SEED_004: &str = include_str!("../../../fixtures/iptables/seed-004-node/input.txt");

fn blocks(dump: &str, detail: Detail) -> Vec<ServiceBlock> {
    let analysis = analyze(&[Source::new("node", dump.as_bytes())], &Options::default());
    let chains = needs_entry_chains(&analysis.services);
    let mut y = top(detail);
    let mut out = Vec::new();
    for (i, s) in analysis.services.iter().enumerate() {
        let cx = BlockContext {
            detail,
            entry_chains: chains,
            pod_of: &|_, _| None,
            highlight: &|_| false,
        };
        out.push(block(s, i, y, &cx));
        y += block_pitch(s, detail);
    }
    out
}

#[test]
fn seed_004_lays_out_nginx_with_three_shares_and_dns() {
    let blocks = blocks(SEED_004, Detail::Full);
    assert_eq!(blocks.len(), 4);
    let nginx = blocks.iter().find(|b| b.label == "default/nginx").unwrap();
    let shares: Vec<&str> = nginx
        .edges
        .iter()
        .map(|e| e.share_label.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(shares, ["33.3%", "33.3%", "33.3%"]);
    // The dump prints 0.33332999982 and 0.50000000000; the labels shorten them.
    let rules: Vec<&str> = nginx
        .edges
        .iter()
        .map(|e| e.rule_label.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(rules, ["p 0.33333", "p 0.5", "else"]);
    let dns = blocks
        .iter()
        .find(|b| b.label == "kube-system/kube-dns:dns")
        .unwrap();
    assert!(dns
        .boxes
        .iter()
        .any(|b| b.kind == BoxKind::Endpoint && b.title == "10.244.0.2:53"));
    assert!(dns.edges.iter().any(|e| e.share_label == "100.0%"));
    // nginx has a NodePort (30361): a second way in, drawn under the VIP and joined to the service chain.
    let entry = nginx
        .boxes
        .iter()
        .find(|b| b.kind == BoxKind::Entry)
        .unwrap();
    assert_eq!(entry.title, "NodePort 30361");
    assert_eq!(nginx.edges.len(), 2 + 3 * 2);
}

#[test]
fn short_probabilities() {
    assert_eq!(short_probability("0.33332999982"), "0.33333");
    assert_eq!(short_probability("0.50000000000"), "0.5");
    assert_eq!(short_probability("0.2"), "0.2");
    assert_eq!(short_probability("abc"), "abc");
}

#[test]
fn blocks_do_not_overlap_and_edges_go_left_to_right() {
    for dump in [
        SEED_004,
        include_str!("../../../fixtures/iptables/corpus-01-iptables-overall/input.txt"),
    ] {
        let blocks = blocks(dump, Detail::Full);
        let chains = true;
        let w = width(chains);
        let mut boxes: Vec<&GraphBox> = blocks.iter().flat_map(|b| b.boxes.iter()).collect();
        boxes.sort_by(|a, b| (a.x, a.y).partial_cmp(&(b.x, b.y)).unwrap());
        for pair in boxes.windows(2) {
            if pair[0].x == pair[1].x {
                assert!(
                    pair[1].y >= pair[0].y + BOX_H,
                    "{:?} overlaps {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
        for b in &blocks {
            for e in &b.edges {
                assert!(e.to.0 > e.from.0, "{e:?}");
            }
            for bx in &b.boxes {
                assert!(
                    bx.y >= b.y && bx.y + BOX_H <= b.y + b.height + 0.01,
                    "{bx:?}"
                );
                assert!(bx.x + BOX_W <= w);
            }
        }
    }
}

#[test]
fn a_service_without_endpoints_shows_the_reject_rule() {
    let dump = include_str!("../../../fixtures/iptables/corpus-01-iptables-overall/input.txt");
    let blocks = blocks(dump, Detail::Full);
    let svc6 = blocks.iter().find(|b| b.label == "ns6/svc6:p80").unwrap();
    assert!(svc6
        .boxes
        .iter()
        .any(|b| b.kind == BoxKind::Problem && b.subtitle == "filter REJECT, line 9"));
    assert_eq!(svc6.problems, ["no endpoints: filter REJECT, line 9"]);
    let compact = blocks_compact(dump);
    let svc6 = compact.iter().find(|b| b.label == "ns6/svc6:p80").unwrap();
    assert!(svc6.boxes.is_empty());
    assert_eq!(svc6.height, COMPACT_H);
    assert_eq!(svc6.problems, ["no endpoints: filter REJECT, line 9"]);
}

/// A kube-proxy dump of one Service port with `n` endpoints (the cascade kube-proxy writes).
fn huge_service(n: usize) -> String {
    let mut out = String::from("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-HUGE - [0:0]\n");
    for i in 0..n {
        out.push_str(&format!(":KUBE-SEP-E{i} - [0:0]\n"));
    }
    out.push_str("-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/huge:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-HUGE\n");
    for i in 0..n {
        let left = n - i;
        if left > 1 {
            out.push_str(&format!(
                "-A KUBE-SVC-HUGE -m comment --comment \"default/huge:http -> e{i}\" -m statistic --mode random --probability {:.11} -j KUBE-SEP-E{i}\n",
                1.0 / left as f64
            ));
        } else {
            out.push_str(&format!("-A KUBE-SVC-HUGE -m comment --comment \"default/huge:http -> e{i}\" -j KUBE-SEP-E{i}\n"));
        }
    }
    for i in 0..n {
        out.push_str(&format!(
            "-A KUBE-SEP-E{i} -p tcp -m comment --comment \"default/huge:http\" -m tcp -j DNAT --to-destination 10.{}.{}.{}:8080\n",
            i / 65536 % 256 + 1,
            i / 256 % 256,
            i % 256
        ));
    }
    out.push_str("COMMIT\n");
    out
}

#[test]
fn a_huge_service_is_drawn_summarised() {
    let dump = huge_service(10_000);
    let all = blocks(&dump, Detail::Full);
    assert_eq!(all.len(), 1);
    let huge = &all[0];
    let endpoints = huge
        .boxes
        .iter()
        .filter(|b| b.kind == BoxKind::Endpoint)
        .count();
    assert_eq!(endpoints, SHOWN_ENDPOINTS);
    let summary = huge
        .boxes
        .iter()
        .find(|b| b.title.starts_with("+ "))
        .expect("a summary row");
    assert_eq!(summary.title, "+ 9,970 more endpoints");
    // The rest's share, next to the 30 drawn at 0.01% each.
    let edge = huge
        .edges
        .iter()
        .find(|e| e.to.1 > summary.y && e.to.1 < summary.y + BOX_H)
        .expect("an edge to the summary");
    assert_eq!(edge.share_label, "99.7%");
    assert!(huge.boxes.len() < 80, "{} boxes", huge.boxes.len());
    assert!(huge.edges.len() < 80, "{} edges", huge.edges.len());
    // The block's height follows the rows drawn, not the endpoints.
    assert!(huge.height <= (MAX_ENDPOINT_ROWS + 2) as f64 * ROW_H);
    let compact = blocks(&dump, Detail::Compact);
    assert_eq!(compact[0].shares.len(), MAX_LISTED_SHARES + 1);
    assert_eq!(compact[0].shares.last().unwrap(), "+9,988 more");
    // At the limit, every endpoint is still drawn.
    let at_limit = blocks(&huge_service(MAX_ENDPOINT_ROWS), Detail::Full);
    assert_eq!(
        at_limit[0]
            .boxes
            .iter()
            .filter(|b| b.kind == BoxKind::Endpoint)
            .count(),
        MAX_ENDPOINT_ROWS
    );
}

fn blocks_compact(dump: &str) -> Vec<ServiceBlock> {
    blocks(dump, Detail::Compact)
}

#[test]
fn external_entry_points_pass_their_chains() {
    // Corpus 01: svc2 is externalTrafficPolicy Local with no endpoint on this node (its KUBE-EXT chain only takes
    // pod and node-local traffic, lines 58-60); svc3's NodePort 3003 goes KUBE-EXT → KUBE-SVC, masqueraded.
    let dump = include_str!("../../../fixtures/iptables/corpus-01-iptables-overall/input.txt");
    let blocks = blocks(dump, Detail::Full);
    let svc2 = blocks.iter().find(|b| b.label == "ns2/svc2:p80").unwrap();
    assert!(
        svc2.marks.iter().any(|m| m == "external Local"),
        "{:?}",
        svc2.marks
    );
    let entries: Vec<&str> = svc2
        .boxes
        .iter()
        .filter(|b| b.kind == BoxKind::Entry)
        .map(|b| b.title.as_str())
        .collect();
    assert_eq!(
        entries,
        [
            "external IP 192.168.99.22:80",
            "LoadBalancer IP 1.2.3.4:80",
            "NodePort 3001 (localhost)",
            "NodePort 3001"
        ]
    );
    let dead: Vec<&str> = svc2
        .boxes
        .iter()
        .filter(|b| b.title == "KUBE-EXT-GNZBNJ2PO5MGZ6GT")
        .map(|b| b.subtitle.as_str())
        .collect();
    assert_eq!(
        dead,
        [
            "Local: no endpoint here, line 48",
            "Local: no endpoint here, line 49",
            "Local: no endpoint here, line 40",
            "Local: no endpoint here, line 41"
        ]
    );
    // VIP → chain, entry → EXT for each of the four, and the one endpoint's two edges: no EXT → SVC edge.
    assert_eq!(svc2.edges.len(), 1 + 4 + 2);
    assert!(svc2
        .problems
        .iter()
        .any(|p| p == "LoadBalancer IP 1.2.3.4:80 Local with no endpoint on this node, line 49"));
    let svc3 = blocks.iter().find(|b| b.label == "ns3/svc3:p80").unwrap();
    let ext: Vec<(&str, BoxKind)> = svc3
        .boxes
        .iter()
        .filter(|b| b.title.starts_with("KUBE-EXT-"))
        .map(|b| (b.subtitle.as_str(), b.kind))
        .collect();
    assert_eq!(ext, [("to the service chain", BoxKind::EntryChain); 2]);
    let entry = svc3
        .boxes
        .iter()
        .find(|b| b.title == "NodePort 3003")
        .unwrap();
    assert_eq!(entry.subtitle, "from outside · masqueraded");
    assert_eq!(svc3.edges.len(), 1 + 2 * 2 + 2);
}

#[test]
fn endpoint_problems_are_listed_up_to_ten_and_then_counted() {
    // Thirteen endpoint chains without a DNAT rule (and a service chain not named by kube-proxy's hash).
    let dump: String = huge_service(13)
        .lines()
        .filter(|l| !l.contains("DNAT"))
        .map(|l| format!("{l}\n"))
        .collect();
    let all = blocks(&dump, Detail::Compact);
    let mut expected = vec!["chain name is not this port's hash, line 17".to_string()];
    expected.extend((0..10).map(|i| format!("KUBE-SEP-E{i} has no DNAT, line {}", 18 + i)));
    expected.push("+ 3 more endpoint problems".into());
    assert_eq!(all[0].problems, expected);
    let full = blocks(&dump, Detail::Full);
    let unknown = full[0]
        .boxes
        .iter()
        .filter(|b| b.kind == BoxKind::Problem && b.title == "unknown")
        .count();
    assert_eq!(unknown, 13);
}
