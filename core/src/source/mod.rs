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

    /// Whether an input of this kind is one node's Service rules (a dump or a listing), which the map draws as
    /// that node's Services.
    pub fn is_node_rules(self) -> bool {
        matches!(self, Kind::IptablesSave | Kind::IptablesList)
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
    use crate::pipeline::registry::detect;

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
}
