//! Map layout: pure functions from one Service port to positioned boxes and edges in SVG coordinates.
//!
//! The engine lays out only the Services a window shows, each at the `y` its place in the (filtered) list gives it,
//! so the page draws numbers and never measures anything. Columns, left to right: the ways in (cluster IP, NodePorts,
//! external and load-balancer IPs), the entry chains an outside client passes (`KUBE-FW`/`KUBE-EXT`/`KUBE-XLB`; the
//! column exists only when the node has some), the service chain (`KUBE-SVC`/`KUBE-SVL`), the endpoint chains
//! (`KUBE-SEP`) and the endpoints (named by their pod when kubectl says). Zoomed out, [`Detail::Compact`] draws one
//! line per Service port instead. Which boxes are problems is the core's lint's decision
//! ([`dnatlas_core::lint::map`]); this module places them and words them ([`labels`]).
//!
//! This module holds the geometry of the list (columns, block heights); [`block`] lays out one block.

pub mod block;
pub mod labels;
#[cfg(test)]
mod tests;

pub use dnatlas_core::diagnostic::percent;
use dnatlas_core::lint::map::unrouted;
use dnatlas_core::model::services::EntryPoint;
use dnatlas_core::Service;

use crate::protocol::map::{Detail, BOX_H, BOX_W, COMPACT_H, LABEL_GAP};

/// Vertical distance between rows.
pub const ROW_H: f64 = 50.0;
/// Gap between a Service's block and the next.
pub const BLOCK_GAP: f64 = 22.0;
/// Gap between columns whose edges carry no label.
pub const GAP: f64 = 34.0;
/// Margin around the drawing.
pub const MARGIN: f64 = 16.0;
/// Height reserved for column titles.
pub const HEADER_H: f64 = 30.0;
/// The most endpoints a Service's block draws one by one; past it, the first [`SHOWN_ENDPOINTS`] are drawn and one
/// row sums up the rest (a Service with 10,000 endpoints would otherwise be 40,000 boxes and edges, and block the
/// page for seconds). The source viewer still lists every endpoint's lines.
pub const MAX_ENDPOINT_ROWS: usize = 40;
/// Endpoints drawn before the summary row of a Service with more than [`MAX_ENDPOINT_ROWS`].
pub const SHOWN_ENDPOINTS: usize = 30;
/// The most endpoint problems listed one by one on a Service; past it, one line counts the rest.
pub const MAX_ENDPOINT_PROBLEMS: usize = 10;
/// The most shares listed in a block's compact line; past it, the line says how many more there are.
pub const MAX_LISTED_SHARES: usize = 12;

/// Left edge of each column in [`Detail::Full`]; the entry-chain column is dropped when `entry_chains` is false.
pub fn columns(entry_chains: bool) -> Vec<(&'static str, f64)> {
    let mut out = Vec::with_capacity(5);
    let mut x = MARGIN;
    out.push(("Entry", x));
    x += BOX_W + GAP;
    if entry_chains {
        out.push(("Entry chain", x));
        x += BOX_W + GAP;
    }
    out.push(("Service chain", x));
    x += BOX_W + LABEL_GAP;
    out.push(("Endpoint chain", x));
    x += BOX_W + GAP;
    out.push(("Endpoint", x));
    out
}

/// Width of the drawing in [`Detail::Full`].
pub fn width(entry_chains: bool) -> f64 {
    columns(entry_chains)
        .last()
        .map_or(0.0, |(_, x)| x + BOX_W + MARGIN)
}

/// `ip:port`, with brackets for IPv6 (the core's one form).
pub use dnatlas_core::format::address;

/// Whether an entry point's way passes chains of its own before the service chain.
pub(crate) fn has_entry_chain(s: &Service, e: &EntryPoint) -> bool {
    let own = s.chain.as_deref();
    e.path.first().map(String::as_str) != own && e.chain.as_str() != own.unwrap_or("")
        || !e.endpoints.is_empty()
        || e.no_local_endpoints
}

/// Whether any of these Services needs the entry-chain column.
pub fn needs_entry_chains<'a>(services: impl IntoIterator<Item = &'a Service>) -> bool {
    services
        .into_iter()
        .any(|s| s.entry_points.iter().any(|e| has_entry_chain(s, e)))
}

/// Rows a Service takes in [`Detail::Full`].
fn rows(s: &Service) -> usize {
    let right = endpoint_rows(s).max(1) + usize::from(unrouted(s).is_some());
    right.max(1 + s.entry_points.len())
}

/// How many endpoints a block draws one by one, and how many it sums up in one row.
pub fn drawn_endpoints(s: &Service) -> (usize, usize) {
    let n = s.endpoints.len();
    if n > MAX_ENDPOINT_ROWS {
        (SHOWN_ENDPOINTS, n - SHOWN_ENDPOINTS)
    } else {
        (n, 0)
    }
}

/// Endpoint rows of a block: the endpoints drawn, and the summary row if there is one.
pub(crate) fn endpoint_rows(s: &Service) -> usize {
    let (shown, rest) = drawn_endpoints(s);
    shown + usize::from(rest > 0)
}

/// Height of a Service's block (without the gap after it).
pub fn block_height(s: &Service, detail: Detail) -> f64 {
    match detail {
        Detail::Compact => COMPACT_H,
        Detail::Full => rows(s) as f64 * ROW_H - (ROW_H - BOX_H),
    }
}

/// Vertical space a Service takes in the list, gap included.
pub fn block_pitch(s: &Service, detail: Detail) -> f64 {
    match detail {
        Detail::Compact => COMPACT_H,
        Detail::Full => block_height(s, detail) + BLOCK_GAP,
    }
}

/// Top of the first block.
pub fn top(detail: Detail) -> f64 {
    match detail {
        Detail::Compact => MARGIN,
        Detail::Full => MARGIN + HEADER_H,
    }
}

/// Every input line a Service's boxes stand on.
pub fn service_lines(s: &Service) -> Vec<u32> {
    let mut lines = vec![s.line];
    lines.extend(s.reject_line);
    for e in &s.endpoints {
        lines.push(e.line);
        lines.extend(e.dnat_line);
    }
    for e in &s.entry_points {
        lines.push(e.line);
        lines.extend(e.firewall_drop_line);
        for ep in &e.endpoints {
            lines.push(ep.line);
            lines.extend(ep.dnat_line);
        }
    }
    lines
}
