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
//!
//! # The parts
//!
//! `parser.rs` reads the listing line by line (command lines, chain headers, column headers, rules) and
//! `tables.rs` decides which table a run of chains is; `lines.rs` reads the lines that are not rules,
//! `columns.rs` a rule's columns and `tail.rs` with `extensions.rs` the match and target text after them.

mod columns;
mod extensions;
mod lines;
mod parser;
mod tables;
mod tail;
#[cfg(test)]
mod tests;

use crate::diagnostic::{Parsed, Severity};
use crate::source::iptables::{Ruleset, MAX_LINE_BYTES};
use crate::text;
use lines::{chain_header, column_header};
use parser::Parser;

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
