//! `kubectl … -o json` (docs/domain/formats.md §7): one or more JSON values (a bare object, a `List`, or concatenated outputs).
//!
//! `serde_json` has no spans, so the line of each object comes from a light scan of the text that tracks strings
//! and nesting and records where each top-level value and each element of its item list (`items` of a top-level
//! object, or the elements of a top-level array) starts. The same scan rescues the complete items of a List whose
//! text is cut or broken further down: each is parsed on its own.

use serde_json::Value;

use super::objects::Doc;
use crate::diagnostic::{Diagnostic, Severity};
use crate::text;

/// What was read from a JSON segment.
#[derive(Debug, Default)]
pub(super) struct Read {
    /// The documents, in order.
    pub docs: Vec<Doc>,
    /// Byte offset where text that is not JSON starts after at least one complete value (a table pasted below).
    pub rest: Option<usize>,
}

/// Reads the JSON values of `text`, whose first line is line `first_line` of the input.
pub(super) fn read(text: &str, first_line: u32, diagnostics: &mut Vec<Diagnostic>) -> Read {
    let mut index = LineIndex::new(text, first_line);
    let mut out = Read::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut previous_end = 0usize;
    loop {
        let start = skip_whitespace(text, previous_end);
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let end = stream.byte_offset();
                let span = text.get(start..end).unwrap_or_default();
                let items = scan(span);
                out.docs.push(Doc {
                    line: index.line(start),
                    value,
                    item_lines: items.iter().map(|i| index.line(start + i.start)).collect(),
                });
                previous_end = end;
            }
            Some(Err(e)) => {
                let starts_value = text
                    .get(start..)
                    .and_then(|t| t.chars().next())
                    .is_some_and(|c| c == '{' || c == '[');
                if !out.docs.is_empty() && !starts_value && e.is_syntax() {
                    // After complete JSON, the text goes on with something else (a table, a prompt's output).
                    out.rest = Some(start);
                    break;
                }
                let (line, column) = index.position(e.line(), e.column());
                // serde_json's message ends with its own (segment-relative) position; ours is in the diagnostic.
                let full = e.to_string();
                let reason = full
                    .rfind(" at line ")
                    .and_then(|i| full.get(..i))
                    .unwrap_or(&full);
                let message = if e.is_eof() {
                    format!("the JSON ends early (the paste may be cut): {reason}")
                } else {
                    format!("JSON syntax error: {reason}")
                };
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    "json-syntax",
                    line,
                    column,
                    message,
                ));
                rescue(text, start, &mut index, &mut out, diagnostics);
                break;
            }
        }
    }
    out
}

/// Parses, one by one, the items of the broken value at `start` that are complete.
fn rescue(
    text: &str,
    start: usize,
    index: &mut LineIndex,
    out: &mut Read,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let span = text.get(start..).unwrap_or_default();
    let mut rescued = 0usize;
    for item in scan(span) {
        let Some(end) = item.end else { continue };
        let Some(piece) = span.get(item.start..end) else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(piece) {
            out.docs.push(Doc {
                line: index.line(start + item.start),
                value,
                item_lines: Vec::new(),
            });
            rescued += 1;
        }
    }
    if rescued > 0 {
        diagnostics.push(Diagnostic::new(
            Severity::Info,
            "json-rescued-items",
            index.line(start),
            1,
            format!("{rescued} complete items of the broken list were read one by one"),
        ));
    }
}

fn skip_whitespace(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or_default();
    from + (rest.len() - rest.trim_start().len())
}

/// Byte offsets of the line starts, to turn offsets into line numbers.
struct LineIndex<'a> {
    text: &'a str,
    /// The line starts found so far: those up to `scanned`.
    starts: Vec<usize>,
    scanned: usize,
    first_line: u32,
}

impl<'a> LineIndex<'a> {
    /// An index that finds line starts as far as it is asked: a read that stops early (at the text after the JSON)
    /// costs what it read, not the whole rest of the segment.
    fn new(text: &'a str, first_line: u32) -> Self {
        Self {
            text,
            starts: vec![0],
            scanned: 0,
            first_line,
        }
    }

    /// Finds every line start up to the first one past `offset` (all of them for `usize::MAX`).
    fn extend_to(&mut self, offset: usize) {
        while self.scanned < self.text.len() && self.scanned <= offset {
            let rest = self.text.as_bytes().get(self.scanned..).unwrap_or_default();
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.scanned += i + 1;
                    self.starts.push(self.scanned);
                }
                None => self.scanned = self.text.len(),
            }
        }
    }

    /// The input line of byte offset `offset`.
    fn line(&mut self, offset: usize) -> u32 {
        self.extend_to(offset);
        let i = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        self.first_line
            .saturating_add(u32::try_from(i).unwrap_or(u32::MAX))
    }

    /// The input line and character column of serde_json's position (1-based line, and a 1-based column that
    /// counts bytes; column 0 is the newline ending the line before).
    fn position(&mut self, line: usize, byte_column: usize) -> (u32, u32) {
        self.extend_to(usize::MAX);
        let mut i = line.saturating_sub(1);
        let mut byte_column = byte_column;
        // After a final newline, the last entry of `starts` is the empty end, not a line.
        let lines = if self.text.ends_with('\n') {
            self.starts.len().saturating_sub(1).max(1)
        } else {
            self.starts.len()
        };
        if byte_column == 0 && i > 0 {
            i -= 1;
            byte_column = usize::MAX;
        }
        if i >= lines {
            i = lines - 1;
            byte_column = usize::MAX;
        }
        let start = self.starts.get(i).copied().unwrap_or(0);
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        let line_text = self.text.get(start..end).unwrap_or_default();
        let line_text = line_text.strip_suffix('\n').unwrap_or(line_text);
        let mut boundary = byte_column.saturating_sub(1).min(line_text.len());
        if byte_column == usize::MAX {
            boundary = line_text.len();
        }
        while boundary > 0 && !line_text.is_char_boundary(boundary) {
            boundary -= 1;
        }
        let number = self
            .first_line
            .saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        (number, text::column_of(line_text, boundary))
    }
}

/// An element of the item list: where it starts and, if it closes, where it ends (both relative to the scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    start: usize,
    end: Option<usize>,
}

/// Finds the elements of the item list of the first JSON value in `text`: the `items` array of a top-level object,
/// or the top-level array itself. Tolerates any input; stops at the end of the first value.
fn scan(text: &str) -> Vec<Item> {
    let bytes = text.as_bytes();
    let mut items: Vec<Item> = Vec::new();
    let mut depth = 0usize;
    // The depth of the item list's contents, once inside it.
    let mut list_depth: Option<usize> = None;
    // The last string read directly inside the top-level object (a key, when followed by `:`).
    let mut last_string: Option<(usize, usize)> = None;
    let mut expecting_element = false;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                if depth == 1 && list_depth.is_none() {
                    last_string = Some((start, i));
                }
                if expecting_element && list_depth == Some(depth) {
                    items.push(Item {
                        start: start - 1,
                        end: None,
                    });
                    expecting_element = false;
                }
            }
            b'{' | b'[' => {
                if expecting_element && list_depth == Some(depth) {
                    items.push(Item {
                        start: i,
                        end: None,
                    });
                    expecting_element = false;
                }
                depth += 1;
                if list_depth.is_none() && b == b'[' {
                    let is_items = depth == 1
                        || (depth == 2
                            && last_string
                                .and_then(|(s, e)| text.get(s..e))
                                .is_some_and(|k| k == "items"));
                    if is_items {
                        list_depth = Some(depth);
                        expecting_element = true;
                    }
                }
            }
            b'}' | b']' => {
                if list_depth == Some(depth) {
                    // The list itself closes.
                    list_depth = None;
                    expecting_element = false;
                    if b == b']' {
                        // Only one item list per value.
                        list_depth = Some(usize::MAX);
                    }
                }
                depth = depth.saturating_sub(1);
                if list_depth == Some(depth) {
                    if let Some(last) = items.last_mut() {
                        if last.end.is_none() {
                            last.end = Some(i + 1);
                        }
                    }
                }
                if depth == 0 {
                    break;
                }
            }
            b',' if list_depth == Some(depth) => expecting_element = true,
            c if c.is_ascii_whitespace() || c == b':' || c == b',' => {}
            _ => {
                // A scalar element (number, true, false, null).
                if expecting_element && list_depth == Some(depth) {
                    items.push(Item {
                        start: i,
                        end: None,
                    });
                    expecting_element = false;
                }
            }
        }
        i += 1;
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_items_of_a_list_and_of_a_top_level_array() {
        let list = "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\"a\": [1, {\"b\": \"]\"}]},\n    {\"c\": 2}\n  ],\n  \"kind\": \"List\"\n}";
        let items = scan(list);
        assert_eq!(items.len(), 2);
        assert_eq!(
            list.get(items[0].start..items[0].end.unwrap()),
            Some("{\"a\": [1, {\"b\": \"]\"}]}")
        );
        assert_eq!(
            list.get(items[1].start..items[1].end.unwrap()),
            Some("{\"c\": 2}")
        );
        let array = "[{\"x\": 1}, 2, \"s\"]";
        let items = scan(array);
        assert_eq!(
            items.iter().map(|i| i.start).collect::<Vec<_>>(),
            [1, 11, 14]
        );
        // An object's other arrays (an EndpointSlice's endpoints) are not item lists.
        assert!(scan("{\"endpoints\": [{\"a\": 1}], \"kind\": \"EndpointSlice\"}").is_empty());
    }

    #[test]
    fn lines_of_values_and_items() {
        let mut d = Vec::new();
        let text = "\n{\n    \"items\": [\n        {\"kind\": \"Service\"},\n        {\"kind\": \"Pod\"}\n    ],\n    \"kind\": \"List\"\n}\n{\"kind\": \"Pod\"}\n";
        let read = read(text, 10, &mut d);
        assert!(d.is_empty());
        assert_eq!(read.docs.len(), 2);
        assert_eq!(read.docs[0].line, 11);
        assert_eq!(read.docs[0].item_lines, [13, 14]);
        assert_eq!(read.docs[1].line, 18);
    }

    #[test]
    fn a_cut_list_keeps_its_complete_items() {
        let mut d = Vec::new();
        let text = "{\n\"items\": [\n{\"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}},\n{\"kind\": \"Service\", \"metadata\": {\"na";
        let read = read(text, 1, &mut d);
        assert_eq!(d[0].code, "json-syntax");
        assert_eq!(d[0].line, 4);
        assert_eq!(read.docs.len(), 1);
        assert_eq!(read.docs[0].line, 3);
        assert_eq!(d[1].code, "json-rescued-items");
    }

    #[test]
    fn syntax_errors_have_character_columns() {
        let mut d = Vec::new();
        read("{\"é\": x}", 1, &mut d);
        assert_eq!((d[0].line, d[0].column), (1, 7));
    }

    #[test]
    fn text_after_json_is_handed_back() {
        let mut d = Vec::new();
        let read = read("{\"kind\": \"Pod\"}\nNAME   AGE\n", 1, &mut d);
        assert!(d.is_empty());
        assert_eq!(read.rest, Some(16));
    }
}
