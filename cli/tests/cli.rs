//! The `dnatlas` binary as a user runs it: arguments, standard input, output formats and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> String {
    format!(
        "{}/../fixtures/iptables/{name}/input.txt",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn dnatlas(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dnatlas"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn json_follows_the_contract() {
    let out = dnatlas(
        &["analyze", "--format", "json", &fixture("seed-004-node")],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["schema"], "dnatlas.analysis/1");
    assert_eq!(v["sources"][0]["kind"], "iptables-save");
    assert_eq!(v["sources"][0]["diagnostics"], Value::Array(vec![]));
    assert!(v["findings"].is_array());
    let dns = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "kube-dns" && s["port_name"] == "dns")
        .unwrap();
    assert_eq!(dns["namespace"], "kube-system");
    assert_eq!(dns["protocol"], "udp");
    assert_eq!(dns["cluster_ip"], "10.96.0.10");
    assert_eq!(dns["port"], 53);
    assert_eq!(dns["chain"], "KUBE-SVC-TCOU7JCQXEZGVUNU");
    assert_eq!(dns["endpoints"][0]["ip"], "10.244.0.2");
    assert_eq!(dns["endpoints"][0]["port"], 53);
    assert_eq!(dns["endpoints"][0]["chain"], "KUBE-SEP-YIL6JZP7A3QYXJU2");
    assert_eq!(dns["endpoints"][0]["probability"], 1.0);
    let nginx = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "nginx")
        .unwrap();
    assert_eq!(nginx["port_name"], "");
    let shares: Vec<f64> = nginx["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["probability"].as_f64().unwrap())
        .collect();
    assert_eq!(shares.len(), 3);
    assert!(
        shares.iter().all(|p| (p - 1.0 / 3.0).abs() < 1e-4),
        "{shares:?}"
    );
}

#[test]
fn dash_reads_standard_input() {
    let dump = std::fs::read(fixture("corpus-01-iptables-overall")).unwrap();
    let out = dnatlas(&["analyze", "--format", "json", "-"], Some(&dump));
    // ns6/svc6 has no endpoints: an error finding, so the exit status is 1.
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["sources"][0]["name"], "-");
    assert_eq!(v["services"].as_array().unwrap().len(), 6);
}

#[test]
fn text_is_a_readable_table() {
    let out = dnatlas(&["analyze", &fixture("seed-004-node")], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("SERVICE"), "{text}");
    let nginx_rows: Vec<&str> = text.lines().filter(|l| l.contains("10.244.0.")).collect();
    assert!(
        nginx_rows.iter().filter(|l| l.contains("33.3%")).count() == 3,
        "{text}"
    );
    let dns = text
        .lines()
        .find(|l| l.contains("kube-system/kube-dns:dns ") && l.contains("udp"))
        .unwrap();
    assert!(
        dns.contains("10.96.0.10:53") && dns.contains("10.244.0.2:53") && dns.contains("100.0%"),
        "{dns}"
    );
}

#[test]
fn diagnostics_name_line_and_column() {
    let out = dnatlas(&["analyze", &fixture("seed-002-blog-excerpt")], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("input.txt:3:20: error[missing-argument]"),
        "{text}"
    );
}

#[test]
fn several_inputs_are_analysed_together() {
    let out = dnatlas(
        &[
            "analyze",
            "--format",
            "json",
            &fixture("seed-004-node"),
            &fixture("corpus-02-iptables-repeated-initial"),
        ],
        None,
    );
    let v = json(&out);
    assert_eq!(v["sources"].as_array().unwrap().len(), 2);
    assert_eq!(v["services"].as_array().unwrap().len(), 6);
}

#[test]
fn a_missing_file_exits_2() {
    let out = dnatlas(&["analyze", "/nonexistent/dump.txt"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn an_unreadable_kind_exits_2_after_reporting_it() {
    let out = dnatlas(
        &["analyze", "--format", "json", "-"],
        Some(b"hello world\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["sources"][0]["kind"], "unknown");
    assert_eq!(v["sources"][0]["diagnostics"][0]["code"], "unknown-kind");
}

#[test]
fn a_bad_command_line_exits_2() {
    assert_eq!(dnatlas(&["analyze"], None).status.code(), Some(2));
    assert_eq!(
        dnatlas(&["analyze", "--format", "xml", "x"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(dnatlas(&["frobnicate"], None).status.code(), Some(2));
}

#[test]
fn error_findings_exit_1_and_are_printed_with_evidence() {
    let out = dnatlas(
        &[
            "analyze",
            &fixture("corpus-04-iptables-repeated-no-endpoints-reject"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[service-no-endpoints]"), "{text}");
    assert!(text.contains("input.txt:8"), "{text}");
}

#[test]
fn explain_prints_the_rule_documentation() {
    let out = dnatlas(&["explain", "dns-single-endpoint"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## How to fix",
    ] {
        assert!(text.contains(section), "{text}");
    }
    let out = dnatlas(&["explain", "no-such-code"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("service-no-endpoints"));
}

#[test]
fn walk_shows_every_branch_with_its_rules() {
    let out = dnatlas(
        &[
            "walk",
            "--src",
            "10.244.0.20",
            "--dst",
            "10.109.102.230",
            "--port",
            "80",
            "--format",
            "json",
            &fixture("seed-004-node"),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["schema"], "dnatlas.walk/1");
    let outcomes = v["nodes"][0]["outcomes"].as_array().unwrap();
    let mut dests: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!(
                "{}:{}",
                o["destination"].as_str().unwrap(),
                o["destination_port"]
            )
        })
        .collect();
    dests.sort();
    assert_eq!(dests, ["10.244.0.3:80", "10.244.0.4:80", "10.244.0.5:80"]);
    for o in outcomes {
        assert!((o["probability"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-4);
        assert_eq!(o["verdict"]["kind"], "accept");
        assert!(o["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["action"].as_str().unwrap().starts_with("DNAT")));
    }
    let text = dnatlas(
        &[
            "walk",
            "--src",
            "10.0.0.2",
            "--dst",
            "172.30.0.46",
            "--port",
            "80",
            &fixture("corpus-07-iptables-tracepacket-ruleset"),
        ],
        None,
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("REJECT (icmp-port-unreachable)"), "{text}");
}

#[test]
fn walk_reads_iptables_listings_too() {
    let listing = format!(
        "{}/../fixtures/iptables-list/kube-proxy-nat-n-v/input.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = dnatlas(
        &[
            "walk",
            "--src",
            "10.244.0.20",
            "--dst",
            "10.96.0.10",
            "--port",
            "53",
            "--protocol",
            "udp",
            "--format",
            "json",
            &listing,
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let outcomes = v["nodes"][0]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["destination"], "10.244.0.2");
    assert_eq!(outcomes[0]["destination_port"], 53);
}

#[test]
fn a_pod_resolv_conf_is_read_and_checked_against_the_node() {
    let resolv = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n";
    let out = dnatlas(
        &[
            "analyze",
            "--format",
            "json",
            "-",
            &fixture("seed-004-node"),
        ],
        Some(resolv),
    );
    // nameserver-not-cluster-dns is a warning: no error, exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["sources"][0]["kind"], "resolv-conf");
    assert_eq!(
        v["resolv_confs"][0]["nameservers"][0]["address"],
        "10.0.0.10"
    );
    assert_eq!(v["resolv_confs"][0]["options"]["ndots"], 5);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"nameserver-not-cluster-dns"), "{codes:?}");
    assert!(codes.contains(&"ndots-amplification"), "{codes:?}");

    let text = dnatlas(&["analyze", "-"], Some(resolv));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("resolv-conf  3 lines: nameserver 10.0.0.10"),
        "{text}"
    );
}

#[test]
fn a_corefile_is_read_summarised_and_explained() {
    let path = |case: &str| {
        format!(
            "{}/../fixtures/corefile/{case}/Corefile",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    // kubeadm's Corefile has no risk: exit 0, one line of counts.
    let out = dnatlas(&["analyze", &path("kubeadm-default")], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("corefile  23 lines: 1 server blocks, 1 zones, 10 plugins"),
        "{text}"
    );
    // A forward to the systemd-resolved stub (a loopback address) loops for certain: an error, exit 1.
    let out = dnatlas(
        &["analyze", "--format", "json", &path("systemd-stub-forward")],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["sources"][0]["kind"], "corefile");
    assert_eq!(
        v["corefiles"][0]["blocks"][1]["keys"][0]["zone"],
        "corp.example"
    );
    assert_eq!(v["findings"][0]["code"], "corefile-forward-loop");
    assert_eq!(v["findings"][0]["severity"], "error");
    for code in [
        "corefile-forward-loop",
        "corefile-autopath-pods",
        "corefile-reverse-no-fallthrough",
    ] {
        let out = dnatlas(&["explain", code], None);
        assert_eq!(out.status.code(), Some(0), "{code}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(code));
    }
}
