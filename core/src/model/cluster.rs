//! One cluster model merged from every input, with the provenance of every fact.
//!
//! Two steps, both run before the lint rules:
//!
//! 1. **Names from the hash.** A dump without `-m comment` (stripped, or kube-proxy's large-cluster mode on some
//!    rules) gives Service ports with no name. kube-proxy names a port's chains `base32(sha256(SPN + protocol))`
//!    (docs/domain/kube-proxy-iptables.md §8), so hashing every service port the kubectl inputs list — an unnamed port in both the modern form
//!    `ns/name` and the legacy `ns/name:` — and looking up the suffix of each unnamed chain names it. Its endpoint
//!    chains are then checked against `hash(SPN + protocol + ip:port)`. Hashes are computed only when some chain is
//!    unnamed and kubectl input exists: one hash per candidate port, one map, one look-up per unnamed chain.
//! 2. **Merge.** Per service port (namespace, name, port name, protocol), every fact the inputs give — cluster IPs,
//!    port, NodePorts, external and load-balancer IPs, endpoints — with the input lines that say it, and the nodes
//!    that route it through which chain, named how.
//!
//! Everything is sorted: the output does not depend on input order within a source or on hash-map order.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::model::hash;
use crate::model::services::Service;
use crate::source::inputs::KubeSource;
use crate::source::kubectl::model::{EndpointPort, Origin};

/// Everything the inputs say about the cluster's Service ports, merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// One entry per service port, sorted by namespace, name, port name, protocol.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_ports: Vec<ClusterServicePort>,
    /// Service ports a node routes whose name no input gives, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unnamed: Vec<UnnamedPort>,
}

impl Cluster {
    /// Whether nothing was learned (no node dump and no kubectl input).
    pub fn is_empty(&self) -> bool {
        self.service_ports.is_empty() && self.unnamed.is_empty()
    }
}

/// A value and the input lines that say it. Two inputs that disagree give two facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it was read, sorted by input and line.
    pub evidence: Vec<Evidence>,
}

/// One Service port as all inputs together describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterServicePort {
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Port name; `""` for an unnamed port.
    pub port_name: String,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// Cluster IPs (kubectl's `clusterIPs`, the node rules' destination).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_ips: Vec<Fact<String>>,
    /// The service port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Fact<u16>>,
    /// NodePorts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_ports: Vec<Fact<u16>>,
    /// External IPs (`spec.externalIPs`, `external IP` rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_ips: Vec<Fact<String>>,
    /// Load-balancer ingress IPs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_ips: Vec<Fact<String>>,
    /// Endpoints listed by kubectl or routed to by a node, sorted by address and port.
    pub endpoints: Vec<ClusterEndpoint>,
    /// The nodes that route this port, sorted by input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
}

/// One endpoint of a Service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterEndpoint {
    /// The address.
    pub ip: String,
    /// The (target) port; `None` when no input gives it.
    pub port: Option<u16>,
    /// Ready, as kubectl says (an EndpointSlice's unset `ready` reads as ready); `None` when no input says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// EndpointSlice `conditions.serving`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    /// EndpointSlice `conditions.terminating`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
    /// The node the endpoint runs on (`nodeName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The pod behind it (`targetRef`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Every line that lists it: kubectl objects, and each node's jump and DNAT rules.
    pub evidence: Vec<Evidence>,
    /// The nodes that route to it, with their endpoint chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<EndpointChain>,
}

/// A node's endpoint chain for one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointChain {
    /// The node dump.
    pub source: Arc<str>,
    /// The `KUBE-SEP-…` chain.
    pub chain: String,
    /// Line of the jump from the service chain.
    pub line: u32,
    /// The share of new connections it gets on that node.
    pub probability: f64,
    /// Whether the chain's name is kube-proxy's hash of this endpoint.
    pub chain_hash_matches: Option<bool>,
}

/// How a node routes a Service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The node dump.
    pub source: Arc<str>,
    /// The chain the cluster IP jumps to; `None` for a port that only has a filter `REJECT` rule.
    pub chain: Option<String>,
    /// Line of the `KUBE-SERVICES` rule (or of the `REJECT` rule).
    pub line: u32,
    /// How the chain's Service port was named.
    pub named_by: Naming,
}

/// Where a node's Service port got its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameSource {
    /// The rule's `-m comment`.
    Comment,
    /// kube-proxy's hash of a service port kubectl lists equals the chain's suffix.
    ChainHash,
}

/// How a name was learned, and from which lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Naming {
    /// Comment or chain hash.
    pub from: NameSource,
    /// The service port name as kube-proxy writes and hashes it (`ns/name:port`, `ns/name`, legacy `ns/name:`).
    pub spn: String,
    /// For a comment, the rule's line; for a chain hash, the kubectl objects that list the service port.
    pub evidence: Vec<Evidence>,
}

/// A Service port a node routes that could not be named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnnamedPort {
    /// The node dump.
    pub source: Arc<str>,
    /// Line of the `KUBE-SERVICES` rule.
    pub line: u32,
    /// The chain it jumps to.
    pub chain: Option<String>,
    /// The protocol of the rule.
    pub protocol: String,
    /// The cluster IP of the rule.
    pub cluster_ip: Option<String>,
    /// The port of the rule.
    pub port: Option<u16>,
    /// Why no name was found.
    pub reason: String,
}

/// A fixed hasher: the core uses no randomness, and no output order comes from a map.
type Fixed = rustc_hash::FxBuildHasher;

/// A service port kubectl lists, as kube-proxy would hash it.
#[derive(Debug)]
struct Candidate {
    spn: String,
    namespace: String,
    name: String,
    port_name: String,
    legacy: bool,
    protocol: String,
    evidence: Vec<Evidence>,
}

/// Every (SPN, protocol) the kubectl inputs list, keyed by its chain suffix. An unnamed port is added in both the
/// modern and the legacy form, and a port whose name the format does not show (tables) as unnamed: a guess that
/// only names a chain when the hash proves it.
fn candidates(kubernetes: &[KubeSource]) -> (Vec<Candidate>, HashMap<String, usize, Fixed>) {
    let mut list: Vec<Candidate> = Vec::new();
    let mut by_spn: HashMap<(String, String), usize, Fixed> = HashMap::default();
    let mut add =
        |namespace: &str, name: &str, port: Option<&str>, protocol: &str, ev: Evidence| {
            let protocol = protocol.to_ascii_lowercase();
            let forms: &[(bool, bool)] = match port {
                Some(p) if !p.is_empty() => &[(true, false)],
                _ => &[(false, false), (false, true)],
            };
            for &(named, legacy) in forms {
                let port_name = port.filter(|_| named).unwrap_or_default();
                let spn = match (named, legacy) {
                    (true, _) => format!("{namespace}/{name}:{port_name}"),
                    (false, true) => format!("{namespace}/{name}:"),
                    (false, false) => format!("{namespace}/{name}"),
                };
                let key = (spn, protocol.clone());
                if let Some(c) = by_spn.get(&key).and_then(|&i| list.get_mut(i)) {
                    c.evidence.push(ev.clone());
                    continue;
                }
                by_spn.insert(key.clone(), list.len());
                list.push(Candidate {
                    spn: key.0,
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    port_name: port_name.to_string(),
                    legacy,
                    protocol: key.1,
                    evidence: vec![ev.clone()],
                });
            }
        };
    let port_of = |p: &EndpointPort| (p.name.clone(), p.protocol.clone());
    for k in kubernetes {
        let o = &k.objects;
        for s in &o.services {
            let Some(ns) = s.namespace.as_deref() else {
                continue;
            };
            for p in &s.ports {
                add(
                    ns,
                    &s.name,
                    p.name.as_deref(),
                    &p.protocol,
                    Evidence::line(&k.source, p.line),
                );
            }
        }
        for e in &o.endpoints {
            let Some(ns) = e.namespace.as_deref() else {
                continue;
            };
            for (name, protocol) in e.subsets.iter().flat_map(|s| s.ports.iter().map(port_of)) {
                if let Some(protocol) = protocol {
                    add(
                        ns,
                        &e.name,
                        name.as_deref(),
                        &protocol,
                        Evidence::line(&k.source, e.line),
                    );
                }
            }
        }
        for s in &o.endpoint_slices {
            let (Some(ns), Some(service)) = (s.namespace.as_deref(), s.probable_service_name())
            else {
                continue;
            };
            for (name, protocol) in s.ports.iter().map(port_of) {
                if let Some(protocol) = protocol {
                    add(
                        ns,
                        service,
                        name.as_deref(),
                        &protocol,
                        Evidence::line(&k.source, s.line),
                    );
                }
            }
        }
    }
    let mut by_hash: HashMap<String, usize, Fixed> =
        HashMap::with_capacity_and_hasher(list.len(), Fixed::default());
    for (i, c) in list.iter().enumerate() {
        // The first candidate keeps a suffix: a collision of 80-bit prefixes is not expected from real names.
        by_hash
            .entry(hash::service_hash(&c.spn, &c.protocol))
            .or_insert(i);
    }
    (list, by_hash)
}

/// One endpoint as an Endpoints object or an EndpointSlice lists it.
struct Listed<'a> {
    /// The Service's namespace and name.
    service: (&'a str, &'a str),
    ports: &'a [EndpointPort],
    ip: &'a str,
    /// ready, serving, terminating; `None` where the listing does not say.
    conditions: (Option<bool>, Option<bool>, Option<bool>),
    node: Option<&'a String>,
    pod: Option<&'a String>,
    evidence: Evidence,
}

/// The endpoint string kube-proxy hashes: `ip:port`, or `[v6]:port`; port 0 when unknown.
fn endpoint_string(ip: &str, port: Option<u16>) -> String {
    hash::endpoint_string(ip, port.unwrap_or(0))
}

/// Names the unnamed Service ports of every node through the chain hash, then merges all inputs: [`name`]
/// followed by [`merge`].
pub fn build(nodes: &mut [(&str, &mut Vec<Service>)], kubernetes: &[KubeSource]) -> Cluster {
    let names = name(nodes, kubernetes);
    let nodes: Vec<(&str, &[Service])> = nodes.iter().map(|(n, s)| (*n, s.as_slice())).collect();
    merge(names, &nodes, kubernetes)
}

/// What [`name`] learned, for [`merge`].
#[derive(Debug)]
pub struct Names {
    /// One shared name per node: every fact from a node cites it.
    names: Vec<Arc<str>>,
    /// (node, Service port) → the candidate that named it.
    named_by_hash: HashMap<(usize, usize), usize, Fixed>,
    list: Vec<Candidate>,
    unnamed: Vec<UnnamedPort>,
}

/// Names the unnamed Service ports of every node through the chain hash.
///
/// `nodes` are each node dump's name and Service ports; the ports named here get their namespace, name, port name
/// and service port name filled in, `chain_hash_matches` set, and their endpoint chains checked, so that the lint
/// rules that run afterwards see them like commented ones.
pub fn name(nodes: &mut [(&str, &mut Vec<Service>)], kubernetes: &[KubeSource]) -> Names {
    let mut named_by_hash: HashMap<(usize, usize), usize, Fixed> = HashMap::default();
    let mut unnamed = Vec::new();
    let needs_names = nodes
        .iter()
        .any(|(_, services)| services.iter().any(|s| s.spn.is_empty()));
    let (list, by_hash) = if needs_names && !kubernetes.is_empty() {
        candidates(kubernetes)
    } else {
        (Vec::new(), HashMap::default())
    };
    let names: Vec<Arc<str>> = nodes.iter().map(|(name, _)| Arc::from(*name)).collect();
    for (n, ((_, services), source)) in nodes.iter_mut().zip(&names).enumerate() {
        for (i, s) in services.iter_mut().enumerate() {
            if !s.spn.is_empty() {
                if s.name.is_empty() {
                    unnamed.push(unnamed_port(
                        source,
                        s,
                        format!("the comment {:?} is not a service port name", s.spn),
                    ));
                }
                continue;
            }
            let suffix = s.chain.as_deref().and_then(hash::chain_suffix);
            let found = suffix.and_then(|h| by_hash.get(h)).copied();
            let candidate = found.and_then(|c| list.get(c).map(|x| (c, x)));
            let Some((c, candidate)) = candidate else {
                let reason = match (s.chain.as_deref(), suffix) {
                    (None, _) => "the rule has no comment and no chain name to hash".to_string(),
                    (Some(chain), None) => {
                        format!("the rule has no comment, and {chain} is not a kube-proxy chain name")
                    }
                    (Some(_), Some(_)) if kubernetes.is_empty() => "the rule has no comment; \
                        kubectl output listing the Service (`kubectl get svc,endpointslices -A -o json`) \
                        would name it through the chain hash"
                        .to_string(),
                    (Some(chain), Some(_)) => format!(
                        "the rule has no comment, and no Service port in the kubectl input hashes to {chain}"
                    ),
                };
                unnamed.push(unnamed_port(source, s, reason));
                continue;
            };
            s.namespace.clone_from(&candidate.namespace);
            s.name.clone_from(&candidate.name);
            s.port_name.clone_from(&candidate.port_name);
            s.spn.clone_from(&candidate.spn);
            s.legacy_port_name = candidate.legacy;
            if s.protocol.is_empty() {
                s.protocol.clone_from(&candidate.protocol);
            }
            s.chain_hash_matches = Some(true);
            for e in s.endpoints.iter_mut().filter(|e| !e.ip.is_empty()) {
                let address = endpoint_string(&e.ip, e.port);
                e.chain_hash_matches = hash::chain_suffix(&e.chain).map(|h| {
                    h == hash::endpoint_hash(&candidate.spn, &candidate.protocol, &address)
                });
            }
            named_by_hash.insert((n, i), c);
        }
    }
    Names {
        names,
        named_by_hash,
        list,
        unnamed,
    }
}

/// Merges every input into one [`Cluster`]: `nodes` are the node dumps' names and Service ports as [`name`] left
/// them, in the same order.
pub fn merge(names: Names, nodes: &[(&str, &[Service])], kubernetes: &[KubeSource]) -> Cluster {
    let Names {
        names,
        named_by_hash,
        list,
        mut unnamed,
    } = names;
    let mut merged = Merge::default();
    for (n, ((_, services), source)) in nodes.iter().zip(&names).enumerate() {
        for (i, s) in services
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.name.is_empty())
        {
            let named_by = match named_by_hash.get(&(n, i)).and_then(|&c| list.get(c)) {
                Some(c) => Naming {
                    from: NameSource::ChainHash,
                    spn: c.spn.clone(),
                    evidence: c.evidence.clone(),
                },
                None => Naming {
                    from: NameSource::Comment,
                    spn: s.spn.clone(),
                    evidence: vec![Evidence::line(source, s.line)],
                },
            };
            merged.node_port(source, s, named_by);
        }
    }
    for k in kubernetes {
        merged.kube_services(k, false);
    }
    merged.settle();
    for k in kubernetes {
        merged.kube_services(k, true);
        merged.kube_endpoints(k);
    }
    unnamed.sort_by(|a, b| (&a.source, a.line, &a.chain).cmp(&(&b.source, b.line, &b.chain)));
    Cluster {
        service_ports: merged.finish(),
        unnamed,
    }
}

fn unnamed_port(source: &Arc<str>, s: &Service, reason: String) -> UnnamedPort {
    UnnamedPort {
        source: Arc::clone(source),
        line: s.line,
        chain: s.chain.clone(),
        protocol: s.protocol.clone(),
        cluster_ip: s.cluster_ip.clone(),
        port: s.port,
        reason,
    }
}

/// (namespace, name, port name, protocol)
type Key = (String, String, String, String);

/// What the inputs say about one service port, before sorting.
#[derive(Default)]
struct PortFacts {
    cluster_ips: Vec<Fact<String>>,
    ports: Vec<Fact<u16>>,
    node_ports: Vec<Fact<u16>>,
    external_ips: Vec<Fact<String>>,
    load_balancer_ips: Vec<Fact<String>>,
    endpoints: Vec<ClusterEndpoint>,
    routes: Vec<Route>,
}

fn add_fact<T: PartialEq>(facts: &mut Vec<Fact<T>>, value: T, evidence: Evidence) {
    match facts.iter_mut().find(|f| f.value == value) {
        Some(f) => f.evidence.push(evidence),
        None => facts.push(Fact {
            value,
            evidence: vec![evidence],
        }),
    }
}

fn merge_facts<T: PartialEq>(into: &mut Vec<Fact<T>>, from: Vec<Fact<T>>) {
    for f in from {
        match into.iter_mut().find(|g| g.value == f.value) {
            Some(g) => g.evidence.extend(f.evidence),
            None => into.push(f),
        }
    }
}

impl PortFacts {
    /// The endpoint `ip:port`, added if new. A port has few endpoints, so they are searched in order.
    fn endpoint(&mut self, ip: &str, port: Option<u16>) -> Option<&mut ClusterEndpoint> {
        match self
            .endpoints
            .iter()
            .position(|e| e.port == port && e.ip == ip)
        {
            Some(i) => self.endpoints.get_mut(i),
            None => {
                self.endpoints.push(ClusterEndpoint {
                    ip: ip.to_string(),
                    port,
                    ready: None,
                    serving: None,
                    terminating: None,
                    node: None,
                    pod: None,
                    evidence: Vec::with_capacity(2),
                    chains: Vec::new(),
                });
                self.endpoints.last_mut()
            }
        }
    }

    fn absorb(&mut self, other: PortFacts) {
        merge_facts(&mut self.cluster_ips, other.cluster_ips);
        merge_facts(&mut self.ports, other.ports);
        merge_facts(&mut self.node_ports, other.node_ports);
        merge_facts(&mut self.external_ips, other.external_ips);
        merge_facts(&mut self.load_balancer_ips, other.load_balancer_ips);
        for e in other.endpoints {
            let Some(into) = self.endpoint(&e.ip, e.port) else {
                continue;
            };
            into.evidence.extend(e.evidence);
            into.chains.extend(e.chains);
            into.ready = into.ready.or(e.ready);
            into.serving = into.serving.or(e.serving);
            into.terminating = into.terminating.or(e.terminating);
            if into.node.is_none() {
                into.node = e.node;
            }
            if into.pod.is_none() {
                into.pod = e.pod;
            }
        }
        self.routes.extend(other.routes);
    }
}

/// A kubectl Service port's facts.
fn kube_service_facts(
    facts: &mut PortFacts,
    source: &Arc<str>,
    s: &crate::source::kubectl::model::KubeService,
    p: &crate::source::kubectl::model::KubeServicePort,
) {
    for ip in s.cluster_ips.iter().filter(|ip| ip.as_str() != "None") {
        add_fact(
            &mut facts.cluster_ips,
            ip.clone(),
            Evidence::line(source, s.line),
        );
    }
    add_fact(&mut facts.ports, p.port, Evidence::line(source, p.line));
    if let Some(node_port) = p.node_port {
        add_fact(
            &mut facts.node_ports,
            node_port,
            Evidence::line(source, p.line),
        );
    }
    for ip in s.external_ips.iter().flatten() {
        add_fact(
            &mut facts.external_ips,
            ip.clone(),
            Evidence::line(source, s.line),
        );
    }
    let ingress = s.load_balancer_ingress.iter().flatten();
    for ip in ingress.filter_map(|i| i.ip.as_ref()) {
        add_fact(
            &mut facts.load_balancer_ips,
            ip.clone(),
            Evidence::line(source, s.line),
        );
    }
}

/// Evidence sorted by input and line, without repeats.
fn sorted(mut evidence: Vec<Evidence>) -> Vec<Evidence> {
    evidence.sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
    evidence.dedup();
    evidence
}

/// Facts sorted by value, each with sorted evidence.
fn facts<T: Ord>(mut list: Vec<Fact<T>>) -> Vec<Fact<T>> {
    for f in &mut list {
        f.evidence = sorted(std::mem::take(&mut f.evidence));
    }
    list.sort_by(|a, b| a.value.cmp(&b.value));
    list
}

/// The service ports in a flat list: pushed unsorted, then [`Merge::settle`] sorts them by key and joins repeats,
/// so that a Service's ports are one run found by binary search. No map, and no key is built twice.
#[derive(Default)]
struct Merge {
    ports: Vec<(Key, PortFacts)>,
}

impl Merge {
    /// Sorts by key and joins the entries of one key.
    fn settle(&mut self) {
        let mut slots: Vec<Option<(Key, PortFacts)>> = std::mem::take(&mut self.ports)
            .into_iter()
            .map(Some)
            .collect();
        let mut order: Vec<usize> = (0..slots.len()).collect();
        order.sort_by(|&a, &b| match (slots.get(a), slots.get(b)) {
            (Some(Some((a, _))), Some(Some((b, _)))) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        });
        for i in order {
            let Some((key, facts)) = slots.get_mut(i).and_then(Option::take) else {
                continue;
            };
            match self.ports.last_mut() {
                Some((last, into)) if *last == key => into.absorb(facts),
                _ => self.ports.push((key, facts)),
            }
        }
    }

    /// The run of Service `ns/name`'s ports (after [`Merge::settle`]).
    fn service_range(&self, ns: &str, name: &str) -> std::ops::Range<usize> {
        let start = self
            .ports
            .partition_point(|(k, _)| (k.0.as_str(), k.1.as_str()) < (ns, name));
        let len = self.ports.get(start..).map_or(0, |rest| {
            rest.iter()
                .take_while(|(k, _)| k.0 == ns && k.1 == name)
                .count()
        });
        start..start + len
    }

    fn node_port(&mut self, source: &Arc<str>, s: &Service, named_by: Naming) {
        let key = (
            s.namespace.clone(),
            s.name.clone(),
            s.port_name.clone(),
            s.protocol.clone(),
        );
        let mut facts = PortFacts::default();
        if let Some(ip) = &s.cluster_ip {
            add_fact(
                &mut facts.cluster_ips,
                ip.clone(),
                Evidence::line(source, s.line),
            );
        }
        if let Some(port) = s.port {
            add_fact(&mut facts.ports, port, Evidence::line(source, s.line));
        }
        for e in &s.entry_points {
            let list = match e.kind.as_str() {
                "node-port" => {
                    if let Some(port) = e.port {
                        add_fact(&mut facts.node_ports, port, Evidence::line(source, e.line));
                    }
                    continue;
                }
                "external-ip" => &mut facts.external_ips,
                "load-balancer-ip" => &mut facts.load_balancer_ips,
                _ => continue,
            };
            if let Some(ip) = &e.ip {
                add_fact(list, ip.clone(), Evidence::line(source, e.line));
            }
        }
        for e in s.endpoints.iter().filter(|e| !e.ip.is_empty()) {
            let Some(endpoint) = facts.endpoint(&e.ip, e.port) else {
                continue;
            };
            endpoint.evidence.push(Evidence::line(source, e.line));
            endpoint
                .evidence
                .extend(e.dnat_line.map(|l| Evidence::line(source, l)));
            endpoint.chains.push(EndpointChain {
                source: Arc::clone(source),
                chain: e.chain.clone(),
                line: e.line,
                probability: e.probability,
                chain_hash_matches: e.chain_hash_matches,
            });
        }
        facts.routes.push(Route {
            source: Arc::clone(source),
            chain: s.chain.clone(),
            line: s.line,
            named_by,
        });
        self.ports.push((key, facts));
    }

    /// Adds kubectl's Services: before [`Merge::settle`] the ports whose name the format shows (new entries),
    /// after it those from tables, which show no port names (joined to the one port they can be).
    fn kube_services(&mut self, k: &KubeSource, settled: bool) {
        for s in &k.objects.services {
            // A table without `-A` or `-n` does not say the namespace: such a Service is not merged.
            let Some(ns) = s.namespace.as_deref() else {
                continue;
            };
            for p in &s.ports {
                let protocol = p.protocol.to_ascii_lowercase();
                match (&p.name, settled) {
                    (Some(port_name), false) => {
                        let mut facts = PortFacts::default();
                        kube_service_facts(&mut facts, &k.source, s, p);
                        let key = (ns.to_string(), s.name.clone(), port_name.clone(), protocol);
                        self.ports.push((key, facts));
                    }
                    (None, true) => {
                        let Some(i) = self.only_port(ns, &s.name, &protocol) else {
                            continue;
                        };
                        if let Some((_, facts)) = self.ports.get_mut(i) {
                            kube_service_facts(facts, &k.source, s, p);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The one port of Service `ns/name` with this protocol.
    fn only_port(&self, ns: &str, name: &str, protocol: &str) -> Option<usize> {
        let mut matching = self
            .service_range(ns, name)
            .filter(|&i| self.ports.get(i).is_some_and(|(k, _)| k.3 == protocol));
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    }

    /// The ports of Service `ns/name` an endpoint port (name and protocol, each maybe unknown) belongs to. With
    /// something unknown it must be the Service's only such port, or a port some node routes to this address.
    fn ports_for(&self, ns: &str, name: &str, port: &EndpointPort, ip: &str) -> Vec<usize> {
        let fits = |k: &Key| {
            port.name.as_deref().is_none_or(|n| n == k.2)
                && port
                    .protocol
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(&k.3))
        };
        let matching: Vec<usize> = self
            .service_range(ns, name)
            .filter(|&i| self.ports.get(i).is_some_and(|(k, _)| fits(k)))
            .collect();
        if (port.name.is_some() && port.protocol.is_some()) || matching.len() <= 1 {
            return matching;
        }
        matching
            .into_iter()
            .filter(|&i| {
                self.ports.get(i).is_some_and(|(_, f)| {
                    f.endpoints
                        .iter()
                        .any(|e| e.ip == ip && e.port == port.port && !e.chains.is_empty())
                })
            })
            .collect()
    }

    /// Adds an endpoint kubectl lists to the ports it serves.
    fn kube_endpoint(&mut self, listed: Listed<'_>) {
        let Listed {
            service: (ns, name),
            ports,
            ip,
            conditions,
            node,
            pod,
            evidence,
        } = listed;
        let unknown = [EndpointPort {
            name: None,
            port: None,
            protocol: None,
        }];
        let ports = if ports.is_empty() {
            &unknown[..]
        } else {
            ports
        };
        for p in ports {
            for i in self.ports_for(ns, name, p, ip) {
                let Some(endpoint) = self
                    .ports
                    .get_mut(i)
                    .and_then(|(_, facts)| facts.endpoint(ip, p.port))
                else {
                    continue;
                };
                endpoint.evidence.push(evidence.clone());
                let (ready, serving, terminating) = conditions;
                endpoint.ready = endpoint.ready.or(ready);
                endpoint.serving = endpoint.serving.or(serving);
                endpoint.terminating = endpoint.terminating.or(terminating);
                if endpoint.node.is_none() {
                    endpoint.node = node.cloned();
                }
                if endpoint.pod.is_none() {
                    endpoint.pod = pod.cloned();
                }
            }
        }
    }

    fn kube_endpoints(&mut self, k: &KubeSource) {
        for e in &k.objects.endpoints {
            let Some(ns) = e.namespace.as_deref() else {
                continue;
            };
            for subset in &e.subsets {
                for (addresses, ready) in [
                    (&subset.addresses, true),
                    (&subset.not_ready_addresses, false),
                ] {
                    for a in addresses {
                        let pod = a.target.as_ref().and_then(|t| t.name.as_ref());
                        self.kube_endpoint(Listed {
                            service: (ns, &e.name),
                            ports: &subset.ports,
                            ip: &a.ip,
                            conditions: (Some(ready), None, None),
                            node: a.node_name.as_ref(),
                            pod,
                            evidence: Evidence::line(&k.source, a.line),
                        });
                    }
                }
            }
        }
        for s in &k.objects.endpoint_slices {
            let (Some(ns), Some(service)) = (s.namespace.as_deref(), s.probable_service_name())
            else {
                continue;
            };
            for e in &s.endpoints {
                // kube-proxy uses an endpoint's first address.
                let Some(ip) = e.addresses.first() else {
                    continue;
                };
                // The API reads an unset `ready` as ready; a table does not show conditions.
                let ready = match s.origin {
                    Origin::Table => e.ready,
                    _ => Some(e.ready.unwrap_or(true)),
                };
                let pod = e.target.as_ref().and_then(|t| t.name.as_ref());
                self.kube_endpoint(Listed {
                    service: (ns, service),
                    ports: &s.ports,
                    ip,
                    conditions: (ready, e.serving, e.terminating),
                    node: e.node_name.as_ref(),
                    pod,
                    evidence: Evidence::line(&k.source, e.line),
                });
            }
        }
    }

    fn finish(self) -> Vec<ClusterServicePort> {
        self.ports
            .into_iter()
            .map(|((namespace, name, port_name, protocol), f)| {
                let cluster_ips = facts(f.cluster_ips);
                let external_ips = facts(f.external_ips);
                let load_balancer_ips = facts(f.load_balancer_ips);
                let ports = facts(f.ports);
                let node_ports = facts(f.node_ports);
                let mut endpoints: Vec<ClusterEndpoint> = f
                    .endpoints
                    .into_iter()
                    .map(|mut e| {
                        e.evidence = sorted(std::mem::take(&mut e.evidence));
                        e.chains.sort_by(|a, b| {
                            (&a.source, a.line, &a.chain).cmp(&(&b.source, b.line, &b.chain))
                        });
                        e
                    })
                    .collect();
                endpoints.sort_by(|a, b| (&a.ip, a.port).cmp(&(&b.ip, b.port)));
                let mut routes = f.routes;
                routes.sort_by(|a, b| {
                    (&a.source, a.line, &a.chain).cmp(&(&b.source, b.line, &b.chain))
                });
                for r in &mut routes {
                    r.named_by.evidence = sorted(std::mem::take(&mut r.named_by.evidence));
                }
                ClusterServicePort {
                    namespace,
                    name,
                    port_name,
                    protocol,
                    cluster_ips,
                    ports,
                    node_ports,
                    external_ips,
                    load_balancer_ips,
                    endpoints,
                    routes,
                }
            })
            .collect()
    }
}
