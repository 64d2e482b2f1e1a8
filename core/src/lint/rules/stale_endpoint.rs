//! `stale-endpoint`: a node DNATs to an address that kubectl's endpoints do not list.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::kube_view::{ports_by_service, KubeIndex};
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct StaleEndpoint;

static DOC: RuleDoc = RuleDoc {
    code: "stale-endpoint",
    severity: Severity::Error,
    title: "Node routes to an endpoint the cluster no longer lists",
    what: "Compares each node dump's endpoints (the DNAT targets of a Service's `KUBE-SEP` chains) with the endpoints kubectl shows for the same Service (`get endpoints`, `get endpointslices`, `-o json`/`-o yaml`), and reports addresses the node still routes to that the cluster does not list.",
    why: "kube-proxy on this node missed an update: it still sends a share of new connections to a pod that is gone or was replaced. Those connections time out or reach an unrelated pod that got the address. Typical causes: kube-proxy cannot reach the API server, its sync fails (see its log), or it is stuck.",
    example: "node: -A KUBE-SEP-OYPFS5VJICHGATKP -p tcp -m tcp -j DNAT --to-destination 10.180.0.3:80\nkubectl: ns3/svc3's EndpointSlice lists only 10.180.0.7",
    fix: "Look at kube-proxy's log on the node and restart it; check that it can reach the API server. Compare `iptables-save` again afterwards.",
};

impl Rule for StaleEndpoint {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        let index = KubeIndex::new(context.kubernetes);
        if index.is_empty() {
            return;
        }
        for node in &context.nodes {
            for ((namespace, name), ports) in ports_by_service(node.services) {
                let Some(kube) = index.view(namespace, name) else {
                    continue;
                };
                if kube.truncated {
                    continue;
                }
                for s in ports {
                    for e in s.endpoints.iter().filter(|e| !e.ip.is_empty()) {
                        let listed = kube
                            .listed
                            .iter()
                            .any(|l| l.ip == e.ip && (l.port.is_none() || l.port == e.port));
                        if listed {
                            continue;
                        }
                        let mut evidence = vec![at(node.source, e.line)];
                        evidence.extend(e.dnat_line.map(|l| at(node.source, l)));
                        evidence.extend(kube.objects.iter().cloned());
                        out.push(DOC.finding(
                            format!(
                                "{} routes {:.1}% of {} ({}) to {}:{}, which kubectl does not list for {namespace}/{name}",
                                node.source,
                                e.probability * 100.0,
                                s.spn,
                                s.protocol,
                                e.ip,
                                e.port.map_or_else(|| "?".to_string(), |p| p.to_string())
                            ),
                            evidence,
                        ));
                    }
                }
            }
        }
    }
}
