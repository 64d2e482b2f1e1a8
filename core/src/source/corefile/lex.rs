//! The Corefile's lexer, as Caddy's: whitespace-separated tokens, `#` comments, quoted tokens that may span lines.

use crate::diagnostic::{Diagnostic, Severity};
use crate::text;

/// Lines longer than this are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// One token, with where it starts and ends.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    /// The text, quotes removed.
    pub(super) text: String,
    /// 1-based line of its first character.
    pub(super) line: u32,
    /// 1-based column of its first character.
    pub(super) column: u32,
    /// The line the token ends on (a quoted token may span lines).
    pub(super) end_line: u32,
    /// Whether it was quoted (a quoted `{` is no brace).
    pub(super) quoted: bool,
}

impl Tok {
    /// Whether it is the bare brace `brace`.
    pub(super) fn is(&self, brace: &str) -> bool {
        !self.quoted && self.text == brace
    }
}

/// The tokens of `bytes`; lines too long or not UTF-8 and an unclosed quote become diagnostics.
pub(super) fn lex(bytes: &[u8], diagnostics: &mut Vec<Diagnostic>) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut current: Option<Tok> = None;
    let mut escaped = false;
    let mut last_line = 1u32;
    for line in text::lines(bytes) {
        let n = line.number;
        last_line = n;
        let Some(content) = text::readable(&line, MAX_LINE_BYTES, diagnostics) else {
            continue;
        };
        let mut column = 0u32;
        for c in content.chars() {
            column = column.saturating_add(1);
            if let Some(tok) = current.as_mut().filter(|t| t.quoted) {
                if escaped {
                    if c != '"' {
                        tok.text.push('\\');
                    }
                    tok.text.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    tok.end_line = n;
                    toks.extend(current.take());
                } else {
                    tok.text.push(c);
                }
                continue;
            }
            if c.is_whitespace() {
                toks.extend(current.take());
            } else if c == '#' {
                break;
            } else if let Some(tok) = current.as_mut() {
                tok.text.push(c);
            } else {
                current = Some(Tok {
                    text: if c == '"' {
                        String::new()
                    } else {
                        c.to_string()
                    },
                    line: n,
                    column,
                    end_line: n,
                    quoted: c == '"',
                });
            }
        }
        match current.as_mut() {
            Some(tok) if tok.quoted => {
                if escaped {
                    tok.text.push('\\');
                    escaped = false;
                }
                tok.text.push('\n');
            }
            _ => toks.extend(current.take()),
        }
    }
    if let Some(mut tok) = current.take() {
        diagnostics.push(Diagnostic::new(
            Severity::Error,
            "unclosed-quote",
            tok.line,
            tok.column,
            "quoted string is not closed before the end of the input",
        ));
        tok.end_line = last_line;
        if tok.text.ends_with('\n') {
            tok.text.pop();
        }
        toks.push(tok);
    }
    toks
}
