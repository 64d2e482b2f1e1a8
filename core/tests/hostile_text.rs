//! Text inputs built to cost: deep nesting, huge lines, NUL-only files, a million empty lines. Each is analysed in
//! bounded time, with a diagnostic that says what it is or what stopped it.

use std::time::{Duration, Instant};

use dnatlas_core::{analyze, Diagnostic, Kind, Options, Source};

/// Analyses one input; returns its kind, diagnostics and the time taken.
fn measured(name: &str, bytes: &[u8]) -> (Kind, Vec<Diagnostic>, Duration) {
    let start = Instant::now();
    let mut a = analyze(&[Source::new(name, bytes)], &Options::default());
    let took = start.elapsed();
    let report = a.sources.remove(0);
    (report.kind, report.diagnostics, took)
}

fn codes(ds: &[Diagnostic]) -> Vec<&str> {
    ds.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn deep_json_and_yaml_do_not_overflow_the_stack() {
    for (name, text) in [
        ("deep.json", "[".repeat(100_000)),
        (
            "deep-closed.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "deep-object.json",
            format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}",
                "[".repeat(100_000)
            ),
        ),
        (
            "deep.yaml",
            format!(
                "apiVersion: v1\nkind: List\nitems: {}\n",
                "[".repeat(100_000)
            ),
        ),
        (
            "deep-block.yaml",
            format!(
                "apiVersion: v1\nkind: List\nitems:\n{}x\n",
                "- ".repeat(100_000)
            ),
        ),
    ] {
        let (kind, ds, took) = measured(name, text.as_bytes());
        eprintln!("{name}: {kind:?} {took:?} {:?}", codes(&ds));
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
        assert!(!ds.is_empty(), "{name}: no diagnostic");
        if name == "deep-object.json" {
            // serde_json stops at its recursion limit (128) rather than overflowing the stack.
            assert_eq!(codes(&ds), ["json-syntax"]);
            assert!(
                ds[0].message.contains("recursion limit"),
                "{}",
                ds[0].message
            );
        }
    }
}

#[test]
fn nul_only_files_huge_lines_and_a_million_empty_lines_take_bounded_time() {
    let nul = vec![0u8; 10 << 20];
    let mut line = b"-A KUBE-SERVICES ".to_vec();
    line.resize(10 << 20, b'x');
    let empty = vec![b'\n'; 1_000_000];
    let crs = vec![b'\r'; 1_000_000];
    for (name, bytes, code) in [
        ("nul.bin", &nul, "unknown-kind"),
        ("one-line.txt", &line, "line-too-long"),
        ("empty-lines.txt", &empty, "unknown-kind"),
        ("cr-lines.txt", &crs, "unknown-kind"),
    ] {
        let (kind, ds, took) = measured(name, bytes);
        eprintln!("{name}: {kind:?} {took:?} {:?}", codes(&ds));
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
        assert!(codes(&ds).contains(&code), "{name}: {ds:?}");
    }
    let (_, ds, _) = measured("nul.bin", &nul);
    assert_eq!(
        ds[0].message,
        "nothing but NUL bytes (10,485,760 of them): a file that was never written, or a copy that failed"
    );
    let (_, ds, _) = measured("empty-lines.txt", &empty);
    assert_eq!(ds[0].message, "the input is empty");
}

#[test]
fn archives_and_other_captures_are_named() {
    let (kind, ds, _) = measured("dump.txt.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03");
    assert_eq!(kind, Kind::Unknown);
    assert_eq!(
        (ds[0].code.as_str(), ds[0].message.as_str()),
        (
            "unknown-kind",
            "a gzip-compressed file: decompress it (gunzip) and add what it holds"
        )
    );
    let (_, ds, _) = measured(
        "kuznetzov.pcap",
        b"\xa1\xb2\xcd\x34\x00\x02\x00\x04\x00\x00\x00\x00",
    );
    assert!(
        ds[0].message.contains("modified-pcap magic"),
        "{}",
        ds[0].message
    );
    assert!(ds[0].message.contains("does not read"), "{}", ds[0].message);
}

/// `text` as UTF-16, little- or big-endian, with or without a byte order mark.
fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if big_endian {
            [0xfe, 0xff]
        } else {
            [0xff, 0xfe]
        });
    }
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_and_cr_only_inputs_are_read_like_their_utf8_text() {
    let dump = "*nat\r\n:KUBE-SERVICES - [0:0]\r\n-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\r\n-A KUBE-SERVICES -p tcp --dport 99999 -j ACCEPT\r\nCOMMIT\r\n";
    let plain = analyze(
        &[Source::new("node.txt", dump.as_bytes())],
        &Options::default(),
    );
    let plain_diags: Vec<(String, u32, u32)> = plain.sources[0]
        .diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.line, d.column))
        .collect();
    for (big_endian, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let bytes = utf16(dump, big_endian, bom);
        let a = analyze(&[Source::new("node.txt", &bytes)], &Options::default());
        let report = &a.sources[0];
        assert_eq!(report.kind, Kind::IptablesSave, "{big_endian} {bom}");
        assert_eq!(report.counts.rules, plain.sources[0].counts.rules);
        assert_eq!(report.bytes, bytes.len());
        let note = &report.diagnostics[0];
        assert_eq!(
            (note.code.as_str(), note.line, note.column),
            ("decoded-utf16", 1, 1)
        );
        // Everything else is what the UTF-8 text gives, at the same lines and columns.
        let rest: Vec<(String, u32, u32)> = report.diagnostics[1..]
            .iter()
            .map(|d| (d.code.clone(), d.line, d.column))
            .collect();
        assert_eq!(rest, plain_diags);
    }
    let bytes = utf16(dump, false, true);
    let a = analyze(&[Source::new("node.txt", &bytes)], &Options::default());
    assert_eq!(
        a.sources[0].diagnostics[0].message,
        "UTF-16 little-endian text (its byte order mark FF FE is what Windows PowerShell's `>` writes) decoded to UTF-8"
    );

    // Carriage returns alone end the lines: same lines, same diagnostics, one note.
    let cr = dump.replace("\r\n", "\r");
    let a = analyze(
        &[Source::new("node.txt", cr.as_bytes())],
        &Options::default(),
    );
    let report = &a.sources[0];
    assert_eq!(report.kind, Kind::IptablesSave);
    assert_eq!(report.counts.lines, 5);
    assert_eq!(report.diagnostics[0].code, "cr-line-ends");
    let rest: Vec<(String, u32, u32)> = report.diagnostics[1..]
        .iter()
        .map(|d| (d.code.clone(), d.line, d.column))
        .collect();
    assert_eq!(rest, plain_diags);

    // A resolv.conf written by PowerShell.
    let conf = utf16("nameserver 10.96.0.10\r\nsearch default.svc.cluster.local svc.cluster.local cluster.local\r\noptions ndots:5\r\n", false, true);
    let a = analyze(&[Source::new("resolv.conf", &conf)], &Options::default());
    assert_eq!(a.sources[0].kind, Kind::ResolvConf);
    assert_eq!(a.resolv_confs.len(), 1);
}

#[test]
fn a_noisy_resolv_conf_is_read_and_its_noise_reported() {
    let conf = b"$ kubectl exec -n default web-0 -- cat /etc/resolv.conf\n# r\xe9solveur\nsearch default.svc.cluster.local svc.cluster.local cluster.local\nnameservr 10.96.0.9\nnameserver 10.96.0.10\noptions ndots:5\n";
    let a = analyze(&[Source::new("resolv.conf", conf)], &Options::default());
    let report = &a.sources[0];
    assert_eq!(report.kind, Kind::ResolvConf);
    assert_eq!(a.resolv_confs[0].value.nameservers.len(), 1);
    let places: Vec<(&str, u32, u32)> = report
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect();
    // The prompt, the Latin-1 byte and the typo: each a diagnostic at its line, none an error.
    assert_eq!(
        places,
        [
            ("shell-prompt", 1, 1),
            ("invalid-utf8", 2, 4),
            ("unknown-keyword", 4, 1)
        ]
    );
    assert!(report
        .diagnostics
        .iter()
        .all(|d| d.severity != dnatlas_core::Severity::Error));
}
