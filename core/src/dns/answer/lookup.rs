//! A query name read as the plugin's `parseRequest` reads it, and looked up as `findServices` and `findPods` do:
//! what exists under the name, before the query type is applied.

use std::net::IpAddr;

use super::index::{add_evidence, note, Kind, Svc};
use super::names::{endpoint_label, hash_label_note, is_reverse, label_matches, pod_label_ip};
use super::{Answer, ClusterDns, RData, Rcode, Record, RecordType, Response, DNS_VERSION_TTL};
use crate::evidence::Evidence;
use crate::source::corefile::PodsMode;

/// A name under a Service, read apart: `[endpoint.]` or `[_port._proto.]` before `service.ns.svc.<zone>`.
struct ServiceName<'a> {
    /// The endpoint's label, for `<endpoint>.<service>…`.
    endpoint: Option<&'a str>,
    /// The port name of `_<port>._<proto>.<service>…` (empty: any).
    port: &'a str,
    /// The protocol of the same (empty: any).
    proto: &'a str,
    /// The Service.
    service: &'a str,
    /// Its namespace.
    ns: &'a str,
    /// `service.ns.svc.<zone>.`.
    fqdn: String,
}

/// A found name: what `findServices` / `findPods` return, one item per address (and port).
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) host: Host,
    /// `None` for an endpoint of a slice without ports (the plugin's port −1): no SRV.
    pub(super) port: Option<u16>,
    /// The SRV target for an address host: `svc.ns.svc.zone.` or `<label>.svc.ns.svc.zone.`.
    pub(super) key: String,
    pub(super) evidence: Vec<Evidence>,
}

/// Where an item points: an address, or a name (an ExternalName's target).
#[derive(Debug, Clone)]
pub(super) enum Host {
    Ip(IpAddr),
    Name(String),
}

/// The outcome of a name look-up before the query type is applied.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// `None`: the name does not exist (NXDOMAIN); `Some(items)`: it exists (possibly with no items, as an apex).
    pub(super) items: Option<Vec<Item>>,
    /// Items left out because the inputs do not say whether they belong; with no items, the rcode is unknown.
    pub(super) doubtful: bool,
    /// The name's ports are not shown, so its SRV records are unknown.
    pub(super) ports_unknown: bool,
    pub(super) evidence: Vec<Evidence>,
    pub(super) notes: Vec<String>,
}

impl Found {
    /// A name that does not exist.
    fn nx(evidence: Vec<Evidence>, notes: Vec<String>) -> Self {
        Self {
            items: None,
            doubtful: false,
            ports_unknown: false,
            evidence,
            notes,
        }
    }
}

impl ClusterDns {
    /// [`ClusterDns::answer`] for a name reached through `depth` ExternalName CNAMEs.
    pub(super) fn answer_at(&self, name: &str, qtype: RecordType, depth: usize) -> Answer {
        let lower = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let fqdn = format!("{lower}.");
        let labels: Vec<&str> = if lower.is_empty() {
            Vec::new()
        } else {
            lower.split('.').collect()
        };
        if is_reverse(&labels) {
            return self.reverse(&fqdn, &labels, qtype);
        }
        let Some(relative) = self.in_zone(&labels) else {
            return Answer::Upstream {
                name: fqdn,
                reason: format!(
                    "the name is outside the cluster zone {}",
                    self.zone.join(".")
                ),
            };
        };
        if matches!(qtype, RecordType::Axfr | RecordType::Ixfr) {
            return Answer::Cluster(Response {
                rcode: Some(Rcode::Refused),
                ..Response::default()
            });
        }
        let zone_name = self.zone.join(".");
        if let [first] = relative {
            if *first == "dns-version" && qtype == RecordType::Txt {
                return Answer::Cluster(Response {
                    rcode: Some(Rcode::NoError),
                    answers: vec![Record {
                        name: fqdn,
                        rtype: RecordType::Txt,
                        ttl: DNS_VERSION_TTL,
                        data: RData::Text("1.1.0".to_string()),
                        evidence: Vec::new(),
                    }],
                    ..Response::default()
                });
            }
        }
        let found = match relative {
            // The zone apex: SOA and NS only.
            [] => {
                let mut response = Response {
                    rcode: Some(Rcode::NoError),
                    ..Response::default()
                };
                if !matches!(qtype, RecordType::Soa | RecordType::Ns) {
                    response.negative_ttl = Some(self.negative_ttl());
                } else {
                    response.unsure.push(format!(
                        "the {qtype:?} records of the zone apex {zone_name} depend on the Corefile and the DNS \
                         Service, not on the objects"
                    ));
                }
                return Answer::Cluster(response);
            }
            [.., "svc"] => self.find_services(relative),
            [.., "pod"] => self.find_pods(relative),
            // Anything else is an invalid request: NXDOMAIN.
            _ => Found::nx(Vec::new(), Vec::new()),
        };
        let response = self.format(&fqdn, qtype, found, depth);
        if self.config.fallthrough && response.rcode == Some(Rcode::NxDomain) {
            // The plugin's name error goes to the next plugin (kubernetes.go `ServeDNS`, `Fall.Through`).
            return Answer::Upstream {
                name: fqdn,
                reason: "the kubernetes plugin has no such name and its `fallthrough` passes it to the next plugin"
                    .to_string(),
            };
        }
        Answer::Cluster(response)
    }

    /// The labels in front of the zone, if the name is in it.
    fn in_zone<'a>(&self, labels: &'a [&'a str]) -> Option<&'a [&'a str]> {
        let cut = labels.len().checked_sub(self.zone.len())?;
        let relative = labels.get(..cut)?;
        let tail = labels.get(cut..)?;
        tail.iter()
            .zip(&self.zone)
            .all(|(a, b)| *a == b.as_str())
            .then_some(relative)
    }

    /// How long a negative answer is cached: the SOA's minimum, at most 300 s.
    pub(super) fn negative_ttl(&self) -> u32 {
        self.config.ttl.min(300)
    }

    /// Whether namespace `ns` is known; adds the line that shows it, or a note that it may still exist.
    fn namespace(&self, ns: &str, found: &mut Found) -> bool {
        match self.namespaces.get(ns) {
            Some((ev, assumed)) => {
                add_evidence(&mut found.evidence, std::slice::from_ref(ev));
                if *assumed {
                    note(
                        &mut found.notes,
                        format!(
                            "namespace {ns} is known only from objects whose namespace the input does not show \
                             (kubectl's default namespace is assumed)"
                        ),
                    );
                }
                true
            }
            None => {
                note(
                    &mut found.notes,
                    format!("no input shows an object in namespace {ns}; it may still exist"),
                );
                false
            }
        }
    }

    /// `findServices`: `svc.<zone>`, `<ns>.svc.<zone>`, `<svc>.<ns>.svc.<zone>`, `<endpoint>.<svc>…`,
    /// `_<port>._<proto>.<svc>…`.
    fn find_services(&self, relative: &[&str]) -> Found {
        let mut found = Found::default();
        let (endpoint, port, proto, service, ns) = match relative {
            ["svc"] => {
                found.items = Some(Vec::new());
                return found;
            }
            [ns, "svc"] => {
                if self.namespace(ns, &mut found) {
                    found.items = Some(Vec::new());
                }
                return found;
            }
            [service, ns, "svc"] => (None, "", "", *service, *ns),
            [endpoint, service, ns, "svc"] => (Some(*endpoint), "", "", *service, *ns),
            [port, proto, service, ns, "svc"] => (
                None,
                port.strip_prefix('_').unwrap_or(port),
                proto.strip_prefix('_').unwrap_or(proto),
                *service,
                *ns,
            ),
            _ => return found,
        };
        if !self.namespace(ns, &mut found) {
            return found;
        }
        let Some(svc) = self.services.get(&(ns.to_string(), service.to_string())) else {
            note(
                &mut found.notes,
                format!("no input lists a Service {ns}/{service}; it may still exist"),
            );
            return found;
        };
        // The Service (and its endpoints) prove the name; the namespace's own line is no longer needed.
        found.evidence.clone_from(&svc.evidence);
        for n in &svc.notes {
            note(&mut found.notes, n.clone());
        }
        let zone = self.zone.join(".");
        let svc_name = format!("{service}.{ns}.svc.{zone}.");
        let name = ServiceName {
            endpoint,
            port,
            proto,
            service,
            ns,
            fqdn: svc_name,
        };
        let items = match svc.kind {
            Kind::ExternalName => external_name_items(svc, &name, &mut found),
            _ if svc.kind == Kind::Headless || endpoint.is_some() => {
                self.endpoint_items(&name, &mut found)
            }
            Kind::Unknown => {
                found.doubtful = true;
                note(
                &mut found.notes,
                format!(
                    "the input does not show the cluster IP of Service {ns}/{service}, nor whether it is \
                     headless"
                ),
            );
                Vec::new()
            }
            Kind::ClusterIp | Kind::Headless => self.cluster_ip_items(svc, &name, &mut found),
        };
        if !items.is_empty() {
            found.items = Some(items);
        }
        found
    }

    /// A headless Service's ready endpoints, or one endpoint of any Service by its label; each with its ports.
    fn endpoint_items(&self, name: &ServiceName<'_>, found: &mut Found) -> Vec<Item> {
        let mut items = Vec::new();
        let (endpoint, port, proto, service, ns) =
            (name.endpoint, name.port, name.proto, name.service, name.ns);
        let svc_name = &name.fqdn;
        let key = (ns.to_string(), service.to_string());
        let Some(eps) = self.endpoints.get(&key) else {
            found.doubtful = true;
            note(
                &mut found.notes,
                format!("no input lists the endpoints of Service {ns}/{service}"),
            );
            return items;
        };
        for n in &eps.notes {
            note(&mut found.notes, n.clone());
        }
        for ep in &eps.list {
            let label = endpoint_label(ep, &self.config);
            match (&label, endpoint) {
                (Some(label), Some(e)) if e != label => continue,
                (None, Some(_)) => {
                    found.doubtful = true;
                    note(&mut found.notes, hash_label_note(ep));
                    continue;
                }
                (None, None) => note(&mut found.notes, hash_label_note(ep)),
                _ => {}
            }
            // An empty key: the SRV target is not known.
            let label = label.map(|l| format!("{l}.")).unwrap_or_default();
            match ep.ready {
                Some(false) => {
                    // Not ready: no record, but the line shows why.
                    add_evidence(&mut found.evidence, &ep.evidence);
                    continue;
                }
                Some(true) => {}
                None => note(
                    &mut found.notes,
                    format!(
                        "the input does not show whether endpoint {} is ready",
                        ep.text
                    ),
                ),
            }
            let mut pushed = |port: Option<u16>| {
                items.push(Item {
                    host: Host::Ip(ep.ip),
                    port,
                    key: if label.is_empty() {
                        String::new()
                    } else {
                        format!("{label}{svc_name}")
                    },
                    evidence: ep.evidence.clone(),
                })
            };
            if ep.ports.is_empty() {
                // The plugin's port −1, with an empty name.
                if port.is_empty() && proto.is_empty() {
                    pushed(None);
                }
                continue;
            }
            for p in &ep.ports {
                let name = label_matches(port, p.name.as_deref());
                let protocol = label_matches(proto, p.protocol.as_deref());
                match (name, protocol) {
                    (Some(true), Some(true)) => pushed(p.port),
                    (Some(false), _) | (_, Some(false)) => {}
                    _ => {
                        found.doubtful = true;
                        note(
                                &mut found.notes,
                                format!(
                                    "the input does not show the name or protocol of port {} of endpoint {}",
                                    p.port.map_or("?".to_string(), |n| n.to_string()),
                                    ep.text
                                ),
                            );
                    }
                }
            }
        }
        items
    }

    /// A ClusterIP Service's cluster IPs, once per port that matches the name's `_port._proto`.
    fn cluster_ip_items(&self, svc: &Svc, name: &ServiceName<'_>, found: &mut Found) -> Vec<Item> {
        let mut items = Vec::new();
        let (port, proto, service, ns) = (name.port, name.proto, name.service, name.ns);
        let svc_name = &name.fqdn;
        let key = (ns.to_string(), service.to_string());
        if self.config.ignore_empty_service {
            let ready = self
                .endpoints
                .get(&key)
                .map(|e| e.list.iter().filter(|ep| ep.ready != Some(false)).count());
            match ready {
                Some(0) => return items,
                Some(_) => {}
                None => {
                    found.doubtful = true;
                    note(
                        &mut found.notes,
                        format!("no input lists the endpoints of Service {ns}/{service}"),
                    );
                    return items;
                }
            }
        }
        let mut any_port = false;
        for p in &svc.ports {
            let name = label_matches(port, p.name.as_deref());
            let protocol = label_matches(proto, Some(&p.protocol));
            match (name, protocol) {
                (Some(true), Some(true)) => {}
                (Some(false), _) | (_, Some(false)) => continue,
                _ => {
                    found.doubtful = true;
                    note(
                            &mut found.notes,
                            format!(
                                "the input does not show the name of port {}/{} of Service {ns}/{service}",
                                p.port, p.protocol
                            ),
                        );
                    continue;
                }
            }
            any_port = true;
            for (ip, evidence) in &svc.cluster_ips {
                items.push(Item {
                    host: Host::Ip(*ip),
                    port: Some(p.port),
                    key: svc_name.clone(),
                    evidence: evidence.clone(),
                });
            }
        }
        if svc.ports.is_empty() && port.is_empty() && proto.is_empty() {
            // Every ClusterIP Service has a port; the input just does not show it.
            any_port = true;
            found.ports_unknown = true;
            note(
                &mut found.notes,
                format!("the input does not show the ports of Service {ns}/{service}"),
            );
            for (ip, evidence) in &svc.cluster_ips {
                items.push(Item {
                    host: Host::Ip(*ip),
                    port: None,
                    key: svc_name.clone(),
                    evidence: evidence.clone(),
                });
            }
        }
        if any_port && !svc.ips_complete && svc.cluster_ips.len() < 2 {
            note(
                    &mut found.notes,
                    format!(
                        "the input shows only the first cluster IP of Service {ns}/{service}; a dual-stack \
                         Service has one of the other family too"
                    ),
                );
        }
        items
    }

    /// `findPods`: `<dashed-ip>.<ns>.pod.<zone>`.
    fn find_pods(&self, relative: &[&str]) -> Found {
        let mut found = Found::default();
        let (label, ns) = match relative {
            ["pod"] => {
                found.items = Some(Vec::new());
                return found;
            }
            [ns, "pod"] => {
                if self.namespace(ns, &mut found) {
                    found.items = Some(Vec::new());
                }
                return found;
            }
            [label, ns, "pod"] => (*label, *ns),
            _ => return found,
        };
        match self.config.pods {
            PodsMode::Disabled => return found,
            PodsMode::Insecure | PodsMode::Verified => {}
        }
        if !self.namespace(ns, &mut found) {
            return found;
        }
        let Some(ip) = pod_label_ip(label) else {
            return found;
        };
        let zone = self.zone.join(".");
        let key = format!("{label}.{ns}.pod.{zone}.");
        let evidence = match self.config.pods {
            PodsMode::Verified => {
                let pods = self.pods.get(ns);
                let matching: Vec<Evidence> = pods
                    .into_iter()
                    .flatten()
                    .filter(|p| p.ips.contains(&ip))
                    .map(|p| p.evidence.clone())
                    .collect();
                if matching.is_empty() {
                    found.doubtful = pods.is_none();
                    note(
                        &mut found.notes,
                        format!("no input lists a pod with IP {ip} in namespace {ns}; it may still exist"),
                    );
                    return found;
                }
                found.evidence.clone_from(&matching);
                matching
            }
            PodsMode::Insecure | PodsMode::Disabled => found.evidence.clone(),
        };
        found.items = Some(vec![Item {
            host: Host::Ip(ip),
            port: None,
            key,
            evidence,
        }]);
        found
    }
}

/// The CNAME of an ExternalName Service (no endpoint or SRV names).
fn external_name_items(svc: &Svc, name: &ServiceName<'_>, found: &mut Found) -> Vec<Item> {
    let mut items = Vec::new();
    let (endpoint, port, proto, service, ns) =
        (name.endpoint, name.port, name.proto, name.service, name.ns);
    if endpoint.is_some() || !port.is_empty() || !proto.is_empty() {
        return items;
    }
    match &svc.external_name {
        Some(target) => items.push(Item {
            host: Host::Name(format!("{target}.")),
            port: None,
            key: name.fqdn.clone(),
            evidence: svc.evidence.clone(),
        }),
        None => {
            found.doubtful = true;
            note(
                &mut found.notes,
                format!("the input does not show the external name of Service {ns}/{service}"),
            );
        }
    }
    items
}
