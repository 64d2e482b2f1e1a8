//! `kubectl get endpoints` rows (docs/domain/formats.md §2): `NAME  ENDPOINTS  AGE`, where ENDPOINTS lists `ip:port` for
//! subsets → ports → ready addresses, the first three joined by `,` and then ` + N more...`; `<none>` when there
//! are no subsets and an empty cell when the subsets hold only not-ready addresses.

use super::cells;
use super::table::Row;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{
    EndpointAddress, EndpointPort, EndpointSubset, HostPort, KubeEndpoints, Objects, Origin,
};

/// Reads one row.
pub(super) fn row(row: &Row<'_>, out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let Some(name) = row.name(diagnostics) else {
        return;
    };
    let (subsets, truncated_more) = match row.get(&["ENDPOINTS"]) {
        Some(cell) => subsets(&cell.text, row.line, cell.column, diagnostics),
        None => (Vec::new(), None),
    };
    out.endpoints.push(KubeEndpoints {
        line: row.line,
        origin: Origin::Table,
        namespace: row.namespace(),
        name,
        subsets,
        truncated_more,
    });
}

/// Reads an ENDPOINTS cell into subsets. `<none>` gives no subsets; an empty cell gives one subset with nothing
/// in it (subsets exist, but none of their addresses is ready).
fn subsets(
    text: &str,
    line: u32,
    column: u32,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<EndpointSubset>, Option<u32>) {
    if text == "<none>" {
        return (Vec::new(), None);
    }
    if text.is_empty() {
        return (
            vec![EndpointSubset {
                addresses: Vec::new(),
                not_ready_addresses: Vec::new(),
                ports: Vec::new(),
            }],
            None,
        );
    }
    let (entries, more) = list(text, line, column, diagnostics);
    // The printer walks subsets → ports → addresses, so one port's addresses are consecutive and distinct; a
    // change of port or a repeated address starts the next group.
    let mut out: Vec<EndpointSubset> = Vec::new();
    let mut group: Option<(Option<u16>, Vec<String>)> = None;
    for entry in entries {
        let continues = group
            .as_ref()
            .is_some_and(|(port, ips)| *port == entry.port && !ips.contains(&entry.ip));
        if !continues {
            if let Some(done) = group.take() {
                out.push(subset(done, line));
            }
            group = Some((entry.port, Vec::new()));
        }
        if let Some((_, ips)) = group.as_mut() {
            ips.push(entry.ip);
        }
    }
    if let Some(done) = group {
        out.push(subset(done, line));
    }
    (out, more)
}

fn subset((port, ips): (Option<u16>, Vec<String>), line: u32) -> EndpointSubset {
    EndpointSubset {
        addresses: ips
            .into_iter()
            .map(|ip| EndpointAddress {
                line,
                ip,
                node_name: None,
                hostname: None,
                target: None,
            })
            .collect(),
        not_ready_addresses: Vec::new(),
        ports: port
            .map(|port| EndpointPort {
                name: None,
                port: Some(port),
                protocol: None,
            })
            .into_iter()
            .collect(),
    }
}

/// Reads a list of `ip:port` entries with an optional ` + N more...` tail; bad entries become diagnostics.
/// Shared with `describe svc`'s `Endpoints:` value.
pub(super) fn list(
    text: &str,
    line: u32,
    column: u32,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<HostPort>, Option<u32>) {
    let (head, more) = cells::split_more(text);
    let more = cells::more_count(more, text, line, column, diagnostics);
    let mut out = Vec::new();
    for piece in cells::split_list(head) {
        match cells::host_port(piece.text) {
            Ok(entry) => out.push(entry),
            Err(message) => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-address",
                line,
                column.saturating_add(piece.offset),
                format!("endpoint skipped: {message}"),
            )),
        }
    }
    (out, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(subset: &EndpointSubset) -> Vec<&str> {
        subset.addresses.iter().map(|a| a.ip.as_str()).collect()
    }

    #[test]
    fn runs_of_one_port_become_subsets() {
        let mut d = Vec::new();
        let (s, more) = subsets(
            "10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...",
            4,
            14,
            &mut d,
        );
        assert!(d.is_empty());
        assert_eq!(more, Some(3));
        assert_eq!(s.len(), 2);
        assert_eq!(ips(&s[0]), ["10.244.0.2", "10.244.0.3"]);
        assert_eq!(ips(&s[1]), ["10.244.0.2"]);
        assert_eq!(s[0].ports[0].port, Some(53));
        assert_eq!(s[0].ports[0].protocol, None);
    }

    #[test]
    fn none_empty_ipv6_and_bare_addresses() {
        let mut d = Vec::new();
        assert_eq!(subsets("<none>", 1, 1, &mut d).0.len(), 0);
        let (empty, _) = subsets("", 1, 1, &mut d);
        assert_eq!(empty.len(), 1);
        assert!(empty[0].addresses.is_empty());
        let (v6, _) = subsets("[fd00:10:244::5]:8080,[fd00:10:244::6]:8080", 1, 1, &mut d);
        assert_eq!(ips(&v6[0]), ["fd00:10:244::5", "fd00:10:244::6"]);
        let (bare, _) = subsets("10.0.0.1,10.0.0.2", 1, 1, &mut d);
        assert_eq!(bare.len(), 1);
        assert!(bare[0].ports.is_empty());
        assert!(d.is_empty());
    }

    #[test]
    fn bad_entries_are_reported_at_their_column() {
        let mut d = Vec::new();
        let (s, _) = subsets("10.0.0.1:80,nginx:80", 2, 10, &mut d);
        assert_eq!(ips(&s[0]), ["10.0.0.1"]);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].code.as_str(), d[0].line, d[0].column),
            ("bad-address", 2, 22)
        );
    }
}
