//! The cluster model rebuilt from the inputs.

pub mod cluster;
pub mod hash;
pub mod services;
