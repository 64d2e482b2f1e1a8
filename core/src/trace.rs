//! `dnatlas trace`: the path of one name from a pod (the `dnatlas.trace/1` contract, defined here).
//!
//! Given a pod's IP and a name (`nginx`, `nginx.default:80`, an FQDN, or an IP), [`trace`] rebuilds, from the inputs
//! alone, what happens when the pod connects to it:
//!
//! 1. **Who asks.** The pod is found by its IP among kubectl's pods (namespace, node, `hostNetwork`). Its resolv.conf
//!    is the input file whose search list or comments match the pod (else the first, with a note); with none, the
//!    kubelet's ClusterFirst file is rebuilt from the pod's namespace and the cluster DNS Service (docs/domain/resolvers.md §6).
//! 2. **Lookups.** [`crate::dns::plan::walk`] sends the candidates in the resolver's order and stops where glibc,
//!    musl or Go stop, asking [`ClusterDns`] how each A/AAAA query is answered (docs/domain/coredns.md §1–§3, docs/domain/resolvers.md §2–§5). A name outside the
//!    cluster zone, a nameserver that is not the cluster DNS, and an ExternalName pointing outside the zone are
//!    answered upstream: the answer is unknown and the plan ends there. Where each query goes — the nameserver VIP
//!    DNATed to a CoreDNS pod — comes from the netfilter walk of the pod's node dump, else from kubectl's endpoints.
//! 3. **Connection.** To the first address of the answer (or the IP given), on the given port or the Service's only
//!    port: the node's rules give the branches with their probabilities (kubectl endpoints without a dump).
//! 4. **Hops.** The ordered path the UI animates, each hop with the input lines that decide it: the resolv.conf
//!    lines, the iptables rules of the `KUBE-SERVICES` match, the `KUBE-SVC` probability rule and the `KUBE-SEP`
//!    DNAT, and the kubectl lines behind each DNS answer.
//!
//! Nothing is guessed: what the inputs do not say is a note, and the [`Status`] says how far the trace got.

use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, Evidence, SourceReport};
use crate::dns::answer::{Answer, ClusterDns, Config, RData, Rcode, RecordType, Response};
use crate::dns::plan::{self, Outcome, QueryType, Resolver};
use crate::simulate::netfilter::{self, Action, Hook, NodeContext, Packet, TableName, Verdict};
use crate::source::inputs::KubeSource;
use crate::source::iptables::Ruleset;
use crate::source::kubectl::model::{KubeService, KubeServicePort, Objects, Origin, TargetPort};
use crate::source::resolv_conf::{Nameserver, ResolvConf, MAX_NAMESERVERS};
use crate::source::{Kind, Source};
use crate::Options;

/// The JSON schema name of [`Trace`].
pub const SCHEMA: &str = "dnatlas.trace/1";

/// NodeLocal DNSCache's link-local address (docs/domain/resolvers.md §8): it forwards the cluster zone to the cluster DNS.
const NODE_LOCAL_DNS: &str = "169.254.20.10";
/// The zone when no input names one.
const DEFAULT_ZONE: &str = crate::dns::answer::DEFAULT_ZONE;
/// kubectl's namespace when neither the command line nor the input names one.
const DEFAULT_NAMESPACE: &str = "default";
/// The ndots kubelet writes into a ClusterFirst pod's resolv.conf.
const KUBELET_NDOTS: u8 = 5;

/// What to trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The pod's IP.
    pub from: String,
    /// `NAME[:PORT]`: a short name, `svc.ns`, an FQDN (with or without the trailing dot), or an IP.
    pub to: String,
    /// The pod's stub resolver.
    #[serde(default = "default_resolver")]
    pub resolver: Resolver,
}

fn default_resolver() -> Resolver {
    Resolver::Glibc
}

/// How far the trace got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The name resolved and the node's rules (or kubectl's endpoints) send the connection somewhere.
    Connected,
    /// The name resolved, but no input shows where the connection goes.
    Resolved,
    /// The plan ends with a query answered upstream (outside the cluster zone, a nameserver that is not the
    /// cluster DNS, or an ExternalName's target): dnatlas cannot know the answer.
    Upstream,
    /// The inputs do not say enough to decide an answer (see the lookups' `unsure`).
    Unknown,
    /// Every query the resolver sends is answered negatively (NXDOMAIN or NODATA): the lookup fails.
    NotFound,
    /// The name resolved, but the connection goes nowhere: the node REJECTs or DROPs it, or kubectl lists no ready
    /// endpoint.
    NoEndpoints,
    /// The node's rules REJECT or DROP the queries to the nameserver: no query is answered.
    DnsUnreachable,
    /// The walk through the node's rules stopped before a verdict (the chains loop, nest too deep, or the walk
    /// reached its rule or branch limit): where the packet goes is not known. The `stopped` hop and the notes say
    /// where and why.
    Stopped,
    /// The Service has several ports (or none the inputs show) and the request names none.
    PortRequired,
    /// The request cannot be used: `from` is not an IP, `to` is empty or has a port that is not a number.
    BadRequest,
}

impl Status {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connected => "connected",
            Status::Resolved => "resolved",
            Status::Upstream => "upstream",
            Status::Unknown => "unknown",
            Status::NotFound => "not-found",
            Status::NoEndpoints => "no-endpoints",
            Status::DnsUnreachable => "dns-unreachable",
            Status::Stopped => "stopped",
            Status::PortRequired => "port-required",
            Status::BadRequest => "bad-request",
        }
    }

    /// Whether the lookup or the connection fails (the CLI exits with 1).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Status::NotFound | Status::NoEndpoints | Status::DnsUnreachable | Status::Stopped
        )
    }

    /// Whether the request could not be used as given (the CLI exits with 2).
    pub fn is_bad_request(self) -> bool {
        matches!(self, Status::PortRequired | Status::BadRequest)
    }
}

/// The trace of one name from one pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The pod's IP, as requested.
    pub from: String,
    /// The name (and port), as requested.
    pub to: String,
    /// The stub resolver modelled.
    pub resolver: Resolver,
    /// How far the trace got.
    pub status: Status,
    /// Why the request cannot be traced (with `bad-request` and `port-required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every query the pod's resolver sends, in order; a parallel pair is listed A first, then AAAA.
    pub lookups: Vec<Lookup>,
    /// The connection to the answer, when the lookup succeeded (or `to` is an IP).
    pub connection: Option<Connection>,
    /// The ordered path the UI animates.
    pub hops: Vec<Hop>,
    /// The pod, as kubectl lists it.
    pub pod: Option<Pod>,
    /// The resolver configuration used.
    pub resolv_conf: Option<ResolvUsed>,
    /// The node dump whose rules were walked.
    pub node: Option<String>,
    /// What the trace had to choose or could not know, in order.
    pub notes: Vec<String>,
    /// One report per input, as `analyze` gives it (kind, counts, diagnostics).
    pub sources: Vec<SourceReport>,
}

/// One query the resolver sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lookup {
    /// Fully qualified, with the trailing dot.
    pub name: String,
    /// A or AAAA.
    #[serde(rename = "type")]
    pub qtype: QueryType,
    /// The nameserver it is sent to; `None` when the pod has none the inputs show.
    pub server: Option<String>,
    /// Where the nameserver address is DNATed on the pod's node (or kubectl's endpoints of the DNS Service).
    pub server_endpoints: Vec<Branch>,
    /// The response code; `None` when answered upstream, unanswered, or not decided by the inputs.
    pub rcode: Option<Rcode>,
    /// The addresses in the answer, in order.
    pub answers: Vec<String>,
    /// The name is answered by a resolver dnatlas cannot see (the `forward` plugin's upstream, or a nameserver
    /// that is not the cluster DNS).
    pub upstream: bool,
    /// The CNAME chain of an ExternalName Service, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cnames: Vec<String>,
    /// An ExternalName target outside the zone: CoreDNS appends its records as the upstream answers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_target: Option<String>,
    /// Why no answer came, when none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The 0-based index of its candidate name among the resolver's candidates.
    pub candidate: usize,
    /// Sent together with its A/AAAA partner.
    pub parallel: bool,
    /// The kubectl lines the answer rests on.
    pub evidence: Vec<Evidence>,
    /// What the inputs do not say that the answer depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsure: Vec<String>,
}

/// Where a new connection (or a query) to an address goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// The destination after DNAT (the address itself when nothing rewrites it).
    pub ip: String,
    /// The destination port; `None` when kubectl does not show the endpoint's port.
    pub port: Option<u16>,
    /// The `KUBE-SEP-…` chain whose DNAT rule rewrote it.
    pub chain: Option<String>,
    /// The chance a new connection takes this branch.
    pub probability: f64,
    /// The lines that decide it: the DNAT rule, or the kubectl lines that list the endpoint.
    pub evidence: Vec<Evidence>,
}

/// The connection to the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The address connected to.
    pub ip: String,
    /// The port.
    pub port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The Service behind the address (`ns/name`), when an input names it.
    pub service: Option<String>,
    /// Where a new connection goes, with probabilities, in the order of the node's rules.
    pub branches: Vec<Branch>,
    /// Where the branches come from: `node-rules`, `kubectl`, `direct` (an address no rule rewrites), or `none`.
    pub via: String,
}

/// The pod the trace starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// Its namespace (`None` when the input does not show it).
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// Its node.
    pub node: Option<String>,
    /// `spec.hostNetwork`, when the input shows it.
    pub host_network: Option<bool>,
    /// The kubectl line that lists it.
    pub evidence: Evidence,
}

/// The resolver configuration the trace used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvUsed {
    /// The input it was read from; `None` when rebuilt as kubelet writes a ClusterFirst pod's file.
    pub source: Option<String>,
    /// The nameservers resolvers use (at most three).
    pub nameservers: Vec<String>,
    /// The search list.
    pub search: Vec<String>,
    /// `ndots`.
    pub ndots: u8,
    /// The cluster zone the answers were computed for.
    pub zone: String,
    /// The pod's namespace used for the trace.
    pub namespace: Option<String>,
}

/// What a hop is, for the UI's animation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    /// The pod that asks.
    Pod,
    /// A name the resolver tries (search list and ndots).
    ResolverCandidate,
    /// The nameserver address the query is sent to.
    NameserverVip,
    /// A netfilter rule the packet matches on the node.
    NetfilterRule,
    /// The cluster DNS pod the query is DNATed to.
    CorednsPod,
    /// A resolver dnatlas cannot see answers.
    Upstream,
    /// A DNS answer.
    Answer,
    /// The Service address connected to.
    ServiceVip,
    /// Where the connection ends.
    Endpoint,
    /// Where the walk through the node's rules stopped, and why (a loop of chains, too deep, a limit).
    Stopped,
}

/// One step of the path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hop {
    /// What it is.
    pub kind: HopKind,
    /// What to show.
    pub label: String,
    /// The index in `lookups` of the query this hop belongs to (the first of a pair); `None` for the pod and the
    /// connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<usize>,
    /// The chance of this step, when it is one branch of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The input lines that decide it.
    pub evidence: Vec<Evidence>,
}

/// `NAME[:PORT]` read apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    name: String,
    port: Option<u16>,
    ip: Option<IpAddr>,
}

/// The longest DNS label, in bytes (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// The longest name in presentation form without its trailing dot: 255 bytes on the wire are at most 253
/// characters written out (RFC 1035 §2.3.4).
const MAX_NAME: usize = 253;

/// `text` as it can be shown in a message: control characters and other invisible ones escaped (`\u{1b}`).
fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Checks a name to look up as DNS does: labels of 1 to 63 bytes, at most 253 characters without the trailing
/// dot, and only letters, digits, `-` and `_` (CoreDNS and the stub resolvers pass underscores, as in SRV-style
/// names). An empty label is only allowed as the trailing dot.
fn check_name(to: &str, host: &str) -> Result<(), String> {
    if let Some((i, c)) = host
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        let what = if c.is_control() {
            "a control character"
        } else if c.is_whitespace() {
            "a space"
        } else if !c.is_ascii() {
            "not ASCII (write an internationalised name in its `xn--` form)"
        } else {
            "not allowed"
        };
        return Err(format!(
            "`{}`: `{}` at character {} is {what}; a DNS name holds letters, digits, `-` and `_` between dots",
            shown(to),
            shown(&c.to_string()),
            i + 1
        ));
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > MAX_NAME {
        return Err(format!(
            "`{}` is {} characters long; a DNS name holds at most {MAX_NAME} (255 bytes on the wire)",
            shown(to),
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!(
                "`{}` has an empty label (a leading dot or two dots in a row); only the trailing dot may end a \
                 name",
                shown(to)
            ));
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "`{}`: the label `{label}` is {} bytes long; a DNS label holds at most {MAX_LABEL}",
                shown(to),
                label.len()
            ));
        }
    }
    Ok(())
}

/// Reads `NAME[:PORT]`, `IP[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address, and checks the name as DNS does
/// ([`check_name`]) and the port (1-65535).
fn parse_target(to: &str) -> Result<Target, String> {
    let to = to.trim();
    if to.is_empty() {
        return Err("the name to trace is empty".to_string());
    }
    if let Ok(ip) = to.parse::<IpAddr>() {
        return Ok(Target {
            name: to.to_string(),
            port: None,
            ip: Some(ip),
        });
    }
    let (host, port_text) = if let Some(rest) = to.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(format!(
                "`{}`: an IPv6 address in brackets needs its `]`",
                shown(to)
            ));
        };
        match after.strip_prefix(':') {
            Some(port) => (inside, Some(port)),
            None if after.is_empty() => (inside, None),
            None => {
                return Err(format!(
                    "`{}`: `{}` after the address is not `:PORT`",
                    shown(to),
                    shown(after)
                ))
            }
        }
    } else {
        match to.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (to, None),
        }
    };
    let port = match port_text {
        None => None,
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            match text.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err(format!("`{text}` is not a port number (1-65535)")),
            }
        }
        Some("") => return Err(format!("`{}` ends with `:` but no port", shown(to))),
        Some(text) => {
            return Err(format!(
                "`{}` is not a port number; name the port by its number (e.g. `{}:80`)",
                shown(text),
                shown(host)
            ))
        }
    };
    let bracketed = to.starts_with('[');
    if bracketed && host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(format!(
            "`{}` in brackets is not an IPv6 address",
            shown(host)
        ));
    }
    if host.is_empty() || (host.contains(':') && !bracketed) {
        return Err(format!("`{}` is not NAME[:PORT]", shown(to)));
    }
    if host.trim_end_matches('.').is_empty() {
        return Err(format!("`{}` has no name to look up", shown(to)));
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_none() {
        check_name(to, host)?;
    }
    Ok(Target {
        name: host.to_string(),
        port,
        ip,
    })
}

fn push_unique(list: &mut Vec<Evidence>, more: &[Evidence]) {
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

/// Probabilities are shown to 9 decimals, as the netfilter walk rounds them.
fn round9(p: f64) -> f64 {
    (p * 1e9).round() / 1e9
}

fn percent(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn host_port(ip: &str, port: Option<u16>) -> String {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// The namespace of a kubectl object, kubectl's default when the input does not say.
fn ns_of(namespace: &Option<String>) -> String {
    namespace
        .as_deref()
        .map_or_else(|| DEFAULT_NAMESPACE.to_string(), str::to_ascii_lowercase)
}

/// The node dump chosen for the pod, parsed for the walk.
struct NodeRules {
    name: Arc<str>,
    ruleset: Ruleset,
}

/// A Service that an input names, with its ports.
#[derive(Debug, Clone, Default)]
struct ServiceInfo {
    namespace: String,
    name: String,
    /// `(port, protocol lower-case, port name, target port)`.
    ports: Vec<(u16, String, Option<String>, Option<TargetPort>)>,
    headless: bool,
    evidence: Vec<Evidence>,
}

impl ServiceInfo {
    fn label(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Everything the trace reads, found once.
struct Inputs<'a> {
    analysis: &'a Analysis,
    sources: &'a [Source<'a>],
    options: &'a Options,
}

impl<'a> Inputs<'a> {
    /// The bytes of the input named `name`, capped as `analyze` caps them and decoded as `analyze` decodes them
    /// (UTF-16 to UTF-8, CR-only line ends to LF), so a dump the analysis read is one the walk reads too.
    fn bytes(&self, name: &str) -> Option<std::borrow::Cow<'a, [u8]>> {
        let source = self.sources.iter().find(|s| s.name == name)?;
        let capped = source
            .bytes
            .get(..self.options.max_source_bytes)
            .unwrap_or(source.bytes);
        Some(crate::text::normalise(capped))
    }

    /// Every Service an input names with `ip` as a cluster IP: kubectl's Services, then the node dumps' ports.
    fn service_by_ip(&self, ip: IpAddr) -> Option<ServiceInfo> {
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
    fn service_named(&self, namespace: &str, name: &str) -> ServiceInfo {
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
    fn service_by_name(&self, fqdn: &str, zone: &str) -> Option<ServiceInfo> {
        let lower = fqdn.trim_end_matches('.').to_ascii_lowercase();
        let relative = lower.strip_suffix(&format!(".svc.{zone}"))?;
        let (name, namespace) = relative.rsplit_once('.')?;
        let name = name.rsplit('.').next().unwrap_or(name);
        let info = self.service_named(namespace, name);
        (!info.evidence.is_empty() || !info.ports.is_empty()).then_some(info)
    }

    /// The cluster DNS Service's addresses: `kube-system/kube-dns` (CoreDNS keeps the name) or `coredns`, from
    /// kubectl and the node dumps, with the lines that say so.
    fn cluster_dns(&self) -> Vec<(IpAddr, String, Vec<Evidence>)> {
        let mut out: Vec<(IpAddr, String, Vec<Evidence>)> = Vec::new();
        fn add(
            out: &mut Vec<(IpAddr, String, Vec<Evidence>)>,
            ip: IpAddr,
            label: String,
            ev: Evidence,
        ) {
            match out.iter_mut().find(|(known, _, _)| *known == ip) {
                Some((_, _, evidence)) => push_unique(evidence, &[ev]),
                None => out.push((ip, label, vec![ev])),
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
            if out.iter().any(|(known, _, _)| *known == ip) {
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
    fn kubectl_endpoints(
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
                })
                .collect(),
        )
    }

    /// The kubectl lines that list `ip` as an endpoint or a pod, and the pod's name if one is given.
    fn endpoint_info(&self, ip: &str) -> (Option<String>, Vec<Evidence>) {
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

/// The pod with IP `from`, preferring one that is not on the host network (those share the node's address).
fn find_pod(analysis: &Analysis, from: IpAddr, notes: &mut Vec<String>) -> Option<Pod> {
    let mut found: Vec<Pod> = Vec::new();
    for input in &analysis.kubernetes {
        for p in &input.objects.pods {
            if p.ips
                .iter()
                .any(|i| i.trim().parse::<IpAddr>().ok() == Some(from))
            {
                found.push(Pod {
                    namespace: p.namespace.as_ref().map(|n| n.to_ascii_lowercase()),
                    name: p.name.clone(),
                    node: p.node.clone(),
                    host_network: p.host_network,
                    evidence: Evidence::line(&input.source, p.line),
                });
            }
        }
    }
    found.sort_by_key(|p| p.host_network == Some(true));
    let mut distinct: Vec<&Pod> = Vec::new();
    for p in &found {
        if !distinct
            .iter()
            .any(|d| d.name == p.name && d.namespace == p.namespace)
        {
            distinct.push(p);
        }
    }
    if distinct.len() > 1 {
        note(
            notes,
            format!(
                "{} pods have IP {from} ({}); the trace starts from the first",
                distinct.len(),
                distinct
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    found.into_iter().next()
}

/// Whether `bytes` shows a shell prompt of host `node` (`user@node:~#`).
fn prompt_names(bytes: &[u8], node: &str) -> bool {
    let text =
        String::from_utf8_lossy(bytes.get(..64 * 1024).unwrap_or(bytes)).to_ascii_lowercase();
    let needle = format!("@{}", node.to_ascii_lowercase());
    text.match_indices(&needle).any(|(i, _)| {
        let after = text.get(i + needle.len()..).and_then(|t| t.chars().next());
        after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'))
    })
}

/// The node dump of the pod's node, parsed into an owned ruleset for the walk.
fn choose_node(
    inputs: &Inputs<'_>,
    pod: Option<&Pod>,
    notes: &mut Vec<String>,
) -> Option<NodeRules> {
    let dumps: Vec<&SourceReport> = inputs
        .analysis
        .sources
        .iter()
        .filter(|s| matches!(s.kind, Kind::IptablesSave | Kind::IptablesList))
        .collect();
    let node = pod
        .and_then(|p| p.node.as_deref())
        .filter(|n| !n.is_empty());
    let chosen = match (dumps.as_slice(), node) {
        ([], _) => return None,
        ([one], _) => *one,
        (several, Some(node)) => {
            let lower = node.to_ascii_lowercase();
            let matching: Vec<&&SourceReport> = several
                .iter()
                .filter(|s| {
                    s.name.to_ascii_lowercase().contains(&lower)
                        || inputs
                            .bytes(&s.name)
                            .is_some_and(|b| prompt_names(&b, node))
                })
                .collect();
            match matching.as_slice() {
                [one] => **one,
                _ => {
                    let first = several.first().copied()?;
                    note(
                        notes,
                        format!(
                            "{} node dumps are given and {} of them is named after the pod's node {node}; the \
                             rules of the first, {}, are walked",
                            several.len(),
                            if matching.is_empty() { "none" } else { "more than one" },
                            first.name
                        ),
                    );
                    first
                }
            }
        }
        (several, None) => {
            let first = several.first().copied()?;
            note(
                notes,
                format!(
                    "{} node dumps are given and no input says which node the pod runs on; the rules of the \
                     first, {}, are walked",
                    several.len(),
                    first.name
                ),
            );
            first
        }
    };
    let bytes = inputs.bytes(&chosen.name)?;
    let ruleset = match chosen.kind {
        Kind::IptablesList => crate::source::iptables_list::parse(&bytes).value,
        _ => crate::source::iptables::parse(&bytes).value,
    };
    Some(NodeRules {
        name: Arc::from(chosen.name.as_str()),
        ruleset,
    })
}

/// The zone from a ClusterFirst search list (`<ns>.svc.<zone> svc.<zone> <zone>`).
fn zone_of(search: &[String]) -> Option<String> {
    search.iter().find_map(|entry| {
        let lower = entry.trim_end_matches('.').to_ascii_lowercase();
        let zone = match lower.split_once(".svc.") {
            Some((_, zone)) => zone.to_string(),
            None => lower.strip_prefix("svc.")?.to_string(),
        };
        (!zone.is_empty()).then_some(zone)
    })
}

/// The namespace from a ClusterFirst search list's first entry, `<ns>.svc.<zone>`.
fn namespace_of_search(search: &[String]) -> Option<String> {
    let first = search.first()?.to_ascii_lowercase();
    let (ns, _) = first.split_once(".svc.")?;
    (!ns.is_empty() && !ns.contains('.')).then(|| ns.to_string())
}

/// The resolver configuration: the input that matches the pod, or kubelet's ClusterFirst file.
struct ResolvChoice {
    conf: ResolvConf,
    /// The input it came from (`None`: rebuilt).
    source: Option<Arc<str>>,
    /// For a rebuilt file, the line behind its search list (the pod, whose namespace it names).
    rebuilt_search: Vec<Evidence>,
    /// For a rebuilt file, the lines behind its nameserver (the cluster DNS Service).
    rebuilt_nameserver: Vec<Evidence>,
}

fn choose_resolv_conf(
    inputs: &Inputs<'_>,
    pod: Option<&Pod>,
    from: IpAddr,
    notes: &mut Vec<String>,
) -> Option<ResolvChoice> {
    let confs = &inputs.analysis.resolv_confs;
    let pod_ns = pod.and_then(|p| p.namespace.as_deref());
    let matches = |r: &&crate::source::inputs::ResolvSource| {
        let by_search =
            pod_ns.is_some_and(|ns| namespace_of_search(&r.value.search).as_deref() == Some(ns));
        let by_comment = inputs.bytes(&r.source).is_some_and(|bytes| {
            crate::text::lines(&bytes).any(|line| {
                let (content, _) = crate::text::decode(line.bytes);
                let content = content.trim_start();
                (content.starts_with('#') || content.starts_with(';'))
                    && (content.contains(&from.to_string())
                        || pod.is_some_and(|p| !p.name.is_empty() && content.contains(&p.name)))
            })
        });
        by_search || by_comment
    };
    let chosen = match confs.as_slice() {
        [] => return None,
        [one] => {
            if let (Some(ns), Some(file_ns)) = (pod_ns, namespace_of_search(&one.value.search)) {
                if ns != file_ns {
                    note(
                        notes,
                        format!(
                            "the search list of {} names namespace {file_ns}, kubectl lists the pod in {ns}; the file \
                             is used as given",
                            one.source
                        ),
                    );
                }
            }
            one
        }
        several => {
            let matching: Vec<&crate::source::inputs::ResolvSource> =
                several.iter().filter(matches).collect();
            match matching.as_slice() {
                [one] => *one,
                [first, ..] => {
                    note(
                        notes,
                        format!(
                            "{} resolv.conf inputs match the pod; the first, {}, is used",
                            matching.len(),
                            first.source
                        ),
                    );
                    *first
                }
                [] => {
                    let first = several.first()?;
                    note(
                        notes,
                        format!(
                            "{} resolv.conf inputs are given and none names the pod's namespace in its search list \
                             or the pod in a comment; the first, {}, is used",
                            several.len(),
                            first.source
                        ),
                    );
                    first
                }
            }
        }
    };
    Some(ResolvChoice {
        conf: chosen.value.clone(),
        source: Some(Arc::clone(&chosen.source)),
        rebuilt_search: Vec::new(),
        rebuilt_nameserver: Vec::new(),
    })
}

/// kubelet's ClusterFirst resolv.conf for a pod in `namespace` (docs/domain/resolvers.md §6).
fn kubelet_resolv_conf(
    namespace: &str,
    zone: &str,
    dns: Option<&(IpAddr, String, Vec<Evidence>)>,
) -> ResolvConf {
    let mut conf = ResolvConf {
        search: vec![
            format!("{namespace}.svc.{zone}"),
            format!("svc.{zone}"),
            zone.to_string(),
        ],
        ..ResolvConf::default()
    };
    conf.options.ndots = KUBELET_NDOTS;
    if let Some((ip, _, _)) = dns {
        conf.nameservers.push(Nameserver {
            address: ip.to_string(),
            line: 0,
        });
    }
    conf
}

/// How the node's rules (or kubectl) route one address.
struct Route {
    /// Accepted branches, in the order of the node's rules.
    branches: Vec<Branch>,
    /// The rules of the first branch (or of the REJECT/DROP when nothing is accepted), up to the decision.
    steps: Vec<netfilter::Step>,
    /// The REJECT or DROP that ends every walk, when nothing is accepted.
    blocked: Option<String>,
    /// Where the branches come from.
    via: &'static str,
    /// The shares of the walk that were dropped or rejected while others went through.
    lost_share: f64,
    /// Where and why the walk stopped before a verdict, for the first branch that did.
    stopped: Option<Stopped>,
}

/// A walk that stopped before a verdict.
#[derive(Debug, Clone)]
struct Stopped {
    /// `stopped: chains loop L -> L (line 5)`.
    summary: String,
    /// The walk's explanation.
    message: String,
    /// The line of the rule where it stopped (0 when none).
    line: u32,
    /// The share of new connections whose walk stopped.
    share: f64,
}

/// The rules a branch passed up to the decision: to the DNAT, else to the REJECT/DROP, else the nat table's.
fn decisive_steps(steps: &[netfilter::Step]) -> Vec<netfilter::Step> {
    let cut = steps
        .iter()
        .position(|s| matches!(s.action, Action::Dnat { .. }))
        .or_else(|| {
            steps
                .iter()
                .position(|s| s.action.blocks())
        });
    let kept: Vec<netfilter::Step> = match cut {
        Some(i) => steps.get(..=i).unwrap_or(steps).to_vec(),
        None => steps
            .iter()
            .take_while(|s| s.table == TableName::Nat)
            .cloned()
            .collect(),
    };
    kept.into_iter().filter(|s| s.line > 0).collect()
}

/// Walks a new connection from the pod to `ip:port` through the node's rules.
fn walk_node(
    node: &NodeRules,
    from: IpAddr,
    ip: IpAddr,
    port: u16,
    protocol: &str,
    host_network: bool,
) -> Route {
    let hook = if host_network {
        Hook::Output
    } else {
        Hook::Prerouting
    };
    let context = NodeContext {
        local_addresses: if host_network { vec![from] } else { Vec::new() },
    };
    let packet = Packet::new(from, ip, protocol, port, hook);
    let mut outcomes = netfilter::walk(&node.ruleset, &packet, &context);
    // The order of the node's rules (the cascade), not the walk's most-likely-first order.
    outcomes.sort_by(|a, b| {
        let la: Vec<u32> = a.steps.iter().map(|s| s.line).collect();
        let lb: Vec<u32> = b.steps.iter().map(|s| s.line).collect();
        la.cmp(&lb)
    });
    let mut route = Route {
        branches: Vec::new(),
        steps: Vec::new(),
        blocked: None,
        via: "node-rules",
        lost_share: 0.0,
        stopped: None,
    };
    for o in &outcomes {
        match &o.verdict {
            Verdict::Accept => {
                let dnat = o
                    .steps
                    .iter()
                    .find(|s| matches!(s.action, Action::Dnat { .. }));
                if route.branches.is_empty() {
                    route.steps = decisive_steps(&o.steps);
                }
                let ip = o.destination.to_string();
                let port = Some(o.destination_port);
                match route
                    .branches
                    .iter_mut()
                    .find(|b| b.ip == ip && b.port == port)
                {
                    Some(b) => b.probability = round9(b.probability + o.probability),
                    None => route.branches.push(Branch {
                        ip,
                        port,
                        chain: dnat.filter(|_| o.dnat).map(|s| s.chain.clone()),
                        probability: o.probability,
                        evidence: dnat
                            .filter(|_| o.dnat)
                            .map(|s| vec![Evidence::line(&node.name, s.line)])
                            .unwrap_or_default(),
                    }),
                }
            }
            Verdict::Stopped { line, message, .. } => match &mut route.stopped {
                Some(stopped) => stopped.share = round9(stopped.share + o.probability),
                None => {
                    if route.branches.is_empty() && route.blocked.is_none() {
                        route.steps = o.steps.iter().filter(|s| s.line > 0).cloned().collect();
                    }
                    route.stopped = Some(Stopped {
                        summary: o.verdict.describe(),
                        message: message.clone(),
                        line: *line,
                        share: o.probability,
                    });
                }
            },
            Verdict::Drop | Verdict::Reject { .. } => {
                route.lost_share = round9(route.lost_share + o.probability);
                if route.blocked.is_none() {
                    let decisive = decisive_steps(&o.steps);
                    let last = decisive.last();
                    let what = match &o.verdict {
                        Verdict::Reject { with } => format!("REJECT ({with})"),
                        _ => "DROP".to_string(),
                    };
                    route.blocked = Some(match last {
                        Some(step) => {
                            format!("{what}: {} {} line {}", step.table, step.chain, step.line)
                        }
                        None => format!("{what} by a chain policy"),
                    });
                    if route.branches.is_empty() {
                        route.steps = decisive;
                    }
                }
            }
        }
    }
    route
}

/// How one candidate name was answered.
#[derive(Debug, Clone)]
struct CandidateAnswer {
    name: String,
    /// Per query type sent: the answer.
    answers: Vec<(QueryType, Answer)>,
}

/// Why the plan ended before an address or the end of the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Upstream,
    Unknown,
}

fn addresses(response: &Response) -> Vec<String> {
    response
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::Address(ip) => Some(ip.to_string()),
            _ => None,
        })
        .collect()
}

fn cnames(response: &Response) -> Vec<String> {
    response
        .answers
        .iter()
        .filter(|r| r.rtype == RecordType::Cname)
        .filter_map(|r| match &r.data {
            RData::Text(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The outcome of a candidate's queries taken together (docs/domain/resolvers.md §2–§3): addresses in either answer succeed;
/// NXDOMAIN in either is NXDOMAIN (CoreDNS answers both types alike for a name); otherwise NODATA.
fn classify(answers: &[(QueryType, Answer)]) -> (Outcome, Option<End>) {
    let responses: Vec<Option<&Response>> = answers.iter().map(|(_, a)| a.response()).collect();
    if responses.iter().flatten().any(|r| !addresses(r).is_empty()) {
        return (Outcome::Answer, None);
    }
    let upstream = responses
        .iter()
        .any(|r| r.is_none_or(|r| r.upstream_target.is_some()));
    if upstream {
        return (Outcome::Answer, Some(End::Upstream));
    }
    if responses.iter().flatten().any(|r| r.rcode.is_none()) {
        return (Outcome::Answer, Some(End::Unknown));
    }
    if responses
        .iter()
        .flatten()
        .any(|r| r.rcode == Some(Rcode::NxDomain))
    {
        return (Outcome::NxDomain, None);
    }
    if responses
        .iter()
        .flatten()
        .any(|r| r.rcode == Some(Rcode::Refused))
    {
        return (Outcome::Timeout, None);
    }
    (Outcome::NoData, None)
}

fn qtype_name(q: QueryType) -> &'static str {
    match q {
        QueryType::A => "A",
        QueryType::Aaaa => "AAAA",
    }
}

fn rcode_name(r: Rcode) -> &'static str {
    match r {
        Rcode::NoError => "NOERROR",
        Rcode::NxDomain => "NXDOMAIN",
        Rcode::Refused => "REFUSED",
    }
}

/// The hop where a walk through the node's rules stopped, with the rule's line.
fn stopped_hop(stopped: &Stopped, node: &Arc<str>, lookup: Option<usize>) -> Hop {
    Hop {
        kind: HopKind::Stopped,
        label: stopped.summary.clone(),
        lookup,
        probability: (stopped.share < 1.0).then_some(stopped.share),
        evidence: if stopped.line > 0 {
            vec![Evidence::line(node, stopped.line)]
        } else {
            Vec::new()
        },
    }
}

/// Hops for the rules a packet passed.
fn rule_hops(steps: &[netfilter::Step], node: &Arc<str>, lookup: Option<usize>) -> Vec<Hop> {
    steps
        .iter()
        .map(|s| Hop {
            kind: HopKind::NetfilterRule,
            label: format!("{} {}: {}", s.table, s.chain, s.action),
            lookup,
            probability: s.probability.map(round9),
            evidence: vec![Evidence::line(node, s.line)],
        })
        .collect()
}

/// Where the trace's DNS queries go.
struct Dns {
    /// The nameserver the queries are sent to.
    server: Option<String>,
    /// Its resolv.conf line (or the lines behind a rebuilt file).
    server_evidence: Vec<Evidence>,
    /// The DNS Service that owns the address, if known.
    service: Option<String>,
    /// Whether the cluster DNS answers there (else: an unknown resolver).
    cluster: bool,
    /// Where the address is DNATed.
    route: Route,
    /// Whether the node's rules block every query.
    unreachable: bool,
    /// Whether the walk of the queries through the node's rules stopped before a verdict: what becomes of them is
    /// not known.
    stopped: bool,
}

/// Traces `request` through the inputs.
pub fn trace(sources: &[Source<'_>], request: &Request, options: &Options) -> Trace {
    let analysis = crate::analyze(sources, options);
    trace_analyzed(sources, &analysis, request, options)
}

/// [`trace`] over an analysis already made of the same `sources` with the same `options` (an app that keeps the
/// analysis traces many names without analysing again).
pub fn trace_analyzed(
    sources: &[Source<'_>],
    analysis: &Analysis,
    request: &Request,
    options: &Options,
) -> Trace {
    let inputs = Inputs {
        analysis,
        sources,
        options,
    };
    let mut t = Trace {
        schema: SCHEMA.to_string(),
        from: request.from.clone(),
        to: request.to.clone(),
        resolver: request.resolver,
        status: Status::BadRequest,
        error: None,
        lookups: Vec::new(),
        connection: None,
        hops: Vec::new(),
        pod: None,
        resolv_conf: None,
        node: None,
        notes: Vec::new(),
        sources: Vec::new(),
    };
    run(&inputs, request, &mut t);
    t.sources = analysis.sources.clone();
    t
}

fn run(inputs: &Inputs<'_>, request: &Request, t: &mut Trace) {
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
    let node = choose_node(inputs, pod.as_ref(), &mut notes);
    t.node = node.as_ref().map(|n| n.name.to_string());

    // The pod hop.
    let mut pod_label = format!("pod {from}");
    let mut pod_evidence = Vec::new();
    if let Some(p) = &pod {
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
        if host_network {
            note(
                &mut notes,
                format!(
                    "pod {} uses the node's network: its packets leave through the node's OUTPUT chain",
                    p.name
                ),
            );
        }
    }
    let pod_hop = t.hops.len();
    t.hops.push(Hop {
        kind: HopKind::Pod,
        label: pod_label,
        lookup: None,
        probability: None,
        evidence: pod_evidence,
    });
    t.pod = pod.clone();

    let dns_services = inputs.cluster_dns();
    let mut connect_to: Option<(IpAddr, Option<ServiceInfo>)> = None;

    if let Some(ip) = target.ip {
        note(&mut notes, format!("{ip} is an address: no lookup is sent"));
        connect_to = Some((ip, inputs.service_by_ip(ip)));
        t.status = Status::Resolved;
    } else {
        // The resolver configuration.
        let chosen = choose_resolv_conf(inputs, pod.as_ref(), from, &mut notes);
        let namespace = pod.as_ref().and_then(|p| p.namespace.clone()).or_else(|| {
            chosen
                .as_ref()
                .and_then(|c| namespace_of_search(&c.conf.search))
        });
        let zone = chosen
            .as_ref()
            .and_then(|c| zone_of(&c.conf.search))
            .unwrap_or_else(|| DEFAULT_ZONE.to_string());
        let mut namespace = namespace;
        let choice = match chosen {
            Some(c) => c,
            None => {
                let ns = namespace.clone().unwrap_or_else(|| {
                    note(
                        &mut notes,
                        format!(
                            "no input shows the pod's namespace; `{DEFAULT_NAMESPACE}` is assumed for its search list"
                        ),
                    );
                    DEFAULT_NAMESPACE.to_string()
                });
                let dns = dns_services.first();
                let conf = kubelet_resolv_conf(&ns, &zone, dns);
                namespace = Some(ns);
                note(
                    &mut notes,
                    format!(
                        "no resolv.conf is given: kubelet's ClusterFirst file is assumed: search {}, \
                         nameserver {}, options ndots:{KUBELET_NDOTS}; the node's own search domains, which \
                         kubelet appends, are unknown",
                        conf.search.join(" "),
                        dns.map_or_else(|| "unknown".to_string(), |(ip, _, _)| ip.to_string())
                    ),
                );
                if host_network {
                    note(
                        &mut notes,
                        "a hostNetwork pod with dnsPolicy ClusterFirst really uses the node's resolv.conf; \
                         ClusterFirstWithHostNet is assumed"
                            .to_string(),
                    );
                }
                ResolvChoice {
                    conf,
                    source: None,
                    rebuilt_search: pod.iter().map(|p| p.evidence.clone()).collect(),
                    rebuilt_nameserver: dns.map(|(_, _, ev)| ev.clone()).unwrap_or_default(),
                }
            }
        };
        t.resolv_conf = Some(ResolvUsed {
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
                if let Some(hop) = t.hops.get_mut(pod_hop) {
                    hop.label = format!("pod {from} in namespace {ns} (from its search list)");
                    hop.evidence.push(Evidence::line(src, search_line));
                }
            }
        }

        let dns = nameserver(
            inputs,
            &choice,
            &dns_services,
            node.as_ref(),
            from,
            host_network,
            &mut notes,
        );
        let resolved = lookups(
            inputs,
            request.resolver,
            &target,
            &choice,
            &zone,
            &dns,
            node.as_ref(),
            t,
            &mut notes,
        );
        if let Some(answer) = resolved {
            connect_to = Some(answer);
            t.status = Status::Resolved;
        }
    }

    if let Some((ip, service)) = connect_to {
        connect(
            inputs,
            &target,
            from,
            ip,
            service,
            node.as_ref(),
            host_network,
            t,
            &mut notes,
        );
    }
    for n in notes {
        note(&mut t.notes, n);
    }
}

/// Which nameserver the queries go to, and where the node sends them.
fn nameserver(
    inputs: &Inputs<'_>,
    choice: &ResolvChoice,
    dns_services: &[(IpAddr, String, Vec<Evidence>)],
    node: Option<&NodeRules>,
    from: IpAddr,
    host_network: bool,
    notes: &mut Vec<String>,
) -> Dns {
    let protocol = if choice.conf.options.use_vc {
        "tcp"
    } else {
        "udp"
    };
    let servers: Vec<&Nameserver> = choice
        .conf
        .nameservers
        .iter()
        .take(MAX_NAMESERVERS)
        .collect();
    let mut dns = Dns {
        server: None,
        server_evidence: Vec::new(),
        service: None,
        cluster: false,
        route: Route {
            branches: Vec::new(),
            steps: Vec::new(),
            blocked: None,
            via: "none",
            lost_share: 0.0,
            stopped: None,
        },
        unreachable: false,
        stopped: false,
    };
    if servers.is_empty() && choice.source.is_none() {
        note(
            notes,
            "no input shows the cluster DNS Service, so the nameserver kubelet writes (its --cluster-dns) is \
             unknown; the queries are answered as the cluster DNS would"
                .to_string(),
        );
        dns.cluster = true;
        return dns;
    }
    if servers.is_empty() {
        note(
            notes,
            "the resolv.conf has no nameserver: glibc and musl then ask 127.0.0.1, the pod itself, whose answers are \
             unknown"
                .to_string(),
        );
        dns.server = Some("127.0.0.1".to_string());
        return dns;
    }
    // The first nameserver the node lets through; glibc and Go move to the next one only when a query times out.
    let mut picked: Option<(&Nameserver, Option<Route>)> = None;
    for ns in &servers {
        let route = match (node, ns.address.parse::<IpAddr>()) {
            (Some(node), Ok(ip)) => Some(walk_node(node, from, ip, 53, protocol, host_network)),
            _ => None,
        };
        // A walk that stopped is not a block: what the node does with the queries is not known.
        let blocked = route
            .as_ref()
            .is_some_and(|r| r.branches.is_empty() && r.stopped.is_none());
        if picked.is_none() {
            picked = Some((ns, route));
            if !blocked {
                break;
            }
        } else if !blocked {
            note(
                notes,
                format!(
                    "the node's rules block queries to the first nameserver; after its timeout the resolver asks \
                     {}, which is traced",
                    ns.address
                ),
            );
            picked = Some((ns, route));
            break;
        }
    }
    let Some((server, route)) = picked else {
        return dns;
    };
    if servers.len() > 1 {
        note(
            notes,
            format!(
                "{} nameservers: the queries go to {} and to the others only after a timeout",
                servers.len(),
                server.address
            ),
        );
    }
    dns.server = Some(server.address.clone());
    dns.server_evidence = match &choice.source {
        Some(src) if server.line > 0 => vec![Evidence::line(src, server.line)],
        _ => choice.rebuilt_nameserver.clone(),
    };
    let ip = server.address.parse::<IpAddr>().ok();
    let known = ip.and_then(|ip| dns_services.iter().find(|(known, _, _)| *known == ip));
    if let Some((_, label, evidence)) = known {
        dns.service = Some(label.clone());
        push_unique(&mut dns.server_evidence, evidence);
    }
    dns.cluster = if dns_services.is_empty() {
        note(
            notes,
            format!(
                "no input shows the cluster DNS Service (kube-system/kube-dns); nameserver {} is taken to be it",
                server.address
            ),
        );
        true
    } else if known.is_some() {
        true
    } else if server.address == NODE_LOCAL_DNS {
        note(
            notes,
            format!("{NODE_LOCAL_DNS} is NodeLocal DNSCache, which forwards the cluster zone to the cluster DNS"),
        );
        true
    } else {
        note(
            notes,
            format!(
                "nameserver {} is not the cluster DNS Service ({}): what it answers is unknown",
                server.address,
                dns_services
                    .iter()
                    .map(|(ip, label, _)| format!("{label} {ip}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        false
    };
    // Where the node sends the queries.
    let kubectl_route = |notes: &mut Vec<String>, why: &str| -> Option<Route> {
        let info = inputs.service_by_ip(ip?)?;
        let branches = inputs.kubectl_endpoints(&info, 53, protocol)?;
        note(
            notes,
            format!(
                "{why}: the DNS Service's endpoints come from kubectl, each with an equal share"
            ),
        );
        Some(Route {
            branches,
            steps: Vec::new(),
            blocked: None,
            via: "kubectl",
            lost_share: 0.0,
            stopped: None,
        })
    };
    dns.route = match route {
        Some(route) if route.stopped.is_some() => {
            dns.stopped = true;
            if let Some(stopped) = &route.stopped {
                note(
                    notes,
                    format!(
                        "the walk of the queries to {}:53/{protocol} through the node's rules stopped ({} of them): \
                         {}",
                        server.address,
                        percent(stopped.share),
                        stopped.message
                    ),
                );
            }
            route
        }
        Some(route) if route.branches.is_empty() => {
            dns.unreachable = true;
            note(
                notes,
                format!(
                    "the node's rules block queries to {}:53/{protocol}: {}",
                    server.address,
                    route.blocked.clone().unwrap_or_default()
                ),
            );
            route
        }
        Some(route) if route.branches.iter().all(|b| b.chain.is_none()) && known.is_some() => {
            let why = format!(
                "the rules of {} do not DNAT {}:53/{protocol}",
                node.map(|n| n.name.to_string()).unwrap_or_default(),
                server.address
            );
            kubectl_route(notes, &why).unwrap_or_else(|| {
                note(
                    notes,
                    format!("{why}, and no input lists the DNS Service's endpoints"),
                );
                route
            })
        }
        Some(route) => route,
        None => kubectl_route(notes, "no node dump is given").unwrap_or(Route {
            branches: Vec::new(),
            steps: Vec::new(),
            blocked: None,
            via: "none",
            lost_share: 0.0,
            stopped: None,
        }),
    };
    dns
}

/// Sends the resolver's queries; returns the address to connect to when the lookup succeeds.
#[allow(clippy::too_many_arguments)]
fn lookups(
    inputs: &Inputs<'_>,
    resolver: Resolver,
    target: &Target,
    choice: &ResolvChoice,
    zone: &str,
    dns: &Dns,
    node: Option<&NodeRules>,
    t: &mut Trace,
    notes: &mut Vec<String>,
) -> Option<(IpAddr, Option<ServiceInfo>)> {
    let conf = &choice.conf;
    let mut kubernetes = inputs.analysis.kubernetes.clone();
    kubernetes.extend(services_from_dumps(inputs.analysis, notes));
    // With no Service from any input, nothing says what the cluster DNS answers.
    let knows_services = kubernetes
        .iter()
        .any(|k| !k.objects.services.is_empty() || !k.objects.endpoint_slices.is_empty());
    if !knows_services {
        note(
            notes,
            "no input lists the cluster's Services (kubectl output or a node dump with rule comments): what the \
             cluster DNS answers is unknown"
                .to_string(),
        );
    }
    let cluster = ClusterDns::new(
        &kubernetes,
        Config {
            zone: zone.to_string(),
            ..Config::default()
        },
    );
    let types: &[QueryType] = if resolver == Resolver::Glibc && conf.options.no_aaaa {
        &[QueryType::A]
    } else {
        &[QueryType::A, QueryType::Aaaa]
    };
    let mut asked: Vec<CandidateAnswer> = Vec::new();
    let mut end: Option<End> = None;
    let walk = plan::walk(resolver, &target.name, conf, |name| {
        if dns.unreachable || dns.stopped {
            return Outcome::Timeout;
        }
        let answers: Vec<(QueryType, Answer)> = types
            .iter()
            .map(|&q| {
                let answer = if dns.cluster {
                    match cluster.answer(name, RecordType::from(q)) {
                        Answer::Cluster(_) if !knows_services => Answer::Cluster(Response {
                            unsure: vec!["no input lists the cluster's Services".to_string()],
                            ..Response::default()
                        }),
                        answer => answer,
                    }
                } else {
                    Answer::Upstream {
                        name: name.to_string(),
                        reason: "the nameserver is not the cluster DNS".to_string(),
                    }
                };
                (q, answer)
            })
            .collect();
        let (outcome, stop) = classify(&answers);
        end = stop;
        asked.push(CandidateAnswer {
            name: name.to_string(),
            answers,
        });
        outcome
    });
    if walk.queries.is_empty() {
        note(
            notes,
            format!("the resolver sends no query for `{}`", target.name),
        );
    }

    // The lookups, and their hops.
    let node_name = node.map(|n| Arc::clone(&n.name));
    let search_evidence = match (&choice.source, conf.search_line) {
        (Some(src), Some(line)) => vec![Evidence::line(src, line)],
        (None, _) => choice.rebuilt_search.clone(),
        _ => Vec::new(),
    };
    let ndots_evidence = match (&choice.source, conf.options.line) {
        (Some(src), Some(line)) => vec![Evidence::line(src, line)],
        _ => Vec::new(),
    };
    let protocol = if conf.options.use_vc { "tcp" } else { "udp" };
    let mut previous_candidate = None;
    for q in &walk.queries {
        let index = t.lookups.len();
        let answered = asked.iter().rev().find(|a| a.name == q.name);
        let answer = answered
            .and_then(|a| a.answers.iter().find(|(t, _)| *t == q.qtype))
            .map(|(_, a)| a);
        let mut lookup = Lookup {
            name: q.name.clone(),
            qtype: q.qtype,
            server: dns.server.clone(),
            server_endpoints: dns.route.branches.clone(),
            rcode: None,
            answers: Vec::new(),
            upstream: false,
            cnames: Vec::new(),
            upstream_target: None,
            failure: None,
            candidate: q.candidate,
            parallel: q.parallel,
            evidence: Vec::new(),
            unsure: Vec::new(),
        };
        match answer {
            _ if dns.unreachable => {
                lookup.failure = Some(format!(
                    "no reply: the node's rules block {}:53/{protocol}",
                    dns.server.as_deref().unwrap_or("?")
                ));
            }
            _ if dns.stopped => {
                lookup.failure = Some(format!(
                    "unknown: the walk of {}:53/{protocol} through the node's rules stopped",
                    dns.server.as_deref().unwrap_or("?")
                ));
            }
            Some(Answer::Upstream { reason, .. }) => {
                lookup.upstream = true;
                lookup.unsure.push(reason.clone());
            }
            Some(Answer::Cluster(response)) => {
                lookup.rcode = response.rcode;
                lookup.answers = addresses(response);
                lookup.cnames = cnames(response);
                lookup.upstream_target.clone_from(&response.upstream_target);
                lookup.evidence.clone_from(&response.evidence);
                lookup.unsure.clone_from(&response.unsure);
            }
            None => {
                lookup.failure = Some("not asked".to_string());
            }
        }
        let first_of_pair = previous_candidate != Some(q.candidate);
        previous_candidate = Some(q.candidate);
        if first_of_pair {
            candidate_hops(
                t,
                index,
                q,
                &target.name,
                conf,
                &search_evidence,
                &ndots_evidence,
                dns,
                node_name.as_ref(),
                protocol,
                inputs,
                zone,
            );
        }
        answer_hop(t, index, &lookup, dns);
        t.lookups.push(lookup);
    }

    // How the lookup ended.
    // Negative answers to the candidates before the last one tried.
    let last_candidate = t.lookups.last().map(|l| l.candidate);
    let negative = t
        .lookups
        .iter()
        .filter(|l| Some(l.candidate) != last_candidate)
        .filter(|l| {
            l.rcode == Some(Rcode::NxDomain)
                || (l.rcode == Some(Rcode::NoError) && l.answers.is_empty() && l.cnames.is_empty())
        })
        .count();
    if dns.stopped {
        t.status = Status::Stopped;
        return None;
    }
    if dns.unreachable {
        t.status = Status::DnsUnreachable;
        return None;
    }
    match end {
        Some(End::Upstream) => {
            t.status = Status::Upstream;
            if negative > 0 {
                note(
                    notes,
                    format!(
                        "{negative} of {} queries are answered negatively before the plan reaches a name answered \
                         upstream: with ndots:{} and {} search domains, a name with fewer than {} dots is tried \
                         with every search domain first",
                        t.lookups.len(),
                        conf.options.ndots,
                        conf.search.len(),
                        conf.options.ndots
                    ),
                );
            }
            hint_other_namespace(inputs, target, zone, t, notes);
            return None;
        }
        Some(End::Unknown) => {
            t.status = Status::Unknown;
            note(
                notes,
                "the inputs do not say enough to decide an answer; the plan stops at the query they leave open"
                    .to_string(),
            );
            return None;
        }
        None => {}
    }
    let Some(name) = walk.answered else {
        t.status = Status::NotFound;
        hint_other_namespace(inputs, target, zone, t, notes);
        return None;
    };
    let last = asked.iter().rev().find(|a| a.name == name);
    let mut all: Vec<String> = Vec::new();
    for qtype in [QueryType::A, QueryType::Aaaa] {
        if let Some((_, Answer::Cluster(r))) = last
            .into_iter()
            .flat_map(|l| l.answers.iter())
            .find(|(q, _)| *q == qtype)
        {
            all.extend(addresses(r));
        }
    }
    let Some(ip) = all.first().and_then(|a| a.parse::<IpAddr>().ok()) else {
        t.status = Status::Unknown;
        return None;
    };
    if all.len() > 1 {
        note(
            notes,
            format!(
                "{name} has {} addresses; the connection uses the first, {ip} (CoreDNS's loadbalance plugin shuffles \
                 the order in each reply)",
                all.len()
            ),
        );
    }
    if negative > 0 {
        note(
            notes,
            format!(
                "{negative} of {} queries are answered negatively before {name} answers",
                t.lookups.len()
            ),
        );
    }
    let by_name = last
        .into_iter()
        .flat_map(|l| l.answers.iter())
        .find_map(|(_, a)| a.response().map(cnames))
        .and_then(|c| c.last().cloned())
        .unwrap_or_else(|| name.clone());
    let service = inputs
        .service_by_ip(ip)
        .or_else(|| inputs.service_by_name(&by_name, zone));
    Some((ip, service))
}

/// The Service ports the node dumps name in their rule comments, as kubectl Services (cluster IP and port, from
/// the `KUBE-SERVICES` line), for the Services no kubectl input lists: a dump and a resolv.conf are then enough to
/// answer cluster names.
fn services_from_dumps(analysis: &Analysis, notes: &mut Vec<String>) -> Vec<KubeSource> {
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

/// When a short name is not found from the pod's namespace, says which namespaces have a Service of that name.
fn hint_other_namespace(
    inputs: &Inputs<'_>,
    target: &Target,
    zone: &str,
    t: &Trace,
    notes: &mut Vec<String>,
) {
    let short = target.name.trim_end_matches('.');
    let own = t.resolv_conf.as_ref().and_then(|r| r.namespace.as_deref());
    let bare_name_asked = t
        .lookups
        .last()
        .is_some_and(|l| l.name.trim_end_matches('.').eq_ignore_ascii_case(short));
    if short.contains('.')
        || target.name.ends_with('.')
        || !(bare_name_asked || t.status == Status::NotFound)
    {
        return;
    }
    // Services of that name, from kubectl and from the node dumps' rule comments.
    let kubectl = inputs
        .analysis
        .kubernetes
        .iter()
        .flat_map(|k| k.objects.services.iter())
        .map(|s| (ns_of(&s.namespace), s.name.to_ascii_lowercase()));
    let dumps = inputs
        .analysis
        .services
        .iter()
        .map(|s| (s.namespace.clone(), s.name.to_ascii_lowercase()));
    let mut places: Vec<String> = Vec::new();
    for (ns, name) in kubectl.chain(dumps) {
        if name.eq_ignore_ascii_case(short) && !ns.is_empty() && Some(ns.as_str()) != own {
            let fqdn = format!("{short}.{ns}.svc.{zone}");
            if !places.contains(&fqdn) {
                places.push(fqdn);
            }
        }
    }
    if !places.is_empty() {
        note(
            notes,
            format!(
                "a Service named {short} exists in another namespace: ask for {} (or `{short}.<namespace>`)",
                places.join(" or ")
            ),
        );
    }
}

/// The hops of one candidate: the name, the nameserver, the node's rules, the DNS pod (or upstream).
#[allow(clippy::too_many_arguments)]
fn candidate_hops(
    t: &mut Trace,
    index: usize,
    q: &plan::Query,
    name: &str,
    conf: &ResolvConf,
    search_evidence: &[Evidence],
    ndots_evidence: &[Evidence],
    dns: &Dns,
    node: Option<&Arc<str>>,
    protocol: &str,
    inputs: &Inputs<'_>,
    zone: &str,
) {
    let bare = name.trim_end_matches('.');
    let dots = bare.matches('.').count();
    let ndots = conf.options.ndots;
    let as_is = format!("{bare}.");
    let dots_text = if dots == 1 {
        "1 dot".to_string()
    } else {
        format!("{dots} dots")
    };
    let mut both = search_evidence.to_vec();
    push_unique(&mut both, ndots_evidence);
    let (why, evidence) = if name.ends_with('.') {
        (
            "a trailing dot: the name itself and nothing else".to_string(),
            Vec::new(),
        )
    } else if q.name.eq_ignore_ascii_case(&as_is) && dots >= usize::from(ndots) {
        (
            format!("the name as-is, first: {dots_text} ≥ ndots:{ndots}"),
            both,
        )
    } else if q.name.eq_ignore_ascii_case(&as_is) {
        (
            format!(
                "the name as-is, last: {dots_text} < ndots:{ndots}, and the search domains were answered negatively"
            ),
            both,
        )
    } else {
        let position = conf
            .search
            .iter()
            .position(|d| {
                let d = d.trim_start_matches('.').trim_end_matches('.');
                format!("{bare}.{d}.").eq_ignore_ascii_case(&q.name)
            })
            .map_or(0, |p| p + 1);
        (
            format!(
                "search domain {position} of {}{}",
                conf.search.len(),
                if dots < usize::from(ndots) {
                    format!(": {dots_text} < ndots:{ndots}, the search list comes first")
                } else {
                    String::new()
                }
            ),
            both,
        )
    };
    t.hops.push(Hop {
        kind: HopKind::ResolverCandidate,
        label: format!("{} — {why}", q.name),
        lookup: Some(index),
        probability: None,
        evidence,
    });
    let server = dns.server.as_deref().unwrap_or("?");
    t.hops.push(Hop {
        kind: HopKind::NameserverVip,
        label: format!(
            "{}/{protocol} — nameserver{}",
            host_port(server, Some(53)),
            dns.service
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        ),
        lookup: Some(index),
        probability: None,
        evidence: dns.server_evidence.clone(),
    });
    if let Some(node) = node {
        if dns.route.via == "node-rules" {
            t.hops
                .extend(rule_hops(&dns.route.steps, node, Some(index)));
            if let Some(stopped) = &dns.route.stopped {
                t.hops.push(stopped_hop(stopped, node, Some(index)));
            }
        }
    }
    if dns.unreachable || dns.stopped {
        return;
    }
    if dns.cluster {
        if let Some(first) = dns.route.branches.first() {
            let (pod, mut evidence) = inputs.endpoint_info(&first.ip);
            let mut all = first.evidence.clone();
            push_unique(&mut all, &evidence);
            evidence = all;
            let of = dns.route.branches.len();
            t.hops.push(Hop {
                kind: HopKind::CorednsPod,
                label: format!(
                    "{}{}{}",
                    host_port(&first.ip, first.port),
                    pod.map(|p| format!(" (pod {p})")).unwrap_or_default(),
                    if of > 1 {
                        format!(", 1 of {of} DNS endpoints, {}", percent(first.probability))
                    } else {
                        String::new()
                    }
                ),
                lookup: Some(index),
                probability: Some(first.probability),
                evidence,
            });
        }
        let in_zone = {
            let lower = q.name.trim_end_matches('.').to_ascii_lowercase();
            lower == zone || lower.ends_with(&format!(".{zone}"))
        };
        if !in_zone {
            t.hops.push(Hop {
                kind: HopKind::Upstream,
                label: format!(
                    "{} is outside the cluster zone {zone}: the cluster DNS forwards it upstream, whose answer is \
                     unknown",
                    q.name
                ),
                lookup: Some(index),
                probability: None,
                evidence: Vec::new(),
            });
        }
    } else {
        t.hops.push(Hop {
            kind: HopKind::Upstream,
            label: format!("{server} is not the cluster DNS: its answer is unknown"),
            lookup: Some(index),
            probability: None,
            evidence: dns.server_evidence.clone(),
        });
    }
}

/// The answer hop of one query.
fn answer_hop(t: &mut Trace, index: usize, lookup: &Lookup, dns: &Dns) {
    if dns.unreachable || dns.stopped || lookup.upstream {
        return;
    }
    let rcode = lookup.rcode.map_or("rcode unknown", rcode_name);
    let mut what = Vec::new();
    for c in &lookup.cnames {
        what.push(format!("CNAME {c}"));
    }
    what.extend(lookup.answers.iter().cloned());
    if let Some(target) = &lookup.upstream_target {
        what.push(format!("{target} resolved upstream (unknown)"));
    }
    let shown = if what.is_empty() {
        match lookup.rcode {
            Some(Rcode::NoError) => "no records (NODATA)".to_string(),
            _ => String::new(),
        }
    } else {
        what.join(", ")
    };
    t.hops.push(Hop {
        kind: HopKind::Answer,
        label: format!(
            "{} {}: {rcode}{}{shown}",
            qtype_name(lookup.qtype),
            lookup.name,
            if shown.is_empty() { "" } else { " " }
        ),
        lookup: Some(index),
        probability: None,
        evidence: lookup.evidence.clone(),
    });
}

/// The connection to the answer: the port, then where the node's rules (or kubectl) send it.
#[allow(clippy::too_many_arguments)]
fn connect(
    inputs: &Inputs<'_>,
    target: &Target,
    from: IpAddr,
    ip: IpAddr,
    service: Option<ServiceInfo>,
    node: Option<&NodeRules>,
    host_network: bool,
    t: &mut Trace,
    notes: &mut Vec<String>,
) {
    // The port: as requested, else the Service's only one.
    let port = match target.port {
        Some(p) => p,
        None => {
            let mut numbers: Vec<u16> = service
                .iter()
                .flat_map(|s| s.ports.iter().map(|(n, _, _, _)| *n))
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            match numbers.as_slice() {
                [one] => *one,
                [] => {
                    t.status = Status::PortRequired;
                    t.error = Some(format!(
                        "no input shows a port of {ip}: give one as NAME:PORT"
                    ));
                    return;
                }
                several => {
                    t.status = Status::PortRequired;
                    t.error = Some(format!(
                        "{} has ports {}: give one as NAME:PORT",
                        service
                            .as_ref()
                            .map_or_else(|| ip.to_string(), ServiceInfo::label),
                        several
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    return;
                }
            }
        }
    };
    // TCP unless the Service's port is only UDP or SCTP.
    let protocols: Vec<&str> = service
        .iter()
        .flat_map(|s| s.ports.iter())
        .filter(|(n, _, _, _)| *n == port)
        .map(|(_, p, _, _)| p.as_str())
        .collect();
    let protocol = if protocols.is_empty() || protocols.contains(&"tcp") {
        "tcp".to_string()
    } else {
        protocols.first().copied().unwrap_or("tcp").to_string()
    };
    if let Some(s) = &service {
        if target.port.is_some()
            && !s.ports.is_empty()
            && !s.ports.iter().any(|(n, _, _, _)| *n == port)
        {
            note(
                notes,
                format!(
                    "{} has no port {port} in the inputs (ports {})",
                    s.label(),
                    s.ports
                        .iter()
                        .map(|(n, p, _, _)| format!("{n}/{p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let ip_text = ip.to_string();
    let is_vip =
        service.as_ref().is_some_and(|s| !s.headless) && inputs.service_by_ip(ip).is_some();

    let mut route = match node {
        Some(node) => walk_node(node, from, ip, port, &protocol, host_network),
        None => Route {
            branches: Vec::new(),
            steps: Vec::new(),
            blocked: None,
            via: "none",
            lost_share: 0.0,
            stopped: None,
        },
    };
    let not_rewritten = route.blocked.is_none()
        && route.stopped.is_none()
        && route.branches.iter().all(|b| b.chain.is_none());
    if is_vip && (node.is_none() || not_rewritten) {
        let why = match node {
            Some(n) => format!(
                "the rules of {} do not DNAT {}",
                n.name,
                host_port(&ip_text, Some(port))
            ),
            None => "no node dump is given".to_string(),
        };
        let info = service.clone().unwrap_or_default();
        match inputs.kubectl_endpoints(&info, port, &protocol) {
            Some(branches) => {
                note(
                    notes,
                    format!(
                        "{why}: the endpoints of {} come from kubectl, each with an equal share",
                        info.label()
                    ),
                );
                route = Route {
                    branches,
                    steps: Vec::new(),
                    blocked: None,
                    via: "kubectl",
                    lost_share: 0.0,
                    stopped: None,
                };
            }
            None => {
                note(
                    notes,
                    format!(
                        "{why}, and no input lists the endpoints of {}: where it goes is unknown",
                        info.label()
                    ),
                );
                route = Route {
                    branches: Vec::new(),
                    steps: route.steps,
                    blocked: None,
                    via: "none",
                    lost_share: 0.0,
                    stopped: None,
                };
            }
        }
    } else if node.is_none() {
        // An address no Service owns (a headless answer, a pod): the connection goes to it as it is.
        route = Route {
            branches: vec![Branch {
                ip: ip_text.clone(),
                port: Some(port),
                chain: None,
                probability: 1.0,
                evidence: Vec::new(),
            }],
            steps: Vec::new(),
            blocked: None,
            via: "direct",
            lost_share: 0.0,
            stopped: None,
        };
    } else if not_rewritten && !route.branches.is_empty() {
        route.via = "direct";
    }
    if let Some(stopped) = &route.stopped {
        note(
            notes,
            format!(
                "the walk of the connection through the node's rules stopped ({} of new connections): {}",
                percent(stopped.share),
                stopped.message
            ),
        );
    }
    if let Some(blocked) = &route.blocked {
        if route.branches.is_empty() {
            note(
                notes,
                format!("the node's rules stop the connection: {blocked}"),
            );
        } else {
            note(
                notes,
                format!(
                    "{} of new connections are stopped: {blocked}",
                    percent(route.lost_share)
                ),
            );
        }
    }
    if let Some(s) = &service {
        if s.headless {
            note(
                notes,
                format!(
                    "{} is headless: the answer is a pod's address, and nothing rewrites it",
                    s.label()
                ),
            );
        }
    }

    // Hops.
    if is_vip {
        let mut evidence = service
            .as_ref()
            .map(|s| s.evidence.clone())
            .unwrap_or_default();
        if evidence.is_empty() {
            if let Some(s) =
                inputs.analysis.services.iter().find(|s| {
                    s.cluster_ip.as_deref() == Some(ip_text.as_str()) && s.port == Some(port)
                })
            {
                evidence.push(Evidence::line(&Arc::from(s.source.as_str()), s.line));
            }
        }
        t.hops.push(Hop {
            kind: HopKind::ServiceVip,
            label: format!(
                "{}/{protocol}{}",
                host_port(&ip_text, Some(port)),
                service
                    .as_ref()
                    .map(|s| format!(" — Service {}", s.label()))
                    .unwrap_or_default()
            ),
            lookup: None,
            probability: None,
            evidence,
        });
    }
    if let Some(node) = node {
        if route.via == "node-rules" || route.via == "direct" || route.branches.is_empty() {
            t.hops.extend(rule_hops(&route.steps, &node.name, None));
        }
        if let Some(stopped) = &route.stopped {
            t.hops.push(stopped_hop(stopped, &node.name, None));
        }
    }
    if let Some(first) = route.branches.first() {
        let (pod, more) = inputs.endpoint_info(&first.ip);
        let mut evidence = first.evidence.clone();
        push_unique(&mut evidence, &more);
        let of = route.branches.len();
        t.hops.push(Hop {
            kind: HopKind::Endpoint,
            label: format!(
                "{}{}{}{}",
                host_port(&first.ip, first.port),
                first
                    .chain
                    .as_deref()
                    .map(|c| format!(" via {c}"))
                    .unwrap_or_default(),
                pod.map(|p| format!(" (pod {p})")).unwrap_or_default(),
                if of > 1 {
                    format!(", 1 of {of} branches, {}", percent(first.probability))
                } else {
                    String::new()
                }
            ),
            lookup: None,
            probability: Some(first.probability),
            evidence,
        });
    }
    t.status = if route.stopped.is_some() {
        Status::Stopped
    } else if !route.branches.is_empty() {
        Status::Connected
    } else if route.blocked.is_some() {
        Status::NoEndpoints
    } else if route.via == "none" && is_vip {
        // kubectl lists the Service's endpoints and none is ready, or nothing says where it goes.
        Status::Resolved
    } else {
        Status::NoEndpoints
    };
    if route.via == "kubectl" && route.branches.is_empty() {
        note(
            notes,
            format!(
                "kubectl lists no ready endpoint of {}",
                service
                    .as_ref()
                    .map_or_else(|| ip_text.clone(), ServiceInfo::label)
            ),
        );
    }
    t.connection = Some(Connection {
        ip: ip_text,
        port,
        protocol,
        service: service.as_ref().map(ServiceInfo::label),
        branches: route.branches,
        via: route.via.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_apart() {
        let t = parse_target("nginx:80").unwrap();
        assert_eq!((t.name.as_str(), t.port, t.ip), ("nginx", Some(80), None));
        let t = parse_target("nginx.default.svc.cluster.local.").unwrap();
        assert_eq!(
            (t.name.as_str(), t.port),
            ("nginx.default.svc.cluster.local.", None)
        );
        let t = parse_target("10.96.0.10:53").unwrap();
        assert_eq!(t.ip, Some("10.96.0.10".parse().unwrap()));
        assert_eq!(t.port, Some(53));
        let t = parse_target("fd00::1").unwrap();
        assert_eq!((t.ip.is_some(), t.port), (true, None));
        let t = parse_target("[fd00::1]:443").unwrap();
        assert_eq!((t.ip.is_some(), t.port), (true, Some(443)));
        for bad in [
            "",
            " ",
            "nginx:",
            "nginx:http",
            "nginx:0",
            "nginx:70000",
            ":80",
            ".:80",
            "[fd00::1",
            "a b",
        ] {
            assert!(parse_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_checked_as_dns_does() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters: the longest name; one more is too long.
        let longest = format!("{label63}.{label63}.{label63}.{}", "b".repeat(61));
        assert_eq!(longest.len(), 253);
        for good in [
            "nginx",
            "_http._tcp.nginx.default.svc.cluster.local.",
            "my-svc.my-ns",
            label63.as_str(),
            &format!("{label63}.default:8080"),
            &longest,
            &format!("{longest}."),
            &format!("{longest}.:65535"),
            "10.0.0.300",
        ] {
            assert!(
                parse_target(good).is_ok(),
                "{good:?}: {:?}",
                parse_target(good)
            );
        }
        let error = |to: &str| parse_target(to).unwrap_err();
        let e = error(&format!("{label64}.default"));
        assert!(
            e.contains("is 64 bytes long; a DNS label holds at most 63"),
            "{e}"
        );
        let e = error(&format!("{longest}b"));
        assert!(
            e.contains("is 254 characters long; a DNS name holds at most 253"),
            "{e}"
        );
        let e = error(&format!("{longest}b."));
        assert!(e.contains("254 characters"), "{e}");
        for (to, what) in [
            ("a..b", "empty label"),
            (".nginx", "empty label"),
            ("nginx..", "empty label"),
            ("ngi nx", "a space"),
            ("ngi\tnx", "a control character"),
            ("a\u{1b}[31mb", "a control character"),
            ("a\u{7f}b", "a control character"),
            ("a*b", "not allowed"),
            ("a/b:80", "not allowed"),
            ("<img>", "not allowed"),
            ("bücher.example", "xn--"),
        ] {
            let e = error(to);
            assert!(e.contains(what), "{to:?}: {e}");
            assert!(!e.chars().any(char::is_control), "{to:?}: {e:?}");
        }
        assert!(error("a\u{1b}b").contains("`a\\u{1b}b`"));
        for (to, what) in [
            ("nginx:0", "1-65535"),
            ("nginx:65536", "1-65535"),
            ("nginx:99999999999999999999", "1-65535"),
            ("nginx:-1", "not a port number"),
            ("nginx:8a", "not a port number"),
            ("[fd00::1]:0", "1-65535"),
        ] {
            assert!(error(to).contains(what), "{to:?}: {}", error(to));
        }
        assert_eq!(parse_target("nginx:65535").unwrap().port, Some(65535));
        assert_eq!(parse_target("nginx:1").unwrap().port, Some(1));
    }

    /// A node whose filter table REJECTs the DNS VIP (kube-proxy's `has no endpoints` rule for kube-dns:dns): no
    /// query is answered. glibc treats the failure as "other" (not NXDOMAIN, NODATA or SERVFAIL), stops walking the
    /// search list and still tries the name as-is (docs/domain/resolvers.md §2, §7 case 3); musl stops at once (§3).
    #[test]
    fn a_rejected_nameserver_answers_nothing() {
        let resolv = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let node = b"*filter\n:KUBE-SERVICES - [0:0]\n\
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable\n\
COMMIT\n";
        let sources = [
            Source::new("resolv.conf", resolv),
            Source::new("node.txt", node),
        ];
        let ask = |resolver| {
            trace(
                &sources,
                &Request {
                    from: "10.244.0.20".into(),
                    to: "nginx:80".into(),
                    resolver,
                },
                &Options::default(),
            )
        };
        let glibc = ask(Resolver::Glibc);
        assert_eq!(glibc.status, Status::DnsUnreachable);
        let names: Vec<&str> = glibc.lookups.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "nginx.default.svc.cluster.local.",
                "nginx.default.svc.cluster.local.",
                "nginx.",
                "nginx."
            ]
        );
        assert!(glibc
            .lookups
            .iter()
            .all(|l| l.rcode.is_none() && l.failure.is_some() && l.server_endpoints.is_empty()));
        // The REJECT rule is the last hop of each query.
        let rejects: Vec<&Hop> = glibc
            .hops
            .iter()
            .filter(|h| h.label.contains("REJECT"))
            .collect();
        assert_eq!(rejects.len(), 2);
        assert!(rejects
            .iter()
            .all(|h| h.evidence == [Evidence::line(&Arc::from("node.txt"), 3)]));
        assert!(glibc.connection.is_none());
        let musl = ask(Resolver::Musl);
        assert_eq!(musl.status, Status::DnsUnreachable);
        assert_eq!(musl.lookups.len(), 2);
    }

    /// With several resolv.conf files and node dumps, the pod's own are used: the file whose search list names the
    /// pod's namespace (or whose comment names the pod), and the dump named after the pod's node (or showing a
    /// `user@node` prompt). With no such hint, the first is used and a note says so.
    #[test]
    fn the_pods_own_resolv_conf_and_node_dump_are_chosen() {
        let pods = b"$ kubectl get pods -A -o wide\n\
NAMESPACE   NAME     READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n\
prod        client   1/1     Running   0          5d    10.244.1.7   node-b   <none>           <none>\n";
        let default_ns = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let prod_ns = b"search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let commented = b"# kubectl exec client -- cat /etc/resolv.conf\nnameserver 10.96.0.10\n";
        let dump = |dnat: &str| {
            format!(
                "*nat\n-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\n\
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns\" -j KUBE-SEP-YIL6JZP7A3QYXJU2\n\
-A KUBE-SEP-YIL6JZP7A3QYXJU2 -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination {dnat}:53\n\
COMMIT\n"
            )
        };
        let node_a = dump("10.244.0.2");
        let node_b = format!(
            "root@node-b:~# iptables-save -t nat\n{}",
            dump("10.244.1.2")
        );
        let request = Request {
            from: "10.244.1.7".into(),
            to: "nginx".into(),
            resolver: Resolver::Glibc,
        };
        let run = |sources: &[Source<'_>]| trace(sources, &request, &Options::default());

        let t = run(&[
            Source::new("pods.txt", pods),
            Source::new("a.conf", default_ns),
            Source::new("b.conf", prod_ns),
            Source::new("dump-1.txt", node_a.as_bytes()),
            Source::new("dump-2.txt", node_b.as_bytes()),
        ]);
        assert_eq!(
            t.resolv_conf.as_ref().and_then(|r| r.source.as_deref()),
            Some("b.conf")
        );
        assert_eq!(t.node.as_deref(), Some("dump-2.txt"));
        assert_eq!(
            t.lookups.first().map(|l| l.name.as_str()),
            Some("nginx.prod.svc.cluster.local.")
        );
        assert_eq!(
            t.lookups
                .first()
                .and_then(|l| l.server_endpoints.first())
                .map(|b| b.ip.as_str()),
            Some("10.244.1.2")
        );
        assert!(
            t.notes.iter().all(|n| !n.contains("the first")),
            "{:?}",
            t.notes
        );

        // The pod named in a comment; the node named in the file name.
        let t = run(&[
            Source::new("pods.txt", pods),
            Source::new("a.conf", default_ns),
            Source::new("c.conf", commented),
            Source::new("node-a.txt", node_a.as_bytes()),
            Source::new("node-b.txt", node_a.as_bytes()),
        ]);
        assert_eq!(
            t.resolv_conf.as_ref().and_then(|r| r.source.as_deref()),
            Some("c.conf")
        );
        assert_eq!(t.node.as_deref(), Some("node-b.txt"));

        // No kubectl pod: nothing ties the pod to a file; the first of each is used, with a note.
        let t = run(&[
            Source::new("a.conf", default_ns),
            Source::new("b.conf", prod_ns),
            Source::new("dump-1.txt", node_a.as_bytes()),
            Source::new("dump-2.txt", node_b.as_bytes()),
        ]);
        assert_eq!(
            t.resolv_conf.as_ref().and_then(|r| r.source.as_deref()),
            Some("a.conf")
        );
        assert_eq!(t.node.as_deref(), Some("dump-1.txt"));
        assert_eq!(
            t.notes.iter().filter(|n| n.contains("the first")).count(),
            2,
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn zone_and_namespace_come_from_a_cluster_first_search_list() {
        let search: Vec<String> = [
            "prod.svc.cluster.example",
            "svc.cluster.example",
            "cluster.example",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(zone_of(&search).as_deref(), Some("cluster.example"));
        assert_eq!(namespace_of_search(&search).as_deref(), Some("prod"));
        assert_eq!(zone_of(&["corp.example".to_string()]), None);
        assert_eq!(namespace_of_search(&["corp.example".to_string()]), None);
    }
}
