//! Kubernetes API objects from `-o json` and `-o yaml`: both are first read into a `serde_json::Value` (with the
//! line each object starts on), then each object is read through serde into minimal structs that name only the
//! fields dnatlas uses, without `deny_unknown_fields` (new fields appear every release), and lowered into the model.
//!
//! A `List` (or `ServiceList`, `PodList`, …) is read item by item, so one bad item costs only itself.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{
    EndpointAddress, EndpointPort, EndpointSubset, KubeConfigMap, KubeEndpointSlice, KubeEndpoints,
    KubePod, KubeService, KubeServicePort, Labels, LoadBalancerIngress, Objects, Origin,
    SliceEndpoint, TargetPort, TargetRef,
};

/// A top-level JSON or YAML document.
#[derive(Debug)]
pub(super) struct Doc {
    /// 1-based line where the document's value starts.
    pub line: u32,
    /// The value.
    pub value: Value,
    /// The start line of each element of its item list (`items` of a List, or the elements of a top-level
    /// array), in order; may be shorter than the list, then the document's line stands in.
    pub item_lines: Vec<u32>,
}

/// Reads the objects of one document.
pub(super) fn read(doc: Doc, origin: Origin, out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let Doc {
        line,
        value,
        item_lines,
    } = doc;
    let item_line = |i: usize| item_lines.get(i).copied().unwrap_or(line);
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                object(item, item_line(i), None, origin, out, diagnostics);
            }
        }
        Value::Object(mut map) => {
            let kind = map.get("kind").and_then(Value::as_str).map(str::to_string);
            match kind.as_deref() {
                Some(kind) if kind == "List" || kind.ends_with("List") => {
                    let default_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
                    match map.remove("items") {
                        Some(Value::Array(items)) => {
                            for (i, item) in items.into_iter().enumerate() {
                                object(item, item_line(i), default_kind, origin, out, diagnostics);
                            }
                        }
                        Some(Value::Null) | None => {}
                        Some(_) => diagnostics.push(Diagnostic::new(
                            Severity::Warning,
                            "bad-object",
                            line,
                            1,
                            format!("the {kind} has \"items\" that are not a list; skipped"),
                        )),
                    }
                }
                _ => object(Value::Object(map), line, None, origin, out, diagnostics),
            }
        }
        Value::Null => {}
        other => diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-object",
            line,
            1,
            format!(
                "a {} is not a Kubernetes object; skipped",
                type_name(&other)
            ),
        )),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

fn object(
    value: Value,
    line: u32,
    default_kind: Option<&str>,
    origin: Origin,
    out: &mut Objects,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !value.is_object() {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-object",
            line,
            1,
            format!(
                "a {} is not a Kubernetes object; skipped",
                type_name(&value)
            ),
        ));
        return;
    }
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| default_kind.map(str::to_string));
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(kind) = kind else {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "missing-kind",
            line,
            1,
            format!("the object {name:?} has no \"kind\"; skipped"),
        ));
        return;
    };
    let bad = |e: serde_json::Error| {
        Diagnostic::new(
            Severity::Error,
            "bad-object",
            line,
            1,
            format!("{kind} {name:?} not read: {e}"),
        )
    };
    let mut sink = Sink {
        line,
        kind: &kind,
        name: &name,
        diagnostics: Vec::new(),
    };
    match kind.as_str() {
        "Service" => match serde_json::from_value::<RawService>(value) {
            Ok(raw) => {
                if let Some(s) = service(raw, line, origin, &mut sink) {
                    out.services.push(s);
                }
            }
            Err(e) => sink.diagnostics.push(bad(e)),
        },
        "Endpoints" => match serde_json::from_value::<RawEndpoints>(value) {
            Ok(raw) => {
                if let Some(e) = endpoints(raw, line, origin, &mut sink) {
                    out.endpoints.push(e);
                }
            }
            Err(e) => sink.diagnostics.push(bad(e)),
        },
        "EndpointSlice" => match serde_json::from_value::<RawEndpointSlice>(value) {
            Ok(raw) => {
                if let Some(s) = slice(raw, line, origin, &mut sink) {
                    out.endpoint_slices.push(s);
                }
            }
            Err(e) => sink.diagnostics.push(bad(e)),
        },
        "Pod" => match serde_json::from_value::<RawPod>(value) {
            Ok(raw) => {
                if let Some(p) = pod(raw, line, origin, &mut sink) {
                    out.pods.push(p);
                }
            }
            Err(e) => sink.diagnostics.push(bad(e)),
        },
        "ConfigMap" => match value.pointer("/data/Corefile") {
            Some(Value::String(text)) => {
                let text = text.clone();
                match serde_json::from_value::<RawConfigMap>(value) {
                    Ok(raw) => {
                        let metadata = raw.metadata.unwrap_or_default();
                        if let Some(name) = sink.name(&metadata) {
                            out.config_maps.push(KubeConfigMap {
                                line,
                                origin,
                                namespace: metadata.namespace,
                                name,
                                corefile: text,
                                corefile_at: None,
                            });
                        }
                    }
                    Err(e) => sink.diagnostics.push(bad(e)),
                }
            }
            Some(_) => sink.warn(
                "bad-object",
                "its data.Corefile is not a string; skipped".to_string(),
            ),
            None => sink.diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "unknown-kind",
                line,
                1,
                format!(
                    "only ConfigMaps with a Corefile (CoreDNS's) are read; ConfigMap {name:?} skipped"
                ),
            )),
        },
        other => sink.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "unknown-kind",
            line,
            1,
            format!("{other:?} objects are not read; {name:?} skipped"),
        )),
    }
    diagnostics.extend(sink.diagnostics);
}

/// Where an object's diagnostics go, with what they name.
struct Sink<'a> {
    line: u32,
    kind: &'a str,
    name: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Sink<'_> {
    fn warn(&mut self, code: &str, message: String) {
        self.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            code,
            self.line,
            1,
            format!("{} {:?}: {message}", self.kind, self.name),
        ));
    }

    /// The object's name, or a diagnostic when it has none.
    fn name(&mut self, metadata: &RawMeta) -> Option<String> {
        match metadata.name.as_deref() {
            Some(name) if !name.is_empty() => Some(name.to_string()),
            _ => {
                self.diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "missing-name",
                    self.line,
                    1,
                    format!("a {} without metadata.name; skipped", self.kind),
                ));
                None
            }
        }
    }

    /// A port number that must be 1–65535.
    fn port(&mut self, what: &str, value: i64) -> Option<u16> {
        match u16::try_from(value) {
            Ok(port) if port != 0 => Some(port),
            _ => {
                self.warn("bad-port", format!("{what} {value} is not a port number"));
                None
            }
        }
    }
}

/// A `map[string]string` whose values hand-written YAML may have left as numbers or booleans.
fn string_map(raw: Option<BTreeMap<String, Value>>) -> Labels {
    raw.unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => return None,
            };
            Some((k, v))
        })
        .collect()
}

// The raw structs name only what dnatlas reads. Every field is an `Option` with `#[serde(default)]`, so that a
// missing field and an explicit `null` (which Go writes for nil slices and maps) read the same; lists are
// `Option<Vec<_>>` for the same reason. Keeping them this plain also keeps the generated code small in the wasm
// build.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMeta {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfigMap {
    metadata: Option<RawMeta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTargetRef {
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

impl From<RawTargetRef> for TargetRef {
    fn from(raw: RawTargetRef) -> Self {
        TargetRef {
            kind: raw.kind,
            namespace: raw.namespace,
            name: raw.name,
        }
    }
}

/// `TCP` when a protocol is not written (the API default), upper-case otherwise.
fn protocol(raw: Option<String>) -> String {
    raw.map_or_else(|| "TCP".to_string(), |p| p.to_ascii_uppercase())
}

// ---- Service ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawService {
    metadata: Option<RawMeta>,
    spec: Option<RawServiceSpec>,
    status: Option<RawServiceStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawServiceSpec {
    #[serde(rename = "type")]
    service_type: Option<String>,
    #[serde(rename = "clusterIP")]
    cluster_ip: Option<String>,
    #[serde(rename = "clusterIPs")]
    cluster_ips: Option<Vec<String>>,
    #[serde(rename = "externalIPs")]
    external_ips: Option<Vec<String>>,
    ports: Option<Vec<RawServicePort>>,
    selector: Option<BTreeMap<String, Value>>,
    session_affinity: Option<String>,
    session_affinity_config: Option<RawAffinityConfig>,
    external_traffic_policy: Option<String>,
    internal_traffic_policy: Option<String>,
    health_check_node_port: Option<i64>,
    load_balancer_source_ranges: Option<Vec<String>>,
    external_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawAffinityConfig {
    #[serde(rename = "clientIP")]
    client_ip: Option<RawClientIp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawClientIp {
    timeout_seconds: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawServicePort {
    name: Option<String>,
    protocol: Option<String>,
    port: Option<i64>,
    target_port: Option<Value>,
    node_port: Option<i64>,
    app_protocol: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawServiceStatus {
    load_balancer: Option<RawLoadBalancerStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLoadBalancerStatus {
    ingress: Option<Vec<RawIngress>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawIngress {
    ip: Option<String>,
    hostname: Option<String>,
    ip_mode: Option<String>,
}

fn service(raw: RawService, line: u32, origin: Origin, sink: &mut Sink<'_>) -> Option<KubeService> {
    let metadata = raw.metadata.unwrap_or_default();
    let name = sink.name(&metadata)?;
    let spec = raw.spec.unwrap_or_default();
    let mut ips: Vec<String> = match spec.cluster_ips {
        Some(ips) if !ips.is_empty() => ips,
        _ => spec.cluster_ip.into_iter().collect(),
    };
    ips.retain(|ip| !ip.is_empty());
    let external_name_type = spec.service_type.as_deref() == Some("ExternalName");
    let headless = if ips.first().is_some_and(|ip| ip == "None") {
        Some(true)
    } else if !ips.is_empty() || external_name_type {
        Some(false)
    } else {
        None
    };
    ips.retain(|ip| ip != "None");
    let mut ports = Vec::new();
    for p in spec.ports.unwrap_or_default() {
        let Some(number) = p.port else {
            sink.warn(
                "bad-port",
                "a port without a port number; skipped".to_string(),
            );
            continue;
        };
        let Some(port) = sink.port("port", number) else {
            continue;
        };
        let target_port = match p.target_port {
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|n| sink.port("targetPort", n))
                .map(TargetPort::Number),
            Some(Value::String(s)) if !s.is_empty() => Some(TargetPort::Name(s)),
            _ => None,
        };
        let node_port = match p.node_port {
            Some(0) | None => None,
            Some(n) => sink.port("nodePort", n),
        };
        ports.push(KubeServicePort {
            line,
            name: Some(p.name.unwrap_or_default()),
            protocol: protocol(p.protocol),
            port,
            target_port,
            node_port,
            app_protocol: p.app_protocol,
            endpoints: None,
        });
    }
    let health_check_node_port = match spec.health_check_node_port {
        Some(0) | None => None,
        Some(n) => sink.port("healthCheckNodePort", n),
    };
    let timeout = spec
        .session_affinity_config
        .and_then(|c| c.client_ip)
        .and_then(|c| c.timeout_seconds)
        .and_then(|t| u32::try_from(t).ok());
    let load_balancer_ingress = raw.status.map(|status| {
        status
            .load_balancer
            .and_then(|lb| lb.ingress)
            .unwrap_or_default()
            .into_iter()
            .map(|i| LoadBalancerIngress {
                ip: i.ip,
                hostname: i.hostname,
                ip_mode: i.ip_mode,
            })
            .collect()
    });
    Some(KubeService {
        line,
        origin,
        namespace: metadata.namespace,
        name,
        service_type: spec.service_type,
        cluster_ips: ips,
        headless,
        external_ips: Some(spec.external_ips.unwrap_or_default()),
        load_balancer_ingress,
        external_truncated: false,
        ports,
        selector: Some(string_map(spec.selector)),
        labels: Some(string_map(metadata.labels)),
        session_affinity: spec.session_affinity,
        session_affinity_timeout_secs: timeout,
        external_traffic_policy: spec.external_traffic_policy,
        internal_traffic_policy: spec.internal_traffic_policy,
        health_check_node_port,
        load_balancer_source_ranges: spec.load_balancer_source_ranges.unwrap_or_default(),
        external_name: spec.external_name,
    })
}

// ---- Endpoints ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEndpoints {
    metadata: Option<RawMeta>,
    subsets: Option<Vec<RawSubset>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawSubset {
    addresses: Option<Vec<RawAddress>>,
    not_ready_addresses: Option<Vec<RawAddress>>,
    ports: Option<Vec<RawEndpointPort>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawAddress {
    ip: Option<String>,
    node_name: Option<String>,
    hostname: Option<String>,
    target_ref: Option<RawTargetRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEndpointPort {
    name: Option<String>,
    port: Option<i64>,
    protocol: Option<String>,
}

fn endpoint_ports(ports: Option<Vec<RawEndpointPort>>, sink: &mut Sink<'_>) -> Vec<EndpointPort> {
    ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| EndpointPort {
            name: Some(p.name.unwrap_or_default()),
            port: p.port.and_then(|n| sink.port("port", n)),
            protocol: Some(protocol(p.protocol)),
        })
        .collect()
}

fn addresses(
    list: Option<Vec<RawAddress>>,
    line: u32,
    sink: &mut Sink<'_>,
) -> Vec<EndpointAddress> {
    let mut out = Vec::new();
    for a in list.unwrap_or_default() {
        match a.ip {
            Some(ip) if !ip.is_empty() => out.push(EndpointAddress {
                line,
                ip,
                node_name: a.node_name,
                hostname: a.hostname,
                target: a.target_ref.map(TargetRef::from),
            }),
            _ => sink.warn(
                "bad-address",
                "an address without an ip; skipped".to_string(),
            ),
        }
    }
    out
}

fn endpoints(
    raw: RawEndpoints,
    line: u32,
    origin: Origin,
    sink: &mut Sink<'_>,
) -> Option<KubeEndpoints> {
    let metadata = raw.metadata.unwrap_or_default();
    let name = sink.name(&metadata)?;
    let mut subsets = Vec::new();
    for s in raw.subsets.unwrap_or_default() {
        subsets.push(EndpointSubset {
            addresses: addresses(s.addresses, line, sink),
            not_ready_addresses: addresses(s.not_ready_addresses, line, sink),
            ports: endpoint_ports(s.ports, sink),
        });
    }
    Some(KubeEndpoints {
        line,
        origin,
        namespace: metadata.namespace,
        name,
        subsets,
        truncated_more: None,
    })
}

// ---- EndpointSlice ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawEndpointSlice {
    metadata: Option<RawMeta>,
    address_type: Option<String>,
    ports: Option<Vec<RawEndpointPort>>,
    endpoints: Option<Vec<RawSliceEndpoint>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawSliceEndpoint {
    addresses: Option<Vec<String>>,
    conditions: Option<RawConditions>,
    node_name: Option<String>,
    zone: Option<String>,
    hostname: Option<String>,
    target_ref: Option<RawTargetRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConditions {
    ready: Option<bool>,
    serving: Option<bool>,
    terminating: Option<bool>,
}

fn slice(
    raw: RawEndpointSlice,
    line: u32,
    origin: Origin,
    sink: &mut Sink<'_>,
) -> Option<KubeEndpointSlice> {
    let metadata = raw.metadata.unwrap_or_default();
    let name = sink.name(&metadata)?;
    let service_name = string_map(metadata.labels).remove("kubernetes.io/service-name");
    let ports = endpoint_ports(raw.ports, sink);
    let endpoints = raw
        .endpoints
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let conditions = e.conditions.unwrap_or_default();
            SliceEndpoint {
                line,
                addresses: e.addresses.unwrap_or_default(),
                ready: conditions.ready,
                serving: conditions.serving,
                terminating: conditions.terminating,
                node_name: e.node_name,
                zone: e.zone,
                hostname: e.hostname,
                target: e.target_ref.map(TargetRef::from),
            }
        })
        .collect();
    Some(KubeEndpointSlice {
        line,
        origin,
        namespace: metadata.namespace,
        name,
        service_name,
        address_type: raw.address_type,
        ports,
        ports_truncated_more: None,
        endpoints,
        truncated_more: None,
    })
}

// ---- Pod ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPod {
    metadata: Option<RawMeta>,
    spec: Option<RawPodSpec>,
    status: Option<RawPodStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPodSpec {
    node_name: Option<String>,
    host_network: Option<bool>,
    containers: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPodStatus {
    phase: Option<String>,
    #[serde(rename = "podIP")]
    pod_ip: Option<String>,
    #[serde(rename = "podIPs")]
    pod_ips: Option<Vec<RawPodIp>>,
    container_statuses: Option<Vec<RawContainerStatus>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPodIp {
    ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawContainerStatus {
    ready: Option<bool>,
}

fn pod(raw: RawPod, line: u32, origin: Origin, sink: &mut Sink<'_>) -> Option<KubePod> {
    let metadata = raw.metadata.unwrap_or_default();
    let name = sink.name(&metadata)?;
    let spec = raw.spec.unwrap_or_default();
    let status = raw.status.unwrap_or_default();
    let mut ips: Vec<String> = status
        .pod_ips
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.ip)
        .collect();
    if ips.is_empty() {
        ips.extend(status.pod_ip);
    }
    ips.retain(|ip| !ip.is_empty());
    let total = spec.containers.map_or(0, |c| c.len());
    let ready = status.container_statuses.and_then(|statuses| {
        let ready = statuses.iter().filter(|s| s.ready == Some(true)).count();
        (total > 0).then(|| format!("{ready}/{total}"))
    });
    Some(KubePod {
        line,
        origin,
        namespace: metadata.namespace,
        name,
        ips,
        node: spec.node_name.filter(|n| !n.is_empty()),
        host_network: Some(spec.host_network.unwrap_or(false)),
        status: status.phase,
        ready,
        restarts: None,
        labels: Some(string_map(metadata.labels)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_value(value: Value) -> (Objects, Vec<Diagnostic>) {
        let mut out = Objects::default();
        let mut d = Vec::new();
        read(
            Doc {
                line: 1,
                value,
                item_lines: vec![2, 3, 4],
            },
            Origin::Json,
            &mut out,
            &mut d,
        );
        (out, d)
    }

    #[test]
    fn a_list_with_a_bad_item_keeps_the_others() {
        let (out, d) = read_value(serde_json::json!({
            "kind": "List",
            "items": [
                {"kind": "Service", "metadata": {"name": "a"}, "spec": {"ports": [{"port": "eighty"}]}},
                {"kind": "Service", "metadata": {"name": "b", "namespace": "x"}, "spec": {"clusterIP": "None", "ports": [{"port": 80, "targetPort": "http"}]}},
                {"kind": "ConfigMap", "metadata": {"name": "c"}}
            ]
        }));
        assert_eq!(out.services.len(), 1);
        let b = &out.services[0];
        assert_eq!((b.name.as_str(), b.line, b.headless), ("b", 3, Some(true)));
        assert!(b.cluster_ips.is_empty());
        assert_eq!(b.ports[0].protocol, "TCP");
        assert_eq!(b.ports[0].name.as_deref(), Some(""));
        let codes: Vec<(&str, u32)> = d.iter().map(|d| (d.code.as_str(), d.line)).collect();
        assert_eq!(codes, [("bad-object", 2), ("unknown-kind", 4)]);
    }

    #[test]
    fn typed_lists_give_their_items_a_kind() {
        let (out, d) = read_value(serde_json::json!({
            "kind": "PodList",
            "items": [{"metadata": {"name": "p"}, "spec": {"hostNetwork": true, "nodeName": "n1", "containers": [{}, {}]},
                       "status": {"podIP": "192.168.1.2", "containerStatuses": [{"ready": true}, {"ready": false}]}}]
        }));
        assert!(d.is_empty(), "{d:?}");
        let p = &out.pods[0];
        assert_eq!(p.host_network, Some(true));
        assert_eq!(p.ips, ["192.168.1.2"]);
        assert_eq!(p.ready.as_deref(), Some("1/2"));
    }

    #[test]
    fn nulls_and_odd_label_values_are_tolerated() {
        let (out, d) = read_value(serde_json::json!({
            "kind": "EndpointSlice",
            "metadata": {"name": "s-abcde", "labels": {"kubernetes.io/service-name": "s", "n": 1}},
            "ports": null,
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": null}}]
        }));
        assert!(d.is_empty(), "{d:?}");
        let s = &out.endpoint_slices[0];
        assert_eq!(s.service_name.as_deref(), Some("s"));
        assert_eq!(s.endpoints[0].ready, None);
        assert!(s.ports.is_empty());
    }
}
