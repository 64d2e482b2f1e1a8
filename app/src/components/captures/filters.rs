//! The captures' overview and the filters that every other part of the view follows.
//!
//! The overview counts, gives percentiles and lists each capture; the filters are capture, client, name, rcode and
//! retried.

use leptos::prelude::*;

use super::chart::fmt_us;
use crate::protocol::captures::{Filter, Overview, RcodeFilter};

/// The filters as the user sets them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Filters {
    source: RwSignal<Option<String>>,
    client: RwSignal<Option<String>>,
    name: RwSignal<String>,
    rcode: RwSignal<Option<RcodeFilter>>,
    retried: RwSignal<bool>,
}

impl Filters {
    /// Every transaction.
    pub(super) fn new() -> Self {
        Filters {
            source: RwSignal::new(None),
            client: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            rcode: RwSignal::new(None),
            retried: RwSignal::new(false),
        }
    }

    /// The filter the engine applies (tracked: a change asks again).
    pub(super) fn filter(self) -> Filter {
        Filter {
            source: self.source.get(),
            client: self.client.get(),
            name: self.name.get(),
            rcode: self.rcode.get(),
            retried: self.retried.get(),
        }
    }
}

fn rcode_value(r: &Option<RcodeFilter>) -> String {
    match r {
        None => String::new(),
        Some(RcodeFilter::NoAnswer) => "none".into(),
        Some(RcodeFilter::Rcode(r)) => format!("rcode:{r}"),
    }
}

fn parse_rcode(v: &str) -> Option<RcodeFilter> {
    match v {
        "none" => Some(RcodeFilter::NoAnswer),
        _ => v
            .strip_prefix("rcode:")
            .map(|r| RcodeFilter::Rcode(r.to_string())),
    }
}

fn some_nonempty(v: String) -> Option<String> {
    (!v.is_empty()).then_some(v)
}

#[component]
pub(super) fn OverviewBar(overview: Overview) -> impl IntoView {
    let s = &overview.summary;
    let l = &s.latency;
    let pct = |v: Option<u64>| v.map_or_else(|| "—".to_string(), fmt_us);
    let listed = if (overview.listed as u64) < s.transactions {
        format!(
            "{} transactions ({} listed)",
            s.transactions, overview.listed
        )
    } else {
        format!("{} transactions", s.transactions)
    };
    view! {
        <div class="cap-overview" data-testid="captures-overview">
            <div class="cap-stats">
                <span class="stat"><b>{listed}</b></span>
                <span class="stat">{s.answered}" answered"</span>
                <span class="stat warn">{s.unanswered}" unanswered"</span>
                <span class="stat warn">{s.retried}" retried"</span>
                <span class="stat">{s.truncated}" truncated"</span>
                <span class="stat">{s.wrong_source}" from a wrong source"</span>
                <span class="stat">{s.unmatched}" unmatched"</span>
                <span class="stat">{overview.lookups}" lookups"</span>
                <span class="stat">"p50 "{pct(l.p50_us)}" · p90 "{pct(l.p90_us)}" · p99 "{pct(l.p99_us)}</span>
            </div>
            <ul class="cap-list">
                {overview.captures.iter().map(|c| view! {
                    <li data-testid="capture-item">
                        <code>{c.source.clone()}</code>
                        {format!(" {} transactions, {} unanswered, {} retried{}", c.listed, c.unanswered, c.retried,
                            if c.timed { "" } else { ", no timestamps" })}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[component]
pub(super) fn FilterBar(overview: Overview, filters: Filters) -> impl IntoView {
    let Filters {
        source,
        client: client_filter,
        name,
        rcode,
        retried,
    } = filters;
    let several = overview.captures.len() > 1;
    view! {
        <div class="cap-filters" role="search">
            {several.then(|| view! {
                <label>"Capture "
                    <select data-testid="filter-capture"
                        prop:value=move || source.get().unwrap_or_default()
                        on:change=move |ev| source.set(some_nonempty(event_target_value(&ev)))>
                        <option value="">"all"</option>
                        {overview.captures.iter().map(|c| view! {
                            <option value=c.source.clone()>{c.source.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            <label>"Client "
                <select data-testid="filter-client"
                    prop:value=move || client_filter.get().unwrap_or_default()
                    on:change=move |ev| client_filter.set(some_nonempty(event_target_value(&ev)))>
                    <option value="">"all"</option>
                    {overview.clients.iter().map(|c| view! {
                        <option value=c.address.clone()>{format!("{} ({})", c.address, c.transactions)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Name "
                <input type="search" data-testid="filter-name" data-shortcut="search" placeholder="part of a name" spellcheck="false"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label>"Rcode "
                <select data-testid="filter-rcode"
                    prop:value=move || rcode_value(&rcode.get())
                    on:change=move |ev| rcode.set(parse_rcode(&event_target_value(&ev)))>
                    <option value="">"any"</option>
                    {overview.rcodes.iter().map(|r| view! {
                        <option value=format!("rcode:{r}")>{r.clone()}</option>
                    }).collect_view()}
                    <option value="none">"no answer"</option>
                </select>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="filter-retried"
                    prop:checked=move || retried.get()
                    on:change=move |ev| retried.set(event_target_checked(&ev))/>
                " only retried"
            </label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rcode_filter_round_trips_through_the_select() {
        for r in [
            None,
            Some(RcodeFilter::NoAnswer),
            Some(RcodeFilter::Rcode("NXDOMAIN".into())),
        ] {
            assert_eq!(parse_rcode(&rcode_value(&r)), r);
        }
    }
}
