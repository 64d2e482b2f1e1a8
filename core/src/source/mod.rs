//! Inputs: what a user pasted or dropped, how its kind is detected, and one parser per kind.

pub mod corefile;
pub mod inputs;
pub mod iptables;
pub mod iptables_list;
pub mod kubectl;
pub mod packet;
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

/// What a binary input that no reader takes looks like, from its first bytes: a compressed file or an archive
/// (with the command that opens it), a capture format dnatlas does not read, a document, an image, an executable,
/// a database, or nothing but NUL bytes. `None` when it looks like none of these.
pub fn describe_binary(bytes: &[u8]) -> Option<String> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let compressed = |what: &str, tool: &str| {
        format!("{what}-compressed file: decompress it ({tool}) and add what it holds")
    };
    let archive = |what: &str, tool: &str| {
        format!("a {what} archive: unpack it ({tool}) and add the files it holds")
    };
    let not_text = |what: &str| format!("{what}, not text or a capture dnatlas reads");
    Some(if starts(&[0x1f, 0x8b]) {
        compressed("a gzip", "gunzip")
    } else if starts(b"BZh") && bytes.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        compressed("a bzip2", "bunzip2")
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        compressed("an xz", "unxz")
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        compressed("a zstd", "unzstd")
    } else if starts(&[0x5d, 0, 0]) {
        compressed("an lzma", "unlzma")
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        archive("zip", "unzip")
    } else if bytes.get(257..262) == Some(b"ustar") {
        archive("tar", "tar -xf")
    } else if starts(&[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c]) {
        archive("7z", "7z x")
    } else if starts(b"Rar!\x1a\x07") {
        archive("RAR", "unrar x")
    } else if starts(&[0xa1, 0xb2, 0xcd, 0x34]) || starts(&[0x34, 0xcd, 0xb2, 0xa1]) {
        "a pcap file with the modified-pcap magic (Alexey Kuznetzov's patched libpcap), which dnatlas does not \
         read: convert it to standard pcap (`editcap -F pcap in.pcap out.pcap`) and add the result"
            .to_string()
    } else if starts(&[0x0a, 0x0d, 0x0d]) || starts(&[0x0a, 0x0d, 0x0a, 0x0a]) {
        "a pcapng file whose section header is damaged (its first bytes are not 0A 0D 0D 0A): it cannot be read; \
         was it copied as text (line ends converted)?"
            .to_string()
    } else if starts(&[0xd4, 0xc3, 0xb2]) || starts(&[0xa1, 0xb2, 0xc3]) {
        "a pcap file whose magic number is damaged: it cannot be read; was it copied as text?"
            .to_string()
    } else if starts(b"\x7fELF") {
        not_text("an executable (ELF)")
    } else if starts(b"MZ") && bytes.get(..4096).unwrap_or(bytes).contains(&0) {
        not_text("a Windows executable")
    } else if starts(&[0xcf, 0xfa, 0xed, 0xfe]) || starts(&[0xfe, 0xed, 0xfa, 0xcf]) {
        not_text("a macOS executable (Mach-O)")
    } else if starts(b"%PDF-") {
        "a PDF document: copy its text into a file, or add the files it was made from".to_string()
    } else if starts(&[0x89, b'P', b'N', b'G']) {
        "a PNG image: dnatlas reads the text itself, not a screenshot of it".to_string()
    } else if starts(&[0xff, 0xd8, 0xff]) {
        "a JPEG image: dnatlas reads the text itself, not a photo of it".to_string()
    } else if starts(b"GIF8") {
        "a GIF image: dnatlas reads the text itself, not a picture of it".to_string()
    } else if starts(b"SQLite format 3\0") {
        not_text("an SQLite database")
    } else if !bytes.is_empty() && bytes.iter().all(|&b| b == 0) {
        format!(
            "nothing but NUL bytes ({} of them): a file that was never written, or a copy that failed",
            crate::diagnostic::thousands(bytes.len() as u64)
        )
    } else if bytes.get(..4096).unwrap_or(bytes).contains(&0) {
        let first: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02X}")).collect();
        format!(
            "binary input of a kind dnatlas does not read (it begins {})",
            first.join(" ")
        )
    } else {
        return None;
    })
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

    /// Prompt lines as terminals print them above a command's output.
    const PROMPTS: [&str; 4] = [
        "$ kubectl exec -n default web-0 -- cat /etc/resolv.conf\n",
        "root@node-1:~# iptables-save\n",
        "[root@host ~]# cat /etc/resolv.conf\n",
        "PS C:\\Users\\me> kubectl get svc -A\n",
    ];

    #[test]
    fn noise_around_a_kind_does_not_hide_it() {
        let resolv = "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let dump = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n";
        let table = "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)         AGE\nkube-dns     ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP   5d\n";
        let corefile = ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n}\n";
        let tcpdump = "12:00:00.000001 IP 10.244.0.20.35926 > 10.96.0.10.53: 44017+ A? web.default.svc.cluster.local. (47)\n";
        let cases = [
            (resolv, Kind::ResolvConf),
            (dump, Kind::IptablesSave),
            (table, Kind::Kubectl),
            (corefile, Kind::Corefile),
            (tcpdump, Kind::Tcpdump),
        ];
        for (text, kind) in cases {
            assert_eq!(detect(text.as_bytes()), kind, "{text}");
            for prompt in PROMPTS {
                let noisy = format!("{prompt}{text}");
                assert_eq!(detect(noisy.as_bytes()), kind, "{noisy}");
                // And a prompt after the output, as a copied terminal ends.
                let noisy = format!(
                    "{prompt}{text}{}",
                    prompt.trim_end_matches(|c| c != '#' && c != '$' && c != '>')
                );
                assert_eq!(detect(noisy.as_bytes()), kind, "{noisy}");
            }
            // A Latin-1 byte in a comment line.
            let mut latin1 = b"# r\xe9solveur du n\xa6ud\n".to_vec();
            latin1.extend(text.as_bytes());
            assert_eq!(detect(&latin1), kind, "{text}");
        }
        // A typo among valid resolv.conf lines.
        assert_eq!(
            detect(b"search default.svc.cluster.local\nnameservr 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5\n"),
            Kind::ResolvConf
        );
        // But text that is mostly something else is not read as a resolv.conf for one keyword in it.
        assert_eq!(
            detect(b"hello there\nsome notes\nsearch the logs\nmore notes\nand more\n"),
            Kind::Unknown
        );
    }

    #[test]
    fn binary_inputs_say_what_they_look_like() {
        let mut tar = vec![0u8; 512];
        tar[..8].copy_from_slice(b"file.txt");
        tar[257..262].copy_from_slice(b"ustar");
        let cases: [(&[u8], &str); 14] = [
            (
                b"\x1f\x8b\x08\x00rest",
                "a gzip-compressed file: decompress it (gunzip)",
            ),
            (b"BZh91AY&SY", "a bzip2-compressed file"),
            (b"\xfd7zXZ\x00\x00", "an xz-compressed file"),
            (b"\x28\xb5\x2f\xfd\x00", "a zstd-compressed file"),
            (b"PK\x03\x04\x14\x00", "a zip archive: unpack it (unzip)"),
            (&tar, "a tar archive: unpack it (tar -xf)"),
            (b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7z archive"),
            (b"\xa1\xb2\xcd\x34\x00\x02\x00\x04", "modified-pcap magic"),
            (b"\x34\xcd\xb2\xa1\x02\x00\x04\x00", "modified-pcap magic"),
            (
                b"\x0a\x0d\x0d\x00\x1c\x00",
                "a pcapng file whose section header is damaged",
            ),
            (b"\x7fELF\x02\x01\x01\x00", "an executable (ELF)"),
            (b"%PDF-1.7\n%\xe2\xe3\n\x00", "a PDF document"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
            (b"SQLite format 3\x00\x10\x00", "an SQLite database"),
        ];
        for (bytes, start) in cases {
            assert_eq!(detect(bytes), Kind::Unknown, "{start}");
            let what = describe_binary(bytes).unwrap();
            assert!(what.contains(start), "{what}");
        }
        assert_eq!(
            describe_binary(&[0; 4096]).unwrap(),
            "nothing but NUL bytes (4,096 of them): a file that was never written, or a copy that failed"
        );
        assert_eq!(
            describe_binary(b"\x01\x02\x00\x03").unwrap(),
            "binary input of a kind dnatlas does not read (it begins 01 02 00 03)"
        );
        assert_eq!(describe_binary(b"just some text\n"), None);
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
