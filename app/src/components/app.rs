//! The page: header, the inputs panel, the main views (map, trace, captures) and the findings with the source
//! viewer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::client;
use crate::components::captures::CapturesView;
use crate::components::findings::Findings;
use crate::components::inputs::InputsPanel;
use crate::components::map::NodeMap;
use crate::components::trace::TracePlayer;
use crate::components::viewer::SourceViewer;
use crate::protocol::{ExportFormat, Request, Response};
use crate::state::{AppState, Tab};

/// Asks the engine for an export and hands it to the browser as a download (a `blob:` URL: nothing leaves the page).
fn export(format: ExportFormat) {
    spawn_local(async move {
        if let Response::Export {
            file_name,
            mime,
            text,
        } = client::call(Request::Export(format), |_| {}).await
        {
            crate::files::download(&file_name, &mime, &text);
        }
    });
}

/// Page-wide keys (not while typing in a field): Alt+1/2/3 switch views, `/` focuses the current view's search,
/// `f` the first finding.
fn on_global_key(state: AppState, ev: &web_sys::KeyboardEvent) {
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing || ev.ctrl_key() || ev.meta_key() {
        return;
    }
    let focus = |selector: &str| {
        if let Some(el) = document()
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            ev.prevent_default();
            let _ = el.focus();
        }
    };
    match (ev.alt_key(), ev.key().as_str()) {
        (true, "1") => state.tab.set(Tab::Map),
        (true, "2") => state.tab.set(Tab::Trace),
        (true, "3") => state.tab.set(Tab::Captures),
        (false, "/") => focus("main [data-shortcut=\"search\"]"),
        (false, "f") => focus("[data-finding-index]"),
        _ => {}
    }
}

/// `message` as a sentence: a capital first letter and a full stop.
fn sentence(message: &str) -> String {
    let mut out = dnatlas_core::text::capitalize(message.trim());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The root component: provides [`AppState`] and lays out the page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    crate::persist::start(state);
    crate::owned::on_window("keydown", move |ev: &web_sys::KeyboardEvent| {
        on_global_key(state, ev)
    });
    // The engine's failures, said where every view can see them (a restart answers only the requests then waiting).
    let failure = RwSignal::new(None::<String>);
    crate::client::on_failure(move |message| failure.set(Some(message)));
    let nodes = move || {
        state
            .summary
            .get()
            .map(|s| s.nodes.clone())
            .unwrap_or_default()
    };
    let tab_button = move |tab: Tab, label: &'static str, testid: &'static str| {
        view! {
            <button role="tab" data-testid=testid
                aria-selected=move || (state.tab.get() == tab).to_string()
                class:active=move || state.tab.get() == tab
                on:click=move |_| state.tab.set(tab)>{label}</button>
        }
    };
    view! {
        <header class="top">
            <h1>"dnatlas"</h1>
            <p class="tagline">"Kubernetes Service routing and cluster DNS from the files a node gives you, rebuilt in your browser. Nothing leaves this page."</p>
            <button data-testid="load-example" on:click=move |_| state.load_example()>"Load example"</button>
            <button data-testid="export-markdown" title="Findings with their evidence lines, as Markdown for a ticket"
                on:click=move |_| export(ExportFormat::Markdown)>"Export report"</button>
            <button data-testid="export-json" title="The whole analysis, dnatlas.analysis/1"
                on:click=move |_| export(ExportFormat::Json)>"Export JSON"</button>
            <crate::components::progress::ProgressBar/><crate::components::theme::ThemeToggle/>
        </header>
        {move || failure.get().map(|message| view! {
            <div class="engine-failure" role="alert" data-testid="engine-failure">
                <span>{sentence(&message)}</span>
                <button data-testid="engine-failure-dismiss" on:click=move |_| failure.set(None)>"Dismiss"</button>
            </div>
        })}
        <div class="layout">
            <InputsPanel/>
            <main class="maps" data-testid="maps">
                <nav class="tabs" role="tablist">
                    {tab_button(Tab::Map, "Map", "tab-map")}
                    {tab_button(Tab::Trace, "Trace", "tab-trace")}
                    {tab_button(Tab::Captures, "Captures", "tab-captures")}
                </nav>
                {move || match state.tab.get() {
                    Tab::Map => {
                        let nodes = nodes();
                        if nodes.is_empty() {
                            view! { <p class="empty" data-testid="no-graph">"Paste an iptables-save dump or pick a file to see its Service graph."</p> }.into_any()
                        } else {
                            nodes.into_iter().map(|node| view! { <NodeMap node/> }).collect_view().into_any()
                        }
                    }
                    Tab::Trace => view! { <TracePlayer/> }.into_any(),
                    Tab::Captures => view! { <CapturesView/> }.into_any(),
                }}
            </main>
            <aside class="side">
                <Findings/>
                <SourceViewer/>
            </aside>
        </div>
    }
}
