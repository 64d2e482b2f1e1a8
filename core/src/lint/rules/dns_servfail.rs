//! `dns-servfail`: SERVFAIL or REFUSED answers in a capture.

use crate::capture::engine::signals::Signal;
use crate::diagnostic::Severity;
use crate::lint::rules::capture::{counted, examples, query};
use crate::lint::RuleDoc;

pub(super) static DOC: RuleDoc = RuleDoc {
    code: "dns-servfail",
    severity: Severity::Warning,
    title: "DNS answers with SERVFAIL or REFUSED",
    what: "In a capture, finds transactions answered with rcode SERVFAIL (2) or REFUSED (5). Evidence: each such answer.",
    why: "SERVFAIL says the server could not produce an answer: CoreDNS could not reach its upstream (`forward` timeouts), detected a forwarding loop, or failed DNSSEC validation. REFUSED says it will not answer: a zone it does not serve, an `acl`, or recursion refused. glibc goes on to the next search domain after SERVFAIL but stops walking the search list after REFUSED, so a REFUSED for a search candidate makes the lookup skip the remaining domains.",
    example: "10:15:30.400000 IP 10.244.0.20.41000 > 10.244.0.2.53: 7002+ A? example.org. (29)\n10:15:30.405000 IP 10.244.0.2.53 > 10.244.0.20.41000: 7002 ServFail- 0/0/0 (29)",
    fix: "Read CoreDNS's log (the `errors` plugin prints the upstream error of every SERVFAIL), check that its `forward` targets are reachable from the CoreDNS pods and do not lead back to CoreDNS (corefile-forward-loop), and for REFUSED check which server answered and whether it is the one the client should ask.",
};

/// The message: how many, the first examples.
pub(super) fn message(signal: &Signal) -> String {
    let list = examples(signal, |e| {
        format!("{}: {}", query(e), e.other.as_deref().unwrap_or("?"))
    });
    format!(
        "{} SERVFAIL or REFUSED ({list})",
        counted(signal.count, "answer was", "answers were"),
    )
}
