//! The walk through one table: its base chain (or the chains kube-proxy hooks there), every jump, goto, return and
//! fork, and what each target does to the packet.

use std::net::IpAddr;

use super::matches::{apply_mark, evaluate, Match};
use super::state::{ChainEnd, State, Walker};
use super::{Action, StopReason, TableName, Verdict, MAX_BRANCHES, MAX_DEPTH};
use crate::source::iptables::values::{self, Family};
use crate::source::iptables::{ChainView, RuleView, RulesetView, TableView};

/// Entry chains kube-proxy hooks into each base chain, used when a dump has no base-chain rules
/// (kube-proxy's restore input and partial pastes omit them).
fn implied_entry(table: TableName, chain: &str) -> &'static [&'static str] {
    match (table, chain) {
        (TableName::Nat, "PREROUTING" | "OUTPUT") => &["KUBE-SERVICES"],
        (TableName::Nat, "POSTROUTING") => &["KUBE-POSTROUTING"],
        (TableName::Filter, "INPUT") => &[
            "KUBE-PROXY-FIREWALL",
            "KUBE-NODEPORTS",
            "KUBE-EXTERNAL-SERVICES",
            "KUBE-FIREWALL",
        ],
        (TableName::Filter, "FORWARD") => &[
            "KUBE-PROXY-FIREWALL",
            "KUBE-FORWARD",
            "KUBE-SERVICES",
            "KUBE-EXTERNAL-SERVICES",
        ],
        (TableName::Filter, "OUTPUT") => &["KUBE-PROXY-FIREWALL", "KUBE-SERVICES", "KUBE-FIREWALL"],
        _ => &[],
    }
}

/// The table a walk is in: the parser's view of it and its name.
#[derive(Clone, Copy)]
struct Walked<'a> {
    table: TableView<'a>,
    name: TableName,
}

/// Runs one table's base chain for every branch; returns each branch's state and how the table ended.
pub(super) fn run_table(
    w: &mut Walker<'_>,
    rules: &RulesetView<'_>,
    name: TableName,
    base: &str,
    state: State,
) -> Vec<(State, ChainEnd)> {
    let Some(table) = rules.table(name.as_str()) else {
        return vec![(state, ChainEnd::Accept)];
    };
    let walked = Walked { table, name };
    let has_base_rules = table.chain(base).is_some_and(|c| c.rule_count() > 0);
    if has_base_rules {
        return run_chain(w, walked, base, state, true);
    }
    // No rules in the base chain: walk the chains kube-proxy would have hooked there, in its order.
    let entries: Vec<&str> = implied_entry(name, base)
        .iter()
        .copied()
        .filter(|c| table.chain(c).is_some())
        .collect();
    let mut branches = vec![(state, ChainEnd::Accept)];
    for entry in entries {
        let mut next = Vec::new();
        for (mut s, end) in branches {
            if !matches!(end, ChainEnd::Accept)
                || s.steps.last().is_some_and(|st| st.action == Action::Accept)
            {
                next.push((s, end));
                continue;
            }
            s.assumptions.push(format!(
                "{name} {base} has no rules in this input; walked {entry} as kube-proxy's jump from {base} would"
            ));
            // A user chain that returns hands the packet back to the (empty) base chain.
            next.extend(run_chain(w, walked, entry, s, false));
        }
        branches = next;
    }
    branches
}

/// One chain being walked: the chain (replaced by a goto), the next rule, and where its chains start on the path.
#[derive(Clone, Copy)]
struct Frame<'a> {
    chain: ChainView<'a>,
    next: usize,
    /// The length of the path when this frame was pushed: its chain and the chains it went to start there.
    path_start: usize,
}

/// One branch in progress: its state, its frames, and every chain on its path (the frames' chains and, per
/// frame, the chains a goto left), each by its position in the table.
struct Branch<'a> {
    state: State,
    stack: Vec<Frame<'a>>,
    path: Vec<usize>,
}

/// How the entry chain ends when the packet returns from it: a built-in chain's policy, else back to the caller.
struct Entry<'a> {
    /// The chain's name.
    name: &'a str,
    /// The policy of a built-in chain (or of the base chain a user chain was entered from): `None` for a user
    /// chain entered in place of an empty base chain.
    policy: Option<&'a str>,
}

/// Walks from `start_chain` (the table's base chain when `base`, else a user chain entered from an empty base
/// chain); a fork (statistic) clones the branch. Returns each branch's end, except the branches set aside in the
/// walker's pools.
fn run_chain(
    w: &mut Walker<'_>,
    walked: Walked<'_>,
    start_chain: &str,
    state: State,
    base: bool,
) -> Vec<(State, ChainEnd)> {
    let Some((position, chain)) = walked
        .table
        .position(start_chain)
        .and_then(|p| Some((p, walked.table.chain_at(p)?)))
    else {
        return vec![(state, ChainEnd::Accept)];
    };
    let builtin = chain.policy().is_some() || base;
    let entry = Entry {
        name: start_chain,
        policy: builtin.then(|| chain.policy().unwrap_or("ACCEPT")),
    };
    let mut results = Vec::new();
    let mut work = vec![Branch {
        state,
        stack: vec![Frame {
            chain,
            next: 0,
            path_start: 0,
        }],
        path: vec![position],
    }];
    while let Some(branch) = work.pop() {
        if let Some(end) = run_branch(w, walked, &entry, branch, &mut work) {
            results.push(end);
        }
    }
    results
}

/// What a rule's target did to the walk of a branch.
enum Flow {
    /// Go on with the next rule (of the chain jumped or gone to, or the one returned to).
    Next,
    /// The chain (or the table) ends for the branch.
    End(ChainEnd),
}

/// Walks one branch until its chains end; a fork pushes the other branch onto `work`. `None` when the branch was
/// set aside in the walker's pools (the rule budget ran out, or a share too small to follow).
fn run_branch<'a>(
    w: &mut Walker<'_>,
    walked: Walked<'a>,
    entry: &Entry<'_>,
    branch: Branch<'a>,
    work: &mut Vec<Branch<'a>>,
) -> Option<(State, ChainEnd)> {
    let Branch {
        state: mut st,
        mut stack,
        mut path,
    } = branch;
    let table = walked.name;
    let end = loop {
        let Some(frame) = stack.last_mut() else {
            // Returned from the entry chain.
            let Some(policy) = entry.policy else {
                break ChainEnd::Accept;
            };
            st.steps.push(super::Step {
                table,
                chain: entry.name.to_string(),
                line: 0,
                action: Action::Policy {
                    policy: policy.to_string(),
                },
                probability: None,
            });
            break match policy {
                "DROP" => ChainEnd::Drop,
                _ => ChainEnd::Accept,
            };
        };
        let current = frame.chain;
        let Some(rule) = current.rule(frame.next) else {
            let start = frame.path_start;
            stack.pop();
            path.truncate(start);
            continue;
        };
        frame.next += 1;
        let chain_name = current.name();
        if w.rules >= w.budget {
            let probability = st.probability;
            let budget = w.budget;
            Walker::set_aside(&mut w.spent, &st, probability, || {
                Verdict::Stopped {
                reason: StopReason::Budget,
                table,
                chains: vec![chain_name.to_string()],
                line: rule.line(),
                message: format!(
                    "the walk evaluated {budget} rules over all its branches (its budget for this input) and stopped \
                     at {table} {chain_name} line {}; the branches not finished are counted here",
                    rule.line()
                ),
            }
            });
            return None;
        }
        w.rules += 1;
        let matched = evaluate(&rule, w.packet, w.node, &mut st);
        // A probability that is not a number, or outside (0, 1), does not fork.
        let probability = match matched {
            Match::No => continue,
            Match::Fork(p) if p.is_nan() || p <= 0.0 => continue,
            Match::Fork(p) if p >= 1.0 => None,
            Match::Fork(p) => Some(p),
            Match::Yes => None,
        };
        if let Some(p) = probability {
            fork(w, table, (chain_name, &rule), p, &st, (&stack, &path), work);
            st.probability *= p;
            if st.probability <= 0.0 {
                // A share too small for a float: nothing to follow.
                return None;
            }
        }
        if let Some(step) = target_step(table, chain_name, &rule, probability) {
            st.steps.push(step);
        }
        match follow_target(walked, chain_name, &rule, &mut st, &mut stack, &mut path) {
            Flow::Next => continue,
            Flow::End(end) => break end,
        }
    };
    Some((st, end))
}

/// A `statistic` match at `rule` of chain `at.0` that matches with probability `p`: the branch where it does not
/// match continues after the rule, unless the walk already follows [`MAX_BRANCHES`] branches (then its share is set
/// aside in the walker's branch pool).
fn fork<'a>(
    w: &mut Walker<'_>,
    table: TableName,
    at: (&str, &RuleView<'_>),
    p: f64,
    st: &State,
    (stack, path): (&[Frame<'a>], &[usize]),
    work: &mut Vec<Branch<'a>>,
) {
    let (chain_name, rule) = at;
    let other = st.probability * (1.0 - p);
    if other <= 0.0 {
        return;
    }
    if w.forks + 1 < MAX_BRANCHES {
        w.forks += 1;
        let mut state = st.clone();
        state.probability = other;
        work.push(Branch {
            state,
            stack: stack.to_vec(),
            path: path.to_vec(),
        });
    } else {
        Walker::set_aside(&mut w.cut, st, other, || {
            Verdict::Stopped {
            reason: StopReason::Branches,
            table,
            chains: vec![chain_name.to_string()],
            line: rule.line(),
            message: format!(
                "the walk followed {MAX_BRANCHES} branches; from {table} {chain_name} line {} on, the share of new \
                 connections where a statistic match does not match is not followed and is counted here",
                rule.line()
            ),
        }
        });
    }
}

/// Does what the matched rule's target does: ends the chain or the table, rewrites the packet, or jumps, goes or
/// returns.
fn follow_target<'a>(
    walked: Walked<'a>,
    chain_name: &str,
    rule: &RuleView<'_>,
    st: &mut State,
    stack: &mut Vec<Frame<'a>>,
    path: &mut Vec<usize>,
) -> Flow {
    let Some(name) = rule.target_name() else {
        return Flow::Next;
    };
    match name {
        "ACCEPT" => return Flow::End(ChainEnd::Accept),
        "DROP" => return Flow::End(ChainEnd::Drop),
        "REJECT" => {
            let with = rule.target_opt("--reject-with").map_or_else(
                || "icmp-port-unreachable".to_string(),
                |o| o.value().into_owned(),
            );
            return Flow::End(ChainEnd::Reject(with));
        }
        "RETURN" => {
            if let Some(frame) = stack.pop() {
                path.truncate(frame.path_start);
            }
            return Flow::Next;
        }
        "DNAT" => {
            // Only a valid target of the packet's family rewrites it (`evaluate` lets no other through).
            let family = Some(Family::of(st.dst));
            if let Some((addr, port)) = rule.target_opt("--to-destination").and_then(|o| {
                let value = o.value();
                let to = values::nat_target(&value, family).ok()?;
                Some((to.addr, to.port))
            }) {
                if let Some(ip) = addr {
                    st.dst = ip;
                }
                if let Some(port) = port {
                    st.dport = port;
                }
                st.dnat = true;
            }
            return Flow::End(ChainEnd::Nat);
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
            return Flow::End(ChainEnd::Nat);
        }
        "MASQUERADE" | "SNAT" => return Flow::End(ChainEnd::Nat),
        "MARK" => {
            apply_mark(rule, &mut st.mark);
            return Flow::Next;
        }
        _ => {}
    }
    if let Some(position) = walked.table.position(name) {
        enter(walked, chain_name, rule, position, stack, path)
    } else {
        if name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && name.starts_with("KUBE-")
        {
            st.assumptions.push(format!(
                "line {}: jump to {name}, which this input does not define; walked on",
                rule.line()
            ));
        }
        // Other targets (LOG, CONNMARK, …) do not end the walk.
        Flow::Next
    }
}

/// A jump or goto at `rule` of `chain_name` into the chain at `position`: a new frame (a goto replaces the current
/// one), unless the chain is already on the packet's path (a loop) or the path is too deep.
fn enter<'a>(
    walked: Walked<'a>,
    chain_name: &str,
    rule: &RuleView<'_>,
    position: usize,
    stack: &mut Vec<Frame<'a>>,
    path: &mut Vec<usize>,
) -> Flow {
    let Some(next_chain) = walked.table.chain_at(position) else {
        return Flow::Next;
    };
    let goto = rule.goto();
    if let Some(at) = path.iter().position(|c| *c == position) {
        return Flow::End(ChainEnd::Stopped(loop_verdict(
            walked,
            path.get(at..).unwrap_or_default(),
            next_chain.name(),
            rule,
        )));
    }
    if path.len() >= super::MAX_DEPTH {
        let table = walked.name;
        return Flow::End(ChainEnd::Stopped(Verdict::Stopped {
            reason: StopReason::Depth,
            table,
            chains: vec![chain_name.to_string(), next_chain.name().to_string()],
            line: rule.line(),
            message: format!(
                "the packet's path holds {MAX_DEPTH} chains when {table} {chain_name} line {} {} {}: the walk stops \
                 there (kube-proxy's chains nest about five deep)",
                rule.line(),
                if goto { "goes to" } else { "jumps to" },
                next_chain.name()
            ),
        }));
    }
    match stack.last_mut() {
        // A goto replaces the current frame's chain; the chain it leaves stays on the path.
        Some(frame) if goto => {
            frame.chain = next_chain;
            frame.next = 0;
        }
        _ => stack.push(Frame {
            chain: next_chain,
            next: 0,
            path_start: path.len(),
        }),
    }
    path.push(position);
    Flow::Next
}

/// The verdict of a branch whose jump or goto at `rule` re-enters `again`, on the path at the start of `cycle`
/// (chain positions in the table).
fn loop_verdict(walked: Walked<'_>, cycle: &[usize], again: &str, rule: &RuleView<'_>) -> Verdict {
    let name_at = |p: &usize| {
        walked
            .table
            .chain_at(*p)
            .map_or_else(String::new, |c| c.name().to_string())
    };
    let mut chains: Vec<String> = cycle.iter().map(name_at).collect();
    let from = chains.last().cloned().unwrap_or_default();
    chains.push(again.to_string());
    let table = walked.name;
    Verdict::Stopped {
        reason: StopReason::Loop,
        table,
        message: format!(
            "{table} {from} line {} {} {again}, which is already on the packet's path: the chains loop ({}). The \
             kernel refuses to load rules whose chains loop (iptables-restore: \"Too many levels of symbolic \
             links\"), so no node runs these rules as given; the walk stops here",
            rule.line(),
            if rule.goto() { "goes to" } else { "jumps to" },
            chains.join(" -> ")
        ),
        chains,
        line: rule.line(),
    }
}

/// The step a matched rule adds to the branch's path: what its target does.
fn target_step(
    table: TableName,
    chain: &str,
    rule: &RuleView<'_>,
    probability: Option<f64>,
) -> Option<super::Step> {
    let target = rule.target_name()?;
    let action = match target {
        "DNAT" => Action::Dnat {
            to: rule
                .target_opt("--to-destination")
                .map(|o| o.value().into_owned())
                .unwrap_or_default(),
        },
        "MARK" => Action::Mark {
            options: rule
                .target_opts()
                .map(|o| format!("{} {}", o.name(), o.value()))
                .collect::<Vec<_>>()
                .join(" "),
        },
        "REJECT" => Action::Reject,
        "DROP" => Action::Drop,
        "ACCEPT" => Action::Accept,
        "RETURN" => Action::Return,
        "MASQUERADE" => Action::Masquerade,
        "SNAT" => Action::Snat,
        "REDIRECT" => Action::Redirect,
        other if rule.goto() => Action::Goto {
            chain: other.to_string(),
        },
        other => Action::Jump {
            chain: other.to_string(),
        },
    };
    Some(super::Step {
        table,
        chain: chain.to_string(),
        line: rule.line(),
        action,
        probability,
    })
}
