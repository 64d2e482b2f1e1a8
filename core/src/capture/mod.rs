//! What captures show: DNS packets grouped into transactions.

pub mod transactions;
