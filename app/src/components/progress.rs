//! The analysis' progress: a bar with the stage ("reading node-a.txt") while the engine works.

use leptos::prelude::*;

use crate::state::AppState;

/// The share of the work done, in percent, or `None` when the total is unknown.
pub fn percent(done: u64, total: u64) -> Option<u32> {
    (total > 0).then(|| (done.min(total) as f64 * 100.0 / total as f64).round() as u32)
}

/// Shown while an analysis runs.
#[component]
pub fn ProgressBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.progress.get().map(|p| {
            let percent = percent(p.done, p.total);
            let width = format!("width: {}%", percent.unwrap_or(100));
            view! {
                <div class="progress" data-testid="progress" role="progressbar" aria-label="Analysis progress"
                    aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.map(|p| p.to_string())
                    aria-valuetext=p.stage.clone()>
                    <span class="progress-stage">{p.stage.clone()}</span>
                    <span class="progress-track"><span class="progress-fill" class:unknown=percent.is_none() style=width></span></span>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_of_bytes_read() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(0, 200), Some(0));
        assert_eq!(percent(50, 200), Some(25));
        assert_eq!(percent(300, 200), Some(100));
    }
}
