//! The UI components, one per file.

pub mod app;
pub mod graph;
pub mod inputs;
