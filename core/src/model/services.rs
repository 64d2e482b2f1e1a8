//! The Service graph of one node in kube-proxy's iptables mode: each Service port's cluster IP entry in
//! `KUBE-SERVICES` → its `KUBE-SVC`/`KUBE-SVL` chain → `KUBE-SEP` chains → DNAT endpoints, with the effective
//! share of each endpoint computed from the `statistic` cascade as the kernel applies it.

use std::borrow::Cow;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::hash;
use crate::source::iptables::values::{self, Family, NatTarget};
use crate::source::iptables::{ChainView, OptView, RuleView, Ruleset, RulesetView, TableView};

/// One Service port as this node routes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// Namespace, from the rule comments (`""` when the dump has none).
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Port name; `""` for an unnamed port.
    pub port_name: String,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The cluster IP (the VIP), without prefix length.
    pub cluster_ip: Option<String>,
    /// The service port.
    pub port: Option<u16>,
    /// The chain the cluster IP jumps to (`KUBE-SVC-…`, or `KUBE-SVL-…` with internalTrafficPolicy Local).
    pub chain: Option<String>,
    /// Where a new connection goes, with each endpoint's share.
    pub endpoints: Vec<Endpoint>,
    /// The input this was read from.
    pub source: String,
    /// Line of the `KUBE-SERVICES` rule (or of the filter `REJECT` rule for a service with no endpoints).
    pub line: u32,
    /// The service port name as written in the comments (`ns/name:port`).
    pub spn: String,
    /// The comment ends in `:` for an unnamed port: kube-proxy before ≈1.19 wrote it that way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub legacy_port_name: bool,
    /// Whether the chain's name is kube-proxy's hash of this service port (`None` when there is nothing to check).
    pub chain_hash_matches: Option<bool>,
    /// The chain is jumped to but not defined in this input (e.g. kube-proxy's partial restore input).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chain_missing: bool,
    /// ClientIP session affinity timeout, from the `-m recent --rcheck --seconds` rules.
    pub affinity_timeout_secs: Option<u32>,
    /// The filter-table `REJECT` rule saying the service has no endpoints.
    pub reject_line: Option<u32>,
    /// Share of new connections that no endpoint rule takes (0 for a well-formed cascade).
    pub unrouted_share: f64,
    /// The other ways in: NodePorts, external IPs and load-balancer IPs, from `KUBE-SERVICES` and `KUBE-NODEPORTS`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<EntryPoint>,
    /// externalTrafficPolicy Local: the external chain hands outside traffic to the local-endpoints chain
    /// (`KUBE-SVL`), or the legacy `KUBE-XLB` chain is used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external_policy_local: bool,
    /// internalTrafficPolicy Local: the cluster IP jumps to `KUBE-SVL-…`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal_policy_local: bool,
}

/// What kind of way into a Service port an [`EntryPoint`] is; in JSON its kebab-case name (`node-port`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A NodePort (`KUBE-NODEPORTS`).
    NodePort,
    /// An external IP (`KUBE-SERVICES`, comment `… external IP`).
    ExternalIp,
    /// A load-balancer IP (`KUBE-SERVICES`, comment `… loadbalancer IP`, or a jump to `KUBE-FW-…`).
    LoadBalancerIp,
    /// A `KUBE-SERVICES` rule without a comment that jumps to `KUBE-EXT-…`: an external IP or a load-balancer IP
    /// without source ranges (the rule does not say which).
    ExternalAddress,
}

impl EntryKind {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::NodePort => "node-port",
            EntryKind::ExternalIp => "external-ip",
            EntryKind::LoadBalancerIp => "load-balancer-ip",
            EntryKind::ExternalAddress => "external-address",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Compares with the JSON name (`kind == "node-port"`).
impl PartialEq<&str> for EntryKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One way into a Service port besides its cluster IP, and where it really goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryPoint {
    /// A NodePort, an external IP, a load-balancer IP, or an external address the rule does not say more of.
    pub kind: EntryKind,
    /// The address matched (`None` for a NodePort on every node address; `127.0.0.0/8` for localhost NodePorts).
    pub ip: Option<String>,
    /// The port matched.
    pub port: Option<u16>,
    /// The chain it jumps to (`KUBE-EXT-…`, `KUBE-FW-…`, or `KUBE-SVC-…`/`KUBE-XLB-…` before 1.24).
    pub chain: String,
    /// Line of the rule.
    pub line: u32,
    /// The chains a new connection from an outside client passes through, in order, from [`EntryPoint::chain`] to
    /// the chain whose endpoint rules take it, e.g. `KUBE-FW-…` → `KUBE-EXT-…` → `KUBE-SVL-…`. Rules for pod and
    /// node-local sources (`-s <cluster CIDR>`, `addrtype --src-type LOCAL`) are passed over: they are other
    /// clients' ways. A source-range chain is followed through its first allowed range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Whether an outside client's connection is masqueraded (`KUBE-MARK-MASQ` on the way: externalTrafficPolicy
    /// Cluster, the client IP is lost) or keeps its client IP (`false`: externalTrafficPolicy Local). `None` when the
    /// path could not be followed to its end.
    #[serde(default)]
    pub masquerade: Option<bool>,
    /// The source ranges a `KUBE-FW-…` chain lets through (loadBalancerSourceRanges; also the load-balancer IP
    /// itself when a range holds the node's address).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
    /// What drops traffic from other sources: `KUBE-PROXY-FIREWALL` (filter table, 1.25 and later) or
    /// `KUBE-MARK-DROP` (nat table, before 1.25). `None` when nothing on the path filters sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall_drop: Option<String>,
    /// Line of the rule that drops the other sources (the filter `KUBE-PROXY-FIREWALL` rule, else the `KUBE-FW-…`
    /// rule that names it, or the legacy `-j KUBE-MARK-DROP` rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall_drop_line: Option<u32>,
    /// Where the connection goes, with each endpoint's share, when the path ends in another chain than the
    /// Service's own (a `KUBE-SVL-…` local-endpoints chain or a legacy `KUBE-XLB-…` cascade); empty when it ends in
    /// the Service's chain (the Service's endpoints apply) or goes nowhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// externalTrafficPolicy Local and no endpoint on this node: outside clients' traffic is dropped (the
    /// external chain hands it to no local chain, or a legacy `has no local endpoints` rule marks it for drop).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_local_endpoints: bool,
    /// Whether every hashed chain on the path (`KUBE-EXT/FW/XLB/SVL/SVC-…`) is named with kube-proxy's hash of
    /// this service port (`None` when there is nothing to check).
    #[serde(default)]
    pub chain_hash_matches: Option<bool>,
    /// A chain on the path is jumped to but not defined in this input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chain_missing: bool,
}

impl EntryPoint {
    fn new(kind: EntryKind, ip: Option<String>, port: Option<u16>, chain: &str, line: u32) -> Self {
        Self {
            kind,
            ip,
            port,
            chain: chain.to_string(),
            line,
            path: Vec::new(),
            masquerade: None,
            source_ranges: Vec::new(),
            firewall_drop: None,
            firewall_drop_line: None,
            endpoints: Vec::new(),
            no_local_endpoints: false,
            chain_hash_matches: None,
            chain_missing: false,
        }
    }
}

/// One endpoint of a Service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The DNAT address (`""` when the endpoint chain is missing or has no DNAT rule).
    pub ip: String,
    /// The DNAT port (the service port when the DNAT rule names none).
    pub port: Option<u16>,
    /// The `KUBE-SEP-…` chain.
    pub chain: String,
    /// The effective share of new connections from a pod: the product through the cascade.
    pub probability: f64,
    /// The `--probability` of the jump rule as the kernel applies it; `None` for the unconditional last rule.
    pub rule_probability: Option<f64>,
    /// The `--probability` text as written in the dump.
    pub rule_probability_text: Option<String>,
    /// Line of the jump from the service chain.
    pub line: u32,
    /// Line of the DNAT rule.
    pub dnat_line: Option<u32>,
    /// Whether the chain's name is kube-proxy's hash of this endpoint (`None` when there is nothing to check).
    pub chain_hash_matches: Option<bool>,
    /// The endpoint chain sets the `recent` list used by ClientIP affinity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub affinity: bool,
}

/// A service port name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePortName {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Port name (`""` when unnamed).
    pub port_name: String,
    /// Written with kube-proxy's old trailing colon for an unnamed port.
    pub legacy: bool,
}

impl ServicePortName {
    /// Parses `ns/name`, `ns/name:port` or the legacy `ns/name:`.
    pub fn parse(text: &str) -> Option<Self> {
        let (namespace, rest) = text.split_once('/')?;
        if namespace.is_empty() || rest.is_empty() || text.contains(char::is_whitespace) {
            return None;
        }
        let (name, port_name, legacy) = match rest.split_once(':') {
            Some((name, "")) => (name, "", true),
            Some((name, port)) => (name, port, false),
            None => (rest, "", false),
        };
        if name.is_empty() {
            return None;
        }
        Some(Self {
            namespace: namespace.to_string(),
            name: name.to_string(),
            port_name: port_name.to_string(),
            legacy,
        })
    }
}

/// The probability the kernel applies for a `--probability` value: iptables stores `lround(2^31 · p)` as a u32.
/// A value iptables refuses (NaN, infinite, outside [0, 1]) gives 0: the rule never matches.
pub fn kernel_probability(p: f64) -> f64 {
    values::kernel_probability(p)
}

/// Rounds a share for output, so that printed values do not carry float noise.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// An address option's value without its prefix length, e.g. `10.96.0.10/32` → `10.96.0.10`.
fn host(opt: OptView<'_>) -> String {
    let value = opt.value();
    match value.split_once('/') {
        Some((ip, "32" | "128")) => ip.to_string(),
        _ => value.into_owned(),
    }
}

/// A rule's protocol (lower case, `""` when it has none) and destination address without its prefix length.
fn protocol_and_destination(rule: &RuleView<'_>) -> (String, Option<String>) {
    let protocol = rule
        .basic("-p")
        .map(|o| o.value())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let destination = rule.basic("-d").map(host).filter(|ip| !ip.is_empty());
    (protocol, destination)
}

/// Parses a DNAT `--to-destination`: `ip`, `ip:port`, `[v6]:port`, or a range (the first address and port are
/// taken). `None` when it names no address or is not a valid target (iptables would have refused the rule).
pub fn parse_destination(text: &str) -> Option<(String, Option<u16>)> {
    let target = values::nat_target(text, None).ok()?;
    target.addr?;
    Some((target.addr_text.to_string(), target.port))
}

/// Builds the Service graph of one ruleset. Diagnostics point at lines of the same input.
pub fn build(source: &str, ruleset: &Ruleset) -> (Vec<Service>, Vec<Diagnostic>) {
    build_view(source, &RulesetView::from_ruleset(ruleset))
}

/// The Service ports that share a service port name, protocol and cluster IP: those routed through a chain (with
/// the chain's name), and the one that only has a filter `REJECT` rule.
#[derive(Debug, Default)]
struct Group {
    /// Indices of the routed ports in the list of all ports.
    routed: Vec<usize>,
    /// Index of the reject-only port.
    reject: Option<usize>,
}

/// Groups by (service port name, protocol, cluster IP or `""`). A fixed hasher: the core uses no randomness, and
/// the order of the result comes from the sort at the end, never from the map.
type Groups = FxHashMap<(String, String, String), Group>;

/// [`build`] over the parser's view of the input, which `analyze` keeps instead of an owned [`Ruleset`].
pub(crate) fn build_view(
    source: &str,
    ruleset: &RulesetView<'_>,
) -> (Vec<Service>, Vec<Diagnostic>) {
    let mut groups = Groups::default();
    // Every Service port, in input order; the groups hold indices, so a port is moved once, into the result.
    let mut all: Vec<Service> = Vec::new();
    let mut diagnostics = Vec::new();
    let nat = ruleset.table("nat");
    let seps = nat.as_ref().map(endpoint_chains).unwrap_or_default();
    if let Some(nat) = nat {
        if let Some(entry_chain) = nat.chain("KUBE-SERVICES") {
            groups.reserve(entry_chain.rule_count());
            all.reserve(entry_chain.rule_count());
            for rule in entry_chain.rules() {
                let Some(target) = rule.target_name() else {
                    continue;
                };
                if !(target.starts_with("KUBE-SVC-") || target.starts_with("KUBE-SVL-")) {
                    continue;
                }
                let comment = rule.comment().unwrap_or_default();
                if comment.ends_with(" external IP") || comment.ends_with(" loadbalancer IP") {
                    continue;
                }
                let spn_text = comment.strip_suffix(" cluster IP").unwrap_or(&comment);
                let (protocol, cluster_ip) = protocol_and_destination(&rule);
                let key = (
                    spn_text.to_string(),
                    protocol,
                    cluster_ip.clone().unwrap_or_default(),
                );
                if groups.get(&key).is_some_and(|g| {
                    g.routed.iter().any(|&i| {
                        all.get(i)
                            .is_some_and(|s| s.chain.as_deref() == Some(target))
                    })
                }) {
                    continue;
                }
                let protocol = &key.1;
                let mut service = new_service(source, rule.line(), spn_text, protocol);
                service.cluster_ip = cluster_ip;
                service.port = rule.dport().and_then(|o| o.value().parse().ok());
                service.chain = Some(target.to_string());
                if !spn_text.is_empty() && !protocol.is_empty() {
                    service.chain_hash_matches = hash::chain_suffix(target)
                        .map(|h| hash::service_hash_is(h, spn_text, protocol));
                }
                match nat.chain(target) {
                    Some(chain) => resolve(nat, &seps, chain, &mut service, &mut diagnostics),
                    None => {
                        service.chain_missing = true;
                        service.unrouted_share = 1.0;
                        diagnostics.push(undefined_chain(rule.line(), target));
                    }
                }
                groups.entry(key).or_default().routed.push(all.len());
                all.push(service);
            }
        }
    }
    if let Some(filter) = ruleset.table("filter") {
        if let Some(chain) = filter.chain("KUBE-SERVICES") {
            for rule in chain.rules().filter(|r| r.target_is("REJECT")) {
                let Some(comment) = rule.comment() else {
                    continue;
                };
                let Some(spn_text) = comment.strip_suffix(" has no endpoints") else {
                    continue;
                };
                let (protocol, cluster_ip) = protocol_and_destination(&rule);
                let key = (
                    spn_text.to_string(),
                    protocol,
                    cluster_ip.clone().unwrap_or_default(),
                );
                // A port with the same name, protocol and cluster IP takes the REJECT line: the reject-only one if
                // there is one, else the routed one with the first chain name.
                if let Some(group) = groups.get(&key) {
                    let chain = |i: &usize| all.get(*i).and_then(|s| s.chain.as_deref());
                    let first = group
                        .reject
                        .or_else(|| group.routed.iter().min_by_key(|i| chain(i)).copied());
                    if let Some(service) = first.and_then(|i| all.get_mut(i)) {
                        service.reject_line = Some(rule.line());
                        continue;
                    }
                }
                let mut service = new_service(source, rule.line(), spn_text, &key.1);
                service.cluster_ip = cluster_ip;
                service.port = rule.dport().and_then(|o| o.value().parse().ok());
                service.reject_line = Some(rule.line());
                let group = groups.entry(key).or_default();
                if group.reject.is_none() {
                    group.reject = Some(all.len());
                    all.push(service);
                }
            }
        }
    }
    if let Some(nat) = nat {
        let filter = ruleset.table("filter");
        attach_entry_points(&nat, &seps, filter.as_ref(), &mut all, &mut diagnostics);
    }
    // Sorted for output; ties (only possible with repeated line numbers) keep the order of (name, protocol,
    // cluster IP, chain, reject-only last), then input order.
    drop(groups);
    let order: Vec<usize> = {
        let mut keyed: Vec<_> = all
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let key = (
                    (
                        s.namespace.as_str(),
                        s.name.as_str(),
                        s.port_name.as_str(),
                        s.protocol.as_str(),
                        s.cluster_ip.as_deref(),
                        s.line,
                    ),
                    (
                        s.spn.as_str(),
                        s.cluster_ip.as_deref().unwrap_or_default(),
                        s.chain.as_deref().unwrap_or_default(),
                        s.chain.is_none(),
                    ),
                );
                (key, i)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    let mut slots: Vec<Option<Service>> = all.into_iter().map(Some).collect();
    let services = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect();
    (services, diagnostics)
}

/// One entry rule read from `KUBE-SERVICES` or `KUBE-NODEPORTS`, before it is joined to its Service port.
struct EntryRule {
    /// The service port name from the comment (`None` when the rule has none).
    spn: Option<String>,
    protocol: String,
    entry: EntryPoint,
    /// A legacy `KUBE-MARK-MASQ` rule for the same way in comes right before the jump (before 1.24).
    masquerade: bool,
}

/// What a legacy `KUBE-MARK-MASQ` rule in an entry chain marks: the comment, port and address it matches.
type MasqKey = (Option<String>, Option<String>, Option<String>);

/// The entry rules of nat `KUBE-SERVICES` (external and load-balancer IPs) and `KUBE-NODEPORTS`, in rule order.
fn entry_rules(nat: &TableView<'_>) -> Vec<EntryRule> {
    let mut found: Vec<EntryRule> = Vec::new();
    for (chain_name, node_ports) in [("KUBE-SERVICES", false), ("KUBE-NODEPORTS", true)] {
        let Some(chain) = nat.chain(chain_name) else {
            continue;
        };
        let mut masq: Option<MasqKey> = None;
        for rule in chain.rules() {
            let Some(target) = rule.target_name() else {
                masq = None;
                continue;
            };
            let key = |rule: &RuleView<'_>| -> MasqKey {
                (
                    rule.comment().map(|c| c.into_owned()),
                    rule.dport().map(|o| o.value().into_owned()),
                    rule.basic("-d").map(|o| o.value().into_owned()),
                )
            };
            if target == "KUBE-MARK-MASQ" {
                // Before 1.24 a NodePort or external IP is marked first, then jumps; a mark for some sources only
                // (`-s 127.0.0.0/8` for localhost NodePorts) is not the outside client's.
                let conditional = rule.basic("-s").is_some()
                    || rule.match_opt("addrtype", "--src-type").is_some();
                masq = (!conditional).then(|| key(&rule));
                continue;
            }
            let into_service = [
                "KUBE-EXT-",
                "KUBE-FW-",
                "KUBE-SVC-",
                "KUBE-SVL-",
                "KUBE-XLB-",
            ]
            .iter()
            .any(|p| target.starts_with(p));
            if !into_service {
                masq = None;
                continue;
            }
            let comment = rule.comment();
            let (spn, kind) = match comment.as_deref() {
                Some(c) => {
                    if let Some(spn) = c.strip_suffix(" external IP") {
                        (Some(spn), EntryKind::ExternalIp)
                    } else if let Some(spn) = c.strip_suffix(" loadbalancer IP") {
                        (Some(spn), EntryKind::LoadBalancerIp)
                    } else if node_ports {
                        (Some(c), EntryKind::NodePort)
                    } else {
                        masq = None;
                        continue;
                    }
                }
                // Comment-less rules are joined by their chain's hash suffix. A KUBE-SVC jump in KUBE-SERVICES
                // reads as a cluster IP; only the external chains are ways in.
                None if node_ports => (None, EntryKind::NodePort),
                None if target.starts_with("KUBE-FW-") => (None, EntryKind::LoadBalancerIp),
                None if target.starts_with("KUBE-EXT-") => (None, EntryKind::ExternalAddress),
                None => {
                    masq = None;
                    continue;
                }
            };
            let masquerade = masq.as_ref().is_some_and(|m| *m == key(&rule));
            let (protocol, ip) = protocol_and_destination(&rule);
            let port = rule.dport().and_then(|o| o.value().parse().ok());
            found.push(EntryRule {
                spn: spn.map(str::to_string),
                protocol,
                entry: EntryPoint::new(kind, ip, port, target, rule.line()),
                masquerade,
            });
        }
    }
    found
}

/// Adds NodePorts (`KUBE-NODEPORTS`), external IPs and load-balancer IPs (`KUBE-SERVICES`) to the Service ports
/// they lead to — by the service port name and protocol in the comment, else by the 16-character hash suffix their
/// chain shares with the Service port's chain (docs/domain/kube-proxy-iptables.md §8) — follows each one's chains, and reads the traffic
/// policies off the chains.
fn attach_entry_points(
    nat: &TableView<'_>,
    seps: &[Sep<'_>],
    filter: Option<&TableView<'_>>,
    services: &mut [Service],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let found = entry_rules(nat);
    let mut services: Vec<&mut Service> = services.iter_mut().collect();
    let mut attached: Vec<Vec<(EntryPoint, bool)>> = Vec::new();
    if !found.is_empty() {
        // The indexes borrow the Services' names; they are gone before the Services are changed.
        type Index<'s> = FxHashMap<(&'s str, &'s str), Vec<usize>>;
        let mut by_name = Index::default();
        let mut by_suffix: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, service) in services.iter().enumerate() {
            if !service.spn.is_empty() {
                by_name
                    .entry((service.spn.as_str(), service.protocol.as_str()))
                    .or_default()
                    .push(i);
            }
            if let Some(suffix) = service.chain.as_deref().and_then(hash::chain_suffix) {
                by_suffix.entry(suffix).or_default().push(i);
            }
        }
        attached.resize_with(services.len(), Vec::new);
        for rule in found {
            let by_comment = rule
                .spn
                .as_deref()
                .and_then(|spn| by_name.get(&(spn, rule.protocol.as_str())))
                .filter(|list| !list.is_empty());
            let targets = by_comment.or_else(|| {
                hash::chain_suffix(&rule.entry.chain).and_then(|suffix| by_suffix.get(suffix))
            });
            for &i in targets.into_iter().flatten() {
                let Some(list) = attached.get_mut(i) else {
                    continue;
                };
                // Before 1.24 an external IP had two jump rules (physdev and addrtype LOCAL) for one way in.
                let entry = &rule.entry;
                let same = |(e, _): &(EntryPoint, bool)| {
                    e.kind == entry.kind
                        && e.ip == entry.ip
                        && e.port == entry.port
                        && e.chain == entry.chain
                };
                if !list.iter().any(same) {
                    list.push((entry.clone(), rule.masquerade));
                }
            }
        }
    }
    let mut firewall_drops: Option<FirewallDrops> = None;
    for (i, service) in services.iter_mut().enumerate() {
        service.internal_policy_local = service
            .chain
            .as_deref()
            .is_some_and(|c| c.starts_with("KUBE-SVL-"));
        let Some(entries) = attached.get_mut(i).filter(|l| !l.is_empty()) else {
            continue;
        };
        let own_hash = (!service.spn.is_empty() && !service.protocol.is_empty())
            .then(|| hash::service_hash(&service.spn, &service.protocol));
        let mut followed: Vec<Followed> = Vec::new();
        let mut cascades: Vec<(String, Cascade)> = Vec::new();
        for (entry, entry_masquerade) in entries.drain(..) {
            let at = match followed
                .iter()
                .position(|f| f.path.first() == Some(&entry.chain))
            {
                Some(at) => at,
                None => {
                    followed.push(follow(nat, &entry.chain));
                    followed.len() - 1
                }
            };
            let Some(route) = followed.get(at) else {
                continue;
            };
            let mut entry = entry;
            entry.path = route.path.clone();
            entry.masquerade = match (route.masquerade, entry_masquerade) {
                (_, true) => Some(true),
                (m, false) => m,
            };
            entry.source_ranges = route.source_ranges.clone();
            entry.chain_missing = route.chain_missing;
            entry.no_local_endpoints = route.no_local_endpoints;
            if let Some((kind, line)) = &route.firewall_drop {
                entry.firewall_drop = Some(kind.to_string());
                entry.firewall_drop_line = Some(*line);
                if *kind == "KUBE-PROXY-FIREWALL" {
                    let drops = firewall_drops.get_or_insert_with(|| firewall_drop_rules(filter));
                    if let Some(line) = route.path.first().and_then(|fw| drops.get(fw.as_str())) {
                        entry.firewall_drop_line = Some(*line);
                    }
                }
            }
            entry.chain_hash_matches = own_hash.as_deref().and_then(|own| {
                let mut suffixes = route
                    .path
                    .iter()
                    .filter_map(|c| hash::chain_suffix(c))
                    .peekable();
                suffixes
                    .peek()
                    .is_some()
                    .then(|| suffixes.all(|s| s == own))
            });
            if let Some(last) = route.endpoint_chain.as_deref() {
                if service.chain.as_deref() != Some(last) {
                    let known = cascades.iter().position(|(c, _)| c == last);
                    let at = match known {
                        Some(at) => Some(at),
                        None => nat.chain(last).map(|chain| {
                            let mut found_diagnostics = Vec::new();
                            let found = cascade(nat, seps, chain, service, &mut found_diagnostics);
                            // The endpoint chains are usually the Service's own, already reported.
                            for d in found_diagnostics {
                                if !diagnostics
                                    .iter()
                                    .any(|e| e.line == d.line && e.code == d.code)
                                {
                                    diagnostics.push(d);
                                }
                            }
                            cascades.push((last.to_string(), found));
                            cascades.len() - 1
                        }),
                    };
                    if let Some((_, found)) = at.and_then(|at| cascades.get(at)) {
                        entry.endpoints = found.endpoints.clone();
                        if found.endpoints.is_empty() && route.local_policy {
                            entry.no_local_endpoints = true;
                        }
                    }
                }
            }
            service.external_policy_local |= route.local_policy;
            service.entry_points.push(entry);
        }
    }
}

/// The filter `KUBE-PROXY-FIREWALL` rules by the `KUBE-FW-…` chain their comment names
/// (`"SPN traffic not accepted by KUBE-FW-…"`), with their line.
type FirewallDrops = FxHashMap<String, u32>;

fn firewall_drop_rules(filter: Option<&TableView<'_>>) -> FirewallDrops {
    let mut drops = FirewallDrops::default();
    let Some(chain) = filter.and_then(|f| f.chain("KUBE-PROXY-FIREWALL")) else {
        return drops;
    };
    for rule in chain.rules().filter(|r| r.target_is("DROP")) {
        if let Some(comment) = rule.comment() {
            if let Some((_, fw)) = comment.rsplit_once(" traffic not accepted by ") {
                drops.entry(fw.to_string()).or_insert(rule.line());
            }
        }
    }
    drops
}

/// Where an outside client's new connection goes from an entry point's first chain.
#[derive(Debug, Default)]
struct Followed {
    path: Vec<String>,
    /// `None` when a chain on the path is missing before any mark was seen.
    masquerade: Option<bool>,
    source_ranges: Vec<String>,
    /// The drop for sources outside the ranges: its kind and line.
    firewall_drop: Option<(&'static str, u32)>,
    /// The chain whose `KUBE-SEP` jumps take the connection.
    endpoint_chain: Option<String>,
    no_local_endpoints: bool,
    /// externalTrafficPolicy Local: a legacy `KUBE-XLB` chain, a `KUBE-SVL` chain, or an external chain that
    /// treats pod and node-local sources apart.
    local_policy: bool,
    chain_missing: bool,
}

/// At most this many chains are followed from an entry point (kube-proxy's longest path is FW → EXT → SVL).
const MAX_PATH: usize = 8;

/// Follows an entry point's chains for a new connection from an outside client (not a pod, not the node), as the
/// kernel evaluates them: see [`EntryPoint::path`].
fn follow(nat: &TableView<'_>, first: &str) -> Followed {
    let mut route = Followed::default();
    let mut masquerade = false;
    let mut current = first.to_string();
    loop {
        let is = |prefix: &str| current.starts_with(prefix);
        let (firewall, local_chain) = (is("KUBE-FW-"), is("KUBE-XLB-"));
        route.local_policy |= local_chain || is("KUBE-SVL-");
        let Some(chain) = nat.chain(&current) else {
            route.chain_missing = true;
            route.path.push(current);
            route.masquerade = masquerade.then_some(true);
            return route;
        };
        if is("KUBE-SVC-") || is("KUBE-SVL-") {
            route.path.push(current.clone());
            route.endpoint_chain = Some(current);
            route.masquerade = Some(masquerade);
            return route;
        }
        let mut next: Option<&str> = None;
        let mut ended = false;
        let mut firewall_note: Option<u32> = None;
        for rule in chain.rules() {
            let target = rule.target_name();
            let jumps_on = target.is_some_and(|t| {
                [
                    "KUBE-SVC-",
                    "KUBE-SVL-",
                    "KUBE-EXT-",
                    "KUBE-XLB-",
                    "KUBE-FW-",
                ]
                .iter()
                .any(|p| t.starts_with(p))
            });
            let from_source = rule.basic("-s");
            if firewall {
                if let (Some(range), true) = (&from_source, jumps_on) {
                    route.source_ranges.push(range.value().into_owned());
                    next = next.or(target);
                    continue;
                }
            }
            if from_source.is_some() || rule.match_opt("addrtype", "--src-type").is_some() {
                // Pod traffic (short-circuited to the cluster chain) and node-local traffic: not an outside client.
                route.local_policy |= !firewall;
                continue;
            }
            match target {
                None => {
                    let names_firewall = rule
                        .comment()
                        .is_some_and(|c| c.contains("KUBE-PROXY-FIREWALL"));
                    if firewall && names_firewall {
                        firewall_note = Some(rule.line());
                    }
                }
                Some("KUBE-MARK-MASQ") => masquerade = true,
                Some("KUBE-MARK-DROP") => {
                    // Before 1.25: the rest of a FW chain's sources, or an XLB chain with no local endpoint.
                    if firewall {
                        route.firewall_drop = Some(("KUBE-MARK-DROP", rule.line()));
                    } else {
                        route.no_local_endpoints = true;
                        ended = true;
                    }
                    break;
                }
                Some(t) if t.starts_with("KUBE-SEP-") => {
                    // A legacy KUBE-XLB cascade over the local endpoints.
                    route.path.push(current.clone());
                    route.endpoint_chain = Some(current);
                    route.masquerade = Some(masquerade);
                    return route;
                }
                Some(t) if jumps_on => {
                    next = next.or(Some(t));
                    break;
                }
                Some("RETURN" | "ACCEPT" | "DROP" | "REJECT") => {
                    ended = true;
                    break;
                }
                Some(_) => {}
            }
        }
        if firewall && route.firewall_drop.is_none() && !route.source_ranges.is_empty() {
            // Since 1.25 the FW chain lets other sources fall through; filter KUBE-PROXY-FIREWALL drops them.
            if let Some(line) = firewall_note {
                route.firewall_drop = Some(("KUBE-PROXY-FIREWALL", line));
            }
        }
        let next = next.map(str::to_string);
        route.path.push(current);
        match next {
            Some(chain)
                if !ended && route.path.len() < MAX_PATH && !route.path.contains(&chain) =>
            {
                current = chain;
            }
            _ => {
                // The chain ends without a jump on: with externalTrafficPolicy Local and no local endpoint the
                // external chain hands outside traffic to nothing (filter drops it).
                if next.is_none() && !ended && route.local_policy {
                    route.no_local_endpoints = true;
                }
                route.masquerade = Some(masquerade);
                return route;
            }
        }
    }
}

fn new_service(source: &str, line: u32, spn_text: &str, protocol: &str) -> Service {
    let spn = ServicePortName::parse(spn_text);
    let legacy_port_name = spn.as_ref().is_some_and(|s| s.legacy);
    let (namespace, name, port_name) = spn
        .map(|s| (s.namespace, s.name, s.port_name))
        .unwrap_or_default();
    Service {
        namespace,
        name,
        port_name,
        protocol: protocol.to_string(),
        cluster_ip: None,
        port: None,
        chain: None,
        endpoints: Vec::new(),
        source: source.to_string(),
        line,
        spn: spn_text.to_string(),
        legacy_port_name,
        chain_hash_matches: None,
        chain_missing: false,
        affinity_timeout_secs: None,
        reject_line: None,
        unrouted_share: 0.0,
        entry_points: Vec::new(),
        external_policy_local: false,
        internal_policy_local: false,
    }
}

fn undefined_chain(line: u32, target: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        "undefined-chain",
        line,
        1,
        format!("the rule jumps to {target:?}, which this input does not define (a partial kube-proxy restore input, or a cut dump?)"),
    )
}

/// What an endpoint chain's DNAT rule says.
#[derive(Debug, Clone)]
enum Sep<'v> {
    /// Not a `KUBE-SEP-…` chain, or deleted.
    Other,
    /// No DNAT rule; the line of the chain's declaration.
    NoDnat(Option<u32>),
    /// The first DNAT rule: its line, whether it sets the affinity `recent` entry, and `--to-destination`.
    Dnat {
        line: u32,
        affinity: bool,
        destination: Option<Cow<'v, str>>,
    },
}

/// Every `KUBE-SEP-…` chain's DNAT, by chain position, read in one pass over the table. The chains come in
/// declaration order, which is the order their rules are in memory, so this walks the rules front to back instead
/// of jumping to each endpoint chain from its Service's cascade.
fn endpoint_chains<'v>(nat: &TableView<'v>) -> Vec<Sep<'v>> {
    let mut seps = vec![Sep::Other; nat.chain_count()];
    for (i, chain) in nat.chains() {
        if chain.deleted() || !chain.name().starts_with("KUBE-SEP-") {
            continue;
        }
        let found = match chain.rules().find(|r| r.target_is("DNAT")) {
            Some(dnat) => Sep::Dnat {
                line: dnat.line(),
                affinity: dnat.match_opt("recent", "--set").is_some(),
                destination: dnat.target_opt("--to-destination").map(|o| o.value()),
            },
            None => Sep::NoDnat(chain.declared_line()),
        };
        if let Some(slot) = seps.get_mut(i) {
            *slot = found;
        }
    }
    seps
}

/// Walks a service chain's rules in order, as the kernel does for a new connection, and collects the endpoints.
fn resolve(
    nat: TableView<'_>,
    seps: &[Sep<'_>],
    chain: ChainView<'_>,
    service: &mut Service,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let found = cascade(&nat, seps, chain, service, diagnostics);
    service.affinity_timeout_secs = found.affinity_timeout_secs;
    service.unrouted_share = found.unrouted_share;
    service.endpoints = found.endpoints;
}

/// What a chain's endpoint rules give new connections.
#[derive(Debug)]
struct Cascade {
    endpoints: Vec<Endpoint>,
    unrouted_share: f64,
    affinity_timeout_secs: Option<u32>,
}

/// The probability cascade of a `KUBE-SVC`/`KUBE-SVL` chain (or a legacy `KUBE-XLB` chain's balancing rules) of
/// `service`: each `KUBE-SEP` jump takes `remaining × p`; rules to other targets pass.
fn cascade(
    nat: &TableView<'_>,
    seps: &[Sep<'_>],
    chain: ChainView<'_>,
    service: &Service,
    diagnostics: &mut Vec<Diagnostic>,
) -> Cascade {
    let mut affinity_timeout_secs: Option<u32> = None;
    let mut remaining = 1.0_f64;
    // An endpoint of the other family than the cluster IP cannot be this Service's.
    let cluster_family = service
        .cluster_ip
        .as_deref()
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .map(Family::of);
    let mut endpoints: Vec<Endpoint> = Vec::with_capacity(chain.rule_count());
    for rule in chain.rules() {
        let Some(target) = rule.target_name() else {
            continue;
        };
        if rule.match_opt("recent", "--rcheck").is_some()
            || rule.match_opt("recent", "--update").is_some()
        {
            // A returning client with a `recent` entry is pinned to its endpoint; a new client passes on.
            if affinity_timeout_secs.is_none() {
                affinity_timeout_secs = rule
                    .match_opt("recent", "--seconds")
                    .and_then(|o| o.value().parse().ok());
            }
            continue;
        }
        if !target.starts_with("KUBE-SEP-") {
            continue;
        }
        // One policy with the walk: a `--probability` (or `--every`) that iptables would refuse means the rule
        // never matches, so its endpoint gets no share (the parser reports the value).
        let mode_random = rule
            .match_opt("statistic", "--mode")
            .is_none_or(|m| m.value() == "random");
        let (rule_p, text) = match rule.match_opt("statistic", "--probability") {
            Some(opt) if mode_random => {
                let text = opt.value().into_owned();
                (Some(values::probability(&text).unwrap_or(0.0)), Some(text))
            }
            _ => match rule.match_opt("statistic", "--every") {
                // `--mode nth`: one new connection in n, as the walk counts it.
                Some(opt) if !mode_random => {
                    let text = opt.value();
                    let p = values::every(&text).map_or(0.0, |n| 1.0 / f64::from(n));
                    (Some(p), Some(format!("every {text}")))
                }
                _ => (None, None),
            },
        };
        let p = rule_p.unwrap_or(1.0);
        let share = remaining * p;
        remaining *= 1.0 - p;
        if let Some(existing) = endpoints.iter_mut().find(|e| e.chain == target) {
            existing.probability += share;
            continue;
        }
        let mut endpoint = Endpoint {
            ip: String::new(),
            port: None,
            chain: target.to_string(),
            probability: share,
            rule_probability: rule_p,
            rule_probability_text: text,
            line: rule.line(),
            dnat_line: None,
            chain_hash_matches: None,
            affinity: false,
        };
        match nat.position(target).and_then(|i| seps.get(i)) {
            Some(Sep::Dnat {
                line,
                affinity,
                destination,
            }) => {
                endpoint.dnat_line = Some(*line);
                endpoint.affinity = *affinity;
                match destination.as_deref().filter(|d| !d.is_empty()) {
                    // A target iptables would refuse (diagnosed by the parser), or one of the other family than
                    // the Service's cluster IP: the DNAT rule never matches, so no address is made up.
                    Some(text) => {
                        if let Ok(NatTarget {
                            addr: Some(_),
                            addr_text,
                            port,
                            ..
                        }) = values::nat_target(text, cluster_family)
                        {
                            endpoint.ip = addr_text.to_string();
                            endpoint.port = port.or(service.port);
                        }
                    }
                    None => diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "bad-dnat",
                        *line,
                        1,
                        "DNAT rule without a readable --to-destination".to_string(),
                    )),
                }
            }
            Some(Sep::NoDnat(declared)) => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "no-dnat",
                declared.unwrap_or(rule.line()),
                1,
                format!("endpoint chain {target:?} has no DNAT rule"),
            )),
            Some(Sep::Other) | None => diagnostics.push(undefined_chain(rule.line(), target)),
        }
        if !endpoint.ip.is_empty() && !service.spn.is_empty() && !service.protocol.is_empty() {
            endpoint.chain_hash_matches = hash::chain_suffix(target).map(|h| {
                hash::endpoint_hash_is(
                    h,
                    &service.spn,
                    &service.protocol,
                    &endpoint.ip,
                    endpoint.port.unwrap_or(0),
                )
            });
        }
        endpoints.push(endpoint);
    }
    // Rounded shares keep their exact total: the last endpoint with a share takes the rounding remainder, so the
    // shares of a well-formed cascade sum to exactly 1 as the JSON contract promises.
    let routed = round6(1.0 - remaining);
    let mut sum = 0.0;
    for e in &mut endpoints {
        e.probability = round6(e.probability);
        sum += e.probability;
    }
    if let Some(last) = endpoints.iter_mut().rev().find(|e| e.probability > 0.0) {
        last.probability = round6(last.probability + routed - sum);
    }
    Cascade {
        endpoints,
        unrouted_share: round6(remaining),
        affinity_timeout_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_port_names() {
        let legacy = ServicePortName::parse("default/nginx:").expect("legacy");
        assert_eq!(
            (
                legacy.name.as_str(),
                legacy.port_name.as_str(),
                legacy.legacy
            ),
            ("nginx", "", true)
        );
        let named = ServicePortName::parse("kube-system/kube-dns:dns-tcp").expect("named");
        assert_eq!(
            (
                named.namespace.as_str(),
                named.port_name.as_str(),
                named.legacy
            ),
            ("kube-system", "dns-tcp", false)
        );
        assert!(ServicePortName::parse("kubernetes service portals").is_none());
    }

    #[test]
    fn kernel_rounds_probabilities_like_iptables_save_prints_them() {
        // docs/domain/kube-proxy-iptables.md §4: 0.33333 is stored as lround(2^31·p) and printed back as 0.33332999982.
        assert!((kernel_probability(0.33333) - 0.33332999982).abs() < 1e-11);
        assert!((kernel_probability(0.3333333333) - 0.33333333349).abs() < 1e-11);
        assert_eq!(kernel_probability(0.5), 0.5);
    }

    #[test]
    fn rounded_shares_sum_to_one() {
        // Seven endpoints: 1/7 does not round evenly to six decimals.
        let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-A - [0:0]\n");
        dump.push_str("-A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment \"ns/a cluster IP\" -m tcp --dport 80 -j KUBE-SVC-A\n");
        for i in 0..7u32 {
            let p = 1.0 / f64::from(7 - i);
            let stat = if i < 6 {
                format!("-m statistic --mode random --probability {p:.11} ")
            } else {
                String::new()
            };
            dump.push_str(&format!("-A KUBE-SVC-A {stat}-j KUBE-SEP-{i}\n-A KUBE-SEP-{i} -p tcp -m tcp -j DNAT --to-destination 10.1.0.{i}:80\n"));
        }
        dump.push_str("COMMIT\n");
        let ruleset = crate::source::iptables::parse(dump.as_bytes()).value;
        let (services, _) = build("x", &ruleset);
        let shares: Vec<f64> = services[0]
            .endpoints
            .iter()
            .map(|e| e.probability)
            .collect();
        assert_eq!(shares.len(), 7);
        assert_eq!(shares.iter().sum::<f64>(), 1.0);
        assert!(
            shares.iter().all(|p| (p - 1.0 / 7.0).abs() < 1e-5),
            "{shares:?}"
        );
    }

    #[test]
    fn destinations() {
        assert_eq!(
            parse_destination("10.244.0.2:53"),
            Some(("10.244.0.2".into(), Some(53)))
        );
        assert_eq!(
            parse_destination("[fd00::2]:53"),
            Some(("fd00::2".into(), Some(53)))
        );
        assert_eq!(
            parse_destination("10.0.0.1"),
            Some(("10.0.0.1".into(), None))
        );
        assert_eq!(parse_destination("fd00::1"), Some(("fd00::1".into(), None)));
        assert_eq!(
            parse_destination("10.0.0.1-10.0.0.9:80-90"),
            Some(("10.0.0.1".into(), Some(80)))
        );
        assert_eq!(parse_destination(""), None);
    }

    #[test]
    fn entry_points_join_by_chain_suffix_without_or_against_the_comment() {
        let h = hash::service_hash("ns/web:http", "tcp");
        let dump = format!(
            "*nat\n\
             -A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment \"ns/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-{h}\n\
             -A KUBE-SERVICES -d 192.0.2.7/32 -p tcp -m tcp --dport 80 -j KUBE-EXT-{h}\n\
             -A KUBE-SERVICES -d 192.0.2.8/32 -p tcp -m tcp --dport 80 -j KUBE-FW-{h}\n\
             -A KUBE-NODEPORTS -p tcp -m tcp --dport 30080 -j KUBE-EXT-{h}\n\
             -A KUBE-NODEPORTS -p tcp -m comment --comment \"ns/gone:http\" -m tcp --dport 30081 -j KUBE-EXT-{h}\n\
             -A KUBE-FW-{h} -s 198.51.100.0/24 -j KUBE-EXT-{h}\n\
             -A KUBE-EXT-{h} -j KUBE-MARK-MASQ\n\
             -A KUBE-EXT-{h} -j KUBE-SVC-{h}\n\
             -A KUBE-SVC-{h} -j KUBE-SEP-A\n\
             -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.1.0.1:8080\n\
             COMMIT\n"
        );
        let ruleset = crate::source::iptables::parse(dump.as_bytes()).value;
        let (services, _) = build("x", &ruleset);
        let entries = &services[0].entry_points;
        let kinds: Vec<(&str, Option<u16>)> =
            entries.iter().map(|e| (e.kind.as_str(), e.port)).collect();
        assert_eq!(
            kinds,
            [
                ("external-address", Some(80)),
                ("load-balancer-ip", Some(80)),
                ("node-port", Some(30080)),
                ("node-port", Some(30081))
            ]
        );
        let fw = &entries[1];
        assert_eq!(fw.path.len(), 3);
        assert_eq!(fw.source_ranges, ["198.51.100.0/24"]);
        // No rule says what happens to other sources: the chain lets them fall through.
        assert_eq!(fw.firewall_drop, None);
        assert!(entries
            .iter()
            .all(|e| e.masquerade == Some(true) && e.chain_hash_matches == Some(true)));
    }

    #[test]
    fn entry_point_loops_and_missing_chains_end_the_path() {
        let dump = "*nat\n\
            -A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment \"ns/a cluster IP\" -m tcp --dport 80 -j KUBE-SVC-A\n\
            -A KUBE-NODEPORTS -p tcp -m comment --comment \"ns/a\" -m tcp --dport 30001 -j KUBE-EXT-A\n\
            -A KUBE-NODEPORTS -p tcp -m comment --comment \"ns/a\" -m tcp --dport 30002 -j KUBE-EXT-B\n\
            -A KUBE-EXT-A -j KUBE-XLB-A\n\
            -A KUBE-XLB-A -j KUBE-EXT-A\n\
            -A KUBE-SVC-A -j KUBE-SEP-A\n\
            COMMIT\n";
        let ruleset = crate::source::iptables::parse(dump.as_bytes()).value;
        let (services, _) = build("x", &ruleset);
        let entries = &services[0].entry_points;
        assert_eq!(entries[0].path, ["KUBE-EXT-A", "KUBE-XLB-A"]);
        assert_eq!(entries[1].path, ["KUBE-EXT-B"]);
        assert!(entries[1].chain_missing && entries[1].masquerade.is_none());
    }
}
