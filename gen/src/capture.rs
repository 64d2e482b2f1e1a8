//! Deterministic DNS captures of pods resolving names on a Kubernetes node, for dnatlas's capture tests and
//! benchmarks.
//!
//! [`Traffic`] simulates pods that resolve names the way their stub resolver does: the candidate names and stop
//! rules come from [`dnatlas_core::dns::plan::walk`] with the pod's kubelet-written `resolv.conf` (ClusterFirst:
//! `search <ns>.svc.cluster.local svc.cluster.local cluster.local [node domains]`, `nameserver 10.96.0.10`,
//! `options ndots:5`), and a small cluster answers them: a Service that exists gets NOERROR with its cluster IP
//! (or its endpoints, for a headless one) for A and NODATA for AAAA in an IPv4 cluster (the other way round in an
//! IPv6 one), a namespace apex gets NODATA, any other name in `cluster.local` NXDOMAIN with the zone's SOA, and
//! names outside the zone are answered "upstream" after a longer latency (100 µs–2 ms in the cluster, 5–50 ms
//! upstream, log-uniform). Each resolver sends what it really sends (docs/domain/resolvers.md §2–§4):
//!
//! - glibc: A and AAAA in parallel from one socket with consecutive ids, a new source port per candidate; when one
//!   of the pair is lost it re-sends both after `timeout` (5 s) on the same socket, one after the other (glibc's
//!   switch to single-request mode), then once more from a new socket; when both are lost it re-sends both after
//!   `timeout`, `attempts` (2) times in all; a truncated (TC) answer makes it ask both again over TCP, the two
//!   length-prefixed queries in one segment.
//! - musl: A and AAAA together from one socket per candidate, unanswered ones re-sent every `timeout/attempts`
//!   (2.5 s) until `timeout`; an old musl (before 1.2.4) takes a truncated answer as it is, a newer one retries the
//!   query over TCP.
//! - Go: A and AAAA from two sockets, each with an EDNS0 OPT (UDP size 1232), a new socket and id for each try.
//!
//! Faults are per packet: a query dropped after the capture point (the conntrack race: it is seen, never answered),
//! a reply lost before it, a reply from the CoreDNS pod's address instead of the Service VIP (reverse NAT did not
//! apply; the client's connected socket ignores it and re-sends after its timeout), SERVFAIL from upstream,
//! REFUSED; a SERVFAIL or REFUSED answer ends the candidate (glibc really tries the next server first). Answers
//! bigger than the client's UDP size (512 bytes, or the EDNS size) are truncated as CoreDNS does (records that fit,
//! TC set). Over TCP there is a handshake, real sequence and acknowledgement numbers, and a message may be split
//! across segments (also inside its two-byte length prefix); then each side closes.
//!
//! The capture is taken where `tcpdump -i any` on the node sees the client pod's traffic, on its host-side veth
//! (queries `In` to the Service VIP before DNAT, replies `Out` from it), or on the `cni0` bridge for Ethernet.
//! [`write`] writes it as pcap (µs or ns, little- or big-endian) or pcapng (SHB, one IDB per interface, EPBs),
//! framed as Ethernet (optionally 802.1Q-tagged), LINUX_SLL, LINUX_SLL2 (as `tcpdump -i any` writes, packet type
//! 4 for outgoing) or RAW; IPv4 or IPv6, with correct IPv4 header, UDP and TCP checksums. DNS messages are built
//! and encoded with `hickory-proto` (names compressed as it compresses them). [`write_text`] prints the same
//! packets as `tcpdump -n` does (docs/domain/formats.md §8), so the text and binary paths of the same traffic can be compared:
//! over TCP tcpdump prints only the first message of a segment, and a segment that does not start with a message
//! gets no DNS text.
//!
//! Instead of simulated pods, [`CaptureConfig::script`] lists packets one by one (used to re-create a capture
//! printed by tcpdump). The same configuration always gives the same bytes; the only randomness is a seeded
//! xorshift generator. Packets come out in time order while the simulation runs, so memory stays bounded (only the
//! packets later than the next lookup's start wait: a few hundred) however many packets are written.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use dnatlas_core::dns::plan::{self, Outcome, Resolver};
use dnatlas_core::source::resolv_conf::{self, ResolvConf};
use etherparse::{IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, TcpHeader, UdpHeader};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde::{Deserialize, Serialize};

use crate::Rng;

/// Nanoseconds per microsecond, millisecond and second.
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// The snapshot length written in the file headers (tcpdump's default).
pub const SNAPLEN: u32 = 262_144;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptureConfig {
    /// Stop after this many packets, wherever the traffic is (as `tcpdump -c` does); 0 for no packet limit.
    pub packets: u64,
    /// Stop after this many lookups (each one a pod resolving one name); 0 for no lookup limit. With both limits
    /// 0, 1,000 lookups.
    pub lookups: u64,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
    /// The day of the capture, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The time of the first lookup on that day, `HH:MM:SS[.ffffff]` (UTC).
    pub start: String,
    /// pcap or pcapng.
    pub format: Format,
    /// Nanosecond timestamps (pcap magic `a1b23c4d`; pcapng `if_tsresol` 9) rather than microseconds.
    pub nanos: bool,
    /// Big-endian headers and records rather than little-endian.
    pub big_endian: bool,
    /// The link-layer framing.
    pub link: Link,
    /// An 802.1Q tag with this VLAN id on Ethernet frames.
    pub vlan: Option<u16>,
    /// pcapng only: a second interface with this framing; every other pod is captured on it.
    pub second_link: Option<Link>,
    /// An IPv6 single-stack cluster rather than IPv4.
    pub ipv6: bool,
    /// Client pods.
    pub pods: u32,
    /// Lookups started per second, on average (exponential gaps).
    pub rate: f64,
    /// Weight of glibc pods in the mix.
    pub glibc: u32,
    /// Weight of musl pods.
    pub musl: u32,
    /// Weight of Go pods.
    pub go: u32,
    /// Share of glibc pods whose application asks for IPv4 addresses only (`gethostbyname`, or `getaddrinfo`
    /// with `AF_INET`): A queries alone.
    pub a_only: f64,
    /// The node's search domains, appended to every pod's search list.
    pub node_search: Vec<String>,
    /// Probability that a UDP query is dropped after the capture point (seen, never answered).
    pub query_loss: f64,
    /// Probability that a UDP reply is lost before the capture point (not seen).
    pub reply_loss: f64,
    /// Probability that a UDP reply comes from the CoreDNS pod's address instead of the Service VIP.
    pub wrong_source: f64,
    /// Probability that a query for a name outside the cluster gets SERVFAIL.
    pub servfail: f64,
    /// Probability that a query gets REFUSED.
    pub refused: f64,
    /// What the pods look up.
    pub names: NameMix,
    /// Share of lookups that ask for the large headless Service, whose A answer does not fit in 512 bytes.
    pub truncation: f64,
    /// Share of musl pods that retry a truncated answer over TCP (musl 1.2.4 and later); glibc and Go always do.
    pub tcp_fallback: f64,
    /// Probability that a DNS message sent over TCP is split across two or three segments.
    pub tcp_split: f64,
    /// Packets to write instead of simulated traffic, in order.
    pub script: Vec<ScriptPacket>,
}

impl Default for CaptureConfig {
    /// A node with 40 pods starting 500 lookups a second, mostly glibc, with rare losses, SERVFAILs and
    /// truncated answers.
    fn default() -> Self {
        Self {
            packets: 0,
            lookups: 0,
            seed: 1,
            date: "2024-05-01".to_string(),
            start: "08:00:00".to_string(),
            format: Format::Pcap,
            nanos: false,
            big_endian: false,
            link: Link::Sll2,
            vlan: None,
            second_link: None,
            ipv6: false,
            pods: 40,
            rate: 500.0,
            glibc: 60,
            musl: 25,
            go: 15,
            a_only: 0.3,
            names: NameMix::default(),
            node_search: vec!["ec2.internal".to_string()],
            query_loss: 0.002,
            reply_loss: 0.001,
            wrong_source: 0.0005,
            servfail: 0.01,
            refused: 0.0005,
            truncation: 0.01,
            tcp_fallback: 0.5,
            tcp_split: 0.3,
            script: Vec::new(),
        }
    }
}

/// Weights of the kinds of names the pods look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NameMix {
    /// A Service of the pod's own namespace by its short name (`api`): found at the first candidate.
    pub own: u32,
    /// `service.namespace` (`ledger.payments`): NXDOMAIN for the first candidate, found at the second.
    pub other_namespace: u32,
    /// The full name without the trailing dot (`api.payments.svc.cluster.local`, 4 dots < ndots 5): every
    /// search candidate gets NXDOMAIN before the name as it is.
    pub full_name: u32,
    /// The full name with the trailing dot: asked as it is, once.
    pub rooted: u32,
    /// A name outside the cluster (`api.github.com`): NXDOMAIN through the search list, then the upstream answer.
    pub external: u32,
    /// A short name that exists nowhere (`vault`): NXDOMAIN for every candidate, the last one from upstream.
    pub missing: u32,
}

impl Default for NameMix {
    fn default() -> Self {
        Self {
            own: 50,
            other_namespace: 14,
            full_name: 5,
            rooted: 8,
            external: 17,
            missing: 6,
        }
    }
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// libpcap's classic format: one link type for every packet.
    Pcap,
    /// pcapng: one interface description per interface, enhanced packet blocks.
    Pcapng,
}

/// The link-layer framing of the packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// LINKTYPE_ETHERNET (1): a capture on the `cni0` bridge or inside a pod.
    Ethernet,
    /// LINKTYPE_LINUX_SLL (113): `tcpdump -i any` with libpcap before 1.10.
    Sll,
    /// LINKTYPE_LINUX_SLL2 (276): `tcpdump -i any` with libpcap 1.10 and later.
    Sll2,
    /// LINKTYPE_RAW (101): IP packets with no link header (a tunnel device).
    Raw,
}

impl Link {
    /// The LINKTYPE number.
    pub fn linktype(self) -> u16 {
        match self {
            Link::Ethernet => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Raw => 101,
        }
    }

    /// The interface name a capture with this framing is typically taken on.
    fn interface_name(self) -> &'static str {
        match self {
            Link::Ethernet => "cni0",
            Link::Sll | Link::Sll2 => "any",
            Link::Raw => "tunl0",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "ethernet" | "en10mb" | "eth" => Ok(Link::Ethernet),
            "sll" | "linux_sll" => Ok(Link::Sll),
            "sll2" | "linux_sll2" => Ok(Link::Sll2),
            "raw" => Ok(Link::Raw),
            _ => Err(format!("{s:?} is not ethernet, sll, sll2 or raw")),
        }
    }
}

impl std::str::FromStr for Link {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Link::parse(&s.to_ascii_lowercase())
    }
}

/// One packet of a scripted capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptPacket {
    /// `HH:MM:SS.ffffff` on [`CaptureConfig::date`].
    pub time: String,
    /// `ip:port` (`[ip]:port` for IPv6).
    pub src: String,
    /// `ip:port`.
    pub dst: String,
    /// The IPv4 identification.
    #[serde(default)]
    pub ip_id: u16,
    /// The IPv4 TTL or IPv6 hop limit.
    #[serde(default = "default_ttl")]
    pub ttl: u8,
    /// The IPv4 don't-fragment flag.
    #[serde(default)]
    pub df: bool,
    /// Sent by the capturing host (LINUX_SLL packet type 4) rather than received.
    #[serde(default)]
    pub outgoing: bool,
    /// The DNS message, sent over UDP.
    pub dns: ScriptDns,
}

fn default_ttl() -> u8 {
    64
}

/// The DNS message of a scripted packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptDns {
    /// The id.
    pub id: u16,
    /// A response rather than a query.
    #[serde(default)]
    pub response: bool,
    /// RD.
    #[serde(default)]
    pub rd: bool,
    /// RA.
    #[serde(default)]
    pub ra: bool,
    /// AA.
    #[serde(default)]
    pub aa: bool,
    /// TC.
    #[serde(default)]
    pub tc: bool,
    /// `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, …
    #[serde(default = "default_rcode")]
    pub rcode: String,
    /// The question's name, with its trailing dot.
    pub name: String,
    /// The question's type (`A`, `AAAA`, `PTR`, …).
    #[serde(rename = "type")]
    pub qtype: String,
    /// The answer section.
    #[serde(default)]
    pub answers: Vec<ScriptRecord>,
    /// The authority section.
    #[serde(default)]
    pub authority: Vec<ScriptRecord>,
}

fn default_rcode() -> String {
    "NOERROR".to_string()
}

/// A resource record of a scripted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptRecord {
    /// The owner name.
    pub name: String,
    /// The TTL.
    pub ttl: u32,
    /// `A`, `AAAA`, `CNAME`, `PTR` or `SOA`.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The data as a zone file writes it (`10.1.2.3`; SOA: `mname rname serial refresh retry expire minimum`).
    pub data: String,
}

/// A TCP segment's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number (meaningful with `ack`).
    pub ack_number: u32,
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// PSH.
    pub psh: bool,
    /// FIN.
    pub fin: bool,
    /// The advertised window (unscaled).
    pub window: u16,
    /// The sender's initial sequence number and the peer's, for tcpdump's relative numbers.
    pub isn: (u32, u32),
    /// Whether the payload starts with a DNS message's length prefix.
    pub message_start: bool,
}

/// One captured packet, before framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Nanoseconds since the epoch.
    pub time_ns: u64,
    /// The capture interface (pcapng interface id; 1 only with a second link).
    pub interface: u32,
    /// The device it was seen on (`tcpdump -i any` prints it) and its ifindex.
    pub device: Arc<str>,
    /// The device's ifindex (LINUX_SLL2).
    pub ifindex: u32,
    /// Sent by the capturing host to the pod rather than received from it.
    pub outgoing: bool,
    /// Source socket.
    pub src: SocketAddr,
    /// Destination socket.
    pub dst: SocketAddr,
    /// Source MAC address.
    pub src_mac: [u8; 6],
    /// Destination MAC address.
    pub dst_mac: [u8; 6],
    /// IPv4 identification.
    pub ip_id: u16,
    /// TTL / hop limit.
    pub ttl: u8,
    /// IPv4 don't-fragment flag.
    pub dont_fragment: bool,
    /// TCP header fields; `None` for UDP.
    pub tcp: Option<TcpSegment>,
    /// The transport payload: a DNS message over UDP, bytes of length-prefixed messages over TCP.
    pub payload: Vec<u8>,
    /// DNS messages this packet completes (1 for a UDP DNS packet).
    pub dns_messages: u32,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets (frames) written.
    pub packets: u64,
    /// DNS messages they carry.
    pub dns_messages: u64,
    /// Lookups started (by the simulation; 0 for a script).
    pub lookups: u64,
    /// Bytes written.
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------------------------------
// Time

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds from the epoch to midnight of `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<u64, String> {
    let bad = || format!("date {s:?} is not YYYY-MM-DD");
    let mut parts = s.split('-');
    let mut next =
        || -> Result<i64, String> { parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad) };
    let (y, m, d) = (next()?, next()?, next()?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    u64::try_from(days_from_civil(y, m, d))
        .map(|days| days * 86_400 * S)
        .map_err(|_| bad())
}

/// Nanoseconds from midnight to `HH:MM:SS[.fraction]`.
fn parse_clock(s: &str) -> Result<u64, String> {
    let bad = || format!("time {s:?} is not HH:MM:SS[.ffffff]");
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let fields: Vec<u64> = hms
        .split(':')
        .map(|p| p.parse::<u64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [h, m, sec] = fields[..] else {
        return Err(bad());
    };
    if h > 23 || m > 59 || sec > 60 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let mut ns = 0;
    for (i, b) in frac.bytes().enumerate() {
        ns += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
    }
    Ok(((h * 60 + m) * 60 + sec) * S + ns)
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster and its DNS answers

/// The cluster DNS zone.
const ZONE: &str = "cluster.local.";

/// What a server answers for one question.
#[derive(Debug, Clone)]
struct Served {
    rcode: ResponseCode,
    /// CoreDNS answers for its zone with AA set and RA clear; forwarded answers have AA clear and RA set.
    authoritative: bool,
    answers: Vec<Record>,
    authority: Vec<Record>,
    /// Answered by the upstream resolver (longer latency).
    upstream: bool,
}

#[derive(Debug, Clone)]
struct ServiceDef {
    name: &'static str,
    addresses: Vec<IpAddr>,
}

#[derive(Debug, Clone)]
struct NamespaceDef {
    name: &'static str,
    services: Vec<ServiceDef>,
    /// Whether client pods run here.
    clients: bool,
}

/// A name outside the cluster and what upstream answers for it.
#[derive(Debug, Clone, Copy)]
struct External {
    name: &'static str,
    /// CNAME chain before the addresses.
    cnames: &'static [&'static str],
    a: &'static [&'static str],
    aaaa: &'static [&'static str],
}

const EXTERNAL: &[External] = &[
    External {
        name: "www.example.com.",
        cnames: &[],
        a: &["93.184.215.14"],
        aaaa: &["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    },
    External {
        name: "api.github.com.",
        cnames: &[],
        a: &["140.82.121.6"],
        aaaa: &[],
    },
    External {
        name: "registry-1.docker.io.",
        cnames: &[],
        a: &["54.236.113.205", "54.227.20.253", "3.219.239.5"],
        aaaa: &["2600:1f18:2148:bc00:cfd9:b6a5:e4d3:9b43"],
    },
    External {
        name: "sts.amazonaws.com.",
        cnames: &[],
        a: &["209.54.177.164"],
        aaaa: &[],
    },
    External {
        name: "storage.googleapis.com.",
        cnames: &[],
        a: &["142.250.185.187", "142.250.185.219"],
        aaaa: &["2a00:1450:4001:82b::201b"],
    },
    External {
        name: "login.microsoftonline.com.",
        cnames: &[
            "login.mso.msidentity.com.",
            "ak.privatelink.msidentity.com.",
        ],
        a: &["20.190.151.7", "20.190.151.68"],
        aaaa: &[],
    },
    External {
        name: "pypi.org.",
        cnames: &[],
        a: &["151.101.0.223", "151.101.64.223"],
        aaaa: &["2a04:4e42::223"],
    },
];

/// Short names that exist nowhere: every candidate gets NXDOMAIN.
const MISSING: &[&str] = &["nginx", "redis-master", "elasticsearch", "vault", "mysql"];

/// The large headless Service: its A answer does not fit in 512 bytes.
const HEADLESS: (&str, &str) = ("kafka", "data");

#[derive(Debug, Clone)]
struct Cluster {
    namespaces: Vec<NamespaceDef>,
    vip: IpAddr,
    coredns: [IpAddr; 2],
    soa: Record,
}

fn name(s: &str) -> Name {
    // Every name here is built from fixed labels or from a config's names; a bad one becomes the root.
    Name::from_ascii(s).unwrap_or_else(|_| Name::root())
}

fn soa_record(
    owner: &str,
    ttl: u32,
    mname: &str,
    rname: &str,
    serial: u32,
    times: [u32; 4],
) -> Record {
    let [refresh, retry, expire, minimum] = times;
    Record::from_rdata(
        name(owner),
        ttl,
        RData::SOA(SOA::new(
            name(mname),
            name(rname),
            serial,
            refresh as i32,
            retry as i32,
            expire as i32,
            minimum,
        )),
    )
}

impl Cluster {
    fn new(ipv6: bool, rng: &mut Rng) -> Self {
        let service_ip = |n: u32| -> IpAddr {
            if ipv6 {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x96, 0, 0, 0, 0, n as u16))
            } else {
                IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 96, 0, 0)) + n))
            }
        };
        let mut used = std::collections::BTreeSet::from([1, 10]);
        let mut next_ip = |rng: &mut Rng| loop {
            // 10.96.0.0/12 has room; keep to the first /16 as small clusters do.
            let n = 2 + rng.below(65_000) as u32;
            if used.insert(n) {
                break service_ip(n);
            }
        };
        let spec: &[(&str, &[&str], bool)] = &[
            ("default", &["kubernetes", "web", "api", "redis"], true),
            ("payments", &["api", "ledger", "postgres"], true),
            ("checkout", &["cart", "api", "worker"], true),
            ("catalog", &["search", "db"], true),
            (
                "monitoring",
                &["prometheus", "grafana", "alertmanager"],
                true,
            ),
            ("data", &["kafka", "zookeeper"], true),
            ("kube-system", &["kube-dns", "metrics-server"], false),
        ];
        let mut namespaces = Vec::new();
        for &(ns, services, clients) in spec {
            let mut defs = Vec::new();
            for &svc in services {
                let addresses = match (ns, svc) {
                    ("default", "kubernetes") => vec![service_ip(1)],
                    ("kube-system", "kube-dns") => vec![service_ip(10)],
                    (n, s) if (s, n) == HEADLESS => (0..40u16)
                        .map(|i| {
                            let node = 1 + i % 4;
                            let host = 10 + i / 4 * 7 + i % 3;
                            if ipv6 {
                                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, node, 0, 0, 0, host))
                            } else {
                                IpAddr::V4(Ipv4Addr::new(10, 244, node as u8, host as u8))
                            }
                        })
                        .collect(),
                    _ => vec![next_ip(rng)],
                };
                defs.push(ServiceDef {
                    name: svc,
                    addresses,
                });
            }
            namespaces.push(NamespaceDef {
                name: ns,
                services: defs,
                clients,
            });
        }
        let coredns = if ipv6 {
            [
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 2)),
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 3)),
            ]
        } else {
            [
                IpAddr::V4(Ipv4Addr::new(10, 244, 0, 2)),
                IpAddr::V4(Ipv4Addr::new(10, 244, 0, 3)),
            ]
        };
        Self {
            namespaces,
            vip: service_ip(10),
            coredns,
            soa: soa_record(
                ZONE,
                5,
                "ns.dns.cluster.local.",
                "hostmaster.cluster.local.",
                1_714_550_400,
                [7200, 1800, 86400, 5],
            ),
        }
    }

    fn namespace(&self, ns: &str) -> Option<&NamespaceDef> {
        self.namespaces.iter().find(|n| n.name == ns)
    }

    /// What CoreDNS answers for `qname` (lower case, fully qualified) and `qtype` (A or AAAA).
    fn serve(&self, qname: &str, qtype: RecordType) -> Served {
        let cluster = |rcode, answers: Vec<Record>, soa: bool| Served {
            rcode,
            authoritative: true,
            answers,
            authority: if soa {
                vec![self.soa.clone()]
            } else {
                Vec::new()
            },
            upstream: false,
        };
        if qname == ZONE || qname == "svc.cluster.local." {
            return cluster(ResponseCode::NoError, Vec::new(), true);
        }
        if let Some(rest) = qname.strip_suffix(".svc.cluster.local.") {
            let labels: Vec<&str> = rest.split('.').collect();
            return match labels[..] {
                [ns] if self.namespace(ns).is_some() => {
                    cluster(ResponseCode::NoError, Vec::new(), true)
                }
                [svc, ns] => match self
                    .namespace(ns)
                    .and_then(|n| n.services.iter().find(|s| s.name == svc))
                {
                    Some(service) => {
                        let records: Vec<Record> = service
                            .addresses
                            .iter()
                            .filter_map(|ip| match (ip, qtype) {
                                (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(*v4))),
                                (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(*v6))),
                                _ => None,
                            })
                            .map(|rdata| Record::from_rdata(name(qname), 5, rdata))
                            .collect();
                        let soa = records.is_empty();
                        cluster(ResponseCode::NoError, records, soa)
                    }
                    None => cluster(ResponseCode::NXDomain, Vec::new(), true),
                },
                _ => cluster(ResponseCode::NXDomain, Vec::new(), true),
            };
        }
        if qname.ends_with(".cluster.local.") {
            return cluster(ResponseCode::NXDomain, Vec::new(), true);
        }
        // Forwarded upstream.
        let upstream = |rcode, answers, authority| Served {
            rcode,
            authoritative: false,
            answers,
            authority,
            upstream: true,
        };
        let parent = |n: &str| -> String {
            let labels: Vec<&str> = n.trim_end_matches('.').split('.').collect();
            let keep = labels.len().min(2);
            format!("{}.", labels[labels.len() - keep..].join("."))
        };
        let zone_soa = |zone: &str| {
            soa_record(
                zone,
                300,
                &format!("ns1.{zone}"),
                &format!("hostmaster.{zone}"),
                2_024_050_101,
                [7200, 3600, 1_209_600, 300],
            )
        };
        match EXTERNAL.iter().find(|e| e.name == qname) {
            Some(e) => {
                let mut answers = Vec::new();
                let mut owner = e.name;
                for &target in e.cnames {
                    answers.push(Record::from_rdata(
                        name(owner),
                        300,
                        RData::CNAME(CNAME(name(target))),
                    ));
                    owner = target;
                }
                let addresses: Vec<RData> = match qtype {
                    RecordType::A => {
                        e.a.iter()
                            .filter_map(|a| a.parse().ok().map(|ip| RData::A(A(ip))))
                            .collect()
                    }
                    _ => e
                        .aaaa
                        .iter()
                        .filter_map(|a| a.parse().ok().map(|ip| RData::AAAA(AAAA(ip))))
                        .collect(),
                };
                if addresses.is_empty() {
                    // NODATA: the CNAMEs, and the SOA of the zone that holds the last name.
                    upstream(
                        ResponseCode::NoError,
                        answers,
                        vec![zone_soa(&parent(owner))],
                    )
                } else {
                    answers.extend(
                        addresses
                            .into_iter()
                            .map(|rdata| Record::from_rdata(name(owner), 60, rdata)),
                    );
                    upstream(ResponseCode::NoError, answers, Vec::new())
                }
            }
            None => {
                let labels = qname.trim_end_matches('.').split('.').count();
                let soa = if labels <= 1 {
                    soa_record(
                        ".",
                        86400,
                        "a.root-servers.net.",
                        "nstld.verisign-grs.com.",
                        2_024_050_100,
                        [1800, 900, 604_800, 86400],
                    )
                } else {
                    zone_soa(&parent(qname))
                };
                upstream(ResponseCode::NXDomain, Vec::new(), vec![soa])
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// DNS messages

/// A query message.
fn query_message(id: u16, qname: &str, qtype: RecordType, edns: bool) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(name(qname), qtype));
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    m.to_vec().unwrap_or_default()
}

/// A response message, truncated as CoreDNS truncates (the records that fit, TC set) when it is longer than
/// `limit`. Returns the bytes, whether TC is set and how many answer records it holds.
fn response_message(
    id: u16,
    qname: &str,
    qtype: RecordType,
    served: &Served,
    edns: bool,
    limit: usize,
) -> (Vec<u8>, bool, usize) {
    let mut m = Message::new(id, MessageType::Response, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.metadata.authoritative = served.authoritative;
    m.metadata.recursion_available = !served.authoritative;
    m.metadata.response_code = served.rcode;
    m.add_query(Query::query(name(qname), qtype));
    m.add_answers(served.answers.iter().cloned());
    m.add_authorities(served.authority.iter().cloned());
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    let bytes = m.to_vec().unwrap_or_default();
    if bytes.len() <= limit {
        return (bytes, false, m.answers.len());
    }
    m.metadata.truncation = true;
    m.authorities.clear();
    while m.answers.pop().is_some() {
        let bytes = m.to_vec().unwrap_or_default();
        if bytes.len() <= limit {
            return (bytes, true, m.answers.len());
        }
    }
    (m.to_vec().unwrap_or_default(), true, 0)
}

fn record_type(s: &str) -> Result<RecordType, String> {
    match s.to_ascii_uppercase().as_str() {
        "A" => Ok(RecordType::A),
        "AAAA" => Ok(RecordType::AAAA),
        "PTR" => Ok(RecordType::PTR),
        "CNAME" => Ok(RecordType::CNAME),
        "SOA" => Ok(RecordType::SOA),
        "SRV" => Ok(RecordType::SRV),
        "TXT" => Ok(RecordType::TXT),
        _ => Err(format!("record type {s:?} is not supported")),
    }
}

/// A name of a script, which must be one.
fn script_name(s: &str) -> Result<Name, String> {
    Name::from_ascii(s).map_err(|e| format!("{s:?} is not a domain name: {e}"))
}

fn script_record(r: &ScriptRecord) -> Result<Record, String> {
    let bad = || format!("{} record data {:?} cannot be read", r.rtype, r.data);
    let rdata = match record_type(&r.rtype)? {
        RecordType::A => RData::A(A(r.data.parse().map_err(|_| bad())?)),
        RecordType::AAAA => RData::AAAA(AAAA(r.data.parse().map_err(|_| bad())?)),
        RecordType::CNAME => RData::CNAME(CNAME(script_name(&r.data)?)),
        RecordType::PTR => RData::PTR(PTR(script_name(&r.data)?)),
        RecordType::SOA => {
            let f: Vec<&str> = r.data.split_whitespace().collect();
            let [mname, rname, serial, refresh, retry, expire, minimum] = f[..] else {
                return Err(bad());
            };
            let n = |s: &str| s.parse::<u32>().map_err(|_| bad());
            RData::SOA(SOA::new(
                script_name(mname)?,
                script_name(rname)?,
                n(serial)?,
                n(refresh)? as i32,
                n(retry)? as i32,
                n(expire)? as i32,
                n(minimum)?,
            ))
        }
        _ => return Err(bad()),
    };
    Ok(Record::from_rdata(script_name(&r.name)?, r.ttl, rdata))
}

fn script_message(d: &ScriptDns) -> Result<Vec<u8>, String> {
    let kind = if d.response {
        MessageType::Response
    } else {
        MessageType::Query
    };
    let mut m = Message::new(d.id, kind, OpCode::Query);
    m.metadata.recursion_desired = d.rd;
    m.metadata.recursion_available = d.ra;
    m.metadata.authoritative = d.aa;
    m.metadata.truncation = d.tc;
    m.metadata.response_code = match d.rcode.to_ascii_uppercase().as_str() {
        "NOERROR" => ResponseCode::NoError,
        "FORMERR" => ResponseCode::FormErr,
        "SERVFAIL" => ResponseCode::ServFail,
        "NXDOMAIN" => ResponseCode::NXDomain,
        "NOTIMP" => ResponseCode::NotImp,
        "REFUSED" => ResponseCode::Refused,
        other => return Err(format!("rcode {other:?} is not supported")),
    };
    m.add_query(Query::query(script_name(&d.name)?, record_type(&d.qtype)?));
    for r in &d.answers {
        m.add_answer(script_record(r)?);
    }
    for r in &d.authority {
        m.add_authority(script_record(r)?);
    }
    m.to_vec().map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------------------------
// The simulation

/// A client pod.
#[derive(Debug, Clone)]
struct Pod {
    ip: IpAddr,
    mac: [u8; 6],
    namespace: &'static str,
    resolver: Resolver,
    /// Whether its resolver retries a truncated answer over TCP.
    tcp_fallback: bool,
    /// Whether its application asks for IPv4 addresses only (glibc: A queries alone).
    a_only: bool,
    conf: Arc<ResolvConf>,
    device: Arc<str>,
    ifindex: u32,
    interface: u32,
}

/// A reply the client accepted.
#[derive(Debug, Clone, Copy)]
struct Got {
    time: u64,
    rcode: ResponseCode,
    records: bool,
    truncated: bool,
}

fn combine(got: &[Option<Got>]) -> Outcome {
    if got.iter().flatten().any(|g| g.records) {
        return Outcome::Answer;
    }
    match got.iter().flatten().next().map(|g| g.rcode) {
        Some(ResponseCode::NXDomain) => Outcome::NxDomain,
        Some(ResponseCode::NoError) => Outcome::NoData,
        Some(ResponseCode::ServFail) => Outcome::ServFail,
        _ => Outcome::Timeout,
    }
}

/// The MAC address the Kubernetes bridge plugin gives a pod's interface: `0a:58` and the IPv4 address (the
/// last four bytes of an IPv6 one).
fn mac_of(ip: IpAddr) -> [u8; 6] {
    let b = match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(v6) => {
            let o = v6.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x0a, 0x58, b[0], b[1], b[2], b[3]]
}

/// The bridge's own MAC address (the pods' gateway).
const GATEWAY_MAC: [u8; 6] = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01];

#[derive(Debug)]
struct Sim {
    config: CaptureConfig,
    rng: Rng,
    cluster: Cluster,
    pods: Vec<Pod>,
    buffer: BTreeMap<(u64, u64), Packet>,
    sequence: u64,
    next_start: u64,
    lookups: u64,
}

impl Sim {
    fn new(config: &CaptureConfig) -> Result<Self, String> {
        let midnight = parse_date(&config.date)?;
        let start = midnight + parse_clock(&config.start)?;
        let mut rng = Rng::new(config.seed);
        let cluster = Cluster::new(config.ipv6, &mut rng);
        let client_namespaces: Vec<&'static str> = cluster
            .namespaces
            .iter()
            .filter(|n| n.clients)
            .map(|n| n.name)
            .collect();
        let weights = [config.glibc, config.musl, config.go];
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 && config.script.is_empty() {
            return Err("the resolver weights (glibc, musl, go) are all 0".to_string());
        }
        let mut pods = Vec::new();
        for i in 0..config.pods.max(1) {
            let namespace = client_namespaces[(i as usize) % client_namespaces.len()];
            let node = 1 + (i / 200) as u16;
            let host = 20 + (i % 200) as u16;
            let ip = if config.ipv6 {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, node, 0, 0, 0, host))
            } else {
                IpAddr::V4(Ipv4Addr::new(10, 244, node as u8, host as u8))
            };
            let mut pick = rng.below(total.max(1));
            let mut resolver = Resolver::Glibc;
            for (w, r) in weights
                .iter()
                .zip([Resolver::Glibc, Resolver::Musl, Resolver::Go])
            {
                if pick < u64::from(*w) {
                    resolver = r;
                    break;
                }
                pick -= u64::from(*w);
            }
            let tcp_fallback = resolver != Resolver::Musl || rng.unit() < config.tcp_fallback;
            let a_only = resolver == Resolver::Glibc && rng.unit() < config.a_only;
            let mut search = vec![
                format!("{namespace}.svc.cluster.local"),
                "svc.cluster.local".to_string(),
                "cluster.local".to_string(),
            ];
            for d in &config.node_search {
                if !search.contains(d) {
                    search.push(d.clone());
                }
            }
            let text = format!(
                "search {}\nnameserver {}\noptions ndots:5\n",
                search.join(" "),
                cluster.vip
            );
            let conf = Arc::new(resolv_conf::parse(text.as_bytes()).value);
            let interface = u32::from(config.second_link.is_some() && i % 2 == 1);
            pods.push(Pod {
                ip,
                mac: mac_of(ip),
                namespace,
                resolver,
                tcp_fallback,
                a_only,
                conf,
                device: format!("veth{:08x}", rng.next_u64() as u32).into(),
                ifindex: 5 + i,
                interface,
            });
        }
        Ok(Self {
            config: config.clone(),
            rng,
            cluster,
            pods,
            buffer: BTreeMap::new(),
            sequence: 0,
            next_start: start,
            lookups: 0,
        })
    }

    fn push(&mut self, packet: Packet) {
        self.sequence += 1;
        self.buffer.insert((packet.time_ns, self.sequence), packet);
    }

    /// Uniform in `lo..hi` nanoseconds.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.rng.below(hi.saturating_sub(lo).max(1))
    }

    /// Log-uniform in `lo..hi` nanoseconds: most values near `lo`, a long tail.
    fn log_between(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1)) as f64, (hi.max(lo + 1)) as f64);
        (l * (h / l).powf(self.rng.unit())) as u64
    }

    fn port(&mut self) -> u16 {
        // Linux's default ephemeral range, 32768–60999.
        32768 + self.rng.below(28232) as u16
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.unit() < p
    }

    /// A packet between the pod and `server` (`to_server`: sent by the pod).
    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        pod: usize,
        time: u64,
        port: u16,
        server: IpAddr,
        to_server: bool,
        tcp: Option<TcpSegment>,
        payload: Vec<u8>,
        dns_messages: u32,
    ) -> Packet {
        let p = &self.pods[pod];
        let client = SocketAddr::new(p.ip, port);
        let server = SocketAddr::new(server, 53);
        let (src, dst, src_mac, dst_mac) = if to_server {
            (client, server, p.mac, GATEWAY_MAC)
        } else {
            (server, client, GATEWAY_MAC, p.mac)
        };
        let (device, ifindex, interface) = (p.device.clone(), p.ifindex, p.interface);
        Packet {
            time_ns: time,
            interface,
            device,
            ifindex,
            outgoing: !to_server,
            src,
            dst,
            src_mac,
            dst_mac,
            ip_id: self.rng.next_u64() as u16,
            ttl: if to_server { 64 } else { 63 },
            // Linux sets DF on TCP and on the CoreDNS replies; glibc's and musl's UDP queries go without it.
            dont_fragment: tcp.is_some() || !to_server,
            tcp,
            payload,
            dns_messages,
        }
    }

    /// How long the server takes to answer.
    fn latency(&mut self, served: &Served) -> u64 {
        if served.upstream {
            self.log_between(5 * MS, 50 * MS)
        } else {
            self.log_between(100 * US, 2 * MS)
        }
    }

    /// What the server answers for one query, with the configured faults.
    fn served(&mut self, qname: &str, qtype: RecordType) -> Served {
        let mut served = self.cluster.serve(&qname.to_ascii_lowercase(), qtype);
        if served.upstream && self.chance(self.config.servfail) {
            served = Served {
                rcode: ResponseCode::ServFail,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                upstream: true,
            };
        } else if self.chance(self.config.refused) {
            served = Served {
                rcode: ResponseCode::Refused,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                upstream: false,
            };
        }
        served
    }

    /// One UDP query sent at `time` and what happens to it; returns the reply the client accepts, if any.
    #[allow(clippy::too_many_arguments)]
    fn udp_exchange(
        &mut self,
        pod: usize,
        port: u16,
        id: u16,
        qname: &str,
        qtype: RecordType,
        time: u64,
        edns: bool,
    ) -> Option<Got> {
        let vip = self.cluster.vip;
        let query = query_message(id, qname, qtype, edns);
        let packet = self.packet(pod, time, port, vip, true, None, query, 1);
        self.push(packet);
        if self.chance(self.config.query_loss) {
            return None;
        }
        let served = self.served(qname, qtype);
        let at = time + self.latency(&served);
        let limit = if edns { 1232 } else { 512 };
        let (reply, truncated, kept) = response_message(id, qname, qtype, &served, edns, limit);
        if self.chance(self.config.reply_loss) {
            return None;
        }
        let wrong = self.chance(self.config.wrong_source);
        let from = if wrong {
            self.cluster.coredns[self.rng.below(2) as usize]
        } else {
            vip
        };
        let packet = self.packet(pod, at, port, from, false, None, reply, 1);
        self.push(packet);
        if wrong {
            return None;
        }
        Some(Got {
            time: at,
            rcode: served.rcode,
            records: kept > 0,
            truncated,
        })
    }

    /// Queries over one TCP connection (both in one segment, as glibc writes them), each answered in its own
    /// write; returns the replies and when the connection is closed.
    fn tcp_exchange(
        &mut self,
        pod: usize,
        qname: &str,
        queries: &[(u16, RecordType)],
        time: u64,
        edns: bool,
    ) -> (Vec<Got>, u64) {
        let vip = self.cluster.vip;
        let port = self.port();
        let (c_isn, s_isn) = (self.rng.next_u64() as u32, self.rng.next_u64() as u32);
        let seg =
            |seq: u32, ack: Option<u32>, psh: bool, window: u16, isn: (u32, u32)| TcpSegment {
                seq,
                ack_number: ack.unwrap_or(0),
                syn: false,
                ack: ack.is_some(),
                psh,
                fin: false,
                window,
                isn,
                message_start: false,
            };
        let (cw, sw) = (64240u16, 65160u16);
        let (c_win, s_win) = (502u16, 509u16);
        let mut t = time;
        // Handshake.
        let syn = TcpSegment {
            syn: true,
            ..seg(c_isn, None, false, cw, (c_isn, s_isn))
        };
        let p = self.packet(pod, t, port, vip, true, Some(syn), Vec::new(), 0);
        self.push(p);
        t += self.log_between(60 * US, 400 * US);
        let syn_ack = TcpSegment {
            syn: true,
            ..seg(
                s_isn,
                Some(c_isn.wrapping_add(1)),
                false,
                sw,
                (s_isn, c_isn),
            )
        };
        let p = self.packet(pod, t, port, vip, false, Some(syn_ack), Vec::new(), 0);
        self.push(p);
        t += self.between(10 * US, 40 * US);
        let mut c_seq = c_isn.wrapping_add(1);
        let mut s_seq = s_isn.wrapping_add(1);
        let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
        let p = self.packet(pod, t, port, vip, true, Some(ack), Vec::new(), 0);
        self.push(p);
        t += self.between(5 * US, 30 * US);
        // The queries, in one write.
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for &(id, qtype) in queries {
            let q = query_message(id, qname, qtype, edns);
            data.extend_from_slice(&(q.len() as u16).to_be_bytes());
            data.extend_from_slice(&q);
            ends.push(data.len());
        }
        t = self.send_stream(
            pod,
            port,
            true,
            &data,
            &ends,
            &mut c_seq,
            s_seq,
            c_win,
            (c_isn, s_isn),
            t,
        );
        // The answers, one write each; the client acknowledges each segment.
        let mut got = Vec::new();
        for &(id, qtype) in queries {
            let served = self.served(qname, qtype);
            t += self.latency(&served);
            let (reply, _, _) = response_message(id, qname, qtype, &served, edns, 65_535);
            let mut data = (reply.len() as u16).to_be_bytes().to_vec();
            data.extend_from_slice(&reply);
            let ends = [data.len()];
            t = self.send_stream(
                pod,
                port,
                false,
                &data,
                &ends,
                &mut s_seq,
                c_seq,
                s_win,
                (s_isn, c_isn),
                t,
            );
            got.push(Got {
                time: t,
                rcode: served.rcode,
                records: !served.answers.is_empty(),
                truncated: false,
            });
            t += self.between(20 * US, 60 * US);
            let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
            let p = self.packet(pod, t, port, vip, true, Some(ack), Vec::new(), 0);
            self.push(p);
        }
        // The client closes; the server closes.
        t += self.between(20 * US, 80 * US);
        let fin = TcpSegment {
            fin: true,
            ..seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn))
        };
        let p = self.packet(pod, t, port, vip, true, Some(fin), Vec::new(), 0);
        self.push(p);
        c_seq = c_seq.wrapping_add(1);
        t += self.between(30 * US, 200 * US);
        let fin = TcpSegment {
            fin: true,
            ..seg(s_seq, Some(c_seq), false, s_win, (s_isn, c_isn))
        };
        let p = self.packet(pod, t, port, vip, false, Some(fin), Vec::new(), 0);
        self.push(p);
        s_seq = s_seq.wrapping_add(1);
        t += self.between(10 * US, 40 * US);
        let ack = seg(c_seq, Some(s_seq), false, c_win, (c_isn, s_isn));
        let p = self.packet(pod, t, port, vip, true, Some(ack), Vec::new(), 0);
        self.push(p);
        (got, t)
    }

    /// Sends `data` (length-prefixed messages ending at `ends`) as one write, split into two or three segments
    /// with probability `tcp_split`; returns the time of the last segment.
    #[allow(clippy::too_many_arguments)]
    fn send_stream(
        &mut self,
        pod: usize,
        port: u16,
        from_client: bool,
        data: &[u8],
        ends: &[usize],
        seq: &mut u32,
        ack: u32,
        window: u16,
        isn: (u32, u32),
        mut t: u64,
    ) -> u64 {
        let vip = self.cluster.vip;
        let mut cuts = vec![0, data.len()];
        if data.len() > 3 && self.chance(self.config.tcp_split) {
            let pieces = 2 + self.rng.below(2) as usize;
            for _ in 1..pieces {
                // Sometimes inside the two-byte length prefix.
                let cut = if self.rng.percent(20) {
                    1
                } else {
                    1 + self.rng.below(data.len() as u64 - 1) as usize
                };
                cuts.push(cut);
            }
            cuts.sort_unstable();
            cuts.dedup();
        }
        let mut starts: Vec<usize> = vec![0];
        starts.extend(ends.iter().copied().filter(|&e| e < data.len()));
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let completes = ends.iter().filter(|&&e| e > a && e <= b).count() as u32;
            let segment = TcpSegment {
                seq: *seq,
                ack_number: ack,
                syn: false,
                ack: true,
                psh: true,
                fin: false,
                window,
                isn,
                message_start: starts.contains(&a),
            };
            let p = self.packet(
                pod,
                t,
                port,
                vip,
                from_client,
                Some(segment),
                data[a..b].to_vec(),
                completes,
            );
            self.push(p);
            *seq = seq.wrapping_add((b - a) as u32);
            if b < data.len() {
                t += self.between(5 * US, 300 * US);
            }
        }
        t
    }

    /// Whether the next lookup should run, given how many packets are written or waiting.
    fn wants_lookup(&self, emitted: u64) -> bool {
        let (packets, lookups) = (self.config.packets, self.config.lookups);
        let lookups = if packets == 0 && lookups == 0 {
            1000
        } else {
            lookups
        };
        (lookups == 0 || self.lookups < lookups)
            && (packets == 0 || emitted + (self.buffer.len() as u64) < packets)
    }

    /// Picks a pod and a name and runs the lookup.
    fn run_lookup(&mut self) {
        let start = self.next_start;
        let gap = -(1.0 - self.rng.unit()).ln() / self.config.rate.max(1e-3);
        self.next_start += ((gap * 1e9) as u64).max(US);
        self.lookups += 1;
        let pod = self.rng.below(self.pods.len() as u64) as usize;
        let name = self.pick_name(pod);
        self.lookup(pod, &name, start);
    }

    /// A name a pod in its namespace would look up.
    fn pick_name(&mut self, pod: usize) -> String {
        let own = self.pods[pod].namespace;
        if self.chance(self.config.truncation) {
            let (svc, ns) = HEADLESS;
            return if own == ns {
                svc.to_string()
            } else {
                format!("{svc}.{ns}")
            };
        }
        let mix = &self.config.names;
        let weights = [
            mix.own,
            mix.other_namespace,
            mix.full_name,
            mix.rooted,
            mix.external,
            mix.missing,
        ];
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut roll = self.rng.below(total.max(1));
        let mut kind = 0;
        for (i, &w) in weights.iter().enumerate() {
            if roll < u64::from(w) {
                kind = i;
                break;
            }
            roll -= u64::from(w);
        }
        let pick_ns = |rng: &mut Rng, cluster: &Cluster| {
            let clients: Vec<&NamespaceDef> =
                cluster.namespaces.iter().filter(|n| n.clients).collect();
            clients[rng.below(clients.len() as u64) as usize].name
        };
        let service_in = |rng: &mut Rng, cluster: &Cluster, ns: &str| {
            let services: Vec<&'static str> = cluster
                .namespace(ns)
                .map(|n| {
                    n.services
                        .iter()
                        .map(|s| s.name)
                        .filter(|&s| (s, ns) != HEADLESS)
                        .collect()
                })
                .unwrap_or_default();
            services
                .get(rng.below(services.len().max(1) as u64) as usize)
                .copied()
                .unwrap_or("kubernetes")
        };
        match kind {
            // A Service in the pod's own namespace, by its short name: found at the first candidate.
            0 => service_in(&mut self.rng, &self.cluster, own).to_string(),
            // `svc.ns`: NXDOMAIN for `svc.ns.<own>.svc.cluster.local`, then found.
            1 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!("{}.{ns}", service_in(&mut self.rng, &self.cluster, ns))
            }
            // The full name without the trailing dot (4 dots < ndots 5): the search list first.
            2 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!(
                    "{}.{ns}.svc.cluster.local",
                    service_in(&mut self.rng, &self.cluster, ns)
                )
            }
            // The full name with the trailing dot: asked as it is.
            3 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!(
                    "{}.{ns}.svc.cluster.local.",
                    service_in(&mut self.rng, &self.cluster, ns)
                )
            }
            // A name outside the cluster: NXDOMAIN through the search list, then upstream.
            4 => {
                let e = EXTERNAL[self.rng.below(EXTERNAL.len() as u64) as usize];
                e.name.trim_end_matches('.').to_string()
            }
            // A name that exists nowhere.
            _ => MISSING[self.rng.below(MISSING.len() as u64) as usize].to_string(),
        }
    }

    /// One lookup: the resolver's walk over the candidates, each exchanged on the wire.
    fn lookup(&mut self, pod: usize, qname: &str, start: u64) {
        let conf = self.pods[pod].conf.clone();
        let resolver = self.pods[pod].resolver;
        let mut t = start;
        plan::walk(resolver, qname, &conf, |candidate| {
            let (outcome, end) = match resolver {
                Resolver::Glibc => self.glibc(pod, candidate, t, &conf),
                // busybox nslookup's exchange (A and AAAA at once from one socket) is musl's.
                Resolver::Musl | Resolver::Busybox => self.musl(pod, candidate, t, &conf),
                Resolver::Go => self.go(pod, candidate, t, &conf),
            };
            t = end + self.between(5 * US, 60 * US);
            outcome
        });
    }

    /// glibc's `send_dg` for one candidate name (res_send.c): the A/AAAA pair in parallel from one socket.
    fn glibc(&mut self, pod: usize, qname: &str, start: u64, conf: &ResolvConf) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let attempts = conf.options.attempts.max(1);
        let mut port = self.port();
        let id = self.rng.next_u64() as u16;
        let ids = [id, id.wrapping_add(1)];
        let mut single = conf.options.single_request;
        let mut reopened = conf.options.single_request_reopen;
        let mut tries = 0;
        let mut t = start;
        // An application that asks for IPv4 only (`gethostbyname`, `getaddrinfo` with AF_INET) sends A alone.
        let pair = !self.pods[pod].a_only;
        loop {
            let deadline = t + timeout;
            let mut got: [Option<Got>; 2] = [None, None];
            got[0] = self
                .udp_exchange(pod, port, ids[0], qname, RecordType::A, t, false)
                .filter(|g| g.time < deadline);
            let second_at = if single {
                got[0].map(|g| g.time + self.between(10 * US, 50 * US))
            } else {
                Some(t + self.between(5 * US, 40 * US))
            };
            // In single-request mode a truncated A answer goes to TCP before the AAAA query is sent.
            if pair && (!single || got[0].is_none_or(|g| !g.truncated)) {
                if let Some(at) = second_at.filter(|&at| at < deadline) {
                    got[1] = self
                        .udp_exchange(pod, port, ids[1], qname, RecordType::AAAA, at, false)
                        .filter(|g| g.time < deadline);
                }
            }
            if let Some(tc) = got.iter().flatten().find(|g| g.truncated).copied() {
                if !self.pods[pod].tcp_fallback {
                    return (combine(&got), tc.time);
                }
                let at = tc.time + self.between(20 * US, 100 * US);
                let queries = [(ids[0], RecordType::A), (ids[1], RecordType::AAAA)];
                let (replies, end) =
                    self.tcp_exchange(pod, qname, &queries[..if pair { 2 } else { 1 }], at, false);
                let replies: Vec<Option<Got>> = replies.into_iter().map(Some).collect();
                return (combine(&replies), end);
            }
            let answered = got.iter().flatten().count();
            if answered == if pair { 2 } else { 1 } {
                let end = got.iter().flatten().map(|g| g.time).max().unwrap_or(t);
                return (combine(&got), end);
            }
            match answered {
                1 => {
                    if !single {
                        // A server (or a firewall) that lost one of the pair: retry on the same socket, one
                        // query after the other.
                        single = true;
                    } else if !reopened {
                        reopened = true;
                        port = self.port();
                    } else {
                        return (combine(&got), deadline);
                    }
                }
                _ => {
                    tries += 1;
                    if tries >= attempts {
                        return (Outcome::Timeout, deadline);
                    }
                }
            }
            t = deadline;
        }
    }

    /// musl's `res_msend` for one candidate: both queries from one socket, the unanswered ones re-sent every
    /// `timeout / attempts`.
    fn musl(&mut self, pod: usize, qname: &str, start: u64, conf: &ResolvConf) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let retry = timeout / u64::from(conf.options.attempts.max(1));
        let deadline = start + timeout;
        let port = self.port();
        let ids = [self.rng.next_u64() as u16, self.rng.next_u64() as u16];
        let types = [RecordType::A, RecordType::AAAA];
        let mut got: [Option<Got>; 2] = [None, None];
        let mut t = start;
        loop {
            let tick = (t + retry).min(deadline);
            for i in 0..2 {
                if got[i].is_some() {
                    continue;
                }
                let at = t + if i == 0 {
                    0
                } else {
                    self.between(3 * US, 20 * US)
                };
                got[i] = self
                    .udp_exchange(pod, port, ids[i], qname, types[i], at, false)
                    .filter(|g| g.time < deadline);
            }
            for i in 0..2 {
                if let Some(tc) = got[i].filter(|g| g.truncated) {
                    if self.pods[pod].tcp_fallback {
                        let at = tc.time + self.between(20 * US, 100 * US);
                        let (replies, end) =
                            self.tcp_exchange(pod, qname, &[(ids[i], types[i])], at, false);
                        got[i] = replies.first().map(|g| Got { time: end, ..*g });
                    }
                }
            }
            if got.iter().all(Option::is_some) {
                let end = got.iter().flatten().map(|g| g.time).max().unwrap_or(t);
                let outcome = match got.map(|g| g.map(|g| g.rcode)) {
                    _ if got.iter().flatten().any(|g| g.records) => Outcome::Answer,
                    [Some(ResponseCode::NXDomain), _] => Outcome::NxDomain,
                    _ => combine(&got),
                };
                return (outcome, end);
            }
            if tick >= deadline {
                return (Outcome::Timeout, deadline);
            }
            t = tick;
        }
    }

    /// Go's resolver for one candidate: A and AAAA on their own sockets with EDNS0, a new socket and id per try.
    fn go(&mut self, pod: usize, qname: &str, start: u64, conf: &ResolvConf) -> (Outcome, u64) {
        let timeout = u64::from(conf.options.timeout.max(1)) * S;
        let attempts = conf.options.attempts.max(1);
        let mut got: [Option<Got>; 2] = [None, None];
        let mut end = start;
        for (i, qtype) in [RecordType::A, RecordType::AAAA].into_iter().enumerate() {
            let mut t = start
                + if i == 0 {
                    0
                } else {
                    self.between(5 * US, 80 * US)
                };
            for _ in 0..attempts {
                let port = self.port();
                let id = self.rng.next_u64() as u16;
                let reply = self
                    .udp_exchange(pod, port, id, qname, qtype, t, true)
                    .filter(|g| g.time < t + timeout);
                match reply {
                    Some(g) if g.truncated => {
                        let at = g.time + self.between(20 * US, 100 * US);
                        let (replies, tcp_end) =
                            self.tcp_exchange(pod, qname, &[(id, qtype)], at, true);
                        got[i] = replies.first().map(|r| Got {
                            time: tcp_end,
                            ..*r
                        });
                        break;
                    }
                    Some(g) => {
                        got[i] = Some(g);
                        break;
                    }
                    None => t += timeout,
                }
            }
            end = end.max(got[i].map_or(t, |g| g.time));
        }
        (combine(&got), end)
    }

    /// The packets of the script.
    fn script(config: &CaptureConfig) -> Result<Vec<Packet>, String> {
        let midnight = parse_date(&config.date)?;
        let device: Arc<str> = Arc::from(config.link.interface_name());
        let mut out = Vec::new();
        for (i, p) in config.script.iter().enumerate() {
            let at = |what: &str| format!("script packet {}: {what}", i + 1);
            let src: SocketAddr = p
                .src
                .parse()
                .map_err(|_| at(&format!("{:?} is not ip:port", p.src)))?;
            let dst: SocketAddr = p
                .dst
                .parse()
                .map_err(|_| at(&format!("{:?} is not ip:port", p.dst)))?;
            if src.is_ipv4() != dst.is_ipv4() {
                return Err(at("source and destination are of different IP versions"));
            }
            out.push(Packet {
                time_ns: midnight + parse_clock(&p.time).map_err(|e| at(&e))?,
                interface: 0,
                device: device.clone(),
                ifindex: 2,
                outgoing: p.outgoing,
                src,
                dst,
                src_mac: mac_of(src.ip()),
                dst_mac: mac_of(dst.ip()),
                ip_id: p.ip_id,
                ttl: p.ttl,
                dont_fragment: p.df,
                tcp: None,
                payload: script_message(&p.dns).map_err(|e| at(&e))?,
                dns_messages: 1,
            });
        }
        Ok(out)
    }
}

/// The packets of a configuration, in time order, generated as they are taken.
#[derive(Debug)]
pub struct Traffic {
    sim: Sim,
    script: Option<std::vec::IntoIter<Packet>>,
    emitted: u64,
}

impl Traffic {
    /// Checks the configuration and sets up the cluster and its pods.
    pub fn new(config: &CaptureConfig) -> Result<Self, String> {
        let sim = Sim::new(config)?;
        let script = if config.script.is_empty() {
            None
        } else {
            Some(Sim::script(config)?.into_iter())
        };
        Ok(Self {
            sim,
            script,
            emitted: 0,
        })
    }

    /// Lookups started so far.
    pub fn lookups(&self) -> u64 {
        self.sim.lookups
    }

    /// Packets generated but not yet taken: those later than the next lookup's start.
    pub fn buffered(&self) -> usize {
        self.sim.buffer.len()
    }
}

impl Iterator for Traffic {
    type Item = Packet;

    fn next(&mut self) -> Option<Packet> {
        if let Some(script) = &mut self.script {
            return script.next();
        }
        let limit = match self.sim.config.packets {
            0 => u64::MAX,
            n => n,
        };
        if self.emitted >= limit {
            return None;
        }
        loop {
            let more = self.sim.wants_lookup(self.emitted);
            match self.sim.buffer.first_key_value() {
                // Every later lookup starts at or after `next_start`, so what is earlier is final.
                Some((&(t, _), _)) if !more || t < self.sim.next_start => {
                    self.emitted += 1;
                    return self.sim.buffer.pop_first().map(|(_, p)| p);
                }
                _ if more => self.sim.run_lookup(),
                _ => return None,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Framing

fn ethertype(ip: &IpAddr) -> u16 {
    if ip.is_ipv4() {
        0x0800
    } else {
        0x86dd
    }
}

/// The IP packet (header, transport header, payload) with correct checksums.
fn ip_packet(p: &Packet) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 + p.payload.len());
    let transport_len =
        p.payload.len() + if p.tcp.is_some() { 20 } else { 8 } + syn_options(p).len();
    let proto = if p.tcp.is_some() {
        IpNumber::TCP
    } else {
        IpNumber::UDP
    };
    let tcp_header = p.tcp.map(|s| {
        let mut h = TcpHeader::new(p.src.port(), p.dst.port(), s.seq, s.window);
        h.syn = s.syn;
        h.ack = s.ack;
        h.acknowledgment_number = s.ack_number;
        h.psh = s.psh;
        h.fin = s.fin;
        let _ = h.set_options_raw(syn_options(p));
        h
    });
    match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut ip = match Ipv4Header::new(
                transport_len as u16,
                p.ttl,
                proto,
                src.octets(),
                dst.octets(),
            ) {
                Ok(ip) => ip,
                Err(_) => return out,
            };
            ip.identification = p.ip_id;
            ip.dont_fragment = p.dont_fragment;
            ip.header_checksum = ip.calc_header_checksum();
            let _ = ip.write(&mut out);
            match tcp_header {
                Some(mut h) => {
                    h.checksum = h.calc_checksum_ipv4(&ip, &p.payload).unwrap_or(0);
                    let _ = h.write(&mut out);
                }
                None => {
                    if let Ok(h) =
                        UdpHeader::with_ipv4_checksum(p.src.port(), p.dst.port(), &ip, &p.payload)
                    {
                        let _ = h.write(&mut out);
                    }
                }
            }
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let ip = Ipv6Header {
                traffic_class: 0,
                flow_label: Ipv6FlowLabel::try_new(u32::from(p.ip_id) << 4 & 0xf_ffff)
                    .unwrap_or_default(),
                payload_length: transport_len as u16,
                next_header: proto,
                hop_limit: p.ttl,
                source: src.octets(),
                destination: dst.octets(),
            };
            let _ = ip.write(&mut out);
            match tcp_header {
                Some(mut h) => {
                    h.checksum = h.calc_checksum_ipv6(&ip, &p.payload).unwrap_or(0);
                    let _ = h.write(&mut out);
                }
                None => {
                    if let Ok(h) =
                        UdpHeader::with_ipv6_checksum(p.src.port(), p.dst.port(), &ip, &p.payload)
                    {
                        let _ = h.write(&mut out);
                    }
                }
            }
        }
        _ => return out,
    }
    out.extend_from_slice(&p.payload);
    out
}

/// Linux's SYN options without timestamps: `mss 1460,nop,nop,sackOK,nop,wscale 7`.
fn syn_options(p: &Packet) -> &'static [u8] {
    match p.tcp {
        Some(s) if s.syn => &[2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7],
        _ => &[],
    }
}

/// The frame as captured with `link` (and `vlan` on Ethernet).
pub fn frame(p: &Packet, link: Link, vlan: Option<u16>) -> Vec<u8> {
    let ip = ip_packet(p);
    let proto = ethertype(&p.src.ip());
    let mut out = Vec::with_capacity(ip.len() + 20);
    match link {
        Link::Ethernet => {
            out.extend_from_slice(&p.dst_mac);
            out.extend_from_slice(&p.src_mac);
            if let Some(id) = vlan {
                out.extend_from_slice(&0x8100u16.to_be_bytes());
                out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
            }
            out.extend_from_slice(&proto.to_be_bytes());
        }
        Link::Sll => {
            // pkttype, ARPHRD_ETHER, address length, the sender's address padded to 8, protocol.
            out.extend_from_slice(&(if p.outgoing { 4u16 } else { 0 }).to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.extend_from_slice(&6u16.to_be_bytes());
            out.extend_from_slice(&p.src_mac);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&proto.to_be_bytes());
        }
        Link::Sll2 => {
            // protocol, reserved, ifindex, ARPHRD_ETHER, pkttype, address length, address padded to 8.
            out.extend_from_slice(&proto.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&p.ifindex.to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.push(if p.outgoing { 4 } else { 0 });
            out.push(6);
            out.extend_from_slice(&p.src_mac);
            out.extend_from_slice(&[0, 0]);
        }
        Link::Raw => {}
    }
    out.extend_from_slice(&ip);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Writers

/// Counts the bytes that go through.
struct Counting<'a, W: Write> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Integers in the file's byte order.
#[derive(Debug, Clone, Copy)]
struct Order(bool);

impl Order {
    fn u16(self, v: u16) -> [u8; 2] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        if self.0 {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

fn invalid(e: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// Writes the capture of `config` in its format to `out`.
pub fn write(config: &CaptureConfig, out: &mut impl Write) -> io::Result<Stats> {
    let mut traffic = Traffic::new(config).map_err(invalid)?;
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let order = Order(config.big_endian);
    let links = [config.link, config.second_link.unwrap_or(config.link)];
    let mut stats = Stats::default();
    match config.format {
        Format::Pcap => {
            let magic = if config.nanos {
                0xa1b2_3c4d
            } else {
                0xa1b2_c3d4
            };
            w.write_all(&order.u32(magic))?;
            w.write_all(&order.u16(2))?;
            w.write_all(&order.u16(4))?;
            w.write_all(&order.u32(0))?;
            w.write_all(&order.u32(0))?;
            w.write_all(&order.u32(SNAPLEN))?;
            w.write_all(&order.u32(u32::from(config.link.linktype())))?;
            for p in traffic.by_ref() {
                let data = frame(&p, config.link, config.vlan);
                let secs = p.time_ns / S;
                let frac = if config.nanos {
                    p.time_ns % S
                } else {
                    p.time_ns % S / US
                };
                w.write_all(&order.u32(secs as u32))?;
                w.write_all(&order.u32(frac as u32))?;
                w.write_all(&order.u32(data.len() as u32))?;
                w.write_all(&order.u32(data.len() as u32))?;
                w.write_all(&data)?;
                stats.packets += 1;
                stats.dns_messages += u64::from(p.dns_messages);
            }
        }
        Format::Pcapng => {
            let block = |w: &mut Counting<'_, _>, kind: u32, body: &[u8]| -> io::Result<()> {
                let len = 12 + body.len() as u32;
                w.write_all(&order.u32(kind))?;
                w.write_all(&order.u32(len))?;
                w.write_all(body)?;
                w.write_all(&order.u32(len))
            };
            let option = |body: &mut Vec<u8>, code: u16, value: &[u8]| {
                body.extend_from_slice(&order.u16(code));
                body.extend_from_slice(&order.u16(value.len() as u16));
                body.extend_from_slice(value);
                body.resize(body.len().next_multiple_of(4), 0);
            };
            let mut shb = Vec::new();
            shb.extend_from_slice(&order.u32(0x1a2b_3c4d));
            shb.extend_from_slice(&order.u16(1));
            shb.extend_from_slice(&order.u16(0));
            shb.extend_from_slice(&[0xff; 8]);
            option(&mut shb, 4, b"dnatlas-gen");
            option(&mut shb, 0, &[]);
            block(&mut w, 0x0a0d_0d0a, &shb)?;
            let interfaces = if config.second_link.is_some() { 2 } else { 1 };
            for &link in &links[..interfaces] {
                let mut idb = Vec::new();
                idb.extend_from_slice(&order.u16(link.linktype()));
                idb.extend_from_slice(&order.u16(0));
                idb.extend_from_slice(&order.u32(SNAPLEN));
                option(&mut idb, 2, link.interface_name().as_bytes());
                option(&mut idb, 9, &[if config.nanos { 9 } else { 6 }]);
                option(&mut idb, 0, &[]);
                block(&mut w, 1, &idb)?;
            }
            for p in traffic.by_ref() {
                let interface = (p.interface as usize).min(interfaces - 1);
                let vlan = if interface == 0 { config.vlan } else { None };
                let data = frame(&p, links[interface], vlan);
                let ts = if config.nanos {
                    p.time_ns
                } else {
                    p.time_ns / US
                };
                let mut epb = Vec::with_capacity(data.len() + 24);
                epb.extend_from_slice(&order.u32(interface as u32));
                epb.extend_from_slice(&order.u32((ts >> 32) as u32));
                epb.extend_from_slice(&order.u32(ts as u32));
                epb.extend_from_slice(&order.u32(data.len() as u32));
                epb.extend_from_slice(&order.u32(data.len() as u32));
                epb.extend_from_slice(&data);
                epb.resize(epb.len().next_multiple_of(4), 0);
                block(&mut w, 6, &epb)?;
                stats.packets += 1;
                stats.dns_messages += u64::from(p.dns_messages);
            }
        }
    }
    w.flush()?;
    stats.bytes = w.bytes;
    stats.lookups = traffic.lookups();
    Ok(stats)
}

/// The capture of `config` in its format, in memory.
pub fn capture(config: &CaptureConfig) -> Result<(Vec<u8>, Stats), String> {
    let mut out = Vec::new();
    let stats = write(config, &mut out).map_err(|e| e.to_string())?;
    Ok((out, stats))
}

/// Writes the packets of `config` as `tcpdump -n` prints them (with `-i any`'s interface and direction for
/// LINUX_SLL2), one line per packet, times of day in UTC.
pub fn write_text(config: &CaptureConfig, out: &mut impl Write) -> io::Result<Stats> {
    let mut traffic = Traffic::new(config).map_err(invalid)?;
    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let mut stats = Stats::default();
    let mut line = String::new();
    for p in traffic.by_ref() {
        line.clear();
        text_line(&p, config.link == Link::Sll2, &mut line);
        line.push('\n');
        w.write_all(line.as_bytes())?;
        stats.packets += 1;
        stats.dns_messages += u64::from(p.dns_messages);
    }
    w.flush()?;
    stats.bytes = w.bytes;
    stats.lookups = traffic.lookups();
    Ok(stats)
}

/// The `tcpdump -n` text of `config`'s packets.
pub fn text(config: &CaptureConfig) -> Result<(String, Stats), String> {
    let mut out = Vec::new();
    let stats = write_text(config, &mut out).map_err(|e| e.to_string())?;
    Ok((String::from_utf8_lossy(&out).into_owned(), stats))
}

fn socket_text(s: &SocketAddr) -> String {
    format!("{}.{}", s.ip(), s.port())
}

/// One packet as `tcpdump -n` prints it.
fn text_line(p: &Packet, any: bool, out: &mut String) {
    use std::fmt::Write as _;
    let day_ns = p.time_ns % (86_400 * S);
    let secs = day_ns / S;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}.{:06} ",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        day_ns % S / US
    );
    if any {
        let _ = write!(
            out,
            "{} {:<3} ",
            p.device,
            if p.outgoing { "Out" } else { "In" }
        );
    }
    let _ = write!(
        out,
        "{} {} > {}: ",
        if p.src.is_ipv4() { "IP" } else { "IP6" },
        socket_text(&p.src),
        socket_text(&p.dst)
    );
    match p.tcp {
        None => dns_text(&p.payload, out),
        Some(s) => {
            let mut flags = String::new();
            if s.syn {
                flags.push('S');
            }
            if s.fin {
                flags.push('F');
            }
            if s.psh {
                flags.push('P');
            }
            if s.ack {
                flags.push('.');
            }
            let _ = write!(out, "Flags [{flags}], ");
            let (isn, peer) = s.isn;
            let rel = s.seq.wrapping_sub(isn);
            let len = p.payload.len() as u32;
            if s.syn {
                let _ = write!(out, "seq {}, ", s.seq);
                if s.ack {
                    let _ = write!(out, "ack {}, ", s.ack_number);
                }
            } else {
                if len > 0 || s.fin {
                    if len > 0 {
                        let _ = write!(out, "seq {}:{}, ", rel, rel.wrapping_add(len));
                    } else {
                        let _ = write!(out, "seq {rel}, ");
                    }
                }
                if s.ack {
                    let _ = write!(out, "ack {}, ", s.ack_number.wrapping_sub(peer));
                }
            }
            let _ = write!(out, "win {}, ", s.window);
            if s.syn {
                out.push_str("options [mss 1460,nop,nop,sackOK,nop,wscale 7], ");
            }
            let _ = write!(out, "length {len}");
            if len > 0 && s.message_start {
                out.push_str(": ");
                let declared = p
                    .payload
                    .get(..2)
                    .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
                match p.payload.get(2..2 + declared) {
                    Some(message) => dns_text(message, out),
                    None => partial_dns_text(p.payload.get(2..).unwrap_or_default(), out),
                }
            }
        }
    }
}

fn rcode_text(rcode: ResponseCode) -> &'static str {
    match rcode {
        ResponseCode::NoError => "",
        ResponseCode::FormErr => " FormErr",
        ResponseCode::ServFail => " ServFail",
        ResponseCode::NXDomain => " NXDomain",
        ResponseCode::NotImp => " NotImp",
        ResponseCode::Refused => " Refused",
        _ => " Unknown",
    }
}

fn rdata_text(r: &Record) -> String {
    match &r.data {
        RData::A(a) => format!("A {}", a.0),
        RData::AAAA(a) => format!("AAAA {}", a.0),
        RData::CNAME(c) => format!("CNAME {}", c.0),
        RData::PTR(c) => format!("PTR {}", c.0),
        other => format!("{}", other.record_type()),
    }
}

/// A DNS message as `tcpdump -n` prints it (print-domain.c `domain_print` without `-v`).
fn dns_text(bytes: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    let Ok(m) = Message::from_vec(bytes) else {
        out.push_str("[|domain]");
        return;
    };
    let md = &m.metadata;
    let additional = m.additionals.len() + usize::from(m.edns.is_some());
    if md.message_type == MessageType::Response {
        let _ = write!(out, "{}{}", md.id, rcode_text(md.response_code));
        if md.authoritative {
            out.push('*');
        }
        if !md.recursion_available {
            out.push('-');
        }
        if md.truncation {
            out.push('|');
        }
        if md.authentic_data {
            out.push('$');
        }
        let _ = write!(
            out,
            " {}/{}/{}",
            m.answers.len(),
            m.authorities.len(),
            additional
        );
        for (i, r) in m.answers.iter().enumerate() {
            let _ = write!(out, "{} {}", if i == 0 { "" } else { "," }, rdata_text(r));
        }
    } else {
        let _ = write!(out, "{}", md.id);
        if md.recursion_desired {
            out.push('+');
        }
        if md.checking_disabled {
            out.push('%');
        }
        if additional > 0 {
            let _ = write!(out, " [{additional}au]");
        }
        for q in &m.queries {
            let _ = write!(out, " {}? {}", q.query_type(), q.name());
        }
    }
    let _ = write!(out, " ({})", bytes.len());
}

/// The start of a DNS message cut at the end of a TCP segment: the id and flags, then tcpdump's truncation mark.
fn partial_dns_text(bytes: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    match bytes.get(..4) {
        Some(h) => {
            let id = u16::from_be_bytes([h[0], h[1]]);
            if h[2] & 0x80 != 0 {
                let _ = write!(out, "{id} [|domain]");
            } else {
                let _ = write!(
                    out,
                    "{id}{} [|domain]",
                    if h[2] & 1 != 0 { "+" } else { "" }
                );
            }
        }
        None => out.push_str("[|domain]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_clocks() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        // 2017-03-14 is day 17239 since the epoch.
        assert_eq!(parse_date("2017-03-14"), Ok(17_239 * 86_400 * S));
        assert_eq!(
            parse_clock("23:04:02.789492"),
            Ok(((23 * 60 + 4) * 60 + 2) * S + 789_492_000)
        );
        assert!(parse_clock("24:00:00").is_err());
        assert!(parse_date("2017-13-01").is_err());
    }
}
