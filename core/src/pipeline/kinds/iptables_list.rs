//! `iptables -L` listings (`-n`, `-v`, any table): one node's rules and Service ports, like a dump's.

use crate::model::services;
use crate::pipeline::intake::{Input, Intake, Node, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::{iptables, iptables_list, Kind};

pub(crate) const KIND: InputKind = InputKind {
    kind: Kind::IptablesList,
    binary: false,
    detect,
    read,
};

fn detect(probe: &Probe<'_>) -> bool {
    iptables_list::looks_like(probe.bytes)
}

fn read<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    let parsed = iptables_list::parse(input.bytes);
    reading.diagnostics.extend(parsed.diagnostics);
    let (found, graph_diagnostics) = services::build(input.name, &parsed.value);
    reading.diagnostics.extend(graph_diagnostics);
    let counts = &mut reading.counts;
    counts.tables = parsed.value.tables.len();
    counts.chains = parsed.value.chain_count();
    counts.rules = parsed.value.rule_count();
    counts.services = found.len();
    counts.endpoints = found.iter().map(|s| s.endpoints.len()).sum();
    intake.nodes.push(Node {
        name: input.name,
        rules: iptables::RulesetView::from_ruleset(&parsed.value),
        services: found,
    });
}
