//! The packets as `tcpdump -n` prints them.

use std::io::{self, Write};
use std::net::SocketAddr;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{RData, Record};

use super::wire::{invalid, Counting};
use super::{CaptureConfig, Link, Packet, Stats, Traffic, S, US};

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
