//! `dns-truncated-no-tcp`: truncated (TC) UDP answers that the client did not retry over TCP.

use crate::capture::engine::signals::Signal;
use crate::diagnostic::Severity;
use crate::lint::rules::capture::{counted, examples};
use crate::lint::RuleDoc;

pub(super) static DOC: RuleDoc = RuleDoc {
    code: "dns-truncated-no-tcp",
    severity: Severity::Warning,
    title: "Truncated DNS answers not retried over TCP",
    what: "In a capture, finds UDP answers with the TC (truncated) flag after which the client's address sent no TCP query for the same name and type within 30 s. A truncated answer in the last 2 s of the capture (or, without timestamps, as its last packet) is left out. Evidence: each truncated answer.",
    why: "TC says the answer did not fit in the UDP message: the client is expected to ask again over TCP, and until it does it has no records, or only some. A client that does not retry (musl before 1.2.4; some hand-written resolvers) or cannot (TCP port 53 blocked by a NetworkPolicy or firewall, a DNS Service without its TCP port) fails on large answers: headless Services with many ready pods, long TXT records, DNSSEC.",
    example: "13:00:00.000000 IP 10.244.0.20.41000 > 10.96.0.10.53: 7003+ TXT? big.example.com. (33)\n13:00:00.020000 IP 10.96.0.10.53 > 10.244.0.20.41000: 7003|$ 0/0/0 (33)\n(no TCP connection from 10.244.0.20 to port 53 follows)",
    fix: "Allow TCP 53 from the pods to the DNS Service and its pods (NetworkPolicies, security groups) and keep the `dns-tcp` port on the kube-dns Service; move musl-based images to musl 1.2.4 or later (Alpine 3.18+); where possible make the answer smaller (fewer records per name, no ANY queries).",
};

/// The message: how many, the first examples.
pub(super) fn message(signal: &Signal) -> String {
    let list = examples(signal, |e| {
        format!("{} {} to {} from {}", e.name, e.qtype, e.client, e.server)
    });
    format!(
        "{} not followed by a TCP query from the client for the same name and type ({list})",
        counted(
            signal.count,
            "truncated answer was",
            "truncated answers were"
        ),
    )
}
