//! `dns-service-unreachable`: cluster DNS has no endpoints, or its UDP and TCP ports route to different pods.

use std::collections::BTreeSet;

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::is_cluster_dns;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct DnsServiceUnreachable;

static DOC: RuleDoc = RuleDoc {
    code: "dns-service-unreachable",
    severity: Severity::Error,
    title: "Cluster DNS is unreachable from this node",
    what: "Looks at the cluster DNS Service (kube-system/kube-dns, which CoreDNS keeps for compatibility) on each node: its port-53 Service ports must route to endpoints, and its UDP and TCP ports to the same pods.",
    why: "With no endpoints every lookup of every pod on the node fails (\"connection refused\" on TCP, ICMP unreachable or timeouts on UDP). With UDP and TCP routed to different pod sets, kube-proxy on this node is stale for one of them: answers truncated over UDP are retried over TCP to pods that may be gone.",
    example: "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable",
    fix: "Check the CoreDNS pods (`kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide`): are they Running and Ready? Look at their logs (a forward loop makes CoreDNS exit). If the pods are fine, kube-proxy on this node is stale: restart it.",
};

impl Rule for DnsServiceUnreachable {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let dns: Vec<_> = node
                .services
                .iter()
                .filter(|s| {
                    is_cluster_dns(s)
                        && !s.chain_missing
                        && s.endpoints.iter().all(|e| !e.ip.is_empty())
                })
                .collect();
            if dns.is_empty() {
                continue;
            }
            let ips = |proto: &str| -> Option<BTreeSet<&str>> {
                let ports: Vec<_> = dns.iter().filter(|s| s.protocol == proto).collect();
                (!ports.is_empty()).then(|| {
                    ports
                        .iter()
                        .flat_map(|s| s.endpoints.iter())
                        .map(|e| e.ip.as_str())
                        .filter(|ip| !ip.is_empty())
                        .collect()
                })
            };
            let evidence: Vec<_> = dns
                .iter()
                .map(|s| at(node.source, s.reject_line.unwrap_or(s.line)))
                .collect();
            let (udp, tcp) = (ips("udp"), ips("tcp"));
            let empty = |x: &Option<BTreeSet<&str>>| x.as_ref().is_some_and(BTreeSet::is_empty);
            let name = dns
                .first()
                .map(|s| format!("{}/{}", s.namespace, s.name))
                .unwrap_or_default();
            if dns.iter().all(|s| s.endpoints.is_empty()) {
                out.push(DOC.finding(
                    format!(
                        "cluster DNS {name} has no endpoints on {}: every lookup fails",
                        node.source
                    ),
                    evidence,
                ));
            } else if empty(&udp) || empty(&tcp) {
                let which = if empty(&udp) { "UDP" } else { "TCP" };
                out.push(DOC.finding(
                    format!(
                        "cluster DNS {name} has no endpoints for {which} on {}",
                        node.source
                    ),
                    evidence,
                ));
            } else if let (Some(u), Some(t)) = (&udp, &tcp) {
                if u != t {
                    let list =
                        |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(", ");
                    out.push(DOC.finding(
                        format!(
                            "cluster DNS {name} on {}: UDP goes to {} but TCP to {}",
                            node.source,
                            list(u),
                            list(t)
                        ),
                        evidence,
                    ));
                }
            }
        }
    }
}
