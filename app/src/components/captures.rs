//! The captures view: what the DNS captures show happened.

use leptos::prelude::*;

/// The captures' tab.
#[component]
pub fn CapturesView() -> impl IntoView {
    view! { <section class="captures" data-testid="captures-view"><h2>"Captures"</h2></section> }
}
