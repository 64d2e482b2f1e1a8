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
fn markdown_quotes_the_evidence_lines() {
    let path = fixture("corpus-01-iptables-overall");
    let out = dnatlas(&["analyze", "--format", "markdown", &path], None);
    // service-no-endpoints is an error: exit 1, as with the other formats.
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# dnatlas report\n"), "{md}");
    let line9 = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .nth(8)
        .unwrap()
        .to_string();
    assert!(
        md.contains(&format!("- `{path}:9`\n  ```text\n  {line9}\n  ```")),
        "{md}"
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

/// A file of a trace fixture case.
fn trace_case(case: &str, file: &str) -> String {
    format!(
        "{}/../fixtures/trace/{case}/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn seed_004_trace(args: &[&str]) -> Output {
    let files = ["resolv.conf", "kubectl.txt", "node.txt"].map(|f| trace_case("seed-004", f));
    let mut all: Vec<&str> = args.to_vec();
    all.extend(files.iter().map(String::as_str));
    dnatlas(&all, None)
}

#[test]
fn trace_json_follows_the_contract() {
    let out = seed_004_trace(&[
        "trace",
        "--from",
        "10.244.0.20",
        "--to",
        "nginx:80",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["schema"], "dnatlas.trace/1");
    assert_eq!(v["from"], "10.244.0.20");
    assert_eq!(v["to"], "nginx:80");
    assert_eq!(v["resolver"], "glibc");
    let first = &v["lookups"][0];
    assert_eq!(first["name"], "nginx.default.svc.cluster.local.");
    assert_eq!(first["type"], "A");
    assert_eq!(first["server"], "10.96.0.10");
    assert_eq!(first["server_endpoints"][0]["ip"], "10.244.0.2");
    assert_eq!(first["server_endpoints"][0]["port"], 53);
    assert_eq!(first["server_endpoints"][0]["probability"], 1.0);
    assert_eq!(first["rcode"], "NOERROR");
    assert_eq!(first["answers"][0], "10.109.102.230");
    assert_eq!(first["upstream"], false);
    assert_eq!(v["lookups"][1]["type"], "AAAA");
    let c = &v["connection"];
    assert_eq!(c["ip"], "10.109.102.230");
    assert_eq!(c["port"], 80);
    assert_eq!(c["protocol"], "tcp");
    assert_eq!(c["branches"][0]["ip"], "10.244.0.3");
    assert_eq!(c["branches"][0]["port"], 80);
    assert_eq!(c["branches"][0]["chain"], "KUBE-SEP-ECWJ4XMO64PCJIJZ");
    assert_eq!(c["branches"][0]["probability"], 0.33333);
    assert_eq!(c["branches"].as_array().unwrap().len(), 3);
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops.first().unwrap()["kind"], "pod");
    assert_eq!(hops.last().unwrap()["kind"], "endpoint");
}

#[test]
fn trace_text_has_a_line_per_lookup_and_branch_then_hops() {
    let out = seed_004_trace(&["trace", "--from", "10.244.0.20", "--to", "nginx:80"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Trace from 10.244.0.20 to nginx:80 (glibc): connected"),
        "{text}"
    );
    let lookup_rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("nginx.default.svc.cluster.local.  10.96.0.10"))
        .collect();
    assert_eq!(lookup_rows.len(), 2, "{text}");
    assert!(lookup_rows[0].contains(" A ") && lookup_rows[0].contains("NOERROR  10.109.102.230"));
    assert!(lookup_rows[1].contains(" AAAA ") && lookup_rows[1].contains("(no records)"));
    let branches: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("33.3%"))
        .collect();
    assert_eq!(branches.len(), 3, "{text}");
    assert!(
        branches[0].contains("10.244.0.3:80") && branches[0].contains("KUBE-SEP-ECWJ4XMO64PCJIJZ")
    );
    assert!(text.contains("\nHops (16)\n"), "{text}");
    assert!(
        text.contains("nat KUBE-SEP-YIL6JZP7A3QYXJU2: DNAT 10.244.0.2:53"),
        "{text}"
    );
    assert!(text.contains("node.txt:53"), "{text}");
}

#[test]
fn trace_exit_status_says_how_far_it_got() {
    // An external name ends upstream: the trace is complete, its answer unknown.
    let out = seed_004_trace(&["trace", "--from", "10.244.0.20", "--to", "example.com:443"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("): upstream"));
    // musl stops at the NODATA of an existing namespace's apex: the lookup fails.
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.244.0.21",
            "--to",
            "nginx",
            "--resolver",
            "musl",
            &trace_case("musl-nodata-stop", "cluster.json"),
            &trace_case("musl-nodata-stop", "resolv.conf"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(musl): not-found"));
    // The Service resolves but the node REJECTs it: no endpoints.
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.0.5.7",
            "--to",
            "svc4",
            "--format",
            "json",
            &trace_case("no-endpoints", "cluster.json"),
            &trace_case("no-endpoints", "node.txt"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["status"], "no-endpoints");
    assert_eq!(v["connection"]["branches"], Value::Array(vec![]));
    // Several ports and none asked for: the command line must say which.
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.0.5.7",
            "--to",
            "kube-dns.kube-system",
            &trace_case("no-endpoints", "cluster.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has ports 53, 9153"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn trace_bad_arguments_and_files_exit_2() {
    let resolv = trace_case("seed-004", "resolv.conf");
    // A pod that is not an IP, a port name, an unknown resolver: clap or the request check refuses them.
    for args in [
        vec![
            "trace",
            "--from",
            "netdebug",
            "--to",
            "nginx",
            resolv.as_str(),
        ],
        vec![
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx:http",
            resolv.as_str(),
        ],
        vec![
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx",
            "--resolver",
            "systemd-resolved",
            resolv.as_str(),
        ],
        vec!["trace", "--from", "10.244.0.20", "--to", "nginx"],
        vec![
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx",
            "/nonexistent/resolv.conf",
        ],
    ] {
        let out = dnatlas(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx:http",
            &resolv,
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a port number"));
}

#[test]
fn trace_reads_standard_input() {
    let resolv = std::fs::read(trace_case("seed-004", "resolv.conf")).unwrap();
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx.default.svc.cluster.local.",
            "--format",
            "json",
            "-",
            &trace_case("seed-004", "kubectl.txt"),
        ],
        Some(&resolv),
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["resolv_conf"]["source"], "-");
    // A trailing dot: the name itself, one pair, and no node dump to say where the connection goes.
    assert_eq!(v["lookups"].as_array().unwrap().len(), 2);
    assert_eq!(v["status"], "resolved");
}

#[test]
fn a_capture_is_summarised_in_one_line_with_its_findings() {
    let capture = format!(
        "{}/../fixtures/tcpdump/nn-any/capture.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = dnatlas(&["analyze", &capture], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // Three transactions: 1001 (800 µs), 1002 re-sent and answered after 5,001,480 µs, the bare `nginx.` never.
    assert!(
        text.contains("capture.txt  tcpdump  6 packets, 6 DNS messages: 3 transactions, 2 answered, 1 unanswered, 1 retried; latency p50 800 µs, p99 5.00 s"),
        "{text}"
    );
    assert!(text.contains("warning[dns-timeout-retry]"), "{text}");
    assert!(text.contains("capture.txt:7"), "{text}");
    let v = json(&dnatlas(&["analyze", "--format", "json", &capture], None));
    assert_eq!(v["sources"][0]["kind"], "tcpdump");
    assert_eq!(v["sources"][0]["counts"]["transactions"], 3);
    assert_eq!(v["captures"]["transactions"][1]["queries_sent"], 2);
}

#[test]
fn a_pcap_is_read_and_its_diagnostics_name_frames() {
    // pcap, little-endian, LINKTYPE_RAW: frame 1 is a DNS query for a. (IPv4/UDP written by hand), frame 2's record
    // header says 60 bytes but the file ends 4 bytes into them.
    let dns = [0u8, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];
    let mut ip = vec![
        0x45,
        0,
        0,
        (20 + 8 + dns.len()) as u8,
        0,
        0,
        0x40,
        0,
        64,
        17,
        0,
        0,
    ];
    ip.extend([10, 0, 0, 1, 10, 96, 0, 10]);
    ip.extend([0x9c, 0x40, 0, 53, 0, (8 + dns.len()) as u8, 0, 0]);
    ip.extend(dns);
    let mut pcap = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 101] {
        pcap.extend(v.to_le_bytes());
    }
    for v in [1_700_000_000u32, 0, ip.len() as u32, ip.len() as u32] {
        pcap.extend(v.to_le_bytes());
    }
    pcap.extend(&ip);
    for v in [1_700_000_000u32, 5, 60, 60] {
        pcap.extend(v.to_le_bytes());
    }
    pcap.extend([0x45, 0, 0, 60]);
    let path = format!("{}/cut.pcap", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, &pcap).unwrap();
    let out = dnatlas(&["analyze", &path], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("cut.pcap  pcap  1 packets, 1 DNS messages: 1 transactions, 0 answered, 1 unanswered, 0 retried"),
        "{text}"
    );
    assert!(
        text.contains("cut.pcap: frame 2: error[truncated-capture]: the capture ends inside frame 2 (record header says 60 bytes, 4 remain)"),
        "{text}"
    );
    let v = json(&dnatlas(&["analyze", "--format", "json", &path], None));
    assert_eq!(v["sources"][0]["kind"], "pcap");
    assert_eq!(v["sources"][0]["diagnostics"][0]["frame"], 2);
    assert_eq!(v["captures"]["transactions"][0]["name"], "a.");
    assert_eq!(v["captures"]["transactions"][0]["client"], "10.0.0.1:40000");
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

#[test]
fn trace_with_busybox_nslookup_sends_every_search_name_and_no_bare_name() {
    // SPEC §6.5: busybox ≥1.30 sends every suffixed A/AAAA query at once, even after the first is answered, and
    // never the bare name while the pod has a search list (seed 004's: three domains).
    let v = json(&seed_004_trace(&[
        "trace",
        "--from",
        "10.244.0.20",
        "--to",
        "nginx:80",
        "--resolver",
        "busybox",
        "--format",
        "json",
    ]));
    assert_eq!(v["resolver"], "busybox");
    let names: Vec<&str> = v["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "nginx.default.svc.cluster.local.",
            "nginx.default.svc.cluster.local.",
            "nginx.svc.cluster.local.",
            "nginx.svc.cluster.local.",
            "nginx.cluster.local.",
            "nginx.cluster.local.",
        ]
    );
    assert_eq!(v["lookups"][2]["rcode"], "NXDOMAIN");
    assert_eq!(v["connection"]["ip"], "10.109.102.230");
}
