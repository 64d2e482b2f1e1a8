//! The cluster model rebuilt from the inputs.

pub mod hash;
pub mod kube;
pub mod services;
