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
use crate::source::corefile::PodsMode;
use crate::source::inputs::KubeSource;

mod index;
mod lookup;
mod names;
mod records;

use index::{Endpoints, PodInfo, Svc};

/// The cluster zone when none is given.
pub const DEFAULT_ZONE: &str = "cluster.local";
/// The plugin's record TTL when the Corefile sets no `ttl` (kubernetes.go L89-90).
pub const DEFAULT_TTL: u32 = 5;
/// The TTL of the `dns-version.<zone>` TXT record.
pub const DNS_VERSION_TTL: u32 = 28800;
/// How many ExternalName CNAMEs inside the zone are followed before giving up.
pub(super) const MAX_CNAME_DEPTH: usize = 8;

/// How the `kubernetes` plugin is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The cluster zone, without a trailing dot (`cluster.local`).
    pub zone: String,
    /// The record TTL (`ttl`; 5 s unless the Corefile says otherwise — kubeadm writes `ttl 30`).
    pub ttl: u32,
    /// The `pods` option (`pods disabled`, the plugin's own default: every pod name is NXDOMAIN; `pods insecure`,
    /// kubeadm's: any well-formed IP answers if the namespace exists; `pods verified`: only the IP of a pod in
    /// that namespace).
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
    /// `fallthrough` covering the cluster zone: a name of the zone that does not exist (NXDOMAIN) is passed to the
    /// next plugin (the `forward` plugin's upstream) instead (docs/domain/coredns.md §3).
    #[serde(default)]
    pub fallthrough: bool,
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
            fallthrough: false,
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
/// The cluster's DNS data, indexed from the kubectl inputs.
#[derive(Debug, Clone)]
pub struct ClusterDns {
    config: Config,
    /// The zone's labels, lower-case.
    zone: Vec<String>,
    /// Services by namespace and name.
    services: BTreeMap<(String, String), Svc>,
    /// Endpoints (from Endpoints and EndpointSlices) by namespace and Service name.
    endpoints: BTreeMap<(String, String), Endpoints>,
    /// Namespaces some object is in, with the first line that shows it, and whether only an assumed `default`
    /// shows it.
    namespaces: BTreeMap<String, (Evidence, bool)>,
    /// Pods by namespace.
    pods: BTreeMap<String, Vec<PodInfo>>,
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

    /// The configuration answers are computed with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the cluster DNS answers for `name` (fully qualified; a missing trailing dot is added) and `qtype`.
    pub fn answer(&self, name: &str, qtype: RecordType) -> Answer {
        self.answer_at(name, qtype, 0)
    }
}
