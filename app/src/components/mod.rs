//! The UI components, one per file.

pub mod app;
pub mod findings;
pub mod graph;
pub mod inputs;
