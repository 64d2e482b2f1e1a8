//! Every case under `fixtures/lookups/` — a tcpdump text capture (`capture.txt`, or the file `expected.json`'s
//! `capture` names), the resolv.conf files beside it (`*.conf`) — is parsed, grouped into transactions and read
//! back into lookups, which are compared with `expected.json`: client, base name, transactions, the resolv.conf
//! used, which resolvers fit, the outcome, the planned, missing and extra queries, and sentences the explanation
//! must contain (`explanation_has`). The expectations were reasoned from docs/domain/resolvers.md §2–§7 and the capture's timestamps
//! and frames, not copied from dnatlas's output.

mod common;
use common::compare;

use std::path::Path;

use dnatlas_core::capture::lookups::{lookups, lookups_timed, Lookup};
use dnatlas_core::capture::transactions::Transaction;
use dnatlas_core::source::{resolv_conf, tcpdump};
use dnatlas_core::ResolvSource;
use serde_json::Value;

/// A capture's transactions and the time of each one's first query.
fn read_capture(bytes: &[u8]) -> (Vec<Transaction>, Vec<Option<u64>>) {
    let parsed = tcpdump::parse(bytes);
    let grouped = dnatlas_core::capture::engine::group("capture.txt", &parsed.value.packets);
    let times = grouped
        .transactions
        .iter()
        .map(|t| {
            parsed
                .value
                .packets
                .iter()
                .find(|p| p.frame == t.frame)
                .and_then(|p| p.time.as_ref())
                .map(|time| time.micros)
        })
        .collect();
    (grouped.transactions, times)
}

fn confs(dir: &Path) -> Vec<ResolvSource> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| ResolvSource {
            source: p.file_name().unwrap().to_string_lossy().as_ref().into(),
            value: resolv_conf::parse(&std::fs::read(p).unwrap()).value,
        })
        .collect()
}

fn case(dir: &Path) -> (Value, Vec<Transaction>, Vec<Option<u64>>, Vec<ResolvSource>) {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let capture = expected["capture"].as_str().unwrap_or("capture.txt");
    let (transactions, times) = read_capture(&std::fs::read(dir.join(capture)).unwrap());
    (expected, transactions, times, confs(dir))
}

#[test]
fn every_lookup_fixture_matches_its_expectation() {
    let dirs = common::cases("lookups");
    assert!(dirs.len() >= 7, "fixtures are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (expected, transactions, times, confs) = case(dir);
        assert!(
            expected["about"].as_str().is_some_and(|a| !a.is_empty()),
            "{name}: expected.json needs an `about`"
        );
        let found = lookups_timed(&transactions, &times, &confs);
        // Without times the same lookups come out: no case has a gap of more than 30 s.
        assert_eq!(
            found,
            lookups(&transactions, &confs),
            "{name}: times change the lookups"
        );
        let mut want = expected["lookups"].clone();
        let mut sentences = Vec::new();
        for (i, w) in want.as_array_mut().unwrap().iter_mut().enumerate() {
            let has = w.as_object_mut().unwrap().remove("explanation_has");
            for s in has.iter().flat_map(|h| h.as_array().unwrap()) {
                sentences.push((i, s.as_str().unwrap().to_string()));
            }
        }
        compare(
            &name,
            &want,
            &serde_json::to_value(&found).unwrap(),
            &mut errors,
        );
        for (i, sentence) in sentences {
            let explanation = found.get(i).map_or("", |l| l.explanation.as_str());
            if !explanation.contains(&sentence) {
                errors.push(format!(
                    "{name}: lookup {i}'s explanation lacks {sentence:?}:\n    {explanation}"
                ));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn lookups_of(text: &str, confs: &[ResolvSource]) -> Vec<Lookup> {
    let (transactions, times) = read_capture(text.as_bytes());
    lookups_timed(&transactions, &times, confs)
}

fn pod(search: &str) -> Vec<ResolvSource> {
    let text = format!("search {search}\nnameserver 10.96.0.10\noptions ndots:5\n");
    vec![ResolvSource {
        source: "resolv.conf".into(),
        value: resolv_conf::parse(text.as_bytes()).value,
    }]
}

#[test]
fn a_query_seen_at_the_vip_and_at_the_pod_is_sent_once() {
    // `-i any` on the node: the query on the client's veth to the VIP and on CoreDNS's veth to the pod.
    let found = lookups_of(
        "10:00:00.000000 IP 10.244.1.7.41234 > 10.96.0.10.53: 5+ A? nginx.default.svc.cluster.local. (49)\n\
         10:00:00.000010 IP 10.244.1.7.41234 > 10.244.0.2.53: 5+ A? nginx.default.svc.cluster.local. (49)\n\
         10:00:00.000300 IP 10.244.0.2.53 > 10.244.1.7.41234: 5*- 1/0/0 A 10.109.102.230 (65)\n\
         10:00:00.000310 IP 10.96.0.10.53 > 10.244.1.7.41234: 5*- 1/0/0 A 10.109.102.230 (65)\n",
        &pod("default.svc.cluster.local svc.cluster.local cluster.local"),
    );
    let [one] = found.as_slice() else {
        panic!("{found:#?}")
    };
    assert_eq!(one.queries, [0, 1]);
    assert_eq!(one.expected.len(), 1);
    assert!(one.extra.is_empty() && one.missing.is_empty());
}

#[test]
fn a_repeated_lookup_and_a_long_pause_start_new_lookups() {
    let conf = pod("default.svc.cluster.local svc.cluster.local cluster.local");
    // The same answered name asked again is the application's second lookup.
    let again = "10:00:00.000000 IP 10.244.1.7.1000 > 10.96.0.10.53: 1+ A? web.default.svc.cluster.local. (47)\n\
                 10:00:00.000300 IP 10.96.0.10.53 > 10.244.1.7.1000: 1*- 1/0/0 A 10.96.1.1 (63)\n\
                 10:00:01.000000 IP 10.244.1.7.1001 > 10.96.0.10.53: 2+ A? web.default.svc.cluster.local. (47)\n\
                 10:00:01.000300 IP 10.96.0.10.53 > 10.244.1.7.1001: 2*- 1/0/0 A 10.96.1.1 (63)\n";
    assert_eq!(lookups_of(again, &conf).len(), 2);
    // A later candidate 40 s after the first is not the same lookup when times are known.
    let pause = "10:00:00.000000 IP 10.244.1.7.1000 > 10.96.0.10.53: 1+ A? web.default.svc.cluster.local. (47)\n\
                 10:00:00.000300 IP 10.96.0.10.53 > 10.244.1.7.1000: 1 NXDomain*- 0/1/0 (140)\n\
                 10:00:40.000000 IP 10.244.1.7.1001 > 10.96.0.10.53: 2+ A? web.svc.cluster.local. (39)\n\
                 10:00:40.000300 IP 10.96.0.10.53 > 10.244.1.7.1001: 2 NXDomain*- 0/1/0 (132)\n";
    let split = lookups_of(pause, &conf);
    assert_eq!(split.len(), 2, "{split:#?}");
    // The second starts mid-list, and says so.
    assert!(
        split[1]
            .explanation
            .contains("The capture starts at `web.svc.cluster.local.`: `web.default.svc.cluster.local.` before it is not in it"),
        "{}",
        split[1].explanation
    );
    let (transactions, _) = read_capture(pause.as_bytes());
    assert_eq!(lookups(&transactions, &conf).len(), 1);
}

#[test]
fn the_bare_name_alone_is_a_client_that_does_not_search() {
    // dig nginx (or a trailing dot): only `nginx.` although the pod's file would search first (docs/domain/resolvers.md §7 case 4).
    let found = lookups_of(
        "10:00:00.000000 IP 10.244.1.7.1000 > 10.96.0.10.53: 1+ [1au] A? nginx. (34)\n\
         10:00:00.020000 IP 10.96.0.10.53 > 10.244.1.7.1000: 1 NXDomain 0/1/1 (109)\n",
        &pod("default.svc.cluster.local svc.cluster.local cluster.local"),
    );
    let [one] = found.as_slice() else {
        panic!("{found:#?}")
    };
    assert_eq!(one.base_name, "nginx");
    assert!(
        one.explanation.contains("Only `nginx.` was sent, though a resolver with this search list tries `nginx.default.svc.cluster.local.`, `nginx.svc.cluster.local.`, `nginx.cluster.local.` first"),
        "{}",
        one.explanation
    );
    assert!(one.resolver_fit.is_empty());
    assert_eq!(one.missing.len(), 3, "{:?}", one.missing);
}

#[test]
fn a_capture_of_damaged_text_never_panics() {
    let seeds: Vec<Vec<u8>> = common::cases("lookups")
        .iter()
        .filter_map(|d| std::fs::read(d.join("capture.txt")).ok())
        .collect();
    let conf = pod("default.svc.cluster.local svc.cluster.local cluster.local ec2.internal");
    let mut variants = 0;
    for bytes in &seeds {
        variants += common::for_each_variant(bytes, 120, b" .\n:?+", |what, v| {
            let result = std::panic::catch_unwind(|| {
                let (transactions, times) = read_capture(v);
                let found = lookups_timed(&transactions, &times, &conf);
                for l in &found {
                    assert!(l.queries.iter().all(|&i| i < transactions.len()));
                }
                let _ = lookups(&transactions, &[]);
            });
            assert!(result.is_ok(), "panic on {what}");
        });
    }
    assert!(variants > 1_000, "only {variants} variants");
}

#[test]
fn search_expansion_findings_say_how_many_queries_went_first() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/lookups");
    let (_, transactions, _, confs) = case(&dir.join("ndots-external"));
    let found = lookups(&transactions, &confs);
    let findings = dnatlas_core::lint::search_expansion(&found);
    let [f] = findings.as_slice() else {
        panic!("{findings:#?}")
    };
    assert_eq!(f.code, "dns-search-expansion");
    assert!(
        f.message.starts_with("capture.txt: 10.244.0.30 looked up `www.example.com` with 8 queries to search-list names before the bare name `www.example.com.`, which answered."),
        "{}",
        f.message
    );
    // Query and answer lines of all ten queries: 20 lines, the most a finding cites.
    assert_eq!(f.evidence.len(), 20);

    // The same fallback lookup twice (the application retried) is one finding that counts it.
    let text = std::fs::read_to_string(dir.join("seed-004-no-service/capture.txt")).unwrap();
    let twice = text.clone() + &text.replace("23:10:01.", "23:10:05.");
    let (transactions, times) = read_capture(twice.as_bytes());
    let (_, _, _, confs) = case(&dir.join("seed-004-no-service"));
    let findings =
        dnatlas_core::lint::search_expansion(&lookups_timed(&transactions, &times, &confs));
    let [f] = findings.as_slice() else {
        panic!("{findings:#?}")
    };
    assert!(
        f.message.contains("looked up `nginx` with 6 queries to search-list names, all failed, then fell back to the bare name `nginx.`"),
        "{}",
        f.message
    );
    assert!(
        f.message.ends_with("The same lookup was seen 2 times."),
        "{}",
        f.message
    );
    // An answer to the first query is no expansion.
    let (_, transactions, _, confs) = case(&dir.join("seed-004"));
    assert!(dnatlas_core::lint::search_expansion(&lookups(&transactions, &confs)).is_empty());
}

#[test]
fn a_refused_candidate_stops_glibc_after_earlier_nxdomains() {
    // docs/domain/resolvers.md §7 case 3 with REFUSED: glibc counts it as "any other failure", stops the search list and asks the
    // name as typed; musl stops the lookup, Go goes on to nginx.cluster.local.
    let found = lookups_of(
        "10:00:00.000000 IP 10.244.2.15.1000 > 10.96.0.10.53: 1+ A? nginx.shop.svc.cluster.local. (46)\n\
         10:00:00.000030 IP 10.244.2.15.1000 > 10.96.0.10.53: 2+ AAAA? nginx.shop.svc.cluster.local. (46)\n\
         10:00:00.000300 IP 10.96.0.10.53 > 10.244.2.15.1000: 1 NXDomain*- 0/1/0 (139)\n\
         10:00:00.000330 IP 10.96.0.10.53 > 10.244.2.15.1000: 2 NXDomain*- 0/1/0 (139)\n\
         10:00:00.001000 IP 10.244.2.15.1001 > 10.96.0.10.53: 3+ A? nginx.svc.cluster.local. (41)\n\
         10:00:00.001030 IP 10.244.2.15.1001 > 10.96.0.10.53: 4+ AAAA? nginx.svc.cluster.local. (41)\n\
         10:00:00.001300 IP 10.96.0.10.53 > 10.244.2.15.1001: 3 Refused- 0/0/0 (41)\n\
         10:00:00.001330 IP 10.96.0.10.53 > 10.244.2.15.1001: 4 Refused- 0/0/0 (41)\n\
         10:00:00.002000 IP 10.244.2.15.1002 > 10.96.0.10.53: 5+ A? nginx. (23)\n\
         10:00:00.002030 IP 10.244.2.15.1002 > 10.96.0.10.53: 6+ AAAA? nginx. (23)\n\
         10:00:00.020000 IP 10.96.0.10.53 > 10.244.2.15.1002: 5 NXDomain 0/1/0 (98)\n\
         10:00:00.020030 IP 10.96.0.10.53 > 10.244.2.15.1002: 6 NXDomain 0/1/0 (98)\n",
        &pod("shop.svc.cluster.local svc.cluster.local cluster.local"),
    );
    let [one] = found.as_slice() else {
        panic!("{found:#?}")
    };
    assert_eq!(one.resolver_fit, [dnatlas_core::dns::plan::Resolver::Glibc]);
    for sentence in [
        "`nginx.shop.svc.cluster.local.` got NXDOMAIN (frames 1, 2).",
        "`nginx.svc.cluster.local.` got REFUSED (frames 5, 6): glibc stops walking the search list on a timeout or REFUSED and tries the name as typed right away, `nginx.`, skipping `nginx.cluster.local.`. It got NXDOMAIN (frames 9, 10).",
    ] {
        assert!(one.explanation.contains(sentence), "{}", one.explanation);
    }
}

/// `analyze` reads every capture's transactions back into `captures.lookups`, with `queries` indexing
/// `captures.transactions`; past `Options::max_lookup_transactions` only the first ones, with an info diagnostic.
#[test]
fn analyze_reads_lookups_from_the_first_transactions_of_each_capture() {
    use dnatlas_core::{analyze, Options, Source};
    let capture = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tcpdump/no-timestamps/capture.txt"),
    )
    .unwrap();
    let sources = [Source::new("capture.txt", &capture)];
    // Seven transactions: the three A/AAAA pairs of `nginx`'s walk (lines 1-12) and the HINFO loop probe.
    let all = serde_json::to_value(analyze(&sources, &Options::default())).unwrap();
    assert_eq!(all["captures"]["transactions"].as_array().unwrap().len(), 7);
    let lookups = all["captures"]["lookups"].as_array().unwrap();
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(lookups[0]["base_name"], "nginx");
    assert_eq!(lookups[0]["queries"], serde_json::json!([0, 1, 2, 3, 4, 5]));
    assert!(all["sources"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["code"] != "lookups-sampled"));
    // The first two transactions only: one lookup of one pair, and a note at the first query's line.
    let options = Options {
        max_lookup_transactions: 2,
        ..Options::default()
    };
    let sampled = serde_json::to_value(analyze(&sources, &options)).unwrap();
    assert_eq!(
        sampled["captures"]["transactions"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert_eq!(
        sampled["captures"]["lookups"][0]["queries"],
        serde_json::json!([0, 1])
    );
    let note = sampled["sources"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "lookups-sampled")
        .unwrap();
    assert_eq!(
        (note["line"].as_u64(), note["severity"].as_str()),
        (Some(1), Some("info"))
    );
}
