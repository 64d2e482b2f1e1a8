//! What `kubectl` output tells about a cluster: Services, Endpoints, EndpointSlices and Pods, as owned plain data.
//!
//! Each format says a different part of the truth (a `get endpoints` table loses the protocol and stops after three
//! addresses, `describe svc` shows no cluster IP family, JSON says everything), so every field a format may leave
//! unsaid is an `Option` (or an empty list, where the doc comment says so), and nothing is filled in by guessing.
//! Every object keeps the 1-based line it starts on in its input; the analysis adds the input's name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Labels or a selector: `key → value`, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// Which kind of kubectl output an object was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A `kubectl get` table (one row).
    Table,
    /// `kubectl describe`.
    Describe,
    /// `-o json`.
    Json,
    /// `-o yaml`.
    Yaml,
}

/// Everything read from one kubectl input, in input order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Objects {
    /// Services.
    pub services: Vec<KubeService>,
    /// Endpoints objects (core/v1).
    pub endpoints: Vec<KubeEndpoints>,
    /// EndpointSlices (discovery.k8s.io/v1).
    pub endpoint_slices: Vec<KubeEndpointSlice>,
    /// Pods.
    pub pods: Vec<KubePod>,
    /// ConfigMaps that carry a CoreDNS `Corefile`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_maps: Vec<KubeConfigMap>,
}

impl Objects {
    /// Whether nothing at all was read.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
            && self.endpoints.is_empty()
            && self.endpoint_slices.is_empty()
            && self.pods.is_empty()
            && self.config_maps.is_empty()
    }

    /// How many objects were read.
    pub fn len(&self) -> usize {
        self.services.len()
            + self.endpoints.len()
            + self.endpoint_slices.len()
            + self.pods.len()
            + self.config_maps.len()
    }

    /// Appends everything of `other`.
    pub fn extend(&mut self, other: Objects) {
        self.services.extend(other.services);
        self.endpoints.extend(other.endpoints);
        self.endpoint_slices.extend(other.endpoint_slices);
        self.pods.extend(other.pods);
        self.config_maps.extend(other.config_maps);
    }
}

/// A Service (core/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeService {
    /// 1-based line where the object starts (table row, `Name:` line, or the object's first line in JSON/YAML).
    pub line: u32,
    /// What it was read from.
    pub origin: Origin,
    /// `None` when the format does not say (a table without `-A` and no `-n` on the command line above it).
    pub namespace: Option<String>,
    /// The Service's name.
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`, as Kubernetes writes it; `None` for old tables
    /// without a TYPE column.
    #[serde(rename = "type")]
    pub service_type: Option<String>,
    /// `spec.clusterIPs` (a table or describe without `IPs` shows only the first). Empty for headless and
    /// ExternalName services and when the format does not show it.
    pub cluster_ips: Vec<String>,
    /// Whether the cluster IP is `None`; `None` when the format does not show the cluster IP.
    pub headless: Option<bool>,
    /// `spec.externalIPs`; `None` when the format does not separate them (a LoadBalancer's EXTERNAL-IP cell mixes
    /// them into the ingress list) or does not show them.
    pub external_ips: Option<Vec<String>>,
    /// `status.loadBalancer.ingress`; `None` when the format does not show it. From a table, this is the
    /// LoadBalancer's EXTERNAL-IP cell, which also lists any `externalIPs` after the ingress.
    pub load_balancer_ingress: Option<Vec<LoadBalancerIngress>>,
    /// The EXTERNAL-IP cell was cut to 16 characters (`get svc` without `-o wide`), so the lists above are incomplete.
    pub external_truncated: bool,
    /// The Service ports, in order.
    pub ports: Vec<KubeServicePort>,
    /// `spec.selector`; `Some(empty)` for `<none>`; `None` when the format does not show it.
    pub selector: Option<Labels>,
    /// `metadata.labels`; `None` when the format does not show them.
    pub labels: Option<Labels>,
    /// `None` or `ClientIP`.
    pub session_affinity: Option<String>,
    /// `sessionAffinityConfig.clientIP.timeoutSeconds`.
    pub session_affinity_timeout_secs: Option<u32>,
    /// `Cluster` or `Local`.
    pub external_traffic_policy: Option<String>,
    /// `Cluster` or `Local`.
    pub internal_traffic_policy: Option<String>,
    /// `spec.healthCheckNodePort` (eTP=Local LoadBalancers).
    pub health_check_node_port: Option<u16>,
    /// `spec.loadBalancerSourceRanges`, as written; empty when none are set or shown.
    pub load_balancer_source_ranges: Vec<String>,
    /// `spec.externalName` of an ExternalName Service.
    pub external_name: Option<String>,
}

impl KubeService {
    /// A Service known only by its name, where it was read and how: every other field is unknown.
    pub fn named(line: u32, origin: Origin, name: String) -> Self {
        Self {
            line,
            origin,
            namespace: None,
            name,
            service_type: None,
            cluster_ips: Vec::new(),
            headless: None,
            external_ips: None,
            load_balancer_ingress: None,
            external_truncated: false,
            ports: Vec::new(),
            selector: None,
            labels: None,
            session_affinity: None,
            session_affinity_timeout_secs: None,
            external_traffic_policy: None,
            internal_traffic_policy: None,
            health_check_node_port: None,
            load_balancer_source_ranges: Vec::new(),
            external_name: None,
        }
    }
}

/// One entry of `status.loadBalancer.ingress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerIngress {
    /// The ingress IP.
    pub ip: Option<String>,
    /// The ingress hostname (cloud load balancers that hand out names).
    pub hostname: Option<String>,
    /// `VIP` or `Proxy` (`ipMode`, 1.29+).
    pub ip_mode: Option<String>,
}

/// A Service's target port: a number, or the name of a container port resolved per pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetPort {
    /// A port number.
    Number(u16),
    /// A named container port.
    Name(String),
}

/// One port of a Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeServicePort {
    /// 1-based line that says it (the table row, the `Port:` line, or the object's line in JSON/YAML).
    pub line: u32,
    /// `Some("")` for an unnamed port (`<unset>`, or no `name` in JSON); `None` when the format does not show
    /// names (tables).
    pub name: Option<String>,
    /// `TCP`, `UDP` or `SCTP`, upper-case as Kubernetes writes it (`TCP`, the API default, when JSON/YAML omits it).
    pub protocol: String,
    /// The service port.
    pub port: u16,
    /// The target port; `None` when the format does not show it (tables).
    pub target_port: Option<TargetPort>,
    /// The node port, when one is allocated.
    pub node_port: Option<u16>,
    /// `appProtocol`.
    pub app_protocol: Option<String>,
    /// The `Endpoints:` line of `kubectl describe svc` for this port; `None` from other formats.
    pub endpoints: Option<DescribedEndpoints>,
}

/// The endpoints `kubectl describe svc` lists for one port: ready addresses only, at most three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribedEndpoints {
    /// 1-based line of the `Endpoints:` value.
    pub line: u32,
    /// `ip:port` entries in the order shown (a bare IP has no port).
    pub addresses: Vec<HostPort>,
    /// `N` of a trailing ` + N more...`.
    pub truncated_more: Option<u32>,
    /// The value was `<none>`: no Endpoints/EndpointSlice object exists (empty `addresses` without it means that
    /// objects exist but no endpoint is ready).
    pub none: bool,
}

/// An address with an optional port, as kubectl prints `JoinHostPort(ip, port)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPort {
    /// The IP address (IPv6 without brackets).
    pub ip: String,
    /// The port, absent for a bare address.
    pub port: Option<u16>,
}

/// A reference from an endpoint to the object behind it (usually a Pod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRef {
    /// `Pod`, usually.
    pub kind: Option<String>,
    /// Its namespace.
    pub namespace: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// An Endpoints object (core/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeEndpoints {
    /// 1-based line where the object starts.
    pub line: u32,
    /// What it was read from.
    pub origin: Origin,
    /// `None` when the format does not say.
    pub namespace: Option<String>,
    /// The name (the Service's name).
    pub name: String,
    /// The subsets. From a table, whose cell lists `ip:port` iterating subsets → ports → ready addresses, each run
    /// of entries with one port and no repeated address becomes one subset with that port (names and protocols
    /// unknown), and not-ready addresses are never shown.
    pub subsets: Vec<EndpointSubset>,
    /// `N` of the table's trailing ` + N more...`: that many `ip:port` entries were not shown.
    pub truncated_more: Option<u32>,
}

/// One subset of an Endpoints object: every address serves every port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSubset {
    /// Ready addresses.
    pub addresses: Vec<EndpointAddress>,
    /// Not-ready addresses (never shown by tables).
    pub not_ready_addresses: Vec<EndpointAddress>,
    /// The ports.
    pub ports: Vec<EndpointPort>,
}

/// One address of an Endpoints subset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointAddress {
    /// 1-based line that says it.
    pub line: u32,
    /// The IP.
    pub ip: String,
    /// `nodeName`.
    pub node_name: Option<String>,
    /// `hostname` (pods with `spec.hostname` and `spec.subdomain`).
    pub hostname: Option<String>,
    /// The pod behind it.
    pub target: Option<TargetRef>,
}

/// A port of an Endpoints subset or of an EndpointSlice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointPort {
    /// The Service port's name: `Some("")` when unnamed, `None` when the format does not say.
    pub name: Option<String>,
    /// The resolved target port; `None` when the slice's port is nil (`*` or a name in the table).
    pub port: Option<u16>,
    /// `TCP`, `UDP` or `SCTP`; `None` when the format does not say (tables).
    pub protocol: Option<String>,
}

/// An EndpointSlice (discovery.k8s.io/v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeEndpointSlice {
    /// 1-based line where the object starts.
    pub line: u32,
    /// What it was read from.
    pub origin: Origin,
    /// `None` when the format does not say.
    pub namespace: Option<String>,
    /// The slice's name (`<service>-<5 random characters>`, or exactly `kubernetes` for the mirrored slice).
    pub name: String,
    /// The label `kubernetes.io/service-name`; `None` when the format does not show labels (tables: see
    /// [`KubeEndpointSlice::probable_service_name`]).
    pub service_name: Option<String>,
    /// `IPv4`, `IPv6` or `FQDN`.
    pub address_type: Option<String>,
    /// The ports.
    pub ports: Vec<EndpointPort>,
    /// `N` of the table's ` + N more...` after the ports.
    pub ports_truncated_more: Option<u32>,
    /// The endpoints. A table shows only addresses (each becomes an endpoint with unknown conditions).
    pub endpoints: Vec<SliceEndpoint>,
    /// `N` of the table's ` + N more...` after the addresses.
    pub truncated_more: Option<u32>,
}

impl KubeEndpointSlice {
    /// The Service this slice belongs to: the `kubernetes.io/service-name` label, or else, for a table, the name
    /// with a generateName suffix (`-` and 5 characters of the Kubernetes random alphabet) removed, or `kubernetes`.
    pub fn probable_service_name(&self) -> Option<&str> {
        if let Some(name) = &self.service_name {
            return Some(name);
        }
        if self.name == "kubernetes" {
            return Some("kubernetes");
        }
        let (service, suffix) = self.name.rsplit_once('-')?;
        // utilrand's alphabet: no vowels, no 0, 1 or 3, so that names do not spell words.
        const ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";
        let generated = suffix.chars().count() == 5 && suffix.chars().all(|c| ALPHABET.contains(c));
        (generated && !service.is_empty()).then_some(service)
    }
}

/// One endpoint of an EndpointSlice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceEndpoint {
    /// 1-based line that says it.
    pub line: u32,
    /// Its addresses (kube-proxy and describe use the first).
    pub addresses: Vec<String>,
    /// `conditions.ready`; nil means ready to Kubernetes, and `None` here means the input did not say.
    pub ready: Option<bool>,
    /// `conditions.serving`.
    pub serving: Option<bool>,
    /// `conditions.terminating`.
    pub terminating: Option<bool>,
    /// `nodeName`.
    pub node_name: Option<String>,
    /// `zone`.
    pub zone: Option<String>,
    /// `hostname`.
    pub hostname: Option<String>,
    /// The pod behind it.
    pub target: Option<TargetRef>,
}

/// A Pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubePod {
    /// 1-based line where the object starts.
    pub line: u32,
    /// What it was read from.
    pub origin: Origin,
    /// `None` when the format does not say.
    pub namespace: Option<String>,
    /// The pod's name.
    pub name: String,
    /// `status.podIPs` (a table shows only the first); empty for `<none>`.
    pub ips: Vec<String>,
    /// `spec.nodeName`; `None` when unscheduled or not shown.
    pub node: Option<String>,
    /// `spec.hostNetwork` (false when JSON/YAML omits it); `None` from tables, which do not show it (a
    /// hostNetwork pod's IP is its node's IP).
    pub host_network: Option<bool>,
    /// The table's STATUS text (`Running`, `CrashLoopBackOff`, `Init:0/1`, …), or `status.phase` from JSON/YAML.
    pub status: Option<String>,
    /// The table's READY text (`1/1`), or from JSON/YAML the ready container statuses over `spec.containers`.
    pub ready: Option<String>,
    /// The table's RESTARTS text (`2 (3h ago)`).
    pub restarts: Option<String>,
    /// `metadata.labels`; `None` when not shown (tables without `--show-labels`).
    pub labels: Option<Labels>,
}

/// A ConfigMap with a `Corefile` data key (CoreDNS's `kube-system/coredns`, NodeLocal DNSCache's
/// `node-local-dns`), as `kubectl get configmap -o yaml|json` prints it. Other ConfigMaps are not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeConfigMap {
    /// 1-based line where the object starts.
    pub line: u32,
    /// What it was read from.
    pub origin: Origin,
    /// `None` when the object does not say.
    pub namespace: Option<String>,
    /// The ConfigMap's name.
    pub name: String,
    /// The text of its `Corefile` key. Not serialised: the analysis reports the parsed Corefile.
    #[serde(skip)]
    pub corefile: String,
    /// Where that text is in the input, when it was found.
    pub corefile_at: Option<TextAt>,
}

/// Where a multi-line value of a JSON or YAML object is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextAt {
    /// A YAML block scalar (`Corefile: |`): the value's line k (1-based) is input line `first_line + k - 1`,
    /// indented by `indent` characters.
    Lines {
        /// The input line of the value's first line.
        first_line: u32,
        /// The block's indentation, in characters.
        indent: u32,
    },
    /// One quoted string (JSON, or a quoted YAML scalar) that starts on input line `line`.
    String {
        /// The input line of the key.
        line: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(name: &str) -> KubeEndpointSlice {
        KubeEndpointSlice {
            line: 1,
            origin: Origin::Table,
            namespace: None,
            name: name.to_string(),
            service_name: None,
            address_type: None,
            ports: Vec::new(),
            ports_truncated_more: None,
            endpoints: Vec::new(),
            truncated_more: None,
        }
    }

    #[test]
    fn probable_service_name_strips_a_generated_suffix_only() {
        assert_eq!(
            slice("kube-dns-xk2p7").probable_service_name(),
            Some("kube-dns")
        );
        assert_eq!(
            slice("kubernetes").probable_service_name(),
            Some("kubernetes")
        );
        // `a` is not in the alphabet, and `svc1-1` has no five-character suffix.
        assert_eq!(slice("web-abcde").probable_service_name(), None);
        assert_eq!(slice("svc1-1").probable_service_name(), None);
        let mut labelled = slice("svc1-1");
        labelled.service_name = Some("svc1".to_string());
        assert_eq!(labelled.probable_service_name(), Some("svc1"));
    }

    #[test]
    fn target_port_serialises_as_number_or_string() {
        assert_eq!(
            serde_json::to_string(&TargetPort::Number(8080)).unwrap(),
            "8080"
        );
        assert_eq!(
            serde_json::to_string(&TargetPort::Name("http".into())).unwrap(),
            "\"http\""
        );
    }
}
