//! The messages between the page and the analysis engine.
//!
//! The engine ([`crate::engine::Session`]) owns the inputs' bytes and the [`dnatlas_core::Analysis`]; the page
//! never holds either. It sends a [`Request`] and gets back a [`Response`] sized for what is on screen (a window of
//! map rows, of transactions, of source lines), so a 10,000-Service dump or a 100,000-transaction capture never
//! crosses to the page whole. In the browser the engine runs in a Web Worker and both travel as JSON text.

use dnatlas_core::{Finding, Kind, SourceReport};
use serde::{Deserialize, Serialize};

use crate::engine::{captures, map, sources, trace};

/// An input's identity: stable across renames, kind changes and reloads.
pub type InputId = u32;

/// One input as the page describes it; its bytes travel separately (`client::put`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Stable identity.
    pub id: InputId,
    /// Shown in evidence and diagnostics; unique among the inputs.
    pub name: String,
    /// The kind the user chose; `None` detects it.
    pub kind: Option<Kind>,
    /// The node the user assigned it to; `None` leaves it unassigned (a dump is then its own node).
    pub node: Option<String>,
}

/// What the page asks of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Analyse these inputs (their bytes put before), in this order; answers [`Response::Summary`].
    Analyze {
        /// The inputs, in the order shown.
        inputs: Vec<InputSpec>,
    },
    /// A window of a node's Service map.
    Map(map::Query),
    /// The captures view: timeline, histogram, a window of transactions, one transaction's detail.
    Captures(captures::Query),
    /// Trace one name from one pod.
    Trace(trace::Query),
    /// A window of an input's lines, for the source viewer.
    Lines(sources::LinesQuery),
    /// The analysis as a Markdown report or as `dnatlas.analysis/1` JSON.
    Export(ExportFormat),
}

/// The engine's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The overview of a finished analysis.
    Summary(Summary),
    /// See [`Request::Map`].
    Map(map::View),
    /// See [`Request::Captures`].
    Captures(captures::View),
    /// See [`Request::Trace`].
    Trace(Box<trace::View>),
    /// See [`Request::Lines`].
    Lines(sources::Lines),
    /// See [`Request::Export`]: the file's name and text.
    Export {
        /// Suggested file name.
        file_name: String,
        /// MIME type.
        mime: String,
        /// The text.
        text: String,
    },
    /// The request could not be answered (no analysis yet, an unknown source, …).
    Error(String),
}

/// The two export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// Findings worst first, each with its evidence lines quoted.
    Markdown,
    /// The whole analysis, `dnatlas.analysis/1`.
    Json,
}

/// Where a long analysis has got to (sent while it runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// What is being done, e.g. "reading node-a.txt".
    pub stage: String,
    /// Units done…
    pub done: u64,
    /// …of this many (0 when unknown).
    pub total: u64,
}

/// The overview of an analysis: small enough to send whole, whatever the inputs' size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Counts up with each analysis; answers to older requests are dropped.
    pub generation: u64,
    /// Each input's report, in the order given.
    pub sources: Vec<SourceInfo>,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
    /// The nodes whose rules were read, each with its map's overview.
    pub nodes: Vec<map::NodeInfo>,
    /// Pods a trace can start from (kubectl pods, capture clients, resolv.conf owners).
    pub clients: Vec<trace::Client>,
    /// The captures' overview, when any input is a capture.
    pub captures: Option<captures::Overview>,
    /// How long the analysis took in the engine, in milliseconds.
    pub elapsed_ms: f64,
}

/// One input's report with the page's identity for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The input's identity.
    pub id: InputId,
    /// The node it is assigned to (or its own name, for an unassigned dump).
    pub node: Option<String>,
    /// What the analysis read from it.
    pub report: SourceReport,
}
