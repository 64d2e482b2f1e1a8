//! Where a fact comes from: a line of an input, or a frame of a binary capture. Every layer above cites its facts
//! with these.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A place in an input that proves a finding: a line, or a frame of a binary capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The input's name, shared by every fact from that input.
    pub source: Arc<str>,
    /// 1-based line; 0 for a frame of a binary capture, which JSON leaves out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
    /// The frame of a binary capture (1-based, as tshark counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u32>,
}

impl Evidence {
    /// Where it points, as people write it: `source:line`, `source frame N`, or the source alone.
    pub fn place(&self) -> String {
        match (self.line, self.frame) {
            (line, _) if line > 0 => format!("{}:{line}", self.source),
            (_, Some(frame)) => format!("{} frame {frame}", self.source),
            _ => self.source.to_string(),
        }
    }
}
