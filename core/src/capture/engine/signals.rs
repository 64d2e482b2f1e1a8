//! What the engine records for the capture findings: per kind of signal, how often it was seen, its earliest
//! examples and places; and the judgement it records them by, which the lint rules give ([`Judge`]).

/// A place in a capture: a frame, and a line for a text capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Stamp {
    /// The frame (1-based).
    pub(crate) frame: u32,
    /// The line in a text capture; 0 in a binary one.
    pub(crate) line: u32,
}

/// When a packet was seen: its time (microseconds, times of day unwrapped at midnight) when the capture has
/// times, and its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moment {
    /// Its time, if the capture has times.
    pub(crate) time: Option<u64>,
    /// Its frame.
    pub(crate) frame: u32,
}

/// How the capture findings judge what a capture shows. The lint rules own the thresholds and the decisions
/// (`lint/rules/capture.rs`); the engine applies them while it reads, since what it keeps depends on them.
pub(crate) trait Judge: std::fmt::Debug + Sync {
    /// How many examples of each signal a finding names: the engine keeps the earliest this many.
    fn examples(&self) -> usize;
    /// How many places of each signal a finding cites: the engine keeps the earliest this many.
    fn places(&self) -> usize;
    /// Whether an A and an AAAA query of one socket, first sent at `first` and `second`, were sent together (so
    /// that one lost while the other is answered at once is the conntrack race).
    fn sent_together(&self, first: Moment, second: Moment) -> bool;
    /// Whether a capture whose latest packet is `end` went on long enough after `at` for an answer or a retry to
    /// show: a query or truncated answer too close to the end is not held against the capture.
    fn went_on_after(&self, at: Moment, end: Moment) -> bool;
    /// How long after a truncated UDP answer a TCP query from the client for the same name and type still counts
    /// as its retry, in capture microseconds.
    fn tcp_retry_us(&self) -> u64;
}

/// The kinds of signal, one per capture finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignalKind {
    /// Transactions answered only after a resend.
    Retried,
    /// Transactions never answered.
    Unanswered,
    /// Truncated UDP answers with no TCP retry.
    TruncatedNoTcp,
    /// Replies from an address the query was not sent to.
    WrongSource,
    /// SERVFAIL or REFUSED answers.
    Failed,
}

/// One example of a signal: the transaction's name and type, its client and server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Example {
    /// Where it is: the transaction's first query (a truncated answer's own place).
    pub(crate) at: Stamp,
    /// The name asked.
    pub(crate) name: String,
    /// The query type.
    pub(crate) qtype: String,
    /// The client socket.
    pub(crate) client: String,
    /// The server socket.
    pub(crate) server: String,
    /// The rcode of a failure, or the address a wrong-source reply came from.
    pub(crate) other: Option<String>,
    /// For a retried query: microseconds from the first copy to the first resend.
    pub(crate) gap_us: Option<u64>,
    /// For a retried query: whether it is one of an A/AAAA pair sent together, the other one answered.
    pub(crate) race: bool,
    /// For a retried query: whether it was never answered in the capture.
    pub(crate) unanswered: bool,
}

/// One kind of signal in one capture: how often, the earliest examples and the earliest places.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Signal {
    /// How often it was seen.
    pub(crate) count: u64,
    /// How many of them match the conntrack race signature (retries only).
    pub(crate) race: u64,
    /// How many of them were never answered (retries only).
    pub(crate) unanswered: u64,
    /// The earliest examples (by their place), at most [`Judge::examples`].
    pub(crate) examples: Vec<Example>,
    /// The earliest places, at most [`Judge::places`].
    pub(crate) evidence: Vec<Stamp>,
}

impl Signal {
    /// Counts one more, keeping the earliest `judge.examples()` examples and `judge.places()` places.
    pub(super) fn add(&mut self, judge: &dyn Judge, example: Example, places: &[Stamp]) {
        self.count += 1;
        self.race += u64::from(example.race);
        self.unanswered += u64::from(example.unanswered);
        self.examples.push(example);
        if self.examples.len() > 2 * judge.examples() {
            self.examples.sort_by_key(|e| e.at);
            self.examples.truncate(judge.examples());
        }
        self.evidence.extend_from_slice(places);
        if self.evidence.len() > 2 * judge.places() {
            self.settle(judge);
        }
    }

    /// Sorts and cuts the examples and places to what the findings read.
    pub(super) fn settle(&mut self, judge: &dyn Judge) {
        self.examples.sort_by_key(|e| e.at);
        self.examples.truncate(judge.examples());
        self.evidence.sort_unstable();
        self.evidence.dedup();
        self.evidence.truncate(judge.places());
    }
}

/// Every kind of signal of one capture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Signals {
    /// [`SignalKind::Retried`].
    pub(crate) retried: Signal,
    /// [`SignalKind::Unanswered`].
    pub(crate) unanswered: Signal,
    /// [`SignalKind::TruncatedNoTcp`].
    pub(crate) truncated_no_tcp: Signal,
    /// [`SignalKind::WrongSource`].
    pub(crate) wrong_source: Signal,
    /// [`SignalKind::Failed`].
    pub(crate) failed: Signal,
}

impl Signals {
    /// The signal of `kind`.
    pub(crate) fn get(&self, kind: SignalKind) -> &Signal {
        match kind {
            SignalKind::Retried => &self.retried,
            SignalKind::Unanswered => &self.unanswered,
            SignalKind::TruncatedNoTcp => &self.truncated_no_tcp,
            SignalKind::WrongSource => &self.wrong_source,
            SignalKind::Failed => &self.failed,
        }
    }

    /// Every signal, to settle them at the end of a capture.
    pub(super) fn all_mut(&mut self) -> [&mut Signal; 5] {
        [
            &mut self.retried,
            &mut self.unanswered,
            &mut self.truncated_no_tcp,
            &mut self.wrong_source,
            &mut self.failed,
        ]
    }
}
