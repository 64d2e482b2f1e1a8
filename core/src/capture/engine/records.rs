//! Answer records and sockets as text: the answers of a listed transaction as tcpdump prints their data (A and
//! AAAA read here, every other type through hickory-proto), and IPv4 sockets written without `fmt`.

use std::net::IpAddr;

use hickory_proto::rr::{RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use super::grouper::Grouper;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::packet::{Answers, Host, Packet, Sock};

impl Grouper {
    pub(super) fn answers(&mut self, packet: &Packet<'_>) -> Vec<String> {
        match packet.answers {
            Answers::None => Vec::new(),
            Answers::Text(records) => records.iter().map(|r| r.data.clone()).collect(),
            Answers::Wire {
                message,
                offset,
                count,
            } => {
                let mut out = Vec::with_capacity(usize::from(count).min(16));
                let mut pos = offset;
                for _ in 0..count {
                    // A and AAAA records are read here; every other type is decoded by hickory-proto.
                    let Some(end) = crate::source::packet::skip_name(message, pos) else {
                        break;
                    };
                    let field = |at: usize| match message.get(end + at..end + at + 2) {
                        Some(&[hi, lo]) => Some(u16::from_be_bytes([hi, lo])),
                        _ => None,
                    };
                    let (Some(rtype), Some(rdlen)) = (field(0), field(8)) else {
                        break;
                    };
                    let rdata = message.get(end + 10..end + 10 + usize::from(rdlen));
                    match (rtype, rdata) {
                        (1, Some(&[a, b, c, d])) => {
                            let mut text = String::with_capacity(15);
                            ipv4(&mut text, [a, b, c, d]);
                            out.push(text);
                        }
                        (28, Some(rdata)) if rdata.len() == 16 => {
                            let mut octets = [0u8; 16];
                            octets.copy_from_slice(rdata);
                            out.push(std::net::Ipv6Addr::from(octets).to_string());
                        }
                        _ => {
                            let decoded = u16::try_from(pos)
                                .map_err(|_| "the record is past 64 KiB".to_string())
                                .and_then(|at| {
                                    Record::read(&mut BinDecoder::new(message).clone(at))
                                        .map_err(|e| e.to_string())
                                });
                            match decoded {
                                Ok(record) => out.push(rdata_text(&record.data)),
                                Err(e) => {
                                    self.diagnostics.push(Diagnostic::at_frame(
                                        Severity::Warning,
                                        "dns-undecodable",
                                        packet.frame,
                                        format!("an answer record could not be decoded: {e}"),
                                    ));
                                    break;
                                }
                            }
                        }
                    }
                    pos = end + 10 + usize::from(rdlen);
                }
                out
            }
        }
    }
}

/// A socket as text (`Sock`'s `Display`), IPv4 written without the formatting machinery: the engine writes two
/// per listed transaction.
pub(super) fn sock_string(sock: &Sock<'_>) -> String {
    match (sock.host, sock.port) {
        (Host::Ip(IpAddr::V4(ip)), Some(port)) => {
            let mut out = String::with_capacity(21);
            ipv4(&mut out, ip.octets());
            out.push(':');
            number(&mut out, port);
            out
        }
        _ => sock.to_string(),
    }
}

/// Writes an IPv4 address in dotted decimal.
fn ipv4(out: &mut String, octets: [u8; 4]) {
    for (k, octet) in octets.into_iter().enumerate() {
        if k > 0 {
            out.push('.');
        }
        number(out, u16::from(octet));
    }
}

/// Writes a number in decimal.
fn number(out: &mut String, mut n: u16) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    for &d in digits.get(i..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// A record's data as tcpdump prints it (docs/domain/formats.md §8): `10.1.2.3`, `target.`, `target.:80 0 50` for SRV, `target. 10`
/// for MX, `"text"` for TXT.
fn rdata_text(data: &RData) -> String {
    match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(a) => a.0.to_string(),
        RData::SRV(srv) => format!(
            "{}:{} {} {}",
            srv.target, srv.port, srv.priority, srv.weight
        ),
        RData::MX(mx) => format!("{} {}", mx.exchange, mx.preference),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
            .collect::<Vec<_>>()
            .join(" "),
        RData::SOA(soa) => format!(
            "{} {} {} {} {} {} {}",
            soa.mname, soa.rname, soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum
        ),
        other => other.to_string(),
    }
}
