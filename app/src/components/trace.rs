//! The trace player: one name from one pod, step by step along the map.

use leptos::prelude::*;

/// The trace player's tab.
#[component]
pub fn TracePlayer() -> impl IntoView {
    view! { <section class="trace" data-testid="trace-player"><h2>"Trace"</h2></section> }
}
