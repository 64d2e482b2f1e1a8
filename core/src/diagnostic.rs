//! Diagnostics: what a parser could not read, with where it is.

use serde::{Deserialize, Serialize};

/// How bad a diagnostic or finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something was not understood and was skipped, or the result is wrong.
    Error,
    /// Understood, but suspicious or only partly understood.
    Warning,
    /// Worth knowing; nothing is wrong.
    Info,
}

/// A problem with one place of one input. Line and column are 1-based; column counts characters. A binary capture
/// has no lines: its diagnostics name a frame (1-based, as tshark counts) and have line and column 0, which JSON
/// leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `unknown-line`.
    pub code: String,
    /// What is wrong, naming the offending text.
    pub message: String,
    /// 1-based line; 0 in a binary capture.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
    /// 1-based column; 0 in a binary capture.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub column: u32,
    /// The frame of a binary capture (1-based); `None` when the diagnostic is about the file as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Diagnostic {
    /// A diagnostic at `line`:`column`.
    pub fn new(
        severity: Severity,
        code: &str,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code: code.to_string(),
            message: message.into(),
            line,
            column,
            frame: None,
        }
    }

    /// A diagnostic about frame `frame` of a binary capture; frame 0 means the file as a whole.
    pub fn at_frame(
        severity: Severity,
        code: &str,
        frame: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code: code.to_string(),
            message: message.into(),
            line: 0,
            column: 0,
            frame: (frame > 0).then_some(frame),
        }
    }
}

// The wording of counts and shares has one home, `format`; these two names stay here for the callers that still
// import them from this module.
pub use crate::format::{percent, thousands};

/// Diagnostics of one code kept for one line (or one frame of a binary capture); the rest are counted in a note.
pub const MAX_PER_LINE_AND_CODE: usize = 3;

/// Where a diagnostic is, for sorting: line, column, frame.
fn place(d: &Diagnostic) -> (u32, u32, Option<u32>) {
    (d.line, d.column, d.frame)
}

/// A note that `n` more diagnostics of `code` `where_` were left out, at `at`'s place.
fn more_note(at: &Diagnostic, n: usize, code: &str, where_: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Info,
        code: "more-diagnostics".to_string(),
        message: format!(
            "{} more `{code}` diagnostics {where_} not shown",
            crate::format::thousands(n as u64)
        ),
        line: at.line,
        column: at.column,
        frame: at.frame,
    }
}

/// Sorts an input's diagnostics by place and shares `max` of them fairly, so that one bad line or one cause
/// repeated thousands of times cannot hide the problems after it:
///
/// 1. on each line (each frame of a binary capture), the first [`MAX_PER_LINE_AND_CODE`] diagnostics of a code are
///    kept and the rest become one `more-diagnostics` note with their count;
/// 2. if more than `max` are left, every code gets an equal share (a code with fewer keeps all of its own, and
///    what it leaves is shared by the others), its first ones in input order, so the first diagnostic of every
///    code is kept; each code cut short gets a note with how many more it had, after its last one shown.
///
/// The result holds at most `max` diagnostics plus one note per line-and-code collapsed in step 1 that survives
/// step 2, plus one note per code cut in step 2.
pub fn budget(mut diagnostics: Vec<Diagnostic>, max: usize) -> Vec<Diagnostic> {
    diagnostics.sort_by_key(place);
    // 1. Per line (or frame) and code.
    let mut collapsed: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len().min(max * 2));
    let mut group: Vec<(String, usize, usize)> = Vec::new(); // code, seen, index of the last kept in `collapsed`
    let mut notes: Vec<(usize, Diagnostic)> = Vec::new();
    let mut current: Option<(u32, Option<u32>)> = None;
    let flush = |group: &mut Vec<(String, usize, usize)>,
                 collapsed: &Vec<Diagnostic>,
                 notes: &mut Vec<(usize, Diagnostic)>| {
        for (code, seen, last) in group.drain(..) {
            if seen > MAX_PER_LINE_AND_CODE {
                if let Some(at) = collapsed.get(last) {
                    let where_ = if at.line > 0 {
                        format!("on line {}", at.line)
                    } else if let Some(frame) = at.frame {
                        format!("in frame {frame}")
                    } else {
                        "about the file".to_string()
                    };
                    notes.push((
                        last,
                        more_note(at, seen - MAX_PER_LINE_AND_CODE, &code, &where_),
                    ));
                }
            }
        }
    };
    for d in diagnostics {
        let key = (d.line, if d.line == 0 { d.frame } else { None });
        if current != Some(key) {
            flush(&mut group, &collapsed, &mut notes);
            current = Some(key);
        }
        match group.iter_mut().find(|g| g.0 == d.code) {
            Some(g) => {
                g.1 += 1;
                if g.1 <= MAX_PER_LINE_AND_CODE {
                    g.2 = collapsed.len();
                    collapsed.push(d);
                }
            }
            None => {
                group.push((d.code.clone(), 1, collapsed.len()));
                collapsed.push(d);
            }
        }
    }
    flush(&mut group, &collapsed, &mut notes);
    // The notes go right after the diagnostic they follow.
    let mut merged = Vec::with_capacity(collapsed.len() + notes.len());
    let mut notes = notes.into_iter().peekable();
    for (i, d) in collapsed.into_iter().enumerate() {
        merged.push(d);
        while let Some((_, note)) = notes.next_if(|(at, _)| *at == i) {
            merged.push(note);
        }
    }
    if merged.len() <= max {
        return merged;
    }
    // 2. An equal share of `max` per code, in order of first appearance.
    let mut codes: Vec<(String, usize)> = Vec::new();
    for d in &merged {
        match codes.iter_mut().find(|c| c.0 == d.code) {
            Some(c) => c.1 += 1,
            None => codes.push((d.code.clone(), 1)),
        }
    }
    let mut counts: Vec<usize> = codes.iter().map(|c| c.1).collect();
    counts.sort_unstable();
    let (mut left, mut share) = (max, usize::MAX);
    for (i, &c) in counts.iter().enumerate() {
        let others = counts.len() - i;
        if c.saturating_mul(others) <= left {
            left -= c;
        } else {
            share = left / others;
            left -= share * others;
            break;
        }
    }
    // What does not divide evenly goes one each to the first codes cut short.
    let mut allowed: Vec<(&str, usize)> = codes
        .iter()
        .map(|(code, n)| {
            let mut keep = (*n).min(share);
            if *n > share && left > 0 {
                keep += 1;
                left -= 1;
            }
            (code.as_str(), keep)
        })
        .collect();
    let mut kept = Vec::with_capacity(max + allowed.len());
    let mut last_of: Vec<Option<usize>> = vec![None; allowed.len()];
    for d in merged {
        let Some(i) = allowed.iter().position(|a| a.0 == d.code) else {
            continue;
        };
        if let (Some(a), Some(last)) = (allowed.get_mut(i), last_of.get_mut(i)) {
            if a.1 > 0 {
                a.1 -= 1;
                *last = Some(kept.len());
                kept.push(d);
            }
        }
    }
    let mut out = Vec::with_capacity(kept.len() + allowed.len());
    let mut cut: Vec<(usize, Diagnostic)> = allowed
        .iter()
        .zip(&last_of)
        .zip(&codes)
        .filter_map(|((_, last), (code, n))| {
            let n = *n;
            let last = (*last)?;
            let shown = kept
                .get(..=last)
                .unwrap_or_default()
                .iter()
                .filter(|d| d.code == *code)
                .count();
            let at = kept.get(last)?;
            let where_ = if at.line > 0 {
                format!("after line {}", at.line)
            } else if let Some(frame) = at.frame {
                format!("after frame {frame}")
            } else {
                "after these".to_string()
            };
            (n > shown).then(|| (last, more_note(at, n - shown, code, &where_)))
        })
        .collect();
    cut.sort_by_key(|c| c.0);
    let mut cut = cut.into_iter().peekable();
    for (i, d) in kept.into_iter().enumerate() {
        out.push(d);
        while let Some((_, note)) = cut.next_if(|(at, _)| *at == i) {
            out.push(note);
        }
    }
    out
}

/// A parser's result: the value it could build and the diagnostics for what it could not read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// What was understood.
    pub value: T,
    /// What was not, or what looked wrong.
    pub diagnostics: Vec<Diagnostic>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(code: &str, line: u32, column: u32) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, line, column, code)
    }

    fn summary(ds: &[Diagnostic]) -> Vec<(String, u32, u32)> {
        ds.iter()
            .map(|d| (d.code.clone(), d.line, d.column))
            .collect()
    }

    #[test]
    fn a_line_keeps_three_of_a_code_and_counts_the_rest() {
        let mut ds: Vec<Diagnostic> = (0..20_000)
            .map(|i| at("double-negation", 3, 20 + 2 * i))
            .collect();
        ds.push(at("bad-port", 3, 5));
        ds.push(at("bad-port", 4, 1));
        ds.reverse();
        let out = budget(ds, 500);
        assert_eq!(
            summary(&out),
            [
                ("bad-port".to_string(), 3, 5),
                ("double-negation".to_string(), 3, 20),
                ("double-negation".to_string(), 3, 22),
                ("double-negation".to_string(), 3, 24),
                ("more-diagnostics".to_string(), 3, 24),
                ("bad-port".to_string(), 4, 1),
            ]
        );
        assert_eq!(
            out[4].message,
            "19,997 more `double-negation` diagnostics on line 3 not shown"
        );
        assert_eq!(out[4].severity, Severity::Info);
    }

    #[test]
    fn the_budget_is_shared_between_codes() {
        // One cause on 10,000 lines, then five others once each, and a second cause 300 times.
        let mut ds: Vec<Diagnostic> = (1..=10_000).map(|l| at("unknown-line", l, 1)).collect();
        ds.extend((0..5).map(|i| at(["a", "b", "c", "d", "e"][i], 10_001 + i as u32, 2)));
        ds.extend((0..300).map(|i| at("bad-port", 20_000 + i, 7)));
        let out = budget(ds, 100);
        let count = |code: &str| out.iter().filter(|d| d.code == code).count();
        // Seven codes share 100: the five single ones keep theirs, the two large ones 47 and 48.
        for code in ["a", "b", "c", "d", "e"] {
            assert_eq!(count(code), 1, "{code}");
        }
        assert_eq!(count("unknown-line") + count("bad-port"), 95);
        assert!(count("unknown-line") >= 47 && count("bad-port") >= 47);
        // Each cut code has a note after its last one shown, and the notes add up.
        let notes: Vec<&Diagnostic> = out
            .iter()
            .filter(|d| d.code == "more-diagnostics")
            .collect();
        assert_eq!(notes.len(), 2);
        let more: usize = notes
            .iter()
            .map(|n| {
                n.message
                    .split(' ')
                    .next()
                    .unwrap()
                    .replace(',', "")
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        assert_eq!(more + 95, 10_300);
        assert!(notes[0]
            .message
            .contains("`unknown-line` diagnostics after line "));
        // In place order.
        assert!(out.windows(2).all(|w| place(&w[0]) <= place(&w[1])));
    }

    #[test]
    fn under_the_budget_nothing_is_lost() {
        let ds: Vec<Diagnostic> = (1..=500).rev().map(|l| at("x", l, 1)).collect();
        let out = budget(ds, 500);
        assert_eq!(out.len(), 500);
        assert_eq!(out[0].line, 1);
    }
}
