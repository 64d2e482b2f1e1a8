//! The page's state: the inputs the user gave (names, kinds, nodes; the bytes live in the engine), the summary of
//! their analysis, and what is selected. Components read and change it through the [`AppState`] in context.

use std::cell::Cell;
use std::sync::Arc;

use dnatlas_core::{Evidence, Kind};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::persist;
use crate::protocol::{InputId, InputSpec, Progress, Request, Response, Summary};

/// How long a paste area's text must stay unchanged before it is analysed again, in milliseconds.
pub const TYPING_PAUSE_MS: u32 = 250;

thread_local! {
    /// Each paste area's pending re-analysis: an edit replaces (and so cancels) the one before it.
    #[cfg(target_arch = "wasm32")]
    static SETTLING: std::cell::RefCell<rustc_hash::FxHashMap<InputId, gloo_timers::callback::Timeout>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
    /// Analyses sent and not yet answered: the progress bar hides when none is left.
    static RUNNING: Cell<u32> = const { Cell::new(0) };
    /// The number of the last analysis asked for, and of the last one shown: an answer older than the one shown is
    /// dropped. The page numbers them, not the engine, whose count starts again when a failed worker is replaced.
    static ASKED: Cell<u64> = const { Cell::new(0) };
    static SHOWN: Cell<u64> = const { Cell::new(0) };
}

/// One input as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEntry {
    /// Stable identity (the engine's key for the bytes).
    pub id: InputId,
    /// Its name: a file's name, or a paste area's label.
    pub name: String,
    /// The kind the user chose; `None` detects it.
    pub kind: Option<Kind>,
    /// The node the user assigned it to.
    pub node: Option<String>,
    /// Its size in bytes.
    pub size: usize,
    /// A paste area's text; `None` for a file.
    pub text: Option<String>,
}

impl InputEntry {
    /// The engine's description of it.
    pub fn spec(&self) -> InputSpec {
        InputSpec {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            node: self.node.clone(),
        }
    }
}

/// The main views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Each node's Service map.
    Map,
    /// The trace player.
    Trace,
    /// The captures' timeline.
    Captures,
}

/// What the source viewer shows: an input, scrolled to and highlighting some lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerTarget {
    /// The input's name.
    pub source: String,
    /// The lines to highlight (1-based); the first is scrolled to.
    pub lines: Vec<u32>,
}

/// Everything the page knows; cheap to copy (signals only).
#[derive(Debug, Clone, Copy)]
pub struct AppState {
    /// The inputs, in the order shown.
    pub inputs: RwSignal<Vec<InputEntry>>,
    /// The next input's id.
    pub next_id: RwSignal<InputId>,
    /// The latest analysis' overview.
    pub summary: RwSignal<Option<Arc<Summary>>>,
    /// Progress of the analysis under way (`None` when idle).
    pub progress: RwSignal<Option<Progress>>,
    /// The selected finding (index into the summary's findings).
    pub selected_finding: RwSignal<Option<usize>>,
    /// The evidence the map highlights (a finding's, or a trace step's).
    pub highlight: RwSignal<Vec<Evidence>>,
    /// What the source viewer shows.
    pub viewer: RwSignal<Option<ViewerTarget>>,
    /// The main view shown.
    pub tab: RwSignal<Tab>,
}

impl AppState {
    /// An empty state; call [`AppState::load_example`] or add inputs.
    pub fn new() -> Self {
        Self {
            inputs: RwSignal::new(Vec::new()),
            next_id: RwSignal::new(1),
            summary: RwSignal::new(None),
            progress: RwSignal::new(None),
            selected_finding: RwSignal::new(None),
            highlight: RwSignal::new(Vec::new()),
            viewer: RwSignal::new(None),
            tab: RwSignal::new(Tab::Map),
        }
    }

    fn take_id(&self) -> InputId {
        let id = self.next_id.get_untracked();
        self.next_id.set(id + 1);
        id
    }

    /// Adds a paste area holding `text`; returns its id.
    pub fn add_paste(&self, name: &str, text: String) -> InputId {
        let id = self.take_id();
        client::put_text(id, &text);
        persist::save_text(id, &text);
        self.inputs.update(|inputs| {
            inputs.push(InputEntry {
                id,
                name: name.to_string(),
                kind: None,
                node: None,
                size: text.len(),
                text: Some(text),
            })
        });
        self.reanalyze();
        id
    }

    /// Adds a file: its bytes go to the engine (transferred, not copied into this page's memory) and the browser's
    /// `blob` of it is what is saved for the next visit. Returns its id.
    #[cfg(target_arch = "wasm32")]
    pub fn add_file(
        &self,
        name: String,
        bytes: js_sys::Uint8Array,
        blob: &web_sys::Blob,
    ) -> InputId {
        let id = self.take_id();
        // The file's size, not what was read of it (at most the engine's cap and a byte).
        let size = blob.size() as usize;
        persist::save_blob(id, blob);
        client::put(id, bytes, blob);
        self.inputs.update(|inputs| {
            inputs.push(InputEntry {
                id,
                name,
                kind: None,
                node: None,
                size,
                text: None,
            })
        });
        self.reanalyze();
        id
    }

    /// Adds a text as a file (no paste area): the example's kubectl output, resolv.conf and capture.
    pub fn add_text_file(&self, name: &str, text: &str) -> InputId {
        #[cfg(target_arch = "wasm32")]
        {
            let bytes = js_sys::Uint8Array::from(text.as_bytes());
            self.add_file(name.to_string(), bytes, &crate::files::text_blob(text))
        }
        #[cfg(not(target_arch = "wasm32"))]
        self.add_paste(name, text.to_string())
    }

    /// Replaces a paste area's text. The page shows it at once; the engine gets it, and it is analysed and saved,
    /// once typing pauses for [`TYPING_PAUSE_MS`]. Editing the example's text makes it the user's own paste, named
    /// "pasted".
    pub fn set_text(&self, id: InputId, text: String) {
        self.inputs.update(|inputs| {
            if let Some(e) = inputs.iter_mut().find(|e| e.id == id) {
                e.size = text.len();
                e.text = Some(text);
                if e.name == crate::EXAMPLE_NAME {
                    e.name = "pasted".to_string();
                }
            }
        });
        let state = *self;
        #[cfg(target_arch = "wasm32")]
        {
            let settle = gloo_timers::callback::Timeout::new(TYPING_PAUSE_MS, move || {
                let done = SETTLING.with(|s| s.borrow_mut().remove(&id));
                state.commit_text(id);
                drop(done);
            });
            let before = SETTLING.with(|s| s.borrow_mut().insert(id, settle));
            drop(before);
        }
        #[cfg(not(target_arch = "wasm32"))]
        state.commit_text(id);
    }

    /// Cancels a paste area's pending re-analysis.
    fn stop_settling(id: InputId) {
        #[cfg(target_arch = "wasm32")]
        {
            let pending = SETTLING.with(|s| s.borrow_mut().remove(&id));
            drop(pending);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = id;
    }

    /// Sends a paste area's text to the engine, saves it, and analyses again.
    fn commit_text(&self, id: InputId) {
        let text = self.inputs.with_untracked(|inputs| {
            inputs
                .iter()
                .find(|e| e.id == id)
                .and_then(|e| e.text.clone())
        });
        if let Some(text) = text {
            client::put_text(id, &text);
            persist::save_text(id, &text);
            self.reanalyze();
        }
    }

    /// Renames an input.
    pub fn rename(&self, id: InputId, name: String) {
        self.edit(id, |e| e.name = name);
    }

    /// Overrides (or, with `None`, detects again) an input's kind.
    pub fn set_kind(&self, id: InputId, kind: Option<Kind>) {
        self.edit(id, |e| e.kind = kind);
    }

    /// Assigns an input to a node (`None`: unassigned).
    pub fn set_node(&self, id: InputId, node: Option<String>) {
        self.edit(id, |e| e.node = node);
    }

    /// Removes an input.
    pub fn remove(&self, id: InputId) {
        Self::stop_settling(id);
        client::forget(id);
        self.inputs.update(|inputs| inputs.retain(|e| e.id != id));
        self.reanalyze();
    }

    /// Replaces every input with the built-in example.
    pub fn load_example(&self) {
        for e in self.inputs.get_untracked() {
            Self::stop_settling(e.id);
            client::forget(e.id);
        }
        self.inputs.set(Vec::new());
        self.add_paste(crate::EXAMPLE_NAME, crate::EXAMPLE_DUMP.to_string());
        for (name, text) in crate::EXAMPLE_FILES {
            self.add_text_file(name, text);
        }
    }

    fn edit(&self, id: InputId, f: impl FnOnce(&mut InputEntry)) {
        self.inputs.update(|inputs| {
            if let Some(e) = inputs.iter_mut().find(|e| e.id == id) {
                f(e);
            }
        });
        self.reanalyze();
    }

    /// Analyses the current inputs (empty paste areas left out); the summary replaces the old one when it arrives.
    pub fn reanalyze(&self) {
        let inputs: Vec<InputSpec> = self
            .inputs
            .get_untracked()
            .iter()
            .filter(|e| e.text.as_ref().is_none_or(|t| !t.is_empty()))
            .map(InputEntry::spec)
            .collect();
        let state = *self;
        RUNNING.with(|r| r.set(r.get() + 1));
        let asked = ASKED.with(|a| {
            a.set(a.get() + 1);
            a.get()
        });
        state.progress.set(Some(Progress {
            stage: "starting the analysis".into(),
            done: 0,
            total: 0,
        }));
        spawn_local(async move {
            let response = client::call(Request::Analyze { inputs }, move |p| {
                state.progress.set(Some(p))
            })
            .await;
            let running = RUNNING.with(|r| {
                r.set(r.get().saturating_sub(1));
                r.get()
            });
            if running == 0 {
                state.progress.set(None);
            }
            if let Response::Summary(summary) = response {
                let stale = SHOWN.with(|shown| {
                    let stale = shown.get() > asked;
                    if !stale {
                        shown.set(asked);
                    }
                    stale
                });
                if !stale {
                    state.selected_finding.set(None);
                    state.highlight.set(Vec::new());
                    state.summary.set(Some(Arc::new(summary)));
                }
            }
        });
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
