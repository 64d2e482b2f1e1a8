//! The source viewer's lines and the exports.

use serde::{Deserialize, Serialize};

use super::Session;
use crate::protocol::ExportFormat;

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

/// The lines asked for, or `None` for an unknown input.
pub fn lines(session: &Session, q: &LinesQuery) -> Option<Lines> {
    let bytes = session.bytes_of(&q.source)?;
    let first = q.first.max(1);
    let mut total = 0u32;
    let mut lines = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i as u32 + 1;
        total = n;
        if n >= first && lines.len() < q.count as usize {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.push(String::from_utf8_lossy(line).into_owned());
        }
    }
    if bytes.ends_with(b"\n") {
        total = total.saturating_sub(1);
    }
    Some(Lines {
        source: q.source.clone(),
        first,
        total,
        lines,
    })
}

/// The export's file name, MIME type and text.
pub fn export(session: &Session, format: ExportFormat) -> Option<(String, String, String)> {
    let analysis = session.analysis()?;
    match format {
        ExportFormat::Json => {
            let text = serde_json::to_string_pretty(analysis).ok()?;
            Some((
                "dnatlas-analysis.json".into(),
                "application/json".into(),
                text,
            ))
        }
        ExportFormat::Markdown => None,
    }
}
