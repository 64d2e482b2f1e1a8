//! Whose view the trace takes: the pod with the given IP, its node's dump and its resolv.conf (or the file kubelet
//! writes for a ClusterFirst pod).

use std::net::IpAddr;
use std::sync::Arc;

use crate::analysis::{Analysis, SourceReport};
use crate::dns::corefile::cluster_zones;
use crate::evidence::Evidence;
use crate::source::inputs::{CorefileSource, ResolvSource};
use crate::source::resolv_conf::{Nameserver, ResolvConf};
use crate::source::Kind;

use super::inputs::{note, DnsService, Inputs};
use super::Pod;

/// The ndots kubelet writes into a ClusterFirst pod's resolv.conf.
pub(super) const KUBELET_NDOTS: u8 = 5;

/// The pod with IP `from`, preferring one that is not on the host network (those share the node's address).
pub(super) fn find_pod(analysis: &Analysis, from: IpAddr, notes: &mut Vec<String>) -> Option<Pod> {
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

/// The node dump of the pod's node, whose rules are walked.
pub(super) fn choose_node<'a>(
    inputs: &Inputs<'a>,
    pod: Option<&Pod>,
    notes: &mut Vec<String>,
) -> Option<&'a SourceReport> {
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
    Some(chosen)
}

/// The Corefile that configures the cluster DNS: the first whose `kubernetes` plugin serves a zone on port 53,
/// else the first; a note says which when several are given.
pub(super) fn choose_corefile<'a>(
    analysis: &'a Analysis,
    notes: &mut Vec<String>,
) -> Option<&'a CorefileSource> {
    let all = &analysis.corefiles;
    let chosen = all
        .iter()
        .find(|c| !cluster_zones(c).is_empty())
        .or_else(|| all.first())?;
    if all.len() > 1 {
        note(
            notes,
            format!(
                "{} Corefiles are given; the answers follow {}",
                all.len(),
                corefile_name(chosen)
            ),
        );
    }
    Some(chosen)
}

/// `the Corefile NAME`, or `the Corefile of ConfigMap NS/NAME in INPUT`.
pub(super) fn corefile_name(corefile: &CorefileSource) -> String {
    match &corefile.value.config_map {
        Some(map) => format!("the Corefile of ConfigMap {map} in {}", corefile.source),
        None => format!("the Corefile {}", corefile.source),
    }
}

/// The zone from a ClusterFirst search list (`<ns>.svc.<zone> svc.<zone> <zone>`).
pub(super) fn zone_of(search: &[String]) -> Option<String> {
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
pub(super) fn namespace_of_search(search: &[String]) -> Option<String> {
    let first = search.first()?.to_ascii_lowercase();
    let (ns, _) = first.split_once(".svc.")?;
    (!ns.is_empty() && !ns.contains('.')).then(|| ns.to_string())
}

/// The resolver configuration: the input that matches the pod, or kubelet's ClusterFirst file.
pub(super) struct ResolvChoice {
    /// The configuration.
    pub(super) conf: ResolvConf,
    /// The input it came from (`None`: rebuilt).
    pub(super) source: Option<Arc<str>>,
    /// For a rebuilt file, the line behind its search list (the pod, whose namespace it names).
    pub(super) rebuilt_search: Vec<Evidence>,
    /// For a rebuilt file, the lines behind its nameserver (the cluster DNS Service).
    pub(super) rebuilt_nameserver: Vec<Evidence>,
}

/// The resolv.conf input of the pod: the only one, else the one whose search list names the pod's namespace or whose
/// comment names the pod, else the first (with a note).
pub(super) fn choose_resolv_conf(
    inputs: &Inputs<'_>,
    pod: Option<&Pod>,
    from: IpAddr,
    notes: &mut Vec<String>,
) -> Option<ResolvChoice> {
    let confs = &inputs.analysis.resolv_confs;
    let pod_ns = pod.and_then(|p| p.namespace.as_deref());
    let matches = |r: &&ResolvSource| {
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
            let matching: Vec<&ResolvSource> = several.iter().filter(matches).collect();
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
pub(super) fn kubelet_resolv_conf(
    namespace: &str,
    zone: &str,
    dns: Option<&DnsService>,
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
    if let Some(dns) = dns {
        conf.nameservers.push(Nameserver {
            address: dns.ip.to_string(),
            line: 0,
        });
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::plan::Resolver;
    use crate::trace::{trace, Request};
    use crate::{Options, Source};

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
