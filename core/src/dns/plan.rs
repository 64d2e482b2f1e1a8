//! The queries a stub resolver sends for one name (docs/domain/resolvers.md §2–§4): the candidate names from ndots and the search
//! list, A and AAAA per candidate, the nameservers, and where the walk stops.
//!
//! [`plan`] is the worst case the UI walks: every candidate gets NXDOMAIN. [`walk`] asks a closure how each
//! candidate is answered and stops where the resolver stops.

use serde::{Deserialize, Serialize};

use crate::source::resolv_conf::{ResolvConf, MAX_NAMESERVERS};

/// The stub resolvers modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolver {
    /// glibc `getaddrinfo` (Debian, Ubuntu, RHEL images).
    Glibc,
    /// musl (Alpine images).
    Musl,
    /// Go's pure-Go resolver.
    Go,
    /// busybox ≥1.30 `nslookup`, which has its own resolver (docs/domain/resolvers.md §5): the search list only for a name without a
    /// dot, every suffixed query (A and AAAA) sent at once, never the bare name while there is a search list; ndots
    /// is ignored and a dotted name is asked as is. (busybox ≤1.28 used the libc's `getaddrinfo`: glibc or musl.)
    Busybox,
}

/// A query type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QueryType {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses.
    #[serde(rename = "AAAA")]
    Aaaa,
}

/// How a candidate name was answered (both queries of a pair taken together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Addresses came back.
    Answer,
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no records of the type.
    NoData,
    /// The server failed (rcode SERVFAIL).
    ServFail,
    /// No reply (or a reply such as REFUSED that counts as another failure).
    Timeout,
}

/// One query the resolver sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Fully qualified, with the trailing dot.
    pub name: String,
    /// A or AAAA.
    #[serde(rename = "type")]
    pub qtype: QueryType,
    /// The nameservers, in the order they are tried (the first [`MAX_NAMESERVERS`]; with `rotate` the first one
    /// tried varies).
    pub servers: Vec<String>,
    /// Whether the query goes to every server at once (musl) rather than to one after another on timeout.
    pub all_servers_at_once: bool,
    /// Whether it is sent together with its A/AAAA partner rather than after it.
    pub parallel: bool,
    /// The 0-based index of its candidate name.
    pub candidate: usize,
}

/// The result of a walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    /// Every query sent, in order; a parallel pair is listed A first, then AAAA.
    pub queries: Vec<Query>,
    /// The candidate that answered, if one did.
    pub answered: Option<String>,
    /// The outcome of the last candidate tried, if any was.
    pub last: Option<Outcome>,
}

/// What a candidate's outcome makes the resolver do next.
enum Next {
    /// Try the next candidate.
    Continue,
    /// Stop walking the search list, but still try the as-is name if it was not tried (glibc only).
    StopSearch,
    /// Stop the lookup.
    Stop,
}

/// One candidate: the name and whether it is the search walk's as-is name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    name: String,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AsIsFirst,
    Search,
    AsIsLast,
}

/// The names `resolver` tries for `name`, in order, fully qualified.
pub fn candidates(resolver: Resolver, name: &str, conf: &ResolvConf) -> Vec<String> {
    candidate_list(resolver, name, conf)
        .into_iter()
        .map(|c| c.name)
        .collect()
}

fn candidate_list(resolver: Resolver, name: &str, conf: &ResolvConf) -> Vec<Candidate> {
    let rooted = name.ends_with('.');
    let bare = name.trim_end_matches('.');
    if bare.is_empty() {
        return Vec::new();
    }
    let as_is = format!("{bare}.");
    let candidate = |name: String, phase| Candidate { name, phase };
    if rooted {
        // A trailing dot: only the name itself, with no search (glibc, musl and Go alike).
        return vec![candidate(as_is, Phase::AsIsFirst)];
    }
    let dots = bare.matches('.').count();
    let enough_dots = dots >= usize::from(conf.options.ndots);
    let suffixed = |domain: &str| {
        // A leading dot is dropped (glibc); `.` or an empty entry is the root, i.e. the name as-is.
        let domain = domain.trim_start_matches('.').trim_end_matches('.');
        if domain.is_empty() {
            as_is.clone()
        } else {
            format!("{bare}.{domain}.")
        }
    };
    let mut out = Vec::new();
    match resolver {
        Resolver::Glibc => {
            if enough_dots {
                out.push(candidate(as_is.clone(), Phase::AsIsFirst));
            }
            let mut root_on_list = false;
            for domain in &conf.search {
                let full = suffixed(domain);
                root_on_list |= full == as_is;
                out.push(candidate(full, Phase::Search));
            }
            let searched = !conf.search.is_empty();
            let tld_allowed = dots > 0 || !searched || !conf.options.no_tld_query;
            if tld_allowed && !enough_dots && !root_on_list {
                out.push(candidate(as_is, Phase::AsIsLast));
            }
        }
        Resolver::Musl => {
            if enough_dots {
                return vec![candidate(as_is, Phase::AsIsFirst)];
            }
            for domain in &conf.search {
                out.push(candidate(suffixed(domain), Phase::Search));
            }
            out.push(candidate(as_is, Phase::AsIsLast));
        }
        Resolver::Busybox => {
            if dots > 0 || conf.search.is_empty() {
                return vec![candidate(as_is, Phase::AsIsFirst)];
            }
            for domain in &conf.search {
                out.push(candidate(suffixed(domain), Phase::Search));
            }
        }
        Resolver::Go => {
            // `.onion` names are never sent (RFC 7686).
            let avoid = |n: &str| n.trim_end_matches('.').ends_with(".onion") || n == "onion.";
            if enough_dots && !avoid(&as_is) {
                out.push(candidate(as_is.clone(), Phase::AsIsFirst));
            }
            for domain in &conf.search {
                let full = suffixed(domain);
                if !avoid(&full) && full.len() <= 254 {
                    out.push(candidate(full, Phase::Search));
                }
            }
            if !enough_dots && !avoid(&as_is) {
                out.push(candidate(as_is, Phase::AsIsLast));
            }
        }
    }
    out
}

fn next(resolver: Resolver, phase: Phase, outcome: Outcome) -> Next {
    match (resolver, outcome) {
        (_, Outcome::Answer) => Next::Stop,
        // glibc goes on to the search list whatever the as-is-first query got.
        (Resolver::Glibc, _) if phase == Phase::AsIsFirst => Next::Continue,
        // glibc continues on NXDOMAIN, NODATA and SERVFAIL; any other failure stops the search list, after which the
        // as-is name is still tried "in case it's fully qualified".
        (Resolver::Glibc, Outcome::NxDomain | Outcome::NoData | Outcome::ServFail) => {
            Next::Continue
        }
        (Resolver::Glibc, _) => Next::StopSearch,
        // musl continues only on NXDOMAIN.
        (Resolver::Musl, Outcome::NxDomain) => Next::Continue,
        (Resolver::Musl, _) => Next::Stop,
        // Go moves on unless it got addresses; busybox has sent every query already.
        (Resolver::Go | Resolver::Busybox, _) => Next::Continue,
    }
}

/// The queries `resolver` sends for `name` when every candidate gets NXDOMAIN: the longest walk.
pub fn plan(resolver: Resolver, name: &str, conf: &ResolvConf) -> Vec<Query> {
    walk(resolver, name, conf, |_| Outcome::NxDomain).queries
}

/// The queries `resolver` sends for `name`, asking `answer` how each candidate name (fully qualified) is answered,
/// and stopping where the resolver stops (busybox never stops: its queries all go out at once; `answered` is then
/// the first candidate, in search-list order, that got addresses).
pub fn walk(
    resolver: Resolver,
    name: &str,
    conf: &ResolvConf,
    mut answer: impl FnMut(&str) -> Outcome,
) -> Walk {
    let options = &conf.options;
    let servers: Vec<String> = conf
        .nameservers
        .iter()
        .take(MAX_NAMESERVERS)
        .map(|s| s.address.clone())
        .collect();
    let (types, parallel): (&[QueryType], bool) = match resolver {
        Resolver::Glibc if options.no_aaaa => (&[QueryType::A], false),
        Resolver::Glibc => (
            &[QueryType::A, QueryType::Aaaa],
            !(options.single_request || options.single_request_reopen),
        ),
        Resolver::Musl | Resolver::Busybox => (&[QueryType::A, QueryType::Aaaa], true),
        Resolver::Go => (
            &[QueryType::A, QueryType::Aaaa],
            !(options.single_request || options.single_request_reopen),
        ),
    };
    let mut walk = Walk {
        queries: Vec::new(),
        answered: None,
        last: None,
    };
    let mut search_stopped = false;
    for (index, candidate) in candidate_list(resolver, name, conf).into_iter().enumerate() {
        if search_stopped && candidate.phase == Phase::Search {
            continue;
        }
        for &qtype in types {
            walk.queries.push(Query {
                name: candidate.name.clone(),
                qtype,
                servers: servers.clone(),
                all_servers_at_once: resolver == Resolver::Musl,
                parallel,
                candidate: index,
            });
        }
        let outcome = answer(&candidate.name);
        walk.last = Some(outcome);
        if outcome == Outcome::Answer {
            // busybox sent every candidate at once: the rest are on the wire whatever this one got.
            if resolver == Resolver::Busybox {
                walk.answered.get_or_insert(candidate.name);
                continue;
            }
            walk.answered = Some(candidate.name);
            break;
        }
        // A name with a trailing dot returns whatever happens.
        if name.ends_with('.') {
            break;
        }
        match next(resolver, candidate.phase, outcome) {
            Next::Continue => {}
            Next::StopSearch => search_stopped = true,
            Next::Stop => break,
        }
    }
    walk
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::resolv_conf;

    /// The kubelet's ClusterFirst file for a pod in `default` on an AWS node (docs/domain/resolvers.md §6).
    const POD: &[u8] =
        b"search default.svc.cluster.local svc.cluster.local cluster.local ec2.internal\n\
                         nameserver 10.96.0.10\n\
                         options ndots:5\n";

    fn conf(bytes: &[u8]) -> ResolvConf {
        resolv_conf::parse(bytes).value
    }

    fn names(queries: &[Query]) -> Vec<(&str, QueryType)> {
        queries.iter().map(|q| (q.name.as_str(), q.qtype)).collect()
    }

    /// Each name twice, A then AAAA.
    fn pairs<'a>(names: &[&'a str]) -> Vec<(&'a str, QueryType)> {
        names
            .iter()
            .flat_map(|&n| [(n, QueryType::A), (n, QueryType::Aaaa)])
            .collect()
    }

    #[test]
    fn bare_name_walks_the_search_list_then_goes_as_is_last() {
        // 0 dots < ndots 5: every search domain first, then the name itself; A and AAAA for each.
        let conf = conf(POD);
        let expected = pairs(&[
            "nginx.default.svc.cluster.local.",
            "nginx.svc.cluster.local.",
            "nginx.cluster.local.",
            "nginx.ec2.internal.",
            "nginx.",
        ]);
        for resolver in [Resolver::Glibc, Resolver::Musl, Resolver::Go] {
            let queries = plan(resolver, "nginx", &conf);
            assert_eq!(names(&queries), expected, "{resolver:?}");
            assert!(queries
                .iter()
                .all(|q| q.parallel && q.servers == ["10.96.0.10"]));
            assert_eq!(queries.last().map(|q| q.candidate), Some(4));
        }
        // musl sends each query to every nameserver at once; glibc and Go try them in turn.
        assert!(plan(Resolver::Musl, "nginx", &conf)[0].all_servers_at_once);
        assert!(!plan(Resolver::Glibc, "nginx", &conf)[0].all_servers_at_once);
    }

    #[test]
    fn dotted_name_below_ndots_is_searched_first() {
        // `nginx.default` has 1 dot < 5, so it is a search candidate first: the second suffix finds the Service.
        let conf = conf(POD);
        assert_eq!(
            candidates(Resolver::Glibc, "nginx.default", &conf),
            [
                "nginx.default.default.svc.cluster.local.",
                "nginx.default.svc.cluster.local.",
                "nginx.default.cluster.local.",
                "nginx.default.ec2.internal.",
                "nginx.default.",
            ]
        );
        let walk = walk(Resolver::Glibc, "nginx.default", &conf, |n| {
            if n == "nginx.default.svc.cluster.local." {
                Outcome::Answer
            } else {
                Outcome::NxDomain
            }
        });
        assert_eq!(
            names(&walk.queries),
            pairs(&[
                "nginx.default.default.svc.cluster.local.",
                "nginx.default.svc.cluster.local."
            ])
        );
        assert_eq!(
            walk.answered.as_deref(),
            Some("nginx.default.svc.cluster.local.")
        );
        assert_eq!(walk.last, Some(Outcome::Answer));
    }

    #[test]
    fn trailing_dot_is_only_tried_as_is() {
        let conf = conf(POD);
        for resolver in [Resolver::Glibc, Resolver::Musl, Resolver::Go] {
            assert_eq!(
                names(&plan(resolver, "example.com.", &conf)),
                pairs(&["example.com."]),
                "{resolver:?}"
            );
        }
    }

    #[test]
    fn www_example_com_on_glibc_and_musl() {
        // With ndots:5, 2 dots is too few: both search first and try the name last.
        let pod = conf(POD);
        let searched = [
            "www.example.com.default.svc.cluster.local.",
            "www.example.com.svc.cluster.local.",
            "www.example.com.cluster.local.",
            "www.example.com.ec2.internal.",
            "www.example.com.",
        ];
        assert_eq!(
            candidates(Resolver::Glibc, "www.example.com", &pod),
            searched
        );
        assert_eq!(
            candidates(Resolver::Musl, "www.example.com", &pod),
            searched
        );
        // With ndots:2 the name goes as-is first. glibc still walks the search list if that fails; musl never
        // searches a name with enough dots.
        let node = conf(b"search corp.example\nnameserver 10.0.0.2\noptions ndots:2\n");
        assert_eq!(
            candidates(Resolver::Glibc, "www.example.com", &node),
            ["www.example.com.", "www.example.com.corp.example."]
        );
        assert_eq!(
            candidates(Resolver::Musl, "www.example.com", &node),
            ["www.example.com."]
        );
        // Go follows glibc's order here.
        assert_eq!(
            candidates(Resolver::Go, "www.example.com", &node),
            ["www.example.com.", "www.example.com.corp.example."]
        );
    }

    /// Seed 004 asks why a query for plain `nginx` goes out although the pod's resolv.conf says `ndots:5`.
    /// ndots does not forbid the bare name: it only decides whether the name is tried as-is first (dots ≥ ndots)
    /// or last (dots < ndots). `nginx` has no dot, so the resolver tries the three search domains and, when all of
    /// them fail with NXDOMAIN (the client is in another namespace than the Service, or the Service does not
    /// exist), sends `nginx.` as the final fallback (docs/domain/resolvers.md §7).
    #[test]
    fn seed_004_bare_nginx_query_is_the_last_fallback() {
        let conf = conf(
            b"search default.svc.cluster.local svc.cluster.local cluster.local\n\
              nameserver 10.96.0.10\n\
              options ndots:5\n",
        );
        let expected = pairs(&[
            "nginx.default.svc.cluster.local.",
            "nginx.svc.cluster.local.",
            "nginx.cluster.local.",
            "nginx.",
        ]);
        for resolver in [Resolver::Glibc, Resolver::Musl, Resolver::Go] {
            let walk = walk(resolver, "nginx", &conf, |_| Outcome::NxDomain);
            assert_eq!(names(&walk.queries), expected, "{resolver:?}");
            assert_eq!(walk.answered, None);
        }
        // When the Service is in `default`, the first candidate answers and no bare query is sent.
        let found = walk(Resolver::Glibc, "nginx", &conf, |n| {
            if n == "nginx.default.svc.cluster.local." {
                Outcome::Answer
            } else {
                Outcome::NxDomain
            }
        });
        assert_eq!(
            names(&found.queries),
            pairs(&["nginx.default.svc.cluster.local."])
        );
    }

    #[test]
    fn stop_rules_differ_per_resolver() {
        let conf = conf(POD);
        // A namespace called `nginx` exists: `nginx.svc.cluster.local.` is NODATA (docs/domain/resolvers.md §7 case 1).
        let nodata = |n: &str| {
            if n == "nginx.svc.cluster.local." {
                Outcome::NoData
            } else {
                Outcome::NxDomain
            }
        };
        // musl stops on NODATA; glibc and Go go on to the end.
        let musl = walk(Resolver::Musl, "nginx", &conf, nodata);
        assert_eq!(
            names(&musl.queries),
            pairs(&[
                "nginx.default.svc.cluster.local.",
                "nginx.svc.cluster.local."
            ])
        );
        assert_eq!(musl.last, Some(Outcome::NoData));
        assert_eq!(
            walk(Resolver::Glibc, "nginx", &conf, nodata).queries.len(),
            10
        );
        assert_eq!(walk(Resolver::Go, "nginx", &conf, nodata).queries.len(), 10);

        // A timeout on the first candidate: glibc stops the search list and tries the name as-is right away
        // (docs/domain/resolvers.md §7 case 3); musl stops; Go moves on.
        let timeout = |n: &str| {
            if n == "nginx.default.svc.cluster.local." {
                Outcome::Timeout
            } else {
                Outcome::NxDomain
            }
        };
        assert_eq!(
            names(&walk(Resolver::Glibc, "nginx", &conf, timeout).queries),
            pairs(&["nginx.default.svc.cluster.local.", "nginx."])
        );
        assert_eq!(
            walk(Resolver::Musl, "nginx", &conf, timeout).queries.len(),
            2
        );
        assert_eq!(
            walk(Resolver::Go, "nginx", &conf, timeout).queries.len(),
            10
        );

        // SERVFAIL: glibc continues, musl stops.
        let servfail = |_: &str| Outcome::ServFail;
        assert_eq!(
            walk(Resolver::Glibc, "nginx", &conf, servfail)
                .queries
                .len(),
            10
        );
        assert_eq!(
            walk(Resolver::Musl, "nginx", &conf, servfail).queries.len(),
            2
        );

        // glibc's as-is-first failure, even a timeout, still leads to the search list.
        let node = super::tests::conf(b"search corp.example\nnameserver 10.0.0.2\n");
        assert_eq!(
            names(&walk(Resolver::Glibc, "db.internal", &node, |_| Outcome::Timeout).queries),
            pairs(&["db.internal.", "db.internal.corp.example."])
        );
    }

    #[test]
    fn no_aaaa_and_single_request() {
        let no_aaaa = conf(b"search a.example\nnameserver 10.0.0.2\noptions no-aaaa\n");
        assert_eq!(
            names(&plan(Resolver::Glibc, "db", &no_aaaa)),
            [("db.a.example.", QueryType::A), ("db.", QueryType::A)]
        );
        // musl and Go do not know `no-aaaa`.
        assert_eq!(plan(Resolver::Musl, "db", &no_aaaa).len(), 4);
        assert_eq!(plan(Resolver::Go, "db", &no_aaaa).len(), 4);

        for option in ["single-request", "single-request-reopen"] {
            let text = format!("nameserver 10.0.0.2\noptions {option}\n");
            let serial = conf(text.as_bytes());
            let glibc = plan(Resolver::Glibc, "db.example.com", &serial);
            assert_eq!(names(&glibc), pairs(&["db.example.com."]));
            assert!(glibc.iter().all(|q| !q.parallel));
            assert!(plan(Resolver::Go, "db.example.com", &serial)
                .iter()
                .all(|q| !q.parallel));
            // musl has no single-request: the pair still goes out together.
            assert!(plan(Resolver::Musl, "db.example.com", &serial)
                .iter()
                .all(|q| q.parallel));
        }
    }

    /// glibc (since 2.26) and Go put no limit on the number of search domains, so a plan grows with the search
    /// list: one candidate per domain plus the name as-is, each asked for A and AAAA, and no more.
    #[test]
    fn a_plan_grows_with_the_search_list_and_no_faster() {
        for n in [0usize, 6, 140, 1000] {
            let domains: Vec<String> = (0..n).map(|i| format!("d{i}.example")).collect();
            let text = format!(
                "search {}\nnameserver 10.0.0.1\noptions ndots:5\n",
                domains.join(" ")
            );
            let c = conf(text.as_bytes());
            for resolver in [
                Resolver::Glibc,
                Resolver::Musl,
                Resolver::Go,
                Resolver::Busybox,
            ] {
                let queries = plan(resolver, "nginx", &c);
                assert!(
                    queries.len() <= 2 * (c.search.len() + 1),
                    "{resolver:?} {n}: {}",
                    queries.len()
                );
            }
            assert_eq!(
                plan(Resolver::Glibc, "nginx", &c).len(),
                2 * (n + 1),
                "glibc asks every domain"
            );
        }
    }

    #[test]
    fn root_entries_no_tld_query_and_nameserver_limit() {
        // A `.` entry is the root: glibc queries the name as-is there and not again at the end.
        let rooted = conf(b"search a.example .\nnameserver 10.0.0.1\n");
        assert_eq!(
            candidates(Resolver::Glibc, "db", &rooted),
            ["db.a.example.", "db."]
        );
        // `no-tld-query` drops the as-is query of a dotless name that was searched.
        let no_tld = conf(b"search a.example\noptions no-tld-query\n");
        assert_eq!(
            candidates(Resolver::Glibc, "db", &no_tld),
            ["db.a.example."]
        );
        // A dotted name is still tried as-is (here first: 1 dot meets the default ndots of 1).
        assert_eq!(
            candidates(Resolver::Glibc, "db.x", &no_tld),
            ["db.x.", "db.x.a.example."]
        );
        // Only the first three nameservers are used.
        let many = conf(
            b"nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n",
        );
        assert_eq!(
            plan(Resolver::Glibc, "a.b.", &many)[0].servers,
            ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
        );
        // Nothing to look up.
        assert!(plan(Resolver::Glibc, "", &many).is_empty());
        assert!(plan(Resolver::Glibc, ".", &many).is_empty());
    }

    #[test]
    fn odd_names_and_files_never_panic() {
        let files: [&[u8]; 4] = [
            POD,
            b"",
            b"search . .. ... \xc3\xa9.example\noptions ndots:0 no-aaaa single-request\n",
            b"search onion\nnameserver fe80::1%eth0\noptions ndots:15\n",
        ];
        let long = "a.".repeat(200);
        let names = [
            "",
            ".",
            "..",
            "...",
            "a..b",
            ".a",
            "é",
            "x.onion",
            "x.onion.",
            "onion",
            long.as_str(),
        ];
        for file in files {
            let conf = conf(file);
            for name in names {
                for resolver in [Resolver::Glibc, Resolver::Musl, Resolver::Go] {
                    let queries = plan(resolver, name, &conf);
                    assert!(queries.iter().all(|q| q.name.ends_with('.')));
                    let mut n = 0;
                    let _ = walk(resolver, name, &conf, |_| {
                        n += 1;
                        [Outcome::NoData, Outcome::Timeout, Outcome::ServFail][n % 3]
                    });
                }
            }
        }
    }

    #[test]
    fn busybox_nslookup_searches_only_dotless_names_all_at_once_and_never_bare() {
        // docs/domain/resolvers.md §5 (busybox ≥1.30): search only for a name without a dot, every suffixed A and AAAA query sent at
        // once, no bare-name query while a search list exists, ndots ignored, a dotted name asked as is.
        let pod = conf(POD);
        let all = walk(Resolver::Busybox, "nginx", &pod, |n| {
            if n == "nginx.default.svc.cluster.local." {
                Outcome::Answer
            } else {
                Outcome::NxDomain
            }
        });
        assert_eq!(
            names(&all.queries),
            pairs(&[
                "nginx.default.svc.cluster.local.",
                "nginx.svc.cluster.local.",
                "nginx.cluster.local.",
                "nginx.ec2.internal.",
            ])
        );
        assert!(all.queries.iter().all(|q| q.parallel));
        assert_eq!(
            all.answered.as_deref(),
            Some("nginx.default.svc.cluster.local.")
        );
        // Every candidate NXDOMAIN: still no `nginx.`.
        assert_eq!(plan(Resolver::Busybox, "nginx", &pod).len(), 8);
        // One dot, below ndots 5: glibc would search first; busybox asks the name only.
        assert_eq!(
            candidates(Resolver::Busybox, "nginx.default", &pod),
            ["nginx.default."]
        );
        assert_eq!(candidates(Resolver::Busybox, "nginx.", &pod), ["nginx."]);
        let no_search = conf(b"nameserver 10.96.0.10\n");
        assert_eq!(
            candidates(Resolver::Busybox, "nginx", &no_search),
            ["nginx."]
        );
    }
}
