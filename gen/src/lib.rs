//! Deterministic generator of large kube-proxy `iptables-save` dumps, for dnatlas's benchmarks and tests.
//!
//! [`generate`] writes what `iptables-save` prints on a node whose kube-proxy (iptables mode, ≈1.28+ layout) serves
//! a given number of Services: `*mangle` with the canaries, `*filter` with `KUBE-SERVICES`,
//! `KUBE-EXTERNAL-SERVICES`, `KUBE-NODEPORTS`, `KUBE-PROXY-FIREWALL`, `KUBE-FORWARD` and `KUBE-FIREWALL`, and
//! `*nat` with the cluster-IP jumps, `KUBE-SVC`/`KUBE-SVL` chains (masquerade rule first, then the `statistic`
//! cascade printed `%.11f` as iptables-save shows it), `KUBE-SEP` chains (hairpin and DNAT), `KUBE-EXT` chains and
//! `KUBE-NODEPORTS` rules for NodePort and LoadBalancer Services, `KUBE-FW` chains for `loadBalancerSourceRanges`,
//! ClientIP affinity with `-m recent`, and filter `REJECT` rules for Services with no endpoints. Chain names are
//! kube-proxy's real hashes ([`dnatlas_core::model::hash`]), so every name checks.
//!
//! The output is canonical `iptables-save` form (docs/domain/kube-proxy-iptables.md §7): fixed option order, `/32` on addresses, quoted comments,
//! `--set-xmark`, `--reject-with`, `recent` options in save order. Built-in chains come first, then user chains
//! sorted by name, as `iptables-legacy-save` prints them. The same [`Config`] always gives the same bytes: the only
//! randomness is a seeded xorshift generator.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use dnatlas_core::model::hash;

pub mod capture;
pub mod hostile;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Number of Service objects (each has one to three ports). Includes `default/kubernetes` and
    /// `kube-system/kube-dns`, which come first.
    pub services: usize,
    /// Seed of the pseudo-random choices (mix of Service types, names, endpoint counts).
    pub seed: u64,
    /// How many endpoints a Service with endpoints has.
    pub endpoints: EndpointCount,
    /// Percentage of Services that have no endpoints at all (filter `REJECT` rules, no nat chains).
    pub empty_percent: u32,
    /// Whether `KUBE-SVC → KUBE-SEP` and `KUBE-SEP` rules carry comments. kube-proxy drops them in its
    /// large-cluster mode (more than 1000 endpoint chains); the default keeps them, which is what a node with
    /// `--conntrack`-era defaults and most support dumps show.
    pub endpoint_comments: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            services: 10_000,
            seed: 1,
            endpoints: EndpointCount::default(),
            empty_percent: 2,
            endpoint_comments: true,
        }
    }
}

/// The number of endpoints of a Service with endpoints: `min + ⌊(max − min + 1) · u^skew⌋` for `u` uniform in
/// [0, 1), so `skew` 1 is uniform and larger values favour small counts, as in real clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointCount {
    /// Fewest endpoints.
    pub min: u32,
    /// Most endpoints.
    pub max: u32,
    /// Exponent of the skew towards `min` (1 = uniform).
    pub skew: u32,
}

impl Default for EndpointCount {
    /// 1 to 8 endpoints, skewed towards few (mean ≈ 3.2): calibrated so that 10,000 Services give
    /// ≈185,000 rules and ≈30 MB.
    fn default() -> Self {
        Self {
            min: 1,
            max: 8,
            skew: 2,
        }
    }
}

impl FromStr for EndpointCount {
    type Err = String;

    /// Reads `N`, `MIN-MAX` (uniform) or `MIN-MAX^SKEW`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not N, MIN-MAX or MIN-MAX^SKEW");
        let (range, skew) = match s.split_once('^') {
            Some((range, skew)) => (range, skew.parse::<u32>().map_err(|_| bad())?),
            None => (s, 1),
        };
        let (min, max) = match range.split_once('-') {
            Some((min, max)) => (
                min.parse::<u32>().map_err(|_| bad())?,
                max.parse::<u32>().map_err(|_| bad())?,
            ),
            None => {
                let n = range.parse::<u32>().map_err(|_| bad())?;
                (n, n)
            }
        };
        if min == 0 || max < min || skew == 0 {
            return Err(format!(
                "{s:?}: need 1 <= MIN <= MAX and SKEW >= 1 (use --empty-percent for Services without endpoints)"
            ));
        }
        Ok(Self { min, max, skew })
    }
}

/// A generated dump and what it contains, for checking an analysis against.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The `iptables-save` text.
    pub text: String,
    /// Number of Service objects.
    pub services: usize,
    /// Every Service port, in generation order.
    pub ports: Vec<ServicePort>,
}

impl Dump {
    /// Number of rules (`-A` lines).
    pub fn rule_count(&self) -> usize {
        self.text.lines().filter(|l| l.starts_with("-A ")).count()
    }

    /// Number of chain declarations (`:CHAIN` lines).
    pub fn chain_count(&self) -> usize {
        self.text.lines().filter(|l| l.starts_with(':')).count()
    }

    /// Number of endpoints over all Service ports, as reached through the cluster IP.
    pub fn endpoint_count(&self) -> usize {
        self.ports.iter().map(|p| p.endpoints.len()).sum()
    }
}

/// One Service port as the dump routes it through its cluster IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Port name (`""` for the single unnamed port).
    pub port_name: String,
    /// `tcp` or `udp`.
    pub protocol: &'static str,
    /// The ServicePortName string, `ns/name[:port]`.
    pub spn: String,
    /// The cluster IP.
    pub cluster_ip: String,
    /// The Service port.
    pub port: u16,
    /// The chain the cluster IP jumps to (`KUBE-SVC-…`, or `KUBE-SVL-…` with internalTrafficPolicy Local); `None`
    /// when the Service has no endpoints and only a filter `REJECT` rule.
    pub chain: Option<String>,
    /// The endpoints behind the cluster IP (`ip`, `port`), in cascade order.
    pub endpoints: Vec<(String, u16)>,
    /// ClientIP affinity timeout.
    pub affinity_timeout_secs: Option<u32>,
}

/// xorshift64*: small, fast and good enough to pick a mix; never used for anything that needs real randomness.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that nearby seeds give unrelated streams and 0 is allowed.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `percent`/100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len() as u64) as usize)
            .copied()
            .unwrap_or_default()
    }
}

/// The pod network (`--cluster-cidr`), used by the masquerade rules.
pub const CLUSTER_CIDR: &str = "10.128.0.0/12";

const NAMESPACE_WORDS: &[&str] = &[
    "payments",
    "checkout",
    "catalog",
    "search",
    "identity",
    "billing",
    "ledger",
    "orders",
    "inventory",
    "shipping",
    "analytics",
    "reporting",
    "notifications",
    "messaging",
    "media",
    "recommendations",
    "fraud",
    "pricing",
    "accounts",
    "onboarding",
    "support",
    "marketing",
    "logistics",
    "warehouse",
];
const ENVIRONMENTS: &[&str] = &["prod", "staging", "qa", "dev", "canary", "eu", "us"];
const SERVICE_WORDS: &[&str] = &[
    "api",
    "gateway",
    "worker",
    "frontend",
    "backend",
    "cache",
    "db",
    "proxy",
    "scheduler",
    "indexer",
    "collector",
    "exporter",
    "controller",
    "webhook",
    "auth",
    "session",
    "stream",
    "events",
    "queue",
    "store",
    "render",
    "thumbnailer",
    "resolver",
    "router",
];
const SINGLE_PORTS: &[(u16, u16)] = &[
    (80, 8080),
    (443, 8443),
    (8080, 8080),
    (9090, 9090),
    (5432, 5432),
    (6379, 6379),
    (3306, 3306),
    (50051, 50051),
    (11211, 11211),
];
const NAMED_PORTS: &[(&str, u16, u16)] = &[
    ("http", 80, 8080),
    ("https", 443, 8443),
    ("grpc", 9000, 9000),
    ("metrics", 9100, 9100),
    ("admin", 8081, 8081),
    ("health", 8086, 8086),
];

/// One port of a generated Service, before it is written.
#[derive(Debug, Clone)]
struct PortSpec {
    name: String,
    protocol: &'static str,
    port: u16,
    target_port: u16,
    node_port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    ClusterIp,
    NodePort,
    LoadBalancer,
}

/// One generated Service object.
#[derive(Debug, Clone)]
struct ServiceSpec {
    namespace: String,
    name: String,
    kind: Type,
    cluster_ip: String,
    ports: Vec<PortSpec>,
    /// Pod IPs, local ones first.
    pods: Vec<String>,
    local_pods: usize,
    external_local: bool,
    internal_local: bool,
    affinity_secs: Option<u32>,
    external_ip: Option<String>,
    lb_ip: Option<String>,
    source_ranges: bool,
    health_check_node_port: Option<u16>,
}

/// The tables being written: built-in chains in hook order, then user chains (sorted on output).
#[derive(Debug, Default)]
struct Tables {
    filter: BTreeMap<String, Vec<String>>,
    nat: BTreeMap<String, Vec<String>>,
}

impl Tables {
    fn nat(&mut self, chain: &str, rule: String) {
        self.nat.entry(chain.to_string()).or_default().push(rule);
    }

    fn filter(&mut self, chain: &str, rule: String) {
        self.filter.entry(chain.to_string()).or_default().push(rule);
    }
}

/// `xtables_save_string`: the value as is when it only has `[A-Za-z0-9_-]`, otherwise double-quoted with `"`, `\`
/// and `'` escaped.
fn save_string(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The `--probability` text `iptables-save` prints for kube-proxy's rule `i` of `n`: kube-proxy writes
/// `%0.10f` of `1/(n−i)`, iptables stores `lround(2^31·p)` and prints `%.11f` of it (docs/domain/kube-proxy-iptables.md §4).
pub fn saved_probability(remaining: usize) -> String {
    let written = format!("{:.10}", 1.0 / remaining as f64);
    let p: f64 = written.parse().unwrap_or(0.0);
    let stored = (p * 2_147_483_648.0).round();
    format!("{:.11}", stored / 2_147_483_648.0)
}

fn ipv4(base: u32, offset: u32) -> String {
    let a = base.wrapping_add(offset);
    format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 0xff,
        (a >> 8) & 0xff,
        a & 0xff
    )
}

const SERVICE_BASE: u32 = 10 << 24 | 96 << 16; // 10.96.0.0/12
const POD_BASE: u32 = 10 << 24 | 128 << 16; // 10.128.0.0/12; this node's pods are 10.128.0.0/24
const LB_BASE: u32 = 172 << 24 | 16 << 16; // 172.16.0.0/12
const EXTERNAL_BASE: u32 = 192 << 24 | 168 << 16 | 100 << 8; // 192.168.100.0/22

/// Allocates addresses and ports deterministically.
#[derive(Debug)]
struct Allocator {
    next_pod: u32,
    next_local: u32,
    next_node_port: u32,
    next_lb: u32,
    next_external: u32,
}

impl Allocator {
    fn cluster_ip(index: usize) -> String {
        // A bijection of the index onto 10.96.0.16 … 10.111.255.255, so addresses look scattered but never repeat.
        const SPAN: u64 = (1 << 20) - 32;
        let offset = 16 + (index as u64 * 1_000_003 + 12_345) % SPAN;
        ipv4(SERVICE_BASE, offset as u32)
    }

    fn pod(&mut self) -> String {
        // Other nodes' pods: 10.128.1.2 onwards, skipping .0, .1 and .255 of each /24, wrapping inside the /12.
        loop {
            self.next_pod = (self.next_pod + 1) % ((1 << 20) - 256);
            let offset = 256 + self.next_pod;
            if !matches!(offset & 0xff, 0 | 1 | 255) {
                return ipv4(POD_BASE, offset);
            }
        }
    }

    fn local_pod(&mut self) -> String {
        self.next_local = self.next_local % 252 + 1;
        ipv4(POD_BASE, 1 + self.next_local)
    }

    fn node_port(&mut self) -> u16 {
        // 30000–32767 is the default range; larger clusters raise `--service-node-port-range`, so keep counting.
        let port = 30_000 + self.next_node_port % 35_536;
        self.next_node_port += 1;
        port as u16
    }

    fn lb_ip(&mut self) -> String {
        self.next_lb += 1;
        ipv4(LB_BASE, self.next_lb)
    }

    fn external_ip(&mut self) -> String {
        self.next_external = self.next_external % 1000 + 1;
        ipv4(EXTERNAL_BASE, self.next_external)
    }
}

/// Generates a dump.
pub fn generate(config: &Config) -> Dump {
    let mut rng = Rng::new(config.seed);
    let mut alloc = Allocator {
        next_pod: 0,
        next_local: 0,
        next_node_port: 0,
        next_lb: 0,
        next_external: 0,
    };
    let mut specs = Vec::with_capacity(config.services);
    let mut names = std::collections::HashSet::new();
    for index in 0..config.services {
        let spec = match index {
            0 => kubernetes_service(),
            1 => kube_dns_service(&mut alloc),
            _ => random_service(index, config, &mut rng, &mut alloc, &mut names),
        };
        specs.push(spec);
    }
    let mut tables = Tables::default();
    let mut ports = Vec::new();
    for spec in &specs {
        write_service(spec, config, &mut tables, &mut ports);
    }
    Dump {
        text: render(tables),
        services: config.services,
        ports,
    }
}

fn kubernetes_service() -> ServiceSpec {
    ServiceSpec {
        namespace: "default".into(),
        name: "kubernetes".into(),
        kind: Type::ClusterIp,
        cluster_ip: "10.96.0.1".into(),
        ports: vec![PortSpec {
            name: "https".into(),
            protocol: "tcp",
            port: 443,
            target_port: 6443,
            node_port: None,
        }],
        pods: vec![
            "192.168.0.11".into(),
            "192.168.0.12".into(),
            "192.168.0.13".into(),
        ],
        local_pods: 0,
        external_local: false,
        internal_local: false,
        affinity_secs: None,
        external_ip: None,
        lb_ip: None,
        source_ranges: false,
        health_check_node_port: None,
    }
}

fn kube_dns_service(alloc: &mut Allocator) -> ServiceSpec {
    let port = |name: &str, protocol, port, target_port| PortSpec {
        name: name.into(),
        protocol,
        port,
        target_port,
        node_port: None,
    };
    ServiceSpec {
        namespace: "kube-system".into(),
        name: "kube-dns".into(),
        kind: Type::ClusterIp,
        cluster_ip: "10.96.0.10".into(),
        ports: vec![
            port("dns", "udp", 53, 53),
            port("dns-tcp", "tcp", 53, 53),
            port("metrics", "tcp", 9153, 9153),
        ],
        pods: vec![alloc.pod(), alloc.pod()],
        local_pods: 0,
        external_local: false,
        internal_local: false,
        affinity_secs: None,
        external_ip: None,
        lb_ip: None,
        source_ranges: false,
        health_check_node_port: None,
    }
}

fn random_service(
    index: usize,
    config: &Config,
    rng: &mut Rng,
    alloc: &mut Allocator,
    names: &mut std::collections::HashSet<(String, String)>,
) -> ServiceSpec {
    let namespace = format!("{}-{}", rng.pick(NAMESPACE_WORDS), rng.pick(ENVIRONMENTS));
    let mut name = format!("{}-{}", rng.pick(SERVICE_WORDS), rng.pick(SERVICE_WORDS));
    if !names.insert((namespace.clone(), name.clone())) {
        name = format!("{name}-{index}");
        names.insert((namespace.clone(), name.clone()));
    }
    let kind = match rng.below(100) {
        0..72 => Type::ClusterIp,
        72..88 => Type::NodePort,
        _ => Type::LoadBalancer,
    };
    let port_count = match rng.below(100) {
        0..68 => 1,
        68..94 => 2,
        _ => 3,
    };
    let mut ports = Vec::with_capacity(port_count);
    if port_count == 1 {
        let (port, target_port) = SINGLE_PORTS
            .get(rng.below(SINGLE_PORTS.len() as u64) as usize)
            .copied()
            .unwrap_or((80, 8080));
        let udp = rng.percent(4);
        ports.push(PortSpec {
            // Single ports are mostly unnamed, which makes the ServicePortName just `ns/name`.
            name: if rng.percent(20) {
                "http".into()
            } else {
                String::new()
            },
            protocol: if udp { "udp" } else { "tcp" },
            port,
            target_port,
            node_port: None,
        });
    } else {
        let first = rng.below(NAMED_PORTS.len() as u64) as usize;
        for k in 0..port_count {
            let (port_name, port, target_port) = NAMED_PORTS
                .get((first + k) % NAMED_PORTS.len())
                .copied()
                .unwrap_or(("http", 80, 8080));
            ports.push(PortSpec {
                name: port_name.into(),
                protocol: "tcp",
                port,
                target_port,
                node_port: None,
            });
        }
    }
    if kind != Type::ClusterIp {
        for port in &mut ports {
            port.node_port = Some(alloc.node_port());
        }
    }
    let empty = rng.percent(u64::from(config.empty_percent));
    let count = if empty {
        0
    } else {
        let e = config.endpoints;
        let span = f64::from(e.max - e.min + 1);
        let u = rng.unit().powi(e.skew as i32);
        (e.min + (span * u) as u32).min(e.max) as usize
    };
    let external_ip = (kind != Type::LoadBalancer && rng.percent(3)).then(|| alloc.external_ip());
    let externally_accessible = kind != Type::ClusterIp || external_ip.is_some();
    let external_local = externally_accessible && rng.percent(35);
    let internal_local = !externally_accessible && count > 0 && rng.percent(1);
    let local_pods = if external_local && count > 0 {
        // Most eTP=Local Services have an endpoint or two on a given node; some have none here.
        if rng.percent(30) {
            0
        } else {
            1 + usize::from(count >= 4 && rng.percent(50))
        }
    } else if internal_local {
        1
    } else {
        0
    };
    let mut pods = Vec::with_capacity(count);
    for i in 0..count {
        pods.push(if i < local_pods {
            alloc.local_pod()
        } else {
            alloc.pod()
        });
    }
    let lb_ip = (kind == Type::LoadBalancer).then(|| alloc.lb_ip());
    let source_ranges = kind == Type::LoadBalancer && rng.percent(25);
    let health_check_node_port =
        (kind == Type::LoadBalancer && external_local).then(|| alloc.node_port());
    let affinity_secs = rng
        .percent(6)
        .then(|| if rng.percent(80) { 10_800 } else { 3_600 });
    ServiceSpec {
        namespace,
        name,
        kind,
        cluster_ip: Allocator::cluster_ip(index),
        ports,
        pods,
        local_pods,
        external_local,
        internal_local,
        affinity_secs,
        external_ip,
        lb_ip,
        source_ranges,
        health_check_node_port,
    }
}

/// Writes one Service's rules, port by port, the way kube-proxy's `syncProxyRules` does.
fn write_service(
    spec: &ServiceSpec,
    config: &Config,
    tables: &mut Tables,
    ports: &mut Vec<ServicePort>,
) {
    for port in &spec.ports {
        let spn = if port.name.is_empty() {
            format!("{}/{}", spec.namespace, spec.name)
        } else {
            format!("{}/{}:{}", spec.namespace, spec.name, port.name)
        };
        let proto = port.protocol;
        let h = hash::service_hash(&spn, proto);
        let svc = format!("KUBE-SVC-{h}");
        let svl = format!("KUBE-SVL-{h}");
        let ext = format!("KUBE-EXT-{h}");
        let fw = format!("KUBE-FW-{h}");
        let cip = &spec.cluster_ip;
        let dport = port.port;
        let endpoints: Vec<(String, u16, String)> = spec
            .pods
            .iter()
            .map(|ip| {
                let address = format!("{ip}:{}", port.target_port);
                let sep = format!("KUBE-SEP-{}", hash::endpoint_hash(&spn, proto, &address));
                (ip.clone(), port.target_port, sep)
            })
            .collect();
        let local = endpoints.get(..spec.local_pods).unwrap_or_default();
        let externally_accessible = spec.kind != Type::ClusterIp || spec.external_ip.is_some();
        let has_external_endpoints = !spec.external_local || !local.is_empty();
        let cluster_comment = save_string(&format!("{spn} cluster IP"));

        if endpoints.is_empty() {
            // No endpoints at all: filter REJECTs, and no nat chains (docs/domain/kube-proxy-iptables.md §3).
            let comment = save_string(&format!("{spn} has no endpoints"));
            tables.filter(
                "KUBE-SERVICES",
                format!("-d {cip}/32 -p {proto} -m comment --comment {comment} -m {proto} --dport {dport} -j REJECT --reject-with icmp-port-unreachable"),
            );
            external_filter_rules(
                spec,
                port,
                &comment,
                "REJECT --reject-with icmp-port-unreachable",
                tables,
            );
            ports.push(service_port(spec, port, &spn, None, Vec::new()));
            continue;
        }

        // The cluster IP, and its masquerade rule at the top of the internal traffic chain.
        let internal_chain = if spec.internal_local { &svl } else { &svc };
        tables.nat(
            "KUBE-SERVICES",
            format!("-d {cip}/32 -p {proto} -m comment --comment {cluster_comment} -m {proto} --dport {dport} -j {internal_chain}"),
        );
        tables.nat(
            internal_chain,
            format!("! -s {CLUSTER_CIDR} -d {cip}/32 -p {proto} -m comment --comment {cluster_comment} -m {proto} --dport {dport} -j KUBE-MARK-MASQ"),
        );

        // External entry points: external IP, load-balancer IP (through KUBE-FW with source ranges), node port.
        if externally_accessible {
            let names = PortNames {
                spn: &spn,
                svc: &svc,
                svl: &svl,
                ext: &ext,
                fw: &fw,
            };
            external_entry_points(spec, port, &names, has_external_endpoints, tables);
        }

        // The policy chains: the cluster chain over every endpoint, the local chain over this node's.
        let uses_cluster_chain = !spec.internal_local;
        let uses_local_chain = (spec.internal_local || spec.external_local) && !local.is_empty();
        if uses_cluster_chain {
            endpoint_jumps(&svc, &spn, &endpoints, spec, config, tables);
        }
        if uses_local_chain {
            endpoint_jumps(&svl, &spn, local, spec, config, tables);
        }

        // The endpoint chains: hairpin masquerade, then DNAT (with the affinity list when ClientIP).
        let sep_comment = save_string(&spn);
        for (ip, target_port, sep) in &endpoints {
            let comment = if config.endpoint_comments {
                format!(" -m comment --comment {sep_comment}")
            } else {
                String::new()
            };
            tables.nat(sep, format!("-s {ip}/32{comment} -j KUBE-MARK-MASQ"));
            let recent = if spec.affinity_secs.is_some() {
                format!(" -m recent --set --name {sep} --mask 255.255.255.255 --rsource")
            } else {
                String::new()
            };
            tables.nat(
                sep,
                format!("-p {proto}{comment}{recent} -m {proto} -j DNAT --to-destination {ip}:{target_port}"),
            );
        }

        let reached = if spec.internal_local {
            local
        } else {
            &endpoints[..]
        };
        ports.push(service_port(
            spec,
            port,
            &spn,
            Some(internal_chain.clone()),
            reached.iter().map(|(ip, p, _)| (ip.clone(), *p)).collect(),
        ));
    }
}

/// The names one Service port's rules are written with.
struct PortNames<'a> {
    spn: &'a str,
    svc: &'a str,
    svl: &'a str,
    ext: &'a str,
    fw: &'a str,
}

/// The nat and filter rules of a Service port's external entry points: external IP, load-balancer IP (through
/// KUBE-FW with source ranges), node port, health check node port, and the external chain.
fn external_entry_points(
    spec: &ServiceSpec,
    port: &PortSpec,
    names: &PortNames<'_>,
    has_external_endpoints: bool,
    tables: &mut Tables,
) {
    let PortNames {
        spn,
        svc,
        svl,
        ext,
        fw,
    } = *names;
    let proto = port.protocol;
    let dport = port.port;
    if let Some(eip) = &spec.external_ip {
        let comment = save_string(&format!("{spn} external IP"));
        tables.nat(
            "KUBE-SERVICES",
            format!("-d {eip}/32 -p {proto} -m comment --comment {comment} -m {proto} --dport {dport} -j {ext}"),
        );
    }
    if let Some(lb) = &spec.lb_ip {
        let comment = save_string(&format!("{spn} loadbalancer IP"));
        let target = if spec.source_ranges { &fw } else { &ext };
        tables.nat(
            "KUBE-SERVICES",
            format!("-d {lb}/32 -p {proto} -m comment --comment {comment} -m {proto} --dport {dport} -j {target}"),
        );
        if spec.source_ranges {
            tables.nat(
                fw,
                format!("-s 203.0.113.0/25 -m comment --comment {comment} -j {ext}"),
            );
            tables.nat(
                fw,
                format!(
                    "-m comment --comment {}",
                    save_string(&format!(
                        "other traffic to {spn} will be dropped by KUBE-PROXY-FIREWALL"
                    ))
                ),
            );
            tables.filter(
                "KUBE-PROXY-FIREWALL",
                format!("-d {lb}/32 -p {proto} -m comment --comment {} -m {proto} --dport {dport} -j DROP", save_string(&format!("{spn} traffic not accepted by {fw}"))),
            );
        }
    }
    if let Some(node_port) = port.node_port {
        let comment = save_string(spn);
        tables.nat(
            "KUBE-NODEPORTS",
            format!("-d 127.0.0.0/8 -p {proto} -m comment --comment {comment} -m {proto} --dport {node_port} -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j {ext}"),
        );
        tables.nat(
            "KUBE-NODEPORTS",
            format!(
                "-p {proto} -m comment --comment {comment} -m {proto} --dport {node_port} -j {ext}"
            ),
        );
    }
    if let Some(hc) = spec.health_check_node_port {
        tables.filter(
            "KUBE-NODEPORTS",
            format!(
                "-p tcp -m comment --comment {} -m tcp --dport {hc} -j ACCEPT",
                save_string(&format!("{spn} health check node port"))
            ),
        );
    }
    if spec.external_local {
        let pods = save_string(&format!("pod traffic for {spn} external destinations"));
        let masq = save_string(&format!(
            "masquerade LOCAL traffic for {spn} external destinations"
        ));
        let route = save_string(&format!(
            "route LOCAL traffic for {spn} external destinations"
        ));
        tables.nat(
            ext,
            format!("-s {CLUSTER_CIDR} -m comment --comment {pods} -j {svc}"),
        );
        tables.nat(
            ext,
            format!("-m comment --comment {masq} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ"),
        );
        tables.nat(
            ext,
            format!("-m comment --comment {route} -m addrtype --src-type LOCAL -j {svc}"),
        );
        if has_external_endpoints {
            tables.nat(ext, format!("-j {svl}"));
        } else {
            let comment = save_string(&format!("{spn} has no local endpoints"));
            external_filter_rules(spec, port, &comment, "DROP", tables);
        }
    } else {
        let masq = save_string(&format!(
            "masquerade traffic for {spn} external destinations"
        ));
        tables.nat(
            ext,
            format!("-m comment --comment {masq} -j KUBE-MARK-MASQ"),
        );
        tables.nat(ext, format!("-j {svc}"));
    }
}

/// The filter rules for a Service's external entry points that have nowhere to go.
fn external_filter_rules(
    spec: &ServiceSpec,
    port: &PortSpec,
    comment: &str,
    target: &str,
    tables: &mut Tables,
) {
    let proto = port.protocol;
    let dport = port.port;
    for ip in spec.external_ip.iter().chain(spec.lb_ip.iter()) {
        tables.filter(
            "KUBE-EXTERNAL-SERVICES",
            format!("-d {ip}/32 -p {proto} -m comment --comment {comment} -m {proto} --dport {dport} -j {target}"),
        );
    }
    if let Some(node_port) = port.node_port {
        tables.filter(
            "KUBE-EXTERNAL-SERVICES",
            format!("-p {proto} -m comment --comment {comment} -m addrtype --dst-type LOCAL -m {proto} --dport {node_port} -j {target}"),
        );
    }
}

/// A policy chain's jumps to its endpoints: the affinity checks first, then the probability cascade (docs/domain/kube-proxy-iptables.md §4–§5).
fn endpoint_jumps(
    chain: &str,
    spn: &str,
    endpoints: &[(String, u16, String)],
    spec: &ServiceSpec,
    config: &Config,
    tables: &mut Tables,
) {
    let comment = |ip: &str, port: u16| {
        if config.endpoint_comments {
            format!(
                " -m comment --comment {}",
                save_string(&format!("{spn} -> {ip}:{port}"))
            )
        } else {
            String::new()
        }
    };
    if let Some(secs) = spec.affinity_secs {
        for (ip, port, sep) in endpoints {
            tables.nat(
                chain,
                format!("{} -m recent --rcheck --seconds {secs} --reap --name {sep} --mask 255.255.255.255 --rsource -j {sep}", comment(ip, *port)).trim_start().to_string(),
            );
        }
    }
    let n = endpoints.len();
    for (i, (ip, port, sep)) in endpoints.iter().enumerate() {
        let mut rule = comment(ip, *port);
        if i + 1 < n {
            let _ = write!(
                rule,
                " -m statistic --mode random --probability {}",
                saved_probability(n - i)
            );
        }
        let _ = write!(rule, " -j {sep}");
        tables.nat(chain, rule.trim_start().to_string());
    }
}

fn service_port(
    spec: &ServiceSpec,
    port: &PortSpec,
    spn: &str,
    chain: Option<String>,
    endpoints: Vec<(String, u16)>,
) -> ServicePort {
    ServicePort {
        namespace: spec.namespace.clone(),
        name: spec.name.clone(),
        port_name: port.name.clone(),
        protocol: port.protocol,
        spn: spn.to_string(),
        cluster_ip: spec.cluster_ip.clone(),
        port: port.port,
        affinity_timeout_secs: if chain.is_some() {
            spec.affinity_secs
        } else {
            None
        },
        chain,
        endpoints,
    }
}

const FILTER_BUILTINS: &[(&str, &str)] = &[
    ("INPUT", "ACCEPT [1855204:1253120336]"),
    ("FORWARD", "ACCEPT [0:0]"),
    ("OUTPUT", "ACCEPT [1844817:377467014]"),
];
const NAT_BUILTINS: &[(&str, &str)] = &[
    ("PREROUTING", "ACCEPT [1204:72240]"),
    ("INPUT", "ACCEPT [120:7200]"),
    ("OUTPUT", "ACCEPT [23710:1422600]"),
    ("POSTROUTING", "ACCEPT [24790:1487400]"),
];

/// Writes the whole dump: mangle (canaries), filter, nat.
fn render(mut tables: Tables) -> String {
    let filter_static: &[(&str, &str)] = &[
        ("INPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL"),
        ("INPUT", "-m comment --comment \"kubernetes health check service ports\" -j KUBE-NODEPORTS"),
        ("INPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES"),
        ("INPUT", "-j KUBE-FIREWALL"),
        ("FORWARD", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL"),
        ("FORWARD", "-m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD"),
        ("FORWARD", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"),
        ("FORWARD", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES"),
        ("OUTPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL"),
        ("OUTPUT", "-m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"),
        ("OUTPUT", "-j KUBE-FIREWALL"),
        ("KUBE-FIREWALL", "! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP"),
        ("KUBE-FORWARD", "-m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP"),
        ("KUBE-FORWARD", "-m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT"),
        ("KUBE-FORWARD", "-m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
    ];
    let nat_static: &[(&str, &str)] = &[
        ("PREROUTING", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"),
        ("OUTPUT", "-m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"),
        ("POSTROUTING", "-m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"),
        ("KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000"),
        ("KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN"),
        ("KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0"),
        ("KUBE-POSTROUTING", "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"),
    ];
    let mut builtin_filter: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (chain, rule) in filter_static {
        if FILTER_BUILTINS.iter().any(|(b, _)| b == chain) {
            builtin_filter
                .entry(chain)
                .or_default()
                .push(rule.to_string());
        } else {
            tables
                .filter
                .entry(chain.to_string())
                .or_default()
                .push(rule.to_string());
        }
    }
    for chain in [
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FIREWALL",
        "KUBE-FORWARD",
        "KUBE-KUBELET-CANARY",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-CANARY",
        "KUBE-PROXY-FIREWALL",
        "KUBE-SERVICES",
    ] {
        tables.filter.entry(chain.to_string()).or_default();
    }
    let mut builtin_nat: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (chain, rule) in nat_static {
        if NAT_BUILTINS.iter().any(|(b, _)| b == chain) {
            builtin_nat.entry(chain).or_default().push(rule.to_string());
        } else {
            tables
                .nat
                .entry(chain.to_string())
                .or_default()
                .push(rule.to_string());
        }
    }
    for chain in [
        "KUBE-KUBELET-CANARY",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-CANARY",
        "KUBE-SERVICES",
    ] {
        tables.nat.entry(chain.to_string()).or_default();
    }
    // The node-port jump is the last rule of nat KUBE-SERVICES.
    tables.nat(
        "KUBE-SERVICES",
        "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS".to_string(),
    );

    let size: usize = tables
        .nat
        .iter()
        .chain(tables.filter.iter())
        .map(|(name, rules)| {
            40 + rules
                .iter()
                .map(|r| r.len() + name.len() + 5)
                .sum::<usize>()
        })
        .sum();
    let mut out = String::with_capacity(size + 4096);
    let started = "Mon Jan  6 10:00:00 2025";
    let header = format!("# Generated by iptables-nft-save v1.8.9 (nf_tables) on {started}\n");
    let footer = format!("# Completed on {started}\n");
    out.push_str(&header);
    out.push_str("*mangle\n:PREROUTING ACCEPT [3061744:1631220890]\n:INPUT ACCEPT [1855204:1253120336]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [1844817:377467014]\n:POSTROUTING ACCEPT [1844817:377467014]\n:KUBE-KUBELET-CANARY - [0:0]\n:KUBE-PROXY-CANARY - [0:0]\nCOMMIT\n");
    out.push_str(&footer);
    for (table, builtins, builtin_rules, user) in [
        ("filter", FILTER_BUILTINS, &builtin_filter, &tables.filter),
        ("nat", NAT_BUILTINS, &builtin_nat, &tables.nat),
    ] {
        out.push_str(&header);
        let _ = writeln!(out, "*{table}");
        for (name, policy) in builtins {
            let _ = writeln!(out, ":{name} {policy}");
        }
        for name in user.keys() {
            let _ = writeln!(out, ":{name} - [0:0]");
        }
        for (name, _) in builtins {
            for rule in builtin_rules.get(name).into_iter().flatten() {
                let _ = writeln!(out, "-A {name} {rule}");
            }
        }
        for (name, rules) in user {
            for rule in rules {
                let _ = writeln!(out, "-A {name} {rule}");
            }
        }
        out.push_str("COMMIT\n");
        out.push_str(&footer);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_as_iptables_save_prints_them() {
        // docs/domain/kube-proxy-iptables.md §4: kube-proxy ≥1.17's `%0.10f` values as iptables-save prints them.
        for (n, want) in [
            (2, "0.50000000000"),
            (3, "0.33333333349"),
            (4, "0.25000000000"),
            (5, "0.20000000019"),
            (6, "0.16666666651"),
            (7, "0.14285714272"),
            (9, "0.11111111101"),
            (10, "0.10000000009"),
            (20, "0.04999999981"),
            (100, "0.00999999978"),
        ] {
            assert_eq!(saved_probability(n), want, "n = {n}");
        }
    }

    #[test]
    fn save_string_quotes_like_xtables() {
        assert_eq!(save_string("KUBE-SEP-X_1"), "KUBE-SEP-X_1");
        assert_eq!(save_string("ns/svc:p80"), "\"ns/svc:p80\"");
        assert_eq!(save_string("a \"b\"\\'"), "\"a \\\"b\\\"\\\\\\'\"");
    }

    #[test]
    fn endpoint_counts_parse() {
        assert_eq!(
            "5".parse::<EndpointCount>(),
            Ok(EndpointCount {
                min: 5,
                max: 5,
                skew: 1
            })
        );
        assert_eq!(
            "1-16^2".parse::<EndpointCount>(),
            Ok(EndpointCount {
                min: 1,
                max: 16,
                skew: 2
            })
        );
        assert!("0-3".parse::<EndpointCount>().is_err());
        assert!("4-3".parse::<EndpointCount>().is_err());
    }

    #[test]
    fn same_config_same_bytes() {
        let config = Config {
            services: 50,
            ..Config::default()
        };
        assert_eq!(generate(&config).text, generate(&config).text);
        let other = Config {
            seed: 2,
            ..config.clone()
        };
        assert_ne!(generate(&config).text, generate(&other).text);
    }
}
