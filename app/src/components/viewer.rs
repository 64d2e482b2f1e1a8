//! The source viewer: any input with line numbers, scrolled to the lines a finding or a trace step cites.

use leptos::prelude::*;

/// The source viewer.
#[component]
pub fn SourceViewer() -> impl IntoView {
    view! { <section class="viewer" data-testid="source-viewer"></section> }
}
