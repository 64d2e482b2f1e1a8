//! What the readers of one input kind give the layers above, named by the input they came from: one generic
//! [`Named`] wrapper, and the three things read that way (a resolv.conf, a Corefile, kubectl's objects).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::source::corefile::Corefile;
use crate::source::kubectl::model::Objects;
use crate::source::resolv_conf::ResolvConf;

/// What was read from one input, with the input's name. In JSON the name is `source`, beside the value's own
/// fields. It dereferences to the value, so `named.field` reads the value's field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named<T> {
    /// The input's name.
    pub source: Arc<str>,
    /// What was read from it.
    #[serde(flatten)]
    pub value: T,
}

impl<T> Named<T> {
    /// `value`, read from input `source`.
    pub fn new(source: &Arc<str>, value: T) -> Self {
        Named {
            source: Arc::clone(source),
            value,
        }
    }
}

impl<T> std::ops::Deref for Named<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Named<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// The resolver configuration read from one input (`/etc/resolv.conf`): nameservers, search list and options,
/// each with its line.
pub type ResolvSource = Named<ResolvConf>;

/// A CoreDNS Corefile read from one input.
pub type CorefileSource = Named<CorefileRead>;

/// The Kubernetes objects read from one `kubectl` input.
pub type KubeSource = Named<KubeRead>;

/// A Corefile as read: from a file, or from a ConfigMap in kubectl output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorefileRead {
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
    pub corefile: Corefile,
}

impl CorefileRead {
    /// The input line that shows line `line` of the Corefile.
    pub fn input_line(&self, line: u32) -> u32 {
        self.string_line.unwrap_or(line)
    }
}

/// kubectl's objects as read from one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeRead {
    /// The first format recognised in it (`get-endpoints`, `json`, …).
    pub format: Option<String>,
    /// Services, Endpoints, EndpointSlices and Pods, each with its line.
    #[serde(flatten)]
    pub objects: Objects,
}
