//! pcap and pcapng captures: the DNS messages of every frame, fed one at a time to the transaction engine
//! (docs/domain/formats.md §9).
//!
//! The container is read with `pcap-parser`: pcap with microsecond (`a1b2c3d4`) or nanosecond (`a1b23c4d`)
//! timestamps in either byte order; pcapng section by section (each Section Header Block sets the byte order and
//! starts a new list of interfaces), Interface Description Blocks with their link type, snap length, `if_tsresol`
//! (a power of 10 or, with the high bit, of 2; microseconds by default) and `if_tsoffset`, Enhanced, Simple and the
//! obsolete Packet Blocks; other blocks are skipped. Frames are numbered from 1 in file order, as tshark numbers
//! them, and times become microseconds since the epoch (nanoseconds rounded down).
//!
//! Link layers: Ethernet (1, with 802.1Q and QinQ tags; `etherparse`'s header slices), Linux cooked captures
//! `LINUX_SLL` (113, 16-byte header) and `LINUX_SLL2` (276, 20-byte header, as `tcpdump -i any` writes since libpcap
//! 1.10), both decoded here for their protocol field, raw IP (101, 228, 229) and BSD loopback (0 with a host-order
//! address family, 108 with a network-order one; the IP version comes from the header). IPv4 and IPv6 with extension
//! headers, UDP and TCP are read by `etherparse` with lax length checks, so a frame cut by the snap length still
//! yields what it holds. IP fragments are not reassembled: a first fragment to or from port 53 gets a diagnostic.
//!
//! DNS is read from UDP with port 53 on either side, and from TCP port 53: each direction of a connection is
//! reassembled by sequence number (in-order data appended, retransmitted and overlapping bytes skipped,
//! out-of-order segments held — up to 64 segments or 256 KiB per direction — until the gap is filled; a gap that
//! never fills is reported and reading resumes after it), then split into its 2-byte length-prefixed messages,
//! which may span segments or share one; a message belongs to the frame that completes it. The header and first
//! question of every message are decoded with `hickory-proto`; a response's answer records are checked for their
//! structure here and decoded by the engine only for the transactions it lists.
//!
//! Nothing stops the reading but the end of the input: a truncated file keeps every complete frame before the cut,
//! a record whose length cannot be right stops the pcap there (its records cannot be found again), a corrupt
//! pcapng block is skipped by its length. Diagnostics name the frame (line and column 0); each code is reported
//! for its first 20 frames, then summarised.

use std::collections::BTreeMap;
use std::net::IpAddr;

use etherparse::{Ethernet2HeaderSlice, LaxIpSlice, SingleVlanHeaderSlice, TcpSlice, UdpSlice};
use hickory_proto::op::{Header, MessageType, Query};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use pcap_parser::pcapng::{parse_block_be, parse_block_le, parse_sectionheaderblock, Block};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header};
use rustc_hash::FxHashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::format::thousands;
use crate::source::packet::{Answers, Host, Packet, PacketSink, Question, Sock, Time, Transport};
pub use crate::text::{is_pcap, is_pcapng};

/// Ethertypes: IPv4, IPv6, and a stand-in for raw IP whose version the IP header says.
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_IP: u16 = 0;

/// An Ethernet frame's protocol and payload, behind up to three VLAN tags (802.1Q `8100`, 802.1ad `88a8`, the
/// older QinQ `9100`).
fn ethernet(data: &[u8]) -> Option<(u16, &[u8])> {
    let header = Ethernet2HeaderSlice::from_slice(data).ok()?;
    let mut ethertype = header.ether_type().0;
    let mut rest = data.get(header.slice().len()..)?;
    for _ in 0..3 {
        if !matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
            break;
        }
        let tag = SingleVlanHeaderSlice::from_slice(rest).ok()?;
        ethertype = tag.ether_type().0;
        rest = rest.get(tag.slice().len()..)?;
    }
    Some((ethertype, rest))
}

/// Diagnostics of one code reported in full; later ones are counted.
const PER_CODE: u64 = 20;
/// The longest record a pcap may hold when its header says less (libpcap's largest snap length).
const MAX_SNAPLEN: u32 = 262_144;
/// Out-of-order TCP segments held per direction, and their bytes.
const MAX_HELD_SEGMENTS: usize = 64;
const MAX_HELD_BYTES: usize = 256 * 1024;
/// TCP directions followed at once; idle ones are dropped first.
const MAX_STREAMS: usize = 10_000;
/// A TCP direction idle this long (capture time) may be dropped.
const STREAM_IDLE_US: u64 = 30_000_000;

/// Reads a pcap or pcapng capture, handing each DNS message to `grouper`; returns the diagnostics.
pub fn read(bytes: &[u8], grouper: &mut dyn PacketSink) -> Vec<Diagnostic> {
    let mut reader = Reader {
        sink: Sink {
            grouper,
            diags: Diags::default(),
            name: String::new(),
            frames: 0,
        },
        streams: FxHashMap::default(),
        linktypes: BTreeMap::new(),
        now: 0,
    };
    // About 120 bytes a frame, two frames a transaction.
    reader.sink.grouper.reserve(bytes.len() / 240);
    if is_pcapng(bytes) {
        reader.pcapng(bytes);
    } else if is_pcap(bytes) {
        reader.pcap(bytes);
    } else {
        reader.sink.diags.push(
            Severity::Error,
            "not-a-capture",
            0,
            "not a pcap or pcapng file".to_string(),
        );
    }
    reader.finish()
}

/// Diagnostics, each code reported for its first frames and then counted.
#[derive(Debug, Default)]
struct Diags {
    list: Vec<Diagnostic>,
    counts: BTreeMap<&'static str, (u64, u32, u32)>,
    /// Causes reported once per capture with a count: code → the tally.
    tallies: BTreeMap<&'static str, Tally>,
}

/// A cause that may repeat in every frame, reported once: how often, where first, and what the first one said.
#[derive(Debug)]
struct Tally {
    severity: Severity,
    /// What one occurrence is and what many are: `DNS message claims …`, `DNS messages claim …`.
    one: &'static str,
    many: &'static str,
    n: u64,
    first: u32,
    example: String,
}

impl Diags {
    /// Counts one occurrence of `code` at `frame`; `example` is kept from the first one (called only then).
    fn tally(
        &mut self,
        severity: Severity,
        code: &'static str,
        (one, many): (&'static str, &'static str),
        frame: u32,
        example: impl FnOnce() -> String,
    ) {
        let t = self.tallies.entry(code).or_insert_with(|| Tally {
            severity,
            one,
            many,
            n: 0,
            first: frame,
            example: example(),
        });
        t.n += 1;
    }

    fn push(&mut self, severity: Severity, code: &'static str, frame: u32, message: String) {
        let entry = self.counts.entry(code).or_insert((0, frame, frame));
        entry.0 += 1;
        entry.2 = frame;
        if entry.0 <= PER_CODE {
            self.list
                .push(Diagnostic::at_frame(severity, code, frame, message));
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        for (code, t) in std::mem::take(&mut self.tallies) {
            let what = if t.n == 1 { t.one } else { t.many };
            self.list.push(Diagnostic::at_frame(
                t.severity,
                code,
                t.first,
                format!(
                    "{} {what}; first at frame {} ({})",
                    thousands(t.n),
                    t.first,
                    t.example
                ),
            ));
        }
        for (code, (n, _, last)) in &self.counts {
            if *n > PER_CODE {
                let first_unshown = self
                    .list
                    .iter()
                    .rev()
                    .find(|d| d.code == *code)
                    .and_then(|d| d.frame)
                    .unwrap_or(0);
                self.list.push(Diagnostic::at_frame(
                    Severity::Info,
                    "more-diagnostics",
                    *last,
                    format!(
                        "{} more `{code}` diagnostics after frame {first_unshown}, up to frame {last}, not shown",
                        n - PER_CODE
                    ),
                ));
            }
        }
        self.list
    }
}

/// Where DNS messages go: the engine, and the diagnostics.
struct Sink<'g> {
    grouper: &'g mut dyn PacketSink,
    diags: Diags,
    /// The question name of the message being read.
    name: String,
    frames: u64,
}

/// An IP address and port.
type Addr = (IpAddr, u16);

/// Where a DNS message was found: its frame and time, its transport, and its two sockets.
#[derive(Debug, Clone, Copy)]
struct Found {
    frame: u32,
    time: Option<Time>,
    transport: Transport,
    src: Addr,
    dst: Addr,
}

/// One direction of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StreamKey {
    src: Addr,
    dst: Addr,
}

impl std::fmt::Display for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sock = |(ip, port): Addr| Sock {
            host: Host::Ip(ip),
            port: Some(port),
        };
        write!(f, "{} > {}", sock(self.src), sock(self.dst))
    }
}

/// What is known of one direction of a TCP connection.
#[derive(Debug, Default)]
struct Stream {
    /// The sequence number of the next byte expected.
    next: Option<u32>,
    /// Bytes in order that do not make a whole message yet.
    buf: Vec<u8>,
    /// Segments after a gap, by sequence number.
    held: Vec<(u32, Vec<u8>)>,
    held_bytes: usize,
    last_frame: u32,
    last_time: Option<Time>,
    last_seen: u64,
}

/// Whether sequence number `a` is after `b` (RFC 1982 arithmetic).
fn after(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000_0000
}

impl Stream {
    /// Takes one segment's data starting at `seq`.
    fn segment(
        &mut self,
        key: StreamKey,
        seq: u32,
        data: &[u8],
        frame: u32,
        time: Option<Time>,
        sink: &mut Sink<'_>,
    ) {
        if data.is_empty() {
            return;
        }
        let next = *self.next.get_or_insert(seq);
        if after(seq, next) {
            if self.held.len() >= MAX_HELD_SEGMENTS
                || self.held_bytes.saturating_add(data.len()) > MAX_HELD_BYTES
            {
                self.skip_gap(key, frame, sink);
                // Reading resumes at the earliest held segment; this one waits with the rest.
            }
            let at = self
                .held
                .iter()
                .position(|h| after(h.0, seq))
                .unwrap_or(self.held.len());
            self.held.insert(at, (seq, data.to_vec()));
            self.held_bytes += data.len();
            self.drain(key, frame, time, sink);
            return;
        }
        self.take(key, seq, data, frame, time, sink);
        self.drain(key, frame, time, sink);
    }

    /// Appends the part of `data` (at `seq`, not after `next`) that is new.
    fn take(
        &mut self,
        key: StreamKey,
        seq: u32,
        data: &[u8],
        frame: u32,
        time: Option<Time>,
        sink: &mut Sink<'_>,
    ) {
        let Some(next) = self.next else {
            return;
        };
        let skip = usize::try_from(next.wrapping_sub(seq)).unwrap_or(usize::MAX);
        let Some(new) = data.get(skip..).filter(|d| !d.is_empty()) else {
            // Retransmitted bytes only.
            return;
        };
        let len = u32::try_from(new.len()).unwrap_or(u32::MAX);
        self.next = Some(next.wrapping_add(len));
        if self.buf.is_empty() {
            let used = messages(key, new, frame, time, sink);
            self.buf
                .extend_from_slice(new.get(used..).unwrap_or_default());
        } else {
            self.buf.extend_from_slice(new);
            let used = messages(key, &self.buf, frame, time, sink);
            self.buf.drain(..used.min(self.buf.len()));
        }
    }

    /// Takes the held segments that now follow on: their messages are complete at `frame`, which filled the gap
    /// (the client's TCP delivers nothing past a gap until it is filled).
    fn drain(&mut self, key: StreamKey, frame: u32, time: Option<Time>, sink: &mut Sink<'_>) {
        while let (Some(next), Some(first)) = (self.next, self.held.first()) {
            if after(first.0, next) {
                break;
            }
            let (seq, data) = self.held.remove(0);
            self.held_bytes = self.held_bytes.saturating_sub(data.len());
            self.take(key, seq, &data, frame, time, sink);
        }
    }

    /// Gives up on the bytes missing before the held segments: reports the gap and moves on to the first held one.
    fn skip_gap(&mut self, key: StreamKey, frame: u32, sink: &mut Sink<'_>) {
        let (Some(next), Some(first)) = (self.next, self.held.first()) else {
            return;
        };
        let missing = first.0.wrapping_sub(next);
        sink.diags.push(
            Severity::Warning,
            "tcp-gap",
            frame,
            format!(
                "TCP stream {key}: {missing} bytes are missing from the capture; DNS messages are read again after them{}",
                if self.buf.is_empty() {
                    String::new()
                } else {
                    format!(", and the {} bytes of a message before them are dropped", self.buf.len())
                }
            ),
        );
        self.buf.clear();
        self.next = Some(first.0);
    }

    /// Reports what is left when the stream ends at `frame`.
    fn end(&mut self, key: StreamKey, frame: u32, sink: &mut Sink<'_>) {
        while !self.held.is_empty() {
            if self.next.is_none() {
                self.held.clear();
                break;
            }
            self.skip_gap(key, frame, sink);
            self.drain(key, frame, self.last_time, sink);
        }
        if let Some(&[hi, lo]) = self.buf.get(..2) {
            let len = u16::from_be_bytes([hi, lo]);
            sink.diags.push(
                Severity::Warning,
                "tcp-incomplete",
                frame,
                format!(
                    "TCP stream {key} ends inside a DNS message: {} of its {len} bytes were captured",
                    self.buf.len() - 2
                ),
            );
        } else if !self.buf.is_empty() {
            sink.diags.push(
                Severity::Warning,
                "tcp-incomplete",
                frame,
                format!("TCP stream {key} ends inside a DNS message's length prefix"),
            );
        }
        self.buf.clear();
    }
}

/// Reads the whole length-prefixed DNS messages at the start of `bytes`; returns how many bytes they took.
fn messages(
    key: StreamKey,
    bytes: &[u8],
    frame: u32,
    time: Option<Time>,
    sink: &mut Sink<'_>,
) -> usize {
    let mut pos = 0;
    while let Some(&[hi, lo]) = bytes.get(pos..pos + 2) {
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let Some(message) = bytes.get(pos + 2..pos + 2 + len) else {
            break;
        };
        let found = Found {
            frame,
            time,
            transport: Transport::Tcp,
            src: key.src,
            dst: key.dst,
        };
        sink.dns(found, message, false);
        pos += 2 + len;
    }
    pos
}

/// Checks the structure of `count` resource records at `pos`: how many are whole, and where the first broken one
/// is, if one is.
fn walk_records(message: &[u8], mut pos: usize, count: u16) -> (u16, Option<u16>) {
    for i in 0..count {
        let Some(end) = crate::source::packet::skip_name(message, pos) else {
            return (i, Some(i + 1));
        };
        let Some(&[hi, lo]) = message.get(end + 8..end + 10) else {
            return (i, Some(i + 1));
        };
        let rdlen = usize::from(u16::from_be_bytes([hi, lo]));
        pos = end + 10 + rdlen;
        if pos > message.len() {
            return (i, Some(i + 1));
        }
    }
    (count, None)
}

/// Reads the first question of a DNS message when its name is plain labels or pointers back to them, at most 255
/// bytes: writes the name as [`name_text`] does and returns the type and where the question ends. `None` leaves
/// the question to hickory-proto.
fn first_question(message: &[u8], out: &mut String) -> Option<(u16, usize)> {
    out.clear();
    let mut pos = 12;
    let mut end = None;
    let mut length = 0usize;
    for _ in 0..255 {
        let len = *message.get(pos)?;
        match len & 0xc0 {
            0 if len == 0 => {
                end.get_or_insert(pos + 1);
                if out.is_empty() {
                    out.push('.');
                }
                let end = end?;
                let fields = message.get(end..end + 4)?;
                let qtype = u16::from_be_bytes([*fields.first()?, *fields.get(1)?]);
                return Some((qtype, end + 4));
            }
            0 => {
                length += usize::from(len) + 1;
                let label = message.get(pos + 1..pos + 1 + usize::from(len))?;
                if length > 254 {
                    return None;
                }
                for &b in label {
                    if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                        out.push(char::from(b));
                    } else {
                        out.push('\\');
                        out.push(char::from(b'0' + b / 100));
                        out.push(char::from(b'0' + (b / 10) % 10));
                        out.push(char::from(b'0' + b % 10));
                    }
                }
                out.push('.');
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let target = (usize::from(len & 0x3f) << 8) | usize::from(*message.get(pos + 1)?);
                end.get_or_insert(pos + 2);
                // Only pointers back to earlier bytes, as hickory-proto requires.
                if target >= pos {
                    return None;
                }
                pos = target;
            }
            _ => return None,
        }
    }
    None
}

/// Writes a wire-format name's labels as text with a trailing dot; bytes that are not printable, dots and
/// backslashes inside labels are written as `\DDD`.
fn name_text(out: &mut String, name: &hickory_proto::rr::Name) {
    out.clear();
    for label in name.iter() {
        for &b in label {
            if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                out.push(char::from(b));
            } else {
                out.push('\\');
                out.push(char::from(b'0' + b / 100));
                out.push(char::from(b'0' + (b / 10) % 10));
                out.push(char::from(b'0' + b % 10));
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
}

impl Sink<'_> {
    /// Decodes one DNS message, found as `found` says, and gives it to the engine. `cut` says the capture did not
    /// keep all of it.
    fn dns(&mut self, found: Found, message: &[u8], cut: bool) {
        let Found {
            frame,
            time,
            transport,
            src,
            dst,
        } = found;
        if cut {
            self.diags.push(
                Severity::Warning,
                "dns-cut",
                frame,
                format!(
                    "the DNS message was cut by the capture's snap length ({} bytes kept); what it holds is read",
                    message.len()
                ),
            );
        }
        let undecodable = |diags: &mut Diags, what: String| {
            if !cut {
                diags.push(
                    Severity::Warning,
                    "dns-undecodable",
                    frame,
                    format!("DNS message could not be decoded: {what}"),
                );
            }
        };
        let mut decoder = BinDecoder::new(message);
        let header = match Header::read(&mut decoder) {
            Ok(h) => h,
            Err(e) => return undecodable(&mut self.diags, e.to_string()),
        };
        // The first question: read here for plain names (the common case), by hickory-proto otherwise, which also
        // says what is wrong with a broken one.
        let mut qtype = None;
        let mut after_questions = Some(12);
        if header.counts.queries > 0 {
            match first_question(message, &mut self.name) {
                Some((t, end)) => {
                    qtype = Some(t);
                    after_questions = Some(end);
                }
                None => match Query::read(&mut decoder) {
                    Ok(q) => {
                        name_text(&mut self.name, q.name());
                        qtype = Some(u16::from(q.query_type()));
                        after_questions = Some(decoder.index());
                    }
                    Err(e) => return undecodable(&mut self.diags, e.to_string()),
                },
            }
        }
        // A header's counts are claims: before anything walks them, check them against the bytes there (a broken
        // first question was reported above as what it is). A question takes at least 5 bytes (the root name, type,
        // class), a record 11; a message that cannot hold what its header claims is reported once per capture, with
        // a count, and only the records that are there are read.
        let counts = header.counts;
        let least = 12
            + 5 * u64::from(counts.queries)
            + 11 * (u64::from(counts.answers)
                + u64::from(counts.authorities)
                + u64::from(counts.additionals));
        let overclaims = !cut && least > message.len() as u64;
        if overclaims {
            self.diags.tally(
                Severity::Warning,
                "dns-counts-exceed-message",
                (
                    "DNS message claims more records than it holds",
                    "DNS messages claim more records than they hold",
                ),
                frame,
                || {
                    format!(
                        "its header claims {} questions, {} answers, {} authority and {} additional records in {} bytes; \
                         only the records that are there are read",
                        thousands(counts.queries.into()),
                        thousands(counts.answers.into()),
                        thousands(counts.authorities.into()),
                        thousands(counts.additionals.into()),
                        thousands(message.len() as u64)
                    )
                },
            );
        }
        let response = header.message_type == MessageType::Response;
        let answers = match after_questions {
            Some(offset) if response && header.counts.answers > 0 => {
                let report = !cut && !overclaims;
                self.answers(frame, &header, message, offset, report)
            }
            _ => Answers::None,
        };
        let sock = |(ip, port): Addr| Sock {
            host: Host::Ip(ip),
            port: Some(port),
        };
        let packet = Packet {
            frame,
            line: 0,
            time,
            transport,
            src: sock(src),
            dst: sock(dst),
            id: header.id,
            response,
            rcode: u16::from(header.response_code) & 0x0f,
            truncated: header.truncation,
            question: qtype.map(|qtype| Question {
                name: &self.name,
                qtype,
            }),
            answers,
        };
        self.grouper.push(&packet);
    }

    /// The answer records of a response, from `offset` (the end of its first question): the other questions are
    /// skipped, then the records are walked, bounded by the bytes, not the header's counts. A broken question or
    /// record is reported when `report` (the message was not cut, and its header's counts are not what is wrong).
    fn answers<'m>(
        &mut self,
        frame: u32,
        header: &Header,
        message: &'m [u8],
        offset: usize,
        report: bool,
    ) -> Answers<'m> {
        let mut undecodable = |what: String| {
            if report {
                self.diags.push(
                    Severity::Warning,
                    "dns-undecodable",
                    frame,
                    format!("DNS message could not be decoded: {what}"),
                );
            }
        };
        let mut after_questions = Some(offset);
        // Stops at the first question that is not there: the loop is bounded by the bytes, not the count.
        for k in 1..header.counts.queries {
            let Some(at) = after_questions else {
                break;
            };
            after_questions = crate::source::packet::skip_name(message, at)
                .map(|end| end + 4)
                .filter(|&end| end <= message.len());
            if after_questions.is_none() {
                undecodable(format!(
                    "question {} of {} runs past the end of the message",
                    k + 1,
                    header.counts.queries
                ));
            }
        }
        let Some(offset) = after_questions else {
            return Answers::None;
        };
        let (whole, broken) = walk_records(message, offset, header.counts.answers);
        if let Some(k) = broken {
            undecodable(format!(
                "answer record {k} of {} runs past the end of the message",
                header.counts.answers
            ));
        }
        Answers::Wire {
            message,
            offset,
            count: whole,
        }
    }
}

/// What a pcapng section has said so far: its byte order and its interfaces.
#[derive(Debug, Default)]
struct Section {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

/// An interface of a pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    snaplen: u32,
    tsresol: u8,
    tsoffset: i64,
}

/// Microseconds since the epoch of a pcapng timestamp in units of `tsresol` (RFC pcapng `if_tsresol`).
fn pcapng_micros(ts: u64, tsresol: u8, tsoffset: i64) -> Option<u64> {
    let units: u128 = if tsresol & 0x80 == 0 {
        10u128.checked_pow(u32::from(tsresol))?
    } else {
        1u128.checked_shl(u32::from(tsresol & 0x7f))?
    };
    let micros = u128::from(ts).checked_mul(1_000_000)? / units;
    let micros = u64::try_from(micros).ok()?;
    micros.checked_add_signed(tsoffset.checked_mul(1_000_000)?)
}

fn read_u32(bytes: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

struct Reader<'g> {
    sink: Sink<'g>,
    streams: FxHashMap<StreamKey, Stream>,
    /// Link types not read: frames skipped and the first of them.
    linktypes: BTreeMap<u16, (u64, u32)>,
    /// The latest capture time seen.
    now: u64,
}

impl Reader<'_> {
    fn finish(mut self) -> Vec<Diagnostic> {
        let mut open: Vec<(StreamKey, Stream)> = self.streams.drain().collect();
        open.sort_by_key(|(k, _)| *k);
        for (key, mut stream) in open {
            let frame = stream.last_frame;
            stream.end(key, frame, &mut self.sink);
        }
        for (linktype, (frames, first)) in &self.linktypes {
            self.sink.diags.push(
                Severity::Warning,
                "unknown-linktype",
                *first,
                format!("link type {linktype} is not one dnatlas reads: its {frames} frames are skipped"),
            );
        }
        let frames = self.sink.frames;
        self.sink.grouper.add_packets(frames);
        self.sink.diags.finish()
    }

    fn pcap(&mut self, bytes: &[u8]) {
        let header = match parse_pcap_header(bytes) {
            Ok((_, h)) => h,
            Err(_) => {
                self.sink.diags.push(
                    Severity::Error,
                    "truncated-capture",
                    0,
                    format!(
                        "the capture ends inside its 24-byte file header ({} bytes)",
                        bytes.len()
                    ),
                );
                return;
            }
        };
        let big_endian = header.is_bigendian();
        let nanos = header.is_nanosecond_precision();
        let linktype = u16::try_from(header.network.0).unwrap_or(u16::MAX);
        let max_len = header.snaplen.max(MAX_SNAPLEN);
        let mut rest = bytes.get(24..).unwrap_or_default();
        let mut frame: u32 = 0;
        while !rest.is_empty() {
            frame = frame.saturating_add(1);
            if rest.len() < 16 {
                self.sink.diags.push(
                    Severity::Error,
                    "truncated-capture",
                    frame,
                    format!(
                        "the capture ends inside frame {frame} ({} of its 16-byte record header remain)",
                        rest.len()
                    ),
                );
                return;
            }
            let caplen = read_u32(rest, 8, big_endian).unwrap_or(0);
            if caplen > max_len {
                self.sink.diags.push(
                    Severity::Error,
                    "corrupt-record",
                    frame,
                    format!(
                        "frame {frame}: the record header says {caplen} bytes, more than the snap length {}; the records after it cannot be found, so reading stops here",
                        header.snaplen
                    ),
                );
                return;
            }
            let parsed = if big_endian {
                parse_pcap_frame_be(rest)
            } else {
                parse_pcap_frame(rest)
            };
            let Ok((remaining, record)) = parsed else {
                self.sink.diags.push(
                    Severity::Error,
                    "truncated-capture",
                    frame,
                    format!(
                        "the capture ends inside frame {frame} (record header says {caplen} bytes, {} remain)",
                        rest.len() - 16
                    ),
                );
                return;
            };
            rest = remaining;
            let sub = if nanos {
                u64::from(record.ts_usec) / 1000
            } else {
                u64::from(record.ts_usec)
            };
            let time = Time {
                micros: u64::from(record.ts_sec) * 1_000_000 + sub,
                time_of_day: false,
            };
            self.frame(frame, linktype, record.data, record.origlen, Some(time));
        }
    }

    fn pcapng(&mut self, bytes: &[u8]) {
        let mut pos = 0usize;
        let mut section = Section::default();
        let mut frame: u32 = 0;
        while let Some(rest) = bytes.get(pos..).filter(|r| !r.is_empty()) {
            if rest.len() < 12 {
                self.sink.diags.push(
                    Severity::Error,
                    "truncated-capture",
                    frame.saturating_add(1),
                    format!(
                        "the capture ends inside a block header after frame {frame} ({} bytes remain)",
                        rest.len()
                    ),
                );
                return;
            }
            if rest.get(..4) == Some(&crate::text::PCAPNG_MAGIC[..]) {
                match parse_sectionheaderblock(rest) {
                    Ok((remaining, shb)) => {
                        section.big_endian = shb.big_endian();
                        section.interfaces.clear();
                        pos = bytes.len() - remaining.len();
                        continue;
                    }
                    Err(pcap_parser::nom::Err::Incomplete(_)) => {
                        self.sink.diags.push(
                            Severity::Error,
                            "truncated-capture",
                            frame.saturating_add(1),
                            format!("the capture ends inside a section header after frame {frame}"),
                        );
                        return;
                    }
                    Err(_) => {
                        self.sink.diags.push(
                            Severity::Error,
                            "corrupt-block",
                            frame.saturating_add(1),
                            format!(
                                "the section header at byte {pos} cannot be read; reading stops here"
                            ),
                        );
                        return;
                    }
                }
            }
            let block_type = read_u32(rest, 0, section.big_endian).unwrap_or(0);
            let block_len = read_u32(rest, 4, section.big_endian).unwrap_or(0);
            let is_packet = matches!(block_type, 2 | 3 | 6);
            let len = usize::try_from(block_len).unwrap_or(usize::MAX);
            if len < 12 || len % 4 != 0 {
                self.sink.diags.push(
                    Severity::Error,
                    "corrupt-block",
                    frame.saturating_add(1),
                    format!(
                        "the block at byte {pos} says it is {block_len} bytes long; the blocks after it cannot be found, so reading stops here"
                    ),
                );
                return;
            }
            let Some(block) = rest.get(..len) else {
                let what = if is_packet {
                    format!("frame {}", frame.saturating_add(1))
                } else {
                    format!("a block of type {block_type} after frame {frame}")
                };
                self.sink.diags.push(
                    Severity::Error,
                    "truncated-capture",
                    frame.saturating_add(1),
                    format!(
                        "the capture ends inside {what} (block header says {block_len} bytes, {} remain)",
                        rest.len()
                    ),
                );
                return;
            };
            pos += len;
            if is_packet {
                frame = frame.saturating_add(1);
            }
            let parsed = if section.big_endian {
                parse_block_be(block)
            } else {
                parse_block_le(block)
            };
            let parsed = match parsed {
                Ok((_, parsed)) => parsed,
                Err(_) => {
                    self.sink.diags.push(
                        Severity::Warning,
                        "corrupt-block",
                        if is_packet { frame } else { frame.saturating_add(1) },
                        format!(
                            "the block of type {block_type} at byte {} cannot be read; it is skipped",
                            pos - len
                        ),
                    );
                    continue;
                }
            };
            self.pcapng_block(parsed, block_type, frame, &mut section);
        }
    }

    /// One parsed block of a pcapng section: an interface description, or a packet read as a frame.
    fn pcapng_block(
        &mut self,
        parsed: Block<'_>,
        block_type: u32,
        frame: u32,
        section: &mut Section,
    ) {
        match parsed {
            Block::InterfaceDescription(idb) => {
                let tsoffset = idb
                    .options
                    .iter()
                    .find(|o| o.code.0 == 14)
                    .and_then(|o| <[u8; 8]>::try_from(o.value.get(..8)?).ok())
                    .map_or(0, |b| {
                        if section.big_endian {
                            i64::from_be_bytes(b)
                        } else {
                            i64::from_le_bytes(b)
                        }
                    });
                section.interfaces.push(Interface {
                    linktype: u16::try_from(idb.linktype.0).unwrap_or(u16::MAX),
                    snaplen: idb.snaplen,
                    tsresol: idb.if_tsresol,
                    tsoffset,
                });
            }
            Block::EnhancedPacket(epb) => {
                let Some(interface) = section.interfaces.get(epb.if_id as usize).copied() else {
                    self.unknown_interface(frame, epb.if_id);
                    return;
                };
                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let time =
                    pcapng_micros(ts, interface.tsresol, interface.tsoffset).map(|micros| Time {
                        micros,
                        time_of_day: false,
                    });
                self.frame(
                    frame,
                    interface.linktype,
                    epb.packet_data(),
                    epb.origlen,
                    time,
                );
            }
            Block::SimplePacket(spb) => {
                let Some(interface) = section.interfaces.first().copied() else {
                    self.unknown_interface(frame, 0);
                    return;
                };
                let mut keep = usize::try_from(spb.origlen).unwrap_or(usize::MAX);
                if interface.snaplen > 0 {
                    keep = keep.min(usize::try_from(interface.snaplen).unwrap_or(usize::MAX));
                }
                let data = spb.data.get(..keep).unwrap_or(spb.data);
                self.frame(frame, interface.linktype, data, spb.origlen, None);
            }
            Block::Unknown(unknown) if block_type == 2 => {
                // The obsolete Packet Block: interface u16, drops u16, timestamp, captured and original length.
                let body = unknown.data;
                let field = |at| read_u32(body, at, section.big_endian);
                let if_id = match body.get(..2) {
                    Some(&[a, b]) if section.big_endian => Some(u16::from_be_bytes([a, b])),
                    Some(&[a, b]) => Some(u16::from_le_bytes([a, b])),
                    _ => None,
                };
                let (Some(if_id), Some(high), Some(low), Some(caplen), Some(origlen)) =
                    (if_id, field(4), field(8), field(12), field(16))
                else {
                    return;
                };
                let Some(interface) = section.interfaces.get(usize::from(if_id)).copied() else {
                    self.unknown_interface(frame, u32::from(if_id));
                    return;
                };
                let caplen = usize::try_from(caplen).unwrap_or(usize::MAX);
                let data = body.get(20..).unwrap_or_default();
                let data = data.get(..caplen).unwrap_or(data);
                let ts = (u64::from(high) << 32) | u64::from(low);
                let time =
                    pcapng_micros(ts, interface.tsresol, interface.tsoffset).map(|micros| Time {
                        micros,
                        time_of_day: false,
                    });
                self.frame(frame, interface.linktype, data, origlen, time);
            }
            _ => {}
        }
    }

    fn unknown_interface(&mut self, frame: u32, if_id: u32) {
        self.sink.diags.push(
            Severity::Warning,
            "unknown-interface",
            frame,
            format!("the frame names interface {if_id}, which no interface block of its section describes; it is skipped"),
        );
    }

    /// Reads one frame.
    fn frame(&mut self, frame: u32, linktype: u16, data: &[u8], orig_len: u32, time: Option<Time>) {
        self.sink.frames += 1;
        if let Some(t) = time {
            self.now = self.now.max(t.micros);
        }
        let frame_cut = u32::try_from(data.len()).unwrap_or(u32::MAX) < orig_len;
        // The link layer: the protocol and where the IP packet starts.
        let link = match linktype {
            1 => ethernet(data),
            113 => match (data.get(14..16), data.get(16..)) {
                (Some(&[hi, lo]), Some(rest)) => Some((u16::from_be_bytes([hi, lo]), rest)),
                _ => None,
            },
            276 => match (data.get(..2), data.get(20..)) {
                (Some(&[hi, lo]), Some(rest)) => Some((u16::from_be_bytes([hi, lo]), rest)),
                _ => None,
            },
            101 | 228 | 229 => Some((ETHERTYPE_IP, data)),
            0 | 108 => data.get(4..).map(|ip| (ETHERTYPE_IP, ip)),
            other => {
                let entry = self.linktypes.entry(other).or_insert((0, frame));
                entry.0 += 1;
                return;
            }
        };
        let ip = match link {
            Some((ETHERTYPE_IP | ETHERTYPE_IPV4 | ETHERTYPE_IPV6, ip)) => ip,
            Some(_) => return,
            None => {
                if frame_cut {
                    self.sink.diags.push(
                        Severity::Info,
                        "frame-cut",
                        frame,
                        "the frame was cut by the snap length inside its link header".to_string(),
                    );
                }
                return;
            }
        };
        let Ok((ip, _)) = LaxIpSlice::from_slice(ip) else {
            return;
        };
        let (src, dst, payload, first_fragment) = match &ip {
            LaxIpSlice::Ipv4(ip) => {
                let h = ip.header();
                (
                    IpAddr::V4(h.source_addr()),
                    IpAddr::V4(h.destination_addr()),
                    ip.payload(),
                    h.fragments_offset().value() == 0,
                )
            }
            LaxIpSlice::Ipv6(ip) => {
                let h = ip.header();
                (
                    IpAddr::V6(h.source_addr()),
                    IpAddr::V6(h.destination_addr()),
                    ip.payload(),
                    true,
                )
            }
        };
        let ports = |bytes: &[u8]| -> Option<(u16, u16)> {
            match bytes.get(..4) {
                Some(&[a, b, c, d]) => {
                    Some((u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])))
                }
                _ => None,
            }
        };
        let is_dns = |(s, d): (u16, u16)| s == 53 || d == 53;
        let protocol = payload.ip_number.0;
        if payload.fragmented {
            if matches!(protocol, 6 | 17)
                && first_fragment
                && ports(payload.payload).is_some_and(is_dns)
            {
                self.sink.diags.push(
                    Severity::Warning,
                    "ip-fragment",
                    frame,
                    "a fragmented IP packet to or from port 53: fragments are not reassembled, so its DNS message is not read".to_string(),
                );
            }
            return;
        }
        if !matches!(protocol, 6 | 17) || !ports(payload.payload).is_some_and(is_dns) {
            return;
        }
        if protocol == 17 {
            let Ok(udp) = UdpSlice::from_slice_lax(payload.payload) else {
                self.header_cut(frame);
                return;
            };
            let message = udp.payload();
            let declared = usize::from(udp.length()).saturating_sub(8);
            let cut = payload.incomplete || message.len() < declared;
            let found = Found {
                frame,
                time,
                transport: Transport::Udp,
                src: (src, udp.source_port()),
                dst: (dst, udp.destination_port()),
            };
            self.sink.dns(found, message, cut);
        } else {
            let Ok(tcp) = TcpSlice::from_slice(payload.payload) else {
                self.header_cut(frame);
                return;
            };
            let key = StreamKey {
                src: (src, tcp.source_port()),
                dst: (dst, tcp.destination_port()),
            };
            self.tcp(key, &tcp, payload.incomplete, frame, time);
        }
    }

    fn header_cut(&mut self, frame: u32) {
        self.sink.diags.push(
            Severity::Warning,
            "dns-cut",
            frame,
            "the frame was cut by the snap length inside its UDP or TCP header".to_string(),
        );
    }

    fn tcp(
        &mut self,
        key: StreamKey,
        tcp: &TcpSlice<'_>,
        cut: bool,
        frame: u32,
        time: Option<Time>,
    ) {
        let seq = tcp.sequence_number();
        if tcp.syn() {
            // A new connection: what was known of an earlier one with these sockets is over.
            if let Some(mut old) = self.streams.remove(&key) {
                old.end(key, frame, &mut self.sink);
            }
        }
        if cut {
            self.sink.diags.push(
                Severity::Warning,
                "dns-cut",
                frame,
                format!("a TCP segment of stream {key} was cut by the snap length; the stream is read again from its next segment"),
            );
            if let Some(mut old) = self.streams.remove(&key) {
                old.buf.clear();
                old.held.clear();
            }
            return;
        }
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            let now = self.now;
            self.streams
                .retain(|_, s| s.last_seen.saturating_add(STREAM_IDLE_US) >= now);
            if self.streams.len() >= MAX_STREAMS {
                self.sink.diags.push(
                    Severity::Warning,
                    "too-many-streams",
                    frame,
                    format!("more than {MAX_STREAMS} TCP streams to or from port 53 are open at once; stream {key} is not read"),
                );
                return;
            }
        }
        let stream = self.streams.entry(key).or_default();
        stream.last_frame = frame;
        stream.last_time = time;
        stream.last_seen = time.map_or(self.now, |t| t.micros);
        let data_seq = if tcp.syn() {
            stream.next = Some(seq.wrapping_add(1));
            seq.wrapping_add(1)
        } else {
            seq
        };
        stream.segment(key, data_seq, tcp.payload(), frame, time, &mut self.sink);
        if tcp.fin() || tcp.rst() {
            if let Some(mut done) = self.streams.remove(&key) {
                done.end(key, frame, &mut self.sink);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_resolutions() {
        // Microseconds by default (6), nanoseconds (9), and 2^-20 s (0x94).
        assert_eq!(pcapng_micros(1_500_000, 6, 0), Some(1_500_000));
        assert_eq!(pcapng_micros(1_500_000_999, 9, 0), Some(1_500_000));
        assert_eq!(pcapng_micros(1 << 20, 0x94, 0), Some(1_000_000));
        assert_eq!(pcapng_micros(5, 6, 10), Some(10_000_005));
        assert_eq!(pcapng_micros(5, 39, 0), None);
        assert_eq!(pcapng_micros(5, 0xc8, 0), Some(0));
    }

    #[test]
    fn names_escape_what_is_not_printable() {
        let name =
            hickory_proto::rr::Name::from_labels(vec![b"a.b".to_vec(), b"c d".to_vec()]).unwrap();
        let mut out = String::new();
        name_text(&mut out, &name);
        assert_eq!(out, "a\\046b.c\\032d.");
        name_text(&mut out, &hickory_proto::rr::Name::root());
        assert_eq!(out, ".");
    }

    #[test]
    fn the_first_question_reads_as_hickory_reads_it() {
        let header = [0u8, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        let cases: Vec<Vec<u8>> = vec![
            // a.example. A IN
            [&header[..], b"\x01a\x07example\x00\x00\x01\x00\x01"].concat(),
            // the root, type NS
            [&header[..], b"\x00\x00\x02\x00\x01"].concat(),
            // a label with a dot and a space in it
            [&header[..], b"\x03a.b\x02c \x00\x00\x10\x00\x01"].concat(),
        ];
        for message in cases {
            let mut fast = String::new();
            let (qtype, end) = first_question(&message, &mut fast).unwrap();
            let mut decoder = BinDecoder::new(&message);
            Header::read(&mut decoder).unwrap();
            let q = Query::read(&mut decoder).unwrap();
            let mut slow = String::new();
            name_text(&mut slow, q.name());
            assert_eq!(
                (fast, qtype, end),
                (slow, u16::from(q.query_type()), decoder.index())
            );
        }
        // A pointer forward, a cut name, an extended label type: left to hickory-proto.
        let mut out = String::new();
        for bad in [
            &b"\xc0\x20\x00\x01\x00\x01"[..],
            b"\x05ab",
            b"\x41a\x00\x00\x01\x00\x01",
        ] {
            assert_eq!(
                first_question(&[&header[..], bad].concat(), &mut out),
                None,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn records_are_walked_without_running_past_the_end() {
        // One A record with a compressed owner name, then a second cut short.
        let mut m = vec![0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1];
        assert_eq!(walk_records(&m, 0, 1), (1, None));
        m.extend([0xc0, 0x0c, 0, 1, 0, 1]);
        assert_eq!(walk_records(&m, 0, 2), (1, Some(2)));
        assert_eq!(walk_records(&[0x40], 0, 1), (0, Some(1)));
    }

    #[test]
    fn sequence_numbers_wrap() {
        assert!(after(5, u32::MAX - 5));
        assert!(!after(u32::MAX - 5, 5));
        assert!(!after(7, 7));
    }
}
