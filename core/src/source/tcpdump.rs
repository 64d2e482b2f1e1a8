//! tcpdump text: the DNS packets of a capture printed by tcpdump (docs/domain/formats.md §8; print-domain.c `domain_print`).
//!
//! A packet line is `[timestamp] [interface direction] IP|IP6 <src>.<port> > <dst>.<port>: <dns>`. The timestamp
//! is `HH:MM:SS.frac` (`-tttt` puts a date before it, `-tt` prints epoch seconds, `-t` prints none). With `-v` the
//! IPv4 header comes first, in parentheses, and the addresses follow on the next line (indented by four spaces,
//! or not when a paste lost the indentation); the two lines are one packet. With `-vv` a checksum note
//! (`[udp sum ok] `) precedes the DNS text; over TCP the DNS text follows the TCP summary (`Flags [P.], …,
//! length 51: `). Without `-n` the DNS port is printed as `domain`; `-nn` prints the same as `-n`.
//!
//! The DNS text is a query (`<id>[+][%] [flags] <TYPE>? <name>. (<len>)`) or a response
//! (`<id>[ <rcode>][*][-][|][$] [q: <TYPE>? <name>.] <an>/<ns>/<ar> <rr>, … [ns: …] [ar: …] (<len>)`). Resource
//! records carry their owner name with `-v` and their TTL with `-vvv`. Packets that are not DNS (no port 53) and
//! lines that are not packets (prompts, `listening on …`, `N packets captured`) are skipped; a line that looks
//! like a broken packet gets an info diagnostic, and text inside a DNS packet that does not fit the grammar gets a
//! warning with its column while the rest of the packet is kept.

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::format::{self, thousands, HostPort};
pub use crate::source::packet::{Record, Transport};
use crate::text;

/// Lines longer than this are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Microseconds in a day.
pub const DAY_US: u64 = 86_400_000_000;

/// The DNS packets of a capture, in the order they were printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// Every DNS packet read.
    pub packets: Vec<Packet>,
}

/// One DNS packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// 1-based line of the packet's DNS text (the address line of a `-v` packet).
    pub line: u32,
    /// 1-based position among the DNS packets of the capture.
    pub frame: u32,
    /// When it was captured, if the capture prints timestamps.
    pub time: Option<Timestamp>,
    /// `IP` or `IP6`.
    pub ip: IpVersion,
    /// UDP or TCP.
    pub transport: Transport,
    /// Where it came from.
    pub src: Socket,
    /// Where it went.
    pub dst: Socket,
    /// The DNS message.
    pub dns: Message,
}

/// A timestamp as printed, and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// The timestamp as written.
    pub text: String,
    /// Microseconds: since midnight for a clock time, since the epoch for a date or epoch seconds.
    pub micros: u64,
    /// Whether `micros` counts from midnight (a time of day without a date), so that it wraps at midnight.
    pub time_of_day: bool,
}

/// The IP version of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpVersion {
    /// `IP`.
    V4,
    /// `IP6`.
    V6,
}

/// An address and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Socket {
    /// The address (or host name, without `-n`) as printed.
    pub address: String,
    /// The port (`domain` is 53); `None` for a service name other than `domain`.
    pub port: Option<u16>,
}

impl std::fmt::Display for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => std::fmt::Display::fmt(&HostPort(&self.address, port), f),
            None => write!(f, "{}:?", format::host(&self.address)),
        }
    }
}

/// A DNS message as tcpdump prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The message id.
    pub id: u16,
    /// Whether it is a response.
    pub response: bool,
    /// The opcode word (`notify`, `update`, …); `None` for QUERY.
    pub opcode: Option<String>,
    /// The rcode of a response in upper case (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, …); `None` for a query.
    pub rcode: Option<String>,
    /// The header flags printed.
    pub flags: Flags,
    /// The question: a query's, or a response's `q:` with `-vv`.
    pub questions: Vec<Question>,
    /// The `<an>/<ns>/<ar>` counts of a response.
    pub counts: Option<SectionCounts>,
    /// The answer section as printed.
    pub answers: Vec<Record>,
    /// The authority section (`ns:`, `-vv`).
    pub authority: Vec<Record>,
    /// The additional section (`ar:`, `-vv`).
    pub additional: Vec<Record>,
    /// The DNS message length, `(<len>)`.
    pub length: Option<u32>,
    /// Whether the printed text ends in `[|domain]`: the packet was cut by the snap length.
    pub snapped: bool,
}

/// Header flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// RD (`+` on a query).
    pub recursion_desired: bool,
    /// CD (`%` on a query).
    pub checking_disabled: bool,
    /// AA (`*`).
    pub authoritative: bool,
    /// RA: a response without `-`.
    pub recursion_available: bool,
    /// TC (`|`).
    pub truncated: bool,
    /// AD (`$`).
    pub authenticated: bool,
}

/// The section counts of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionCounts {
    /// Answer records.
    pub answers: u16,
    /// Authority records.
    pub authority: u16,
    /// Additional records.
    pub additional: u16,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The name, with its trailing dot.
    pub name: String,
    /// `A`, `AAAA`, `SRV`, … or `Type<n>`.
    #[serde(rename = "type")]
    pub qtype: String,
    /// The class, when not IN.
    pub class: Option<String>,
}

/// A word of a line and where it starts (byte offset in the line).
type Word<'a> = (usize, &'a str);

/// The space-separated words of `s`, with byte offsets from the start of `s`.
fn words(s: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == ' ' || c == '\t' {
            if let Some(st) = start.take() {
                out.push((st, s.get(st..i).unwrap_or_default()));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, s.get(st..).unwrap_or_default()));
    }
    out
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses `HH:MM:SS[.frac]` into microseconds since midnight.
fn clock(s: &str) -> Option<u64> {
    let mut parts = s.splitn(3, ':');
    let h = parts.next()?;
    let m = parts.next()?;
    let rest = parts.next()?;
    let (sec, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if !all_digits(h) || !all_digits(m) || !all_digits(sec) || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if sec.len() != 2 || !(frac.is_empty() || all_digits(frac)) {
        return None;
    }
    let (h, m, sec): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some((h * 3600 + m * 60 + sec) * 1_000_000 + fraction_us(frac)?)
}

/// Microseconds of a fraction of a second written as digits (`789492`, `123`, `123456789`).
fn fraction_us(frac: &str) -> Option<u64> {
    let mut us = 0u64;
    for i in 0..6 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| b.saturating_sub(b'0'));
        us = us * 10 + u64::from(digit);
    }
    (frac.is_empty() || all_digits(frac)).then_some(us)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` into days since the epoch.
fn date(s: &str) -> Option<u64> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    if !all_digits(y) || !all_digits(m) || !all_digits(d) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    u64::try_from(days_from_civil(y, m, d)).ok()
}

/// Parses `<seconds>.<frac>` (epoch seconds, `-tt`).
fn epoch(s: &str) -> Option<u64> {
    let (sec, frac) = s.split_once('.')?;
    if !all_digits(sec) || sec.len() > 12 || !all_digits(frac) {
        return None;
    }
    let sec: u64 = sec.parse().ok()?;
    sec.checked_mul(1_000_000)?.checked_add(fraction_us(frac)?)
}

/// Reads a timestamp from the words at `i`; returns it and how many words it took.
fn timestamp(ws: &[Word<'_>], i: usize) -> Option<(Timestamp, usize)> {
    let (_, first) = *ws.get(i)?;
    if let Some(us) = clock(first) {
        let ts = Timestamp {
            text: first.to_string(),
            micros: us,
            time_of_day: true,
        };
        return Some((ts, 1));
    }
    if let (Some(days), Some(&(_, second))) = (date(first), ws.get(i + 1)) {
        let us = clock(second)?;
        let ts = Timestamp {
            text: format!("{first} {second}"),
            micros: days.checked_mul(DAY_US)?.checked_add(us)?,
            time_of_day: false,
        };
        return Some((ts, 2));
    }
    let us = epoch(first)?;
    let ts = Timestamp {
        text: first.to_string(),
        micros: us,
        time_of_day: false,
    };
    Some((ts, 1))
}

/// Why a word shaped like one of tcpdump's timestamps is not one (`25:61:99.000000`, `99999999999999999999.1`,
/// `2024-13-45 12:00:00.000000`), and how many words it takes; `None` when it is not shaped like a timestamp.
fn impossible_timestamp(ws: &[Word<'_>]) -> Option<(&'static str, usize)> {
    let (_, first) = *ws.first()?;
    // Two digits or fewer between colons: `HH:MM:SS[.frac]`, whatever the values.
    let clock_shaped = |s: &str| {
        let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
        hms.split(':').count() == 3
            && hms.split(':').all(|p| all_digits(p) && p.len() <= 2)
            && (frac.is_empty() || all_digits(frac))
    };
    if clock_shaped(first) {
        return Some((
            "not a time of day (hours 00-23, minutes 00-59, seconds 00-60)",
            1,
        ));
    }
    // `YYYY-MM-DD`, whatever the values.
    let date_shaped = first.len() == 10
        && first.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if date_shaped && ws.get(1).is_some_and(|&(_, w)| clock_shaped(w)) {
        return Some(("not a date and time of day", 2));
    }
    if let Some((sec, frac)) = first.split_once('.') {
        if all_digits(sec) && all_digits(frac) && sec.len() > 12 {
            return Some((
                "more seconds since 1970 than a capture can have (at most 12 digits)",
                1,
            ));
        }
    }
    None
}

/// Splits `<addr>.<port>` at the last dot; the port is a number or `domain`.
fn socket(s: &str) -> Option<Socket> {
    let (address, port) = s.rsplit_once('.')?;
    if address.is_empty() || port.is_empty() {
        return None;
    }
    let port = if port == "domain" {
        Some(53)
    } else if all_digits(port) {
        Some(port.parse().ok()?)
    } else if port.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        None
    } else {
        return None;
    };
    let ok = address
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:_%".contains(&b));
    ok.then(|| Socket {
        address: address.to_string(),
        port,
    })
}

/// What the prefix of a line said before the addresses.
#[derive(Debug, Clone)]
struct Prefix {
    time: Option<Timestamp>,
    ip: Option<IpVersion>,
    proto: Option<Transport>,
}

/// A `-v` header whose addresses are on the next line.
#[derive(Debug, Clone)]
struct Pending {
    line: u32,
    prefix: Prefix,
}

/// The parser's state over the lines.
struct Reader {
    capture: Capture,
    diagnostics: Vec<Diagnostic>,
    pending: Option<Pending>,
}

/// The outcome of reading one line.
enum LineKind {
    /// A DNS packet was read (possibly with warnings).
    Packet(Box<Packet>),
    /// A `-v` header without its addresses.
    Header(Prefix),
    /// A packet that is not DNS, or text that is not a packet.
    Other,
    /// Something that looks like a broken packet, with where and why.
    Broken(u32, String),
    /// A DNS packet whose DNS text could not be read, with where and why.
    BadDns(u32, String),
    /// A DNS packet whose timestamp is impossible: the column and text of the timestamp, and why.
    BadTime(u32, String, &'static str),
}

/// Whether `bytes` reads as tcpdump text with DNS packets: no NUL among the first bytes and at least one DNS
/// packet line among the first lines.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    let mut scratch = Vec::new();
    let mut pending = None;
    for line in text::lines(bytes).take(200) {
        if line.bytes.len() > MAX_LINE_BYTES {
            continue;
        }
        let (content, _) = text::decode(line.bytes);
        match read_line(&content, line.number, &mut pending, &mut scratch) {
            LineKind::Packet(_) | LineKind::BadTime(..) => return true,
            LineKind::Header(prefix) => {
                pending = Some(Pending {
                    line: line.number,
                    prefix,
                })
            }
            _ => pending = None,
        }
        scratch.clear();
    }
    false
}

/// Parses tcpdump text into its DNS packets.
pub fn parse(bytes: &[u8]) -> Parsed<Capture> {
    let mut reader = Reader {
        capture: Capture::default(),
        diagnostics: Vec::new(),
        pending: None,
    };
    // Impossible timestamps by cause: how many, and the first line, column and text.
    let mut bad_times: std::collections::BTreeMap<&'static str, (u64, u32, u32, String)> =
        std::collections::BTreeMap::new();
    for line in text::lines(bytes) {
        let n = line.number;
        let Some(content) = text::readable(&line, MAX_LINE_BYTES, &mut reader.diagnostics) else {
            reader.pending = None;
            continue;
        };
        if content.trim().is_empty() {
            continue;
        }
        let mut pending = reader.pending.take();
        let mut warnings = Vec::new();
        let kind = read_line(&content, n, &mut pending, &mut warnings);
        if let Some(header) = pending {
            reader.diagnostics.push(Diagnostic::new(
                Severity::Info,
                "header-without-packet",
                header.line,
                1,
                "an IP header line is not followed by its addresses; skipped",
            ));
        }
        reader.diagnostics.append(&mut warnings);
        match kind {
            LineKind::Packet(mut packet) => {
                packet.frame = u32::try_from(reader.capture.packets.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(1);
                reader.capture.packets.push(*packet);
            }
            LineKind::Header(prefix) => reader.pending = Some(Pending { line: n, prefix }),
            LineKind::Other => {}
            LineKind::Broken(column, message) => reader.diagnostics.push(Diagnostic::new(
                Severity::Info,
                "broken-packet",
                n,
                column,
                message,
            )),
            LineKind::BadDns(column, message) => reader.diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-dns-text",
                n,
                column,
                format!("{message}; the packet is skipped"),
            )),
            LineKind::BadTime(column, text, why) => {
                let entry = bad_times.entry(why).or_insert((0, n, column, text));
                entry.0 += 1;
            }
        }
    }
    // Impossible timestamps: one diagnostic per cause, at its first line, with how many lines it cost.
    for (why, (count, line, column, text)) in bad_times {
        let lines = if count == 1 {
            "its packet is skipped".to_string()
        } else {
            format!(
                "{} packet lines with such a timestamp are skipped; first at line {line}",
                thousands(count)
            )
        };
        reader.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-timestamp",
            line,
            column,
            format!("`{text}` is {why}: {lines}"),
        ));
    }
    if let Some(p) = reader.pending {
        reader.diagnostics.push(Diagnostic::new(
            Severity::Info,
            "header-without-packet",
            p.line,
            1,
            "the last IP header line is not followed by its addresses; skipped",
        ));
    }
    Parsed {
        value: reader.capture,
        diagnostics: reader.diagnostics,
    }
}

/// The byte offset of the parenthesis closing the one at `open`.
fn closing_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.get(open..)?.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The protocol named in a `-v` header (`proto UDP (17)`, `next-header UDP (17)`).
fn header_proto(header: &str) -> Option<Transport> {
    if header.contains("UDP (17)") {
        Some(Transport::Udp)
    } else if header.contains("TCP (6)") {
        Some(Transport::Tcp)
    } else {
        None
    }
}

/// Reads one line. `pending` is a `-v` header printed on the line before; it is taken when this line holds its
/// addresses. Warnings about garbage inside a DNS packet go to `warnings`.
fn read_line(
    line: &str,
    n: u32,
    pending: &mut Option<Pending>,
    warnings: &mut Vec<Diagnostic>,
) -> LineKind {
    let ws = words(line);
    let mut i = 0;
    let mut prefix = Prefix {
        time: None,
        ip: None,
        proto: None,
    };
    let mut bad_time = None;
    if let Some((ts, used)) = timestamp(&ws, 0) {
        prefix.time = Some(ts);
        i = used;
    } else if let Some((why, used)) = impossible_timestamp(&ws) {
        // Read the rest; if it is a DNS packet, the line is reported for its timestamp.
        let text = ws
            .iter()
            .take(used)
            .map(|w| w.1)
            .collect::<Vec<_>>()
            .join(" ");
        let column = ws.first().map_or(1, |w| text::column_of(line, w.0));
        bad_time = Some((column, text, why));
        i = used;
    }
    // `-i any` with LINUX_SLL2: an interface name and a direction before `IP`.
    let is_ip = |w: Option<&Word<'_>>| matches!(w, Some((_, "IP" | "IP6")));
    if !is_ip(ws.get(i)) {
        if is_ip(ws.get(i + 1)) && matches!(ws.get(i), Some((_, "In" | "Out" | "B" | "M" | "P"))) {
            i += 1;
        } else if is_ip(ws.get(i + 2))
            && matches!(ws.get(i + 1), Some((_, "In" | "Out" | "B" | "M" | "P")))
        {
            i += 2;
        }
    }
    let mut rest_at = ws.get(i).map_or(line.len(), |w| w.0);
    match ws.get(i) {
        Some((at, "IP")) => {
            prefix.ip = Some(IpVersion::V4);
            rest_at = at + 2;
        }
        Some((at, "IP6")) => {
            prefix.ip = Some(IpVersion::V6);
            rest_at = at + 3;
        }
        _ => {}
    }
    let rest = line.get(rest_at..).unwrap_or_default();
    let trimmed = rest.trim_start();
    let mut at = rest_at + (rest.len() - trimmed.len());
    if prefix.ip.is_some() && trimmed.starts_with('(') {
        // The `-v` IP header: its addresses follow on this line (IPv6) or on the next (IPv4).
        let Some(close) = closing_paren(line, at) else {
            return LineKind::Broken(
                text::column_of(line, at),
                "an IP header without its closing parenthesis".to_string(),
            );
        };
        prefix.proto = header_proto(line.get(at..close).unwrap_or_default());
        let after = line.get(close + 1..).unwrap_or_default();
        if after.trim().is_empty() {
            return LineKind::Header(prefix);
        }
        at = close + 1 + (after.len() - after.trim_start().len());
    } else if prefix.ip.is_none() && prefix.time.is_none() {
        // A bare address line: the second line of a `-v` packet, or one pasted without its header.
        if let Some(p) = pending.take() {
            prefix = p.prefix;
        }
    }
    let started = prefix.ip.is_some() || prefix.time.is_some();
    let mut quiet = Vec::new();
    let found = addresses(
        line,
        at,
        n,
        prefix,
        if bad_time.is_some() {
            &mut quiet
        } else {
            warnings
        },
    );
    if let Some((column, text, why)) = bad_time {
        return match found {
            Ok(LineKind::Packet(_) | LineKind::BadDns(..)) => LineKind::BadTime(column, text, why),
            _ => LineKind::Other,
        };
    }
    match found {
        Ok(kind) => kind,
        Err(_) if !started => LineKind::Other,
        Err((column, message)) => LineKind::Broken(column, message),
    }
}

/// Reads `<src> > <dst>: <payload>` from `at`.
fn addresses(
    line: &str,
    at: usize,
    n: u32,
    prefix: Prefix,
    warnings: &mut Vec<Diagnostic>,
) -> Result<LineKind, (u32, String)> {
    let rest = line.get(at..).unwrap_or_default();
    let col = |offset: usize| text::column_of(line, offset);
    let Some((src_text, after)) = rest.split_once(" > ") else {
        return Err((col(at), "no `src > dst` addresses".to_string()));
    };
    let dst_at = at + src_text.len() + 3;
    let Some((dst_text, payload)) = after
        .split_once(": ")
        .or_else(|| after.strip_suffix(':').map(|d| (d, "")))
    else {
        return Err((
            col(dst_at),
            "the destination is not followed by `: `".to_string(),
        ));
    };
    let Some(src) = socket(src_text) else {
        return Err((col(at), format!("`{src_text}` is not an address and port")));
    };
    let Some(dst) = socket(dst_text) else {
        return Err((
            col(dst_at),
            format!("`{dst_text}` is not an address and port"),
        ));
    };
    if src.port != Some(53) && dst.port != Some(53) {
        return Ok(LineKind::Other);
    }
    let ip = prefix.ip.unwrap_or(if src.address.contains(':') {
        IpVersion::V6
    } else {
        IpVersion::V4
    });
    let mut payload_at = dst_at + dst_text.len() + 2;
    let mut payload = payload.trim_end();
    // `-vv` checksum notes.
    while let Some(p) = payload.strip_prefix('[') {
        let Some(end) = p.find("] ") else { break };
        let note = p.get(..end).unwrap_or_default();
        if !(note.contains("sum") || note.contains("cksum")) {
            break;
        }
        payload = p.get(end + 2..).unwrap_or_default();
        payload_at += end + 3;
    }
    let mut transport = prefix.proto.unwrap_or(Transport::Udp);
    if let Some(tcp) = payload.strip_prefix("Flags [") {
        transport = Transport::Tcp;
        // The DNS text follows the TCP summary's `length N` (with or without a colon).
        let Some(len_at) = tcp.find(", length ") else {
            return Ok(LineKind::Other);
        };
        let after_len = tcp.get(len_at + 9..).unwrap_or_default();
        let digits = after_len.bytes().take_while(u8::is_ascii_digit).count();
        let mut skip = 7 + len_at + 9 + digits;
        let tail = after_len.get(digits..).unwrap_or_default();
        let tail = tail.strip_prefix(':').map_or(tail, |t| {
            skip += 1;
            t
        });
        skip += tail.len() - tail.trim_start().len();
        payload = tail.trim_start();
        payload_at += skip;
        if payload.is_empty() {
            return Ok(LineKind::Other);
        }
    } else if payload.starts_with("UDP,") || payload.starts_with("ICMP") || payload.is_empty() {
        return Ok(LineKind::Other);
    }
    let mut dns_text = DnsText {
        line,
        at: payload_at,
        n,
        warnings,
    };
    let dns = match dns_text.message(payload) {
        Ok(dns) => dns,
        Err((column, why)) => return Ok(LineKind::BadDns(column, why)),
    };
    Ok(LineKind::Packet(Box::new(Packet {
        line: n,
        frame: 0,
        time: prefix.time,
        ip,
        transport,
        src,
        dst,
        dns,
    })))
}

/// Whether a word is a header-flag character of tcpdump's DNS header.
fn is_flag(c: char) -> bool {
    matches!(c, '+' | '%' | '*' | '-' | '|' | '$')
}

/// Applies the flag characters of `s` to `flags`; returns the first character that is not one.
fn apply_flags(s: &str, flags: &mut Flags, response: &mut Option<bool>) -> Option<usize> {
    for (i, c) in s.char_indices() {
        match c {
            '+' => flags.recursion_desired = true,
            '%' => flags.checking_disabled = true,
            '*' => {
                flags.authoritative = true;
                *response = Some(true);
            }
            '-' => {
                flags.recursion_available = false;
                *response = Some(true);
            }
            '|' => {
                flags.truncated = true;
                *response = Some(true);
            }
            '$' => {
                flags.authenticated = true;
                *response = Some(true);
            }
            _ => return Some(i),
        }
    }
    None
}

const OPCODES: [&str; 5] = ["inv_q", "stat", "notify", "update", "zone"];

fn is_opcode(w: &str) -> bool {
    OPCODES.iter().any(|o| w.starts_with(o)) || w.strip_prefix("op").is_some_and(all_digits)
}

/// The rcode in upper case, as the JSON contracts write it (docs/domain/formats.md §10).
fn rcode_name(word: &str) -> String {
    word.to_ascii_uppercase()
}

/// Parses `n/m/k`.
fn counts(w: &str) -> Option<SectionCounts> {
    let mut parts = w.split('/');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !all_digits(a) || !all_digits(b) || !all_digits(c) {
        return None;
    }
    Some(SectionCounts {
        answers: a.parse().ok()?,
        authority: b.parse().ok()?,
        additional: c.parse().ok()?,
    })
}

/// The words of a DNS text, as [`DnsText`]'s readers take them in turn.
type Words<'s, 'a> = std::iter::Peekable<std::iter::Copied<std::slice::Iter<'s, Word<'a>>>>;

/// The DNS text of one line being read: the line, where the text starts in it, the line's number, and the
/// warnings found so far.
struct DnsText<'l, 'w> {
    line: &'l str,
    at: usize,
    n: u32,
    warnings: &'w mut Vec<Diagnostic>,
}

impl DnsText<'_, '_> {
    /// The column of byte `offset` of the DNS text.
    fn col(&self, offset: usize) -> u32 {
        text::column_of(self.line, self.at + offset)
    }

    fn warn(&mut self, code: &str, offset: usize, message: impl Into<String>) {
        let column = self.col(offset);
        self.warnings.push(Diagnostic::new(
            Severity::Warning,
            code,
            self.n,
            column,
            message,
        ));
    }

    /// Parses the DNS text `payload`.
    fn message(&mut self, payload: &str) -> Result<Message, (u32, String)> {
        let mut ws = words(payload);
        let mut msg = Message::default();
        // The tail: `(len)` and the snap-length marker.
        if let Some(&(_, last)) = ws.last() {
            if last == "[|domain]" {
                msg.snapped = true;
                ws.pop();
            }
        }
        if let Some(&(_, last)) = ws.last() {
            if let Some(len) = last.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
                if let Ok(len) = len.parse() {
                    msg.length = Some(len);
                    ws.pop();
                }
            }
        }
        let mut it = ws.iter().copied().peekable();
        let Some((first_at, first)) = it.next() else {
            return Err((self.col(0), "no DNS text".to_string()));
        };
        let digits = first.bytes().take_while(u8::is_ascii_digit).count();
        let id = first.get(..digits).and_then(|d| d.parse::<u16>().ok());
        let Some(id) = id else {
            return Err((
                self.col(first_at),
                format!("`{first}` does not start with a DNS id"),
            ));
        };
        msg.id = id;
        let mut response: Option<bool> = None;
        let mut flags = Flags {
            recursion_available: true,
            ..Flags::default()
        };
        let rest_of_first = first.get(digits..).unwrap_or_default();
        if let Some(bad) = apply_flags(rest_of_first, &mut flags, &mut response) {
            self.warn(
                "bad-dns-flags",
                first_at + digits + bad,
                format!("`{first}`: unknown header flags"),
            );
        }
        self.header_words(&mut it, &mut msg, &mut flags, &mut response);
        // Bracketed header notes: `[1au]`, `[b2&3=0x1]`, `[1q]`.
        while let Some(&(_, w)) = it.peek() {
            if !(w.starts_with('[') && w.ends_with(']')) {
                break;
            }
            it.next();
        }
        let Some((w_at, w)) = it.next() else {
            return Err((
                self.col(payload.len()),
                "a DNS id without a question or answer counts".to_string(),
            ));
        };
        let mut class_type: Option<String> = None;
        let (w_at, w) = if !w.ends_with('?')
            && w != "q:"
            && it.peek().is_some_and(|(_, next)| next.ends_with('?'))
        {
            class_type = Some(w.to_string());
            it.next().unwrap_or((w_at, w))
        } else {
            (w_at, w)
        };
        if let Some(q) = w.strip_suffix('?') {
            // A query.
            msg.response = false;
            let qtype = match &class_type {
                Some(t) => format!("{t} {q}"),
                None => q.to_string(),
            };
            if let Some(q) = self.question(&mut it, w_at, &qtype) {
                msg.questions.push(q);
            }
            if response == Some(true) {
                self.warn(
                    "response-flags-on-query",
                    first_at,
                    "a question without answer counts, but with response flags; read as a query",
                );
            }
            msg.rcode = None;
            flags.recursion_available = false;
            msg.flags = flags;
            // Further questions and `-vv` sections are not needed.
            return Ok(msg);
        }
        msg.flags = flags;
        self.response(&mut it, (w_at, w), payload.len(), &mut msg)?;
        Ok(msg)
    }

    /// Opcode and rcode words after the id, each possibly followed by flag characters.
    fn header_words(
        &mut self,
        it: &mut Words<'_, '_>,
        msg: &mut Message,
        flags: &mut Flags,
        response: &mut Option<bool>,
    ) {
        while let Some(&(w_at, w)) = it.peek() {
            let word_len = w
                .char_indices()
                .find(|&(_, c)| is_flag(c))
                .map_or(w.len(), |(i, _)| i);
            let word = w.get(..word_len).unwrap_or_default();
            if word.is_empty()
                || w.ends_with('?')
                || !word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                || !word.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            {
                break;
            }
            // A query type followed by its class (`A CH?`) is not a header word.
            if it
                .clone()
                .nth(1)
                .is_some_and(|(_, next)| next.ends_with('?'))
                && !is_opcode(word)
            {
                break;
            }
            if is_opcode(word) {
                msg.opcode = Some(word.to_string());
            } else if word.bytes().next().is_some_and(|b| b.is_ascii_uppercase()) {
                msg.rcode = Some(rcode_name(word));
                *response = Some(true);
            } else {
                break;
            }
            let tail = w.get(word_len..).unwrap_or_default();
            if let Some(bad) = apply_flags(tail, flags, response) {
                self.warn(
                    "bad-dns-flags",
                    w_at + word_len + bad,
                    format!("`{w}`: unknown header flags"),
                );
            }
            it.next();
        }
    }

    /// A question `qtype?` (at `qtype_at`, possibly with its class: `A CH`) and the name after it.
    fn question(
        &mut self,
        it: &mut Words<'_, '_>,
        qtype_at: usize,
        qtype: &str,
    ) -> Option<Question> {
        let (qtype, class) = match qtype.split_once(' ') {
            Some((t, c)) => (t, Some(c.to_string())),
            None => (qtype, None),
        };
        match it.next() {
            Some((_, name)) => Some(Question {
                name: name.to_string(),
                qtype: qtype.to_string(),
                class,
            }),
            None => {
                self.warn(
                    "missing-qname",
                    qtype_at,
                    format!("`{qtype}?` without a name"),
                );
                None
            }
        }
    }

    /// A response from its word `w` on (`q: TYPE? name` with `-vv`, then the counts and the records); `end` is
    /// the length of the DNS text.
    fn response(
        &mut self,
        it: &mut Words<'_, '_>,
        w: Word<'_>,
        end: usize,
        msg: &mut Message,
    ) -> Result<(), (u32, String)> {
        msg.response = true;
        let mut w = w;
        if w.1 == "q:" {
            match it.next() {
                Some((q_at, q)) if q.ends_with('?') => {
                    let qtype = q.strip_suffix('?').unwrap_or_default().to_string();
                    if let Some(q) = self.question(it, q_at, &qtype) {
                        msg.questions.push(q);
                    }
                }
                Some((q_at, q)) => {
                    self.warn(
                        "bad-question",
                        q_at,
                        format!("`{q}` is not `TYPE?` after `q:`"),
                    );
                }
                None => {}
            }
            match it.next() {
                Some(next) => w = next,
                None => {
                    return Err((
                        self.col(end),
                        "a response without answer counts".to_string(),
                    ));
                }
            }
        }
        let Some(c) = counts(w.1) else {
            return Err((
                self.col(w.0),
                format!("`{}` is not a question or `an/ns/ar` counts", w.1),
            ));
        };
        msg.counts = Some(c);
        msg.rcode = Some(msg.rcode.take().unwrap_or_else(|| "NOERROR".to_string()));
        self.records(it, msg);
        Ok(())
    }

    /// Resource records: words up to a trailing comma make one record; `ns:` and `ar:` start sections.
    fn records(&mut self, it: &mut Words<'_, '_>, msg: &mut Message) {
        let mut section = 0u8;
        let mut current: Vec<Word<'_>> = Vec::new();
        for (w_at, w) in it {
            match w {
                "ns:" => {
                    self.record(&mut current, section, msg);
                    section = 1;
                }
                "ar:" => {
                    self.record(&mut current, section, msg);
                    section = 2;
                }
                _ => match w.strip_suffix(',') {
                    Some(w) => {
                        current.push((w_at, w));
                        self.record(&mut current, section, msg);
                    }
                    None => current.push((w_at, w)),
                },
            }
        }
        self.record(&mut current, section, msg);
    }

    /// The record of the words in `current` (emptied), into section `section` of `msg`.
    fn record(&mut self, current: &mut Vec<Word<'_>>, section: u8, msg: &mut Message) {
        if current.is_empty() {
            return;
        }
        match record(current) {
            Ok(r) => match section {
                0 => msg.answers.push(r),
                1 => msg.authority.push(r),
                _ => msg.additional.push(r),
            },
            Err(offset) => self.warn(
                "bad-record",
                offset,
                "a resource record without a type and data; skipped",
            ),
        }
        current.clear();
    }
}

/// Reads `[<owner>.] [[<ttl>]] <TYPE> <data…>`; on failure returns the offset of its first word.
fn record(ws: &[Word<'_>]) -> Result<Record, usize> {
    let start = ws.first().map_or(0, |w| w.0);
    let mut i = 0;
    let mut name = None;
    let mut ttl = None;
    if let Some(&(_, w)) = ws.first() {
        if w.ends_with('.') {
            name = Some(w.to_string());
            i = 1;
        }
    }
    if let Some(&(_, w)) = ws.get(i) {
        if let Some(t) = w.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            ttl = Some(t.to_string());
            i += 1;
        }
    }
    let Some(&(_, rtype)) = ws.get(i) else {
        return Err(start);
    };
    let rtype_ok = rtype.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && rtype
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let data: Vec<&str> = ws
        .get(i + 1..)
        .unwrap_or_default()
        .iter()
        .map(|w| w.1)
        .collect();
    if !rtype_ok {
        return Err(start);
    }
    Ok(Record {
        name,
        ttl,
        rtype: rtype.to_string(),
        data: data.join(" "),
    })
}

/// A text capture's packet in the engine's compact form (it borrows the text packet).
pub fn compact(packet: &Packet) -> crate::source::packet::Packet<'_> {
    use crate::source::packet::{
        rcode_code, type_code, Answers, Host, Question, Sock, Time, UNKNOWN_RCODE,
    };
    fn sock(s: &Socket) -> Sock<'_> {
        Sock {
            host: Host::Name(&s.address),
            port: s.port,
        }
    }
    let dns = &packet.dns;
    crate::source::packet::Packet {
        frame: packet.frame,
        line: packet.line,
        time: packet.time.as_ref().map(|t| Time {
            micros: t.micros,
            time_of_day: t.time_of_day,
        }),
        transport: packet.transport,
        src: sock(&packet.src),
        dst: sock(&packet.dst),
        id: dns.id,
        response: dns.response,
        rcode: dns
            .rcode
            .as_deref()
            .map_or(0, |r| rcode_code(r).unwrap_or(UNKNOWN_RCODE)),
        truncated: dns.flags.truncated,
        question: dns.questions.first().map(|q| Question {
            name: &q.name,
            // A type tcpdump printed that dnatlas does not know reads as type 0 (reserved).
            qtype: type_code(&q.qtype).unwrap_or(0),
        }),
        answers: if dns.response {
            Answers::Text(&dns.answers)
        } else {
            Answers::None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(p: &Parsed<Capture>) -> Vec<(&str, u32, u32)> {
        p.diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect()
    }

    #[test]
    fn impossible_timestamps_are_counted_per_cause() {
        let p = parse(
            b"12:00:00.000001 IP 10.244.0.20.35926 > 10.244.0.2.53: 44017+ A? a.example. (27)\n\
              25:61:99.000000 IP 10.244.0.20.35926 > 10.244.0.2.53: 44018+ A? b.example. (27)\n\
              24:00:00.000000 IP 10.244.0.20.35926 > 10.244.0.2.53: 44019+ A? c.example. (27)\n\
              99999999999999999999.1 IP 10.244.0.20.35926 > 10.244.0.2.53: 44020+ A? d.example. (27)\n\
              2024-13-45 12:00:00.000000 IP 10.244.0.20.35926 > 10.244.0.2.53: 44021+ A? e.example. (27)\n\
              25:61:99.000000 some text that is not a packet\n",
        );
        // Only the packet with a real time is read; each cause is one warning at its first line, with a count.
        assert_eq!(p.value.packets.len(), 1);
        assert_eq!(
            codes(&p),
            [
                ("bad-timestamp", 4, 1),
                ("bad-timestamp", 5, 1),
                ("bad-timestamp", 2, 1),
            ]
        );
        let messages: Vec<&str> = p.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`99999999999999999999.1` is more seconds since 1970 than a capture can have (at most 12 digits): its packet is skipped",
                "`2024-13-45 12:00:00.000000` is not a date and time of day: its packet is skipped",
                "`25:61:99.000000` is not a time of day (hours 00-23, minutes 00-59, seconds 00-60): 2 packet lines with such a timestamp are skipped; first at line 2",
            ]
        );
        // A capture of nothing but such lines is still tcpdump text, and says why it has no packets.
        assert!(looks_like(
            b"25:61:99.000000 IP 10.244.0.20.35926 > 10.244.0.2.53: 44018+ A? b.example. (27)\n"
        ));
    }

    #[test]
    fn n_query_and_response() {
        let p = parse(
            b"12:00:00.000001 IP 10.244.0.20.35926 > 10.244.0.2.53: 44017+ A? nginx.default.svc.cluster.local. (49)\n\
              12:00:00.000111 IP 10.244.0.2.53 > 10.244.0.20.35926: 44017*- 1/0/0 A 10.109.102.230 (96)\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let [q, r] = p.value.packets.as_slice() else {
            panic!("{:?}", p.value.packets)
        };
        assert_eq!(q.dns.id, 44017);
        assert!(!q.dns.response);
        assert!(q.dns.flags.recursion_desired);
        assert_eq!(q.dns.questions[0].name, "nginx.default.svc.cluster.local.");
        assert_eq!(q.dns.questions[0].qtype, "A");
        assert_eq!(q.dns.length, Some(49));
        assert_eq!(q.time.as_ref().map(|t| t.micros), Some(43_200_000_001));
        assert_eq!(q.src.to_string(), "10.244.0.20:35926");
        assert!(r.dns.response);
        assert!(r.dns.flags.authoritative);
        assert!(!r.dns.flags.recursion_available);
        assert_eq!(r.dns.rcode.as_deref(), Some("NOERROR"));
        assert_eq!(r.dns.answers[0].data, "10.109.102.230");
        assert_eq!(r.dns.answers[0].rtype, "A");
        assert_eq!((r.frame, r.line), (2, 2));
    }

    #[test]
    fn rcode_flags_and_tc() {
        let p = parse(
            b"IP 10.244.0.2.53 > 10.244.0.20.41000: 5120 NXDomain*- 0/1/0 (139)\n\
              IP 10.244.0.2.53 > 10.244.0.20.41000: 7002 ServFail- 0/0/0 (29)\n\
              IP 10.244.0.2.53 > 10.244.0.20.41000: 7003|$ 0/0/0 (29)\n\
              IP 10.244.0.2.53 > 10.244.0.20.41000: 7004 Refused 0/0/0 [|domain]\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let d: Vec<_> = p.value.packets.iter().map(|p| &p.dns).collect();
        assert_eq!(d[0].rcode.as_deref(), Some("NXDOMAIN"));
        assert_eq!(d[1].rcode.as_deref(), Some("SERVFAIL"));
        assert!(!d[1].flags.recursion_desired && !d[1].flags.recursion_available);
        assert!(d[2].flags.truncated && d[2].flags.authenticated && d[2].flags.recursion_available);
        assert_eq!(d[3].rcode.as_deref(), Some("REFUSED"));
        assert!(d[3].snapped);
        assert_eq!(d[3].length, None);
    }

    #[test]
    fn garbage_inside_a_packet_is_a_warning_and_the_rest_is_kept() {
        let p = parse(
            b"listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n\
              IP 10.244.0.2.53 > 10.244.0.20.35926: 44017*- 2/0/0 A 10.1.2.3, ??? (96)\n\
              12:00:00.1 IP 10.244.0.2.53 > 10.244.0.20.35926: banana\n\
              2 packets captured\n",
        );
        assert_eq!(codes(&p), [("bad-record", 2, 65), ("bad-dns-text", 3, 50)]);
        assert_eq!(p.value.packets.len(), 1);
        assert_eq!(p.value.packets[0].dns.answers.len(), 1);
    }

    #[test]
    fn names_opcodes_classes_and_other_packets() {
        let p = parse(
            b"2024-05-01 08:00:00.5 IP web-7d4.default.35926 > kube-dns.kube-system.svc.cluster.local.domain: 9+ A? a.example. (27)\n\
              IP 10.0.0.1.1000 > 10.0.0.2.53: 10 notify SOA? zone.example. (30)\n\
              IP 10.0.0.1.1000 > 10.0.0.2.53: 11+ TXT CHAOS? version.bind. (30)\n\
              IP 10.0.0.2.53 > 10.0.0.1.1000: 12 update Refused- 0/0/0 (12)\n\
              IP 10.0.0.53 > 10.0.0.1: ICMP 10.0.0.53 udp port 1000 unreachable, length 84\n\
              IP 10.0.0.1.1000 > 10.0.0.2.5353: UDP, length 40\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let [a, b, c, d] = p.value.packets.as_slice() else {
            panic!("{:?}", p.value.packets)
        };
        assert_eq!(a.dst.address, "kube-dns.kube-system.svc.cluster.local");
        assert_eq!(a.dst.port, Some(53));
        assert_eq!(a.src.address, "web-7d4.default");
        assert_eq!(a.src.port, Some(35926));
        let time = a.time.as_ref().unwrap();
        assert_eq!(time.micros, 19_844 * DAY_US + 8 * 3_600_000_000 + 500_000);
        assert!(!time.time_of_day);
        assert_eq!(b.dns.opcode.as_deref(), Some("notify"));
        assert!(!b.dns.response && !b.dns.flags.recursion_desired);
        assert_eq!(b.dns.questions[0].qtype, "SOA");
        assert_eq!(c.dns.questions[0].qtype, "TXT");
        assert_eq!(c.dns.questions[0].class.as_deref(), Some("CHAOS"));
        assert_eq!(d.dns.opcode.as_deref(), Some("update"));
        assert_eq!(d.dns.rcode.as_deref(), Some("REFUSED"));
        assert!(!d.dns.flags.recursion_available);
    }

    #[test]
    fn looks_like_needs_a_dns_packet() {
        assert!(looks_like(
            b"$ tcpdump -n port 53\nIP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a. (19)\n"
        ));
        assert!(!looks_like(b"nameserver 10.96.0.10\n"));
        assert!(!looks_like(
            b"IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S], seq 1, length 0\n"
        ));
    }
}
