//! The Service graph of one node in kube-proxy's iptables mode: each Service port's cluster IP entry in
//! `KUBE-SERVICES` → its `KUBE-SVC`/`KUBE-SVL` chain → `KUBE-SEP` chains → DNAT endpoints, with the effective
//! share of each endpoint computed from the `statistic` cascade as the kernel applies it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::hash;
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

/// One way into a Service port besides its cluster IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryPoint {
    /// `node-port`, `external-ip` or `load-balancer-ip`.
    pub kind: String,
    /// The address matched (`None` for a NodePort on every node address; `127.0.0.0/8` for localhost NodePorts).
    pub ip: Option<String>,
    /// The port matched.
    pub port: Option<u16>,
    /// The chain it jumps to (`KUBE-EXT-…`, `KUBE-FW-…`, or `KUBE-SVC-…`/`KUBE-XLB-…` before 1.24).
    pub chain: String,
    /// Line of the rule.
    pub line: u32,
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
pub fn kernel_probability(p: f64) -> f64 {
    const SCALE: f64 = 2_147_483_648.0;
    let stored = (p.clamp(0.0, 1.0) * SCALE).round();
    stored / SCALE
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

/// Parses a DNAT `--to-destination`: `ip`, `ip:port`, `[v6]:port`, or a range (the first address and port are taken).
pub fn parse_destination(text: &str) -> Option<(String, Option<u16>)> {
    let first_port = |p: &str| p.split('-').next().and_then(|p| p.parse::<u16>().ok());
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':').and_then(first_port);
        return Some((ip.to_string(), port));
    }
    let (ip, port) = match text.matches(':').count() {
        1 => {
            let (ip, port) = text.split_once(':')?;
            (ip, first_port(port))
        }
        // Zero colons: IPv4 without port; more than one: a bare IPv6 address.
        _ => (text, None),
    };
    let ip = ip.split('-').next().unwrap_or(ip);
    (!ip.is_empty()).then(|| (ip.to_string(), port))
}

/// Builds the Service graph of one ruleset. Diagnostics point at lines of the same input.
pub fn build(source: &str, ruleset: &Ruleset) -> (Vec<Service>, Vec<Diagnostic>) {
    build_view(source, &RulesetView::from_ruleset(ruleset))
}

/// The Service ports that share a service port name, protocol and cluster IP: those routed through a chain (with
/// the chain's name), and the one that only has a filter `REJECT` rule.
#[derive(Debug, Default)]
struct Group {
    routed: Vec<(String, Service)>,
    reject: Option<Service>,
}

/// Groups by (service port name, protocol, cluster IP or `""`). A fixed hasher: the core uses no randomness, and
/// the order of the result comes from the sort at the end, never from the map.
type Groups = HashMap<(String, String, String), Group, BuildHasherDefault<DefaultHasher>>;

/// [`build`] over the parser's view of the input, which `analyze` keeps instead of an owned [`Ruleset`].
pub(crate) fn build_view(
    source: &str,
    ruleset: &RulesetView<'_>,
) -> (Vec<Service>, Vec<Diagnostic>) {
    let mut groups = Groups::default();
    let mut diagnostics = Vec::new();
    if let Some(nat) = ruleset.table("nat") {
        if let Some(entry_chain) = nat.chain("KUBE-SERVICES") {
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
                if groups
                    .get(&key)
                    .is_some_and(|g| g.routed.iter().any(|(chain, _)| chain == target))
                {
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
                    Some(chain) => resolve(nat, chain, &mut service, &mut diagnostics),
                    None => {
                        service.chain_missing = true;
                        service.unrouted_share = 1.0;
                        diagnostics.push(undefined_chain(rule.line(), target));
                    }
                }
                groups
                    .entry(key)
                    .or_default()
                    .routed
                    .push((target.to_string(), service));
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
                if let Some(group) = groups.get_mut(&key) {
                    let first = match group.reject.as_mut() {
                        Some(service) => Some(service),
                        None => group
                            .routed
                            .iter_mut()
                            .min_by(|a, b| a.0.cmp(&b.0))
                            .map(|(_, service)| service),
                    };
                    if let Some(service) = first {
                        service.reject_line = Some(rule.line());
                        continue;
                    }
                }
                let mut service = new_service(source, rule.line(), spn_text, &key.1);
                service.cluster_ip = cluster_ip;
                service.port = rule.dport().and_then(|o| o.value().parse().ok());
                service.reject_line = Some(rule.line());
                groups.entry(key).or_default().reject.get_or_insert(service);
            }
        }
    }
    if let Some(nat) = ruleset.table("nat") {
        attach_entry_points(&nat, &mut groups);
    }
    // Sorted for output; ties (only possible with repeated line numbers) keep the order of (name, protocol,
    // cluster IP, chain, reject-only last), as the graph always had.
    let mut found: Vec<(String, bool, Service)> = Vec::new();
    for group in groups.into_values() {
        found.extend(group.routed.into_iter().map(|(chain, s)| (chain, false, s)));
        found.extend(group.reject.map(|s| (String::new(), true, s)));
    }
    // Keys are sorted with their indices, not the Services themselves, which are large to move; each key holds
    // its strings directly, so a comparison does not first load the Service.
    let order: Vec<usize> = {
        let mut keyed: Vec<_> = found
            .iter()
            .enumerate()
            .map(|(i, (chain, reject, s))| {
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
                        chain.as_str(),
                        *reject,
                    ),
                );
                (key, i)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    let mut slots: Vec<Option<Service>> = found.into_iter().map(|(_, _, s)| Some(s)).collect();
    let services = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect();
    (services, diagnostics)
}

/// Adds NodePorts (`KUBE-NODEPORTS`), external IPs and load-balancer IPs (`KUBE-SERVICES`) to the Service ports
/// they lead to, matched by service port name and protocol, and reads the traffic policies off the chains.
fn attach_entry_points(nat: &TableView<'_>, groups: &mut Groups) {
    let mut found: Vec<(String, String, EntryPoint)> = Vec::new();
    for (chain_name, default_kind) in [("KUBE-SERVICES", ""), ("KUBE-NODEPORTS", "node-port")] {
        let Some(chain) = nat.chain(chain_name) else {
            continue;
        };
        for rule in chain.rules() {
            let Some(target) = rule.target_name() else {
                continue;
            };
            let into_service = [
                "KUBE-EXT-",
                "KUBE-FW-",
                "KUBE-SVC-",
                "KUBE-SVL-",
                "KUBE-XLB-",
            ]
            .iter()
            .any(|p| target.starts_with(p));
            let Some(comment) = rule.comment() else {
                continue;
            };
            let (spn, kind) = if let Some(spn) = comment.strip_suffix(" external IP") {
                (spn, "external-ip")
            } else if let Some(spn) = comment.strip_suffix(" loadbalancer IP") {
                (spn, "load-balancer-ip")
            } else if default_kind == "node-port" {
                (comment.as_ref(), "node-port")
            } else {
                continue;
            };
            if !into_service {
                continue;
            }
            let (protocol, ip) = protocol_and_destination(&rule);
            let entry = EntryPoint {
                kind: kind.to_string(),
                ip,
                port: rule.dport().and_then(|o| o.value().parse().ok()),
                chain: target.to_string(),
                line: rule.line(),
            };
            found.push((spn.to_string(), protocol, entry));
        }
    }
    let mut by_port: HashMap<(String, String), Vec<EntryPoint>, BuildHasherDefault<DefaultHasher>> =
        HashMap::default();
    for (spn, protocol, entry) in found {
        let list = by_port.entry((spn, protocol)).or_default();
        // Before 1.24 an external IP had two jump rules (physdev and addrtype LOCAL) for one way in.
        let same = |e: &EntryPoint| {
            e.kind == entry.kind
                && e.ip == entry.ip
                && e.port == entry.port
                && e.chain == entry.chain
        };
        if !list.iter().any(same) {
            list.push(entry);
        }
    }
    let local_policy = |chain: &str| {
        nat.chain(chain).is_some_and(|c| {
            c.rules().any(|r| {
                r.target_name().is_some_and(|t| t.starts_with("KUBE-SVL-"))
                    || r.comment()
                        .is_some_and(|c| c.starts_with("pod traffic for "))
            })
        })
    };
    for group in groups.values_mut() {
        let services = group
            .routed
            .iter_mut()
            .map(|(_, s)| s)
            .chain(group.reject.iter_mut());
        for service in services {
            if let Some(entries) = by_port.get(&(service.spn.clone(), service.protocol.clone())) {
                service.entry_points = entries.clone();
            }
            service.internal_policy_local = service
                .chain
                .as_deref()
                .is_some_and(|c| c.starts_with("KUBE-SVL-"));
            service.external_policy_local = service.entry_points.iter().any(|e| {
                e.chain.starts_with("KUBE-XLB-")
                    || (e.chain.starts_with("KUBE-EXT-") && local_policy(&e.chain))
            });
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

/// Walks a service chain's rules in order, as the kernel does for a new connection, and collects the endpoints.
fn resolve(
    nat: TableView<'_>,
    chain: ChainView<'_>,
    service: &mut Service,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut remaining = 1.0_f64;
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for rule in chain.rules() {
        let Some(target) = rule.target_name() else {
            continue;
        };
        if rule.match_opt("recent", "--rcheck").is_some()
            || rule.match_opt("recent", "--update").is_some()
        {
            // A returning client with a `recent` entry is pinned to its endpoint; a new client passes on.
            if service.affinity_timeout_secs.is_none() {
                service.affinity_timeout_secs = rule
                    .match_opt("recent", "--seconds")
                    .and_then(|o| o.value().parse().ok());
            }
            continue;
        }
        if !target.starts_with("KUBE-SEP-") {
            continue;
        }
        let statistic = rule.match_opt("statistic", "--probability").filter(|_| {
            rule.match_opt("statistic", "--mode")
                .is_none_or(|m| m.value() == "random")
        });
        let (rule_p, text) = match statistic {
            Some(opt) => {
                let text = opt.value().into_owned();
                match text.parse::<f64>() {
                    Ok(p) if p.is_finite() => (Some(kernel_probability(p)), Some(text)),
                    _ => {
                        diagnostics.push(Diagnostic::new(
                            Severity::Warning,
                            "bad-probability",
                            rule.line(),
                            1,
                            format!("{text:?} is not a probability; read as 1"),
                        ));
                        (None, Some(text))
                    }
                }
            }
            None => (None, None),
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
        match nat.chain(target) {
            Some(sep) => {
                if let Some(dnat) = sep.rules().find(|r| r.target_is("DNAT")) {
                    endpoint.dnat_line = Some(dnat.line());
                    endpoint.affinity = dnat.match_opt("recent", "--set").is_some();
                    match dnat
                        .target_opt("--to-destination")
                        .and_then(|o| parse_destination(&o.value()))
                    {
                        Some((ip, port)) => {
                            endpoint.ip = ip;
                            endpoint.port = port.or(service.port);
                        }
                        None => diagnostics.push(Diagnostic::new(
                            Severity::Warning,
                            "bad-dnat",
                            dnat.line(),
                            1,
                            "DNAT rule without a readable --to-destination".to_string(),
                        )),
                    }
                } else {
                    diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "no-dnat",
                        sep.declared_line().unwrap_or(rule.line()),
                        1,
                        format!("endpoint chain {target:?} has no DNAT rule"),
                    ));
                }
            }
            None => diagnostics.push(undefined_chain(rule.line(), target)),
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
    service.unrouted_share = round6(remaining);
    service.endpoints = endpoints;
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
        // SPEC §1.4: 0.33333 is stored as lround(2^31·p) and printed back as 0.33332999982.
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
}
