//! `dangling-jump`: a rule jumps to a chain that is not defined.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::{complete, BUILTIN_TARGETS};
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct DanglingJump;

static DOC: RuleDoc = RuleDoc {
    code: "dangling-jump",
    severity: Severity::Warning,
    title: "Rule jumps to a chain that is not defined",
    what: "Finds `-j`/`-g` targets that are neither an iptables target nor a chain of the same table.",
    why: "iptables-restore refuses a ruleset with such a jump, so a real `iptables-save` of a node never has one: the input is cut short, edited, or kube-proxy's partial restore input (which only rewrites changed chains). The routing behind the jump cannot be known from this input.",
    example: "-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O   (no :KUBE-SVC-XPGD46QRK7WJZT7O chain)",
    fix: "Take a complete dump on the node with `iptables-save` (and `ip6tables-save`), not a kube-proxy log excerpt or a partial copy.",
};

impl Rule for DanglingJump {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            for t in node.jumps().iter().filter(|t| complete(&t.table)) {
                for jump in &t.jumps {
                    if jump.to.is_some() || BUILTIN_TARGETS.contains(&jump.target) {
                        continue;
                    }
                    let chain = t.table.chain_at(jump.from).map(|c| c.name());
                    out.push(DOC.finding(
                        format!(
                            "{} {} jumps to {:?}, which {} does not define",
                            t.table.name(),
                            chain.unwrap_or_default(),
                            jump.target,
                            node.source
                        ),
                        vec![at(node.source, jump.line)],
                    ));
                }
            }
        }
    }
}
