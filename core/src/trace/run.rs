//! One trace from start to end: the request read, the pod and its node found, the resolver configuration chosen,
//! then the lookups and the connection, each adding its hops and notes.

use std::net::IpAddr;

use crate::dns::plan::Resolver;
use crate::evidence::Evidence;
use crate::source::resolv_conf::MAX_NAMESERVERS;

use super::choose::{
    choose_corefile, choose_node, choose_resolv_conf, find_pod, kubelet_resolv_conf,
    namespace_of_search, zone_of, ResolvChoice, KUBELET_NDOTS,
};
use super::inputs::{note, DnsService, Inputs, ServiceInfo, DEFAULT_NAMESPACE};
use super::route::NodeRules;
use super::target::{parse_target, shown, Target};
use super::{Hop, HopKind, Pod, Request, ResolvUsed, Status, Trace};
use crate::dns::corefile::cluster_zones;
use crate::source::inputs::CorefileSource;

/// The zone when no input names one.
const DEFAULT_ZONE: &str = crate::dns::answer::DEFAULT_ZONE;

/// One trace being built: what every step reads (the inputs, the request, the pod's address and network, its
/// node's rules) and what it writes (the trace and its notes).
pub(super) struct Tracer<'r> {
    /// The inputs.
    pub(super) inputs: &'r Inputs<'r>,
    /// The name (and port) to trace.
    pub(super) target: Target,
    /// The pod's stub resolver.
    pub(super) resolver: Resolver,
    /// The pod's address.
    pub(super) from: IpAddr,
    /// Whether the pod uses the node's network (its packets leave through OUTPUT).
    pub(super) host_network: bool,
    /// The rules of the pod's node, when a dump is given.
    pub(super) node: Option<&'r NodeRules<'r>>,
    /// The Corefile that configures the cluster DNS, when one is given.
    pub(super) corefile: Option<&'r CorefileSource>,
    /// The trace being built.
    pub(super) t: &'r mut Trace,
    /// What the trace had to choose or could not know, in order.
    pub(super) notes: Vec<String>,
}

/// Traces `request` into `t`, which holds the request and no result yet.
pub(super) fn run(inputs: &Inputs<'_>, request: &Request, t: &mut Trace) {
    let Ok(from) = request.from.trim().parse::<IpAddr>() else {
        t.error = Some(format!(
            "`{}` is not the IP address of a pod",
            shown(&request.from)
        ));
        return;
    };
    let target = match parse_target(&request.to) {
        Ok(target) => target,
        Err(message) => {
            t.error = Some(message);
            return;
        }
    };
    t.status = Status::Unknown;
    let mut notes = Vec::new();
    let pod = find_pod(inputs.analysis, from, &mut notes);
    let host_network = pod.as_ref().is_some_and(|p| p.host_network == Some(true));
    // The chosen dump's rules are read once, as the parser's view of its bytes.
    let chosen = choose_node(inputs, pod.as_ref(), &mut notes);
    let bytes = chosen.and_then(|c| inputs.bytes(&c.name));
    let node = chosen
        .zip(bytes.as_deref())
        .and_then(|(c, bytes)| NodeRules::read(&c.name, bytes, c.kind));
    t.node = node.as_ref().map(|n| n.name.to_string());
    let corefile = choose_corefile(inputs.analysis, &mut notes);
    let mut tracer = Tracer {
        inputs,
        target,
        resolver: request.resolver,
        from,
        host_network,
        node: node.as_ref(),
        corefile,
        t,
        notes,
    };
    tracer.trace(pod);
    let Tracer { t, notes, .. } = tracer;
    for n in notes {
        note(&mut t.notes, n);
    }
}

impl Tracer<'_> {
    /// The pod's hop, then the lookups (unless the target is an address), then the connection.
    fn trace(&mut self, pod: Option<Pod>) {
        let pod_hop = self.pod_hop(pod.as_ref());
        self.t.pod = pod.clone();
        let dns_services = self.inputs.cluster_dns();
        let mut connect_to: Option<(IpAddr, Option<ServiceInfo>)> = None;
        if let Some(ip) = self.target.ip {
            note(
                &mut self.notes,
                format!("{ip} is an address: no lookup is sent"),
            );
            connect_to = Some((ip, self.inputs.service_by_ip(ip)));
            self.t.status = Status::Resolved;
        } else {
            let (choice, zone) = self.resolver_config(pod.as_ref(), pod_hop, &dns_services);
            let dns = self.nameserver(&choice, &dns_services);
            if let Some(answer) = self.lookups(&choice, &zone, &dns) {
                connect_to = Some(answer);
                self.t.status = Status::Resolved;
            }
        }
        if let Some((ip, service)) = connect_to {
            self.connect(ip, service);
        }
    }

    /// The first hop: the pod, as kubectl lists it. Returns its index.
    fn pod_hop(&mut self, pod: Option<&Pod>) -> usize {
        let from = self.from;
        let mut pod_label = format!("pod {from}");
        let mut pod_evidence = Vec::new();
        if let Some(p) = pod {
            pod_label = format!(
                "pod {}/{} ({from}){}",
                p.namespace.as_deref().unwrap_or("?"),
                p.name,
                p.node
                    .as_deref()
                    .map(|n| format!(" on node {n}"))
                    .unwrap_or_default()
            );
            pod_evidence.push(p.evidence.clone());
            if self.host_network {
                note(
                    &mut self.notes,
                    format!(
                        "pod {} uses the node's network: its packets leave through the node's OUTPUT chain",
                        p.name
                    ),
                );
            }
        }
        let pod_hop = self.t.hops.len();
        self.t
            .hops
            .push(Hop::new(HopKind::Pod, pod_label, None, pod_evidence));
        pod_hop
    }

    /// The resolver configuration (the pod's resolv.conf, else the file kubelet writes for it) and the cluster
    /// zone; records them in the trace, and names the pod's namespace on its hop when only the file says it.
    fn resolver_config(
        &mut self,
        pod: Option<&Pod>,
        pod_hop: usize,
        dns_services: &[DnsService],
    ) -> (ResolvChoice, String) {
        let chosen = choose_resolv_conf(self.inputs, pod, self.from, &mut self.notes);
        let mut namespace = pod.and_then(|p| p.namespace.clone()).or_else(|| {
            chosen
                .as_ref()
                .and_then(|c| namespace_of_search(&c.conf.search))
        });
        // The resolv.conf's zone, else the one the Corefile's kubernetes plugin serves.
        let zone = chosen
            .as_ref()
            .and_then(|c| zone_of(&c.conf.search))
            .or_else(|| {
                self.corefile
                    .and_then(|c| cluster_zones(c).into_iter().find(|z| !z.is_empty()))
            })
            .unwrap_or_else(|| DEFAULT_ZONE.to_string());
        let choice = match chosen {
            Some(c) => c,
            None => {
                let ns = namespace.clone().unwrap_or_else(|| {
                    note(
                        &mut self.notes,
                        format!(
                            "no input shows the pod's namespace; `{DEFAULT_NAMESPACE}` is assumed for its search list"
                        ),
                    );
                    DEFAULT_NAMESPACE.to_string()
                });
                namespace = Some(ns.clone());
                self.kubelet_choice(&ns, &zone, pod, dns_services.first())
            }
        };
        self.t.resolv_conf = Some(ResolvUsed {
            source: choice.source.as_ref().map(|s| s.to_string()),
            nameservers: choice
                .conf
                .nameservers
                .iter()
                .take(MAX_NAMESERVERS)
                .map(|n| n.address.clone())
                .collect(),
            search: choice.conf.search.clone(),
            ndots: choice.conf.options.ndots,
            zone: zone.clone(),
            namespace: namespace.clone(),
        });
        if pod.is_none() {
            if let (Some(ns), Some(search_line), Some(src)) = (
                namespace.as_ref(),
                choice.conf.search_line,
                choice.source.as_ref(),
            ) {
                if let Some(hop) = self.t.hops.get_mut(pod_hop) {
                    hop.label =
                        format!("pod {} in namespace {ns} (from its search list)", self.from);
                    hop.evidence.push(Evidence::line(src, search_line));
                }
            }
        }
        (choice, zone)
    }

    /// kubelet's ClusterFirst file for a pod in namespace `ns`, with notes on what it cannot know.
    fn kubelet_choice(
        &mut self,
        ns: &str,
        zone: &str,
        pod: Option<&Pod>,
        dns: Option<&DnsService>,
    ) -> ResolvChoice {
        let conf = kubelet_resolv_conf(ns, zone, dns);
        note(
            &mut self.notes,
            format!(
                "no resolv.conf is given: kubelet's ClusterFirst file is assumed: search {}, nameserver {}, options \
                 ndots:{KUBELET_NDOTS}; the node's own search domains, which kubelet appends, are unknown",
                conf.search.join(" "),
                dns.map_or_else(|| "unknown".to_string(), |d| d.ip.to_string())
            ),
        );
        if self.host_network {
            note(
                &mut self.notes,
                "a hostNetwork pod with dnsPolicy ClusterFirst really uses the node's resolv.conf; \
                 ClusterFirstWithHostNet is assumed"
                    .to_string(),
            );
        }
        ResolvChoice {
            conf,
            source: None,
            rebuilt_search: pod.iter().map(|p| p.evidence.clone()).collect(),
            rebuilt_nameserver: dns.map(|d| d.evidence.clone()).unwrap_or_default(),
        }
    }
}
