//! Where the node's rules send a new connection (or a query): the walk of the pod's packet through the chosen
//! node's rules, read as branches with their shares, the rules that decide them, and what blocks or stops them.

use std::net::IpAddr;
use std::sync::Arc;

use crate::evidence::Evidence;
use crate::simulate::netfilter::{
    self, Action, Hook, NodeContext, Packet, Step, TableName, Verdict,
};
use crate::source::iptables::RulesetView;
use crate::source::Kind;

use super::{Branch, RuleRef, Via};

/// The node dump chosen for the pod, as the parser reads it (no owned copy of its rules).
pub(super) struct NodeRules<'a> {
    /// The input's name.
    pub(super) name: Arc<str>,
    /// Its rules.
    pub(super) rules: RulesetView<'a>,
}

impl<'a> NodeRules<'a> {
    /// The rules of input `name` of `kind`, read from `bytes` (decoded and capped as `analyze` reads them).
    pub(super) fn read(name: &str, bytes: &'a [u8], kind: Kind) -> Option<Self> {
        Some(NodeRules {
            name: Arc::from(name),
            rules: netfilter::rules_of(bytes, kind)?,
        })
    }
}

/// Probabilities are shown to 9 decimals, as the netfilter walk rounds them.
pub(super) fn round9(p: f64) -> f64 {
    (p * 1e9).round() / 1e9
}

/// How the node's rules (or kubectl) route one address.
pub(super) struct Route {
    /// Accepted branches, in the order of the node's rules.
    pub(super) branches: Vec<Branch>,
    /// The rules of the first branch (or of the REJECT/DROP when nothing is accepted), up to the decision.
    pub(super) steps: Vec<Step>,
    /// The REJECT or DROP that ends every walk, when nothing is accepted.
    pub(super) blocked: Option<String>,
    /// Where the branches come from.
    pub(super) via: Via,
    /// The shares of the walk that were dropped or rejected while others went through.
    pub(super) lost_share: f64,
    /// Where and why the walk stopped before a verdict, for the first branch that did.
    pub(super) stopped: Option<Stopped>,
}

impl Route {
    /// A route with no branches and no rules, from `via`.
    pub(super) fn empty(via: Via) -> Self {
        Route {
            branches: Vec::new(),
            steps: Vec::new(),
            blocked: None,
            via,
            lost_share: 0.0,
            stopped: None,
        }
    }
}

/// A walk that stopped before a verdict.
#[derive(Debug, Clone)]
pub(super) struct Stopped {
    /// `stopped: chains loop L -> L (line 5)`.
    pub(super) summary: String,
    /// The walk's explanation.
    pub(super) message: String,
    /// The line of the rule where it stopped (0 when none).
    pub(super) line: u32,
    /// The share of new connections whose walk stopped.
    pub(super) share: f64,
}

/// The rules a branch passed up to the decision: to the DNAT, else to the REJECT/DROP, else the nat table's.
fn decisive_steps(steps: &[Step]) -> Vec<Step> {
    let cut = steps
        .iter()
        .position(|s| matches!(s.action, Action::Dnat { .. }))
        .or_else(|| steps.iter().position(|s| s.action.blocks()));
    let kept: Vec<Step> = match cut {
        Some(i) => steps.get(..=i).unwrap_or(steps).to_vec(),
        None => steps
            .iter()
            .take_while(|s| s.table == TableName::Nat)
            .cloned()
            .collect(),
    };
    kept.into_iter().filter(|s| s.line > 0).collect()
}

/// Walks a new connection from the pod to `ip:port` through the node's rules.
pub(super) fn walk_node(
    node: &NodeRules<'_>,
    from: IpAddr,
    ip: IpAddr,
    port: u16,
    protocol: &str,
    host_network: bool,
) -> Route {
    let hook = if host_network {
        Hook::Output
    } else {
        Hook::Prerouting
    };
    let context = NodeContext {
        local_addresses: if host_network { vec![from] } else { Vec::new() },
    };
    let packet = Packet::new(from, ip, protocol, port, hook);
    let mut outcomes = netfilter::walk_view(&node.rules, &packet, &context);
    // The order of the node's rules (the cascade), not the walk's most-likely-first order.
    outcomes.sort_by(|a, b| {
        let la: Vec<u32> = a.steps.iter().map(|s| s.line).collect();
        let lb: Vec<u32> = b.steps.iter().map(|s| s.line).collect();
        la.cmp(&lb)
    });
    let mut route = Route::empty(Via::NodeRules);
    for o in &outcomes {
        match &o.verdict {
            Verdict::Accept => {
                let dnat = o
                    .steps
                    .iter()
                    .find(|s| matches!(s.action, Action::Dnat { .. }));
                if route.branches.is_empty() {
                    route.steps = decisive_steps(&o.steps);
                }
                let ip = o.destination.to_string();
                let port = Some(o.destination_port);
                match route
                    .branches
                    .iter_mut()
                    .find(|b| b.ip == ip && b.port == port)
                {
                    Some(b) => b.probability = round9(b.probability + o.probability),
                    None => {
                        let dnat = dnat.filter(|_| o.dnat);
                        // The jump (or goto) into the DNAT's chain: where the cascade sends this branch.
                        let jump = dnat.and_then(|d| {
                            o.steps
                                .iter()
                                .rev()
                                .find(|s| s.action.chain() == Some(d.chain.as_str()))
                        });
                        route.branches.push(Branch {
                            ip,
                            port,
                            chain: dnat.map(|s| s.chain.clone()),
                            probability: o.probability,
                            evidence: dnat
                                .map(|s| vec![Evidence::line(&node.name, s.line)])
                                .unwrap_or_default(),
                            jump: jump.map(RuleRef::from),
                            dnat: dnat.map(RuleRef::from),
                        })
                    }
                }
            }
            Verdict::Stopped { line, message, .. } => match &mut route.stopped {
                Some(stopped) => stopped.share = round9(stopped.share + o.probability),
                None => {
                    if route.branches.is_empty() && route.blocked.is_none() {
                        route.steps = o.steps.iter().filter(|s| s.line > 0).cloned().collect();
                    }
                    route.stopped = Some(Stopped {
                        summary: o.verdict.describe(),
                        message: message.clone(),
                        line: *line,
                        share: o.probability,
                    });
                }
            },
            Verdict::Drop | Verdict::Reject { .. } => {
                route.lost_share = round9(route.lost_share + o.probability);
                if route.blocked.is_none() {
                    let decisive = decisive_steps(&o.steps);
                    let last = decisive.last();
                    let what = match &o.verdict {
                        Verdict::Reject { with } => format!("REJECT ({with})"),
                        _ => "DROP".to_string(),
                    };
                    route.blocked = Some(match last {
                        Some(step) => {
                            format!("{what}: {} {} line {}", step.table, step.chain, step.line)
                        }
                        None => format!("{what} by a chain policy"),
                    });
                    if route.branches.is_empty() {
                        route.steps = decisive;
                    }
                }
            }
        }
    }
    route
}
