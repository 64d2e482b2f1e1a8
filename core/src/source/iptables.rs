//! The `iptables-save` format (and kube-proxy's `iptables-restore` input, which shares its grammar).
//!
//! The parser reads the whole format: `*table`, chain declarations with policy and counters, rules with an
//! optional `[packets:bytes]` prefix, quoted strings, `!` negation in both positions, every match and target
//! with their options (unknown ones kept verbatim), `COMMIT`, `#` comments and CRLF. It never fails a whole
//! document: a line it cannot read becomes a diagnostic and the rest is kept. A value iptables itself would refuse
//! (see [`values`]) is an error at the value's column — `invalid-address`, `invalid-port`, `invalid-protocol`,
//! `invalid-target`, `invalid-probability`, `invalid-mark` — and the rule is kept as written; the walk and the
//! Service graph treat it as a rule that never matches.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::text;

pub mod values;

use values::{Checked, Family, Place};

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

// The parser builds a compact ruleset that borrows its text from the input: every name and value is a `Span` (eight
// bytes) into the input, and rules, matches, options and values each live in one flat vector. That keeps a 30 MB
// dump to about its own size in memory and makes parsing a pass of pushes with no per-token allocation. `parse`
// turns it into the owned `Ruleset`; `analyze` builds the Service graph straight from it.

/// The bit of `Span::start` that says the text is in the view's own buffer, not the input.
const OWN: u32 = 1 << 31;
/// The most bytes a span can address in the input or in the view's own buffer.
const MAX_ADDRESSABLE: usize = (OWN - 1) as usize;
/// Text that the view keeps in its own buffer from the start: the canonical basic option names and `nat`.
const OWN_PRELUDE: &str = "-s-d-p-i-o-fnat";
const NAT: Span = Span {
    start: OWN | 12,
    len: 3,
};

/// A string of a [`RulesetView`]: a byte range of the input, or of the view's own buffer when `start` has [`OWN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    len: u32,
}

/// One option: name, whether negated, and its values (a range of `RulesetView::values`).
#[derive(Debug, Clone, Copy)]
struct OptRec {
    name: Span,
    values: u32,
    value_count: u16,
    negated: bool,
}

/// One match module: name and its options (a range of `RulesetView::opts`).
#[derive(Debug, Clone, Copy)]
struct MatchRec {
    name: Span,
    opts: u32,
    opt_count: u16,
}

/// One rule; its basic options, matches and target options are ranges of the view's vectors.
#[derive(Debug, Clone, Copy)]
struct RuleRec {
    line: u32,
    /// Index + 1 into `RulesetView::counters`; 0 for none.
    counters: u32,
    basic: u32,
    basic_count: u16,
    matches: u32,
    match_count: u16,
    target: Option<Span>,
    goto: bool,
    target_opts: u32,
    target_opt_count: u16,
}

#[derive(Debug, Clone)]
struct ChainRec {
    name: Span,
    policy: Option<Span>,
    counters: Option<Counters>,
    declared_line: Option<u32>,
    deleted: bool,
    rules: RuleList,
}

/// A chain's rules, as indices into `RulesetView::rules`, in order. `iptables-save` writes a chain's rules
/// together, so they are almost always one run of the rule vector and need no list of their own.
#[derive(Debug, Clone)]
enum RuleList {
    Run { start: u32, len: u32 },
    List(Vec<u32>),
}

impl Default for RuleList {
    fn default() -> Self {
        RuleList::Run { start: 0, len: 0 }
    }
}

impl RuleList {
    fn len(&self) -> usize {
        match self {
            RuleList::Run { len, .. } => *len as usize,
            RuleList::List(list) => list.len(),
        }
    }

    fn clear(&mut self) {
        *self = RuleList::default();
    }

    /// Inserts rule `index` at `position` (`None`: at the end).
    fn insert(&mut self, position: Option<usize>, index: u32) {
        if let RuleList::Run { start, len } = self {
            if *len == 0 && position.is_none() {
                *self = RuleList::Run {
                    start: index,
                    len: 1,
                };
                return;
            }
            if position.is_none() && start.checked_add(*len) == Some(index) {
                *len += 1;
                return;
            }
            *self = RuleList::List((*start..*start + *len).collect());
        }
        if let RuleList::List(list) = self {
            match position {
                Some(p) if p < list.len() => list.insert(p, index),
                _ => list.push(index),
            }
        }
    }

    /// The index in `RulesetView::rules` of the chain's rule at `position`.
    fn get(&self, position: usize) -> Option<u32> {
        match self {
            RuleList::Run { start, len } => {
                let position = u32::try_from(position).ok()?;
                (position < *len).then(|| start + position)
            }
            RuleList::List(list) => list.get(position).copied(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let (run, list) = match self {
            RuleList::Run { start, len } => (*start..*start + *len, &[][..]),
            RuleList::List(list) => (0..0, &list[..]),
        };
        run.chain(list.iter().copied())
    }
}

#[derive(Debug, Clone)]
struct TableRec {
    name: Span,
    line: Option<u32>,
    chains: Vec<ChainRec>,
    /// Open-addressing hash table of chains, at most half full. A slot holds the chain's position, the high 32
    /// bits of its name's hash and its name's span, so a probe that hits another chain is rejected without
    /// reading that chain, and a hit reads the name without first loading the chain record.
    index: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    position: u32,
    tag: u32,
    name: Span,
}

const EMPTY_SLOT: Slot = Slot {
    position: u32::MAX,
    tag: 0,
    name: Span { start: 0, len: 0 },
};

fn hash_name(name: &str) -> u64 {
    // FxHash over eight bytes at a time: chain names are short ASCII and only looked up, never iterated.
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = name.len() as u64;
    let mut chunks = name.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    // The index takes the low bits, which FxHash alone mixes poorly for names that differ only in a few
    // characters (every `KUBE-SEP-…`): finish with MurmurHash3's mixer.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A parsed dump that borrows its text from the input: what [`parse`] turns into a [`Ruleset`], and what the
/// Service graph is built from without that copy.
#[derive(Debug, Clone)]
pub(crate) struct RulesetView<'a> {
    base: &'a str,
    own: String,
    own_overflow: bool,
    generated_by: Option<Span>,
    tables: Vec<TableRec>,
    rules: Vec<RuleRec>,
    matches: Vec<MatchRec>,
    opts: Vec<OptRec>,
    values: Vec<Span>,
    counters: Vec<Counters>,
    lines: usize,
}

impl<'a> RulesetView<'a> {
    fn new(base: &'a str, input_len: usize) -> Self {
        // Capacity hints from kube-proxy dumps (≈165 bytes, 3.5 options and 3 values a rule), so the vectors rarely
        // grow: growth by doubling would leave up to half of each unused at the peak.
        let mut own = String::with_capacity(OWN_PRELUDE.len() + 64);
        own.push_str(OWN_PRELUDE);
        Self {
            base,
            own,
            own_overflow: false,
            generated_by: None,
            tables: Vec::new(),
            rules: Vec::with_capacity(input_len / 200),
            matches: Vec::with_capacity(input_len / 100),
            opts: Vec::with_capacity(input_len / 50),
            values: Vec::with_capacity(input_len / 56),
            counters: Vec::new(),
            lines: 0,
        }
    }

    /// Whether `span` is `text`; the length is compared first, so most other names are told apart without reading
    /// the input.
    fn is(&self, span: Span, text: &str) -> bool {
        span.len as usize == text.len() && self.text(span) == text
    }

    fn text(&self, span: Span) -> &str {
        let start = (span.start & !OWN) as usize;
        let end = start + span.len as usize;
        if span.start & OWN == 0 {
            self.base.get(start..end)
        } else {
            self.own.get(start..end)
        }
        .unwrap_or_default()
    }

    /// Copies `text` into the view's own buffer.
    fn keep(&mut self, text: &str) -> Span {
        let start = self.own.len();
        if start + text.len() > MAX_ADDRESSABLE {
            self.own_overflow = true;
            return Span::default();
        }
        self.own.push_str(text);
        Span {
            start: OWN | start as u32,
            len: text.len() as u32,
        }
    }

    /// The table called `name` (the first one, as [`Ruleset::table`]).
    pub(crate) fn table(&self, name: &str) -> Option<TableView<'_>> {
        self.tables
            .iter()
            .find(|t| self.text(t.name) == name)
            .map(|table| TableView { view: self, table })
    }

    /// The tables, in input order.
    pub(crate) fn tables(&self) -> impl Iterator<Item = TableView<'_>> {
        self.tables
            .iter()
            .map(|table| TableView { view: self, table })
    }

    /// Number of tables.
    pub(crate) fn table_count(&self) -> usize {
        self.tables.len()
    }

    /// Number of chains over all tables, as [`Ruleset::chain_count`].
    pub(crate) fn chain_count(&self) -> usize {
        self.tables.iter().map(|t| t.chains.len()).sum()
    }

    /// Number of rules over all tables, as [`Ruleset::rule_count`].
    pub(crate) fn rule_count(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .map(|c| c.rules.len())
            .sum()
    }

    /// Number of lines read, as `text::lines(bytes).count()`.
    pub(crate) fn line_count(&self) -> usize {
        self.lines
    }

    /// The `# Generated by …` header, as [`Ruleset::generated_by`].
    pub(crate) fn generated_by(&self) -> Option<&str> {
        self.generated_by.map(|s| self.text(s))
    }

    fn rule_recs<'v>(&'v self, chain: &'v ChainRec) -> impl Iterator<Item = &'v RuleRec> + 'v {
        chain
            .rules
            .iter()
            .filter_map(|r| self.rules.get(r as usize))
    }

    fn opt_recs(&self, start: u32, count: u16) -> &[OptRec] {
        let start = start as usize;
        self.opts
            .get(start..start + usize::from(count))
            .unwrap_or_default()
    }

    fn match_recs(&self, rule: &RuleRec) -> &[MatchRec] {
        let start = rule.matches as usize;
        self.matches
            .get(start..start + usize::from(rule.match_count))
            .unwrap_or_default()
    }

    fn value_spans(&self, opt: &OptRec) -> &[Span] {
        let start = opt.values as usize;
        self.values
            .get(start..start + usize::from(opt.value_count))
            .unwrap_or_default()
    }

    /// The owned [`Ruleset`] with the same content.
    pub(crate) fn to_ruleset(&self) -> Ruleset {
        let opt = |o: &OptRec| Opt {
            name: self.text(o.name).to_string(),
            negated: o.negated,
            values: self
                .value_spans(o)
                .iter()
                .map(|&v| self.text(v).to_string())
                .collect(),
        };
        let rule = |r: &RuleRec| Rule {
            line: r.line,
            counters: r
                .counters
                .checked_sub(1)
                .and_then(|i| self.counters.get(i as usize))
                .copied(),
            basic: self
                .opt_recs(r.basic, r.basic_count)
                .iter()
                .map(opt)
                .collect(),
            matches: self
                .match_recs(r)
                .iter()
                .map(|m| Match {
                    name: self.text(m.name).to_string(),
                    options: self.opt_recs(m.opts, m.opt_count).iter().map(opt).collect(),
                })
                .collect(),
            target: r.target.map(|name| Target {
                name: self.text(name).to_string(),
                goto: r.goto,
                options: self
                    .opt_recs(r.target_opts, r.target_opt_count)
                    .iter()
                    .map(opt)
                    .collect(),
            }),
        };
        let tables = self
            .tables
            .iter()
            .map(|t| {
                let chains: Vec<Chain> = t
                    .chains
                    .iter()
                    .map(|c| Chain {
                        name: self.text(c.name).to_string(),
                        policy: c.policy.map(|p| self.text(p).to_string()),
                        counters: c.counters,
                        declared_line: c.declared_line,
                        deleted: c.deleted,
                        rules: self.rule_recs(c).map(rule).collect(),
                    })
                    .collect();
                let index = chains
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.name.clone(), i))
                    .collect();
                Table {
                    name: self.text(t.name).to_string(),
                    line: t.line,
                    chains,
                    index,
                }
            })
            .collect();
        Ruleset {
            generated_by: self.generated_by().map(str::to_string),
            tables,
        }
    }

    /// A view with the same content as an owned [`Ruleset`] (its text copied into the view's own buffer).
    pub(crate) fn from_ruleset(ruleset: &Ruleset) -> RulesetView<'static> {
        let mut view = RulesetView::new("", 0);
        view.generated_by = ruleset.generated_by.as_deref().map(|g| view.keep(g));
        for table in &ruleset.tables {
            let name = view.keep(&table.name);
            let mut rec = TableRec {
                name,
                line: table.line,
                chains: Vec::with_capacity(table.chains.len()),
                index: Vec::new(),
            };
            for chain in &table.chains {
                let mut rules = RuleList::default();
                for rule in &chain.rules {
                    let basic = view.opts.len() as u32;
                    for o in &rule.basic {
                        view.push_opt(o);
                    }
                    let matches = view.matches.len() as u32;
                    for m in &rule.matches {
                        let name = view.keep(&m.name);
                        let opts = view.opts.len() as u32;
                        for o in &m.options {
                            view.push_opt(o);
                        }
                        view.matches.push(MatchRec {
                            name,
                            opts,
                            opt_count: count16(m.options.len()),
                        });
                    }
                    let target = rule.target.as_ref().map(|t| view.keep(&t.name));
                    let target_opts = view.opts.len() as u32;
                    let target_options = rule.target.as_ref().map_or(&[][..], |t| &t.options[..]);
                    for o in target_options {
                        view.push_opt(o);
                    }
                    let counters = match rule.counters {
                        Some(c) => {
                            view.counters.push(c);
                            view.counters.len() as u32
                        }
                        None => 0,
                    };
                    rules.insert(None, view.rules.len() as u32);
                    view.rules.push(RuleRec {
                        line: rule.line,
                        counters,
                        basic,
                        basic_count: count16(rule.basic.len()),
                        matches,
                        match_count: count16(rule.matches.len()),
                        target,
                        goto: rule.target.as_ref().is_some_and(|t| t.goto),
                        target_opts,
                        target_opt_count: count16(target_options.len()),
                    });
                }
                let name = view.keep(&chain.name);
                let policy = chain.policy.as_deref().map(|p| view.keep(p));
                let position = rec.chains.len() as u32;
                rec.chains.push(ChainRec {
                    name,
                    policy,
                    counters: chain.counters,
                    declared_line: chain.declared_line,
                    deleted: chain.deleted,
                    rules,
                });
                if view.find_chain(&rec, &chain.name).is_none() {
                    index_insert(&mut rec, position, |s| view.text(s));
                }
            }
            view.tables.push(rec);
        }
        view
    }

    fn push_opt(&mut self, o: &Opt) {
        let name = self.keep(&o.name);
        let values = self.values.len() as u32;
        for v in &o.values {
            let span = self.keep(v);
            self.values.push(span);
        }
        self.opts.push(OptRec {
            name,
            values,
            value_count: count16(o.values.len()),
            negated: o.negated,
        });
    }

    /// The index in `table.chains` of the chain called `name`.
    fn find_chain(&self, table: &TableRec, name: &str) -> Option<usize> {
        if table.index.is_empty() {
            return None;
        }
        let mask = table.index.len() - 1;
        let hash = hash_name(name);
        let tag = (hash >> 32) as u32;
        let mut slot = hash as usize & mask;
        loop {
            let entry = table.index.get(slot)?;
            if entry.position == EMPTY_SLOT.position {
                return None;
            }
            if entry.tag == tag && self.is(entry.name, name) {
                return Some(entry.position as usize);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Adds chain `position` of `table` to its index, growing the index to keep it at most half full.
fn index_insert<'t>(table: &mut TableRec, position: u32, text: impl Fn(Span) -> &'t str) {
    if (table.chains.len()) * 2 > table.index.len() {
        let size = (table.chains.len() * 2).next_power_of_two().max(16);
        table.index = vec![EMPTY_SLOT; size];
        for i in 0..table.chains.len() {
            if let Some(chain) = table.chains.get(i) {
                place(&mut table.index, text(chain.name), chain.name, i as u32);
            }
        }
        return;
    }
    if let Some(chain) = table.chains.get(position as usize) {
        place(&mut table.index, text(chain.name), chain.name, position);
    }
}

fn place(index: &mut [Slot], text: &str, name: Span, position: u32) {
    if index.is_empty() {
        return;
    }
    let mask = index.len() - 1;
    let hash = hash_name(text);
    let mut slot = hash as usize & mask;
    while let Some(entry) = index.get_mut(slot) {
        if entry.position == EMPTY_SLOT.position {
            *entry = Slot {
                position,
                tag: (hash >> 32) as u32,
                name,
            };
            return;
        }
        slot = (slot + 1) & mask;
    }
}

/// A count for the view's records. Lines are at most 64 KiB, so a rule has fewer than 2^16 tokens.
fn count16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// One table of a [`RulesetView`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableView<'v> {
    view: &'v RulesetView<'v>,
    table: &'v TableRec,
}

impl<'v> TableView<'v> {
    /// The table's name.
    pub(crate) fn name(&self) -> &'v str {
        self.view.text(self.table.name)
    }

    /// Line of the `*table` header; `None` for rules pasted without one (as [`Table::line`]).
    pub(crate) fn line(&self) -> Option<u32> {
        self.table.line
    }

    /// Every chain in declaration order, deleted ones included, with its position (what [`Self::position`] gives).
    pub(crate) fn chains(&self) -> impl Iterator<Item = (usize, ChainView<'v>)> + 'v {
        let view = self.view;
        self.table
            .chains
            .iter()
            .enumerate()
            .map(move |(i, chain)| (i, ChainView { view, chain }))
    }

    /// The chain at `position` among [`Self::chains`].
    pub(crate) fn chain_at(&self, position: usize) -> Option<ChainView<'v>> {
        let view = self.view;
        self.table
            .chains
            .get(position)
            .map(|chain| ChainView { view, chain })
    }

    /// Number of chains, deleted ones included.
    pub(crate) fn chain_count(&self) -> usize {
        self.table.chains.len()
    }

    /// The position among [`Self::chains`] of the chain called `name`, unless it was deleted.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        let i = self.view.find_chain(self.table, name)?;
        let chain = self.table.chains.get(i)?;
        (!chain.deleted).then_some(i)
    }

    /// The chain called `name`, unless it was deleted (as [`Table::chain`]).
    pub(crate) fn chain(&self, name: &str) -> Option<ChainView<'v>> {
        let i = self.view.find_chain(self.table, name)?;
        let chain = self.table.chains.get(i)?;
        (!chain.deleted).then_some(ChainView {
            view: self.view,
            chain,
        })
    }
}

/// One chain of a [`RulesetView`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChainView<'v> {
    view: &'v RulesetView<'v>,
    chain: &'v ChainRec,
}

impl<'v> ChainView<'v> {
    /// The chain's name.
    pub(crate) fn name(&self) -> &'v str {
        self.view.text(self.chain.name)
    }

    /// Whether an `-X` line deleted it.
    pub(crate) fn deleted(&self) -> bool {
        self.chain.deleted
    }

    /// Number of rules.
    pub(crate) fn rule_count(&self) -> usize {
        self.chain.rules.len()
    }

    /// Line of the `:CHAIN` declaration, or of its first rule when it was not declared; 1 when it has neither.
    pub(crate) fn first_line(&self) -> u32 {
        self.declared_line()
            .or_else(|| self.rules().next().map(|r| r.line()))
            .unwrap_or(1)
    }

    /// Line of the `:CHAIN` declaration.
    pub(crate) fn declared_line(&self) -> Option<u32> {
        self.chain.declared_line
    }

    /// The policy of a built-in chain; `None` for a user chain (as [`Chain::policy`]).
    pub(crate) fn policy(&self) -> Option<&'v str> {
        self.chain.policy.map(|p| self.view.text(p))
    }

    /// The rule at `position` (0-based) among [`Self::rules`].
    pub(crate) fn rule(&self, position: usize) -> Option<RuleView<'v>> {
        let view = self.view;
        let index = self.chain.rules.get(position)?;
        view.rules
            .get(index as usize)
            .map(|rule| RuleView { view, rule })
    }

    /// The rules, in order.
    pub(crate) fn rules(&self) -> impl Iterator<Item = RuleView<'v>> + 'v {
        let view = self.view;
        view.rule_recs(self.chain)
            .map(move |rule| RuleView { view, rule })
    }
}

/// One rule of a [`RulesetView`], with the accessors of [`Rule`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleView<'v> {
    view: &'v RulesetView<'v>,
    rule: &'v RuleRec,
}

impl<'v> RuleView<'v> {
    fn opt(&self, opt: &'v OptRec) -> OptView<'v> {
        OptView {
            view: self.view,
            opt,
        }
    }

    /// 1-based line in the source.
    pub(crate) fn line(&self) -> u32 {
        self.rule.line
    }

    /// Whether the target is a goto (`-g`), as [`Target::goto`].
    pub(crate) fn goto(&self) -> bool {
        self.rule.goto
    }

    /// The basic options (`-s`, `-d`, `-p`, `-i`, `-o`, `-f`), in order (as [`Rule::basic`]).
    pub(crate) fn basics(&self) -> impl Iterator<Item = OptView<'v>> + 'v {
        let (view, rule) = (self.view, self.rule);
        view.opt_recs(rule.basic, rule.basic_count)
            .iter()
            .map(move |opt| OptView { view, opt })
    }

    /// The match modules, in order (as [`Rule::matches`]).
    pub(crate) fn matches(&self) -> impl Iterator<Item = MatchView<'v>> + 'v {
        let view = self.view;
        view.match_recs(self.rule)
            .iter()
            .map(move |m| MatchView { view, m })
    }

    /// As [`Rule::target_name`].
    pub(crate) fn target_name(&self) -> Option<&'v str> {
        self.rule.target.map(|t| self.view.text(t))
    }

    /// Whether the rule's target is `name`.
    pub(crate) fn target_is(&self, name: &str) -> bool {
        self.rule.target.is_some_and(|t| self.view.is(t, name))
    }

    /// As [`Rule::basic`].
    pub(crate) fn basic(&self, name: &str) -> Option<OptView<'v>> {
        self.view
            .opt_recs(self.rule.basic, self.rule.basic_count)
            .iter()
            .find(|o| self.view.is(o.name, name))
            .map(|o| self.opt(o))
    }

    /// As [`Rule::match_opt`].
    pub(crate) fn match_opt(&self, module: &str, option: &str) -> Option<OptView<'v>> {
        let view = self.view;
        for m in view.match_recs(self.rule) {
            if view.is(m.name, module) {
                if let Some(o) = view
                    .opt_recs(m.opts, m.opt_count)
                    .iter()
                    .find(|o| view.is(o.name, option))
                {
                    return Some(self.opt(o));
                }
            }
        }
        None
    }

    /// As [`Rule::comment`]; borrowed when there is one `--comment` with one value, as kube-proxy writes them.
    pub(crate) fn comment(&self) -> Option<Cow<'v, str>> {
        let view = self.view;
        let mut comment: Option<Cow<'v, str>> = None;
        for m in view.match_recs(self.rule) {
            if !view.is(m.name, "comment") {
                continue;
            }
            for o in view.opt_recs(m.opts, m.opt_count) {
                if !view.is(o.name, "--comment") {
                    continue;
                }
                let part = self.opt(o).value();
                comment = Some(match comment {
                    None => part,
                    Some(before) => {
                        let mut joined = before.into_owned();
                        joined.push(' ');
                        joined.push_str(&part);
                        Cow::Owned(joined)
                    }
                });
            }
        }
        comment
    }

    /// The target's options, in order.
    pub(crate) fn target_opts(&self) -> impl Iterator<Item = OptView<'v>> + 'v {
        let (view, rule) = (self.view, self.rule);
        let opts = match rule.target {
            Some(_) => view.opt_recs(rule.target_opts, rule.target_opt_count),
            None => &[],
        };
        opts.iter().map(move |opt| OptView { view, opt })
    }

    /// As [`Rule::target_opt`].
    pub(crate) fn target_opt(&self, option: &str) -> Option<OptView<'v>> {
        self.rule.target?;
        self.view
            .opt_recs(self.rule.target_opts, self.rule.target_opt_count)
            .iter()
            .find(|o| self.view.is(o.name, option))
            .map(|o| self.opt(o))
    }

    /// As [`Rule::dport`].
    pub(crate) fn dport(&self) -> Option<OptView<'v>> {
        let view = self.view;
        view.match_recs(self.rule)
            .iter()
            .flat_map(|m| view.opt_recs(m.opts, m.opt_count))
            .find(|o| view.is(o.name, "--dport") || view.is(o.name, "--destination-port"))
            .map(|o| self.opt(o))
    }
}

/// One match module of a [`RulesetView`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchView<'v> {
    view: &'v RulesetView<'v>,
    m: &'v MatchRec,
}

impl<'v> MatchView<'v> {
    /// The module's name (`statistic`).
    pub(crate) fn name(&self) -> &'v str {
        self.view.text(self.m.name)
    }

    /// Its options, in order.
    pub(crate) fn options(&self) -> impl Iterator<Item = OptView<'v>> + 'v {
        let view = self.view;
        view.opt_recs(self.m.opts, self.m.opt_count)
            .iter()
            .map(move |opt| OptView { view, opt })
    }
}

/// One option of a [`RulesetView`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptView<'v> {
    view: &'v RulesetView<'v>,
    opt: &'v OptRec,
}

impl<'v> OptView<'v> {
    /// The option's name (`--mark`).
    pub(crate) fn name(&self) -> &'v str {
        self.view.text(self.opt.name)
    }

    /// Whether a `!` negates it.
    pub(crate) fn negated(&self) -> bool {
        self.opt.negated
    }

    /// As [`Opt::value`]: the values joined by a space; borrowed for a single value.
    pub(crate) fn value(&self) -> Cow<'v, str> {
        match self.view.value_spans(self.opt) {
            [] => Cow::Borrowed(""),
            [one] => Cow::Borrowed(self.view.text(*one)),
            many => Cow::Owned(
                many.iter()
                    .map(|&v| self.view.text(v))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

/// Parses into a [`RulesetView`] that borrows `bytes`. [`parse`] is this followed by [`RulesetView::to_ruleset`].
pub(crate) fn parse_view(bytes: &[u8]) -> Parsed<RulesetView<'_>> {
    let mut diagnostics = Vec::new();
    let bytes = match bytes.get(..MAX_ADDRESSABLE) {
        Some(head) if bytes.len() > MAX_ADDRESSABLE => {
            diagnostics.push(Diagnostic::new(
                Severity::Error,
                "input-too-large",
                1,
                1,
                format!("the parser reads at most {MAX_ADDRESSABLE} bytes; the rest is ignored"),
            ));
            head
        }
        _ => bytes,
    };
    // Lines up to the first invalid UTF-8 byte are read in place; later lines are decoded into the view's buffer.
    let base = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => bytes
            .get(..e.valid_up_to())
            .and_then(|valid| std::str::from_utf8(valid).ok())
            .unwrap_or_default(),
    };
    let mut p = Parser {
        view: RulesetView::new(base, bytes.len()),
        diagnostics,
        current: None,
        explicit: false,
        warned_implicit: false,
        last_chain: None,
        basic: Vec::new(),
        match_opts: Vec::new(),
        matches: Vec::new(),
        target_opts: Vec::new(),
        family: None,
    };
    let mut tokens = Vec::new();
    let mut scratch = String::new();
    let mut decoded = String::new();
    // Most dumps are ASCII; then every line is, and columns are byte offsets.
    let all_ascii = base.len() == bytes.len() && base.is_ascii();
    for line in text::line_spans(bytes) {
        p.view.lines += 1;
        let len = line.end - line.start;
        if len > MAX_LINE_BYTES {
            p.diag(
                Severity::Error,
                "line-too-long",
                line.number,
                1,
                format!(
                    "line of {} bytes is longer than the {} bytes read; skipped",
                    len, MAX_LINE_BYTES
                ),
            );
            continue;
        }
        let mut input = Input {
            text: "",
            ascii: all_ascii,
            home: line.start as u32,
            tokens: &mut tokens,
            scratch: &mut scratch,
        };
        if let Some(text) = base.get(line.start..line.end) {
            input.text = text;
            input.ascii = all_ascii || text.is_ascii();
        } else {
            let raw = bytes.get(line.start..line.end).unwrap_or_default();
            let (content, bad_column) = text::decode(raw);
            if let Some(column) = bad_column {
                p.diag(
                    Severity::Warning,
                    "invalid-utf8",
                    line.number,
                    column,
                    "invalid UTF-8; the bad bytes were replaced".to_string(),
                );
            }
            decoded.clear();
            decoded.push_str(&content);
            let kept = p.view.keep(&decoded);
            if kept.len as usize != decoded.len() {
                continue;
            }
            input.home = kept.start;
            input.text = &decoded;
            input.ascii = decoded.is_ascii();
        }
        p.line(line.number, &mut input);
    }
    if p.explicit {
        if let Some(name) = p.current_table_name() {
            let line = p
                .current
                .and_then(|i| p.view.tables.get(i))
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
    if p.view.own_overflow {
        p.diag(
            Severity::Error,
            "input-too-large",
            1,
            1,
            format!("text beyond {MAX_ADDRESSABLE} bytes of rebuilt lines was not kept"),
        );
    }
    Parsed {
        value: p.view,
        diagnostics: p.diagnostics,
    }
}

/// The line being parsed: its text, where that text starts in the view (a `Span::start`), and the token buffers.
struct Input<'l> {
    text: &'l str,
    /// Whether `text` is ASCII.
    ascii: bool,
    home: u32,
    tokens: &'l mut Vec<text::RawToken>,
    scratch: &'l mut String,
}

/// A match being read, before the rule's options are laid out in the view.
#[derive(Debug, Clone, Copy)]
struct PendingMatch {
    name: Span,
    /// Index of its first option in `Parser::match_opts` (a match's options are contiguous there).
    first: usize,
    count: usize,
}

struct Parser<'a> {
    view: RulesetView<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Index into `view.tables` of the open table.
    current: Option<usize>,
    /// Whether the open table was opened by a `*table` line (and still needs a `COMMIT`).
    explicit: bool,
    warned_implicit: bool,
    /// The table and chain the previous rule went to: `iptables-save` writes a chain's rules together, so most
    /// rules skip the lookup.
    last_chain: Option<(usize, usize)>,
    // Scratch of the rule being read, reused from rule to rule.
    basic: Vec<OptRec>,
    match_opts: Vec<OptRec>,
    matches: Vec<PendingMatch>,
    target_opts: Vec<OptRec>,
    /// The address family of the dump: from its `# Generated by ip[6]tables-save` header, else from its first
    /// valid address. A value of the other family is not valid.
    family: Option<Family>,
}

/// The byte offset of `inner` in `outer`; `inner` is a subslice of `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

impl Parser<'_> {
    fn diag(&mut self, severity: Severity, code: &str, line: u32, column: u32, message: String) {
        self.diagnostics
            .push(Diagnostic::new(severity, code, line, column, message));
    }

    /// [`Self::check_value`] for an option of the match module or target called `owner`.
    fn check_in(&mut self, number: u32, owner: Span, target: bool, opt: &OptRec, column: u32) {
        // Most options (`--comment` above all) have no value to check: the name decides first.
        let named = matches!(
            self.view.text(opt.name),
            "--dport"
                | "--sport"
                | "--destination-port"
                | "--source-port"
                | "--dports"
                | "--sports"
                | "--ports"
                | "--destination-ports"
                | "--source-ports"
                | "--probability"
                | "--every"
                | "--mark"
                | "--to-destination"
                | "--to-source"
                | "--to-ports"
                | "--set-xmark"
                | "--set-mark"
                | "--and-mark"
                | "--or-mark"
                | "--xor-mark"
        );
        if !named {
            return;
        }
        // Only these modules and targets have values that are checked; most options skip the check here.
        let checked = if target {
            matches!(
                self.view.text(owner),
                "DNAT" | "SNAT" | "REDIRECT" | "MASQUERADE" | "MARK"
            )
        } else {
            matches!(
                self.view.text(owner),
                "tcp" | "udp" | "sctp" | "dccp" | "udplite" | "multiport" | "statistic" | "mark"
            )
        };
        if checked {
            self.check_value(number, Some((owner, target)), opt, column);
        }
    }

    /// Checks an option's value as iptables would before loading the rule: a basic option (`owner` `None`), or an
    /// option of a match module or target (`(name, is_target)`). An invalid value is an error diagnostic at the
    /// value's `column`; an option without a value is left to the diagnostics about missing values.
    fn check_value(&mut self, number: u32, owner: Option<(Span, bool)>, opt: &OptRec, column: u32) {
        let view = &self.view;
        let value: Cow<'_, str> = match view.value_spans(opt) {
            [] => return,
            [one] => Cow::Borrowed(view.text(*one)),
            many => Cow::Owned(
                many.iter()
                    .map(|&v| view.text(v))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        };
        let place = match owner {
            None => Place::Basic,
            Some((name, false)) => Place::Match(view.text(name)),
            Some((name, true)) => Place::Target(view.text(name)),
        };
        let name = view.text(opt.name);
        match values::check(place, name, &value, self.family) {
            Checked::Unchecked => {}
            Checked::Valid(family) => {
                if self.family.is_none() {
                    self.family = family;
                }
            }
            Checked::Invalid(invalid) => {
                let message = invalid.message(name, &value, matches!(place, Place::Target(_)));
                self.diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    invalid.code,
                    number,
                    column,
                    message,
                ));
            }
        }
    }

    fn current_table_name(&self) -> Option<String> {
        self.current
            .and_then(|i| self.view.tables.get(i))
            .map(|t| self.view.text(t.name).to_string())
    }

    /// The span of `part`, a subslice of the line being read.
    fn span(input: &Input<'_>, part: &str) -> Span {
        Span {
            start: input
                .home
                .saturating_add(offset_in(input.text, part) as u32),
            len: part.len() as u32,
        }
    }

    /// The span of a token's text: in place when written as is, copied into the view's buffer otherwise.
    fn token_span(&mut self, line: &Line<'_>, token: &text::RawToken) -> Span {
        match token.text {
            text::TokenText::Line(start, end) => Span {
                start: line.home.saturating_add(start as u32),
                len: (end - start) as u32,
            },
            text::TokenText::Scratch(start, end) => {
                let text = line.scratch.get(start..end).unwrap_or_default();
                self.view.keep(text)
            }
        }
    }

    fn line(&mut self, number: u32, input: &mut Input<'_>) {
        let content = input.text;
        let (trimmed, indent) = if input.ascii {
            // For ASCII, `char::is_whitespace` is exactly these bytes, and a column is a byte offset + 1.
            let lead = content.bytes().take_while(|&b| is_space(b)).count();
            let rest = content.get(lead..).unwrap_or_default();
            let tail = rest.bytes().rev().take_while(|&b| is_space(b)).count();
            let trimmed = rest.get(..rest.len() - tail).unwrap_or_default();
            (trimmed, u32::try_from(lead + 1).unwrap_or(u32::MAX))
        } else {
            let trimmed = content.trim_start();
            let indent = text::column_of(content, content.len() - trimmed.len());
            (trimmed.trim_end(), indent)
        };
        if trimmed.is_empty() {
            return;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(rest) = comment.trim().strip_prefix("Generated by ") {
                // Each `iptables-save` or `ip6tables-save` run writes its header: the family changes with it.
                if let Some(family) = rest.split_whitespace().next().and_then(Family::of_tool) {
                    self.family = Some(family);
                }
                if self.view.generated_by.is_none() {
                    let tool = rest.split(" on ").next().unwrap_or(rest);
                    self.view.generated_by = Some(Self::span(input, tool));
                }
            }
            return;
        }
        if let Some(name) = trimmed.strip_prefix('*') {
            let name = name.trim();
            let span = Self::span(input, name);
            self.open_table(number, indent, name, span);
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
            self.declare(number, indent, decl, input);
            return;
        }
        let tok_error = text::tokenize_into(trimmed, input.ascii, input.tokens, input.scratch);
        let offset = indent.saturating_sub(1);
        for t in input.tokens.iter_mut() {
            t.column = t.column.saturating_add(offset);
        }
        if let Some(e) = tok_error {
            self.diag(
                Severity::Warning,
                "unterminated-quote",
                number,
                e.column.saturating_add(offset),
                e.message,
            );
        }
        let line = Line {
            text: trimmed,
            home: Self::span(input, trimmed).start,
            scratch: input.scratch,
        };
        self.command(number, indent, &line, input.tokens);
    }

    fn open_table(&mut self, number: u32, column: u32, name: &str, span: Span) {
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
        let index = match self
            .view
            .tables
            .iter()
            .position(|t| self.view.text(t.name) == name)
        {
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
                self.view.tables.push(TableRec {
                    name: span,
                    line: Some(number),
                    chains: Vec::new(),
                    index: Vec::new(),
                });
                self.view.tables.len() - 1
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
        let i = match self
            .view
            .tables
            .iter()
            .position(|t| self.view.text(t.name) == "nat")
        {
            Some(i) => i,
            None => {
                self.view.tables.push(TableRec {
                    name: NAT,
                    line: None,
                    chains: Vec::new(),
                    index: Vec::new(),
                });
                self.view.tables.len() - 1
            }
        };
        self.current = Some(i);
        self.explicit = false;
        i
    }

    /// The chain called `name` in table `t`, created empty if it does not exist yet; also says whether it was
    /// created.
    fn chain_mut_or_insert(
        &mut self,
        t: usize,
        name: &str,
        span: Span,
    ) -> (Option<&mut ChainRec>, bool) {
        let Some(table) = self.view.tables.get(t) else {
            return (None, false);
        };
        let last = self
            .last_chain
            .filter(|&(lt, _)| lt == t)
            .and_then(|(_, i)| table.chains.get(i).map(|c| (i, c)))
            .filter(|(_, c)| self.view.text(c.name) == name)
            .map(|(i, _)| i);
        let found = last.or_else(|| self.view.find_chain(table, name));
        let (i, created) = match found {
            Some(i) => (i, false),
            None => {
                let view = &mut self.view;
                let Some(table) = view.tables.get_mut(t) else {
                    return (None, false);
                };
                table.chains.push(ChainRec {
                    name: span,
                    policy: None,
                    counters: None,
                    declared_line: None,
                    deleted: false,
                    rules: RuleList::default(),
                });
                let i = table.chains.len() - 1;
                let (base, own) = (view.base, &view.own);
                index_insert(table, i as u32, |s| text_of(base, own, s));
                (i, true)
            }
        };
        self.last_chain = Some((t, i));
        (
            self.view
                .tables
                .get_mut(t)
                .and_then(|table| table.chains.get_mut(i)),
            created,
        )
    }

    fn declare(&mut self, number: u32, column: u32, decl: &str, input: &Input<'_>) {
        let mut words = [None; 3];
        if input.ascii {
            first_words(ascii_words(decl), &mut words);
        } else {
            first_words(decl.split_whitespace(), &mut words);
        }
        let mut parts = words.into_iter().flatten();
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
        let name_span = Self::span(input, name);
        let policy = policy.filter(|p| *p != "-").map(|p| Self::span(input, p));
        if let (Some(chain), _) = self.chain_mut_or_insert(t, name, name_span) {
            chain.declared_line = Some(number);
            chain.deleted = false;
            chain.policy = policy;
            chain.counters = counters;
        }
    }

    fn command(&mut self, number: u32, column: u32, line: &Line<'_>, tokens: &[text::RawToken]) {
        let text = |t: &text::RawToken| t.text(line.text, line.scratch);
        let mut tokens = tokens;
        let mut counters = None;
        if let Some(first) = tokens.first() {
            let first_text = text(first);
            if first_text.starts_with('[') {
                match parse_counters(first_text) {
                    Some(c) => counters = Some(c),
                    None => self.diag(
                        Severity::Warning,
                        "bad-counters",
                        number,
                        first.column,
                        format!("{:?} is not [packets:bytes]", first_text),
                    ),
                }
                tokens = tokens.get(1..).unwrap_or_default();
            }
        }
        let Some(command) = tokens.first() else {
            return;
        };
        let chain_token = tokens.get(1);
        let verb_text = text(command);
        let Some(verb) = verb(verb_text) else {
            self.diag(
                Severity::Error,
                "unknown-line",
                number,
                column,
                format!(
                    "not an iptables-save line: {:?}",
                    shorten(&tokens.iter().map(text).collect::<Vec<_>>().join(" "))
                ),
            );
            return;
        };
        let Some(chain_token) = chain_token else {
            self.diag(
                Severity::Error,
                "missing-chain",
                number,
                command.column,
                format!("{verb_text} needs a chain name"),
            );
            return;
        };
        let chain_name = text(chain_token);
        let chain_span = self.token_span(line, chain_token);
        let t = self.table_for_rule(number, column);
        let explicit = self.explicit;
        match verb {
            Verb::NewChain => {
                if let (Some(chain), _) = self.chain_mut_or_insert(t, chain_name, chain_span) {
                    chain.declared_line = Some(number);
                    chain.deleted = false;
                }
            }
            Verb::DeleteChain => {
                if let (Some(chain), _) = self.chain_mut_or_insert(t, chain_name, chain_span) {
                    chain.deleted = true;
                    chain.rules.clear();
                }
            }
            Verb::Flush => {
                if let (Some(chain), _) = self.chain_mut_or_insert(t, chain_name, chain_span) {
                    chain.rules.clear();
                }
            }
            Verb::Policy => {
                let policy = tokens.get(2).map(|p| self.token_span(line, p));
                if let (Some(chain), _) = self.chain_mut_or_insert(t, chain_name, chain_span) {
                    chain.policy = policy;
                }
            }
            Verb::Append | Verb::Insert => {
                let mut rest = tokens.get(2..).unwrap_or_default();
                let mut position = None;
                if verb == Verb::Insert {
                    if let Some(n) = rest.first().and_then(|t| text(t).parse::<usize>().ok()) {
                        position = Some(n.saturating_sub(1));
                        rest = rest.get(1..).unwrap_or_default();
                    } else {
                        position = Some(0);
                    }
                }
                let (mut rule, rule_counters) = self.rule(number, rest, line);
                if let Some(c) = rule_counters.or(counters) {
                    self.view.counters.push(c);
                    rule.counters = self.view.counters.len() as u32;
                }
                let index = self.view.rules.len() as u32;
                self.view.rules.push(rule);
                let (chain, created) = self.chain_mut_or_insert(t, chain_name, chain_span);
                let undeclared = created && explicit;
                if let Some(chain) = chain {
                    chain.deleted = false;
                    chain.rules.insert(position, index);
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

    /// Parses the options of one rule (everything after `-A CHAIN`) into the view's vectors; returns the rule
    /// (not yet in a chain) and its `-c` counters.
    fn rule(
        &mut self,
        number: u32,
        tokens: &[text::RawToken],
        line: &Line<'_>,
    ) -> (RuleRec, Option<Counters>) {
        enum Owner {
            None,
            Match(usize),
            Target,
        }
        let text = |t: &text::RawToken| t.text(line.text, line.scratch);
        self.basic.clear();
        self.match_opts.clear();
        self.matches.clear();
        self.target_opts.clear();
        let mut target: Option<(Span, bool)> = None;
        let mut counters = None;
        let mut owner = Owner::None;
        let mut negate: Option<u32> = None;
        let mut i = 0;
        while let Some(token) = tokens.get(i) {
            i += 1;
            let token_text = text(token);
            if !token.quoted && token_text == "!" {
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
            if !is_option(token_text, token.quoted) {
                self.diag(
                    Severity::Warning,
                    "stray-value",
                    number,
                    token.column,
                    format!(
                        "{:?} does not belong to any option; ignored",
                        shorten(token_text)
                    ),
                );
                continue;
            }
            let negated = negate.take().is_some();
            let name = token_text;
            let kind = word(name);
            match kind {
                Word::Match | Word::Jump | Word::Goto => {
                    if negated {
                        self.diag(
                            Severity::Warning,
                            "misplaced-negation",
                            number,
                            token.column,
                            format!("\"!\" cannot negate {name}"),
                        );
                    }
                    let Some(arg) = tokens
                        .get(i)
                        .filter(|t| t.quoted || !is_option(text(t), t.quoted))
                    else {
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
                    let arg_span = self.token_span(line, arg);
                    if kind == Word::Match {
                        self.matches.push(PendingMatch {
                            name: arg_span,
                            first: self.match_opts.len(),
                            count: 0,
                        });
                        owner = Owner::Match(self.matches.len() - 1);
                    } else {
                        if let Some((previous, _)) = target {
                            let message = format!(
                                "a second target {:?} replaces {:?}",
                                text(arg),
                                self.view.text(previous)
                            );
                            self.diag(
                                Severity::Warning,
                                "second-target",
                                number,
                                token.column,
                                message,
                            );
                        }
                        target = Some((arg_span, kind == Word::Goto));
                        self.target_opts.clear();
                        owner = Owner::Target;
                    }
                }
                Word::Counters => {
                    let packets = tokens.get(i).and_then(|t| text(t).parse().ok());
                    let bytes = tokens.get(i + 1).and_then(|t| text(t).parse().ok());
                    match (packets, bytes) {
                        (Some(packets), Some(bytes)) => {
                            counters = Some(Counters { packets, bytes });
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
                Word::Other => {
                    let basic = basic_option(name);
                    let arity = if basic == Some("-f") {
                        Some(0)
                    } else if basic.is_some() {
                        Some(1)
                    } else {
                        None
                    };
                    let values = self.view.values.len();
                    let mut value_count = 0;
                    let mut value_column = token.column;
                    let mut negated = negated;
                    // Old style negation after the option: `-s ! 10.0.0.0/8`.
                    if let Some(t) = tokens.get(i) {
                        if !t.quoted && text(t) == "!" && arity != Some(0) {
                            negated = true;
                            i += 1;
                        }
                    }
                    while let Some(t) = tokens.get(i) {
                        let value = text(t);
                        if arity.is_some_and(|n| value_count >= n)
                            || (!t.quoted && (is_option(value, t.quoted) || value == "!"))
                        {
                            break;
                        }
                        let span = self.token_span(line, t);
                        self.view.values.push(span);
                        if value_count == 0 {
                            value_column = t.column;
                        }
                        value_count += 1;
                        i += 1;
                    }
                    if arity == Some(1) && value_count == 0 {
                        self.diag(
                            Severity::Error,
                            "missing-argument",
                            number,
                            token.column,
                            format!("{name} needs a value"),
                        );
                    }
                    let opt = OptRec {
                        name: match basic {
                            Some(short) => basic_span(short),
                            None => self.token_span(line, token),
                        },
                        values: values as u32,
                        value_count: count16(value_count),
                        negated,
                    };
                    if basic.is_some() {
                        if matches!(basic, Some("-s" | "-d" | "-p")) {
                            self.check_value(number, None, &opt, value_column);
                        }
                        self.basic.push(opt);
                        continue;
                    }
                    match owner {
                        Owner::Match(m) => {
                            // Only the newest match takes options, so each match's options stay contiguous.
                            if let Some(m) = self.matches.get_mut(m) {
                                m.count += 1;
                                let module = m.name;
                                self.match_opts.push(opt);
                                self.check_in(number, module, false, &opt, value_column);
                            }
                        }
                        Owner::Target => {
                            if let Some((name, _)) = target {
                                self.target_opts.push(opt);
                                self.check_in(number, name, true, &opt, value_column);
                            }
                        }
                        Owner::None => {
                            // `-p tcp --dport 80` loads the protocol's match implicitly.
                            let implicit = self
                                .basic
                                .iter()
                                .find(|o| self.view.text(o.name) == "-p")
                                .and_then(|o| {
                                    let spans = self.view.value_spans(o);
                                    match spans {
                                        [one] => Some(*one),
                                        _ => None,
                                    }
                                })
                                .filter(|&p| {
                                    matches!(
                                        self.view.text(p),
                                        "tcp" | "udp" | "sctp" | "icmp" | "icmpv6"
                                    )
                                });
                            let name = match implicit {
                                Some(proto) => proto,
                                None => {
                                    self.diag(
                                        Severity::Warning,
                                        "orphan-option",
                                        number,
                                        token.column,
                                        format!("{name} comes before any -m or -j; kept as an unnamed match"),
                                    );
                                    Span::default()
                                }
                            };
                            self.matches.push(PendingMatch {
                                name,
                                first: self.match_opts.len(),
                                count: 1,
                            });
                            self.match_opts.push(opt);
                            self.check_in(number, name, false, &opt, value_column);
                            owner = Owner::Match(self.matches.len() - 1);
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
        // Lay the rule out: basic options, then each match's options, then the target's.
        let basic = self.view.opts.len();
        self.view.opts.extend_from_slice(&self.basic);
        let match_opts = self.view.opts.len();
        self.view.opts.extend_from_slice(&self.match_opts);
        let matches = self.view.matches.len();
        for m in &self.matches {
            self.view.matches.push(MatchRec {
                name: m.name,
                opts: (match_opts + m.first) as u32,
                opt_count: count16(m.count),
            });
        }
        let target_opts = self.view.opts.len();
        self.view.opts.extend_from_slice(&self.target_opts);
        let rule = RuleRec {
            line: number,
            counters: 0,
            basic: basic as u32,
            basic_count: count16(self.basic.len()),
            matches: matches as u32,
            match_count: count16(self.matches.len()),
            target: target.map(|(name, _)| name),
            goto: target.is_some_and(|(_, goto)| goto),
            target_opts: target_opts as u32,
            target_opt_count: count16(self.target_opts.len()),
        };
        (rule, counters)
    }
}

/// The trimmed text of a rule line, where it starts in the view, and the tokenizer's scratch string.
struct Line<'l> {
    text: &'l str,
    home: u32,
    scratch: &'l str,
}

fn text_of<'t>(base: &'t str, own: &'t str, span: Span) -> &'t str {
    let start = (span.start & !OWN) as usize;
    let end = start + span.len as usize;
    if span.start & OWN == 0 {
        base.get(start..end)
    } else {
        own.get(start..end)
    }
    .unwrap_or_default()
}

/// The span in [`OWN_PRELUDE`] of a canonical basic option name.
fn basic_span(short: &str) -> Span {
    let at = match short {
        "-s" => 0,
        "-d" => 2,
        "-p" => 4,
        "-i" => 6,
        "-o" => 8,
        _ => 10,
    };
    Span {
        start: OWN | at,
        len: 2,
    }
}

/// ASCII whitespace as `char::is_whitespace` sees it: tab, line feed, vertical tab, form feed, carriage return, space.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// The first words of an iterator, as many as `out` holds.
fn first_words<'t>(words: impl Iterator<Item = &'t str>, out: &mut [Option<&'t str>]) {
    for (slot, word) in out.iter_mut().zip(words) {
        *slot = Some(word);
    }
}

/// `split_whitespace` for ASCII text, a byte at a time.
fn ascii_words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while bytes.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        let start = i;
        while bytes.get(i).is_some_and(|&b| !is_space(b)) {
            i += 1;
        }
        (i > start).then(|| text.get(start..i).unwrap_or_default())
    })
}

/// Whether a token is an option: `-` and a second character that is not a digit (`-1` is a value).
fn is_option(t: &str, quoted: bool) -> bool {
    !quoted && matches!(t.as_bytes(), [b'-', second, ..] if !second.is_ascii_digit())
}

/// What an option word does in a rule. Matched on bytes: this runs for every option of every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Match,
    Jump,
    Goto,
    Counters,
    Other,
}

fn word(name: &str) -> Word {
    match name.as_bytes() {
        [b'-', b'm'] => Word::Match,
        [b'-', b'j'] => Word::Jump,
        [b'-', b'g'] => Word::Goto,
        [b'-', b'c'] => Word::Counters,
        [b'-', b'-', rest @ ..] => match rest {
            b"match" => Word::Match,
            b"jump" => Word::Jump,
            b"goto" => Word::Goto,
            b"set-counters" => Word::Counters,
            _ => Word::Other,
        },
        _ => Word::Other,
    }
}

/// The command of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Append,
    Insert,
    NewChain,
    DeleteChain,
    Flush,
    Policy,
}

fn verb(text: &str) -> Option<Verb> {
    Some(match text.as_bytes() {
        [b'-', b'A'] | b"--append" => Verb::Append,
        [b'-', b'I'] | b"--insert" => Verb::Insert,
        [b'-', b'N'] | b"--new-chain" => Verb::NewChain,
        [b'-', b'X'] | b"--delete-chain" => Verb::DeleteChain,
        [b'-', b'F'] | b"--flush" => Verb::Flush,
        [b'-', b'P'] | b"--policy" => Verb::Policy,
        _ => return None,
    })
}

fn basic_option(name: &str) -> Option<&'static str> {
    Some(match name.as_bytes() {
        [b'-', b's'] | b"--source" | b"--src" => "-s",
        [b'-', b'd'] | b"--destination" | b"--dst" => "-d",
        [b'-', b'p'] | b"--protocol" => "-p",
        [b'-', b'i'] | b"--in-interface" => "-i",
        [b'-', b'o'] | b"--out-interface" => "-o",
        [b'-', b'f'] | b"--fragment" => "-f",
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
