//! `dns-unanswered`: queries in a capture that never got an answer.

use crate::capture::engine::signals::Signal;
use crate::diagnostic::Severity;
use crate::lint::rules::capture::{counted, examples, query};
use crate::lint::RuleDoc;

pub(super) static DOC: RuleDoc = RuleDoc {
    code: "dns-unanswered",
    severity: Severity::Warning,
    title: "DNS queries that never got an answer",
    what: "In a capture, finds DNS transactions with no answer from the server the query was sent to, counting every copy the client sent as one transaction. A query sent in the last 2 s of the capture (or, without timestamps, as its last packet) is left out: the capture may have stopped before its answer. Evidence: each query's first copy.",
    why: "The client waits for its timeout (5 s per try for glibc and musl) and then retries the same server, moves to the next nameserver or search domain, or fails: slow lookups, or names that do not resolve. The query or its answer was lost somewhere: dropped by conntrack (see dns-timeout-retry) or a NetworkPolicy, a DNS Service without endpoints or with a dead endpoint, an overloaded CoreDNS, or an answer that came back from another address and was dropped by the client (see dns-reply-wrong-source).",
    example: "10:00:00.000000 IP 10.244.0.20.35926 > 10.96.0.10.53: 100+ A? web.default.svc.cluster.local. (47)\n(no reply to 10.244.0.20.35926 with id 100 while the capture runs on for minutes)",
    fix: "Capture at both ends — the client pod's interface and the CoreDNS pod's — to see where the packets stop. Check that the kube-dns Service has ready endpoints on this node's rules (service-no-endpoints, dns-service-unreachable), that CoreDNS is healthy (its `errors` log, restarts, CPU limits), that NetworkPolicies allow UDP and TCP 53 both ways, and `conntrack -S` for drops.",
};

/// The message: how many, the first examples.
pub(super) fn message(signal: &Signal) -> String {
    let list = examples(signal, query);
    format!(
        "{} never answered ({list})",
        counted(signal.count, "query was", "queries were")
    )
}
