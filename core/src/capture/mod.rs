//! What captures show: DNS packets grouped into transactions, counted and measured.
//!
//! Every capture reader — tcpdump text (`source/tcpdump.rs`) and pcap/pcapng (`source/pcap.rs`) — turns each DNS
//! message into a compact [`Packet`] (frame, time, sockets, id, flags, rcode, question, answers still in their wire
//! or text form) and feeds it to one [`engine::Grouper`], which pairs queries and answers into the
//! `captures.transactions` (`transactions.rs` has the contract types and the semantics), keeps the counts and the
//! latency histogram of the [`Summary`], and gathers what the capture findings need. A packet borrows from the
//! input or from the reader's buffers, so reading a capture allocates per transaction, not per packet.
//! `lookups.rs` reads the transactions back into the application lookups that sent them and compares each with the
//! resolver's plan.

pub mod engine;

pub mod lookups;
pub mod transactions;

use serde::{Deserialize, Serialize};

pub use engine::summary::{Bucket, Latency, Summary};
pub use engine::{Grouper, Limits};
pub use transactions::{QueryCopy, StrayReply, Transaction, Transactions};

pub use crate::source::packet::{
    is_failure, rcode_code, rcode_name, type_code, type_name, Answers, Host, Packet, Question,
    Sock, Time, Transport, UNKNOWN_RCODE,
};

/// Every DNS transaction of every capture input of an analysis (the `captures` of `dnatlas.analysis/1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captures {
    /// One entry per transaction, capture by capture, each in the order of its first query; at most
    /// [`Limits::max_listed`] in all (the [`Summary`] counts every one).
    pub transactions: Vec<Transaction>,
    /// Responses to a transaction's client and id from an address other than the one the query went to.
    pub wrong_source: Vec<StrayReply>,
    /// Responses that match no query of their capture.
    pub unmatched: Vec<StrayReply>,
    /// Counts, rcodes, types and the latency histogram over every capture.
    pub summary: Summary,
    /// The listed transactions read back into the application lookups that sent them, each compared with the
    /// resolver's plan (`lookups.rs`); `queries` index `transactions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<lookups::Lookup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        assert_eq!(type_name(28), "AAAA");
        assert_eq!(type_name(65), "HTTPS");
        assert_eq!(type_name(4242), "TYPE4242");
        assert_eq!(type_code("aaaa"), Some(28));
        assert_eq!(type_code("Type65"), Some(65));
        assert_eq!(type_code("TYPE4242"), Some(4242));
        assert_eq!(type_code("Typo"), None);
        assert_eq!(rcode_name(3), "NXDOMAIN");
        assert_eq!(rcode_name(12), "RCODE12");
        assert_eq!(rcode_code("NXDomain"), Some(3));
        assert_eq!(rcode_code("Resp12"), Some(12));
        assert_eq!(rcode_code("Banana"), None);
    }

    #[test]
    fn sockets_print_as_the_contract_says() {
        let v6 = Sock {
            host: Host::Ip("fd00::a".parse().unwrap()),
            port: Some(53),
        };
        assert_eq!(v6.to_string(), "[fd00::a]:53");
        let named = Sock {
            host: Host::Name("web-7d4.default"),
            port: None,
        };
        assert_eq!(named.to_string(), "web-7d4.default:?");
    }
}
