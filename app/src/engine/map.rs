//! The Service map: each node's overview, and windows of its Services, laid out, for the page to draw.
//!
//! A node can hold 10,000 Service ports or more, so the page never gets them all: it asks for the vertical range it
//! shows (`y_from..y_to`, in layout units) and gets back the positioned blocks that intersect it, the whole list's
//! height (for the scroll bar) and, for the highlighted evidence, where in the list it is. Filtering (namespace,
//! name, IP) happens here, over the analysis; heights come from [`layout::block_pitch`], so finding the window is a
//! running sum and laying it out touches only the Services shown.

use dnatlas_core::Service;
use rustc_hash::FxHashMap;

use super::Session;
use crate::layout::block::{block, BlockContext};
use crate::layout::{self, labels};
use crate::protocol::map::{Detail, Filter, NodeInfo, Query, View};

/// Whether `s` passes `filter`.
pub fn passes(filter: &Filter, s: &Service) -> bool {
    if let Some(ns) = &filter.namespace {
        if s.namespace != *ns {
            return false;
        }
    }
    let name = filter.name.trim();
    if !name.is_empty() {
        let label = labels::service_label(s);
        if !contains_ignore_case(&label, name) {
            return false;
        }
    }
    let ip = filter.ip.trim();
    if !ip.is_empty() && !matches_address(s, ip) {
        return false;
    }
    true
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if needle.is_ascii() && haystack.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// An address filter: an IP (or its start, `10.96.`) or `ip:port`, or a bare port number.
fn matches_address(s: &Service, query: &str) -> bool {
    if let Ok(port) = query.parse::<u16>() {
        return s.port == Some(port)
            || s.endpoints.iter().any(|e| e.port == Some(port))
            || s.entry_points.iter().any(|e| e.port == Some(port));
    }
    let (ip, port) = match query.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') || ip.starts_with('[') => (
            ip.trim_start_matches('[').trim_end_matches(']'),
            port.parse::<u16>().ok(),
        ),
        _ => (query, None),
    };
    let hit = |addr: Option<&str>, p: Option<u16>| {
        addr.is_some_and(|a| a.starts_with(ip)) && (port.is_none() || port == p)
    };
    hit(s.cluster_ip.as_deref(), s.port)
        || s.endpoints.iter().any(|e| hit(Some(&e.ip), e.port))
        || s.entry_points.iter().any(|e| hit(e.ip.as_deref(), e.port))
}

/// The nodes of the session's analysis, in input order.
pub fn nodes(session: &Session) -> Vec<NodeInfo> {
    let Some(analysis) = session.analysis() else {
        return Vec::new();
    };
    let mut nodes: Vec<NodeInfo> = Vec::new();
    let mut counts: Vec<FxHashMap<&str, usize>> = Vec::new();
    // Services are sorted by namespace within each input; count per input once.
    let mut by_source: FxHashMap<&str, Vec<&Service>> = FxHashMap::default();
    for s in &analysis.services {
        by_source.entry(s.source.as_str()).or_default().push(s);
    }
    for report in &analysis.sources {
        if !report.kind.is_node_rules() {
            continue;
        }
        let Some(node) = session.node_of(&report.name) else {
            continue;
        };
        let services = by_source
            .get(report.name.as_str())
            .map_or(&[][..], Vec::as_slice);
        let index = match nodes.iter().position(|n| n.name == node) {
            Some(i) => i,
            None => {
                nodes.push(NodeInfo {
                    name: node,
                    sources: Vec::new(),
                    services: 0,
                    namespaces: Vec::new(),
                });
                counts.push(FxHashMap::default());
                nodes.len() - 1
            }
        };
        if let (Some(n), Some(c)) = (nodes.get_mut(index), counts.get_mut(index)) {
            n.sources.push(report.name.clone());
            n.services += services.len();
            for s in services {
                *c.entry(s.namespace.as_str()).or_default() += 1;
            }
        }
    }
    for (n, c) in nodes.iter_mut().zip(counts) {
        let mut namespaces: Vec<(String, usize)> =
            c.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        namespaces.sort();
        n.namespaces = namespaces;
    }
    nodes
}

/// The Services of a node, in the analysis' order.
fn node_services<'a>(session: &'a Session, node: &str) -> Vec<&'a Service> {
    let sources: Vec<String> = nodes(session)
        .into_iter()
        .find(|n| n.name == node)
        .map(|n| n.sources)
        .unwrap_or_default();
    session
        .analysis()
        .map(|a| {
            a.services
                .iter()
                .filter(|s| sources.contains(&s.source))
                .collect()
        })
        .unwrap_or_default()
}

/// Names endpoints by their pod: kubectl's pods by IP, and the cluster model's endpoints that name one.
fn pod_names(session: &Session, ips: &[&str]) -> FxHashMap<String, String> {
    let mut out = FxHashMap::default();
    if ips.is_empty() {
        return out;
    }
    let Some(analysis) = session.analysis() else {
        return out;
    };
    for input in &analysis.kubernetes {
        for pod in &input.objects.pods {
            for ip in &pod.ips {
                if ips.contains(&ip.as_str()) && !out.contains_key(ip) {
                    let name = match &pod.namespace {
                        Some(ns) => format!("{ns}/{}", pod.name),
                        None => pod.name.clone(),
                    };
                    out.insert(ip.clone(), name);
                }
            }
        }
    }
    for port in &analysis.cluster.service_ports {
        for e in &port.endpoints {
            if let Some(pod) = &e.pod {
                if ips.contains(&e.ip.as_str()) && !out.contains_key(&e.ip) {
                    out.insert(e.ip.clone(), format!("{}/{pod}", port.namespace));
                }
            }
        }
    }
    out
}

/// A window of a node's map.
pub fn query(session: &Session, q: &Query) -> View {
    let all = node_services(session, &q.node);
    let total = all.len();
    let matched: Vec<&Service> = all.into_iter().filter(|s| passes(&q.filter, s)).collect();
    let entry_chains =
        q.detail == Detail::Full && layout::needs_entry_chains(matched.iter().copied());
    let highlighted =
        |s: &Service, line: u32| q.highlight.iter().any(|e| e.is_line(&s.source, line));

    let mut y = layout::top(q.detail);
    let mut window: Vec<(usize, f64, &Service)> = Vec::new();
    let mut first_highlight = None;
    for (i, s) in matched.iter().enumerate() {
        let pitch = layout::block_pitch(s, q.detail);
        if y + pitch > q.y_from && y < q.y_to {
            window.push((i, y, s));
        }
        if first_highlight.is_none()
            && !q.highlight.is_empty()
            && layout::service_lines(s)
                .into_iter()
                .any(|l| highlighted(s, l))
        {
            first_highlight = Some((i, y));
        }
        y += pitch;
    }
    let height = y + layout::MARGIN;

    let ips: Vec<&str> = window
        .iter()
        .flat_map(|(_, _, s)| s.endpoints.iter().map(|e| e.ip.as_str()))
        .filter(|ip| !ip.is_empty())
        .collect();
    let pods = pod_names(session, &ips);
    let blocks = window
        .into_iter()
        .map(|(i, y, s)| {
            let cx = BlockContext {
                detail: q.detail,
                entry_chains,
                pod_of: &|ip, _| pods.get(ip).cloned(),
                highlight: &|line| highlighted(s, line),
            };
            block(s, i, y, &cx)
        })
        .collect();
    View {
        node: q.node.clone(),
        total,
        matched: matched.len(),
        width: match q.detail {
            Detail::Full => layout::width(entry_chains),
            Detail::Compact => 1200.0,
        },
        height,
        y_from: q.y_from,
        y_to: q.y_to,
        columns: match q.detail {
            Detail::Full => layout::columns(entry_chains)
                .into_iter()
                .map(|(t, x)| (t.to_string(), x))
                .collect(),
            Detail::Compact => Vec::new(),
        },
        blocks,
        first_highlight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::map::{BoxKind, COMPACT_H};
    use dnatlas_core::Evidence;
    use std::sync::Arc;

    fn session(inputs: &[(&str, &str)]) -> Session {
        Session::analysed(inputs).0
    }

    const SEED_004: &str = include_str!("../../../fixtures/iptables/seed-004-node/input.txt");
    const CORPUS_01: &str =
        include_str!("../../../fixtures/iptables/corpus-01-iptables-overall/input.txt");

    fn all(node: &str) -> Query {
        Query {
            node: node.into(),
            filter: Filter::default(),
            detail: Detail::Full,
            y_from: 0.0,
            y_to: 1e9,
            highlight: Vec::new(),
        }
    }

    #[test]
    fn nodes_count_services_per_namespace() {
        let s = session(&[("node-a", SEED_004)]);
        let nodes = nodes(&s);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].services, 4);
        // kube-dns has dns, dns-tcp; default has kubernetes and nginx (seed 004's four KUBE-SERVICES entries).
        assert_eq!(
            nodes[0].namespaces,
            [("default".to_string(), 2), ("kube-system".to_string(), 2)]
        );
    }

    /// `iptables -t nat -L -n -v` of the seed node draws the map its `iptables-save` does.
    #[test]
    fn a_listing_draws_the_map_of_its_dump() {
        const LISTED: &str =
            include_str!("../../../fixtures/iptables-list/kube-proxy-nat-n-v/input.txt");
        let drawn = |name: &str, text: &str| {
            let s = session(&[(name, text)]);
            let nodes = nodes(&s);
            assert_eq!(nodes.len(), 1, "{name}");
            query(&s, &all(&nodes[0].name))
                .blocks
                .into_iter()
                .map(|b| (b.label, b.shares))
                .collect::<Vec<_>>()
        };
        let listed = drawn("listed.txt", LISTED);
        assert_eq!(listed.len(), 4);
        assert_eq!(listed, drawn("saved.txt", SEED_004));
    }

    #[test]
    fn the_whole_seed_node_shows_nginx_at_a_third_each() {
        let s = session(&[("node-a", SEED_004)]);
        let view = query(&s, &all("node-a"));
        assert_eq!((view.total, view.matched, view.blocks.len()), (4, 4, 4));
        let nginx = view
            .blocks
            .iter()
            .find(|b| b.label == "default/nginx")
            .unwrap();
        assert_eq!(nginx.shares, ["33.3%", "33.3%", "33.3%"]);
        // Blocks follow one another with the gap between them, and the height covers the last.
        for pair in view.blocks.windows(2) {
            assert!((pair[1].y - (pair[0].y + pair[0].height + layout::BLOCK_GAP)).abs() < 1e-9);
        }
        let last = view.blocks.last().unwrap();
        assert!(view.height >= last.y + last.height);
    }

    #[test]
    fn filters_narrow_by_namespace_name_and_address() {
        let s = session(&[("node-a", SEED_004)]);
        let labels = |f: Filter| {
            let mut q = all("node-a");
            q.filter = f;
            let v = query(&s, &q);
            assert_eq!(v.matched, v.blocks.len());
            v.blocks.into_iter().map(|b| b.label).collect::<Vec<_>>()
        };
        assert_eq!(
            labels(Filter {
                namespace: Some("kube-system".into()),
                ..Filter::default()
            }),
            ["kube-system/kube-dns:dns", "kube-system/kube-dns:dns-tcp"]
        );
        assert_eq!(
            labels(Filter {
                name: "NGINX".into(),
                ..Filter::default()
            }),
            ["default/nginx"]
        );
        // An endpoint address, a VIP with its port, a VIP's prefix, a NodePort.
        assert_eq!(
            labels(Filter {
                ip: "10.244.0.4".into(),
                ..Filter::default()
            }),
            ["default/nginx"]
        );
        assert_eq!(
            labels(Filter {
                ip: "10.96.0.10:53".into(),
                ..Filter::default()
            }),
            ["kube-system/kube-dns:dns", "kube-system/kube-dns:dns-tcp"]
        );
        assert_eq!(
            labels(Filter {
                ip: "30361".into(),
                ..Filter::default()
            }),
            ["default/nginx"]
        );
        assert!(labels(Filter {
            ip: "192.0.2.1".into(),
            ..Filter::default()
        })
        .is_empty());
    }

    #[test]
    fn a_window_holds_only_the_services_in_its_range() {
        let s = session(&[("node", CORPUS_01)]);
        let whole = query(&s, &all("node"));
        assert_eq!(whole.matched, 6);
        let third = &whole.blocks[2];
        let mut q = all("node");
        q.y_from = third.y + 1.0;
        q.y_to = third.y + 2.0;
        let v = query(&s, &q);
        assert_eq!(v.blocks.len(), 1);
        assert_eq!(v.blocks[0].label, third.label);
        assert_eq!(v.blocks[0].index, 2);
        assert_eq!(v.height, whole.height);
        // Compact: one line per Service, the same order.
        q.detail = Detail::Compact;
        q.y_from = 0.0;
        q.y_to = 1e9;
        let v = query(&s, &q);
        assert_eq!(v.blocks.len(), 6);
        assert!(v
            .blocks
            .iter()
            .all(|b| b.boxes.is_empty() && b.height == COMPACT_H));
        assert!(v.height < whole.height);
    }

    #[test]
    fn highlight_marks_the_boxes_and_says_where_the_first_is() {
        let s = session(&[("node", CORPUS_01)]);
        let mut q = all("node");
        // Line 9 is svc6's filter REJECT rule, the only line this endpoint-less Service has (so its VIP and chain
        // boxes stand on it too); the same line of another input matches nothing.
        q.highlight = vec![
            Evidence::line(&Arc::from("other"), 9),
            Evidence::line(&Arc::from("node"), 9),
        ];
        let v = query(&s, &q);
        let (index, y) = v.first_highlight.unwrap();
        let block = &v.blocks[index];
        assert_eq!(block.label, "ns6/svc6:p80");
        assert_eq!(block.y, y);
        assert!(block.highlighted);
        let marked: Vec<_> = v
            .blocks
            .iter()
            .flat_map(|b| b.boxes.iter())
            .filter(|b| b.highlighted)
            .map(|b| b.title.as_str())
            .collect();
        assert_eq!(
            marked,
            ["172.30.0.46:80 tcp", "no service chain", "no endpoints"]
        );
        q.highlight.remove(1);
        assert_eq!(query(&s, &q).first_highlight, None);
    }

    #[test]
    fn endpoints_are_named_by_their_kubectl_pod() {
        // `kubectl get pods -o wide` as kubectl prints it, for seed 004's three nginx endpoints.
        let kubectl = "$ kubectl get pods -o wide\n\
NAME                     READY   STATUS    RESTARTS   AGE   IP           NODE\n\
nginx-6d4cf56db6-2xk8v   1/1     Running   0          18h   10.244.0.3   singlevm\n\
nginx-6d4cf56db6-8kq2n   1/1     Running   0          18h   10.244.0.4   singlevm\n\
nginx-6d4cf56db6-tz5wd   1/1     Running   0          18h   10.244.0.5   singlevm\n";
        let s = session(&[("node.txt", SEED_004), ("kubectl.txt", kubectl)]);
        let v = query(&s, &all("node.txt"));
        let nginx = v
            .blocks
            .iter()
            .find(|b| b.label == "default/nginx")
            .unwrap();
        let pods: Vec<&str> = nginx
            .boxes
            .iter()
            .filter(|b| b.kind == BoxKind::Endpoint)
            .map(|b| b.subtitle.as_str())
            .collect();
        // The table has no namespace column: the pod is named without one.
        assert_eq!(
            pods,
            [
                "pod nginx-6d4cf56db6-2xk8v",
                "pod nginx-6d4cf56db6-8kq2n",
                "pod nginx-6d4cf56db6-tz5wd"
            ]
        );
    }
}
