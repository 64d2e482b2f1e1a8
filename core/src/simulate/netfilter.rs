//! A packet's walk through a node's netfilter rules, as the kernel does it for the first packet of a new
//! connection: nat (where kube-proxy DNATs), then filter (where it REJECTs and DROPs), then nat POSTROUTING (where
//! marked packets are masqueraded). `statistic` matches fork the walk, so the result is every outcome with its
//! probability and the ordered rules that led there.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::source::iptables::values::{self, Family};
use crate::source::iptables::{Opt, Rule, Ruleset, Table};

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

/// How the walk ended.
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
    /// The rules that decided it, in order.
    pub steps: Vec<Step>,
    /// Things the walk had to assume (unknown matches, missing base-chain jumps).
    pub assumptions: Vec<String>,
}

/// Limits that keep a walk bounded on any input.
const MAX_DEPTH: usize = 64;
const MAX_BRANCHES: usize = 512;
const MAX_RULES_PER_BRANCH: usize = 1_000_000;

#[derive(Debug, Clone)]
struct State {
    dst: IpAddr,
    dport: u16,
    mark: u32,
    dnat: bool,
    probability: f64,
    steps: Vec<Step>,
    assumptions: Vec<String>,
    visited: usize,
}

enum ChainEnd {
    /// Fell off the end of a built-in chain, or an ACCEPT: the table is done with the packet.
    Accept,
    Drop,
    Reject(String),
    /// DNAT, SNAT, MASQUERADE, REDIRECT: terminal in nat.
    Nat,
}

/// Walks `packet` through `ruleset` and returns every outcome, most likely first.
pub fn walk(ruleset: &Ruleset, packet: &Packet, node: &NodeContext) -> Vec<Outcome> {
    let start = State {
        dst: packet.dst,
        dport: packet.dport,
        mark: 0,
        dnat: false,
        probability: 1.0,
        steps: Vec::new(),
        assumptions: Vec::new(),
        visited: 0,
    };
    let nat_chain = match packet.hook {
        Hook::Prerouting => "PREROUTING",
        Hook::Output => "OUTPUT",
    };
    let mut outcomes = Vec::new();
    for (state, end) in run_table(ruleset, "nat", nat_chain, packet, node, start) {
        let mut state = state;
        let verdict = match end {
            ChainEnd::Drop => Some(Verdict::Drop),
            ChainEnd::Reject(with) => Some(Verdict::Reject { with }),
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
        for (after_filter, end) in run_table(ruleset, "filter", filter_chain, packet, node, start) {
            match end {
                ChainEnd::Drop => outcomes.push(finish(after_filter, Verdict::Drop, false)),
                ChainEnd::Reject(with) => {
                    outcomes.push(finish(after_filter, Verdict::Reject { with }, false))
                }
                ChainEnd::Accept | ChainEnd::Nat => {
                    if filter_chain == "INPUT" {
                        outcomes.push(finish(after_filter, Verdict::Accept, false));
                        continue;
                    }
                    for (out, end) in
                        run_table(ruleset, "nat", "POSTROUTING", packet, node, after_filter)
                    {
                        let masquerade = matches!(end, ChainEnd::Nat)
                            && out.steps.last().is_some_and(|s| {
                                s.action.starts_with("MASQUERADE") || s.action.starts_with("SNAT")
                            });
                        // The node's own packet to one of its addresses loops back into INPUT.
                        if packet.hook == Hook::Output && node.is_local(out.dst) {
                            for (input, end) in
                                run_table(ruleset, "filter", "INPUT", packet, node, out)
                            {
                                let verdict = match end {
                                    ChainEnd::Drop => Verdict::Drop,
                                    ChainEnd::Reject(with) => Verdict::Reject { with },
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
        steps: Vec::new(),
        assumptions: Vec::new(),
        visited: 0,
    }
}

fn finish(mut state: State, verdict: Verdict, masquerade: bool) -> Outcome {
    let mut seen = std::collections::BTreeSet::new();
    state.assumptions.retain(|a| seen.insert(a.clone()));
    Outcome {
        probability: (state.probability * 1e9).round() / 1e9,
        verdict,
        destination: state.dst,
        destination_port: state.dport,
        dnat: state.dnat,
        masquerade,
        steps: state.steps,
        assumptions: state.assumptions,
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
    ruleset: &Ruleset,
    table_name: &str,
    base: &str,
    packet: &Packet,
    node: &NodeContext,
    state: State,
) -> Vec<(State, ChainEnd)> {
    let Some(table) = ruleset.table(table_name) else {
        return vec![(state, ChainEnd::Accept)];
    };
    let has_base_rules = table.chain(base).is_some_and(|c| !c.rules.is_empty());
    if has_base_rules {
        return run_chain(table, base, packet, node, state, 0);
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
            for (s2, end2) in run_chain(table, entry, packet, node, s, 1) {
                // A user chain that returns hands the packet back to the (empty) base chain.
                next.push((s2, end2));
            }
        }
        branches = next;
        if branches.len() > MAX_BRANCHES {
            break;
        }
    }
    branches
}

struct Frame<'a> {
    chain: &'a str,
    rules: &'a [Rule],
    next: usize,
}

/// Walks from `start_chain`; a fork (statistic) clones the state. Returns each branch's end.
fn run_chain<'a>(
    table: &'a Table,
    start_chain: &'a str,
    packet: &Packet,
    node: &NodeContext,
    state: State,
    depth0: usize,
) -> Vec<(State, ChainEnd)> {
    let mut results = Vec::new();
    let Some(chain) = table.chain(start_chain) else {
        return vec![(state, ChainEnd::Accept)];
    };
    let builtin = chain.policy.is_some() || depth0 == 0;
    let policy = chain.policy.clone().unwrap_or_else(|| "ACCEPT".to_string());
    let mut work: Vec<(State, Vec<Frame<'a>>)> = vec![(
        state,
        vec![Frame {
            chain: start_chain,
            rules: &chain.rules,
            next: 0,
        }],
    )];
    while let Some((mut st, mut stack)) = work.pop() {
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
            let Some(rule) = frame.rules.get(frame.next) else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let chain_name = frame.chain;
            st.visited += 1;
            if st.visited > MAX_RULES_PER_BRANCH {
                st.assumptions
                    .push("the walk visited too many rules and stopped (a loop?)".to_string());
                break ChainEnd::Accept;
            }
            match evaluate(rule, packet, node, &mut st) {
                Match::No => continue,
                Match::Fork(p) => {
                    // The branch where the statistic match fails continues after this rule.
                    if results.len() + work.len() < MAX_BRANCHES {
                        let mut other = st.clone();
                        other.probability *= 1.0 - p;
                        let other_stack: Vec<Frame<'a>> = stack
                            .iter()
                            .map(|f| Frame {
                                chain: f.chain,
                                rules: f.rules,
                                next: f.next,
                            })
                            .collect();
                        if other.probability > 0.0 {
                            work.push((other, other_stack));
                        }
                    } else {
                        st.assumptions
                            .push("too many branches; some were not followed".to_string());
                    }
                    st.probability *= p;
                    if st.probability <= 0.0 {
                        break ChainEnd::Drop;
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
                    stack.pop();
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
                if stack.len() >= MAX_DEPTH {
                    st.assumptions.push(format!(
                        "chains nest deeper than {MAX_DEPTH}; stopped at {name}"
                    ));
                    break ChainEnd::Accept;
                }
                if target.goto {
                    stack.pop();
                }
                stack.push(Frame {
                    chain: &next_chain.name,
                    rules: &next_chain.rules,
                    next: 0,
                });
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
        if results.len() >= MAX_BRANCHES {
            break;
        }
    }
    results
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
