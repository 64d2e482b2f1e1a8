//! How a value reads for people, one way everywhere: `host:port`, shares as percentages, latencies, counts.
//!
//! The CLI, the Markdown report, the page and the core's own messages write these values through here, so the
//! same value reads the same in each. Where outputs already differ (a latency with one or two decimals, a share
//! with or without its small-value form), each form is a named variant here and its users are listed on it; the
//! outputs are kept as they are.

use std::borrow::Cow;
use std::fmt;

/// An address as a host: an IPv6 address (anything with a `:`) in brackets, as in a URL, so that a port can
/// follow it: `10.96.0.10`, `[fd00::a]`.
pub fn host(ip: &str) -> Cow<'_, str> {
    if ip.contains(':') {
        Cow::Owned(format!("[{ip}]"))
    } else {
        Cow::Borrowed(ip)
    }
}

/// `host:port`, with an IPv6 host in brackets: `10.96.0.10:53`, `[fd00::a]:53`. Written without allocating
/// (`write!(out, "{}", HostPort(ip, port))`); [`host_port`] is its `String`.
#[derive(Debug, Clone, Copy)]
pub struct HostPort<'a>(pub &'a str, pub u16);

impl fmt::Display for HostPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let HostPort(ip, port) = *self;
        if ip.contains(':') {
            write!(f, "[{ip}]:{port}")
        } else {
            write!(f, "{ip}:{port}")
        }
    }
}

/// `host:port` as a `String`; see [`HostPort`].
pub fn host_port(ip: &str, port: u16) -> String {
    HostPort(ip, port).to_string()
}

/// An address with its port when it has one: [`host_port`], or [`host`] alone.
pub fn address(ip: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => host_port(ip, port),
        None => host(ip).into_owned(),
    }
}

/// A Service port as people name it: `namespace/name:port-name`, `namespace/name` for an unnamed port, and
/// `(no comment)` when kube-proxy's rules gave neither namespace nor name.
pub fn service_port(namespace: &str, name: &str, port_name: &str) -> String {
    match (
        namespace.is_empty() && name.is_empty(),
        port_name.is_empty(),
    ) {
        (true, _) => "(no comment)".to_string(),
        (false, true) => format!("{namespace}/{name}"),
        (false, false) => format!("{namespace}/{name}:{port_name}"),
    }
}

/// A share of new connections (0–1) as a percentage for people: `33.3%`; a small share is not `0.0%` (1 of 10,000
/// endpoints is `0.010%`, below a thousandth of a percent `<0.001%`), and a share that is not a number (never
/// produced) prints `?`, never `NaN%`. The CLI's tables and walks and the page's map write shares this way.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if !p.is_finite() {
        return "?".to_string();
    }
    if p > 0.0 && p < 0.05 {
        return if p < 0.001 {
            "<0.001%".to_string()
        } else {
            format!("{p:.3}%")
        };
    }
    format!("{p:.1}%")
}

/// A share (0–1) as a percentage with one decimal and nothing else: `33.3%`, and `0.0%` for a small share. The
/// trace's hop labels and some findings' messages write shares this way ([`percent`] is the form for people).
pub fn percent_one_decimal(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A latency in microseconds: `870 µs` below 1 ms, milliseconds with one decimal below 1 s (`4.2 ms`), then
/// seconds with two (`5.00 s`). The CLI's capture summary writes latencies this way.
pub fn latency(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.2} s", us as f64 / 1e6)
    }
}

/// A latency in microseconds, finer: `870 µs`, `4.20 ms`, `5.001 s`. The page's captures view writes latencies and
/// its time axis this way.
pub fn latency_fine(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

/// A wait in microseconds as the capture findings' messages write it: milliseconds with one decimal below one
/// second (`0.9 ms`, never µs), then seconds with one (`5.0 s`).
pub fn duration(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.1} s", us as f64 / 1e6)
    } else {
        format!("{:.1} ms", us as f64 / 1e3)
    }
}

/// `n` with a comma between each group of three digits (`12,345`), as counts are written in messages.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host("10.96.0.10"), "10.96.0.10");
        assert_eq!(host("fd00::a"), "[fd00::a]");
        assert_eq!(host_port("10.96.0.10", 53), "10.96.0.10:53");
        assert_eq!(host_port("fd00::a", 53), "[fd00::a]:53");
        assert_eq!(address("fd00::a", None), "[fd00::a]");
        assert_eq!(address("?", Some(80)), "?:80");
        assert_eq!(format!("{}", HostPort("::1", 0)), "[::1]:0");
    }

    #[test]
    fn service_ports() {
        assert_eq!(
            service_port("kube-system", "kube-dns", "dns"),
            "kube-system/kube-dns:dns"
        );
        assert_eq!(service_port("default", "web", ""), "default/web");
        assert_eq!(service_port("", "", "p"), "(no comment)");
        assert_eq!(service_port("", "x", ""), "/x");
    }

    #[test]
    fn shares() {
        assert_eq!(percent(1.0 / 3.0), "33.3%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.0001), "0.010%");
        assert_eq!(percent(0.000_000_1), "<0.001%");
        assert_eq!(percent(f64::NAN), "?");
        assert_eq!(percent_one_decimal(1.0 / 3.0), "33.3%");
        assert_eq!(percent_one_decimal(0.0001), "0.0%");
    }

    #[test]
    fn latencies() {
        assert_eq!(latency(870), "870 µs");
        assert_eq!(latency(4_200), "4.2 ms");
        assert_eq!(latency(5_000_000), "5.00 s");
        assert_eq!(latency_fine(110), "110 µs");
        assert_eq!(latency_fine(4_200), "4.20 ms");
        assert_eq!(latency_fine(5_001_000), "5.001 s");
        assert_eq!(duration(870), "0.9 ms");
        assert_eq!(duration(5_000_000), "5.0 s");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
