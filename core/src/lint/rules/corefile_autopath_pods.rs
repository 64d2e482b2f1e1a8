//! `corefile-autopath-pods`: `autopath @kubernetes` without `pods verified`.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::rules::corefile::{blocks, per_corefile, Risk};
use crate::lint::{Context, Rule, RuleDoc};
use crate::source::corefile::plugins::{Plugin, PodsMode};
use crate::source::corefile::Corefile;

pub struct CorefileAutopathPods;

static DOC: RuleDoc = RuleDoc {
    code: "corefile-autopath-pods",
    severity: Severity::Warning,
    title: "autopath needs the kubernetes plugin's `pods verified`",
    what: "In a Corefile server block with `autopath @kubernetes`, checks that the block's kubernetes plugin says `pods verified`; reports the autopath line and the `pods` line (or the kubernetes line when `pods` is not set, which means `pods disabled`).",
    why: "autopath walks a pod's search path on the server side: on the first search-suffixed query it tries `<ns>.svc.<zone>`, `svc.<zone>`, `<zone>` itself and answers with a CNAME to the name that exists, so the client stops after one query instead of walking its search list. To know the asking pod's namespace and search path CoreDNS must map the query's source IP to a pod, which only `pods verified` (a watch on every pod) does. With `pods insecure` or `pods disabled` it cannot do that, and the search-list amplification it was meant to remove stays.",
    example: ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n    autopath @kubernetes\n    forward . /etc/resolv.conf\n}",
    fix: "Set `pods verified` in the kubernetes plugin of the same server block (it costs CoreDNS a watch on all pods, so more memory on large clusters), or remove `autopath` and reduce the client side instead (`ndots:2` in the pod's dnsConfig, fully qualified names with a trailing dot).",
};

impl Rule for CorefileAutopathPods {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for risk in per_corefile(context, |corefile, _| risks(corefile)) {
            out.push(DOC.finding(risk.message, risk.evidence));
        }
    }
}

/// Each `autopath @kubernetes` of a server block whose kubernetes plugin is not `pods verified`, with the autopath
/// line and the `pods` line (the kubernetes line when `pods` is not set).
pub(super) fn risks(corefile: &Corefile) -> Vec<Risk> {
    let mut out = Vec::new();
    for block in blocks(corefile) {
        let kubernetes = block.kubernetes();
        if kubernetes.is_some_and(|(_, k)| k.pods == PodsMode::Verified) {
            continue;
        }
        for d in &block.directives {
            let Some(Plugin::Autopath(a)) = &d.plugin else {
                continue;
            };
            if a.source.as_deref() != Some("@kubernetes") {
                continue;
            }
            let mut lines = vec![d.line];
            if let Some((kd, k)) = kubernetes {
                lines.push(k.pods_line.unwrap_or(kd.line));
            }
            let mode = kubernetes.map_or("no kubernetes plugin", |(_, k)| match k.pods {
                PodsMode::Disabled => "pods disabled",
                PodsMode::Insecure => "pods insecure",
                PodsMode::Verified => "pods verified",
            });
            out.push(Risk::new(
                DOC.code,
                format!(
                    "`autopath @kubernetes` needs `pods verified` in the kubernetes plugin (here: {mode}); \
                     without it CoreDNS cannot tell which pod asked and the server-side search does not work"
                ),
                lines,
            ));
        }
    }
    out
}
