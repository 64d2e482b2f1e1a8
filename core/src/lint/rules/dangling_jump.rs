//! `dangling-jump`: a rule jumps to a chain that is not defined.

use crate::analysis::Finding;
use crate::diagnostic::Severity;
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
            for table in node.ruleset.tables().filter(complete) {
                for (_, chain) in table.chains().filter(|(_, c)| !c.deleted()) {
                    for rule in chain.rules() {
                        let Some(target) = rule.target_name() else {
                            continue;
                        };
                        // Most targets are chains: look the name up before the list of built-in targets.
                        if table.position(target).is_some() || BUILTIN_TARGETS.contains(&target) {
                            continue;
                        }
                        out.push(DOC.finding(
                            format!(
                                "{} {} jumps to {target:?}, which {} does not define",
                                table.name(),
                                chain.name(),
                                node.source
                            ),
                            vec![at(node.source, rule.line())],
                        ));
                    }
                }
            }
        }
    }
}
