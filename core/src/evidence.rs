//! Where a fact comes from: a line of an input, or a frame of a binary capture. Every layer above cites its facts
//! with these.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Where in its input a fact stands. The order (the whole input, then frames, then lines) is the order evidence is
/// listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// The input as a whole (nothing finer is known).
    Whole,
    /// A frame of a binary capture (1-based, as tshark counts).
    Frame(u32),
    /// A 1-based line of a text input.
    Line(u32),
}

/// A place in an input that proves a finding: a line, or a frame of a binary capture.
///
/// In JSON: `{"source", "line"}` for a line, `{"source", "frame"}` for a frame, `{"source"}` for the whole input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct Evidence {
    /// The input's name, shared by every fact from that input.
    pub source: Arc<str>,
    /// Where in it.
    pub place: Place,
}

impl Evidence {
    /// Line `line` (1-based) of `source`; line 0, which no input has, means the whole input.
    pub fn line(source: &Arc<str>, line: u32) -> Self {
        Evidence {
            source: Arc::clone(source),
            place: if line == 0 {
                Place::Whole
            } else {
                Place::Line(line)
            },
        }
    }

    /// Frame `frame` (1-based) of the binary capture `source`.
    pub fn frame(source: &Arc<str>, frame: u32) -> Self {
        Evidence {
            source: Arc::clone(source),
            place: Place::Frame(frame),
        }
    }

    /// The line it points at, if it points at one.
    pub fn line_number(&self) -> Option<u32> {
        match self.place {
            Place::Line(line) => Some(line),
            _ => None,
        }
    }

    /// The frame it points at, if it points at one.
    pub fn frame_number(&self) -> Option<u32> {
        match self.place {
            Place::Frame(frame) => Some(frame),
            _ => None,
        }
    }

    /// Whether it is line `line` of `source`.
    pub fn is_line(&self, source: &str, line: u32) -> bool {
        self.place == Place::Line(line) && *self.source == *source
    }
}

impl std::fmt::Display for Evidence {
    /// Where it points, as people write it: `source:line`, `source frame N`, or the source alone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.place {
            Place::Line(line) => write!(f, "{}:{line}", self.source),
            Place::Frame(frame) => write!(f, "{} frame {frame}", self.source),
            Place::Whole => write!(f, "{}", self.source),
        }
    }
}

/// Evidence as JSON has always written it: a line, left out when 0, and an optional frame.
#[derive(Serialize, Deserialize)]
struct Wire {
    source: Arc<str>,
    #[serde(default, skip_serializing_if = "is_zero")]
    line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frame: Option<u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl From<Wire> for Evidence {
    fn from(w: Wire) -> Self {
        let place = match (w.line, w.frame) {
            (0, Some(frame)) => Place::Frame(frame),
            (0, None) => Place::Whole,
            (line, _) => Place::Line(line),
        };
        Evidence {
            source: w.source,
            place,
        }
    }
}

impl From<Evidence> for Wire {
    fn from(e: Evidence) -> Self {
        let (line, frame) = match e.place {
            Place::Line(line) => (line, None),
            Place::Frame(frame) => (0, Some(frame)),
            Place::Whole => (0, None),
        };
        Wire {
            source: e.source,
            line,
            frame,
        }
    }
}

/// Adds each of `more` to `list` unless it is already there (evidence lists keep their first order).
pub(crate) fn push_unique<T: PartialEq + Clone>(list: &mut Vec<T>, more: &[T]) {
    for e in more {
        if !list.contains(e) {
            list.push(e.clone());
        }
    }
}

/// Adds `item` to `list` unless it is already there (a note said once).
pub(crate) fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_and_write_as_before() {
        let source: Arc<str> = "c.pcap".into();
        let cases = [
            (
                Evidence::line(&source, 9),
                "c.pcap:9",
                r#"{"source":"c.pcap","line":9}"#,
            ),
            (
                Evidence::frame(&source, 4),
                "c.pcap frame 4",
                r#"{"source":"c.pcap","frame":4}"#,
            ),
            (
                Evidence::line(&source, 0),
                "c.pcap",
                r#"{"source":"c.pcap"}"#,
            ),
        ];
        for (evidence, text, json) in cases {
            assert_eq!(evidence.to_string(), text);
            assert_eq!(serde_json::to_string(&evidence).unwrap(), json);
            assert_eq!(serde_json::from_str::<Evidence>(json).unwrap(), evidence);
        }
        // Listed as before: the whole input, then frames, then lines.
        let mut list = [
            Evidence::line(&source, 2),
            Evidence::frame(&source, 7),
            Evidence::line(&source, 0),
            Evidence::line(&source, 1),
        ];
        list.sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["c.pcap", "c.pcap frame 7", "c.pcap:1", "c.pcap:2"]);
    }
}
