//! Finding a lookup's reasons: the ordering rule, what each candidate got, where the search stopped or fell
//! through, where an outside name went, and which resolvers fit (`reasons.rs` is the data, `words.rs` the words).

use std::collections::BTreeSet;

use super::describe::{by_name, cluster_zone, in_zone, outcome, Comparison};
use super::grouping::{candidate_names, Group};
use super::reasons::{Asked, ConfPlace, Forwarded, Heard, Order, Reason, Step, Summary};
use super::sent::{host, Index, Sent};
use super::LookupOutcome;
use crate::dns::plan::Resolver;
use crate::source::inputs::ResolvSource;
use crate::source::resolv_conf::ResolvConf;

/// What the reasons of a stub resolver's lookup are built from.
pub(super) struct Explain<'a, 'g> {
    /// The lookup's queries and how they are read.
    pub(super) group: &'a Group<'g>,
    /// The resolv.conf compared with (given or inferred).
    pub(super) conf: &'a ResolvConf,
    /// The given resolv.conf, if one fits.
    pub(super) conf_source: Option<&'a ResolvSource>,
    /// Whether resolv.conf inputs were given.
    pub(super) confs_given: bool,
    /// The candidates in the order first sent, each with its queries.
    pub(super) named: &'a [(String, Vec<&'g Sent<'g>>)],
    /// The resolver compared with: the first that fits, or the closest.
    pub(super) chosen: Option<(Resolver, &'a Comparison)>,
    /// The resolvers that send exactly this.
    pub(super) fits: &'a [Resolver],
    /// The address families asked.
    pub(super) families: &'a BTreeSet<String>,
    /// Whether each A/AAAA pair left from two source ports.
    pub(super) two_sockets: bool,
    /// Every transaction, by who asked what.
    pub(super) index: &'a Index<'a>,
}

/// Why each query of a stub resolver's lookup was sent, and why the last one was.
pub(super) fn stub(e: &Explain<'_, '_>) -> Vec<Reason> {
    let base = &e.group.reading.base;
    let as_is = format!("{base}.");
    let dots = base.matches('.').count();
    let ndots = usize::from(e.conf.options.ndots);
    let search_first = !e.conf.search.is_empty() && dots < ndots;
    let mut out = vec![Reason::Order(ordering(e, dots, ndots, search_first))];
    let Some(((last, last_sent), before)) = e.named.split_last() else {
        return out;
    };
    // The candidates a resolver with this file tries, in order (glibc's list with the others' extras).
    let planned = if e.conf_source.is_some() {
        e.group.reading.candidates.clone()
    } else {
        candidate_names(base, e.conf)
    };
    let first_sent = e.named.first().map(|(n, _)| n.as_str()).unwrap_or_default();
    let skipped_before: Vec<String> = planned
        .iter()
        .take_while(|n| n.as_str() != first_sent)
        .cloned()
        .collect();
    let last_heard = Heard::candidate(last_sent);
    let mut steps = Vec::new();
    if before.is_empty() && *last == as_is && search_first {
        // Only the name as typed, though the search list should have come first.
        steps.push(Step::OnlyTyped {
            as_is: as_is.clone(),
            first: skipped_before.iter().take(3).cloned().collect(),
            heard: last_heard,
        });
    } else {
        if !skipped_before.is_empty() {
            steps.push(Step::StartsMidLookup {
                first: first_sent.to_string(),
                skipped: skipped_before,
            });
        }
        let walk = Candidates {
            last,
            last_sent,
            before,
            as_is: &as_is,
            search_first,
            planned: &planned,
        };
        walked(e, &walk, &mut steps);
    }
    out.extend(steps.into_iter().map(Reason::Step));
    // A name outside the cluster zone goes upstream.
    if let Some(zone) = cluster_zone(&e.conf.search) {
        if !in_zone(last, &zone) {
            out.push(Reason::OutsideZone {
                last: last.clone(),
                forwarded: forwarded(e, last_sent),
                zone,
            });
        }
    }
    if e.families.len() == 1 {
        if let Some(family) = e.families.first() {
            out.push(Reason::OneFamily {
                family: family.clone(),
            });
        }
    }
    out.extend(fit(e));
    out
}

/// The rule that orders the candidates: the resolv.conf's search list and ndots, or what the names show.
fn ordering(e: &Explain<'_, '_>, dots: usize, ndots: usize, search_first: bool) -> Order {
    let base = &e.group.reading.base;
    let as_is = format!("{base}.");
    let client = e.group.sent.first().map_or("", |s| s.client).to_string();
    match e.conf_source {
        Some(source) => {
            let place = ConfPlace {
                source: source.source.to_string(),
                line: e.conf.options.line,
            };
            if e.conf.search.is_empty() {
                Order::NoSearchList {
                    conf: source.source.to_string(),
                    as_is,
                }
            } else if search_first {
                Order::SearchFirst {
                    base: base.clone(),
                    dots,
                    ndots,
                    place,
                }
            } else {
                Order::TypedFirst {
                    base: base.clone(),
                    dots,
                    ndots,
                    place,
                }
            }
        }
        None if e.conf.search.is_empty() => Order::AskedAlone {
            confs_given: e.confs_given,
            client,
            as_is,
        },
        None => Order::SearchInferred {
            confs_given: e.confs_given,
            client,
            search: e.conf.search.clone(),
        },
    }
}

/// A lookup's candidates: the last one and those before it.
struct Candidates<'w, 'g> {
    last: &'w String,
    last_sent: &'w [&'g Sent<'g>],
    before: &'w [(String, Vec<&'g Sent<'g>>)],
    as_is: &'w str,
    search_first: bool,
    planned: &'w [String],
}

/// What the candidates got, and why the last one was sent: the search stopped, fell through to the name as typed,
/// or ended at an answer or a failure.
fn walked(e: &Explain<'_, '_>, w: &Candidates<'_, '_>, out: &mut Vec<Step>) {
    let last_outcome = outcome(w.last_sent);
    let last_heard = Heard::candidate(w.last_sent);
    let continued = |o: LookupOutcome| {
        matches!(
            o,
            LookupOutcome::NxDomain | LookupOutcome::NoData | LookupOutcome::ServFail
        )
    };
    let stop = w.before.iter().position(|(_, s)| {
        matches!(
            outcome(s),
            LookupOutcome::Unanswered | LookupOutcome::Refused
        )
    });
    let summary = summarize(w.before, true);
    let as_is_last = *w.last == w.as_is && w.search_first;
    match (stop, as_is_last) {
        (Some(k), true) => {
            // glibc's stop rule: a timeout or REFUSED ends the search list, then the name as typed.
            let (stopped, stopped_sent) = w
                .before
                .get(k)
                .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
            let skipping: Vec<String> = w
                .planned
                .iter()
                .skip_while(|n| **n != stopped)
                .skip(1)
                .filter(|n| n.as_str() != w.as_is && !e.named.iter().any(|(m, _)| m == *n))
                .cloned()
                .collect();
            if let Some(earlier) = summarize(w.before.get(..k).unwrap_or_default(), false) {
                out.push(Step::Earlier(earlier));
            }
            out.push(Step::SearchStopped {
                heard: Heard::candidate(&stopped_sent),
                stopped,
                as_is: w.as_is.to_string(),
                skipping,
                last: last_heard,
            });
        }
        (None, true) => {
            if w.before.iter().all(|(_, s)| continued(outcome(s))) {
                let who = match e.fits {
                    [] => e.chosen.map(|(r, _)| r).into_iter().collect(),
                    fits => fits.to_vec(),
                };
                out.push(Step::FellThrough {
                    before: summary,
                    who,
                    as_is: w.as_is.to_string(),
                    last: last_heard,
                });
            } else {
                out.push(Step::ThenTyped {
                    before: summary,
                    as_is: w.as_is.to_string(),
                    last: last_heard,
                });
            }
        }
        (_, false) => {
            if let Some(summary) = summary {
                out.push(Step::Earlier(summary));
            }
            if last_outcome == LookupOutcome::Answered {
                let searched = *w.last != w.as_is && w.search_first;
                out.push(Step::EndedAt {
                    last: w.last.clone(),
                    heard: last_heard,
                    no_bare: searched.then(|| w.as_is.to_string()),
                });
            } else {
                out.push(Step::LastGot {
                    last: w.last.clone(),
                    heard: last_heard,
                });
                out.push(after_failure(e, w.last, last_outcome, w.planned));
            }
        }
    }
}

/// What `candidates` got: one summary when they all got the same (`every` when they are every candidate before
/// the last), else one per candidate.
fn summarize(candidates: &[(String, Vec<&Sent<'_>>)], every: bool) -> Option<Summary> {
    let (first, rest) = candidates.split_first()?;
    let o = outcome(&first.1);
    let all: Vec<&Sent> = candidates
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    if rest.iter().all(|(_, s)| outcome(s) == o) {
        let heard = Heard::of(o, &all);
        Some(if rest.is_empty() {
            Summary::One(first.0.clone(), heard)
        } else {
            Summary::Same {
                names: candidates.iter().map(|(n, _)| n.clone()).collect(),
                heard,
                every,
            }
        })
    } else {
        Some(Summary::Each(
            candidates
                .iter()
                .map(|(n, s)| (n.clone(), Heard::candidate(s)))
                .collect(),
        ))
    }
}

/// What happens after a failed last candidate: where each resolver stops or goes on.
fn after_failure(e: &Explain<'_, '_>, last: &str, o: LookupOutcome, planned: &[String]) -> Step {
    let next: Option<&String> = planned.iter().skip_while(|n| n.as_str() != last).nth(1);
    let Some(next) = next else {
        return Step::NoMoreCandidates(o);
    };
    if e.fits.contains(&Resolver::Musl) && !e.fits.contains(&Resolver::Glibc) {
        return Step::MuslStopped {
            outcome: o,
            never_sent: planned
                .iter()
                .skip_while(|n| n.as_str() != last)
                .skip(1)
                .cloned()
                .collect(),
            next: next.clone(),
        };
    }
    Step::NothingFollows { next: next.clone() }
}

/// The query the DNS server the last candidate went to (a Service VIP, or the pod behind it) sent on for the same
/// name and type next, when the capture shows it.
fn forwarded(e: &Explain<'_, '_>, last_sent: &[&Sent]) -> Option<Forwarded> {
    let servers: Vec<&str> = last_sent
        .iter()
        .flat_map(|s| s.indices.iter())
        .filter_map(|&i| e.index.transactions.get(i))
        .map(|t| host(&t.server))
        .collect();
    let forwarded = e.index.nearest(last_sent, &servers, true, true);
    let f = forwarded.first()?;
    let mut frames: Vec<u32> = forwarded.iter().map(|t| t.frame).collect();
    frames.sort_unstable();
    frames.dedup();
    Some(Forwarded {
        by: host(&f.client).to_string(),
        upstream: host(&f.server).to_string(),
        frames,
        rcode: f.rcode.as_deref().map(str::to_string),
    })
}

/// Which modelled resolvers send exactly this, or how the closest one differs.
fn fit(e: &Explain<'_, '_>) -> Option<Reason> {
    match (e.fits, e.chosen) {
        ([], Some((r, c))) => Some(Reason::NoResolverFits {
            resolver: r,
            missing: c.missing.clone(),
            extra: c.extra.clone(),
            sockets_agree: c.sockets_agree,
        }),
        ([], None) => None,
        ([_, _, _], _) => Some(Reason::AllFit),
        (fits, _) => Some(Reason::OnlyFit {
            fits: fits.to_vec(),
            two_sockets: e.two_sockets,
        }),
    }
}

/// A reverse lookup: its name and what it got.
pub(super) fn reverse(group: &Group<'_>) -> Reason {
    let named = by_name(&group.sent);
    let (name, sent) = named
        .first()
        .map_or((String::new(), Vec::new()), |(n, s)| (n.clone(), s.clone()));
    Reason::Reverse {
        name,
        heard: Heard::candidate(&sent),
    }
}

/// A DNS server's own query: the server, the client query it forwards, and what it got.
pub(super) fn own_upstream(group: &Group<'_>, index: &Index<'_>) -> Reason {
    let (name, sent, client) = super::describe::forwarded(group);
    let server = group
        .sent
        .first()
        .map(|s| s.server.to_string())
        .unwrap_or_default();
    let served = index
        .first_served
        .get(client.as_str())
        .copied()
        .unwrap_or(0);
    // The client queries it forwards: the last query for the same name and type sent to it before each of its own.
    let asked = index.nearest(&sent, &[client.as_str()], false, false);
    let forwards = asked.last().map(|t| {
        let mut frames: Vec<u32> = asked.iter().map(|t| t.frame).collect();
        frames.sort_unstable();
        frames.dedup();
        Asked {
            by: host(&t.client).to_string(),
            frames,
        }
    });
    Reason::OwnUpstream {
        client,
        served,
        name,
        server,
        forwards,
        heard: Heard::candidate(&sent),
    }
}
