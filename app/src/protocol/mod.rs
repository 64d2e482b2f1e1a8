//! The messages between the page and the analysis engine: every type that crosses, and the envelope they cross in.
//!
//! The engine ([`crate::engine::Session`]) owns the inputs' bytes and the [`dnatlas_core::Analysis`]; the page
//! never holds either. It sends a [`Request`] and gets back a [`Response`] sized for what is on screen (a window of
//! map rows, of transactions, of source lines), so a 10,000-Service dump or a 100,000-transaction capture never
//! crosses to the page whole. Each view's questions and answers are in its own module ([`map`], [`captures`],
//! [`trace`], [`lines`]); the page's components import these and nothing of the engine.
//!
//! In the browser the engine runs in a Web Worker, and every message between the two is one [`ToEngine`] or
//! [`FromEngine`] envelope as JSON text, in a plain object `{json}`; an input's bytes travel beside it
//! (`{json, bytes}`, for [`ToEngine::Put`]) as a transferred `Uint8Array`, never through JSON ([`wire`]).

pub mod captures;
pub mod lines;
pub mod map;
pub mod trace;
#[cfg(target_arch = "wasm32")]
pub mod wire;

use dnatlas_core::{Finding, Kind, SourceReport};
use serde::{Deserialize, Serialize};

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
    Lines(lines::LinesQuery),
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
    Lines(lines::Lines),
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

/// A message from the page to the engine's worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToEngine {
    /// The first message, read by `worker.js` before the engine runs: where to load it from (the page's glue
    /// JavaScript and wasm, as absolute URLs).
    Init {
        /// The glue JavaScript.
        js: String,
        /// The wasm.
        wasm: String,
    },
    /// Stores (or replaces) an input's bytes, which travel beside the envelope.
    Put {
        /// The input.
        id: InputId,
    },
    /// Drops an input's bytes.
    Forget {
        /// The input.
        id: InputId,
    },
    /// Answers a request.
    Call {
        /// The request's number, repeated in its progress and its reply.
        id: u32,
        /// The request.
        request: Request,
    },
}

/// A message from the engine's worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FromEngine {
    /// Where a request's long work has got to (sent from inside the analysis, so the page hears it while the
    /// worker works).
    Progress {
        /// The request's number.
        id: u32,
        /// How far.
        progress: Progress,
    },
    /// The answer to a request.
    Reply {
        /// The request's number.
        id: u32,
        /// The answer.
        response: Response,
    },
    /// The engine could not start (sent by `worker.js`); it answers nothing more.
    Fatal {
        /// Why.
        message: String,
    },
}

/// The request number an envelope's JSON text carries, read from its start (so even a text too large to read whole
/// can be answered): `{"reply":{"id":12,…` → 12. `None` for an envelope without one (`init`, `put`,
/// `forget`, `fatal`).
pub fn request_id(json: &str) -> Option<u32> {
    let rest = ["call", "progress", "reply"]
        .iter()
        .find_map(|t| json.strip_prefix(&format!(r#"{{"{t}":{{"id":"#)))?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest.get(..digits)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_tagged_and_carries_its_payload() {
        let put = ToEngine::Put { id: 7 };
        let json = serde_json::to_string(&put).unwrap();
        assert_eq!(json, r#"{"put":{"id":7}}"#);
        let call = ToEngine::Call {
            id: 3,
            request: Request::Export(ExportFormat::Json),
        };
        let json = serde_json::to_string(&call).unwrap();
        assert_eq!(json, r#"{"call":{"id":3,"request":{"Export":"Json"}}}"#);
        assert_eq!(serde_json::from_str::<ToEngine>(&json).unwrap(), call);
        let reply = FromEngine::Reply {
            id: 3,
            response: Response::Error("nothing analysed yet".into()),
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<FromEngine>(&json).unwrap(), reply);
    }

    #[test]
    fn a_request_number_is_read_from_the_start_of_its_envelope() {
        let reply = FromEngine::Reply {
            id: 4_000_000_000,
            response: Response::Error("x".repeat(1000)),
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(request_id(&json), Some(4_000_000_000));
        assert_eq!(request_id(json.get(..40).unwrap()), Some(4_000_000_000));
        let progress = FromEngine::Progress {
            id: 12,
            progress: Progress {
                stage: "reading".into(),
                done: 1,
                total: 2,
            },
        };
        assert_eq!(
            request_id(&serde_json::to_string(&progress).unwrap()),
            Some(12)
        );
        let call = ToEngine::Call {
            id: 7,
            request: Request::Export(ExportFormat::Markdown),
        };
        assert_eq!(request_id(&serde_json::to_string(&call).unwrap()), Some(7));
        let put = serde_json::to_string(&ToEngine::Put { id: 3 }).unwrap();
        assert_eq!(request_id(&put), None);
        assert_eq!(request_id(r#"{"reply":{"id":"#), None);
    }

    /// `worker.js` reads the `init` envelope and writes the `fatal` one itself: its spelling must be the envelope's.
    #[test]
    fn worker_js_speaks_the_envelope() {
        let script = include_str!("../../../worker.js");
        let init = serde_json::to_value(ToEngine::Init {
            js: String::new(),
            wasm: String::new(),
        })
        .unwrap();
        assert!(init["init"]["js"].is_string() && init["init"]["wasm"].is_string());
        assert!(script.contains("?.init;"), "{script}");
        assert!(script.contains("import(init.js)") && script.contains("module_or_path: init.wasm"));
        let fatal = FromEngine::Fatal {
            message: "boom".into(),
        };
        assert_eq!(
            serde_json::to_string(&fatal).unwrap(),
            r#"{"fatal":{"message":"boom"}}"#
        );
        assert!(script.contains("{ fatal: { message: "), "{script}");
    }
}
