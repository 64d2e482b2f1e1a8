//! The walk's working state: one branch's packet fields, steps and assumptions, the budgets one walk shares across
//! its branches, and how a chain (or table) ended for a branch.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::{NodeContext, Outcome, Packet, Step, Verdict, MAX_ASSUMPTIONS, STEPS_HEAD, STEPS_TAIL};

/// The steps of one branch: the first [`STEPS_HEAD`], then the last [`STEPS_TAIL`].
#[derive(Debug, Clone, Default)]
pub(super) struct Steps {
    head: Vec<Step>,
    tail: VecDeque<Step>,
    elided: usize,
}

impl Steps {
    pub(super) fn push(&mut self, step: Step) {
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

    pub(super) fn last(&self) -> Option<&Step> {
        self.tail.back().or_else(|| self.head.last())
    }

    pub(super) fn into_parts(self) -> (Vec<Step>, usize) {
        let mut steps = self.head;
        steps.extend(self.tail);
        (steps, self.elided)
    }
}

/// The assumptions of one branch, each once, at most [`MAX_ASSUMPTIONS`].
#[derive(Debug, Clone, Default)]
pub(super) struct Assumptions {
    list: Vec<String>,
    more: usize,
}

impl Assumptions {
    pub(super) fn push(&mut self, text: String) {
        if self.list.contains(&text) {
            return;
        }
        if self.list.len() >= MAX_ASSUMPTIONS.saturating_sub(1) {
            self.more += 1;
            return;
        }
        self.list.push(text);
    }

    pub(super) fn into_vec(self) -> Vec<String> {
        let mut list = self.list;
        if self.more > 0 {
            list.push(format!("{} more assumptions not listed", self.more));
        }
        list
    }
}

#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) dst: IpAddr,
    pub(super) dport: u16,
    pub(super) mark: u32,
    pub(super) dnat: bool,
    pub(super) probability: f64,
    pub(super) steps: Steps,
    pub(super) assumptions: Assumptions,
}

pub(super) enum ChainEnd {
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
pub(super) struct Pool {
    pub(super) probability: f64,
    /// The first branch set aside, as it was, and where.
    pub(super) first: State,
    pub(super) verdict: Verdict,
}

/// What one walk shares across its branches and tables: the budgets and the branches set aside.
pub(super) struct Walker<'w> {
    pub(super) packet: &'w Packet,
    pub(super) node: &'w NodeContext,
    /// Rules evaluated so far.
    pub(super) rules: usize,
    /// Rules it may evaluate.
    pub(super) budget: usize,
    /// Branches made by forks so far.
    pub(super) forks: usize,
    /// Branches stopped when the rule budget ran out.
    pub(super) spent: Option<Pool>,
    /// The shares of forks not followed past the branch limit.
    pub(super) cut: Option<Pool>,
}

impl Walker<'_> {
    pub(super) fn set_aside(
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

pub(super) fn empty_state() -> State {
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

pub(super) fn finish(state: State, verdict: Verdict, masquerade: bool) -> Outcome {
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
