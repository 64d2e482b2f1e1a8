//! What the cluster DNS server — CoreDNS's `kubernetes` plugin — answers for a name (docs/domain/coredns.md §1–§3), computed from
//! the kubectl objects the inputs list.
//!
//! [`ClusterDns::new`] indexes the Services, Endpoints, EndpointSlices and Pods of every kubectl input once;
//! [`ClusterDns::answer`] then reads a query name as the plugin's `parseRequest` does (right to left:
//! `[endpoint] [_port _proto] service namespace svc|pod`), looks it up as `findServices` / `findPods` / the reverse
//! lookup do, and formats the records for the query type: NXDOMAIN when the name does not exist, NOERROR with no
//! records (NODATA) when it exists but has no record of the type.
//!
//! The inputs are what a user pasted, not the API server: a Service or namespace no input lists may still exist, a
//! table hides readiness, port names and all but the first cluster IP. Such gaps never become guesses: the
//! [`Response`] lists each one in `unsure`, and its `rcode` is `None` when the gap decides the answer.
//! Names outside the cluster zone are [`Answer::Upstream`]: the `forward` plugin answers them, and dnatlas cannot
//! know how.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::source::inputs::KubeSource;
use crate::source::kubectl::model::{EndpointPort, Origin};

/// The cluster zone when none is given.
pub const DEFAULT_ZONE: &str = "cluster.local";
/// The plugin's record TTL when the Corefile sets no `ttl` (kubernetes.go L89-90).
pub const DEFAULT_TTL: u32 = 5;
/// The TTL of the `dns-version.<zone>` TXT record.
pub const DNS_VERSION_TTL: u32 = 28800;
/// How many ExternalName CNAMEs inside the zone are followed before giving up.
const MAX_CNAME_DEPTH: usize = 8;
/// The namespace kubectl uses when neither the command line nor the context names one.
const DEFAULT_NAMESPACE: &str = "default";

/// The plugin's `pods` option: whether `a-b-c-d.<ns>.pod.<zone>` names answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodsMode {
    /// `pods disabled`, the plugin's own default: every pod name is NXDOMAIN.
    Disabled,
    /// `pods insecure` (kubeadm's Corefile): any well-formed IP answers, if the namespace exists.
    Insecure,
    /// `pods verified`: only the IP of a pod in that namespace answers.
    Verified,
}

/// How the `kubernetes` plugin is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The cluster zone, without a trailing dot (`cluster.local`).
    pub zone: String,
    /// The record TTL (`ttl`; 5 s unless the Corefile says otherwise — kubeadm writes `ttl 30`).
    pub ttl: u32,
    /// The `pods` option.
    pub pods: PodsMode,
    /// `endpoint_pod_names`: an endpoint without a hostname is named after its pod rather than its dashed IP.
    pub endpoint_pod_names: bool,
    /// `ignore empty_service`: a ClusterIP Service without ready endpoints is NXDOMAIN.
    pub ignore_empty_service: bool,
    /// The plugin also serves `in-addr.arpa` and `ip6.arpa` (PTR records for Service and endpoint IPs).
    pub reverse_zones: bool,
    /// `fallthrough in-addr.arpa ip6.arpa`: a reverse name the cluster does not know goes upstream rather than
    /// getting NXDOMAIN.
    pub reverse_fallthrough: bool,
    /// Which server answers: CoreDNS, or the legacy kube-dns.
    pub server: Server,
}

/// The cluster DNS server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    /// CoreDNS's `kubernetes` plugin.
    CoreDns,
    /// Legacy kube-dns (docs/domain/coredns.md §5): SRV priority 10, and an endpoint without a hostname is named by a hash
    /// label, which dnatlas does not compute.
    KubeDns,
}

impl Config {
    /// Legacy kube-dns (docs/domain/coredns.md §5): TTL 30, pod names always answered, SRV priority 10. The reverse-zone settings
    /// stay those of [`Config::default`].
    pub fn kube_dns() -> Self {
        Self {
            ttl: 30,
            pods: PodsMode::Insecure,
            server: Server::KubeDns,
            ..Self::default()
        }
    }
}

impl Default for Config {
    /// kubeadm's Corefile (`kubernetes cluster.local in-addr.arpa ip6.arpa`, `pods insecure`, `fallthrough
    /// in-addr.arpa ip6.arpa`) with the plugin's default TTL of 5 s.
    fn default() -> Self {
        Self {
            zone: DEFAULT_ZONE.to_string(),
            ttl: DEFAULT_TTL,
            pods: PodsMode::Insecure,
            endpoint_pod_names: false,
            ignore_empty_service: false,
            reverse_zones: true,
            reverse_fallthrough: true,
            server: Server::CoreDns,
        }
    }
}

/// A DNS record (or query) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Alias.
    Cname,
    /// Service location.
    Srv,
    /// Reverse pointer.
    Ptr,
    /// Text.
    Txt,
    /// Mail exchange.
    Mx,
    /// Name server.
    Ns,
    /// Start of authority.
    Soa,
    /// Zone transfer.
    Axfr,
    /// Incremental zone transfer.
    Ixfr,
    /// Any other type, by number.
    Other(u16),
}

impl From<crate::dns::plan::QueryType> for RecordType {
    fn from(qtype: crate::dns::plan::QueryType) -> Self {
        match qtype {
            crate::dns::plan::QueryType::A => RecordType::A,
            crate::dns::plan::QueryType::Aaaa => RecordType::Aaaa,
        }
    }
}

/// A response code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rcode {
    /// The name exists (with or without records of the type).
    #[serde(rename = "NOERROR")]
    NoError,
    /// The name does not exist.
    #[serde(rename = "NXDOMAIN")]
    NxDomain,
    /// Zone transfers are refused.
    #[serde(rename = "REFUSED")]
    Refused,
}

/// The data of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RData {
    /// An A or AAAA address.
    Address(IpAddr),
    /// A CNAME, PTR or TXT value (names fully qualified with the trailing dot).
    Text(String),
    /// An SRV record.
    Srv {
        /// Priority (0: the plugin sets none; kube-dns: 10).
        priority: u16,
        /// `floor(100 / N)` for the N items the look-up found (addresses × ports, before duplicates are dropped),
        /// at least 1.
        weight: u16,
        /// The service port (ClusterIP) or the endpoint port (headless).
        port: u16,
        /// The target name.
        target: String,
    },
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The owner name, fully qualified with the trailing dot.
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub rtype: RecordType,
    /// Seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
    /// The kubectl lines the record comes from.
    pub evidence: Vec<Evidence>,
}

/// What the `kubernetes` plugin answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Response {
    /// The response code; `None` when the inputs do not say enough to tell (`unsure` says why).
    pub rcode: Option<Rcode>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The additional section (the addresses of SRV targets).
    pub additional: Vec<Record>,
    /// For a negative answer (NXDOMAIN or NODATA), how long resolvers cache it: the zone's SOA, which the plugin
    /// puts in the authority section, has TTL `min(ttl, 300)` and minimum `ttl`.
    pub negative_ttl: Option<u32>,
    /// The target of an ExternalName CNAME outside the zone: CoreDNS appends that name's records as the upstream
    /// resolver answers them, which dnatlas cannot know.
    pub upstream_target: Option<String>,
    /// Every kubectl line the answer rests on (also those of a negative answer: the namespace, the Service),
    /// sorted.
    pub evidence: Vec<Evidence>,
    /// What the inputs do not say that this answer depends on.
    pub unsure: Vec<String>,
}

impl Response {
    /// NOERROR with no answer records: the name exists, without records of the asked type.
    pub fn is_nodata(&self) -> bool {
        self.rcode == Some(Rcode::NoError) && self.answers.is_empty()
    }
}

/// How a query is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Answer {
    /// The `kubernetes` plugin answers.
    Cluster(Response),
    /// The name is not the plugin's: the `forward` plugin asks the upstream resolver, whose answer is unknown.
    Upstream {
        /// The query name, fully qualified.
        name: String,
        /// Why the name goes upstream.
        reason: String,
    },
}

impl Answer {
    /// The plugin's response, unless the name goes upstream.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Answer::Cluster(response) => Some(response),
            Answer::Upstream { .. } => None,
        }
    }
}

/// What the plugin knows of a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ClusterIp,
    Headless,
    ExternalName,
    Unknown,
}

#[derive(Debug, Clone)]
struct SvcPort {
    name: Option<String>,
    protocol: String,
    port: u16,
}

#[derive(Debug, Clone)]
struct Ep {
    ip: IpAddr,
    /// The address as the object writes it (the dashed label is made from this text).
    text: String,
    ready: Option<bool>,
    hostname: Option<String>,
    pod: Option<String>,
    ports: Vec<EndpointPort>,
    evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
struct Svc {
    kind: Kind,
    cluster_ips: Vec<(IpAddr, Vec<Evidence>)>,
    /// Some input lists `spec.clusterIPs` in full (JSON/YAML), so a missing family is really missing.
    ips_complete: bool,
    external_name: Option<String>,
    ports: Vec<SvcPort>,
    evidence: Vec<Evidence>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Endpoints {
    list: Vec<Ep>,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct PodInfo {
    ips: Vec<IpAddr>,
    evidence: Evidence,
}

/// The cluster's DNS data, indexed from the kubectl inputs.
#[derive(Debug, Clone)]
pub struct ClusterDns {
    config: Config,
    /// The zone's labels, lower-case.
    zone: Vec<String>,
    services: BTreeMap<(String, String), Svc>,
    endpoints: BTreeMap<(String, String), Endpoints>,
    /// Namespaces some object is in, with the first line that shows it, and whether only an assumed `default`
    /// shows it.
    namespaces: BTreeMap<String, (Evidence, bool)>,
    pods: BTreeMap<String, Vec<PodInfo>>,
}

fn add_evidence(list: &mut Vec<Evidence>, more: &[Evidence]) {
    for e in more {
        if !list.contains(e) {
            list.push(e.clone());
        }
    }
}

fn note(notes: &mut Vec<String>, text: String) {
    if !notes.contains(&text) {
        notes.push(text);
    }
}

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

/// `matchPortAndProtocol` for one side: an empty pattern is a wildcard, otherwise a case-insensitive match.
/// `None` when the input does not show the value.
fn label_matches(pattern: &str, value: Option<&str>) -> Option<bool> {
    if pattern.is_empty() {
        return Some(true);
    }
    value.map(|v| v.eq_ignore_ascii_case(pattern))
}

/// The plugin's `endpointHostname`: the hostname, else the pod name (with `endpoint_pod_names`), else the dashed IP.
/// `None` for kube-dns's hash label of an endpoint without a hostname.
fn endpoint_label(ep: &Ep, config: &Config) -> Option<String> {
    if let Some(h) = ep.hostname.as_deref().filter(|h| !h.is_empty()) {
        return Some(h.to_ascii_lowercase());
    }
    if config.server == Server::KubeDns {
        return None;
    }
    Some(dashed_label(ep, config.endpoint_pod_names))
}

fn hash_label_note(ep: &Ep) -> String {
    format!(
        "kube-dns names endpoint {} (no hostname) by a hash label that dnatlas does not compute",
        ep.text
    )
}

fn dashed_label(ep: &Ep, pod_names: bool) -> String {
    if pod_names {
        if let Some(p) = ep.pod.as_deref().filter(|p| !p.is_empty()) {
            return p.to_ascii_lowercase();
        }
    }
    if ep.text.contains('.') {
        return ep.text.replace('.', "-");
    }
    let dashed = ep.text.to_ascii_lowercase().replace(':', "-");
    if dashed.ends_with('-') {
        format!("{dashed}0")
    } else {
        dashed
    }
}

/// A pod label read back into an IP (`findPods`): exactly three dashes and no `--` is IPv4, else IPv6.
fn pod_label_ip(label: &str) -> Option<IpAddr> {
    let text = if label.matches('-').count() == 3 && !label.contains("--") {
        label.replace('-', ".")
    } else {
        label.replace('-', ":")
    };
    text.parse().ok()
}

/// The IP a reverse name stands for, if it is a complete `in-addr.arpa` or `ip6.arpa` name.
fn reverse_ip(labels: &[&str]) -> Option<IpAddr> {
    match labels {
        [rest @ .., "in-addr", "arpa"] if rest.len() == 4 => {
            let mut octets = rest.iter().rev().map(|l| l.parse::<u8>().ok());
            let text = format!(
                "{}.{}.{}.{}",
                octets.next()??,
                octets.next()??,
                octets.next()??,
                octets.next()??
            );
            text.parse().ok()
        }
        [rest @ .., "ip6", "arpa"] if rest.len() == 32 => {
            let mut value: u128 = 0;
            for nibble in rest.iter().rev() {
                let mut chars = nibble.chars();
                let digit = chars.next()?.to_digit(16)?;
                if chars.next().is_some() {
                    return None;
                }
                value = (value << 4) | u128::from(digit);
            }
            Some(IpAddr::V6(std::net::Ipv6Addr::from(value)))
        }
        _ => None,
    }
}

/// Whether the query name is under one of the reverse zones.
fn is_reverse(labels: &[&str]) -> bool {
    matches!(labels, [.., "in-addr", "arpa"] | [.., "ip6", "arpa"])
}

/// A found name: what `findServices` / `findPods` return, one item per address (and port).
#[derive(Debug, Clone)]
struct Item {
    host: Host,
    /// `None` for an endpoint of a slice without ports (the plugin's port −1): no SRV.
    port: Option<u16>,
    /// The SRV target for an address host: `svc.ns.svc.zone.` or `<label>.svc.ns.svc.zone.`.
    key: String,
    evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

/// The outcome of a name look-up before the query type is applied.
#[derive(Debug, Default)]
struct Found {
    /// `None`: the name does not exist (NXDOMAIN); `Some(items)`: it exists (possibly with no items, as an apex).
    items: Option<Vec<Item>>,
    /// Items left out because the inputs do not say whether they belong; with no items, the rcode is unknown.
    doubtful: bool,
    /// The name's ports are not shown, so its SRV records are unknown.
    ports_unknown: bool,
    evidence: Vec<Evidence>,
    notes: Vec<String>,
}

impl Found {
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
    /// Indexes every Service, Endpoints, EndpointSlice and Pod of the kubectl inputs.
    pub fn new(kubernetes: &[KubeSource], config: Config) -> Self {
        let zone = config
            .zone
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut dns = Self {
            config,
            zone,
            services: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            pods: BTreeMap::new(),
        };
        for input in kubernetes {
            dns.add(input);
        }
        dns
    }

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

    fn add(&mut self, input: &KubeSource) {
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

    /// The configuration answers are computed with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the cluster DNS answers for `name` (fully qualified; a missing trailing dot is added) and `qtype`.
    pub fn answer(&self, name: &str, qtype: RecordType) -> Answer {
        self.answer_at(name, qtype, 0)
    }

    fn answer_at(&self, name: &str, qtype: RecordType, depth: usize) -> Answer {
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
        Answer::Cluster(self.format(&fqdn, qtype, found, depth))
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

    fn negative_ttl(&self) -> u32 {
        self.config.ttl.min(300)
    }

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
        let key = (ns.to_string(), service.to_string());
        let mut items = Vec::new();
        match svc.kind {
            Kind::ExternalName => {
                if endpoint.is_some() || !port.is_empty() || !proto.is_empty() {
                    return found;
                }
                match &svc.external_name {
                    Some(target) => items.push(Item {
                        host: Host::Name(format!("{target}.")),
                        port: None,
                        key: svc_name,
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
            }
            _ if svc.kind == Kind::Headless || endpoint.is_some() => {
                let Some(eps) = self.endpoints.get(&key) else {
                    found.doubtful = true;
                    note(
                        &mut found.notes,
                        format!("no input lists the endpoints of Service {ns}/{service}"),
                    );
                    return found;
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
            }
            Kind::ClusterIp | Kind::Headless => {
                if self.config.ignore_empty_service {
                    let ready = self
                        .endpoints
                        .get(&key)
                        .map(|e| e.list.iter().filter(|ep| ep.ready != Some(false)).count());
                    match ready {
                        Some(0) => return found,
                        Some(_) => {}
                        None => {
                            found.doubtful = true;
                            note(
                                &mut found.notes,
                                format!("no input lists the endpoints of Service {ns}/{service}"),
                            );
                            return found;
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
            }
        }
        if !items.is_empty() {
            found.items = Some(items);
        }
        found
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

    /// Reverse names: PTR for a Service's cluster IP, else for every ready endpoint with that address.
    fn reverse(&self, fqdn: &str, labels: &[&str], qtype: RecordType) -> Answer {
        if !self.config.reverse_zones {
            return Answer::Upstream {
                name: fqdn.to_string(),
                reason: "the kubernetes plugin does not serve the reverse zones".to_string(),
            };
        }
        let zone = self.zone.join(".");
        let mut records = Vec::new();
        let mut response = Response::default();
        let mut hidden = false;
        if let Some(ip) = reverse_ip(labels) {
            for ((ns, name), svc) in &self.services {
                for (_, evidence) in svc.cluster_ips.iter().filter(|(known, _)| *known == ip) {
                    records.push((format!("{name}.{ns}.svc.{zone}."), evidence.clone()));
                }
            }
            if records.is_empty() {
                for ((ns, name), eps) in &self.endpoints {
                    for ep in eps.list.iter().filter(|ep| ep.ip == ip) {
                        match ep.ready {
                            Some(false) => continue,
                            Some(true) => {}
                            None => note(
                                &mut response.unsure,
                                format!(
                                    "the input does not show whether endpoint {} is ready",
                                    ep.text
                                ),
                            ),
                        }
                        let Some(label) = endpoint_label(ep, &self.config) else {
                            hidden = true;
                            note(&mut response.unsure, hash_label_note(ep));
                            continue;
                        };
                        records.push((
                            format!("{label}.{name}.{ns}.svc.{zone}."),
                            ep.evidence.clone(),
                        ));
                    }
                }
            }
        }
        if records.is_empty() && hidden {
            return Answer::Cluster(response);
        }
        if records.is_empty() {
            if self.config.reverse_fallthrough {
                return Answer::Upstream {
                    name: fqdn.to_string(),
                    reason: "no Service or endpoint the inputs list has this address; `fallthrough` passes the \
                             name to the next plugin"
                        .to_string(),
                };
            }
            response.rcode = Some(Rcode::NxDomain);
            response.negative_ttl = Some(self.negative_ttl());
            response
                .unsure
                .push("no Service or endpoint the inputs list has this address".to_string());
            return Answer::Cluster(response);
        }
        // One PTR per name (backend_lookup.go `PTR`), with the lines of every object that gives it.
        let mut merged: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
        for (target, evidence) in records {
            add_evidence(merged.entry(target).or_default(), &evidence);
        }
        let records: Vec<(String, Vec<Evidence>)> = merged.into_iter().collect();
        response.rcode = Some(Rcode::NoError);
        for (_, evidence) in &records {
            add_evidence(&mut response.evidence, evidence);
        }
        if qtype == RecordType::Ptr {
            response.answers = records
                .into_iter()
                .map(|(target, evidence)| Record {
                    name: fqdn.to_string(),
                    rtype: RecordType::Ptr,
                    ttl: self.config.ttl,
                    data: RData::Text(target),
                    evidence,
                })
                .collect();
        } else {
            response.negative_ttl = Some(self.negative_ttl());
        }
        response
            .evidence
            .sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
        Answer::Cluster(response)
    }

    /// Turns a look-up into the records of `qtype` (backend_lookup.go).
    fn format(&self, fqdn: &str, qtype: RecordType, found: Found, depth: usize) -> Response {
        let ttl = self.config.ttl;
        let mut response = Response {
            evidence: found.evidence,
            unsure: found.notes,
            ..Response::default()
        };
        let Some(items) = found.items else {
            response.rcode = (!found.doubtful).then_some(Rcode::NxDomain);
            response.negative_ttl = Some(self.negative_ttl());
            sort_evidence(&mut response.evidence);
            return response;
        };
        response.rcode = Some(Rcode::NoError);
        for item in &items {
            add_evidence(&mut response.evidence, &item.evidence);
        }
        match qtype {
            RecordType::A | RecordType::Aaaa => {
                let want_v4 = qtype == RecordType::A;
                for item in &items {
                    match &item.host {
                        Host::Ip(ip) if ip.is_ipv4() == want_v4 => {
                            if !response
                                .answers
                                .iter()
                                .any(|r| r.data == RData::Address(*ip))
                            {
                                response.answers.push(Record {
                                    name: fqdn.to_string(),
                                    rtype: qtype,
                                    ttl,
                                    data: RData::Address(*ip),
                                    evidence: item.evidence.clone(),
                                });
                            }
                        }
                        Host::Ip(_) => {}
                        Host::Name(target) => {
                            response.answers.push(Record {
                                name: fqdn.to_string(),
                                rtype: RecordType::Cname,
                                ttl,
                                data: RData::Text(target.clone()),
                                evidence: item.evidence.clone(),
                            });
                            self.follow(target, qtype, depth, &mut response);
                        }
                    }
                }
            }
            RecordType::Cname => {
                for item in &items {
                    if let Host::Name(target) = &item.host {
                        response.answers.push(Record {
                            name: fqdn.to_string(),
                            rtype: RecordType::Cname,
                            ttl,
                            data: RData::Text(target.clone()),
                            evidence: item.evidence.clone(),
                        });
                    }
                }
            }
            RecordType::Srv => {
                let mut srv: Vec<(u16, String, &Item)> = Vec::new();
                for item in &items {
                    let Some(port) = item.port else { continue };
                    let target = match &item.host {
                        Host::Ip(_) if item.key.is_empty() => continue,
                        Host::Ip(_) => item.key.clone(),
                        Host::Name(name) => name.clone(),
                    };
                    if !srv.iter().any(|(p, t, _)| *p == port && *t == target) {
                        srv.push((port, target, item));
                    }
                }
                // backend_lookup.go `SRV`: the weight divides 100 by every item found, before duplicates
                // (one per cluster IP of a dual-stack Service) and port-less endpoints are dropped.
                let n = u16::try_from(items.len()).unwrap_or(u16::MAX).max(1);
                let weight = (100 / n).max(1);
                let priority = match self.config.server {
                    Server::CoreDns => 0,
                    Server::KubeDns => 10,
                };
                for (port, target, item) in &srv {
                    response.answers.push(Record {
                        name: fqdn.to_string(),
                        rtype: RecordType::Srv,
                        ttl,
                        data: RData::Srv {
                            priority,
                            weight,
                            port: *port,
                            target: target.clone(),
                        },
                        evidence: item.evidence.clone(),
                    });
                }
                for item in &items {
                    if let Host::Ip(ip) = item.host {
                        let already = response
                            .additional
                            .iter()
                            .any(|r| r.name == item.key && r.data == RData::Address(ip));
                        if item.port.is_some() && !item.key.is_empty() && !already {
                            response.additional.push(Record {
                                name: item.key.clone(),
                                rtype: if ip.is_ipv4() {
                                    RecordType::A
                                } else {
                                    RecordType::Aaaa
                                },
                                ttl,
                                data: RData::Address(ip),
                                evidence: item.evidence.clone(),
                            });
                        }
                    }
                }
                if srv.is_empty() && (found.ports_unknown || items.iter().any(|i| i.key.is_empty()))
                {
                    // Addresses, but SRV depends on ports the input does not show.
                    response.rcode = None;
                }
            }
            _ => {}
        }
        if response.answers.is_empty() {
            response.negative_ttl = Some(self.negative_ttl());
        }
        sort_evidence(&mut response.evidence);
        response
    }

    /// Appends what an ExternalName target resolves to: inside the zone, the plugin's own answer; outside, the
    /// upstream's (unknown).
    fn follow(&self, target: &str, qtype: RecordType, depth: usize, response: &mut Response) {
        if depth >= MAX_CNAME_DEPTH {
            note(
                &mut response.unsure,
                format!("the CNAME chain is longer than {MAX_CNAME_DEPTH} names"),
            );
            return;
        }
        match self.answer_at(target, qtype, depth + 1) {
            Answer::Upstream { name, .. } => {
                response.upstream_target = Some(name);
            }
            Answer::Cluster(inner) => {
                response.answers.extend(inner.answers);
                add_evidence(&mut response.evidence, &inner.evidence);
                for n in inner.unsure {
                    note(&mut response.unsure, n);
                }
                if inner.upstream_target.is_some() {
                    response.upstream_target = inner.upstream_target;
                }
            }
        }
    }
}

fn sort_evidence(evidence: &mut [Evidence]) {
    evidence.sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
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

/// What CoreDNS answers for one query, from the kubectl inputs (indexes them each time: for several queries,
/// build a [`ClusterDns`] once).
pub fn answer(kubernetes: &[KubeSource], config: Config, name: &str, qtype: RecordType) -> Answer {
    ClusterDns::new(kubernetes, config).answer(name, qtype)
}
