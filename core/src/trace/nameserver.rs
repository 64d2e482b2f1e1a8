//! Where the pod's queries go: the nameserver the resolver asks, whether it is the cluster DNS, and where the
//! node's rules (or kubectl's endpoints of the DNS Service) send the queries.

use std::net::IpAddr;

use crate::evidence::Evidence;
use crate::source::resolv_conf::{Nameserver, MAX_NAMESERVERS};

use super::choose::ResolvChoice;
use super::hops::percent;
use super::inputs::{note, push_unique, DnsService};
use super::route::{walk_node, Route};
use super::run::Tracer;
use super::Via;

/// NodeLocal DNSCache's link-local address (docs/domain/resolvers.md §8): it forwards the cluster zone to the cluster DNS.
const NODE_LOCAL_DNS: &str = "169.254.20.10";

/// Where the trace's DNS queries go.
pub(super) struct Dns {
    /// The nameserver the queries are sent to.
    pub(super) server: Option<String>,
    /// Its resolv.conf line (or the lines behind a rebuilt file).
    pub(super) server_evidence: Vec<Evidence>,
    /// The DNS Service that owns the address, if known.
    pub(super) service: Option<String>,
    /// Whether the cluster DNS answers there (else: an unknown resolver).
    pub(super) cluster: bool,
    /// Where the address is DNATed.
    pub(super) route: Route,
    /// Whether the node's rules block every query.
    pub(super) unreachable: bool,
    /// Whether the walk of the queries through the node's rules stopped before a verdict: what becomes of them is
    /// not known.
    pub(super) stopped: bool,
}

impl Tracer<'_> {
    /// Which nameserver the queries go to, and where the node sends them.
    pub(super) fn nameserver(&mut self, choice: &ResolvChoice, dns_services: &[DnsService]) -> Dns {
        let protocol = if choice.conf.options.use_vc {
            "tcp"
        } else {
            "udp"
        };
        let servers: Vec<&Nameserver> = choice
            .conf
            .nameservers
            .iter()
            .take(MAX_NAMESERVERS)
            .collect();
        let mut dns = Dns {
            server: None,
            server_evidence: Vec::new(),
            service: None,
            cluster: false,
            route: Route::empty(Via::None),
            unreachable: false,
            stopped: false,
        };
        if servers.is_empty() && choice.source.is_none() {
            note(
                &mut self.notes,
                "no input shows the cluster DNS Service, so the nameserver kubelet writes (its --cluster-dns) is \
                 unknown; the queries are answered as the cluster DNS would"
                    .to_string(),
            );
            dns.cluster = true;
            return dns;
        }
        if servers.is_empty() {
            note(
                &mut self.notes,
                "the resolv.conf has no nameserver: glibc and musl then ask 127.0.0.1, the pod itself, whose answers \
                 are unknown"
                    .to_string(),
            );
            dns.server = Some("127.0.0.1".to_string());
            return dns;
        }
        let Some((server, route)) = self.pick_server(&servers, protocol) else {
            return dns;
        };
        if servers.len() > 1 {
            note(
                &mut self.notes,
                format!(
                    "{} nameservers: the queries go to {} and to the others only after a timeout",
                    servers.len(),
                    server.address
                ),
            );
        }
        dns.server = Some(server.address.clone());
        dns.server_evidence = match &choice.source {
            Some(src) if server.line > 0 => vec![Evidence::line(src, server.line)],
            _ => choice.rebuilt_nameserver.clone(),
        };
        let ip = server.address.parse::<IpAddr>().ok();
        let known = ip.and_then(|ip| dns_services.iter().find(|known| known.ip == ip));
        if let Some(known) = known {
            dns.service = Some(known.label.clone());
            push_unique(&mut dns.server_evidence, &known.evidence);
        }
        dns.cluster = self.is_cluster_dns(&server.address, known.is_some(), dns_services);
        dns.route = self.dns_route(&mut dns, (server, ip, protocol), route, known.is_some());
        dns
    }

    /// The first nameserver the node lets through; glibc and Go move to the next one only when a query times out.
    /// With the walk of the queries to it, when a node dump is given.
    fn pick_server<'n>(
        &mut self,
        servers: &[&'n Nameserver],
        protocol: &str,
    ) -> Option<(&'n Nameserver, Option<Route>)> {
        let mut picked: Option<(&Nameserver, Option<Route>)> = None;
        for ns in servers {
            let route = match (self.node, ns.address.parse::<IpAddr>()) {
                (Some(node), Ok(ip)) => Some(walk_node(
                    node,
                    self.from,
                    ip,
                    53,
                    protocol,
                    self.host_network,
                )),
                _ => None,
            };
            // A walk that stopped is not a block: what the node does with the queries is not known.
            let blocked = route
                .as_ref()
                .is_some_and(|r| r.branches.is_empty() && r.stopped.is_none());
            if picked.is_none() {
                picked = Some((ns, route));
                if !blocked {
                    break;
                }
            } else if !blocked {
                note(
                    &mut self.notes,
                    format!(
                        "the node's rules block queries to the first nameserver; after its timeout the resolver \
                         asks {}, which is traced",
                        ns.address
                    ),
                );
                picked = Some((ns, route));
                break;
            }
        }
        picked
    }

    /// Whether the cluster DNS answers at nameserver `address` (`known`: it is the DNS Service's), with a note
    /// saying why.
    fn is_cluster_dns(&mut self, address: &str, known: bool, dns_services: &[DnsService]) -> bool {
        if dns_services.is_empty() {
            note(
                &mut self.notes,
                format!(
                    "no input shows the cluster DNS Service (kube-system/kube-dns); nameserver {address} is taken to \
                     be it"
                ),
            );
            true
        } else if known {
            true
        } else if address == NODE_LOCAL_DNS {
            note(
                &mut self.notes,
                format!(
                    "{NODE_LOCAL_DNS} is NodeLocal DNSCache, which forwards the cluster zone to the cluster DNS"
                ),
            );
            true
        } else {
            note(
                &mut self.notes,
                format!(
                    "nameserver {address} is not the cluster DNS Service ({}): what it answers is unknown",
                    dns_services
                        .iter()
                        .map(|s| format!("{} {}", s.label, s.ip))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            false
        }
    }

    /// Where the node sends the queries to `server` (its address parsed, and the protocol): the walk's branches, or
    /// kubectl's endpoints of the DNS Service when the node's rules do not DNAT it or no node dump is given. Marks
    /// `dns` unreachable or stopped.
    fn dns_route(
        &mut self,
        dns: &mut Dns,
        (server, ip, protocol): (&Nameserver, Option<IpAddr>, &str),
        route: Option<Route>,
        known: bool,
    ) -> Route {
        let inputs = self.inputs;
        let kubectl_route = |notes: &mut Vec<String>, why: &str| -> Option<Route> {
            let info = inputs.service_by_ip(ip?)?;
            let branches = inputs.kubectl_endpoints(&info, 53, protocol)?;
            note(
                notes,
                format!(
                    "{why}: the DNS Service's endpoints come from kubectl, each with an equal share"
                ),
            );
            Some(Route {
                branches,
                ..Route::empty(Via::Kubectl)
            })
        };
        match route {
            Some(route) if route.stopped.is_some() => {
                dns.stopped = true;
                if let Some(stopped) = &route.stopped {
                    note(
                        &mut self.notes,
                        format!(
                            "the walk of the queries to {}:53/{protocol} through the node's rules stopped ({} of \
                             them): {}",
                            server.address,
                            percent(stopped.share),
                            stopped.message
                        ),
                    );
                }
                route
            }
            Some(route) if route.branches.is_empty() => {
                dns.unreachable = true;
                note(
                    &mut self.notes,
                    format!(
                        "the node's rules block queries to {}:53/{protocol}: {}",
                        server.address,
                        route.blocked.clone().unwrap_or_default()
                    ),
                );
                route
            }
            Some(route) if route.branches.iter().all(|b| b.chain.is_none()) && known => {
                let why = format!(
                    "the rules of {} do not DNAT {}:53/{protocol}",
                    self.node.map(|n| n.name.to_string()).unwrap_or_default(),
                    server.address
                );
                kubectl_route(&mut self.notes, &why).unwrap_or_else(|| {
                    note(
                        &mut self.notes,
                        format!("{why}, and no input lists the DNS Service's endpoints"),
                    );
                    route
                })
            }
            Some(route) => route,
            None => kubectl_route(&mut self.notes, "no node dump is given")
                .unwrap_or_else(|| Route::empty(Via::None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::dns::plan::Resolver;
    use crate::evidence::Evidence;
    use crate::trace::{trace, Hop, Request, Status};
    use crate::{Options, Source};

    /// A node whose filter table REJECTs the DNS VIP (kube-proxy's `has no endpoints` rule for kube-dns:dns): no
    /// query is answered. glibc treats the failure as "other" (not NXDOMAIN, NODATA or SERVFAIL), stops walking the
    /// search list and still tries the name as-is (docs/domain/resolvers.md §2, §7 case 3); musl stops at once (§3).
    #[test]
    fn a_rejected_nameserver_answers_nothing() {
        let resolv = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";
        let node = b"*filter\n:KUBE-SERVICES - [0:0]\n\
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns has no endpoints\" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable\n\
COMMIT\n";
        let sources = [
            Source::new("resolv.conf", resolv),
            Source::new("node.txt", node),
        ];
        let ask = |resolver| {
            trace(
                &sources,
                &Request {
                    from: "10.244.0.20".into(),
                    to: "nginx:80".into(),
                    resolver,
                },
                &Options::default(),
            )
        };
        let glibc = ask(Resolver::Glibc);
        assert_eq!(glibc.status, Status::DnsUnreachable);
        let names: Vec<&str> = glibc.lookups.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "nginx.default.svc.cluster.local.",
                "nginx.default.svc.cluster.local.",
                "nginx.",
                "nginx."
            ]
        );
        assert!(glibc
            .lookups
            .iter()
            .all(|l| l.rcode.is_none() && l.failure.is_some() && l.server_endpoints.is_empty()));
        // The REJECT rule is the last hop of each query.
        let rejects: Vec<&Hop> = glibc
            .hops
            .iter()
            .filter(|h| h.label.contains("REJECT"))
            .collect();
        assert_eq!(rejects.len(), 2);
        assert!(rejects
            .iter()
            .all(|h| h.evidence == [Evidence::line(&Arc::from("node.txt"), 3)]));
        assert!(glibc.connection.is_none());
        let musl = ask(Resolver::Musl);
        assert_eq!(musl.status, Status::DnsUnreachable);
        assert_eq!(musl.lookups.len(), 2);
    }
}
