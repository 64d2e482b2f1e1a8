//! `masquerade-missing`: KUBE-MARK-MASQ / KUBE-POSTROUTING are missing or do not masquerade marked packets.

use crate::analysis::{Evidence, Finding};
use crate::diagnostic::Severity;
use crate::lint::rules::complete;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::source::iptables::{Rule as IptRule, Table};

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

/// The bits a `MARK` rule sets.
fn bits_set(rule: &IptRule) -> u32 {
    let parse = |t: &str| match t.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    };
    let Some(target) = &rule.target else { return 0 };
    target
        .options
        .iter()
        .map(|o| {
            let v = o.value();
            let (value, mask) = match v.split_once('/') {
                Some((a, b)) => (parse(a).unwrap_or(0), parse(b).unwrap_or(u32::MAX)),
                None => (parse(&v).unwrap_or(0), u32::MAX),
            };
            match o.name.as_str() {
                "--set-xmark" | "--set-mark" => value & mask,
                "--or-mark" => value,
                _ => 0,
            }
        })
        .fold(0, |a, b| a | b)
}

/// Follows KUBE-POSTROUTING for a packet carrying `mark`: does it reach MASQUERADE?
fn masquerades(table: &Table, mark: u32) -> bool {
    let Some(chain) = table.chain("KUBE-POSTROUTING") else {
        return false;
    };
    let mut mark = mark;
    for rule in &chain.rules {
        if let Some(opt) = rule.match_opt("mark", "--mark") {
            let v = opt.value();
            let parse = |t: &str| match t.strip_prefix("0x") {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => t.parse().ok(),
            };
            let (value, mask) = match v.split_once('/') {
                Some((a, b)) => (parse(a).unwrap_or(0), parse(b).unwrap_or(u32::MAX)),
                None => (parse(&v).unwrap_or(0), u32::MAX),
            };
            if (mark & mask == value) == opt.negated {
                continue;
            }
        }
        match rule.target_name() {
            Some("MASQUERADE" | "SNAT") => return true,
            Some("RETURN" | "ACCEPT") => return false,
            Some("MARK") => {
                if let Some(t) = &rule.target {
                    for o in &t.options {
                        let v = o.value();
                        if o.name == "--set-xmark" {
                            if let Some((a, b)) = v.split_once('/') {
                                let parse = |t: &str| {
                                    t.strip_prefix("0x")
                                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                                };
                                mark = (mark & !parse(b).unwrap_or(0)) ^ parse(a).unwrap_or(0);
                            }
                        } else if o.name == "--xor-mark" {
                            mark ^= v
                                .strip_prefix("0x")
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .unwrap_or(0);
                        }
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
            let Some(nat) = node.ruleset.table("nat").filter(|t| complete(t)) else {
                continue;
            };
            let uses_masq: Vec<Evidence> = nat
                .chains
                .iter()
                .flat_map(|c| c.rules.iter())
                .filter(|r| r.target_name() == Some("KUBE-MARK-MASQ"))
                .take(1)
                .map(|r| at(node.source, r.line))
                .collect();
            if uses_masq.is_empty() {
                continue;
            }
            let decl = |name: &str| {
                nat.chain(name)
                    .and_then(|c| c.declared_line.or_else(|| c.rules.first().map(|r| r.line)))
            };
            let mark_rules: Vec<&IptRule> = nat
                .chain("KUBE-MARK-MASQ")
                .map(|c| {
                    c.rules
                        .iter()
                        .filter(|r| r.target_name() == Some("MARK"))
                        .collect()
                })
                .unwrap_or_default();
            let mark = mark_rules.iter().map(|r| bits_set(r)).fold(0, |a, b| a | b);
            let mut evidence = uses_masq.clone();
            let problem = if nat.chain("KUBE-MARK-MASQ").is_none() {
                Some("rules jump to KUBE-MARK-MASQ, which is not defined".to_string())
            } else if mark == 0 {
                evidence.extend(decl("KUBE-MARK-MASQ").map(|l| at(node.source, l)));
                Some("KUBE-MARK-MASQ sets no mark".to_string())
            } else if nat.chain("KUBE-POSTROUTING").is_none() {
                evidence.extend(mark_rules.iter().map(|r| at(node.source, r.line)));
                Some("KUBE-POSTROUTING is not defined".to_string())
            } else if !masquerades(nat, mark) {
                evidence.extend(mark_rules.iter().map(|r| at(node.source, r.line)));
                evidence.extend(
                    nat.chain("KUBE-POSTROUTING")
                        .into_iter()
                        .flat_map(|c| c.rules.iter())
                        .map(|r| at(node.source, r.line)),
                );
                Some(format!("KUBE-POSTROUTING does not masquerade packets marked {mark:#x} by KUBE-MARK-MASQ"))
            } else {
                let postrouting = nat.chain("POSTROUTING").filter(|c| !c.rules.is_empty());
                match postrouting {
                    Some(c)
                        if !c
                            .rules
                            .iter()
                            .any(|r| r.target_name() == Some("KUBE-POSTROUTING")) =>
                    {
                        evidence.extend(c.rules.iter().map(|r| at(node.source, r.line)));
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
