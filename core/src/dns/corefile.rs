//! CoreDNS as a Corefile configures it (docs/domain/coredns.md §3–§4): which server block answers a query, and
//! whether its `kubernetes` plugin — configured by the plugin's own options — or the next plugin answers it.
//!
//! A query goes to the server block on port 53 whose zone is the longest suffix of the name; with none, CoreDNS
//! refuses it. In that block, the `kubernetes` plugin answers the names of its zones ([`ClusterDns`] with the
//! plugin's `pods`, `ttl`, `endpoint_pod_names`, `ignore empty_service` and `fallthrough`); every other name, and
//! a name error `fallthrough` passes on, goes to the next plugin — the `forward` plugin's upstream, whose answer
//! dnatlas cannot know. Plugins that may answer or rewrite a name before `kubernetes` (`rewrite`, `autopath`,
//! `template`, `hosts`, the cloud DNS plugins, `k8s_external`) are not applied; each answer says so in `unsure`.

use std::sync::Arc;

use crate::dns::answer::{Answer, ClusterDns, Config, Rcode, RecordType, Response, Server};
use crate::evidence::Evidence;
use crate::source::corefile::{Directive, Fallthrough, Kubernetes, Plugin, ServerBlock};
use crate::source::inputs::{CorefileSource, KubeSource};

/// Plugins CoreDNS runs before `kubernetes` (plugin.cfg's order) that can answer or change a name, which the
/// answers here do not apply.
const NOT_APPLIED: [&str; 8] = [
    "rewrite",
    "autopath",
    "template",
    "hosts",
    "route53",
    "azure",
    "clouddns",
    "k8s_external",
];

/// One server block that serves port 53.
#[derive(Debug, Clone)]
struct Block {
    /// Its zones, lower-case without the trailing dot (`""` for the root).
    zones: Vec<String>,
    /// Its `kubernetes` plugin.
    kubernetes: Option<KubernetesPlugin>,
    /// Its `forward` plugin's zone and line.
    forward: Option<(String, u32)>,
    /// Plugins that may answer or change a name before `kubernetes`, with their lines.
    not_applied: Vec<(String, u32)>,
}

/// A `kubernetes` plugin: one index per zone it answers for.
#[derive(Debug, Clone)]
struct KubernetesPlugin {
    /// The line of the `kubernetes` directive, as evidence.
    evidence: Evidence,
    /// Its forward zones (lower-case, no trailing dot), each answered by its own index.
    zones: Vec<(String, ClusterDns)>,
}

/// The cluster DNS as one Corefile configures it.
#[derive(Debug, Clone)]
pub struct CorefileDns {
    /// The Corefile's input (and ConfigMap) for notes.
    what: String,
    blocks: Vec<Block>,
}

/// A zone as CoreDNS compares it: lower-case, without the trailing dot; the root is `""`.
fn normal_zone(zone: &str) -> String {
    zone.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `zone` is a reverse zone (`in-addr.arpa`, `ip6.arpa`, or under them).
fn is_reverse_zone(zone: &str) -> bool {
    zone == "in-addr.arpa"
        || zone == "ip6.arpa"
        || zone.ends_with(".in-addr.arpa")
        || zone.ends_with(".ip6.arpa")
}

/// Whether `name` (normal form) is `zone` or under it.
fn in_zone(name: &str, zone: &str) -> bool {
    zone.is_empty()
        || name == zone
        || name
            .strip_suffix(zone)
            .is_some_and(|head| head.ends_with('.'))
}

/// Whether a `fallthrough` line covers `zone` (no zones written: every zone of the plugin).
fn falls_through(fallthrough: Option<&Fallthrough>, zone: &str) -> bool {
    fallthrough.is_some_and(|f| {
        f.zones.is_empty() || f.zones.iter().any(|z| in_zone(zone, &normal_zone(z)))
    })
}

/// The zones a `kubernetes` plugin serves: its own, else its server block's.
fn plugin_zones(plugin: &Kubernetes, block_zones: &[String]) -> Vec<String> {
    if plugin.zones.is_empty() {
        block_zones.to_vec()
    } else {
        plugin.zones.iter().map(|z| normal_zone(z)).collect()
    }
}

/// The server blocks that serve plain DNS on port 53 (no port written, or 53), with their zones.
fn port_53_blocks(blocks: &[ServerBlock]) -> impl Iterator<Item = (&ServerBlock, Vec<String>)> {
    blocks
        .iter()
        .filter(|b| b.snippet.is_none())
        .filter_map(|b| {
            let zones: Vec<String> = b
                .keys
                .iter()
                .filter(|k| k.scheme == "dns" && k.port.is_none_or(|p| p == 53))
                .filter(|k| !k.zone.contains('/'))
                .map(|k| normal_zone(&k.zone))
                .collect();
            (!zones.is_empty()).then_some((b, zones))
        })
}

/// The `kubernetes` plugin of a block, if it has one.
fn kubernetes_of(block: &ServerBlock) -> Option<(&Directive, &Kubernetes)> {
    block.directives.iter().find_map(|d| match &d.plugin {
        Some(Plugin::Kubernetes(k)) => Some((d, k)),
        _ => None,
    })
}

/// The forward zones of every `kubernetes` plugin on port 53, in order: the cluster zones the Corefile serves.
pub fn cluster_zones(corefile: &CorefileSource) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (block, zones) in port_53_blocks(&corefile.value.corefile.blocks) {
        if let Some((_, plugin)) = kubernetes_of(block) {
            for zone in plugin_zones(plugin, &zones) {
                if !is_reverse_zone(&zone) && !out.contains(&zone) {
                    out.push(zone);
                }
            }
        }
    }
    out
}

/// How the `kubernetes` plugin answers for `zone`, from its options.
fn plugin_config(plugin: &Kubernetes, zones: &[String], zone: &str) -> Config {
    Config {
        zone: zone.to_string(),
        ttl: plugin.ttl,
        pods: plugin.pods,
        endpoint_pod_names: plugin.endpoint_pod_names,
        ignore_empty_service: plugin.ignore_empty_service,
        reverse_zones: zones.iter().any(|z| is_reverse_zone(z)),
        reverse_fallthrough: falls_through(plugin.fallthrough.as_ref(), "in-addr.arpa")
            || falls_through(plugin.fallthrough.as_ref(), "ip6.arpa"),
        fallthrough: falls_through(plugin.fallthrough.as_ref(), zone),
        server: Server::CoreDns,
    }
}

impl CorefileDns {
    /// The cluster DNS `corefile` configures, answering from the objects of the kubectl inputs.
    pub fn new(corefile: &CorefileSource, kubernetes: &[KubeSource]) -> Self {
        let read = &corefile.value;
        // Evidence for a Corefile that is one quoted string points at that string's line.
        let line_of = |line: u32| read.string_line.unwrap_or(line);
        let source: &Arc<str> = &corefile.source;
        let mut blocks = Vec::new();
        for (block, zones) in port_53_blocks(&read.corefile.blocks) {
            let kubernetes = kubernetes_of(block).map(|(directive, plugin)| {
                let served = plugin_zones(plugin, &zones);
                KubernetesPlugin {
                    evidence: Evidence::line(source, line_of(directive.line)),
                    zones: served
                        .iter()
                        .filter(|z| !is_reverse_zone(z))
                        .map(|z| {
                            let config = plugin_config(plugin, &served, z);
                            (z.clone(), ClusterDns::new(kubernetes, config))
                        })
                        .collect(),
                }
            });
            let forward = block.directives.iter().find_map(|d| match &d.plugin {
                Some(Plugin::Forward(f)) => Some((normal_zone(&f.from), line_of(d.line))),
                _ => None,
            });
            let not_applied = block
                .directives
                .iter()
                .filter(|d| NOT_APPLIED.contains(&d.name.as_str()))
                .map(|d| (d.name.clone(), line_of(d.line)))
                .collect();
            blocks.push(Block {
                zones,
                kubernetes,
                forward,
                not_applied,
            });
        }
        let what = match &read.config_map {
            Some(map) => format!("the Corefile of ConfigMap {map} in {source}"),
            None => format!("the Corefile {source}"),
        };
        CorefileDns { what, blocks }
    }

    /// What CoreDNS answers for `name` (fully qualified; a missing trailing dot is added) and `qtype`.
    pub fn answer(&self, name: &str, qtype: RecordType) -> Answer {
        let lower = normal_zone(name);
        let fqdn = format!("{lower}.");
        // The block whose zone is the longest suffix of the name.
        let chosen = self
            .blocks
            .iter()
            .flat_map(|b| b.zones.iter().map(move |z| (b, z)))
            .filter(|(_, z)| in_zone(&lower, z))
            .max_by_key(|(_, z)| if z.is_empty() { 0 } else { z.len() + 1 });
        let Some((block, _)) = chosen else {
            return Answer::Cluster(Response {
                rcode: Some(Rcode::Refused),
                unsure: vec![format!(
                    "no server block on port 53 of {} serves {fqdn}: CoreDNS refuses the query",
                    self.what
                )],
                ..Response::default()
            });
        };
        let plugin = block.kubernetes.as_ref();
        let served = plugin.and_then(|k| {
            k.zones
                .iter()
                .filter(|(z, _)| in_zone(&lower, z))
                .max_by_key(|(z, _)| z.len())
        });
        let reverse = plugin
            .filter(|_| is_reverse_zone(&lower))
            .and_then(|k| k.zones.first());
        let answered = match (served, reverse) {
            (Some((_, dns)), _) | (None, Some((_, dns))) => dns.answer(&fqdn, qtype),
            (None, None) => Answer::Upstream {
                name: fqdn.clone(),
                reason: self.next_plugin(block, &lower),
            },
        };
        match answered {
            Answer::Cluster(mut response) => {
                if let Some(k) = plugin {
                    if !response.evidence.contains(&k.evidence) {
                        response.evidence.push(k.evidence.clone());
                    }
                }
                for (name, line) in &block.not_applied {
                    response.unsure.push(format!(
                        "the Corefile's `{name}` plugin (line {line}) may answer or change the name before \
                         `kubernetes`; dnatlas does not apply it"
                    ));
                }
                Answer::Cluster(response)
            }
            upstream => upstream,
        }
    }

    /// Why a name of `block` that its `kubernetes` plugin does not serve goes on, and where.
    fn next_plugin(&self, block: &Block, name: &str) -> String {
        let served: Vec<&str> = block
            .kubernetes
            .iter()
            .flat_map(|k| k.zones.iter().map(|(z, _)| z.as_str()))
            .collect();
        let outside = if served.is_empty() {
            format!("its server block in {} has no kubernetes plugin", self.what)
        } else {
            format!(
                "it is outside the zones of the kubernetes plugin in {} ({})",
                self.what,
                served.join(", ")
            )
        };
        match &block.forward {
            Some((from, line)) if in_zone(name, from) => {
                format!("{outside}; the `forward` plugin (line {line}) sends it upstream")
            }
            _ => format!("{outside}; the next plugin answers it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_compare_as_coredns_compares_them() {
        assert!(in_zone("nginx.default.svc.cluster.local", "cluster.local"));
        assert!(in_zone("cluster.local", "cluster.local"));
        assert!(in_zone("example.com", ""));
        assert!(!in_zone("notcluster.local", "cluster.local"));
        assert_eq!(normal_zone("Cluster.Local."), "cluster.local");
        assert_eq!(normal_zone("."), "");
        assert!(is_reverse_zone("in-addr.arpa") && is_reverse_zone("10.in-addr.arpa"));
        assert!(!is_reverse_zone("cluster.local"));
    }
}
