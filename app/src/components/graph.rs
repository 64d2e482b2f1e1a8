//! One node's Service graph as SVG: VIP → KUBE-SVC → KUBE-SEP → endpoint, edges labelled with rule probability
//! and effective share.

use dnatlas_core::Service;
use leptos::prelude::*;

use crate::client;
use crate::engine::map::Query;
use crate::layout::{self, BOX_H, BOX_W, LABEL_GAP};
use crate::protocol::{Request, Response};
use crate::state::AppState;

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

/// The graph of the services read from input `source`.
#[component]
pub fn NodeGraph(source: String) -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = source.clone();
    let title = source.clone();
    let window = LocalResource::new(move || {
        let node = source.clone();
        let _generation = state.summary.with(|s| s.as_ref().map(|s| s.generation));
        async move {
            let query = Query {
                node,
                offset: 0,
                limit: 500,
            };
            match client::call(Request::Map(query), |_| {}).await {
                Response::Map(view) => view.services,
                _ => Vec::new(),
            }
        }
    });
    let drawing = Memo::new(move |_| {
        let services = window.get().unwrap_or_default();
        let services: Vec<&Service> = services.iter().collect();
        layout::layout(&services)
    });
    let titles = ["Service VIP", "Service chain", "Endpoint chain", "Endpoint"];
    view! {
        <section class="node" data-testid="node" data-source=name.clone()>
            <h2>"Node dump " <code>{title}</code></h2>
            <div class="graph-scroll">
                {move || {
                    let l = drawing.get();
                    if l.blocks.is_empty() {
                        return view! { <p class="empty">"No Service ports found in this dump."</p> }.into_any();
                    }
                    view! {
                        <svg class="graph" data-testid="graph" role="img" aria-label="Service routing graph"
                            viewBox=format!("0 0 {:.0} {:.0}", l.width, l.height)
                            style=format!("max-width: {:.0}px", l.width)>
                            {titles.iter().enumerate().map(|(i, t)| view! {
                                <text class="col-title" x=format!("{:.1}", layout::column_x(i as u32) + BOX_W / 2.0) y="24">{*t}</text>
                            }).collect_view()}
                            {l.blocks.into_iter().map(|b| view! {
                                <g class="service" data-testid="service" data-service=b.label.clone() data-protocol=b.protocol.clone()>
                                    {b.edges.into_iter().map(|e| {
                                        let lx = e.to.0 - LABEL_GAP / 2.0;
                                        view! {
                                            <path class="edge" d=edge_path(e.from, e.to)/>
                                            <text class="edge-rule" x=format!("{lx:.1}") y=format!("{:.1}", e.to.1 - 6.0)>{e.rule_label}</text>
                                            <text class="edge-share" data-testid="edge-share" x=format!("{lx:.1}") y=format!("{:.1}", e.to.1 + 13.0)>{e.share_label}</text>
                                        }
                                    }).collect_view()}
                                    {b.boxes.into_iter().map(|bx| {
                                        let tip = match bx.line {
                                            Some(line) => format!("{} — line {line}", bx.title),
                                            None => bx.title.clone(),
                                        };
                                        let testid = match bx.kind {
                                            layout::BoxKind::Endpoint => "endpoint",
                                            layout::BoxKind::Vip => "vip",
                                            layout::BoxKind::ServiceChain => "service-chain",
                                            layout::BoxKind::EndpointChain => "endpoint-chain",
                                            layout::BoxKind::Problem => "problem",
                                        };
                                        view! {
                                            <g class=bx.kind.class() data-testid=testid>
                                                <title>{tip}</title>
                                                <rect x=format!("{:.1}", bx.x) y=format!("{:.1}", bx.y) width=BOX_W.to_string() height=BOX_H.to_string() rx="6"/>
                                                <text class="box-title" x=format!("{:.1}", bx.x + 10.0) y=format!("{:.1}", bx.y + 17.0)>{bx.title}</text>
                                                <text class="box-sub" x=format!("{:.1}", bx.x + 10.0) y=format!("{:.1}", bx.y + 32.0)>{bx.subtitle}</text>
                                            </g>
                                        }
                                    }).collect_view()}
                                </g>
                            }).collect_view()}
                        </svg>
                    }.into_any()
                }}
            </div>
        </section>
    }
}
