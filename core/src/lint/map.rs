//! The map's problems: what is wrong with each part of a Service port's routing, as the map draws it red.
//!
//! [`problems`] lists them in the order the map names them: the Service port as a whole (no endpoints, a foreign
//! chain name, connections that fall through), then each endpoint, then each other way in. Every problem carries the
//! input line that shows it and the part of the map it belongs to (through its [`MapProblemKind`]), so a page draws
//! the box of that part red and words the problem as it likes.

use crate::model::services::Service;

/// Shares of new connections up to this are rounding in the cascade's product, not traffic that falls through.
pub const UNROUTED_EPSILON: f64 = 1e-9;

/// Why a Service port routes nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoEndpoints {
    /// The filter table REJECTs its cluster IP (`has no endpoints`); the line is the `REJECT` rule.
    Rejected,
    /// Its service chain is jumped to but not defined in this input, so its endpoints are unknown.
    ChainNotDefined,
    /// Its service chain jumps to no endpoint.
    Nothing,
}

/// What is wrong, and with which part of the Service port.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapProblemKind {
    /// The Service port has no endpoints.
    NoEndpoints(NoEndpoints),
    /// Its service chain is jumped to but not defined in this input.
    ServiceChainNotDefined,
    /// Its cluster IP jumps to no service chain.
    NoServiceChain,
    /// Its service chain's name is not kube-proxy's hash of this Service port.
    ServiceChainHashMismatch,
    /// This share of new connections matches no endpoint rule and falls through the service chain (the line is
    /// the last endpoint rule, or the Service's own rule when it has none).
    Unrouted {
        /// The share, 0–1.
        share: f64,
    },
    /// The chain of the Service's `endpoint`-th endpoint is not named with kube-proxy's hash of that endpoint.
    EndpointHashMismatch {
        /// Index into [`Service::endpoints`].
        endpoint: usize,
    },
    /// The chain of the Service's `endpoint`-th endpoint has no DNAT rule: it routes nowhere.
    EndpointWithoutDnat {
        /// Index into [`Service::endpoints`].
        endpoint: usize,
    },
    /// The `entry`-th other way in has traffic policy Local and no endpoint on this node: its traffic is dropped.
    NoLocalEndpoint {
        /// Index into [`Service::entry_points`].
        entry: usize,
    },
    /// A chain on the `entry`-th other way in is jumped to but not defined in this input.
    EntryChainNotDefined {
        /// Index into [`Service::entry_points`].
        entry: usize,
    },
    /// A chain on the `entry`-th other way in is not named with kube-proxy's hash of this Service port.
    EntryChainHashMismatch {
        /// Index into [`Service::entry_points`].
        entry: usize,
    },
}

/// One problem of a Service port: what it is, and the input line that shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapProblem<'a> {
    /// What is wrong, and where.
    pub kind: MapProblemKind,
    /// The 1-based line of [`MapProblem::source`] that shows it.
    pub line: u32,
    /// The input the Service port was read from.
    pub source: &'a str,
}

/// The share of new connections that falls through `s`'s service chain, when it is more than rounding.
pub fn unrouted(s: &Service) -> Option<f64> {
    (s.unrouted_share > UNROUTED_EPSILON).then_some(s.unrouted_share)
}

/// Every problem of `s`, in the order the map names them: the Service port as a whole, its endpoints in rule order,
/// then its other ways in.
pub fn problems(s: &Service) -> Vec<MapProblem<'_>> {
    let at = |kind: MapProblemKind, line: u32| MapProblem {
        kind,
        line,
        source: &s.source,
    };
    let mut out = Vec::new();
    if s.endpoints.is_empty() {
        out.push(match (s.reject_line, s.chain_missing) {
            (Some(line), _) => at(MapProblemKind::NoEndpoints(NoEndpoints::Rejected), line),
            (None, true) => at(
                MapProblemKind::NoEndpoints(NoEndpoints::ChainNotDefined),
                s.line,
            ),
            (None, false) => at(MapProblemKind::NoEndpoints(NoEndpoints::Nothing), s.line),
        });
    }
    if s.chain_missing {
        out.push(at(MapProblemKind::ServiceChainNotDefined, s.line));
    } else if s.chain.is_none() {
        out.push(at(MapProblemKind::NoServiceChain, s.line));
    }
    if s.chain_hash_matches == Some(false) {
        out.push(at(MapProblemKind::ServiceChainHashMismatch, s.line));
    }
    if let Some(share) = unrouted(s) {
        let line = s.endpoints.last().map_or(s.line, |e| e.line);
        out.push(at(MapProblemKind::Unrouted { share }, line));
    }
    for (endpoint, e) in s.endpoints.iter().enumerate() {
        if e.chain_hash_matches == Some(false) {
            out.push(at(
                MapProblemKind::EndpointHashMismatch { endpoint },
                e.line,
            ));
        }
        if e.ip.is_empty() {
            out.push(at(MapProblemKind::EndpointWithoutDnat { endpoint }, e.line));
        }
    }
    for (entry, e) in s.entry_points.iter().enumerate() {
        if e.no_local_endpoints {
            out.push(at(MapProblemKind::NoLocalEndpoint { entry }, e.line));
        }
        if e.chain_missing {
            out.push(at(MapProblemKind::EntryChainNotDefined { entry }, e.line));
        }
        if e.chain_hash_matches == Some(false) {
            out.push(at(MapProblemKind::EntryChainHashMismatch { entry }, e.line));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Options, Source};

    fn services(dump: &str) -> Vec<Service> {
        analyze(&[Source::new("node", dump.as_bytes())], &Options::default()).services
    }

    fn corpus_01() -> Vec<Service> {
        services(include_str!(
            "../../../fixtures/iptables/corpus-01-iptables-overall/input.txt"
        ))
    }

    fn find<'a>(services: &'a [Service], spn: &str) -> &'a Service {
        services.iter().find(|s| s.spn == spn).unwrap()
    }

    fn kinds(s: &Service) -> Vec<(MapProblemKind, u32)> {
        problems(s).iter().map(|p| (p.kind, p.line)).collect()
    }

    #[test]
    fn a_healthy_service_has_no_problem() {
        let all = services(include_str!(
            "../../../fixtures/iptables/seed-004-node/input.txt"
        ));
        assert!(!all.is_empty());
        for s in &all {
            assert_eq!(kinds(s), [], "{}", s.spn);
            assert_eq!(unrouted(s), None);
        }
    }

    #[test]
    fn a_rejected_service_points_at_its_reject_rule() {
        let all = corpus_01();
        let svc6 = find(&all, "ns6/svc6:p80");
        assert_eq!(
            kinds(svc6),
            [
                (MapProblemKind::NoEndpoints(NoEndpoints::Rejected), 9),
                (MapProblemKind::NoServiceChain, svc6.line)
            ]
        );
        assert!(problems(svc6).iter().all(|p| p.source == "node"));
    }

    #[test]
    fn local_ways_in_without_a_local_endpoint_are_named_one_by_one() {
        let all = corpus_01();
        let svc2 = find(&all, "ns2/svc2:p80");
        let lines: Vec<(usize, u32)> = problems(svc2)
            .iter()
            .filter_map(|p| match p.kind {
                MapProblemKind::NoLocalEndpoint { entry } => Some((entry, p.line)),
                _ => None,
            })
            .collect();
        assert_eq!(lines, [(0, 48), (1, 49), (2, 40), (3, 41)]);
        for (entry, line) in lines {
            assert_eq!(svc2.entry_points[entry].line, line);
        }
    }

    #[test]
    fn chain_and_endpoint_problems_come_in_map_order() {
        let all = corpus_01();
        let mut s = find(&all, "ns3/svc3:p80").clone();
        assert_eq!(kinds(&s), []);
        s.chain_hash_matches = Some(false);
        s.unrouted_share = 0.25;
        s.endpoints[0].chain_hash_matches = Some(false);
        s.endpoints[0].ip.clear();
        s.entry_points[0].chain_missing = true;
        s.entry_points[0].chain_hash_matches = Some(false);
        let (last, first, entry) = (
            s.endpoints.last().unwrap().line,
            s.endpoints[0].line,
            s.entry_points[0].line,
        );
        assert_eq!(
            kinds(&s),
            [
                (MapProblemKind::ServiceChainHashMismatch, s.line),
                (MapProblemKind::Unrouted { share: 0.25 }, last),
                (MapProblemKind::EndpointHashMismatch { endpoint: 0 }, first),
                (MapProblemKind::EndpointWithoutDnat { endpoint: 0 }, first),
                (MapProblemKind::EntryChainNotDefined { entry: 0 }, entry),
                (MapProblemKind::EntryChainHashMismatch { entry: 0 }, entry),
            ]
        );
    }

    #[test]
    fn a_missing_chain_has_unknown_endpoints() {
        let all = corpus_01();
        let mut s = find(&all, "ns3/svc3:p80").clone();
        s.endpoints.clear();
        s.chain_missing = true;
        assert_eq!(
            kinds(&s),
            [
                (
                    MapProblemKind::NoEndpoints(NoEndpoints::ChainNotDefined),
                    s.line
                ),
                (MapProblemKind::ServiceChainNotDefined, s.line),
            ]
        );
        s.chain_missing = false;
        assert_eq!(
            kinds(&s),
            [(MapProblemKind::NoEndpoints(NoEndpoints::Nothing), s.line)]
        );
    }

    #[test]
    fn rounding_is_not_unrouted() {
        let all = corpus_01();
        let mut s = find(&all, "ns3/svc3:p80").clone();
        s.unrouted_share = UNROUTED_EPSILON;
        assert_eq!(unrouted(&s), None);
        s.unrouted_share = 2.0 * UNROUTED_EPSILON;
        assert_eq!(unrouted(&s), Some(2.0 * UNROUTED_EPSILON));
        // Without endpoints, the fall-through is shown at the Service's own rule.
        s.endpoints.clear();
        assert!(kinds(&s).contains(&(
            MapProblemKind::Unrouted {
                share: 2.0 * UNROUTED_EPSILON
            },
            s.line
        )));
    }
}
