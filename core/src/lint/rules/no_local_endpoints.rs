//! `no-local-endpoints`: traffic policy Local with no endpoint on this node, so the node drops the traffic.

use std::collections::BTreeMap;

use crate::diagnostic::Severity;
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct NoLocalEndpoints;

static DOC: RuleDoc = RuleDoc {
    code: "no-local-endpoints",
    severity: Severity::Warning,
    title: "Traffic policy Local, but no endpoint on this node",
    what: "Finds Service ports with externalTrafficPolicy or internalTrafficPolicy Local that have no endpoint on this node: kube-proxy writes `has no local endpoints` DROP rules (filter table; `KUBE-MARK-DROP` in the nat table before 1.25).",
    why: "Traffic for the Service that reaches this node is silently dropped: clients time out. A cloud load balancer normally avoids the node because its health-check NodePort fails, but NodePort clients, misconfigured load balancers and (with internalTrafficPolicy Local) pods on this node are not protected.",
    example: "-A KUBE-EXTERNAL-SERVICES -d 192.168.99.22/32 -p tcp -m comment --comment \"ns2/svc2:p80 has no local endpoints\" -m tcp --dport 80 -j DROP",
    fix: "Run a backend pod on every node that receives the traffic (a DaemonSet, or spread constraints), point clients only at nodes with backends, or use traffic policy Cluster if the client's source IP need not be kept.",
};

impl Rule for NoLocalEndpoints {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let mut by_spn: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
            for table in node.ruleset.tables() {
                for (_, chain) in table.chains() {
                    for rule in chain.rules() {
                        if !matches!(rule.target_name(), Some("DROP" | "KUBE-MARK-DROP")) {
                            continue;
                        }
                        let Some(comment) = rule.comment() else {
                            continue;
                        };
                        if let Some(spn) = comment.strip_suffix(" has no local endpoints") {
                            by_spn
                                .entry(spn.to_string())
                                .or_default()
                                .push(at(node.source, rule.line()));
                        }
                    }
                }
            }
            for (spn, evidence) in by_spn {
                out.push(DOC.finding(
                    format!("{spn} has traffic policy Local and no endpoint on {}: {} rule(s) drop its traffic", node.source, evidence.len()),
                    evidence,
                ));
            }
        }
    }
}
