//! The parsed dump as the parser leaves it: compact records whose text borrows the input, and views over them.

use std::borrow::Cow;

use super::index::ChainIndex;
use super::owned::{Counters, Excerpt};

// The parser builds a compact ruleset that borrows its text from the input: every name and value is a `Span` (eight
// bytes) into the input, and rules, matches, options and values each live in one flat vector. That keeps a 30 MB
// dump to about its own size in memory and makes parsing a pass of pushes with no per-token allocation. `parse`
// turns it into the owned `Ruleset`; `analyze` builds the Service graph straight from it.

/// The bit of `Span::start` that says the text is in the view's own buffer, not the input.
pub(super) const OWN: u32 = 1 << 31;
/// The most bytes a span can address in the input or in the view's own buffer.
pub(super) const MAX_ADDRESSABLE: usize = (OWN - 1) as usize;
/// Text that the view keeps in its own buffer from the start: the canonical basic option names and `nat`.
pub(super) const OWN_PRELUDE: &str = "-s-d-p-i-o-fnat";
pub(super) const NAT: Span = Span {
    start: OWN | 12,
    len: 3,
};

/// A string of a [`RulesetView`]: a byte range of the input, or of the view's own buffer when `start` has [`OWN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

/// One option: name, whether negated, and its values (a range of `RulesetView::values`).
#[derive(Debug, Clone, Copy)]
pub(super) struct OptRec {
    pub(super) name: Span,
    pub(super) values: u32,
    pub(super) value_count: u16,
    pub(super) negated: bool,
}

/// One match module: name and its options (a range of `RulesetView::opts`).
#[derive(Debug, Clone, Copy)]
pub(super) struct MatchRec {
    pub(super) name: Span,
    pub(super) opts: u32,
    pub(super) opt_count: u16,
}

/// One rule; its basic options, matches and target options are ranges of the view's vectors.
#[derive(Debug, Clone, Copy)]
pub(super) struct RuleRec {
    pub(super) line: u32,
    /// Index + 1 into `RulesetView::counters`; 0 for none.
    pub(super) counters: u32,
    pub(super) basic: u32,
    pub(super) basic_count: u16,
    pub(super) matches: u32,
    pub(super) match_count: u16,
    pub(super) target: Option<Span>,
    pub(super) goto: bool,
    pub(super) target_opts: u32,
    pub(super) target_opt_count: u16,
}

#[derive(Debug, Clone)]
pub(super) struct ChainRec {
    pub(super) name: Span,
    pub(super) policy: Option<Span>,
    pub(super) counters: Option<Counters>,
    pub(super) declared_line: Option<u32>,
    pub(super) deleted: bool,
    pub(super) rules: RuleList,
}

/// A chain's rules, as indices into `RulesetView::rules`, in order. `iptables-save` writes a chain's rules
/// together, so they are almost always one run of the rule vector and need no list of their own.
#[derive(Debug, Clone)]
pub(super) enum RuleList {
    Run { start: u32, len: u32 },
    List(Vec<u32>),
}

impl Default for RuleList {
    fn default() -> Self {
        RuleList::Run { start: 0, len: 0 }
    }
}

impl RuleList {
    pub(super) fn len(&self) -> usize {
        match self {
            RuleList::Run { len, .. } => *len as usize,
            RuleList::List(list) => list.len(),
        }
    }

    pub(super) fn clear(&mut self) {
        *self = RuleList::default();
    }

    /// Inserts rule `index` at `position` (`None`: at the end).
    pub(super) fn insert(&mut self, position: Option<usize>, index: u32) {
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
pub(super) struct TableRec {
    pub(super) name: Span,
    pub(super) line: Option<u32>,
    pub(super) excerpt: Option<Excerpt>,
    pub(super) chains: Vec<ChainRec>,
    /// The chains by name.
    pub(super) index: ChainIndex,
}

/// A parsed dump that borrows its text from the input: what [`parse`] turns into a [`Ruleset`], and what the
/// Service graph is built from without that copy.
#[derive(Debug, Clone)]
pub(crate) struct RulesetView<'a> {
    pub(super) base: &'a str,
    pub(super) own: String,
    pub(super) own_overflow: bool,
    pub(super) generated_by: Option<Span>,
    pub(super) tables: Vec<TableRec>,
    pub(super) rules: Vec<RuleRec>,
    pub(super) matches: Vec<MatchRec>,
    pub(super) opts: Vec<OptRec>,
    pub(super) values: Vec<Span>,
    pub(super) counters: Vec<Counters>,
    pub(super) lines: usize,
}

impl<'a> RulesetView<'a> {
    pub(super) fn new(base: &'a str, input_len: usize) -> Self {
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
    pub(super) fn is(&self, span: Span, text: &str) -> bool {
        span.len as usize == text.len() && self.text(span) == text
    }

    pub(super) fn text(&self, span: Span) -> &str {
        text_of(self.base, &self.own, span)
    }

    /// Copies `text` into the view's own buffer.
    pub(super) fn keep(&mut self, text: &str) -> Span {
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

    pub(super) fn rule_recs<'v>(
        &'v self,
        chain: &'v ChainRec,
    ) -> impl Iterator<Item = &'v RuleRec> + 'v {
        chain
            .rules
            .iter()
            .filter_map(|r| self.rules.get(r as usize))
    }

    pub(super) fn opt_recs(&self, start: u32, count: u16) -> &[OptRec] {
        let start = start as usize;
        self.opts
            .get(start..start + usize::from(count))
            .unwrap_or_default()
    }

    pub(super) fn match_recs(&self, rule: &RuleRec) -> &[MatchRec] {
        let start = rule.matches as usize;
        self.matches
            .get(start..start + usize::from(rule.match_count))
            .unwrap_or_default()
    }

    pub(super) fn value_spans(&self, opt: &OptRec) -> &[Span] {
        let start = opt.values as usize;
        self.values
            .get(start..start + usize::from(opt.value_count))
            .unwrap_or_default()
    }

    /// The index in `table.chains` of the chain called `name`.
    pub(super) fn find_chain(&self, table: &TableRec, name: &str) -> Option<usize> {
        table.index.find(name, |s| self.text(s))
    }
}

/// A count for the view's records. Lines are at most 64 KiB, so a rule has fewer than 2^16 tokens.
pub(super) fn count16(n: usize) -> u16 {
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

    /// Why the table is only an excerpt of the node's (as [`Table::excerpt`]); `None` for a whole table.
    pub(crate) fn excerpt(&self) -> Option<Excerpt> {
        self.table.excerpt
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

/// The text of `span` in a view whose input is `base` and whose own buffer is `own` (for a caller that holds the
/// view's vectors mutably borrowed).
pub(super) fn text_of<'t>(base: &'t str, own: &'t str, span: Span) -> &'t str {
    let start = (span.start & !OWN) as usize;
    let end = start + span.len as usize;
    if span.start & OWN == 0 {
        base.get(start..end)
    } else {
        own.get(start..end)
    }
    .unwrap_or_default()
}
