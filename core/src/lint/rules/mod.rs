//! The rules, one per file. `ALL` is the registry, in catalog order.

pub(crate) mod capture;
mod chain_hash_mismatch;
mod chain_loop;
pub(crate) mod corefile;
mod corefile_autopath_pods;
mod corefile_forward_loop;
mod corefile_reverse_no_fallthrough;
mod dangling_jump;
mod dns_reply_wrong_source;
pub(crate) mod dns_search_expansion;
mod dns_servfail;
mod dns_service_unreachable;
mod dns_single_endpoint;
mod dns_timeout_retry;
mod dns_truncated_no_tcp;
mod dns_unanswered;
mod input_excerpt;
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
    &chain_loop::ChainLoop,
    &orphan_chain::OrphanChain,
    &userspace_proxy_residue::UserspaceProxyResidue,
    &masquerade_missing::MasqueradeMissing,
    &input_excerpt::InputExcerpt,
    &dns_service_unreachable::DnsServiceUnreachable,
    &dns_single_endpoint::DnsSingleEndpoint,
    &nameserver_not_cluster_dns::NameserverNotClusterDns,
    &search_path_limits::SearchPathLimits,
    &ndots_amplification::NdotsAmplification,
    // The capture findings: one table, a row per code.
    &capture::TABLE[0],
    &capture::TABLE[1],
    &capture::TABLE[2],
    &capture::TABLE[3],
    &capture::TABLE[4],
    &corefile_forward_loop::CorefileForwardLoop,
    &corefile_autopath_pods::CorefileAutopathPods,
    &corefile_reverse_no_fallthrough::CorefileReverseNoFallthrough,
    &dns_search_expansion::DnsSearchExpansion,
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

/// Whether a table was read whole (a dump's `*table` … `COMMIT`, a listing of every chain) rather than as an
/// excerpt: only a whole table can prove that something is absent.
pub(crate) fn complete(table: &crate::source::iptables::TableView<'_>) -> bool {
    table.excerpt().is_none()
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

/// The addresses of cluster DNS the inputs show, each with where: the kube-dns Service's cluster IPs and its
/// endpoints (CoreDNS pods) in node dumps and kubectl output, and the nameservers of ClusterFirst pods'
/// resolv.conf files (search list with a `<namespace>.svc.<zone>` domain), in input order.
pub(crate) fn cluster_dns_addresses(
    context: &crate::lint::Context<'_>,
) -> Vec<(std::net::IpAddr, crate::evidence::Evidence)> {
    use crate::lint::at;
    let mut out = Vec::new();
    let mut push = |ip: &str, evidence| {
        if let Ok(ip) = ip.split('%').next().unwrap_or_default().parse() {
            out.push((ip, evidence));
        }
    };
    for node in &context.nodes {
        for s in node.services.iter().filter(|s| is_cluster_dns(s)) {
            if let Some(ip) = s.cluster_ip.as_deref() {
                push(ip, at(node.source, s.line));
            }
            for e in &s.endpoints {
                push(&e.ip, at(node.source, e.dnat_line.unwrap_or(e.line)));
            }
        }
    }
    for k in context.kubernetes {
        let objects = &k.objects;
        let dns = |namespace: &Option<String>, name: &str| {
            is_cluster_dns_service(namespace.as_deref().unwrap_or_default(), name)
        };
        for s in objects
            .services
            .iter()
            .filter(|s| dns(&s.namespace, &s.name))
        {
            for ip in &s.cluster_ips {
                push(ip, at(&k.source, s.line));
            }
        }
        for e in objects
            .endpoints
            .iter()
            .filter(|e| dns(&e.namespace, &e.name))
        {
            for a in e.subsets.iter().flat_map(|s| &s.addresses) {
                push(&a.ip, at(&k.source, a.line));
            }
        }
        for s in objects.endpoint_slices.iter().filter(|s| {
            s.service_name
                .as_deref()
                .is_some_and(|n| dns(&s.namespace, n))
        }) {
            for e in &s.endpoints {
                for a in &e.addresses {
                    push(a, at(&k.source, e.line));
                }
            }
        }
    }
    for r in context.resolv_confs {
        if r.value.search.iter().any(|d| d.contains(".svc.")) {
            for n in r
                .value
                .nameservers
                .iter()
                .take(crate::source::resolv_conf::MAX_NAMESERVERS)
            {
                push(&n.address, at(&r.source, n.line));
            }
        }
    }
    out
}
