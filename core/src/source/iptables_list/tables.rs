//! Which table a run of listed chains belongs to, when no command line names it.

use crate::source::iptables::{Counters, Rule};

/// A chain as listed, before its table is known.
#[derive(Debug)]
pub(super) struct Listed {
    pub(super) name: String,
    pub(super) policy: Option<String>,
    pub(super) counters: Option<Counters>,
    pub(super) line: u32,
    pub(super) rules: Vec<Rule>,
}

/// Chains that one `-L` printed: one table.
#[derive(Debug, Default)]
pub(super) struct Run {
    /// The table named by a command line, and that line.
    pub(super) table: Option<(String, u32)>,
    pub(super) chains: Vec<Listed>,
}

pub(super) const BUILTIN: [&str; 5] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

impl Run {
    /// Whether chain `name` cannot belong to this run's `-L` output.
    pub(super) fn ends_before(&self, name: &str) -> bool {
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
    pub(super) fn infer(&self) -> (&'static str, String) {
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
