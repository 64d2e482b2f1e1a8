//! `kubectl get pods [-o wide] [--show-labels]` rows (docs/domain/formats.md §5): `NAME  READY  STATUS  RESTARTS  AGE`, with
//! `-o wide` `IP  NODE  NOMINATED NODE  READINESS GATES`, and `LABELS` last with `--show-labels`.

use super::cells;
use super::services::labels;
use super::table::Row;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::kubectl::model::{KubePod, Objects, Origin};

/// Reads one row.
pub(super) fn row(row: &Row<'_>, out: &mut Objects, diagnostics: &mut Vec<Diagnostic>) {
    let Some(name) = row.name(diagnostics) else {
        return;
    };
    let mut ips = Vec::new();
    if let Some(cell) = row.get(&["IP"]) {
        if !cells::is_none(&cell.text) {
            match cells::ip(&cell.text) {
                Some(ip) => ips.push(ip),
                None => diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "bad-ip",
                    row.line,
                    cell.column,
                    format!("pod IP skipped: {:?} is not an IP address", cell.text),
                )),
            }
        }
    }
    let text = |names: &[&str]| {
        row.text(names)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    out.pods.push(KubePod {
        line: row.line,
        origin: Origin::Table,
        namespace: row.namespace(),
        name,
        ips,
        node: row.value(&["NODE"]),
        host_network: None,
        status: text(&["STATUS"]),
        ready: text(&["READY"]),
        restarts: text(&["RESTARTS"]),
        labels: labels(row, "LABELS", diagnostics),
    });
}
