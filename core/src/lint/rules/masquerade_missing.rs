//! `masquerade-missing`: KUBE-MARK-MASQ / KUBE-POSTROUTING are missing or do not masquerade marked packets.

use crate::diagnostic::Severity;
use crate::evidence::Evidence;
use crate::lint::finding::Finding;
use crate::lint::rules::complete;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::source::iptables::{RuleView, TableView};

pub struct MasqueradeMissing;

static DOC: RuleDoc = RuleDoc {
    code: "masquerade-missing",
    severity: Severity::Error,
    title: "Marked packets are not masqueraded",
    what: "kube-proxy marks packets that need SNAT with `KUBE-MARK-MASQ` (mark 0x4000 by default) and masquerades them in `KUBE-POSTROUTING`, jumped to from `POSTROUTING`. This rule checks that the chain exists and sets a mark, that `KUBE-POSTROUTING` masquerades a packet carrying that mark, and that `POSTROUTING` jumps to it.",
    why: "Without masquerading, replies to hairpin traffic (a pod reaching itself through its Service), to off-cluster clients of a cluster IP and to NodePort clients go straight back from the backend pod with the wrong source address; the client drops them and connections hang. kubelet and kube-proxy both wrote these chains until 1.28, so a mismatch often means one was upgraded without the other, or the mark bit (`--iptables-masquerade-bit`) differs between them.",
    example: "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x8000/0x8000\n-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN   (marks 0x8000, masquerades 0x4000)",
    fix: "Make kubelet's and kube-proxy's `--iptables-masquerade-bit` agree (default 14, mark 0x4000) and restart kube-proxy so it rewrites KUBE-MARK-MASQ and KUBE-POSTROUTING.",
};

/// A mark or mask as iptables-save prints it (`0x4000`), or decimal.
fn number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `value/mask`, or `value` with a full mask.
fn value_and_mask(text: &str) -> (u32, u32) {
    match text.split_once('/') {
        Some((a, b)) => (number(a).unwrap_or(0), number(b).unwrap_or(u32::MAX)),
        None => (number(text).unwrap_or(0), u32::MAX),
    }
}

/// The bits a `MARK` rule sets.
fn bits_set(rule: &RuleView<'_>) -> u32 {
    rule.target_opts()
        .map(|o| {
            let (value, mask) = value_and_mask(&o.value());
            match o.name() {
                "--set-xmark" | "--set-mark" => value & mask,
                "--or-mark" => value,
                _ => 0,
            }
        })
        .fold(0, |a, b| a | b)
}

/// Follows KUBE-POSTROUTING for a packet carrying `mark`: does it reach MASQUERADE?
fn masquerades(table: &TableView<'_>, mark: u32) -> bool {
    let Some(chain) = table.chain("KUBE-POSTROUTING") else {
        return false;
    };
    let mut mark = mark;
    for rule in chain.rules() {
        if let Some(opt) = rule.match_opt("mark", "--mark") {
            let (value, mask) = value_and_mask(&opt.value());
            if (mark & mask == value) == opt.negated() {
                continue;
            }
        }
        match rule.target_name() {
            Some("MASQUERADE" | "SNAT") => return true,
            Some("RETURN" | "ACCEPT") => return false,
            Some("MARK") => {
                for o in rule.target_opts() {
                    let v = o.value();
                    let hex = |t: &str| {
                        t.strip_prefix("0x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                    };
                    if o.name() == "--set-xmark" {
                        if let Some((a, b)) = v.split_once('/') {
                            mark = (mark & !hex(b).unwrap_or(0)) ^ hex(a).unwrap_or(0);
                        }
                    } else if o.name() == "--xor-mark" {
                        mark ^= hex(&v).unwrap_or(0);
                    }
                }
            }
            _ => {}
        }
    }
    false
}

impl Rule for MasqueradeMissing {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            let Some(nat) = node.ruleset.table("nat").filter(complete) else {
                continue;
            };
            let uses_masq: Vec<Evidence> = nat
                .chains()
                .filter(|(_, c)| !c.deleted())
                .flat_map(|(_, c)| c.rules())
                .filter(|r| r.target_is("KUBE-MARK-MASQ"))
                .take(1)
                .map(|r| at(node.source, r.line()))
                .collect();
            if uses_masq.is_empty() {
                continue;
            }
            let mark_rules: Vec<RuleView<'_>> = nat
                .chain("KUBE-MARK-MASQ")
                .map(|c| c.rules().filter(|r| r.target_is("MARK")).collect())
                .unwrap_or_default();
            let mark = mark_rules.iter().map(bits_set).fold(0, |a, b| a | b);
            let mut evidence = uses_masq.clone();
            let problem = if nat.chain("KUBE-MARK-MASQ").is_none() {
                Some("rules jump to KUBE-MARK-MASQ, which is not defined".to_string())
            } else if mark == 0 {
                evidence.extend(
                    nat.chain("KUBE-MARK-MASQ")
                        .map(|c| at(node.source, c.first_line())),
                );
                Some("KUBE-MARK-MASQ sets no mark".to_string())
            } else if nat.chain("KUBE-POSTROUTING").is_none() {
                evidence.extend(mark_rules.iter().map(|r| at(node.source, r.line())));
                Some("KUBE-POSTROUTING is not defined".to_string())
            } else if !masquerades(&nat, mark) {
                evidence.extend(mark_rules.iter().map(|r| at(node.source, r.line())));
                evidence.extend(
                    nat.chain("KUBE-POSTROUTING")
                        .into_iter()
                        .flat_map(|c| c.rules())
                        .map(|r| at(node.source, r.line())),
                );
                Some(format!("KUBE-POSTROUTING does not masquerade packets marked {mark:#x} by KUBE-MARK-MASQ"))
            } else {
                let postrouting = nat.chain("POSTROUTING").filter(|c| c.rule_count() > 0);
                match postrouting {
                    Some(c) if !c.rules().any(|r| r.target_is("KUBE-POSTROUTING")) => {
                        evidence.extend(c.rules().map(|r| at(node.source, r.line())));
                        Some("POSTROUTING does not jump to KUBE-POSTROUTING".to_string())
                    }
                    _ => None,
                }
            };
            if let Some(problem) = problem {
                out.push(DOC.finding(format!("{}: {problem}", node.source), evidence));
            }
        }
    }
}
