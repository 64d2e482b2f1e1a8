//! Keeping the inputs and the UI preferences across reloads, in the browser only.
//!
//! Inputs (name, kind override, node, order, and a paste's text or a file's bytes) live in IndexedDB through the
//! small module `persist.js`: IndexedDB's request/event API is much shorter to drive from JavaScript with promises
//! than through `web-sys` closures, and a file is stored as the `File` (a Blob) the browser gave us, so its bytes are
//! never copied into the app's memory to be saved. The list is rewritten whenever `AppState::inputs` changes; a
//! content is written when an input is added or a paste's text settles. The theme and the tab are small strings in
//! `localStorage`. Natively (tests) nothing is stored and the example is shown.

use dnatlas_core::Kind;
use serde::{Deserialize, Serialize};

use crate::protocol::InputId;
use crate::state::{AppState, InputEntry, Tab};

/// What is stored of an input besides its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInput {
    /// Its identity (also the content's key).
    pub id: InputId,
    /// Its name.
    pub name: String,
    /// The kind the user chose.
    pub kind: Option<Kind>,
    /// The node the user assigned it to.
    pub node: Option<String>,
    /// A paste area (its content is text), not a file.
    pub paste: bool,
}

impl StoredInput {
    /// The stored description of `entry`.
    pub fn of(entry: &InputEntry) -> Self {
        Self {
            id: entry.id,
            name: entry.name.clone(),
            kind: entry.kind,
            node: entry.node.clone(),
            paste: entry.text.is_some(),
        }
    }
}

/// The `localStorage` key of the theme (`"dark"` or `"light"`; absent: the system's).
pub const THEME_KEY: &str = "dnatlas.theme";
/// The `localStorage` key of the tab shown.
pub const TAB_KEY: &str = "dnatlas.tab";

/// A tab's stored name.
pub fn tab_name(tab: Tab) -> &'static str {
    match tab {
        Tab::Map => "map",
        Tab::Trace => "trace",
        Tab::Captures => "captures",
    }
}

/// The tab a stored name means.
pub fn parse_tab(name: &str) -> Option<Tab> {
    [Tab::Map, Tab::Trace, Tab::Captures]
        .into_iter()
        .find(|t| tab_name(*t) == name)
}

/// The id after the largest stored one.
pub fn next_id(stored: &[StoredInput]) -> InputId {
    stored
        .iter()
        .map(|s| s.id)
        .max()
        .map_or(1, |m| m.saturating_add(1))
}

/// Starts the page's inputs: the saved ones, or the example on a first visit; then saves every change.
pub fn start(state: AppState) {
    #[cfg(target_arch = "wasm32")]
    web::start(state);
    #[cfg(not(target_arch = "wasm32"))]
    state.load_example();
}

/// Stores a paste's text (browser only).
pub fn save_text(id: InputId, text: &str) {
    #[cfg(target_arch = "wasm32")]
    web::js::save_content(id, &wasm_bindgen::JsValue::from_str(text));
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (id, text);
}

/// Stores a file's bytes as the Blob the browser holds (browser only).
pub fn save_blob(id: InputId, blob: &web_sys::Blob) {
    #[cfg(target_arch = "wasm32")]
    web::js::save_content(id, blob);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (id, blob);
}

/// A preference from `localStorage`.
pub fn load_pref(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return web::storage()?.get_item(key).ok()?;
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = key;
        None
    }
}

/// Saves a preference in `localStorage` (`None` removes it).
pub fn save_pref(key: &str, value: Option<&str>) {
    #[cfg(target_arch = "wasm32")]
    if let Some(storage) = web::storage() {
        let _ = match value {
            Some(v) => storage.set_item(key, v),
            None => storage.remove_item(key),
        };
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (key, value);
}

/// Forgets every stored input, so the next start is a first visit (used by the in-browser tests).
#[cfg(target_arch = "wasm32")]
pub async fn clear() {
    web::js::clear_all().await;
}

#[cfg(target_arch = "wasm32")]
mod web {
    use js_sys::Reflect;
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{next_id, parse_tab, tab_name, StoredInput, TAB_KEY};
    use crate::client;
    use crate::state::{AppState, InputEntry};

    pub(super) mod js {
        use wasm_bindgen::prelude::*;

        #[wasm_bindgen(module = "/src/persist.js")]
        extern "C" {
            #[wasm_bindgen(js_name = loadInputs)]
            pub async fn load_inputs() -> JsValue;
            #[wasm_bindgen(js_name = saveInputs)]
            pub fn save_inputs(json: &str);
            #[wasm_bindgen(js_name = saveContent)]
            pub fn save_content(id: u32, content: &JsValue);
            #[wasm_bindgen(js_name = clearAll)]
            pub async fn clear_all();
        }
    }

    pub(super) fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    pub(super) fn start(state: AppState) {
        if let Some(tab) = super::load_pref(TAB_KEY).as_deref().and_then(parse_tab) {
            state.tab.set(tab);
        }
        Effect::new(move |_| super::save_pref(TAB_KEY, Some(tab_name(state.tab.get()))));
        let restored = RwSignal::new(false);
        spawn_local(async move {
            if !restore(state).await {
                state.load_example();
            }
            restored.set(true);
        });
        // Saves the list after every change, once what was stored has been read back (never over it before).
        Effect::new(move |_| {
            let list: Vec<StoredInput> = state
                .inputs
                .with(|inputs| inputs.iter().map(StoredInput::of).collect());
            if restored.get() {
                if let Ok(json) = serde_json::to_string(&list) {
                    js::save_inputs(&json);
                }
            }
        });
    }

    /// Puts the stored inputs back (and their bytes into the engine); false when nothing was ever stored.
    async fn restore(state: AppState) -> bool {
        let value = js::load_inputs().await;
        let Some(list) = value.dyn_ref::<js_sys::Array>() else {
            return false;
        };
        let mut stored = Vec::new();
        let mut entries = Vec::new();
        for item in list.iter() {
            let meta = Reflect::get(&item, &"meta".into())
                .ok()
                .and_then(|m| m.as_string())
                .and_then(|m| serde_json::from_str::<StoredInput>(&m).ok());
            let Some(meta) = meta else { continue };
            let content = Reflect::get(&item, &"content".into()).unwrap_or(JsValue::UNDEFINED);
            let (size, text) = if let Some(blob) = content.dyn_ref::<web_sys::Blob>() {
                let bytes = crate::files::read_capped(blob).await;
                client::put(meta.id, bytes, blob);
                (blob.size() as usize, None)
            } else {
                let text = content.as_string().unwrap_or_default();
                client::put_text(meta.id, &text);
                (text.len(), meta.paste.then_some(text))
            };
            entries.push(InputEntry {
                id: meta.id,
                name: meta.name.clone(),
                kind: meta.kind,
                node: meta.node.clone(),
                size,
                text,
            });
            stored.push(meta);
        }
        state.next_id.set(next_id(&stored));
        state.inputs.set(entries);
        state.reanalyze();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_round_trip_through_their_names() {
        for tab in [Tab::Map, Tab::Trace, Tab::Captures] {
            assert_eq!(parse_tab(tab_name(tab)), Some(tab));
        }
        assert_eq!(parse_tab("graph"), None);
    }

    #[test]
    fn the_next_id_follows_the_largest_stored() {
        let input = |id| StoredInput {
            id,
            name: "a".into(),
            kind: None,
            node: None,
            paste: true,
        };
        assert_eq!(next_id(&[]), 1);
        assert_eq!(next_id(&[input(7), input(3)]), 8);
    }

    #[test]
    fn a_stored_input_keeps_what_the_user_set() {
        let entry = InputEntry {
            id: 4,
            name: "node-a.txt".into(),
            kind: Some(Kind::IptablesSave),
            node: Some("node-a".into()),
            size: 10,
            text: None,
        };
        let stored = StoredInput::of(&entry);
        let json = serde_json::to_string(&stored).unwrap();
        assert_eq!(serde_json::from_str::<StoredInput>(&json).unwrap(), stored);
        assert!(!stored.paste);
        assert_eq!(stored.kind, Some(Kind::IptablesSave));
    }
}
