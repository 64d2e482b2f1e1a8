//! The captures view's questions and answers.
//!
//! The overview sent with every summary, the filters, the timeline (marks or bins), the histogram, windows of the
//! transaction table and one transaction in full.

use std::sync::Arc;

use dnatlas_core::capture::lookups::PlannedQuery;
use dnatlas_core::capture::{Latency, StrayReply, Summary, Transaction};
use serde::{Deserialize, Serialize};

/// The most marks a timeline draws one by one; more are binned.
pub const MAX_MARKS: usize = 2_000;
/// Time columns of a binned timeline.
pub const BIN_COLUMNS: usize = 120;
/// The most rows a [`Query::Rows`] answers.
pub const MAX_ROWS: usize = 500;
/// The most stray replies a chart lists.
pub const MAX_STRAYS: usize = 50;
/// The most clients the overview names.
pub const MAX_CLIENTS: usize = 500;
/// Latency rows of a binned timeline: decades from 10 µs to 100 s, three rows each (1, 2, 5).
pub const LATENCY_ROWS: usize = 21;

/// The captures' overview, sent with every summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Transactions listed (the summary counts every one).
    pub listed: usize,
    /// Counts, rcodes and latency over every capture (boxed: it is most of the overview's size).
    pub summary: Box<Summary>,
    /// Each capture input, in the order given.
    pub captures: Vec<CaptureInfo>,
    /// The client addresses seen (without the port), most transactions first; at most [`MAX_CLIENTS`].
    pub clients: Vec<ClientInfo>,
    /// The rcodes the listed transactions got, in name order.
    pub rcodes: Vec<String>,
    /// Lookups read back from the transactions.
    pub lookups: usize,
    /// Replies from a wrong source, listed.
    pub wrong_source: usize,
    /// Replies matching no query, listed.
    pub unmatched: usize,
}

/// One capture input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureInfo {
    /// The input's name.
    pub source: String,
    /// Its transactions listed.
    pub listed: usize,
    /// Of those, unanswered.
    pub unanswered: usize,
    /// Of those, sent more than once.
    pub retried: usize,
    /// Whether its transactions carry times (else the timeline orders them).
    pub timed: bool,
}

/// A client address with its number of transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The address, without the port (`10.244.1.23`, `fd00::17`).
    pub address: String,
    /// Its transactions listed.
    pub transactions: usize,
}

/// An rcode to filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RcodeFilter {
    /// Answered with this rcode (`NOERROR`, `NXDOMAIN`, …).
    Rcode(String),
    /// Never answered in the capture.
    NoAnswer,
}

/// Which transactions to show. The default keeps every one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this capture input.
    pub source: Option<String>,
    /// Only this client address (without the port).
    pub client: Option<String>,
    /// Only names containing this text (any case; empty keeps all).
    pub name: String,
    /// Only this rcode, or only the unanswered.
    pub rcode: Option<RcodeFilter>,
    /// Only transactions whose query was sent more than once.
    pub retried: bool,
}

/// What the page asks of the captures view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// The timeline, the histogram and the stray replies of the filtered transactions.
    Chart(Filter),
    /// A window of the filtered transactions.
    Rows {
        /// Which.
        filter: Filter,
        /// The first row.
        offset: usize,
        /// At most this many (capped at [`MAX_ROWS`]).
        limit: usize,
        /// Instead of `offset`: the window (offsets a multiple of `limit`) that holds this transaction, when the
        /// filter keeps it.
        around: Option<usize>,
    },
    /// One transaction (index into the analysis' transactions) in full.
    Detail(usize),
}

/// The captures view's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum View {
    /// See [`Query::Chart`].
    Chart(Box<Chart>),
    /// See [`Query::Rows`].
    Rows(Rows),
    /// See [`Query::Detail`]; `None` for an index out of range.
    Detail(Option<Box<Detail>>),
}

/// How the timeline's x axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Axis {
    /// Microseconds since the first query of the transaction's capture.
    Time,
    /// Some capture has no times: the transaction's position in its capture.
    Order,
}

/// An rcode class: a mark's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Class {
    /// NOERROR.
    NoError,
    /// NXDOMAIN.
    NxDomain,
    /// SERVFAIL.
    ServFail,
    /// REFUSED.
    Refused,
    /// Another rcode (FORMERR, NOTIMP, …).
    Other,
    /// No answer in the capture.
    NoAnswer,
}

impl Class {
    /// Every class, in the order of [`Bin::counts`].
    pub const ALL: [Class; 6] = [
        Class::NoError,
        Class::NxDomain,
        Class::ServFail,
        Class::Refused,
        Class::Other,
        Class::NoAnswer,
    ];

    /// The class of a transaction.
    pub fn of(t: &Transaction) -> Class {
        match t.rcode.as_deref() {
            None => Class::NoAnswer,
            Some("NOERROR") => Class::NoError,
            Some("NXDOMAIN") => Class::NxDomain,
            Some("SERVFAIL") => Class::ServFail,
            Some("REFUSED") => Class::Refused,
            Some(_) => Class::Other,
        }
    }

    /// Its name as shown in the legend.
    pub fn label(self) -> &'static str {
        match self {
            Class::NoError => "NOERROR",
            Class::NxDomain => "NXDOMAIN",
            Class::ServFail => "SERVFAIL",
            Class::Refused => "REFUSED",
            Class::Other => "other rcode",
            Class::NoAnswer => "no answer",
        }
    }

    /// Its CSS class.
    pub fn css(self) -> &'static str {
        match self {
            Class::NoError => "rc-noerror",
            Class::NxDomain => "rc-nxdomain",
            Class::ServFail => "rc-servfail",
            Class::Refused => "rc-refused",
            Class::Other => "rc-other",
            Class::NoAnswer => "rc-noanswer",
        }
    }
}

/// One transaction drawn on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The transaction (index into the analysis' transactions).
    pub index: usize,
    /// Where on the x axis (see [`Axis`]).
    pub x: u64,
    /// Its latency; `None` when unanswered or without times.
    pub latency_us: Option<u64>,
    /// Its colour.
    pub class: Class,
    /// Copies of the query seen.
    pub queries_sent: u32,
    /// Its name, for the tooltip.
    pub name: Arc<str>,
    /// Its type.
    pub qtype: String,
}

/// A cell of a binned timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    /// The time column, from 0 to [`BIN_COLUMNS`] - 1.
    pub column: u16,
    /// The latency row, from 0 (fastest) to [`LATENCY_ROWS`] - 1; `None` for the no-latency band (unanswered, or
    /// no times).
    pub row: Option<u8>,
    /// Transactions per [`Class::ALL`].
    pub counts: [u32; 6],
    /// Of them, retried.
    pub retried: u32,
}

impl Bin {
    /// The worst class present (drawn as the cell's colour).
    pub fn worst(&self) -> Class {
        const WORST_FIRST: [usize; 6] = [5, 2, 3, 4, 1, 0];
        WORST_FIRST
            .iter()
            .find(|&&i| self.counts.get(i).is_some_and(|&n| n > 0))
            .and_then(|&i| Class::ALL.get(i).copied())
            .unwrap_or(Class::NoError)
    }

    /// Transactions in the cell.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&n| u64::from(n)).sum()
    }
}

/// The timeline and histogram of the filtered transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// Transactions the filter keeps.
    pub matched: usize,
    /// Of them, retried.
    pub retried: usize,
    /// Of them, unanswered.
    pub unanswered: usize,
    /// How x counts.
    pub axis: Axis,
    /// The largest x over the filtered transactions (the axis runs from 0).
    pub x_max: u64,
    /// Each transaction, when at most [`MAX_MARKS`]; else empty.
    pub marks: Vec<Mark>,
    /// Otherwise the cells with transactions: [`BIN_COLUMNS`] columns of `x_max / BIN_COLUMNS`.
    pub bins: Vec<Bin>,
    /// The latency histogram and percentiles of the filtered transactions.
    pub latency: Latency,
    /// Stray replies of the filtered captures: replies from a wrong source, then unmatched ones; at most
    /// [`MAX_STRAYS`].
    pub strays: Vec<Stray>,
    /// Stray replies in all.
    pub strays_total: usize,
}

/// A reply that answers no transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stray {
    /// From a wrong source (else it matched no query).
    pub wrong_source: bool,
    /// The reply.
    pub reply: StrayReply,
}

/// A window of the filtered transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    /// Transactions the filter keeps.
    pub matched: usize,
    /// The window's first row.
    pub offset: usize,
    /// The window.
    pub rows: Vec<Row>,
}

/// A row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Index into the analysis' transactions.
    pub index: usize,
    /// Where on the timeline's x axis.
    pub x: u64,
    /// The transaction.
    pub transaction: Transaction,
}

/// One packet of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRef {
    /// What it is: `query`, `copy 2`, `answer`.
    pub role: String,
    /// Its frame.
    pub frame: u32,
    /// Its line in a text capture.
    pub line: Option<u32>,
    /// Microseconds after the first query.
    pub after_us: Option<u64>,
}

/// One query of the lookup a transaction belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupQuery {
    /// The transaction.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// Its type.
    pub qtype: String,
    /// Its rcode; `None` when unanswered.
    pub rcode: Option<String>,
    /// Copies sent.
    pub queries_sent: u32,
}

/// How a transaction fits the resolver's plan: the lookup it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupFit {
    /// The lookup's client address.
    pub client: String,
    /// The name the application asked for.
    pub base_name: String,
    /// The resolv.conf input compared with, if any.
    pub resolv_conf: Option<String>,
    /// The search list used.
    pub search: Vec<String>,
    /// Whether it was inferred from the names.
    pub search_inferred: bool,
    /// The resolvers that send exactly these queries (`glibc`, `musl`, `go`, `busybox`).
    pub resolver_fit: Vec<String>,
    /// How the last candidate was answered.
    pub outcome: String,
    /// The candidate that got addresses.
    pub answered_by: Option<String>,
    /// The queries as sent.
    pub queries: Vec<LookupQuery>,
    /// What the first fitting (or closest) resolver sends.
    pub expected: Vec<PlannedQuery>,
    /// Planned but not seen.
    pub missing: Vec<PlannedQuery>,
    /// Seen but not planned.
    pub extra: Vec<PlannedQuery>,
    /// Why the queries were sent.
    pub explanation: String,
}

/// One transaction in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// Index into the analysis' transactions.
    pub index: usize,
    /// The transaction.
    pub transaction: Transaction,
    /// Its packets in order: the query, its copies, the answer.
    pub frames: Vec<FrameRef>,
    /// Copies sent but not listed (beyond the core's per-transaction list).
    pub copies_not_listed: u32,
    /// The lookup it belongs to, if the lookups cover it.
    pub lookup: Option<LookupFit>,
    /// Replies to its client and id from another address.
    pub wrong_source: Vec<StrayReply>,
}
