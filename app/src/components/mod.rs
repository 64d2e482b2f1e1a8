//! The UI components, one per file.

pub mod app;
pub mod captures;
pub mod findings;
pub mod inputs;
pub mod map;
pub mod trace;
pub mod viewer;
