//! `kubectl … -o yaml`: one or more YAML documents, read with `saphyr-parser`'s event stream into the same
//! `serde_json::Value`s as JSON, so both go through the same object readers.
//!
//! The events carry spans, so each document and each element of its item list (`items` of a List, or a top-level
//! sequence) gets the line it starts on. Scalars are resolved with the YAML 1.2 core schema (`null`, booleans,
//! integers, floats; quoted scalars are strings), which is what kubectl's marshaller relies on: it quotes every
//! string that would otherwise read as something else. Nesting depth and alias expansion are bounded.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use super::objects::Doc;
use crate::diagnostic::{Diagnostic, Severity};

/// The deepest nesting read; kubectl output is about 10 deep.
const MAX_DEPTH: usize = 100;
/// The most values built, counting every copy an alias makes.
const MAX_NODES: usize = 2_000_000;
/// The most values aliases may copy in one input (against "billion laughs" documents: kubectl writes no aliases).
pub(crate) const MAX_ALIAS_NODES: usize = 100_000;

/// Reads the YAML documents of `text`, whose first line is line `first_line` of the input.
pub(super) fn read(text: &str, first_line: u32, diagnostics: &mut Vec<Diagnostic>) -> Vec<Doc> {
    let last_line = first_line
        .saturating_add(u32::try_from(text.lines().count().saturating_sub(1)).unwrap_or(u32::MAX));
    let to_line = |marker_line: usize| {
        first_line
            .saturating_sub(1)
            .saturating_add(u32::try_from(marker_line).unwrap_or(u32::MAX))
            .clamp(first_line, last_line.max(first_line))
    };
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(ok) => ok,
            Err(e) => {
                let column = u32::try_from(e.marker().col())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1);
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    "yaml-syntax",
                    to_line(e.marker().line()),
                    column,
                    format!("YAML syntax error: {}", e.info()),
                ));
                builder.rescue(diagnostics);
                break;
            }
        };
        let line = to_line(span.start.line());
        let result = match event {
            Event::StreamStart | Event::Nothing => Ok(()),
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                builder.finish_document();
                Ok(())
            }
            Event::DocumentEnd => {
                builder.finish_document();
                Ok(())
            }
            Event::Scalar(value, style, anchor, tag) => {
                let value = scalar(&value, style, tag.as_deref());
                builder.remember(anchor, &value, 1);
                builder.attach(value, line, 1)
            }
            Event::SequenceStart(anchor, _) => {
                builder.open(Container::Seq(Vec::new()), anchor, line)
            }
            Event::MappingStart(anchor, _) => {
                builder.open(Container::Map(Map::new(), Key::Expect), anchor, line)
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(),
            Event::Alias(id) => builder.alias(id, line),
        };
        if let Err((code, message)) = result {
            // An alias names its own column; other limits are about the line.
            let column = if code == "yaml-alias-limit" {
                u32::try_from(span.start.col())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1)
            } else {
                1
            };
            diagnostics.push(Diagnostic::new(
                Severity::Error,
                code,
                line,
                column,
                message,
            ));
            builder.stack.clear();
            break;
        }
        diagnostics.append(&mut builder.diagnostics);
    }
    builder.finish_document();
    diagnostics.append(&mut builder.diagnostics);
    builder.docs
}

/// What a mapping waits for next.
#[derive(Debug)]
enum Key {
    /// A key.
    Expect,
    /// The value of this key.
    Have(String),
    /// The value of a key that is not a scalar (dropped).
    Discard,
}

#[derive(Debug)]
enum Container {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Key),
}

#[derive(Debug)]
struct Frame {
    container: Container,
    anchor: usize,
    line: u32,
    /// Values in this subtree, for the alias budget.
    nodes: usize,
    /// The start lines of the elements, when this sequence is the document's item list.
    item_lines: Option<Vec<u32>>,
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    /// The current document's value, once complete, with its line.
    root: Option<(Value, u32)>,
    item_lines: Vec<u32>,
    anchors: BTreeMap<usize, (Value, usize)>,
    nodes: usize,
    /// Values copied by aliases so far.
    alias_nodes: usize,
    docs: Vec<Doc>,
    diagnostics: Vec<Diagnostic>,
}

type Step = Result<(), (&'static str, String)>;

impl Builder {
    fn finish_document(&mut self) {
        if let Some((value, line)) = self.root.take() {
            self.docs.push(Doc {
                line,
                value,
                item_lines: std::mem::take(&mut self.item_lines),
            });
        }
        self.stack.clear();
        self.item_lines.clear();
    }

    fn open(&mut self, container: Container, anchor: usize, line: u32) -> Step {
        if self.stack.len() >= MAX_DEPTH {
            return Err((
                "yaml-too-deep",
                format!("the YAML nests deeper than {MAX_DEPTH} levels; the rest is not read"),
            ));
        }
        let is_item_list = matches!(container, Container::Seq(_))
            && match self.stack.as_slice() {
                [] => true,
                [root] => {
                    matches!(&root.container, Container::Map(_, Key::Have(k)) if k == "items")
                }
                _ => false,
            };
        self.stack.push(Frame {
            container,
            anchor,
            line,
            nodes: 1,
            item_lines: is_item_list.then(Vec::new),
        });
        self.count(1)
    }

    fn close(&mut self) -> Step {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        if let Some(lines) = frame.item_lines {
            self.item_lines = lines;
        }
        let value = match frame.container {
            Container::Seq(items) => Value::Array(items),
            Container::Map(map, _) => Value::Object(map),
        };
        self.remember(frame.anchor, &value, frame.nodes);
        self.attach(value, frame.line, frame.nodes)
    }

    fn alias(&mut self, id: usize, line: u32) -> Step {
        let Some(&(_, nodes)) = self.anchors.get(&id) else {
            return Err(("yaml-syntax", "an alias to an unknown anchor".to_string()));
        };
        // Checked before the value is copied: the copies, not only the nesting, are bounded.
        self.alias_nodes = self.alias_nodes.saturating_add(nodes);
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err((
                "yaml-alias-limit",
                format!(
                    "aliases expand to more than {} values by this one (a \"billion laughs\" document?); the rest is not read",
                    crate::diagnostic::thousands(MAX_ALIAS_NODES as u64)
                ),
            ));
        }
        self.count(nodes)?;
        let value = self
            .anchors
            .get(&id)
            .map_or(Value::Null, |(value, _)| value.clone());
        self.attach(value, line, nodes)
    }

    fn count(&mut self, nodes: usize) -> Step {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err((
                "yaml-too-large",
                format!("the YAML expands to more than {MAX_NODES} values (aliases?); the rest is not read"),
            ));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, value: &Value, nodes: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), nodes));
        }
    }

    fn attach(&mut self, value: Value, line: u32, nodes: usize) -> Step {
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some((value, line));
            return Ok(());
        };
        parent.nodes = parent.nodes.saturating_add(nodes);
        if let Some(lines) = parent.item_lines.as_mut() {
            lines.push(line);
        }
        match &mut parent.container {
            Container::Seq(items) => items.push(value),
            Container::Map(map, key) => match std::mem::replace(key, Key::Expect) {
                Key::Expect => {
                    *key = match value {
                        Value::String(s) => Key::Have(s),
                        Value::Number(n) => Key::Have(n.to_string()),
                        Value::Bool(b) => Key::Have(b.to_string()),
                        Value::Null => Key::Have(String::new()),
                        Value::Array(_) | Value::Object(_) => {
                            self.diagnostics.push(Diagnostic::new(
                                Severity::Warning,
                                "yaml-complex-key",
                                line,
                                1,
                                "a mapping key that is itself a list or mapping; the entry is skipped",
                            ));
                            Key::Discard
                        }
                    };
                }
                Key::Have(k) => {
                    map.insert(k, value);
                }
                Key::Discard => {}
            },
        }
        Ok(())
    }

    /// After a syntax error: the complete items of the document's item list are still read, each on its own.
    fn rescue(&mut self, diagnostics: &mut Vec<Diagnostic>) {
        let list = self
            .stack
            .iter_mut()
            .take(2)
            .find(|f| f.item_lines.is_some());
        if let Some(frame) = list {
            let lines = frame.item_lines.take().unwrap_or_default();
            if let Container::Seq(items) =
                std::mem::replace(&mut frame.container, Container::Seq(Vec::new()))
            {
                let count = items.len();
                for (i, value) in items.into_iter().enumerate() {
                    let line = lines.get(i).copied().unwrap_or(frame.line);
                    self.docs.push(Doc {
                        line,
                        value,
                        item_lines: Vec::new(),
                    });
                }
                if count > 0 {
                    diagnostics.push(Diagnostic::new(
                        Severity::Info,
                        "yaml-rescued-items",
                        frame.line,
                        1,
                        format!("{count} complete items of the broken list were read one by one"),
                    ));
                }
            }
        }
        self.stack.clear();
        self.root = None;
    }
}

/// Resolves a scalar with the YAML 1.2 core schema.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let forced_string = tag.is_some_and(|t| t.suffix == "str");
    if style != ScalarStyle::Plain || forced_string {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = integer(text) {
        return Value::Number(n.into());
    }
    if is_float(text) {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_string())
}

fn integer(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (
            body.get(..i).unwrap_or_default(),
            Some(body.get(i + 1..).unwrap_or_default()),
        ),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value {
        scalar(text, ScalarStyle::Plain, None)
    }

    #[test]
    fn core_schema_scalars() {
        assert_eq!(plain("80"), Value::from(80));
        assert_eq!(plain("-3"), Value::from(-3));
        assert_eq!(plain("0x1F"), Value::from(31));
        assert_eq!(plain("true"), Value::Bool(true));
        assert_eq!(plain("~"), Value::Null);
        assert_eq!(plain("1.5"), Value::from(1.5));
        assert_eq!(plain("10.96.0.10"), Value::from("10.96.0.10"));
        assert_eq!(plain("http"), Value::from("http"));
        assert_eq!(plain(".inf"), Value::from(".inf"));
        assert_eq!(plain("1e"), Value::from("1e"));
        assert_eq!(
            scalar("80", ScalarStyle::DoubleQuoted, None),
            Value::from("80")
        );
        assert!(!is_float("."));
        assert!(is_float(".5"));
        assert!(is_float("5."));
    }

    #[test]
    fn documents_items_and_lines() {
        let text = "# comment\napiVersion: v1\nitems:\n- kind: Service\n  metadata: {name: a}\n- &x\n  kind: Pod\n- *x\nkind: List\n---\nkind: Pod\n";
        let mut d = Vec::new();
        let docs = read(text, 5, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].line, 6);
        assert_eq!(docs[0].item_lines, [8, 10, 12]);
        assert_eq!(docs[0].value["items"][2]["kind"], "Pod");
        assert_eq!(docs[1].line, 15);
    }

    #[test]
    fn a_broken_list_keeps_its_complete_items() {
        let text = "items:\n- kind: Service\n  metadata:\n    name: a\n- kind: Service\n  metadata: {name: [b\n";
        let mut d = Vec::new();
        let docs = read(text, 1, &mut d);
        assert_eq!(d[0].code, "yaml-syntax");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].line, 2);
        assert_eq!(docs[0].value["metadata"]["name"], "a");
        assert_eq!(d[1].code, "yaml-rescued-items");
    }

    #[test]
    fn alias_bombs_and_deep_nesting_stop_with_a_diagnostic() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut previous = 'a';
        for name in 'b'..='k' {
            bomb.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
            previous = name;
        }
        let mut d = Vec::new();
        read(&bomb, 1, &mut d);
        // Stopped at the alias that takes the copies past 100,000 values. `a` is 11 values (the list and its ten
        // scalars); each `*a` of `b` copies 11, so `b` copies 110 and is 111 values; `c` copies 1,110, `d` 11,110:
        // 12,330 so far. Each `*d` of line 5 copies 11,111, and the 8th passes 100,000 (12,330 + 8 × 11,111 =
        // 101,218): column 8 + 7 × 4 (`e: &e [` then `*d, ` per alias).
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "yaml-alias-limit");
        assert_eq!((d[0].line, d[0].column), (5, 36), "{d:?}");
        // Block nesting reaches our limit; flow nesting stops in saphyr's own scanner first.
        let deep = format!("{}x\n", "- ".repeat(150));
        let mut d = Vec::new();
        read(&deep, 1, &mut d);
        assert!(d.iter().any(|d| d.code == "yaml-too-deep"), "{d:?}");
        let mut d = Vec::new();
        read(&"[".repeat(100_000), 1, &mut d);
        assert_eq!(d.len(), 1, "{d:?}");
    }
}
