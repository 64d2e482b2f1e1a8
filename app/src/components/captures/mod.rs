//! The captures view: what the DNS captures show happened — the overview, filters, a timeline of the transactions
//! (latency on a log scale, colour by rcode, retries ringed, unanswered crossed in their own band), the latency
//! histogram with p50/p90/p99, a window of the transactions as a keyboard-driven table, and the selected
//! transaction's frames, answer and resolver-plan fit. The engine filters, bins and windows; this file only asks
//! and draws (the geometry is in plain functions, tested natively).

use dnatlas_core::capture::{Bucket, Latency, StrayReply};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::client;
use crate::engine::captures::{
    Axis, Bin, Chart, Class, Detail, Filter, Mark, Overview, Query, RcodeFilter, Rows, View,
    BIN_COLUMNS, LATENCY_ROWS,
};
use crate::protocol::{Request, Response};
use crate::state::{AppState, ViewerTarget};

/// Rows per page of the table.
pub const PAGE: usize = 50;

/// The timeline's drawing box (SVG user units).
pub const TL_W: f64 = 900.0;
/// Height of the timeline.
pub const TL_H: f64 = 270.0;
const TL_LEFT: f64 = 64.0;
const TL_RIGHT: f64 = 14.0;
/// Top of the no-answer band.
const BAND_TOP: f64 = 10.0;
const BAND_H: f64 = 22.0;
/// Top and bottom of the latency plot.
const PLOT_TOP: f64 = BAND_TOP + BAND_H + 14.0;
const PLOT_BOTTOM: f64 = TL_H - 30.0;
/// The latency axis: 10 µs to 100 s, log scale.
const LAT_MIN_US: f64 = 10.0;
const LAT_MAX_US: f64 = 100_000_000.0;

/// The x of a transaction at `x` on an axis running to `x_max`.
pub fn x_px(x: u64, x_max: u64) -> f64 {
    let width = TL_W - TL_LEFT - TL_RIGHT;
    if x_max == 0 {
        return TL_LEFT + width / 2.0;
    }
    TL_LEFT + width * (x as f64 / x_max as f64).clamp(0.0, 1.0)
}

/// The y of a latency (log scale, clamped to the axis); `None` (no latency) is the middle of the no-answer band.
pub fn y_px(latency_us: Option<u64>) -> f64 {
    match latency_us {
        None => BAND_TOP + BAND_H / 2.0,
        Some(us) => {
            let v = (us as f64).clamp(LAT_MIN_US, LAT_MAX_US);
            let t = (v.log10() - LAT_MIN_US.log10()) / (LAT_MAX_US.log10() - LAT_MIN_US.log10());
            PLOT_BOTTOM - t * (PLOT_BOTTOM - PLOT_TOP)
        }
    }
}

/// The rectangle `(x, y, width, height)` of a binned timeline's cell.
pub fn bin_rect(bin: &Bin) -> (f64, f64, f64, f64) {
    let width = (TL_W - TL_LEFT - TL_RIGHT) / BIN_COLUMNS as f64;
    let x = TL_LEFT + width * f64::from(bin.column);
    match bin.row {
        None => (x, BAND_TOP, width, BAND_H),
        Some(row) => {
            let height = (PLOT_BOTTOM - PLOT_TOP) / LATENCY_ROWS as f64;
            let y = PLOT_BOTTOM - height * (f64::from(row) + 1.0);
            (x, y, width, height)
        }
    }
}

/// A latency for people: `110 µs`, `4.20 ms`, `5.001 s`.
pub fn fmt_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

/// A position on the x axis: `+2.513 s` (or `+207 µs`) since the capture's first query, or `#12` in capture order.
pub fn fmt_x(x: u64, axis: Axis) -> String {
    match axis {
        Axis::Time => format!("+{}", fmt_us(x)),
        Axis::Order => format!("#{}", x + 1),
    }
}

/// A histogram bucket's upper bound as a label: `≤10µs`, `≤5ms`, `>20s`.
pub fn bucket_label(bucket: &Bucket, previous: Option<u64>) -> String {
    fn short(us: u64) -> String {
        if us < 1_000 {
            format!("{us}µs")
        } else if us < 1_000_000 {
            format!("{}ms", us / 1_000)
        } else {
            format!("{}s", us / 1_000_000)
        }
    }
    match (bucket.le_us, previous) {
        (Some(le), _) => format!("≤{}", short(le)),
        (None, Some(prev)) => format!(">{}", short(prev)),
        (None, None) => "all".into(),
    }
}

/// The buckets worth drawing: from the first with a count to the last with one.
pub fn visible_buckets(latency: &Latency) -> &[Bucket] {
    let first = latency.buckets.iter().position(|b| b.count > 0);
    let last = latency.buckets.iter().rposition(|b| b.count > 0);
    match (first, last) {
        (Some(a), Some(b)) => latency.buckets.get(a..=b).unwrap_or_default(),
        _ => &[],
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

/// Focuses the table row of transaction `index`, if it is on screen.
fn focus_row(index: usize) {
    let selector = format!("[data-testid=tx-row][data-index=\"{index}\"]");
    if let Ok(Some(el)) = document().query_selector(&selector) {
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

/// Which row to select once the next window arrives (after paging with the arrow keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    First,
    Last,
}

/// The captures' tab.
#[component]
pub fn CapturesView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let overview = Memo::new(move |_| state.summary.get().and_then(|s| s.captures.clone()));
    let generation = move || state.summary.with(|s| s.as_ref().map(|s| s.generation));

    let source = RwSignal::new(None::<String>);
    let client_filter = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let rcode = RwSignal::new(None::<RcodeFilter>);
    let retried = RwSignal::new(false);
    let filter = Memo::new(move |_| Filter {
        source: source.get(),
        client: client_filter.get(),
        name: name.get(),
        rcode: rcode.get(),
        retried: retried.get(),
    });
    let offset = RwSignal::new(0usize);
    let around = RwSignal::new(None::<usize>);
    let selected = RwSignal::new(None::<usize>);
    let pending = RwSignal::new(None::<Pending>);

    // A new filter starts at the first page; a new analysis forgets the selection.
    Effect::new(move |previous: Option<Filter>| {
        let f = filter.get();
        if previous.is_some_and(|p| p != f) {
            offset.set(0);
            around.set(None);
        }
        f
    });
    Effect::new(move |previous: Option<Option<u64>>| {
        let g = generation();
        if previous.is_some_and(|p| p != g) {
            selected.set(None);
            around.set(None);
            offset.set(0);
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
        let f = filter.get();
        let (o, a) = (offset.get(), around.get());
        let _ = generation();
        async move {
            let q = Query::Rows {
                filter: f,
                offset: o,
                limit: PAGE,
                around: a,
            };
            match client::call(Request::Captures(q), |_| {}).await {
                Response::Captures(View::Rows(r)) => Some(r),
                _ => None,
            }
        }
    });
    let detail = LocalResource::new(move || {
        let i = selected.get();
        let _ = generation();
        async move {
            let i = i?;
            match client::call(Request::Captures(Query::Detail(i)), |_| {}).await {
                Response::Captures(View::Detail(d)) => d.map(|d| *d),
                _ => None,
            }
        }
    });
    let current_rows = move || rows.get().flatten();

    // After paging with the arrow keys, select (and focus) the first or last row of the new window.
    Effect::new(move |_| {
        let Some(r) = current_rows() else { return };
        let Some(p) = pending.get_untracked() else {
            return;
        };
        let row = match p {
            Pending::First => r.rows.first(),
            Pending::Last => r.rows.last(),
        };
        if let Some(row) = row {
            pending.set(None);
            let i = row.index;
            selected.set(Some(i));
            request_animation_frame(move || focus_row(i));
        }
    });

    let select = move |i: usize| {
        selected.set(Some(i));
    };
    // Arrow keys move the selection through the rows (paging at the window's ends), Enter opens the detail.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(r) = current_rows() else { return };
        let position = selected
            .get_untracked()
            .and_then(|i| r.rows.iter().position(|row| row.index == i));
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" => {
                ev.prevent_default();
                let down = ev.key() == "ArrowDown";
                let next = match (position, down) {
                    (None, _) => Some(0),
                    (Some(p), true) if p + 1 < r.rows.len() => Some(p + 1),
                    (Some(p), false) if p > 0 => Some(p - 1),
                    (Some(_), true) => {
                        if r.offset + r.rows.len() < r.matched {
                            pending.set(Some(Pending::First));
                            around.set(None);
                            offset.set(r.offset + PAGE);
                        }
                        None
                    }
                    (Some(_), false) => {
                        if r.offset > 0 {
                            pending.set(Some(Pending::Last));
                            around.set(None);
                            offset.set(r.offset.saturating_sub(PAGE));
                        }
                        None
                    }
                };
                if let Some(row) = next.and_then(|p| r.rows.get(p)) {
                    let i = row.index;
                    selected.set(Some(i));
                    focus_row(i);
                }
            }
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(i) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|el| el.get_attribute("data-index"))
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    selected.set(Some(i));
                }
                if ev.key() == "Enter" {
                    if let Ok(Some(el)) = document().query_selector("[data-testid=tx-detail]") {
                        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                            let _ = el.focus();
                        }
                    }
                }
            }
            _ => {}
        }
    };
    // A mark on the timeline selects its transaction and brings its row into the table.
    let pick = move |i: usize| {
        selected.set(Some(i));
        around.set(Some(i));
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
                    <FilterBar overview=o source client_filter name rcode retried/>
                }.into_any(),
            }}
            {move || overview.get().map(|_| view! {
                <div class="cap-charts">
                    {move || chart.get().flatten().map(|c| view! {
                        <Timeline chart=c.clone() selected pick/>
                        <Histogram latency=c.latency.clone() matched=c.matched/>
                    })}
                </div>
                <div class="cap-main">
                    <div class="cap-table-wrap">
                        {move || current_rows().map(|r| view! {
                            <TransactionTable rows=r selected select on_key offset around/>
                        })}
                    </div>
                    <div class="cap-detail" data-testid="tx-detail" tabindex="-1">
                        {move || match detail.get().flatten() {
                            Some(d) => view! { <DetailPanel detail=d pick/> }.into_any(),
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

#[component]
fn OverviewBar(overview: Overview) -> impl IntoView {
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
fn FilterBar(
    overview: Overview,
    source: RwSignal<Option<String>>,
    client_filter: RwSignal<Option<String>>,
    name: RwSignal<String>,
    rcode: RwSignal<Option<RcodeFilter>>,
    retried: RwSignal<bool>,
) -> impl IntoView {
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

fn mark_title(m: &Mark, axis: Axis) -> String {
    let outcome = match m.latency_us {
        Some(us) => format!("{} in {}", m.class.label(), fmt_us(us)),
        None => m.class.label().to_string(),
    };
    let sent = if m.queries_sent > 1 {
        format!(", sent {}×", m.queries_sent)
    } else {
        String::new()
    };
    format!(
        "{} {} {}: {outcome}{sent}",
        fmt_x(m.x, axis),
        m.qtype,
        m.name
    )
}

fn bin_title(b: &Bin) -> String {
    let parts: Vec<String> = Class::ALL
        .iter()
        .zip(b.counts)
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{n} {}", c.label()))
        .collect();
    let retried = if b.retried > 0 {
        format!(", {} retried", b.retried)
    } else {
        String::new()
    };
    format!("{}{retried}", parts.join(", "))
}

#[component]
fn Timeline(
    chart: Chart,
    selected: RwSignal<Option<usize>>,
    pick: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let axis = chart.axis;
    let x_max = chart.x_max;
    let y_ticks: Vec<(f64, &str)> = [
        (10u64, "10µs"),
        (100, "100µs"),
        (1_000, "1ms"),
        (10_000, "10ms"),
        (100_000, "100ms"),
        (1_000_000, "1s"),
        (10_000_000, "10s"),
        (100_000_000, "100s"),
    ]
    .iter()
    .map(|&(us, label)| (y_px(Some(us)), label))
    .collect();
    let x_ticks: Vec<(f64, String)> = (0..=4u64)
        .map(|k| {
            let x = x_max * k / 4;
            (x_px(x, x_max), fmt_x(x, axis))
        })
        .collect();
    let binned = chart.marks.is_empty() && !chart.bins.is_empty();
    let max_count = chart.bins.iter().map(Bin::total).max().unwrap_or(1).max(1) as f64;
    let caption = match (axis, binned) {
        (Axis::Time, false) => "time since the capture's first query →",
        (Axis::Time, true) => {
            "time since the capture's first query → (binned: darker cells hold more)"
        }
        (Axis::Order, _) => "transactions in capture order (no timestamps) →",
    };
    view! {
        <figure class="cap-timeline">
            <figcaption>
                <span>"Timeline — "{chart.matched}" transactions"</span>
                <span class="legend">
                    {Class::ALL.iter().map(|c| view! {
                        <span class=format!("key {}", c.css())><i></i>{c.label()}</span>
                    }).collect_view()}
                    <span class="key retry"><i></i>"retried"</span>
                </span>
            </figcaption>
            <svg data-testid="timeline" role="img" viewBox=format!("0 0 {TL_W} {TL_H}")
                aria-label=format!("Timeline of {} DNS transactions: latency against time, coloured by rcode", chart.matched)
                data-mode=if binned { "bins" } else { "marks" }>
                <rect class="band" x=TL_LEFT y=BAND_TOP width=TL_W - TL_LEFT - TL_RIGHT height=BAND_H/>
                <text class="axis-label" x=TL_LEFT - 6.0 y=BAND_TOP + BAND_H / 2.0 + 4.0>"no answer"</text>
                {y_ticks.into_iter().map(|(y, label)| view! {
                    <line class="grid" x1=TL_LEFT x2=TL_W - TL_RIGHT y1=y y2=y/>
                    <text class="axis-label" x=TL_LEFT - 6.0 y=y + 4.0>{label}</text>
                }).collect_view()}
                {x_ticks.into_iter().enumerate().map(|(k, (x, label))| {
                    // The end ticks are anchored inwards so their labels stay inside the drawing.
                    let anchor = match k { 0 => "start", 4 => "end", _ => "middle" };
                    view! { <text class="axis-label x" x=x y=PLOT_BOTTOM + 16.0 text-anchor=anchor>{label}</text> }
                }).collect_view()}
                <text class="axis-caption" x=TL_LEFT y=TL_H - 2.0>{caption}</text>
                {chart.bins.into_iter().map(|b| {
                    let (x, y, w, h) = bin_rect(&b);
                    let opacity = 0.3 + 0.7 * ((b.total() as f64).ln_1p() / max_count.ln_1p());
                    let class = format!("bin {}{}", b.worst().css(), if b.retried > 0 { " retried" } else { "" });
                    view! {
                        <rect class=class data-testid="bin" x=x y=y width=w height=h fill-opacity=format!("{opacity:.2}")>
                            <title>{bin_title(&b)}</title>
                        </rect>
                    }
                }).collect_view()}
                {chart.marks.into_iter().map(|m| {
                    let (x, y) = (x_px(m.x, x_max), y_px(m.latency_us));
                    let i = m.index;
                    let title = mark_title(&m, axis);
                    let shape = if m.class == Class::NoAnswer {
                        view! {
                            <path class="shape" d=format!("M{:.1},{:.1} l8,8 m0,-8 l-8,8", x - 4.0, y - 4.0)/>
                        }.into_any()
                    } else {
                        view! { <circle class="shape" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3.6"/> }.into_any()
                    };
                    view! {
                        <g class=format!("mark {}", m.class.css()) data-testid="mark" data-index=i
                            data-class=m.class.label() data-sent=m.queries_sent
                            class:selected=move || selected.get() == Some(i)
                            on:click=move |_| pick(i)>
                            <title>{title}</title>
                            <circle class="hit" cx=format!("{x:.1}") cy=format!("{y:.1}") r="7"/>
                            {(m.queries_sent > 1).then(|| view! {
                                <circle class="retry-ring" cx=format!("{x:.1}") cy=format!("{y:.1}") r="7"/>
                            })}
                            {shape}
                        </g>
                    }
                }).collect_view()}
            </svg>
        </figure>
    }
}

#[component]
fn Histogram(latency: Latency, matched: usize) -> impl IntoView {
    const W: f64 = 900.0;
    const H: f64 = 170.0;
    const BOTTOM: f64 = H - 22.0;
    const TOP: f64 = 34.0;
    let buckets = visible_buckets(&latency).to_vec();
    let first = latency
        .buckets
        .iter()
        .position(|b| b.count > 0)
        .unwrap_or(0);
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let bar_w = ((W - 20.0) / n).min(64.0);
    let pct = |v: Option<u64>| v.map_or_else(|| "—".to_string(), fmt_us);
    // The bucket each percentile falls in, to mark it under the bars.
    let marker = |v: Option<u64>, label: &'static str| {
        let v = v?;
        let k = buckets
            .iter()
            .position(|b| b.le_us.is_none_or(|le| v <= le))?;
        Some((10.0 + bar_w * (k as f64 + 0.5), label))
    };
    // Percentiles in the same bucket share one marker and one label.
    let mut markers: Vec<(f64, String)> = Vec::new();
    for (x, label) in [
        marker(latency.p50_us, "p50"),
        marker(latency.p90_us, "p90"),
        marker(latency.p99_us, "p99"),
    ]
    .into_iter()
    .flatten()
    {
        match markers.last_mut() {
            Some((last, text)) if (*last - x).abs() < 1e-9 => text.push_str(&format!(" {label}")),
            _ => markers.push((x, label.to_string())),
        }
    }
    let unanswered_note = (latency.count < matched as u64).then(|| {
        format!(
            "{} of {matched} without a latency (unanswered or untimed)",
            matched as u64 - latency.count
        )
    });
    view! {
        <figure class="cap-histogram" data-testid="histogram">
            <figcaption>
                "Latency — "{latency.count}" answered · "
                <span data-testid="percentiles">"p50 "{pct(latency.p50_us)}" · p90 "{pct(latency.p90_us)}" · p99 "{pct(latency.p99_us)}</span>
                {unanswered_note.map(|t| view! { <span class="muted">" · "{t}</span> })}
            </figcaption>
            {if buckets.is_empty() {
                view! { <p class="empty">"No latencies to show."</p> }.into_any()
            } else {
                view! {
                    <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Latency histogram">
                        {buckets.iter().enumerate().map(|(k, b)| {
                            let h = (BOTTOM - TOP) * b.count as f64 / max;
                            let x = 10.0 + bar_w * k as f64;
                            let previous = (first + k).checked_sub(1).and_then(|p| latency.buckets.get(p)).and_then(|p| p.le_us);
                            let label = bucket_label(b, previous);
                            view! {
                                <g class="bucket" data-testid="bucket">
                                    <title>{format!("{label}: {}", b.count)}</title>
                                    <rect x=format!("{:.1}", x + 1.0) y=format!("{:.1}", BOTTOM - h) width=format!("{:.1}", (bar_w - 2.0).max(1.0)) height=format!("{h:.1}")/>
                                    {(b.count > 0).then(|| view! {
                                        <text class="count" x=format!("{:.1}", x + bar_w / 2.0) y=format!("{:.1}", BOTTOM - h - 3.0)>{b.count}</text>
                                    })}
                                    <text class="axis-label x" x=format!("{:.1}", x + bar_w / 2.0) y=BOTTOM + 13.0>{label}</text>
                                </g>
                            }
                        }).collect_view()}
                        {markers.into_iter().map(|(x, label)| view! {
                            <g class="pmark">
                                <line x1=x x2=x y1=12.0 y2=BOTTOM/>
                                <text x=x + 3.0 y=10.0>{label}</text>
                            </g>
                        }).collect_view()}
                    </svg>
                }.into_any()
            }}
        </figure>
    }
}

#[component]
fn TransactionTable(
    rows: Rows,
    selected: RwSignal<Option<usize>>,
    select: impl Fn(usize) + Copy + Send + Sync + 'static,
    on_key: impl Fn(leptos::ev::KeyboardEvent) + Copy + Send + Sync + 'static,
    offset: RwSignal<usize>,
    around: RwSignal<Option<usize>>,
) -> impl IntoView {
    let (first, last) = (rows.offset, rows.offset + rows.rows.len());
    let matched = rows.matched;
    let more = last < matched;
    let range = if matched == 0 {
        "No transaction matches the filters.".to_string()
    } else {
        format!("Transactions {}–{last} of {matched}", first + 1)
    };
    view! {
        <div class="cap-table">
            <div class="pager">
                <span data-testid="rows-range">{range}</span>
                <button data-testid="rows-prev" disabled=first == 0
                    on:click=move |_| { around.set(None); offset.set(first.saturating_sub(PAGE)); }>"◀ previous"</button>
                <button data-testid="rows-next" disabled=!more
                    on:click=move |_| { around.set(None); offset.set(first + PAGE); }>"next ▶"</button>
            </div>
            <table data-testid="tx-table">
                <thead><tr>
                    <th>"when"</th><th>"client"</th><th>"name"</th><th>"type"</th>
                    <th>"rcode"</th><th>"latency"</th><th>"sent"</th><th>"frame"</th>
                </tr></thead>
                <tbody on:keydown=on_key>
                    {rows.rows.into_iter().map(|row| {
                        let i = row.index;
                        let t = row.transaction;
                        let class = Class::of(&t);
                        let axis = if t.time_us.is_some() { Axis::Time } else { Axis::Order };
                        let place = if t.line > 0 { format!("line {}", t.line) } else { format!("#{}", t.frame) };
                        view! {
                            <tr data-testid="tx-row" data-index=i data-rcode=class.label() tabindex="0"
                                class:selected=move || selected.get() == Some(i)
                                aria-selected=move || (selected.get() == Some(i)).to_string()
                                on:click=move |_| select(i)>
                                <td class="num">{fmt_x(row.x, axis)}</td>
                                <td title=format!("to {}", t.server)><code>{t.client.to_string()}</code></td>
                                <td class="name"><code>{t.name.to_string()}</code></td>
                                <td>{t.qtype.to_string()}</td>
                                <td><span class=format!("rc {}", class.css())>{class.label()}</span>{t.truncated.then_some(" TC")}</td>
                                <td class="num">{t.latency_us.map(fmt_us).unwrap_or_default()}</td>
                                <td class="num">{if t.queries_sent > 1 { format!("{}×", t.queries_sent) } else { String::new() }}</td>
                                <td class="num">{place}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

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
fn DetailPanel(
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
fn Strays(chart: Chart) -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_axis_is_logarithmic_and_clamped() {
        // One decade is a seventh of the plot (10 µs … 100 s).
        let decade = (PLOT_BOTTOM - PLOT_TOP) / 7.0;
        assert!((y_px(Some(10)) - PLOT_BOTTOM).abs() < 1e-9);
        assert!((y_px(Some(100)) - (PLOT_BOTTOM - decade)).abs() < 1e-9);
        assert!((y_px(Some(100_000_000)) - PLOT_TOP).abs() < 1e-9);
        assert_eq!(y_px(Some(0)), y_px(Some(10)));
        assert_eq!(y_px(Some(u64::MAX)), y_px(Some(100_000_000)));
        // The no-answer band is above the plot.
        assert!(y_px(None) < PLOT_TOP);
    }

    #[test]
    fn time_axis_spans_the_plot() {
        assert_eq!(x_px(0, 100), TL_LEFT);
        assert_eq!(x_px(100, 100), TL_W - TL_RIGHT);
        assert_eq!(x_px(5, 0), x_px(50, 100));
    }

    #[test]
    fn bins_tile_the_plot() {
        let cell = |column, row| Bin {
            column,
            row,
            counts: [1, 0, 0, 0, 0, 0],
            retried: 0,
        };
        let (x, y, w, h) = bin_rect(&cell(0, Some(0)));
        assert_eq!(x, TL_LEFT);
        assert!((y + h - PLOT_BOTTOM).abs() < 1e-9);
        let (x2, y2, _, h2) = bin_rect(&cell(BIN_COLUMNS as u16 - 1, Some(LATENCY_ROWS as u8 - 1)));
        assert!((x2 + w - (TL_W - TL_RIGHT)).abs() < 1e-9);
        assert!((y2 - PLOT_TOP).abs() < 1e-9 && (h2 - h).abs() < 1e-9);
        let (_, y3, _, h3) = bin_rect(&cell(3, None));
        assert_eq!((y3, h3), (BAND_TOP, BAND_H));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_us(110), "110 µs");
        assert_eq!(fmt_us(4_200), "4.20 ms");
        assert_eq!(fmt_us(5_000_868), "5.001 s");
        assert_eq!(fmt_x(2_513_000, Axis::Time), "+2.513 s");
        assert_eq!(fmt_x(207, Axis::Time), "+207 µs");
        assert_eq!(fmt_x(0, Axis::Order), "#1");
        let b = |le_us| Bucket { le_us, count: 1 };
        assert_eq!(bucket_label(&b(Some(10)), None), "≤10µs");
        assert_eq!(bucket_label(&b(Some(5_000)), Some(2_000)), "≤5ms");
        assert_eq!(bucket_label(&b(None), Some(20_000_000)), ">20s");
    }

    #[test]
    fn only_buckets_between_the_first_and_last_count_are_drawn() {
        let latency = Latency::of([15, 16, 4_000]);
        let shown: Vec<Option<u64>> = visible_buckets(&latency).iter().map(|b| b.le_us).collect();
        assert_eq!(
            shown,
            [
                Some(20),
                Some(50),
                Some(100),
                Some(200),
                Some(500),
                Some(1_000),
                Some(2_000),
                Some(5_000)
            ]
        );
        assert!(visible_buckets(&Latency::default()).is_empty());
    }

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
