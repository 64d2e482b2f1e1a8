//! Splitting input bytes into lines and tokens while keeping 1-based line and column numbers.

/// One line of an input, without its line terminator.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u32,
    /// The line's bytes, without `\n` or `\r\n`.
    pub bytes: &'a [u8],
}

/// Iterates over the lines of `bytes`, accepting `\n` and `\r\n` endings and skipping a leading UTF-8 BOM.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rest = Some(bytes);
    let mut number = 0u32;
    std::iter::from_fn(move || {
        let current = rest?;
        number = number.saturating_add(1);
        let (line, next) = match current.iter().position(|&b| b == b'\n') {
            Some(end) => (
                current.get(..end).unwrap_or_default(),
                current.get(end + 1..),
            ),
            None => (current, None),
        };
        // A final empty line after the last terminator is not a line of its own.
        rest = next.filter(|n| !n.is_empty());
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(Line {
            number,
            bytes: line,
        })
    })
}

/// Decodes a line as UTF-8. On invalid bytes returns the lossy text and the 1-based column of the first bad byte.
pub fn decode(bytes: &[u8]) -> (std::borrow::Cow<'_, str>, Option<u32>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), None),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let column = std::str::from_utf8(valid).map_or(1, |s| column_of(s, s.len()));
            (String::from_utf8_lossy(bytes), Some(column))
        }
    }
}

/// 1-based column (in characters) of byte offset `offset` within `line`.
pub fn column_of(line: &str, offset: usize) -> u32 {
    let prefix = line.get(..offset).unwrap_or(line);
    u32::try_from(prefix.chars().count())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// A token of a shell-like line: its text (quotes removed, escapes resolved) and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's value.
    pub text: String,
    /// Whether the token was written in double quotes (a quoted token is always a value, never an option).
    pub quoted: bool,
    /// 1-based column of the token's first character.
    pub column: u32,
}

/// A problem found while tokenizing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// 1-based column.
    pub column: u32,
    /// What went wrong.
    pub message: String,
}

/// Splits a line on spaces and tabs, honouring double quotes with backslash escapes as `iptables-save` writes them
/// (`xtables_save_string`). An unterminated quote yields the rest of the line as the token and an error.
pub fn tokenize(line: &str) -> (Vec<Token>, Option<TokenError>) {
    let mut tokens = Vec::new();
    let mut error = None;
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c == ' ' || c == '\t' {
            chars.next();
            continue;
        }
        let column = column_of(line, start);
        let mut text = String::new();
        let mut quoted = false;
        while let Some(&(_, c)) = chars.peek() {
            match c {
                ' ' | '\t' => break,
                '"' => {
                    quoted = true;
                    chars.next();
                    let mut closed = false;
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some((_, escaped)) => text.push(escaped),
                                None => text.push('\\'),
                            },
                            '"' => {
                                closed = true;
                                break;
                            }
                            other => text.push(other),
                        }
                    }
                    if !closed && error.is_none() {
                        error = Some(TokenError {
                            column,
                            message: "unterminated double quote".to_string(),
                        });
                    }
                }
                other => {
                    text.push(other);
                    chars.next();
                }
            }
        }
        tokens.push(Token {
            text,
            quoted,
            column,
        });
    }
    (tokens, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_handle_crlf_bom_and_missing_final_newline() {
        let input = b"\xEF\xBB\xBFa\r\nb\n\nc";
        let got: Vec<(u32, &[u8])> = lines(input).map(|l| (l.number, l.bytes)).collect();
        assert_eq!(
            got,
            vec![
                (1, &b"a"[..]),
                (2, &b"b"[..]),
                (3, &b""[..]),
                (4, &b"c"[..])
            ]
        );
        assert_eq!(lines(b"x\n").count(), 1);
        assert_eq!(lines(b"").count(), 1);
    }

    #[test]
    fn tokenize_honours_quotes_and_escapes() {
        let (tokens, error) = tokenize(r#"-A X -m comment --comment "a \"b\" c" -j Y"#);
        assert!(error.is_none());
        let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "-A",
                "X",
                "-m",
                "comment",
                "--comment",
                "a \"b\" c",
                "-j",
                "Y"
            ]
        );
        assert!(tokens[5].quoted);
        assert_eq!(tokens[5].column, 27);
    }

    #[test]
    fn tokenize_reports_unterminated_quote() {
        let (tokens, error) = tokenize(r#"-A X --comment "open"#);
        assert_eq!(tokens.last().map(|t| t.text.as_str()), Some("open"));
        assert_eq!(error.map(|e| e.column), Some(16));
    }

    #[test]
    fn decode_reports_column_of_bad_byte() {
        let (text, column) = decode(b"ab\xffc");
        assert_eq!(column, Some(3));
        assert!(text.starts_with("ab"));
    }
}
