//! Every case under `fixtures/corefile/` is parsed and compared with its hand-written `expected.json`: the server
//! blocks (keys as written, the closing line, each directive's name and line), the risks (code and lines) and the
//! diagnostics (code, line, column), all in order; then analysed as an input of its own: detected kind, counts,
//! findings with severity and evidence lines. The expectations were reasoned from docs/domain/coredns.md §4 and the case's
//! `about`, not copied from dnatlas's output. Every case, cut and damaged, then goes through the parser, the lint
//! rules' `corefile_risks` and `looks_like` without a panic. A Corefile inside a ConfigMap (kubectl YAML and JSON) is read with the lines
//! of its input, and detection keeps every other kind of input to itself.

mod common;
use common::compare;

use std::panic::{catch_unwind, AssertUnwindSafe};

use dnatlas_core::source::corefile;
use dnatlas_core::{analyze, Kind, Options, Source};
use serde_json::{json, Value};

#[test]
fn fixtures_match_their_expectations() {
    let cases = common::cases("corefile");
    assert!(cases.len() >= 4, "the corefile fixtures are missing");
    let mut failures = Vec::new();
    for dir in cases {
        let bytes = std::fs::read(dir.join("Corefile")).unwrap();
        let expected: Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        // A `kubectl describe configmap` paste is read through its Corefile lines.
        let parsed = corefile::parse(&corefile::view(&bytes));
        let blocks: Vec<Value> = parsed
            .value
            .blocks
            .iter()
            .map(|b| {
                json!({
                    "keys": b.keys.iter().map(|k| k.text.clone()).collect::<Vec<_>>(),
                    "end_line": b.end_line,
                    "directives": b.directives.iter().map(|d| json!([d.name, d.line])).collect::<Vec<_>>(),
                })
            })
            .collect();
        let risks: Vec<Value> = dnatlas_core::lint::corefile_risks(&parsed.value, &[])
            .iter()
            .map(|r| json!({"code": r.code, "lines": r.lines}))
            .collect();
        let diagnostics: Vec<Value> = parsed
            .diagnostics
            .iter()
            .map(|d| json!({"code": d.code, "line": d.line, "column": d.column}))
            .collect();
        for (key, got) in [
            ("blocks", Value::from(blocks)),
            ("risks", Value::from(risks)),
            ("diagnostics", Value::from(diagnostics)),
        ] {
            if expected.get(key) != Some(&got) {
                failures.push(format!(
                    "{}: {key}: expected {}, got {got}",
                    dir.display(),
                    expected.get(key).unwrap_or(&Value::Null)
                ));
            }
        }
        // Every case, broken ones included, is a Corefile to detection.
        assert!(
            corefile::looks_like(&corefile::view(&bytes)),
            "{}: looks_like",
            dir.display()
        );
        let want = expected.get("analysis").expect("an `analysis` expectation");
        compare(
            &dir.display().to_string(),
            want,
            &analysed(&[("Corefile", &bytes)]),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The analysis of `inputs` in the shape of an expectation: the first input's kind and counts, every finding with
/// its severity and evidence (lines alone for one input, `name:line` for several).
fn analysed(inputs: &[(&str, &[u8])]) -> Value {
    let sources: Vec<Source> = inputs.iter().map(|(n, b)| Source::new(n, b)).collect();
    let analysis = analyze(&sources, &Options::default());
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| {
            let evidence: Vec<Value> = f
                .evidence
                .iter()
                .map(|e| {
                    if inputs.len() == 1 {
                        json!(e.line_number().unwrap_or(0))
                    } else {
                        json!(format!("{}:{}", e.source, e.line_number().unwrap_or(0)))
                    }
                })
                .collect();
            json!({"code": f.code, "severity": f.severity, "evidence": evidence, "message": f.message})
        })
        .collect();
    let first = &analysis.sources[0];
    json!({
        "kind": first.kind,
        "counts": first.counts,
        "diagnostics": first.diagnostics,
        "findings": findings,
        "corefiles": analysis.corefiles,
    })
}

/// kubeadm's Corefile as the `Corefile` key of the `kube-system/coredns` ConfigMap.
fn config_map_yaml(corefile: &str) -> String {
    let mut out = String::from("apiVersion: v1\ndata:\n  Corefile: |\n");
    for line in corefile.lines() {
        if !line.is_empty() {
            out.push_str("    ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str("kind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n");
    out
}

fn fixture(case: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/corefile")
            .join(case)
            .join("Corefile"),
    )
    .unwrap()
}

#[test]
fn a_configmap_in_yaml_is_read_with_its_input_lines() {
    // The Corefile block starts on line 4, four spaces in: Corefile line n is input line n + 3, column + 4.
    let yaml = config_map_yaml(&fixture("no-loop-resolv-conf"));
    let got = analysed(&[("coredns.yaml", yaml.as_bytes())]);
    let want = json!({
        "kind": "kubectl",
        "counts": {"server_blocks": 1, "zones": 1, "plugins": 9},
        "diagnostics": [],
        "findings": [{"code": "corefile-forward-loop", "severity": "warning", "evidence": [16]}],
        "corefiles": [{"source": "coredns.yaml", "config_map": "kube-system/coredns",
                       "blocks": [{"line": 4, "column": 5, "end_line": 22}]}]
    });
    let mut errors = Vec::new();
    compare("yaml", &want, &got, &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(got["corefiles"][0].get("string_line").is_none());
    // A broken Corefile's diagnostics point into the block, at the input's line and column.
    let broken = config_map_yaml(&fixture("broken-braces"));
    let got = analysed(&[("coredns.yaml", broken.as_bytes())]);
    let positions: Vec<(String, u64, u64)> = got["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    // broken-braces: 5:1, 7:16 and 6:18 in the Corefile, so lines + 3 and columns + 4 here.
    assert_eq!(
        positions,
        [
            ("unmatched-close-brace".to_string(), 8, 5),
            ("unclosed-brace".to_string(), 9, 22),
            ("unclosed-brace".to_string(), 10, 20),
        ]
    );
}

#[test]
fn a_configmap_in_json_points_at_its_string() {
    let corefile = fixture("systemd-stub-forward");
    let json_text = serde_json::to_string_pretty(&json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": corefile},
    }))
    .unwrap();
    // serde_json writes keys sorted: apiVersion (2), data (3), "Corefile" (4).
    assert_eq!(
        json_text
            .lines()
            .nth(3)
            .map(str::trim_start)
            .map(|l| &l[..11]),
        Some("\"Corefile\":")
    );
    let got = analysed(&[("coredns.json", json_text.as_bytes())]);
    let want = json!({
        "kind": "kubectl",
        "counts": {"server_blocks": 2, "zones": 2, "plugins": 7},
        "diagnostics": [],
        "findings": [{"code": "corefile-forward-loop", "severity": "error", "evidence": [4]}],
        "corefiles": [{"config_map": "kube-system/coredns", "string_line": 4,
                       "blocks": [{"line": 2}, {"line": 12}]}]
    });
    let mut errors = Vec::new();
    compare("json", &want, &got, &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_forward_to_the_cluster_dns_vip_cites_where_it_is_the_vip() {
    // Beside kubectl's kube-dns Service and a ClusterFirst pod's resolv.conf, a forward to 10.96.0.10 is a loop:
    // CoreDNS's upstream is itself through kube-proxy.
    let corefile =
        fixture("kubeadm-default").replace("forward . /etc/resolv.conf", "forward . 10.96.0.10");
    let svc = "$ kubectl get svc -n kube-system\nNAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE\nkube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5d\n";
    let pod = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
    let got = analysed(&[
        ("Corefile", corefile.as_bytes()),
        ("svc.txt", svc.as_bytes()),
        ("resolv.conf", pod.as_bytes()),
    ]);
    let want = json!([{"code": "corefile-forward-loop", "severity": "error",
                        "evidence": ["Corefile:13", "resolv.conf:2", "svc.txt:3"]}]);
    let loops: Vec<Value> = got["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "corefile-forward-loop")
        .cloned()
        .collect();
    let mut errors = Vec::new();
    compare("vip", &want, &Value::from(loops), &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(got["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("the cluster DNS itself"));
    // Alone, the same Corefile says nothing: 10.96.0.10 is just an address.
    assert_eq!(
        analysed(&[("Corefile", corefile.as_bytes())])["findings"],
        json!([])
    );
}

#[test]
fn detection_keeps_other_kinds_and_finds_pasted_corefiles() {
    let kubeadm = fixture("kubeadm-default");
    let prompt = format!(
        "$ kubectl -n kube-system get configmap coredns -o jsonpath='{{.data.Corefile}}'\n{kubeadm}"
    );
    let root_prompt = format!("root@node-1:~# cat /etc/coredns/Corefile\n{kubeadm}");
    let yaml = config_map_yaml(&kubeadm);
    let cases: [(&str, &[u8], Kind); 7] = [
        ("Corefile", kubeadm.as_bytes(), Kind::Corefile),
        ("after a kubectl prompt", prompt.as_bytes(), Kind::Corefile),
        ("after a root prompt", root_prompt.as_bytes(), Kind::Corefile),
        ("ConfigMap YAML", yaml.as_bytes(), Kind::Kubectl),
        (
            "resolv.conf",
            b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
            Kind::ResolvConf,
        ),
        (
            "iptables",
            b"*nat\n:PREROUTING ACCEPT [0:0]\n-A KUBE-SERVICES -d 10.96.0.10/32 -j KUBE-SVC-X\nCOMMIT\n",
            Kind::IptablesSave,
        ),
        (
            "kubectl table",
            b"NAME       ENDPOINTS                   AGE\nkube-dns   10.244.0.2:53,10.244.0.2:53   22h\n",
            Kind::Kubectl,
        ),
    ];
    for (what, bytes, kind) in cases {
        assert_eq!(dnatlas_core::detect(bytes), kind, "{what}");
    }
    // tcpdump text is not a Corefile, whatever kind it is read as.
    for capture in common::cases("tcpdump") {
        let bytes = std::fs::read(capture.join("capture.txt")).unwrap();
        assert_ne!(dnatlas_core::detect(&bytes), Kind::Corefile, "{capture:?}");
    }
    // The prompt line is blanked, so lines stay the input's: the block starts on line 2.
    let got = analysed(&[("Corefile", prompt.as_bytes())]);
    assert_eq!(got["corefiles"][0]["blocks"][0]["line"], json!(2));
    assert_eq!(got["diagnostics"], json!([]));
}

#[test]
fn damaged_fixtures_do_not_panic() {
    let mut variants = 0;
    for dir in common::cases("corefile") {
        let bytes = std::fs::read(dir.join("Corefile")).unwrap();
        let name = dir.display().to_string();
        variants += common::for_each_variant(&bytes, 200, b"{}\"\\#,\n\0 ", |what, v| {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let parsed = corefile::parse(v);
                let _ = dnatlas_core::lint::corefile_risks(&parsed.value, &[]);
                let _ = corefile::looks_like(v);
            }));
            assert!(result.is_ok(), "{name}: panic on {what}");
        });
    }
    assert!(variants > 1_000, "only {variants} variants were tried");
}
