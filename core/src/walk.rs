//! The `dnatlas.walk/1` contract: one packet walked through the rules of every node input, each node with its
//! input's kind and diagnostics and the walk's outcomes (`simulate::netfilter`). The CLI's `walk --format json`
//! writes it. Its object keys are written sorted, as this contract has always been.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::simulate::netfilter::{self, NodeContext, Outcome, Packet};
use crate::source::Kind;

/// Walks `packet` through the rules of one node input of `kind` (an `iptables-save` dump or an `iptables -L`
/// listing), read from `bytes` decoded and capped as `analyze` reads them; the walk reads the parser's view of the
/// rules, as the Service graph does. `None` for an input of another kind.
pub fn walk_input(
    bytes: &[u8],
    kind: Kind,
    packet: &Packet,
    node: &NodeContext,
) -> Option<Vec<Outcome>> {
    let rules = netfilter::rules_of(bytes, kind)?;
    Some(netfilter::walk_view(&rules, packet, node))
}

/// The JSON schema name of [`Walk`].
pub const SCHEMA: &str = "dnatlas.walk/1";

/// One packet's walks, node by node.
#[derive(Debug, Serialize)]
pub struct Walk<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The packet walked.
    pub packet: &'a Packet,
    /// One entry per node input walked, in input order.
    pub nodes: Vec<NodeWalk<'a>>,
}

/// The walk through one node input.
#[derive(Debug, Serialize)]
pub struct NodeWalk<'a> {
    /// The input's name.
    pub source: &'a str,
    /// The input's kind (an `iptables-save` dump or an `iptables -L` listing).
    pub kind: Kind,
    /// The input's diagnostics, as `analyze` reports them.
    pub diagnostics: &'a [Diagnostic],
    /// Every way the packet can go, with its share.
    pub outcomes: &'a [Outcome],
}

impl<'a> Walk<'a> {
    /// The walks of `packet` through `nodes`.
    pub fn new(packet: &'a Packet, nodes: Vec<NodeWalk<'a>>) -> Self {
        Walk {
            schema: SCHEMA,
            packet,
            nodes,
        }
    }

    /// The contract's JSON text, pretty-printed with sorted keys, ending in a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .and_then(|value| serde_json::to_string_pretty(&value))
            .map(|text| text + "\n")
            .unwrap_or_default()
    }
}
