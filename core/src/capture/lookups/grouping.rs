//! Grouping one client's queries into lookups: how a lookup's names are read (a resolv.conf's candidates or a
//! base name inferred from the names), which query joins which open lookup, and where a lookup ends.

use std::rc::Rc;

use super::sent::{gap, Sent};
use super::WINDOW_US;
use crate::dns::plan::{self, Resolver};
use crate::source::inputs::ResolvSource;
use crate::source::resolv_conf::ResolvConf;

/// How many of a client's later queries are read to choose a new lookup's base name and resolv.conf.
const LOOKAHEAD: usize = 64;
/// How many lookups of one client stay open at once (interleaved lookups of several threads).
const MAX_OPEN: usize = 32;
/// The most queries one lookup takes (a real one has two per candidate, and kubelet allows 32 search domains).
const MAX_GROUP: usize = 128;
/// The lookahead stops after this many of the client's queries in a row that a reading does not take.
const MAX_MISSES: usize = 16;
/// The most leading label runs tried as an inferred base name (besides the whole name).
const MAX_INFERRED: usize = 16;

/// How a lookup's names are read.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    /// The base name, without a trailing dot.
    pub(super) base: String,
    /// The resolv.conf used (an index into the inputs), or `None` when inferred.
    pub(super) conf: Option<usize>,
    /// Every name a modelled resolver may send for `base`, in glibc's order (conf readings only).
    pub(super) candidates: Vec<String>,
}

impl Reading {
    /// The candidate index of `name`: its place among `candidates`, or for an inferred reading 0 for any name
    /// that is the base with a suffix or the base itself.
    fn index(&self, name: &str) -> Option<usize> {
        if self.conf.is_some() {
            self.candidates.iter().position(|c| c == name)
        } else {
            let bare = name.trim_end_matches('.');
            (bare == self.base
                || bare
                    .strip_prefix(self.base.as_str())
                    .is_some_and(|rest| rest.starts_with('.')))
            .then_some(0)
        }
    }
}

#[derive(Debug)]
pub(super) struct Group<'a> {
    /// How its names are read.
    pub(super) reading: Rc<Reading>,
    /// Its queries, in order.
    pub(super) sent: Vec<&'a Sent<'a>>,
    /// The last candidate index joined.
    last: usize,
    /// The candidate that got addresses.
    answered: Option<String>,
}

impl Group<'_> {
    fn accepts(&self, s: &Sent) -> bool {
        let Some(first) = self.sent.first() else {
            return false;
        };
        if first.address_family() != s.address_family()
            || (!first.address_family() && first.qtype != s.qtype)
        {
            return false;
        }
        if self.sent.len() >= MAX_GROUP
            || self
                .sent
                .iter()
                .any(|o| o.name == s.name && o.qtype == s.qtype)
        {
            return false;
        }
        if let Some(answered) = &self.answered {
            return *answered == s.name;
        }
        if let Some(g) = gap(self.sent.last().and_then(|l| l.time), s.time) {
            if g > WINDOW_US {
                return false;
            }
        }
        self.reading.index(&s.name).is_some_and(|i| i >= self.last)
    }
}

impl<'a> Group<'a> {
    fn push(&mut self, s: &'a Sent) {
        if let Some(i) = self.reading.index(&s.name) {
            self.last = self.last.max(i);
        }
        if has_addresses(s) {
            self.answered = Some(s.name.to_string());
        }
        self.sent.push(s);
    }
}

/// Whether a query got addresses.
pub(super) fn has_addresses(s: &Sent) -> bool {
    s.rcode == Some("NOERROR") && !s.answers.is_empty()
}

/// Every name a modelled resolver may send for `base` with `conf`, in glibc's order: glibc's candidates, and the
/// name as typed when glibc leaves it out (`no-tld-query`), since musl and Go still send it. (musl's and Go's other
/// lists are parts of glibc's: the name alone, or without `.onion` names.)
pub(super) fn candidate_names(base: &str, conf: &ResolvConf) -> Vec<String> {
    let mut out = plan::candidates(Resolver::Glibc, base, conf);
    let as_is = format!("{}.", base.trim_end_matches('.'));
    if !out.contains(&as_is) && as_is.len() > 1 {
        out.push(as_is);
    }
    for name in &mut out {
        name.make_ascii_lowercase();
    }
    out
}

/// The readings of a lookup that starts with `first`: for each resolv.conf, the name less each search suffix it
/// ends with and the name itself; then, inferred, every leading run of its labels.
fn readings(first: &Sent, confs: &[ResolvSource]) -> Vec<(Rc<Reading>, usize)> {
    let bare = first.name.trim_end_matches('.');
    let mut out = Vec::new();
    for (c, r) in confs.iter().enumerate() {
        let mut bases = vec![bare.to_string()];
        for domain in &r.value.search {
            let domain = domain.trim_matches('.').to_ascii_lowercase();
            if let Some(base) = bare
                .strip_suffix(domain.as_str())
                .and_then(|b| b.strip_suffix('.'))
            {
                if !base.is_empty() && !bases.iter().any(|b| b == base) {
                    bases.push(base.to_string());
                }
            }
        }
        for base in bases {
            let candidates = candidate_names(&base, &r.value);
            if let Some(start) = candidates.iter().position(|n| *n == first.name) {
                out.push((
                    Rc::new(Reading {
                        base,
                        conf: Some(c),
                        candidates,
                    }),
                    start,
                ));
            }
        }
    }
    let labels: Vec<&str> = bare.split('.').collect();
    let runs = (1..labels.len().min(MAX_INFERRED)).chain(std::iter::once(labels.len()));
    for n in runs {
        out.push((inferred(labels.get(..n).unwrap_or_default().join(".")), 0));
    }
    out
}

/// A reading with no resolv.conf: `base` and what the client's names add to it.
fn inferred(base: String) -> Rc<Reading> {
    Rc::new(Reading {
        base,
        conf: None,
        candidates: Vec::new(),
    })
}

/// How many of `later` (a client's next queries) a lookup read as `reading` would take.
fn explained(reading: &Rc<Reading>, first: &Sent, later: &[&Sent]) -> usize {
    let mut group = Group {
        reading: Rc::clone(reading),
        sent: Vec::new(),
        last: 0,
        answered: None,
    };
    group.push(first);
    let mut count = 1;
    let mut misses = 0;
    for s in later.iter().take(LOOKAHEAD) {
        if group.accepts(s) {
            group.push(s);
            count += 1;
            misses = 0;
        } else {
            misses += 1;
            if misses >= MAX_MISSES {
                break;
            }
        }
    }
    count
}

/// Chooses how to read a lookup that starts with `first`: the reading that takes the most later queries, then the
/// one whose first candidate is `first`, then resolv.conf over inference (a longer inferred base on ties).
fn choose(first: &Sent, later: &[&Sent], confs: &[ResolvSource]) -> Rc<Reading> {
    let mut best: Option<(Rc<Reading>, (usize, usize))> = None;
    let mut best_inferred: Option<(Rc<Reading>, usize)> = None;
    for (reading, start) in readings(first, confs) {
        let score = explained(&reading, first, later);
        if reading.conf.is_some() {
            let key = (score, usize::MAX - start);
            if best.as_ref().is_none_or(|(_, k)| key > *k) {
                best = Some((reading, key));
            }
        } else if best_inferred.as_ref().is_none_or(|(_, k)| score >= *k) {
            best_inferred = Some((reading, score));
        }
    }
    match (best, best_inferred) {
        (Some((_, (score, _))), Some((inferred, inferred_score))) if inferred_score > score => {
            inferred
        }
        (Some((conf, _)), _) => conf,
        (None, Some((inferred, _))) => inferred,
        (None, None) => self::inferred(first.name.trim_end_matches('.').to_string()),
    }
}

/// Groups one client's queries into lookups.
pub(super) fn client_groups<'a>(mine: &[&'a Sent], confs: &[ResolvSource]) -> Vec<Group<'a>> {
    let mut done: Vec<Group<'a>> = Vec::new();
    let mut open: Vec<Group<'a>> = Vec::new();
    for (i, &s) in mine.iter().enumerate() {
        if let Some(g) = open.iter_mut().rev().find(|g| g.accepts(s)) {
            g.push(s);
            continue;
        }
        let later = mine.get(i + 1..).unwrap_or_default();
        let reading = if is_reverse(&s.name) || !s.address_family() && s.qtype == "PTR" {
            inferred(s.name.trim_end_matches('.').to_string())
        } else {
            choose(s, later, confs)
        };
        let mut group = Group {
            reading,
            sent: Vec::new(),
            last: 0,
            answered: None,
        };
        group.push(s);
        open.push(group);
        if open.len() > MAX_OPEN {
            done.push(open.remove(0));
        }
    }
    done.extend(open);
    done.sort_by_key(|g| g.sent.first().map_or(usize::MAX, |s| s.first_index()));
    done
}

/// A DNS server's own queries: one lookup per name (its A and AAAA together).
pub(super) fn forwarded_groups<'a>(mine: &[&'a Sent]) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for &s in mine {
        if let Some(g) = out.iter_mut().rev().take(MAX_OPEN).find(|g| {
            g.sent
                .iter()
                .all(|o| o.name == s.name && o.qtype != s.qtype)
                && g.sent
                    .first()
                    .is_some_and(|f| f.address_family() && s.address_family())
        }) {
            g.sent.push(s);
            continue;
        }
        out.push(Group {
            reading: inferred(s.name.trim_end_matches('.').to_string()),
            sent: vec![s],
            last: 0,
            answered: None,
        });
    }
    out
}

/// Whether `name` is under `in-addr.arpa` or `ip6.arpa`.
pub(super) fn is_reverse(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    n.ends_with(".in-addr.arpa") || n.ends_with(".ip6.arpa")
}
