//! What the rules look at: each node dump's ruleset and Service graph.

use crate::model::services::Service;
use crate::source::iptables::RulesetView;

/// One node's dump.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeInput<'a> {
    /// The input's name.
    pub(crate) source: &'a str,
    /// Its parsed rules, as the parser's view of the input.
    pub(crate) ruleset: &'a RulesetView<'a>,
    /// Its Service ports.
    pub(crate) services: &'a [Service],
}

/// Everything the rules may look at.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context<'a> {
    /// Every node dump.
    pub(crate) nodes: Vec<NodeInput<'a>>,
    /// Every `kubectl` input.
    pub(crate) kubernetes: &'a [crate::analysis::KubeSource],
}
