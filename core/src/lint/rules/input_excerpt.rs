//! `input-excerpt`: a node's rules given only in part, so that nothing can be proved absent from them.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::source::iptables::{Excerpt, TableView};

pub struct InputExcerpt;

static DOC: RuleDoc = RuleDoc {
    code: "input-excerpt",
    severity: Severity::Info,
    title: "Only part of a node's rules: what it does not show is not judged missing",
    what: "Says which tables of a node's rules are excerpts: rules without their `*table` header (copied or filtered out of a dump, as `iptables-save | grep` prints them), a `*table` section without its `COMMIT` (a dump cut short), or an `iptables -L` listing without all of the table's built-in chains (`iptables -L CHAIN`, a few chains pasted). The checks that prove an absence (`dangling-jump`, `orphan-chain`, `masquerade-missing`) skip such a table.",
    why: "A chain, a jump or a masquerade rule that an excerpt leaves out is not missing from the node. Judging it missing would send the reader after a fault the node does not have; the rules the excerpt does show are still read, mapped and checked.",
    example: "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU   (no *nat line: `iptables-save | grep kube-dns`)",
    fix: "Ask for the whole table from the node: `iptables-save` (and `ip6tables-save`) unfiltered, or `iptables -t nat -L -n -v` without a chain name, written to a file rather than copied from the terminal.",
};

/// What an excerpt lacks, in words.
fn lacks(table: &TableView<'_>, excerpt: Excerpt) -> String {
    let name = table.name();
    match excerpt {
        Excerpt::NoHeader => format!("{name} table rules without their *{name} header"),
        Excerpt::NoCommit => format!("the {name} table cut short before its COMMIT"),
        Excerpt::SomeChains => format!("some chains of the {name} table, not its built-in chains"),
    }
}

impl Rule for InputExcerpt {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let mut parts = Vec::new();
            let mut evidence = Vec::new();
            for table in node.ruleset.tables() {
                let Some(excerpt) = table.excerpt() else {
                    continue;
                };
                parts.push(lacks(&table, excerpt));
                let first = table
                    .line()
                    .or_else(|| table.chains().map(|(_, c)| c.first_line()).min());
                if let Some(line) = first {
                    evidence.push(at(node.source, line));
                }
            }
            if parts.is_empty() {
                continue;
            }
            out.push(DOC.finding(
                format!(
                    "{} holds {}: chains, jumps and masquerading it does not show are not judged missing; for the whole table, collect `iptables-save` on the node",
                    node.source,
                    parts.join(", ")
                ),
                evidence,
            ));
        }
    }
}
