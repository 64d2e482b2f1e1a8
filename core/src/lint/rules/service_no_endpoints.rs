//! `service-no-endpoints`: a Service port has no endpoints on this node.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct ServiceNoEndpoints;

static DOC: RuleDoc = RuleDoc {
    code: "service-no-endpoints",
    severity: Severity::Error,
    title: "Service port has no endpoints",
    what: "Finds Service ports that kube-proxy routes nowhere: the filter table REJECTs their cluster IP (`has no endpoints`), or their service chain jumps to no endpoint.",
    why: "Every new connection to the Service fails at once with \"connection refused\" (ICMP port unreachable). The usual causes: the selector matches no pod, the pods are not Ready (readiness probe failing), or the targetPort names a port the pods do not expose.",
    example: "-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment \"ns6/svc6:p80 has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable",
    fix: "Check `kubectl get endpointslices -l kubernetes.io/service-name=NAME` and the pods' readiness. Make the Service's selector match the pods' labels and its targetPort match a containerPort; fix the readiness probe if pods are NotReady.",
};

impl Rule for ServiceNoEndpoints {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            for s in node
                .services
                .iter()
                .filter(|s| s.endpoints.is_empty() && !s.chain_missing)
            {
                let mut evidence = vec![at(node.source, s.line)];
                if let Some(line) = s.reject_line.filter(|l| *l != s.line) {
                    evidence.push(at(node.source, line));
                }
                let how = if s.reject_line.is_some() {
                    "its cluster IP is REJECTed"
                } else {
                    "its service chain jumps to no endpoint"
                };
                out.push(DOC.finding(
                    format!(
                        "{} ({}) has no endpoints on {}: {how}",
                        s.spn, s.protocol, node.source
                    ),
                    evidence,
                ));
            }
        }
    }
}
