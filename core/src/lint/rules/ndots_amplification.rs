//! `ndots-amplification`: with this ndots and search list, an external name costs queries that all fail first.

use crate::diagnostic::Severity;
use crate::dns::plan::{walk, Outcome, Resolver};
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct NdotsAmplification;

static DOC: RuleDoc = RuleDoc {
    code: "ndots-amplification",
    severity: Severity::Info,
    title: "Every external lookup first walks the search list",
    what: "Plans, with glibc's rules, the lookup of an external name that has fewer dots than `ndots` (`www.example.com`, or `example.com` when ndots is 2) and counts the queries sent to search-list names that get NXDOMAIN before the name itself is asked.",
    why: "Kubernetes writes `options ndots:5` into every ClusterFirst pod: any name with fewer than five dots is first tried with each search domain appended, A and AAAA each. With three or four search domains an external lookup costs 6–8 failing queries and round trips before the one that answers — load on CoreDNS and the upstream resolver, latency for the client, and more chances to hit the conntrack race that loses a query for 5 s.",
    example: "search default.svc.cluster.local svc.cluster.local cluster.local ec2.internal\noptions ndots:5\n(www.example.com: 8 queries that get NXDOMAIN, then www.example.com. A/AAAA)",
    fix: "Use fully qualified names with a trailing dot for external hosts (`www.example.com.`), or lower ndots for the pod (`dnsConfig: {options: [{name: ndots, value: \"2\"}]}`), or trim the search list; NodeLocal DNSCache or CoreDNS `autopath` cut the cost of the failures.",
};

impl Rule for NdotsAmplification {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for r in context.resolv_confs {
            let conf = &r.value;
            let ndots = conf.options.ndots;
            let name = match ndots {
                0 | 1 => continue,
                2 => "example.com",
                _ => "www.example.com",
            };
            let fqdn = format!("{name}.");
            let plan = walk(Resolver::Glibc, name, conf, |candidate| {
                if candidate == fqdn {
                    Outcome::Answer
                } else {
                    Outcome::NxDomain
                }
            });
            let wasted: Vec<&str> = plan
                .queries
                .iter()
                .filter(|q| q.name != fqdn)
                .map(|q| q.name.as_str())
                .collect();
            if wasted.is_empty() {
                continue;
            }
            let mut names: Vec<&str> = wasted.clone();
            names.dedup();
            let mut evidence = Vec::new();
            evidence.extend(conf.options.line.map(|l| at(&r.source, l)));
            evidence.extend(conf.search_line.map(|l| at(&r.source, l)));
            out.push(DOC.finding(
                format!(
                    "{}: with ndots:{ndots} and {} search domains, looking up {name} sends {} queries that get NXDOMAIN ({}) before {fqdn} itself",
                    r.source,
                    conf.search.len(),
                    wasted.len(),
                    names.join(", ")
                ),
                evidence,
            ));
        }
    }
}
