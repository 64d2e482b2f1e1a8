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

/// `n` with a comma between each group of three digits (`12,345`), as counts are written in messages.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
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

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
