//! `search-path-limits`: more search domains or characters than resolvers and kubelet honour, or more than three
//! nameservers.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::source::resolv_conf::MAX_NAMESERVERS;

pub struct SearchPathLimits;

static DOC: RuleDoc = RuleDoc {
    code: "search-path-limits",
    severity: Severity::Warning,
    title: "resolv.conf exceeds what resolvers honour",
    what: "Checks a resolv.conf against the limits of the resolvers and of kubelet: at most 3 nameservers are used (glibc, musl and Go `MAXNS`); musl ignores a line of 255 characters or more (an over-long `search` line disables search); glibc before 2.26 and Kubernetes' legacy limit use 6 search domains and 256 characters; kubelet keeps at most 32 domains and 2048 characters (1.28+) and drops domains longer than 253 characters.",
    why: "Whatever is over the limit is silently dropped: the extra nameservers are never asked, and a cut or ignored search list makes short names (`nginx`, `nginx.default`) fail to resolve in some images but not in others — the classic 'works in Debian, fails in Alpine' case.",
    example: "nameserver 10.96.0.10\nnameserver 8.8.8.8\nnameserver 1.1.1.1\nnameserver 9.9.9.9        (never used)",
    fix: "Keep at most three nameservers and a short search list: trim the node's /etc/resolv.conf (pods inherit its search domains after the cluster ones) or set the pod's `dnsConfig`/`dnsPolicy: None` explicitly.",
};

impl Rule for SearchPathLimits {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for r in context.resolv_confs {
            let conf = &r.value;
            let mut problems = Vec::new();
            let mut evidence = Vec::new();
            if let Some(extra) = conf
                .nameservers
                .get(MAX_NAMESERVERS..)
                .filter(|e| !e.is_empty())
            {
                let addresses: Vec<&str> = extra.iter().map(|n| n.address.as_str()).collect();
                problems.push(format!(
                    "{} nameservers, but resolvers use the first {MAX_NAMESERVERS}: {} never asked",
                    conf.nameservers.len(),
                    addresses.join(", ")
                ));
                evidence.extend(extra.iter().map(|n| at(&r.source, n.line)));
            }
            let domains = conf.search.len();
            let chars = conf.search.join(" ").len();
            let line = "search ".len() + chars;
            let mut search_problems = Vec::new();
            if line >= 255 {
                search_problems.push(format!(
                    "the search line is {line} characters: musl ignores lines of 255 or more, so Alpine-based pods do not search at all"
                ));
            }
            if domains > 32 || chars > 2048 {
                search_problems.push(format!(
                    "{domains} search domains / {chars} characters: kubelet keeps at most 32 and 2048"
                ));
            } else if domains > 6 || chars > 256 {
                search_problems.push(format!(
                    "{domains} search domains / {chars} characters: glibc before 2.26 and Kubernetes' legacy limit use 6 and 256"
                ));
            }
            if let Some(long) = conf.search.iter().find(|d| d.len() > 253) {
                search_problems.push(format!(
                    "a search domain of {} characters ({}…) is longer than a DNS name can be; kubelet drops it",
                    long.len(),
                    long.get(..24).unwrap_or(long)
                ));
            }
            if !search_problems.is_empty() {
                evidence.extend(conf.search_line.map(|l| at(&r.source, l)));
                problems.extend(search_problems);
            }
            if !problems.is_empty() {
                out.push(DOC.finding(format!("{}: {}", r.source, problems.join("; ")), evidence));
            }
        }
    }
}
