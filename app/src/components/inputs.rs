//! The inputs panel: paste areas, the file picker, and each input's detected kind, counts and diagnostics.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::state::AppState;

/// Paste areas, file picker and the list of inputs.
#[component]
pub fn InputsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_files = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        for file in files {
            spawn_local(async move {
                let name = file.name();
                let bytes = match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
                    // An unreadable file still shows up, as an empty input with the analysis's diagnostic.
                    Err(_) => Vec::new(),
                };
                state.add_file(name, bytes);
            });
        }
        // Let the same file be picked again after a change on disk.
        input.set_value("");
    };
    let pastes = move || {
        state
            .inputs
            .get()
            .into_iter()
            .filter(|e| e.text.is_some())
            .collect::<Vec<_>>()
    };
    let sources = move || {
        state
            .summary
            .get()
            .map(|s| s.sources.clone())
            .unwrap_or_default()
    };
    view! {
        <aside class="inputs">
            <h2>"Inputs"</h2>
            {move || {
                let list = pastes();
                if list.is_empty() {
                    return view! {
                        <label class="field">
                            <span>"Paste an iptables-save dump"</span>
                            <textarea data-testid="paste" spellcheck="false"
                                placeholder="*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES …"
                                on:change=move |ev| { state.add_paste("pasted", event_target_value(&ev)); }
                            ></textarea>
                        </label>
                    }.into_any();
                }
                list.into_iter().map(|e| {
                    let id = e.id;
                    view! {
                        <label class="field">
                            <span>"Paste an iptables-save dump"</span>
                            <textarea data-testid="paste" spellcheck="false"
                                prop:value=e.text.clone().unwrap_or_default()
                                on:input=move |ev| {
                                    state.rename(id, "pasted".to_string());
                                    state.set_text(id, event_target_value(&ev));
                                }
                            ></textarea>
                        </label>
                    }
                }).collect_view().into_any()
            }}
            <label class="field">
                <span>"…or pick files"</span>
                <input type="file" multiple data-testid="file-input" on:change=on_files/>
            </label>
            <ul class="sources" data-testid="sources">
                {move || sources().into_iter().map(|info| {
                    let s = info.report;
                    let c = s.counts;
                    let id = info.id;
                    view! {
                        <li class="source" data-testid="source" data-name=s.name.clone()>
                            <div class="source-head">
                                <span class="source-name">{s.name.clone()}</span>
                                <span class="kind" data-testid="source-kind">{s.kind.as_str()}</span>
                                <button class="remove" title="Remove this input" on:click=move |_| state.remove(id)>"×"</button>
                            </div>
                            <div class="counts" data-testid="source-counts">
                                {format!("{} bytes · {} lines · {} chains · {} rules · {} service ports · {} endpoints", s.bytes, c.lines, c.chains, c.rules, c.services, c.endpoints)}
                                {s.generated_by.clone().map(|g| format!(" · {g}"))}
                            </div>
                            <ul class="diagnostics">
                                {s.diagnostics.into_iter().map(|d| {
                                    let severity = format!("{:?}", d.severity).to_lowercase();
                                    view! {
                                        <li class=format!("diagnostic {severity}") data-testid="diagnostic">
                                            <span class="where">{format!("{}:{}", d.line, d.column)}</span>
                                            " "<span class="code">{format!("{severity}[{}]", d.code)}</span>
                                            " "<span class="message">{d.message}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </aside>
    }
}
