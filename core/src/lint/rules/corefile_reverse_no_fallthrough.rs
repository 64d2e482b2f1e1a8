//! `corefile-reverse-no-fallthrough`: the kubernetes plugin serves reverse zones without `fallthrough` for them.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::corefile_risks;
use crate::lint::{Context, Rule, RuleDoc};

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
        for risk in corefile_risks(context, DOC.code) {
            out.push(DOC.finding(risk.message, risk.evidence));
        }
    }
}
