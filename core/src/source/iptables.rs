//! The `iptables-save` format (and kube-proxy's `iptables-restore` input, which shares its grammar).
//!
//! The parser reads the whole format: `*table`, chain declarations with policy and counters, rules with an
//! optional `[packets:bytes]` prefix, quoted strings, `!` negation in both positions, every match and target
//! with their options (unknown ones kept verbatim), `COMMIT`, `#` comments and CRLF. It never fails a whole
//! document: a line it cannot read becomes a diagnostic and the rest is kept.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::text::{self, Token};

/// The longest line read; longer lines are skipped with a diagnostic.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

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
        let parts: Vec<String> = self
            .matches
            .iter()
            .filter(|m| m.name == "comment")
            .flat_map(|m| m.options.iter())
            .filter(|o| o.name == "--comment")
            .map(Opt::value)
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
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

/// One table (`*nat`, `*filter`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Line of `*name`; `None` for rules pasted without a table header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Chains in the order they were declared or first used.
    pub chains: Vec<Chain>,
    #[serde(skip)]
    index: BTreeMap<String, usize>,
}

impl Table {
    fn new(name: &str, line: Option<u32>) -> Self {
        Self {
            name: name.to_string(),
            line,
            chains: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// The chain called `name`, unless it was deleted.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.index
            .get(name)
            .and_then(|&i| self.chains.get(i))
            .filter(|c| !c.deleted)
    }

    /// The chain called `name`, created empty if it does not exist yet; also says whether it was created.
    fn chain_mut_or_insert(&mut self, name: &str) -> (Option<&mut Chain>, bool) {
        let (i, created) = match self.index.get(name) {
            Some(&i) => (i, false),
            None => {
                self.chains.push(Chain {
                    name: name.to_string(),
                    policy: None,
                    counters: None,
                    declared_line: None,
                    deleted: false,
                    rules: Vec::new(),
                });
                let i = self.chains.len() - 1;
                self.index.insert(name.to_string(), i);
                (i, true)
            }
        };
        (self.chains.get_mut(i), created)
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

struct Parser {
    ruleset: Ruleset,
    diagnostics: Vec<Diagnostic>,
    /// Index into `ruleset.tables` of the open table.
    current: Option<usize>,
    /// Whether the open table was opened by a `*table` line (and still needs a `COMMIT`).
    explicit: bool,
    warned_implicit: bool,
}

/// Parses an `iptables-save` dump (or kube-proxy restore input, or a fragment of rules).
pub fn parse(bytes: &[u8]) -> Parsed<Ruleset> {
    let mut p = Parser {
        ruleset: Ruleset::default(),
        diagnostics: Vec::new(),
        current: None,
        explicit: false,
        warned_implicit: false,
    };
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
    if p.explicit {
        if let Some(name) = p.current_table_name() {
            let line = p
                .current
                .and_then(|i| p.ruleset.tables.get(i))
                .and_then(|t| t.line)
                .unwrap_or(1);
            p.diag(
                Severity::Warning,
                "missing-commit",
                line,
                1,
                format!("table {name:?} has no COMMIT line (the dump may be cut short)"),
            );
        }
    }
    Parsed {
        value: p.ruleset,
        diagnostics: p.diagnostics,
    }
}

impl Parser {
    fn diag(&mut self, severity: Severity, code: &str, line: u32, column: u32, message: String) {
        self.diagnostics
            .push(Diagnostic::new(severity, code, line, column, message));
    }

    fn current_table_name(&self) -> Option<String> {
        self.current
            .and_then(|i| self.ruleset.tables.get(i))
            .map(|t| t.name.clone())
    }

    fn line(&mut self, number: u32, content: &str) {
        let trimmed = content.trim_start();
        let indent = text::column_of(content, content.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() {
            return;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(rest) = comment.trim().strip_prefix("Generated by ") {
                if self.ruleset.generated_by.is_none() {
                    let tool = rest.split(" on ").next().unwrap_or(rest);
                    self.ruleset.generated_by = Some(tool.to_string());
                }
            }
            return;
        }
        if let Some(name) = trimmed.strip_prefix('*') {
            self.open_table(number, indent, name.trim());
            return;
        }
        if trimmed == "COMMIT" {
            if self.current.is_none() || !self.explicit {
                self.diag(
                    Severity::Warning,
                    "stray-commit",
                    number,
                    indent,
                    "COMMIT without an open *table".to_string(),
                );
            }
            self.current = None;
            self.explicit = false;
            return;
        }
        if let Some(decl) = trimmed.strip_prefix(':') {
            self.declare(number, indent, decl);
            return;
        }
        let (tokens, tok_error) = text::tokenize(trimmed);
        let offset = indent.saturating_sub(1);
        let tokens: Vec<Token> = tokens
            .into_iter()
            .map(|mut t| {
                t.column = t.column.saturating_add(offset);
                t
            })
            .collect();
        if let Some(e) = tok_error {
            self.diag(
                Severity::Warning,
                "unterminated-quote",
                number,
                e.column.saturating_add(offset),
                e.message,
            );
        }
        self.command(number, indent, &tokens);
    }

    fn open_table(&mut self, number: u32, column: u32, name: &str) {
        if self.explicit {
            if let Some(open) = self.current_table_name() {
                self.diag(
                    Severity::Warning,
                    "missing-commit",
                    number,
                    column,
                    format!("table {open:?} was not committed before *{name}"),
                );
            }
        }
        if name.is_empty() || name.contains(char::is_whitespace) {
            self.diag(
                Severity::Error,
                "bad-table",
                number,
                column,
                format!("{:?} is not a table header", format!("*{name}")),
            );
            self.current = None;
            self.explicit = false;
            return;
        }
        if !KNOWN_TABLES.contains(&name) {
            self.diag(
                Severity::Warning,
                "unknown-table",
                number,
                column.saturating_add(1),
                format!("unknown table {name:?}"),
            );
        }
        let index = match self.ruleset.tables.iter().position(|t| t.name == name) {
            Some(i) => {
                self.diag(
                    Severity::Warning,
                    "repeated-table",
                    number,
                    column,
                    format!("table {name:?} appears again; its rules are added to the first one"),
                );
                i
            }
            None => {
                self.ruleset.tables.push(Table::new(name, Some(number)));
                self.ruleset.tables.len() - 1
            }
        };
        self.current = Some(index);
        self.explicit = true;
    }

    /// The open table, or an implicit `nat` table for rules pasted without a header.
    fn table_for_rule(&mut self, number: u32, column: u32) -> usize {
        if let Some(i) = self.current {
            return i;
        }
        if !self.warned_implicit {
            self.warned_implicit = true;
            self.diag(
                Severity::Info,
                "no-table",
                number,
                column,
                "rules before any *table line are read as the nat table".to_string(),
            );
        }
        let i = match self.ruleset.tables.iter().position(|t| t.name == "nat") {
            Some(i) => i,
            None => {
                self.ruleset.tables.push(Table::new("nat", None));
                self.ruleset.tables.len() - 1
            }
        };
        self.current = Some(i);
        self.explicit = false;
        i
    }

    fn declare(&mut self, number: u32, column: u32, decl: &str) {
        let mut parts = decl.split_whitespace();
        let Some(name) = parts.next() else {
            self.diag(
                Severity::Error,
                "bad-chain-declaration",
                number,
                column,
                "chain declaration without a name".to_string(),
            );
            return;
        };
        let policy = parts.next();
        let counters_text = parts.next();
        let counters = match counters_text {
            Some(c) => match parse_counters(c) {
                Some(c) => Some(c),
                None => {
                    let col = decl
                        .find(c)
                        .map_or(column, |o| column.saturating_add(text::column_of(decl, o)));
                    self.diag(
                        Severity::Warning,
                        "bad-counters",
                        number,
                        col,
                        format!("{c:?} is not [packets:bytes]"),
                    );
                    None
                }
            },
            None => None,
        };
        if self.current.is_none() || !self.explicit {
            self.diag(
                Severity::Warning,
                "declaration-outside-table",
                number,
                column,
                format!("chain {name:?} is declared outside a *table"),
            );
        }
        let t = self.table_for_rule(number, column);
        if let Some(table) = self.ruleset.tables.get_mut(t) {
            if let (Some(chain), _) = table.chain_mut_or_insert(name) {
                chain.declared_line = Some(number);
                chain.deleted = false;
                chain.policy = policy.filter(|p| *p != "-").map(str::to_string);
                chain.counters = counters;
            }
        }
    }

    fn command(&mut self, number: u32, column: u32, tokens: &[Token]) {
        let mut tokens = tokens;
        let mut counters = None;
        if let Some(first) = tokens.first() {
            if first.text.starts_with('[') {
                match parse_counters(&first.text) {
                    Some(c) => counters = Some(c),
                    None => self.diag(
                        Severity::Warning,
                        "bad-counters",
                        number,
                        first.column,
                        format!("{:?} is not [packets:bytes]", first.text),
                    ),
                }
                tokens = tokens.get(1..).unwrap_or_default();
            }
        }
        let Some(command) = tokens.first() else {
            return;
        };
        let chain_token = tokens.get(1);
        let verb = command.text.as_str();
        let known = matches!(
            verb,
            "-A" | "--append"
                | "-I"
                | "--insert"
                | "-N"
                | "--new-chain"
                | "-X"
                | "--delete-chain"
                | "-F"
                | "--flush"
                | "-P"
                | "--policy"
        );
        if !known {
            self.diag(
                Severity::Error,
                "unknown-line",
                number,
                column,
                format!(
                    "not an iptables-save line: {:?}",
                    shorten(
                        &tokens
                            .iter()
                            .map(|t| t.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                ),
            );
            return;
        }
        let Some(chain_token) = chain_token else {
            self.diag(
                Severity::Error,
                "missing-chain",
                number,
                command.column,
                format!("{verb} needs a chain name"),
            );
            return;
        };
        let chain_name = chain_token.text.clone();
        let t = self.table_for_rule(number, column);
        let explicit = self.explicit;
        match verb {
            "-N" | "--new-chain" => {
                if let Some(table) = self.ruleset.tables.get_mut(t) {
                    if let (Some(chain), _) = table.chain_mut_or_insert(&chain_name) {
                        chain.declared_line = Some(number);
                        chain.deleted = false;
                    }
                }
            }
            "-X" | "--delete-chain" => {
                if let Some(table) = self.ruleset.tables.get_mut(t) {
                    if let (Some(chain), _) = table.chain_mut_or_insert(&chain_name) {
                        chain.deleted = true;
                        chain.rules.clear();
                    }
                }
            }
            "-F" | "--flush" => {
                if let Some(table) = self.ruleset.tables.get_mut(t) {
                    if let (Some(chain), _) = table.chain_mut_or_insert(&chain_name) {
                        chain.rules.clear();
                    }
                }
            }
            "-P" | "--policy" => {
                let policy = tokens.get(2).map(|p| p.text.clone());
                if let Some(table) = self.ruleset.tables.get_mut(t) {
                    if let (Some(chain), _) = table.chain_mut_or_insert(&chain_name) {
                        chain.policy = policy;
                    }
                }
            }
            _ => {
                let mut rest = tokens.get(2..).unwrap_or_default();
                let mut position = None;
                if matches!(verb, "-I" | "--insert") {
                    if let Some(n) = rest.first().and_then(|t| t.text.parse::<usize>().ok()) {
                        position = Some(n.saturating_sub(1));
                        rest = rest.get(1..).unwrap_or_default();
                    } else {
                        position = Some(0);
                    }
                }
                let mut rule = self.rule(number, rest);
                if rule.counters.is_none() {
                    rule.counters = counters;
                }
                let mut undeclared = false;
                if let Some(table) = self.ruleset.tables.get_mut(t) {
                    let (chain, created) = table.chain_mut_or_insert(&chain_name);
                    undeclared = created && explicit;
                    if let Some(chain) = chain {
                        chain.deleted = false;
                        match position {
                            Some(p) if p < chain.rules.len() => chain.rules.insert(p, rule),
                            _ => chain.rules.push(rule),
                        }
                    }
                }
                if undeclared {
                    self.diag(
                        Severity::Warning,
                        "undeclared-chain",
                        number,
                        chain_token.column,
                        format!("chain {chain_name:?} has rules but no :{chain_name} declaration"),
                    );
                }
            }
        }
    }

    /// Parses the options of one rule (everything after `-A CHAIN`).
    fn rule(&mut self, number: u32, tokens: &[Token]) -> Rule {
        enum Owner {
            None,
            Match(usize),
            Target,
        }
        let mut rule = Rule {
            line: number,
            counters: None,
            basic: Vec::new(),
            matches: Vec::new(),
            target: None,
        };
        let mut owner = Owner::None;
        let mut negate: Option<u32> = None;
        let mut i = 0;
        while let Some(token) = tokens.get(i) {
            i += 1;
            if !token.quoted && token.text == "!" {
                if negate.is_some() {
                    self.diag(
                        Severity::Warning,
                        "double-negation",
                        number,
                        token.column,
                        "\"!\" given twice".to_string(),
                    );
                }
                negate = Some(token.column);
                continue;
            }
            if !is_option(token) {
                self.diag(
                    Severity::Warning,
                    "stray-value",
                    number,
                    token.column,
                    format!(
                        "{:?} does not belong to any option; ignored",
                        shorten(&token.text)
                    ),
                );
                continue;
            }
            let negated = negate.take().is_some();
            let name = token.text.as_str();
            match name {
                "-m" | "--match" | "-j" | "--jump" | "-g" | "--goto" => {
                    if negated {
                        self.diag(
                            Severity::Warning,
                            "misplaced-negation",
                            number,
                            token.column,
                            format!("\"!\" cannot negate {name}"),
                        );
                    }
                    let Some(arg) = tokens.get(i).filter(|t| t.quoted || !is_option(t)) else {
                        self.diag(
                            Severity::Error,
                            "missing-argument",
                            number,
                            token.column,
                            format!("{name} needs a name"),
                        );
                        continue;
                    };
                    i += 1;
                    if matches!(name, "-m" | "--match") {
                        rule.matches.push(Match {
                            name: arg.text.clone(),
                            options: Vec::new(),
                        });
                        owner = Owner::Match(rule.matches.len() - 1);
                    } else {
                        if let Some(previous) = &rule.target {
                            self.diag(
                                Severity::Warning,
                                "second-target",
                                number,
                                token.column,
                                format!(
                                    "a second target {:?} replaces {:?}",
                                    arg.text, previous.name
                                ),
                            );
                        }
                        rule.target = Some(Target {
                            name: arg.text.clone(),
                            goto: matches!(name, "-g" | "--goto"),
                            options: Vec::new(),
                        });
                        owner = Owner::Target;
                    }
                }
                "-c" | "--set-counters" => {
                    let packets = tokens.get(i).and_then(|t| t.text.parse().ok());
                    let bytes = tokens.get(i + 1).and_then(|t| t.text.parse().ok());
                    match (packets, bytes) {
                        (Some(packets), Some(bytes)) => {
                            rule.counters = Some(Counters { packets, bytes });
                            i += 2;
                        }
                        _ => self.diag(
                            Severity::Warning,
                            "bad-counters",
                            number,
                            token.column,
                            "-c needs two numbers".to_string(),
                        ),
                    }
                }
                _ => {
                    let basic = basic_option(name);
                    let arity = if basic == Some("-f") {
                        Some(0)
                    } else if basic.is_some() {
                        Some(1)
                    } else {
                        None
                    };
                    let mut values = Vec::new();
                    let mut negated = negated;
                    // Old style negation after the option: `-s ! 10.0.0.0/8`.
                    if let Some(t) = tokens.get(i) {
                        if !t.quoted && t.text == "!" && arity != Some(0) {
                            negated = true;
                            i += 1;
                        }
                    }
                    while let Some(t) = tokens.get(i) {
                        if arity.is_some_and(|n| values.len() >= n)
                            || (!t.quoted && (is_option(t) || t.text == "!"))
                        {
                            break;
                        }
                        values.push(t.text.clone());
                        i += 1;
                    }
                    if arity == Some(1) && values.is_empty() {
                        self.diag(
                            Severity::Error,
                            "missing-argument",
                            number,
                            token.column,
                            format!("{name} needs a value"),
                        );
                    }
                    let opt = Opt {
                        name: basic.unwrap_or(name).to_string(),
                        negated,
                        values,
                    };
                    if basic.is_some() {
                        rule.basic.push(opt);
                        continue;
                    }
                    match owner {
                        Owner::Match(m) => {
                            if let Some(m) = rule.matches.get_mut(m) {
                                m.options.push(opt);
                            }
                        }
                        Owner::Target => {
                            if let Some(t) = rule.target.as_mut() {
                                t.options.push(opt);
                            }
                        }
                        Owner::None => {
                            // `-p tcp --dport 80` loads the protocol's match implicitly.
                            let implicit = rule.basic("-p").map(Opt::value).filter(|p| {
                                matches!(p.as_str(), "tcp" | "udp" | "sctp" | "icmp" | "icmpv6")
                            });
                            match implicit {
                                Some(proto) => {
                                    rule.matches.push(Match {
                                        name: proto,
                                        options: vec![opt],
                                    });
                                    owner = Owner::Match(rule.matches.len() - 1);
                                }
                                None => {
                                    self.diag(
                                        Severity::Warning,
                                        "orphan-option",
                                        number,
                                        token.column,
                                        format!("{name} comes before any -m or -j; kept as an unnamed match"),
                                    );
                                    rule.matches.push(Match {
                                        name: String::new(),
                                        options: vec![opt],
                                    });
                                    owner = Owner::Match(rule.matches.len() - 1);
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Some(column) = negate {
            self.diag(
                Severity::Warning,
                "dangling-negation",
                number,
                column,
                "\"!\" at the end of the rule negates nothing".to_string(),
            );
        }
        rule
    }
}

fn is_option(token: &Token) -> bool {
    if token.quoted {
        return false;
    }
    let t = token.text.as_str();
    t.len() > 1
        && t.starts_with('-')
        && !t
            .get(1..2)
            .is_some_and(|c| c.chars().all(|c| c.is_ascii_digit()))
}

fn basic_option(name: &str) -> Option<&'static str> {
    Some(match name {
        "-s" | "--source" | "--src" => "-s",
        "-d" | "--destination" | "--dst" => "-d",
        "-p" | "--protocol" => "-p",
        "-i" | "--in-interface" => "-i",
        "-o" | "--out-interface" => "-o",
        "-f" | "--fragment" => "-f",
        _ => return None,
    })
}

fn parse_counters(text: &str) -> Option<Counters> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (p, b) = inner.split_once(':')?;
    Some(Counters {
        packets: p.parse().ok()?,
        bytes: b.parse().ok()?,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
