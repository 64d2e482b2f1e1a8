//! What kubectl output says a Service's endpoints are, gathered over every kubectl input, for comparing with a
//! node's rules.

use crate::evidence::Evidence;
use crate::lint::at;
use crate::source::inputs::KubeSource;
use crate::source::kubectl::model::Origin;

/// One endpoint address and port kubectl lists for a Service.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub ip: String,
    /// `None` when the format gives no port (a subset without ports).
    pub port: Option<u16>,
    /// Known to be ready (Endpoints `addresses`, or a slice endpoint with `ready: true`).
    pub ready: bool,
    pub evidence: Evidence,
}

/// Everything kubectl says about one Service's endpoints.
#[derive(Debug, Clone, Default)]
pub(crate) struct KubeView {
    pub listed: Vec<Listed>,
    /// Some list was cut (`+ N more...`), so an address missing from it proves nothing.
    pub truncated: bool,
    /// The objects that were read, for evidence.
    pub objects: Vec<Evidence>,
}

fn namespace_matches(kube: Option<&str>, node: &str) -> bool {
    kube.is_none_or(|ns| ns == node)
}

/// The kubectl objects that name each Service's endpoints, found once so that each Service's view is a lookup
/// rather than a pass over every object.
#[derive(Debug, Default)]
pub(crate) struct KubeIndex<'k> {
    kubernetes: &'k [KubeSource],
    /// Service name → (input, Endpoints object or EndpointSlice, index), in input order.
    by_name: Names<'k>,
}

/// A map with a fixed hasher: the core uses no randomness.
type Names<'k> = rustc_hash::FxHashMap<&'k str, Vec<(usize, bool, usize)>>;

impl<'k> KubeIndex<'k> {
    pub(crate) fn new(kubernetes: &'k [KubeSource]) -> Self {
        let mut by_name = Names::default();
        for (ki, k) in kubernetes.iter().enumerate() {
            for (i, e) in k.objects.endpoints.iter().enumerate() {
                by_name
                    .entry(e.name.as_str())
                    .or_default()
                    .push((ki, false, i));
            }
            for (i, s) in k.objects.endpoint_slices.iter().enumerate() {
                if let Some(name) = s.probable_service_name() {
                    by_name.entry(name).or_default().push((ki, true, i));
                }
            }
        }
        Self {
            kubernetes,
            by_name,
        }
    }

    /// Whether no kubectl input lists any endpoints.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// kubectl's view of Service `namespace/name`, or `None` when no kubectl input mentions its endpoints.
    pub(crate) fn view(&self, namespace: &str, name: &str) -> Option<KubeView> {
        let mut v = KubeView::default();
        for &(ki, slice, i) in self.by_name.get(name).map_or(&[][..], Vec::as_slice) {
            let Some(k) = self.kubernetes.get(ki) else {
                continue;
            };
            if !slice {
                let Some(e) = k
                    .objects
                    .endpoints
                    .get(i)
                    .filter(|e| namespace_matches(e.namespace.as_deref(), namespace))
                else {
                    continue;
                };
                v.objects.push(at(&k.source, e.line));
                v.truncated |= e.truncated_more.is_some();
                for subset in &e.subsets {
                    let ports: Vec<Option<u16>> = if subset.ports.is_empty() {
                        vec![None]
                    } else {
                        subset.ports.iter().map(|p| p.port).collect()
                    };
                    for (addresses, ready) in [
                        (&subset.addresses, true),
                        (&subset.not_ready_addresses, false),
                    ] {
                        for a in addresses {
                            for port in &ports {
                                v.listed.push(Listed {
                                    ip: a.ip.clone(),
                                    port: *port,
                                    ready,
                                    evidence: at(&k.source, a.line),
                                });
                            }
                        }
                    }
                }
                continue;
            }
            let Some(s) = k
                .objects
                .endpoint_slices
                .get(i)
                .filter(|s| namespace_matches(s.namespace.as_deref(), namespace))
            else {
                continue;
            };
            v.objects.push(at(&k.source, s.line));
            v.truncated |= s.truncated_more.is_some() || s.ports_truncated_more.is_some();
            let ports: Vec<Option<u16>> = if s.ports.is_empty() {
                vec![None]
            } else {
                s.ports.iter().map(|p| p.port).collect()
            };
            for e in &s.endpoints {
                for ip in &e.addresses {
                    for port in &ports {
                        // The API reads an unset `ready` as ready; a `get endpointslices` table shows every endpoint
                        // without saying which are ready.
                        let ready = s.origin != Origin::Table && e.ready != Some(false);
                        v.listed.push(Listed {
                            ip: ip.clone(),
                            port: *port,
                            ready,
                            evidence: at(&k.source, e.line),
                        });
                    }
                }
            }
        }
        (!v.objects.is_empty()).then_some(v)
    }
}

/// A node's Service ports grouped by Service (`namespace`, `name`): kubectl tables do not say which port an
/// address is for, so the cross-checks judge a Service's ports together.
pub(crate) fn ports_by_service(
    services: &[crate::model::services::Service],
) -> std::collections::BTreeMap<(&str, &str), Vec<&crate::model::services::Service>> {
    let mut by_service: std::collections::BTreeMap<
        (&str, &str),
        Vec<&crate::model::services::Service>,
    > = std::collections::BTreeMap::new();
    for s in services.iter().filter(|s| !s.name.is_empty()) {
        by_service
            .entry((s.namespace.as_str(), s.name.as_str()))
            .or_default()
            .push(s);
    }
    by_service
}
