//! The connection to the answer: its port and protocol, where the node's rules (or kubectl's endpoints) send it,
//! and its hops.

use std::net::IpAddr;
use std::sync::Arc;

use crate::evidence::Evidence;

use super::hops::{first_branch, host_port, percent, rule_hops, stopped_hop};
use super::inputs::{note, push_unique, ServiceInfo};
use super::route::{walk_node, Route};
use super::run::Tracer;
use super::{Branch, Connection, Hop, HopKind, Status, Via};

impl Tracer<'_> {
    /// The connection to the answer: the port, then where the node's rules (or kubectl) send it.
    pub(super) fn connect(&mut self, ip: IpAddr, service: Option<ServiceInfo>) {
        let Some(port) = self.port(ip, service.as_ref()) else {
            return;
        };
        // TCP unless the Service's port is only UDP or SCTP.
        let protocols: Vec<&str> = service
            .iter()
            .flat_map(|s| s.ports.iter())
            .filter(|(n, _, _, _)| *n == port)
            .map(|(_, p, _, _)| p.as_str())
            .collect();
        let protocol = if protocols.is_empty() || protocols.contains(&"tcp") {
            "tcp".to_string()
        } else {
            protocols.first().copied().unwrap_or("tcp").to_string()
        };
        if let Some(s) = &service {
            if self.target.port.is_some()
                && !s.ports.is_empty()
                && !s.ports.iter().any(|(n, _, _, _)| *n == port)
            {
                note(
                    &mut self.notes,
                    format!(
                        "{} has no port {port} in the inputs (ports {})",
                        s.label(),
                        s.ports
                            .iter()
                            .map(|(n, p, _, _)| format!("{n}/{p}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
        let is_vip = service.as_ref().is_some_and(|s| !s.headless)
            && self.inputs.service_by_ip(ip).is_some();
        let route = self.route(ip, (port, &protocol), service.as_ref(), is_vip);
        self.route_notes(&route, service.as_ref());
        self.connection_hops(ip, port, &protocol, service.as_ref(), is_vip, &route);
        let ip_text = ip.to_string();
        self.t.status = if route.stopped.is_some() {
            Status::Stopped
        } else if !route.branches.is_empty() {
            Status::Connected
        } else if route.blocked.is_some() {
            Status::NoEndpoints
        } else if route.via == Via::None && is_vip {
            // kubectl lists the Service's endpoints and none is ready, or nothing says where it goes.
            Status::Resolved
        } else {
            Status::NoEndpoints
        };
        if route.via == Via::Kubectl && route.branches.is_empty() {
            note(
                &mut self.notes,
                format!(
                    "kubectl lists no ready endpoint of {}",
                    service
                        .as_ref()
                        .map_or_else(|| ip_text.clone(), ServiceInfo::label)
                ),
            );
        }
        self.t.connection = Some(Connection {
            ip,
            port,
            protocol,
            service: service.as_ref().map(ServiceInfo::label),
            branches: route.branches,
            via: route.via,
        });
    }

    /// The port: as requested, else the Service's only one. `None`, with the status and error set, when the
    /// request must name one.
    fn port(&mut self, ip: IpAddr, service: Option<&ServiceInfo>) -> Option<u16> {
        if let Some(p) = self.target.port {
            return Some(p);
        }
        let mut numbers: Vec<u16> = service
            .iter()
            .flat_map(|s| s.ports.iter().map(|(n, _, _, _)| *n))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        match numbers.as_slice() {
            [one] => Some(*one),
            [] => {
                self.t.status = Status::PortRequired;
                self.t.error = Some(format!(
                    "no input shows a port of {ip}: give one as NAME:PORT"
                ));
                None
            }
            several => {
                self.t.status = Status::PortRequired;
                self.t.error = Some(format!(
                    "{} has ports {}: give one as NAME:PORT",
                    service.map_or_else(|| ip.to_string(), ServiceInfo::label),
                    several
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        }
    }

    /// Where a new connection to `ip:port` goes: the node's rules, else (for a Service address the rules do not
    /// rewrite, or with no node dump) kubectl's endpoints, else the address itself.
    fn route(
        &mut self,
        ip: IpAddr,
        (port, protocol): (u16, &str),
        service: Option<&ServiceInfo>,
        is_vip: bool,
    ) -> Route {
        let node = self.node;
        let mut route = match node {
            Some(node) => walk_node(node, self.from, ip, port, protocol, self.host_network),
            None => Route::empty(Via::None),
        };
        let not_rewritten = route.blocked.is_none()
            && route.stopped.is_none()
            && route.branches.iter().all(|b| b.chain.is_none());
        let ip_text = ip.to_string();
        if is_vip && (node.is_none() || not_rewritten) {
            let why = match node {
                Some(n) => format!(
                    "the rules of {} do not DNAT {}",
                    n.name,
                    host_port(&ip_text, Some(port))
                ),
                None => "no node dump is given".to_string(),
            };
            let info = service.cloned().unwrap_or_default();
            match self.inputs.kubectl_endpoints(&info, port, protocol) {
                Some(branches) => {
                    note(
                        &mut self.notes,
                        format!(
                            "{why}: the endpoints of {} come from kubectl, each with an equal share",
                            info.label()
                        ),
                    );
                    route = Route {
                        branches,
                        ..Route::empty(Via::Kubectl)
                    };
                }
                None => {
                    note(
                        &mut self.notes,
                        format!(
                            "{why}, and no input lists the endpoints of {}: where it goes is unknown",
                            info.label()
                        ),
                    );
                    route = Route {
                        steps: route.steps,
                        ..Route::empty(Via::None)
                    };
                }
            }
        } else if node.is_none() {
            // An address no Service owns (a headless answer, a pod): the connection goes to it as it is.
            route = Route {
                branches: vec![Branch {
                    ip: ip_text,
                    port: Some(port),
                    chain: None,
                    probability: 1.0,
                    evidence: Vec::new(),
                    jump: None,
                    dnat: None,
                }],
                ..Route::empty(Via::Direct)
            };
        } else if not_rewritten && !route.branches.is_empty() {
            route.via = Via::Direct;
        }
        route
    }

    /// What the route leaves open: a walk that stopped, connections blocked, a headless Service.
    fn route_notes(&mut self, route: &Route, service: Option<&ServiceInfo>) {
        if let Some(stopped) = &route.stopped {
            note(
                &mut self.notes,
                format!(
                    "the walk of the connection through the node's rules stopped ({} of new connections): {}",
                    percent(stopped.share),
                    stopped.message
                ),
            );
        }
        if let Some(blocked) = &route.blocked {
            if route.branches.is_empty() {
                note(
                    &mut self.notes,
                    format!("the node's rules stop the connection: {blocked}"),
                );
            } else {
                note(
                    &mut self.notes,
                    format!(
                        "{} of new connections are stopped: {blocked}",
                        percent(route.lost_share)
                    ),
                );
            }
        }
        if let Some(s) = service {
            if s.headless {
                note(
                    &mut self.notes,
                    format!(
                        "{} is headless: the answer is a pod's address, and nothing rewrites it",
                        s.label()
                    ),
                );
            }
        }
    }

    /// The connection's hops: the Service address, the node's rules (or where the walk stopped), the endpoint.
    fn connection_hops(
        &mut self,
        ip: IpAddr,
        port: u16,
        protocol: &str,
        service: Option<&ServiceInfo>,
        is_vip: bool,
        route: &Route,
    ) {
        let ip_text = ip.to_string();
        if is_vip {
            let mut evidence = service.map(|s| s.evidence.clone()).unwrap_or_default();
            if evidence.is_empty() {
                if let Some(s) = self.inputs.analysis.services.iter().find(|s| {
                    s.cluster_ip.as_deref() == Some(ip_text.as_str()) && s.port == Some(port)
                }) {
                    evidence.push(Evidence::line(&Arc::from(s.source.as_str()), s.line));
                }
            }
            self.t.hops.push(Hop::new(
                HopKind::ServiceVip,
                format!(
                    "{}/{protocol}{}",
                    host_port(&ip_text, Some(port)),
                    service
                        .map(|s| format!(" — Service {}", s.label()))
                        .unwrap_or_default()
                ),
                None,
                evidence,
            ));
        }
        if let Some(node) = self.node {
            if matches!(route.via, Via::NodeRules | Via::Direct) || route.branches.is_empty() {
                self.t
                    .hops
                    .extend(rule_hops(&route.steps, &node.name, None, &route.branches));
            }
            if let Some(stopped) = &route.stopped {
                self.t.hops.push(stopped_hop(stopped, &node.name, None));
            }
        }
        if let Some(first) = route.branches.first() {
            let (pod, more) = self.inputs.endpoint_info(&first.ip);
            let mut evidence = first.evidence.clone();
            push_unique(&mut evidence, &more);
            let of = route.branches.len();
            let label = format!(
                "{}{}{}{}",
                host_port(&first.ip, first.port),
                first
                    .chain
                    .as_deref()
                    .map(|c| format!(" via {c}"))
                    .unwrap_or_default(),
                pod.map(|p| format!(" (pod {p})")).unwrap_or_default(),
                if of > 1 {
                    format!(", 1 of {of} branches, {}", percent(first.probability))
                } else {
                    String::new()
                }
            );
            self.t.hops.push(Hop {
                probability: Some(first.probability),
                branch: first_branch(&route.branches),
                ..Hop::new(HopKind::Endpoint, label, None, evidence)
            });
        }
    }
}
