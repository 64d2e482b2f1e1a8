//! The theme toggle: dark or light, starting from the system's setting, remembered for the next visit.
//!
//! The themes are CSS variables (`public/style.css`): `:root[data-theme=dark|light]` wins over the system's
//! `prefers-color-scheme`, which applies while no choice was made.

use leptos::prelude::*;

use crate::persist::{load_pref, save_pref, THEME_KEY};

/// A theme's name as stored and as written in `data-theme`.
fn parse(name: &str) -> Option<bool> {
    match name {
        "dark" => Some(true),
        "light" => Some(false),
        _ => None,
    }
}

fn system_dark() -> bool {
    leptos::prelude::window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

fn apply(dark: bool) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

/// Switches between dark and light.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let stored = load_pref(THEME_KEY).as_deref().and_then(parse);
    if let Some(dark) = stored {
        apply(dark);
    }
    let dark = RwSignal::new(stored.unwrap_or_else(system_dark));
    let toggle = move |_| {
        let now = !dark.get_untracked();
        dark.set(now);
        apply(now);
        save_pref(THEME_KEY, Some(if now { "dark" } else { "light" }));
    };
    view! {
        <button class="theme-toggle" data-testid="theme-toggle" on:click=toggle
            aria-pressed=move || dark.get().to_string()
            title=move || if dark.get() { "Switch to the light theme" } else { "Switch to the dark theme" }>
            {move || if dark.get() { "☀ Light" } else { "☾ Dark" }}
        </button>
    }
}
