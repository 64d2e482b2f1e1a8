//! Each lookup compared with the resolvers' plans (`dns::plan`), and built into its [`Lookup`]: the fitting
//! resolvers, expected, missing and extra queries, and the reasons (`reasons.rs`) written out (`words.rs`).

use std::collections::BTreeSet;

use super::explain::{self, Explain};
use super::grouping::{has_addresses, is_reverse, Group};
use super::sent::{Index, Sent};
use super::words;
use super::{Lookup, LookupOutcome, PlannedQuery, QueryEvidence};
use crate::dns::plan::{self, Outcome, Resolver};
use crate::source::inputs::ResolvSource;
use crate::source::resolv_conf::ResolvConf;

/// How one candidate name was answered, its queries taken together.
pub(super) fn outcome(sent: &[&Sent]) -> LookupOutcome {
    if sent.iter().any(|s| has_addresses(s)) {
        return LookupOutcome::Answered;
    }
    let rcodes: Vec<Option<&str>> = sent.iter().map(|s| s.rcode).collect();
    if rcodes.iter().any(Option::is_none) {
        LookupOutcome::Unanswered
    } else if rcodes
        .iter()
        .any(|r| !matches!(r, Some("NOERROR" | "NXDOMAIN" | "SERVFAIL")))
    {
        LookupOutcome::Refused
    } else if rcodes.contains(&Some("SERVFAIL")) {
        LookupOutcome::ServFail
    } else if rcodes.contains(&Some("NXDOMAIN")) {
        LookupOutcome::NxDomain
    } else {
        LookupOutcome::NoData
    }
}

fn plan_outcome(o: LookupOutcome) -> Outcome {
    match o {
        LookupOutcome::Answered => Outcome::Answer,
        LookupOutcome::NxDomain => Outcome::NxDomain,
        LookupOutcome::NoData => Outcome::NoData,
        LookupOutcome::ServFail => Outcome::ServFail,
        // glibc treats a REFUSED like a timeout: another failure that stops the search list.
        LookupOutcome::Refused | LookupOutcome::Unanswered => Outcome::Timeout,
    }
}

/// The candidate names of a lookup in the order first sent, each with its queries.
pub(super) fn by_name<'a>(sent: &[&'a Sent<'a>]) -> Vec<(String, Vec<&'a Sent<'a>>)> {
    let mut out: Vec<(String, Vec<&'a Sent<'a>>)> = Vec::new();
    for &s in sent {
        match out.iter_mut().find(|(n, _)| *n == s.name) {
            Some((_, v)) => v.push(s),
            None => out.push((s.name.to_string(), vec![s])),
        }
    }
    out
}

/// The resolv.conf a lookup is compared with: the input's, or one inferred from the names sent.
fn effective_conf(group: &Group<'_>, confs: &[ResolvSource]) -> (ResolvConf, bool) {
    if let Some(conf) = group.reading.conf.and_then(|c| confs.get(c)) {
        return (conf.value.clone(), false);
    }
    let base = &group.reading.base;
    let mut conf = ResolvConf::default();
    let mut as_is_first = false;
    for (name, _) in by_name(&group.sent) {
        let bare = name.trim_end_matches('.');
        match bare
            .strip_prefix(base.as_str())
            .and_then(|r| r.strip_prefix('.'))
        {
            Some(suffix) if !suffix.is_empty() => conf.search.push(suffix.to_string()),
            _ if bare == base && conf.search.is_empty() => as_is_first = true,
            _ => {}
        }
    }
    let dots = u8::try_from(base.matches('.').count()).unwrap_or(u8::MAX);
    conf.options.ndots = if as_is_first {
        dots
    } else {
        dots.saturating_add(1)
    };
    (conf, true)
}

/// The cluster zone a search list names (`<ns>.svc.<zone>`).
pub(super) fn cluster_zone(search: &[String]) -> Option<String> {
    search.iter().find_map(|d| {
        let d = d.trim_matches('.').to_ascii_lowercase();
        let mut parts = d.splitn(3, '.');
        let (_, svc, zone) = (parts.next()?, parts.next()?, parts.next()?);
        (svc == "svc" && !zone.is_empty()).then(|| zone.to_string())
    })
}

pub(super) fn in_zone(name: &str, zone: &str) -> bool {
    let n = name.trim_end_matches('.');
    n == zone || n.ends_with(&format!(".{zone}"))
}

/// One resolver's walk compared with the capture.
pub(super) struct Comparison {
    /// What it sends, given the answers the capture shows.
    pub(super) expected: Vec<PlannedQuery>,
    /// Planned queries the capture does not show.
    pub(super) missing: Vec<PlannedQuery>,
    /// Queries the capture shows that the plan does not have.
    pub(super) extra: Vec<PlannedQuery>,
    /// Whether it sends each A/AAAA pair from as many sockets as the capture shows.
    pub(super) sockets_agree: bool,
}

fn compare(
    resolver: Resolver,
    group: &Group<'_>,
    conf: &ResolvConf,
    families: &BTreeSet<String>,
    pairs: (bool, bool),
) -> Comparison {
    let named = by_name(&group.sent);
    let observed = |candidate: &str| {
        let c = candidate.to_ascii_lowercase();
        named
            .iter()
            .find(|(n, _)| *n == c)
            .map_or(Outcome::NxDomain, |(_, s)| plan_outcome(outcome(s)))
    };
    let walk = plan::walk(resolver, &group.reading.base, conf, observed);
    let address = group.sent.first().is_none_or(|s| s.address_family());
    let mut expected: Vec<PlannedQuery> = Vec::new();
    for q in &walk.queries {
        let name = q.name.to_ascii_lowercase();
        let qtype = if address {
            match q.qtype {
                plan::QueryType::A => "A".to_string(),
                plan::QueryType::Aaaa => "AAAA".to_string(),
            }
        } else {
            group
                .sent
                .first()
                .map(|s| s.qtype.to_string())
                .unwrap_or_default()
        };
        if address && !families.contains(&qtype) {
            continue;
        }
        let q = PlannedQuery { name, qtype };
        if !expected.contains(&q) {
            expected.push(q);
        }
    }
    let seen: Vec<PlannedQuery> = group
        .sent
        .iter()
        .map(|s| PlannedQuery {
            name: s.name.to_string(),
            qtype: s.qtype.to_string(),
        })
        .collect();
    let missing = expected
        .iter()
        .filter(|q| !seen.contains(q))
        .cloned()
        .collect();
    let extra = seen
        .iter()
        .filter(|q| !expected.contains(q))
        .cloned()
        .collect();
    let (same_socket, two_sockets) = pairs;
    let sockets_agree = match resolver {
        Resolver::Glibc => !two_sockets || conf.options.single_request_reopen,
        // busybox nslookup sends every query from its one socket.
        Resolver::Musl | Resolver::Busybox => !two_sockets,
        Resolver::Go => !same_socket,
    };
    Comparison {
        expected,
        missing,
        extra,
        sockets_agree,
    }
}

/// Builds the lookup of a stub resolver's queries.
pub(super) fn describe(group: &Group<'_>, index: &Index<'_>, confs: &[ResolvSource]) -> Lookup {
    let (conf, inferred) = effective_conf(group, confs);
    let base = group.reading.base.clone();
    let named = by_name(&group.sent);
    let address = group.sent.first().is_none_or(|s| s.address_family());
    let families: BTreeSet<String> = group
        .sent
        .iter()
        .filter(|s| s.address_family())
        .map(|s| s.qtype.to_string())
        .collect();
    // Whether an A/AAAA pair of one name left from one socket, or from two.
    let mut pairs = (false, false);
    for (_, sent) in &named {
        let a = sent.iter().find(|s| s.qtype == "A");
        let aaaa = sent.iter().find(|s| s.qtype == "AAAA");
        if let (Some(a), Some(aaaa)) = (a, aaaa) {
            if a.port == aaaa.port {
                pairs.0 = true;
            } else {
                pairs.1 = true;
            }
        }
    }
    let reverse =
        is_reverse(&base) || (!address && group.sent.first().is_some_and(|s| s.qtype == "PTR"));
    let resolvers = [Resolver::Glibc, Resolver::Musl, Resolver::Go];
    let comparisons: Vec<(Resolver, Comparison)> = resolvers
        .iter()
        .map(|&r| (r, compare(r, group, &conf, &families, pairs)))
        .collect();
    let fits: Vec<Resolver> = comparisons
        .iter()
        .filter(|(_, c)| c.missing.is_empty() && c.extra.is_empty() && c.sockets_agree)
        .map(|(r, _)| *r)
        .collect();
    let chosen = comparisons
        .iter()
        .min_by_key(|(r, c)| {
            (
                !fits.contains(r),
                c.missing.len() + c.extra.len() + usize::from(!c.sockets_agree),
            )
        })
        .map(|(r, c)| (*r, c));
    let last_outcome = named
        .last()
        .map_or(LookupOutcome::Unanswered, |(_, s)| outcome(s));
    let answered_by = named
        .iter()
        .find(|(_, s)| outcome(s) == LookupOutcome::Answered)
        .map(|(n, _)| n.clone());

    let reasons = if reverse {
        vec![explain::reverse(group)]
    } else {
        explain::stub(&Explain {
            group,
            conf: &conf,
            conf_source: group.reading.conf.and_then(|c| confs.get(c)),
            confs_given: !confs.is_empty(),
            named: &named,
            chosen,
            fits: &fits,
            families: &families,
            two_sockets: pairs.1,
            index,
        })
    };
    let (expected, missing, extra) = match (reverse, chosen) {
        (false, Some((_, c))) => (c.expected.clone(), c.missing.clone(), c.extra.clone()),
        _ => (
            group
                .sent
                .iter()
                .map(|s| PlannedQuery {
                    name: s.name.to_string(),
                    qtype: s.qtype.to_string(),
                })
                .collect(),
            Vec::new(),
            Vec::new(),
        ),
    };
    let resolver_fit = if reverse { resolvers.to_vec() } else { fits };
    Lookup {
        client: group
            .sent
            .first()
            .map(|s| s.client.to_string())
            .unwrap_or_default(),
        base_name: base,
        queries: group
            .sent
            .iter()
            .flat_map(|s| s.indices.iter().copied())
            .collect(),
        resolv_conf: group
            .reading
            .conf
            .and_then(|c| confs.get(c))
            .map(|c| c.source.clone()),
        search: conf.search.clone(),
        search_inferred: inferred && !reverse,
        ndots: (!inferred).then_some(conf.options.ndots),
        resolver_fit,
        outcome: last_outcome,
        answered_by,
        expected,
        missing,
        extra,
        explanation: words::render(&reasons),
        evidence: evidence(group),
    }
}

fn evidence(group: &Group<'_>) -> Vec<QueryEvidence> {
    group
        .sent
        .iter()
        .map(|s| QueryEvidence {
            name: s.name.to_string(),
            qtype: s.qtype.to_string(),
            rcode: s.rcode.map(str::to_string),
            source: s.source.to_string(),
            frame: s.frame,
            line: s.line,
            answer_line: s.answer_line,
        })
        .collect()
}

/// A DNS server's own query: its first name with the queries sent for it, and the server that sent them.
pub(super) fn forwarded<'a>(group: &Group<'a>) -> (String, Vec<&'a Sent<'a>>, String) {
    let named = by_name(&group.sent);
    let (name, sent) = named
        .first()
        .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
    let client = group
        .sent
        .first()
        .map(|s| s.client.to_string())
        .unwrap_or_default();
    (name, sent, client)
}

/// Builds the lookup of a DNS server's own query (a forward upstream).
pub(super) fn describe_forward(group: &Group<'_>, index: &Index<'_>) -> Lookup {
    let (name, sent, client) = forwarded(group);
    let explanation = words::render(&[explain::own_upstream(group, index)]);
    Lookup {
        client,
        base_name: name.trim_end_matches('.').to_string(),
        queries: group
            .sent
            .iter()
            .flat_map(|s| s.indices.iter().copied())
            .collect(),
        resolv_conf: None,
        search: Vec::new(),
        search_inferred: false,
        ndots: None,
        resolver_fit: Vec::new(),
        outcome: outcome(&sent),
        answered_by: (outcome(&sent) == LookupOutcome::Answered).then(|| name.clone()),
        expected: group
            .sent
            .iter()
            .map(|s| PlannedQuery {
                name: s.name.to_string(),
                qtype: s.qtype.to_string(),
            })
            .collect(),
        missing: Vec::new(),
        extra: Vec::new(),
        explanation,
        evidence: evidence(group),
    }
}
