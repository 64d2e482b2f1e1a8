//! The `iptables-save` format (and kube-proxy's `iptables-restore` input, which shares its grammar).
//!
//! The parser reads the whole format: `*table`, chain declarations with policy and counters, rules with an
//! optional `[packets:bytes]` prefix, quoted strings, `!` negation in both positions, every match and target
//! with their options (unknown ones kept verbatim), `COMMIT`, `#` comments and CRLF. It never fails a whole
//! document: a line it cannot read becomes a diagnostic and the rest is kept. A value iptables itself would refuse
//! (see [`values`]) is an error at the value's column — `invalid-address`, `invalid-port`, `invalid-protocol`,
//! `invalid-target`, `invalid-probability`, `invalid-mark` — and the rule is kept as written; the walk and the
//! Service graph treat it as a rule that never matches.
//!
//! The parts: `parser.rs` reads lines, tables, declarations and commands and `rule.rs` one rule's options, into
//! the compact `view.rs` (records whose text borrows the input, and the views the Service graph and the lint rules
//! read); `index.rs` finds a table's chains by name; `owned.rs` is the owned model [`parse`] returns, and
//! `convert.rs` turns one into the other.

mod convert;
mod index;
mod owned;
mod parser;
mod rule;
pub mod values;
mod view;

pub use owned::{
    builtin_chains, Chain, Counters, Excerpt, Match, Opt, Rule, Ruleset, Table, Target,
};
pub(crate) use parser::parse_view;
pub(crate) use view::{ChainView, OptView, RuleView, RulesetView, TableView};

use crate::diagnostic::Parsed;

/// The longest line read; longer lines are skipped with a diagnostic.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

const KNOWN_TABLES: [&str; 5] = ["nat", "filter", "mangle", "raw", "security"];

/// Whether a line looks like part of an `iptables-save` dump (used by kind detection).
pub fn looks_like_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("-A ")
        || t.starts_with("COMMIT")
        || KNOWN_TABLES
            .iter()
            .any(|name| t.strip_prefix('*') == Some(*name))
        || (t.starts_with(':') && t.contains(" ["))
        || (t.starts_with('[') && t.contains("] -A "))
}

/// Parses an `iptables-save` dump (or kube-proxy restore input, or a fragment of rules).
pub fn parse(bytes: &[u8]) -> Parsed<Ruleset> {
    let parsed = parse_view(bytes);
    Parsed {
        value: parsed.value.to_ruleset(),
        diagnostics: parsed.diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;

    fn only_rule(text: &str) -> (Rule, Vec<Diagnostic>) {
        let parsed = parse(text.as_bytes());
        let rule = parsed
            .value
            .tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .flat_map(|c| c.rules.iter())
            .next()
            .cloned()
            .expect("one rule");
        (rule, parsed.diagnostics)
    }

    #[test]
    fn save_form_rule() {
        let (rule, diags) = only_rule(
            "*nat\n-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\nCOMMIT\n",
        );
        assert!(
            diags.iter().all(|d| d.code == "undeclared-chain"),
            "{diags:?}"
        );
        assert_eq!(
            rule.basic("-d").map(Opt::value).as_deref(),
            Some("10.96.0.10/32")
        );
        assert_eq!(rule.basic("-p").map(Opt::value).as_deref(), Some("udp"));
        assert_eq!(
            rule.comment().as_deref(),
            Some("kube-system/kube-dns:dns cluster IP")
        );
        assert_eq!(rule.dport().map(Opt::value).as_deref(), Some("53"));
        assert_eq!(rule.target_name(), Some("KUBE-SVC-TCOU7JCQXEZGVUNU"));
    }

    #[test]
    fn restore_form_rule_with_options_after_basic_ones() {
        let (rule, _) = only_rule(
            "*nat\n:X - [0:0]\n-A X -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ\nCOMMIT\n",
        );
        assert_eq!(
            rule.match_opt("tcp", "--dport").map(Opt::value).as_deref(),
            Some("80")
        );
        let s = rule.basic("-s").expect("source");
        assert!(s.negated);
        assert_eq!(s.value(), "10.0.0.0/8");
    }

    #[test]
    fn negation_inside_match_and_old_style() {
        let (rule, _) = only_rule(
            "-A P -m conntrack ! --ctstate RELATED,ESTABLISHED -s ! 10.0.0.0/8 -j DROP\n",
        );
        assert!(rule
            .match_opt("conntrack", "--ctstate")
            .is_some_and(|o| o.negated));
        assert!(rule
            .basic("-s")
            .is_some_and(|o| o.negated && o.value() == "10.0.0.0/8"));
    }

    #[test]
    fn counters_prefix_and_unquoted_multiword_comment() {
        let (rule, _) = only_rule("*filter\n:INPUT ACCEPT [5:300]\n[12:720] -A INPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES\nCOMMIT\n");
        assert_eq!(
            rule.counters,
            Some(Counters {
                packets: 12,
                bytes: 720
            })
        );
        assert_eq!(
            rule.comment().as_deref(),
            Some("kubernetes service portals")
        );
    }

    #[test]
    fn flags_without_values_and_target_options() {
        let (rule, _) = only_rule("-A S -p tcp -m recent --set --name KUBE-SEP-X --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.0.2.15:6443\n");
        assert!(rule.match_opt("recent", "--set").is_some());
        assert_eq!(
            rule.match_opt("recent", "--name")
                .map(Opt::value)
                .as_deref(),
            Some("KUBE-SEP-X")
        );
        assert!(rule
            .match_opt("recent", "--rsource")
            .is_some_and(|o| o.values.is_empty()));
        assert_eq!(
            rule.target_opt("--to-destination")
                .map(Opt::value)
                .as_deref(),
            Some("10.0.2.15:6443")
        );
    }

    #[test]
    fn bad_lines_become_diagnostics_and_the_rest_is_kept() {
        let parsed = parse(b"*nat\n:A - [0:0]\ngarbage here\n-A A -j\n-A A -j RETURN\nCOMMIT\n");
        let codes: Vec<(&str, u32, u32)> = parsed
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            codes,
            vec![("unknown-line", 3, 1), ("missing-argument", 4, 6)]
        );
        assert_eq!(parsed.value.rule_count(), 2);
    }

    #[test]
    fn delete_chain_lines_remove_chains() {
        let parsed = parse(b"*nat\n:KUBE-SVC-A - [0:0]\n-X KUBE-SVC-A\nCOMMIT\n");
        let nat = parsed.value.table("nat").expect("nat");
        assert!(nat.chain("KUBE-SVC-A").is_none());
    }

    #[test]
    fn missing_commit_is_reported() {
        let parsed = parse(b"*nat\n:A - [0:0]\n");
        assert_eq!(
            parsed.diagnostics.first().map(|d| d.code.as_str()),
            Some("missing-commit")
        );
    }
}
