//! `dnatlas trace`: the path of one name from a pod (the `dnatlas.trace/1` contract, defined here).
//!
//! Given a pod's IP and a name (`nginx`, `nginx.default:80`, an FQDN, or an IP), [`trace`] rebuilds, from the inputs
//! alone, what happens when the pod connects to it:
//!
//! 1. **Who asks.** The pod is found by its IP among kubectl's pods (namespace, node, `hostNetwork`). Its resolv.conf
//!    is the input file whose search list or comments match the pod (else the first, with a note); with none, the
//!    kubelet's ClusterFirst file is rebuilt from the pod's namespace and the cluster DNS Service (docs/domain/resolvers.md §6).
//! 2. **Lookups.** [`crate::dns::plan::walk`] sends the candidates in the resolver's order and stops where glibc,
//!    musl or Go stop, asking the cluster DNS how each A/AAAA query is answered (docs/domain/coredns.md §1–§4,
//!    docs/domain/resolvers.md §2–§5): CoreDNS as a given Corefile (or CoreDNS ConfigMap) configures it
//!    ([`crate::dns::corefile::CorefileDns`]: its zones, `pods`, `ttl`, `fallthrough`), else kubeadm's
//!    `kubernetes` plugin for the zone ([`crate::dns::answer::ClusterDns`]). The zone is the resolv.conf's, else
//!    the Corefile's, else `cluster.local`. A name the cluster DNS passes on (outside its zones, or a name error
//!    `fallthrough` covers), a nameserver that is not the cluster DNS, and an ExternalName pointing outside the
//!    zone are answered upstream: the answer is unknown and the plan ends there. Where each query goes — the nameserver VIP
//!    DNATed to a CoreDNS pod — comes from the netfilter walk of the pod's node dump, else from kubectl's endpoints.
//! 3. **Connection.** To the first address of the answer (or the IP given), on the given port or the Service's only
//!    port: the node's rules give the branches with their probabilities (kubectl endpoints without a dump).
//! 4. **Hops.** The ordered path the UI animates, each hop with the input lines that decide it: the resolv.conf
//!    lines, the iptables rules of the `KUBE-SERVICES` match, the `KUBE-SVC` probability rule and the `KUBE-SEP`
//!    DNAT, and the kubectl lines behind each DNS answer.
//!
//! Nothing is guessed: what the inputs do not say is a note, and the [`Status`] says how far the trace got.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, SourceReport};
use crate::dns::answer::Rcode;
use crate::dns::plan::{QueryType, Resolver};
use crate::evidence::Evidence;
use crate::simulate::netfilter::{Action, Step, TableName};
use crate::source::Source;
use crate::Options;

mod choose;
mod connect;
mod hops;
mod inputs;
mod lookups;
mod nameserver;
mod route;
mod run;
mod target;

/// The JSON schema name of [`Trace`].
pub const SCHEMA: &str = "dnatlas.trace/1";

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
    pub answers: Vec<IpAddr>,
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
    /// The rule that sends new connections into the branch's chain (the `statistic` jump of the Service's chain),
    /// when the node's rules decide the branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump: Option<RuleRef>,
    /// The DNAT rule that rewrites the destination, when the node's rules decide the branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnat: Option<RuleRef>,
}

/// The connection to the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The address connected to.
    pub ip: IpAddr,
    /// The port.
    pub port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
    /// The Service behind the address (`ns/name`), when an input names it.
    pub service: Option<String>,
    /// Where a new connection goes, with probabilities, in the order of the node's rules.
    pub branches: Vec<Branch>,
    /// Where the branches come from.
    pub via: Via,
}

/// Where a connection's (or a query's) branches come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The walk through the node's rules.
    NodeRules,
    /// kubectl's endpoints of the Service, each with an equal share.
    Kubectl,
    /// The address itself: no rule rewrites it.
    Direct,
    /// Nothing the inputs show.
    None,
}

impl Via {
    /// The name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::NodeRules => "node-rules",
            Via::Kubectl => "kubectl",
            Via::Direct => "direct",
            Via::None => "none",
        }
    }
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
    /// For a `netfilter-rule` hop: the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    /// For the hops of the branch the trace follows at a fork — the jump into the branch's chain, the rules of that
    /// chain, the DNS pod or endpoint it ends at: which branch of how many, with its share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchRef>,
}

impl Hop {
    /// A hop of `kind` showing `label`, for query `lookup`, with the lines behind it; no share, rule or branch.
    pub(crate) fn new(
        kind: HopKind,
        label: String,
        lookup: Option<usize>,
        evidence: Vec<Evidence>,
    ) -> Self {
        Hop {
            kind,
            label,
            lookup,
            probability: None,
            evidence,
            rule: None,
            branch: None,
        }
    }

    /// The hop naming `rule`.
    fn with_rule(self, rule: RuleRef) -> Self {
        Hop {
            rule: Some(rule),
            ..self
        }
    }
}

/// A netfilter rule a hop or a branch names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The table.
    pub table: TableName,
    /// The chain the rule is in.
    pub chain: String,
    /// 1-based line of the rule in the node dump (0 for a chain's policy).
    pub line: u32,
    /// What the rule does.
    pub action: Action,
}

impl RuleRef {
    /// What a hop shows for the rule: `nat KUBE-SVC-…: jump KUBE-SEP-…`.
    pub fn label(&self) -> String {
        format!("{} {}: {}", self.table, self.chain, self.action)
    }
}

impl From<&Step> for RuleRef {
    fn from(step: &Step) -> Self {
        RuleRef {
            table: step.table,
            chain: step.chain.clone(),
            line: step.line,
            action: step.action.clone(),
        }
    }
}

/// Where a hop stands at a fork: one branch of several (of the lookup's `server_endpoints` or the connection's
/// `branches`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BranchRef {
    /// The branch's index.
    pub index: usize,
    /// How many branches the fork has.
    pub of: usize,
    /// The share of new connections that take the branch.
    pub share: f64,
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
    let inputs = inputs::Inputs {
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
    run::run(&inputs, request, &mut t);
    t.sources = analysis.sources.clone();
    t
}
