//! The `iptables -L` listing parser against its fixtures (`fixtures/iptables-list/<case>/`).
//!
//! Each `expected.json` was written by hand from the case's listing and the iptables print functions: the tables
//! and chains, the important rules' basic options, matches and target in save form, and the diagnostics. The
//! listings of kube-proxy dumps must also read back into the same rules and the same Service graph as the
//! `iptables-save` dumps they were rendered from. No cut or damaged fixture may make the parser panic.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use dnatlas_core::model::services::{self, Service};
use dnatlas_core::source::iptables::{self, Rule, Ruleset, Table};
use dnatlas_core::source::iptables_list;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("iptables-list"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.txt").exists())
        .collect();
    dirs.sort();
    dirs
}

fn listing(case: &str) -> Ruleset {
    let bytes = std::fs::read(root().join("iptables-list").join(case).join("input.txt")).unwrap();
    iptables_list::parse(&bytes).value
}

fn save_dump(case: &str) -> Ruleset {
    let bytes = std::fs::read(root().join("iptables").join(case).join("input.txt")).unwrap();
    iptables::parse(&bytes).value
}

/// A rule's content as JSON, without where it is (line) and what the listing may add (counters).
fn content(rule: &Rule) -> Value {
    json!({
        "basic": rule.basic,
        "matches": rule.matches,
        "target": rule.target,
    })
}

fn check_case(dir: &Path, errors: &mut Vec<String>) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let input = std::fs::read(dir.join("input.txt")).unwrap();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    assert!(iptables_list::looks_like(&input), "{name}: not detected");
    let parsed = iptables_list::parse(&input);
    let ruleset = &parsed.value;

    let want_tables = expected["tables"].as_array().unwrap();
    let got_tables: Vec<&str> = ruleset.tables.iter().map(|t| t.name.as_str()).collect();
    let want_names: Vec<&str> = want_tables
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    if got_tables != want_names {
        errors.push(format!(
            "{name}: tables {got_tables:?}, expected {want_names:?}"
        ));
        return;
    }
    for (want, got) in want_tables.iter().zip(&ruleset.tables) {
        if want.get("line").is_some() && want["line"] != json!(got.line) {
            errors.push(format!(
                "{name}: table {} line {:?}, expected {}",
                got.name, got.line, want["line"]
            ));
        }
        let want_chains = want["chains"].as_array().unwrap();
        let got_chains: Vec<&str> = got.chains.iter().map(|c| c.name.as_str()).collect();
        let names: Vec<&str> = want_chains
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        if got_chains != names {
            errors.push(format!(
                "{name}: table {} chains {got_chains:?}, expected {names:?}",
                got.name
            ));
            continue;
        }
        for (w, c) in want_chains.iter().zip(&got.chains) {
            let context = format!("{name}: chain {}", c.name);
            if w["rules"].as_u64() != Some(c.rules.len() as u64) {
                errors.push(format!(
                    "{context}: {} rules, expected {}",
                    c.rules.len(),
                    w["rules"]
                ));
            }
            if w["policy"] != json!(c.policy) {
                errors.push(format!(
                    "{context}: policy {:?}, expected {}",
                    c.policy, w["policy"]
                ));
            }
            if w.get("counters").is_some() && w["counters"] != json!(c.counters) {
                errors.push(format!(
                    "{context}: counters {:?}, expected {}",
                    c.counters, w["counters"]
                ));
            }
        }
    }

    for want in expected["rules"].as_array().unwrap() {
        let line = want["line"].as_u64().unwrap();
        let found = ruleset.tables.iter().find_map(|t| {
            t.chains.iter().find_map(|c| {
                c.rules
                    .iter()
                    .find(|r| u64::from(r.line) == line)
                    .map(|r| (t.name.as_str(), c.name.as_str(), r))
            })
        });
        let Some((table, chain, rule)) = found else {
            errors.push(format!("{name}: no rule from line {line}"));
            continue;
        };
        let context = format!("{name} line {line}");
        if want["table"] != table || want["chain"] != chain {
            errors.push(format!(
                "{context}: in {table}/{chain}, expected {}/{}",
                want["table"], want["chain"]
            ));
        }
        let wanted = json!({
            "basic": want.get("basic").cloned().unwrap_or(json!([])),
            "matches": want.get("matches").cloned().unwrap_or(json!([])),
            "target": want.get("target").cloned().unwrap_or(Value::Null),
        });
        // Serialised like the expectation: absent flags and empty lists are left out of both.
        let got = content(rule);
        if normalise(&wanted) != normalise(&got) {
            errors.push(format!("{context}:\n  expected {wanted}\n  got      {got}"));
        }
        if want.get("counters").is_some() && want["counters"] != json!(rule.counters) {
            errors.push(format!(
                "{context}: counters {:?}, expected {}",
                rule.counters, want["counters"]
            ));
        }
    }

    let want_diags = expected["diagnostics"].as_array().unwrap();
    let got_diags: Vec<String> = parsed
        .diagnostics
        .iter()
        .map(|d| format!("{} {}:{}", d.code, d.line, d.column))
        .collect();
    let matches = want_diags.len() == parsed.diagnostics.len()
        && want_diags.iter().zip(&parsed.diagnostics).all(|(w, g)| {
            w["code"] == g.code.as_str()
                && w["line"] == g.line
                && (w.get("column").is_none() || w["column"] == g.column)
        });
    if !matches {
        errors.push(format!(
            "{name}: diagnostics {got_diags:?}, expected {want_diags:?}"
        ));
    }
}

/// Drops empty lists, `false` flags and nulls so that hand-written JSON and serde output compare equal.
fn normalise(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, v)| {
                    !(v.is_null()
                        || *v == &Value::Bool(false)
                        || (v.as_array().is_some_and(Vec::is_empty) && k.as_str() != "options"))
                })
                .map(|(k, v)| (k.clone(), normalise(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_fixture_matches_its_expectation() {
    let dirs = case_dirs();
    assert!(dirs.len() >= 4, "fixtures are missing: {dirs:?}");
    let mut errors = Vec::new();
    for dir in &dirs {
        check_case(dir, &mut errors);
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Every chain of `save` has the same rules in `list` (compared without lines and counters), except `skip`.
fn same_rules(save: &Table, list: &Table, skip: &[&str]) -> Vec<String> {
    let mut errors = Vec::new();
    for chain in &list.chains {
        if skip.contains(&chain.name.as_str()) {
            continue;
        }
        let Some(saved) = save.chain(&chain.name) else {
            errors.push(format!("chain {} is not in the save dump", chain.name));
            continue;
        };
        if saved.policy != chain.policy {
            errors.push(format!(
                "chain {}: policy {:?}, saved {:?}",
                chain.name, chain.policy, saved.policy
            ));
        }
        if saved.rules.len() != chain.rules.len() {
            errors.push(format!(
                "chain {}: {} rules, saved {}",
                chain.name,
                chain.rules.len(),
                saved.rules.len()
            ));
            continue;
        }
        for (s, l) in saved.rules.iter().zip(&chain.rules) {
            if content(s) != content(l) {
                errors.push(format!(
                    "chain {} listing line {} differs from save line {}:\n  save    {}\n  listing {}",
                    chain.name,
                    l.line,
                    s.line,
                    content(s),
                    content(l)
                ));
            }
        }
    }
    errors
}

/// What the Service graph says about routing, without lines.
fn routing(services: &[Service]) -> Value {
    Value::Array(
        services
            .iter()
            .map(|s| {
                json!({
                    "spn": s.spn,
                    "protocol": s.protocol,
                    "cluster_ip": s.cluster_ip,
                    "port": s.port,
                    "chain": s.chain,
                    "chain_hash_matches": s.chain_hash_matches,
                    "chain_missing": s.chain_missing,
                    "affinity_timeout_secs": s.affinity_timeout_secs,
                    "unrouted_share": s.unrouted_share,
                    "endpoints": s.endpoints.iter().map(|e| json!({
                        "ip": e.ip,
                        "port": e.port,
                        "chain": e.chain,
                        "probability": e.probability,
                        "rule_probability": e.rule_probability,
                        "rule_probability_text": e.rule_probability_text,
                        "chain_hash_matches": e.chain_hash_matches,
                        "affinity": e.affinity,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

#[test]
fn the_2017_node_listing_reads_back_into_its_save_dump_nat_table() {
    let list = listing("kube-proxy-nat-n-v");
    let save = save_dump("seed-004-node");
    let (list_nat, save_nat) = (list.table("nat").unwrap(), save.table("nat").unwrap());
    let names = |t: &Table| t.chains.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(list_nat), names(save_nat));
    let errors = same_rules(save_nat, list_nat, &[]);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_2017_node_listing_gives_the_service_graph_of_its_save_dump() {
    let mut save = save_dump("seed-004-node");
    // The listing has only the nat table; the filter table adds nothing to this node's graph (no REJECT rules).
    save.tables.retain(|t| t.name == "nat");
    let (from_list, list_diags) = services::build("x", &listing("kube-proxy-nat-n-v"));
    let (from_save, save_diags) = services::build("x", &save);
    assert_eq!(from_list.len(), 4);
    assert_eq!(routing(&from_list), routing(&from_save));
    let codes =
        |d: &[dnatlas_core::Diagnostic]| d.iter().map(|d| d.code.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&list_diags), codes(&save_diags));
}

#[test]
fn the_modern_listing_reads_back_into_the_corpus_rules() {
    let list = listing("modern-nat-n");
    let save = save_dump("corpus-01-iptables-overall-saved");
    let (list_nat, save_nat) = (list.table("nat").unwrap(), save.table("nat").unwrap());
    // KUBE-POSTROUTING's MASQUERADE has --random-fully in the listing only (see its expected.json).
    let mut errors = same_rules(save_nat, list_nat, &["KUBE-POSTROUTING"]);
    let listed = list_nat.chain("KUBE-POSTROUTING").unwrap();
    let saved = save_nat.chain("KUBE-POSTROUTING").unwrap();
    for (i, (s, l)) in saved.rules.iter().zip(&listed.rules).enumerate() {
        let mut l = l.clone();
        if i == 2 {
            let target = l.target.as_mut().unwrap();
            assert_eq!(target.options.len(), 1);
            assert_eq!(target.options[0].name, "--random-fully");
            target.options.clear();
        }
        if content(s) != content(&l) {
            errors.push(format!("KUBE-POSTROUTING rule {i} differs"));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // svc4 (two endpoints at 0.5) and svc5 (affinity) route as in the save dump.
    let pick = |services: Vec<Service>| -> Vec<Service> {
        services
            .into_iter()
            .filter(|s| s.spn == "ns4/svc4:p80" || s.spn == "ns5/svc5:p80")
            .collect()
    };
    let from_list = pick(services::build("x", &list).0);
    let from_save = pick(services::build("x", &save).0);
    assert_eq!(from_list.len(), 2);
    assert_eq!(routing(&from_list), routing(&from_save));
    let svc4 = &from_list[0];
    assert_eq!(
        svc4.endpoints
            .iter()
            .map(|e| (e.ip.as_str(), e.probability))
            .collect::<Vec<_>>(),
        vec![("10.180.0.4", 0.5), ("10.180.0.5", 0.5)]
    );
    assert_eq!(from_list[1].affinity_timeout_secs, Some(10800));
}

#[test]
fn the_seed_001_listing_keeps_what_the_blog_left() {
    let (services, _) = services::build("x", &listing("seed-001-userspace"));
    // Userspace kube-proxy portals are not iptables-mode Service chains: nothing to route, nothing to crash on.
    assert!(services.is_empty());
}

fn check(name: &str, what: &str, bytes: &[u8]) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let parsed = iptables_list::parse(bytes);
        let _ = iptables_list::looks_like(bytes);
        let _ = services::build(name, &parsed.value);
        serde_json::to_string(&parsed.value).unwrap();
    }));
    assert!(result.is_ok(), "{name}: panicked on {what}");
}

#[test]
fn no_cut_or_damaged_fixture_panics() {
    let mut variants = 0usize;
    for dir in case_dirs() {
        let name = dir.to_string_lossy().to_string();
        let bytes = std::fs::read(dir.join("input.txt")).unwrap();
        variants += common::for_each_variant(&bytes, 1500, b"\"!/*: \n\0\xc3", |what, v| {
            check(&name, what, v)
        });
    }
    assert!(variants > 1000, "only {variants} variants");
}

#[test]
fn hostile_listings_do_not_panic() {
    // One line just under the 64 KiB read, one over it.
    let long = format!(
        "Chain X (1 references)\nX all -- 0/0 0/0 /*{}\n",
        " *".repeat(32_000)
    );
    let longer = format!(
        "Chain X (1 references)\nX all -- 0/0 0/0 {}\n",
        "ctstate ".repeat(9_000)
    );
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"Chain".to_vec(),
        b"Chain \n".to_vec(),
        b"Chain X (\n! ! ! !\n".to_vec(),
        b"Chain X (policy)\nnum pkts bytes target prot opt in out source destination\n1\n1 2\n1 2 3\n".to_vec(),
        b"Chain X (1 references)\nA all -- 1.2.3.4 5.6.7.8 recent: name: seconds: mask: side:\n".to_vec(),
        b"Chain X (1 references)\nA all -- a b statistic mode\nA all -- a b MARK xset\nA all -- a b MARK and 0xzz\n"
            .to_vec(),
        b"Chain X (1 references)\nA all -- a b nfacct-name \"unterminated \\\"\nA tcp -- a b tcp dpts:::: flags:/ option=\n"
            .to_vec(),
        b"Chain X (1 references)\nA all -- a b ! ! ctstate\nA all -- a b PHYSDEV match ! --physdev-in\n".to_vec(),
        b"iptables -t\niptables -L -t\nip6tables -tL\n\xff\xfe Chain \xc3\x28 (1 references)\n".to_vec(),
        long.into_bytes(),
        longer.into_bytes(),
    ];
    for (i, bytes) in cases.iter().enumerate() {
        check("hostile", &format!("case {i}"), bytes);
    }
}
