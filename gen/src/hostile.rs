//! The hostile-input catalogue: inputs built to break a reader that trusts what it reads — loops in a ruleset,
//! values no kernel would load, headers that claim more than the bytes hold, encodings and bytes that are not the
//! text they seem, nesting and expansion bombs, and script in every name — each with what dnatlas must say about
//! it. `dnatlas-gen hostile --out DIR` writes them with a `cases.json` manifest; the CLI tests
//! (`cli/tests/hostile.rs`) run every case through `analyze`, `walk` and `trace`, and the browser tests
//! (`tests/e2e/hostile.test.mjs`) drop every case on the page, each bounded in time and memory.
//!
//! Everything here is deterministic: the same catalogue, byte for byte, on every run.

use serde::Serialize;

/// One hostile input and what must be said about it.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// A short kebab-case name.
    pub name: String,
    /// The file name the input is given as (it may itself be hostile).
    pub file: String,
    /// What the case is about, in a sentence.
    pub about: String,
    /// The bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// What must be said.
    pub expect: Expect,
}

/// What dnatlas must say about a case.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Expect {
    /// The kind it is read as (`null`: any).
    pub kind: Option<String>,
    /// Diagnostic codes that must each appear among the input's diagnostics.
    pub diagnostics: Vec<String>,
    /// Text that must appear in one of those diagnostics' messages (e.g. what a binary file looks like).
    pub message: Option<String>,
    /// Finding codes that must each appear.
    pub findings: Vec<String>,
    /// `analyze`'s exit status, when it is decided by the case (2: the input cannot be used at all).
    pub exit: Option<u8>,
    /// A walk to run, when the case is a node's rules.
    pub walk: Option<Walk>,
    /// A trace to run.
    pub trace: Option<Trace>,
    /// Strings that must not appear in any output (live HTML, terminal escapes).
    pub never: Vec<String>,
    /// The most diagnostics the input may get (bounded output: one per cause, with a count).
    pub max_diagnostics: Option<usize>,
}

/// A packet walked through a case's rules.
#[derive(Debug, Clone, Serialize)]
pub struct Walk {
    /// Source address.
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// Destination port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The stop reason one outcome must give (`loop`, `depth`, `budget`, `branches`), if any.
    pub stopped: Option<String>,
    /// An address no outcome may go to (the DNAT target of a rule whose match is invalid); no outcome may have a
    /// probability that is not a number either.
    pub never: Option<String>,
}

/// A trace run on a case.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// The pod's IP.
    pub from: String,
    /// The `--to` argument.
    pub to: String,
    /// The exit status `dnatlas trace` must give.
    pub exit: u8,
}

fn case(name: &str, file: &str, about: &str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.to_string(),
        file: file.to_string(),
        about: about.to_string(),
        bytes,
        expect,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Expect: read as `kind` with these diagnostic codes.
fn diag(kind: &str, codes: &[&str]) -> Expect {
    Expect {
        kind: Some(kind.to_string()),
        diagnostics: strings(codes),
        ..Expect::default()
    }
}

/// Expect: not read at all (`unknown-kind`, exit 2), the message naming what it looks like.
fn unread(message: &str) -> Expect {
    Expect {
        kind: Some("unknown".to_string()),
        diagnostics: strings(&["unknown-kind"]),
        message: Some(message.to_string()),
        exit: Some(2),
        ..Expect::default()
    }
}

fn walk(dst: &str, port: u16, stopped: Option<&str>, never: Option<&str>) -> Option<Walk> {
    Some(Walk {
        src: "10.244.0.20".to_string(),
        dst: dst.to_string(),
        port,
        protocol: "tcp".to_string(),
        stopped: stopped.map(str::to_string),
        never: never.map(str::to_string),
    })
}

/// A `*nat` table with these chains declared and these rules.
fn nat(chains: &[&str], rules: &[String]) -> Vec<u8> {
    let mut out = String::from("*nat\n");
    for c in chains {
        out.push_str(&format!(":{c} - [0:0]\n"));
    }
    for r in rules {
        out.push_str(r);
        out.push('\n');
    }
    out.push_str("COMMIT\n");
    out.into_bytes()
}

/// A small, valid kube-proxy node (one Service, two endpoints) with `extra` rules added to `KUBE-SERVICES` first.
fn node_with(extra: &[&str]) -> Vec<u8> {
    let mut out = String::from(
        "*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
         :KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n\
         :KUBE-SVC-57XVOCFNTLTR3Q27 - [0:0]\n:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n\
         -A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
         -A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n\
         -A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n\
         -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n\
         -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n\
         -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n\
         -A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n",
    );
    for rule in extra {
        out.push_str(rule);
        out.push('\n');
    }
    out.push_str(
        "-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-57XVOCFNTLTR3Q27\n\
         -A KUBE-SVC-57XVOCFNTLTR3Q27 -m comment --comment \"default/web:http -> 10.244.1.5:8080\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAAAAAAAAAAAAAA\n\
         -A KUBE-SVC-57XVOCFNTLTR3Q27 -m comment --comment \"default/web:http -> 10.244.2.7:8080\" -j KUBE-SEP-BBBBBBBBBBBBBBBB\n\
         -A KUBE-SEP-AAAAAAAAAAAAAAAA -s 10.244.1.5/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ\n\
         -A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.1.5:8080\n\
         -A KUBE-SEP-BBBBBBBBBBBBBBBB -s 10.244.2.7/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ\n\
         -A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.2.7:8080\n\
         COMMIT\n",
    );
    out.into_bytes()
}

/// A node whose only Service rule carries `bad` in place of a valid value; the walk to 10.0.0.30:80 must not be
/// DNATed to 9.9.9.9.
fn invalid_rule(name: &str, about: &str, rule: &str, code: &str) -> Case {
    case(
        name,
        &format!("{name}.txt"),
        about,
        node_with(&[rule]),
        Expect {
            walk: walk("10.0.0.30", 80, None, Some("9.9.9.9")),
            ..diag("iptables-save", &[code])
        },
    )
}

// --- Binary captures ---

fn le16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn le32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A classic pcap header (microseconds, little-endian) for `linktype`.
fn pcap_header(linktype: u32) -> Vec<u8> {
    let mut out = Vec::new();
    le32(&mut out, 0xa1b2_c3d4);
    le16(&mut out, 2);
    le16(&mut out, 4);
    le32(&mut out, 0);
    le32(&mut out, 0);
    le32(&mut out, 65535);
    le32(&mut out, linktype);
    out
}

/// One pcap record holding `data` at second `sec`, with the lengths it claims.
fn pcap_record(out: &mut Vec<u8>, sec: u32, data: &[u8], caplen: u32, len: u32) {
    le32(out, sec);
    le32(out, 0);
    le32(out, caplen);
    le32(out, len);
    out.extend_from_slice(data);
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in header.chunks(2) {
        let hi = u32::from(pair.first().copied().unwrap_or(0));
        let lo = u32::from(pair.get(1).copied().unwrap_or(0));
        sum += (hi << 8) | lo;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 packet (raw IP link type) from `src` to `dst` carrying `payload` over `protocol`.
fn ipv4(src: [u8; 4], dst: [u8; 4], protocol: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut header = vec![0x45, 0];
    header.extend_from_slice(&total.to_be_bytes());
    header.extend_from_slice(&[0, 1, 0x40, 0, 64, protocol, 0, 0]);
    header.extend_from_slice(&src);
    header.extend_from_slice(&dst);
    let sum = checksum(&header);
    header[10..12].copy_from_slice(&sum.to_be_bytes());
    header.extend_from_slice(payload);
    header
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    out
}

fn tcp(sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&1u32.to_be_bytes());
    // Data offset 5 words; PSH, ACK.
    out.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    out.extend_from_slice(payload);
    out
}

/// `name` in DNS wire form.
fn qname(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A DNS message: `id`, `flags`, the four counts as claimed, then `body`.
fn dns(id: u16, flags: u16, counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        out.extend_from_slice(&c.to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

fn question(name: &str) -> Vec<u8> {
    let mut out = qname(name);
    out.extend_from_slice(&[0, 1, 0, 1]);
    out
}

const POD: [u8; 4] = [10, 244, 0, 20];
const DNS_VIP: [u8; 4] = [10, 96, 0, 10];
const LINKTYPE_RAW: u32 = 101;

/// A pcap of `pairs` queries, each answered by a reply whose header claims 65,535 records of every section while
/// it holds one question.
fn lying_replies(pairs: u32) -> Vec<u8> {
    let mut out = pcap_header(LINKTYPE_RAW);
    for i in 0..pairs {
        let id = (i % 65_536) as u16;
        let sport = 30_000 + (i % 30_000) as u16;
        let q = ipv4(
            POD,
            DNS_VIP,
            17,
            &udp(
                sport,
                53,
                &dns(
                    id,
                    0x0100,
                    [1, 0, 0, 0],
                    &question("web.default.svc.cluster.local"),
                ),
            ),
        );
        pcap_record(
            &mut out,
            1_700_000_000 + i / 1000,
            &q,
            q.len() as u32,
            q.len() as u32,
        );
        let r = ipv4(
            DNS_VIP,
            POD,
            17,
            &udp(
                53,
                sport,
                &dns(
                    id,
                    0x8180,
                    [0xffff; 4],
                    &question("web.default.svc.cluster.local"),
                ),
            ),
        );
        pcap_record(
            &mut out,
            1_700_000_000 + i / 1000,
            &r,
            r.len() as u32,
            r.len() as u32,
        );
    }
    out
}

/// A reply whose question name is a compression pointer to itself (and one whose pointers bounce between two
/// offsets).
fn compression_loops() -> Vec<u8> {
    let mut out = pcap_header(LINKTYPE_RAW);
    let q = ipv4(
        POD,
        DNS_VIP,
        17,
        &udp(
            40_000,
            53,
            &dns(7, 0x0100, [1, 0, 0, 0], &question("a.example")),
        ),
    );
    pcap_record(&mut out, 1_700_000_000, &q, q.len() as u32, q.len() as u32);
    // Offset 12 is the question: a pointer to offset 12.
    let mut body = vec![0xc0, 0x0c, 0, 1, 0, 1];
    let r = ipv4(
        DNS_VIP,
        POD,
        17,
        &udp(53, 40_000, &dns(7, 0x8180, [1, 1, 0, 0], &body)),
    );
    pcap_record(&mut out, 1_700_000_000, &r, r.len() as u32, r.len() as u32);
    // Two pointers that point at each other: offset 12 → 14, 14 → 12.
    body = vec![0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1];
    let r = ipv4(
        DNS_VIP,
        POD,
        17,
        &udp(53, 40_001, &dns(8, 0x8180, [1, 0, 0, 0], &body)),
    );
    pcap_record(&mut out, 1_700_000_001, &r, r.len() as u32, r.len() as u32);
    out
}

/// DNS over TCP whose length prefix claims 65,535 bytes and whose segment holds 30.
fn tcp_length_lie() -> Vec<u8> {
    let mut out = pcap_header(LINKTYPE_RAW);
    let message = dns(9, 0x0100, [1, 0, 0, 0], &question("a.example"));
    let mut payload = vec![0xff, 0xff];
    payload.extend_from_slice(&message);
    for i in 0..200u32 {
        let p = ipv4(POD, DNS_VIP, 6, &tcp(41_000 + i as u16, 53, 1000, &payload));
        pcap_record(
            &mut out,
            1_700_000_000 + i,
            &p,
            p.len() as u32,
            p.len() as u32,
        );
    }
    out
}

/// A pcap whose second record claims a captured length of 4 GiB.
fn pcap_huge_caplen() -> Vec<u8> {
    let mut out = pcap_header(LINKTYPE_RAW);
    let q = ipv4(
        POD,
        DNS_VIP,
        17,
        &udp(
            40_000,
            53,
            &dns(1, 0x0100, [1, 0, 0, 0], &question("a.example")),
        ),
    );
    pcap_record(&mut out, 1_700_000_000, &q, q.len() as u32, q.len() as u32);
    pcap_record(&mut out, 1_700_000_001, &q, u32::MAX, u32::MAX);
    out
}

/// A pcapng section header block whose length fields claim 4 GiB.
fn pcapng_broken_header() -> Vec<u8> {
    let mut out = Vec::new();
    le32(&mut out, 0x0a0d_0d0a);
    le32(&mut out, 0xffff_fff0);
    le32(&mut out, 0x1a2b_3c4d);
    le16(&mut out, 1);
    le16(&mut out, 0);
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    le32(&mut out, 0xffff_fff0);
    out
}

/// A valid pcapng section and interface, then an enhanced packet block cut in the middle, then one whose length
/// is smaller than its own header.
fn pcapng_truncated_blocks() -> Vec<u8> {
    let mut out = Vec::new();
    // Section header block, 28 bytes.
    le32(&mut out, 0x0a0d_0d0a);
    le32(&mut out, 28);
    le32(&mut out, 0x1a2b_3c4d);
    le16(&mut out, 1);
    le16(&mut out, 0);
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    le32(&mut out, 28);
    // Interface description block, raw IP, 20 bytes.
    le32(&mut out, 1);
    le32(&mut out, 20);
    le16(&mut out, LINKTYPE_RAW as u16);
    le16(&mut out, 0);
    le32(&mut out, 65535);
    le32(&mut out, 20);
    let q = ipv4(
        POD,
        DNS_VIP,
        17,
        &udp(
            40_000,
            53,
            &dns(1, 0x0100, [1, 0, 0, 0], &question("a.example")),
        ),
    );
    let padded = q.len().div_ceil(4) * 4;
    let block_len = (32 + padded) as u32;
    // A whole enhanced packet block.
    let epb = |out: &mut Vec<u8>| {
        le32(out, 6);
        le32(out, block_len);
        le32(out, 0);
        le32(out, 0);
        le32(out, 0);
        le32(out, q.len() as u32);
        le32(out, q.len() as u32);
        out.extend_from_slice(&q);
        out.resize(out.len() + padded - q.len(), 0);
        le32(out, block_len);
    };
    epb(&mut out);
    // A block whose length is below the minimum.
    le32(&mut out, 6);
    le32(&mut out, 4);
    le32(&mut out, 4);
    // A block cut in the middle.
    le32(&mut out, 6);
    le32(&mut out, block_len);
    le32(&mut out, 0);
    out
}

/// Every case of the catalogue, in a fixed order.
pub fn catalogue() -> Vec<Case> {
    let mut cases = Vec::new();
    let loop_finding = |stopped: &str| Expect {
        kind: Some("iptables-save".to_string()),
        findings: strings(&["chain-loop"]),
        walk: walk("10.96.0.50", 80, Some(stopped), None),
        ..Expect::default()
    };

    // --- Loops, depth and path explosions in a ruleset ---
    cases.push(case(
        "goto-self-loop",
        "goto-loop.txt",
        "a 78-byte dump whose chain goes to itself: a goto replaces the frame, so a depth cap never fires",
        b"*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -g L\nCOMMIT\n".to_vec(),
        loop_finding("loop"),
    ));
    cases.push(case(
        "jump-self-loop",
        "jump-loop.txt",
        "a chain that jumps to itself",
        b"*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -j L\nCOMMIT\n"
            .to_vec(),
        loop_finding("loop"),
    ));
    cases.push(case(
        "jump-goto-cycle",
        "cycle.txt",
        "two chains that call each other, one by a jump and one by a goto",
        nat(
            &["KUBE-SERVICES", "KUBE-A", "KUBE-B"],
            &strings(&[
                "-A KUBE-SERVICES -j KUBE-A",
                "-A KUBE-A -j KUBE-B",
                "-A KUBE-B -g KUBE-A",
            ]),
        ),
        loop_finding("loop"),
    ));
    cases.push(case(
        "return-into-self",
        "return-loop.txt",
        "a chain that returns into the chain that called it by jumping back to it",
        b"*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n\
          -A PREROUTING -j KUBE-SERVICES\n-A KUBE-SERVICES -p udp -j RETURN\n-A KUBE-SERVICES -j KUBE-NODEPORTS\n\
          -A KUBE-NODEPORTS -p udp -j RETURN\n-A KUBE-NODEPORTS -j KUBE-SERVICES\nCOMMIT\n"
            .to_vec(),
        loop_finding("loop"),
    ));
    {
        let depth = 100_000;
        let names: Vec<String> = (0..depth).map(|i| format!("D{i}")).collect();
        let mut rules = vec!["-A KUBE-SERVICES -j D0".to_string()];
        rules.extend((0..depth - 1).map(|i| format!("-A D{i} -j D{}", i + 1)));
        rules.push(format!(
            "-A D{} -j DNAT --to-destination 10.244.9.9:80",
            depth - 1
        ));
        let mut chains = vec!["KUBE-SERVICES"];
        chains.extend(names.iter().map(String::as_str));
        cases.push(case(
            "deep-chain",
            "deep.txt",
            "a chain of 100,000 chains, each jumping to the next",
            nat(&chains, &rules),
            Expect {
                kind: Some("iptables-save".to_string()),
                walk: walk("10.96.0.50", 80, Some("depth"), None),
                ..Expect::default()
            },
        ));
    }
    {
        let levels = 60;
        let names: Vec<String> = (0..=levels).map(|i| format!("X{i}")).collect();
        let mut rules = vec!["-A KUBE-SERVICES -j X0".to_string()];
        for i in 0..levels {
            rules.push(format!("-A X{i} -j X{}", i + 1));
            rules.push(format!("-A X{i} -j X{}", i + 1));
        }
        rules.push(format!("-A X{levels} -j MARK --set-xmark 0x1/0x1"));
        let mut chains = vec!["KUBE-SERVICES"];
        chains.extend(names.iter().map(String::as_str));
        cases.push(case(
            "diamond",
            "diamond.txt",
            "60 chains, each jumping twice to the next: 2^60 paths through 121 rules",
            nat(&chains, &rules),
            Expect {
                kind: Some("iptables-save".to_string()),
                walk: walk("10.96.0.50", 80, Some("budget"), None),
                ..Expect::default()
            },
        ));
    }
    {
        let forks = 600;
        let mut rules: Vec<String> = (0..forks)
            .map(|i| {
                format!(
                    "-A KUBE-SERVICES -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x{:x}/0xffffffff",
                    i + 1
                )
            })
            .collect();
        rules.push("-A KUBE-SERVICES -j DNAT --to-destination 10.244.9.9:80".to_string());
        cases.push(case(
            "fork-explosion",
            "forks.txt",
            "600 statistic matches in a row: 2^600 branches",
            nat(&["KUBE-SERVICES"], &rules),
            Expect {
                kind: Some("iptables-save".to_string()),
                walk: walk("10.96.0.50", 80, Some("branches"), None),
                ..Expect::default()
            },
        ));
    }
    cases.push(case(
        "listing-loop",
        "listing-loop.txt",
        "an `iptables -L -n` listing whose chain jumps to itself",
        b"Chain PREROUTING (policy ACCEPT)\ntarget     prot opt source               destination\nKUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0\n\nChain KUBE-SERVICES (1 references)\ntarget     prot opt source               destination\nKUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0\n".to_vec(),
        Expect {
            kind: Some("iptables-list".to_string()),
            walk: walk("10.96.0.50", 80, Some("loop"), None),
            ..Expect::default()
        },
    ));

    // --- Values no kernel would load ---
    let dnat = "-j DNAT --to-destination 9.9.9.9:1";
    for (name, about, rule, code) in [
        (
            "invalid-address",
            "an address with an octet of 300",
            format!("-A KUBE-SERVICES -d 10.0.0.300/32 -p tcp -m tcp --dport 80 {dnat}"),
            "invalid-address",
        ),
        (
            "invalid-prefix",
            "a prefix of 33 bits",
            format!("-A KUBE-SERVICES -d 10.0.0.30/33 -p tcp -m tcp --dport 80 {dnat}"),
            "invalid-address",
        ),
        (
            "invalid-source-address",
            "a source address that is not one",
            format!("-A KUBE-SERVICES -s 10.244.0.x/32 -d 10.0.0.30/32 -p tcp -m tcp --dport 80 {dnat}"),
            "invalid-address",
        ),
        (
            "port-too-large",
            "a port of 99999",
            format!("-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport 99999 {dnat}"),
            "invalid-port",
        ),
        (
            "port-not-a-number",
            "a port `abc`",
            format!("-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport abc {dnat}"),
            "invalid-port",
        ),
        (
            "port-range-backwards",
            "a port range 80:70",
            format!("-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport 80:70 {dnat}"),
            "invalid-port",
        ),
        (
            "multiport-garbage",
            "a multiport list with a port of 70000",
            format!("-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m multiport --dports 80,70000 {dnat}"),
            "invalid-port",
        ),
        (
            "unknown-protocol",
            "a protocol no kernel knows",
            format!("-A KUBE-SERVICES -d 10.0.0.30/32 -p tcpx -m tcp --dport 80 {dnat}"),
            "invalid-protocol",
        ),
        (
            "dnat-family-mismatch",
            "an IPv4 rule that DNATs to an IPv6 address",
            "-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination [::1]:80".to_string(),
            "invalid-target",
        ),
        (
            "dnat-garbage",
            "a DNAT target that is not an address",
            "-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination nowhere:80".to_string(),
            "invalid-target",
        ),
        (
            "dnat-port-too-large",
            "a DNAT target port of 70000",
            "-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 9.9.9.9:70000".to_string(),
            "invalid-target",
        ),
    ] {
        cases.push(invalid_rule(name, about, &rule, code));
    }
    for (name, p) in [
        ("probability-two", "2"),
        ("probability-negative", "-1"),
        ("probability-nan", "nan"),
        ("probability-infinite", "inf"),
        ("probability-garbage", "0.5x"),
    ] {
        let dump = String::from_utf8_lossy(&node_with(&[]))
            .replace("--probability 0.50000000000", &format!("--probability {p}"))
            .into_bytes();
        cases.push(case(
            name,
            &format!("{name}.txt"),
            &format!("a statistic probability of {p}"),
            dump,
            Expect {
                walk: walk("10.96.0.50", 80, None, Some("0.0.0.0")),
                ..diag("iptables-save", &["invalid-probability"])
            },
        ));
    }
    cases.push(case(
        "every-zero",
        "every-zero.txt",
        "a statistic match every 0 packets",
        String::from_utf8_lossy(&node_with(&[]))
            .replace(
                "--mode random --probability 0.50000000000",
                "--mode nth --every 0 --packet 0",
            )
            .into_bytes(),
        Expect {
            walk: walk("10.96.0.50", 80, None, Some("0.0.0.0")),
            ..diag("iptables-save", &["invalid-probability"])
        },
    ));

    // --- Captures whose headers lie ---
    cases.push(case(
        "dns-header-lies-small",
        "lying-headers.pcap",
        "93 KB of DNS replies whose headers claim 65,535 records of every section",
        lying_replies(510),
        Expect {
            kind: Some("pcap".to_string()),
            max_diagnostics: Some(20),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "dns-header-lies-large",
        "lying-headers-large.pcap",
        "4.2 MB of DNS replies whose headers claim 65,535 records of every section",
        lying_replies(23_000),
        Expect {
            kind: Some("pcap".to_string()),
            max_diagnostics: Some(20),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "dns-compression-loop",
        "compression-loop.pcap",
        "names made of compression pointers that point at themselves or at each other",
        compression_loops(),
        Expect {
            kind: Some("pcap".to_string()),
            max_diagnostics: Some(20),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "tcp-length-lie",
        "tcp-length.pcap",
        "DNS over TCP whose length prefixes claim 65,535 bytes, on 200 connections",
        tcp_length_lie(),
        Expect {
            kind: Some("pcap".to_string()),
            // One per connection that ends inside a message, no more.
            max_diagnostics: Some(201),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "pcap-huge-caplen",
        "huge-caplen.pcap",
        "a pcap record claiming a captured length of 4 GiB",
        pcap_huge_caplen(),
        Expect {
            kind: Some("pcap".to_string()),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    {
        let mut cut = pcap_header(LINKTYPE_RAW);
        cut.truncate(10);
        cases.push(case(
            "pcap-cut-header",
            "cut-header.pcap",
            "a pcap cut inside its file header",
            cut,
            Expect {
                exit: Some(2),
                ..Expect::default()
            },
        ));
    }
    cases.push(case(
        "pcapng-broken-header",
        "broken.pcapng",
        "a pcapng whose section header claims 4 GiB",
        pcapng_broken_header(),
        Expect {
            exit: Some(2),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "pcapng-truncated-blocks",
        "truncated-blocks.pcapng",
        "a pcapng whose last blocks are too short or cut",
        pcapng_truncated_blocks(),
        Expect {
            kind: Some("pcapng".to_string()),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    {
        let mut modified = pcap_huge_caplen();
        modified[..4].copy_from_slice(&[0x34, 0xcd, 0xb2, 0xa1]);
        cases.push(case(
            "pcap-modified-magic",
            "modified.pcap",
            "a capture in Kuznetzov's modified pcap format",
            modified,
            unread("modified"),
        ));
    }
    {
        let mut garbage = pcap_header(LINKTYPE_RAW);
        let mut x: u32 = 0x1234_5678;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            garbage.push(x as u8);
        }
        cases.push(case(
            "pcap-random-records",
            "random.pcap",
            "a pcap header followed by 200 KB of random bytes",
            garbage,
            Expect {
                kind: Some("pcap".to_string()),
                max_diagnostics: Some(20),
                ..Expect::default()
            },
        ));
    }
    cases.push(case(
        "tcpdump-impossible-timestamps",
        "tcpdump.txt",
        "tcpdump lines whose timestamps cannot be times",
        b"25:61:99.000000 IP 10.244.0.20.40000 > 10.96.0.10.53: 7+ A? web.default.svc.cluster.local. (47)\n\
          99999999999999999999.1 IP 10.96.0.10.53 > 10.244.0.20.40000: 7* 1/0/0 A 10.96.0.50 (92)\n\
          12:00:00.000000 IP 10.244.0.20.40001 > 10.96.0.10.53: 8+ A? api.default.svc.cluster.local. (47)\n\
          12:00:00.000100 IP 10.96.0.10.53 > 10.244.0.20.40001: 8* 1/0/0 A 10.96.0.51 (92)\n"
            .to_vec(),
        Expect {
            kind: Some("tcpdump".to_string()),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));

    // --- Text that is not what it seems ---
    let resolv = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
    {
        let mut utf16 = vec![0xff, 0xfe];
        for unit in resolv.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        cases.push(case(
            "utf16-le-bom",
            "resolv-powershell.txt",
            "a resolv.conf saved by Windows PowerShell's `>` (UTF-16 LE with a BOM)",
            utf16,
            Expect {
                kind: Some("resolv-conf".to_string()),
                ..Expect::default()
            },
        ));
        let mut be = Vec::new();
        for unit in resolv.encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        cases.push(case(
            "utf16-be-no-bom",
            "resolv-utf16be.txt",
            "a resolv.conf in UTF-16 BE without a BOM",
            be,
            Expect {
                kind: Some("resolv-conf".to_string()),
                ..Expect::default()
            },
        ));
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(resolv.as_bytes());
        cases.push(case(
            "utf8-bom",
            "resolv-bom.txt",
            "a resolv.conf with a UTF-8 byte-order mark",
            bom,
            Expect {
                kind: Some("resolv-conf".to_string()),
                ..Expect::default()
            },
        ));
    }
    cases.push(case(
        "cr-line-endings",
        "node-cr.txt",
        "a node dump with CR-only line endings",
        String::from_utf8_lossy(&node_with(&[]))
            .replace('\n', "\r")
            .into_bytes(),
        Expect {
            kind: Some("iptables-save".to_string()),
            walk: walk("10.96.0.50", 80, None, None),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "resolv-with-prompt",
        "resolv-prompt.txt",
        "a resolv.conf pasted with the command that printed it",
        format!("$ kubectl exec -n default web-0 -- cat /etc/resolv.conf\n{resolv}").into_bytes(),
        Expect {
            kind: Some("resolv-conf".to_string()),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "resolv-typo",
        "resolv-typo.txt",
        "a resolv.conf with a misspelt keyword",
        b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameservr 10.96.0.11\nnameserver 10.96.0.10\noptions ndots:5\n".to_vec(),
        Expect {
            kind: Some("resolv-conf".to_string()),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "resolv-latin1",
        "resolv-latin1.txt",
        "a resolv.conf with a Latin-1 comment",
        b"# g\xe9n\xe9r\xe9 par kubelet\nsearch default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n".to_vec(),
        Expect {
            kind: Some("resolv-conf".to_string()),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "nul-only",
        "zeros.bin",
        "64 KB of NUL bytes",
        vec![0; 65_536],
        Expect {
            kind: Some("unknown".to_string()),
            diagnostics: strings(&["unknown-kind"]),
            exit: Some(2),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "empty",
        "empty.txt",
        "an empty file",
        Vec::new(),
        Expect {
            kind: Some("unknown".to_string()),
            diagnostics: strings(&["unknown-kind"]),
            exit: Some(2),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "huge-line",
        "one-line.txt",
        "10 MB on one line without a newline",
        {
            let mut v = b"-A KUBE-SERVICES -m comment --comment \"".to_vec();
            v.resize(10 * 1024 * 1024, b'x');
            v
        },
        Expect {
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "million-empty-lines",
        "blank.txt",
        "1,000,000 empty lines",
        vec![b'\n'; 1_000_000],
        Expect {
            kind: Some("unknown".to_string()),
            exit: Some(2),
            ..Expect::default()
        },
    ));
    {
        let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
        dump.push_str(&"!".repeat(20_000));
        dump.push('\n');
        for i in 0..5 {
            dump.push_str(&format!(
                "-A KUBE-SERVICES -d 10.0.{i}.300/32 -j DNAT --to-destination 9.9.9.9:1\n"
            ));
        }
        dump.push_str("COMMIT\n");
        cases.push(case(
            "one-bad-line-hides-the-rest",
            "bang.txt",
            "a line of 20,000 `!` before five rules with invalid addresses",
            dump.into_bytes(),
            Expect {
                max_diagnostics: Some(40),
                ..diag("iptables-save", &["invalid-address"])
            },
        ));
    }
    {
        let mut dump = String::from("*nat\n:KUBE-SERVICES - [0:0]\n");
        for _ in 0..10_000 {
            dump.push_str("-A KUBE-SERVICES -j\n");
        }
        dump.push_str(
            "-A KUBE-SERVICES -d 10.0.0.300/32 -j DNAT --to-destination 9.9.9.9:1\nCOMMIT\n",
        );
        cases.push(case(
            "one-cause-repeated",
            "repeated.txt",
            "10,000 rules with the same defect, then one invalid address",
            dump.into_bytes(),
            Expect {
                // The budget holds, and the one later cause is still among what is listed.
                max_diagnostics: Some(501),
                ..diag("iptables-save", &["invalid-address"])
            },
        ));
    }

    // --- Binary files of other kinds ---
    for (name, file, bytes, looks) in [
        (
            "gzip",
            "node.txt.gz",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec(),
            "gzip",
        ),
        (
            "bzip2",
            "node.txt.bz2",
            b"BZh91AY&SY\x00\x00".to_vec(),
            "bzip2",
        ),
        ("xz", "node.txt.xz", b"\xfd7zXZ\x00\x00\x04".to_vec(), "xz"),
        (
            "zstd",
            "node.txt.zst",
            b"\x28\xb5\x2f\xfd\x00\x58".to_vec(),
            "zstd",
        ),
        (
            "zip",
            "bundle.zip",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(),
            "zip",
        ),
        (
            "7z",
            "bundle.7z",
            b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec(),
            "7z",
        ),
        (
            "tar",
            "bundle.tar",
            {
                let mut t = vec![0u8; 1024];
                t[..8].copy_from_slice(b"node.txt");
                t[257..263].copy_from_slice(b"ustar\0");
                t
            },
            "tar",
        ),
        (
            "elf",
            "kube-proxy",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
            "ELF",
        ),
        (
            "pdf",
            "ticket.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec(),
            "PDF",
        ),
        (
            "png",
            "screenshot.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            "PNG",
        ),
        (
            "jpeg",
            "photo.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec(),
            "JPEG",
        ),
        (
            "sqlite",
            "state.db",
            b"SQLite format 3\x00\x10\x00".to_vec(),
            "SQLite",
        ),
    ] {
        cases.push(case(
            &format!("binary-{name}"),
            file,
            &format!("a {looks} file"),
            bytes,
            unread(looks),
        ));
    }

    // --- Nesting and expansion ---
    cases.push(case(
        "deep-json",
        "deep.json",
        "100,000 nested JSON arrays",
        {
            let mut v = b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": ".to_vec();
            v.extend(std::iter::repeat_n(b'[', 100_000));
            v.extend(std::iter::repeat_n(b']', 100_000));
            v.push(b'}');
            v
        },
        Expect {
            kind: Some("kubectl".to_string()),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "deep-yaml",
        "deep.yaml",
        "50,000 nested YAML flow sequences",
        {
            let mut v =
                b"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: ".to_vec();
            v.extend(std::iter::repeat_n(b'[', 50_000));
            v.extend(std::iter::repeat_n(b']', 50_000));
            v.push(b'\n');
            v
        },
        Expect {
            kind: Some("kubectl".to_string()),
            max_diagnostics: Some(5),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "yaml-alias-bomb",
        "laughs.yaml",
        "nine levels of anchors, each aliasing the one before nine times: 387 million nodes in 0.7 KB",
        {
            let mut v = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n  labels:\n");
            v.push_str("    a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
            let letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
            for pair in letters.windows(2) {
                let (prev, next) = (pair[0], pair[1]);
                v.push_str(&format!(
                    "    {next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
                ));
            }
            v.push_str("data:\n  Corefile: |\n    .:53 {\n        forward . /etc/resolv.conf\n    }\n");
            v.into_bytes()
        },
        Expect {
            kind: Some("kubectl".to_string()),
            diagnostics: strings(&["yaml-alias-limit"]),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "json-alternating-with-text",
        "pods.txt",
        "20,000 kubectl JSON documents, each followed by a line of text: read in one pass (it once recursed once \
         per document and overflowed the stack)",
        "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"d\"}, \"status\": {\"podIP\": \"10.0.0.1\"}}\nx\n"
            .repeat(20_000)
            .into_bytes(),
        Expect {
            kind: Some("kubectl".to_string()),
            diagnostics: strings(&["unknown-line"]),
            max_diagnostics: Some(600),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "json-then-text-on-its-line",
        "svc.txt",
        "a kubectl JSON object followed by words on the same line: the text after it starts on the JSON's own line \
         (it was once read again from that line, for ever)",
        b"{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"s\"}} and some words\nmore text\n"
            .to_vec(),
        Expect {
            kind: Some("kubectl".to_string()),
            diagnostics: strings(&["unknown-line"]),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "json-syntax-error",
        "services.json",
        "kubectl JSON with a syntax error before any object",
        b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [ {\"kind\": \"Service\",, } ]}\n".to_vec(),
        Expect {
            kind: Some("kubectl".to_string()),
            exit: Some(2),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "yaml-many-documents",
        "many.yaml",
        "100,000 empty YAML documents",
        {
            let mut v = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n".to_vec();
            for _ in 0..100_000 {
                v.extend_from_slice(b"---\n");
            }
            v
        },
        Expect {
            kind: Some("kubectl".to_string()),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "corefile-deep-braces",
        "Corefile",
        "a Corefile with 100,000 nested blocks",
        {
            let mut v = b".:53 {\n    errors\n    forward . /etc/resolv.conf\n".to_vec();
            v.extend(std::iter::repeat_n(b"x {\n".as_slice(), 100_000).flatten());
            v.extend(std::iter::repeat_n(b"}\n".as_slice(), 100_001).flatten());
            v
        },
        Expect {
            kind: Some("corefile".to_string()),
            max_diagnostics: Some(20),
            ..Expect::default()
        },
    ));

    // --- Script and escapes in every name ---
    let script = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(1)>";
    let never = strings(&["<script", "<img", "\u{1b}["]);
    cases.push(case(
        "script-in-file-name",
        &format!("{img}.txt"),
        "an input whose file name is markup",
        node_with(&[]),
        Expect {
            kind: Some("iptables-save".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "script-in-service-name",
        "script-service.txt",
        "a dump whose Service comment and a bad rule carry markup",
        String::from_utf8_lossy(&node_with(&[&format!(
            "-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m comment --comment \"{script}\" -m tcp --dport {img} -j DNAT --to-destination 9.9.9.9:1"
        )]))
        .replace("default/web:http", &format!("default/{script}:http"))
        .into_bytes(),
        Expect {
            kind: Some("iptables-save".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "script-in-resolv-conf",
        "script-resolv.conf",
        "a resolv.conf whose search domain and options are markup",
        format!("search {script} svc.cluster.local\nnameserver 10.96.0.10\noptions {img}\n")
            .into_bytes(),
        Expect {
            kind: Some("resolv-conf".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "script-in-query-name",
        "script-tcpdump.txt",
        "tcpdump lines whose query names are markup",
        format!(
            "12:00:00.000000 IP 10.244.0.20.40000 > 10.96.0.10.53: 7+ A? {script}. (47)\n\
             12:00:00.000100 IP 10.96.0.10.53 > 10.244.0.20.40000: 7 NXDomain* 0/1/0 (92)\n\
             12:00:01.000000 IP 10.244.0.20.40001 > 10.96.0.10.53: 8+ A? {img}. (47)\n"
        )
        .into_bytes(),
        Expect {
            kind: Some("tcpdump".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "script-in-corefile",
        "script-Corefile",
        "a Corefile whose zone and plugin are markup",
        format!(".:53 {{\n    errors\n    {script}\n    forward . 127.0.0.1 {img}\n}}\n")
            .into_bytes(),
        Expect {
            kind: Some("corefile".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "terminal-escapes",
        "escapes.txt",
        "a dump whose comments carry terminal escape sequences",
        String::from_utf8_lossy(&node_with(&[
            "-A KUBE-SERVICES -d 10.0.0.30/32 -p tcp -m comment --comment \"\u{1b}[2J\u{1b}[31mowned\u{1b}]0;title\u{7}\" -m tcp --dport 99999 -j DNAT --to-destination 9.9.9.9:1",
        ]))
        .into_owned()
        .into_bytes(),
        Expect {
            kind: Some("iptables-save".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));
    cases.push(case(
        "kubectl-script-names",
        "script-kubectl.txt",
        "a kubectl table whose names are markup",
        format!(
            "NAMESPACE   NAME    TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)   AGE\ndefault     {script}   ClusterIP   10.96.0.50    <none>        80/TCP    5d\n"
        )
        .into_bytes(),
        Expect {
            kind: Some("kubectl".to_string()),
            never: never.clone(),
            ..Expect::default()
        },
    ));

    // --- Trace targets DNS would refuse ---
    for (name, to) in [
        ("trace-long-label", format!("{}.default", "a".repeat(64))),
        (
            "trace-long-name",
            std::iter::repeat_n("abcdefghij", 26)
                .collect::<Vec<_>>()
                .join("."),
        ),
        (
            "trace-control-characters",
            "web\u{7}\u{1b}[31m.default".to_string(),
        ),
        ("trace-empty-label", "web..default".to_string()),
    ] {
        cases.push(case(
            name,
            &format!("{name}-resolv.conf"),
            "a trace whose --to is not a DNS name",
            resolv.as_bytes().to_vec(),
            Expect {
                kind: Some("resolv-conf".to_string()),
                trace: Some(Trace {
                    from: "10.244.0.20".to_string(),
                    to,
                    exit: 2,
                }),
                ..Expect::default()
            },
        ));
    }
    cases.push(case(
        "trace-through-goto-loop",
        "trace-loop.txt",
        "a trace whose node's rules loop",
        b"*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -g L\nCOMMIT\n"
            .to_vec(),
        Expect {
            kind: Some("iptables-save".to_string()),
            findings: strings(&["chain-loop"]),
            trace: Some(Trace {
                from: "10.244.0.20".to_string(),
                to: "10.96.0.50:80".to_string(),
                exit: 1,
            }),
            ..Expect::default()
        },
    ));

    // --- Size ---
    {
        use dnatlas_core::model::hash;
        let n = 10_000;
        let spn = "default/huge:http";
        let svc = format!("KUBE-SVC-{}", hash::service_hash(spn, "tcp"));
        let ips: Vec<String> = (0..n)
            .map(|i| format!("10.{}.{}.{}", i / 65_536 + 1, i / 256 % 256, i % 256))
            .collect();
        let seps: Vec<String> = ips
            .iter()
            .map(|ip| {
                format!(
                    "KUBE-SEP-{}",
                    hash::endpoint_hash(spn, "tcp", &hash::endpoint_string(ip, 8080))
                )
            })
            .collect();
        let mut dump = format!("*nat\n:KUBE-SERVICES - [0:0]\n:{svc} - [0:0]\n");
        for sep in &seps {
            dump.push_str(&format!(":{sep} - [0:0]\n"));
        }
        dump.push_str(&format!(
            "-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"{spn} cluster IP\" -m tcp --dport 80 -j {svc}\n"
        ));
        for (i, (ip, sep)) in ips.iter().zip(&seps).enumerate() {
            let left = n - i;
            let statistic = if left > 1 {
                format!(
                    " -m statistic --mode random --probability {}",
                    crate::saved_probability(left)
                )
            } else {
                String::new()
            };
            dump.push_str(&format!(
                "-A {svc} -m comment --comment \"{spn} -> {ip}:8080\"{statistic} -j {sep}\n"
            ));
        }
        for (ip, sep) in ips.iter().zip(&seps) {
            dump.push_str(&format!(
                "-A {sep} -p tcp -m comment --comment \"{spn}\" -m tcp -j DNAT --to-destination {ip}:8080\n"
            ));
        }
        dump.push_str("COMMIT\n");
        cases.push(case(
            "service-with-10000-endpoints",
            "huge-service.txt",
            "one Service port with 10,000 endpoints",
            dump.into_bytes(),
            Expect {
                kind: Some("iptables-save".to_string()),
                walk: walk("10.96.5.5", 80, None, None),
                ..Expect::default()
            },
        ));
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_large_named_uniquely_and_deterministic() {
        let cases = catalogue();
        assert!(cases.len() >= 60, "{} cases", cases.len());
        let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "case names repeat");
        let again = catalogue();
        assert!(cases.iter().zip(&again).all(|(a, b)| a.bytes == b.bytes));
        let goto = cases.iter().find(|c| c.name == "goto-self-loop").unwrap();
        assert_eq!(goto.bytes.len(), 78);
        let lies = cases
            .iter()
            .find(|c| c.name == "dns-header-lies-small")
            .unwrap();
        assert!(
            (90_000..100_000).contains(&lies.bytes.len()),
            "{}",
            lies.bytes.len()
        );
        let large = cases
            .iter()
            .find(|c| c.name == "dns-header-lies-large")
            .unwrap();
        assert!(
            (4_000_000..4_500_000).contains(&large.bytes.len()),
            "{}",
            large.bytes.len()
        );
        let bomb = cases.iter().find(|c| c.name == "yaml-alias-bomb").unwrap();
        assert!(bomb.bytes.len() < 1_000, "{}", bomb.bytes.len());
    }

    #[test]
    fn the_capture_headers_are_well_formed_where_they_do_not_lie() {
        let pcap = lying_replies(1);
        // The IPv4 header's checksum verifies.
        let ip = &pcap[24 + 16..24 + 16 + 20];
        assert_eq!(checksum(ip), 0);
    }
}
