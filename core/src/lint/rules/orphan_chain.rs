//! `orphan-chain`: a kube-proxy service or endpoint chain nothing jumps to.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::complete;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::model::hash::HASHED_CHAIN_PREFIXES;

pub struct OrphanChain;

static DOC: RuleDoc = RuleDoc {
    code: "orphan-chain",
    severity: Severity::Warning,
    title: "Service or endpoint chain that nothing jumps to",
    what: "Finds `KUBE-SVC-`, `KUBE-SVL-`, `KUBE-EXT-`, `KUBE-FW-`, `KUBE-XLB-` and `KUBE-SEP-` chains that no rule of their table jumps to.",
    why: "kube-proxy deletes the chains of removed Services and endpoints on its next full sync. Left-over chains mean kube-proxy failed to sync (errors in its log), was replaced by another proxy, or the rules were edited by hand; the rest of the node's rules may be just as stale.",
    example: ":KUBE-SEP-UHEGFW77JX3KXTOV - [0:0]\n-A KUBE-SEP-UHEGFW77JX3KXTOV -p tcp -m tcp -j DNAT --to-destination 10.0.2.1:8080   (no rule jumps to it)",
    fix: "Look at kube-proxy's log on the node for sync errors and restart it; if kube-proxy no longer runs (another proxy took over), flush its chains (`kube-proxy --cleanup`).",
};

impl Rule for OrphanChain {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            for t in node.jumps().iter().filter(|t| complete(&t.table)) {
                let table = &t.table;
                // Which chains some rule of another chain jumps to, by position (a chain that only jumps to
                // itself is still not reached; `chain-loop` reports its loop).
                let mut jumped_to = vec![false; table.chain_count()];
                for to in t
                    .jumps
                    .iter()
                    .filter(|j| j.to != Some(j.from))
                    .filter_map(|j| j.to)
                {
                    if let Some(seen) = jumped_to.get_mut(to) {
                        *seen = true;
                    }
                }
                for (i, chain) in table.chains().filter(|(_, c)| !c.deleted()) {
                    let name = chain.name();
                    if !HASHED_CHAIN_PREFIXES.iter().any(|p| name.starts_with(p))
                        || jumped_to.get(i).copied().unwrap_or(false)
                    {
                        continue;
                    }
                    out.push(DOC.finding(
                        format!(
                            "{name} in the {} table of {} is not jumped to by any rule",
                            table.name(),
                            node.source
                        ),
                        vec![at(node.source, chain.first_line())],
                    ));
                }
            }
        }
    }
}
