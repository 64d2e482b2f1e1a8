//! Inputs: what a user pasted or dropped, how its kind is detected, and one parser per kind.

pub mod corefile;
pub mod iptables;
pub mod iptables_list;
pub mod kubectl;
pub mod pcap;
pub mod resolv_conf;
pub mod tcpdump;

use serde::{Deserialize, Serialize};

use crate::text;

/// One input: a name (file name or paste label) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Shown in diagnostics and evidence.
    pub name: &'a str,
    /// The raw bytes, any encoding.
    pub bytes: &'a [u8],
    /// A kind the user chose; `None` detects it from the content.
    pub kind: Option<Kind>,
}

impl<'a> Source<'a> {
    /// An input whose kind is detected from its content.
    pub fn new(name: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            name,
            bytes,
            kind: None,
        }
    }
}

/// The kinds of input dnatlas reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `iptables-save` output, kube-proxy's restore input, or pasted rules.
    IptablesSave,
    /// An `iptables -L` listing (`-n`, `-v`, any table).
    IptablesList,
    /// `kubectl` output: `get` tables, `describe svc`, or `-o json` / `-o yaml` objects.
    Kubectl,
    /// A resolver configuration (`/etc/resolv.conf` of a pod or node).
    ResolvConf,
    /// tcpdump's text output with DNS packets.
    Tcpdump,
    /// A pcap capture file.
    Pcap,
    /// A pcapng capture file.
    Pcapng,
    /// A CoreDNS Corefile, as written or inside `kubectl describe configmap` output. (A ConfigMap given as
    /// kubectl JSON or YAML is kubectl output: its Corefile is read from there.)
    Corefile,
    /// Nothing dnatlas can read.
    Unknown,
}

impl Kind {
    /// The name used in JSON and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IptablesSave => "iptables-save",
            Kind::IptablesList => "iptables-list",
            Kind::Kubectl => "kubectl",
            Kind::ResolvConf => "resolv-conf",
            Kind::Tcpdump => "tcpdump",
            Kind::Pcap => "pcap",
            Kind::Pcapng => "pcapng",
            Kind::Corefile => "corefile",
            Kind::Unknown => "unknown",
        }
    }
}

/// How many leading lines detection looks at.
const DETECT_LINES: usize = 4000;

/// Detects the kind of an input from its content.
pub fn detect(bytes: &[u8]) -> Kind {
    if pcap::is_pcap(bytes) {
        return Kind::Pcap;
    }
    if pcap::is_pcapng(bytes) {
        return Kind::Pcapng;
    }
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return Kind::Unknown;
    }
    let (mut iptables_lines, mut rule_lines) = (0usize, 0usize);
    for line in text::lines(bytes).take(DETECT_LINES) {
        let line = text::decode(line.bytes).0;
        if iptables::looks_like_line(&line) {
            iptables_lines += 1;
            let t = line.trim_start();
            if t.starts_with("-A ") || t.starts_with('[') {
                rule_lines += 1;
            }
        }
    }
    // A document that holds several kinds (a pasted terminal session) is read as the richest: node rules first,
    // then a capture (whose paste may end with the first lines of a dump), then the rest.
    if rule_lines > 0 {
        Kind::IptablesSave
    } else if tcpdump::looks_like(bytes) {
        Kind::Tcpdump
    } else if iptables_lines > 0 {
        Kind::IptablesSave
    } else if iptables_list::looks_like(bytes) {
        Kind::IptablesList
    } else if resolv_conf::looks_like(bytes) {
        Kind::ResolvConf
    } else if kubectl::detect(bytes).is_some() {
        Kind::Kubectl
    } else if corefile::looks_like(&corefile::view(bytes)) {
        Kind::Corefile
    } else {
        Kind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_dumps_and_fragments() {
        assert_eq!(
            detect(b"*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"),
            Kind::IptablesSave
        );
        assert_eq!(
            detect(b"some text\n-A KUBE-SERVICES -j X\n"),
            Kind::IptablesSave
        );
        assert_eq!(detect(b"nameserver 10.96.0.10\n"), Kind::ResolvConf);
        assert_eq!(
            detect(b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"),
            Kind::ResolvConf
        );
        assert_eq!(
            detect(b"Chain KUBE-SERVICES (2 references)\ntarget     prot opt source               destination\n"),
            Kind::IptablesList
        );
        assert_eq!(
            detect(b"NAME         ENDPOINTS           AGE\nkube-dns     10.244.0.2:53       5d\n"),
            Kind::Kubectl
        );
        assert_eq!(
            detect(br#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}"#),
            Kind::Kubectl
        );
        assert_eq!(detect(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00"), Kind::Pcap);
        assert_eq!(detect(b"\xa1\xb2\x3c\x4d\x00\x02"), Kind::Pcap);
        assert_eq!(detect(b"\x0a\x0d\x0d\x0a\x1c\x00"), Kind::Pcapng);
        assert_eq!(detect(b"\x0a\x0d\x0d\x00\x1c\x00"), Kind::Unknown);
        assert_eq!(
            detect(b"IP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a. (19)\n*nat\nCOMMIT\n"),
            Kind::Tcpdump
        );
        assert_eq!(
            detect(b"IP 10.0.0.1.1000 > 10.0.0.2.53: 1+ A? a. (19)\n*nat\n-A X -j Y\n"),
            Kind::IptablesSave
        );
    }

    #[test]
    fn detects_corefiles_but_not_configmaps_or_other_kinds() {
        assert_eq!(
            detect(b".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n"),
            Kind::Corefile
        );
        // `kubectl describe configmap coredns`: only the Corefile key's lines are read.
        assert_eq!(
            detect(b"Name:         coredns\nNamespace:    kube-system\n\nData\n====\nCorefile:\n----\n.:53 {\n    errors\n}\n\n\nBinaryData\n====\n"),
            Kind::Corefile
        );
        // The ConfigMap as YAML is kubectl output, which reads the Corefile in it.
        assert_eq!(
            detect(b"apiVersion: v1\ndata:\n  Corefile: |\n    .:53 {\n        errors\n    }\nkind: ConfigMap\nmetadata:\n  name: coredns\n"),
            Kind::Kubectl
        );
        assert_eq!(
            detect(b"options ndots:5\nsearch x.svc.cluster.local\n"),
            Kind::ResolvConf
        );
        assert_ne!(detect(b"{\n}\n"), Kind::Corefile);
        assert_ne!(detect(b"hello {\n  world\n}\n"), Kind::Corefile);
    }
}
