//! `kubectl get endpointslices` rows (docs/domain/formats.md §3): `NAME  ADDRESSTYPE  PORTS  ENDPOINTS  AGE`. PORTS has up to
//! three port numbers (the port's name when its number is nil, `*` when both are nil); ENDPOINTS up to three
//! addresses of all endpoints, ready or not; each then ` + N more...`, and `<unset>` when empty.

use super::cells;
use super::table::Row;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{
    EndpointPort, KubeEndpointSlice, Objects, Origin, SliceEndpoint,
};

/// Reads one row.
pub(super) fn row(row: &Row<'_>, out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let Some(name) = row.name(diagnostics) else {
        return;
    };
    let mut ports = Vec::new();
    let mut ports_truncated_more = None;
    if let Some(cell) = row.get(&["PORTS"]) {
        let (head, more) = cells::split_more(&cell.text);
        ports_truncated_more =
            cells::more_count(more, &cell.text, row.line, cell.column, diagnostics);
        if !cells::is_none(head) {
            for piece in cells::split_list(head) {
                ports.push(match piece.text {
                    "*" => EndpointPort {
                        name: Some(String::new()),
                        port: None,
                        protocol: None,
                    },
                    text => match text.parse::<u16>() {
                        Ok(port) if port != 0 => EndpointPort {
                            name: None,
                            port: Some(port),
                            protocol: None,
                        },
                        _ => EndpointPort {
                            name: Some(text.to_string()),
                            port: None,
                            protocol: None,
                        },
                    },
                });
            }
        }
    }
    let mut endpoints = Vec::new();
    let mut truncated_more = None;
    if let Some(cell) = row.get(&["ENDPOINTS"]) {
        let (head, more) = cells::split_more(&cell.text);
        truncated_more = cells::more_count(more, &cell.text, row.line, cell.column, diagnostics);
        if !cells::is_none(head) {
            for piece in cells::split_list(head) {
                match cells::ip(piece.text) {
                    Some(ip) => endpoints.push(SliceEndpoint {
                        line: row.line,
                        addresses: vec![ip],
                        ready: None,
                        serving: None,
                        terminating: None,
                        node_name: None,
                        zone: None,
                        hostname: None,
                        target: None,
                    }),
                    None => diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "bad-address",
                        row.line,
                        cell.column.saturating_add(piece.offset),
                        format!("endpoint skipped: {:?} is not an IP address", piece.text),
                    )),
                }
            }
        }
    }
    out.endpoint_slices.push(KubeEndpointSlice {
        line: row.line,
        origin: Origin::Table,
        namespace: row.namespace(),
        name,
        service_name: None,
        address_type: row.value(&["ADDRESSTYPE"]),
        ports,
        ports_truncated_more,
        endpoints,
        truncated_more,
    });
}
