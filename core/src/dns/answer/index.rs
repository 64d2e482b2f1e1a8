//! The kubectl objects as the `kubernetes` plugin indexes them: Services with their kind, cluster IPs and ports,
//! endpoints (from Endpoints and EndpointSlices) with readiness, hostnames and ports, pods and namespaces.

use std::net::IpAddr;

use super::ClusterDns;
use crate::evidence::Evidence;
use crate::source::inputs::KubeSource;
use crate::source::kubectl::model::{EndpointPort, Origin};

/// The namespace kubectl uses when neither the command line nor the context names one.
const DEFAULT_NAMESPACE: &str = "default";

/// What the plugin knows of a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    ClusterIp,
    Headless,
    ExternalName,
    Unknown,
}

#[derive(Debug, Clone)]
pub(super) struct SvcPort {
    pub(super) name: Option<String>,
    pub(super) protocol: String,
    pub(super) port: u16,
}

#[derive(Debug, Clone)]
pub(super) struct Ep {
    pub(super) ip: IpAddr,
    /// The address as the object writes it (the dashed label is made from this text).
    pub(super) text: String,
    pub(super) ready: Option<bool>,
    pub(super) hostname: Option<String>,
    pub(super) pod: Option<String>,
    pub(super) ports: Vec<EndpointPort>,
    pub(super) evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub(super) struct Svc {
    pub(super) kind: Kind,
    pub(super) cluster_ips: Vec<(IpAddr, Vec<Evidence>)>,
    /// Some input lists `spec.clusterIPs` in full (JSON/YAML), so a missing family is really missing.
    pub(super) ips_complete: bool,
    pub(super) external_name: Option<String>,
    pub(super) ports: Vec<SvcPort>,
    pub(super) evidence: Vec<Evidence>,
    pub(super) notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Endpoints {
    pub(super) list: Vec<Ep>,
    pub(super) notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct PodInfo {
    pub(super) ips: Vec<IpAddr>,
    pub(super) evidence: Evidence,
}

pub(super) use crate::evidence::{push_new as note, push_unique as add_evidence};

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

/// The namespace of an object, or kubectl's default when the input does not say; `true` when assumed.
fn namespace_of(namespace: &Option<String>) -> (String, bool) {
    match namespace {
        Some(ns) => (ns.to_ascii_lowercase(), false),
        None => (DEFAULT_NAMESPACE.to_string(), true),
    }
}

fn assumed_note(what: &str) -> String {
    format!(
        "the input does not show the namespace of {what}; kubectl's current namespace, `{DEFAULT_NAMESPACE}` unless \
         the context sets another, is assumed"
    )
}

impl ClusterDns {
    /// Records that some object is in namespace `ns` (`assumed`: only kubectl's default says so).
    fn saw_namespace(&mut self, ns: &str, assumed: bool, evidence: Evidence) {
        match self.namespaces.get_mut(ns) {
            Some(entry) => {
                if entry.1 && !assumed {
                    *entry = (evidence, false);
                }
            }
            None => {
                self.namespaces.insert(ns.to_string(), (evidence, assumed));
            }
        }
    }

    /// Adds every object of one kubectl input.
    pub(super) fn add(&mut self, input: &KubeSource) {
        self.add_services(input);
        self.add_endpoints(input);
        self.add_slices(input);
        let src = &input.source;
        for pod in &input.objects.pods {
            let (ns, assumed) = namespace_of(&pod.namespace);
            let ev = Evidence::line(src, pod.line);
            self.saw_namespace(&ns, assumed, ev.clone());
            self.pods.entry(ns).or_default().push(PodInfo {
                ips: pod.ips.iter().filter_map(|t| parse_ip(t)).collect(),
                evidence: ev,
            });
        }
    }

    /// The input's Services: kind, cluster IPs, external name, ports.
    fn add_services(&mut self, input: &KubeSource) {
        let src = &input.source;
        for s in &input.objects.services {
            let (ns, assumed) = namespace_of(&s.namespace);
            let ev = Evidence::line(src, s.line);
            self.saw_namespace(&ns, assumed, ev.clone());
            let kind =
                if s.external_name.is_some() || s.service_type.as_deref() == Some("ExternalName") {
                    Kind::ExternalName
                } else if s.headless == Some(true) {
                    Kind::Headless
                } else if !s.cluster_ips.is_empty() {
                    Kind::ClusterIp
                } else {
                    Kind::Unknown
                };
            let entry = self
                .services
                .entry((ns.clone(), s.name.to_ascii_lowercase()))
                .or_insert_with(|| Svc {
                    kind,
                    cluster_ips: Vec::new(),
                    ips_complete: false,
                    external_name: None,
                    ports: Vec::new(),
                    evidence: Vec::new(),
                    notes: Vec::new(),
                });
            if entry.kind == Kind::Unknown {
                entry.kind = kind;
            } else if kind != Kind::Unknown && kind != entry.kind {
                note(
                    &mut entry.notes,
                    format!("the inputs disagree on the kind of Service {ns}/{}", s.name),
                );
            }
            if assumed {
                note(
                    &mut entry.notes,
                    assumed_note(&format!("Service {}", s.name)),
                );
            }
            add_evidence(&mut entry.evidence, std::slice::from_ref(&ev));
            if matches!(s.origin, Origin::Json | Origin::Yaml) {
                entry.ips_complete = true;
            }
            for ip in s.cluster_ips.iter().filter_map(|t| parse_ip(t)) {
                match entry.cluster_ips.iter_mut().find(|(known, _)| *known == ip) {
                    Some((_, evidence)) => add_evidence(evidence, std::slice::from_ref(&ev)),
                    None => entry.cluster_ips.push((ip, vec![ev.clone()])),
                }
            }
            if entry.external_name.is_none() {
                entry.external_name = s
                    .external_name
                    .as_deref()
                    .map(|n| n.trim_end_matches('.').to_ascii_lowercase());
            }
            for p in &s.ports {
                let known = entry
                    .ports
                    .iter_mut()
                    .find(|q| q.port == p.port && q.protocol.eq_ignore_ascii_case(&p.protocol));
                match known {
                    Some(q) if q.name.is_none() => q.name.clone_from(&p.name),
                    Some(_) => {}
                    None => entry.ports.push(SvcPort {
                        name: p.name.clone(),
                        protocol: p.protocol.clone(),
                        port: p.port,
                    }),
                }
            }
        }
    }

    /// The input's Endpoints: each address with its readiness, hostname, pod and the subset's ports.
    fn add_endpoints(&mut self, input: &KubeSource) {
        let src = &input.source;
        for e in &input.objects.endpoints {
            let (ns, assumed) = namespace_of(&e.namespace);
            self.saw_namespace(&ns, assumed, Evidence::line(src, e.line));
            let table = e.origin == Origin::Table;
            let key = (ns, e.name.to_ascii_lowercase());
            let entry = self.endpoints.entry(key).or_default();
            if assumed {
                note(
                    &mut entry.notes,
                    assumed_note(&format!("Endpoints {}", e.name)),
                );
            }
            if let Some(more) = e.truncated_more {
                note(
                    &mut entry.notes,
                    format!(
                        "the Endpoints table of {} hides {more} more addresses",
                        e.name
                    ),
                );
            }
            if table {
                note(
                    &mut entry.notes,
                    format!(
                        "the Endpoints table of {} shows neither port names nor not-ready addresses",
                        e.name
                    ),
                );
            }
            for subset in &e.subsets {
                let all = subset
                    .addresses
                    .iter()
                    .map(|a| (a, true))
                    .chain(subset.not_ready_addresses.iter().map(|a| (a, false)));
                for (address, ready) in all {
                    let Some(ip) = parse_ip(&address.ip) else {
                        continue;
                    };
                    merge_ep(
                        &mut entry.list,
                        Ep {
                            ip,
                            text: address.ip.trim().to_string(),
                            ready: Some(ready),
                            hostname: address.hostname.clone(),
                            pod: address.target.as_ref().and_then(|t| t.name.clone()),
                            ports: subset.ports.clone(),
                            evidence: vec![Evidence::line(src, address.line)],
                        },
                    );
                }
            }
        }
    }

    /// The input's EndpointSlices, by the Service they belong to.
    fn add_slices(&mut self, input: &KubeSource) {
        let src = &input.source;
        for slice in &input.objects.endpoint_slices {
            let (ns, assumed) = namespace_of(&slice.namespace);
            self.saw_namespace(&ns, assumed, Evidence::line(src, slice.line));
            let Some(service) = slice.probable_service_name() else {
                continue;
            };
            let table = slice.origin == Origin::Table;
            let entry = self
                .endpoints
                .entry((ns, service.to_ascii_lowercase()))
                .or_default();
            if assumed {
                note(
                    &mut entry.notes,
                    assumed_note(&format!("EndpointSlice {}", slice.name)),
                );
            }
            if let Some(more) = slice.truncated_more.or(slice.ports_truncated_more) {
                note(
                    &mut entry.notes,
                    format!(
                        "the EndpointSlice table row of {} hides {more} more entries",
                        slice.name
                    ),
                );
            }
            if table {
                note(
                    &mut entry.notes,
                    format!(
                        "the EndpointSlice table of {} shows neither readiness nor port names",
                        slice.name
                    ),
                );
            }
            for endpoint in &slice.endpoints {
                // A nil `ready` is ready; a table does not show conditions at all.
                let ready = match (endpoint.ready, table) {
                    (Some(ready), _) => Some(ready),
                    (None, false) => Some(true),
                    (None, true) => None,
                };
                for text in endpoint.addresses.iter().take(1) {
                    let Some(ip) = parse_ip(text) else {
                        continue;
                    };
                    merge_ep(
                        &mut entry.list,
                        Ep {
                            ip,
                            text: text.trim().to_string(),
                            ready,
                            hostname: endpoint.hostname.clone(),
                            pod: endpoint.target.as_ref().and_then(|t| t.name.clone()),
                            ports: slice.ports.clone(),
                            evidence: vec![Evidence::line(src, endpoint.line)],
                        },
                    );
                }
            }
        }
    }
}

/// Adds an endpoint to a Service's list, merging what several inputs say of one address.
fn merge_ep(list: &mut Vec<Ep>, ep: Ep) {
    match list.iter_mut().find(|known| known.ip == ep.ip) {
        Some(known) => {
            known.ready = match (known.ready, ep.ready) {
                (Some(a), Some(b)) => Some(a && b),
                (a, b) => a.or(b),
            };
            if known.hostname.is_none() {
                known.hostname = ep.hostname;
            }
            if known.pod.is_none() {
                known.pod = ep.pod;
            }
            for p in ep.ports {
                if !known.ports.contains(&p) {
                    known.ports.push(p);
                }
            }
            add_evidence(&mut known.evidence, &ep.evidence);
        }
        None => list.push(ep),
    }
}
