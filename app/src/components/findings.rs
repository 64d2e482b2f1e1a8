//! The findings list: worst first, each with its code, message and the input lines that prove it.

use leptos::prelude::*;

use crate::state::AppState;

/// Findings of the current analysis.
#[component]
pub fn Findings() -> impl IntoView {
    let state = expect_context::<AppState>();
    let findings = move || {
        state
            .summary
            .get()
            .map(|s| s.findings.clone())
            .unwrap_or_default()
    };
    view! {
        <section class="findings" data-testid="findings">
            <h2>"Findings"</h2>
            {move || {
                let list = findings();
                if list.is_empty() {
                    return view! { <p class="empty" data-testid="no-findings">"No findings."</p> }.into_any();
                }
                view! {
                    <ul>
                        {list.into_iter().map(|f| {
                            let severity = format!("{:?}", f.severity).to_lowercase();
                            let code = f.code.clone();
                            let evidence = f.evidence.iter().map(|e| format!("{}:{}", e.source, e.line)).collect::<Vec<_>>().join(", ");
                            view! {
                                <li class=format!("finding {severity}") data-testid="finding" data-code=code>
                                    <div class="finding-head">
                                        <span class="severity">{severity.clone()}</span>
                                        <code class="code">{f.code}</code>
                                        <span class="title">{f.title}</span>
                                    </div>
                                    <div class="message">{f.message}</div>
                                    <div class="evidence">"Evidence: "{evidence}</div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
