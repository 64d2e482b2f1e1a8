//! The result of an analysis: plain data that the app draws and the CLI prints (`dnatlas.analysis/1`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::services::Service;
use crate::source::Kind;

/// The JSON schema name of [`Analysis`].
pub const SCHEMA: &str = "dnatlas.analysis/1";

/// Everything dnatlas learned from a set of inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// One report per input, in input order.
    pub sources: Vec<SourceReport>,
    /// One entry per Service port (per input that routes it), sorted by namespace, name, port name, protocol.
    pub services: Vec<Service>,
    /// What `kubectl` output said, per input, with the line of every object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubernetes: Vec<KubeSource>,
    /// Every resolver configuration read, per input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolv_confs: Vec<ResolvSource>,
    /// Every CoreDNS Corefile read: given as a file, or in a ConfigMap of kubectl output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corefiles: Vec<CorefileSource>,
    /// Misconfigurations and failure signatures, worst first.
    pub findings: Vec<Finding>,
    /// Every input merged per service port, each fact with the lines that say it; names of comment-less chains
    /// learned through kube-proxy's hash.
    #[serde(
        default,
        skip_serializing_if = "crate::model::cluster::Cluster::is_empty"
    )]
    pub cluster: crate::model::cluster::Cluster,
    /// The DNS transactions of every capture input (tcpdump text, pcap, pcapng), their stray replies and a summary;
    /// absent when there is no capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captures: Option<crate::capture::Captures>,
}

/// The resolver configuration read from one input (`/etc/resolv.conf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvSource {
    /// The input's name.
    pub source: Arc<str>,
    /// Nameservers, search list and options, each with its line.
    #[serde(flatten)]
    pub conf: crate::source::resolv_conf::ResolvConf,
}

/// A CoreDNS Corefile read from one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorefileSource {
    /// The input's name.
    pub source: Arc<str>,
    /// For a Corefile read from a ConfigMap in kubectl output: `namespace/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<String>,
    /// For a Corefile that is one quoted string in its input (a ConfigMap as JSON): the input line of that string.
    /// The lines of `blocks` are then the Corefile's own (1 is its first line), and evidence points at this line.
    /// Otherwise (a Corefile file, `describe configmap`, a YAML block) every line is the input's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_line: Option<u32>,
    /// Server blocks and directives, each with its line.
    #[serde(flatten)]
    pub corefile: crate::source::corefile::Corefile,
}

impl CorefileSource {
    /// The input line that shows line `line` of the Corefile.
    pub fn input_line(&self, line: u32) -> u32 {
        self.string_line.unwrap_or(line)
    }
}

/// The Kubernetes objects read from one `kubectl` input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeSource {
    /// The input's name.
    pub source: Arc<str>,
    /// The first format recognised in it (`get-endpoints`, `json`, …).
    pub format: Option<String>,
    /// Services, Endpoints, EndpointSlices and Pods, each with its line.
    #[serde(flatten)]
    pub objects: crate::model::kube::Objects,
}

impl Analysis {
    /// Whether any finding has severity `error`.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Every input nothing could be used of, in input order, with why (see [`SourceReport::unusable`]). A kubectl
    /// input whose syntax error left no Service or endpoint still counts as read when it gave other objects (pods,
    /// a CoreDNS ConfigMap).
    pub fn unusable(&self) -> Vec<(&str, String)> {
        self.sources
            .iter()
            .filter_map(|s| {
                let objects_read = s.kind == Kind::Kubectl
                    && self
                        .kubernetes
                        .iter()
                        .any(|k| *k.source == *s.name && !k.objects.is_empty());
                s.unusable_when(objects_read)
                    .map(|why| (s.name.as_str(), why))
            })
            .collect()
    }
}

/// Error codes that stop the reading of an input: when nothing was read, the first of these says why (a capture
/// whose header or first block is broken, kubectl JSON or YAML whose syntax error left no object, text that is not
/// kubectl output).
const FATAL_WHEN_NOTHING_READ: [&str; 6] = [
    "truncated-capture",
    "corrupt-block",
    "not-a-capture",
    "json-syntax",
    "yaml-syntax",
    "not-kubectl",
];

/// What was read from one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceReport {
    /// The input's name.
    pub name: String,
    /// Its detected (or chosen) kind.
    pub kind: Kind,
    /// Its size.
    pub bytes: usize,
    /// What was counted in it.
    pub counts: Counts,
    /// The tool that wrote it, from a `# Generated by` line.
    pub generated_by: Option<String>,
    /// For a capture: its own counts and latency (`captures.summary` is over every capture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<crate::capture::Summary>,
    /// What could not be read, with line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl SourceReport {
    /// Why nothing of this input could be used, or `None` when something was read: an input of no kind dnatlas
    /// reads (or empty), one larger than the bytes read (its answer would be incomplete), or one of which nothing
    /// was read with an error diagnostic saying why (a broken pcap or pcapng header, kubectl JSON with a syntax
    /// error before its first object). Decided from the kind, the counts and the error diagnostics; a kubectl
    /// input's pods are not counted, so [`Analysis::unusable`] is the more exact answer for one.
    pub fn unusable(&self) -> Option<String> {
        self.unusable_when(false)
    }

    fn unusable_when(&self, objects_read: bool) -> Option<String> {
        let error = |code: &str| {
            self.diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error && d.code == code)
        };
        if let Some(d) = error("input-too-large") {
            return Some(d.message.clone());
        }
        if self.kind == Kind::Unknown {
            return Some(error("unknown-kind").map_or_else(
                || "not a kind of input dnatlas reads".to_string(),
                |d| d.message.clone(),
            ));
        }
        if self.bytes == 0 {
            return Some("the input is empty".to_string());
        }
        let c = &self.counts;
        let nothing_read = match self.kind {
            Kind::Pcap | Kind::Pcapng | Kind::Tcpdump => c.packets == 0,
            Kind::IptablesSave | Kind::IptablesList => {
                c.tables == 0 && c.chains == 0 && c.rules == 0
            }
            Kind::Kubectl => c.services == 0 && c.endpoints == 0 && !objects_read,
            Kind::Corefile => c.server_blocks == 0,
            Kind::ResolvConf | Kind::Unknown => false,
        };
        if !nothing_read {
            return None;
        }
        // The error that stopped the reading, else the first error: something said why nothing was read.
        let errors = || {
            self.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
        };
        errors()
            .find(|d| FATAL_WHEN_NOTHING_READ.contains(&d.code.as_str()))
            .or_else(|| errors().next())
            .map(|d| d.message.clone())
    }
}

/// Counts shown next to an input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Lines.
    pub lines: usize,
    /// Tables.
    pub tables: usize,
    /// Chains.
    pub chains: usize,
    /// Rules.
    pub rules: usize,
    /// Service ports found.
    pub services: usize,
    /// Endpoints found.
    pub endpoints: usize,
    /// Packets read from a capture (frames of a pcap/pcapng file, DNS packets of tcpdump text).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub packets: u64,
    /// DNS messages read from a capture.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dns_messages: u64,
    /// DNS transactions in a capture.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub transactions: u64,
    /// Corefile server blocks (snippets not counted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub server_blocks: usize,
    /// Distinct zones the Corefile's server blocks serve.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub zones: usize,
    /// Plugin lines of the Corefile's server blocks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub plugins: usize,
}

impl Counts {
    /// Adds the server blocks, zones and plugin lines of `corefile`.
    pub fn add_corefile(&mut self, corefile: &crate::source::corefile::Corefile) {
        let blocks = corefile.blocks.iter().filter(|b| b.snippet.is_none());
        let mut zones: Vec<String> = Vec::new();
        for block in blocks.clone() {
            self.server_blocks += 1;
            self.plugins += block.directives.len();
            for key in &block.keys {
                let zone = key.zone.trim_end_matches('.').to_ascii_lowercase();
                if !zones.contains(&zone) {
                    zones.push(zone);
                }
            }
        }
        self.zones += zones.len();
    }
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

/// A place in an input that proves a finding: a line, or a frame of a binary capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The input's name, shared by every fact from that input.
    pub source: Arc<str>,
    /// 1-based line; 0 for a frame of a binary capture, which JSON leaves out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub line: u32,
    /// The frame of a binary capture (1-based, as tshark counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u32>,
}

/// A misconfiguration or failure signature, with the input lines that prove it.
impl Evidence {
    /// Where it points, as people write it: `source:line`, `source frame N`, or the source alone.
    pub fn place(&self) -> String {
        match (self.line, self.frame) {
            (line, _) if line > 0 => format!("{}:{line}", self.source),
            (_, Some(frame)) => format!("{} frame {frame}", self.source),
            _ => self.source.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case code.
    pub code: String,
    /// How bad it is.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// What is wrong, naming the objects.
    pub message: String,
    /// Where it shows.
    pub evidence: Vec<Evidence>,
}

#[cfg(test)]
mod tests {
    use crate::source::{Kind, Source};
    use crate::{analyze, Options};

    fn unusable(name: &str, bytes: &[u8], kind: Option<Kind>, options: &Options) -> Option<String> {
        let sources = [Source { name, bytes, kind }];
        let analysis = analyze(&sources, options);
        let found = analysis.unusable();
        assert_eq!(
            found.first().map(|(_, why)| why.clone()),
            analysis.sources[0].unusable(),
            "the report alone agrees here"
        );
        found.first().map(|(n, why)| {
            assert_eq!(*n, name);
            why.clone()
        })
    }

    #[test]
    fn inputs_nothing_was_read_of_are_unusable() {
        let o = Options::default();
        let why = |bytes: &[u8], kind| unusable("x", bytes, kind, &o).unwrap_or_default();
        assert_eq!(why(b"", None), "the input is empty");
        assert_eq!(why(b"", Some(Kind::ResolvConf)), "the input is empty");
        assert!(why(b"hello world\n", None).contains("not an iptables-save dump"));
        // A pcap header cut after 6 bytes, a pcapng section header block cut after 11: no frame read.
        assert!(why(b"\xd4\xc3\xb2\xa1\x02\x00", None).contains("24-byte file header"));
        assert!(why(b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b", None).contains("ends inside"));
        // kubectl JSON whose syntax error comes before any object.
        assert!(why(br#"{"kind": "Service", "metadata": {"name": "#, None).contains("JSON"));
    }

    #[test]
    fn an_input_over_the_cap_is_unusable_and_the_cap_is_stated() {
        let options = Options {
            max_source_bytes: 16,
            ..Options::default()
        };
        let dump = b"*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n";
        let why = unusable("big.txt", dump, None, &options).unwrap();
        assert!(why.contains("more than 16 bytes"), "{why}");
    }

    #[test]
    fn inputs_something_was_read_of_are_usable() {
        let o = Options::default();
        assert_eq!(
            unusable("a", b"*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n", None, &o),
            None
        );
        assert_eq!(unusable("a", b"nameserver 10.96.0.10\n", None, &o), None);
        // A pcap header with no frame is a valid, empty capture.
        let mut pcap = Vec::new();
        for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 101] {
            pcap.extend(v.to_le_bytes());
        }
        assert_eq!(unusable("a", &pcap, None, &o), None);
        // A cut List keeps its complete items: a pod was read, though no Service or endpoint.
        let list = "{\"kind\": \"List\", \"items\": [\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"d\"}, \"status\": {\"podIP\": \"10.0.0.1\"}},\n{\"kind\": \"Pod\", \"metadata\": {\"na";
        let sources = [Source::new("pods.json", list.as_bytes())];
        let analysis = analyze(&sources, &o);
        assert_eq!(analysis.sources[0].kind, Kind::Kubectl);
        assert!(analysis.unusable().is_empty(), "{:?}", analysis.sources[0]);
    }
}
