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
use super::{Branch, BranchRef, Hop, HopKind, Lookup, RuleRef, Via};

/// A share as a percentage with one decimal (`33.3%`), as hop labels write it.
pub(super) use crate::format::percent_one_decimal as percent;

/// `ip:port` (`[ip]:port` for IPv6), or the address alone without a port.
pub(super) use crate::format::address as host_port;

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
    let evidence = if stopped.line > 0 {
        vec![Evidence::line(node, stopped.line)]
    } else {
        Vec::new()
    };
    Hop {
        probability: (stopped.share < 1.0).then_some(stopped.share),
        ..Hop::new(HopKind::Stopped, stopped.summary.clone(), lookup, evidence)
    }
}

/// Where the first of `branches` stands at the fork, for the hops that lead to it.
pub(super) fn first_branch(branches: &[Branch]) -> Option<BranchRef> {
    branches.first().map(|b| BranchRef {
        index: 0,
        of: branches.len(),
        share: b.probability,
    })
}

/// Hops for the rules a packet passed, each with its rule; the jump into the chain of the first of `branches` and
/// the rules of that chain are on that branch.
pub(super) fn rule_hops(
    steps: &[Step],
    node: &Arc<str>,
    lookup: Option<usize>,
    branches: &[Branch],
) -> Vec<Hop> {
    let first_chain = branches.first().and_then(|b| b.chain.as_deref());
    steps
        .iter()
        .map(|s| {
            let rule = RuleRef::from(s);
            let on_first =
                first_chain.is_some_and(|c| rule.chain == c || rule.action.chain() == Some(c));
            Hop {
                probability: s.probability.map(round9),
                branch: first_branch(branches).filter(|_| on_first),
                ..Hop::new(
                    HopKind::NetfilterRule,
                    rule.label(),
                    lookup,
                    vec![Evidence::line(node, s.line)],
                )
            }
            .with_rule(rule)
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
    /// Whether a Corefile configures the cluster DNS: then the answers say which names it passes on.
    pub(super) corefile: bool,
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
        (index, q): (usize, &plan::Query),
        passed_on: Option<&str>,
    ) {
        let dns = self.dns;
        let (why, evidence) = self.why(q);
        hops.push(Hop::new(
            HopKind::ResolverCandidate,
            format!("{} — {why}", q.name),
            Some(index),
            evidence,
        ));
        let server = dns.server.as_deref().unwrap_or("?");
        hops.push(Hop::new(
            HopKind::NameserverVip,
            format!(
                "{}/{} — nameserver{}",
                host_port(server, Some(53)),
                self.protocol,
                dns.service
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            Some(index),
            dns.server_evidence.clone(),
        ));
        if let Some(node) = self.node {
            if dns.route.via == Via::NodeRules {
                hops.extend(rule_hops(
                    &dns.route.steps,
                    node,
                    Some(index),
                    &dns.route.branches,
                ));
                if let Some(stopped) = &dns.route.stopped {
                    hops.push(stopped_hop(stopped, node, Some(index)));
                }
            }
        }
        if dns.unreachable || dns.stopped {
            return;
        }
        if dns.cluster {
            self.cluster_hops(inputs, hops, (index, q), passed_on);
        } else {
            hops.push(Hop::new(
                HopKind::Upstream,
                format!("{server} is not the cluster DNS: its answer is unknown"),
                Some(index),
                dns.server_evidence.clone(),
            ));
        }
    }

    /// The cluster DNS pod the query is DNATed to, and the upstream when the name is outside the zone.
    fn cluster_hops(
        &self,
        inputs: &Inputs<'_>,
        hops: &mut Vec<Hop>,
        (index, q): (usize, &plan::Query),
        passed_on: Option<&str>,
    ) {
        let (dns, zone) = (self.dns, self.zone);
        if let Some(first) = dns.route.branches.first() {
            let (pod, mut evidence) = inputs.endpoint_info(&first.ip);
            let mut all = first.evidence.clone();
            push_unique(&mut all, &evidence);
            evidence = all;
            let of = dns.route.branches.len();
            let label = format!(
                "{}{}{}",
                host_port(&first.ip, first.port),
                pod.map(|p| format!(" (pod {p})")).unwrap_or_default(),
                if of > 1 {
                    format!(", 1 of {of} DNS endpoints, {}", percent(first.probability))
                } else {
                    String::new()
                }
            );
            hops.push(Hop {
                probability: Some(first.probability),
                branch: first_branch(&dns.route.branches),
                ..Hop::new(HopKind::CorednsPod, label, Some(index), evidence)
            });
        }
        if self.corefile {
            // The Corefile decides which names the cluster DNS passes on, and says why.
            if let Some(reason) = passed_on {
                hops.push(Hop::new(
                    HopKind::Upstream,
                    format!("{}: {reason}; its answer is unknown", q.name),
                    Some(index),
                    Vec::new(),
                ));
            }
            return;
        }
        let in_zone = {
            let lower = q.name.trim_end_matches('.').to_ascii_lowercase();
            lower == zone || lower.ends_with(&format!(".{zone}"))
        };
        if !in_zone {
            hops.push(Hop::new(
                HopKind::Upstream,
                format!(
                    "{} is outside the cluster zone {zone}: the cluster DNS forwards it upstream, whose answer is \
                     unknown",
                    q.name
                ),
                Some(index),
                Vec::new(),
            ));
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
    what.extend(lookup.answers.iter().map(ToString::to_string));
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
    hops.push(Hop::new(
        HopKind::Answer,
        format!(
            "{} {}: {rcode}{}{shown}",
            qtype_name(lookup.qtype),
            lookup.name,
            if shown.is_empty() { "" } else { " " }
        ),
        Some(index),
        lookup.evidence.clone(),
    ));
}
