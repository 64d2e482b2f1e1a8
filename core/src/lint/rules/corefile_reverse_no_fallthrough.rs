//! `corefile-reverse-no-fallthrough`: the kubernetes plugin serves reverse zones without `fallthrough` for them.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::corefile::{blocks, per_corefile, Risk};
use crate::lint::{Context, Rule, RuleDoc};
use crate::source::corefile::Corefile;

pub struct CorefileReverseNoFallthrough;

static DOC: RuleDoc = RuleDoc {
    code: "corefile-reverse-no-fallthrough",
    severity: Severity::Info,
    title: "Reverse lookups of non-cluster addresses stop at CoreDNS",
    what: "In a Corefile, finds a kubernetes plugin whose zones include `in-addr.arpa` or `ip6.arpa` (or zones below them) while its `fallthrough` does not cover those zones; reports the kubernetes line and the fallthrough line when there is one.",
    why: "For a name in its zones the kubernetes plugin answers authoritatively: a PTR for an address that is no Service or pod IP is NXDOMAIN, unless `fallthrough` passes the name on to the next plugin (`forward`), which asks upstream. Without it, reverse lookups of node, load-balancer or external addresses fail inside the cluster — logs show raw IPs, and software that checks reverse DNS (SSH, mail, some databases' host-based access) misbehaves or waits. kubeadm writes `fallthrough in-addr.arpa ip6.arpa` for this reason.",
    example: "kubernetes cluster.local in-addr.arpa ip6.arpa {\n   pods insecure\n   ttl 30\n}                          <- no fallthrough: PTR 4.3.2.1.in-addr.arpa. gets NXDOMAIN from CoreDNS",
    fix: "Add `fallthrough in-addr.arpa ip6.arpa` inside the kubernetes plugin's block (or drop the reverse zones from its zone list if the cluster does not need PTR records for Services and pods).",
};

impl Rule for CorefileReverseNoFallthrough {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for risk in per_corefile(context, |corefile, _| risks(corefile)) {
            out.push(DOC.finding(risk.message, risk.evidence));
        }
    }
}

/// Each server block whose kubernetes plugin serves reverse zones (its own zones, else the block's) that its
/// `fallthrough` does not cover, with the kubernetes line and the fallthrough line when there is one.
pub(super) fn risks(corefile: &Corefile) -> Vec<Risk> {
    let mut out = Vec::new();
    for block in blocks(corefile) {
        let Some((kd, k)) = block.kubernetes() else {
            continue;
        };
        let zones: Vec<String> = if k.zones.is_empty() {
            block.block.keys.iter().map(|z| z.zone.clone()).collect()
        } else {
            k.zones.clone()
        };
        let uncovered: Vec<&str> = zones
            .iter()
            .filter(|z| in_zone(z, "in-addr.arpa") || in_zone(z, "ip6.arpa"))
            .filter(|z| {
                !k.fallthrough
                    .as_ref()
                    .is_some_and(|ft| ft.zones.is_empty() || ft.zones.iter().any(|p| in_zone(z, p)))
            })
            .map(String::as_str)
            .collect();
        if uncovered.is_empty() {
            continue;
        }
        let mut lines = vec![kd.line];
        lines.extend(k.fallthrough.as_ref().map(|f| f.line));
        out.push(Risk::new(
            DOC.code,
            format!(
                "the kubernetes plugin serves {} but `fallthrough` does not cover {}: PTR lookups for addresses that \
                 are not cluster IPs get NXDOMAIN from CoreDNS instead of going upstream (kubeadm writes \
                 `fallthrough in-addr.arpa ip6.arpa`)",
                uncovered.join(" "),
                if uncovered.len() == 1 { "it" } else { "them" }
            ),
            lines,
        ));
    }
    out
}

/// A zone in lower case without its trailing dot; the root is `.`.
fn normalize_zone(zone: &str) -> String {
    let z = zone.trim_end_matches('.').to_ascii_lowercase();
    if z.is_empty() {
        ".".to_string()
    } else {
        z
    }
}

/// Whether `zone` is `parent` or below it.
fn in_zone(zone: &str, parent: &str) -> bool {
    let (zone, parent) = (normalize_zone(zone), normalize_zone(parent));
    parent == "." || zone == parent || zone.ends_with(&format!(".{parent}"))
}
