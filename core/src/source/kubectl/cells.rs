//! Readers for the small pieces kubectl prints inside table cells and `describe` values: `ip:port` lists,
//! ` + N more...` tails, `k=v` label lists, `port:nodePort/PROTO` lists, `kind/name` prefixes and ages.

use std::net::IpAddr;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{HostPort, Labels};

/// A piece of a cell with its offset (in characters) from the start of the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Piece<'a> {
    /// The text, trimmed.
    pub text: &'a str,
    /// Characters from the start of the cell to the piece.
    pub offset: u32,
}

/// Splits `text` on `,`, trimming each piece and keeping where it starts. Empty pieces are dropped.
pub(super) fn split_list(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut offset = 0u32;
    for part in text.split(',') {
        let leading = part.len() - part.trim_start().len();
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let skip = part.get(..leading).map_or(0, |s| s.chars().count());
            out.push(Piece {
                text: trimmed,
                offset: offset.saturating_add(count(skip)),
            });
        }
        offset = offset
            .saturating_add(count(part.chars().count()))
            .saturating_add(1);
    }
    out
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The result of removing a ` + N more...` tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tail {
    /// There is no tail.
    None,
    /// ` + N more...`.
    Count(u32),
    /// A tail whose count is not a number; the text is quoted in the diagnostic.
    Bad,
}

/// Removes kubectl's ` + N more...` tail (printers `formatEndpoints`, `formatDiscoveryPorts`, describe).
pub(super) fn split_more(text: &str) -> (&str, Tail) {
    let trimmed = text.trim_end();
    let Some(plus) = trimmed.rfind(" + ").or_else(|| {
        // A cell that is only the tail, or a paste that lost the space before `+`.
        trimmed.rfind("+ ").filter(|&p| {
            trimmed
                .get(p..)
                .is_some_and(|t| t.trim_end_matches(['.', '…']).ends_with("more"))
        })
    }) else {
        return (trimmed, Tail::None);
    };
    let (head, tail) = trimmed.split_at(plus);
    let tail = tail.trim_start().trim_start_matches('+').trim();
    let Some(number) = tail
        .strip_suffix("more...")
        .or_else(|| tail.strip_suffix("more…"))
        .or_else(|| tail.strip_suffix("more"))
    else {
        return (trimmed, Tail::None);
    };
    match number.trim().parse::<u32>() {
        Ok(n) => (head.trim_end(), Tail::Count(n)),
        Err(_) => (head.trim_end(), Tail::Bad),
    }
}

/// Whether a cell is one of kubectl's placeholders for "nothing".
pub(super) fn is_none(text: &str) -> bool {
    matches!(text, "<none>" | "<unset>" | "")
}

/// Parses an IP address (IPv6 without brackets); returns it normalised as written.
pub(super) fn ip(text: &str) -> Option<String> {
    text.parse::<IpAddr>().ok().map(|_| text.to_string())
}

/// Parses one entry of an endpoints list: `10.0.0.1:80`, `[fd00::1]:80`, or a bare address.
pub(super) fn host_port(text: &str) -> Result<HostPort, String> {
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, port)) = rest.split_once("]:") else {
            return Err(format!("{text:?} is not [ip]:port"));
        };
        let ip = ip(host).ok_or_else(|| format!("{host:?} is not an IP address"))?;
        let port = port_number(port).ok_or_else(|| format!("{port:?} is not a port number"))?;
        return Ok(HostPort {
            ip,
            port: Some(port),
        });
    }
    if let Some(ip) = ip(text) {
        return Ok(HostPort { ip, port: None });
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!("{text:?} is not an ip:port address"));
    };
    let ip = ip(host).ok_or_else(|| format!("{host:?} is not an IP address"))?;
    let port = port_number(port).ok_or_else(|| format!("{port:?} is not a port number"))?;
    Ok(HostPort {
        ip,
        port: Some(port),
    })
}

/// A port number, 1–65535.
pub(super) fn port_number(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|&p| p != 0)
}

/// One entry of `get svc`'s PORT(S): `53/UDP` or `80:30080/TCP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ServicePortCell {
    pub port: u16,
    pub node_port: Option<u16>,
    pub protocol: String,
}

/// Parses `port[:nodePort]/PROTO`.
pub(super) fn service_port(text: &str) -> Result<ServicePortCell, String> {
    let Some((ports, protocol)) = text.split_once('/') else {
        return Err(format!("{text:?} is not port/PROTOCOL"));
    };
    if protocol.is_empty() || !protocol.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("{protocol:?} is not a protocol"));
    }
    let (port, node_port) = match ports.split_once(':') {
        Some((port, node_port)) => (
            port,
            Some(
                port_number(node_port)
                    .ok_or_else(|| format!("{node_port:?} is not a node port"))?,
            ),
        ),
        None => (ports, None),
    };
    let port = port_number(port).ok_or_else(|| format!("{port:?} is not a port number"))?;
    Ok(ServicePortCell {
        port,
        node_port,
        protocol: protocol.to_ascii_uppercase(),
    })
}

/// Parses `labels.FormatLabels` output: `k=v,k2=v2`, or `<none>` for no labels.
pub(super) fn labels(text: &str) -> Result<Labels, String> {
    let mut out = Labels::new();
    if is_none(text.trim()) {
        return Ok(out);
    }
    for piece in split_list(text) {
        let Some((key, value)) = piece.text.split_once('=') else {
            return Err(format!("{:?} is not key=value", piece.text));
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!("{:?} is not key=value", piece.text));
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Removes a `kind/` prefix (`service/kube-dns`, `endpointslice.discovery.k8s.io/web-8fj2k`), which kubectl adds
/// when several kinds are listed.
pub(super) fn strip_kind(name: &str) -> &str {
    match name.split_once('/') {
        Some((kind, rest))
            if !kind.is_empty()
                && !rest.is_empty()
                && kind.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
                }) =>
        {
            rest
        }
        _ => name,
    }
}

/// Whether `name` can be a Kubernetes object name or namespace (RFC 1123: lower-case letters, digits, `-` and
/// `.`, starting and ending with a letter or digit). Rows whose NAME is not are prose, not kubectl output.
pub(super) fn is_object_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// Whether a token looks like an AGE cell (`45s`, `5m10s`, `2d3h`, `2y10d`, `<unknown>`, `<invalid>`).
pub(super) fn looks_like_age(text: &str) -> bool {
    if matches!(text, "<unknown>" | "<invalid>") {
        return true;
    }
    let mut digits = false;
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits = true;
        } else if matches!(c, 's' | 'm' | 'h' | 'd' | 'y') && digits {
            digits = false;
            any = true;
        } else {
            return false;
        }
    }
    any && !digits
}

/// The N of a ` + N more...` tail, with a diagnostic when N is not a number.
pub(super) fn more_count(
    more: Tail,
    text: &str,
    line: u32,
    column: u32,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<u32> {
    match more {
        Tail::None => None,
        Tail::Count(n) => Some(n),
        Tail::Bad => {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-count",
                line,
                column,
                format!("{text:?} ends in a \" + N more...\" whose N is not a number"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_more_takes_the_tail_off() {
        assert_eq!(
            split_more("10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more..."),
            ("10.244.0.2:53,10.244.0.3:53,10.244.0.2:53", Tail::Count(3))
        );
        assert_eq!(split_more("10.0.0.1:80"), ("10.0.0.1:80", Tail::None));
        assert_eq!(split_more("a + x more..."), ("a", Tail::Bad));
        assert_eq!(split_more("a + 12 more…"), ("a", Tail::Count(12)));
        // A `+` that is not kubectl's tail stays.
        assert_eq!(split_more("a + b"), ("a + b", Tail::None));
    }

    #[test]
    fn host_port_reads_v4_v6_and_bare() {
        assert_eq!(
            host_port("10.0.0.1:80"),
            Ok(HostPort {
                ip: "10.0.0.1".into(),
                port: Some(80)
            })
        );
        assert_eq!(
            host_port("[fd00::1]:8443"),
            Ok(HostPort {
                ip: "fd00::1".into(),
                port: Some(8443)
            })
        );
        assert_eq!(
            host_port("fd00::1"),
            Ok(HostPort {
                ip: "fd00::1".into(),
                port: None
            })
        );
        assert_eq!(
            host_port("10.0.0.1"),
            Ok(HostPort {
                ip: "10.0.0.1".into(),
                port: None
            })
        );
        assert!(host_port("10.0.0.1:0").is_err());
        assert!(host_port("10.0.0.1:99999").is_err());
        assert!(host_port("[fd00::1]80").is_err());
        assert!(host_port("nginx:80").is_err());
        assert!(host_port(":").is_err());
        assert!(host_port("[").is_err());
    }

    #[test]
    fn service_port_reads_node_ports_and_protocols() {
        assert_eq!(
            service_port("80:30080/TCP"),
            Ok(ServicePortCell {
                port: 80,
                node_port: Some(30080),
                protocol: "TCP".into()
            })
        );
        assert_eq!(
            service_port("53/udp").map(|p| p.protocol),
            Ok("UDP".to_string())
        );
        assert!(service_port("80").is_err());
        assert!(service_port("80:/TCP").is_err());
        assert!(service_port("/TCP").is_err());
        assert!(service_port("80/").is_err());
    }

    #[test]
    fn split_list_keeps_offsets() {
        let pieces = split_list("a, bb,,c");
        let got: Vec<(&str, u32)> = pieces.iter().map(|p| (p.text, p.offset)).collect();
        assert_eq!(got, [("a", 0), ("bb", 3), ("c", 7)]);
    }

    #[test]
    fn labels_and_placeholders() {
        assert_eq!(labels("<none>"), Ok(Labels::new()));
        let got = labels("k8s-app=kube-dns,tier=").unwrap();
        assert_eq!(got.get("k8s-app").map(String::as_str), Some("kube-dns"));
        assert_eq!(got.get("tier").map(String::as_str), Some(""));
        assert!(labels("nokey").is_err());
    }

    #[test]
    fn kind_prefixes_and_ages() {
        assert_eq!(strip_kind("service/kube-dns"), "kube-dns");
        assert_eq!(
            strip_kind("endpointslice.discovery.k8s.io/web-8fj2k"),
            "web-8fj2k"
        );
        assert_eq!(strip_kind("kube-dns"), "kube-dns");
        assert_eq!(strip_kind("/x"), "/x");
        assert!(is_object_name("coredns-5d78c9869d-n5jwk"));
        assert!(is_object_name("a.b-c"));
        for not in ["#", "Backed", "-a", "a-", "", "a_b", "S5-5."] {
            assert!(!is_object_name(not), "{not}");
        }
        for age in ["45s", "5m10s", "3h5m", "2d3h", "45d", "2y10d", "<unknown>"] {
            assert!(looks_like_age(age), "{age}");
        }
        for not in ["", "5", "m5", "443/TCP", "10.0.0.1", "s"] {
            assert!(!looks_like_age(not), "{not}");
        }
    }
}
