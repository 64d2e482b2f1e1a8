//! What the modelled plugins say: `kubernetes`, `forward`, `cache`, `loop`, `health`, `ready`, `autopath`, `rewrite`,
//! `hosts`, `reload`, `errors` and `log`, with CoreDNS's defaults and the lines of their options.

use serde::{Deserialize, Serialize};

/// The `kubernetes` plugin's TTL when `ttl` is not set (kubernetes.go).
pub const DEFAULT_KUBERNETES_TTL: u32 = 5;

/// The modelled plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "plugin", rename_all = "snake_case")]
pub enum Plugin {
    /// `kubernetes`.
    Kubernetes(Kubernetes),
    /// `forward`.
    Forward(Forward),
    /// `cache`.
    Cache(Cache),
    /// `loop`: the self-query at startup that stops CoreDNS when its upstream leads back to it.
    Loop,
    /// `health`.
    Health(Health),
    /// `ready`.
    Ready(Ready),
    /// `autopath`.
    Autopath(Autopath),
    /// `rewrite`.
    Rewrite(Rewrite),
    /// `hosts`.
    Hosts(Hosts),
    /// `reload`.
    Reload(Reload),
    /// `errors`.
    Errors,
    /// `log`.
    Log,
}

/// How the `kubernetes` plugin answers `a-b-c-d.ns.pod.zone` (docs/domain/coredns.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodsMode {
    /// NXDOMAIN (the default).
    Disabled,
    /// Any valid IP in an existing namespace.
    Insecure,
    /// Only IPs of pods that exist in that namespace.
    Verified,
}

/// A `fallthrough [ZONES…]` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallthrough {
    /// The zones whose name errors pass on; empty means every zone.
    pub zones: Vec<String>,
    /// 1-based line.
    pub line: u32,
}

/// `kubernetes [ZONES…] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kubernetes {
    /// The zones written; empty means the server block's zones.
    pub zones: Vec<String>,
    /// `pods` mode (default `disabled`).
    pub pods: PodsMode,
    /// The line of `pods`.
    pub pods_line: Option<u32>,
    /// `fallthrough`.
    pub fallthrough: Option<Fallthrough>,
    /// Answer TTL (default [`DEFAULT_KUBERNETES_TTL`], 0–3600).
    pub ttl: u32,
    /// The line of `ttl`.
    pub ttl_line: Option<u32>,
    /// `endpoint_pod_names`: endpoint labels are pod names.
    pub endpoint_pod_names: bool,
    /// `ignore empty_service`: NXDOMAIN for Services without endpoints.
    pub ignore_empty_service: bool,
}

/// One `forward` destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// As written: an address (`8.8.8.8`, `dns://1.1.1.1:53`, `tls://…`) or a resolv.conf path.
    pub text: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// `forward FROM TO… { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forward {
    /// The zone forwarded (`.` for everything).
    pub from: String,
    /// The destinations, in order.
    pub to: Vec<Upstream>,
    /// `except` zones.
    pub except: Vec<String>,
    /// `policy` (default `random`).
    pub policy: String,
    /// `max_concurrent`, when set.
    pub max_concurrent: Option<u32>,
}

/// `cache` `success` or `denial` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheClass {
    /// Capacity in entries.
    pub capacity: Option<u32>,
    /// Maximum TTL in seconds.
    pub ttl: Option<u32>,
    /// Minimum TTL in seconds.
    pub min_ttl: Option<u32>,
    /// 1-based line.
    pub line: u32,
}

/// A `cache` `disable success|denial [ZONES…]` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheDisable {
    /// `success` or `denial`.
    pub kind: String,
    /// The zones not cached (empty: the plugin's zones).
    pub zones: Vec<String>,
    /// 1-based line.
    pub line: u32,
}

/// `cache [TTL] [ZONES…] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    /// Maximum TTL in seconds for both kinds (defaults 3600 success, 1800 denial).
    pub ttl: Option<u32>,
    /// Zones cached (empty: the server block's).
    pub zones: Vec<String>,
    /// `success`.
    pub success: Option<CacheClass>,
    /// `denial`.
    pub denial: Option<CacheClass>,
    /// `disable` lines.
    pub disable: Vec<CacheDisable>,
    /// `prefetch` is set.
    pub prefetch: bool,
    /// `serve_stale` is set.
    pub serve_stale: bool,
}

/// `health [ADDRESS] { lameduck DURATION }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Listen address (default `:8080`).
    pub address: Option<String>,
    /// `lameduck` duration as written.
    pub lameduck: Option<String>,
    /// The line of `lameduck`.
    pub lameduck_line: Option<u32>,
}

/// `ready [ADDRESS]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    /// Listen address (default `:8181`).
    pub address: Option<String>,
}

/// `autopath [ZONES…] RESOLV-CONF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autopath {
    /// Zones (empty: the server block's).
    pub zones: Vec<String>,
    /// Where search paths come from: `@kubernetes` or a resolv.conf path.
    pub source: Option<String>,
}

/// `rewrite [continue|stop] FIELD …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    /// `continue` or `stop`, when written.
    pub flow: Option<String>,
    /// The field rewritten (`name`, `type`, `class`, `edns0`, `ttl`, `cname`, `rcode`).
    pub field: Option<String>,
    /// The rest of the rule, verbatim.
    pub rule: Vec<String>,
}

/// `hosts [FILE [ZONES…]] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosts {
    /// The hosts file (default `/etc/hosts`).
    pub file: Option<String>,
    /// Zones (empty: the server block's).
    pub zones: Vec<String>,
    /// Inline entries (lines of the block that are not options), verbatim.
    pub inline: Vec<String>,
    /// `fallthrough`.
    pub fallthrough: Option<Fallthrough>,
    /// `ttl`, when set.
    pub ttl: Option<u32>,
}

/// `reload [INTERVAL] [JITTER]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reload {
    /// Check interval as written (default 30s).
    pub interval: Option<String>,
    /// Jitter as written (default 15s).
    pub jitter: Option<String>,
}

impl Upstream {
    /// Its host when that is an IP address (`dns://127.0.0.1:53` → 127.0.0.1, `[::1]:53` → ::1); `None` for a
    /// resolv.conf path or a placeholder.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        let text = self.text.as_str();
        let rest = text.split_once("://").map_or(text, |(_, r)| r);
        if let Ok(ip) = rest.parse::<std::net::IpAddr>() {
            return Some(ip);
        }
        if let Ok(sa) = rest.parse::<std::net::SocketAddr>() {
            return Some(sa.ip());
        }
        let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }
}
