//! The findings panel: grouped by severity, worst first, each with its code and title. Selecting one opens its
//! message, evidence, explanation and fix, shows its first evidence in the source viewer and highlights it on the map.
//! Arrow keys move the selection; Escape closes it.

use dnatlas_core::{Evidence, Finding, Severity};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::{AppState, ViewerTarget};

/// The viewer target for `evidence[first]`: its source, with every line of the list cited in that source.
pub fn viewer_target(evidence: &[Evidence], first: usize) -> Option<ViewerTarget> {
    let e = evidence.get(first)?;
    let mut lines: Vec<u32> = evidence
        .iter()
        .filter(|o| o.source == e.source)
        .filter_map(Evidence::line_number)
        .collect();
    // The chosen line first: the viewer scrolls to it.
    if let Some(line) = e.line_number() {
        lines.retain(|l| *l != line);
        lines.insert(0, line);
    }
    Some(ViewerTarget {
        source: e.source.to_string(),
        lines,
    })
}

/// Selects finding `index` (or clears the selection with `None`): viewer and map follow.
pub fn select(state: AppState, index: Option<usize>) {
    let finding = index.and_then(|i| {
        state
            .summary
            .with_untracked(|s| s.as_ref().and_then(|s| s.findings.get(i).cloned()))
    });
    state.selected_finding.set(finding.as_ref().and(index));
    match finding {
        Some(f) => {
            state.highlight.set(f.evidence.clone());
            if let Some(target) = viewer_target(&f.evidence, 0) {
                state.viewer.set(Some(target));
            }
        }
        None => state.highlight.set(Vec::new()),
    }
}

/// Findings drawn per group before "Show more".
const FINDINGS_PAGE: usize = 25;

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn focus_finding(index: usize) {
    let selector = format!("[data-finding-index=\"{index}\"]");
    if let Some(el) = document()
        .query_selector(&selector)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Findings of the current analysis.
#[component]
pub fn Findings() -> impl IntoView {
    let state = expect_context::<AppState>();
    let findings = Memo::new(move |_| {
        state
            .summary
            .get()
            .map(|s| s.findings.clone())
            .unwrap_or_default()
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = findings.with_untracked(Vec::len);
        if count == 0 {
            return;
        }
        // The focused finding, else the selected one.
        let focused = document()
            .active_element()
            .and_then(|el| el.get_attribute("data-finding-index"))
            .and_then(|i| i.parse::<usize>().ok());
        let current = focused.or(state.selected_finding.get_untracked());
        let next = match ev.key().as_str() {
            "ArrowDown" => Some(current.map_or(0, |i| (i + 1).min(count - 1))),
            "ArrowUp" => Some(current.map_or(0, |i| i.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(count - 1),
            "Escape" => {
                select(state, None);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        select(state, next);
        if let Some(i) = next {
            focus_finding(i);
        }
    };
    view! {
        <section class="findings" data-testid="findings" on:keydown=on_key>
            <h2>"Findings"</h2>
            {move || {
                let list = findings.get();
                if list.is_empty() {
                    return view! { <p class="empty" data-testid="no-findings">"No findings."</p> }.into_any();
                }
                [Severity::Error, Severity::Warning, Severity::Info]
                    .into_iter()
                    .filter_map(|sev| {
                        let group: Vec<(usize, Finding)> = list
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| f.severity == sev)
                            .map(|(i, f)| (i, f.clone()))
                            .collect();
                        (!group.is_empty()).then(|| view! { <FindingGroup severity=sev group/> })
                    })
                    .collect_view()
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn FindingGroup(severity: Severity, group: Vec<(usize, Finding)>) -> impl IntoView {
    let name = severity_name(severity);
    let heading = match severity {
        Severity::Error => "Errors",
        Severity::Warning => "Warnings",
        Severity::Info => "Info",
    };
    let state = expect_context::<AppState>();
    let total = group.len();
    // A large input can have hundreds of findings: the first page of each group is drawn, the rest on demand (and
    // as far as the selection reaches, so the arrow keys never move into an undrawn finding).
    let shown = RwSignal::new(FINDINGS_PAGE);
    let indexes: Vec<usize> = group.iter().map(|(i, _)| *i).collect();
    let reach = Memo::new(move |_| {
        let selected = state
            .selected_finding
            .get()
            .and_then(|s| indexes.iter().position(|i| *i == s))
            .map_or(0, |p| p + 2);
        shown.get().max(selected).min(total)
    });
    let group = StoredValue::new(group);
    view! {
        <div class=format!("finding-group {name}") data-testid="finding-group" data-severity=name>
            <h3>{heading}<span class="count">{total}</span></h3>
            <ul>
                {move || group.with_value(|g| g.iter().take(reach.get()).map(|(index, f)| {
                    view! { <FindingItem index=*index finding=f.clone()/> }
                }).collect_view())}
            </ul>
            {move || (reach.get() < total).then(|| view! {
                <button class="more" data-testid="findings-more"
                    on:click=move |_| shown.update(|n| *n += FINDINGS_PAGE)>
                    {format!("Show {} more of {}", (total - reach.get()).min(FINDINGS_PAGE), total - reach.get())}
                </button>
            })}
        </div>
    }
}

#[component]
fn FindingItem(index: usize, finding: Finding) -> impl IntoView {
    let state = expect_context::<AppState>();
    let selected = move || state.selected_finding.get() == Some(index);
    let name = severity_name(finding.severity);
    let evidence_text = finding
        .evidence
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let f = finding.clone();
    view! {
        <li class=format!("finding {name}") class:selected=selected data-testid="finding" data-code=finding.code.clone()>
            <button class="finding-head" data-finding-index=index aria-expanded=move || selected().to_string()
                on:click=move |_| select(state, if selected() { None } else { Some(index) })>
                <span class="severity">{name}</span>
                <code class="code">{finding.code.clone()}</code>
                <span class="title">{finding.title.clone()}</span>
            </button>
            <div class="message">{finding.message.clone()}</div>
            <div class="evidence">"Evidence: "{evidence_text}</div>
            {move || selected().then(|| view! { <FindingDetail finding=f.clone()/> })}
        </li>
    }
}

#[component]
fn FindingDetail(finding: Finding) -> impl IntoView {
    let state = expect_context::<AppState>();
    let doc = dnatlas_core::lint::explain(&finding.code);
    let evidence = finding.evidence.clone();
    view! {
        <div class="finding-detail" data-testid="finding-detail">
            <ul class="evidence-list">
                {finding.evidence.iter().enumerate().map(|(i, e)| {
                    let evidence = evidence.clone();
                    let label = e.to_string();
                    view! {
                        <li>
                            <button class="evidence-link" data-testid="evidence" title="Show in the source viewer"
                                on:click=move |_| {
                                    if let Some(target) = viewer_target(&evidence, i) {
                                        state.viewer.set(Some(target));
                                    }
                                }>{label}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {doc.map(|d| view! {
                <dl class="explain" data-testid="explanation">
                    <dt>"What"</dt><dd>{d.what}</dd>
                    <dt>"Why it matters"</dt><dd>{d.why}</dd>
                    <dt>"How to fix"</dt><dd data-testid="fix">{d.fix}</dd>
                </dl>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, line: u32, frame: Option<u32>) -> Evidence {
        match frame {
            Some(frame) => Evidence::frame(&source.into(), frame),
            None => Evidence::line(&source.into(), line),
        }
    }

    #[test]
    fn viewer_scrolls_to_the_chosen_line_and_keeps_its_source_siblings() {
        let ev = [
            at("a", 10, None),
            at("b", 3, None),
            at("a", 12, None),
            at("a", 11, None),
        ];
        let t = viewer_target(&ev, 2).unwrap();
        assert_eq!(t.source, "a");
        assert_eq!(t.lines, [12, 10, 11]);
        let t = viewer_target(&ev, 1).unwrap();
        assert_eq!((t.source.as_str(), t.lines.as_slice()), ("b", &[3][..]));
        assert!(viewer_target(&ev, 9).is_none());
    }
}
