//! The captures' timeline and latency histogram: their geometry (plain functions, tested natively) and their SVG.
//!
//! The timeline draws latency against time, coloured by rcode, retries ringed, unanswered crossed in their own band
//! (or binned); the histogram marks p50/p90/p99.

use dnatlas_core::capture::{Bucket, Latency};
use leptos::prelude::*;

use crate::protocol::captures::{Axis, Bin, Chart, Class, Mark, BIN_COLUMNS, LATENCY_ROWS};

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

/// A latency for people: `110 µs`, `4.20 ms`, `5.001 s` (the core's one form for the captures view).
pub use dnatlas_core::format::latency_fine as fmt_us;

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
pub(super) fn Timeline(
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
pub(super) fn Histogram(latency: Latency, matched: usize) -> impl IntoView {
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
}
