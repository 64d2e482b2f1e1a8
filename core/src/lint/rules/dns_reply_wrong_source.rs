//! `dns-reply-wrong-source`: replies that come from an address the query was not sent to.

use crate::capture::engine::signals::Signal;
use crate::diagnostic::Severity;
use crate::lint::rules::capture::{counted, examples, query};
use crate::lint::RuleDoc;

pub(super) static DOC: RuleDoc = RuleDoc {
    code: "dns-reply-wrong-source",
    severity: Severity::Warning,
    title: "DNS replies from an address the query was not sent to",
    what: "In a capture, finds responses addressed to a query's client socket with its id (and its question, when the response shows one) that come from another address than the one the query was sent to, while no reply from that address matches. Evidence: the query and the stray reply.",
    why: "A stub resolver's UDP socket is connected to the nameserver (glibc, musl): a reply from any other address is dropped, and the client waits for its timeout. The typical case is a query to the DNS Service VIP answered from the CoreDNS pod's own IP: the reverse NAT did not apply to the reply — its conntrack entry was lost or expired, the reply took a path that avoids the node that did the DNAT (asymmetric routing), or a hairpin (client and CoreDNS on one node, same bridge) without masquerade let the reply go straight back.",
    example: "14:02:12.000000 IP 10.244.0.20.50123 > 10.96.0.10.53: 2222+ A? redis.default.svc.cluster.local. (49)\n14:02:12.000700 IP 10.244.0.2.53 > 10.244.0.20.50123: 2222*- 1/0/0 A 10.96.45.6 (96)",
    fix: "On the node that did the DNAT, look for the query's conntrack entry (`conntrack -L -p udp --dport 53`) and for `insert_failed`/`drop` in `conntrack -S`; make sure replies route back through that node (no policy routing or CNI path that skips it); for a hairpin on a bridge, enable hairpin mode or masquerade (kube-proxy's `KUBE-MARK-MASQ`, see masquerade-missing).",
};

/// The message: how many, the first examples.
pub(super) fn message(signal: &Signal) -> String {
    let list = examples(signal, |e| {
        format!(
            "{}, answered by {}",
            query(e),
            e.other.as_deref().unwrap_or("?")
        )
    });
    format!(
        "{} from an address the query was not sent to ({list})",
        counted(signal.count, "reply came", "replies came"),
    )
}
