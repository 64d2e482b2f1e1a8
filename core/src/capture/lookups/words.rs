//! A lookup's reasons in words: [`render`] writes the explanation of `dnatlas.analysis/1`'s lookups.

use super::reasons::{Asked, ConfPlace, Forwarded, Got, Heard, Order, Reason, Step, Summary};
use super::{LookupOutcome, PlannedQuery};
use crate::dns::plan::Resolver;
use crate::text::capitalize;

/// The most candidates named in an explanation.
const MAX_NAMED: usize = 8;

/// The explanation: each reason a sentence (or two), in order.
pub(super) fn render(reasons: &[Reason]) -> String {
    let mut out: Vec<String> = reasons.iter().map(sentence).collect();
    out.retain(|s| !s.is_empty());
    out.join(" ")
}

/// One reason in words.
fn sentence(reason: &Reason) -> String {
    match reason {
        Reason::Order(order) => order_words(order),
        Reason::Step(step) => step_words(step),
        Reason::OutsideZone {
            last,
            zone,
            forwarded,
        } => outside_zone(last, zone, forwarded.as_ref()),
        Reason::OneFamily { family } => format!(
            "Only {family} was asked: the application wanted {} addresses only, so no {} is expected.",
            if family == "A" { "IPv4" } else { "IPv6" },
            if family == "A" { "AAAA" } else { "A" }
        ),
        Reason::NoResolverFits {
            resolver,
            missing,
            extra,
            sockets_agree,
        } => no_resolver_fits(*resolver, missing, extra, *sockets_agree),
        Reason::AllFit => "glibc, musl and Go all send exactly this.".to_string(),
        Reason::OnlyFit { fits, two_sockets } => format!(
            "Of the modelled resolvers only {} {} exactly this{}.",
            resolver_list(fits),
            if fits.len() == 1 { "sends" } else { "send" },
            if *two_sockets {
                " (each A/AAAA pair left from two source ports, as Go's separate sockets send them)"
            } else {
                ""
            }
        ),
        Reason::Reverse { name, heard } => format!(
            "`{name}` is a reverse lookup (PTR), the address written backwards under {}: it is asked as is — \
             getnameinfo and gethostbyaddr do not use the search list — and {}.",
            if name.ends_with(".ip6.arpa.") {
                "ip6.arpa"
            } else {
                "in-addr.arpa"
            },
            result(heard)
        ),
        Reason::OwnUpstream {
            client,
            served,
            name,
            server,
            forwards,
            heard,
        } => format!(
            "{client} answers DNS queries in this capture (frame {served}), so `{name}` to {server} is its own \
             upstream traffic: {}, sent as it is — a stub resolver's search list does not apply. It {}.",
            forwards_words(forwards.as_ref()),
            result(heard)
        ),
    }
}

/// The ordering rule in words.
fn order_words(order: &Order) -> String {
    match order {
        Order::NoSearchList { conf, as_is } => {
            format!("{conf} has no search list, so `{as_is}` is the only name to ask.")
        }
        Order::SearchFirst {
            base,
            dots,
            ndots,
            place,
        } => format!(
            "`{base}` has {} < ndots {ndots} ({}), so the search list goes first and the name as typed last.",
            plural(*dots, "dot", "dots"),
            conf_place(place)
        ),
        Order::TypedFirst {
            base,
            dots,
            ndots,
            place,
        } => format!(
            "`{base}` has {} ≥ ndots {ndots} ({}), so it is tried as typed first (glibc and Go then try the \
             search list if that fails; musl never searches it).",
            plural(*dots, "dot", "dots"),
            conf_place(place)
        ),
        Order::AskedAlone {
            confs_given,
            client,
            as_is,
        } => format!("{}; {client} asked `{as_is}` alone.", no_conf(*confs_given)),
        Order::SearchInferred {
            confs_given,
            client,
            search,
        } => format!(
            "{}, so the search list is inferred from the names {client} sent: {}.",
            no_conf(*confs_given),
            search.join(", ")
        ),
    }
}

/// What the candidates got, and why the last one was sent, in words.
fn step_words(step: &Step) -> String {
    match step {
        Step::OnlyTyped {
            as_is,
            first,
            heard,
        } => format!(
            "Only `{as_is}` was sent, though a resolver with this search list tries {} first: the name was asked \
             with a trailing dot, or by a client that does not search (dig without +search, res_query, a hostNetwork \
             pod whose dnsPolicy ClusterFirst fell back to the node's resolv.conf). It {}.",
            join_names(&quoted(first)),
            result(heard)
        ),
        Step::StartsMidLookup { first, skipped } => format!(
            "The capture starts at `{first}`: {} before it {} not in it (the capture began mid-lookup, or \
             this client's search list differs).",
            join_names(&quoted(skipped)),
            if skipped.len() == 1 { "is" } else { "are" }
        ),
        Step::Earlier(summary) => format!("{}.", capitalize(&summary_words(summary))),
        Step::SearchStopped {
            stopped,
            heard,
            as_is,
            skipping,
            last,
        } => format!(
            "`{stopped}` {}: glibc stops walking the search list on a timeout or REFUSED and tries the \
             name as typed right away, `{as_is}`{}. It {}.",
            result(heard),
            if skipping.is_empty() {
                String::new()
            } else {
                format!(", skipping {}", join_names(&quoted(skipping)))
            },
            result(last)
        ),
        Step::FellThrough {
            before,
            who,
            as_is,
            last,
        } => format!(
            "{}, so {} fell through to the name as typed, `{as_is}` ({}), the final fallback \
             after every search candidate failed. It {}.",
            capitalize(&before.as_ref().map(summary_words).unwrap_or_default()),
            resolver_list(who),
            frames(&last.frames),
            got(&last.got)
        ),
        Step::ThenTyped {
            before,
            as_is,
            last,
        } => format!(
            "{}. Then `{as_is}` {}.",
            capitalize(&before.as_ref().map(summary_words).unwrap_or_default()),
            result(last)
        ),
        Step::EndedAt {
            last,
            heard,
            no_bare,
        } => format!(
            "`{last}` {}, so the lookup ended there{}.",
            result(heard),
            match no_bare {
                Some(as_is) => format!(" and no bare `{as_is}` query was sent"),
                None => String::new(),
            }
        ),
        Step::LastGot { last, heard } => format!("`{last}` {}.", result(heard)),
        Step::NoMoreCandidates(o) => format!(
            "That was the last candidate: the lookup failed with {}.",
            outcome_word(*o)
        ),
        Step::MuslStopped {
            outcome,
            never_sent,
            next,
        } => format!(
            "musl stops the search on {} (it goes on only after NXDOMAIN), so {} {} never sent; glibc and Go \
             would have gone on to `{next}`.",
            outcome_word(*outcome),
            join_names(&quoted(never_sent)),
            if never_sent.len() == 1 { "was" } else { "were" }
        ),
        Step::NothingFollows { next } => format!(
            "No later query for this name follows in the capture (it ended, or the application gave up); a resolver \
             that goes on would ask `{next}` next."
        ),
    }
}

/// `No resolv.conf …`: why the search list is not a given file's.
fn no_conf(confs_given: bool) -> &'static str {
    if confs_given {
        "No resolv.conf given fits this client"
    } else {
        "No resolv.conf was given"
    }
}

/// Where ndots is set: `resolv.conf:3`, or `resolv.conf, default`.
fn conf_place(place: &ConfPlace) -> String {
    match place.line {
        Some(line) => format!("{}:{line}", place.source),
        None => format!("{}, default", place.source),
    }
}

/// What candidates got, with their frames: `got NXDOMAIN (frames 1, 2)`.
fn result(heard: &Heard) -> String {
    format!("{} ({})", got(&heard.got), frames(&heard.frames))
}

/// What candidates got, in words.
fn got(got: &Got) -> String {
    match got {
        Got::Answered(answers) => format!("was answered with {}", answers.join(", ")),
        Got::NxDomain => "got NXDOMAIN".to_string(),
        Got::NoData => "got NODATA (NOERROR without records)".to_string(),
        Got::ServFail => "got SERVFAIL".to_string(),
        Got::Refused(rcode) => format!("got {rcode}"),
        Got::Unanswered { sent } if *sent > 1 => {
            format!("got no answer (sent {sent} times: the resolver's timeout and retry)")
        }
        Got::Unanswered { .. } => "got no answer".to_string(),
    }
}

/// `frame 3`, `frames 3, 4`.
fn frames(frames: &[u32]) -> String {
    let list: Vec<String> = frames.iter().map(u32::to_string).collect();
    match list.as_slice() {
        [one] => format!("frame {one}"),
        _ => format!("frames {}", list.join(", ")),
    }
}

/// What several candidates got, without the capital letter a sentence starts with.
fn summary_words(summary: &Summary) -> String {
    match summary {
        Summary::One(name, heard) => format!("`{name}` {}", result(heard)),
        Summary::Same {
            names,
            heard,
            every: true,
        } => format!(
            "every candidate before it — {} — {}",
            join_names(&quoted(names)),
            result(heard)
        ),
        Summary::Same { names, heard, .. } => {
            format!("{} {}", join_names(&quoted(names)), result(heard))
        }
        Summary::Each(each) => each
            .iter()
            .map(|(n, heard)| format!("`{n}` {}", result(heard)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Where a name outside the cluster zone goes, with the forwarded query when the capture shows it.
fn outside_zone(last: &str, zone: &str, forwarded: Option<&Forwarded>) -> String {
    let mut note = format!(
        "`{last}` is outside the cluster zone {zone}, so cluster DNS does not answer it from its Kubernetes records \
         but forwards it upstream"
    );
    if let Some(f) = forwarded {
        note.push_str(&format!(
            ": the capture shows {} asking {} ({}){}",
            f.by,
            f.upstream,
            frames(&f.frames),
            match &f.rcode {
                Some(rcode) => format!(", which answers {rcode}"),
                None => String::new(),
            }
        ));
    }
    note.push('.');
    note
}

/// What a DNS server's own query forwards.
fn forwards_words(forwards: Option<&Asked>) -> String {
    match forwards {
        Some(asked) => format!(
            "it forwards what {} asked it ({})",
            asked.by,
            frames(&asked.frames)
        ),
        None => {
            "a query of its own (a forward, or a lookup the server makes for itself)".to_string()
        }
    }
}

/// How the closest resolver differs from what the capture shows.
fn no_resolver_fits(
    r: Resolver,
    missing: &[PlannedQuery],
    extra: &[PlannedQuery],
    sockets_agree: bool,
) -> String {
    let names = |q: &[PlannedQuery]| {
        join_names(
            &q.iter()
                .map(|q| format!("{} {}", q.name, q.qtype))
                .collect::<Vec<_>>(),
        )
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "{} would also send {}",
            resolver_name(r),
            names(missing)
        ));
    }
    if !extra.is_empty() {
        parts.push(format!(
            "{} would not send {}",
            resolver_name(r),
            names(extra)
        ));
    }
    if !sockets_agree {
        parts.push(format!(
            "{} would send each A/AAAA pair from {}",
            resolver_name(r),
            if r == Resolver::Go {
                "two sockets"
            } else {
                "one socket"
            }
        ));
    }
    format!(
        "No modelled resolver sends exactly this: {}.",
        parts.join("; ")
    )
}

fn resolver_name(r: Resolver) -> &'static str {
    match r {
        Resolver::Glibc => "glibc",
        Resolver::Musl => "musl",
        Resolver::Go => "Go",
        Resolver::Busybox => "busybox nslookup",
    }
}

/// The names of `resolvers`: `glibc`, `glibc and musl`, `glibc, musl and Go`; `the resolver` for none.
fn resolver_list(resolvers: &[Resolver]) -> String {
    let names: Vec<&str> = resolvers.iter().map(|&r| resolver_name(r)).collect();
    match names.as_slice() {
        [] => "the resolver".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn quoted(names: &[String]) -> Vec<String> {
    names.iter().map(|n| format!("`{n}`")).collect()
}

/// The first [`MAX_NAMED`] names, then how many more.
fn join_names(names: &[String]) -> String {
    let mut shown: Vec<&str> = names.iter().take(MAX_NAMED).map(String::as_str).collect();
    let more = names.len().saturating_sub(MAX_NAMED);
    let more_text = format!("{more} more");
    if more > 0 {
        shown.push(&more_text);
    }
    shown.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn outcome_word(o: LookupOutcome) -> &'static str {
    match o {
        LookupOutcome::Answered => "an answer",
        LookupOutcome::NxDomain => "NXDOMAIN",
        LookupOutcome::NoData => "NODATA",
        LookupOutcome::ServFail => "SERVFAIL",
        LookupOutcome::Refused => "REFUSED",
        LookupOutcome::Unanswered => "no answer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard(got: Got, frames: &[u32]) -> Heard {
        Heard {
            got,
            frames: frames.to_vec(),
        }
    }

    #[test]
    fn reasons_read_as_sentences_joined_by_spaces() {
        let failed = [
            Reason::Step(Step::LastGot {
                last: "web.example.".into(),
                heard: heard(Got::NxDomain, &[3]),
            }),
            Reason::Step(Step::NoMoreCandidates(LookupOutcome::NxDomain)),
        ];
        assert_eq!(
            render(&failed),
            "`web.example.` got NXDOMAIN (frame 3). That was the last candidate: the lookup failed with NXDOMAIN."
        );
        let many = Reason::Step(Step::Earlier(Summary::Same {
            names: (1..=10).map(|i| format!("n{i}.")).collect(),
            heard: heard(Got::Unanswered { sent: 2 }, &[1, 2]),
            every: false,
        }));
        assert_eq!(
            render(&[many]),
            "`n1.`, `n2.`, `n3.`, `n4.`, `n5.`, `n6.`, `n7.`, `n8.`, 2 more got no answer (sent 2 times: the \
             resolver's timeout and retry) (frames 1, 2)."
        );
        let fit = Reason::OnlyFit {
            fits: vec![Resolver::Glibc, Resolver::Musl],
            two_sockets: false,
        };
        let ordered = Reason::Order(Order::NoSearchList {
            conf: "pod.conf".into(),
            as_is: "db.".into(),
        });
        let then = Reason::Step(Step::ThenTyped {
            before: Some(Summary::One(
                "db.default.svc.".into(),
                heard(Got::ServFail, &[1]),
            )),
            as_is: "db.".into(),
            last: heard(Got::NoData, &[2, 3]),
        });
        assert_eq!(
            render(&[ordered, then]),
            "pod.conf has no search list, so `db.` is the only name to ask. `db.default.svc.` got SERVFAIL (frame 1). \
             Then `db.` got NODATA (NOERROR without records) (frames 2, 3)."
        );
        assert_eq!(
            render(&[fit, Reason::AllFit]),
            "Of the modelled resolvers only glibc and musl send exactly this. glibc, musl and Go all send exactly this."
        );
    }
}
