//! One node's Service map as SVG, virtualized: the engine lays out only the Services near the viewport, the page
//! places them in a scroll area as tall as the whole (filtered) list. Zoom scales the drawing; zoomed out below
//! [`COMPACT_BELOW`] the map switches to one line per Service. Filters (namespace, name, address) run in the
//! engine. Boxes are buttons: Enter, Space or a click opens their lines in the source viewer.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::client;
use crate::protocol::map::{
    Detail, Filter, NodeInfo, Query, ServiceBlock, View, BOX_H, BOX_W, COMPACT_H, LABEL_GAP,
};
use crate::protocol::{Request, Response};
use crate::state::{AppState, ViewerTarget};

/// Below this zoom the map draws one line per Service.
pub const COMPACT_BELOW: f64 = 0.5;
/// Zoom limits.
pub const MIN_SCALE: f64 = 0.15;
/// Zoom limits.
pub const MAX_SCALE: f64 = 2.0;
/// The window asked for is the viewport rounded out to this many layout units, so small scrolls ask nothing new.
const CHUNK: f64 = 400.0;

/// The range (in layout units) to ask for when the viewport shows `top..top + height` (in pixels) at `scale`.
pub fn window(top_px: f64, height_px: f64, scale: f64) -> (f64, f64) {
    let scale = scale.max(MIN_SCALE);
    let from = (top_px / scale / CHUNK).floor() * CHUNK - CHUNK / 2.0;
    let to = ((top_px + height_px) / scale / CHUNK).ceil() * CHUNK + CHUNK / 2.0;
    (from.max(0.0), to)
}

/// The next zoom step in or out.
pub fn zoom_step(scale: f64, zoom_in: bool) -> f64 {
    let next = if zoom_in { scale * 1.25 } else { scale / 1.25 };
    next.clamp(MIN_SCALE, MAX_SCALE)
}

fn edge_path(from: (f64, f64), to: (f64, f64)) -> String {
    let dx = (to.0 - from.0) / 2.0;
    format!(
        "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
        from.0,
        from.1,
        from.0 + dx,
        from.1,
        to.0 - dx,
        to.1,
        to.0,
        to.1
    )
}

fn open_lines(state: AppState, source: String, lines: Vec<u32>) {
    if !lines.is_empty() {
        state.viewer.set(Some(ViewerTarget { source, lines }));
    }
}

fn activates(ev: &web_sys::KeyboardEvent) -> bool {
    matches!(ev.key().as_str(), "Enter" | " ")
}

fn full_block(state: AppState, b: ServiceBlock) -> impl IntoView {
    let source = b.source.clone();
    let marks = b.marks.join(" · ");
    view! {
        <g class="service" class:highlighted=b.highlighted data-testid="service" data-service=b.label.clone()
            data-protocol=b.protocol.clone() data-index=b.index.to_string() data-marks=marks>
            {b.edges.into_iter().map(|e| {
                let lx = e.to.0 - LABEL_GAP / 2.0;
                let labelled = !e.share_label.is_empty() || !e.rule_label.is_empty();
                view! {
                    <path class="edge" d=edge_path(e.from, e.to)/>
                    {labelled.then(|| view! {
                        <text class="edge-rule" x=format!("{lx:.1}") y=format!("{:.1}", e.to.1 - 6.0)>{e.rule_label}</text>
                        <text class="edge-share" data-testid="edge-share" x=format!("{lx:.1}") y=format!("{:.1}", e.to.1 + 13.0)>{e.share_label}</text>
                    })}
                }
            }).collect_view()}
            {b.boxes.into_iter().map(|bx| {
                let tip = match bx.lines.first() {
                    Some(line) => format!("{} — {source}:{line}", bx.title),
                    None => bx.title.clone(),
                };
                let (src_click, src_key) = (source.clone(), source.clone());
                let (lines_click, lines_key) = (bx.lines.clone(), bx.lines.clone());
                let clickable = !bx.lines.is_empty();
                let aria = tip.clone();
                view! {
                    <g class=bx.kind.class() class:highlighted=bx.highlighted data-testid=bx.kind.testid()
                        tabindex=clickable.then_some("0") role=clickable.then_some("button")
                        aria-label=aria
                        on:click=move |_| open_lines(state, src_click.clone(), lines_click.clone())
                        on:keydown=move |ev| if activates(&ev) { ev.prevent_default(); open_lines(state, src_key.clone(), lines_key.clone()) }>
                        <title>{tip}</title>
                        <rect x=format!("{:.1}", bx.x) y=format!("{:.1}", bx.y) width=BOX_W.to_string() height=BOX_H.to_string() rx="6"/>
                        <text class="box-title" x=format!("{:.1}", bx.x + 10.0) y=format!("{:.1}", bx.y + 17.0)>{bx.title}</text>
                        <text class="box-sub" x=format!("{:.1}", bx.x + 10.0) y=format!("{:.1}", bx.y + 32.0)>{bx.subtitle}</text>
                    </g>
                }
            }).collect_view()}
        </g>
    }
}

fn compact_block(state: AppState, b: ServiceBlock) -> impl IntoView {
    let y = b.y;
    let shares = b.shares.join(" ");
    let problems = b.problems.join("; ");
    let bad = !b.problems.is_empty();
    let source = b.source.clone();
    let line = b.line.clone();
    let lines = b.lines.clone();
    let label = b.label.clone();
    view! {
        <g class="service compact" class:bad=bad class:highlighted=b.highlighted data-testid="service"
            data-service=b.label.clone() data-protocol=b.protocol.clone() data-index=b.index.to_string()
            tabindex="0" role="button" aria-label=line.clone()
            on:click={
                let (source, lines) = (source.clone(), lines.clone());
                move |_| open_lines(state, source.clone(), lines.clone())
            }
            on:keydown=move |ev| if activates(&ev) { ev.prevent_default(); open_lines(state, source.clone(), lines.clone()) }>
            <title>{line.clone()}</title>
            <rect class="row" x="8" y=format!("{:.1}", y + 1.0) width="1184" height=format!("{:.1}", COMPACT_H - 2.0) rx="3"/>
            <text class="row-label" x="16" y=format!("{:.1}", y + 15.0)>{label}</text>
            <text class="row-line" x="330" y=format!("{:.1}", y + 15.0)>{line.split("  ").skip(1).collect::<Vec<_>>().join("  ")}</text>
            <text class="row-shares" data-testid="edge-share" x="720" y=format!("{:.1}", y + 15.0)>{shares}</text>
            {bad.then(|| view! { <text class="row-problem" data-testid="problem" x="860" y=format!("{:.1}", y + 15.0)>{problems}</text> })}
        </g>
    }
}

/// One map's scroll area: its zoom, where it is scrolled, and a drag in progress.
#[derive(Debug, Clone, Copy)]
struct Viewport {
    el: NodeRef<leptos::html::Div>,
    scale: RwSignal<f64>,
    scroll_top: RwSignal<f64>,
    height: RwSignal<f64>,
    /// The scale the drawing is rendered at: the zoom, or 1 for the compact lines (the level of detail is the zoom).
    render: Memo<f64>,
    /// The range of the list to ask for: the viewport rounded out to whole chunks (a small scroll asks nothing new).
    range: Memo<(f64, f64)>,
    detail: Memo<Detail>,
    /// Where to put the scroll bar once the next view (of a new height) arrives: a fraction of the list.
    pending_fraction: StoredValue<Option<f64>>,
    pending_highlight: StoredValue<bool>,
    /// Where a drag started: pointer x and y, scroll left and top.
    drag: StoredValue<Option<(f64, f64, f64, f64)>>,
}

impl Viewport {
    fn new() -> Self {
        let scale = RwSignal::new(1.0_f64);
        let detail = Memo::new(move |_| {
            if scale.get() < COMPACT_BELOW {
                Detail::Compact
            } else {
                Detail::Full
            }
        });
        let render = Memo::new(move |_| match detail.get() {
            Detail::Compact => 1.0,
            Detail::Full => scale.get(),
        });
        let scroll_top = RwSignal::new(0.0);
        let height = RwSignal::new(560.0);
        let range = Memo::new(move |_| window(scroll_top.get(), height.get(), render.get()));
        Viewport {
            el: NodeRef::new(),
            scale,
            scroll_top,
            height,
            render,
            range,
            detail,
            pending_fraction: StoredValue::new(None),
            pending_highlight: StoredValue::new(false),
            drag: StoredValue::new(None),
        }
    }

    /// A new view arrived: after a zoom that changed the list's height, or a new highlight, moves the scroll bar.
    fn arrived(self, v: &View, highlight_cleared: bool) {
        let Some(el) = self.el.get() else { return };
        let s = self.render.get_untracked();
        if let Some(fraction) = self.pending_fraction.get_value() {
            self.pending_fraction.set_value(None);
            let top = fraction * v.height * s - el.client_height() as f64 / 2.0;
            el.set_scroll_top(top.max(0.0) as i32);
        }
        if self.pending_highlight.get_value() {
            if let Some((_, y)) = v.first_highlight {
                self.pending_highlight.set_value(false);
                el.set_scroll_top(((y - 20.0) * s).max(0.0) as i32);
            } else if highlight_cleared {
                self.pending_highlight.set_value(false);
            }
        }
    }

    /// Zooms to `next`, keeping the middle of what is shown in the middle (`height`: the list's, at scale 1).
    fn set_scale(self, next: f64, height: f64) {
        let Some(el) = self.el.get_untracked() else {
            self.scale.set(next);
            return;
        };
        if (next - self.scale.get_untracked()).abs() < 1e-9 {
            return;
        }
        let old = self.render.get_untracked();
        let center = (el.scroll_top() as f64 + el.client_height() as f64 / 2.0) / old;
        self.pending_fraction
            .set_value(Some(center / height.max(1.0)));
        let center_x = (el.scroll_left() as f64 + el.client_width() as f64 / 2.0) / old;
        self.scale.set(next);
        let new = self.render.get_untracked();
        el.set_scroll_left((center_x * new - el.client_width() as f64 / 2.0).max(0.0) as i32);
    }

    fn on_scroll(self) {
        if let Some(el) = self.el.get_untracked() {
            self.scroll_top.set(el.scroll_top() as f64);
            self.height.set(el.client_height() as f64);
        }
    }

    fn reset_scroll(self) {
        if let Some(el) = self.el.get_untracked() {
            el.set_scroll_top(0);
        }
        self.scroll_top.set(0.0);
    }

    /// A drag starts on the background (not on a box).
    fn drag_start(self, ev: &web_sys::PointerEvent) {
        let on_background = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| e.closest(".box, .compact").ok().flatten().is_none());
        if ev.button() != 0 || !on_background {
            return;
        }
        if let Some(el) = self.el.get_untracked() {
            self.drag.set_value(Some((
                ev.client_x() as f64,
                ev.client_y() as f64,
                el.scroll_left() as f64,
                el.scroll_top() as f64,
            )));
            el.class_list().add_1("dragging").ok();
        }
    }

    fn drag_move(self, ev: &web_sys::PointerEvent) {
        if let (Some((x0, y0, left, top)), Some(el)) =
            (self.drag.get_value(), self.el.get_untracked())
        {
            el.set_scroll_left((left - (ev.client_x() as f64 - x0)) as i32);
            el.set_scroll_top((top - (ev.client_y() as f64 - y0)) as i32);
        }
    }

    fn drag_end(self) {
        self.drag.set_value(None);
        if let Some(el) = self.el.get_untracked() {
            el.class_list().remove_1("dragging").ok();
        }
    }
}

/// The map of one node, with its own filters, zoom and scroll.
#[component]
pub fn NodeMap(node: NodeInfo) -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = node.name.clone();
    let namespace = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let ip = RwSignal::new(String::new());
    let vp = Viewport::new();
    let filter = Memo::new(move |_| Filter {
        namespace: namespace.get(),
        name: search.get(),
        ip: ip.get(),
    });
    Effect::new(move |_| {
        state.highlight.track();
        vp.pending_highlight.set_value(true);
    });
    let node_name = node.name.clone();
    let view_res = LocalResource::new(move || {
        let (y_from, y_to) = vp.range.get();
        let query = Query {
            node: node_name.clone(),
            filter: filter.get(),
            detail: vp.detail.get(),
            y_from,
            y_to,
            highlight: state.highlight.get(),
        };
        let _generation = state.summary.with(|s| s.as_ref().map(|s| s.generation));
        async move {
            match client::call(Request::Map(query), |_| {}).await {
                Response::Map(view) => Some(view),
                _ => None,
            }
        }
    });
    let current = Memo::new(move |_| view_res.get().flatten());
    Effect::new(move |_| {
        if let Some(v) = current.get() {
            vp.arrived(&v, state.highlight.with_untracked(Vec::is_empty));
        }
    });

    let set_scale = move |next: f64| {
        let height = current.get_untracked().map_or(1.0, |v| v.height);
        vp.set_scale(next, height);
    };
    let zoom = move |zoom_in: bool| set_scale(zoom_step(vp.scale.get_untracked(), zoom_in));
    let on_wheel = move |ev: web_sys::WheelEvent| {
        if ev.ctrl_key() || ev.meta_key() {
            ev.prevent_default();
            zoom(ev.delta_y() < 0.0);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let target_is_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if target_is_field {
            return;
        }
        match ev.key().as_str() {
            "+" | "=" => {
                ev.prevent_default();
                zoom(true)
            }
            "-" | "_" => {
                ev.prevent_default();
                zoom(false)
            }
            "0" => {
                ev.prevent_default();
                set_scale(1.0)
            }
            _ => {}
        }
    };

    let total = node.services;
    let counts = move || match current.get() {
        Some(v) if v.matched != v.total => format!("{} of {} Service ports", v.matched, v.total),
        Some(v) => format!("{} Service ports", v.total),
        None => format!("{total} Service ports"),
    };
    let namespaces = node.namespaces.clone();
    view! {
        <section class="node" data-testid="node" data-source=name.clone()>
            <div class="map-head">
                <h2>"Node " <code>{name.clone()}</code></h2>
                <span class="map-count" data-testid="map-count">{counts}</span>
            </div>
            <div class="map-tools" role="toolbar" aria-label="Map filters and zoom">
                <label>"Namespace "
                    <select data-testid="filter-namespace" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        namespace.set((!v.is_empty()).then(|| v.trim_start_matches('=').to_string()));
                        vp.reset_scroll();
                    }>
                        <option value="">"all"</option>
                        {namespaces.into_iter().map(|(ns, n)| {
                            let shown = if ns.is_empty() { "(none)".to_string() } else { ns.clone() };
                            view! { <option value=format!("={ns}")>{format!("{shown} ({n})")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Service "
                    <input type="search" data-testid="filter-name" data-shortcut="search" placeholder="name" on:input=move |ev| {
                        search.set(event_target_value(&ev));
                        vp.reset_scroll();
                    }/>
                </label>
                <label>"Address "
                    <input type="search" data-testid="filter-ip" placeholder="VIP, endpoint, port" on:input=move |ev| {
                        ip.set(event_target_value(&ev));
                        vp.reset_scroll();
                    }/>
                </label>
                <span class="zoom">
                    <button data-testid="zoom-out" title="Zoom out (-)" aria-label="Zoom out" on:click=move |_| zoom(false)>"−"</button>
                    <span class="zoom-level" data-testid="zoom-level">{move || format!("{:.0}%", vp.scale.get() * 100.0)}</span>
                    <button data-testid="zoom-in" title="Zoom in (+)" aria-label="Zoom in" on:click=move |_| zoom(true)>"+"</button>
                    <button data-testid="zoom-reset" title="Actual size (0)" on:click=move |_| set_scale(1.0)>"100%"</button>
                </span>
            </div>
            <div class="map-viewport" node_ref=vp.el tabindex="0" data-testid="map-viewport"
                aria-label="Service map: scroll or drag to pan, + and - to zoom, 0 for actual size"
                on:scroll=move |_| vp.on_scroll() on:wheel=on_wheel on:keydown=on_key
                on:pointerdown=move |ev| vp.drag_start(&ev) on:pointermove=move |ev| vp.drag_move(&ev)
                on:pointerup=move |_| vp.drag_end() on:pointerleave=move |_| vp.drag_end()>
                {move || drawing(state, vp, current.get())}
            </div>
        </section>
    }
}

/// The drawing of the view that arrived last (the blocks near the viewport, in a spacer as tall as the list).
fn drawing(state: AppState, vp: Viewport, current: Option<View>) -> AnyView {
    let Some(v) = current else {
        return view! { <p class="empty">"Laying out…"</p> }.into_any();
    };
    let View {
        width,
        height,
        y_from,
        y_to,
        columns,
        blocks,
        matched,
        ..
    } = v;
    if matched == 0 {
        return view! { <p class="empty" data-testid="map-empty">"No Service matches the filters."</p> }.into_any();
    }
    let s = vp.render.get();
    // The view's own range, not the newest one asked for: until its answer arrives, the blocks on screen are
    // the previous window's and must stay where they belong.
    let y_to = y_to.min(height).max(y_from + 1.0);
    let compact = vp.detail.get() == Detail::Compact;
    view! {
        <div class="map-spacer" style=format!("height:{:.0}px;width:{:.0}px", height * s, width * s)>
            <svg class="graph" data-testid="graph" role="img" aria-label="Service routing map"
                style=format!("top:{:.0}px", y_from * s)
                width=format!("{:.0}", width * s) height=format!("{:.0}", (y_to - y_from) * s)
                viewBox=format!("0 {y_from:.1} {width:.1} {:.1}", y_to - y_from)>
                {columns.into_iter().map(|(t, x)| view! {
                    <text class="col-title" x=format!("{:.1}", x + BOX_W / 2.0) y="30">{t}</text>
                }).collect_view()}
                {blocks.into_iter().map(|b| if compact {
                    compact_block(state, b).into_any()
                } else {
                    full_block(state, b).into_any()
                }).collect_view()}
            </svg>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_in_whole_chunks() {
        let (from, to) = window(0.0, 560.0, 1.0);
        assert_eq!((from, to), (0.0, 1000.0));
        // Scrolling within a chunk asks for the same window.
        assert_eq!(window(100.0, 560.0, 1.0), (0.0, 1000.0));
        let (from, to) = window(10_000.0, 560.0, 0.5);
        assert!(from <= 20_000.0 && to >= 21_120.0, "{from}..{to}");
    }

    #[test]
    fn zoom_steps_stay_in_bounds() {
        assert!(zoom_step(1.0, true) > 1.0);
        assert!(zoom_step(1.0, false) < COMPACT_BELOW + 0.31);
        assert_eq!(zoom_step(MAX_SCALE, true), MAX_SCALE);
        assert_eq!(zoom_step(MIN_SCALE, false), MIN_SCALE);
    }
}
