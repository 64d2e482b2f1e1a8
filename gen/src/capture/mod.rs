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
//!
//! The parts: `cluster.rs` (the cluster and its DNS answers), `sim.rs` (the pods and the lookups they start),
//! `resolvers.rs` (what glibc, musl and Go send for one name), `tcp.rs` (a DNS exchange over TCP), `script.rs`
//! (scripted packets, dates and clocks), `wire.rs` (frames and the pcap and pcapng files), `text.rs` (tcpdump's
//! text).

mod cluster;
mod resolvers;
mod script;
mod sim;
mod tcp;
mod text;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use sim::Sim;
pub use text::{text, write_text};
pub use wire::{capture, frame, write};

/// Nanoseconds per microsecond, millisecond and second.
pub(super) const US: u64 = 1_000;
pub(super) const MS: u64 = 1_000_000;
pub(super) const S: u64 = 1_000_000_000;

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
    pub(super) fn interface_name(self) -> &'static str {
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
