//! Why a lookup's queries were sent, as data: the ordering rule of the resolv.conf, what each candidate got, where
//! the search stopped or fell through, which resolvers send exactly that. `explain.rs` finds them, `words.rs`
//! writes them out.

use super::describe::outcome;
use super::sent::Sent;
use super::{LookupOutcome, PlannedQuery};
use crate::dns::plan::Resolver;

/// How a candidate's queries were answered, as the capture shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Got {
    /// Records came back: the first four.
    Answered(Vec<String>),
    /// NXDOMAIN.
    NxDomain,
    /// NOERROR without records.
    NoData,
    /// SERVFAIL.
    ServFail,
    /// REFUSED, or the other error rcode that came back.
    Refused(String),
    /// No answer; `sent` is the most copies of one of its queries.
    Unanswered {
        /// Copies sent.
        sent: u32,
    },
}

/// What one or more candidates got, and in which frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Heard {
    /// The answer.
    pub(super) got: Got,
    /// The frames of their queries, ascending.
    pub(super) frames: Vec<u32>,
}

impl Heard {
    /// What `sent`, taken together as `o`, got.
    pub(super) fn of(o: LookupOutcome, sent: &[&Sent]) -> Heard {
        let got = match o {
            LookupOutcome::Answered => Got::Answered(
                sent.iter()
                    .flat_map(|s| s.answers.iter().cloned())
                    .take(4)
                    .collect(),
            ),
            LookupOutcome::NxDomain => Got::NxDomain,
            LookupOutcome::NoData => Got::NoData,
            LookupOutcome::ServFail => Got::ServFail,
            LookupOutcome::Refused => Got::Refused(
                sent.iter()
                    .find_map(|s| {
                        s.rcode
                            .filter(|r| !matches!(*r, "NOERROR" | "NXDOMAIN" | "SERVFAIL"))
                    })
                    .unwrap_or("REFUSED")
                    .to_string(),
            ),
            LookupOutcome::Unanswered => Got::Unanswered {
                sent: sent.iter().map(|s| s.queries_sent).max().unwrap_or(1),
            },
        };
        let mut frames: Vec<u32> = sent.iter().map(|s| s.frame).collect();
        frames.sort_unstable();
        frames.dedup();
        Heard { got, frames }
    }

    /// What the queries of one candidate got.
    pub(super) fn candidate(sent: &[&Sent]) -> Heard {
        Heard::of(outcome(sent), sent)
    }
}

/// What several candidates got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Summary {
    /// One candidate.
    One(String, Heard),
    /// Several that all got the same; `every` when they are every candidate before the last.
    Same {
        /// The candidates.
        names: Vec<String>,
        /// What they got, together.
        heard: Heard,
        /// Whether they are every candidate before the last.
        every: bool,
    },
    /// Several that got different answers, each with its own.
    Each(Vec<(String, Heard)>),
}

/// Where a resolv.conf sets ndots: its `options` line, or nowhere (the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConfPlace {
    /// The resolv.conf input.
    pub(super) source: String,
    /// The `options` line.
    pub(super) line: Option<u32>,
}

/// The query a DNS server sent on for a name outside the cluster zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Forwarded {
    /// The server that asked (the client of the forwarded query).
    pub(super) by: String,
    /// The upstream it asked.
    pub(super) upstream: String,
    /// The forwarded queries' frames.
    pub(super) frames: Vec<u32>,
    /// The upstream's rcode, if it answered.
    pub(super) rcode: Option<String>,
}

/// One reason in a lookup's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reason {
    /// The rule that orders the candidates.
    Order(Order),
    /// What the candidates got, and why the last one was sent.
    Step(Step),
    /// The last candidate is outside the cluster zone: it goes upstream.
    OutsideZone {
        /// The candidate.
        last: String,
        /// The cluster zone.
        zone: String,
        /// The forwarded query, when the capture shows it.
        forwarded: Option<Forwarded>,
    },
    /// Only one address family was asked.
    OneFamily {
        /// `A` or `AAAA`.
        family: String,
    },
    /// No modelled resolver sends exactly this; how the closest one differs.
    NoResolverFits {
        /// The closest resolver.
        resolver: Resolver,
        /// The queries it would also send.
        missing: Vec<PlannedQuery>,
        /// The queries it would not send.
        extra: Vec<PlannedQuery>,
        /// Whether its sockets agree with the capture's.
        sockets_agree: bool,
    },
    /// glibc, musl and Go all send exactly this.
    AllFit,
    /// Only these resolvers send exactly this.
    OnlyFit {
        /// The resolvers.
        fits: Vec<Resolver>,
        /// Whether each A/AAAA pair left from two source ports.
        two_sockets: bool,
    },
    /// A reverse (PTR) lookup, asked as is.
    Reverse {
        /// The name asked.
        name: String,
        /// What it got.
        heard: Heard,
    },
    /// A DNS server's own upstream query.
    OwnUpstream {
        /// The server (the query's client).
        client: String,
        /// The first frame that went to it.
        served: u32,
        /// The name asked.
        name: String,
        /// The upstream asked.
        server: String,
        /// The client query it forwards, when the capture shows it.
        forwards: Option<Asked>,
        /// What it got.
        heard: Heard,
    },
}

/// The rule that orders a lookup's candidates: the resolv.conf's search list and ndots, or what the names show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Order {
    /// The resolv.conf has no search list: the name as typed is the only one.
    NoSearchList {
        /// The resolv.conf input.
        conf: String,
        /// The name as typed, with its trailing dot.
        as_is: String,
    },
    /// Fewer dots than ndots: the search list goes first.
    SearchFirst {
        /// The base name.
        base: String,
        /// Its dots.
        dots: usize,
        /// The resolv.conf's ndots.
        ndots: usize,
        /// Where ndots is set.
        place: ConfPlace,
    },
    /// At least ndots dots: the name as typed goes first.
    TypedFirst {
        /// The base name.
        base: String,
        /// Its dots.
        dots: usize,
        /// The resolv.conf's ndots.
        ndots: usize,
        /// Where ndots is set.
        place: ConfPlace,
    },
    /// No resolv.conf fits, and the client asked the name alone.
    AskedAlone {
        /// Whether resolv.conf inputs were given.
        confs_given: bool,
        /// The client's address.
        client: String,
        /// The name as typed.
        as_is: String,
    },
    /// No resolv.conf fits: the search list is read from the names sent.
    SearchInferred {
        /// Whether resolv.conf inputs were given.
        confs_given: bool,
        /// The client's address.
        client: String,
        /// The search list read from the names.
        search: Vec<String>,
    },
}

/// What a lookup's candidates got, and why its last one was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// Only the name as typed was sent, though the search list should have come first.
    OnlyTyped {
        /// The name as typed.
        as_is: String,
        /// The first candidates a resolver tries before it (at most three).
        first: Vec<String>,
        /// What it got.
        heard: Heard,
    },
    /// The capture starts after the lookup's first candidates.
    StartsMidLookup {
        /// The first candidate in the capture.
        first: String,
        /// The candidates before it that it does not show.
        skipped: Vec<String>,
    },
    /// What the candidates before got.
    Earlier(Summary),
    /// A timeout or REFUSED stopped glibc's walk of the search list.
    SearchStopped {
        /// The candidate that stopped it.
        stopped: String,
        /// What it got.
        heard: Heard,
        /// The name as typed, tried next.
        as_is: String,
        /// The search candidates left out.
        skipping: Vec<String>,
        /// What the name as typed got.
        last: Heard,
    },
    /// Every search candidate failed and the resolver fell through to the name as typed.
    FellThrough {
        /// What the search candidates got.
        before: Option<Summary>,
        /// The resolvers that send exactly this (or the closest one).
        who: Vec<Resolver>,
        /// The name as typed.
        as_is: String,
        /// What it got.
        last: Heard,
    },
    /// The search candidates got something, then the name as typed was asked.
    ThenTyped {
        /// What the search candidates got.
        before: Option<Summary>,
        /// The name as typed.
        as_is: String,
        /// What it got.
        last: Heard,
    },
    /// The last candidate got addresses and ended the lookup.
    EndedAt {
        /// The candidate.
        last: String,
        /// What it got.
        heard: Heard,
        /// The name as typed, when the search list answered first and it was never asked.
        no_bare: Option<String>,
    },
    /// What the last candidate, which failed, got.
    LastGot {
        /// The candidate.
        last: String,
        /// What it got.
        heard: Heard,
    },
    /// The failed candidate was the last one a resolver tries.
    NoMoreCandidates(LookupOutcome),
    /// musl stops after anything but NXDOMAIN.
    MuslStopped {
        /// How the last candidate failed.
        outcome: LookupOutcome,
        /// The candidates never sent.
        never_sent: Vec<String>,
        /// The one glibc and Go would ask next.
        next: String,
    },
    /// Nothing follows the failed candidate in the capture.
    NothingFollows {
        /// The candidate a resolver that goes on asks next.
        next: String,
    },
}

/// The client query a DNS server forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Asked {
    /// The client that asked the server.
    pub(super) by: String,
    /// The frames of the client's queries.
    pub(super) frames: Vec<u32>,
}
