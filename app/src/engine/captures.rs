//! The captures view: what the DNS captures show happened.

use dnatlas_core::capture::Transaction;
use serde::{Deserialize, Serialize};

use super::Session;

/// The captures' overview, sent with every summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Transactions listed.
    pub transactions: usize,
}

/// A window of the transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// First transaction of the window.
    pub offset: usize,
    /// At most this many.
    pub limit: usize,
}

/// The transactions of a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Transactions in all.
    pub matched: usize,
    /// The window's transactions.
    pub transactions: Vec<Transaction>,
}

/// The overview, when the analysis has captures.
pub fn overview(session: &Session) -> Option<Overview> {
    let captures = session.analysis()?.captures.as_ref()?;
    Some(Overview {
        transactions: captures.transactions.len(),
    })
}

/// A window of the transactions.
pub fn query(session: &Session, q: &Query) -> View {
    let all = session
        .analysis()
        .and_then(|a| a.captures.as_ref())
        .map(|c| c.transactions.as_slice())
        .unwrap_or_default();
    View {
        matched: all.len(),
        transactions: all.iter().skip(q.offset).take(q.limit).cloned().collect(),
    }
}
