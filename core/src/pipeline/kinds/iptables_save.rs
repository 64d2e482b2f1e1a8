//! `iptables-save` dumps (and kube-proxy's restore input, and pasted rules): one node's rules and Service ports.

use crate::model::services;
use crate::pipeline::intake::{Input, Intake, Node, Reading};
use crate::pipeline::registry::{InputKind, Probe};
use crate::source::{iptables, Kind};

pub(crate) const KIND: InputKind = InputKind {
    kind: Kind::IptablesSave,
    binary: false,
    detect,
    read,
};

/// Rules or counters anywhere in the first lines; other `iptables-save` lines (table headers, chain
/// declarations, `COMMIT`) count only when the text is not tcpdump output, whose paste may end with a dump's first
/// lines.
fn detect(probe: &Probe<'_>) -> bool {
    let lines = probe.iptables();
    lines.rules > 0 || (lines.lines > 0 && !probe.tcpdump())
}

fn read<'a>(input: &Input<'a>, intake: &mut Intake<'a>, reading: &mut Reading) {
    // The graph is built from the parser's view of the input, which borrows its text.
    let parsed = iptables::parse_view(input.bytes);
    reading.diagnostics.extend(parsed.diagnostics);
    let (found, graph_diagnostics) = services::build_view(input.name, &parsed.value);
    reading.diagnostics.extend(graph_diagnostics);
    let counts = &mut reading.counts;
    counts.lines = parsed.value.line_count();
    counts.tables = parsed.value.table_count();
    counts.chains = parsed.value.chain_count();
    counts.rules = parsed.value.rule_count();
    counts.services = found.len();
    counts.endpoints = found.iter().map(|s| s.endpoints.len()).sum();
    reading.generated_by = parsed.value.generated_by().map(str::to_string);
    intake.nodes.push(Node {
        name: input.name,
        rules: parsed.value,
        services: found,
    });
}
