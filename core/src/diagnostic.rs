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

/// A problem with one place of one input. Line and column are 1-based; column counts characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `unknown-line`.
    pub code: String,
    /// What is wrong, naming the offending text.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
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
        }
    }
}

/// A parser's result: the value it could build and the diagnostics for what it could not read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// What was understood.
    pub value: T,
    /// What was not, or what looked wrong.
    pub diagnostics: Vec<Diagnostic>,
}
