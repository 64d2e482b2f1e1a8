//! Simulations over the rebuilt model: the kernel's walk of a packet through the netfilter tables.

pub mod netfilter;
