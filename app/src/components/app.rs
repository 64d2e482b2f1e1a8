//! The page: header, the inputs panel, the main views (map, trace, captures) and the findings with the source
//! viewer.

use leptos::prelude::*;

use crate::components::captures::CapturesView;
use crate::components::findings::Findings;
use crate::components::graph::NodeGraph;
use crate::components::inputs::InputsPanel;
use crate::components::trace::TracePlayer;
use crate::components::viewer::SourceViewer;
use crate::state::{AppState, Tab};

/// The root component: provides [`AppState`] and lays out the page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    crate::persist::start(state);
    let nodes = move || {
        state
            .summary
            .get()
            .map(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>())
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
            <crate::components::progress::ProgressBar/><crate::components::theme::ThemeToggle/>
        </header>
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
                            nodes.into_iter().map(|name| view! { <NodeGraph source=name/> }).collect_view().into_any()
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
