//! The text after a rule's addresses: the constructs it is made of, read in turn into match modules and target
//! options, and the text no construct claims kept verbatim.

use super::columns::check_value;
use super::lines::Word;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::iptables::values::{Family, Place};
use crate::source::iptables::{Match, Opt};
use crate::text;

/// Conntrack keywords as `conntrack_dump` prints them (`state` is the `-m state` alias, read as its own match).
pub(super) const CT_KEYWORDS: [&str; 13] = [
    "ctstate",
    "ctproto",
    "ctorigsrc",
    "ctorigdst",
    "ctreplsrc",
    "ctrepldst",
    "ctorigsrcport",
    "ctorigdstport",
    "ctreplsrcport",
    "ctrepldstport",
    "ctstatus",
    "ctexpire",
    "ctdir",
];

/// Targets whose own text follows the matches; unrecognised text at the end of their rules is theirs.
pub(super) const EXTENSION_TARGETS: [&str; 36] = [
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "NETMAP",
    "MARK",
    "REJECT",
    "LOG",
    "NFLOG",
    "ULOG",
    "CONNMARK",
    "CT",
    "NOTRACK",
    "TRACE",
    "TPROXY",
    "TCPMSS",
    "TOS",
    "TTL",
    "HL",
    "DSCP",
    "CLASSIFY",
    "CHECKSUM",
    "AUDIT",
    "NFQUEUE",
    "SET",
    "SECMARK",
    "CONNSECMARK",
    "IDLETIMER",
    "LED",
    "HMARK",
    "SYNPROXY",
    "TEE",
    "RATEEST",
    "CLUSTERIP",
    "ECN",
    "TCPOPTSTRIP",
];

pub(super) fn is_mark_op(text: &str) -> bool {
    matches!(text, "and" | "or" | "xor" | "set" | "xset")
}

/// Constructs a `!` word can negate (the others glue `!` to their value).
pub(super) fn negatable(ws: &[Word<'_>], i: usize) -> bool {
    ws.get(i).is_some_and(|w| {
        matches!(w.text, "recent:" | "state" | "match-set") || CT_KEYWORDS.contains(&w.text)
    })
}

/// Whether a recognised match or target text starts at word `i`.
pub(super) fn starts_construct(ws: &[Word<'_>], i: usize) -> bool {
    let Some(w) = ws.get(i) else {
        return false;
    };
    let next = ws.get(i + 1).map(|w| w.text);
    match w.text {
        "/*" | "[goto]" | "tcp" | "udp" | "udplite" | "sctp" | "dccp" | "icmp" | "icmptype"
        | "multiport" | "statistic" | "recent:" | "state" | "nfacct-name" | "match-set"
        | "reject-with" | "random" | "random-fully" | "persistent" => true,
        "mark" | "ADDRTYPE" | "PHYSDEV" => next == Some("match"),
        "MARK" => next == Some("match") || next.is_some_and(is_mark_op),
        "redir" => next == Some("ports"),
        "masq" => next == Some("ports:"),
        "!" => negatable(ws, i + 1),
        t => CT_KEYWORDS.contains(&t) || t.starts_with("to:"),
    }
}

pub(super) fn opt(name: &str, negated: bool, values: Vec<String>) -> Opt {
    Opt {
        name: name.to_string(),
        negated,
        values,
    }
}

pub(super) fn flag(name: &str) -> Opt {
    opt(name, false, Vec::new())
}

/// Reads a rule's text after the addresses: match modules, the goto flag and target options.
pub(super) struct Tail<'a, 'w> {
    pub(super) line: &'a str,
    pub(super) ws: &'w [Word<'a>],
    pub(super) i: usize,
    pub(super) number: u32,
    pub(super) target: Option<&'a str>,
    pub(super) matches: Vec<Match>,
    pub(super) target_opts: Vec<Opt>,
    pub(super) goto: bool,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// The listing's address family (see [`Parser::family`]).
    pub(super) family: Option<Family>,
}

impl<'a> Tail<'a, '_> {
    pub(super) fn peek(&self, k: usize) -> Option<&'a str> {
        self.ws.get(self.i + k).map(|w| w.text)
    }

    pub(super) fn column(&self, k: usize) -> u32 {
        let offset = self.ws.get(self.i + k).map_or(self.line.len(), |w| w.start);
        text::column_of(self.line, offset)
    }

    pub(super) fn diag(&mut self, severity: Severity, code: &str, column: u32, message: String) {
        self.diagnostics.push(Diagnostic::new(
            severity,
            code,
            self.number,
            column,
            message,
        ));
    }

    /// Checks the value of a save-form option read from the word `k` after the cursor, whose text ends with
    /// `value` (so the value's column is found in the word).
    pub(super) fn check(&mut self, k: usize, place: Place<'_>, option: &str, value: &str) {
        let Some(word) = self.ws.get(self.i + k).copied() else {
            return;
        };
        let offset = word.end.saturating_sub(value.len()).max(word.start);
        let column = text::column_of(self.line, offset);
        check_value(
            &mut self.diagnostics,
            self.number,
            column,
            (place, option, value),
            &mut self.family,
        );
    }

    pub(super) fn run(&mut self) {
        while self.i < self.ws.len() {
            let negated = self.peek(0) == Some("!") && negatable(self.ws, self.i + 1);
            if negated {
                self.i += 1;
            }
            if !self.construct(negated) {
                self.unknown();
            }
        }
    }

    /// Reads one recognised construct at the cursor; `false` (nothing consumed) when there is none.
    pub(super) fn construct(&mut self, negated: bool) -> bool {
        let Some(word) = self.peek(0) else {
            return false;
        };
        let next = self.peek(1);
        match word {
            "[goto]" => {
                self.goto = true;
                self.i += 1;
            }
            "/*" => self.comment(),
            "tcp" | "udp" | "udplite" | "sctp" | "dccp" => self.ports(word),
            "icmp" | "icmptype" => self.icmp(),
            "multiport" => self.multiport(),
            "statistic" => self.statistic(),
            "recent:" => self.recent(negated),
            "state" => {
                self.i += 1;
                let values = self.take_value().into_iter().collect();
                self.matches.push(Match {
                    name: "state".to_string(),
                    options: vec![opt("--state", negated, values)],
                });
            }
            "nfacct-name" => self.nfacct(),
            "match-set" => self.set(negated),
            "mark" | "MARK" if next == Some("match") => {
                self.i += 2;
                let negated = self.peek(0) == Some("!");
                if negated {
                    self.i += 1;
                }
                if let Some(value) = self.peek(0).filter(|_| !starts_construct(self.ws, self.i)) {
                    self.check(0, Place::Match("mark"), "--mark", value);
                }
                let values = self.take_value().into_iter().collect();
                self.matches.push(Match {
                    name: "mark".to_string(),
                    options: vec![opt("--mark", negated, values)],
                });
            }
            "MARK" if next.is_some_and(is_mark_op) => return self.mark_target(),
            "ADDRTYPE" if next == Some("match") => self.addrtype(),
            "PHYSDEV" if next == Some("match") => self.physdev(),
            "redir" if next == Some("ports") => {
                self.i += 2;
                self.nat_ports("REDIRECT");
            }
            "masq" if next == Some("ports:") => {
                self.i += 2;
                self.nat_ports("MASQUERADE");
            }
            "random" | "random-fully" | "persistent" => {
                self.i += 1;
                self.target_opts.push(flag(&format!("--{word}")));
            }
            "reject-with" => {
                self.i += 1;
                let values = self.take_value().into_iter().collect();
                self.target_opts.push(opt("--reject-with", false, values));
            }
            t if CT_KEYWORDS.contains(&t) => self.conntrack(negated),
            t => {
                let Some(to) = t.strip_prefix("to:") else {
                    return false;
                };
                let name = match self.target {
                    Some("SNAT") => "--to-source",
                    Some("NETMAP") => "--to",
                    _ => "--to-destination",
                };
                if to.is_empty() {
                    let column = self.column(0);
                    self.diag(
                        Severity::Warning,
                        "empty-nat-target",
                        column,
                        "\"to:\" names no address (was it removed when the listing was copied?); the rule keeps an empty option"
                            .to_string(),
                    );
                }
                let values = if to.is_empty() {
                    Vec::new()
                } else {
                    let target = if name == "--to-source" {
                        "SNAT"
                    } else {
                        "DNAT"
                    };
                    if name != "--to" {
                        self.check(0, Place::Target(target), name, to);
                    }
                    vec![to.to_string()]
                };
                self.target_opts.push(opt(name, false, values));
                self.i += 1;
            }
        }
        true
    }

    /// `redir ports P` / `masq ports: P`: `--to-ports` of `target`.
    pub(super) fn nat_ports(&mut self, target: &str) {
        if let Some(value) = self.peek(0).filter(|_| !starts_construct(self.ws, self.i)) {
            self.check(0, Place::Target(target), "--to-ports", value);
        }
        let values = self.take_value().into_iter().collect();
        self.target_opts.push(opt("--to-ports", false, values));
    }

    /// The next word as a value, unless it starts another construct.
    pub(super) fn take_value(&mut self) -> Option<String> {
        let word = self.peek(0)?;
        if starts_construct(self.ws, self.i) {
            return None;
        }
        self.i += 1;
        Some(word.to_string())
    }

    /// Keeps words that no construct claims, verbatim, up to the next construct.
    pub(super) fn unknown(&mut self) {
        let first = self.i;
        self.i += 1;
        while self.i < self.ws.len() && !starts_construct(self.ws, self.i) {
            self.i += 1;
        }
        let (Some(a), Some(b)) = (self.ws.get(first), self.ws.get(self.i - 1)) else {
            return;
        };
        let text = self
            .line
            .get(a.start..b.end)
            .unwrap_or_default()
            .to_string();
        let column = text::column_of(self.line, a.start);
        self.diag(
            Severity::Warning,
            "unknown-text",
            column,
            format!(
                "{:?} is not a match or target text this parser knows; kept verbatim",
                shorten(&text)
            ),
        );
        let verbatim = opt("", false, vec![text]);
        let extension = self.target.is_some_and(|t| EXTENSION_TARGETS.contains(&t));
        if extension && (self.i >= self.ws.len() || !self.target_opts.is_empty()) {
            self.target_opts.push(verbatim);
        } else {
            self.matches.push(Match {
                name: String::new(),
                options: vec![verbatim],
            });
        }
    }
}

pub(super) fn bang(text: &str) -> (bool, &str) {
    match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

pub(super) fn hex(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// A double-quoted string as `xtables_save_string` writes it, from byte `start` (the quote): its value and the
/// offset after it.
pub(super) fn quoted(line: &str, start: usize) -> (String, usize) {
    let mut value = String::new();
    let mut chars = line.get(start..).unwrap_or_default().char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    value.push(e);
                }
            }
            '"' => return (value, start + i + 1),
            c => value.push(c),
        }
    }
    (value, line.len())
}

/// A line's text quoted in a message: its first 40 characters, `…` after a cut.
pub(super) fn shorten(text: &str) -> String {
    crate::text::shorten(text, 40)
}
