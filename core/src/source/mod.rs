//! Inputs: what a user pasted or dropped, how its kind is detected, and one parser per kind.

pub mod iptables;

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
    /// Nothing dnatlas can read.
    Unknown,
}

impl Kind {
    /// The name used in JSON and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IptablesSave => "iptables-save",
            Kind::Unknown => "unknown",
        }
    }
}

/// How many leading lines detection looks at.
const DETECT_LINES: usize = 4000;

/// Detects the kind of an input from its content.
pub fn detect(bytes: &[u8]) -> Kind {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return Kind::Unknown;
    }
    let iptables_lines = text::lines(bytes)
        .take(DETECT_LINES)
        .filter(|l| iptables::looks_like_line(&text::decode(l.bytes).0))
        .count();
    if iptables_lines > 0 {
        Kind::IptablesSave
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
        assert_eq!(detect(b"nameserver 10.96.0.10\n"), Kind::Unknown);
        assert_eq!(
            detect(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00"),
            Kind::Unknown
        );
    }
}
