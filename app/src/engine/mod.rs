//! The analysis engine: owns the inputs' bytes and their [`Analysis`], and answers the page's [`Request`]s with
//! windows sized for the screen. No Leptos and no DOM here: the same code runs in the browser's Web Worker, in the
//! page's thread (tests), and natively (`cargo test`). A panic in the worker would lose the analysis: no unwrap,
//! expect or panic outside tests.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod captures;
pub mod map;
pub mod sources;
pub mod trace;

use dnatlas_core::{analyze_with_progress, Analysis, Options, Source, Stage};
use rustc_hash::FxHashMap;

use crate::protocol::{InputId, InputSpec, Progress, Request, Response, SourceInfo, Summary};

/// Milliseconds from an arbitrary origin (`performance.now()` in the browser; `Instant` natively).
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
}

/// The inputs and the analysis of the last [`Request::Analyze`].
/// An input's lines as the analysis numbered them: its decoded copy (only when `text::normalise` made one), how
/// many leading bytes it drops otherwise (a byte order mark), and each line's start.
type LineStarts = (Option<Vec<u8>>, usize, Vec<usize>);

#[derive(Debug, Default)]
pub struct Session {
    bytes: FxHashMap<InputId, Vec<u8>>,
    specs: Vec<InputSpec>,
    analysis: Option<Analysis>,
    generation: u64,
    /// Byte offsets of each line's start, per input, made on the source viewer's first request.
    /// An input decoded by `text::normalise` is kept decoded here (else how many leading bytes it drops).
    line_starts: FxHashMap<InputId, LineStarts>,
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session that has analysed `inputs` (name and bytes, ids from 1, kinds detected): for tests and benchmarks.
    pub fn analysed<B: AsRef<[u8]>>(inputs: &[(&str, B)]) -> (Self, Summary) {
        let mut session = Self::new();
        let mut specs = Vec::with_capacity(inputs.len());
        for ((name, bytes), id) in inputs.iter().zip(1..) {
            session.put(id, bytes.as_ref().to_vec());
            specs.push(InputSpec {
                id,
                name: (*name).to_string(),
                kind: None,
                node: None,
            });
        }
        let summary = session.analyze(specs, &mut |_| {});
        (session, summary)
    }

    /// Stores (or replaces) an input's bytes; analysed at the next [`Request::Analyze`] that names it.
    pub fn put(&mut self, id: InputId, bytes: Vec<u8>) {
        self.line_starts.remove(&id);
        self.bytes.insert(id, bytes);
    }

    /// Drops an input's bytes.
    pub fn forget(&mut self, id: InputId) {
        self.line_starts.remove(&id);
        self.bytes.remove(&id);
    }

    /// The analysed inputs as the core takes them (an input whose bytes never arrived is empty).
    pub fn sources(&self) -> Vec<Source<'_>> {
        self.specs
            .iter()
            .map(|spec| Source {
                name: &spec.name,
                bytes: self.bytes.get(&spec.id).map_or(&[][..], Vec::as_slice),
                kind: spec.kind,
            })
            .collect()
    }

    /// The bytes of the input analysed under `name` and the offsets where its lines start.
    pub fn lines_of(&mut self, name: &str) -> Option<(&[u8], &[usize])> {
        let id = self.specs.iter().find(|s| s.name == name)?.id;
        let raw = self.bytes.get(&id)?;
        // The lines as the analysis numbered them: UTF-16 decoded, lone CRs as line breaks (a copy only then).
        let (copy, skip, starts) = self.line_starts.entry(id).or_insert_with(|| {
            let text = dnatlas_core::text::normalise(raw);
            let starts = std::iter::once(0)
                .chain(memchr_newlines(&text))
                .filter(|&start| start < text.len())
                .collect();
            match text {
                std::borrow::Cow::Owned(copy) => (Some(copy), 0, starts),
                // The same bytes, or all but a leading byte order mark.
                std::borrow::Cow::Borrowed(b) => (None, raw.len() - b.len(), starts),
            }
        });
        let bytes = match copy {
            Some(copy) => copy.as_slice(),
            None => raw.get(*skip..).unwrap_or_default(),
        };
        Some((bytes, starts.as_slice()))
    }

    /// The last analysis, if any.
    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref()
    }

    /// The inputs of the last analysis, as analysed (names made unique).
    pub fn specs(&self) -> &[InputSpec] {
        &self.specs
    }

    /// The bytes of the input analysed under `name`.
    pub fn bytes_of(&self, name: &str) -> Option<&[u8]> {
        let spec = self.specs.iter().find(|s| s.name == name)?;
        self.bytes.get(&spec.id).map(Vec::as_slice)
    }

    /// The node an analysed input belongs to: its assignment, or for an unassigned `iptables-save` dump its own name.
    pub fn node_of(&self, name: &str) -> Option<String> {
        let spec = self.specs.iter().find(|s| s.name == name)?;
        if let Some(node) = &spec.node {
            return Some(node.clone());
        }
        let report = self
            .analysis
            .as_ref()?
            .sources
            .iter()
            .find(|r| r.name == name)?;
        report.kind.is_node_rules().then(|| name.to_string())
    }

    /// Answers one request; `progress` hears about long work as it goes.
    pub fn handle(&mut self, request: Request, progress: &mut dyn FnMut(Progress)) -> Response {
        match request {
            Request::Analyze { inputs } => Response::Summary(self.analyze(inputs, progress)),
            Request::Map(q) => match &self.analysis {
                Some(_) => Response::Map(map::query(self, &q)),
                None => no_analysis(),
            },
            Request::Captures(q) => match &self.analysis {
                Some(_) => Response::Captures(captures::query(self, &q)),
                None => no_analysis(),
            },
            Request::Trace(q) => match &self.analysis {
                Some(_) => Response::Trace(Box::new(trace::query(self, &q))),
                None => no_analysis(),
            },
            Request::Lines(q) => match sources::lines(self, &q) {
                Some(lines) => Response::Lines(lines),
                None => Response::Error(format!("no input named {:?}", q.source)),
            },
            Request::Export(format) => match sources::export(self, format) {
                Some((file_name, mime, text)) => Response::Export {
                    file_name,
                    mime,
                    text,
                },
                None => no_analysis(),
            },
        }
    }

    /// Analyses `inputs` (their bytes put before) and returns the summary ([`Request::Analyze`]).
    pub fn analyze(
        &mut self,
        inputs: Vec<InputSpec>,
        progress: &mut dyn FnMut(Progress),
    ) -> Summary {
        let started = now_ms();
        self.generation += 1;
        self.specs = unique_names(inputs);
        let sources = self.sources();
        let analysis = analyze_with_progress(&sources, &Options::default(), &mut |stage| {
            progress(stage_progress(&stage))
        });
        self.analysis = Some(analysis);
        progress(Progress {
            stage: "summarising".into(),
            done: 1,
            total: 1,
        });
        self.summary(started)
    }

    fn summary(&self, started: f64) -> Summary {
        let (reports, findings) = match &self.analysis {
            Some(a) => (a.sources.as_slice(), a.findings.clone()),
            None => (&[][..], Vec::new()),
        };
        let sources = reports
            .iter()
            .zip(&self.specs)
            .map(|(report, spec)| SourceInfo {
                id: spec.id,
                node: self.node_of(&report.name),
                report: report.clone(),
            })
            .collect();
        Summary {
            generation: self.generation,
            sources,
            findings,
            nodes: map::nodes(self),
            clients: trace::clients(self),
            captures: captures::overview(self),
            elapsed_ms: now_ms() - started,
        }
    }
}

/// Offsets just past each `\n`.
fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

/// A core [`Stage`] as the page shows it: reading is measured in bytes of all the inputs, and the later stages
/// show a full bar with their name.
fn stage_progress(stage: &Stage<'_>) -> Progress {
    let (done, total) = match stage {
        Stage::Reading {
            bytes_done,
            bytes_total,
            ..
        } => (*bytes_done, *bytes_total),
        _ => (1, 1),
    };
    Progress {
        stage: stage.label(),
        done,
        total,
    }
}

fn no_analysis() -> Response {
    Response::Error("nothing analysed yet".into())
}

/// Makes the inputs' names unique: a second `nat.txt` becomes `nat.txt (2)`.
fn unique_names(mut inputs: Vec<InputSpec>) -> Vec<InputSpec> {
    let mut seen: Vec<String> = Vec::with_capacity(inputs.len());
    for spec in &mut inputs {
        let base = if spec.name.trim().is_empty() {
            format!("input {}", spec.id)
        } else {
            spec.name.clone()
        };
        let mut name = base.clone();
        let mut n = 2;
        while seen.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        seen.push(name.clone());
        spec.name = name;
    }
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: InputId, name: &str) -> InputSpec {
        InputSpec {
            id,
            name: name.into(),
            kind: None,
            node: None,
        }
    }

    #[test]
    fn analyses_the_example_and_names_its_node() {
        let mut s = Session::new();
        s.put(1, crate::EXAMPLE_DUMP.as_bytes().to_vec());
        s.put(
            2,
            b"nameserver 10.96.0.10\nsearch default.svc.cluster.local\n".to_vec(),
        );
        let Response::Summary(summary) = s.handle(
            Request::Analyze {
                inputs: vec![spec(1, "node-a.txt"), spec(2, "resolv.conf")],
            },
            &mut |_| {},
        ) else {
            panic!("not a summary")
        };
        assert_eq!(summary.generation, 1);
        assert_eq!(summary.sources.len(), 2);
        assert_eq!(summary.sources[0].node.as_deref(), Some("node-a.txt"));
        assert_eq!(summary.sources[1].node, None);
        assert_eq!(
            summary.sources[1].report.kind,
            dnatlas_core::Kind::ResolvConf
        );
    }

    #[test]
    fn the_example_case_feeds_every_view() {
        let mut s = Session::new();
        s.put(1, crate::EXAMPLE_DUMP.as_bytes().to_vec());
        let mut inputs = vec![spec(1, crate::EXAMPLE_NAME)];
        for (i, (name, text)) in crate::EXAMPLE_FILES.iter().enumerate() {
            let id = i as InputId + 2;
            s.put(id, text.as_bytes().to_vec());
            inputs.push(spec(id, name));
        }
        let Response::Summary(summary) = s.handle(Request::Analyze { inputs }, &mut |_| {}) else {
            panic!("not a summary")
        };
        let kinds: Vec<_> = summary
            .sources
            .iter()
            .map(|i| i.report.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            ["iptables-save", "kubectl", "resolv-conf", "tcpdump"]
        );
        let codes: Vec<_> = summary.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["dns-single-endpoint", "ndots-amplification"]);
        // The seed's tcpdump: nginx.default.svc.cluster.local. A and the CoreDNS pod's PTR upstream.
        assert_eq!(summary.captures.as_ref().map(|c| c.listed), Some(2));
    }

    #[test]
    fn progress_follows_the_bytes_read_then_the_stages() {
        let mut s = Session::new();
        let dump = crate::EXAMPLE_DUMP.as_bytes();
        let resolv = b"nameserver 10.96.0.10\n";
        s.put(1, dump.to_vec());
        s.put(2, resolv.to_vec());
        let mut seen = Vec::new();
        s.handle(
            Request::Analyze {
                inputs: vec![spec(1, "node-a.txt"), spec(2, "resolv.conf")],
            },
            &mut |p| seen.push((p.stage, p.done, p.total)),
        );
        let total = (dump.len() + resolv.len()) as u64;
        let stages: Vec<&str> = seen.iter().map(|(s, _, _)| s.as_str()).collect();
        assert_eq!(
            stages,
            [
                "reading node-a.txt",
                "reading resolv.conf",
                "read every input",
                "naming chains",
                "checking for findings",
                "building the cluster model",
                "summarising"
            ]
        );
        assert_eq!(seen[0].1, 0);
        assert_eq!(seen[1].1, dump.len() as u64);
        assert!(seen.iter().take(3).all(|(_, _, t)| *t == total));
        assert_eq!(seen[2].1, total);
    }

    #[test]
    fn duplicate_names_are_numbered() {
        let specs = unique_names(vec![spec(1, "a"), spec(2, "a"), spec(3, ""), spec(4, "a")]);
        let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "a (2)", "input 3", "a (3)"]);
    }
}
