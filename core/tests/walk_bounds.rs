//! Every netfilter walk ends in bounded time and output and says why it stopped: chains that loop through `-j` or
//! `-g` (rules the kernel refuses to load, so no node runs them), a path too deep, a walk that would evaluate too
//! many rules or follow too many branches. Outcome probabilities always sum to 1 and are never NaN. Every
//! iptables fixture is walked with the same bounds asserted.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dnatlas_core::simulate::netfilter::{
    walk, Hook, NodeContext, Outcome, Packet, StopReason, Verdict, MAX_BRANCHES, MAX_DEPTH,
    STEPS_HEAD, STEPS_TAIL,
};
use dnatlas_core::source::{iptables, iptables_list};
use dnatlas_core::Kind;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn pod_packet() -> Packet {
    Packet::new(
        ip("10.244.0.20"),
        ip("10.96.0.10"),
        "udp",
        53,
        Hook::Prerouting,
    )
}

/// Walks `dump` (iptables-save) with a pod's packet; checks the bounds every walk keeps and the time it took.
fn walk_dump(dump: &str) -> Vec<Outcome> {
    let ruleset = iptables::parse(dump.as_bytes()).value;
    let started = Instant::now();
    let outcomes = walk(&ruleset, &pod_packet(), &NodeContext::default());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "walk took {took:?}");
    check_bounds(&outcomes, "test dump");
    outcomes
}

/// What every walk keeps: probabilities that are numbers in [0, 1] and sum to 1 (each is rounded to 1e-9, so
/// the sum is within 1e-9 per outcome), bounded outcomes, steps and assumptions.
fn check_bounds(outcomes: &[Outcome], what: &str) {
    assert!(!outcomes.is_empty(), "{what}: no outcome");
    assert!(
        outcomes.len() <= MAX_BRANCHES + 2,
        "{what}: {} outcomes",
        outcomes.len()
    );
    let mut total = 0.0;
    for o in outcomes {
        assert!(
            o.probability.is_finite() && (0.0..=1.0).contains(&o.probability),
            "{what}: probability {}",
            o.probability
        );
        assert!(
            o.steps.len() <= STEPS_HEAD + STEPS_TAIL,
            "{what}: {} steps",
            o.steps.len()
        );
        assert!(o.assumptions.len() <= 32, "{what}: {:?}", o.assumptions);
        for s in &o.steps {
            if let Some(p) = s.probability {
                assert!(p.is_finite() && p > 0.0 && p < 1.0, "{what}: step p {p}");
            }
        }
        total += o.probability;
    }
    let tolerance = 1e-9 * outcomes.len() as f64;
    assert!(
        (total - 1.0).abs() <= tolerance,
        "{what}: outcomes sum to {total}"
    );
}

fn stopped(o: &Outcome) -> (StopReason, Vec<String>, u32) {
    match &o.verdict {
        Verdict::Stopped {
            reason,
            chains,
            line,
            ..
        } => (*reason, chains.clone(), *line),
        other => panic!("not stopped: {other:?}"),
    }
}

/// The 78-byte dump: a chain that goes (`-g`) to itself. The kernel's walk would never end; iptables-restore
/// refuses it (ELOOP). The walk stops at the goto that re-enters `L`, line 5, and says so.
const GOTO_LOOP: &str =
    "*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -g L\nCOMMIT\n";

#[test]
fn a_chain_that_goes_to_itself_is_a_loop_not_a_million_steps() {
    assert_eq!(GOTO_LOOP.len(), 78);
    let out = walk_dump(GOTO_LOOP);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].probability, 1.0);
    assert_eq!(
        stopped(&out[0]),
        (StopReason::Loop, vec!["L".into(), "L".into()], 5)
    );
    // The packet's path: KUBE-SERVICES jumps to L (line 4), L goes to L (line 5).
    let lines: Vec<u32> = out[0].steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [4, 5]);
    assert_eq!(
        out[0].verdict.describe(),
        "stopped: chains loop L -> L (line 5)"
    );
    let json = serde_json::to_string(&out).unwrap();
    assert!(json.len() < 4096, "{} bytes", json.len());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["verdict"]["kind"], "stopped");
    assert_eq!(v[0]["verdict"]["reason"], "loop");
    assert_eq!(v[0]["verdict"]["table"], "nat");
    assert_eq!(v[0]["verdict"]["chains"], serde_json::json!(["L", "L"]));
    assert_eq!(v[0]["verdict"]["line"], 5);
    let message = v[0]["verdict"]["message"].as_str().unwrap();
    assert!(message.contains("nat L line 5 goes to L"), "{message}");
}

#[test]
fn a_chain_that_jumps_to_itself_is_a_loop_not_an_accept() {
    let out = walk_dump(&GOTO_LOOP.replace("-g L", "-j L"));
    assert_eq!(out.len(), 1);
    assert_eq!(
        stopped(&out[0]),
        (StopReason::Loop, vec!["L".into(), "L".into()], 5)
    );
    assert!(out[0].verdict.describe().contains("loop L -> L"));
}

#[test]
fn a_loop_through_a_jump_and_a_goto_names_its_chains_in_order() {
    let dump =
        "*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n:M - [0:0]\n-A KUBE-SERVICES -j L\n-A L -j M\n\
                -A M -g L\nCOMMIT\n";
    let out = walk_dump(dump);
    assert_eq!(out.len(), 1);
    assert_eq!(
        stopped(&out[0]),
        (
            StopReason::Loop,
            vec!["L".into(), "M".into(), "L".into()],
            7
        )
    );
}

#[test]
fn a_chain_left_by_a_goto_is_still_on_the_path() {
    // A goes to B, B jumps back to A: the kernel sees A -> B -> A (mark_source_chains follows gotos too).
    let dump =
        "*nat\n:KUBE-SERVICES - [0:0]\n:A - [0:0]\n:B - [0:0]\n-A KUBE-SERVICES -j A\n-A A -g B\n\
                -A B -j A\nCOMMIT\n";
    let out = walk_dump(dump);
    assert_eq!(
        stopped(&out[0]),
        (
            StopReason::Loop,
            vec!["A".into(), "B".into(), "A".into()],
            7
        )
    );
}

#[test]
fn a_chain_entered_again_after_it_returned_is_not_a_loop() {
    // A jumps to B twice; B returns each time. The kernel walks B twice and goes on: no loop.
    let dump = "*nat\n:KUBE-SERVICES - [0:0]\n:A - [0:0]\n:B - [0:0]\n-A KUBE-SERVICES -j A\n-A A -j B\n\
                -A A -j B\n-A B -j RETURN\n-A KUBE-SERVICES -j DNAT --to-destination 10.244.1.5:53\nCOMMIT\n";
    let out = walk_dump(dump);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].verdict, Verdict::Accept);
    assert!(out[0].dnat);
    assert_eq!(out[0].destination, ip("10.244.1.5"));
    let lines: Vec<u32> = out[0].steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [5, 6, 8, 7, 8, 9]);
}

#[test]
fn return_from_a_chain_gone_to_returns_to_the_caller_of_the_chain_that_went() {
    // KUBE-SERVICES jumps to A; A goes to B, so B's RETURN ends A too: the next rule is KUBE-SERVICES's DNAT,
    // and A's second rule (a DROP) is never reached.
    let dump = "*nat\n:KUBE-SERVICES - [0:0]\n:A - [0:0]\n:B - [0:0]\n-A KUBE-SERVICES -j A\n-A A -g B\n\
                -A A -j DROP\n-A B -j RETURN\n-A KUBE-SERVICES -j DNAT --to-destination 10.244.1.5:53\nCOMMIT\n";
    let out = walk_dump(dump);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].verdict, Verdict::Accept);
    assert_eq!(out[0].destination, ip("10.244.1.5"));
    let lines: Vec<u32> = out[0].steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [5, 6, 8, 9]);
}

/// `*nat` with `KUBE-SERVICES -j C0` and `C{i} -j C{i+1}` (or `-g`) for `n` chains.
fn deep(n: usize, how: &str) -> String {
    let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
    for i in 0..n {
        dump.push_str(&format!(":C{i} - [0:0]\n"));
    }
    dump.push_str("-A KUBE-SERVICES -j C0\n");
    for i in 0..n - 1 {
        dump.push_str(&format!("-A C{i} {how} C{}\n", i + 1));
    }
    dump.push_str("COMMIT\n");
    dump
}

#[test]
fn a_100000_deep_chain_stops_at_the_depth_cap_and_says_so() {
    for how in ["-j", "-g"] {
        let out = walk_dump(&deep(100_000, how));
        assert_eq!(out.len(), 1, "{how}");
        // KUBE-SERVICES and C0…C254 fill the path's 256 places; C254's jump to C255 is one too many.
        let (reason, chains, line) = stopped(&out[0]);
        assert_eq!(reason, StopReason::Depth, "{how}");
        assert_eq!(chains, ["C254", "C255"], "{how}");
        // Line 1 is *nat, 2..=100_002 declare chains, 100_003 is KUBE-SERVICES's rule, C{i}'s is 100_004 + i.
        assert_eq!(line, 100_004 + 254, "{how}");
        assert_eq!(out[0].probability, 1.0);
        // 255 jumps were taken and the 256th refused, each a step: the first 64 and the last 32 are kept.
        assert_eq!(out[0].steps.len(), STEPS_HEAD + STEPS_TAIL);
        assert_eq!(out[0].elided_steps, MAX_DEPTH - STEPS_HEAD - STEPS_TAIL);
        assert_eq!(out[0].steps.last().unwrap().line, line);
        assert!(out[0].verdict.describe().contains("C254 -> C255"));
    }
}

#[test]
fn a_2_to_the_60_path_diamond_stops_at_the_rule_budget() {
    // D{i} jumps to D{i+1} twice: 2^60 paths through 61 chains, no fork. The walk evaluates its budget of
    // rules (1,000,000 for so small an input) and stops; the one branch (all of the share) is the budget outcome.
    let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
    for i in 0..=60 {
        dump.push_str(&format!(":D{i} - [0:0]\n"));
    }
    dump.push_str("-A KUBE-SERVICES -j D0\n");
    for i in 0..60 {
        dump.push_str(&format!("-A D{i} -j D{}\n-A D{i} -j D{}\n", i + 1, i + 1));
    }
    dump.push_str("-A D60 -j MARK --set-xmark 0x1/0x1\nCOMMIT\n");
    let out = walk_dump(&dump);
    assert_eq!(out.len(), 1);
    let (reason, chains, line) = stopped(&out[0]);
    assert_eq!(reason, StopReason::Budget);
    assert_eq!(chains.len(), 1);
    assert!(line > 0);
    assert_eq!(out[0].probability, 1.0);
    assert!(out[0].elided_steps > 0);
    assert!(out[0]
        .verdict
        .describe()
        .starts_with("stopped: rule budget spent at D"));
    match &out[0].verdict {
        Verdict::Stopped { message, .. } => {
            assert!(message.contains("evaluated 1000000 rules"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn six_hundred_forks_keep_every_share_in_the_outcomes() {
    // kube-proxy's cascade for 600 endpoints: rule i matches with probability 1/(600 - i), the last always.
    let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\n");
    dump.push_str("-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-X\n");
    for i in 0..600u32 {
        let to = format!("10.244.{}.{}:53", i / 200, i % 200 + 1);
        if i < 599 {
            let p = 1.0 / f64::from(600 - i);
            dump.push_str(&format!(
                "-A KUBE-SVC-X -m statistic --mode random --probability {p:.11} -j DNAT --to-destination {to}\n"
            ));
        } else {
            dump.push_str(&format!("-A KUBE-SVC-X -j DNAT --to-destination {to}\n"));
        }
    }
    dump.push_str("COMMIT\n");
    let out = walk_dump(&dump);
    // 512 branches are followed, each 1/600 of new connections; the rest, 88/600, is one stopped outcome at the
    // 512th fork (rule 512 of KUBE-SVC-X, line 5 + 511).
    assert_eq!(out.len(), MAX_BRANCHES + 1);
    let cut: Vec<&Outcome> = out.iter().filter(|o| o.verdict.is_stopped()).collect();
    assert_eq!(cut.len(), 1);
    let (reason, chains, line) = stopped(cut[0]);
    assert_eq!(reason, StopReason::Branches);
    assert_eq!(chains, ["KUBE-SVC-X"]);
    assert_eq!(line, 5 + 511);
    assert!((cut[0].probability - 88.0 / 600.0).abs() < 1e-6);
    for o in out.iter().filter(|o| o.verdict == Verdict::Accept) {
        assert!(o.dnat);
        assert!(
            (o.probability - 1.0 / 600.0).abs() < 1e-6,
            "{}",
            o.probability
        );
    }
}

#[test]
fn a_probability_that_is_not_a_number_never_gives_nan() {
    let dump = "*nat\n:KUBE-SERVICES - [0:0]\n\
                -A KUBE-SERVICES -m statistic --mode random --probability nan -j DNAT --to-destination 10.244.0.2:53\n\
                -A KUBE-SERVICES -j DNAT --to-destination 10.244.0.3:53\nCOMMIT\n";
    let out = walk_dump(dump);
    let json = serde_json::to_string(&out).unwrap();
    assert!(!json.contains("null") && !json.contains("NaN"), "{json}");
}

#[test]
fn iptables_listings_go_through_the_same_bounded_walk() {
    let listing = "$ sudo iptables -t nat -L -n\n\
        Chain PREROUTING (policy ACCEPT)\n\
        target     prot opt source               destination\n\
        KUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0\n\n\
        Chain KUBE-SERVICES (1 references)\n\
        target     prot opt source               destination\n\
        L          all  --  0.0.0.0/0            0.0.0.0/0\n\n\
        Chain L (2 references)\n\
        target     prot opt source               destination\n\
        L          all  --  0.0.0.0/0            0.0.0.0/0            [goto] \n";
    let parsed = iptables_list::parse(listing.as_bytes());
    let ruleset = parsed.value;
    let started = Instant::now();
    let out = walk(&ruleset, &pod_packet(), &NodeContext::default());
    assert!(started.elapsed() < Duration::from_secs(1));
    check_bounds(&out, "listing");
    assert_eq!(out.len(), 1);
    assert_eq!(
        stopped(&out[0]),
        (StopReason::Loop, vec!["L".into(), "L".into()], 12)
    );
    assert!(out[0].steps.len() <= 4, "{:?}", out[0].steps);
}

/// Every file under `fixtures/`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_iptables_fixture_walks_within_bounds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut walked = 0;
    let mut slowest = Duration::ZERO;
    for path in all {
        let bytes = std::fs::read(&path).unwrap();
        let ruleset = match dnatlas_core::detect(&bytes) {
            Kind::IptablesSave => iptables::parse(&bytes).value,
            Kind::IptablesList => iptables_list::parse(&bytes).value,
            _ => continue,
        };
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        // A few packets: a pod to cluster DNS and to every Service port the dump routes (up to 8), and the node
        // itself to a NodePort.
        let analysis = dnatlas_core::analyze(
            &[dnatlas_core::Source::new("input", &bytes)],
            &dnatlas_core::Options::default(),
        );
        let mut packets = vec![
            pod_packet(),
            Packet::new(ip("10.0.2.15"), ip("10.0.2.15"), "tcp", 30080, Hook::Output),
        ];
        for s in analysis.services.iter().take(8) {
            if let (Some(vip), Some(port)) =
                (s.cluster_ip.as_deref().and_then(|v| v.parse().ok()), s.port)
            {
                let protocol = if s.protocol.is_empty() {
                    "tcp"
                } else {
                    s.protocol.as_str()
                };
                packets.push(Packet::new(
                    ip("10.244.0.20"),
                    vip,
                    protocol,
                    port,
                    Hook::Prerouting,
                ));
            }
        }
        let node = NodeContext {
            local_addresses: vec![ip("10.0.2.15")],
        };
        for packet in &packets {
            let started = Instant::now();
            let out = walk(&ruleset, packet, &node);
            slowest = slowest.max(started.elapsed());
            check_bounds(&out, &name);
            // Only the loop fixture has chains that loop; no real dump stops.
            if !name.starts_with("lint/chain-loop/bad") {
                assert!(
                    out.iter().all(|o| !o.verdict.is_stopped()),
                    "{name}: {:?}",
                    out.iter().map(|o| o.verdict.describe()).collect::<Vec<_>>()
                );
            }
            walked += 1;
        }
    }
    assert!(walked > 50, "only {walked} walks");
    assert!(slowest < Duration::from_secs(2), "slowest walk {slowest:?}");
}

/// A node whose DNS Service chain loops (`-j` to itself) and whose `web` Service chain goes to itself.
const LOOPING_NODE: &str = "*nat\n\
:PREROUTING ACCEPT [0:0]\n\
:KUBE-SERVICES - [0:0]\n\
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]\n\
:KUBE-SVC-WEB - [0:0]\n\
-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\n\
-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB\n\
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns\" -j KUBE-SVC-TCOU7JCQXEZGVUNU\n\
-A KUBE-SVC-WEB -m comment --comment \"default/web:http\" -g KUBE-SVC-WEB\n\
COMMIT\n";

fn trace_looping(to: &str) -> dnatlas_core::trace::Trace {
    use dnatlas_core::trace::{trace, Request};
    let resolv = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
    let sources = [
        dnatlas_core::Source::new("node.txt", LOOPING_NODE.as_bytes()),
        dnatlas_core::Source::new("resolv.conf", resolv),
    ];
    let request = Request {
        from: "10.244.0.20".to_string(),
        to: to.to_string(),
        resolver: dnatlas_core::dns::plan::Resolver::Glibc,
    };
    let started = Instant::now();
    let t = trace(&sources, &request, &dnatlas_core::Options::default());
    assert!(started.elapsed() < Duration::from_secs(2));
    t
}

#[test]
fn a_connection_whose_walk_loops_is_stopped_not_connected() {
    use dnatlas_core::trace::{HopKind, Status};
    let t = trace_looping("10.96.5.5:80");
    assert_eq!(t.status, Status::Stopped, "{:#?}", t.hops);
    assert!(t.status.is_failure());
    let stop: Vec<_> = t
        .hops
        .iter()
        .filter(|h| h.kind == HopKind::Stopped)
        .collect();
    assert_eq!(stop.len(), 1, "{:#?}", t.hops);
    assert_eq!(
        stop[0].label,
        "stopped: chains loop KUBE-SVC-WEB -> KUBE-SVC-WEB (line 10)"
    );
    assert_eq!(stop[0].evidence.len(), 1);
    assert_eq!(stop[0].evidence[0].line_number().unwrap_or(0), 10);
    assert!(t.hops.iter().all(|h| h.kind != HopKind::Endpoint));
    assert!(
        t.notes.iter().any(|n| n.contains("the chains loop")),
        "{:?}",
        t.notes
    );
    let c = t.connection.as_ref().unwrap();
    assert!(c.branches.is_empty());
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"status\":\"stopped\""));
    assert!(
        !json.contains("NaN") && json.len() < 20_000,
        "{} bytes",
        json.len()
    );
}

#[test]
fn queries_whose_walk_loops_are_stopped_with_the_loop_named() {
    use dnatlas_core::trace::{HopKind, Status};
    let t = trace_looping("web");
    assert_eq!(t.status, Status::Stopped);
    let stop: Vec<_> = t
        .hops
        .iter()
        .filter(|h| h.kind == HopKind::Stopped)
        .collect();
    assert!(!stop.is_empty());
    assert_eq!(
        stop[0].label,
        "stopped: chains loop KUBE-SVC-TCOU7JCQXEZGVUNU -> KUBE-SVC-TCOU7JCQXEZGVUNU (line 9)"
    );
    assert!(stop[0].lookup.is_some());
    assert!(t
        .lookups
        .iter()
        .all(|l| l.rcode.is_none() && l.answers.is_empty()));
    assert!(t
        .lookups
        .iter()
        .all(|l| l.failure.as_deref().is_some_and(|f| f.contains("stopped"))));
    assert!(t.connection.is_none());
}

#[test]
fn a_trace_through_a_probability_that_is_not_a_number_has_no_nan() {
    use dnatlas_core::trace::{trace, Request, Status};
    let node = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-WEB - [0:0]\n\
                :KUBE-SEP-A - [0:0]\n:KUBE-SEP-B - [0:0]\n\
                -A PREROUTING -j KUBE-SERVICES\n\
                -A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB\n\
                -A KUBE-SVC-WEB -m comment --comment \"default/web:http -> 10.244.0.2:80\" -m statistic --mode random --probability nan -j KUBE-SEP-A\n\
                -A KUBE-SVC-WEB -m comment --comment \"default/web:http -> 10.244.0.3:80\" -j KUBE-SEP-B\n\
                -A KUBE-SEP-A -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.0.2:80\n\
                -A KUBE-SEP-B -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.0.3:80\n\
                COMMIT\n";
    let sources = [dnatlas_core::Source::new("node.txt", node.as_bytes())];
    let request = Request {
        from: "10.244.0.20".to_string(),
        to: "10.96.5.5:80".to_string(),
        resolver: dnatlas_core::dns::plan::Resolver::Glibc,
    };
    let t = trace(&sources, &request, &dnatlas_core::Options::default());
    assert_eq!(t.status, Status::Connected);
    let c = t.connection.as_ref().unwrap();
    for b in &c.branches {
        assert!(b.probability.is_finite(), "{c:?}");
    }
    let total: f64 = c.branches.iter().map(|b| b.probability).sum();
    assert!((total - 1.0).abs() < 1e-9, "{c:?}");
    for h in &t.hops {
        assert!(!h.label.contains("NaN"), "{}", h.label);
        assert!(h.probability.is_none_or(f64::is_finite));
    }
}
