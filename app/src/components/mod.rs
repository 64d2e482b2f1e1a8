//! The UI components, one per file.

pub mod app;
pub mod captures;
pub mod findings;
pub mod inputs;
pub mod map;
pub mod progress;
pub mod theme;
pub mod trace;
pub mod viewer;
