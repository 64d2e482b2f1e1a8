//! The labels the plugin names endpoints and pods by (hostnames, pod names, dashed addresses) and reverse names
//! read back into addresses.

use std::net::IpAddr;

use super::index::Ep;
use super::{Config, Server};

/// `matchPortAndProtocol` for one side: an empty pattern is a wildcard, otherwise a case-insensitive match.
/// `None` when the input does not show the value.
pub(super) fn label_matches(pattern: &str, value: Option<&str>) -> Option<bool> {
    if pattern.is_empty() {
        return Some(true);
    }
    value.map(|v| v.eq_ignore_ascii_case(pattern))
}

/// The plugin's `endpointHostname`: the hostname, else the pod name (with `endpoint_pod_names`), else the dashed IP.
/// `None` for kube-dns's hash label of an endpoint without a hostname.
pub(super) fn endpoint_label(ep: &Ep, config: &Config) -> Option<String> {
    if let Some(h) = ep.hostname.as_deref().filter(|h| !h.is_empty()) {
        return Some(h.to_ascii_lowercase());
    }
    if config.server == Server::KubeDns {
        return None;
    }
    Some(dashed_label(ep, config.endpoint_pod_names))
}

/// The note for an endpoint that kube-dns names by a hash label.
pub(super) fn hash_label_note(ep: &Ep) -> String {
    format!(
        "kube-dns names endpoint {} (no hostname) by a hash label that dnatlas does not compute",
        ep.text
    )
}

/// The endpoint's label from its pod name (with `endpoint_pod_names`) or its address with dashes.
fn dashed_label(ep: &Ep, pod_names: bool) -> String {
    if pod_names {
        if let Some(p) = ep.pod.as_deref().filter(|p| !p.is_empty()) {
            return p.to_ascii_lowercase();
        }
    }
    if ep.text.contains('.') {
        return ep.text.replace('.', "-");
    }
    let dashed = ep.text.to_ascii_lowercase().replace(':', "-");
    if dashed.ends_with('-') {
        format!("{dashed}0")
    } else {
        dashed
    }
}

/// A pod label read back into an IP (`findPods`): exactly three dashes and no `--` is IPv4, else IPv6.
pub(super) fn pod_label_ip(label: &str) -> Option<IpAddr> {
    let text = if label.matches('-').count() == 3 && !label.contains("--") {
        label.replace('-', ".")
    } else {
        label.replace('-', ":")
    };
    text.parse().ok()
}

/// The IP a reverse name stands for, if it is a complete `in-addr.arpa` or `ip6.arpa` name.
pub(super) fn reverse_ip(labels: &[&str]) -> Option<IpAddr> {
    match labels {
        [rest @ .., "in-addr", "arpa"] if rest.len() == 4 => {
            let mut octets = rest.iter().rev().map(|l| l.parse::<u8>().ok());
            let text = format!(
                "{}.{}.{}.{}",
                octets.next()??,
                octets.next()??,
                octets.next()??,
                octets.next()??
            );
            text.parse().ok()
        }
        [rest @ .., "ip6", "arpa"] if rest.len() == 32 => {
            let mut value: u128 = 0;
            for nibble in rest.iter().rev() {
                let mut chars = nibble.chars();
                let digit = chars.next()?.to_digit(16)?;
                if chars.next().is_some() {
                    return None;
                }
                value = (value << 4) | u128::from(digit);
            }
            Some(IpAddr::V6(std::net::Ipv6Addr::from(value)))
        }
        _ => None,
    }
}

/// Whether the query name is under one of the reverse zones.
pub(super) fn is_reverse(labels: &[&str]) -> bool {
    matches!(labels, [.., "in-addr", "arpa"] | [.., "ip6", "arpa"])
}
