//! One Service port's block: its boxes and edges at full detail, or its one line when zoomed out.
//!
//! The boxes lint found a problem on are drawn as problems.

use dnatlas_core::lint::map::{problems, MapProblem, MapProblemKind, NoEndpoints};
use dnatlas_core::model::services::{Endpoint, EntryPoint};
use dnatlas_core::Service;

use super::labels::{
    entry_name, listed_shares, marks, problem_lines, service_label, short_probability, summary_line,
};
use super::{
    address, block_height, columns, drawn_endpoints, endpoint_rows, has_entry_chain, percent,
    MARGIN, ROW_H,
};
use crate::protocol::map::{BoxKind, Detail, GraphBox, GraphEdge, ServiceBlock, BOX_H, BOX_W};

/// What laying out a block needs besides its Service: the map's level of detail and columns, who the endpoints
/// are, and what is highlighted.
pub struct BlockContext<'a> {
    /// Boxes, or one line.
    pub detail: Detail,
    /// Whether the node's map has the entry-chain column.
    pub entry_chains: bool,
    /// Names an endpoint's pod (`ip`, `port`) when the inputs say.
    pub pod_of: &'a dyn Fn(&str, Option<u16>) -> Option<String>,
    /// Whether a line of the Service's input is highlighted.
    pub highlight: &'a dyn Fn(u32) -> bool,
}

impl std::fmt::Debug for BlockContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockContext")
            .field("detail", &self.detail)
            .field("entry_chains", &self.entry_chains)
            .finish_non_exhaustive()
    }
}

/// Lays out one Service port, the `index`-th of the filtered list, at `y`.
pub fn block(s: &Service, index: usize, y: f64, cx: &BlockContext<'_>) -> ServiceBlock {
    let label = service_label(s);
    let found = problems(s);
    let mut block = ServiceBlock {
        index,
        label: label.clone(),
        protocol: s.protocol.clone(),
        source: s.source.clone(),
        y,
        height: block_height(s, cx.detail),
        marks: marks(s),
        boxes: Vec::new(),
        edges: Vec::new(),
        line: summary_line(s, &label),
        shares: listed_shares(s),
        problems: problem_lines(s, &found),
        highlighted: super::service_lines(s).into_iter().any(cx.highlight),
        lines: std::iter::once(s.line).chain(s.reject_line).collect(),
    };
    if cx.detail == Detail::Compact {
        return block;
    }
    let mut full = Full::new(s, &block, cx, &found);
    full.ways_in();
    full.endpoints();
    let Full {
        mut boxes,
        edges,
        chain_box,
        ..
    } = full;
    boxes.insert(1, chain_box);
    for b in &mut boxes {
        b.highlighted = b.lines.iter().any(|l| (cx.highlight)(*l));
    }
    block.boxes = boxes;
    block.edges = edges;
    block
}

/// Left edges of the columns a block draws in.
struct Columns {
    entry: f64,
    entry_chain: f64,
    service_chain: f64,
    endpoint_chain: f64,
    endpoint: f64,
}

impl Columns {
    fn of(entry_chains: bool) -> Self {
        let cols = columns(entry_chains);
        let col = |title: &str| {
            cols.iter()
                .find(|(t, _)| *t == title)
                .map_or(MARGIN, |(_, x)| *x)
        };
        Columns {
            entry: col("Entry"),
            entry_chain: col("Entry chain"),
            service_chain: col("Service chain"),
            endpoint_chain: col("Endpoint chain"),
            endpoint: col("Endpoint"),
        }
    }
}

/// The problems lint found, by the box they belong to.
#[derive(Default)]
struct Red {
    no_endpoints: Option<(NoEndpoints, u32)>,
    chain_not_defined: bool,
    no_chain: bool,
    chain_hash: bool,
    unrouted: Option<(f64, u32)>,
    /// Per endpoint drawn: its chain's name is foreign, it has no DNAT.
    endpoints: Vec<(bool, bool)>,
    /// Per way in: no local endpoint, a chain not defined, a foreign chain name.
    entries: Vec<(bool, bool, bool)>,
}

impl Red {
    fn of(s: &Service, found: &[MapProblem<'_>]) -> Self {
        let mut red = Red {
            endpoints: vec![(false, false); drawn_endpoints(s).0],
            entries: vec![(false, false, false); s.entry_points.len()],
            ..Red::default()
        };
        for p in found {
            match p.kind {
                MapProblemKind::NoEndpoints(why) => red.no_endpoints = Some((why, p.line)),
                MapProblemKind::ServiceChainNotDefined => red.chain_not_defined = true,
                MapProblemKind::NoServiceChain => red.no_chain = true,
                MapProblemKind::ServiceChainHashMismatch => red.chain_hash = true,
                MapProblemKind::Unrouted { share } => red.unrouted = Some((share, p.line)),
                MapProblemKind::EndpointHashMismatch { endpoint } => {
                    if let Some(e) = red.endpoints.get_mut(endpoint) {
                        e.0 = true;
                    }
                }
                MapProblemKind::EndpointWithoutDnat { endpoint } => {
                    if let Some(e) = red.endpoints.get_mut(endpoint) {
                        e.1 = true;
                    }
                }
                MapProblemKind::NoLocalEndpoint { entry } => {
                    if let Some(e) = red.entries.get_mut(entry) {
                        e.0 = true;
                    }
                }
                MapProblemKind::EntryChainNotDefined { entry } => {
                    if let Some(e) = red.entries.get_mut(entry) {
                        e.1 = true;
                    }
                }
                MapProblemKind::EntryChainHashMismatch { entry } => {
                    if let Some(e) = red.entries.get_mut(entry) {
                        e.2 = true;
                    }
                }
            }
        }
        red
    }
}

fn kind(problem: bool, otherwise: BoxKind) -> BoxKind {
    if problem {
        BoxKind::Problem
    } else {
        otherwise
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn boxed(
    kind: BoxKind,
    (x, y): (f64, f64),
    title: String,
    subtitle: String,
    lines: Vec<u32>,
) -> GraphBox {
    GraphBox {
        kind,
        x,
        y,
        title,
        subtitle,
        lines,
        highlighted: false,
    }
}

fn edge(from: &GraphBox, to: &GraphBox, rule_label: String, share_label: String) -> GraphEdge {
    GraphEdge {
        from: (from.x + BOX_W, from.y + BOX_H / 2.0),
        to: (to.x, to.y + BOX_H / 2.0),
        rule_label,
        share_label,
    }
}

fn plain_edge(from: &GraphBox, to: &GraphBox) -> GraphEdge {
    edge(from, to, String::new(), String::new())
}

/// A block at full detail, as it is built: the cluster IP and the service chain first, then the ways in on the
/// left and the endpoints on the right, each column centred on the block.
struct Full<'a> {
    s: &'a Service,
    cx: &'a BlockContext<'a>,
    red: Red,
    x: Columns,
    /// Top of the left column (the cluster IP, then the ways in) and of the right one (the endpoint rows).
    left_top: f64,
    right_top: f64,
    boxes: Vec<GraphBox>,
    edges: Vec<GraphEdge>,
    chain_box: GraphBox,
}

impl<'a> Full<'a> {
    fn new(
        s: &'a Service,
        block: &ServiceBlock,
        cx: &'a BlockContext<'a>,
        found: &[MapProblem<'_>],
    ) -> Self {
        let red = Red::of(s, found);
        let x = Columns::of(cx.entry_chains);
        let (y, height) = (block.y, block.height);
        let centred = |rows: usize| y + (height - (rows as f64 * ROW_H - (ROW_H - BOX_H))) / 2.0;
        let right_top = centred(endpoint_rows(s).max(1) + usize::from(red.unrouted.is_some()));
        let left_top = centred(1 + s.entry_points.len());
        let chain_box = service_chain_box(s, &red, (x.service_chain, centred(1)), &block.marks);
        let vip = boxed(
            BoxKind::Vip,
            (x.entry, left_top),
            format!(
                "{} {}",
                address(s.cluster_ip.as_deref().unwrap_or("?"), s.port),
                s.protocol
            ),
            format!("cluster IP · {}", block.label),
            vec![s.line],
        );
        let edges = vec![plain_edge(&vip, &chain_box)];
        Full {
            s,
            cx,
            red,
            x,
            left_top,
            right_top,
            boxes: vec![vip],
            edges,
            chain_box,
        }
    }

    /// The other ways in, under the cluster IP, each through its entry chains when the map draws them.
    fn ways_in(&mut self) {
        for (i, e) in self.s.entry_points.iter().enumerate() {
            let row_y = self.left_top + (i + 1) as f64 * ROW_H;
            let entry = boxed(
                BoxKind::Entry,
                (self.x.entry, row_y),
                entry_name(e),
                entry_subtitle(e),
                vec![e.line],
            );
            if self.cx.entry_chains && has_entry_chain(self.s, e) {
                let (no_local, not_defined, foreign) =
                    self.red.entries.get(i).copied().unwrap_or_default();
                let ext = entry_chain_box(
                    self.s,
                    e,
                    (self.x.entry_chain, row_y),
                    (no_local, not_defined, foreign),
                );
                self.edges.push(plain_edge(&entry, &ext));
                // Without a local endpoint, an outside client's traffic goes no further.
                if !no_local {
                    self.edges.push(plain_edge(&ext, &self.chain_box));
                }
                self.boxes.push(ext);
            } else {
                self.edges.push(plain_edge(&entry, &self.chain_box));
            }
            self.boxes.push(entry);
        }
    }

    /// The endpoint rows: the "no endpoints" box, each endpoint drawn, the row that sums up the rest, and the
    /// share that falls through.
    fn endpoints(&mut self) {
        if let Some((why, line)) = self.red.no_endpoints {
            let (subtitle, lines) = match why {
                NoEndpoints::Rejected => (format!("filter REJECT, line {line}"), vec![line]),
                NoEndpoints::ChainNotDefined => ("endpoints unknown".to_string(), Vec::new()),
                NoEndpoints::Nothing => ("nothing to route to".to_string(), Vec::new()),
            };
            let reason = boxed(
                BoxKind::Problem,
                (self.x.endpoint_chain, self.right_top),
                "no endpoints".to_string(),
                subtitle,
                lines,
            );
            self.edges.push(plain_edge(&self.chain_box, &reason));
            self.boxes.push(reason);
        }
        let (shown, rest) = drawn_endpoints(self.s);
        for (i, e) in self.s.endpoints.iter().take(shown).enumerate() {
            self.endpoint(i, e);
        }
        if rest > 0 {
            self.rest(shown, rest);
        }
        if let Some((share, line)) = self.red.unrouted {
            let row_y = self.right_top + endpoint_rows(self.s) as f64 * ROW_H;
            let lost = boxed(
                BoxKind::Problem,
                (self.x.endpoint_chain, row_y),
                "unrouted".to_string(),
                format!("falls through after line {line}"),
                vec![line],
            );
            self.edges
                .push(edge(&self.chain_box, &lost, String::new(), percent(share)));
            self.boxes.push(lost);
        }
    }

    /// The `i`-th endpoint's row: its chain, with the rule's probability and the share on the edge, and its pod.
    fn endpoint(&mut self, i: usize, e: &Endpoint) {
        let row_y = self.right_top + i as f64 * ROW_H;
        let (foreign, no_dnat) = self.red.endpoints.get(i).copied().unwrap_or_default();
        let sep = boxed(
            kind(foreign, BoxKind::EndpointChain),
            (self.x.endpoint_chain, row_y),
            e.chain.clone(),
            if foreign {
                format!("not this endpoint's hash, line {}", e.line)
            } else if e.affinity {
                "DNAT, sets affinity".to_string()
            } else {
                "DNAT".to_string()
            },
            std::iter::once(e.line).chain(e.dnat_line).collect(),
        );
        let (title, subtitle) = if no_dnat {
            (
                "unknown".to_string(),
                format!("no DNAT rule, line {}", e.line),
            )
        } else {
            let subtitle = match (self.cx.pod_of)(&e.ip, e.port) {
                Some(pod) => format!("pod {pod}"),
                None => "endpoint".to_string(),
            };
            (address(&e.ip, e.port), subtitle)
        };
        let pod = boxed(
            kind(no_dnat, BoxKind::Endpoint),
            (self.x.endpoint, row_y),
            title,
            subtitle,
            e.dnat_line.into_iter().collect(),
        );
        let rule = match &e.rule_probability_text {
            Some(p) => format!("p {}", short_probability(p)),
            None if i == 0 => "always".to_string(),
            None => "else".to_string(),
        };
        self.edges
            .push(edge(&self.chain_box, &sep, rule, percent(e.probability)));
        self.edges.push(plain_edge(&sep, &pod));
        self.boxes.push(sep);
        self.boxes.push(pod);
    }

    /// The row that sums up the `rest` endpoints after the `shown` ones.
    fn rest(&mut self, shown: usize, rest: usize) {
        let s = self.s;
        let others = s.endpoints.get(shown..).unwrap_or_default();
        let share: f64 = others.iter().map(|e| e.probability).sum();
        let row_y = self.right_top + shown as f64 * ROW_H;
        // The first and last of the rest: clicking opens the first in the source viewer.
        let lines: Vec<u32> = others
            .first()
            .into_iter()
            .chain(others.last())
            .map(|e| e.line)
            .collect();
        let summary = boxed(
            BoxKind::EndpointChain,
            (self.x.endpoint_chain, row_y),
            format!(
                "+ {} more endpoints",
                dnatlas_core::diagnostic::thousands(rest as u64)
            ),
            format!(
                "lines {}–{}",
                lines.first().copied().unwrap_or(s.line),
                lines.last().copied().unwrap_or(s.line)
            ),
            lines,
        );
        self.edges.push(edge(
            &self.chain_box,
            &summary,
            String::new(),
            percent(share),
        ));
        self.boxes.push(summary);
    }
}

/// The service chain's box: its name, and what lint found wrong with it or how many endpoints it has.
fn service_chain_box(s: &Service, red: &Red, at: (f64, f64), marks: &[String]) -> GraphBox {
    let subtitle = if red.chain_not_defined {
        format!("not defined in this input, line {}", s.line)
    } else if red.chain_hash {
        format!("not this port's hash, line {}", s.line)
    } else {
        let mut parts = vec![plural(s.endpoints.len(), "endpoint")];
        parts.extend(marks.iter().cloned());
        parts.join(" · ")
    };
    boxed(
        kind(
            red.chain_not_defined || red.no_chain || red.chain_hash,
            BoxKind::ServiceChain,
        ),
        at,
        s.chain
            .clone()
            .unwrap_or_else(|| "no service chain".to_string()),
        subtitle,
        vec![s.line],
    )
}

/// What happens to an outside client's connection on a way in.
fn entry_subtitle(e: &EntryPoint) -> String {
    if !e.source_ranges.is_empty() {
        return format!("only {}", e.source_ranges.join(", "));
    }
    match e.masquerade {
        Some(true) => "from outside · masqueraded".to_string(),
        Some(false) => "from outside · keeps client IP".to_string(),
        None => "from outside".to_string(),
    }
}

/// A way in's entry chains (those before the Service's own), with what lint found wrong on them.
fn entry_chain_box(
    s: &Service,
    e: &EntryPoint,
    at: (f64, f64),
    (no_local, not_defined, foreign): (bool, bool, bool),
) -> GraphBox {
    let own = s.chain.as_deref().unwrap_or("");
    let chains: Vec<&str> = e
        .path
        .iter()
        .map(String::as_str)
        .filter(|c| *c != own)
        .collect();
    let title = if chains.is_empty() {
        e.chain.clone()
    } else {
        chains.join(" → ")
    };
    let subtitle = if no_local {
        format!("Local: no endpoint here, line {}", e.line)
    } else if not_defined {
        "chain not defined in this input".to_string()
    } else if !e.endpoints.is_empty() {
        plural(e.endpoints.len(), "local endpoint")
    } else {
        "to the service chain".to_string()
    };
    let mut lines = vec![e.line];
    lines.extend(e.firewall_drop_line);
    boxed(
        kind(no_local || not_defined || foreign, BoxKind::EntryChain),
        at,
        title,
        subtitle,
        lines,
    )
}
