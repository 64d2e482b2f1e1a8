//! DNS: what a pod's stub resolver sends for a name, and what the cluster DNS server answers.

pub mod answer;
pub mod corefile;
pub mod plan;
