//! `chain-hash-mismatch`: a chain's name is not kube-proxy's hash of the service port its comment names.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::model::hash;

pub struct ChainHashMismatch;

static DOC: RuleDoc = RuleDoc {
    code: "chain-hash-mismatch",
    severity: Severity::Warning,
    title: "Chain name does not match the service it claims",
    what: "kube-proxy names `KUBE-SVC-`/`KUBE-SVL-`/`KUBE-EXT-`/`KUBE-FW-`/`KUBE-XLB-`/`KUBE-SEP-` chains with the first 16 base32 characters of sha256(service port name + protocol [+ endpoint]). This rule recomputes the hash for the service port named in the comments and reports chains whose name does not match: the Service's own chain, each endpoint chain, and every chain a NodePort, external IP or load-balancer IP passes through on its way in.",
    why: "The rules were not written by kube-proxy for that Service: a comment was edited, rules were copied between clusters or services, or another tool imitates kube-proxy. Either the comment or the routing cannot be trusted.",
    example: "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-AAAAAAAAAAAAAAAA   (kube-proxy names it KUBE-SVC-TCOU7JCQXEZGVUNU)",
    fix: "Find who wrote these rules (`iptables-save` counters, other controllers on the node). Restarting kube-proxy rewrites its own chains; remove the foreign ones.",
};

impl Rule for ChainHashMismatch {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            for s in node.services {
                if s.chain_hash_matches == Some(false) {
                    let chain = s.chain.clone().unwrap_or_default();
                    out.push(DOC.finding(
                        format!(
                            "{chain} is named for another service port: {} ({}) hashes to …-{}",
                            s.spn,
                            s.protocol,
                            hash::service_hash(&s.spn, &s.protocol)
                        ),
                        vec![at(node.source, s.line)],
                    ));
                }
                for e in s
                    .endpoints
                    .iter()
                    .filter(|e| e.chain_hash_matches == Some(false))
                {
                    out.push(DOC.finding(
                        format!(
                            "{} is not kube-proxy's name for endpoint {}:{} of {} ({})",
                            e.chain,
                            e.ip,
                            e.port.unwrap_or(0),
                            s.spn,
                            s.protocol
                        ),
                        vec![at(node.source, e.line)],
                    ));
                }
                // Chains on the ways in (EXT, FW, SVL, XLB) other than the port's own, each reported once with
                // every entry rule that leads through it.
                let mut foreign: Vec<(&str, Vec<u32>)> = Vec::new();
                for entry in &s.entry_points {
                    for chain in &entry.path {
                        if s.chain.as_deref() == Some(chain.as_str()) || s.spn.is_empty() {
                            continue;
                        }
                        let Some(suffix) = hash::chain_suffix(chain) else {
                            continue;
                        };
                        if hash::service_hash_is(suffix, &s.spn, &s.protocol) {
                            continue;
                        }
                        match foreign.iter_mut().find(|(c, _)| *c == chain.as_str()) {
                            Some((_, lines)) => lines.push(entry.line),
                            None => foreign.push((chain, vec![entry.line])),
                        }
                    }
                }
                for (chain, lines) in foreign {
                    out.push(DOC.finding(
                        format!(
                            "{chain}, on the way in to {} ({}), is named for another service port: that port hashes to …-{}",
                            s.spn,
                            s.protocol,
                            hash::service_hash(&s.spn, &s.protocol)
                        ),
                        lines.into_iter().map(|l| at(node.source, l)).collect(),
                    ));
                }
            }
        }
    }
}
