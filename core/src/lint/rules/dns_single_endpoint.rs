//! `dns-single-endpoint`: cluster DNS has one endpoint.

use std::collections::BTreeSet;

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::is_cluster_dns;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct DnsSingleEndpoint;

static DOC: RuleDoc = RuleDoc {
    code: "dns-single-endpoint",
    severity: Severity::Warning,
    title: "Cluster DNS has a single endpoint",
    what: "Finds cluster DNS Services (kube-system/kube-dns) whose port-53 Service ports route to exactly one pod.",
    why: "One CoreDNS (or kube-dns) pod restart, eviction or node failure stops all name resolution in the cluster until it is back, and one pod takes every query of every pod.",
    example: "-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns\" -j KUBE-SEP-YIL6JZP7A3QYXJU2   (the only rule of the chain)",
    fix: "Run at least two replicas on different nodes (`kubectl -n kube-system scale deployment coredns --replicas=2`, with pod anti-affinity), or use the dns-autoscaler; consider NodeLocal DNSCache.",
};

impl Rule for DnsSingleEndpoint {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let dns: Vec<_> = node
                .services
                .iter()
                .filter(|s| is_cluster_dns(s) && !s.endpoints.is_empty())
                .collect();
            let ips: BTreeSet<&str> = dns
                .iter()
                .flat_map(|s| s.endpoints.iter())
                .map(|e| e.ip.as_str())
                .filter(|ip| !ip.is_empty())
                .collect();
            if ips.len() == 1 {
                let ip = ips.iter().next().copied().unwrap_or_default();
                let name = dns
                    .first()
                    .map(|s| format!("{}/{}", s.namespace, s.name))
                    .unwrap_or_default();
                out.push(
                    DOC.finding(
                        format!(
                            "cluster DNS {name} on {} routes every query to one pod, {ip}",
                            node.source
                        ),
                        dns.iter()
                            .flat_map(|s| s.endpoints.iter().map(|e| at(node.source, e.line)))
                            .collect(),
                    ),
                );
            }
        }
    }
}
