//! The source viewer's questions and answers: a window of an input's lines.

use serde::{Deserialize, Serialize};

/// A window of an input's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesQuery {
    /// The input's name.
    pub source: String,
    /// First line wanted, 1-based.
    pub first: u32,
    /// At most this many lines.
    pub count: u32,
}

/// Lines of an input, as text (invalid UTF-8 replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lines {
    /// The input's name.
    pub source: String,
    /// The number of the first line sent.
    pub first: u32,
    /// The input's lines in all.
    pub total: u32,
    /// The lines, without their line ends.
    pub lines: Vec<String>,
}
