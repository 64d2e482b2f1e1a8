//! DNS on the client side: what a pod's stub resolver sends for a name.

pub mod plan;
