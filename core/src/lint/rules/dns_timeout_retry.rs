//! `dns-timeout-retry`: queries the client re-sent because no answer came, and the conntrack race signature.

use crate::capture::engine::signals::Signal;
use crate::diagnostic::Severity;
use crate::lint::rules::capture::{counted, duration, examples, query};
use crate::lint::RuleDoc;

pub(super) static DOC: RuleDoc = RuleDoc {
    code: "dns-timeout-retry",
    severity: Severity::Warning,
    title: "DNS queries re-sent because no answer came",
    what: "In a capture, finds DNS transactions whose query was sent more than once before the first answer came, or was re-sent and never answered (same client socket, server, id, name and type; a copy within 10 ms is the same packet on a second interface of a `-i any` capture, not a resend), says how long the client waited before re-sending, and tells whether the lost query was one of an A/AAAA pair sent together from one socket (within 10 ms, or back to back without timestamps) whose other half was answered in time — the signature of the conntrack race on the DNS Service's DNAT. Evidence: the first copy, the first resend, the answer and, for the race, the partner query.",
    why: "The client heard nothing until its resolver timeout (5 s by default for glibc and musl) and only then asked again: every such lookup is seconds slower, and callers with shorter deadlines fail. glibc and musl send the A and AAAA queries of a lookup at the same moment from one socket; both are new UDP conntrack entries for the same tuple, and when they are DNATed to the DNS Service's endpoints at the same time the second insertion can lose and its packet is dropped. It shows up as one of the pair answered in a millisecond and the other re-sent after 5 s.",
    example: "08:00:00.000000 IP 10.244.1.7.41234 > 10.96.0.10.53: 1001+ A? nginx.prod.svc.cluster.local. (46)\n08:00:00.000020 IP 10.244.1.7.41234 > 10.96.0.10.53: 1002+ AAAA? nginx.prod.svc.cluster.local. (46)\n08:00:00.000800 IP 10.96.0.10.53 > 10.244.1.7.41234: 1001 NXDomain*- 0/1/0 (139)\n08:00:05.000900 IP 10.244.1.7.41234 > 10.96.0.10.53: 1002+ AAAA? nginx.prod.svc.cluster.local. (46)",
    fix: "Run NodeLocal DNSCache, so pods ask a node-local cache without DNAT and the cache talks to CoreDNS over TCP; or give glibc clients `options single-request-reopen` (A and AAAA from separate sockets) through the pod's `dnsConfig` (musl ignores it). Fewer queries per lookup (fully qualified names, a lower ndots) shrink the exposure. On the node, `conntrack -S` shows `insert_failed` growing when the race hits; if the resends are not paired, look for packet loss on the way to CoreDNS and for CoreDNS overload.",
};

/// The message: how many, the first examples.
pub(super) fn message(signal: &Signal) -> String {
    let list = examples(signal, |e| {
        let gap = e
            .gap_us
            .map(|g| format!(", re-sent after {}", duration(g)))
            .unwrap_or_default();
        let never = if e.unanswered { ", never answered" } else { "" };
        format!("{}{gap}{never}", query(e))
    });
    let race = match signal.race {
            0 => String::new(),
            n => format!(
                "; {} the conntrack race signature: the A and AAAA queries of one socket sent together, one answered at once, the other lost",
                if signal.count == 1 {
                    "it matches".to_string()
                } else {
                    format!("{n} of them match")
                }
            ),
        };
    if signal.unanswered == 0 {
        return format!(
            "{} answered only after the client re-sent {} ({list}){race}",
            counted(signal.count, "query was", "queries were"),
            if signal.count == 1 { "it" } else { "them" },
        );
    }
    format!(
        "{} re-sent by the client after no answer came, {} ({list}){race}",
        counted(signal.count, "query was", "queries were"),
        match (signal.unanswered == signal.count, signal.count == 1) {
            (true, true) => "and was never answered".to_string(),
            (true, false) => "and none was ever answered".to_string(),
            (false, _) => format!("{} of them never answered", signal.unanswered),
        }
    )
}
