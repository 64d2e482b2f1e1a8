//! The DNS packet every capture reader produces — tcpdump text (`tcpdump.rs`) and pcap/pcapng (`pcap.rs`) — for the
//! transaction engine above (`crate::capture`), with the DNS vocabulary both sides share: record types, rcodes,
//! wire-format names. A packet borrows from the input or from the reader's buffers.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Where a capture reader hands each DNS packet: the transaction engine ([`crate::capture::Grouper`]), or a test's
/// list. The hints let the engine size its tables; they change nothing else.
pub trait PacketSink {
    /// About `n` transactions will follow (a guess from the input's size).
    fn reserve(&mut self, _n: usize) {}
    /// One DNS message.
    fn push(&mut self, packet: &Packet<'_>);
    /// `n` frames were read (DNS or not), for the counts.
    fn add_packets(&mut self, _n: u64) {}
}

/// The transport of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP: the DNS text follows the addresses.
    Udp,
    /// TCP: the DNS text follows the TCP summary.
    Tcp,
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The owner name (printed with `-v` and above).
    pub name: Option<String>,
    /// The TTL as printed with `-vvv` (`30s`, `1h`, `1d2h`).
    pub ttl: Option<String>,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The data as printed: `10.1.2.3`, `target.`, `target.:80 0 50`, …
    pub data: String,
}

/// When a packet was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Microseconds: since the epoch, or since midnight for a time of day printed without a date.
    pub micros: u64,
    /// Whether `micros` counts from midnight, so that it wraps at midnight.
    pub time_of_day: bool,
}

/// The address of a socket: an IP address, or a host name a text capture printed without `-n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// An IP address.
    Ip(IpAddr),
    /// An address as printed (text captures keep the printed form, name or not).
    Name(&'a str),
}

/// An address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sock<'a> {
    /// The address.
    pub host: Host<'a>,
    /// The port; `None` when a text capture printed a service name other than `domain`.
    pub port: Option<u16>,
}

impl std::fmt::Display for Sock<'_> {
    /// `ip:port`, `[ip]:port` for an address with colons, `?` for an unknown port.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:")?,
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:")?,
            Host::Name(name) if name.contains(':') => write!(f, "[{name}]:")?,
            Host::Name(name) => write!(f, "{name}:")?,
        }
        match self.port {
            Some(port) => write!(f, "{port}"),
            None => f.write_str("?"),
        }
    }
}

/// The question of a DNS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question<'a> {
    /// The name with its trailing dot, as sent (case kept).
    pub name: &'a str,
    /// The query type's number (`A` is 1; see [`type_name`]).
    pub qtype: u16,
}

/// The answer section of a response, still in the form the reader found it in: formatted only for the
/// transactions that are listed.
#[derive(Debug, Clone, Copy)]
pub enum Answers<'a> {
    /// No answers (a query, or a response whose answers are not known).
    None,
    /// The records tcpdump printed.
    Text(&'a [Record]),
    /// `count` wire-format records starting at byte `offset` of `message`.
    Wire {
        /// The whole DNS message (names may point anywhere in it).
        message: &'a [u8],
        /// Where the answer section starts.
        offset: usize,
        /// How many records to read.
        count: u16,
    },
}

/// One DNS message of a capture, as the transaction engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// The frame: its number in a pcap/pcapng file (1-based, as tshark counts), or its position among the DNS
    /// packets of a text capture.
    pub frame: u32,
    /// The 1-based line of a text capture; 0 for a binary capture.
    pub line: u32,
    /// When it was captured, if known.
    pub time: Option<Time>,
    /// UDP or TCP.
    pub transport: Transport,
    /// Where it came from.
    pub src: Sock<'a>,
    /// Where it went.
    pub dst: Sock<'a>,
    /// The DNS id.
    pub id: u16,
    /// Whether it is a response.
    pub response: bool,
    /// The rcode of a response ([`rcode_name`]); [`UNKNOWN_RCODE`] when a text capture printed a word dnatlas
    /// does not know.
    pub rcode: u16,
    /// Whether TC is set.
    pub truncated: bool,
    /// The first question, when the message has one (a text response shows it only with `-vv`).
    pub question: Option<Question<'a>>,
    /// The answer section of a response.
    pub answers: Answers<'a>,
}

/// The rcode of a response whose printed rcode is not one dnatlas knows.
pub const UNKNOWN_RCODE: u16 = u16::MAX;

/// Resource record types by number and name (IANA's registry, spelled as tcpdump and dig print them).
const TYPES: &[(u16, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (10, "NULL"),
    (11, "WKS"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (24, "SIG"),
    (25, "KEY"),
    (28, "AAAA"),
    (29, "LOC"),
    (33, "SRV"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (38, "A6"),
    (39, "DNAME"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (45, "IPSECKEY"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (99, "SPF"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
];

/// A record type's name: `A`, `AAAA`, … or `TYPE<n>` for a number without one.
pub fn type_name(qtype: u16) -> Cow<'static, str> {
    match TYPES.iter().find(|(n, _)| *n == qtype) {
        Some((_, name)) => Cow::Borrowed(name),
        None => Cow::Owned(format!("TYPE{qtype}")),
    }
}

/// A record type's number from its name (any case; `TYPE<n>` and tcpdump's `Type<n>` too).
pub fn type_code(name: &str) -> Option<u16> {
    if let Some((n, _)) = TYPES.iter().find(|(_, t)| t.eq_ignore_ascii_case(name)) {
        return Some(*n);
    }
    let digits = name.get(..4).filter(|p| p.eq_ignore_ascii_case("type"))?;
    name.get(digits.len()..)?.parse().ok()
}

/// Response codes by number and name (RFC 1035, 2136, 6891, 7873), upper case as the JSON contracts write them (docs/domain/formats.md §10).
const RCODES: &[(u16, &str)] = &[
    (0, "NOERROR"),
    (1, "FORMERR"),
    (2, "SERVFAIL"),
    (3, "NXDOMAIN"),
    (4, "NOTIMP"),
    (5, "REFUSED"),
    (6, "YXDOMAIN"),
    (7, "YXRRSET"),
    (8, "NXRRSET"),
    (9, "NOTAUTH"),
    (10, "NOTZONE"),
    (16, "BADVERS"),
    (17, "BADKEY"),
    (18, "BADTIME"),
    (19, "BADMODE"),
    (20, "BADNAME"),
    (21, "BADALG"),
    (22, "BADTRUNC"),
    (23, "BADCOOKIE"),
];

/// An rcode's name: `NOERROR`, `NXDOMAIN`, … or `RCODE<n>`.
pub fn rcode_name(rcode: u16) -> Cow<'static, str> {
    match RCODES.iter().find(|(n, _)| *n == rcode) {
        Some((_, name)) => Cow::Borrowed(name),
        None if rcode == UNKNOWN_RCODE => Cow::Borrowed("UNKNOWN"),
        None => Cow::Owned(format!("RCODE{rcode}")),
    }
}

/// An rcode's number from its name (any case; tcpdump's `Resp<n>` and `RCODE<n>` too).
pub fn rcode_code(name: &str) -> Option<u16> {
    if let Some((n, _)) = RCODES.iter().find(|(_, r)| r.eq_ignore_ascii_case(name)) {
        return Some(*n);
    }
    // tcpdump prints BADSIG for 16 when the message is signed.
    if name.eq_ignore_ascii_case("BADSIG") {
        return Some(16);
    }
    for prefix in ["resp", "rcode"] {
        if let Some(p) = name.get(..prefix.len()) {
            if p.eq_ignore_ascii_case(prefix) {
                return name.get(prefix.len()..)?.parse().ok();
            }
        }
    }
    None
}

/// Skips a domain name in wire format at `pos` of `message`; returns where it ends.
pub(crate) fn skip_name(message: &[u8], mut pos: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *message.get(pos)?;
        match len & 0xc0 {
            0 if len == 0 => return Some(pos + 1),
            0 => {
                pos = pos + 1 + usize::from(len);
                if pos > message.len() {
                    return None;
                }
            }
            0xc0 => return message.get(pos + 1).map(|_| pos + 2),
            _ => return None,
        }
    }
    None
}

/// The rcodes that mean the server could not or would not answer (`dns-servfail`).
pub fn is_failure(rcode: u16) -> bool {
    matches!(rcode, 2 | 5)
}
