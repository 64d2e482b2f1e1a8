//! What the readers of one input kind give the layers above, named by the input they came from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

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
    pub objects: crate::source::kubectl::model::Objects,
}
