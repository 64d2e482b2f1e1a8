//! The Corefile reader on kubeadm's Corefile, snippets, quotes, broken and odd input.

use super::*;
use crate::text;

/// kubeadm's Corefile (docs/domain/coredns.md §4), line for line: `.:53 {` is line 1 and the closing `}` line 23.
const KUBEADM: &str = "\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
";

fn codes(p: &Parsed<Corefile>) -> Vec<(&str, u32, u32)> {
    p.diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect()
}

#[test]
fn view_keeps_only_the_corefile_of_a_describe_and_the_line_numbers() {
    // Keys are printed sorted; the Corefile's value ends at the next `key:` over `----`.
    let describe = "Name:         node-local-dns\nNamespace:    kube-system\n\nData\n====\nCorefile:\n----\ncluster.local:53 {\n    errors\n}\n\nother:\n----\nx { y }\n\nBinaryData\n====\n\nEvents:  <none>\n";
    let view = view(describe.as_bytes());
    let kept: Vec<(u32, String)> = text::lines(&view)
        .filter(|l| !l.bytes.is_empty())
        .map(|l| (l.number, String::from_utf8_lossy(l.bytes).into_owned()))
        .collect();
    assert_eq!(
        kept,
        [
            (8, "cluster.local:53 {".to_string()),
            (9, "    errors".to_string()),
            (10, "}".to_string())
        ]
    );
    assert!(looks_like(&view));
    // A Corefile as written is read as it is.
    assert!(matches!(
        super::view(KUBEADM.as_bytes()),
        std::borrow::Cow::Borrowed(_)
    ));
    // Prompt lines before it are blanked; a `#` comment line is the Corefile's own.
    let pasted = format!("/ # cat /etc/coredns/Corefile\n# kubeadm\n{KUBEADM}");
    let view = super::view(pasted.as_bytes());
    assert!(view.starts_with(b"\n# kubeadm\n.:53 {"));
    assert_eq!(parse(&view).value.blocks[0].line, 3);
}

#[test]
fn kubeadm_default_blocks_plugins_and_lines() {
    let p = parse(KUBEADM.as_bytes());
    assert_eq!(codes(&p), vec![]);
    let c = &p.value;
    assert!(c.outside.is_empty());
    let [block] = c.blocks.as_slice() else {
        panic!("one block: {c:?}")
    };
    assert_eq!(block.end_line, Some(23));
    let [key] = block.keys.as_slice() else {
        panic!("one key")
    };
    assert_eq!(
        (
            key.scheme.as_str(),
            key.zone.as_str(),
            key.port,
            key.line,
            key.column
        ),
        ("dns", ".", Some(53), 1, 1)
    );
    let names: Vec<(&str, u32, u32)> = block
        .directives
        .iter()
        .map(|d| (d.name.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        names,
        vec![
            ("errors", 2, 5),
            ("health", 3, 5),
            ("ready", 6, 5),
            ("kubernetes", 7, 5),
            ("prometheus", 12, 5),
            ("forward", 13, 5),
            ("cache", 16, 5),
            ("loop", 20, 5),
            ("reload", 21, 5),
            ("loadbalance", 22, 5),
        ]
    );
    let plugin = |name: &str| {
        block
            .directives
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.plugin.clone())
    };
    assert_eq!(
        plugin("health"),
        Some(Plugin::Health(Health {
            address: None,
            lameduck: Some("5s".into()),
            lameduck_line: Some(4),
        }))
    );
    assert_eq!(
        plugin("kubernetes"),
        Some(Plugin::Kubernetes(Kubernetes {
            zones: vec![
                "cluster.local".into(),
                "in-addr.arpa".into(),
                "ip6.arpa".into()
            ],
            pods: PodsMode::Insecure,
            pods_line: Some(8),
            fallthrough: Some(Fallthrough {
                zones: vec!["in-addr.arpa".into(), "ip6.arpa".into()],
                line: 9,
            }),
            ttl: 30,
            ttl_line: Some(10),
            endpoint_pod_names: false,
            ignore_empty_service: false,
        }))
    );
    assert_eq!(
        plugin("forward"),
        Some(Plugin::Forward(Forward {
            from: ".".into(),
            to: vec![Upstream {
                text: "/etc/resolv.conf".into(),
                line: 13,
                column: 15,
            }],
            except: vec![],
            policy: "random".into(),
            max_concurrent: Some(1000),
        }))
    );
    let Some(Plugin::Cache(cache)) = plugin("cache") else {
        panic!("cache")
    };
    assert_eq!(cache.ttl, Some(30));
    assert_eq!(
        cache.disable,
        vec![
            CacheDisable {
                kind: "success".into(),
                zones: vec!["cluster.local".into()],
                line: 17
            },
            CacheDisable {
                kind: "denial".into(),
                zones: vec!["cluster.local".into()],
                line: 18
            },
        ]
    );
    assert_eq!(plugin("loop"), Some(Plugin::Loop));
    assert_eq!(
        plugin("ready"),
        Some(Plugin::Ready(Ready { address: None }))
    );
    assert_eq!(
        plugin("reload"),
        Some(Plugin::Reload(Reload {
            interval: None,
            jitter: None
        }))
    );
    // prometheus and loadbalance are kept generically.
    assert_eq!(plugin("prometheus"), None);
    let prometheus = block.directives.iter().find(|d| d.name == "prometheus");
    assert_eq!(
        prometheus.map(|d| d.args.clone()),
        Some(vec![":9153".into()])
    );
    assert!(looks_like(KUBEADM.as_bytes()));
}

#[test]
fn snippets_imports_and_placeholders_are_kept() {
    let text = "\
(common) {
    loop
    errors # trailing comment
}
dns://example.org:1053, tls://other.org {
    import common
    forward . {$UPSTREAM} \"/etc/resolv.conf\"
    rewrite stop name exact a.example.org b.example.org
    hosts /etc/coredns/hosts example.org {
        10.0.0.1 a.example.org
        fallthrough
    }
}
";
    let p = parse(text.as_bytes());
    assert_eq!(codes(&p), vec![]);
    let [snippet, block] = p.value.blocks.as_slice() else {
        panic!("two blocks")
    };
    assert_eq!(snippet.snippet.as_deref(), Some("common"));
    assert_eq!(
        block
            .keys
            .iter()
            .map(|k| (k.scheme.as_str(), k.zone.as_str(), k.port))
            .collect::<Vec<_>>(),
        vec![
            ("dns", "example.org", Some(1053)),
            ("tls", "other.org", None)
        ]
    );
    let forward = block.directives.get(1).unwrap();
    assert_eq!(forward.args, vec![".", "{$UPSTREAM}", "/etc/resolv.conf"]);
    let Some(Plugin::Rewrite(rw)) = &block.directives.get(2).unwrap().plugin else {
        panic!("rewrite")
    };
    assert_eq!(
        (rw.flow.as_deref(), rw.field.as_deref()),
        (Some("stop"), Some("name"))
    );
    let Some(Plugin::Hosts(h)) = &block.directives.get(3).unwrap().plugin else {
        panic!("hosts")
    };
    assert_eq!(h.inline, vec!["10.0.0.1 a.example.org"]);
    assert_eq!(h.fallthrough.as_ref().map(|f| f.line), Some(11));
    // The snippet's directives are the block's too.
    let names: Vec<&str> = p
        .value
        .effective(block)
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["import", "forward", "rewrite", "hosts", "loop", "errors"]
    );
}

#[test]
fn quoted_strings_span_lines_and_continue_the_directive() {
    let text = ".:53 {\n    log \"a\n b\" c\n    errors\n}\n";
    let p = parse(text.as_bytes());
    assert_eq!(codes(&p), vec![]);
    let block = p.value.blocks.first().unwrap();
    let log = block.directives.first().unwrap();
    assert_eq!(log.args, vec!["a\n b", "c"]);
    assert_eq!(block.directives.get(1).map(|d| d.line), Some(4));
}

#[test]
fn broken_input_gives_diagnostics_and_keeps_the_rest() {
    // Unclosed brace: the directives read so far are kept.
    let p = parse(b".:53 {\n    errors\n    forward . 1.1.1.1\n");
    assert_eq!(codes(&p), vec![("unclosed-brace", 1, 6)]);
    let block = p.value.blocks.first().unwrap();
    assert_eq!(block.directives.len(), 2);
    assert_eq!(block.end_line, None);

    // A stray `}` and a directive outside a block; the next block is still read.
    let p = parse(b"}\nforward . /etc/resolv.conf\nexample.org {\n    whoami\n}\n");
    assert_eq!(
        codes(&p),
        vec![
            ("unmatched-close-brace", 1, 1),
            ("directive-outside-block", 2, 1)
        ]
    );
    assert_eq!(p.value.outside.first().map(|d| d.line), Some(2));
    assert_eq!(p.value.blocks.len(), 1);
    assert_eq!(p.value.blocks.first().unwrap().directives.len(), 1);

    // Bad numbers, ports, modes and durations, each with its column.
    let text = ".:99999 {\n  kubernetes {\n    ttl 9999\n    pods maybe\n  }\n  cache x1 {\n    success ten\n  }\n  forward . 8.8.8.8 {\n    max_concurrent -1\n    policy fastest\n  }\n  health {\n    lameduck 5 seconds\n  }\n  reload 1z\n}\n";
    let p = parse(text.as_bytes());
    assert_eq!(
        codes(&p),
        vec![
            ("bad-port", 1, 1),
            ("bad-number", 3, 9),
            ("bad-value", 4, 10),
            ("bad-number", 7, 13),
            ("bad-number", 10, 20),
            ("bad-value", 11, 12),
            ("bad-duration", 14, 14),
            ("bad-duration", 16, 10),
        ]
    );
    assert_eq!(p.value.blocks.first().unwrap().directives.len(), 5);
}

#[test]
fn looks_like_corefiles_only() {
    assert!(looks_like(b"cluster.local:53 {\n  kubernetes\n}\n"));
    assert!(!looks_like(
        b"nameserver 10.96.0.10\nsearch default.svc.cluster.local\n"
    ));
    assert!(!looks_like(b"*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"));
    assert!(!looks_like(br#"{"apiVersion": "v1", "kind": "ConfigMap"}"#));
    assert!(!looks_like(b".:53 {\x00"));
}

#[test]
fn long_nested_blocks_are_read_in_linear_time() {
    let mut text = String::from(".:53 {\n  kubernetes {\n");
    text.push_str(&"    ttl 7\n".repeat(50_000));
    text.push_str("  }\n  hosts {\n");
    text.push_str(&"    10.0.0.1 a.example\n".repeat(50_000));
    text.push_str("  }\n}\n");
    let p = parse(text.as_bytes());
    assert_eq!(codes(&p), vec![]);
    let block = p.value.blocks.first().unwrap();
    let Some(Plugin::Kubernetes(k)) = &block.directives.first().unwrap().plugin else {
        panic!("kubernetes")
    };
    assert_eq!((k.ttl, k.ttl_line), (7, Some(50_002)));
    let Some(Plugin::Hosts(h)) = &block.directives.get(1).unwrap().plugin else {
        panic!("hosts")
    };
    assert_eq!(h.inline.len(), 50_000);
}

#[test]
fn never_panics_on_odd_input() {
    let mut inputs: Vec<Vec<u8>> = [
            &b""[..],
            b"{",
            b"}",
            b"{{{{}}}}",
            b"\"",
            b"\"\\",
            b"a,",
            b",",
            b"(x)",
            b"()",
            b":",
            b"dns://",
            b"a {\n kubernetes {\n ttl\n pods\n fallthrough\n }\n autopath\n forward\n cache 99999999999999\n}",
            b"\xff\xfe{",
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
    for end in 0..=KUBEADM.len() {
        inputs.push(KUBEADM.as_bytes().get(..end).unwrap_or_default().to_vec());
    }
    inputs.push("{".repeat(10_000).into_bytes());
    inputs.push("a {\n".repeat(10_000).into_bytes());
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        let mut bytes = Vec::new();
        for _ in 0..64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pick = b"{}\"\\#, \n\tab:./$";
            bytes.push(*pick.get((state % 17) as usize).unwrap_or(&0xff));
        }
        inputs.push(bytes);
    }
    for input in &inputs {
        let _ = parse(input);
        let _ = looks_like(input);
    }
}
