//! The trace player's data: the pods a trace can start from, and the trace itself.

use dnatlas_core::dns::plan::Resolver;
use dnatlas_core::trace::{Request as TraceRequest, Trace};
use serde::{Deserialize, Serialize};

use super::Session;

/// A pod (or any client) a trace can start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Its IP.
    pub ip: String,
    /// What to call it: `namespace/name` for a kubectl pod, the IP otherwise.
    pub label: String,
}

/// What to trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The pod's IP.
    pub from: String,
    /// `NAME[:PORT]`.
    pub to: String,
    /// The resolver flavour.
    pub resolver: Resolver,
}

/// The trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// What `dnatlas trace` prints as JSON.
    pub trace: Trace,
}

/// The clients the inputs name.
pub fn clients(_session: &Session) -> Vec<Client> {
    Vec::new()
}

/// Traces one name.
pub fn query(session: &Session, q: &Query) -> View {
    let empty: &[u8] = &[];
    let sources: Vec<dnatlas_core::Source<'_>> = session
        .specs()
        .iter()
        .map(|spec| dnatlas_core::Source {
            name: &spec.name,
            bytes: session.bytes_of(&spec.name).unwrap_or(empty),
            kind: spec.kind,
        })
        .collect();
    let request = TraceRequest {
        from: q.from.clone(),
        to: q.to.clone(),
        resolver: q.resolver,
    };
    View {
        trace: dnatlas_core::trace::trace(&sources, &request, &dnatlas_core::Options::default()),
    }
}
