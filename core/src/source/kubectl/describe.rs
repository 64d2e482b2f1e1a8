//! `kubectl describe svc` (docs/domain/formats.md §6): `Key:` and a value aligned by a tabwriter (or by tabs, in old versions),
//! continuation lines indented (Labels, Annotations, a wrapped Endpoints list, the Events table), per port a
//! `Port:` line followed by its `TargetPort:`, `NodePort:` and `Endpoints:`. Several services are separated by
//! blank lines; each block is read on its own.

use super::cells;
use super::endpoints;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{
    DescribedEndpoints, KubeService, KubeServicePort, Labels, LoadBalancerIngress, Objects, Origin,
    TargetPort,
};
use crate::text;

/// One `Key: value` line with its continuation lines.
#[derive(Debug)]
struct Field<'a> {
    key: &'a str,
    value: &'a str,
    line: u32,
    /// 1-based column of the value.
    column: u32,
    /// Continuation lines: line number, trimmed text, 1-based column of the text.
    more: Vec<(u32, &'a str, u32)>,
}

/// Splits `Key:  value` at the first `:` that is followed by whitespace or ends the line.
fn split_key(line: &str) -> Option<(&str, &str, u32)> {
    let mut search = 0;
    while let Some(found) = line.get(search..).and_then(|rest| rest.find(':')) {
        let colon = search + found;
        let after = line.get(colon + 1..).unwrap_or_default();
        if after.is_empty() || after.starts_with([' ', '\t']) {
            let key = line.get(..colon)?;
            let valid = !key.is_empty()
                && key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '_');
            if !valid {
                return None;
            }
            let value = after.trim();
            let leading = after.len() - after.trim_start().len();
            let column = text::column_of(line, colon + 1 + leading);
            return Some((key, value, column));
        }
        search = colon + 1;
    }
    None
}

/// Whether a block that starts with `Name:` is the description of a Service (and not of a Pod, an Endpoints…).
pub(super) fn is_service(lines: &[(u32, &str)]) -> bool {
    lines.iter().any(|(_, line)| match split_key(line) {
        Some(("Type", value, _)) => {
            matches!(
                value,
                "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
            )
        }
        Some((key, _, _)) => matches!(
            key,
            "TargetPort"
                | "Session Affinity"
                | "External Traffic Policy"
                | "Internal Traffic Policy"
                | "IP Family Policy"
                | "External Name"
                | "LoadBalancer Ingress"
        ),
        None => false,
    })
}

/// Reads one block (the lines of one service, without blank lines).
pub(super) fn block(lines: &[(u32, &str)], out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let mut fields: Vec<Field<'_>> = Vec::new();
    for &(number, line) in lines {
        if line.starts_with([' ', '\t']) {
            let trimmed = line.trim();
            let column = text::column_of(line, line.len() - line.trim_start().len());
            match fields.last_mut() {
                Some(field) => field.more.push((number, trimmed, column)),
                None => diagnostics.push(unknown(number, column, trimmed)),
            }
            continue;
        }
        match split_key(line) {
            Some((key, value, column)) => fields.push(Field {
                key,
                value,
                line: number,
                column,
                more: Vec::new(),
            }),
            // Old kubectl printed this instead of an empty Events table.
            None if line.trim() == "No events." => {}
            None => diagnostics.push(unknown(number, 1, line)),
        }
    }

    let Some(name_field) = fields.iter().find(|f| f.key == "Name") else {
        return;
    };
    if name_field.value.is_empty() {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "missing-name",
            name_field.line,
            name_field.column,
            "the service description has an empty Name; skipped",
        ));
        return;
    }
    let mut service = KubeService::named(
        name_field.line,
        Origin::Describe,
        name_field.value.to_string(),
    );
    // Whether the last `Port:` line was read; fields after an unreadable one are not attached to another port.
    let mut port_open = false;
    let value = |f: &Field<'_>| (!cells::is_none(f.value)).then(|| f.value.to_string());
    for field in &fields {
        match field.key {
            "Namespace" => service.namespace = value(field),
            "Labels" => service.labels = Some(multi_line_labels(field, diagnostics)),
            "Selector" => service.selector = Some(labels(field.value, field, diagnostics)),
            "Type" => service.service_type = value(field),
            "IP" => match field.value {
                "None" => service.headless = Some(true),
                v if cells::is_none(v) => {}
                v => {
                    if service.cluster_ips.is_empty() {
                        service.cluster_ips = ip_list(v, field, "cluster IP", diagnostics);
                    }
                    service.headless = Some(false);
                }
            },
            "IPs" => match field.value {
                "None" => service.headless = Some(true),
                v if cells::is_none(v) => {}
                v => {
                    service.cluster_ips = ip_list(v, field, "cluster IP", diagnostics);
                    service.headless = Some(false);
                }
            },
            "External IPs" => {
                service.external_ips =
                    Some(ip_list(field.value, field, "external IP", diagnostics));
            }
            "LoadBalancer Ingress" => {
                service.load_balancer_ingress = Some(ingress(field.value));
            }
            "External Name" => service.external_name = value(field),
            "Session Affinity" => service.session_affinity = value(field),
            "External Traffic Policy" => service.external_traffic_policy = value(field),
            "Internal Traffic Policy" => service.internal_traffic_policy = value(field),
            "HealthCheck NodePort" => {
                service.health_check_node_port = number(field, diagnostics);
            }
            "LoadBalancer Source Ranges" => {
                service.load_balancer_source_ranges = cells::split_list(field.value)
                    .iter()
                    .map(|p| p.text.to_string())
                    .filter(|r| !cells::is_none(r))
                    .collect();
            }
            "Port" => {
                port_open = false;
                if let Some(port) = port(field, diagnostics) {
                    service.ports.push(port);
                    port_open = true;
                }
            }
            "TargetPort" | "NodePort" | "Endpoints" | "AppProtocol" => {
                let current = if port_open {
                    service.ports.last_mut()
                } else {
                    None
                };
                let Some(current) = current else {
                    if service.ports.is_empty() {
                        diagnostics.push(Diagnostic::new(
                            Severity::Info,
                            "field-without-port",
                            field.line,
                            1,
                            format!("{:?} comes before any Port line; ignored", field.key),
                        ));
                    }
                    continue;
                };
                match field.key {
                    "TargetPort" => current.target_port = target_port(field.value),
                    "NodePort" => {
                        current.node_port = field
                            .value
                            .split_whitespace()
                            .last()
                            .and_then(|t| cells::service_port(t).ok())
                            .map(|p| p.port);
                        if current.node_port.is_none() && !cells::is_none(field.value) {
                            diagnostics.push(bad_port(field));
                        }
                    }
                    "AppProtocol" => current.app_protocol = value(field),
                    _ => current.endpoints = Some(described_endpoints(field, diagnostics)),
                }
            }
            _ => {}
        }
    }
    out.services.push(service);
}

fn unknown(line: u32, column: u32, text: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        "unknown-line",
        line,
        column,
        format!("{text:?} is not a line of kubectl describe output; skipped"),
    )
}

fn bad_port(field: &Field<'_>) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        "bad-port",
        field.line,
        field.column,
        format!(
            "{} {:?} is not [name] port/PROTOCOL",
            field.key, field.value
        ),
    )
}

/// `Port:  <name|<unset>>  <port>/<PROTO>`.
fn port(field: &Field<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<KubeServicePort> {
    let tokens: Vec<&str> = field.value.split_whitespace().collect();
    let (name, spec) = match tokens.as_slice() {
        [name, spec] => (
            Some(if *name == "<unset>" { "" } else { name }.to_string()),
            *spec,
        ),
        [spec] => (None, *spec),
        _ => {
            diagnostics.push(bad_port(field));
            return None;
        }
    };
    match cells::service_port(spec) {
        Ok(p) if p.node_port.is_none() => Some(KubeServicePort {
            line: field.line,
            name,
            protocol: p.protocol,
            port: p.port,
            target_port: None,
            node_port: None,
            app_protocol: None,
            endpoints: None,
        }),
        _ => {
            diagnostics.push(bad_port(field));
            None
        }
    }
}

/// `TargetPort:  8080/TCP` or `http/TCP`.
fn target_port(value: &str) -> Option<TargetPort> {
    let target = value.split('/').next().unwrap_or_default().trim();
    if cells::is_none(target) {
        return None;
    }
    Some(match cells::port_number(target) {
        Some(n) => TargetPort::Number(n),
        None => TargetPort::Name(target.to_string()),
    })
}

/// The `Endpoints:` value with its continuation lines (a long list wrapped by a terminal or a blog).
fn described_endpoints(field: &Field<'_>, diagnostics: &mut Vec<Diagnostic>) -> DescribedEndpoints {
    let mut joined = field.value.to_string();
    for (_, more, _) in &field.more {
        if !(joined.is_empty() || joined.ends_with(',') || more.starts_with(',')) {
            joined.push(',');
        }
        joined.push_str(more);
    }
    if joined == "<none>" {
        return DescribedEndpoints {
            line: field.line,
            addresses: Vec::new(),
            truncated_more: None,
            none: true,
        };
    }
    let (addresses, truncated_more) =
        endpoints::list(&joined, field.line, field.column, diagnostics);
    DescribedEndpoints {
        line: field.line,
        addresses,
        truncated_more,
        none: false,
    }
}

fn labels(text: &str, field: &Field<'_>, diagnostics: &mut Vec<Diagnostic>) -> Labels {
    cells::labels(text).unwrap_or_else(|message| {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-labels",
            field.line,
            field.column,
            format!("{} not read: {message}", field.key),
        ));
        Labels::new()
    })
}

/// `Labels:` has one `k=v` per line.
fn multi_line_labels(field: &Field<'_>, diagnostics: &mut Vec<Diagnostic>) -> Labels {
    let mut out = labels(field.value, field, diagnostics);
    for &(line, text, column) in &field.more {
        match cells::labels(text) {
            Ok(more) => out.extend(more),
            Err(message) => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-labels",
                line,
                column,
                format!("label not read: {message}"),
            )),
        }
    }
    out
}

fn ip_list(
    text: &str,
    field: &Field<'_>,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut out = Vec::new();
    for piece in cells::split_list(text) {
        if cells::is_none(piece.text) {
            continue;
        }
        match cells::ip(piece.text) {
            Some(ip) => out.push(ip),
            None => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-ip",
                field.line,
                field.column.saturating_add(piece.offset),
                format!("{what} skipped: {:?} is not an IP address", piece.text),
            )),
        }
    }
    out
}

/// `LoadBalancer Ingress:  203.0.113.10 (VIP), lb.example.com`.
fn ingress(text: &str) -> Vec<LoadBalancerIngress> {
    text.split(", ")
        .map(str::trim)
        .filter(|t| !cells::is_none(t))
        .map(|entry| {
            let (address, mode) = match entry.split_once(" (") {
                Some((address, rest)) => {
                    (address.trim(), Some(rest.trim_end_matches(')').to_string()))
                }
                None => (entry, None),
            };
            let ip = cells::ip(address);
            LoadBalancerIngress {
                hostname: ip.is_none().then(|| address.to_string()),
                ip,
                ip_mode: mode,
            }
        })
        .collect()
}

fn number(field: &Field<'_>, diagnostics: &mut Vec<Diagnostic>) -> Option<u16> {
    if cells::is_none(field.value) {
        return None;
    }
    let n = cells::port_number(field.value);
    if n.is_none() {
        diagnostics.push(bad_port(field));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Objects, Vec<Diagnostic>) {
        let lines: Vec<(u32, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (u32::try_from(i + 1).unwrap(), l))
            .collect();
        let mut out = Objects::default();
        let mut d = Vec::new();
        block(&lines, &mut out, &mut d);
        (out, d)
    }

    #[test]
    fn split_key_finds_the_first_colon_before_whitespace() {
        assert_eq!(
            split_key("Name:              kube-dns"),
            Some(("Name", "kube-dns", 20))
        );
        assert_eq!(
            split_key("Session Affinity:\tNone"),
            Some(("Session Affinity", "None", 19))
        );
        assert_eq!(split_key("Events:"), Some(("Events", "", 8)));
        assert_eq!(split_key("http://x: y"), None);
        assert_eq!(split_key("10.0.0.1:80"), None);
    }

    #[test]
    fn ports_carry_their_target_node_port_and_endpoints() {
        let (out, d) = read(
            "Name:                     web\n\
             Namespace:                shop\n\
             Type:                     NodePort\n\
             IP:                       10.96.5.5\n\
             Port:                     <unset>  80/TCP\n\
             TargetPort:               http/TCP\n\
             NodePort:                 <unset>  30080/TCP\n\
             Endpoints:                10.244.1.5:8080,10.244.2.7:8080,\n\
             \x20                         10.244.3.9:8080 + 2 more...\n\
             Session Affinity:         None\n\
             External Traffic Policy:  Cluster\n\
             Events:                   <none>\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let s = &out.services[0];
        assert_eq!(s.namespace.as_deref(), Some("shop"));
        let p = &s.ports[0];
        assert_eq!(p.name.as_deref(), Some(""));
        assert_eq!(p.target_port, Some(TargetPort::Name("http".into())));
        assert_eq!(p.node_port, Some(30080));
        let e = p.endpoints.as_ref().unwrap();
        assert_eq!(e.addresses.len(), 3);
        assert_eq!(e.truncated_more, Some(2));
        assert_eq!(s.external_traffic_policy.as_deref(), Some("Cluster"));
    }

    #[test]
    fn ingress_entries_with_modes_and_hostnames() {
        let got = ingress("203.0.113.10 (VIP), lb.example.com");
        assert_eq!(got[0].ip.as_deref(), Some("203.0.113.10"));
        assert_eq!(got[0].ip_mode.as_deref(), Some("VIP"));
        assert_eq!(got[1].hostname.as_deref(), Some("lb.example.com"));
    }

    #[test]
    fn a_bad_port_line_does_not_lend_its_fields_to_the_previous_port() {
        let (out, d) = read(
            "Name: a\nType: ClusterIP\nPort: dns 53/UDP\nEndpoints: 10.0.0.1:53\nPort: x y z\nEndpoints: 10.0.0.2:53\n",
        );
        assert_eq!(out.services[0].ports.len(), 1);
        let e = out.services[0].ports[0].endpoints.as_ref().unwrap();
        assert_eq!(e.addresses[0].ip, "10.0.0.1");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "bad-port");
    }
}
