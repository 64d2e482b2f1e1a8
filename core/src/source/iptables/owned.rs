//! The owned model of a dump: tables, chains, rules, matches and options as `String`s, what `parse` returns.

use std::collections::BTreeMap;

use serde::Serialize;

/// Packet and byte counters, `[packets:bytes]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One option with its values, e.g. `! --ctstate RELATED,ESTABLISHED` or `-d 10.96.0.10/32`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opt {
    /// The option as written, e.g. `--dport` or `-d` (long forms of the basic options are shortened).
    pub name: String,
    /// Whether the option was negated with `!`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub negated: bool,
    /// The values that follow it (none for flags such as `--rsource`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Opt {
    /// The values joined by a space (multi-word values are usually quoted and arrive as one).
    pub fn value(&self) -> String {
        self.values.join(" ")
    }
}

/// A match module (`-m NAME`) with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    /// The module name, e.g. `comment`, `statistic`, `recent`.
    pub name: String,
    /// Its options, in order.
    pub options: Vec<Opt>,
}

/// The rule's target (`-j NAME` or `-g NAME`) with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The target name: a chain, or an extension such as `DNAT`, `MARK`, `REJECT`.
    pub name: String,
    /// `-g` (goto) instead of `-j` (jump).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub goto: bool,
    /// Target options, e.g. `--to-destination 10.244.0.2:53`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Opt>,
}

/// One rule of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// 1-based line in the source.
    pub line: u32,
    /// `[packets:bytes]` prefix or `-c` option, from `iptables-save -c`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<Counters>,
    /// Basic options: `-s`, `-d`, `-p`, `-i`, `-o`, `-f`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub basic: Vec<Opt>,
    /// Match modules in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Match>,
    /// The target, absent for a rule that only counts (or only carries a comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

impl Rule {
    /// A basic option by its short name (`-s`, `-d`, `-p`, `-i`, `-o`).
    pub fn basic(&self, name: &str) -> Option<&Opt> {
        self.basic.iter().find(|o| o.name == name)
    }

    /// The first option `option` of the first match module `module` that has it.
    pub fn match_opt(&self, module: &str, option: &str) -> Option<&Opt> {
        self.matches
            .iter()
            .filter(|m| m.name == module)
            .flat_map(|m| m.options.iter())
            .find(|o| o.name == option)
    }

    /// Whether the rule loads match module `module`.
    pub fn has_match(&self, module: &str) -> bool {
        self.matches.iter().any(|m| m.name == module)
    }

    /// The rule's comment (several `--comment`s are joined by a space).
    pub fn comment(&self) -> Option<String> {
        let mut comment: Option<String> = None;
        let options = self
            .matches
            .iter()
            .filter(|m| m.name == "comment")
            .flat_map(|m| m.options.iter())
            .filter(|o| o.name == "--comment");
        for option in options {
            let text = match &mut comment {
                Some(text) => {
                    text.push(' ');
                    text
                }
                None => comment.insert(String::new()),
            };
            for (i, value) in option.values.iter().enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                text.push_str(value);
            }
        }
        comment
    }

    /// The target's name, if any.
    pub fn target_name(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.name.as_str())
    }

    /// A target option, e.g. `--to-destination`.
    pub fn target_opt(&self, option: &str) -> Option<&Opt> {
        self.target
            .as_ref()
            .and_then(|t| t.options.iter().find(|o| o.name == option))
    }

    /// The destination port: `--dport` of any match module.
    pub fn dport(&self) -> Option<&Opt> {
        self.matches
            .iter()
            .flat_map(|m| m.options.iter())
            .find(|o| o.name == "--dport" || o.name == "--destination-port")
    }
}

/// A chain: its declaration and its rules in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// The chain's name.
    pub name: String,
    /// The policy of a built-in chain; `None` for user chains (`-`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Declared counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<Counters>,
    /// Line of the `:CHAIN` declaration; `None` when the chain was only used by `-A`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_line: Option<u32>,
    /// Deleted by an `-X` line (kube-proxy's restore input).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// Why a table is only part of what the node had, so that it cannot prove something absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excerpt {
    /// Rules without their `*table` header: `iptables-save | grep …`, or lines copied out of a dump.
    NoHeader,
    /// A `*table` section without its `COMMIT`: the dump was cut short.
    NoCommit,
    /// A listing without some of the table's built-in chains: `iptables -L CHAIN`, or a few chains pasted.
    SomeChains,
}

/// The built-in chains of an iptables table, which `iptables -t TABLE -L` always lists first.
pub fn builtin_chains(table: &str) -> &'static [&'static str] {
    match table {
        "filter" | "security" => &["INPUT", "FORWARD", "OUTPUT"],
        "nat" => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle" => &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw" => &["PREROUTING", "OUTPUT"],
        _ => &[],
    }
}

/// One table (`*nat`, `*filter`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Line of `*name`; `None` for rules pasted without a table header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Why the table is only an excerpt of the node's; `None` for a whole table.
    #[serde(skip)]
    pub excerpt: Option<Excerpt>,
    /// Chains in the order they were declared or first used.
    pub chains: Vec<Chain>,
    #[serde(skip)]
    pub(super) index: BTreeMap<String, usize>,
}

impl Table {
    /// A table of `chains`, in order, for parsers of other listings that read into the same model (a chain name
    /// given twice is found as its first chain).
    pub fn from_chains(name: &str, line: Option<u32>, chains: Vec<Chain>) -> Self {
        let mut index = BTreeMap::new();
        for (i, chain) in chains.iter().enumerate() {
            index.entry(chain.name.clone()).or_insert(i);
        }
        Self {
            name: name.to_string(),
            line,
            excerpt: None,
            chains,
            index,
        }
    }

    /// The chain called `name`, unless it was deleted.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.index
            .get(name)
            .and_then(|&i| self.chains.get(i))
            .filter(|c| !c.deleted)
    }

    /// Number of rules over all chains.
    pub fn rule_count(&self) -> usize {
        self.chains.iter().map(|c| c.rules.len()).sum()
    }
}

/// A whole dump: its tables in order of appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ruleset {
    /// The `# Generated by …` header, e.g. `iptables-save v1.6.0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<String>,
    /// Tables, each once (a repeated `*table` merges into the first).
    pub tables: Vec<Table>,
}

impl Ruleset {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Number of rules over all tables.
    pub fn rule_count(&self) -> usize {
        self.tables.iter().map(Table::rule_count).sum()
    }

    /// Number of chains over all tables.
    pub fn chain_count(&self) -> usize {
        self.tables.iter().map(|t| t.chains.len()).sum()
    }
}
