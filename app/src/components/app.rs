//! The page: header, the inputs panel and one graph per node dump.

use leptos::prelude::*;

use crate::components::findings::Findings;
use crate::components::graph::NodeGraph;
use crate::components::inputs::InputsPanel;
use crate::state::AppState;

/// The root component: provides [`AppState`] and lays out the page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::with_example();
    provide_context(state);
    let nodes = move || {
        let analysis = state.analysis.get();
        analysis
            .sources
            .iter()
            .filter(|s| s.kind == dnatlas_core::Kind::IptablesSave)
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    view! {
        <header class="top">
            <h1>"dnatlas"</h1>
            <p class="tagline">"Kubernetes Service routing from kube-proxy's iptables-save dumps, rebuilt in your browser. Nothing leaves this page."</p>
            <button data-testid="load-example" on:click=move |_| state.load_example()>"Load example"</button>
        </header>
        <div class="layout">
            <InputsPanel/>
            <main class="maps" data-testid="maps">
                <Findings/>
                {move || {
                    let nodes = nodes();
                    if nodes.is_empty() {
                        view! { <p class="empty" data-testid="no-graph">"Paste an iptables-save dump or pick a file to see its Service graph."</p> }.into_any()
                    } else {
                        nodes.into_iter().map(|name| view! { <NodeGraph source=name/> }).collect_view().into_any()
                    }
                }}
            </main>
        </div>
    }
}
