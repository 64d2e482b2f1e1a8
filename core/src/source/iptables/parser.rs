//! The `iptables-save` parser: lines, tables, chain declarations and commands, into a [`RulesetView`].

use super::index::ChainIndex;
use super::owned::{Counters, Excerpt};
use super::values::Family;
use super::view::{
    text_of, ChainRec, OptRec, RuleList, RulesetView, Span, TableRec, MAX_ADDRESSABLE, NAT,
};
use super::{KNOWN_TABLES, MAX_LINE_BYTES};
use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::text;

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
        if let Some(table) = p.current.and_then(|i| p.view.tables.get_mut(i)) {
            table.excerpt = Some(Excerpt::NoCommit);
        }
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
pub(super) struct PendingMatch {
    pub(super) name: Span,
    /// Index of its first option in `Parser::match_opts` (a match's options are contiguous there).
    pub(super) first: usize,
    pub(super) count: usize,
}

pub(super) struct Parser<'a> {
    pub(super) view: RulesetView<'a>,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Index into `view.tables` of the open table.
    pub(super) current: Option<usize>,
    /// Whether the open table was opened by a `*table` line (and still needs a `COMMIT`).
    pub(super) explicit: bool,
    pub(super) warned_implicit: bool,
    /// The table and chain the previous rule went to: `iptables-save` writes a chain's rules together, so most
    /// rules skip the lookup.
    pub(super) last_chain: Option<(usize, usize)>,
    // Scratch of the rule being read, reused from rule to rule.
    pub(super) basic: Vec<OptRec>,
    pub(super) match_opts: Vec<OptRec>,
    pub(super) matches: Vec<PendingMatch>,
    pub(super) target_opts: Vec<OptRec>,
    /// The address family of the dump: from its `# Generated by ip[6]tables-save` header, else from its first
    /// valid address. A value of the other family is not valid.
    pub(super) family: Option<Family>,
}

/// The byte offset of `inner` in `outer`; `inner` is a subslice of `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

impl Parser<'_> {
    pub(super) fn diag(
        &mut self,
        severity: Severity,
        code: &str,
        line: u32,
        column: u32,
        message: String,
    ) {
        self.diagnostics
            .push(Diagnostic::new(severity, code, line, column, message));
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
    pub(super) fn token_span(&mut self, line: &Line<'_>, token: &text::RawToken) -> Span {
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
                    excerpt: None,
                    chains: Vec::new(),
                    index: ChainIndex::default(),
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
                    excerpt: Some(Excerpt::NoHeader),
                    chains: Vec::new(),
                    index: ChainIndex::default(),
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
                let (chains, index) = (&table.chains, &mut table.index);
                index.insert(chains, i as u32, |s| text_of(base, own, s));
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
}

/// The trimmed text of a rule line, where it starts in the view, and the tokenizer's scratch string.
pub(super) struct Line<'l> {
    pub(super) text: &'l str,
    pub(super) home: u32,
    pub(super) scratch: &'l str,
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

fn parse_counters(text: &str) -> Option<Counters> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (p, b) = inner.split_once(':')?;
    Some(Counters {
        packets: p.parse().ok()?,
        bytes: b.parse().ok()?,
    })
}

/// A line's text quoted in a message: its first 40 characters, `…` after a cut.
pub(super) fn shorten(text: &str) -> String {
    crate::text::shorten(text, 40)
}
