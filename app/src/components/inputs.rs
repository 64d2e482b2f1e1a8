//! The inputs panel: the paste area, the file picker, and each input's detected kind, counts and diagnostics.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::state::{AppState, Input};

/// Paste area, file picker and the list of inputs.
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
                state
                    .files
                    .update(|files| files.push(Input { name, bytes }));
            });
        }
        // Let the same file be picked again after a change on disk.
        input.set_value("");
    };
    let sources = move || state.analysis.get().sources;
    view! {
        <aside class="inputs">
            <h2>"Inputs"</h2>
            <label class="field">
                <span>"Paste an iptables-save dump"</span>
                <textarea
                    data-testid="paste"
                    spellcheck="false"
                    placeholder="*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES …"
                    prop:value=move || state.pasted.get()
                    on:input=move |ev| {
                        state.paste_name.set("pasted".to_string());
                        state.pasted.set(event_target_value(&ev));
                    }
                ></textarea>
            </label>
            <label class="field">
                <span>"…or pick files"</span>
                <input type="file" multiple data-testid="file-input" on:change=on_files/>
            </label>
            <ul class="sources" data-testid="sources">
                {move || sources().into_iter().enumerate().map(|(index, s)| {
                    let c = s.counts;
                    let is_file = s.name != state.paste_name.get_untracked() || index > 0;
                    let name = s.name.clone();
                    let remove = move |_| {
                        let name = name.clone();
                        state.files.update(|files| {
                            if let Some(i) = files.iter().position(|f| f.name == name) {
                                files.remove(i);
                            }
                        });
                    };
                    view! {
                        <li class="source" data-testid="source" data-name=s.name.clone()>
                            <div class="source-head">
                                <span class="source-name">{s.name.clone()}</span>
                                <span class="kind" data-testid="source-kind">{s.kind.as_str()}</span>
                                {is_file.then(|| view! { <button class="remove" title="Remove this input" on:click=remove>"×"</button> })}
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
