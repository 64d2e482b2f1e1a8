//! The rules, one per file. `ALL` is the registry, in catalog order.

mod capture;
mod chain_hash_mismatch;
mod dangling_jump;
mod dns_reply_wrong_source;
mod dns_servfail;
mod dns_service_unreachable;
mod dns_single_endpoint;
mod dns_timeout_retry;
mod dns_truncated_no_tcp;
mod dns_unanswered;
mod kube_view;
mod masquerade_missing;
mod missing_endpoint;
mod nameserver_not_cluster_dns;
mod ndots_amplification;
mod no_local_endpoints;
mod orphan_chain;
mod probability_skew;
mod search_path_limits;
mod service_no_endpoints;
mod stale_endpoint;
mod userspace_proxy_residue;

use super::Rule;

/// Every rule.
pub(crate) static ALL: &[&dyn Rule] = &[
    &service_no_endpoints::ServiceNoEndpoints,
    &no_local_endpoints::NoLocalEndpoints,
    &stale_endpoint::StaleEndpoint,
    &missing_endpoint::MissingEndpoint,
    &probability_skew::ProbabilitySkew,
    &chain_hash_mismatch::ChainHashMismatch,
    &dangling_jump::DanglingJump,
    &orphan_chain::OrphanChain,
    &userspace_proxy_residue::UserspaceProxyResidue,
    &masquerade_missing::MasqueradeMissing,
    &dns_service_unreachable::DnsServiceUnreachable,
    &dns_single_endpoint::DnsSingleEndpoint,
    &nameserver_not_cluster_dns::NameserverNotClusterDns,
    &search_path_limits::SearchPathLimits,
    &ndots_amplification::NdotsAmplification,
    &dns_timeout_retry::DnsTimeoutRetry,
    &dns_unanswered::DnsUnanswered,
    &dns_truncated_no_tcp::DnsTruncatedNoTcp,
    &dns_reply_wrong_source::DnsReplyWrongSource,
    &dns_servfail::DnsServfail,
];

/// Targets built into iptables (extensions), as opposed to user chains.
pub(crate) const BUILTIN_TARGETS: &[&str] = &[
    "ACCEPT",
    "DROP",
    "REJECT",
    "RETURN",
    "QUEUE",
    "NFQUEUE",
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "MARK",
    "CONNMARK",
    "LOG",
    "NFLOG",
    "ULOG",
    "TRACE",
    "CT",
    "NOTRACK",
    "TPROXY",
    "TOS",
    "TTL",
    "HL",
    "DSCP",
    "CLASSIFY",
    "TCPMSS",
    "CHECKSUM",
    "SET",
    "AUDIT",
    "TEE",
    "HMARK",
    "IDLETIMER",
    "LED",
    "NETMAP",
    "SECMARK",
    "CONNSECMARK",
    "SYNPROXY",
    "ECN",
    "RATEEST",
    "TCPOPTSTRIP",
    "CLUSTERIP",
];

/// Whether a table was read from a complete dump section (`*table` … `COMMIT`) rather than pasted rules:
/// only a complete dump can prove that something is absent.
pub(crate) fn complete(table: &crate::source::iptables::TableView<'_>) -> bool {
    table.line().is_some()
}

/// Whether a Service port is cluster DNS.
pub(crate) fn is_cluster_dns(s: &crate::model::services::Service) -> bool {
    is_cluster_dns_service(&s.namespace, &s.name) && s.port == Some(53)
}

/// Whether Service `namespace/name` is the cluster DNS Service of the common distributions.
pub(crate) fn is_cluster_dns_service(namespace: &str, name: &str) -> bool {
    matches!(
        (namespace, name),
        (
            "kube-system",
            "kube-dns" | "coredns" | "rke2-coredns-rke2-coredns"
        ) | ("openshift-dns", "dns-default")
    )
}
