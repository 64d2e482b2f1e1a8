//! `missing-endpoint`: kubectl lists a ready endpoint that a node's rules do not route to.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::kube_view::{ports_by_service, KubeIndex};
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct MissingEndpoint;

static DOC: RuleDoc = RuleDoc {
    code: "missing-endpoint",
    severity: Severity::Warning,
    title: "Ready endpoint missing from a node's rules",
    what: "Compares the ready endpoints kubectl shows for a Service (`get endpoints`, or EndpointSlices and Endpoints from `-o json`/`-o yaml`) with the DNAT targets of the Service's chains in each node dump, and reports ready addresses a node does not route to.",
    why: "kube-proxy on this node has not caught up: the new pod gets no traffic from this node's clients while the others carry its share, and if the old pods are gone the Service fails from this node only. The same Service works from other nodes, which makes it hard to see without comparing dumps.",
    example: "kubectl: ns3/svc3's EndpointSlice lists 10.180.0.7 (ready)\nnode: KUBE-SVC-X27LE4BHSL4DOUIK jumps only to the endpoint 10.180.0.3:80",
    fix: "Look at kube-proxy's log on the node and restart it. If the endpoint is in an EndpointSlice the node never sees, check the slice's labels (kubernetes.io/service-name) and kube-proxy's access to EndpointSlices.",
};

impl Rule for MissingEndpoint {
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
                // Only a node whose rules for the Service are all readable can prove an endpoint is missing.
                if ports
                    .iter()
                    .any(|s| s.chain_missing || s.endpoints.iter().any(|e| e.ip.is_empty()))
                {
                    continue;
                }
                let Some(kube) = index.view(namespace, name) else {
                    continue;
                };
                let routed: Vec<(&str, Option<u16>)> = ports
                    .iter()
                    .flat_map(|s| s.endpoints.iter())
                    .map(|e| (e.ip.as_str(), e.port))
                    .collect();
                let mut seen = std::collections::BTreeSet::new();
                for l in kube.listed.iter().filter(|l| l.ready) {
                    let found = routed
                        .iter()
                        .any(|(ip, port)| *ip == l.ip && (l.port.is_none() || *port == l.port));
                    if found || !seen.insert((l.ip.clone(), l.port)) {
                        continue;
                    }
                    let mut evidence = vec![l.evidence.clone()];
                    evidence.extend(ports.iter().map(|s| at(node.source, s.line)));
                    out.push(DOC.finding(
                        format!(
                            "kubectl lists {}{} as a ready endpoint of {namespace}/{name}, but {} does not route to it",
                            l.ip,
                            l.port.map(|p| format!(":{p}")).unwrap_or_default(),
                            node.source
                        ),
                        evidence,
                    ));
                }
            }
        }
    }
}
