//! `trace` against every `fixtures/trace/<case>/`: the inputs of the case (every file but `request.json` and
//! `expected.json`), the request (one object, or an array of them), and the hand-written expectation (the trace's
//! partial JSON, or `{"traces": [...]}` with one per request). Expectations were reasoned from docs/domain/coredns.md §1–§3 (what
//! CoreDNS answers), docs/domain/resolvers.md §2–§7 (what each resolver sends and where it stops) and the rules in each node dump.

mod common;

use std::path::Path;

use dnatlas_core::trace::{trace, Request, Trace};
use dnatlas_core::{Options, Source};
use serde_json::Value;

/// The inputs of a case, named by file name and sorted.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != "expected.json" && n != "request.json")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn requests(dir: &Path) -> Vec<Request> {
    let value: Value =
        serde_json::from_slice(&std::fs::read(dir.join("request.json")).unwrap()).unwrap();
    match value {
        Value::Array(list) => list
            .into_iter()
            .map(|r| serde_json::from_value(r).unwrap())
            .collect(),
        one => vec![serde_json::from_value(one).unwrap()],
    }
}

fn run(files: &[(String, Vec<u8>)], request: &Request) -> Trace {
    let sources: Vec<Source> = files.iter().map(|(n, b)| Source::new(n, b)).collect();
    trace(&sources, request, &Options::default())
}

/// The trace of `request` is the same from inputs `a` and from inputs `b`.
fn assert_same_trace(
    a: &[(String, Vec<u8>)],
    b: &[(String, Vec<u8>)],
    request: &Request,
    dir: &Path,
) {
    let (a, b) = (run(a, request), run(b, request));
    assert_eq!(a.lookups, b.lookups, "{dir:?} {}", request.to);
    assert_eq!(a.connection, b.connection, "{dir:?} {}", request.to);
    assert_eq!(a.hops, b.hops, "{dir:?} {}", request.to);
    assert_eq!(a.status, b.status, "{dir:?} {}", request.to);
}

#[test]
fn every_trace_case_matches_its_expectation() {
    let cases = common::cases("trace");
    assert!(cases.len() >= 8, "trace fixtures are missing");
    let mut errors = Vec::new();
    for dir in &cases {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        assert!(
            expected["about"].as_str().is_some_and(|a| a.len() > 40),
            "{case}: expected.json needs an `about`"
        );
        let requests = requests(dir);
        let wanted: Vec<Value> = match expected.get("traces") {
            Some(Value::Array(list)) => list.clone(),
            _ => {
                let mut one = expected.clone();
                one.as_object_mut().unwrap().remove("about");
                vec![one]
            }
        };
        assert_eq!(
            wanted.len(),
            requests.len(),
            "{case}: one expectation per request"
        );
        let files = inputs(dir);
        for (i, (request, want)) in requests.iter().zip(&wanted).enumerate() {
            let what = format!("{case}[{i}] {}", request.to);
            let got = serde_json::to_value(run(&files, request)).unwrap();
            // `notes_contain`: phrases some note must contain (notes are prose; the rest is compared exactly).
            let mut want = want.clone();
            if let Some(Value::Array(phrases)) =
                want.as_object_mut().unwrap().remove("notes_contain")
            {
                let notes = got["notes"].to_string();
                for phrase in phrases {
                    let phrase = phrase.as_str().unwrap();
                    if !notes.contains(phrase) {
                        errors.push(format!("{what}: no note says {phrase:?}: {notes}"));
                    }
                }
            }
            common::compare(&what, &want, &got, &mut errors);
        }
    }
    assert!(errors.is_empty(), "\n{}", errors.join("\n"));
}

/// The inputs' order does not change what is traced (each case has at most one input of each kind, so no
/// "the first one" choice is involved).
#[test]
fn input_order_does_not_change_the_trace() {
    for dir in common::cases("trace") {
        let files = inputs(&dir);
        let mut reversed = files.clone();
        reversed.reverse();
        for request in requests(&dir) {
            assert_same_trace(&files, &reversed, &request, &dir);
        }
    }
}

/// A case whose text inputs arrive as UTF-16 (what Windows PowerShell's `>` writes) or with CR-only line ends
/// traces exactly as the UTF-8 original: the trace reads each input as `analyze` decodes it, so the node dump the
/// analysis read is the one the walk follows.
#[test]
fn decoded_inputs_trace_as_their_originals() {
    fn utf16le(bytes: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(bytes);
        let mut out = vec![0xff, 0xfe];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }
    fn cr_only(bytes: &[u8]) -> Vec<u8> {
        bytes
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect()
    }
    let mut compared = 0;
    for dir in common::cases("trace") {
        let files = inputs(&dir);
        for encode in [utf16le as fn(&[u8]) -> Vec<u8>, cr_only] {
            let encoded: Vec<(String, Vec<u8>)> =
                files.iter().map(|(n, b)| (n.clone(), encode(b))).collect();
            for request in requests(&dir) {
                assert_same_trace(&files, &encoded, &request, &dir);
                compared += 1;
            }
        }
    }
    assert!(compared >= 16, "{compared} traces compared");
}

/// Every lookup is fully qualified and in the resolver's order, every hop that is a rule or an answer names the
/// input lines behind it, and probabilities of the branches add up to at most 1.
#[test]
fn traces_keep_their_invariants() {
    for dir in common::cases("trace") {
        let files = inputs(&dir);
        for request in requests(&dir) {
            let t = run(&files, &request);
            let what = format!("{dir:?} {}", request.to);
            assert_eq!(t.schema, "dnatlas.trace/1");
            assert!(t.lookups.iter().all(|l| l.name.ends_with('.')), "{what}");
            for pair in t.lookups.windows(2) {
                assert!(pair[0].candidate <= pair[1].candidate, "{what}");
            }
            for hop in &t.hops {
                let kind = serde_json::to_value(hop.kind).unwrap();
                if kind == "netfilter-rule" || kind == "coredns-pod" {
                    assert!(
                        !hop.evidence.is_empty(),
                        "{what}: {} has no evidence",
                        hop.label
                    );
                }
            }
            if let Some(c) = &t.connection {
                let sum: f64 = c.branches.iter().map(|b| b.probability).sum();
                assert!(sum <= 1.0 + 1e-6, "{what}: branches add up to {sum}");
            }
            // The pod is always the first hop.
            assert_eq!(
                t.hops
                    .first()
                    .map(|h| serde_json::to_value(h.kind).unwrap()),
                Some(Value::from("pod")),
                "{what}"
            );
        }
    }
}

#[test]
fn bad_requests_are_reported_not_traced() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/trace/seed-004");
    let files = inputs(&dir);
    for (from, to) in [
        ("10.244.0", "nginx"),
        ("10.244.0.20", ""),
        ("10.244.0.20", "nginx:http"),
        ("10.244.0.20", "nginx:"),
        ("10.244.0.20", "."),
    ] {
        let t = run(
            &files,
            &Request {
                from: from.to_string(),
                to: to.to_string(),
                resolver: dnatlas_core::dns::plan::Resolver::Glibc,
            },
        );
        assert_eq!(t.status.as_str(), "bad-request", "{from} {to}");
        assert!(t.error.is_some() && t.lookups.is_empty() && t.connection.is_none());
    }
}

/// Every rule hop names its rule (table, chain, line, action) as data, and its label is that rule's; the hops of
/// the branch the trace follows say which branch of how many with its share; every branch the node's rules decide
/// names the jump into its chain and its DNAT rule. The player reads these instead of the labels.
#[test]
fn hops_and_branches_carry_their_rules_as_data() {
    use dnatlas_core::simulate::netfilter::Action;
    use dnatlas_core::trace::{Branch, HopKind};
    let mut rules = 0;
    let mut forked = 0;
    for dir in common::cases("trace") {
        let files = inputs(&dir);
        for request in requests(&dir) {
            let t = run(&files, &request);
            let what = format!("{dir:?} {}", request.to);
            for (i, hop) in t.hops.iter().enumerate() {
                match hop.kind {
                    HopKind::NetfilterRule => {
                        let rule = hop
                            .rule
                            .as_ref()
                            .unwrap_or_else(|| panic!("{what}: {hop:?}"));
                        assert_eq!(rule.label(), hop.label, "{what}");
                        assert_eq!(
                            hop.evidence.first().and_then(|e| e.line_number()),
                            Some(rule.line),
                            "{what}"
                        );
                        rules += 1;
                    }
                    _ => assert!(hop.rule.is_none(), "{what}: {hop:?}"),
                }
                let branches: &[Branch] = match (hop.lookup, &t.connection) {
                    (Some(l), _) => &t.lookups[l].server_endpoints,
                    (None, Some(c)) => &c.branches,
                    (None, None) => &[],
                };
                if matches!(hop.kind, HopKind::Endpoint | HopKind::CorednsPod) {
                    let b = hop
                        .branch
                        .unwrap_or_else(|| panic!("{what}: hop {i} {hop:?}"));
                    assert_eq!((b.index, b.of), (0, branches.len()), "{what}");
                    assert_eq!(Some(b.share), hop.probability, "{what}");
                }
                if let (Some(b), Some(rule)) = (hop.branch, &hop.rule) {
                    // On the first branch: the jump into its chain, or a rule of that chain.
                    let chain = branches[b.index].chain.as_deref().unwrap();
                    assert!(
                        rule.chain == chain || rule.action.chain() == Some(chain),
                        "{what}: {hop:?}"
                    );
                    forked += 1;
                }
            }
            let all = t
                .lookups
                .iter()
                .flat_map(|l| &l.server_endpoints)
                .chain(t.connection.iter().flat_map(|c| &c.branches));
            for b in all.filter(|b| b.chain.is_some()) {
                let chain = b.chain.as_deref();
                let dnat = b.dnat.as_ref().unwrap_or_else(|| panic!("{what}: {b:?}"));
                assert_eq!(Some(dnat.chain.as_str()), chain, "{what}");
                assert!(matches!(dnat.action, Action::Dnat { .. }), "{what}");
                let jump = b.jump.as_ref().unwrap_or_else(|| panic!("{what}: {b:?}"));
                assert_eq!(jump.action.chain(), chain, "{what}");
            }
        }
    }
    assert!(
        rules > 20 && forked > 4,
        "{rules} rule hops, {forked} on a branch"
    );
}

/// The inputs of a trace case plus `more` (name, bytes).
fn with(case: &str, more: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/trace")
        .join(case);
    let mut files = inputs(&dir);
    files.extend(
        more.iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec())),
    );
    files
}

fn glibc(to: &str) -> Request {
    Request {
        from: "10.244.0.20".to_string(),
        to: to.to_string(),
        resolver: dnatlas_core::dns::plan::Resolver::Glibc,
    }
}

/// A Corefile configures the answers: its `kubernetes` plugin answers only the names of its own zones
/// (docs/domain/coredns.md §1, §4). With `kubernetes cluster.example`, the pod's search names under
/// `cluster.local` are not the plugin's: the next plugin (`forward . /etc/resolv.conf`) sends the first candidate
/// upstream, so glibc's plan ends there, unknown. Without the Corefile the same inputs connect.
#[test]
fn a_corefile_with_another_cluster_domain_passes_the_pods_names_on() {
    let corefile = ".:53 {\n    errors\n    kubernetes cluster.example in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n    forward . /etc/resolv.conf\n}\n";
    let t = run(
        &with("seed-004", &[("Corefile", corefile)]),
        &glibc("nginx:80"),
    );
    assert_eq!(
        t.status,
        dnatlas_core::trace::Status::Upstream,
        "{:?}",
        t.notes
    );
    let names: Vec<&str> = t.lookups.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "nginx.default.svc.cluster.local.",
            "nginx.default.svc.cluster.local."
        ]
    );
    assert!(t.lookups.iter().all(|l| l.upstream && l.rcode.is_none()));
    assert!(t.connection.is_none());
    let upstream = t
        .hops
        .iter()
        .find(|h| serde_json::to_value(h.kind).unwrap() == "upstream")
        .unwrap();
    assert!(
        upstream.label.contains("cluster.example") && upstream.label.contains("forward"),
        "{}",
        upstream.label
    );
    let plain = run(&with("seed-004", &[]), &glibc("nginx:80"));
    assert_eq!(plain.status, dnatlas_core::trace::Status::Connected);
}

/// With no resolv.conf, kubelet's ClusterFirst file is rebuilt for the cluster domain: the Corefile's zone, when
/// it names one (its `kubernetes corp.internal` serves it), instead of `cluster.local`.
#[test]
fn a_corefile_names_the_zone_of_a_rebuilt_resolv_conf() {
    let corefile = ".:53 {\n    kubernetes corp.internal in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n}\n";
    let mut files = with("seed-004", &[("Corefile", corefile)]);
    files.retain(|(n, _)| n != "resolv.conf");
    let t = run(&files, &glibc("nginx:80"));
    let used = t.resolv_conf.as_ref().unwrap();
    assert_eq!(used.zone, "corp.internal");
    assert_eq!(used.search[0], "default.svc.corp.internal");
    assert_eq!(t.lookups[0].name, "nginx.default.svc.corp.internal.");
    assert_eq!(
        t.lookups[0].answers,
        ["10.109.102.230".parse::<std::net::IpAddr>().unwrap()]
    );
    // The answer rests on the Service's line and on the plugin's line in the Corefile.
    assert!(t.lookups[0]
        .evidence
        .iter()
        .any(|e| &*e.source == "Corefile" && e.line_number() == Some(2)));
    assert_eq!(t.status, dnatlas_core::trace::Status::Connected);
    files.retain(|(n, _)| n != "Corefile");
    let plain = run(&files, &glibc("nginx:80"));
    assert_eq!(plain.resolv_conf.unwrap().zone, "cluster.local");
}

/// `pods disabled` (the plugin's own default) answers every pod name NXDOMAIN (docs/domain/coredns.md §2), where
/// kubeadm's `pods insecure` — what a trace assumes without a Corefile — answers the address in the name. The
/// same holds for a Corefile read from the CoreDNS ConfigMap in kubectl output.
#[test]
fn pods_disabled_in_a_corefile_makes_pod_names_not_found() {
    let to = "10-244-0-3.default.pod.cluster.local.:80";
    let plain = run(&with("seed-004", &[]), &glibc(to));
    assert_eq!(
        plain.lookups[0].answers,
        ["10.244.0.3".parse::<std::net::IpAddr>().unwrap()]
    );
    let corefile = ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods disabled\n    }\n    forward . /etc/resolv.conf\n}\n";
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\ndata:\n  Corefile: |\n    .:53 {\n        kubernetes cluster.local in-addr.arpa ip6.arpa {\n           pods disabled\n        }\n        forward . /etc/resolv.conf\n    }\n";
    for extra in [("Corefile", corefile), ("coredns.yaml", config_map)] {
        let t = run(&with("seed-004", &[extra]), &glibc(to));
        assert_eq!(
            t.status,
            dnatlas_core::trace::Status::NotFound,
            "{}: {:?}",
            extra.0,
            t.notes
        );
        assert!(
            t.lookups
                .iter()
                .all(|l| l.rcode == Some(dnatlas_core::dns::answer::Rcode::NxDomain)),
            "{}",
            extra.0
        );
        assert!(
            t.notes.iter().any(|n| n.contains("configures it")),
            "{:?}",
            t.notes
        );
    }
}

/// `fallthrough` covering the cluster zone hands the plugin's NXDOMAIN to the next plugin (docs/domain/coredns.md
/// §3): a Service no input lists is then answered upstream, unknown, instead of not found.
#[test]
fn fallthrough_in_a_corefile_passes_unknown_names_upstream() {
    let to = "nosuch.default.svc.cluster.local.:80";
    let plain = run(&with("seed-004", &[]), &glibc(to));
    assert_eq!(plain.status, dnatlas_core::trace::Status::NotFound);
    let corefile = ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       fallthrough\n    }\n    forward . 8.8.8.8\n}\n";
    let t = run(&with("seed-004", &[("Corefile", corefile)]), &glibc(to));
    assert_eq!(
        t.status,
        dnatlas_core::trace::Status::Upstream,
        "{:?}",
        t.notes
    );
    assert!(t.lookups.iter().all(|l| l.upstream), "{:?}", t.lookups);
    // kubeadm's fallthrough covers only the reverse zones: the name stays NXDOMAIN.
    let kubeadm = ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    forward . /etc/resolv.conf\n}\n";
    let t = run(&with("seed-004", &[("Corefile", kubeadm)]), &glibc(to));
    assert_eq!(t.status, dnatlas_core::trace::Status::NotFound);
}
