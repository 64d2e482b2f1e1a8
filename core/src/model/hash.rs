//! kube-proxy's chain-name hashes (iptables mode): `base32(sha256(text))[..16]`.
//!
//! `KUBE-SVC/SVL/EXT/FW/XLB-<h>` hash the service port name and protocol; `KUBE-SEP-<h>` also hashes the endpoint
//! (`ip:port`, or `[v6]:port`). The parts are concatenated with no separator. The protocol is lower case.

use data_encoding::BASE32;
use sha2::{Digest, Sha256};

/// The 16-character hash of `parts` concatenated, as kube-proxy writes it in chain names.
pub fn hash16(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut encoded = BASE32.encode(&digest);
    encoded.truncate(16);
    encoded
}

/// The 16-character hash of `parts` concatenated, written into `out` without allocating.
fn hash16_into(parts: &[&[u8]], out: &mut [u8; 16]) {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    // Ten bytes are exactly sixteen base32 characters, the ones a chain name keeps.
    if let Some(head) = digest.get(..10) {
        BASE32.encode_mut(head, out);
    }
}

/// Whether `suffix` is kube-proxy's hash of `spn`, `protocol` and the endpoint `ip`:`port` (`[ip]:port` for IPv6):
/// [`endpoint_hash`] without building the strings, for checking every endpoint chain of a large dump.
pub fn endpoint_hash_is(suffix: &str, spn: &str, protocol: &str, ip: &str, port: u16) -> bool {
    let mut lower = [0u8; 8];
    let protocol = match lower.get_mut(..protocol.len()) {
        Some(buf) => {
            buf.copy_from_slice(protocol.as_bytes());
            buf.make_ascii_lowercase();
            &buf[..]
        }
        None => return suffix == endpoint_hash(spn, protocol, &endpoint_string(ip, port)),
    };
    let mut digits = itoa::Buffer::new();
    let port = digits.format(port).as_bytes();
    let v6 = ip.contains(':');
    let (open, close): (&[u8], &[u8]) = if v6 { (b"[", b"]:") } else { (b"", b":") };
    let mut out = [0u8; 16];
    hash16_into(
        &[spn.as_bytes(), protocol, open, ip.as_bytes(), close, port],
        &mut out,
    );
    suffix.as_bytes() == out
}

/// Whether `suffix` is [`service_hash`] of `spn` and `protocol`, computed without allocating.
pub fn service_hash_is(suffix: &str, spn: &str, protocol: &str) -> bool {
    let mut lower = [0u8; 8];
    let Some(buf) = lower.get_mut(..protocol.len()) else {
        return suffix == service_hash(spn, protocol);
    };
    buf.copy_from_slice(protocol.as_bytes());
    buf.make_ascii_lowercase();
    let mut out = [0u8; 16];
    hash16_into(&[spn.as_bytes(), buf], &mut out);
    suffix.as_bytes() == out
}

/// An endpoint as kube-proxy writes it into the hash: `ip:port`, or `[ip]:port` for IPv6.
pub fn endpoint_string(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// The suffix of a service port's chains: `portProtoHash(spn, protocol)`.
pub fn service_hash(spn: &str, protocol: &str) -> String {
    hash16(&[spn, &protocol.to_ascii_lowercase()])
}

/// The suffix of an endpoint's `KUBE-SEP-` chain.
pub fn endpoint_hash(spn: &str, protocol: &str, endpoint: &str) -> String {
    hash16(&[spn, &protocol.to_ascii_lowercase(), endpoint])
}

/// The prefixes of kube-proxy's per-service and per-endpoint chains, whose names end in a hash.
pub const HASHED_CHAIN_PREFIXES: [&str; 6] = [
    "KUBE-SVC-",
    "KUBE-SVL-",
    "KUBE-EXT-",
    "KUBE-FW-",
    "KUBE-XLB-",
    "KUBE-SEP-",
];

/// The 16-character hash part of a kube-proxy chain name (`KUBE-SVC-…` and its kin), if it has one.
pub fn chain_suffix(chain: &str) -> Option<&str> {
    HASHED_CHAIN_PREFIXES
        .iter()
        .find_map(|prefix| chain.strip_prefix(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_hash_is_agrees_with_endpoint_hash() {
        for (spn, protocol, ip, port) in [
            ("kube-system/kube-dns:dns", "udp", "10.244.0.2", 53),
            ("kube-system/kube-dns:dns", "UDP", "10.244.0.2", 53),
            ("default/nginx:", "tcp", "10.244.1.3", 80),
            ("ns/svc:p", "tcp", "fd00::2", 65535),
            ("ns/svc:p", "sctp", "10.0.0.1", 0),
            ("ns/svc:p", "averylongprotocolname", "10.0.0.1", 9),
        ] {
            let full = endpoint_hash(spn, protocol, &endpoint_string(ip, port));
            assert!(
                endpoint_hash_is(&full, spn, protocol, ip, port),
                "{spn} {ip}"
            );
            assert!(!endpoint_hash_is(
                &full,
                spn,
                protocol,
                ip,
                port.wrapping_add(1)
            ));
        }
        assert!(service_hash_is(
            "TCOU7JCQXEZGVUNU",
            "kube-system/kube-dns:dns",
            "UDP"
        ));
        assert!(!service_hash_is(
            "TCOU7JCQXEZGVUNU",
            "kube-system/kube-dns:dns",
            "tcp"
        ));
        assert!(!service_hash_is(
            "TCOU7JCQXEZGVUNU",
            "kube-system/kube-dns:dns",
            "averylongprotocol"
        ));
        // docs/domain/kube-proxy-iptables.md §9: kube-dns's endpoint chain.
        assert!(endpoint_hash_is(
            "YIL6JZP7A3QYXJU2",
            "kube-system/kube-dns:dns",
            "udp",
            "10.244.0.2",
            53
        ));
    }

    // Vectors from docs/domain/kube-proxy-iptables.md §9, checked against real dumps and kube-proxy's tests.
    #[test]
    fn service_chain_names() {
        assert_eq!(
            service_hash("kube-system/kube-dns:dns", "udp"),
            "TCOU7JCQXEZGVUNU"
        );
        assert_eq!(
            service_hash("kube-system/kube-dns:dns-tcp", "tcp"),
            "ERIFXISQEP7F7OF4"
        );
        assert_eq!(
            service_hash("default/kubernetes:https", "TCP"),
            "NPX46M4PTMTKRN6Y"
        );
        assert_eq!(
            service_hash("default/nginx-service:", "tcp"),
            "GKN7Y2BSGW4NJTYL"
        );
        assert_eq!(service_hash("default/nginx", "tcp"), "2CMXP7HKUVJN7L6M");
    }

    #[test]
    fn endpoint_chain_names() {
        assert_eq!(
            endpoint_hash("kube-system/kube-dns:dns", "udp", "10.244.0.2:53"),
            "YIL6JZP7A3QYXJU2"
        );
        assert_eq!(
            endpoint_hash("ns1/svc1:p80", "tcp", "10.180.0.1:80"),
            "SXIVWICOYRO3J4NJ"
        );
        assert_eq!(
            endpoint_hash("default/shadowsocks:", "tcp", "10.244.0.22:9973"),
            "475UWWX75GSTOWFE"
        );
    }
}
