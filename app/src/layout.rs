//! Graph layout: a pure function from one node's Service ports to boxes and edges in SVG coordinates.
//!
//! Four columns, left to right: the Service's cluster IP (VIP) → its `KUBE-SVC` chain → `KUBE-SEP` chains →
//! the endpoints they DNAT to. Each Service port takes as many rows as it has endpoints (at least one).

use dnatlas_core::Service;

/// Width of a box.
pub const BOX_W: f64 = 210.0;
/// Height of a box.
pub const BOX_H: f64 = 40.0;
/// Vertical distance between rows.
pub const ROW_H: f64 = 52.0;
/// Gap between a Service's block and the next.
pub const BLOCK_GAP: f64 = 22.0;
/// Gap between columns whose edges carry no label.
pub const GAP: f64 = 36.0;
/// Gap between the service chain and the endpoint chains, where the probabilities are written.
pub const LABEL_GAP: f64 = 120.0;
/// Margin around the drawing.
pub const MARGIN: f64 = 16.0;
/// Height reserved for column titles.
pub const HEADER_H: f64 = 30.0;

/// What a box stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxKind {
    /// A Service port's cluster IP.
    Vip,
    /// A `KUBE-SVC`/`KUBE-SVL` chain.
    ServiceChain,
    /// A `KUBE-SEP` chain.
    EndpointChain,
    /// The endpoint (pod) address.
    Endpoint,
    /// A Service port that routes nowhere (no endpoints, or chain missing).
    Problem,
}

impl BoxKind {
    /// CSS class of the box.
    pub fn class(self) -> &'static str {
        match self {
            BoxKind::Vip => "box vip",
            BoxKind::ServiceChain => "box svc",
            BoxKind::EndpointChain => "box sep",
            BoxKind::Endpoint => "box pod",
            BoxKind::Problem => "box problem",
        }
    }
}

/// A box of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphBox {
    /// What it stands for.
    pub kind: BoxKind,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// First line of text.
    pub title: String,
    /// Second line of text.
    pub subtitle: String,
    /// The input line that proves it (for the tooltip).
    pub line: Option<u32>,
}

/// An edge between two boxes, with its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphEdge {
    /// Start point (right middle of the source box).
    pub from: (f64, f64),
    /// End point (left middle of the target box).
    pub to: (f64, f64),
    /// The rule's `--probability` as written, or `""`.
    pub rule_label: String,
    /// The effective share, e.g. `33.3%`, or `""`.
    pub share_label: String,
}

/// One Service port's block of boxes and edges.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBlock {
    /// `ns/name:port` (or `ns/name` for an unnamed port).
    pub label: String,
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
    /// Boxes of the block.
    pub boxes: Vec<GraphBox>,
    /// Edges of the block.
    pub edges: Vec<GraphEdge>,
}

/// A laid-out graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// One block per Service port, top to bottom.
    pub blocks: Vec<ServiceBlock>,
}

/// How a service port is named on screen: `ns/name:port`, or `ns/name` for an unnamed port.
pub fn service_label(s: &Service) -> String {
    match (
        s.namespace.is_empty() && s.name.is_empty(),
        s.port_name.is_empty(),
    ) {
        (true, _) => "(no comment)".to_string(),
        (false, true) => format!("{}/{}", s.namespace, s.name),
        (false, false) => format!("{}/{}:{}", s.namespace, s.name, s.port_name),
    }
}

/// A share as a percentage with one decimal, e.g. `33.3%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn address(ip: &str, port: Option<u16>) -> String {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// The VIP box's second line: the Service port, its other ways in and its traffic policy.
fn vip_subtitle(s: &Service, label: &str) -> String {
    let mut parts = vec![label.to_string()];
    let node_ports: Vec<String> = s
        .entry_points
        .iter()
        .filter(|e| e.kind == "node-port" && e.ip.is_none())
        .filter_map(|e| e.port.map(|p| p.to_string()))
        .collect();
    if !node_ports.is_empty() {
        parts.push(format!("NodePort {}", node_ports.join(",")));
    }
    let external = s
        .entry_points
        .iter()
        .filter(|e| e.kind != "node-port")
        .count();
    if external > 0 {
        parts.push(format!("{external} external"));
    }
    if s.external_policy_local || s.internal_policy_local {
        parts.push("policy Local".to_string());
    }
    parts.join(" · ")
}

fn right_mid(b: &GraphBox) -> (f64, f64) {
    (b.x + BOX_W, b.y + BOX_H / 2.0)
}

fn left_mid(b: &GraphBox) -> (f64, f64) {
    (b.x, b.y + BOX_H / 2.0)
}

fn edge(from: &GraphBox, to: &GraphBox, rule_label: String, share_label: String) -> GraphEdge {
    GraphEdge {
        from: right_mid(from),
        to: left_mid(to),
        rule_label,
        share_label,
    }
}

/// Left edge of column `i` (0: VIP, 1: service chain, 2: endpoint chains, 3: endpoints).
pub fn column_x(i: u32) -> f64 {
    let widths = [0.0, BOX_W + GAP, BOX_W + LABEL_GAP, BOX_W + GAP];
    MARGIN + widths.iter().take(i as usize + 1).sum::<f64>()
}

/// Lays out the Service ports of one node.
pub fn layout(services: &[&Service]) -> Layout {
    let column = column_x;
    let mut y = MARGIN + HEADER_H;
    let mut blocks = Vec::with_capacity(services.len());
    for s in services {
        let rows = s.endpoints.len().max(1);
        let block_h = rows as f64 * ROW_H - (ROW_H - BOX_H);
        let mid_y = y + (block_h - BOX_H) / 2.0;
        let label = service_label(s);
        let vip = GraphBox {
            kind: BoxKind::Vip,
            x: column(0),
            y: mid_y,
            title: format!(
                "{} {}",
                address(s.cluster_ip.as_deref().unwrap_or("?"), s.port),
                s.protocol
            ),
            subtitle: vip_subtitle(s, &label),
            line: Some(s.line),
        };
        let mut boxes = Vec::new();
        let mut edges = Vec::new();
        let chain_box = GraphBox {
            kind: if s.chain_missing || s.chain.is_none() {
                BoxKind::Problem
            } else {
                BoxKind::ServiceChain
            },
            x: column(1),
            y: mid_y,
            title: s
                .chain
                .clone()
                .unwrap_or_else(|| "no service chain".to_string()),
            subtitle: if s.chain_missing {
                "not defined in this input".to_string()
            } else if let Some(secs) = s.affinity_timeout_secs {
                format!("ClientIP affinity {secs}s")
            } else {
                format!(
                    "{} endpoint{}",
                    s.endpoints.len(),
                    if s.endpoints.len() == 1 { "" } else { "s" }
                )
            },
            line: Some(s.line),
        };
        edges.push(edge(&vip, &chain_box, String::new(), String::new()));
        if s.endpoints.is_empty() {
            let reason = GraphBox {
                kind: BoxKind::Problem,
                x: column(2),
                y: mid_y,
                title: "no endpoints".to_string(),
                subtitle: match (s.reject_line, s.chain_missing) {
                    (Some(line), _) => format!("filter REJECT, line {line}"),
                    (None, true) => "endpoints unknown".to_string(),
                    (None, false) => "nothing to route to".to_string(),
                },
                line: s.reject_line,
            };
            edges.push(edge(&chain_box, &reason, String::new(), String::new()));
            boxes.push(reason);
        }
        for (i, e) in s.endpoints.iter().enumerate() {
            let row_y = y + i as f64 * ROW_H;
            let sep = GraphBox {
                kind: BoxKind::EndpointChain,
                x: column(2),
                y: row_y,
                title: e.chain.clone(),
                subtitle: if e.affinity {
                    "DNAT, sets affinity".to_string()
                } else {
                    "DNAT".to_string()
                },
                line: e.dnat_line,
            };
            let pod = GraphBox {
                kind: if e.ip.is_empty() {
                    BoxKind::Problem
                } else {
                    BoxKind::Endpoint
                },
                x: column(3),
                y: row_y,
                title: if e.ip.is_empty() {
                    "unknown".to_string()
                } else {
                    address(&e.ip, e.port)
                },
                subtitle: "endpoint".to_string(),
                line: e.dnat_line,
            };
            let rule = match &e.rule_probability_text {
                Some(p) => format!("p {p}"),
                None if i == 0 => "always".to_string(),
                None => "else".to_string(),
            };
            edges.push(edge(&chain_box, &sep, rule, percent(e.probability)));
            edges.push(edge(&sep, &pod, String::new(), String::new()));
            boxes.push(sep);
            boxes.push(pod);
        }
        boxes.insert(0, chain_box);
        boxes.insert(0, vip);
        blocks.push(ServiceBlock {
            label,
            protocol: s.protocol.clone(),
            boxes,
            edges,
        });
        y += block_h + BLOCK_GAP;
    }
    Layout {
        width: column(3) + BOX_W + MARGIN,
        height: (y - BLOCK_GAP + MARGIN).max(MARGIN * 2.0 + HEADER_H),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnatlas_core::{analyze, Options, Source};

    const SEED_004: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");

    #[test]
    fn seed_004_lays_out_nginx_with_three_shares_and_dns() {
        let analysis = analyze(
            &[Source::new("node", SEED_004.as_bytes())],
            &Options::default(),
        );
        let services: Vec<&Service> = analysis.services.iter().collect();
        let layout = layout(&services);
        assert_eq!(layout.blocks.len(), 4);
        let nginx = layout
            .blocks
            .iter()
            .find(|b| b.label == "default/nginx")
            .unwrap();
        let shares: Vec<&str> = nginx
            .edges
            .iter()
            .map(|e| e.share_label.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(shares, ["33.3%", "33.3%", "33.3%"]);
        let rules: Vec<&str> = nginx
            .edges
            .iter()
            .map(|e| e.rule_label.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(rules, ["p 0.33332999982", "p 0.50000000000", "else"]);
        let dns = layout
            .blocks
            .iter()
            .find(|b| b.label == "kube-system/kube-dns:dns")
            .unwrap();
        assert!(dns
            .boxes
            .iter()
            .any(|b| b.kind == BoxKind::Endpoint && b.title == "10.244.0.2:53"));
        assert!(dns.edges.iter().any(|e| e.share_label == "100.0%"));
        let vip = nginx.boxes.iter().find(|b| b.kind == BoxKind::Vip).unwrap();
        assert_eq!(vip.subtitle, "default/nginx · NodePort 30361");
    }

    #[test]
    fn blocks_do_not_overlap_and_edges_go_left_to_right() {
        let analysis = analyze(
            &[Source::new("node", SEED_004.as_bytes())],
            &Options::default(),
        );
        let services: Vec<&Service> = analysis.services.iter().collect();
        let layout = layout(&services);
        let mut boxes: Vec<&GraphBox> = layout.blocks.iter().flat_map(|b| b.boxes.iter()).collect();
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
        for b in &layout.blocks {
            for e in &b.edges {
                assert!(e.to.0 > e.from.0);
            }
        }
        assert!(boxes
            .iter()
            .all(|b| b.x + BOX_W <= layout.width && b.y + BOX_H <= layout.height));
    }

    #[test]
    fn a_service_without_endpoints_shows_the_reject_rule() {
        let dump = include_str!("../../fixtures/iptables/corpus-01-iptables-overall/input.txt");
        let analysis = analyze(&[Source::new("node", dump.as_bytes())], &Options::default());
        let services: Vec<&Service> = analysis.services.iter().collect();
        let layout = layout(&services);
        let svc6 = layout
            .blocks
            .iter()
            .find(|b| b.label == "ns6/svc6:p80")
            .unwrap();
        assert!(svc6
            .boxes
            .iter()
            .any(|b| b.kind == BoxKind::Problem && b.subtitle == "filter REJECT, line 9"));
    }
}
