//! What to trace: `NAME[:PORT]` (or an address) read apart and checked as DNS checks names.

use std::net::IpAddr;

/// `NAME[:PORT]` read apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// The name (or the address as written).
    pub(super) name: String,
    /// The port, when given.
    pub(super) port: Option<u16>,
    /// The address, when the name is one.
    pub(super) ip: Option<IpAddr>,
}

/// The longest DNS label, in bytes (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// The longest name in presentation form without its trailing dot: 255 bytes on the wire are at most 253
/// characters written out (RFC 1035 §2.3.4).
const MAX_NAME: usize = 253;

/// `text` as it can be shown in a message: control characters and other invisible ones escaped (`\u{1b}`).
pub(super) fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Checks a name to look up as DNS does: labels of 1 to 63 bytes, at most 253 characters without the trailing
/// dot, and only letters, digits, `-` and `_` (CoreDNS and the stub resolvers pass underscores, as in SRV-style
/// names). An empty label is only allowed as the trailing dot.
fn check_name(to: &str, host: &str) -> Result<(), String> {
    if let Some((i, c)) = host
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        let what = if c.is_control() {
            "a control character"
        } else if c.is_whitespace() {
            "a space"
        } else if !c.is_ascii() {
            "not ASCII (write an internationalised name in its `xn--` form)"
        } else {
            "not allowed"
        };
        return Err(format!(
            "`{}`: `{}` at character {} is {what}; a DNS name holds letters, digits, `-` and `_` between dots",
            shown(to),
            shown(&c.to_string()),
            i + 1
        ));
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > MAX_NAME {
        return Err(format!(
            "`{}` is {} characters long; a DNS name holds at most {MAX_NAME} (255 bytes on the wire)",
            shown(to),
            name.len()
        ));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!(
                "`{}` has an empty label (a leading dot or two dots in a row); only the trailing dot may end a \
                 name",
                shown(to)
            ));
        }
        if label.len() > MAX_LABEL {
            return Err(format!(
                "`{}`: the label `{label}` is {} bytes long; a DNS label holds at most {MAX_LABEL}",
                shown(to),
                label.len()
            ));
        }
    }
    Ok(())
}

/// Reads `NAME[:PORT]`, `IP[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address, and checks the name as DNS does
/// ([`check_name`]) and the port (1-65535).
pub(super) fn parse_target(to: &str) -> Result<Target, String> {
    let to = to.trim();
    if to.is_empty() {
        return Err("the name to trace is empty".to_string());
    }
    if let Ok(ip) = to.parse::<IpAddr>() {
        return Ok(Target {
            name: to.to_string(),
            port: None,
            ip: Some(ip),
        });
    }
    let (host, port_text) = if let Some(rest) = to.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(format!(
                "`{}`: an IPv6 address in brackets needs its `]`",
                shown(to)
            ));
        };
        match after.strip_prefix(':') {
            Some(port) => (inside, Some(port)),
            None if after.is_empty() => (inside, None),
            None => {
                return Err(format!(
                    "`{}`: `{}` after the address is not `:PORT`",
                    shown(to),
                    shown(after)
                ))
            }
        }
    } else {
        match to.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (to, None),
        }
    };
    let port = match port_text {
        None => None,
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            match text.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err(format!("`{text}` is not a port number (1-65535)")),
            }
        }
        Some("") => return Err(format!("`{}` ends with `:` but no port", shown(to))),
        Some(text) => {
            return Err(format!(
                "`{}` is not a port number; name the port by its number (e.g. `{}:80`)",
                shown(text),
                shown(host)
            ))
        }
    };
    let bracketed = to.starts_with('[');
    if bracketed && host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(format!(
            "`{}` in brackets is not an IPv6 address",
            shown(host)
        ));
    }
    if host.is_empty() || (host.contains(':') && !bracketed) {
        return Err(format!("`{}` is not NAME[:PORT]", shown(to)));
    }
    if host.trim_end_matches('.').is_empty() {
        return Err(format!("`{}` has no name to look up", shown(to)));
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_none() {
        check_name(to, host)?;
    }
    Ok(Target {
        name: host.to_string(),
        port,
        ip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_apart() {
        let t = parse_target("nginx:80").unwrap();
        assert_eq!((t.name.as_str(), t.port, t.ip), ("nginx", Some(80), None));
        let t = parse_target("nginx.default.svc.cluster.local.").unwrap();
        assert_eq!(
            (t.name.as_str(), t.port),
            ("nginx.default.svc.cluster.local.", None)
        );
        let t = parse_target("10.96.0.10:53").unwrap();
        assert_eq!(t.ip, Some("10.96.0.10".parse().unwrap()));
        assert_eq!(t.port, Some(53));
        let t = parse_target("fd00::1").unwrap();
        assert_eq!((t.ip.is_some(), t.port), (true, None));
        let t = parse_target("[fd00::1]:443").unwrap();
        assert_eq!((t.ip.is_some(), t.port), (true, Some(443)));
        for bad in [
            "",
            " ",
            "nginx:",
            "nginx:http",
            "nginx:0",
            "nginx:70000",
            ":80",
            ".:80",
            "[fd00::1",
            "a b",
        ] {
            assert!(parse_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_checked_as_dns_does() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters: the longest name; one more is too long.
        let longest = format!("{label63}.{label63}.{label63}.{}", "b".repeat(61));
        assert_eq!(longest.len(), 253);
        for good in [
            "nginx",
            "_http._tcp.nginx.default.svc.cluster.local.",
            "my-svc.my-ns",
            label63.as_str(),
            &format!("{label63}.default:8080"),
            &longest,
            &format!("{longest}."),
            &format!("{longest}.:65535"),
            "10.0.0.300",
        ] {
            assert!(
                parse_target(good).is_ok(),
                "{good:?}: {:?}",
                parse_target(good)
            );
        }
        let error = |to: &str| parse_target(to).unwrap_err();
        let e = error(&format!("{label64}.default"));
        assert!(
            e.contains("is 64 bytes long; a DNS label holds at most 63"),
            "{e}"
        );
        let e = error(&format!("{longest}b"));
        assert!(
            e.contains("is 254 characters long; a DNS name holds at most 253"),
            "{e}"
        );
        let e = error(&format!("{longest}b."));
        assert!(e.contains("254 characters"), "{e}");
        for (to, what) in [
            ("a..b", "empty label"),
            (".nginx", "empty label"),
            ("nginx..", "empty label"),
            ("ngi nx", "a space"),
            ("ngi\tnx", "a control character"),
            ("a\u{1b}[31mb", "a control character"),
            ("a\u{7f}b", "a control character"),
            ("a*b", "not allowed"),
            ("a/b:80", "not allowed"),
            ("<img>", "not allowed"),
            ("bücher.example", "xn--"),
        ] {
            let e = error(to);
            assert!(e.contains(what), "{to:?}: {e}");
            assert!(!e.chars().any(char::is_control), "{to:?}: {e:?}");
        }
        assert!(error("a\u{1b}b").contains("`a\\u{1b}b`"));
        for (to, what) in [
            ("nginx:0", "1-65535"),
            ("nginx:65536", "1-65535"),
            ("nginx:99999999999999999999", "1-65535"),
            ("nginx:-1", "not a port number"),
            ("nginx:8a", "not a port number"),
            ("[fd00::1]:0", "1-65535"),
        ] {
            assert!(error(to).contains(what), "{to:?}: {}", error(to));
        }
        assert_eq!(parse_target("nginx:65535").unwrap().port, Some(65535));
        assert_eq!(parse_target("nginx:1").unwrap().port, Some(1));
    }
}
