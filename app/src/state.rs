//! The page's state: the inputs the user gave (names, kinds, nodes; the bytes live in the engine), the summary of
//! their analysis, and what is selected. Components read and change it through the [`AppState`] in context.

use std::sync::Arc;

use dnatlas_core::{Evidence, Kind};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::client;
use crate::protocol::{InputId, InputSpec, Progress, Request, Response, Summary};

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
        client::put(id, text.as_bytes().to_vec());
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

    /// Adds a file's bytes; returns its id.
    pub fn add_file(&self, name: String, bytes: Vec<u8>) -> InputId {
        let id = self.take_id();
        let size = bytes.len();
        client::put(id, bytes);
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

    /// Replaces a paste area's text.
    pub fn set_text(&self, id: InputId, text: String) {
        client::put(id, text.as_bytes().to_vec());
        self.edit(id, |e| {
            e.size = text.len();
            e.text = Some(text);
        });
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
        client::forget(id);
        self.inputs.update(|inputs| inputs.retain(|e| e.id != id));
        self.reanalyze();
    }

    /// Replaces every input with the built-in example.
    pub fn load_example(&self) {
        for e in self.inputs.get_untracked() {
            client::forget(e.id);
        }
        self.inputs.set(Vec::new());
        self.add_paste(crate::EXAMPLE_NAME, crate::EXAMPLE_DUMP.to_string());
        for (name, text) in crate::EXAMPLE_FILES {
            self.add_file(name.to_string(), text.as_bytes().to_vec());
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

    /// Analyses the current inputs; the summary replaces the old one when it arrives.
    pub fn reanalyze(&self) {
        let inputs: Vec<InputSpec> = self
            .inputs
            .get_untracked()
            .iter()
            .map(InputEntry::spec)
            .collect();
        let state = *self;
        spawn_local(async move {
            let response = client::call(Request::Analyze { inputs }, move |p| {
                state.progress.set(Some(p))
            })
            .await;
            state.progress.set(None);
            if let Response::Summary(summary) = response {
                let stale = state
                    .summary
                    .get_untracked()
                    .is_some_and(|old| old.generation > summary.generation);
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
