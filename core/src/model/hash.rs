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

    // Vectors from SPEC §2.3, verified there against real dumps and kube-proxy's tests.
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
