//! A packet's walk through a node's netfilter rules, as the kernel does it for the first packet of a new
//! connection: nat (where kube-proxy DNATs), then filter (where it REJECTs and DROPs), then nat POSTROUTING (where
//! marked packets are masqueraded). `statistic` matches fork the walk, so the result is every outcome with its
//! probability and the ordered rules that led there.

use std::collections::VecDeque;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::source::iptables::values::{self, Family};
use crate::source::iptables::{Chain, Opt, Rule, Ruleset, Table};

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
        table: String,
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

/// One rule the packet passed on its way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Table.
    pub table: String,
    /// Chain.
    pub chain: String,
    /// 1-based line of the rule in the input (0 for a chain's policy).
    pub line: u32,
    /// What the rule did: `jump KUBE-SVC-…`, `DNAT 10.244.0.2:53`, `MARK 0x4000/0x4000`, `policy ACCEPT`, …
    pub action: String,
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

/// How many rules a walk of `ruleset` may evaluate over all its branches and tables: [`MIN_RULE_BUDGET`], or
/// [`RULE_BUDGET_PER_RULE`] per rule of a larger input — so time follows the input's size. A walk without loops
/// evaluates each rule about once per branch, and [`MAX_BRANCHES`] branches through a large node's filter chains
/// fit; chains entered again and again (2^60 paths through a 60-level diamond) do not.
pub fn rule_budget(ruleset: &Ruleset) -> usize {
    MIN_RULE_BUDGET.max(ruleset.rule_count().saturating_mul(RULE_BUDGET_PER_RULE))
}
/// Steps kept from the start of an outcome's path.
pub const STEPS_HEAD: usize = 64;
/// Steps kept from the end of an outcome's path.
pub const STEPS_TAIL: usize = 32;
/// Most assumptions listed per outcome.
pub const MAX_ASSUMPTIONS: usize = 32;

/// The steps of one branch: the first [`STEPS_HEAD`], then the last [`STEPS_TAIL`].
#[derive(Debug, Clone, Default)]
struct Steps {
    head: Vec<Step>,
    tail: VecDeque<Step>,
    elided: usize,
}

impl Steps {
    fn push(&mut self, step: Step) {
        if self.head.len() < STEPS_HEAD {
            self.head.push(step);
            return;
        }
        if self.tail.len() >= STEPS_TAIL {
            self.tail.pop_front();
            self.elided += 1;
        }
        self.tail.push_back(step);
    }

    fn last(&self) -> Option<&Step> {
        self.tail.back().or_else(|| self.head.last())
    }

    fn into_parts(self) -> (Vec<Step>, usize) {
        let mut steps = self.head;
        steps.extend(self.tail);
        (steps, self.elided)
    }
}

/// The assumptions of one branch, each once, at most [`MAX_ASSUMPTIONS`].
#[derive(Debug, Clone, Default)]
struct Assumptions {
    list: Vec<String>,
    more: usize,
}

impl Assumptions {
    fn push(&mut self, text: String) {
        if self.list.contains(&text) {
            return;
        }
        if self.list.len() >= MAX_ASSUMPTIONS.saturating_sub(1) {
            self.more += 1;
            return;
        }
        self.list.push(text);
    }

    fn into_vec(self) -> Vec<String> {
        let mut list = self.list;
        if self.more > 0 {
            list.push(format!("{} more assumptions not listed", self.more));
        }
        list
    }
}

#[derive(Debug, Clone)]
struct State {
    dst: IpAddr,
    dport: u16,
    mark: u32,
    dnat: bool,
    probability: f64,
    steps: Steps,
    assumptions: Assumptions,
}

enum ChainEnd {
    /// Fell off the end of a built-in chain, or an ACCEPT: the table is done with the packet.
    Accept,
    Drop,
    Reject(String),
    /// DNAT, SNAT, MASQUERADE, REDIRECT: terminal in nat.
    Nat,
    /// The walk stopped (a loop, too deep): the branch ends here with this verdict.
    Stopped(Verdict),
}

/// Branches the walk set aside under one reason (the budget, the branch limit): one outcome for all of them.
struct Pool {
    probability: f64,
    /// The first branch set aside, as it was, and where.
    first: State,
    verdict: Verdict,
}

/// What one walk shares across its branches and tables: the budgets and the branches set aside.
struct Walker<'w> {
    packet: &'w Packet,
    node: &'w NodeContext,
    /// Rules evaluated so far.
    rules: usize,
    /// Rules it may evaluate.
    budget: usize,
    /// Branches made by forks so far.
    forks: usize,
    /// Branches stopped when the rule budget ran out.
    spent: Option<Pool>,
    /// The shares of forks not followed past the branch limit.
    cut: Option<Pool>,
}

impl Walker<'_> {
    fn set_aside(
        slot: &mut Option<Pool>,
        state: &State,
        probability: f64,
        verdict: impl FnOnce() -> Verdict,
    ) {
        match slot {
            Some(pool) => pool.probability += probability,
            None => {
                *slot = Some(Pool {
                    probability,
                    first: state.clone(),
                    verdict: verdict(),
                })
            }
        }
    }
}

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
    let mut w = Walker {
        packet,
        node,
        rules: 0,
        budget: rule_budget(ruleset),
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
    for (state, end) in run_table(&mut w, ruleset, "nat", nat_chain, start) {
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
        for (after_filter, end) in run_table(&mut w, ruleset, "filter", filter_chain, start) {
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
                    for (out, end) in run_table(&mut w, ruleset, "nat", "POSTROUTING", after_filter)
                    {
                        if let ChainEnd::Stopped(verdict) = end {
                            outcomes.push(finish(out, verdict, false));
                            continue;
                        }
                        let masquerade = matches!(end, ChainEnd::Nat)
                            && out.steps.last().is_some_and(|s| {
                                s.action.starts_with("MASQUERADE") || s.action.starts_with("SNAT")
                            });
                        // The node's own packet to one of its addresses loops back into INPUT.
                        if packet.hook == Hook::Output && node.is_local(out.dst) {
                            for (input, end) in run_table(&mut w, ruleset, "filter", "INPUT", out) {
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

fn empty_state() -> State {
    State {
        dst: IpAddr::from([0, 0, 0, 0]),
        dport: 0,
        mark: 0,
        dnat: false,
        probability: 0.0,
        steps: Steps::default(),
        assumptions: Assumptions::default(),
    }
}

fn finish(state: State, verdict: Verdict, masquerade: bool) -> Outcome {
    let (steps, elided_steps) = state.steps.into_parts();
    Outcome {
        probability: (state.probability * 1e9).round() / 1e9,
        verdict,
        destination: state.dst,
        destination_port: state.dport,
        dnat: state.dnat,
        masquerade,
        steps,
        elided_steps,
        assumptions: state.assumptions.into_vec(),
    }
}

/// Entry chains kube-proxy hooks into each base chain, used when a dump has no base-chain rules
/// (kube-proxy's restore input and partial pastes omit them).
fn implied_entry(table: &str, chain: &str) -> &'static [&'static str] {
    match (table, chain) {
        ("nat", "PREROUTING" | "OUTPUT") => &["KUBE-SERVICES"],
        ("nat", "POSTROUTING") => &["KUBE-POSTROUTING"],
        ("filter", "INPUT") => &[
            "KUBE-PROXY-FIREWALL",
            "KUBE-NODEPORTS",
            "KUBE-EXTERNAL-SERVICES",
            "KUBE-FIREWALL",
        ],
        ("filter", "FORWARD") => &[
            "KUBE-PROXY-FIREWALL",
            "KUBE-FORWARD",
            "KUBE-SERVICES",
            "KUBE-EXTERNAL-SERVICES",
        ],
        ("filter", "OUTPUT") => &["KUBE-PROXY-FIREWALL", "KUBE-SERVICES", "KUBE-FIREWALL"],
        _ => &[],
    }
}

/// Runs one table's base chain for every branch; returns each branch's state and how the table ended.
fn run_table(
    w: &mut Walker<'_>,
    ruleset: &Ruleset,
    table_name: &str,
    base: &str,
    state: State,
) -> Vec<(State, ChainEnd)> {
    let Some(table) = ruleset.table(table_name) else {
        return vec![(state, ChainEnd::Accept)];
    };
    let has_base_rules = table.chain(base).is_some_and(|c| !c.rules.is_empty());
    if has_base_rules {
        return run_chain(w, table, base, state, true);
    }
    // No rules in the base chain: walk the chains kube-proxy would have hooked there, in its order.
    let entries: Vec<&str> = implied_entry(table_name, base)
        .iter()
        .copied()
        .filter(|c| table.chain(c).is_some())
        .collect();
    let mut branches = vec![(state, ChainEnd::Accept)];
    for entry in entries {
        let mut next = Vec::new();
        for (mut s, end) in branches {
            if !matches!(end, ChainEnd::Accept)
                || s.steps.last().is_some_and(|st| st.action == "ACCEPT")
            {
                next.push((s, end));
                continue;
            }
            s.assumptions.push(format!(
                "{table_name} {base} has no rules in this input; walked {entry} as kube-proxy's jump from {base} would"
            ));
            // A user chain that returns hands the packet back to the (empty) base chain.
            next.extend(run_chain(w, table, entry, s, false));
        }
        branches = next;
    }
    branches
}

/// One chain being walked: the chain (replaced by a goto), the next rule, and where its chains start on the path.
#[derive(Clone, Copy)]
struct Frame<'a> {
    chain: &'a Chain,
    next: usize,
    /// The length of the path when this frame was pushed: its chain and the chains it went to start there.
    path_start: usize,
}

/// One branch in progress: its state, its frames, and every chain on its path (the frames' chains and, per
/// frame, the chains a goto left).
struct Branch<'a> {
    state: State,
    stack: Vec<Frame<'a>>,
    path: Vec<&'a Chain>,
}

/// Walks from `start_chain` (the table's base chain when `base`, else a user chain entered from an empty base
/// chain); a fork (statistic) clones the branch. Returns each branch's end, except the branches set aside in the
/// walker's pools.
fn run_chain<'a>(
    w: &mut Walker<'_>,
    table: &'a Table,
    start_chain: &'a str,
    state: State,
    base: bool,
) -> Vec<(State, ChainEnd)> {
    let mut results = Vec::new();
    let Some(chain) = table.chain(start_chain) else {
        return vec![(state, ChainEnd::Accept)];
    };
    let builtin = chain.policy.is_some() || base;
    let policy = chain.policy.clone().unwrap_or_else(|| "ACCEPT".to_string());
    let mut work: Vec<Branch<'a>> = vec![Branch {
        state,
        stack: vec![Frame {
            chain,
            next: 0,
            path_start: 0,
        }],
        path: vec![chain],
    }];
    'branches: while let Some(Branch {
        state: mut st,
        mut stack,
        mut path,
    }) = work.pop()
    {
        let end = loop {
            let Some(frame) = stack.last_mut() else {
                // Returned from the entry chain.
                if builtin {
                    st.steps.push(Step {
                        table: table.name.clone(),
                        chain: start_chain.to_string(),
                        line: 0,
                        action: format!("policy {policy}"),
                        probability: None,
                    });
                    break match policy.as_str() {
                        "DROP" => ChainEnd::Drop,
                        _ => ChainEnd::Accept,
                    };
                }
                break ChainEnd::Accept;
            };
            let current: &'a Chain = frame.chain;
            let Some(rule) = current.rules.get(frame.next) else {
                let start = frame.path_start;
                stack.pop();
                path.truncate(start);
                continue;
            };
            frame.next += 1;
            let chain_name = current.name.as_str();
            if w.rules >= w.budget {
                let probability = st.probability;
                Walker::set_aside(&mut w.spent, &st, probability, || {
                    Verdict::Stopped {
                    reason: StopReason::Budget,
                    table: table.name.clone(),
                    chains: vec![chain_name.to_string()],
                    line: rule.line,
                    message: format!(
                        "the walk evaluated {} rules over all its branches (its budget for this input) and stopped \
                         at {} {chain_name} line {}; the branches not finished are counted here",
                        w.budget, table.name, rule.line
                    ),
                }
                });
                continue 'branches;
            }
            w.rules += 1;
            let matched = evaluate(rule, w.packet, w.node, &mut st);
            // A probability that is not a number, or outside (0, 1), does not fork.
            let matched = match matched {
                Match::Fork(p) if p.is_nan() || p <= 0.0 => Match::No,
                Match::Fork(p) if p >= 1.0 => Match::Yes,
                other => other,
            };
            match matched {
                Match::No => continue,
                Match::Fork(p) => {
                    // The branch where the statistic match fails continues after this rule.
                    let other = st.probability * (1.0 - p);
                    if other > 0.0 {
                        if w.forks + 1 < MAX_BRANCHES {
                            w.forks += 1;
                            let mut state = st.clone();
                            state.probability = other;
                            work.push(Branch {
                                state,
                                stack: stack.clone(),
                                path: path.clone(),
                            });
                        } else {
                            Walker::set_aside(&mut w.cut, &st, other, || {
                                Verdict::Stopped {
                                reason: StopReason::Branches,
                                table: table.name.clone(),
                                chains: vec![chain_name.to_string()],
                                line: rule.line,
                                message: format!(
                                    "the walk followed {MAX_BRANCHES} branches; from {} {chain_name} line {} on, \
                                     the share of new connections where a statistic match does not match is not \
                                     followed and is counted here",
                                    table.name, rule.line
                                ),
                            }
                            });
                        }
                    }
                    st.probability *= p;
                    if st.probability <= 0.0 {
                        // A share too small for a float: nothing to follow.
                        continue 'branches;
                    }
                    if let Some(step) = target_step(table, chain_name, rule, Some(p)) {
                        st.steps.push(step);
                    }
                }
                Match::Yes => {
                    if let Some(step) = target_step(table, chain_name, rule, None) {
                        st.steps.push(step);
                    }
                }
            }
            let Some(target) = rule.target.as_ref() else {
                continue;
            };
            let name = target.name.as_str();
            match name {
                "ACCEPT" => break ChainEnd::Accept,
                "DROP" => break ChainEnd::Drop,
                "REJECT" => {
                    let with = rule
                        .target_opt("--reject-with")
                        .map_or_else(|| "icmp-port-unreachable".to_string(), Opt::value);
                    break ChainEnd::Reject(with);
                }
                "RETURN" => {
                    if let Some(frame) = stack.pop() {
                        path.truncate(frame.path_start);
                    }
                    continue;
                }
                "DNAT" => {
                    // Only a valid target of the packet's family rewrites it (`evaluate` lets no other through).
                    let family = Some(Family::of(st.dst));
                    if let Some(to) = rule.target_opt("--to-destination").and_then(|o| {
                        let value = o.value();
                        let to = values::nat_target(&value, family).ok()?;
                        Some((to.addr, to.port))
                    }) {
                        if let Some(ip) = to.0 {
                            st.dst = ip;
                        }
                        if let Some(port) = to.1 {
                            st.dport = port;
                        }
                        st.dnat = true;
                    }
                    break ChainEnd::Nat;
                }
                "REDIRECT" => {
                    if let Some(port) = rule
                        .target_opt("--to-ports")
                        .and_then(|o| values::to_ports(&o.value()).ok())
                    {
                        st.dport = port;
                    }
                    st.dst = if st.dst.is_ipv4() {
                        IpAddr::from([127, 0, 0, 1])
                    } else {
                        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])
                    };
                    st.dnat = true;
                    break ChainEnd::Nat;
                }
                "MASQUERADE" | "SNAT" => break ChainEnd::Nat,
                "MARK" => {
                    apply_mark(rule, &mut st.mark);
                    continue;
                }
                _ => {}
            }
            if let Some(next_chain) = table.chain(name) {
                if let Some(at) = path.iter().position(|c| std::ptr::eq(*c, next_chain)) {
                    break ChainEnd::Stopped(loop_verdict(
                        table,
                        path.get(at..).unwrap_or_default(),
                        next_chain,
                        rule,
                        target.goto,
                    ));
                }
                if path.len() >= MAX_DEPTH {
                    break ChainEnd::Stopped(Verdict::Stopped {
                        reason: StopReason::Depth,
                        table: table.name.clone(),
                        chains: vec![chain_name.to_string(), next_chain.name.clone()],
                        line: rule.line,
                        message: format!(
                            "the packet's path holds {MAX_DEPTH} chains when {} {chain_name} line {} {} {}: the \
                             walk stops there (kube-proxy's chains nest about five deep)",
                            table.name,
                            rule.line,
                            if target.goto { "goes to" } else { "jumps to" },
                            next_chain.name
                        ),
                    });
                }
                match stack.last_mut() {
                    // A goto replaces the current frame's chain; the chain it leaves stays on the path.
                    Some(frame) if target.goto => {
                        frame.chain = next_chain;
                        frame.next = 0;
                    }
                    _ => stack.push(Frame {
                        chain: next_chain,
                        next: 0,
                        path_start: path.len(),
                    }),
                }
                path.push(next_chain);
            } else if name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && name.starts_with("KUBE-")
            {
                st.assumptions.push(format!(
                    "line {}: jump to {name}, which this input does not define; walked on",
                    rule.line
                ));
            }
            // Other targets (LOG, CONNMARK, …) do not end the walk.
        };
        results.push((st, end));
    }
    results
}

/// The verdict of a branch whose jump or goto at `rule` re-enters `again`, on the path at the start of `cycle`.
fn loop_verdict(
    table: &Table,
    cycle: &[&Chain],
    again: &Chain,
    rule: &Rule,
    goto: bool,
) -> Verdict {
    let mut chains: Vec<String> = cycle.iter().map(|c| c.name.clone()).collect();
    chains.push(again.name.clone());
    let from = cycle.last().map_or("", |c| c.name.as_str());
    Verdict::Stopped {
        reason: StopReason::Loop,
        table: table.name.clone(),
        message: format!(
            "{} {from} line {} {} {}, which is already on the packet's path: the chains loop ({}). The kernel refuses \
             to load rules whose chains loop (iptables-restore: \"Too many levels of symbolic links\"), so no node \
             runs these rules as given; the walk stops here",
            table.name,
            rule.line,
            if goto { "goes to" } else { "jumps to" },
            again.name,
            chains.join(" -> ")
        ),
        chains,
        line: rule.line,
    }
}

fn target_step(table: &Table, chain: &str, rule: &Rule, probability: Option<f64>) -> Option<Step> {
    let target = rule.target.as_ref()?;
    let action = match target.name.as_str() {
        "DNAT" => format!(
            "DNAT {}",
            rule.target_opt("--to-destination")
                .map(Opt::value)
                .unwrap_or_default()
        ),
        "MARK" => format!(
            "MARK {}",
            target
                .options
                .iter()
                .map(|o| format!("{} {}", o.name, o.value()))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "REJECT" | "DROP" | "ACCEPT" | "RETURN" | "MASQUERADE" | "SNAT" | "REDIRECT" => {
            target.name.clone()
        }
        other if target.goto => format!("goto {other}"),
        other => format!("jump {other}"),
    };
    Some(Step {
        table: table.name.clone(),
        chain: chain.to_string(),
        line: rule.line,
        action,
        probability,
    })
}

enum Match {
    No,
    Yes,
    /// Matches with this probability (a `statistic` match).
    Fork(f64),
}

/// Whether `ip` is in an `-s`/`-d` value (a prefix, a netmask or a comma list); `None` when the value is not valid
/// for `ip`'s family (iptables would have refused it, so the rule never matches).
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> Option<bool> {
    values::address_contains(cidr, ip).ok()
}

fn parse_u32(text: &str) -> Option<u32> {
    values::number_u32(text)
}

fn value_mask(text: &str) -> Option<(u32, u32)> {
    values::mark(text).ok()
}

fn apply_mark(rule: &Rule, mark: &mut u32) {
    let Some(target) = &rule.target else { return };
    for o in &target.options {
        let v = o.value();
        match o.name.as_str() {
            "--set-xmark" => {
                if let Some((value, mask)) = value_mask(&v) {
                    *mark = (*mark & !mask) ^ value;
                }
            }
            "--set-mark" => {
                if let Some((value, mask)) = value_mask(&v) {
                    *mark = (*mark & !mask) | value;
                }
            }
            "--or-mark" => *mark |= parse_u32(&v).unwrap_or(0),
            "--xor-mark" => *mark ^= parse_u32(&v).unwrap_or(0),
            "--and-mark" => *mark &= parse_u32(&v).unwrap_or(u32::MAX),
            _ => {}
        }
    }
}

/// What kind of value an invalid-value code is about, for the walk's notes.
fn value_kind(code: &str) -> &'static str {
    match code {
        "invalid-address" => "address",
        "invalid-port" => "port",
        "invalid-protocol" => "protocol",
        "invalid-probability" => "probability",
        "invalid-mark" => "mark",
        _ => "target",
    }
}

/// Notes that option `option` of the rule has a value iptables would refuse: the rule never matches.
fn never_matches(
    rule: &Rule,
    option: &str,
    value: &str,
    invalid: &values::Invalid,
    st: &mut State,
) -> Match {
    st.assumptions.push(format!(
        "line {}: {option} {} is not a valid {} ({}); the rule never matches",
        rule.line,
        values::shown(value),
        value_kind(invalid.code),
        invalid.why
    ));
    Match::No
}

/// The packet's protocol number (`tcp` 6, `udp` 17, …).
fn packet_protocol(packet: &Packet) -> Option<u8> {
    values::protocol_number(&packet.protocol)
}

fn evaluate(rule: &Rule, packet: &Packet, node: &NodeContext, st: &mut State) -> Match {
    let mut fork = None;
    for opt in &rule.basic {
        let value = opt.value();
        let hit = match opt.name.as_str() {
            "-s" | "-d" => {
                let ip = if opt.name == "-s" { packet.src } else { st.dst };
                match values::address_contains(&value, ip) {
                    Ok(hit) => Some(hit),
                    Err(invalid) => return never_matches(rule, &opt.name, &value, &invalid, st),
                }
            }
            "-p" => match values::protocol(&value) {
                Ok(0) => Some(true),
                Ok(n) => Some(packet_protocol(packet) == Some(n)),
                Err(invalid) => return never_matches(rule, &opt.name, &value, &invalid, st),
            },
            "-i" | "-o" => {
                // Interfaces are not known from a dump; a pod's packet comes in on its veth or bridge.
                st.assumptions.push(format!(
                    "line {}: interface match {} {value} assumed not to match",
                    rule.line, opt.name
                ));
                Some(false)
            }
            _ => None,
        };
        match hit {
            Some(h) if h != opt.negated => {}
            Some(_) => return Match::No,
            None => {}
        }
    }
    for m in &rule.matches {
        for opt in &m.options {
            let value = opt.value();
            let ports = |list: bool, port: u16| values::ports_contain(&value, list, port);
            let checked = match (m.name.as_str(), opt.name.as_str()) {
                ("comment" | "nfacct", _) => Ok(None),
                ("multiport", "--dports" | "--destination-ports") => {
                    ports(true, st.dport).map(Some)
                }
                ("multiport", "--sports" | "--source-ports") => ports(true, packet.sport).map(Some),
                ("multiport", "--ports") => {
                    ports(true, st.dport).and_then(|d| Ok(Some(d || ports(true, packet.sport)?)))
                }
                (_, "--dport" | "--destination-port") => ports(false, st.dport).map(Some),
                (_, "--sport" | "--source-port") => ports(false, packet.sport).map(Some),
                ("addrtype", "--dst-type") => Ok(Some(
                    value.split(',').any(|t| t == "LOCAL") && node.is_local(st.dst),
                )),
                ("addrtype", "--src-type") => Ok(Some(
                    value.split(',').any(|t| t == "LOCAL") && node.is_local(packet.src),
                )),
                ("addrtype", _) => Ok(None),
                ("mark", "--mark") => {
                    values::mark(&value).map(|(v, mask)| Some(st.mark & mask == v))
                }
                ("conntrack", "--ctstate") => Ok(Some(
                    value
                        .split(',')
                        .any(|s| s == "NEW" || (s == "DNAT" && st.dnat)),
                )),
                ("conntrack", _) => Ok(None),
                ("state", "--state") => Ok(Some(value.split(',').any(|s| s == "NEW"))),
                // A new client has no entry in the `recent` list yet.
                ("recent", "--rcheck" | "--update") => Ok(Some(false)),
                ("recent", _) => Ok(None),
                // One policy with the Service graph: a probability iptables refuses never matches.
                ("statistic", "--probability") => values::probability(&value).map(|p| {
                    fork = Some(p);
                    None
                }),
                ("statistic", "--every") => values::every(&value).map(|n| {
                    fork = Some(1.0 / f64::from(n));
                    None
                }),
                ("statistic", _) | ("tcp" | "udp" | "sctp" | "multiport", _) => Ok(None),
                ("physdev", _) => Ok(Some(false)),
                (module, option) => {
                    st.assumptions.push(format!(
                        "line {}: -m {module} {option} is not simulated; assumed to match",
                        rule.line
                    ));
                    Ok(None)
                }
            };
            let hit = match checked {
                Ok(hit) => hit,
                Err(invalid) => return never_matches(rule, &opt.name, &value, &invalid, st),
            };
            match hit {
                Some(h) if h != opt.negated => {}
                Some(_) => return Match::No,
                None => {}
            }
        }
    }
    // A target whose values iptables refuses was never loaded: the rule never matches (and never rewrites the
    // packet to an address the input does not give).
    if let Some(target) = &rule.target {
        let family = Some(Family::of(st.dst));
        for opt in &target.options {
            let value = opt.value();
            let checked = match (target.name.as_str(), opt.name.as_str()) {
                ("DNAT", "--to-destination") | ("SNAT", "--to-source") => {
                    values::nat_target(&value, family).map(drop)
                }
                ("REDIRECT" | "MASQUERADE", "--to-ports") => values::to_ports(&value).map(drop),
                ("MARK", "--set-xmark" | "--set-mark") => values::mark(&value).map(drop),
                ("MARK", "--and-mark" | "--or-mark" | "--xor-mark") => {
                    values::mark_value(&value).map(drop)
                }
                _ => Ok(()),
            };
            if let Err(invalid) = checked {
                return never_matches(rule, &opt.name, &value, &invalid, st);
            }
        }
    }
    match fork {
        Some(p) if p >= 1.0 => Match::Yes,
        Some(p) if p <= 0.0 => Match::No,
        Some(p) => Match::Fork(p),
        None => Match::Yes,
    }
}
