//! The words on the map: labels, marks, ways in, the compact line, shares, and the problems lint found.

use dnatlas_core::diagnostic::thousands;
use dnatlas_core::lint::map::{MapProblem, MapProblemKind, NoEndpoints};
use dnatlas_core::model::services::EntryPoint;
use dnatlas_core::Service;

use super::{address, percent, MAX_ENDPOINT_PROBLEMS, MAX_LISTED_SHARES};

/// How a service port is named on screen: `ns/name:port`, or `ns/name` for an unnamed port.
pub fn service_label(s: &Service) -> String {
    match (
        s.namespace.is_empty() && s.name.is_empty(),
        s.port_name.is_empty(),
    ) {
        (true, _) => "(no comment)".to_string(),
        (false, true) => format!("{}/{}", s.namespace, s.name),
        (false, false) => format!("{}/{}:{}", s.namespace, s.name, s.port_name),
    }
}

/// A rule probability as printed (`0.33332999982`), shortened for an edge label: `0.33333`.
pub fn short_probability(text: &str) -> String {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() => {
            let s = format!("{p:.5}");
            let s = s.trim_end_matches('0');
            s.strip_suffix('.').unwrap_or(s).to_string()
        }
        _ => text.to_string(),
    }
}

/// Marks on the Service as a whole.
pub fn marks(s: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(secs) = s.affinity_timeout_secs {
        out.push(format!("ClientIP affinity {secs}s"));
    }
    if s.internal_policy_local {
        out.push("internal Local".to_string());
    }
    if s.external_policy_local {
        out.push("external Local".to_string());
    }
    out
}

/// A way in as the map names it: `NodePort 30361`, `LoadBalancer IP 1.2.3.4:80`.
pub fn entry_name(e: &EntryPoint) -> String {
    let what = match e.kind.as_str() {
        "node-port" => "NodePort",
        "external-ip" => "external IP",
        "load-balancer-ip" => "LoadBalancer IP",
        _ => "external address",
    };
    match (&e.ip, e.port) {
        (None, Some(p)) => format!("{what} {p}"),
        (Some(ip), Some(p)) if e.kind == "node-port" && ip.starts_with("127.") => {
            format!("{what} {p} (localhost)")
        }
        (Some(ip), p) => format!("{what} {}", address(ip, p)),
        (None, None) => what.to_string(),
    }
}

/// The endpoints' shares for the compact line: all of them, or the first [`MAX_LISTED_SHARES`] and a count.
pub fn listed_shares(s: &Service) -> Vec<String> {
    let n = s.endpoints.len();
    let mut out: Vec<String> = s
        .endpoints
        .iter()
        .take(MAX_LISTED_SHARES)
        .map(|e| percent(e.probability))
        .collect();
    if n > MAX_LISTED_SHARES {
        out.push(format!(
            "+{} more",
            thousands((n - MAX_LISTED_SHARES) as u64)
        ));
    }
    out
}

/// The one-line summary of a Service port.
pub fn summary_line(s: &Service, label: &str) -> String {
    let vip = address(s.cluster_ip.as_deref().unwrap_or("?"), s.port);
    let n = s.endpoints.len();
    let mut line = format!(
        "{label}  {vip}/{}  → {n} endpoint{}",
        s.protocol,
        if n == 1 { "" } else { "s" }
    );
    for m in marks(s) {
        line.push_str(" · ");
        line.push_str(&m);
    }
    line
}

/// The problems lint found on `s` (from [`dnatlas_core::lint::map::problems`]) as the map lists them: the Service's
/// own, at most [`MAX_ENDPOINT_PROBLEMS`] of its endpoints' and a count of the rest, then its ways in. A missing
/// or foreign chain on a way in, and a missing service chain, are drawn on their box and not listed.
pub fn problem_lines(s: &Service, found: &[MapProblem<'_>]) -> Vec<String> {
    let more = |n: usize| {
        format!(
            "+ {} more endpoint problems",
            thousands((n - MAX_ENDPOINT_PROBLEMS) as u64)
        )
    };
    let mut out = Vec::new();
    let mut endpoint_problems = 0usize;
    let mut counted = false;
    for p in found {
        let of_endpoint = matches!(
            p.kind,
            MapProblemKind::EndpointHashMismatch { .. }
                | MapProblemKind::EndpointWithoutDnat { .. }
        );
        if of_endpoint {
            endpoint_problems += 1;
            if endpoint_problems > MAX_ENDPOINT_PROBLEMS {
                continue;
            }
        } else if endpoint_problems > MAX_ENDPOINT_PROBLEMS && !counted {
            out.push(more(endpoint_problems));
            counted = true;
        }
        out.extend(problem_text(s, p));
    }
    if endpoint_problems > MAX_ENDPOINT_PROBLEMS && !counted {
        out.push(more(endpoint_problems));
    }
    out
}

/// One problem as the map lists it; `None` for those only drawn on their box.
fn problem_text(s: &Service, p: &MapProblem<'_>) -> Option<String> {
    let line = p.line;
    let chain = |i: usize| s.endpoints.get(i).map_or("?", |e| e.chain.as_str());
    Some(match p.kind {
        MapProblemKind::NoEndpoints(NoEndpoints::Rejected) => {
            format!("no endpoints: filter REJECT, line {line}")
        }
        MapProblemKind::NoEndpoints(NoEndpoints::ChainNotDefined) => {
            format!("service chain not defined, line {line}")
        }
        MapProblemKind::NoEndpoints(NoEndpoints::Nothing) => format!("no endpoints, line {line}"),
        MapProblemKind::ServiceChainHashMismatch => {
            format!("chain name is not this port's hash, line {line}")
        }
        MapProblemKind::Unrouted { share } => format!(
            "{} of new connections unrouted, after line {line}",
            percent(share)
        ),
        MapProblemKind::EndpointHashMismatch { endpoint } => {
            format!(
                "{} is not this endpoint's hash, line {line}",
                chain(endpoint)
            )
        }
        MapProblemKind::EndpointWithoutDnat { endpoint } => {
            format!("{} has no DNAT, line {line}", chain(endpoint))
        }
        MapProblemKind::NoLocalEndpoint { entry } => format!(
            "{} Local with no endpoint on this node, line {line}",
            s.entry_points
                .get(entry)
                .map_or_else(String::new, entry_name)
        ),
        MapProblemKind::ServiceChainNotDefined
        | MapProblemKind::NoServiceChain
        | MapProblemKind::EntryChainNotDefined { .. }
        | MapProblemKind::EntryChainHashMismatch { .. } => return None,
    })
}
