//! Splitting input bytes into lines and tokens while keeping 1-based line and column numbers.

use std::borrow::Cow;

use crate::diagnostic::{Diagnostic, Severity};

mod scan;

use scan::find3;

/// What [`normalise`] did to an input's bytes, for the note `analyze` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// UTF-16 text (with its byte order, and whether a byte order mark said so) decoded to UTF-8.
    Utf16 {
        /// Big-endian (`FE FF`) rather than little-endian (`FF FE`, what Windows PowerShell's `>` writes).
        big_endian: bool,
        /// Whether the text began with a byte order mark.
        bom: bool,
        /// Code units that were not valid UTF-16 (unpaired surrogates, an odd last byte), replaced by U+FFFD.
        invalid: usize,
    },
    /// Lines ended by a carriage return alone (classic Mac OS, some copy-paste), read as line breaks.
    CrLineEnds,
}

/// The bytes every reader of an input works on, so that line numbers agree everywhere (the parsers, the
/// report's quotes, the page's source viewer): UTF-16 with or without a byte order mark decoded to UTF-8, a UTF-8
/// byte order mark dropped, and carriage returns that end a line alone turned into line feeds (CRLF stays, and is
/// read as one break by [`lines`]). A pcap or pcapng file, and any text that needs none of this, is returned as is
/// without a copy.
pub fn normalise(bytes: &[u8]) -> Cow<'_, [u8]> {
    normalise_noting(bytes).0
}

/// [`normalise`], also saying what it did.
pub fn normalise_noting(bytes: &[u8]) -> (Cow<'_, [u8]>, Option<Decoded>) {
    if is_pcap(bytes) || is_pcapng(bytes) {
        return (Cow::Borrowed(bytes), None);
    }
    if let Some(big_endian) = utf16_order(bytes) {
        let bom = matches!(bytes.get(..2), Some([0xff, 0xfe] | [0xfe, 0xff]));
        let body = if bom {
            bytes.get(2..).unwrap_or_default()
        } else {
            bytes
        };
        let units = body.chunks_exact(2).map(|pair| match *pair {
            [a, b] if big_endian => u16::from_be_bytes([a, b]),
            [a, b] => u16::from_le_bytes([a, b]),
            _ => 0xfffd,
        });
        let mut out = String::with_capacity(body.len() / 2 + body.len() / 8);
        let mut invalid = body.len() % 2;
        for c in char::decode_utf16(units) {
            out.push(c.unwrap_or_else(|_| {
                invalid += 1;
                char::REPLACEMENT_CHARACTER
            }));
        }
        if invalid > 0 && body.len() % 2 == 1 {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        let mut out = out.into_bytes();
        if let Cow::Owned(fixed) = cr_line_ends(&out) {
            out = fixed;
        }
        let note = Decoded::Utf16 {
            big_endian,
            bom,
            invalid,
        };
        return (Cow::Owned(out), Some(note));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match cr_line_ends(body) {
        Cow::Owned(fixed) => (Cow::Owned(fixed), Some(Decoded::CrLineEnds)),
        Cow::Borrowed(b) => (Cow::Borrowed(b), None),
    }
}

/// The byte order of UTF-16 text: a byte order mark, or — without one — NUL bytes in nearly every other position of
/// the first 4 KiB (ASCII text in UTF-16) and almost none in the others. `None` for anything else.
fn utf16_order(bytes: &[u8]) -> Option<bool> {
    match bytes.get(..2) {
        Some([0xff, 0xfe]) => return Some(false),
        Some([0xfe, 0xff]) => return Some(true),
        _ => {}
    }
    let head = bytes.get(..4096).unwrap_or(bytes);
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        if let [a, b] = pair {
            even += usize::from(*a == 0);
            odd += usize::from(*b == 0);
        }
    }
    // Text, not NULs: the other byte of the pair must be non-NUL nearly always.
    if odd * 10 >= pairs * 7 && even * 20 <= pairs {
        Some(false)
    } else if even * 10 >= pairs * 7 && odd * 20 <= pairs {
        Some(true)
    } else {
        None
    }
}

/// `bytes` with each carriage return that is not followed by a line feed replaced by one; borrowed when there is
/// none (one pass over the input, a quick one when it has no carriage return at all).
fn cr_line_ends(bytes: &[u8]) -> Cow<'_, [u8]> {
    let lone = |i: usize| bytes.get(i + 1) != Some(&b'\n');
    let mut crs = memchr::memchr_iter(b'\r', bytes);
    let Some(first) = crs.find(|&i| lone(i)) else {
        return Cow::Borrowed(bytes);
    };
    let mut out = bytes.to_vec();
    for i in std::iter::once(first).chain(crs.filter(|&i| lone(i))) {
        if let Some(b) = out.get_mut(i) {
            *b = b'\n';
        }
    }
    Cow::Owned(out)
}

/// Whether a line is a shell prompt with the command typed after it, as a terminal shows it above a command's
/// output: `$ kubectl …`, `root@node-1:~# iptables-save`, `[root@host ~]# …`, `user@host:~$ …`,
/// `PS C:\Users\me> …`. A line starting with `# ` is not one (it is a comment in most inputs).
pub fn is_prompt(line: &str) -> bool {
    let t = line.trim_start();
    if t == "$" || t.starts_with("$ ") {
        return true;
    }
    if let Some(rest) = t.strip_prefix("PS ") {
        return rest
            .split_once('>')
            .is_some_and(|(path, _)| path.contains(':') || path.contains('\\'));
    }
    // `[user@host dir]# `, `user@host:dir$ `: the prompt ends at the first `# ` or `$ ` (or the end).
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            (c == '#' || c == '$')
                && t.get(i + 1..)
                    .is_none_or(|after| after.is_empty() || after.starts_with(' '))
        })
        .map(|(i, _)| i);
    let Some(end) = end else {
        return false;
    };
    let prompt = t.get(..end).unwrap_or_default();
    let user_at_host =
        prompt
            .trim_start_matches('[')
            .split_once('@')
            .is_some_and(|(user, host)| {
                !user.is_empty()
                    && user
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                    && host
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphanumeric())
            });
    user_at_host && !prompt.contains(' ')
        || (prompt.starts_with('[') && prompt.ends_with(']') && user_at_host)
}

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
    line_spans(bytes).map(move |span| Line {
        number: span.number,
        bytes: bytes.get(span.start..span.end).unwrap_or_default(),
    })
}

/// Where one line of an input is: its number and its byte range in the input (BOM included in the offsets),
/// without the line terminator. The same lines as [`lines`], for parsers that keep offsets instead of slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineSpan {
    /// 1-based line number.
    pub number: u32,
    /// Offset of the line's first byte.
    pub start: usize,
    /// Offset just past the line's last byte (before `\r\n` or `\n`).
    pub end: usize,
}

/// The byte ranges of the lines of `bytes`; see [`lines`].
pub(crate) fn line_spans(bytes: &[u8]) -> impl Iterator<Item = LineSpan> + '_ {
    let first = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut next = Some(first);
    let mut number = 0u32;
    std::iter::from_fn(move || {
        let start = next?;
        number = number.saturating_add(1);
        let rest = bytes.get(start..).unwrap_or_default();
        let end = match memchr::memchr(b'\n', rest) {
            Some(i) => {
                // A final empty line after the last terminator is not a line of its own.
                next = Some(start + i + 1).filter(|&n| n < bytes.len());
                start + i
            }
            None => {
                next = None;
                bytes.len()
            }
        };
        let end = if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Some(LineSpan { number, start, end })
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
    let mut raw = Vec::new();
    let mut scratch = String::new();
    let error = tokenize_into(line, line.is_ascii(), &mut raw, &mut scratch);
    let tokens = raw
        .iter()
        .map(|t| Token {
            text: t.text(line, &scratch).to_string(),
            quoted: t.quoted,
            column: t.column,
        })
        .collect();
    (tokens, error)
}

/// Where a token's text is: a byte range of its line when the text is written there as is (the usual case), or a
/// byte range of the tokenizer's scratch string when quotes split it or escapes had to be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenText {
    /// `line[start..end]`.
    Line(usize, usize),
    /// `scratch[start..end]`.
    Scratch(usize, usize),
}

/// A token as [`tokenize_into`] leaves it: like [`Token`], with its text not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawToken {
    /// Where the text is.
    pub text: TokenText,
    /// Whether the token was written in double quotes.
    pub quoted: bool,
    /// 1-based column of the token's first character.
    pub column: u32,
}

impl RawToken {
    /// The token's text, given the line and the scratch string it was tokenized with.
    pub fn text<'s>(&self, line: &'s str, scratch: &'s str) -> &'s str {
        match self.text {
            TokenText::Line(start, end) => line.get(start..end),
            TokenText::Scratch(start, end) => scratch.get(start..end),
        }
        .unwrap_or_default()
    }
}

/// [`tokenize`] into reusable buffers, without copying the text of tokens that are written as is. `tokens` and
/// `scratch` are cleared first. `ascii` says whether `line` is ASCII (columns are then byte offsets).
pub(crate) fn tokenize_into(
    line: &str,
    ascii: bool,
    tokens: &mut Vec<RawToken>,
    scratch: &mut String,
) -> Option<TokenError> {
    tokens.clear();
    scratch.clear();
    let bytes = line.as_bytes();
    let mut error = None;
    // Columns count characters; they are counted incrementally from the previous token, or are byte offsets.
    let mut counted_to = 0;
    let mut column = 1u32;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b' ' || b == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        column = if ascii {
            u32::try_from(start + 1).unwrap_or(u32::MAX)
        } else {
            column.saturating_add(chars_in(bytes.get(counted_to..start).unwrap_or_default()))
        };
        counted_to = start;
        // The two shapes nearly every token has, read without copying: a bare word, and one quoted string with no
        // escapes. Anything else (quotes inside a word, escapes, an unterminated quote) takes the general loop.
        let end = start + find3(bytes.get(start..).unwrap_or_default(), b' ', b'\t', b'"');
        if bytes.get(end) != Some(&b'"') {
            tokens.push(RawToken {
                text: TokenText::Line(start, end),
                quoted: false,
                column,
            });
            i = end;
            continue;
        }
        if end == start {
            let close = start
                + 1
                + find3(
                    bytes.get(start + 1..).unwrap_or_default(),
                    b'"',
                    b'\\',
                    b'"',
                );
            if bytes.get(close) == Some(&b'"')
                && matches!(bytes.get(close + 1), None | Some(b' ' | b'\t'))
            {
                tokens.push(RawToken {
                    text: TokenText::Line(start + 1, close),
                    quoted: true,
                    column,
                });
                i = close + 1;
                continue;
            }
        }
        let mut text = Pieces::default();
        let mut quoted = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b' ' | b'\t' => break,
                b'"' => {
                    quoted = true;
                    i += 1;
                    let mut piece = i;
                    let mut closed = false;
                    while let Some(&b) = bytes.get(i) {
                        match b {
                            b'\\' => {
                                text.push(line, scratch, piece, i);
                                // The escaped character stands for itself; a backslash at the end for a backslash.
                                let escaped = line
                                    .get(i + 1..)
                                    .and_then(|rest| rest.chars().next())
                                    .map_or(0, char::len_utf8);
                                if escaped > 0 {
                                    text.push(line, scratch, i + 1, i + 1 + escaped);
                                    i += 1 + escaped;
                                } else {
                                    text.push(line, scratch, i, i + 1);
                                    i += 1;
                                }
                                piece = i;
                            }
                            b'"' => {
                                closed = true;
                                break;
                            }
                            _ => i += 1,
                        }
                    }
                    text.push(line, scratch, piece, i);
                    if closed {
                        i += 1;
                    } else if error.is_none() {
                        error = Some(TokenError {
                            column,
                            message: "unterminated double quote".to_string(),
                        });
                    }
                }
                _ => {
                    let piece = i;
                    i += find3(bytes.get(i..).unwrap_or_default(), b' ', b'\t', b'"');
                    text.push(line, scratch, piece, i);
                }
            }
        }
        tokens.push(RawToken {
            text: text.finish(start, scratch),
            quoted,
            column,
        });
    }
    error
}

/// Characters in UTF-8 `bytes`: the bytes that do not continue a character.
fn chars_in(bytes: &[u8]) -> u32 {
    let count = bytes.iter().filter(|&&b| (b as i8) >= -0x40).count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The pieces of one token's text: one range of the line while it is contiguous, the scratch string once not.
#[derive(Debug, Default)]
struct Pieces {
    line: Option<(usize, usize)>,
    scratch_start: Option<usize>,
}

impl Pieces {
    fn push(&mut self, line: &str, scratch: &mut String, start: usize, end: usize) {
        if start >= end {
            return;
        }
        if self.scratch_start.is_some() {
            scratch.push_str(line.get(start..end).unwrap_or_default());
            return;
        }
        match self.line {
            None => self.line = Some((start, end)),
            Some((s, e)) if e == start => self.line = Some((s, end)),
            Some((s, e)) => {
                self.scratch_start = Some(scratch.len());
                scratch.push_str(line.get(s..e).unwrap_or_default());
                scratch.push_str(line.get(start..end).unwrap_or_default());
                self.line = None;
            }
        }
    }

    fn finish(self, token_start: usize, scratch: &str) -> TokenText {
        match (self.scratch_start, self.line) {
            (Some(s), _) => TokenText::Scratch(s, scratch.len()),
            (None, Some((s, e))) => TokenText::Line(s, e),
            (None, None) => TokenText::Line(token_start, token_start),
        }
    }
}

/// The first bytes of a pcap file: µs and ns magic in both byte orders.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
/// The first bytes of a pcapng file: a Section Header Block's type.
pub(crate) const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Whether `bytes` starts like a pcap file.
pub fn is_pcap(bytes: &[u8]) -> bool {
    bytes
        .get(..4)
        .is_some_and(|head| PCAP_MAGICS.iter().any(|m| m == head))
}

/// Whether `bytes` starts like a pcapng file.
pub fn is_pcapng(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&PCAPNG_MAGIC[..])
}

/// `s` with its first character in upper case, for a message that starts a sentence.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A line's text for a reader that goes line by line: `None`, with a `line-too-long` error, for a line over `max`
/// bytes (skipped); else its text, with an `invalid-utf8` warning at the first bad byte's column when it had one.
pub fn readable<'a>(
    line: &Line<'a>,
    max: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Cow<'a, str>> {
    if line.bytes.len() > max {
        diagnostics.push(Diagnostic::new(
            Severity::Error,
            "line-too-long",
            line.number,
            1,
            format!(
                "line of {} bytes is longer than the {max} bytes read; skipped",
                line.bytes.len()
            ),
        ));
        return None;
    }
    let (content, bad) = decode(line.bytes);
    if let Some(column) = bad {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "invalid-utf8",
            line.number,
            column,
            "invalid UTF-8; the bad bytes are replaced",
        ));
    }
    Some(content)
}

/// `text` cut to its first `max` characters, with `…` when something was cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if big_endian {
                [0xfe, 0xff]
            } else {
                [0xff, 0xfe]
            });
        }
        for u in text.encode_utf16() {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn prompts_are_told_from_comments_and_text() {
        for prompt in [
            "$ kubectl exec -n default web-0 -- cat /etc/resolv.conf",
            "$",
            "root@node-1:~# iptables-save",
            "[root@host ~]# cat /etc/resolv.conf",
            "user@host:~/k8s$ kubectl get svc",
            "root@node-1:~#",
            "PS C:\\Users\\me> kubectl get svc -A",
        ] {
            assert!(is_prompt(prompt), "{prompt}");
        }
        for text in [
            "# a comment",
            "#",
            "nameserver 10.96.0.10",
            "-A KUBE-SERVICES -m comment --comment \"a@b# c\" -j X",
            "mail me at a@b.c # please",
            "PS: remember",
        ] {
            assert!(!is_prompt(text), "{text}");
        }
    }

    #[test]
    fn utf16_with_or_without_a_bom_is_decoded() {
        let text = "nameserver 10.96.0.10\r\nsearch default.svc.cluster.local\r\n# café\r\n";
        for big_endian in [false, true] {
            for bom in [false, true] {
                let bytes = utf16(text, big_endian, bom);
                let (out, note) = normalise_noting(&bytes);
                assert_eq!(std::str::from_utf8(&out).unwrap(), text);
                assert_eq!(
                    note,
                    Some(Decoded::Utf16 {
                        big_endian,
                        bom,
                        invalid: 0
                    })
                );
            }
        }
        // An unpaired surrogate and an odd last byte are replaced and counted.
        let mut bytes = utf16("ab", false, true);
        bytes.extend([0x00, 0xd8, b'c', 0, b'x']);
        let (out, note) = normalise_noting(&bytes);
        assert_eq!(std::str::from_utf8(&out).unwrap(), "ab\u{fffd}c\u{fffd}");
        assert!(matches!(note, Some(Decoded::Utf16 { invalid: 2, .. })));
    }

    #[test]
    fn cr_only_and_mixed_line_ends_are_line_breaks_and_plain_text_is_not_copied() {
        let (out, note) = normalise_noting(b"a\rb\r\nc\rd");
        assert_eq!(&*out, b"a\nb\r\nc\nd");
        assert_eq!(note, Some(Decoded::CrLineEnds));
        let numbers: Vec<(u32, &[u8])> = lines(&out).map(|l| (l.number, l.bytes)).collect();
        assert_eq!(
            numbers,
            [
                (1, &b"a"[..]),
                (2, &b"b"[..]),
                (3, &b"c"[..]),
                (4, &b"d"[..])
            ]
        );
        for plain in [&b"a\r\nb\r\n"[..], b"a\nb\n", b"", b"\x00\x00\x00\x00"] {
            let (out, note) = normalise_noting(plain);
            assert!(matches!(out, Cow::Borrowed(_)), "{plain:?}");
            assert_eq!(note, None);
        }
        // A UTF-8 byte order mark is dropped without a copy.
        let (out, note) = normalise_noting(b"\xEF\xBB\xBFnameserver 1.1.1.1\n");
        assert!(matches!(out, Cow::Borrowed(b"nameserver 1.1.1.1\n")));
        assert_eq!(note, None);
        // A capture is never touched, whatever its bytes.
        let pcap = b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\r\x00\r";
        assert!(matches!(normalise(pcap), Cow::Borrowed(_)));
    }

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
    fn tokenize_joins_pieces_and_counts_columns_in_characters() {
        let line = "é \"a b\"c x\"y\" \"\" \"q\\\\\" \"e\\\"\\é\" un\\q \"end\\";
        let (tokens, error) = tokenize(line);
        let got: Vec<(&str, bool, u32)> = tokens
            .iter()
            .map(|t| (t.text.as_str(), t.quoted, t.column))
            .collect();
        assert_eq!(
            got,
            [
                ("é", false, 1),
                ("a bc", true, 3),
                ("xy", true, 10),
                ("", true, 15),
                ("q\\", true, 18),
                ("e\"é", true, 24),
                ("un\\q", false, 32),
                ("end\\", true, 37),
            ]
        );
        assert_eq!(error.map(|e| e.column), Some(37));
        // The borrowed form gives the same tokens, and borrows the ones written as is.
        let mut raw = Vec::new();
        let mut scratch = String::new();
        tokenize_into(line, false, &mut raw, &mut scratch);
        assert_eq!(raw[0].text, TokenText::Line(0, 2));
        assert_eq!(raw[4].text, TokenText::Scratch(6, 8));
        for (r, t) in raw.iter().zip(&tokens) {
            assert_eq!(r.text(line, &scratch), t.text);
        }
    }

    #[test]
    fn line_spans_match_lines_at_every_length() {
        let text = b"ab\ncdefghijklmnop\r\n\n0123456789abcdefg\nlast";
        for end in 0..=text.len() {
            let bytes = &text[..end];
            let from_spans: Vec<(u32, &[u8])> = line_spans(bytes)
                .map(|s| (s.number, &bytes[s.start..s.end]))
                .collect();
            let mut expected = Vec::new();
            let mut rest = Some(bytes);
            let mut n = 0;
            while let Some(current) = rest {
                n += 1;
                let (line, next) = match current.iter().position(|&b| b == b'\n') {
                    Some(i) => (&current[..i], Some(&current[i + 1..])),
                    None => (current, None),
                };
                rest = next.filter(|r| !r.is_empty());
                expected.push((n, line.strip_suffix(b"\r").unwrap_or(line)));
            }
            assert_eq!(from_spans, expected, "prefix of {end} bytes");
        }
    }

    #[test]
    fn decode_reports_column_of_bad_byte() {
        let (text, column) = decode(b"ab\xffc");
        assert_eq!(column, Some(3));
        assert!(text.starts_with("ab"));
    }

    #[test]
    fn shorten_cuts_at_characters_and_marks_the_cut() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc…");
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(shorten("", 0), "");
        assert_eq!(shorten("a", 0), "…");
    }
}
