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

/// `walk --format json` of seed 004's pod 10.244.0.20 to nginx's VIP 10.109.102.230:80 through the dump at `path`.
fn walk_to_nginx(path: &str) -> Output {
    dnatlas(
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
            path,
        ],
        None,
    )
}

#[test]
fn walk_shows_every_branch_with_its_rules() {
    let out = walk_to_nginx(&fixture("seed-004-node"));
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

/// A dump saved as UTF-16 (Windows PowerShell's `>`) or with CR-only line ends walks as its UTF-8 original: the
/// walk reads the bytes the analysis decoded, not the raw file.
#[test]
fn walk_reads_decoded_dumps() {
    let original = std::fs::read(fixture("seed-004-node")).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let cr: Vec<u8> = original
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect();
    let walk = |path: &str| {
        let out = walk_to_nginx(path);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["nodes"][0]["outcomes"].clone()
    };
    let expected = walk(&fixture("seed-004-node"));
    assert_eq!(expected.as_array().map(Vec::len), Some(3));
    assert_eq!(walk(&scratch("seed-004-utf16.txt", &utf16)), expected);
    assert_eq!(walk(&scratch("seed-004-cr.txt", &cr)), expected);
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
    // docs/domain/resolvers.md §5: busybox ≥1.30 sends every suffixed A/AAAA query at once, even after the first is answered, and
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

/// Writes `bytes` to a file named `name` in the test's scratch directory and returns its path.
fn scratch(name: &str, bytes: &[u8]) -> String {
    let dir = format!("{}/cli-inputs", env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = format!("{dir}/{name}");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `dnatlas` under `ulimit -v KB` (address space), timed.
fn dnatlas_limited(kb: u64, args: &[&str]) -> (Output, std::time::Duration) {
    let start = std::time::Instant::now();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_dnatlas"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out, start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const WALK: [&str; 7] = [
    "walk",
    "--src",
    "10.244.0.20",
    "--dst",
    "10.109.102.230",
    "--port",
    "80",
];

/// A resolv.conf buried in a customer's prose: detection does not take it for a resolv.conf (two of its three lines
/// are prose); `--kind` makes it one, for that file only or for every file. (One prompt line and one typo around a
/// real resolv.conf are not enough to hide it: detection reads that as a resolv.conf.)
#[test]
fn kind_forces_the_kind_of_one_file_or_of_all() {
    let pasted = scratch(
        "pasted-resolv.conf",
        b"Here is what the pod sees, from the ticket:\nI ran it twice and got the same result.\nnameserver 10.96.0.10\n",
    );
    let dump = fixture("seed-004-node");
    let noisy = scratch(
        "noisy-resolv.conf",
        b"$ kubectl exec web-0 -- cat /etc/resolv.conf\nnameservr 10.96.0.1\nnameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
    );
    let out = dnatlas(&["analyze", "--format", "json", &noisy], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["sources"][0]["kind"], "resolv-conf");
    let out = dnatlas(&["analyze", "--format", "json", &pasted, &dump], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["sources"][0]["kind"], "unknown");
    assert!(
        stderr(&out).contains("pasted-resolv.conf\" cannot be used"),
        "{}",
        stderr(&out)
    );

    let forced = format!("resolv-conf={pasted}");
    let out = dnatlas(
        &[
            "analyze", "--format", "json", "--kind", &forced, &pasted, &dump,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["sources"][0]["kind"], "resolv-conf");
    assert_eq!(v["sources"][1]["kind"], "iptables-save");
    assert_eq!(
        v["resolv_confs"][0]["nameservers"][0]["address"],
        "10.96.0.10"
    );
    // The prompt and the typo are diagnostics at their lines, not a reason to ignore the file.
    let lines: Vec<u64> = v["sources"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2]);

    // A bare KIND applies to every file; standard input is named `-`.
    let text = std::fs::read(&pasted).unwrap();
    let out = dnatlas(
        &["analyze", "--format", "json", "--kind", "resolv-conf", "-"],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["sources"][0]["kind"], "resolv-conf");
    let out = dnatlas(
        &[
            "analyze",
            "--format",
            "json",
            "--kind",
            "resolv-conf=-",
            "-",
            &dump,
        ],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["sources"][1]["kind"], "iptables-save");

    // trace and walk take it too.
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx:80",
            "--format",
            "json",
            "--kind",
            &forced,
            &pasted,
            &dump,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["resolv_conf"]["source"], pasted.as_str());
    let mut args = WALK.to_vec();
    args.extend(["--format", "json", "--kind", "iptables-save", &dump]);
    let out = dnatlas(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["nodes"][0]["kind"], "iptables-save");
    // Forcing a dump to be a resolv.conf leaves walk nothing to walk: said, and exit 2.
    let mut args = WALK.to_vec();
    args.extend(["--kind", "resolv-conf", &dump]);
    let out = dnatlas(&args, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("it is resolv-conf input"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn kind_arguments_that_cannot_be_used_exit_2() {
    let dump = fixture("seed-004-node");
    for (kind, says) in [
        (
            "yaml",
            "the kinds are iptables-save, iptables-list, kubectl",
        ),
        ("unknown", "is not a kind"),
        ("resolv-conf=", "names no file"),
        ("resolv-conf=other.txt", "is not one of the FILE arguments"),
    ] {
        let out = dnatlas(&["analyze", "--kind", kind, &dump], None);
        assert_eq!(out.status.code(), Some(2), "{kind}");
        assert!(stderr(&out).contains(says), "{kind}: {}", stderr(&out));
    }
    let out = dnatlas(
        &["analyze", "--kind", "kubectl", "--kind", "tcpdump", &dump],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("both apply to every file"));
    let one = format!("kubectl={dump}");
    let two = format!("tcpdump={dump}");
    let out = dnatlas(&["analyze", "--kind", &one, "--kind", &two, &dump], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("two kinds"), "{}", stderr(&out));
    // A KIND=FILE wins over a bare KIND.
    let out = dnatlas(
        &[
            "analyze",
            "--format",
            "json",
            "--kind",
            "kubectl",
            "--kind",
            &format!("iptables-save={dump}"),
            &dump,
        ],
        None,
    );
    assert_eq!(json(&out)["sources"][0]["kind"], "iptables-save");
}

/// Reading stops one byte past the cap, for every command and standard input: `/dev/zero` ends at the cap, in
/// bounded memory and time, with `input-too-large` stating the cap and exit status 2.
#[test]
fn the_cap_holds_before_the_bytes_are_read() {
    for command in [
        vec!["analyze"],
        vec!["trace", "--from", "10.244.0.20", "--to", "nginx:80"],
        WALK.to_vec(),
    ] {
        let mut args = command.clone();
        args.extend(["--format", "json", "--max-bytes", "1000", "/dev/zero"]);
        // 100 MB of address space: far less than the gigabytes reading all of it would take.
        let (out, took) = dnatlas_limited(100_000, &args);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        assert!(took.as_secs() < 10, "{command:?}: {took:?}");
        assert!(
            stderr(&out).contains("\"/dev/zero\" cannot be used: input of more than 1000 bytes"),
            "{command:?}: {}",
            stderr(&out)
        );
        if command[0] == "analyze" {
            let v = json(&out);
            assert_eq!(v["sources"][0]["bytes"], 1001);
            let d = &v["sources"][0]["diagnostics"][0];
            assert_eq!(d["code"], "input-too-large");
            assert!(d["message"]
                .as_str()
                .unwrap()
                .contains("the first 1000 bytes (the cap)"));
        }
    }
    // The default cap, 256 MiB, from standard input: memory stays near the cap (600 MB of address space).
    let (out, took) = {
        let start = std::time::Instant::now();
        let out = Command::new("bash")
            .arg("-c")
            .arg("ulimit -v 600000 && head -c 400000000 /dev/zero | \"$0\" analyze -")
            .arg(env!("CARGO_BIN_EXE_dnatlas"))
            .output()
            .unwrap();
        (out, start.elapsed())
    };
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\"-\" cannot be used: input of more than 268435456 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(took.as_secs() < 30, "{took:?}");
}

/// A dump over the cap is walked as far as the cap, with its diagnostics, and exit status 2.
#[test]
fn walk_applies_the_cap_and_carries_the_inputs_diagnostics() {
    let dump = fixture("seed-004-node");
    let mut args = WALK.to_vec();
    args.extend(["--format", "json", "--max-bytes", "1000", &dump]);
    let out = dnatlas(&args, None);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    let codes: Vec<&str> = v["nodes"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"input-too-large"), "{codes:?}");

    // The blog excerpt's line 3 has a `-j` with no target: listed under the walk with its line and column, in text
    // and JSON (same shape as analyze's).
    let excerpt = fixture("seed-002-blog-excerpt");
    let mut args = WALK.to_vec();
    args.push(&excerpt);
    let out = dnatlas(&args, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nInput diagnostics\n"), "{text}");
    assert!(
        text.contains("input.txt:3:20: error[missing-argument]"),
        "{text}"
    );
    let mut args = WALK.to_vec();
    args.extend(["--format", "json", &excerpt]);
    let walk = json(&dnatlas(&args, None));
    let analysis = json(&dnatlas(&["analyze", "--format", "json", &excerpt], None));
    assert_eq!(walk["nodes"][0]["kind"], "iptables-save");
    assert_eq!(
        walk["nodes"][0]["diagnostics"],
        analysis["sources"][0]["diagnostics"]
    );

    // Many diagnostics: 20 printed, the rest counted.
    let mut many = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
    for _ in 0..30 {
        many.push_str("-A KUBE-SERVICES -j\n");
    }
    many.push_str("COMMIT\n");
    let path = scratch("many.txt", many.as_bytes());
    let mut args = WALK.to_vec();
    args.push(&path);
    let text = String::from_utf8(dnatlas(&args, None).stdout).unwrap();
    assert!(
        text.contains("many.txt (iptables-save): 30 diagnostics"),
        "{text}"
    );
    assert_eq!(
        text.matches("error[missing-argument]").count(),
        20,
        "{text}"
    );
    assert!(text.contains("… and 10 more"), "{text}");
}

/// Exit status 2 whenever an input could not be used at all, for analyze, trace and walk, with the input and the
/// reason on standard error.
#[test]
fn inputs_that_cannot_be_used_exit_2_and_are_named() {
    let mut pcapng = vec![0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0];
    pcapng.extend([0x4d, 0x3c, 0x2b]);
    let cases: [(&str, &[u8], &str); 6] = [
        ("empty.txt", b"", "the input is empty"),
        ("blank.txt", b"\n  \n", "the input is empty"),
        (
            "cut.pcap",
            b"\xd4\xc3\xb2\xa1\x02\x00",
            "24-byte file header",
        ),
        ("cut.pcapng", &pcapng, "the capture ends inside"),
        (
            "svc.json",
            br#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "#,
            "the JSON ends early",
        ),
        ("prose.txt", b"hello world\n", "not an iptables-save dump"),
    ];
    let dump = fixture("seed-004-node");
    for (name, bytes, why) in cases {
        let path = scratch(name, bytes);
        let trace = ["trace", "--from", "10.244.0.20", "--to", "nginx:80"];
        for command in [vec!["analyze"], trace.to_vec(), WALK.to_vec()] {
            let mut args = command.clone();
            args.extend([dump.as_str(), path.as_str()]);
            let out = dnatlas(&args, None);
            assert_eq!(out.status.code(), Some(2), "{name} {command:?}");
            let err = stderr(&out);
            let walk_of_a_non_dump = command[0] == "walk" && !err.contains(why);
            assert!(
                err.contains(&format!("{name}\" cannot be used: "))
                    && (err.contains(why) || walk_of_a_non_dump),
                "{name} {command:?}: {err}"
            );
        }
    }
    // A cut List whose complete items were read is usable; error findings still exit 1.
    let out = dnatlas(&["analyze", &fixture("corpus-01-iptables-overall")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// Markup in every kind of input and in the file names stays text in the Markdown report; escape sequences stay
/// visible in the terminal.
#[test]
fn nothing_from_an_input_is_live_in_the_report_or_the_terminal() {
    let script = "<script>alert(1)</script>";
    let dump = scratch(
        "<img src=x onerror=alert(1)>.txt",
        format!(
            "*filter\n:KUBE-SERVICES - [0:0]\n\
             # {script}\n\
             -A KUBE-SERVICES -m comment --comment \"default/{script}:p80 has no endpoints\" -m tcp -p tcp -d 10.96.0.9 --dport 80 -j REJECT\n\
             -A KUBE-SERVICES {script}\n\
             COMMIT\n"
        )
        .as_bytes(),
    );
    let resolv = scratch(
        "resolv<img src=x onerror=alert(1)>.conf",
        format!("nameserver 10.96.0.10\nsearch {script}.svc.cluster.local svc.cluster.local\noptions ndots:5 {script}\n").as_bytes(),
    );
    let capture = scratch(
        "capture<img src=x onerror=alert(1)>.txt",
        format!(
            "12:00:00.000000 IP 10.244.0.20.40000 > 10.96.0.10.53: 4660+ A? {script}.default.svc.cluster.local. (50)\n\
             12:00:05.000000 IP 10.244.0.20.40000 > 10.96.0.10.53: 4660+ A? {script}.default.svc.cluster.local. (50)\n\
             12:00:05.001000 IP 10.96.0.10.53 > 10.244.0.20.40000: 4660 NXDomain* 0/1/0 (100)\n\
             12:00:20.000000 IP 10.244.0.20.40001 > 10.96.0.10.53: 4661+ A? x{script}. (50)\n"
        )
        .as_bytes(),
    );
    let out = dnatlas(
        &["analyze", "--format", "markdown", &dump, &resolv, &capture],
        None,
    );
    let md = String::from_utf8(out.stdout).unwrap();
    // Each input's markup reached the report somewhere (so the check below means something) ...
    assert!(
        md.contains("&lt;img src=x onerror=alert(1)&gt;.txt"),
        "{md}"
    );
    assert!(
        md.contains("default/&lt;script&gt;alert(1)&lt;/script&gt;:p80"),
        "{md}"
    );
    assert!(md.contains(&format!("search {script}.svc")), "{md}");
    // ... and none of it is markup outside the fenced quotes of input lines.
    let mut outside = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let t = line.trim();
        let ticks: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(open) if t == open => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => outside.push_str(&format!("{line}\n")),
        }
    }
    assert!(fence.is_none(), "{md}");
    for tag in ["<script", "</script", "<img"] {
        assert!(!outside.contains(tag), "{tag} in:\n{outside}");
    }

    // An escape sequence in a file's name and text is shown, not sent to the terminal.
    let esc = scratch(
        "esc\x1b]0;owned\x07.txt",
        b"*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES \x1b[2J\x1b[31mred\r\x08\n-A KUBE-SERVICES \xc2\x9b31m\nCOMMIT\n",
    );
    for format in ["text", "markdown"] {
        let out = dnatlas(&["analyze", "--format", format, &esc], None);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let shown = String::from_utf8_lossy(&all);
        assert!(
            !shown
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{format}: {shown:?}"
        );
        if format == "text" {
            assert!(shown.contains("esc\\x1b]0;owned\\x07.txt"), "{shown}");
            // The core's message quotes the rule's text escaped (`\u{1b}`); either way it is visible.
            assert!(shown.contains("[31mred"), "{shown}");
        }
    }
    let mut args = WALK.to_vec();
    args.push(&esc);
    let out = dnatlas(&args, None);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("[2J"), "{shown}");
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{shown:?}"
    );
}

/// `--to` is checked as DNS checks a name; a bad one is a clear error and exit status 2.
#[test]
fn trace_to_is_checked_as_a_dns_name() {
    let resolv = trace_case("seed-004", "resolv.conf");
    let label64 = "a".repeat(64);
    let long = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(62)
    );
    assert_eq!(long.len(), 254);
    let cases = [
        (format!("{label64}.default"), "a DNS label holds at most 63"),
        (long.clone(), "a DNS name holds at most 253"),
        ("nginx..default".to_string(), "empty label"),
        ("nginx\x1b[2J".to_string(), "a control character"),
        ("ng inx".to_string(), "a space"),
        ("nginx/80".to_string(), "not allowed"),
        ("nginx:0".to_string(), "1-65535"),
        ("nginx:65536".to_string(), "1-65535"),
        ("nginx:http".to_string(), "not a port number"),
    ];
    for (to, says) in cases {
        let out = dnatlas(
            &["trace", "--from", "10.244.0.20", "--to", &to, &resolv],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{to:?}");
        let err = stderr(&out);
        assert!(err.contains(says), "{to:?}: {err}");
        assert!(!err.contains('\x1b'), "{to:?}: {err:?}");
    }
    // The longest name, an underscore label and the highest port are accepted.
    for to in [
        format!("{}:65535", &long[1..]),
        "_dns._udp.kube-dns.kube-system.svc.cluster.local.".to_string(),
    ] {
        let out = dnatlas(
            &["trace", "--from", "10.244.0.20", "--to", &to, &resolv],
            None,
        );
        assert_ne!(out.status.code(), Some(2), "{to:?}: {}", stderr(&out));
    }
}

/// trace lists its inputs' warnings and errors under the trace, with line and column.
#[test]
fn trace_text_shows_the_inputs_diagnostics() {
    let resolv = scratch(
        "warned-resolv.conf",
        b"nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:many\n",
    );
    let out = dnatlas(
        &[
            "trace",
            "--from",
            "10.244.0.20",
            "--to",
            "nginx:80",
            &resolv,
            &trace_case("seed-004", "kubectl.txt"),
            &trace_case("seed-004", "node.txt"),
        ],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nInput diagnostics\n"), "{text}");
    assert!(
        text.contains("warned-resolv.conf (resolv-conf): 1 diagnostic\n"),
        "{text}"
    );
    assert!(
        text.contains("warned-resolv.conf:3:15: warning[bad-option-value]"),
        "{text}"
    );
}
