//! One rule's options (everything after `-A CHAIN`): matches, the target, basic options and the check of values.

use std::borrow::Cow;

use super::owned::Counters;
use super::parser::{shorten, Line, Parser, PendingMatch};
use super::values::{self, Checked, Place};
use super::view::{count16, MatchRec, OptRec, RuleRec, Span, OWN};
use crate::diagnostic::{Diagnostic, Severity};
use crate::text::RawToken;

/// Who takes the options that follow: the newest match, the target, or nobody yet.
#[derive(Debug, Clone, Copy)]
enum Owner {
    None,
    Match(usize),
    Target,
}

/// The tokens of the rule being read and the cursor over them.
struct Tokens<'l> {
    number: u32,
    line: &'l Line<'l>,
    tokens: &'l [RawToken],
    /// The next token to read.
    next: usize,
}

impl<'l> Tokens<'l> {
    fn text(&self, token: &RawToken) -> &'l str {
        token.text(self.line.text, self.line.scratch)
    }

    fn peek(&self) -> Option<&'l RawToken> {
        self.tokens.get(self.next)
    }
}

/// What the rule has so far besides its options: the target (`-g` or not), `-c` counters, the options' owner.
struct Sofar {
    target: Option<(Span, bool)>,
    counters: Option<Counters>,
    owner: Owner,
}

impl Parser<'_> {
    /// Parses the options of one rule (everything after `-A CHAIN`) into the view's vectors; returns the rule
    /// (not yet in a chain) and its `-c` counters.
    pub(super) fn rule(
        &mut self,
        number: u32,
        tokens: &[RawToken],
        line: &Line<'_>,
    ) -> (RuleRec, Option<Counters>) {
        self.basic.clear();
        self.match_opts.clear();
        self.matches.clear();
        self.target_opts.clear();
        let mut cursor = Tokens {
            number,
            line,
            tokens,
            next: 0,
        };
        let mut sofar = Sofar {
            target: None,
            counters: None,
            owner: Owner::None,
        };
        let mut negate: Option<u32> = None;
        while let Some(token) = cursor.peek() {
            cursor.next += 1;
            let token_text = cursor.text(token);
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
            match word(token_text) {
                kind @ (Word::Match | Word::Jump | Word::Goto) => {
                    self.module_or_target(&mut cursor, token, kind, negated, &mut sofar);
                }
                Word::Counters => self.counters(&mut cursor, token, &mut sofar),
                Word::Other => self.option(&mut cursor, token, negated, &mut sofar),
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
        (self.lay_out(number, &sofar), sofar.counters)
    }

    /// `-m NAME`, `-j NAME` or `-g NAME`: a new match that takes the options after it, or the target.
    fn module_or_target(
        &mut self,
        cursor: &mut Tokens<'_>,
        token: &RawToken,
        kind: Word,
        negated: bool,
        sofar: &mut Sofar,
    ) {
        let (number, name) = (cursor.number, cursor.text(token));
        if negated {
            self.diag(
                Severity::Warning,
                "misplaced-negation",
                number,
                token.column,
                format!("\"!\" cannot negate {name}"),
            );
        }
        let Some(arg) = cursor
            .peek()
            .filter(|t| t.quoted || !is_option(cursor.text(t), t.quoted))
        else {
            self.diag(
                Severity::Error,
                "missing-argument",
                number,
                token.column,
                format!("{name} needs a name"),
            );
            return;
        };
        cursor.next += 1;
        let arg_span = self.token_span(cursor.line, arg);
        if kind == Word::Match {
            self.matches.push(PendingMatch {
                name: arg_span,
                first: self.match_opts.len(),
                count: 0,
            });
            sofar.owner = Owner::Match(self.matches.len() - 1);
            return;
        }
        if let Some((previous, _)) = sofar.target {
            let message = format!(
                "a second target {:?} replaces {:?}",
                cursor.text(arg),
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
        sofar.target = Some((arg_span, kind == Word::Goto));
        self.target_opts.clear();
        sofar.owner = Owner::Target;
    }

    /// `-c PACKETS BYTES`.
    fn counters(&mut self, cursor: &mut Tokens<'_>, token: &RawToken, sofar: &mut Sofar) {
        let number_at = |k: usize| {
            cursor
                .tokens
                .get(cursor.next + k)
                .and_then(|t| cursor.text(t).parse().ok())
        };
        match (number_at(0), number_at(1)) {
            (Some(packets), Some(bytes)) => {
                sofar.counters = Some(Counters { packets, bytes });
                cursor.next += 2;
            }
            _ => self.diag(
                Severity::Warning,
                "bad-counters",
                cursor.number,
                token.column,
                "-c needs two numbers".to_string(),
            ),
        }
    }

    /// Any other option with its values: a basic option, or one of the newest match or of the target.
    fn option(
        &mut self,
        cursor: &mut Tokens<'_>,
        token: &RawToken,
        negated: bool,
        sofar: &mut Sofar,
    ) {
        let (number, name) = (cursor.number, cursor.text(token));
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
        if let Some(t) = cursor.peek() {
            if !t.quoted && cursor.text(t) == "!" && arity != Some(0) {
                negated = true;
                cursor.next += 1;
            }
        }
        while let Some(t) = cursor.peek() {
            let value = cursor.text(t);
            if arity.is_some_and(|n| value_count >= n)
                || (!t.quoted && (is_option(value, t.quoted) || value == "!"))
            {
                break;
            }
            let span = self.token_span(cursor.line, t);
            self.view.values.push(span);
            if value_count == 0 {
                value_column = t.column;
            }
            value_count += 1;
            cursor.next += 1;
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
                None => self.token_span(cursor.line, token),
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
            return;
        }
        match sofar.owner {
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
                if let Some((name, _)) = sofar.target {
                    self.target_opts.push(opt);
                    self.check_in(number, name, true, &opt, value_column);
                }
            }
            Owner::None => {
                let module = self.implicit_match(number, token.column, name);
                self.matches.push(PendingMatch {
                    name: module,
                    first: self.match_opts.len(),
                    count: 1,
                });
                self.match_opts.push(opt);
                self.check_in(number, module, false, &opt, value_column);
                sofar.owner = Owner::Match(self.matches.len() - 1);
            }
        }
    }

    /// The match of an option `name` written before any `-m` or `-j`: `-p tcp --dport 80` loads the protocol's
    /// match implicitly; otherwise an unnamed match, with a warning.
    fn implicit_match(&mut self, number: u32, column: u32, name: &str) -> Span {
        let implicit = self
            .basic
            .iter()
            .find(|o| self.view.text(o.name) == "-p")
            .and_then(|o| match self.view.value_spans(o) {
                [one] => Some(*one),
                _ => None,
            })
            .filter(|&p| {
                matches!(
                    self.view.text(p),
                    "tcp" | "udp" | "sctp" | "icmp" | "icmpv6"
                )
            });
        match implicit {
            Some(proto) => proto,
            None => {
                self.diag(
                    Severity::Warning,
                    "orphan-option",
                    number,
                    column,
                    format!("{name} comes before any -m or -j; kept as an unnamed match"),
                );
                Span::default()
            }
        }
    }

    /// Lays the rule out in the view: basic options, then each match's options, then the target's.
    fn lay_out(&mut self, number: u32, sofar: &Sofar) -> RuleRec {
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
        RuleRec {
            line: number,
            counters: 0,
            basic: basic as u32,
            basic_count: count16(self.basic.len()),
            matches: matches as u32,
            match_count: count16(self.matches.len()),
            target: sofar.target.map(|(name, _)| name),
            goto: sofar.target.is_some_and(|(_, goto)| goto),
            target_opts: target_opts as u32,
            target_opt_count: count16(self.target_opts.len()),
        }
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
}

/// The span in the view's prelude ([`super::view::OWN_PRELUDE`]) of a canonical basic option name.
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
