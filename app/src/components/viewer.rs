//! The source viewer: any input with line numbers, scrolled to and highlighting the lines a finding, a diagnostic or a
//! trace step cites. Only a window of lines is asked of the engine and drawn, so a 30 MB dump scrolls as easily as
//! a resolv.conf.

use dnatlas_core::Kind;
use leptos::html::Div;
use leptos::prelude::*;

use crate::client;
use crate::protocol::lines::LinesQuery;
use crate::protocol::{Request, Response};
use crate::state::{AppState, ViewerTarget};

/// Height of one line, in CSS pixels (`.viewer-line` in style.css).
const LINE_H: f64 = 18.0;
/// Lines fetched per window, and the step by which windows move.
const WINDOW: u32 = 200;
const STEP: u32 = 50;

/// The first line of the window that covers `top_line` (1-based).
fn window_start(top_line: u32) -> u32 {
    (top_line.saturating_sub(1) / STEP * STEP).saturating_sub(STEP) + 1
}

/// The source viewer.
#[component]
pub fn SourceViewer() -> impl IntoView {
    let state = expect_context::<AppState>();
    let scroller = NodeRef::<Div>::new();
    // The input shown: the viewer's target, else the first input.
    let source = Memo::new(move |_| {
        state.viewer.get().map(|t| t.source).or_else(|| {
            state.summary.with(|s| {
                s.as_ref()
                    .and_then(|s| s.sources.first().map(|i| i.report.name.clone()))
            })
        })
    });
    let kind = Memo::new(move |_| {
        let name = source.get()?;
        state.summary.with(|s| {
            s.as_ref()?
                .sources
                .iter()
                .find(|i| i.report.name == name)
                .map(|i| i.report.kind)
        })
    });
    let binary = move || matches!(kind.get(), Some(Kind::Pcap | Kind::Pcapng));
    let top_line = RwSignal::new(1u32);
    let start = Memo::new(move |_| window_start(top_line.get()));
    let window = LocalResource::new(move || {
        let source = source.get();
        let first = start.get();
        let _generation = state.summary.with(|s| s.as_ref().map(|s| s.generation));
        async move {
            let source = source?;
            let q = LinesQuery {
                source,
                first,
                count: WINDOW,
            };
            match client::call(Request::Lines(q), |_| {}).await {
                Response::Lines(lines) => Some(lines),
                _ => None,
            }
        }
    });
    // A new target: jump to its first line (the window follows top_line; the scroll position follows the spacer).
    let pending = RwSignal::new(None::<u32>);
    Effect::new(move |_| {
        if let Some(ViewerTarget { lines, .. }) = state.viewer.get() {
            let line = lines.first().copied().unwrap_or(1);
            top_line.set(line.saturating_sub(8).max(1));
            pending.set(Some(line));
        }
    });
    Effect::new(move |_| {
        let total = window.get().flatten().map_or(0, |l| l.total);
        let Some(line) = pending.get() else { return };
        let Some(el) = scroller.get() else { return };
        if total >= line {
            let target =
                (f64::from(line) - 1.0) * LINE_H - f64::from(el.client_height()) / 2.0 + LINE_H;
            el.set_scroll_top(target.max(0.0) as i32);
            pending.set(None);
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            top_line.set((f64::from(el.scroll_top()) / LINE_H) as u32 + 1);
        }
    };
    let highlighted = move |n: u32| {
        state
            .viewer
            .with(|t| t.as_ref().is_some_and(|t| t.lines.contains(&n)))
    };
    let names = move || {
        state
            .summary
            .with(|s| {
                s.as_ref().map(|s| {
                    s.sources
                        .iter()
                        .map(|i| i.report.name.clone())
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    };
    view! {
        <section class="viewer" data-testid="source-viewer">
            <div class="viewer-head">
                <h2>"Source"</h2>
                <select data-testid="viewer-source" aria-label="Input shown"
                    on:change=move |ev| {
                        let name = event_target_value(&ev);
                        top_line.set(1);
                        if let Some(el) = scroller.get() { el.set_scroll_top(0); }
                        state.viewer.set(Some(ViewerTarget { source: name, lines: Vec::new() }));
                    }>
                    {move || {
                        let current = source.get();
                        names().into_iter().map(|n| {
                            let selected = current.as_deref() == Some(n.as_str());
                            view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                        }).collect_view()
                    }}
                </select>
                <span class="viewer-total">{move || window.get().flatten().map(|l| format!("{} lines", l.total))}</span>
            </div>
            {move || binary().then(|| view! {
                <p class="empty" data-testid="viewer-binary">"A binary capture: findings and transactions cite it by frame number (see the Captures tab)."</p>
            })}
            <div class="viewer-scroll" node_ref=scroller tabindex="0" on:scroll=on_scroll
                class:hidden=binary aria-label="Input lines">
                {move || {
                    let Some(lines) = window.get().flatten() else {
                        return view! { <p class="empty">"No input."</p> }.into_any();
                    };
                    let height = f64::from(lines.total) * LINE_H;
                    let offset = f64::from(lines.first.saturating_sub(1)) * LINE_H;
                    view! {
                        <div class="viewer-spacer" style=format!("height: {height:.0}px")>
                            <div class="viewer-lines" style=format!("transform: translateY({offset:.0}px)")>
                                {lines.lines.into_iter().enumerate().map(|(i, text)| {
                                    let n = lines.first + i as u32;
                                    view! {
                                        <div class="viewer-line" class:hl=move || highlighted(n) data-line=n>
                                            <span class="ln">{n}</span>
                                            <span class="text">{text}</span>
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        </div>
                    }.into_any()
                }}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_a_step_before_the_top_line() {
        assert_eq!(window_start(1), 1);
        assert_eq!(window_start(50), 1);
        assert_eq!(window_start(51), 1);
        assert_eq!(window_start(101), 51);
        assert_eq!(window_start(120), 51);
        // The window always covers the top line and the screen below it.
        for top in 1..2000 {
            let s = window_start(top);
            assert!(s <= top && top + 40 < s + WINDOW, "{top} -> {s}");
        }
    }
}
