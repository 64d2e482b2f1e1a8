//! `nameserver-not-cluster-dns`: a pod's nameserver is neither the cluster DNS VIP nor NodeLocal DNSCache.

use crate::diagnostic::Severity;
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::rules::{is_cluster_dns, is_cluster_dns_service};
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct NameserverNotClusterDns;

static DOC: RuleDoc = RuleDoc {
    code: "nameserver-not-cluster-dns",
    severity: Severity::Warning,
    title: "The pod's nameserver is not cluster DNS",
    what: "For a pod's resolv.conf (its search list has a `<namespace>.svc.<zone>` domain, as kubelet writes for dnsPolicy ClusterFirst), compares the nameserver the resolver uses first with the cluster DNS Service's cluster IPs found in the other inputs (a node dump's kube-system/kube-dns rules, or kubectl's Service) and with NodeLocal DNSCache's link-local address 169.254.20.10.",
    why: "kubelet writes its `--cluster-dns` address into every ClusterFirst pod. If that is not the DNS Service's cluster IP, every lookup goes to an address kube-proxy does not DNAT to CoreDNS: queries time out (5 s per try) or reach a resolver that cannot answer cluster names. It usually means kubelet's `clusterDNS` does not match the kube-dns Service (a re-created Service, a changed service CIDR) or the pod's dnsConfig/dnsPolicy overrides it.",
    example: "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.0.10        (the kube-dns Service is 10.96.0.10)\noptions ndots:5",
    fix: "Set kubelet's `clusterDNS` (KubeletConfiguration) to the kube-dns Service's cluster IP (`kubectl -n kube-system get svc kube-dns`) and restart the pods, or fix the pod's `dnsPolicy`/`dnsConfig`. With NodeLocal DNSCache, kubelet's clusterDNS is 169.254.20.10.",
};

/// NodeLocal DNSCache's default listen address.
const NODE_LOCAL_DNS: &str = "169.254.20.10";

impl Rule for NameserverNotClusterDns {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        // The cluster DNS VIPs the other inputs show, with where they show them.
        let mut vips: Vec<(&str, Evidence)> = Vec::new();
        for node in &context.nodes {
            for s in node.services.iter().filter(|s| is_cluster_dns(s)) {
                if let Some(ip) = s.cluster_ip.as_deref() {
                    vips.push((ip, at(node.source, s.line)));
                }
            }
        }
        for k in context.kubernetes {
            for s in &k.objects.services {
                let namespace = s.namespace.as_deref().unwrap_or_default();
                if is_cluster_dns_service(namespace, &s.name) {
                    for ip in &s.cluster_ips {
                        vips.push((ip.as_str(), at(&k.source, s.line)));
                    }
                }
            }
        }
        if vips.is_empty() {
            return;
        }
        for r in context.resolv_confs {
            let conf = &r.value;
            if !conf.search.iter().any(|d| d.contains(".svc.")) {
                continue;
            }
            let Some(first) = conf.nameservers.first() else {
                continue;
            };
            let address = first.address.split('%').next().unwrap_or_default();
            if address == NODE_LOCAL_DNS || vips.iter().any(|(ip, _)| *ip == address) {
                continue;
            }
            let mut known: Vec<&str> = vips.iter().map(|(ip, _)| *ip).collect();
            known.sort_unstable();
            known.dedup();
            let mut evidence = vec![at(&r.source, first.line)];
            evidence.extend(conf.search_line.map(|l| at(&r.source, l)));
            evidence.extend(vips.iter().map(|(_, e)| e.clone()));
            out.push(DOC.finding(
                format!(
                    "{}: the pod resolves through {address}, but cluster DNS is {} (or NodeLocal DNSCache {NODE_LOCAL_DNS})",
                    r.source,
                    known.join(", ")
                ),
                evidence,
            ));
        }
    }
}
