//! Map layout: pure functions from one Service port to positioned boxes and edges in SVG coordinates.
//!
//! The engine lays out only the Services a window shows, each at the `y` its place in the (filtered) list gives it,
//! so the page draws numbers and never measures anything. Columns, left to right: the ways in (cluster IP, NodePorts,
//! external and load-balancer IPs), the entry chains an outside client passes (`KUBE-FW`/`KUBE-EXT`/`KUBE-XLB`; the
//! column exists only when the node has some), the service chain (`KUBE-SVC`/`KUBE-SVL`), the endpoint chains
//! (`KUBE-SEP`) and the endpoints (named by their pod when kubectl says). Zoomed out, [`Detail::Compact`] draws one
//! line per Service port instead.

pub use dnatlas_core::diagnostic::percent;
use dnatlas_core::model::services::EntryPoint;
use dnatlas_core::Service;
use serde::{Deserialize, Serialize};

/// Width of a box.
pub const BOX_W: f64 = 200.0;
/// Height of a box.
pub const BOX_H: f64 = 40.0;
/// Vertical distance between rows.
pub const ROW_H: f64 = 50.0;
/// Gap between a Service's block and the next.
pub const BLOCK_GAP: f64 = 22.0;
/// Gap between columns whose edges carry no label.
pub const GAP: f64 = 34.0;
/// Gap between the service chain and the endpoint chains, where the probabilities are written.
pub const LABEL_GAP: f64 = 112.0;
/// Margin around the drawing.
pub const MARGIN: f64 = 16.0;
/// Height reserved for column titles.
pub const HEADER_H: f64 = 30.0;
/// Height of a Service's line in [`Detail::Compact`].
pub const COMPACT_H: f64 = 22.0;
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

/// How much of each Service the map draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Detail {
    /// Every box and edge.
    #[default]
    Full,
    /// One line per Service port: name, VIP, endpoint count, shares, problems.
    Compact,
}

/// What a box stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoxKind {
    /// A Service port's cluster IP.
    Vip,
    /// Another way in: NodePort, external IP, load-balancer IP.
    Entry,
    /// An entry chain (`KUBE-FW`/`KUBE-EXT`/`KUBE-XLB`) on an outside client's way.
    EntryChain,
    /// A `KUBE-SVC`/`KUBE-SVL` chain.
    ServiceChain,
    /// A `KUBE-SEP` chain.
    EndpointChain,
    /// The endpoint (pod) address.
    Endpoint,
    /// Something that routes nowhere or is wrong (no endpoints, missing chain, hash mismatch, unrouted share).
    Problem,
}

impl BoxKind {
    /// CSS class of the box.
    pub fn class(self) -> &'static str {
        match self {
            BoxKind::Vip => "box vip",
            BoxKind::Entry => "box entry",
            BoxKind::EntryChain => "box ext",
            BoxKind::ServiceChain => "box svc",
            BoxKind::EndpointChain => "box sep",
            BoxKind::Endpoint => "box pod",
            BoxKind::Problem => "box problem",
        }
    }

    /// The `data-testid` the page gives it.
    pub fn testid(self) -> &'static str {
        match self {
            BoxKind::Vip => "vip",
            BoxKind::Entry => "entry",
            BoxKind::EntryChain => "entry-chain",
            BoxKind::ServiceChain => "service-chain",
            BoxKind::EndpointChain => "endpoint-chain",
            BoxKind::Endpoint => "endpoint",
            BoxKind::Problem => "problem",
        }
    }
}

/// A box of the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphBox {
    /// What it stands for.
    pub kind: BoxKind,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// First line of text.
    pub title: String,
    /// Second line of text.
    pub subtitle: String,
    /// The input lines that prove it (the first is shown in the tooltip and opened on click).
    pub lines: Vec<u32>,
    /// One of its lines is in the page's highlight.
    pub highlighted: bool,
}

/// An edge between two boxes, with its labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// Start point (right middle of the source box).
    pub from: (f64, f64),
    /// End point (left middle of the target box).
    pub to: (f64, f64),
    /// The rule's `--probability` as written, shortened (`p 0.333`), or `""`.
    pub rule_label: String,
    /// The effective share, e.g. `33.3%`, or `""`.
    pub share_label: String,
}

/// One Service port's block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceBlock {
    /// Its place among the Services that match the filter.
    pub index: usize,
    /// `ns/name:port` (or `ns/name` for an unnamed port).
    pub label: String,
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
    /// The input it was read from (the boxes' lines are in it).
    pub source: String,
    /// Top of the block.
    pub y: f64,
    /// Height of the block.
    pub height: f64,
    /// Marks on the Service as a whole: `affinity 10800s`, `internal Local`, `external Local`.
    pub marks: Vec<String>,
    /// Boxes of the block (in [`Detail::Compact`]: none).
    pub boxes: Vec<GraphBox>,
    /// Edges of the block (in [`Detail::Compact`]: none).
    pub edges: Vec<GraphEdge>,
    /// The one-line summary drawn in [`Detail::Compact`] (and used as the block's tooltip).
    pub line: String,
    /// Effective shares of the endpoints, e.g. `33.3%` each.
    pub shares: Vec<String>,
    /// Problems, each with its line: `no endpoints: filter REJECT, line 9`.
    pub problems: Vec<String>,
    /// One of its lines is in the page's highlight.
    pub highlighted: bool,
    /// The Service's own lines: its `KUBE-SERVICES` rule and its filter `REJECT` rule, if any.
    pub lines: Vec<u32>,
}

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

/// How a service port is named on screen: `ns/name:port`, or `ns/name` for an unnamed port.
pub fn service_label(s: &Service) -> String {
    match (
        s.namespace.is_empty() && s.name.is_empty(),
        s.port_name.is_empty(),
    ) {
        (true, _) => "(no comment)".to_string(),
        (false, true) => format!("{}/{}", s.namespace, s.name),
        (false, false) => format!("{}/{}:{}", s.namespace, s.name, s.port_name),
    }
}

/// A rule probability as printed (`0.33332999982`), shortened for an edge label: `0.33333`.
pub fn short_probability(text: &str) -> String {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() => {
            let s = format!("{p:.5}");
            let s = s.trim_end_matches('0');
            s.strip_suffix('.').unwrap_or(s).to_string()
        }
        _ => text.to_string(),
    }
}

/// `ip:port`, with brackets for IPv6.
pub fn address(ip: &str, port: Option<u16>) -> String {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// Whether an entry point's way passes chains of its own before the service chain.
fn has_entry_chain(s: &Service, e: &EntryPoint) -> bool {
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
    let right = endpoint_rows(s).max(1) + usize::from(s.unrouted_share > 1e-9);
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
fn endpoint_rows(s: &Service) -> usize {
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

/// What a Service port does wrong, each with its line.
pub fn problems(s: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if s.endpoints.is_empty() {
        out.push(match (s.reject_line, s.chain_missing) {
            (Some(line), _) => format!("no endpoints: filter REJECT, line {line}"),
            (None, true) => format!("service chain not defined, line {}", s.line),
            (None, false) => format!("no endpoints, line {}", s.line),
        });
    }
    if s.chain_hash_matches == Some(false) {
        out.push(format!(
            "chain name is not this port's hash, line {}",
            s.line
        ));
    }
    if s.unrouted_share > 1e-9 {
        let line = s.endpoints.last().map_or(s.line, |e| e.line);
        out.push(format!(
            "{} of new connections unrouted, after line {line}",
            percent(s.unrouted_share)
        ));
    }
    let mut endpoint_problems = 0usize;
    for e in &s.endpoints {
        for problem in [
            (e.chain_hash_matches == Some(false))
                .then(|| format!("{} is not this endpoint's hash, line {}", e.chain, e.line)),
            e.ip.is_empty()
                .then(|| format!("{} has no DNAT, line {}", e.chain, e.line)),
        ]
        .into_iter()
        .flatten()
        {
            endpoint_problems += 1;
            if endpoint_problems <= MAX_ENDPOINT_PROBLEMS {
                out.push(problem);
            }
        }
    }
    if endpoint_problems > MAX_ENDPOINT_PROBLEMS {
        out.push(format!(
            "+ {} more endpoint problems",
            dnatlas_core::diagnostic::thousands((endpoint_problems - MAX_ENDPOINT_PROBLEMS) as u64)
        ));
    }
    for e in &s.entry_points {
        if e.no_local_endpoints {
            out.push(format!(
                "{} Local with no endpoint on this node, line {}",
                entry_name(e),
                e.line
            ));
        }
    }
    out
}

/// Marks on the Service as a whole.
pub fn marks(s: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(secs) = s.affinity_timeout_secs {
        out.push(format!("ClientIP affinity {secs}s"));
    }
    if s.internal_policy_local {
        out.push("internal Local".to_string());
    }
    if s.external_policy_local {
        out.push("external Local".to_string());
    }
    out
}

fn entry_name(e: &EntryPoint) -> String {
    let what = match e.kind.as_str() {
        "node-port" => "NodePort",
        "external-ip" => "external IP",
        "load-balancer-ip" => "LoadBalancer IP",
        _ => "external address",
    };
    match (&e.ip, e.port) {
        (None, Some(p)) => format!("{what} {p}"),
        (Some(ip), Some(p)) if e.kind == "node-port" && ip.starts_with("127.") => {
            format!("{what} {p} (localhost)")
        }
        (Some(ip), p) => format!("{what} {}", address(ip, p)),
        (None, None) => what.to_string(),
    }
}

/// The endpoints' shares for the compact line: all of them, or the first [`MAX_LISTED_SHARES`] and a count.
fn listed_shares(s: &Service) -> Vec<String> {
    let n = s.endpoints.len();
    let mut out: Vec<String> = s
        .endpoints
        .iter()
        .take(MAX_LISTED_SHARES)
        .map(|e| percent(e.probability))
        .collect();
    if n > MAX_LISTED_SHARES {
        out.push(format!(
            "+{} more",
            dnatlas_core::diagnostic::thousands((n - MAX_LISTED_SHARES) as u64)
        ));
    }
    out
}

/// The one-line summary of a Service port.
pub fn summary_line(s: &Service, label: &str) -> String {
    let vip = address(s.cluster_ip.as_deref().unwrap_or("?"), s.port);
    let n = s.endpoints.len();
    let mut line = format!(
        "{label}  {vip}/{}  → {n} endpoint{}",
        s.protocol,
        if n == 1 { "" } else { "s" }
    );
    for m in marks(s) {
        line.push_str(" · ");
        line.push_str(&m);
    }
    line
}

fn right_mid(b: &GraphBox) -> (f64, f64) {
    (b.x + BOX_W, b.y + BOX_H / 2.0)
}

fn left_mid(b: &GraphBox) -> (f64, f64) {
    (b.x, b.y + BOX_H / 2.0)
}

fn edge(from: &GraphBox, to: &GraphBox, rule_label: String, share_label: String) -> GraphEdge {
    GraphEdge {
        from: right_mid(from),
        to: left_mid(to),
        rule_label,
        share_label,
    }
}

fn boxed(
    kind: BoxKind,
    x: f64,
    y: f64,
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

/// Lays out one Service port at `y`. `entry_chains` says whether the node's map has the entry-chain column;
/// `pod_of` names an endpoint's pod (`ip`, `port`) when the inputs say; `highlight` says whether a line of this
/// Service's input is highlighted.
pub fn block(
    s: &Service,
    index: usize,
    y: f64,
    detail: Detail,
    entry_chains: bool,
    pod_of: &dyn Fn(&str, Option<u16>) -> Option<String>,
    highlight: &dyn Fn(u32) -> bool,
) -> ServiceBlock {
    let label = service_label(s);
    let mut block = ServiceBlock {
        index,
        label: label.clone(),
        protocol: s.protocol.clone(),
        source: s.source.clone(),
        y,
        height: block_height(s, detail),
        marks: marks(s),
        boxes: Vec::new(),
        edges: Vec::new(),
        line: summary_line(s, &label),
        shares: listed_shares(s),
        problems: problems(s),
        highlighted: service_lines(s).into_iter().any(highlight),
        lines: std::iter::once(s.line).chain(s.reject_line).collect(),
    };
    if detail == Detail::Compact {
        return block;
    }
    let cols = columns(entry_chains);
    let col = |title: &str| {
        cols.iter()
            .find(|(t, _)| *t == title)
            .map_or(MARGIN, |(_, x)| *x)
    };
    let (x_entry, x_ext, x_svc, x_sep, x_pod) = (
        col("Entry"),
        col("Entry chain"),
        col("Service chain"),
        col("Endpoint chain"),
        col("Endpoint"),
    );
    let right_rows = endpoint_rows(s).max(1) + usize::from(s.unrouted_share > 1e-9);
    let height = block.height;
    let right_top = y + (height - (right_rows as f64 * ROW_H - (ROW_H - BOX_H))) / 2.0;
    let left_rows = 1 + s.entry_points.len();
    let left_top = y + (height - (left_rows as f64 * ROW_H - (ROW_H - BOX_H))) / 2.0;
    let mid_y = y + (height - BOX_H) / 2.0;

    let mut boxes = Vec::new();
    let mut edges = Vec::new();
    let vip = boxed(
        BoxKind::Vip,
        x_entry,
        left_top,
        format!(
            "{} {}",
            address(s.cluster_ip.as_deref().unwrap_or("?"), s.port),
            s.protocol
        ),
        format!("cluster IP · {label}"),
        vec![s.line],
    );
    let chain_problem = s.chain_missing || s.chain.is_none() || s.chain_hash_matches == Some(false);
    let chain_box = boxed(
        if chain_problem {
            BoxKind::Problem
        } else {
            BoxKind::ServiceChain
        },
        x_svc,
        mid_y,
        s.chain
            .clone()
            .unwrap_or_else(|| "no service chain".to_string()),
        if s.chain_missing {
            format!("not defined in this input, line {}", s.line)
        } else if s.chain_hash_matches == Some(false) {
            format!("not this port's hash, line {}", s.line)
        } else {
            let mut parts = vec![format!(
                "{} endpoint{}",
                s.endpoints.len(),
                if s.endpoints.len() == 1 { "" } else { "s" }
            )];
            parts.extend(block.marks.iter().cloned());
            parts.join(" · ")
        },
        vec![s.line],
    );
    edges.push(edge(&vip, &chain_box, String::new(), String::new()));
    boxes.push(vip);

    for (i, e) in s.entry_points.iter().enumerate() {
        let row_y = left_top + (i + 1) as f64 * ROW_H;
        let mut sub = match e.masquerade {
            Some(true) => "from outside · masqueraded".to_string(),
            Some(false) => "from outside · keeps client IP".to_string(),
            None => "from outside".to_string(),
        };
        if !e.source_ranges.is_empty() {
            sub = format!("only {}", e.source_ranges.join(", "));
        }
        let entry = boxed(
            BoxKind::Entry,
            x_entry,
            row_y,
            entry_name(e),
            sub,
            vec![e.line],
        );
        if entry_chains && has_entry_chain(s, e) {
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
            let bad =
                e.no_local_endpoints || e.chain_missing || e.chain_hash_matches == Some(false);
            let sub = if e.no_local_endpoints {
                format!("Local: no endpoint here, line {}", e.line)
            } else if e.chain_missing {
                "chain not defined in this input".to_string()
            } else if !e.endpoints.is_empty() {
                format!(
                    "{} local endpoint{}",
                    e.endpoints.len(),
                    if e.endpoints.len() == 1 { "" } else { "s" }
                )
            } else {
                "to the service chain".to_string()
            };
            let mut lines = vec![e.line];
            lines.extend(e.firewall_drop_line);
            let ext = boxed(
                if bad {
                    BoxKind::Problem
                } else {
                    BoxKind::EntryChain
                },
                x_ext,
                row_y,
                title,
                sub,
                lines,
            );
            edges.push(edge(&entry, &ext, String::new(), String::new()));
            if !e.no_local_endpoints {
                edges.push(edge(&ext, &chain_box, String::new(), String::new()));
            }
            boxes.push(ext);
        } else {
            edges.push(edge(&entry, &chain_box, String::new(), String::new()));
        }
        boxes.push(entry);
    }

    if s.endpoints.is_empty() {
        let subtitle = match (s.reject_line, s.chain_missing) {
            (Some(line), _) => format!("filter REJECT, line {line}"),
            (None, true) => "endpoints unknown".to_string(),
            (None, false) => "nothing to route to".to_string(),
        };
        let reason = boxed(
            BoxKind::Problem,
            x_sep,
            right_top,
            "no endpoints".to_string(),
            subtitle,
            s.reject_line.into_iter().collect(),
        );
        edges.push(edge(&chain_box, &reason, String::new(), String::new()));
        boxes.push(reason);
    }
    let (shown, rest) = drawn_endpoints(s);
    for (i, e) in s.endpoints.iter().take(shown).enumerate() {
        let row_y = right_top + i as f64 * ROW_H;
        let bad_hash = e.chain_hash_matches == Some(false);
        let sep = boxed(
            if bad_hash {
                BoxKind::Problem
            } else {
                BoxKind::EndpointChain
            },
            x_sep,
            row_y,
            e.chain.clone(),
            if bad_hash {
                format!("not this endpoint's hash, line {}", e.line)
            } else if e.affinity {
                "DNAT, sets affinity".to_string()
            } else {
                "DNAT".to_string()
            },
            std::iter::once(e.line).chain(e.dnat_line).collect(),
        );
        let pod_name = if e.ip.is_empty() {
            None
        } else {
            pod_of(&e.ip, e.port)
        };
        let pod = boxed(
            if e.ip.is_empty() {
                BoxKind::Problem
            } else {
                BoxKind::Endpoint
            },
            x_pod,
            row_y,
            if e.ip.is_empty() {
                "unknown".to_string()
            } else {
                address(&e.ip, e.port)
            },
            match (&pod_name, e.ip.is_empty()) {
                (_, true) => format!("no DNAT rule, line {}", e.line),
                (Some(p), false) => format!("pod {p}"),
                (None, false) => "endpoint".to_string(),
            },
            e.dnat_line.into_iter().collect(),
        );
        let rule = match &e.rule_probability_text {
            Some(p) => format!("p {}", short_probability(p)),
            None if i == 0 => "always".to_string(),
            None => "else".to_string(),
        };
        edges.push(edge(&chain_box, &sep, rule, percent(e.probability)));
        edges.push(edge(&sep, &pod, String::new(), String::new()));
        boxes.push(sep);
        boxes.push(pod);
    }
    if rest > 0 {
        let others = s.endpoints.get(shown..).unwrap_or_default();
        let share: f64 = others.iter().map(|e| e.probability).sum();
        let row_y = right_top + shown as f64 * ROW_H;
        // The first and last of the rest: clicking opens the first in the source viewer.
        let lines: Vec<u32> = others
            .first()
            .into_iter()
            .chain(others.last())
            .map(|e| e.line)
            .collect();
        let summary = boxed(
            BoxKind::EndpointChain,
            x_sep,
            row_y,
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
        edges.push(edge(&chain_box, &summary, String::new(), percent(share)));
        boxes.push(summary);
    }
    if s.unrouted_share > 1e-9 {
        let row_y = right_top + endpoint_rows(s) as f64 * ROW_H;
        let line = s.endpoints.last().map_or(s.line, |e| e.line);
        let lost = boxed(
            BoxKind::Problem,
            x_sep,
            row_y,
            "unrouted".to_string(),
            format!("falls through after line {line}"),
            vec![line],
        );
        edges.push(edge(
            &chain_box,
            &lost,
            String::new(),
            percent(s.unrouted_share),
        ));
        boxes.push(lost);
    }
    boxes.insert(1, chain_box);
    for b in &mut boxes {
        b.highlighted = b.lines.iter().any(|l| highlight(*l));
    }
    block.boxes = boxes;
    block.edges = edges;
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnatlas_core::{analyze, Options, Source};

    const SEED_004: &str = include_str!("../../fixtures/iptables/seed-004-node/input.txt");

    fn blocks(dump: &str, detail: Detail) -> Vec<ServiceBlock> {
        let analysis = analyze(&[Source::new("node", dump.as_bytes())], &Options::default());
        let chains = needs_entry_chains(&analysis.services);
        let mut y = top(detail);
        let mut out = Vec::new();
        for (i, s) in analysis.services.iter().enumerate() {
            out.push(block(s, i, y, detail, chains, &|_, _| None, &|_| false));
            y += block_pitch(s, detail);
        }
        out
    }

    #[test]
    fn seed_004_lays_out_nginx_with_three_shares_and_dns() {
        let blocks = blocks(SEED_004, Detail::Full);
        assert_eq!(blocks.len(), 4);
        let nginx = blocks.iter().find(|b| b.label == "default/nginx").unwrap();
        let shares: Vec<&str> = nginx
            .edges
            .iter()
            .map(|e| e.share_label.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(shares, ["33.3%", "33.3%", "33.3%"]);
        // The dump prints 0.33332999982 and 0.50000000000; the labels shorten them.
        let rules: Vec<&str> = nginx
            .edges
            .iter()
            .map(|e| e.rule_label.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(rules, ["p 0.33333", "p 0.5", "else"]);
        let dns = blocks
            .iter()
            .find(|b| b.label == "kube-system/kube-dns:dns")
            .unwrap();
        assert!(dns
            .boxes
            .iter()
            .any(|b| b.kind == BoxKind::Endpoint && b.title == "10.244.0.2:53"));
        assert!(dns.edges.iter().any(|e| e.share_label == "100.0%"));
        // nginx has a NodePort (30361): a second way in, drawn under the VIP and joined to the service chain.
        let entry = nginx
            .boxes
            .iter()
            .find(|b| b.kind == BoxKind::Entry)
            .unwrap();
        assert_eq!(entry.title, "NodePort 30361");
        assert_eq!(nginx.edges.len(), 2 + 3 * 2);
    }

    #[test]
    fn short_probabilities() {
        assert_eq!(short_probability("0.33332999982"), "0.33333");
        assert_eq!(short_probability("0.50000000000"), "0.5");
        assert_eq!(short_probability("0.2"), "0.2");
        assert_eq!(short_probability("abc"), "abc");
    }

    #[test]
    fn blocks_do_not_overlap_and_edges_go_left_to_right() {
        for dump in [
            SEED_004,
            include_str!("../../fixtures/iptables/corpus-01-iptables-overall/input.txt"),
        ] {
            let blocks = blocks(dump, Detail::Full);
            let chains = true;
            let w = width(chains);
            let mut boxes: Vec<&GraphBox> = blocks.iter().flat_map(|b| b.boxes.iter()).collect();
            boxes.sort_by(|a, b| (a.x, a.y).partial_cmp(&(b.x, b.y)).unwrap());
            for pair in boxes.windows(2) {
                if pair[0].x == pair[1].x {
                    assert!(
                        pair[1].y >= pair[0].y + BOX_H,
                        "{:?} overlaps {:?}",
                        pair[0],
                        pair[1]
                    );
                }
            }
            for b in &blocks {
                for e in &b.edges {
                    assert!(e.to.0 > e.from.0, "{e:?}");
                }
                for bx in &b.boxes {
                    assert!(
                        bx.y >= b.y && bx.y + BOX_H <= b.y + b.height + 0.01,
                        "{bx:?}"
                    );
                    assert!(bx.x + BOX_W <= w);
                }
            }
        }
    }

    #[test]
    fn a_service_without_endpoints_shows_the_reject_rule() {
        let dump = include_str!("../../fixtures/iptables/corpus-01-iptables-overall/input.txt");
        let blocks = blocks(dump, Detail::Full);
        let svc6 = blocks.iter().find(|b| b.label == "ns6/svc6:p80").unwrap();
        assert!(svc6
            .boxes
            .iter()
            .any(|b| b.kind == BoxKind::Problem && b.subtitle == "filter REJECT, line 9"));
        assert_eq!(svc6.problems, ["no endpoints: filter REJECT, line 9"]);
        let compact = blocks_compact(dump);
        let svc6 = compact.iter().find(|b| b.label == "ns6/svc6:p80").unwrap();
        assert!(svc6.boxes.is_empty());
        assert_eq!(svc6.height, COMPACT_H);
        assert_eq!(svc6.problems, ["no endpoints: filter REJECT, line 9"]);
    }

    /// A kube-proxy dump of one Service port with `n` endpoints (the cascade kube-proxy writes).
    fn huge_service(n: usize) -> String {
        let mut out = String::from("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-HUGE - [0:0]\n");
        for i in 0..n {
            out.push_str(&format!(":KUBE-SEP-E{i} - [0:0]\n"));
        }
        out.push_str("-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/huge:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-HUGE\n");
        for i in 0..n {
            let left = n - i;
            if left > 1 {
                out.push_str(&format!(
                    "-A KUBE-SVC-HUGE -m comment --comment \"default/huge:http -> e{i}\" -m statistic --mode random --probability {:.11} -j KUBE-SEP-E{i}\n",
                    1.0 / left as f64
                ));
            } else {
                out.push_str(&format!("-A KUBE-SVC-HUGE -m comment --comment \"default/huge:http -> e{i}\" -j KUBE-SEP-E{i}\n"));
            }
        }
        for i in 0..n {
            out.push_str(&format!(
                "-A KUBE-SEP-E{i} -p tcp -m comment --comment \"default/huge:http\" -m tcp -j DNAT --to-destination 10.{}.{}.{}:8080\n",
                i / 65536 % 256 + 1,
                i / 256 % 256,
                i % 256
            ));
        }
        out.push_str("COMMIT\n");
        out
    }

    #[test]
    fn a_huge_service_is_drawn_summarised() {
        let dump = huge_service(10_000);
        let all = blocks(&dump, Detail::Full);
        assert_eq!(all.len(), 1);
        let huge = &all[0];
        let endpoints = huge
            .boxes
            .iter()
            .filter(|b| b.kind == BoxKind::Endpoint)
            .count();
        assert_eq!(endpoints, SHOWN_ENDPOINTS);
        let summary = huge
            .boxes
            .iter()
            .find(|b| b.title.starts_with("+ "))
            .expect("a summary row");
        assert_eq!(summary.title, "+ 9,970 more endpoints");
        // The rest's share, next to the 30 drawn at 0.01% each.
        let edge = huge
            .edges
            .iter()
            .find(|e| e.to.1 > summary.y && e.to.1 < summary.y + BOX_H)
            .expect("an edge to the summary");
        assert_eq!(edge.share_label, "99.7%");
        assert!(huge.boxes.len() < 80, "{} boxes", huge.boxes.len());
        assert!(huge.edges.len() < 80, "{} edges", huge.edges.len());
        // The block's height follows the rows drawn, not the endpoints.
        assert!(huge.height <= (MAX_ENDPOINT_ROWS + 2) as f64 * ROW_H);
        let compact = blocks(&dump, Detail::Compact);
        assert_eq!(compact[0].shares.len(), MAX_LISTED_SHARES + 1);
        assert_eq!(compact[0].shares.last().unwrap(), "+9,988 more");
        // At the limit, every endpoint is still drawn.
        let at_limit = blocks(&huge_service(MAX_ENDPOINT_ROWS), Detail::Full);
        assert_eq!(
            at_limit[0]
                .boxes
                .iter()
                .filter(|b| b.kind == BoxKind::Endpoint)
                .count(),
            MAX_ENDPOINT_ROWS
        );
    }

    fn blocks_compact(dump: &str) -> Vec<ServiceBlock> {
        blocks(dump, Detail::Compact)
    }

    #[test]
    fn external_entry_points_pass_their_chains() {
        // Corpus 01: svc2 is externalTrafficPolicy Local with no endpoint on this node (its KUBE-EXT chain only takes
        // pod and node-local traffic, lines 58-60); svc3's NodePort 3003 goes KUBE-EXT → KUBE-SVC, masqueraded.
        let dump = include_str!("../../fixtures/iptables/corpus-01-iptables-overall/input.txt");
        let blocks = blocks(dump, Detail::Full);
        let svc2 = blocks.iter().find(|b| b.label == "ns2/svc2:p80").unwrap();
        assert!(
            svc2.marks.iter().any(|m| m == "external Local"),
            "{:?}",
            svc2.marks
        );
        let entries: Vec<&str> = svc2
            .boxes
            .iter()
            .filter(|b| b.kind == BoxKind::Entry)
            .map(|b| b.title.as_str())
            .collect();
        assert_eq!(
            entries,
            [
                "external IP 192.168.99.22:80",
                "LoadBalancer IP 1.2.3.4:80",
                "NodePort 3001 (localhost)",
                "NodePort 3001"
            ]
        );
        let dead: Vec<&str> = svc2
            .boxes
            .iter()
            .filter(|b| b.title == "KUBE-EXT-GNZBNJ2PO5MGZ6GT")
            .map(|b| b.subtitle.as_str())
            .collect();
        assert_eq!(
            dead,
            [
                "Local: no endpoint here, line 48",
                "Local: no endpoint here, line 49",
                "Local: no endpoint here, line 40",
                "Local: no endpoint here, line 41"
            ]
        );
        // VIP → chain, entry → EXT for each of the four, and the one endpoint's two edges: no EXT → SVC edge.
        assert_eq!(svc2.edges.len(), 1 + 4 + 2);
        assert!(svc2.problems.iter().any(
            |p| p == "LoadBalancer IP 1.2.3.4:80 Local with no endpoint on this node, line 49"
        ));
        let svc3 = blocks.iter().find(|b| b.label == "ns3/svc3:p80").unwrap();
        let ext: Vec<(&str, BoxKind)> = svc3
            .boxes
            .iter()
            .filter(|b| b.title.starts_with("KUBE-EXT-"))
            .map(|b| (b.subtitle.as_str(), b.kind))
            .collect();
        assert_eq!(ext, [("to the service chain", BoxKind::EntryChain); 2]);
        let entry = svc3
            .boxes
            .iter()
            .find(|b| b.title == "NodePort 3003")
            .unwrap();
        assert_eq!(entry.subtitle, "from outside · masqueraded");
        assert_eq!(svc3.edges.len(), 1 + 2 * 2 + 2);
    }
}
