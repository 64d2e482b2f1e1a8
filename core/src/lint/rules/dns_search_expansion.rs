//! `dns-search-expansion`: a lookup in a capture sent queries to search-list names before the one that answered,
//! or fell back to the bare name.

use crate::capture::lookups::{Lookup, LookupOutcome};
use crate::diagnostic::Severity;
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct DnsSearchExpansion;

static DOC: RuleDoc = RuleDoc {
    code: "dns-search-expansion",
    severity: Severity::Info,
    title: "A lookup walked the search list before its answer",
    what: "Reads a capture's DNS transactions back into application lookups (the queries one client sent for the candidates of one name: search-list suffixes and the name as typed, per the pod's resolv.conf given with the capture or inferred from the names) and reports each lookup that sent queries before the one that answered, or that fell back to the bare name after every search candidate. The message says how many queries went first and why the last one was sent — the ndots rule, what each candidate got, which resolver (glibc, musl, Go) sends exactly that, and stop rules such as glibc's after a timeout — with the frames. Identical lookups repeated by a client are reported once with a count; at most 20 per capture, then one line for the rest.",
    why: "Every query before the answer is a round trip the application waits for and load on cluster DNS and upstream resolvers: with Kubernetes' `ndots:5`, an external name costs A and AAAA for each search domain first. A bare-name query (`nginx.`) is what support engineers are asked about: it is not a bug but the resolver's last fallback, and it shows that every search candidate failed — the Service is in another namespace than the client, does not exist, or a timeout stopped glibc's walk. It also leaves the cluster: CoreDNS forwards it upstream.",
    example: "IP 10.244.0.20.41806 > 10.244.0.2.53: 1001+ A? nginx.default.svc.cluster.local. (49)\n… NXDomain for nginx.default.svc.cluster.local., nginx.svc.cluster.local., nginx.cluster.local. …\nIP 10.244.0.20.47771 > 10.244.0.2.53: 1007+ A? nginx. (23)      <- 6 queries before the bare-name fallback",
    fix: "Ask for the name that exists: `nginx.default` or the fully qualified `nginx.default.svc.cluster.local.` from another namespace, a trailing dot for external names (`www.example.com.`). Lower `ndots` for pods that mostly resolve external names (`dnsConfig.options: [{name: ndots, value: \"2\"}]`), or let CoreDNS walk the search path (`autopath @kubernetes` with `pods verified`). If a timeout cut the walk short, look at the lost queries (dns-timeout-retry).",
};

/// The most findings per capture input; the rest are counted in one more.
const MAX_PER_SOURCE: usize = 20;
/// The most evidence lines per finding.
const MAX_EVIDENCE: usize = 20;

impl Rule for DnsSearchExpansion {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        out.extend(findings(context.lookups));
    }
}

/// How many queries a lookup sent before the candidate that answered, and whether it fell back to the bare name
/// after search candidates; `None` when neither (nothing to report).
fn expansion(l: &Lookup) -> Option<(usize, bool)> {
    let bare = format!("{}.", l.base_name);
    let sent = &l.evidence;
    match &l.answered_by {
        Some(answered) => {
            let before = sent.iter().position(|q| q.name == *answered).unwrap_or(0);
            (before > 0).then_some((before, *answered == bare))
        }
        None => {
            let last_is_bare = sent.last().is_some_and(|q| q.name == bare);
            let before = sent.iter().filter(|q| q.name != bare).count();
            (last_is_bare && before > 0 && l.outcome != LookupOutcome::Answered)
                .then_some((before, true))
        }
    }
}

/// What is reported of one capture input: its name, each distinct lookup (client, base name, planned queries)
/// with its finding's index and how many times it was seen, and how many were left out.
type PerSource = (
    String,
    Vec<(String, String, Vec<String>)>,
    Vec<(usize, usize)>,
    usize,
);

/// The `dns-search-expansion` findings for `lookups` (from `capture::lookups::lookups`), one per distinct lookup
/// per capture input, at most [`MAX_PER_SOURCE`] of them and one that counts the rest.
pub(crate) fn findings(lookups: &[Lookup]) -> Vec<Finding> {
    let mut out = Vec::new();
    // Per capture input: (client, base, names) already reported, with the finding's index and how many times.
    let mut seen: Vec<PerSource> = Vec::new();
    for l in lookups {
        let Some((before, fallback)) = expansion(l) else {
            continue;
        };
        let source = l
            .evidence
            .first()
            .map(|e| e.source.clone())
            .unwrap_or_default();
        let key = (
            l.client.clone(),
            l.base_name.clone(),
            l.expected
                .iter()
                .map(|q| format!("{} {}", q.name, q.qtype))
                .collect::<Vec<_>>(),
        );
        let entry = match seen.iter_mut().position(|(s, ..)| *s == source) {
            Some(i) => seen.get_mut(i),
            None => {
                seen.push((source.clone(), Vec::new(), Vec::new(), 0));
                seen.last_mut()
            }
        };
        let Some((_, keys, counts, more)) = entry else {
            continue;
        };
        if let Some(k) = keys.iter().position(|k| *k == key) {
            if let Some((_, n)) = counts.get_mut(k) {
                *n += 1;
            }
            continue;
        }
        if keys.len() >= MAX_PER_SOURCE {
            *more += 1;
            continue;
        }
        let what = match (&l.answered_by, fallback) {
            (Some(answered), false) => format!("{before} queries before the one that answered, `{answered}`"),
            (Some(answered), true) => format!(
                "{before} queries to search-list names before the bare name `{answered}`, which answered"
            ),
            (None, _) => format!(
                "{before} queries to search-list names, all failed, then fell back to the bare name `{}.`",
                l.base_name
            ),
        };
        let mut evidence: Vec<Evidence> = Vec::new();
        for e in &l.evidence {
            evidence.push(at(&e.source, e.line));
            if let Some(line) = e.answer_line {
                evidence.push(at(&e.source, line));
            }
        }
        evidence.sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
        evidence.dedup();
        evidence.truncate(MAX_EVIDENCE);
        keys.push(key);
        counts.push((out.len(), 1));
        out.push(DOC.finding(
            format!(
                "{source}: {} looked up `{}` with {what}. {}",
                l.client, l.base_name, l.explanation
            ),
            evidence,
        ));
    }
    for (source, _, counts, more) in &seen {
        for &(i, n) in counts {
            if let Some(f) = out.get_mut(i) {
                if n > 1 {
                    f.message
                        .push_str(&format!(" The same lookup was seen {n} times."));
                }
            }
        }
        if *more > 0 {
            let first = out
                .iter()
                .find(|f| f.message.starts_with(&format!("{source}:")))
                .and_then(|f| f.evidence.first().cloned());
            out.push(DOC.finding(
                format!(
                    "{source}: {more} more lookups walked the search list before their answer or fell back to the bare \
                     name; they are not listed"
                ),
                first.into_iter().collect(),
            ));
        }
    }
    out
}
