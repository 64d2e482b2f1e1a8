//! What the Corefile rules share: each server block as it runs, a risk with its lines, and one finding per risk in
//! every Corefile input with the lines of other inputs that show a `forward` target is cluster DNS.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::lint::rules::cluster_dns_addresses;
use crate::lint::Context;
use crate::source::corefile::plugins::{Kubernetes, Plugin};
use crate::source::corefile::{Corefile, Directive, ServerBlock};

/// A configuration docs/domain/coredns.md §4 names as risky, with the lines that make it so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    /// The rule's code, e.g. `corefile-forward-loop`.
    pub code: String,
    /// What is wrong and why it matters.
    pub message: String,
    /// The 1-based lines of the directives involved, ascending.
    pub lines: Vec<u32>,
}

impl Risk {
    /// A risk of rule `code` at `lines` (sorted and deduplicated here).
    pub(crate) fn new(code: &str, message: String, mut lines: Vec<u32>) -> Self {
        lines.sort_unstable();
        lines.dedup();
        Risk {
            code: code.to_string(),
            message,
            lines,
        }
    }
}

/// A server block as CoreDNS runs it: its keys and its directives with those of the snippets it imports.
pub(crate) struct Block<'a> {
    /// The block as written.
    pub(crate) block: &'a ServerBlock,
    /// Its directives, imported ones included.
    pub(crate) directives: Vec<&'a Directive>,
}

impl<'a> Block<'a> {
    /// Whether the block runs the `loop` plugin.
    pub(crate) fn has_loop(&self) -> bool {
        self.directives.iter().any(|d| d.name == "loop")
    }

    /// The block's (first) `kubernetes` plugin, with its directive.
    pub(crate) fn kubernetes(&self) -> Option<(&'a Directive, &'a Kubernetes)> {
        self.directives.iter().find_map(|d| match &d.plugin {
            Some(Plugin::Kubernetes(k)) => Some((*d, k)),
            _ => None,
        })
    }
}

/// The server blocks of `corefile` (snippets left out), in order.
pub(crate) fn blocks(corefile: &Corefile) -> impl Iterator<Item = Block<'_>> {
    corefile
        .blocks
        .iter()
        .filter(|b| b.snippet.is_none())
        .map(|block| Block {
            block,
            directives: corefile.effective(block),
        })
}

/// Every risk the Corefile rules find in `corefile`, rule by rule in catalog order, each rule's in block order;
/// `cluster_dns` are the addresses known to be cluster DNS (the kube-dns Service IP, CoreDNS pod IPs).
pub(crate) fn risks(corefile: &Corefile, cluster_dns: &[IpAddr]) -> Vec<Risk> {
    let mut out = super::corefile_forward_loop::risks(corefile, cluster_dns);
    out.extend(super::corefile_autopath_pods::risks(corefile));
    out.extend(super::corefile_reverse_no_fallthrough::risks(corefile));
    out
}

/// A risk found in one Corefile input, ready to be a finding.
pub(crate) struct Found {
    /// The message: the input, the ConfigMap it is in, and the risk.
    pub(crate) message: String,
    /// The Corefile lines (the input's lines) and, for a `forward` to a cluster DNS address, the lines of the other
    /// inputs that show that address is cluster DNS.
    pub(crate) evidence: Vec<Evidence>,
    /// Whether a `forward` of the risk sends to an address that is certainly CoreDNS itself (loopback or cluster
    /// DNS), rather than to upstreams read from a file.
    pub(crate) to_itself: bool,
}

/// The risks `detect` finds in every Corefile input, with their evidence.
pub(crate) fn per_corefile(
    context: &Context<'_>,
    detect: impl Fn(&Corefile, &[IpAddr]) -> Vec<Risk>,
) -> Vec<Found> {
    if context.corefiles.is_empty() {
        return Vec::new();
    }
    let dns = cluster_dns_addresses(context);
    let mut ips: Vec<IpAddr> = dns.iter().map(|(ip, _)| *ip).collect();
    ips.sort_unstable();
    ips.dedup();
    let mut out = Vec::new();
    for c in context.corefiles {
        for risk in detect(&c.corefile, &ips) {
            let mut evidence: Vec<Evidence> = risk
                .lines
                .iter()
                .map(|&l| Evidence::line(&c.source, c.input_line(l)))
                .collect();
            // The cluster DNS addresses a `forward` on the risk's lines sends to, with where other inputs show them.
            let targets: Vec<IpAddr> = c
                .corefile
                .blocks
                .iter()
                .flat_map(|b| &b.directives)
                .filter(|d| risk.lines.contains(&d.line))
                .filter_map(|d| match &d.plugin {
                    Some(Plugin::Forward(f)) => Some(f),
                    _ => None,
                })
                .flat_map(|f| &f.to)
                .filter_map(|u| u.ip())
                .filter(|ip| ip.is_loopback() || ips.contains(ip))
                .collect();
            evidence.extend(
                dns.iter()
                    .filter(|(ip, _)| targets.contains(ip))
                    .map(|(_, e)| e.clone()),
            );
            let message = match &c.config_map {
                Some(cm) => format!("{} (ConfigMap {cm}): {}", c.source, risk.message),
                None => format!("{}: {}", c.source, risk.message),
            };
            out.push(Found {
                message,
                evidence,
                to_itself: !targets.is_empty(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::corefile::parse;

    /// kubeadm's Corefile (docs/domain/coredns.md §4): `.:53 {` is line 1, `forward . /etc/resolv.conf` line 13,
    /// `loop` line 20.
    const KUBEADM: &str = include_str!("../../../../fixtures/corefile/kubeadm-default/Corefile");

    fn risk_lines(text: &str, cluster_dns: &[IpAddr]) -> Vec<(String, Vec<u32>)> {
        risks(&parse(text.as_bytes()).value, cluster_dns)
            .into_iter()
            .map(|r| (r.code, r.lines))
            .collect()
    }

    #[test]
    fn kubeadms_corefile_is_safe() {
        // `loop` guards the resolv.conf forward and fallthrough covers the reverse zones.
        assert_eq!(risk_lines(KUBEADM, &[]), vec![]);
    }

    #[test]
    fn forward_to_resolv_conf_without_loop_is_a_loop_risk() {
        // Line 20 (`loop`) removed; the forward stays on line 13.
        let text = KUBEADM.replace("    loop\n", "");
        assert_eq!(
            risk_lines(&text, &[]),
            vec![("corefile-forward-loop".to_string(), vec![13])]
        );
    }

    #[test]
    fn forward_to_loopback_or_cluster_dns_is_a_loop_risk_even_with_loop() {
        let text = ".:53 {\n    forward . 8.8.8.8 dns://127.0.0.53:53\n    loop\n}\ncluster.local:53 {\n    forward . [::1]:53 10.96.0.10\n}\n";
        assert_eq!(
            risk_lines(text, &[]),
            vec![
                ("corefile-forward-loop".to_string(), vec![2]),
                ("corefile-forward-loop".to_string(), vec![6]),
            ]
        );
        let vip: IpAddr = "10.96.0.10".parse().unwrap();
        assert_eq!(risk_lines(text, &[vip]).len(), 3);
    }

    #[test]
    fn autopath_needs_pods_verified_and_reverse_zones_need_fallthrough() {
        let text = "\
.:53 {
    autopath @kubernetes
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
    }
    forward . /etc/resolv.conf
    loop
}
";
        assert_eq!(
            risk_lines(text, &[]),
            vec![
                ("corefile-autopath-pods".to_string(), vec![2, 4]),
                ("corefile-reverse-no-fallthrough".to_string(), vec![3]),
            ]
        );
        let verified = text.replace("pods insecure", "pods verified\n        fallthrough");
        assert_eq!(risk_lines(&verified, &[]), vec![]);
    }

    #[test]
    fn a_loop_imported_from_a_snippet_guards_the_forward() {
        let text = "(common) {\n    loop\n}\n.:53 {\n    import common\n    forward . /etc/resolv.conf\n}\n";
        assert_eq!(risk_lines(text, &[]), vec![]);
        let without = text.replace("    import common\n", "");
        assert_eq!(
            risk_lines(&without, &[]),
            vec![("corefile-forward-loop".to_string(), vec![5])]
        );
    }
}
