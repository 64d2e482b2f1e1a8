//! `iptables -L` listings — what people often paste instead of `iptables-save` — read back into the same
//! [`Ruleset`] model as the `iptables-save` parser, so the Service graph and the netfilter walk work on them
//! unchanged.
//!
//! # What is read
//!
//! `iptables [-t TABLE] -L [-n] [-v] [-x] [--line-numbers]` and `ip6tables -L`, one table or several pasted
//! together: `Chain NAME (policy P [N packets, M bytes])` or `Chain NAME (N references)`, the column header
//! (`[num] [pkts bytes] target prot opt [in out] source destination`), the rules, blank lines between chains.
//! A rule's columns become the basic options in `iptables-save` order (`-s -d -i -o -p -f`, `!` kept, `/32` or
//! `/128` added to a bare address as iptables-save writes it; `anywhere`, `0.0.0.0/0`, `::/0`, `*`, `any` and
//! protocol `all`/`0` mean no option). The text after the addresses is read back into match modules and target
//! options in save form:
//!
//! | listing | model (save form) |
//! |---|---|
//! | `/* c */` | `comment --comment c` |
//! | `tcp dpt:53`, `udp spt:!1024`, `tcp dpts:http:8081`, `tcp flags:0x17/0x02`, `option=8` | `tcp --dport 53`, `udp ! --sport 1024`, `--dport 80:8081`, `--tcp-flags FIN,SYN,RST,ACK SYN`, `--tcp-option 8` |
//! | `multiport dports 80,https`, `multiport dports  !80` | `multiport --dports 80,443`, `! --dports 80` |
//! | `statistic mode random probability 0.33333333349`, `mode nth every 3` | `statistic --mode random --probability …`, `--mode nth --every 3 --packet 0` |
//! | `recent: CHECK seconds: 10800 reap name: X side: source mask: 255.255.255.255` | `recent --rcheck --seconds 10800 --reap --name X --mask 255.255.255.255 --rsource` |
//! | `mark match ! 0x4000/0x4000` | `mark ! --mark 0x4000/0x4000` |
//! | `ADDRTYPE match dst-type LOCAL` | `addrtype --dst-type LOCAL` |
//! | `ctstate RELATED,ESTABLISHED`, `! ctstate NEW`, other `ct…` | `conntrack --ctstate …` (one match for a run) |
//! | `state NEW` | `state --state NEW` |
//! | `nfacct-name  x` | `nfacct --nfacct-name x` |
//! | `PHYSDEV match ! --physdev-is-in` | `physdev ! --physdev-is-in` |
//! | `match-set S src,dst` | `set --match-set S src,dst` |
//! | `icmp echo-request`, `icmptype 8 code 0` | `icmp --icmp-type echo-request`, `--icmp-type 8/0` |
//! | `to:10.244.0.2:53` | DNAT `--to-destination` (SNAT `--to-source`, NETMAP `--to`) |
//! | `redir ports 39551`, `masq ports: 1024-2048` | `--to-ports …` |
//! | `random`, `random-fully`, `persistent` | `--random`, `--random-fully`, `--persistent` |
//! | `MARK and 0xff`, `or V`, `xor V`, `set V`, `xset V/M` | `--set-xmark 0x0/0xffffff00`, `V/V`, `V/0x0`, `V/0xffffffff`, `V/M` |
//! | `reject-with icmp-port-unreachable` | `--reject-with icmp-port-unreachable` |
//! | `[goto]` | the target is a goto (`-g`) |
//!
//! Port names (`-L` without `-n`) are mapped back to numbers with a table (`iptables::values::SERVICES`) of the
//! `/etc/services` names a node prints: Debian's netbase 6.4 names, plus the IANA names RHEL-family `/etc/services` prints for Kubernetes ports
//! (`sun-sr-https` 6443, `pcsync-https` 8443, `etcd-client` 2379, …). `http-alt` is 8080 as on Debian and Ubuntu
//! (RHEL calls 8080 `webcache`, also mapped, and gives `http-alt` to 8008). A name not in the table is kept
//! verbatim (info `service-name`). A host name where an address belongs (`-L` without `-n`) is kept verbatim and
//! cannot be matched (info `host-name`). Text the parser does not recognise is never dropped: it is kept verbatim
//! as the single value of an option with an empty name, in a match with an empty name (or, after an extension
//! target's own text, in the target), with a warning `unknown-text`.
//!
//! # The table
//!
//! A listing does not print its table. It is taken from the last command line before the chains
//! (`$ sudo iptables -t nat -L -n`, `# ip6tables -nvL`, `iptables --table=mangle --list`; `-L` without `-t`
//! lists `filter`). Without one, the chains are split into runs that one `-L` would print — a run ends where a
//! chain name repeats, or a built-in chain (`PREROUTING INPUT FORWARD OUTPUT POSTROUTING`, printed first and in
//! that order) follows a user chain or comes out of order — and each run's table is inferred, with an info
//! diagnostic `no-table` saying why:
//! 1. nat evidence: rules with `DNAT`, `SNAT`, `MASQUERADE`, `REDIRECT` or `NETMAP` targets, and chains named or
//!    jumped to `KUBE-SVC-`, `KUBE-SVL-`, `KUBE-SEP-`, `KUBE-EXT-`, `KUBE-FW-`, `KUBE-XLB-`, `KUBE-MARK-MASQ`,
//!    `KUBE-MARK-DROP`, `KUBE-POSTROUTING`, `KUBE-PORTALS-`, `KUBE-HOSTPORTS`, `KUBE-HP-`;
//! 2. filter evidence: rules with `ACCEPT`, `DROP` or `REJECT` targets, and chains named `FORWARD`,
//!    `KUBE-FIREWALL`, `KUBE-FORWARD`, `KUBE-PROXY-FIREWALL`, `KUBE-EXTERNAL-SERVICES`, `DOCKER-USER`,
//!    `DOCKER-ISOLATION…`;
//! 3. the side with more evidence wins; on a tie, built-in `PREROUTING` or `POSTROUTING` without `FORWARD` means
//!    nat, anything else filter (the table `iptables -L` lists by default).
//!
//! Chains of the same table from several runs are merged; a chain listed twice in one table keeps its first
//! listing (warning `repeated-chain`).
//!
//! # Diagnostics
//!
//! `line-too-long` and `invalid-utf8` as in the save parser; `bad-chain-header`, `unknown-line` (an error between
//! a chain's header and the next blank line, a warning elsewhere: prose around a paste), `rule-outside-chain` (a rule before any `Chain` line; skipped), `no-column-header`
//! (columns guessed), `missing-address` (a source or destination column is empty, e.g. stripped by a blog),
//! `empty-nat-target` (`to:` with nothing after it), `unterminated-comment`, `unknown-text`, `repeated-chain`,
//! `unknown-table`, and the infos `no-table`, `host-name`, `service-name`. Values iptables itself would refuse are
//! errors at the value inside its printed word, as in the save parser (`iptables::values`): `invalid-address`,
//! `invalid-port`, `invalid-protocol`, `invalid-target`, `invalid-probability`, `invalid-mark`. The family is the
//! last `ip6tables`/`iptables` command line's, else the first valid address's.
//!
//! # Sources read
//!
//! The printed forms come from the netfilter iptables sources, read in the `aosp-mirror/platform_external_iptables`
//! mirror (upstream history: 1.8.11 at its head, and commit `9b8cb756` of February 2017, after 1.6.1, for the 1.6
//! forms):
//! - `iptables/iptables.c` `print_firewall`, `print_header` (1.6) and `iptables/xshared.c` `print_header`,
//!   `print_rule_details`, `print_fragment`, `print_ifaces`, `print_ipv4_addresses`, `ipv6_addr_to_string`
//!   (1.8), `iptables/nft-ipv4.c` `nft_ipv4_print_rule`, `iptables/nft-shared.c` `print_matches_and_target`: the
//!   columns (`%-9s` target, an empty one for a rule without target; `!` glued to prot, in, out and addresses;
//!   prot `%-5s` before 1.8.9 so that `ipv6-icmp--` is glued to the opt column; the opt column `--`/`-f`/`!f`,
//!   blank in ip6tables before 1.8; `*` or `any` for no interface; `anywhere` without `-n`; `[goto] `); commits
//!   `ba98dc47` (prot `%-4s `) and `da8ecc62` / its revert `34f085b1` (1.8.9 and 1.8.10 print protocol numbers
//!   with `-n`: `0`, `6`, `17`, `58`).
//! - `libxtables/xtables.c`: `xtables_print_num` (`%5llu`, or `K`/`M`/`G`/`T` without `-x`),
//!   `xtables_ipmask_to_numeric` (no `/32`), `xtables_chain_protos`, `xtables_print_val_mask`,
//!   `xtables_save_string`; `include/xtables.h` `xtables_print_mark_mask`.
//! - `extensions/`: `libxt_comment.c`, `libxt_tcp.c`, `libxt_udp.c`, `libxt_sctp.c`, `libxt_multiport.c`,
//!   `libxt_statistic.c` (`%.11f`), `libxt_recent.c`, `libxt_mark.c`, `libxt_MARK.c` (`mark_tg_print`),
//!   `libxt_addrtype.c`, `libxt_conntrack.c` (`conntrack_dump`, `print_state`, `state_print`), `libxt_nfacct.c`,
//!   `libxt_physdev.c`, `libxt_set.c`, `libipt_icmp.c`, `libipt_REJECT.c`, `libxt_NAT.c` (`__NAT_print`,
//!   1.8.9+) and before it `libipt_DNAT.c`, `libipt_REDIRECT.c`, `libipt_MASQUERADE.c`.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::source::iptables::values::{self, Checked, Family, Place};
use crate::source::iptables::{
    Chain, Counters, Match, Opt, Rule, Ruleset, Table, Target, MAX_LINE_BYTES,
};
use crate::text;

/// How many leading lines detection looks at.
const DETECT_LINES: usize = 4000;

/// Whether `bytes` looks like an `iptables -L` listing: a `Chain NAME (…)` line or a column header line.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    text::lines(bytes).take(DETECT_LINES).any(|line| {
        let content = text::decode(line.bytes).0;
        chain_header(&content).is_some_and(|h| h.well_formed) || column_header(&content).is_some()
    })
}

/// Parses an `iptables -L` listing (one table or several) into the `iptables-save` model.
pub fn parse(bytes: &[u8]) -> Parsed<Ruleset> {
    let mut p = Parser::default();
    for line in text::lines(bytes) {
        if line.bytes.len() > MAX_LINE_BYTES {
            p.diag(
                Severity::Error,
                "line-too-long",
                line.number,
                1,
                format!(
                    "line of {} bytes is longer than the {} bytes read; skipped",
                    line.bytes.len(),
                    MAX_LINE_BYTES
                ),
            );
            continue;
        }
        let (content, bad_column) = text::decode(line.bytes);
        if let Some(column) = bad_column {
            p.diag(
                Severity::Warning,
                "invalid-utf8",
                line.number,
                column,
                "invalid UTF-8; the bad bytes were replaced".to_string(),
            );
        }
        p.line(line.number, &content);
    }
    p.finish()
}

// ---------------------------------------------------------------------------------------------------------------
// Lines

/// A whitespace-separated word of a line with its byte range.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == ' ' || c == '\t' {
            if let Some(s) = start.take() {
                if let Some(text) = line.get(s..i) {
                    out.push(Word {
                        text,
                        start: s,
                        end: i,
                    });
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if let Some(text) = line.get(s..) {
            out.push(Word {
                text,
                start: s,
                end: line.len(),
            });
        }
    }
    out
}

/// `Chain NAME (policy P [N packets, M bytes])`, `Chain NAME (N references)`.
#[derive(Debug)]
struct ChainHeader {
    name: String,
    policy: Option<String>,
    counters: Option<Counters>,
    /// The parenthesised part was read; otherwise the line was cut or mangled after the name.
    well_formed: bool,
}

fn chain_header(line: &str) -> Option<ChainHeader> {
    let rest = line.trim().strip_prefix("Chain ")?.trim_start();
    let (name, tail) = match rest.split_once(char::is_whitespace) {
        Some((name, tail)) => (name, tail.trim()),
        None => (rest, ""),
    };
    if name.is_empty() || name.starts_with('(') {
        return None;
    }
    // Prose that happens to start with "Chain " has no parenthesised part; a cut header may have half of one.
    if !tail.is_empty() && !tail.starts_with('(') {
        return None;
    }
    let mut header = ChainHeader {
        name: name.to_string(),
        policy: None,
        counters: None,
        well_formed: false,
    };
    let Some(inner) = tail.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return Some(header);
    };
    let parts: Vec<&str> = inner.split_whitespace().collect();
    match parts.as_slice() {
        ["policy", policy] => {
            header.policy = Some((*policy).to_string());
            header.well_formed = true;
        }
        ["policy", policy, packets, "packets,", bytes, "bytes"] => {
            header.policy = Some((*policy).to_string());
            if let (Some(Some(packets)), Some(Some(bytes))) = (count(packets), count(bytes)) {
                header.counters = Some(Counters { packets, bytes });
            }
            header.well_formed = true;
        }
        [refs, "references"] => header.well_formed = refs.bytes().all(|b| b.is_ascii_digit()),
        ["ERROR", "obtaining", "refs"] => header.well_formed = true,
        _ => {}
    }
    Some(header)
}

/// Which optional columns a chain's rules have, from its column header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// `--line-numbers`.
    num: bool,
    /// `-v`: `pkts bytes`.
    counts: bool,
    /// `-v`: `in out`; `None` when there was no header and it is guessed per line.
    via: Option<bool>,
}

fn column_header(line: &str) -> Option<Layout> {
    let mut parts = line.split_whitespace().peekable();
    let num = parts.next_if_eq(&"num").is_some();
    let counts = parts.next_if_eq(&"pkts").is_some();
    if counts && parts.next() != Some("bytes") {
        return None;
    }
    for want in ["target", "prot", "opt"] {
        if parts.next() != Some(want) {
            return None;
        }
    }
    let via = parts.next_if_eq(&"in").is_some();
    if via && parts.next() != Some("out") {
        return None;
    }
    if parts.next() != Some("source")
        || parts.next() != Some("destination")
        || parts.next().is_some()
    {
        return None;
    }
    Some(Layout {
        num,
        counts,
        via: Some(via),
    })
}

/// The address family of the iptables binary a command line runs (`ip6tables…` is IPv6).
fn command_family(line: &str) -> Option<Family> {
    line.split_whitespace()
        .map(|w| w.trim_matches(|c| matches!(c, '`' | '"' | '\'' | '(' | ')')))
        .find_map(Family::of_tool)
}

/// The table named by an `iptables … -L …` command line (`filter` when it names none).
fn command_table(line: &str) -> Option<String> {
    // A rule's comment may mention a command; a command line has no comment.
    let line = line.split("/*").next().unwrap_or(line);
    let parts: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c| matches!(c, '`' | '"' | '\'' | '(' | ')')))
        .collect();
    let binary = parts.iter().position(|w| {
        matches!(
            w.rsplit('/').next().unwrap_or(w),
            "iptables"
                | "ip6tables"
                | "iptables-legacy"
                | "ip6tables-legacy"
                | "iptables-nft"
                | "ip6tables-nft"
        )
    })?;
    let mut list = false;
    let mut table: Option<&str> = None;
    let mut rest = parts.iter().skip(binary + 1);
    while let Some(&word) = rest.next() {
        if word.starts_with('|') || word.starts_with(';') || word.starts_with('&') || word == ">" {
            break;
        }
        if word == "--list" || word.starts_with("--list=") {
            list = true;
        } else if word == "--table" {
            table = rest.next().copied();
        } else if let Some(t) = word.strip_prefix("--table=") {
            table = Some(t);
        } else if word.starts_with("--") {
            continue;
        } else if let Some(group) = word.strip_prefix('-') {
            // Short options grouped as getopt reads them: `-nvL`, `-tnat`, `-nt nat`.
            for (k, c) in group.char_indices() {
                match c {
                    'L' => list = true,
                    't' => {
                        let attached = group.get(k + 1..).unwrap_or_default();
                        table = if attached.is_empty() {
                            rest.next().copied()
                        } else {
                            Some(attached)
                        };
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    let table = table.unwrap_or("filter");
    (list && !table.is_empty()).then(|| table.to_string())
}

// ---------------------------------------------------------------------------------------------------------------
// Columns

/// A counter column: `Some(Some(n))` exact, `Some(None)` rounded (`12K`), `None` not a counter.
fn count(text: &str) -> Option<Option<u64>> {
    let digits = text.trim_end_matches(['K', 'M', 'G', 'T']);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || text.len() > digits.len() + 1
    {
        return None;
    }
    Some(if digits.len() == text.len() {
        text.parse().ok()
    } else {
        None
    })
}

/// The opt column: `--`, `-f`, `!f` (`!-` for a negated flag that is not set).
fn opt_word(text: &str) -> Option<Option<bool>> {
    let mut chars = text.chars();
    let (Some(inv), Some(frag), None) = (chars.next(), chars.next(), chars.next()) else {
        return None;
    };
    if !matches!(inv, '-' | '!') || !matches!(frag, '-' | 'f') {
        return None;
    }
    Some((frag == 'f').then_some(inv == '!'))
}

/// Protocol names `iptables -L` prints: `xtables_chain_protos`, and `/etc/protocols` names of `-L` without `-n`.
const PROTOCOLS: [&str; 28] = [
    "all",
    "tcp",
    "udp",
    "udplite",
    "icmp",
    "icmpv6",
    "ipv6-icmp",
    "esp",
    "ah",
    "sctp",
    "mh",
    "ipv6-mh",
    "mobility-header",
    "dccp",
    "ipcomp",
    "gre",
    "igmp",
    "ipip",
    "ipencap",
    "ipv6",
    "ospf",
    "vrrp",
    "pim",
    "l2tp",
    "rsvp",
    "egp",
    "encap",
    "etherip",
];

/// `xtables_chain_protos` by number, for 1.8.9 and 1.8.10, which print numbers with `-n`.
fn protocol_name(number: u8) -> Option<&'static str> {
    Some(match number {
        6 => "tcp",
        132 => "sctp",
        17 => "udp",
        136 => "udplite",
        1 => "icmp",
        58 => "ipv6-icmp",
        50 => "esp",
        51 => "ah",
        135 => "mobility-header",
        33 => "dccp",
        108 => "ipcomp",
        0 => "all",
        _ => return None,
    })
}

/// The prot column: `[!]name` or `[!]number`, possibly glued to the opt column (`ipv6-icmp--`, before 1.8.9).
#[derive(Debug, Clone, Copy)]
struct Proto<'a> {
    negated: bool,
    name: &'a str,
    glued_opt: Option<&'a str>,
}

fn proto_word(text: &str) -> Option<Proto<'_>> {
    let (negated, body) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let known = |t: &str| PROTOCOLS.contains(&t) || t.parse::<u8>().is_ok();
    if known(body) {
        return Some(Proto {
            negated,
            name: body,
            glued_opt: None,
        });
    }
    let split = body.len().checked_sub(2)?;
    let (name, opt) = (body.get(..split)?, body.get(split..)?);
    (known(name) && opt_word(opt).is_some()).then_some(Proto {
        negated,
        name,
        glued_opt: Some(opt),
    })
}

fn address_like(text: &str) -> bool {
    let t = text.trim_start_matches('!');
    t == "anywhere" || t.contains('/') || t.parse::<std::net::IpAddr>().is_ok()
}

/// Guesses the optional columns of a rule line when no column header was seen.
fn guess_layout(ws: &[Word<'_>]) -> Layout {
    let mut n = ws.iter().take_while(|w| count(w.text).is_some()).count();
    // The last number is a numeric protocol when the opt column follows it.
    if n > 0 && ws.get(n).is_some_and(|w| opt_word(w.text).is_some()) {
        n -= 1;
    }
    Layout {
        num: n == 1 || n >= 3,
        counts: n >= 2,
        via: None,
    }
}

/// Whether the words from `i` are `in out source …` rather than `source destination …`.
fn guess_via(ws: &[Word<'_>], i: usize) -> bool {
    let (Some(a), Some(b), Some(c)) = (ws.get(i), ws.get(i + 1), ws.get(i + 2)) else {
        return false;
    };
    !address_like(a.text)
        && !address_like(b.text)
        && address_like(c.text)
        && !starts_construct(ws, i)
        && !starts_construct(ws, i + 1)
}

// ---------------------------------------------------------------------------------------------------------------
// Match and target text

/// Conntrack keywords as `conntrack_dump` prints them (`state` is the `-m state` alias, read as its own match).
const CT_KEYWORDS: [&str; 13] = [
    "ctstate",
    "ctproto",
    "ctorigsrc",
    "ctorigdst",
    "ctreplsrc",
    "ctrepldst",
    "ctorigsrcport",
    "ctorigdstport",
    "ctreplsrcport",
    "ctrepldstport",
    "ctstatus",
    "ctexpire",
    "ctdir",
];

/// Targets whose own text follows the matches; unrecognised text at the end of their rules is theirs.
const EXTENSION_TARGETS: [&str; 36] = [
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "NETMAP",
    "MARK",
    "REJECT",
    "LOG",
    "NFLOG",
    "ULOG",
    "CONNMARK",
    "CT",
    "NOTRACK",
    "TRACE",
    "TPROXY",
    "TCPMSS",
    "TOS",
    "TTL",
    "HL",
    "DSCP",
    "CLASSIFY",
    "CHECKSUM",
    "AUDIT",
    "NFQUEUE",
    "SET",
    "SECMARK",
    "CONNSECMARK",
    "IDLETIMER",
    "LED",
    "HMARK",
    "SYNPROXY",
    "TEE",
    "RATEEST",
    "CLUSTERIP",
    "ECN",
    "TCPOPTSTRIP",
];

fn is_mark_op(text: &str) -> bool {
    matches!(text, "and" | "or" | "xor" | "set" | "xset")
}

/// Constructs a `!` word can negate (the others glue `!` to their value).
fn negatable(ws: &[Word<'_>], i: usize) -> bool {
    ws.get(i).is_some_and(|w| {
        matches!(w.text, "recent:" | "state" | "match-set") || CT_KEYWORDS.contains(&w.text)
    })
}

/// Whether a recognised match or target text starts at word `i`.
fn starts_construct(ws: &[Word<'_>], i: usize) -> bool {
    let Some(w) = ws.get(i) else {
        return false;
    };
    let next = ws.get(i + 1).map(|w| w.text);
    match w.text {
        "/*" | "[goto]" | "tcp" | "udp" | "udplite" | "sctp" | "dccp" | "icmp" | "icmptype"
        | "multiport" | "statistic" | "recent:" | "state" | "nfacct-name" | "match-set"
        | "reject-with" | "random" | "random-fully" | "persistent" => true,
        "mark" | "ADDRTYPE" | "PHYSDEV" => next == Some("match"),
        "MARK" => next == Some("match") || next.is_some_and(is_mark_op),
        "redir" => next == Some("ports"),
        "masq" => next == Some("ports:"),
        "!" => negatable(ws, i + 1),
        t => CT_KEYWORDS.contains(&t) || t.starts_with("to:"),
    }
}

fn opt(name: &str, negated: bool, values: Vec<String>) -> Opt {
    Opt {
        name: name.to_string(),
        negated,
        values,
    }
}

fn flag(name: &str) -> Opt {
    opt(name, false, Vec::new())
}

/// Reads a rule's text after the addresses: match modules, the goto flag and target options.
struct Tail<'a, 'w> {
    line: &'a str,
    ws: &'w [Word<'a>],
    i: usize,
    number: u32,
    target: Option<&'a str>,
    matches: Vec<Match>,
    target_opts: Vec<Opt>,
    goto: bool,
    diagnostics: Vec<Diagnostic>,
    /// The listing's address family (see [`Parser::family`]).
    family: Option<Family>,
}

impl<'a> Tail<'a, '_> {
    fn peek(&self, k: usize) -> Option<&'a str> {
        self.ws.get(self.i + k).map(|w| w.text)
    }

    fn column(&self, k: usize) -> u32 {
        let offset = self.ws.get(self.i + k).map_or(self.line.len(), |w| w.start);
        text::column_of(self.line, offset)
    }

    fn diag(&mut self, severity: Severity, code: &str, column: u32, message: String) {
        self.diagnostics.push(Diagnostic::new(
            severity,
            code,
            self.number,
            column,
            message,
        ));
    }

    /// Checks the value of a save-form option read from the word `k` after the cursor, whose text ends with
    /// `value` (so the value's column is found in the word).
    fn check(&mut self, k: usize, place: Place<'_>, option: &str, value: &str) {
        let Some(word) = self.ws.get(self.i + k).copied() else {
            return;
        };
        let offset = word.end.saturating_sub(value.len()).max(word.start);
        let column = text::column_of(self.line, offset);
        check_value(
            &mut self.diagnostics,
            self.number,
            column,
            (place, option, value),
            &mut self.family,
        );
    }

    fn run(&mut self) {
        while self.i < self.ws.len() {
            let negated = self.peek(0) == Some("!") && negatable(self.ws, self.i + 1);
            if negated {
                self.i += 1;
            }
            if !self.construct(negated) {
                self.unknown();
            }
        }
    }

    /// Reads one recognised construct at the cursor; `false` (nothing consumed) when there is none.
    fn construct(&mut self, negated: bool) -> bool {
        let Some(word) = self.peek(0) else {
            return false;
        };
        let next = self.peek(1);
        match word {
            "[goto]" => {
                self.goto = true;
                self.i += 1;
            }
            "/*" => self.comment(),
            "tcp" | "udp" | "udplite" | "sctp" | "dccp" => self.ports(word),
            "icmp" | "icmptype" => self.icmp(),
            "multiport" => self.multiport(),
            "statistic" => self.statistic(),
            "recent:" => self.recent(negated),
            "state" => {
                self.i += 1;
                let values = self.take_value().into_iter().collect();
                self.matches.push(Match {
                    name: "state".to_string(),
                    options: vec![opt("--state", negated, values)],
                });
            }
            "nfacct-name" => self.nfacct(),
            "match-set" => self.set(negated),
            "mark" | "MARK" if next == Some("match") => {
                self.i += 2;
                let negated = self.peek(0) == Some("!");
                if negated {
                    self.i += 1;
                }
                if let Some(value) = self.peek(0).filter(|_| !starts_construct(self.ws, self.i)) {
                    self.check(0, Place::Match("mark"), "--mark", value);
                }
                let values = self.take_value().into_iter().collect();
                self.matches.push(Match {
                    name: "mark".to_string(),
                    options: vec![opt("--mark", negated, values)],
                });
            }
            "MARK" if next.is_some_and(is_mark_op) => return self.mark_target(),
            "ADDRTYPE" if next == Some("match") => self.addrtype(),
            "PHYSDEV" if next == Some("match") => self.physdev(),
            "redir" if next == Some("ports") => {
                self.i += 2;
                self.nat_ports("REDIRECT");
            }
            "masq" if next == Some("ports:") => {
                self.i += 2;
                self.nat_ports("MASQUERADE");
            }
            "random" | "random-fully" | "persistent" => {
                self.i += 1;
                self.target_opts.push(flag(&format!("--{word}")));
            }
            "reject-with" => {
                self.i += 1;
                let values = self.take_value().into_iter().collect();
                self.target_opts.push(opt("--reject-with", false, values));
            }
            t if CT_KEYWORDS.contains(&t) => self.conntrack(negated),
            t => {
                let Some(to) = t.strip_prefix("to:") else {
                    return false;
                };
                let name = match self.target {
                    Some("SNAT") => "--to-source",
                    Some("NETMAP") => "--to",
                    _ => "--to-destination",
                };
                if to.is_empty() {
                    let column = self.column(0);
                    self.diag(
                        Severity::Warning,
                        "empty-nat-target",
                        column,
                        "\"to:\" names no address (was it removed when the listing was copied?); the rule keeps an empty option"
                            .to_string(),
                    );
                }
                let values = if to.is_empty() {
                    Vec::new()
                } else {
                    let target = if name == "--to-source" {
                        "SNAT"
                    } else {
                        "DNAT"
                    };
                    if name != "--to" {
                        self.check(0, Place::Target(target), name, to);
                    }
                    vec![to.to_string()]
                };
                self.target_opts.push(opt(name, false, values));
                self.i += 1;
            }
        }
        true
    }

    /// `redir ports P` / `masq ports: P`: `--to-ports` of `target`.
    fn nat_ports(&mut self, target: &str) {
        if let Some(value) = self.peek(0).filter(|_| !starts_construct(self.ws, self.i)) {
            self.check(0, Place::Target(target), "--to-ports", value);
        }
        let values = self.take_value().into_iter().collect();
        self.target_opts.push(opt("--to-ports", false, values));
    }

    /// The next word as a value, unless it starts another construct.
    fn take_value(&mut self) -> Option<String> {
        let word = self.peek(0)?;
        if starts_construct(self.ws, self.i) {
            return None;
        }
        self.i += 1;
        Some(word.to_string())
    }

    fn comment(&mut self) {
        let Some(open) = self.ws.get(self.i).copied() else {
            return;
        };
        let close =
            (self.i + 1..self.ws.len()).find(|&j| self.ws.get(j).is_some_and(|w| w.text == "*/"));
        let text = match close.and_then(|j| self.ws.get(j)) {
            Some(close) => {
                // `printf(" /* %s */")`: the comment is what lies between the single spaces.
                let (a, b) = (open.end + 1, close.start.saturating_sub(1));
                if a <= b {
                    self.line.get(a..b).unwrap_or_default()
                } else {
                    ""
                }
            }
            None => {
                let column = self.column(0);
                self.diag(
                    Severity::Warning,
                    "unterminated-comment",
                    column,
                    "\"/*\" without \"*/\" (a cut line?); the rest of the line is read as the comment"
                        .to_string(),
                );
                self.line
                    .get(open.end..)
                    .unwrap_or_default()
                    .strip_prefix(' ')
                    .unwrap_or_default()
                    .trim_end()
            }
        };
        self.matches.push(Match {
            name: "comment".to_string(),
            options: vec![opt("--comment", false, vec![text.to_string()])],
        });
        self.i = close.map_or(self.ws.len(), |j| j + 1);
    }

    /// Replaces port names by numbers in a port, a `a:b` range or a `,` list.
    fn port_numbers(&mut self, text: &str, column: u32) -> String {
        let mut unknown = Vec::new();
        let out = text
            .split(',')
            .map(|item| {
                item.split(':')
                    .map(|p| {
                        if p.is_empty() || p.bytes().all(|b| b.is_ascii_digit()) {
                            p.to_string()
                        } else if let Some(n) = values::service_port(p) {
                            n.to_string()
                        } else {
                            unknown.push(p.to_string());
                            p.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .collect::<Vec<_>>()
            .join(",");
        for name in unknown {
            self.diag(
                Severity::Info,
                "service-name",
                column,
                format!("port name {name:?} is not in the table of service names; kept as written"),
            );
        }
        out
    }

    fn ports(&mut self, proto: &str) {
        self.i += 1;
        let mut m = Match {
            name: proto.to_string(),
            options: Vec::new(),
        };
        while let Some(word) = self.peek(0) {
            let column = self.column(0);
            let (name, value) = if let Some(v) = word
                .strip_prefix("spts:")
                .or_else(|| word.strip_prefix("spt:"))
            {
                ("--sport", v)
            } else if let Some(v) = word
                .strip_prefix("dpts:")
                .or_else(|| word.strip_prefix("dpt:"))
            {
                ("--dport", v)
            } else if let Some(v) = word.strip_prefix("option=") {
                let (negated, v) = bang(v);
                m.options
                    .push(opt("--tcp-option", negated, vec![v.to_string()]));
                self.i += 1;
                continue;
            } else if let Some(v) = word.strip_prefix("flags:") {
                let (negated, v) = bang(v);
                let (mask, comp) = v.split_once('/').unwrap_or((v, ""));
                m.options.push(opt(
                    "--tcp-flags",
                    negated,
                    vec![tcp_flags(mask), tcp_flags(comp)],
                ));
                self.i += 1;
                continue;
            } else {
                break;
            };
            let (negated, value) = bang(value);
            let known = self.diagnostics.len();
            let numbers = self.port_numbers(value, column);
            // A name the table does not know is reported as such (the node's /etc/services may have it).
            if self.diagnostics.len() == known {
                self.check(0, Place::Match(proto), name, value);
            }
            m.options.push(opt(name, negated, vec![numbers]));
            self.i += 1;
        }
        self.matches.push(m);
    }

    fn icmp(&mut self) {
        let mut numeric = self.peek(0) == Some("icmptype");
        self.i += 1;
        let mut negated = false;
        if !numeric {
            match self.peek(0) {
                Some("!type") => {
                    negated = true;
                    numeric = true;
                    self.i += 1;
                }
                Some(name) if !starts_construct(self.ws, self.i) => {
                    let (neg, name) = bang(name);
                    self.i += 1;
                    self.matches.push(Match {
                        name: "icmp".to_string(),
                        options: vec![opt("--icmp-type", neg, vec![name.to_string()])],
                    });
                    return;
                }
                _ => {}
            }
        }
        let mut value = String::new();
        if numeric {
            if let Some(t) = self
                .peek(0)
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            {
                value = t.to_string();
                self.i += 1;
                match (self.peek(0), self.peek(1)) {
                    (Some("code"), Some(c)) => {
                        value = format!("{value}/{c}");
                        self.i += 2;
                    }
                    (Some("codes"), Some(_)) => self.i += 2,
                    _ => {}
                }
            }
        }
        let options = if value.is_empty() {
            Vec::new()
        } else {
            vec![opt("--icmp-type", negated, vec![value])]
        };
        self.matches.push(Match {
            name: "icmp".to_string(),
            options,
        });
    }

    fn multiport(&mut self) {
        self.i += 1;
        let mut m = Match {
            name: "multiport".to_string(),
            options: Vec::new(),
        };
        let name = match self.peek(0) {
            Some("dports") => Some("--dports"),
            Some("sports") => Some("--sports"),
            Some("ports") => Some("--ports"),
            _ => None,
        };
        if let Some(name) = name {
            self.i += 1;
            let column = self.column(0);
            if let Some(list) = self.take_value() {
                let (negated, list) = bang(&list);
                let known = self.diagnostics.len();
                let numbers = self.port_numbers(list, column);
                if self.diagnostics.len() == known {
                    self.i -= 1;
                    self.check(0, Place::Match("multiport"), name, list);
                    self.i += 1;
                }
                m.options.push(opt(name, negated, vec![numbers]));
            }
        }
        self.matches.push(m);
    }

    fn statistic(&mut self) {
        self.i += 1;
        let mut m = Match {
            name: "statistic".to_string(),
            options: Vec::new(),
        };
        if self.peek(0) == Some("mode") {
            let mode = self.peek(1).unwrap_or_default();
            self.i += 2;
            m.options.push(opt("--mode", false, vec![mode.to_string()]));
            let negated = self.peek(0) == Some("!");
            if negated {
                self.i += 1;
            }
            let (key, name) = if mode == "nth" {
                ("every", "--every")
            } else {
                ("probability", "--probability")
            };
            if let (Some(k), Some(v)) = (self.peek(0), self.peek(1)) {
                if k == key {
                    self.check(1, Place::Match("statistic"), name, v);
                    m.options.push(opt(name, negated, vec![v.to_string()]));
                    self.i += 2;
                }
            }
            if mode == "nth" {
                // `--packet` is always saved, and printed only when it is not 0.
                let packet = match (self.peek(0), self.peek(1)) {
                    (Some("packet"), Some(p)) => {
                        self.i += 2;
                        p.to_string()
                    }
                    _ => "0".to_string(),
                };
                m.options.push(opt("--packet", false, vec![packet]));
            }
        }
        self.matches.push(m);
    }

    fn recent(&mut self, negated: bool) {
        self.i += 1;
        let mut flags: Vec<&str> = Vec::new();
        let (mut seconds, mut hit_count, mut name, mut mask, mut side) =
            (None, None, None, None, None);
        let (mut reap, mut ttl) = (false, false);
        while let Some(word) = self.peek(0) {
            let value = self.peek(1);
            match word {
                "SET" => flags.push("--set"),
                "CHECK" => flags.push("--rcheck"),
                "UPDATE" => flags.push("--update"),
                "REMOVE" => flags.push("--remove"),
                "reap" => reap = true,
                "TTL-Match" => ttl = true,
                "seconds:" | "hit_count:" | "name:" | "side:" | "mask:" if value.is_some() => {
                    let slot = match word {
                        "seconds:" => &mut seconds,
                        "hit_count:" => &mut hit_count,
                        "name:" => &mut name,
                        "side:" => &mut side,
                        _ => &mut mask,
                    };
                    *slot = value;
                    self.i += 1;
                }
                _ => break,
            }
            self.i += 1;
        }
        // `recent_save` order, with the `!` before the first option.
        let mut options: Vec<Opt> = flags.into_iter().map(flag).collect();
        let valued = |o: &str, v: &str| opt(o, false, vec![v.to_string()]);
        if let Some(v) = seconds {
            options.push(valued("--seconds", v));
        }
        if reap {
            options.push(flag("--reap"));
        }
        if let Some(v) = hit_count {
            options.push(valued("--hitcount", v));
        }
        if ttl {
            options.push(flag("--rttl"));
        }
        if let Some(v) = name {
            options.push(valued("--name", v));
        }
        if let Some(v) = mask {
            options.push(valued("--mask", v));
        }
        match side {
            Some("source") => options.push(flag("--rsource")),
            Some("dest") => options.push(flag("--rdest")),
            _ => {}
        }
        if let Some(first) = options.first_mut() {
            first.negated = negated;
        }
        self.matches.push(Match {
            name: "recent".to_string(),
            options,
        });
    }

    fn nfacct(&mut self) {
        self.i += 1;
        let value = match self.ws.get(self.i).copied() {
            Some(w) if w.text.starts_with('"') => {
                let (value, end) = quoted(self.line, w.start);
                while self.ws.get(self.i).is_some_and(|w| w.start < end) {
                    self.i += 1;
                }
                Some(value)
            }
            Some(w) => {
                self.i += 1;
                Some(w.text.to_string())
            }
            None => None,
        };
        self.matches.push(Match {
            name: "nfacct".to_string(),
            options: vec![opt("--nfacct-name", false, value.into_iter().collect())],
        });
    }

    fn set(&mut self, negated: bool) {
        self.i += 1;
        let mut values = Vec::new();
        for _ in 0..2 {
            if let Some(v) = self.take_value() {
                values.push(v);
            }
        }
        let mut options = vec![opt("--match-set", negated, values)];
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some("return-nomatch"), _) => {
                    options.push(flag("--return-nomatch"));
                    self.i += 1;
                }
                (Some("!"), Some(f @ ("update-counters" | "update-subcounters"))) => {
                    options.push(opt(&format!("--{f}"), true, Vec::new()));
                    self.i += 2;
                }
                _ => break,
            }
        }
        self.matches.push(Match {
            name: "set".to_string(),
            options,
        });
    }

    fn conntrack(&mut self, negated: bool) {
        let mut m = Match {
            name: "conntrack".to_string(),
            options: Vec::new(),
        };
        let mut negated = negated;
        loop {
            match self.peek(0) {
                Some("!") if self.peek(1).is_some_and(|t| CT_KEYWORDS.contains(&t)) => {
                    negated = true;
                    self.i += 1;
                }
                Some(key) if CT_KEYWORDS.contains(&key) => {
                    self.i += 1;
                    let values = self.take_value().into_iter().collect();
                    m.options.push(opt(&format!("--{key}"), negated, values));
                    negated = false;
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    fn addrtype(&mut self) {
        self.i += 2;
        let mut m = Match {
            name: "addrtype".to_string(),
            options: Vec::new(),
        };
        while let Some(word) = self.peek(0) {
            match word {
                "src-type" | "dst-type" => {
                    self.i += 1;
                    if let Some(v) = self.take_value() {
                        let (negated, v) = bang(&v);
                        m.options
                            .push(opt(&format!("--{word}"), negated, vec![v.to_string()]));
                    }
                }
                "limit-in" => {
                    m.options.push(flag("--limit-iface-in"));
                    self.i += 1;
                }
                "limit-out" => {
                    m.options.push(flag("--limit-iface-out"));
                    self.i += 1;
                }
                // Revision 0 printed `dst-type` without a space: `dst-typeLOCAL`.
                w if w.len() > 8 && (w.starts_with("src-type") || w.starts_with("dst-type")) => {
                    let (key, v) = w.split_at(8);
                    let (negated, v) = bang(v);
                    m.options
                        .push(opt(&format!("--{key}"), negated, vec![v.to_string()]));
                    self.i += 1;
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    fn physdev(&mut self) {
        self.i += 2;
        let mut m = Match {
            name: "physdev".to_string(),
            options: Vec::new(),
        };
        loop {
            let negated = self.peek(0) == Some("!");
            let k = usize::from(negated);
            match self.peek(k) {
                Some(f @ ("--physdev-is-in" | "--physdev-is-out" | "--physdev-is-bridged")) => {
                    m.options.push(opt(f, negated, Vec::new()));
                    self.i += k + 1;
                }
                Some(f @ ("--physdev-in" | "--physdev-out")) => {
                    let values = self
                        .peek(k + 1)
                        .map(str::to_string)
                        .into_iter()
                        .collect::<Vec<_>>();
                    self.i += k + 1 + values.len();
                    m.options.push(opt(f, negated, values));
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    /// `mark_tg_print` (MARK revision 2) back to the `--set-xmark value/mask` that `mark_tg_save` prints.
    fn mark_target(&mut self) -> bool {
        let (Some(op), Some(value)) = (self.peek(1), self.peek(2)) else {
            return false;
        };
        let (v, m) = value.split_once('/').unwrap_or((value, ""));
        let (Some(v), m) = (hex(v), hex(m)) else {
            return false;
        };
        let xmark = match (op, m) {
            ("and", None) => (0, !v),
            ("or", None) => (v, v),
            ("xor", None) => (v, 0),
            ("set", None) => (v, u32::MAX),
            ("xset", Some(m)) => (v, m),
            _ => return false,
        };
        self.i += 3;
        self.target_opts.push(opt(
            "--set-xmark",
            false,
            vec![format!("{:#x}/{:#x}", xmark.0, xmark.1)],
        ));
        true
    }

    /// Keeps words that no construct claims, verbatim, up to the next construct.
    fn unknown(&mut self) {
        let first = self.i;
        self.i += 1;
        while self.i < self.ws.len() && !starts_construct(self.ws, self.i) {
            self.i += 1;
        }
        let (Some(a), Some(b)) = (self.ws.get(first), self.ws.get(self.i - 1)) else {
            return;
        };
        let text = self
            .line
            .get(a.start..b.end)
            .unwrap_or_default()
            .to_string();
        let column = text::column_of(self.line, a.start);
        self.diag(
            Severity::Warning,
            "unknown-text",
            column,
            format!(
                "{:?} is not a match or target text this parser knows; kept verbatim",
                shorten(&text)
            ),
        );
        let verbatim = opt("", false, vec![text]);
        let extension = self.target.is_some_and(|t| EXTENSION_TARGETS.contains(&t));
        if extension && (self.i >= self.ws.len() || !self.target_opts.is_empty()) {
            self.target_opts.push(verbatim);
        } else {
            self.matches.push(Match {
                name: String::new(),
                options: vec![verbatim],
            });
        }
    }
}

fn bang(text: &str) -> (bool, &str) {
    match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

fn hex(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// TCP flags in `print_tcpf` names; the numeric form (`0x17`) of `-n` is turned into names as save prints them.
fn tcp_flags(text: &str) -> String {
    let Some(bits) = hex(text) else {
        return text.to_string();
    };
    const NAMES: [(&str, u32); 8] = [
        ("FIN", 0x01),
        ("SYN", 0x02),
        ("RST", 0x04),
        ("PSH", 0x08),
        ("ACK", 0x10),
        ("URG", 0x20),
        ("ECE", 0x40),
        ("CWR", 0x80),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(_, bit)| bits & bit != 0)
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "NONE".to_string()
    } else {
        names.join(",")
    }
}

/// A double-quoted string as `xtables_save_string` writes it, from byte `start` (the quote): its value and the
/// offset after it.
fn quoted(line: &str, start: usize) -> (String, usize) {
    let mut value = String::new();
    let mut chars = line.get(start..).unwrap_or_default().char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    value.push(e);
                }
            }
            '"' => return (value, start + i + 1),
            c => value.push(c),
        }
    }
    (value, line.len())
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        let mut s: String = text.chars().take(40).collect();
        s.push('…');
        s
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses and interfaces

/// A source or destination column as the basic option iptables-save would print, or `None` for any address; and
/// whether it is a host name (`-L` without `-n`). Text that is neither an address nor a name is kept as written,
/// for the value check to report.
fn address(name: &str, text: &str, family: Option<Family>) -> (Option<Opt>, bool) {
    let (negated, body) = bang(text);
    let any = matches!(body, "anywhere" | "0.0.0.0/0" | "::/0");
    if any {
        let value = match (body, family) {
            ("anywhere", Some(Family::V6)) => "::/0",
            ("anywhere", _) => "0.0.0.0/0",
            _ => body,
        };
        return (
            negated.then(|| opt(name, true, vec![value.to_string()])),
            false,
        );
    }
    let (host, mask) = match body.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (body, None),
    };
    let value = if host.parse::<Ipv4Addr>().is_ok() {
        mask.map_or_else(|| format!("{host}/32"), |_| body.to_string())
    } else if host.parse::<Ipv6Addr>().is_ok() {
        mask.map_or_else(|| format!("{host}/128"), |_| body.to_string())
    } else {
        return (
            Some(opt(name, negated, vec![body.to_string()])),
            host_name(body),
        );
    };
    (Some(opt(name, negated, vec![value])), false)
}

/// Whether `text` reads as a host name: letters, digits, dots, hyphens and underscores, with a letter somewhere
/// (`10.0.0.300` is a broken address, not a name).
fn host_name(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Checks a value as iptables would before loading its rule (`values::check`): an invalid one is an error
/// diagnostic at `column`; a valid address fixes the listing's family when it is not known yet.
fn check_value(
    out: &mut Vec<Diagnostic>,
    number: u32,
    column: u32,
    (place, option, value): (Place<'_>, &str, &str),
    family: &mut Option<Family>,
) {
    match values::check(place, option, value, *family) {
        Checked::Unchecked => {}
        Checked::Valid(found) => {
            if family.is_none() {
                *family = found;
            }
        }
        Checked::Invalid(invalid) => out.push(Diagnostic::new(
            Severity::Error,
            invalid.code,
            number,
            column,
            invalid.message(option, value, matches!(place, Place::Target(_))),
        )),
    }
}

fn interface(name: &str, text: &str) -> Option<Opt> {
    let (negated, body) = bang(text);
    if matches!(body, "*" | "any" | "") {
        return None;
    }
    Some(opt(name, negated, vec![body.to_string()]))
}

// ---------------------------------------------------------------------------------------------------------------
// The parser

/// A chain as listed, before its table is known.
#[derive(Debug)]
struct Listed {
    name: String,
    policy: Option<String>,
    counters: Option<Counters>,
    line: u32,
    rules: Vec<Rule>,
}

/// Chains that one `-L` printed: one table.
#[derive(Debug, Default)]
struct Run {
    /// The table named by a command line, and that line.
    table: Option<(String, u32)>,
    chains: Vec<Listed>,
}

const BUILTIN: [&str; 5] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

impl Run {
    /// Whether chain `name` cannot belong to this run's `-L` output.
    fn ends_before(&self, name: &str) -> bool {
        if self.chains.iter().any(|c| c.name == name) {
            return true;
        }
        if self.table.is_some() {
            return false;
        }
        let Some(order) = BUILTIN.iter().position(|b| *b == name) else {
            return false;
        };
        self.chains.iter().any(|c| {
            BUILTIN
                .iter()
                .position(|b| *b == c.name)
                .is_none_or(|o| o >= order)
        })
    }

    /// The table of a run without a command line, and why (see the module documentation).
    fn infer(&self) -> (&'static str, String) {
        const NAT_PREFIXES: [&str; 12] = [
            "KUBE-SVC-",
            "KUBE-SVL-",
            "KUBE-SEP-",
            "KUBE-EXT-",
            "KUBE-FW-",
            "KUBE-XLB-",
            "KUBE-MARK-MASQ",
            "KUBE-MARK-DROP",
            "KUBE-POSTROUTING",
            "KUBE-PORTALS-",
            "KUBE-HOSTPORTS",
            "KUBE-HP-",
        ];
        const FILTER_CHAINS: [&str; 7] = [
            "FORWARD",
            "KUBE-FIREWALL",
            "KUBE-FORWARD",
            "KUBE-PROXY-FIREWALL",
            "KUBE-EXTERNAL-SERVICES",
            "DOCKER-USER",
            "DOCKER-ISOLATION",
        ];
        let nat_name = |n: &str| NAT_PREFIXES.iter().any(|p| n.starts_with(p));
        let (mut nat, mut filter) = (0usize, 0usize);
        let (mut nat_why, mut filter_why) = (None, None);
        for chain in &self.chains {
            if nat_name(&chain.name) {
                nat += 1;
                nat_why.get_or_insert_with(|| format!("chain {:?}", chain.name));
            }
            if FILTER_CHAINS.iter().any(|f| chain.name.starts_with(f)) {
                filter += 1;
                filter_why.get_or_insert_with(|| format!("chain {:?}", chain.name));
            }
            for rule in &chain.rules {
                let Some(target) = rule.target_name() else {
                    continue;
                };
                let why = || format!("{} in chain {:?} (line {})", target, chain.name, rule.line);
                if matches!(
                    target,
                    "DNAT" | "SNAT" | "MASQUERADE" | "REDIRECT" | "NETMAP"
                ) || nat_name(target)
                {
                    nat += 1;
                    nat_why.get_or_insert_with(why);
                } else if matches!(target, "ACCEPT" | "DROP" | "REJECT") {
                    filter += 1;
                    filter_why.get_or_insert_with(why);
                }
            }
        }
        let has = |b: &str| self.chains.iter().any(|c| c.name == b);
        if nat > filter {
            ("nat", nat_why.unwrap_or_default())
        } else if filter > nat {
            ("filter", filter_why.unwrap_or_default())
        } else if (has("PREROUTING") || has("POSTROUTING")) && !has("FORWARD") {
            (
                "nat",
                "built-in chains PREROUTING/POSTROUTING without FORWARD".to_string(),
            )
        } else {
            (
                "filter",
                "nothing names another table; `iptables -L` lists filter".to_string(),
            )
        }
    }
}

#[derive(Debug, Default)]
struct Parser {
    diagnostics: Vec<Diagnostic>,
    runs: Vec<Run>,
    /// Whether the last `Chain` line still takes rules (a command line closes it).
    chain_open: bool,
    /// The columns of the open chain, from its column header.
    layout: Option<Layout>,
    /// `no-column-header` was reported for the open chain.
    guessed: bool,
    /// A blank line came after the last `Chain` line: `-L` prints none inside a chain, so what follows is
    /// more likely prose than a damaged rule.
    blank: bool,
    /// The address family: from the last `ip6tables`/`iptables` command line, else from the first valid address.
    /// A value of the other family is not valid.
    family: Option<Family>,
}

impl Parser {
    fn diag(&mut self, severity: Severity, code: &str, line: u32, column: u32, message: String) {
        self.diagnostics
            .push(Diagnostic::new(severity, code, line, column, message));
    }

    fn line(&mut self, number: u32, content: &str) {
        let trimmed = content.trim();
        if trimmed.is_empty() {
            self.blank = true;
            return;
        }
        let indent = text::column_of(content, content.len() - content.trim_start().len());
        if let Some(table) = command_table(trimmed) {
            if let Some(family) = command_family(trimmed) {
                self.family = Some(family);
            }
            if !matches!(
                table.as_str(),
                "nat" | "filter" | "mangle" | "raw" | "security"
            ) {
                self.diag(
                    Severity::Warning,
                    "unknown-table",
                    number,
                    indent,
                    format!("unknown table {table:?}"),
                );
            }
            self.runs.push(Run {
                table: Some((table, number)),
                chains: Vec::new(),
            });
            self.chain_open = false;
            self.layout = None;
            return;
        }
        if let Some(header) = chain_header(trimmed) {
            self.chain(number, indent, header);
            return;
        }
        if let Some(layout) = column_header(trimmed) {
            self.layout = Some(layout);
            return;
        }
        if trimmed.starts_with('#') {
            // `# Warning: iptables-legacy tables present…` and the like.
            return;
        }
        let header_known = self.layout.is_some();
        let Some((rule, diagnostics)) = read_rule(number, content, self.layout, &mut self.family)
        else {
            let (severity, place) = if self.chain_open && !self.blank {
                (Severity::Error, "in a chain listing")
            } else {
                (Severity::Warning, "outside any chain listing")
            };
            self.diag(
                severity,
                "unknown-line",
                number,
                indent,
                format!(
                    "not a rule of an iptables -L listing ({place}): {:?}",
                    shorten(trimmed)
                ),
            );
            return;
        };
        let chain = self
            .runs
            .last_mut()
            .and_then(|r| r.chains.last_mut())
            .filter(|_| self.chain_open);
        let Some(chain) = chain else {
            self.diag(
                Severity::Warning,
                "rule-outside-chain",
                number,
                indent,
                "a rule before any \"Chain NAME (…)\" line; skipped (its chain and table are unknown)"
                    .to_string(),
            );
            return;
        };
        chain.rules.push(rule);
        self.diagnostics.extend(diagnostics);
        if !header_known && !self.guessed {
            self.guessed = true;
            self.diag(
                Severity::Info,
                "no-column-header",
                number,
                indent,
                "no column header line (\"target prot opt source destination\") before this rule; columns guessed"
                    .to_string(),
            );
        }
    }

    fn chain(&mut self, number: u32, column: u32, header: ChainHeader) {
        if !header.well_formed {
            self.diag(
                Severity::Warning,
                "bad-chain-header",
                number,
                column,
                format!(
                    "chain header of {:?} without \"(policy …)\" or \"(N references)\" (a cut line?)",
                    header.name
                ),
            );
        }
        let new_run = self.runs.last().is_none_or(|r| r.ends_before(&header.name));
        if new_run {
            self.runs.push(Run::default());
        }
        if let Some(run) = self.runs.last_mut() {
            run.chains.push(Listed {
                name: header.name,
                policy: header.policy,
                counters: header.counters,
                line: number,
                rules: Vec::new(),
            });
        }
        self.chain_open = true;
        self.layout = None;
        self.guessed = false;
        self.blank = false;
    }

    fn finish(mut self) -> Parsed<Ruleset> {
        let mut tables: Vec<(String, Option<u32>, Vec<Chain>)> = Vec::new();
        for run in std::mem::take(&mut self.runs) {
            let Some(first) = run.chains.first() else {
                continue;
            };
            let (name, line) = match &run.table {
                Some((name, line)) => (name.clone(), Some(*line)),
                None => {
                    let (name, why) = run.infer();
                    self.diag(
                        Severity::Info,
                        "no-table",
                        first.line,
                        1,
                        format!(
                            "no \"iptables -t TABLE -L\" line names the table of chain {:?} and the chains after it; read as the {name} table ({why})",
                            first.name
                        ),
                    );
                    (name.to_string(), None)
                }
            };
            let index = match tables.iter().position(|t| t.0 == name) {
                Some(i) => i,
                None => {
                    tables.push((name.clone(), line, Vec::new()));
                    tables.len() - 1
                }
            };
            for listed in run.chains {
                let Some(table) = tables.get_mut(index) else {
                    continue;
                };
                if table.2.iter().any(|c| c.name == listed.name) {
                    self.diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "repeated-chain",
                        listed.line,
                        1,
                        format!(
                            "chain {:?} of the {name} table is listed again; the first listing is kept",
                            listed.name
                        ),
                    ));
                    continue;
                }
                table.2.push(Chain {
                    name: listed.name,
                    policy: listed.policy,
                    counters: listed.counters,
                    declared_line: Some(listed.line),
                    deleted: false,
                    rules: listed.rules,
                });
            }
        }
        Parsed {
            value: Ruleset {
                generated_by: None,
                tables: tables
                    .into_iter()
                    .map(|(name, line, chains)| Table::from_chains(&name, line, chains))
                    .collect(),
            },
            diagnostics: self.diagnostics,
        }
    }
}

/// Reads one rule line. `None` when the line is not a rule (nothing is reported then); otherwise the rule and
/// what was odd about it.
fn read_rule(
    number: u32,
    line: &str,
    layout: Option<Layout>,
    family: &mut Option<Family>,
) -> Option<(Rule, Vec<Diagnostic>)> {
    let ws = words(line);
    let layout = layout.unwrap_or_else(|| guess_layout(&ws));
    let mut i = 0;
    if layout.num {
        if !ws.get(i)?.text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        i += 1;
    }
    let mut counters = None;
    if layout.counts {
        let packets = count(ws.get(i)?.text)?;
        let bytes = count(ws.get(i + 1)?.text)?;
        if let (Some(packets), Some(bytes)) = (packets, bytes) {
            counters = Some(Counters { packets, bytes });
        }
        i += 2;
    }
    // An empty target column leaves the protocol first; otherwise the protocol follows the target.
    let first = ws.get(i)?;
    let second_is_proto = ws.get(i + 1).is_some_and(|w| proto_word(w.text).is_some());
    let proto_word_at = |k: usize| ws.get(k).map_or(0, |w| w.start);
    let (target, proto, proto_at) = match proto_word(first.text) {
        Some(proto) if !second_is_proto => (None, proto, first.start),
        _ => {
            let word = ws.get(i + 1)?;
            let proto = match proto_word(word.text) {
                Some(p) => p,
                // A protocol named from /etc/protocols that the table above lacks: the opt column vouches for it.
                None if ws.get(i + 2).is_some_and(|w| opt_word(w.text).is_some()) => {
                    let (negated, name) = bang(word.text);
                    Proto {
                        negated,
                        name,
                        glued_opt: None,
                    }
                }
                None => return None,
            };
            i += 1;
            (Some(first.text), proto, proto_word_at(i))
        }
    };
    i += 1;
    let opt_text = match proto.glued_opt {
        Some(o) => Some(o),
        None => match ws.get(i).filter(|w| opt_word(w.text).is_some()) {
            Some(w) => {
                i += 1;
                Some(w.text)
            }
            None => None,
        },
    };
    let fragment = opt_text.and_then(opt_word).flatten();

    let mut diagnostics = Vec::new();
    // Invalid values found in the columns, reported after the notes about the columns.
    let mut checked = Vec::new();
    let mut note = |severity, code: &str, offset: usize, message: String| {
        diagnostics.push(Diagnostic::new(
            severity,
            code,
            number,
            text::column_of(line, offset),
            message,
        ));
    };
    let via = layout.via.unwrap_or_else(|| guess_via(&ws, i));
    let mut ifaces = [None, None];
    if via {
        for slot in &mut ifaces {
            if let Some(w) = ws.get(i).filter(|_| !starts_construct(&ws, i)) {
                *slot = Some(w.text);
                i += 1;
            }
        }
    }
    let mut addresses = Vec::new();
    while addresses.len() < 2 {
        match ws.get(i) {
            Some(w) if !starts_construct(&ws, i) => {
                addresses.push(*w);
                i += 1;
            }
            _ => break,
        }
    }
    if addresses.len() < 2 {
        let missing = if addresses.is_empty() {
            "source and destination columns are"
        } else {
            "destination column is"
        };
        note(
            Severity::Warning,
            "missing-address",
            ws.get(i).map_or(line.len(), |w| w.start),
            format!("the {missing} empty (were addresses removed when the listing was copied?); read as any address"),
        );
    }

    // Basic options in iptables-save's order: -s -d -i -o -p -f.
    let mut basic = Vec::new();
    for (name, word) in ["-s", "-d"].into_iter().zip(&addresses) {
        let (option, host_name) = address(name, word.text, *family);
        if let Some(value) = option
            .as_ref()
            .filter(|_| !host_name)
            .and_then(|o| o.values.first())
        {
            let negated = word.text.starts_with('!');
            let column = text::column_of(line, word.start + usize::from(negated));
            check_value(
                &mut checked,
                number,
                column,
                (Place::Basic, name, value),
                family,
            );
        }
        if host_name {
            note(
                Severity::Info,
                "host-name",
                word.start,
                format!(
                    "{:?} is a host name (a listing without -n); kept as written, it matches no packet address",
                    word.text
                ),
            );
        }
        basic.extend(option);
    }
    for (name, iface) in ["-i", "-o"].into_iter().zip(ifaces) {
        basic.extend(iface.and_then(|t| interface(name, t)));
    }
    let proto_name = match proto.name.parse::<u8>() {
        Ok(n) => protocol_name(n).map_or_else(|| n.to_string(), str::to_string),
        Err(_) => proto.name.to_string(),
    };
    check_value(
        &mut checked,
        number,
        text::column_of(line, proto_at + usize::from(proto.negated)),
        (Place::Basic, "-p", proto.name),
        family,
    );
    if proto_name != "all" || proto.negated {
        basic.push(opt("-p", proto.negated, vec![proto_name]));
    }
    if let Some(negated) = fragment {
        basic.push(opt("-f", negated, Vec::new()));
    }

    let mut tail = Tail {
        line,
        ws: &ws,
        i,
        number,
        target,
        matches: Vec::new(),
        target_opts: Vec::new(),
        goto: false,
        diagnostics: Vec::new(),
        family: *family,
    };
    tail.run();
    *family = tail.family;
    diagnostics.extend(checked);
    diagnostics.extend(tail.diagnostics);
    let mut matches = tail.matches;
    let target = match target {
        Some(name) => Some(Target {
            name: name.to_string(),
            goto: tail.goto,
            options: tail.target_opts,
        }),
        None => {
            // Target text without a target column cannot be placed; it is kept as an unnamed match.
            if !tail.target_opts.is_empty() {
                matches.push(Match {
                    name: String::new(),
                    options: tail.target_opts,
                });
            }
            None
        }
    };
    Some((
        Rule {
            line: number,
            counters,
            basic,
            matches,
            target,
        },
        diagnostics,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> (Ruleset, Vec<Diagnostic>) {
        let parsed = parse(text.as_bytes());
        (parsed.value, parsed.diagnostics)
    }

    fn only_rule(text: &str) -> Rule {
        let (ruleset, _) = rules(text);
        ruleset
            .tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .flat_map(|c| c.rules.iter())
            .next()
            .cloned()
            .expect("one rule")
    }

    fn listed(rule_line: &str) -> Rule {
        only_rule(&format!(
            "Chain X (1 references)\ntarget     prot opt source               destination\n{rule_line}\n"
        ))
    }

    fn o(name: &str, negated: bool, values: &[&str]) -> Opt {
        opt(
            name,
            negated,
            values.iter().map(|v| v.to_string()).collect(),
        )
    }

    fn m(name: &str, options: Vec<Opt>) -> Match {
        Match {
            name: name.to_string(),
            options,
        }
    }

    fn codes(diags: &[Diagnostic]) -> Vec<(&str, u32)> {
        diags.iter().map(|d| (d.code.as_str(), d.line)).collect()
    }

    #[test]
    fn columns_with_numbers_counters_and_interfaces() {
        let rule = only_rule(
            "$ iptables -t nat -L -n -v -x --line-numbers\n\
             Chain POSTROUTING (policy ACCEPT 12 packets, 720 bytes)\n\
             num      pkts      bytes target     prot opt in     out     source               destination\n\
             1          34     123456 MASQUERADE  all  --  *      !docker0  172.17.0.0/16        0.0.0.0/0\n",
        );
        assert_eq!(
            rule.counters,
            Some(Counters {
                packets: 34,
                bytes: 123456
            })
        );
        assert_eq!(
            rule.basic,
            vec![
                o("-s", false, &["172.17.0.0/16"]),
                o("-o", true, &["docker0"])
            ]
        );
        assert_eq!(rule.target_name(), Some("MASQUERADE"));
    }

    #[test]
    fn chain_headers_give_policy_and_counters() {
        let (ruleset, diags) = rules(
            "# iptables -nvL\nChain INPUT (policy DROP 1234 packets, 5M bytes)\n pkts bytes target     prot opt in     out     source               destination\n\nChain FORWARD (policy ACCEPT 0 packets, 0 bytes)\n\nChain KUBE-FIREWALL (2 references)\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let filter = ruleset.table("filter").expect("filter");
        assert_eq!(filter.line, Some(1));
        let input = filter.chain("INPUT").expect("INPUT");
        assert_eq!(input.policy.as_deref(), Some("DROP"));
        assert_eq!(input.counters, None, "5M bytes is rounded");
        let forward = filter.chain("FORWARD").expect("FORWARD");
        assert_eq!(
            forward.counters,
            Some(Counters {
                packets: 0,
                bytes: 0
            })
        );
        assert_eq!(filter.chain("KUBE-FIREWALL").expect("user").policy, None);
    }

    #[test]
    fn kube_service_rules_read_back_in_save_form() {
        let rule = listed("KUBE-SVC-TCOU7JCQXEZGVUNU  udp  --  0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns cluster IP */ udp dpt:53");
        assert_eq!(
            rule.basic,
            vec![o("-d", false, &["10.96.0.10/32"]), o("-p", false, &["udp"])]
        );
        assert_eq!(
            rule.matches,
            vec![
                m(
                    "comment",
                    vec![o(
                        "--comment",
                        false,
                        &["kube-system/kube-dns:dns cluster IP"]
                    )]
                ),
                m("udp", vec![o("--dport", false, &["53"])]),
            ]
        );
        let rule = listed("DNAT       tcp  --  0.0.0.0/0            0.0.0.0/0            /* default/kubernetes:https */ recent: SET name: KUBE-SEP-X side: source mask: 255.255.255.255 tcp to:10.0.2.15:6443");
        assert_eq!(
            rule.matches.get(1),
            Some(&m(
                "recent",
                vec![
                    o("--set", false, &[]),
                    o("--name", false, &["KUBE-SEP-X"]),
                    o("--mask", false, &["255.255.255.255"]),
                    o("--rsource", false, &[]),
                ]
            ))
        );
        assert_eq!(rule.matches.get(2), Some(&m("tcp", vec![])));
        assert_eq!(
            rule.target_opt("--to-destination")
                .map(Opt::value)
                .as_deref(),
            Some("10.0.2.15:6443")
        );
    }

    #[test]
    fn recent_check_statistic_and_negated_recent() {
        let rule = listed("KUBE-SEP-X  all  --  0.0.0.0/0  0.0.0.0/0  recent: CHECK seconds: 10800 reap name: KUBE-SEP-X side: source mask: 255.255.255.255");
        assert_eq!(
            rule.matches,
            vec![m(
                "recent",
                vec![
                    o("--rcheck", false, &[]),
                    o("--seconds", false, &["10800"]),
                    o("--reap", false, &[]),
                    o("--name", false, &["KUBE-SEP-X"]),
                    o("--mask", false, &["255.255.255.255"]),
                    o("--rsource", false, &[]),
                ]
            )]
        );
        let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ! recent: UPDATE hit_count: 4 TTL-Match name: DEFAULT side: dest mask: 255.255.255.0");
        let recent = rule.matches.first().expect("recent");
        assert_eq!(recent.options.first(), Some(&o("--update", true, &[])));
        assert!(recent.options.contains(&o("--hitcount", false, &["4"])));
        assert!(recent.options.contains(&o("--rttl", false, &[])));
        assert_eq!(recent.options.last(), Some(&o("--rdest", false, &[])));

        let rule = listed("KUBE-SEP-A  all  --  0.0.0.0/0  0.0.0.0/0  statistic mode random probability 0.33333333349");
        assert_eq!(
            rule.matches,
            vec![m(
                "statistic",
                vec![
                    o("--mode", false, &["random"]),
                    o("--probability", false, &["0.33333333349"])
                ]
            )]
        );
        let rule = listed("X  all  --  0.0.0.0/0  0.0.0.0/0  statistic mode nth ! every 3");
        assert_eq!(
            rule.matches,
            vec![m(
                "statistic",
                vec![
                    o("--mode", false, &["nth"]),
                    o("--every", true, &["3"]),
                    o("--packet", false, &["0"])
                ]
            )]
        );
    }

    #[test]
    fn mark_matches_and_targets() {
        let rule = listed("RETURN     all  --  0.0.0.0/0            0.0.0.0/0            mark match ! 0x4000/0x4000");
        assert_eq!(
            rule.matches,
            vec![m("mark", vec![o("--mark", true, &["0x4000/0x4000"])])]
        );
        for (text, xmark) in [
            ("MARK or 0x4000", "0x4000/0x4000"),
            ("MARK xor 0x4000", "0x4000/0x0"),
            ("MARK set 0x1", "0x1/0xffffffff"),
            ("MARK xset 0x4000/0xc000", "0x4000/0xc000"),
            ("MARK and 0xffffbfff", "0x0/0x4000"),
        ] {
            let rule = listed(&format!(
                "MARK       all  --  0.0.0.0/0            0.0.0.0/0            {text}"
            ));
            assert!(rule.matches.is_empty(), "{text}");
            assert_eq!(
                rule.target_opt("--set-xmark").map(Opt::value).as_deref(),
                Some(xmark),
                "{text}"
            );
        }
    }

    #[test]
    fn addrtype_conntrack_state_nfacct_physdev_set() {
        let rule =
            listed("DOCKER     all  --  0.0.0.0/0  !127.0.0.0/8  ADDRTYPE match dst-type LOCAL");
        assert_eq!(rule.basic, vec![o("-d", true, &["127.0.0.0/8"])]);
        assert_eq!(
            rule.matches,
            vec![m("addrtype", vec![o("--dst-type", false, &["LOCAL"])])]
        );
        let rule = listed(
            "ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  ADDRTYPE match src-type !LOCAL limit-in",
        );
        assert_eq!(
            rule.matches,
            vec![m(
                "addrtype",
                vec![
                    o("--src-type", true, &["LOCAL"]),
                    o("--limit-iface-in", false, &[])
                ]
            )]
        );
        let rule = listed("DROP  all  --  !127.0.0.0/8  127.0.0.0/8  /* block incoming localnet connections */ ! ctstate RELATED,ESTABLISHED,DNAT");
        assert_eq!(
            rule.matches.get(1),
            Some(&m(
                "conntrack",
                vec![o("--ctstate", true, &["RELATED,ESTABLISHED,DNAT"])]
            ))
        );
        let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ctstate INVALID nfacct-name  ct_state_invalid_dropped_pkts");
        assert_eq!(
            rule.matches,
            vec![
                m("conntrack", vec![o("--ctstate", false, &["INVALID"])]),
                m(
                    "nfacct",
                    vec![o(
                        "--nfacct-name",
                        false,
                        &["ct_state_invalid_dropped_pkts"]
                    )]
                ),
            ]
        );
        let rule = listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  state RELATED,ESTABLISHED ctstate NEW ctdir ORIGINAL");
        assert_eq!(
            rule.matches,
            vec![
                m("state", vec![o("--state", false, &["RELATED,ESTABLISHED"])]),
                m(
                    "conntrack",
                    vec![
                        o("--ctstate", false, &["NEW"]),
                        o("--ctdir", false, &["ORIGINAL"])
                    ]
                ),
            ]
        );
        let rule = listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  PHYSDEV match ! --physdev-is-in --physdev-out veth0");
        assert_eq!(
            rule.matches,
            vec![m(
                "physdev",
                vec![
                    o("--physdev-is-in", true, &[]),
                    o("--physdev-out", false, &["veth0"])
                ]
            )]
        );
        let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ! match-set BLOCKED src,dst");
        assert_eq!(
            rule.matches,
            vec![m(
                "set",
                vec![o("--match-set", true, &["BLOCKED", "src,dst"])]
            )]
        );
        let rule = listed(r#"DROP  all  --  0.0.0.0/0  0.0.0.0/0  nfacct-name  "odd name""#);
        assert_eq!(
            rule.match_opt("nfacct", "--nfacct-name")
                .map(Opt::value)
                .as_deref(),
            Some("odd name")
        );
    }

    #[test]
    fn ports_by_name_range_negation_multiport_and_flags() {
        let (ruleset, diags) = rules(
            "Chain KUBE-PORTALS-CONTAINER (1 references)\n\
             target     prot opt source               destination\n\
             REDIRECT   tcp  --  anywhere             10.0.0.10            /* default/my-nginx: */ tcp dpt:http-alt redir ports 39551\n\
             RETURN     tcp  --  anywhere             anywhere             tcp spts:1024:65535 dpt:!domain flags:FIN,SYN,RST,ACK/SYN\n\
             RETURN     tcp  --  anywhere             anywhere             tcp flags:0x17/0x02 option=8\n\
             RETURN     udp  --  anywhere             anywhere             multiport dports  !http,https,1000:2000\n\
             RETURN     udp  --  anywhere             anywhere             udp dpt:no-such-service\n",
        );
        let chain = ruleset
            .tables
            .first()
            .and_then(|t| t.chains.first())
            .expect("chain");
        let r = |i: usize| chain.rules.get(i).expect("rule");
        assert_eq!(
            r(0).matches.get(1),
            Some(&m("tcp", vec![o("--dport", false, &["8080"])]))
        );
        assert_eq!(
            r(0).target_opt("--to-ports").map(Opt::value).as_deref(),
            Some("39551")
        );
        assert_eq!(
            r(1).matches,
            vec![m(
                "tcp",
                vec![
                    o("--sport", false, &["1024:65535"]),
                    o("--dport", true, &["53"]),
                    o("--tcp-flags", false, &["FIN,SYN,RST,ACK", "SYN"]),
                ]
            )]
        );
        assert_eq!(
            r(2).matches,
            vec![m(
                "tcp",
                vec![
                    o("--tcp-flags", false, &["FIN,SYN,RST,ACK", "SYN"]),
                    o("--tcp-option", false, &["8"]),
                ]
            )]
        );
        assert_eq!(
            r(3).matches,
            vec![m(
                "multiport",
                vec![o("--dports", true, &["80,443,1000:2000"])]
            )]
        );
        assert_eq!(
            r(4).matches,
            vec![m("udp", vec![o("--dport", false, &["no-such-service"])])]
        );
        assert_eq!(codes(&diags), vec![("service-name", 7), ("no-table", 1)]);
        assert_eq!(
            ruleset.tables.first().map(|t| t.name.as_str()),
            Some("nat"),
            "REDIRECT and KUBE-PORTALS- mean nat; RETURN says nothing"
        );
    }

    #[test]
    fn names_without_n_anywhere_any_and_host_names() {
        let rule = only_rule(
            "iptables -L -v\nChain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n   12K  3456K ACCEPT     tcp  --  eth0   any     anywhere             node1.example        tcp dpt:ssh\n",
        );
        assert_eq!(rule.counters, None, "12K is rounded");
        assert_eq!(
            rule.basic,
            vec![
                o("-d", false, &["node1.example"]),
                o("-i", false, &["eth0"]),
                o("-p", false, &["tcp"])
            ]
        );
        assert_eq!(rule.dport().map(Opt::value).as_deref(), Some("22"));
        let (_, diags) = rules("iptables -L -v\nChain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 ACCEPT     tcp  --  any   any     anywhere             node1.example        tcp dpt:ssh\n");
        assert_eq!(codes(&diags), vec![("host-name", 4)]);
    }

    #[test]
    fn empty_target_numeric_protocols_and_glued_columns() {
        // 1.8.9 and 1.8.10 print protocol numbers with -n; a rule without target has an empty target column.
        let (ruleset, _) = rules(
            "Chain KUBE-FW-X (1 references)\n\
             target     prot opt source               destination\n\
             KUBE-EXT-X  0    --  203.0.113.0/25       0.0.0.0/0            /* ns5/svc5:p80 loadbalancer IP */\n\
             \x20           0    --  0.0.0.0/0            0.0.0.0/0            /* other traffic */\n\
             ACCEPT     !6    -f  0.0.0.0/0            0.0.0.0/0\n\
             ACCEPT     ipv6-icmp--  ::/0  fd00::1\n\
             ACCEPT     all      ::/0                 ::/0\n",
        );
        let chain = ruleset
            .tables
            .first()
            .and_then(|t| t.chains.first())
            .expect("chain");
        let r = |i: usize| chain.rules.get(i).expect("rule");
        assert_eq!(r(0).basic, vec![o("-s", false, &["203.0.113.0/25"])]);
        assert_eq!(r(1).target, None);
        assert_eq!(r(1).comment().as_deref(), Some("other traffic"));
        assert_eq!(
            r(2).basic,
            vec![o("-p", true, &["tcp"]), o("-f", false, &[])]
        );
        assert_eq!(
            r(3).basic,
            vec![
                o("-d", false, &["fd00::1/128"]),
                o("-p", false, &["ipv6-icmp"])
            ]
        );
        assert!(r(4).basic.is_empty(), "old ip6tables: blank opt column");
        assert_eq!(r(4).target_name(), Some("ACCEPT"));
    }

    #[test]
    fn goto_reject_masquerade_snat_and_unknown_text() {
        let (ruleset, diags) = rules(
            "iptables -L -n\n\
             Chain FORWARD (policy ACCEPT)\n\
             target     prot opt source               destination\n\
             KUBE-X     all  --  0.0.0.0/0            0.0.0.0/0            [goto]  /* c */\n\
             REJECT     tcp  --  0.0.0.0/0            10.0.0.1             reject-with icmp-port-unreachable\n\
             LOG        all  --  0.0.0.0/0            0.0.0.0/0            limit: avg 3/hour burst 5 LOG flags 0 level 4\n\
             SNAT       all  --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4 random-fully\n\
             MASQUERADE  tcp  --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2048 random\n",
        );
        let chain = ruleset
            .table("filter")
            .and_then(|t| t.chain("FORWARD"))
            .expect("chain");
        let r = |i: usize| chain.rules.get(i).expect("rule");
        assert!(r(0).target.as_ref().is_some_and(|t| t.goto));
        assert_eq!(
            r(1).target_opt("--reject-with").map(Opt::value).as_deref(),
            Some("icmp-port-unreachable")
        );
        // Unknown text at the end of an extension target's rule is the target's.
        assert_eq!(
            r(2).target.as_ref().map(|t| t.options.clone()),
            Some(vec![o(
                "",
                false,
                &["limit: avg 3/hour burst 5 LOG flags 0 level 4"]
            )])
        );
        assert_eq!(
            r(3).target.as_ref().map(|t| t.options.clone()),
            Some(vec![
                o("--to-source", false, &["1.2.3.4"]),
                o("--random-fully", false, &[])
            ])
        );
        assert_eq!(
            r(4).target.as_ref().map(|t| t.options.clone()),
            Some(vec![
                o("--to-ports", false, &["1024-2048"]),
                o("--random", false, &[])
            ])
        );
        assert_eq!(codes(&diags), vec![("unknown-text", 6)]);
    }

    #[test]
    fn unknown_text_before_a_known_match_is_an_unnamed_match() {
        let rule =
            listed("ACCEPT  tcp  --  0.0.0.0/0  0.0.0.0/0  limit: avg 3/hour burst 5 tcp dpt:22");
        assert_eq!(
            rule.matches,
            vec![
                m("", vec![o("", false, &["limit: avg 3/hour burst 5"])]),
                m("tcp", vec![o("--dport", false, &["22"])]),
            ]
        );
    }

    #[test]
    fn icmp_forms() {
        let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmp echo-request");
        assert_eq!(
            rule.match_opt("icmp", "--icmp-type"),
            Some(&o("--icmp-type", false, &["echo-request"]))
        );
        let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmptype 8 code 0");
        assert_eq!(
            rule.match_opt("icmp", "--icmp-type"),
            Some(&o("--icmp-type", false, &["8/0"]))
        );
        let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmp !type 3");
        assert_eq!(
            rule.match_opt("icmp", "--icmp-type"),
            Some(&o("--icmp-type", true, &["3"]))
        );
    }

    #[test]
    fn comments_keep_their_spacing_and_may_be_cut() {
        let rule =
            listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  /* two  spaces; tcp dpt:1 */ /*  */");
        assert_eq!(
            rule.matches,
            vec![
                m(
                    "comment",
                    vec![o("--comment", false, &["two  spaces; tcp dpt:1"])]
                ),
                m("comment", vec![o("--comment", false, &[""])]),
            ]
        );
        let (_, diags) = rules(
            "Chain X (1 references)\ntarget     prot opt source               destination\nACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  /* cut her\n",
        );
        assert!(diags.iter().any(|d| d.code == "unterminated-comment"));
    }

    #[test]
    fn stripped_addresses_and_empty_dnat() {
        let (ruleset, diags) = rules(
            "gianluca@sid:~$ sudo iptables -t nat -L\nChain KUBE-PORTALS-HOST (1 references)\ntarget     prot opt source               destination\nDNAT       tcp  --  anywhere              /* default/my-nginx: */ tcp dpt:http-alt to:\n",
        );
        let rule = ruleset
            .table("nat")
            .and_then(|t| t.chain("KUBE-PORTALS-HOST"))
            .and_then(|c| c.rules.first())
            .expect("rule");
        assert_eq!(rule.basic, vec![o("-p", false, &["tcp"])]);
        assert_eq!(
            rule.target_opt("--to-destination"),
            Some(&o("--to-destination", false, &[]))
        );
        let found: Vec<(&str, u32, u32)> = diags
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            found,
            vec![("missing-address", 4, 43), ("empty-nat-target", 4, 84)]
        );
    }

    #[test]
    fn command_lines_name_the_table() {
        for (line, table) in [
            ("$ sudo iptables -t nat -L -n -v", Some("nat")),
            ("root@node:~# iptables -nvL -t mangle", Some("mangle")),
            ("iptables -tnat -nL", Some("nat")),
            ("iptables -nvt raw -L PREROUTING", Some("raw")),
            ("/usr/sbin/ip6tables-legacy --table=nat --list", Some("nat")),
            ("sudo iptables --list --table security", Some("security")),
            ("iptables -L -n | grep KUBE -t nat", Some("filter")),
            ("`iptables -L`", Some("filter")),
            ("iptables -t nat -S", None),
            ("my iptables configuration below", None),
        ] {
            assert_eq!(command_table(line).as_deref(), table, "{line}");
        }
    }

    #[test]
    fn tables_are_inferred_per_run_of_chains() {
        let (ruleset, diags) = rules(
            "Chain INPUT (policy ACCEPT)\n\
             target     prot opt source               destination\n\
             KUBE-FIREWALL  all  --  0.0.0.0/0            0.0.0.0/0\n\
             \n\
             Chain KUBE-SERVICES (1 references)\n\
             target     prot opt source               destination\n\
             REJECT     tcp  --  0.0.0.0/0            10.0.0.6             /* ns6/svc6:p80 has no endpoints */ tcp dpt:80 reject-with icmp-port-unreachable\n\
             \n\
             Chain PREROUTING (policy ACCEPT)\n\
             target     prot opt source               destination\n\
             KUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */\n\
             \n\
             Chain KUBE-SERVICES (2 references)\n\
             target     prot opt source               destination\n\
             KUBE-SVC-A  tcp  --  0.0.0.0/0            10.0.0.1             /* ns/a:p cluster IP */ tcp dpt:80\n",
        );
        let names: Vec<(&str, Vec<&str>)> = ruleset
            .tables
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.chains.iter().map(|c| c.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("filter", vec!["INPUT", "KUBE-SERVICES"]),
                ("nat", vec!["PREROUTING", "KUBE-SERVICES"]),
            ]
        );
        assert_eq!(codes(&diags), vec![("no-table", 1), ("no-table", 9)]);
    }

    #[test]
    fn empty_listing_defaults_to_filter_and_repeated_chains_keep_the_first() {
        let (ruleset, diags) = rules(
            "iptables -t nat -L\nChain A (0 references)\ntarget     prot opt source               destination\nRETURN  all  --  0.0.0.0/0  0.0.0.0/0\nChain B (0 references)\niptables -t nat -L\nChain A (0 references)\n",
        );
        let nat = ruleset.table("nat").expect("nat");
        assert_eq!(nat.chains.len(), 2);
        assert_eq!(nat.chain("A").map(|c| c.rules.len()), Some(1));
        assert_eq!(codes(&diags), vec![("repeated-chain", 7)]);
        let (ruleset, diags) = rules("Chain OUTPUT (policy ACCEPT)\n");
        assert_eq!(
            ruleset.tables.first().map(|t| t.name.as_str()),
            Some("filter")
        );
        assert_eq!(codes(&diags), vec![("no-table", 1)]);
    }

    #[test]
    fn rules_without_a_column_header_are_guessed() {
        let (ruleset, diags) = rules(
            "Chain KUBE-SVC-A (1 references)\n\
             1        0     0 KUBE-SEP-B  all  --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode random probability 0.50000000000\n\
             2        0     0 KUBE-SEP-C  all  --  *      *       0.0.0.0/0            0.0.0.0/0\n",
        );
        let chain = ruleset
            .table("nat")
            .and_then(|t| t.chain("KUBE-SVC-A"))
            .expect("chain");
        assert_eq!(chain.rules.len(), 2);
        assert!(chain.rules.iter().all(|r| r.basic.is_empty()));
        assert_eq!(
            chain.rules.first().and_then(|r| r.counters),
            Some(Counters {
                packets: 0,
                bytes: 0
            })
        );
        assert_eq!(
            codes(&diags),
            vec![("no-column-header", 2), ("no-table", 1)]
        );
    }

    #[test]
    fn garbage_and_rules_outside_chains_are_reported() {
        let (ruleset, diags) = rules(
            "ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\nhello there\nChain X (1 references)\ntarget     prot opt source               destination\n%%% ### !!!\nChain (policy\nChain Y (1 refer\n\nprose after the listing\n",
        );
        let found: Vec<(&str, u32, Severity)> = diags
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.severity))
            .collect();
        assert_eq!(
            found,
            vec![
                ("rule-outside-chain", 1, Severity::Warning),
                ("unknown-line", 2, Severity::Warning),
                ("unknown-line", 5, Severity::Error),
                ("unknown-line", 6, Severity::Error),
                ("bad-chain-header", 7, Severity::Warning),
                ("unknown-line", 9, Severity::Warning),
                ("no-table", 3, Severity::Info),
            ]
        );
        assert_eq!(ruleset.chain_count(), 2);
    }

    #[test]
    fn detection() {
        assert!(looks_like(b"Chain INPUT (policy ACCEPT)\n"));
        assert!(looks_like(
            b"some words\ntarget     prot opt source               destination\n"
        ));
        assert!(looks_like(b"Chain KUBE-SERVICES (2 references)\n"));
        assert!(!looks_like(
            b"*nat\n:PREROUTING ACCEPT [0:0]\n-A X -j Y\nCOMMIT\n"
        ));
        assert!(!looks_like(b"Chain of events in prose\n"));
        assert!(!looks_like(b"Chain X (policy ACCEPT)\x00\n"));
    }
}
