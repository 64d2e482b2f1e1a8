//! The Service map: each node's overview, and windows of its Services for the page to draw.

use dnatlas_core::Service;
use serde::{Deserialize, Serialize};

use super::Session;

/// One node's overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node's name (its assignment, or the dump's input name).
    pub name: String,
    /// The dumps read for it.
    pub sources: Vec<String>,
    /// Service ports on it.
    pub services: usize,
}

/// A window of one node's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The node.
    pub node: String,
    /// First Service of the window, among those that match.
    pub offset: usize,
    /// At most this many Services.
    pub limit: usize,
}

/// The Services of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// The node.
    pub node: String,
    /// Services that match.
    pub matched: usize,
    /// The window's Services.
    pub services: Vec<Service>,
}

/// The nodes of the session's analysis, in input order.
pub fn nodes(session: &Session) -> Vec<NodeInfo> {
    let Some(analysis) = session.analysis() else {
        return Vec::new();
    };
    let mut nodes: Vec<NodeInfo> = Vec::new();
    for report in &analysis.sources {
        if report.kind != dnatlas_core::Kind::IptablesSave {
            continue;
        }
        let Some(node) = session.node_of(&report.name) else {
            continue;
        };
        let services = analysis
            .services
            .iter()
            .filter(|s| *s.source == *report.name)
            .count();
        match nodes.iter_mut().find(|n| n.name == node) {
            Some(n) => {
                n.sources.push(report.name.clone());
                n.services += services;
            }
            None => nodes.push(NodeInfo {
                name: node,
                sources: vec![report.name.clone()],
                services,
            }),
        }
    }
    nodes
}

/// A window of a node's Services.
pub fn query(session: &Session, q: &Query) -> View {
    let sources: Vec<String> = nodes(session)
        .into_iter()
        .find(|n| n.name == q.node)
        .map(|n| n.sources)
        .unwrap_or_default();
    let all: Vec<&Service> = session
        .analysis()
        .map(|a| {
            a.services
                .iter()
                .filter(|s| sources.iter().any(|n| **n == *s.source))
                .collect()
        })
        .unwrap_or_default();
    View {
        node: q.node.clone(),
        matched: all.len(),
        services: all
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .cloned()
            .collect(),
    }
}
