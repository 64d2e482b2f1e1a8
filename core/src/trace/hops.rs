//! The hops the UI animates, and the words of their labels: each candidate's query, nameserver, rules, DNS pod and
//! answer, the rules a connection passes and where a walk stopped.

use std::sync::Arc;

use crate::dns::answer::Rcode;
use crate::dns::plan::{self, QueryType};
use crate::evidence::Evidence;
use crate::simulate::netfilter::Step;
use crate::source::resolv_conf::ResolvConf;

use super::inputs::{push_unique, Inputs};
use super::nameserver::Dns;
use super::route::{round9, Stopped};
use super::{Hop, HopKind, Lookup};

/// A share as a percentage with one decimal (`33.3%`).
pub(super) fn percent(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// `ip:port` (`[ip]:port` for IPv6), or the address alone without a port.
pub(super) fn host_port(ip: &str, port: Option<u16>) -> String {
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
pub(super) fn stopped_hop(stopped: &Stopped, node: &Arc<str>, lookup: Option<usize>) -> Hop {
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
pub(super) fn rule_hops(steps: &[Step], node: &Arc<str>, lookup: Option<usize>) -> Vec<Hop> {
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

/// What the hops of every candidate share: the name asked for, the resolver configuration and the lines behind it,
/// and where the queries go.
pub(super) struct Queries<'a> {
    /// The name as requested.
    pub(super) name: &'a str,
    /// The resolver configuration.
    pub(super) conf: &'a ResolvConf,
    /// The lines behind the search list.
    pub(super) search_evidence: Vec<Evidence>,
    /// The line behind `ndots`.
    pub(super) ndots_evidence: Vec<Evidence>,
    /// Where the queries go.
    pub(super) dns: &'a Dns,
    /// The node dump whose rules were walked.
    pub(super) node: Option<&'a Arc<str>>,
    /// `udp`, or `tcp` with `options use-vc`.
    pub(super) protocol: &'static str,
    /// The cluster zone.
    pub(super) zone: &'a str,
}

impl Queries<'_> {
    /// Why the resolver sends candidate `q`, and the lines that say so.
    fn why(&self, q: &plan::Query) -> (String, Vec<Evidence>) {
        let (name, conf) = (self.name, self.conf);
        let bare = name.trim_end_matches('.');
        let dots = bare.matches('.').count();
        let ndots = conf.options.ndots;
        let as_is = format!("{bare}.");
        let dots_text = if dots == 1 {
            "1 dot".to_string()
        } else {
            format!("{dots} dots")
        };
        let mut both = self.search_evidence.clone();
        push_unique(&mut both, &self.ndots_evidence);
        if name.ends_with('.') {
            return (
                "a trailing dot: the name itself and nothing else".to_string(),
                Vec::new(),
            );
        }
        if q.name.eq_ignore_ascii_case(&as_is) && dots >= usize::from(ndots) {
            return (
                format!("the name as-is, first: {dots_text} ≥ ndots:{ndots}"),
                both,
            );
        }
        if q.name.eq_ignore_ascii_case(&as_is) {
            return (
                format!(
                    "the name as-is, last: {dots_text} < ndots:{ndots}, and the search domains were answered \
                     negatively"
                ),
                both,
            );
        }
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
    }

    /// The hops of one candidate: the name, the nameserver, the node's rules, the DNS pod (or upstream).
    pub(super) fn candidate_hops(
        &self,
        inputs: &Inputs<'_>,
        hops: &mut Vec<Hop>,
        index: usize,
        q: &plan::Query,
    ) {
        let dns = self.dns;
        let (why, evidence) = self.why(q);
        hops.push(Hop {
            kind: HopKind::ResolverCandidate,
            label: format!("{} — {why}", q.name),
            lookup: Some(index),
            probability: None,
            evidence,
        });
        let server = dns.server.as_deref().unwrap_or("?");
        hops.push(Hop {
            kind: HopKind::NameserverVip,
            label: format!(
                "{}/{} — nameserver{}",
                host_port(server, Some(53)),
                self.protocol,
                dns.service
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            lookup: Some(index),
            probability: None,
            evidence: dns.server_evidence.clone(),
        });
        if let Some(node) = self.node {
            if dns.route.via == "node-rules" {
                hops.extend(rule_hops(&dns.route.steps, node, Some(index)));
                if let Some(stopped) = &dns.route.stopped {
                    hops.push(stopped_hop(stopped, node, Some(index)));
                }
            }
        }
        if dns.unreachable || dns.stopped {
            return;
        }
        if dns.cluster {
            self.cluster_hops(inputs, hops, index, q);
        } else {
            hops.push(Hop {
                kind: HopKind::Upstream,
                label: format!("{server} is not the cluster DNS: its answer is unknown"),
                lookup: Some(index),
                probability: None,
                evidence: dns.server_evidence.clone(),
            });
        }
    }

    /// The cluster DNS pod the query is DNATed to, and the upstream when the name is outside the zone.
    fn cluster_hops(
        &self,
        inputs: &Inputs<'_>,
        hops: &mut Vec<Hop>,
        index: usize,
        q: &plan::Query,
    ) {
        let (dns, zone) = (self.dns, self.zone);
        if let Some(first) = dns.route.branches.first() {
            let (pod, mut evidence) = inputs.endpoint_info(&first.ip);
            let mut all = first.evidence.clone();
            push_unique(&mut all, &evidence);
            evidence = all;
            let of = dns.route.branches.len();
            hops.push(Hop {
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
            hops.push(Hop {
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
    }
}

/// The answer hop of one query.
pub(super) fn answer_hop(hops: &mut Vec<Hop>, index: usize, lookup: &Lookup, dns: &Dns) {
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
    hops.push(Hop {
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
