//! One transaction in full, and the replies that answer no transaction.
//!
//! A transaction's frames, answer, replies from a wrong source and how it fits the resolver's plan.

use dnatlas_core::capture::StrayReply;
use leptos::prelude::*;

use super::chart::fmt_us;
use crate::protocol::captures::{Chart, Class, Detail};
use crate::state::{AppState, ViewerTarget};

/// A button that shows `line` of `source` in the source viewer, or plain text for a frame without a line.
fn place_view(
    state: AppState,
    source: String,
    frame: u32,
    line: Option<u32>,
    text: String,
) -> AnyView {
    match line {
        Some(line) => view! {
            <button class="linkish" data-testid="frame-line" data-line=line
                on:click=move |_| state.viewer.set(Some(ViewerTarget { source: source.clone(), lines: vec![line] }))>
                {text}" — line "{line}
            </button>
        }
        .into_any(),
        None => view! { <span data-testid="frame-number">{text}" — frame "{frame}</span> }.into_any(),
    }
}

#[component]
pub(super) fn DetailPanel(
    detail: Detail,
    pick: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let t = detail.transaction.clone();
    let class = Class::of(&t);
    let source = t.source.to_string();
    let outcome = match (t.rcode.as_deref(), t.latency_us) {
        (Some(r), Some(us)) => format!("{r} after {}", fmt_us(us)),
        (Some(r), None) => r.to_string(),
        (None, _) => "no answer in the capture".to_string(),
    };
    let frames = detail.frames.clone();
    let lookup = detail.lookup.clone();
    let index = detail.index;
    view! {
        <div class="detail" data-testid="detail" data-index=index>
            <h3><code>{t.name.to_string()}</code>" "{t.qtype.to_string()}</h3>
            <p>
                <span class=format!("rc {}", class.css())>{outcome}</span>
                {(t.queries_sent > 1).then(|| view! {
                    <span class="sent" data-testid="detail-sent">{format!(" · query sent {} times", t.queries_sent)}</span>
                })}
                {t.truncated.then_some(" · truncated (TC)")}
            </p>
            <p class="muted"><code>{t.client.to_string()}</code>" → "<code>{t.server.to_string()}</code>
                {format!(" · id {} · {:?} · ", t.id, t.transport).to_lowercase()}<code>{source.clone()}</code></p>
            <h4>"Frames"</h4>
            <ol class="frames" data-testid="detail-frames">
                {frames.into_iter().map(|f| {
                    let text = match f.after_us {
                        Some(us) if f.role != "query" => format!("{} (+{})", f.role, fmt_us(us)),
                        _ => f.role.clone(),
                    };
                    view! { <li data-role=f.role.clone()>{place_view(state, source.clone(), f.frame, f.line, text)}</li> }
                }).collect_view()}
            </ol>
            {(detail.copies_not_listed > 0).then(|| view! {
                <p class="muted">{format!("{} more copies not listed", detail.copies_not_listed)}</p>
            })}
            {(!t.answers.is_empty()).then(|| view! {
                <h4>"Answer"</h4>
                <ul class="answers">{t.answers.iter().map(|a| view! { <li><code>{a.clone()}</code></li> }).collect_view()}</ul>
            })}
            {(!detail.wrong_source.is_empty()).then(|| view! {
                <h4>"Replies from a wrong source"</h4>
                <ul class="strays">{detail.wrong_source.iter().map(|s| view! { <li>{stray_text(s)}</li> }).collect_view()}</ul>
            })}
            <h4>"Resolver plan"</h4>
            {match lookup {
                None => view! { <p class="muted" data-testid="no-lookup">"This query is not part of a lookup read back from the capture (lookups are read from the first 4,000 transactions of each capture)."</p> }.into_any(),
                Some(l) => {
                    let fit = if l.resolver_fit.is_empty() {
                        "no modelled resolver sends exactly these queries".to_string()
                    } else {
                        format!("sent exactly as {} would", l.resolver_fit.join(", "))
                    };
                    let search = if l.search.is_empty() {
                        "no search list".to_string()
                    } else {
                        format!("search {}{}", l.search.join(" "), if l.search_inferred { " (inferred from the names)" } else { "" })
                    };
                    let sent: Vec<(String, String)> = l.queries.iter().map(|q| (q.name.clone(), q.qtype.clone())).collect();
                    view! {
                        <div class="fit" data-testid="lookup">
                            <p><b>{l.base_name.clone()}</b>" from "<code>{l.client.clone()}</code>" · "{search}
                                {l.resolv_conf.clone().map(|r| view! { " · compared with "<code>{r}</code> })}</p>
                            <p data-testid="resolver-fit" class=if l.resolver_fit.is_empty() { "fit-none" } else { "fit-ok" }>{fit}</p>
                            <p class="muted">"outcome: "{l.outcome.clone()}{l.answered_by.clone().map(|a| format!(" · answered by {a}"))}</p>
                            <table class="plan" data-testid="plan">
                                <thead><tr><th>"expected"</th><th>"seen"</th></tr></thead>
                                <tbody>
                                    {l.expected.iter().map(|q| {
                                        let seen = sent.iter().any(|(n, t)| n.eq_ignore_ascii_case(&q.name) && *t == q.qtype);
                                        let missing = l.missing.contains(q);
                                        view! {
                                            <tr class:missing=missing>
                                                <td><code>{format!("{} {}", q.qtype, q.name)}</code></td>
                                                <td>{if seen { "✓ sent" } else if missing { "✗ missing" } else { "" }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                    {l.extra.iter().map(|q| view! {
                                        <tr class="extra"><td><code>{format!("{} {}", q.qtype, q.name)}</code></td><td>"sent, not planned"</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <h4>"Queries of this lookup"</h4>
                            <ol class="lookup-queries">
                                {l.queries.iter().map(|q| {
                                    let i = q.index;
                                    let label = format!("{} {} → {}{}", q.qtype, q.name, q.rcode.clone().unwrap_or_else(|| "no answer".into()),
                                        if q.queries_sent > 1 { format!(" (sent {}×)", q.queries_sent) } else { String::new() });
                                    view! {
                                        <li class:current=i == index>
                                            <button class="linkish" on:click=move |_| pick(i)>{label}</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            <p class="explanation" data-testid="explanation">{l.explanation.clone()}</p>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

fn stray_text(s: &StrayReply) -> String {
    let place = if s.line > 0 {
        format!("line {}", s.line)
    } else {
        format!("frame {}", s.frame)
    };
    format!(
        "{} → {} id {} {} ({place})",
        s.from,
        s.to,
        s.id,
        s.rcode.as_deref().unwrap_or("")
    )
}

#[component]
pub(super) fn Strays(chart: Chart) -> impl IntoView {
    let state = expect_context::<AppState>();
    (chart.strays_total > 0).then(|| {
        let more = chart.strays_total.saturating_sub(chart.strays.len());
        view! {
            <section class="cap-strays" data-testid="strays">
                <h3>{format!("Replies that answer no transaction ({})", chart.strays_total)}</h3>
                <ul>
                    {chart.strays.into_iter().map(|s| {
                        let kind = if s.wrong_source { "from a wrong source" } else { "unmatched" };
                        let r = s.reply;
                        let text = format!("{kind}: {}", stray_text(&r));
                        let line = (r.line > 0).then_some(r.line);
                        view! { <li data-testid="stray">{place_view(state, r.source.to_string(), r.frame, line, text)}</li> }
                    }).collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
            </section>
        }
    })
}
