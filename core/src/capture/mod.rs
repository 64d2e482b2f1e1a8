//! What captures show: DNS packets grouped into transactions, and transactions read back into the lookups that
//! sent them.

pub mod lookups;
pub mod transactions;
