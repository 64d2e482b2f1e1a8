//! The map's questions and answers: each node's overview, the filters, and windows of its Services laid out.
//!
//! A window's Services come as boxes and edges in SVG coordinates: the page draws the numbers it gets and measures
//! nothing.

use dnatlas_core::Evidence;
use serde::{Deserialize, Serialize};

/// Width of a box.
pub const BOX_W: f64 = 200.0;
/// Height of a box.
pub const BOX_H: f64 = 40.0;
/// Gap between the service chain and the endpoint chains, where the probabilities are written.
pub const LABEL_GAP: f64 = 112.0;
/// Height of a Service's line in [`Detail::Compact`].
pub const COMPACT_H: f64 = 22.0;

/// One node's overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node's name (its assignment, or the dump's input name).
    pub name: String,
    /// The dumps read for it.
    pub sources: Vec<String>,
    /// Service ports on it.
    pub services: usize,
    /// Its namespaces with their Service-port counts, by name (`""`: rules without comments).
    pub namespaces: Vec<(String, usize)>,
}

/// Which Services a window shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this namespace (exact); `None`: all.
    pub namespace: Option<String>,
    /// Only Services whose `ns/name:port` label contains this (case-insensitive); `""`: all.
    pub name: String,
    /// Only Services with this address (or a prefix of it) as cluster IP, entry IP, endpoint IP, or this number as
    /// a port or NodePort; `""`: all.
    pub ip: String,
}

/// A window of one node's map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The node.
    pub node: String,
    /// Which Services.
    pub filter: Filter,
    /// Boxes, or one line per Service.
    pub detail: Detail,
    /// Top of the range shown, in layout units.
    pub y_from: f64,
    /// Bottom of the range shown.
    pub y_to: f64,
    /// Evidence to highlight: blocks and boxes standing on one of these lines are marked, and the view says where
    /// the first one is.
    pub highlight: Vec<Evidence>,
}

/// The Services of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// The node.
    pub node: String,
    /// Service ports on the node.
    pub total: usize,
    /// Service ports that pass the filter.
    pub matched: usize,
    /// Width of the drawing.
    pub width: f64,
    /// Height of the whole (filtered) list.
    pub height: f64,
    /// The range this view answers (the query's `y_from..y_to`): the page places the drawing by it, so blocks that
    /// arrive after a scroll are never drawn at the newer range's place.
    pub y_from: f64,
    /// Bottom of the range this view answers.
    pub y_to: f64,
    /// Column titles and their left edges ([`Detail::Full`]).
    pub columns: Vec<(String, f64)>,
    /// The blocks that intersect the range, top to bottom.
    pub blocks: Vec<ServiceBlock>,
    /// Where the first highlighted Service is: its place in the filtered list and its top.
    pub first_highlight: Option<(usize, f64)>,
}

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
