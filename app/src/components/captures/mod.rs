//! The captures view: what the DNS captures show happened.
//!
//! The overview and filters ([`filters`]), a timeline of the transactions and the latency histogram ([`chart`]), a
//! window of the transactions as a keyboard-driven table ([`table`]), and the selected transaction's frames, answer
//! and resolver-plan fit ([`detail`]). The engine filters, bins and windows; these files only ask and draw.

mod chart;
mod detail;
mod filters;
mod table;

use leptos::prelude::*;

use crate::client;
use crate::protocol::captures::{Filter, Query, View};
use crate::protocol::{Request, Response};
use crate::state::AppState;
use chart::{Histogram, Timeline};
use detail::{DetailPanel, Strays};
use filters::{FilterBar, Filters, OverviewBar};
use table::{Cursor, TransactionTable};

/// Rows per page of the table.
pub const PAGE: usize = 50;

/// The captures' tab.
#[component]
pub fn CapturesView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let overview = Memo::new(move |_| state.summary.get().and_then(|s| s.captures.clone()));
    let generation = move || state.summary.with(|s| s.as_ref().map(|s| s.generation));
    let filters = Filters::new();
    let filter = Memo::new(move |_| filters.filter());
    let cursor = Cursor::new();

    // A new filter starts at the first page; a new analysis forgets the selection.
    Effect::new(move |previous: Option<Filter>| {
        let f = filter.get();
        if previous.is_some_and(|p| p != f) {
            cursor.to_first_page();
        }
        f
    });
    Effect::new(move |previous: Option<Option<u64>>| {
        let g = generation();
        if previous.is_some_and(|p| p != g) {
            cursor.selected.set(None);
            cursor.to_first_page();
        }
        g
    });

    let chart = LocalResource::new(move || {
        let f = filter.get();
        let _ = generation();
        async move {
            match client::call(Request::Captures(Query::Chart(f)), |_| {}).await {
                Response::Captures(View::Chart(c)) => Some(*c),
                _ => None,
            }
        }
    });
    let rows = LocalResource::new(move || {
        let q = Query::Rows {
            filter: filter.get(),
            offset: cursor.offset.get(),
            limit: PAGE,
            around: cursor.around.get(),
        };
        let _ = generation();
        async move {
            match client::call(Request::Captures(q), |_| {}).await {
                Response::Captures(View::Rows(r)) => Some(r),
                _ => None,
            }
        }
    });
    let detail = LocalResource::new(move || {
        let i = cursor.selected.get();
        let _ = generation();
        async move {
            match client::call(Request::Captures(Query::Detail(i?)), |_| {}).await {
                Response::Captures(View::Detail(d)) => d.map(|d| *d),
                _ => None,
            }
        }
    });
    let current_rows = move || rows.get().flatten();
    // After paging with the arrow keys, select (and focus) the first or last row of the new window.
    Effect::new(move |_| {
        if let Some(r) = current_rows() {
            cursor.arrived(&r);
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(r) = current_rows() {
            cursor.key(&r, &ev);
        }
    };

    view! {
        <section class="captures" data-testid="captures-view">
            {move || match overview.get() {
                None => view! {
                    <p class="empty" data-testid="no-captures">
                        "Add a capture — tcpdump text, pcap or pcapng — to see its DNS transactions here."
                    </p>
                }.into_any(),
                Some(o) => view! {
                    <OverviewBar overview=o.clone()/>
                    <FilterBar overview=o filters/>
                }.into_any(),
            }}
            {move || overview.get().map(|_| view! {
                <div class="cap-charts">
                    {move || chart.get().flatten().map(|c| view! {
                        <Timeline chart=c.clone() selected=cursor.selected pick=move |i| cursor.pick(i)/>
                        <Histogram latency=c.latency.clone() matched=c.matched/>
                    })}
                </div>
                <div class="cap-main">
                    <div class="cap-table-wrap">
                        {move || current_rows().map(|r| view! { <TransactionTable rows=r cursor on_key/> })}
                    </div>
                    <div class="cap-detail" data-testid="tx-detail" tabindex="-1">
                        {move || match detail.get().flatten() {
                            Some(d) => view! { <DetailPanel detail=d pick=move |i| cursor.pick(i)/> }.into_any(),
                            None => view! {
                                <p class="empty">"Select a transaction — click a mark or a row, or use the arrow keys in the table — to see its frames and how it fits the resolver's plan."</p>
                            }.into_any(),
                        }}
                    </div>
                </div>
                {move || chart.get().flatten().map(|c| view! { <Strays chart=c/> })}
            })}
        </section>
    }
}
