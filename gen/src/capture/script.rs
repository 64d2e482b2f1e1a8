//! Scripted packets (a capture listed packet by packet), and the dates and clocks they are written in.

use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::sim::{mac_of, Sim};
use super::{CaptureConfig, Packet, ScriptDns, ScriptRecord, S};

pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds from the epoch to midnight of `YYYY-MM-DD`.
pub(super) fn parse_date(s: &str) -> Result<u64, String> {
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
pub(super) fn parse_clock(s: &str) -> Result<u64, String> {
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

pub(super) fn record_type(s: &str) -> Result<RecordType, String> {
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
pub(super) fn script_name(s: &str) -> Result<Name, String> {
    Name::from_ascii(s).map_err(|e| format!("{s:?} is not a domain name: {e}"))
}

pub(super) fn script_record(r: &ScriptRecord) -> Result<Record, String> {
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

pub(super) fn script_message(d: &ScriptDns) -> Result<Vec<u8>, String> {
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

impl Sim {
    /// The packets of the script.
    pub(super) fn script(config: &CaptureConfig) -> Result<Vec<Packet>, String> {
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
