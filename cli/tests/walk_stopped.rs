//! `dnatlas walk` and `trace` on rules whose chains loop: bounded output that names the loop, never an ACCEPT.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The 78-byte dump: a chain that goes to itself.
const GOTO_LOOP: &str =
    "*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -g L\nCOMMIT\n";

fn write(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("dnatlas-walk-stopped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().to_string()
}

fn dnatlas(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dnatlas"))
        .args(args)
        .output()
        .unwrap();
    (out, started.elapsed())
}

fn walk(path: &str, format: &str) -> (Output, Duration) {
    dnatlas(&[
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
        format,
        path,
    ])
}

#[test]
fn a_goto_loop_walks_to_a_small_stopped_outcome() {
    let path = write("goto-loop.txt", GOTO_LOOP);
    let (out, took) = walk(&path, "json");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(out.stdout.len() < 4096, "{} bytes", out.stdout.len());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes = v["nodes"][0]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1);
    let verdict = &outcomes[0]["verdict"];
    assert_eq!(verdict["kind"], "stopped");
    assert_eq!(verdict["reason"], "loop");
    assert_eq!(verdict["chains"], serde_json::json!(["L", "L"]));
    assert_eq!(verdict["line"], 5);
    assert_eq!(outcomes[0]["probability"], 1.0);

    let (out, _) = walk(&path, "text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("100.0%  stopped: chains loop L -> L (line 5)\n"),
        "{text}"
    );
    assert!(text.contains("why: nat L line 5 goes to L"), "{text}");
    assert!(!text.contains("ACCEPT"), "{text}");
}

#[test]
fn a_jump_loop_is_not_reported_as_accept() {
    let path = write("jump-loop.txt", &GOTO_LOOP.replace("-g L", "-j L"));
    let (out, _) = walk(&path, "text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("stopped: chains loop L -> L (line 5)"),
        "{text}"
    );
    assert!(!text.contains("ACCEPT"), "{text}");
}

#[test]
fn a_long_path_shows_its_start_and_end_with_the_rest_counted() {
    let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
    for i in 0..1000 {
        dump.push_str(&format!(":C{i} - [0:0]\n"));
    }
    dump.push_str("-A KUBE-SERVICES -j C0\n");
    for i in 0..999 {
        dump.push_str(&format!("-A C{i} -j C{}\n", i + 1));
    }
    dump.push_str("COMMIT\n");
    let path = write("deep.txt", &dump);
    let (out, _) = walk(&path, "text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("stopped: more than 256 chains deep at C254 -> C255 (line 1258)"),
        "{text}"
    );
    assert!(text.contains("… 160 more steps not listed …"), "{text}");
    assert!(text.lines().count() < 120, "{} lines", text.lines().count());
}

#[test]
fn a_trace_through_a_loop_fails_with_the_loop_named() {
    let node = write(
        "node.txt",
        "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-WEB - [0:0]\n\
         -A PREROUTING -j KUBE-SERVICES\n\
         -A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB\n\
         -A KUBE-SVC-WEB -g KUBE-SVC-WEB\nCOMMIT\n",
    );
    let (out, took) = dnatlas(&[
        "trace",
        "--from",
        "10.244.0.20",
        "--to",
        "10.96.5.5:80",
        &node,
    ]);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Trace from 10.244.0.20 to 10.96.5.5:80 (glibc): stopped\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "stopped            stopped: chains loop KUBE-SVC-WEB -> KUBE-SVC-WEB (line 7)"
        ),
        "{text}"
    );
    assert!(!text.contains("NaN"), "{text}");
}
