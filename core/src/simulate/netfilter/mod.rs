//! A packet's walk through a node's netfilter rules, as the kernel does it for the first packet of a new
//! connection: nat (where kube-proxy DNATs), then filter (where it REJECTs and DROPs), then nat POSTROUTING (where
//! marked packets are masqueraded). `statistic` matches fork the walk, so the result is every outcome with its
//! probability and the ordered rules that led there.
//!
//! The walk reads the parser's view of a dump (`source::iptables::RulesetView`), the same one `analyze` builds the
//! Service graph from; an owned [`Ruleset`] is walked through a view of it.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::source::iptables::{self, Ruleset, RulesetView};
use crate::source::{iptables_list, Kind};

mod chains;
mod matches;
mod state;

use chains::run_table;
use state::{empty_state, finish, Assumptions, ChainEnd, State, Steps, Walker};

/// Where the packet enters the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    /// A packet arriving at the node: from a pod on it, or from the network.
    Prerouting,
    /// A packet the node itself sends.
    Output,
}

/// The packet to walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// `tcp`, `udp`, `sctp` or `icmp`.
    pub protocol: String,
    /// Destination port.
    pub dport: u16,
    /// Source port (a client's ephemeral port when not given).
    pub sport: u16,
    /// Where it enters.
    pub hook: Hook,
}

impl Packet {
    /// A new connection from `src` to `dst:dport` over `protocol`, entering at `hook`.
    pub fn new(src: IpAddr, dst: IpAddr, protocol: &str, dport: u16, hook: Hook) -> Self {
        Self {
            src,
            dst,
            protocol: protocol.to_ascii_lowercase(),
            dport,
            sport: 40000,
            hook,
        }
    }
}

/// What the walk knows about the node beyond its rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeContext {
    /// The node's own addresses (for `-m addrtype --dst-type LOCAL`); loopback is always local.
    pub local_addresses: Vec<IpAddr>,
}

impl NodeContext {
    fn is_local(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.local_addresses.contains(&ip)
    }
}

/// Why a walk stopped before the kernel would have reached a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StopReason {
    /// A jump or goto leads back to a chain already on the packet's path: the chains loop. The kernel refuses to
    /// load such rules, so no node runs them (see [`walk`]).
    Loop,
    /// The path holds more than [`MAX_DEPTH`] chains.
    Depth,
    /// The walk evaluated its budget of rules ([`rule_budget`]) over all its branches; the branches left are
    /// counted in one outcome.
    Budget,
    /// The walk forked into [`MAX_BRANCHES`] branches; the share of the forks not followed is one outcome.
    Branches,
}

impl StopReason {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Loop => "loop",
            StopReason::Depth => "depth",
            StopReason::Budget => "budget",
            StopReason::Branches => "branches",
        }
    }
}

/// How the walk ended.
///
/// In JSON: `{"kind":"accept"}`, `{"kind":"drop"}`, `{"kind":"reject","with":"icmp-port-unreachable"}`, or
/// `{"kind":"stopped","reason":"loop"|"depth"|"budget"|"branches","table":"nat","chains":[…],"line":5,
/// "message":"…"}` when the walk could not reach a verdict: it then claims nothing about where the packet goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Verdict {
    /// The packet goes on (to `destination`, possibly DNATed).
    Accept,
    /// Dropped silently.
    Drop,
    /// Rejected: the client sees an error (`connection refused` for `icmp-port-unreachable`).
    Reject {
        /// The `--reject-with` type.
        with: String,
    },
    /// The walk stopped before a verdict.
    Stopped {
        /// Why.
        reason: StopReason,
        /// The table it stopped in.
        table: TableName,
        /// For a loop, the chains of the cycle in order, the first one repeated at the end (`L -> M -> L`); for
        /// depth, the chain the walk was in and the one it would have entered; otherwise the chain it was in.
        chains: Vec<String>,
        /// 1-based line of the rule where it stopped: the jump that closes the loop or goes too deep, the rule the
        /// budget ran out at, or the first fork not followed (0 when the input has no line for it).
        line: u32,
        /// What happened, for a person.
        message: String,
    },
}

impl Verdict {
    /// One line for a person: `ACCEPT`, `DROP`, `REJECT (icmp-port-unreachable)`, or for a stopped walk
    /// `stopped: chains loop L -> M -> L (line 5)`.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Accept => "ACCEPT".to_string(),
            Verdict::Drop => "DROP".to_string(),
            Verdict::Reject { with } => format!("REJECT ({with})"),
            Verdict::Stopped {
                reason,
                chains,
                line,
                ..
            } => {
                let at = if *line > 0 {
                    format!(" (line {line})")
                } else {
                    String::new()
                };
                let first = chains.first().map_or("", String::as_str);
                match reason {
                    StopReason::Loop => format!("stopped: chains loop {}{at}", chains.join(" -> ")),
                    StopReason::Depth => format!(
                        "stopped: more than {MAX_DEPTH} chains deep at {}{at}",
                        chains.join(" -> ")
                    ),
                    StopReason::Budget => {
                        format!("stopped: rule budget spent at {first}{at}")
                    }
                    StopReason::Branches => format!(
                        "stopped: more than {MAX_BRANCHES} branches, first fork not followed at {first}{at}"
                    ),
                }
            }
        }
    }

    /// Whether the walk stopped before a verdict.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Verdict::Stopped { .. })
    }
}

/// A table the walk passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableName {
    /// `nat`: where kube-proxy DNATs and masquerades.
    Nat,
    /// `filter`: where kube-proxy REJECTs and DROPs.
    Filter,
}

impl TableName {
    /// The table's name, as `iptables-save` writes it after `*`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableName::Nat => "nat",
            TableName::Filter => "filter",
        }
    }
}

impl fmt::Display for TableName {
    /// The name, padded to the formatter's width.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a rule (or a built-in chain's policy) did to the packet.
///
/// In the walk's JSON a step's action is one string, as [`fmt::Display`] writes it (`jump KUBE-SVC-…`,
/// `DNAT 10.244.0.2:53`, `MARK --set-xmark 0x4000/0x4000`, `policy ACCEPT`, `REJECT`); elsewhere (a trace hop's
/// rule) it is an object tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// `-j CHAIN` (or a target the walk does not model, such as `LOG`): into the chain and back after it.
    Jump {
        /// The chain (or target) jumped to.
        chain: String,
    },
    /// `-g CHAIN`: into the chain, returning to the caller of the chain that went there.
    Goto {
        /// The chain gone to.
        chain: String,
    },
    /// `DNAT --to-destination …`.
    Dnat {
        /// The destination as the rule writes it (`10.244.0.2:53`, `[fd00::2]:53`, a range).
        to: String,
    },
    /// `MARK` with its options.
    Mark {
        /// The options as written (`--set-xmark 0x4000/0x4000`).
        options: String,
    },
    /// The packet fell off the end of a built-in chain: its policy applies.
    Policy {
        /// `ACCEPT` or `DROP`.
        policy: String,
    },
    /// `ACCEPT`.
    Accept,
    /// `DROP`.
    Drop,
    /// `REJECT`.
    Reject,
    /// `RETURN`.
    Return,
    /// `MASQUERADE`.
    Masquerade,
    /// `SNAT`.
    Snat,
    /// `REDIRECT`.
    Redirect,
}

impl Action {
    /// The chain a jump or goto enters.
    pub fn chain(&self) -> Option<&str> {
        match self {
            Action::Jump { chain } | Action::Goto { chain } => Some(chain),
            _ => None,
        }
    }

    /// Whether the packet is dropped or rejected here.
    pub fn blocks(&self) -> bool {
        matches!(self, Action::Drop | Action::Reject)
    }
}

impl fmt::Display for Action {
    /// The action as one string, padded to the formatter's width.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Action::Jump { chain } => return f.pad(&format!("jump {chain}")),
            Action::Goto { chain } => return f.pad(&format!("goto {chain}")),
            Action::Dnat { to } => return f.pad(&format!("DNAT {to}")),
            Action::Mark { options } => return f.pad(&format!("MARK {options}")),
            Action::Policy { policy } => return f.pad(&format!("policy {policy}")),
            Action::Accept => "ACCEPT",
            Action::Drop => "DROP",
            Action::Reject => "REJECT",
            Action::Return => "RETURN",
            Action::Masquerade => "MASQUERADE",
            Action::Snat => "SNAT",
            Action::Redirect => "REDIRECT",
        };
        f.pad(text)
    }
}

impl std::str::FromStr for Action {
    type Err = String;

    /// Reads back what [`fmt::Display`] writes.
    fn from_str(text: &str) -> Result<Self, String> {
        let unit = match text {
            "ACCEPT" => Some(Action::Accept),
            "DROP" => Some(Action::Drop),
            "REJECT" => Some(Action::Reject),
            "RETURN" => Some(Action::Return),
            "MASQUERADE" => Some(Action::Masquerade),
            "SNAT" => Some(Action::Snat),
            "REDIRECT" => Some(Action::Redirect),
            _ => None,
        };
        if let Some(action) = unit {
            return Ok(action);
        }
        let (word, rest) = text
            .split_once(' ')
            .ok_or_else(|| format!("`{text}` is not a rule's action"))?;
        let rest = rest.to_string();
        match word {
            "jump" => Ok(Action::Jump { chain: rest }),
            "goto" => Ok(Action::Goto { chain: rest }),
            "DNAT" => Ok(Action::Dnat { to: rest }),
            "MARK" => Ok(Action::Mark { options: rest }),
            "policy" => Ok(Action::Policy { policy: rest }),
            _ => Err(format!("`{text}` is not a rule's action")),
        }
    }
}

/// A step's action as the one string of the walk's JSON.
mod action_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Action;

    pub(super) fn serialize<S: Serializer>(action: &Action, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(action)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One rule the packet passed on its way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Table.
    pub table: TableName,
    /// Chain.
    pub chain: String,
    /// 1-based line of the rule in the input (0 for a chain's policy).
    pub line: u32,
    /// What the rule did: `jump KUBE-SVC-…`, `DNAT 10.244.0.2:53`, `MARK 0x4000/0x4000`, `policy ACCEPT`, …
    #[serde(with = "action_text")]
    pub action: Action,
    /// The chance this step's branch was taken, when it was a fork (`statistic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// One way the walk can end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The chance of this outcome for a new connection.
    pub probability: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Destination address after DNAT (the original one when nothing rewrote it).
    pub destination: IpAddr,
    /// Destination port after DNAT.
    pub destination_port: u16,
    /// Whether a rule rewrote the destination.
    pub dnat: bool,
    /// Whether the source is masqueraded (SNATed to the node) on the way out.
    pub masquerade: bool,
    /// The rules that decided it, in order: the first [`STEPS_HEAD`] and the last [`STEPS_TAIL`] when there were
    /// more (`elided_steps` says how many were left out between them).
    pub steps: Vec<Step>,
    /// How many steps were left out after the first [`STEPS_HEAD`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub elided_steps: usize,
    /// Things the walk had to assume (unknown matches, missing base-chain jumps); at most [`MAX_ASSUMPTIONS`], the
    /// last one counting the rest.
    pub assumptions: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Most chains on a packet's path (nested jumps plus the chains gotos left): far above kube-proxy's five or so.
pub const MAX_DEPTH: usize = 256;
/// Most branches (`statistic` forks) one walk follows, over all tables.
pub const MAX_BRANCHES: usize = 512;
/// Rules one walk may evaluate over all its branches and tables, at least (see [`rule_budget`]).
pub const MIN_RULE_BUDGET: usize = 1_000_000;
/// Rules one walk may evaluate per rule of the input, when that is more than [`MIN_RULE_BUDGET`].
pub const RULE_BUDGET_PER_RULE: usize = 8;

/// How many rules a walk of a ruleset of `rule_count` rules may evaluate over all its branches and tables:
/// [`MIN_RULE_BUDGET`], or [`RULE_BUDGET_PER_RULE`] per rule of a larger input — so time follows the input's size.
/// A walk without loops evaluates each rule about once per branch, and [`MAX_BRANCHES`] branches through a large
/// node's filter chains fit; chains entered again and again (2^60 paths through a 60-level diamond) do not.
pub fn rule_budget(rule_count: usize) -> usize {
    MIN_RULE_BUDGET.max(rule_count.saturating_mul(RULE_BUDGET_PER_RULE))
}
/// Steps kept from the start of an outcome's path.
pub const STEPS_HEAD: usize = 64;
/// Steps kept from the end of an outcome's path.
pub const STEPS_TAIL: usize = 32;
/// Most assumptions listed per outcome.
pub const MAX_ASSUMPTIONS: usize = 32;

/// Walks `packet` through `ruleset` and returns every outcome, most likely first.
///
/// Every walk ends in bounded time and memory, and the outcomes' probabilities sum to 1 (each is rounded to 1e-9).
/// A branch that jumps or goes (`-g`) to a chain already on its path stops with [`StopReason::Loop`]: the kernel
/// refuses such rules (x_tables' `mark_source_chains()` in net/ipv4/netfilter/ip_tables.c follows jumps and gotos
/// from each hook and fails with `ELOOP`, "Too many levels of symbolic links" from iptables-restore; nf_tables
/// checks the same for iptables-nft in `nf_tables_check_loops()`), so a dump with a loop was edited or assembled
/// by hand. A goto replaces the current chain's frame — RETURN from the chain gone to returns to the caller of the
/// chain that did the goto — but the chain it left stays on the path for loop detection, as the kernel sees it.
/// A branch also stops past [`MAX_DEPTH`] chains on its path; the whole walk stops evaluating after
/// [`rule_budget`] rules (the branches left become one [`StopReason::Budget`] outcome) and follows at most
/// [`MAX_BRANCHES`]
/// branches (the share of the forks not followed becomes one [`StopReason::Branches`] outcome).
pub fn walk(ruleset: &Ruleset, packet: &Packet, node: &NodeContext) -> Vec<Outcome> {
    walk_view(&RulesetView::from_ruleset(ruleset), packet, node)
}

/// The rules of a node input of `kind`, as the walk reads them: the parser's view of an `iptables-save` dump, or a
/// view of an `iptables -L` listing. `None` for another kind.
pub(crate) fn rules_of(bytes: &[u8], kind: Kind) -> Option<RulesetView<'_>> {
    match kind {
        Kind::IptablesSave => Some(iptables::parse_view(bytes).value),
        Kind::IptablesList => Some(RulesetView::from_ruleset(
            &iptables_list::parse(bytes).value,
        )),
        _ => None,
    }
}

/// [`walk`] over the parser's view of a dump.
pub(crate) fn walk_view(
    rules: &RulesetView<'_>,
    packet: &Packet,
    node: &NodeContext,
) -> Vec<Outcome> {
    let mut w = Walker {
        packet,
        node,
        rules: 0,
        budget: rule_budget(rules.rule_count()),
        forks: 0,
        spent: None,
        cut: None,
    };
    let start = State {
        dst: packet.dst,
        dport: packet.dport,
        mark: 0,
        dnat: false,
        probability: 1.0,
        steps: Steps::default(),
        assumptions: Assumptions::default(),
    };
    let nat_chain = match packet.hook {
        Hook::Prerouting => "PREROUTING",
        Hook::Output => "OUTPUT",
    };
    let mut outcomes = Vec::new();
    for (state, end) in run_table(&mut w, rules, TableName::Nat, nat_chain, start) {
        let mut state = state;
        let verdict = match end {
            ChainEnd::Drop => Some(Verdict::Drop),
            ChainEnd::Reject(with) => Some(Verdict::Reject { with }),
            ChainEnd::Stopped(verdict) => Some(verdict),
            ChainEnd::Accept | ChainEnd::Nat => None,
        };
        if let Some(verdict) = verdict {
            outcomes.push(finish(state, verdict, false));
            continue;
        }
        let filter_chain = match packet.hook {
            Hook::Output => "OUTPUT",
            Hook::Prerouting if node.is_local(state.dst) => "INPUT",
            Hook::Prerouting => "FORWARD",
        };
        let start = std::mem::replace(&mut state, empty_state());
        for (after_filter, end) in run_table(&mut w, rules, TableName::Filter, filter_chain, start)
        {
            match end {
                ChainEnd::Drop => outcomes.push(finish(after_filter, Verdict::Drop, false)),
                ChainEnd::Reject(with) => {
                    outcomes.push(finish(after_filter, Verdict::Reject { with }, false))
                }
                ChainEnd::Stopped(verdict) => outcomes.push(finish(after_filter, verdict, false)),
                ChainEnd::Accept | ChainEnd::Nat => {
                    if filter_chain == "INPUT" {
                        outcomes.push(finish(after_filter, Verdict::Accept, false));
                        continue;
                    }
                    for (out, end) in
                        run_table(&mut w, rules, TableName::Nat, "POSTROUTING", after_filter)
                    {
                        if let ChainEnd::Stopped(verdict) = end {
                            outcomes.push(finish(out, verdict, false));
                            continue;
                        }
                        let masquerade = matches!(end, ChainEnd::Nat)
                            && out.steps.last().is_some_and(|s| {
                                matches!(s.action, Action::Masquerade | Action::Snat)
                            });
                        // The node's own packet to one of its addresses loops back into INPUT.
                        if packet.hook == Hook::Output && node.is_local(out.dst) {
                            for (input, end) in
                                run_table(&mut w, rules, TableName::Filter, "INPUT", out)
                            {
                                let verdict = match end {
                                    ChainEnd::Drop => Verdict::Drop,
                                    ChainEnd::Reject(with) => Verdict::Reject { with },
                                    ChainEnd::Stopped(verdict) => verdict,
                                    ChainEnd::Accept | ChainEnd::Nat => Verdict::Accept,
                                };
                                outcomes.push(finish(input, verdict, masquerade));
                            }
                        } else {
                            outcomes.push(finish(out, Verdict::Accept, masquerade));
                        }
                    }
                }
            }
        }
    }
    for pool in [w.spent.take(), w.cut.take()].into_iter().flatten() {
        let mut first = pool.first;
        first.probability = pool.probability;
        outcomes.push(finish(first, pool.verdict, false));
    }
    outcomes.sort_by(|a, b| {
        b.probability
            .partial_cmp(&a.probability)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    outcomes
}
