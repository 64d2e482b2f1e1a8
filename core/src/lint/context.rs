//! What the rules look at: each node dump's ruleset and Service graph.

use crate::model::services::Service;
use crate::source::iptables::Ruleset;

/// One node's dump.
#[derive(Debug, Clone, Copy)]
pub struct NodeInput<'a> {
    /// The input's name.
    pub source: &'a str,
    /// Its parsed rules.
    pub ruleset: &'a Ruleset,
    /// Its Service ports.
    pub services: &'a [Service],
}

/// Everything the rules may look at.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Every node dump.
    pub nodes: Vec<NodeInput<'a>>,
    /// Every `kubectl` input.
    pub kubernetes: &'a [crate::analysis::KubeSource],
}
