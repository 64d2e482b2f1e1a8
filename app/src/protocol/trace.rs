//! The trace player's questions and answers: the pods to start from, what to trace, the trace and its steps.
//!
//! The steps are what the player animates over a focused map.

use dnatlas_core::dns::plan::Resolver;
use dnatlas_core::trace::{HopKind, Trace};
use dnatlas_core::Evidence;
use serde::{Deserialize, Serialize};

/// A pod (or any client) a trace can start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Its IP.
    pub ip: String,
    /// What to call it: `namespace/name` for a kubectl pod, the IP otherwise.
    pub label: String,
}

/// What to trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The pod's IP.
    pub from: String,
    /// `NAME[:PORT]`.
    pub to: String,
    /// The resolver flavour.
    pub resolver: Resolver,
    /// Seed of the rolls that pick a branch at each fork.
    pub seed: u64,
}

/// A box of the focused map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneBox {
    /// CSS class (`box pod`, `box vip`, …).
    pub class: String,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// First line.
    pub title: String,
    /// Second line.
    pub subtitle: String,
}

/// An edge of the focused map, between two boxes (indices), with a share label on fork branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneEdge {
    /// From this box…
    pub from: usize,
    /// …to this one.
    pub to: usize,
    /// `33.3%` on a fork's branch, else `""`.
    pub label: String,
}

/// The focused map: the client column, the DNS Service's block and the target Service's block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Boxes.
    pub boxes: Vec<SceneBox>,
    /// Edges.
    pub edges: Vec<SceneEdge>,
}

/// One branch of a fork.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForkBranch {
    /// `10.244.0.3:80 via KUBE-SEP-…`.
    pub label: String,
    /// `33.3%`.
    pub share: String,
    /// The branch's box in the scene.
    pub at: usize,
    /// Its lines.
    pub evidence: Vec<Evidence>,
}

/// A probabilistic fork: every branch, and the one the roll picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fork {
    /// The branches in rule order.
    pub branches: Vec<ForkBranch>,
    /// The index of the branch followed.
    pub chosen: usize,
}

/// One step of the animation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What it is.
    pub kind: HopKind,
    /// What to show.
    pub label: String,
    /// The input lines that decide it.
    pub evidence: Vec<Evidence>,
    /// The scene box the packet is at.
    pub at: usize,
    /// The fork decided here, if any.
    pub fork: Option<Fork>,
}

/// The trace with the player's steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// What `dnatlas trace` prints as JSON.
    pub trace: Trace,
    /// The steps, in order, following the rolled branches.
    pub steps: Vec<Step>,
    /// The focused map the steps move on.
    pub scene: Scene,
    /// The seed used.
    pub seed: u64,
}
