//! What captures show in numbers: counts, rcodes, query types and a latency histogram with percentiles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a set of captures shows, in numbers: the UI's counters and latency histogram.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Packets read: frames of a binary capture, DNS packets of a text one.
    pub packets: u64,
    /// DNS messages read (a TCP segment may carry several, or a part of one).
    pub dns_messages: u64,
    /// Of those, queries (a copy of one seen again on a second interface counted once).
    pub queries: u64,
    /// Query copies seen again within [`super::Limits::copy_window_us`] of the first: the same packet on a second
    /// interface of a `-i any` capture, counted neither as a query nor as a retransmission.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub copies: u64,
    /// Of those, responses.
    pub responses: u64,
    /// DNS transactions (a query and its retransmissions).
    pub transactions: u64,
    /// Transactions listed in `captures.transactions`.
    pub listed: u64,
    /// Transactions answered.
    pub answered: u64,
    /// Transactions never answered in the capture.
    pub unanswered: u64,
    /// Transactions whose query was sent more than once.
    pub retried: u64,
    /// Transactions whose answer had TC set.
    pub truncated: u64,
    /// Replies from an address the query was not sent to.
    pub wrong_source: u64,
    /// Replies that match no query.
    pub unmatched: u64,
    /// Answered transactions per rcode.
    pub rcodes: BTreeMap<String, u64>,
    /// Transactions per query type.
    #[serde(rename = "types")]
    pub qtypes: BTreeMap<String, u64>,
    /// Latency of the answered transactions with timestamps.
    pub latency: Latency,
}

/// A latency histogram with fixed log-scale buckets, and percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// How many latencies.
    pub count: u64,
    /// The median (nearest rank), in microseconds.
    pub p50_us: Option<u64>,
    /// The 90th percentile.
    pub p90_us: Option<u64>,
    /// The 99th percentile.
    pub p99_us: Option<u64>,
    /// The largest.
    pub max_us: Option<u64>,
    /// Counts per bucket, from the fastest: 10, 20, 50 µs … 20 s, then everything slower.
    pub buckets: Vec<Bucket>,
    /// A finer histogram the percentiles come from: exact below 128 µs, then 64 buckets per power of two, each
    /// with its largest value, so a percentile is a latency that was measured, within 1.6 % of the exact rank.
    #[serde(skip)]
    fine: Fine,
}

/// One bucket of [`Latency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The bucket holds latencies up to this many microseconds (above the previous bucket's); `None` for the last,
    /// open-ended one.
    pub le_us: Option<u64>,
    /// How many.
    pub count: u64,
}

/// Upper bounds of the display buckets, in microseconds.
const BOUNDS_US: [u64; 21] = [
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    u64::MAX,
];

/// Fine buckets: 128 exact ones, then 64 per power of two from 2^7 to 2^40 µs (12.7 days; slower ones share the
/// last bucket).
const FINE_BUCKETS: usize = 128 + 34 * 64;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fine {
    counts: Vec<u64>,
    max: Vec<u64>,
    display: Vec<u64>,
}

fn fine_index(v: u64) -> usize {
    let v = v.min((1 << 41) - 1);
    if v < 128 {
        return usize::try_from(v).unwrap_or(0);
    }
    let e = 63 - v.leading_zeros();
    let m = usize::try_from(v >> (e - 6)).unwrap_or(127);
    let e = usize::try_from(e).unwrap_or(40);
    128 + (e - 7) * 64 + (m.saturating_sub(64))
}

impl Latency {
    /// The histogram and percentiles of these latencies (microseconds), as the capture summary computes them.
    pub fn of(latencies_us: impl IntoIterator<Item = u64>) -> Latency {
        let mut latency = Latency::default();
        for us in latencies_us {
            latency.add(us);
        }
        latency.settle();
        latency
    }

    /// Counts one latency.
    pub(super) fn add(&mut self, us: u64) {
        if self.fine.counts.is_empty() {
            self.fine.counts = vec![0; FINE_BUCKETS];
            self.fine.max = vec![0; FINE_BUCKETS];
            self.fine.display = vec![0; BOUNDS_US.len()];
        }
        let i = fine_index(us);
        if let (Some(c), Some(m)) = (self.fine.counts.get_mut(i), self.fine.max.get_mut(i)) {
            *c += 1;
            *m = (*m).max(us);
        }
        let slot = BOUNDS_US.partition_point(|&b| b < us);
        if let Some(n) = self.fine.display.get_mut(slot) {
            *n += 1;
        }
        self.count += 1;
    }

    fn merge(&mut self, other: &Latency) {
        if other.fine.counts.is_empty() {
            return;
        }
        if self.fine.counts.is_empty() {
            self.fine = other.fine.clone();
        } else {
            for (a, b) in self.fine.counts.iter_mut().zip(&other.fine.counts) {
                *a += b;
            }
            for (a, b) in self.fine.max.iter_mut().zip(&other.fine.max) {
                *a = (*a).max(*b);
            }
            for (a, b) in self.fine.display.iter_mut().zip(&other.fine.display) {
                *a += b;
            }
        }
        self.count += other.count;
    }

    /// Fills in the percentiles and display buckets from the fine histogram.
    pub(super) fn settle(&mut self) {
        let percentile = |p: u64| -> Option<u64> {
            let rank = (p * self.count).div_ceil(100).max(1);
            let mut seen = 0;
            for (c, m) in self.fine.counts.iter().zip(&self.fine.max) {
                seen += c;
                if *c > 0 && seen >= rank {
                    return Some(*m);
                }
            }
            None
        };
        if self.count == 0 {
            *self = Latency::default();
            return;
        }
        self.p50_us = percentile(50);
        self.p90_us = percentile(90);
        self.p99_us = percentile(99);
        self.max_us = self
            .fine
            .counts
            .iter()
            .zip(&self.fine.max)
            .rev()
            .find(|(c, _)| **c > 0)
            .map(|(_, m)| *m);
        self.buckets = BOUNDS_US
            .iter()
            .zip(&self.fine.display)
            .map(|(&b, &count)| Bucket {
                le_us: (b != u64::MAX).then_some(b),
                count,
            })
            .collect();
    }
}

impl Summary {
    /// Adds another capture's summary to this one.
    pub fn merge(&mut self, other: &Summary) {
        self.packets += other.packets;
        self.dns_messages += other.dns_messages;
        self.queries += other.queries;
        self.copies += other.copies;
        self.responses += other.responses;
        self.transactions += other.transactions;
        self.listed += other.listed;
        self.answered += other.answered;
        self.unanswered += other.unanswered;
        self.retried += other.retried;
        self.truncated += other.truncated;
        self.wrong_source += other.wrong_source;
        self.unmatched += other.unmatched;
        for (k, v) in &other.rcodes {
            *self.rcodes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.qtypes {
            *self.qtypes.entry(k.clone()).or_default() += v;
        }
        self.latency.merge(&other.latency);
        self.latency.settle();
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fine_buckets_are_exact_below_128_and_ordered() {
        assert_eq!(fine_index(0), 0);
        assert_eq!(fine_index(127), 127);
        assert_eq!(fine_index(128), 128);
        assert_eq!(fine_index(129), 128);
        assert_eq!(fine_index(130), 129);
        assert_eq!(fine_index(u64::MAX), FINE_BUCKETS - 1);
        let mut values: Vec<u64> = (0..40)
            .map(|s| 1u64 << s)
            .chain([5_000_000, 123_456_789])
            .collect();
        values.sort_unstable();
        let mut prev = 0;
        for v in values {
            let i = fine_index(v);
            assert!(i >= prev && i < FINE_BUCKETS, "{v}");
            prev = i;
        }
    }

    #[test]
    fn percentiles_are_measured_latencies_by_nearest_rank() {
        let mut l = Latency::default();
        for us in [110, 150, 1000, 12345, 5000, 20000] {
            l.add(us);
        }
        l.settle();
        // Sorted: 110 150 1000 5000 12345 20000. Ranks: p50 ceil(3) = 1000, p90 ceil(5.4) = 6th, p99 the 6th.
        assert_eq!(
            (l.p50_us, l.p90_us, l.p99_us, l.max_us),
            (Some(1000), Some(20000), Some(20000), Some(20000))
        );
        let counts: Vec<(Option<u64>, u64)> = l
            .buckets
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| (b.le_us, b.count))
            .collect();
        assert_eq!(
            counts,
            [
                (Some(200), 2),
                (Some(1000), 1),
                (Some(5000), 1),
                (Some(20000), 2)
            ]
        );
        assert_eq!(l.buckets.len(), 21);
        assert_eq!(l.buckets.last().map(|b| b.le_us), Some(None));
    }
}
