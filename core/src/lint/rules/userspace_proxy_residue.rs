//! `userspace-proxy-residue`: chains of the old userspace proxy are present.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct UserspaceProxyResidue;

static DOC: RuleDoc = RuleDoc {
    code: "userspace-proxy-residue",
    severity: Severity::Warning,
    title: "Chains of the old userspace proxy are present",
    what: "Finds `KUBE-PORTALS-CONTAINER`, `KUBE-PORTALS-HOST`, `KUBE-NODEPORT-CONTAINER` and `KUBE-NODEPORT-HOST`, written by kube-proxy's userspace mode (removed in 1.26).",
    why: "In userspace mode every connection is REDIRECTed to kube-proxy itself, which copies the bytes: slow, and a kube-proxy restart cuts every connection. Left over after a switch to iptables mode, these chains still catch Service traffic first if PREROUTING/OUTPUT jump to them.",
    example: "-A KUBE-PORTALS-CONTAINER -d 10.0.0.184/32 -p tcp -m comment --comment \"default/my-nginx:\" -m tcp --dport 8080 -j REDIRECT --to-ports 39551",
    fix: "Run kube-proxy in iptables, IPVS or nftables mode and remove the userspace chains (`kube-proxy --cleanup`, or flush and delete the KUBE-PORTALS-* and KUBE-NODEPORT-* chains).",
};

const CHAINS: [&str; 4] = [
    "KUBE-PORTALS-CONTAINER",
    "KUBE-PORTALS-HOST",
    "KUBE-NODEPORT-CONTAINER",
    "KUBE-NODEPORT-HOST",
];

impl Rule for UserspaceProxyResidue {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let found: Vec<(&str, u32, usize)> = node
                .ruleset
                .tables()
                .flat_map(|t| t.chains())
                .filter(|(_, c)| !c.deleted() && CHAINS.contains(&c.name()))
                .map(|(_, c)| (c.name(), c.first_line(), c.rule_count()))
                .collect();
            if found.is_empty() {
                continue;
            }
            let names: Vec<String> = found
                .iter()
                .map(|(n, _, rules)| format!("{n} ({rules} rules)"))
                .collect();
            out.push(
                DOC.finding(
                    format!(
                        "{} has userspace-proxy chains: {}",
                        node.source,
                        names.join(", ")
                    ),
                    found
                        .iter()
                        .map(|(_, line, _)| at(node.source, *line))
                        .collect(),
                ),
            );
        }
    }
}
