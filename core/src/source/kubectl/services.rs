//! `kubectl get svc [-o wide]` rows (docs/domain/formats.md §4): `NAME  TYPE  CLUSTER-IP  EXTERNAL-IP  PORT(S)  AGE  [SELECTOR]`,
//! and the older layouts: `NAME  CLUSTER-IP  EXTERNAL-IP  PORT(S)  AGE` (≈1.2–1.6, no TYPE, `<nodes>` for
//! NodePorts), `CLUSTER_IP`/`EXTERNAL_IP` with underscores, and `NAME  LABELS  SELECTOR  IP(S)  PORT(S)` (≈1.0).

use super::cells;
use super::table::Row;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{
    KubeService, KubeServicePort, LoadBalancerIngress, Objects, Origin,
};

/// Reads one row.
pub(super) fn row(row: &Row<'_>, out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let Some(name) = row.name(diagnostics) else {
        return;
    };
    let line = row.line;
    let service_type = row.value(&["TYPE"]);
    let mut service = KubeService {
        namespace: row.namespace(),
        service_type: service_type.clone(),
        ..KubeService::named(line, Origin::Table, name)
    };

    if let Some(cell) = row.get(&["CLUSTER-IP", "CLUSTER_IP", "IP(S)", "IP"]) {
        match cell.text.as_str() {
            "None" => service.headless = Some(true),
            "<none>" => service.headless = Some(false),
            "" => {}
            text => {
                service.cluster_ips = ips(text, line, cell.column, diagnostics);
                if !service.cluster_ips.is_empty() {
                    service.headless = Some(false);
                }
            }
        }
    }

    if let Some(cell) = row.get(&["EXTERNAL-IP", "EXTERNAL_IP"]) {
        let text = cell.text.as_str();
        match (service_type.as_deref(), text) {
            (Some("ExternalName"), text) => {
                service.external_name = (!cells::is_none(text)).then(|| text.to_string());
            }
            (_, "<none>" | "<nodes>") => service.external_ips = Some(Vec::new()),
            (_, "<pending>") => service.load_balancer_ingress = Some(Vec::new()),
            (_, "<unknown>" | "") => {}
            (Some("LoadBalancer"), text) => {
                let (items, truncated) = truncated_list(text);
                service.external_truncated = truncated;
                service.load_balancer_ingress = Some(
                    items
                        .into_iter()
                        .map(|item| {
                            let ip = cells::ip(item);
                            LoadBalancerIngress {
                                hostname: ip.is_none().then(|| item.to_string()),
                                ip,
                                ip_mode: None,
                            }
                        })
                        .collect(),
                );
            }
            (_, text) => {
                let (items, truncated) = truncated_list(text);
                service.external_truncated = truncated;
                let mut list = Vec::new();
                for item in items {
                    match cells::ip(item) {
                        Some(ip) => list.push(ip),
                        None => diagnostics.push(Diagnostic::new(
                            Severity::Warning,
                            "bad-ip",
                            line,
                            cell.column,
                            format!("external IP skipped: {item:?} is not an IP address"),
                        )),
                    }
                }
                service.external_ips = Some(list);
            }
        }
    }

    if let Some(cell) = row.get(&["PORT(S)"]) {
        if !cells::is_none(&cell.text) {
            for piece in cells::split_list(&cell.text) {
                match cells::service_port(piece.text) {
                    Ok(p) => service.ports.push(KubeServicePort {
                        line,
                        name: None,
                        protocol: p.protocol,
                        port: p.port,
                        target_port: None,
                        node_port: p.node_port,
                        app_protocol: None,
                        endpoints: None,
                    }),
                    Err(message) => diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "bad-port",
                        line,
                        cell.column.saturating_add(piece.offset),
                        format!("port skipped: {message}"),
                    )),
                }
            }
        }
    }

    service.selector = labels(row, "SELECTOR", diagnostics);
    service.labels = labels(row, "LABELS", diagnostics);
    out.services.push(service);
}

/// A SELECTOR or LABELS cell.
pub(super) fn labels(
    row: &Row<'_>,
    column: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<crate::source::kubectl::model::Labels> {
    let cell = row.get(&[column])?;
    match cells::labels(&cell.text) {
        Ok(labels) => Some(labels),
        Err(message) => {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-labels",
                row.line,
                cell.column,
                format!("{column} not read: {message}"),
            ));
            None
        }
    }
}

fn ips(text: &str, line: u32, column: u32, diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut out = Vec::new();
    for piece in cells::split_list(text) {
        match cells::ip(piece.text) {
            Some(ip) => out.push(ip),
            None => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-ip",
                line,
                column.saturating_add(piece.offset),
                format!("cluster IP skipped: {:?} is not an IP address", piece.text),
            )),
        }
    }
    out
}

/// The items of an EXTERNAL-IP cell. Without `-o wide` a LoadBalancer's cell is cut to 13 characters and `...`;
/// the item that was cut is dropped and the list is marked truncated.
fn truncated_list(text: &str) -> (Vec<&str>, bool) {
    match text.strip_suffix("...") {
        Some(head) => {
            let mut items: Vec<&str> = cells::split_list(head).iter().map(|p| p.text).collect();
            if !head.ends_with(',') {
                items.pop();
            }
            (items, true)
        }
        None => (
            cells::split_list(text).iter().map(|p| p.text).collect(),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_external_ip_drops_the_cut_item() {
        assert_eq!(
            truncated_list("203.0.113.10,..."),
            (vec!["203.0.113.10"], true)
        );
        assert_eq!(
            truncated_list("203.0.113.10,1..."),
            (vec!["203.0.113.10"], true)
        );
        assert_eq!(truncated_list("a1b2c3d4e5f6g..."), (vec![], true));
        assert_eq!(
            truncated_list("203.0.113.10,198.51.100.7"),
            (vec!["203.0.113.10", "198.51.100.7"], false)
        );
    }
}
