//! What the trace reads from the inputs: the analysis's Services, endpoints and pods, found by address or name,
//! and the bytes of an input as `analyze` read them.

use std::net::IpAddr;
use std::sync::Arc;

use crate::analysis::Analysis;
use crate::evidence::Evidence;
use crate::source::inputs::KubeSource;
use crate::source::kubectl::model::{KubeService, KubeServicePort, Objects, Origin, TargetPort};
use crate::source::Source;
use crate::Options;

use super::route::round9;
use super::Branch;

/// kubectl's namespace when neither the command line nor the input names one.
pub(super) const DEFAULT_NAMESPACE: &str = "default";

/// An address of the cluster DNS Service, with the Service's name and the lines that show it.
#[derive(Debug, Clone)]
pub(super) struct DnsService {
    /// The cluster IP.
    pub(super) ip: IpAddr,
    /// `kube-system/kube-dns`.
    pub(super) label: String,
    /// The lines that list it.
    pub(super) evidence: Vec<Evidence>,
}

pub(super) use crate::evidence::{push_new as note, push_unique};

/// The namespace of a kubectl object, kubectl's default when the input does not say.
pub(super) fn ns_of(namespace: &Option<String>) -> String {
    namespace
        .as_deref()
        .map_or_else(|| DEFAULT_NAMESPACE.to_string(), str::to_ascii_lowercase)
}

/// A Service that an input names, with its ports.
#[derive(Debug, Clone, Default)]
pub(super) struct ServiceInfo {
    pub(super) namespace: String,
    pub(super) name: String,
    /// `(port, protocol lower-case, port name, target port)`.
    pub(super) ports: Vec<(u16, String, Option<String>, Option<TargetPort>)>,
    pub(super) headless: bool,
    pub(super) evidence: Vec<Evidence>,
}

impl ServiceInfo {
    /// `namespace/name`.
    pub(super) fn label(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Everything the trace reads, found once.
pub(super) struct Inputs<'a> {
    pub(super) analysis: &'a Analysis,
    pub(super) sources: &'a [Source<'a>],
    pub(super) options: &'a Options,
}

impl<'a> Inputs<'a> {
    /// The bytes of the input named `name`, capped as `analyze` caps them and decoded as `analyze` decodes them
    /// (UTF-16 to UTF-8, CR-only line ends to LF), so a dump the analysis read is one the walk reads too.
    pub(super) fn bytes(&self, name: &str) -> Option<std::borrow::Cow<'a, [u8]>> {
        let source = self.sources.iter().find(|s| s.name == name)?;
        let capped = source
            .bytes
            .get(..self.options.max_source_bytes)
            .unwrap_or(source.bytes);
        Some(crate::text::normalise(capped))
    }

    /// Every Service an input names with `ip` as a cluster IP: kubectl's Services, then the node dumps' ports.
    pub(super) fn service_by_ip(&self, ip: IpAddr) -> Option<ServiceInfo> {
        for input in &self.analysis.kubernetes {
            for s in &input.objects.services {
                let has = s
                    .cluster_ips
                    .iter()
                    .any(|c| c.trim().parse::<IpAddr>().ok() == Some(ip));
                if has {
                    return Some(
                        self.service_named(&ns_of(&s.namespace), &s.name.to_ascii_lowercase()),
                    );
                }
            }
        }
        let found = self.analysis.services.iter().find(|s| {
            s.cluster_ip
                .as_deref()
                .and_then(|c| c.parse::<IpAddr>().ok())
                == Some(ip)
                && !s.name.is_empty()
        })?;
        Some(self.service_named(&found.namespace, &found.name))
    }

    /// What the inputs say of Service `ns/name`: ports from kubectl and from the node dumps, with their lines.
    pub(super) fn service_named(&self, namespace: &str, name: &str) -> ServiceInfo {
        let mut info = ServiceInfo {
            namespace: namespace.to_string(),
            name: name.to_string(),
            ..ServiceInfo::default()
        };
        for input in &self.analysis.kubernetes {
            for s in &input.objects.services {
                if ns_of(&s.namespace) != namespace || !s.name.eq_ignore_ascii_case(name) {
                    continue;
                }
                push_unique(&mut info.evidence, &[Evidence::line(&input.source, s.line)]);
                info.headless |= s.headless == Some(true);
                for p in &s.ports {
                    let protocol = p.protocol.to_ascii_lowercase();
                    if !info
                        .ports
                        .iter()
                        .any(|(n, pr, _, _)| *n == p.port && *pr == protocol)
                    {
                        info.ports
                            .push((p.port, protocol, p.name.clone(), p.target_port.clone()));
                    }
                }
            }
        }
        for s in &self.analysis.services {
            if s.namespace != namespace || s.name != name {
                continue;
            }
            if let Some(port) = s.port {
                if !info
                    .ports
                    .iter()
                    .any(|(n, pr, _, _)| *n == port && *pr == s.protocol)
                {
                    info.ports
                        .push((port, s.protocol.clone(), Some(s.port_name.clone()), None));
                }
            }
        }
        info
    }

    /// The Service a name such as `nginx.default.svc.cluster.local.` stands for, if an input lists it.
    pub(super) fn service_by_name(&self, fqdn: &str, zone: &str) -> Option<ServiceInfo> {
        let lower = fqdn.trim_end_matches('.').to_ascii_lowercase();
        let relative = lower.strip_suffix(&format!(".svc.{zone}"))?;
        let (name, namespace) = relative.rsplit_once('.')?;
        let name = name.rsplit('.').next().unwrap_or(name);
        let info = self.service_named(namespace, name);
        (!info.evidence.is_empty() || !info.ports.is_empty()).then_some(info)
    }

    /// The cluster DNS Service's addresses: `kube-system/kube-dns` (CoreDNS keeps the name) or `coredns`, from
    /// kubectl and the node dumps, with the lines that say so.
    pub(super) fn cluster_dns(&self) -> Vec<DnsService> {
        let mut out: Vec<DnsService> = Vec::new();
        fn add(out: &mut Vec<DnsService>, ip: IpAddr, label: String, ev: Evidence) {
            match out.iter_mut().find(|known| known.ip == ip) {
                Some(known) => push_unique(&mut known.evidence, &[ev]),
                None => out.push(DnsService {
                    ip,
                    label,
                    evidence: vec![ev],
                }),
            }
        }
        let is_dns =
            |ns: &str, name: &str| ns == "kube-system" && (name == "kube-dns" || name == "coredns");
        for input in &self.analysis.kubernetes {
            for s in &input.objects.services {
                let ns = s.namespace.as_deref().unwrap_or_default();
                if !is_dns(ns, &s.name) {
                    continue;
                }
                for ip in s.cluster_ips.iter().filter_map(|c| c.trim().parse().ok()) {
                    add(
                        &mut out,
                        ip,
                        format!("{ns}/{}", s.name),
                        Evidence::line(&input.source, s.line),
                    );
                }
            }
        }
        // The node dumps name the Service in their rule comments; used when kubectl does not list it.
        // The UDP port's rule (queries go over UDP), else any of the Service's.
        let from_kubectl = out.len();
        let mut dump_ports: Vec<&crate::model::services::Service> = self
            .analysis
            .services
            .iter()
            .filter(|s| is_dns(&s.namespace, &s.name) && from_kubectl == 0)
            .collect();
        dump_ports.sort_by_key(|s| s.protocol != "udp");
        for s in dump_ports {
            let Some(ip) = s
                .cluster_ip
                .as_deref()
                .and_then(|c| c.parse::<IpAddr>().ok())
            else {
                continue;
            };
            if out.iter().any(|known| known.ip == ip) {
                continue;
            }
            add(
                &mut out,
                ip,
                format!("{}/{}", s.namespace, s.name),
                Evidence::line(&Arc::from(s.source.as_str()), s.line),
            );
        }
        out
    }

    /// Ready endpoints kubectl lists for Service port `port`/`protocol` of `info`, each with an equal share.
    /// `None` when no input lists the Service's endpoints at all.
    pub(super) fn kubectl_endpoints(
        &self,
        info: &ServiceInfo,
        port: u16,
        protocol: &str,
    ) -> Option<Vec<Branch>> {
        let service_port = info
            .ports
            .iter()
            .find(|(n, pr, _, _)| *n == port && pr == protocol)
            .or_else(|| info.ports.iter().find(|(n, _, _, _)| *n == port));
        let port_name = service_port.and_then(|(_, _, name, _)| name.clone());
        let target = service_port.and_then(|(_, _, _, t)| match t {
            Some(TargetPort::Number(n)) => Some(*n),
            _ => None,
        });
        // The endpoint port for this Service port among an object's ports: by name, else the target port, else
        // the only port of the protocol.
        let pick = |ports: &[crate::source::kubectl::model::EndpointPort]| -> Option<u16> {
            if let Some(name) = port_name.as_deref() {
                if let Some(p) = ports.iter().find(|p| p.name.as_deref() == Some(name)) {
                    return p.port;
                }
            }
            if let Some(t) = target {
                return Some(t);
            }
            let mut numbers: Vec<u16> = ports
                .iter()
                .filter(|p| {
                    p.protocol
                        .as_deref()
                        .is_none_or(|pr| pr.eq_ignore_ascii_case(protocol))
                })
                .filter_map(|p| p.port)
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            match numbers.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        };
        let mut listed = false;
        let mut found: Vec<(String, Option<u16>, Vec<Evidence>)> = Vec::new();
        let mut add = |ip: &str, port: Option<u16>, ev: Evidence| {
            let ip = ip.trim().to_string();
            match found.iter_mut().find(|(i, p, _)| *i == ip && *p == port) {
                Some((_, _, evidence)) => push_unique(evidence, &[ev]),
                None => found.push((ip, port, vec![ev])),
            }
        };
        for input in &self.analysis.kubernetes {
            for e in &input.objects.endpoints {
                if ns_of(&e.namespace) != info.namespace || !e.name.eq_ignore_ascii_case(&info.name)
                {
                    continue;
                }
                listed = true;
                for subset in &e.subsets {
                    let p = pick(&subset.ports);
                    for a in &subset.addresses {
                        add(&a.ip, p, Evidence::line(&input.source, a.line));
                    }
                }
            }
            for slice in &input.objects.endpoint_slices {
                let service = slice.probable_service_name().unwrap_or_default();
                if ns_of(&slice.namespace) != info.namespace
                    || !service.eq_ignore_ascii_case(&info.name)
                {
                    continue;
                }
                listed = true;
                let p = pick(&slice.ports);
                for endpoint in &slice.endpoints {
                    if endpoint.ready == Some(false) {
                        continue;
                    }
                    if let Some(address) = endpoint.addresses.first() {
                        add(address, p, Evidence::line(&input.source, endpoint.line));
                    }
                }
            }
            for s in &input.objects.services {
                if ns_of(&s.namespace) != info.namespace || !s.name.eq_ignore_ascii_case(&info.name)
                {
                    continue;
                }
                for p in s.ports.iter().filter(|p| p.port == port) {
                    let Some(described) = &p.endpoints else {
                        continue;
                    };
                    listed = true;
                    for a in &described.addresses {
                        add(&a.ip, a.port, Evidence::line(&input.source, described.line));
                    }
                }
            }
        }
        if !listed {
            return None;
        }
        let n = found.len();
        let share = if n == 0 { 0.0 } else { round9(1.0 / n as f64) };
        Some(
            found
                .into_iter()
                .map(|(ip, port, evidence)| Branch {
                    ip,
                    port,
                    chain: None,
                    probability: share,
                    evidence,
                    jump: None,
                    dnat: None,
                })
                .collect(),
        )
    }

    /// The kubectl lines that list `ip` as an endpoint or a pod, and the pod's name if one is given.
    pub(super) fn endpoint_info(&self, ip: &str) -> (Option<String>, Vec<Evidence>) {
        let mut name = None;
        let mut evidence = Vec::new();
        for input in &self.analysis.kubernetes {
            for pod in &input.objects.pods {
                if pod.ips.iter().any(|i| i.trim() == ip) {
                    name.get_or_insert_with(|| format!("{}/{}", ns_of(&pod.namespace), pod.name));
                    push_unique(&mut evidence, &[Evidence::line(&input.source, pod.line)]);
                }
            }
            for e in &input.objects.endpoints {
                for a in e.subsets.iter().flat_map(|s| s.addresses.iter()) {
                    if a.ip.trim() == ip {
                        if let Some(pod) = a.target.as_ref().and_then(|t| t.name.as_deref()) {
                            name.get_or_insert_with(|| format!("{}/{pod}", ns_of(&e.namespace)));
                        }
                        push_unique(&mut evidence, &[Evidence::line(&input.source, a.line)]);
                    }
                }
            }
            for slice in &input.objects.endpoint_slices {
                for endpoint in &slice.endpoints {
                    if endpoint.addresses.first().is_some_and(|a| a.trim() == ip) {
                        if let Some(pod) = endpoint.target.as_ref().and_then(|t| t.name.as_deref())
                        {
                            name.get_or_insert_with(|| {
                                format!("{}/{pod}", ns_of(&slice.namespace))
                            });
                        }
                        push_unique(
                            &mut evidence,
                            &[Evidence::line(&input.source, endpoint.line)],
                        );
                    }
                }
            }
        }
        (name, evidence)
    }
}

/// The Service ports the node dumps name in their rule comments, as kubectl Services (cluster IP and port, from
/// the `KUBE-SERVICES` line), for the Services no kubectl input lists: a dump and a resolv.conf are then enough to
/// answer cluster names.
pub(super) fn services_from_dumps(analysis: &Analysis, notes: &mut Vec<String>) -> Vec<KubeSource> {
    let kubectl: std::collections::BTreeSet<(String, String)> = analysis
        .kubernetes
        .iter()
        .flat_map(|k| k.objects.services.iter())
        .map(|s| (ns_of(&s.namespace), s.name.to_ascii_lowercase()))
        .collect();
    let listed =
        |ns: &str, name: &str| kubectl.contains(&(ns.to_string(), name.to_ascii_lowercase()));
    let mut out: Vec<KubeSource> = Vec::new();
    let mut used = false;
    for s in &analysis.services {
        let (Some(ip), Some(port)) = (s.cluster_ip.as_ref(), s.port) else {
            continue;
        };
        if s.namespace.is_empty() || s.name.is_empty() || listed(&s.namespace, &s.name) {
            continue;
        }
        used = true;
        let source: Arc<str> = Arc::from(s.source.as_str());
        let at_input = match out.iter().position(|k| k.source == source) {
            Some(i) => i,
            None => {
                out.push(KubeSource::new(
                    &source,
                    crate::source::inputs::KubeRead {
                        format: None,
                        objects: Objects::default(),
                    },
                ));
                out.len() - 1
            }
        };
        let Some(input) = out.get_mut(at_input) else {
            continue;
        };
        let mut service = KubeService::named(s.line, Origin::Table, s.name.clone());
        service.namespace = Some(s.namespace.clone());
        service.cluster_ips = vec![ip.clone()];
        service.headless = Some(false);
        service.ports = vec![KubeServicePort {
            line: s.line,
            name: Some(s.port_name.clone()),
            protocol: s.protocol.to_ascii_uppercase(),
            port,
            target_port: None,
            node_port: None,
            app_protocol: None,
            endpoints: None,
        }];
        input.objects.services.push(service);
    }
    if used {
        note(
            notes,
            "Services that no kubectl input lists are answered from the node dumps' KUBE-SERVICES rules (their \
             comment names the Service, the rule its cluster IP)"
                .to_string(),
        );
    }
    out
}
