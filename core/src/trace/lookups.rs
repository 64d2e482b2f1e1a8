//! The lookups: the resolver's candidates sent in its order, each answered as the cluster DNS answers it, and how
//! the lookup ends (an address, a negative answer, upstream, or not known).

use std::net::IpAddr;

use crate::dns::answer::{Answer, ClusterDns, Config, RData, Rcode, RecordType, Response};
use crate::dns::corefile::CorefileDns;
use crate::dns::plan::{self, Outcome, QueryType, Resolver};
use crate::evidence::Evidence;

use super::choose::{corefile_name, ResolvChoice};
use super::hops::{answer_hop, Queries};
use super::inputs::{note, ns_of, services_from_dumps, ServiceInfo};
use super::nameserver::Dns;
use super::run::Tracer;
use super::{Lookup, Status};

/// How one candidate name was answered.
#[derive(Debug, Clone)]
struct CandidateAnswer {
    name: String,
    /// Per query type sent: the answer.
    answers: Vec<(QueryType, Answer)>,
}

/// Why the plan ended before an address or the end of the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Upstream,
    Unknown,
}

/// Who answers the queries that reach the cluster DNS.
enum ClusterAnswers {
    /// kubeadm's `kubernetes` plugin for the zone (no Corefile is given).
    Defaults(ClusterDns),
    /// CoreDNS as the given Corefile configures it.
    Corefile(CorefileDns),
}

impl ClusterAnswers {
    fn answer(&self, name: &str, qtype: RecordType) -> Answer {
        match self {
            ClusterAnswers::Defaults(dns) => dns.answer(name, qtype),
            ClusterAnswers::Corefile(dns) => dns.answer(name, qtype),
        }
    }
}

/// The resolver's plan, run against the answers.
struct Asked {
    walk: plan::Walk,
    /// Every candidate asked, with its answers.
    asked: Vec<CandidateAnswer>,
    /// Why the plan ended early, if it did.
    end: Option<End>,
}

fn addresses(response: &Response) -> Vec<IpAddr> {
    response
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::Address(ip) => Some(*ip),
            _ => None,
        })
        .collect()
}

fn cnames(response: &Response) -> Vec<String> {
    response
        .answers
        .iter()
        .filter(|r| r.rtype == RecordType::Cname)
        .filter_map(|r| match &r.data {
            RData::Text(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The outcome of a candidate's queries taken together (docs/domain/resolvers.md §2–§3): addresses in either answer succeed;
/// NXDOMAIN in either is NXDOMAIN (CoreDNS answers both types alike for a name); otherwise NODATA.
fn classify(answers: &[(QueryType, Answer)]) -> (Outcome, Option<End>) {
    let responses: Vec<Option<&Response>> = answers.iter().map(|(_, a)| a.response()).collect();
    if responses.iter().flatten().any(|r| !addresses(r).is_empty()) {
        return (Outcome::Answer, None);
    }
    let upstream = responses
        .iter()
        .any(|r| r.is_none_or(|r| r.upstream_target.is_some()));
    if upstream {
        return (Outcome::Answer, Some(End::Upstream));
    }
    if responses.iter().flatten().any(|r| r.rcode.is_none()) {
        return (Outcome::Answer, Some(End::Unknown));
    }
    if responses
        .iter()
        .flatten()
        .any(|r| r.rcode == Some(Rcode::NxDomain))
    {
        return (Outcome::NxDomain, None);
    }
    if responses
        .iter()
        .flatten()
        .any(|r| r.rcode == Some(Rcode::Refused))
    {
        return (Outcome::Timeout, None);
    }
    (Outcome::NoData, None)
}

impl Tracer<'_> {
    /// Sends the resolver's queries; returns the address to connect to when the lookup succeeds.
    pub(super) fn lookups(
        &mut self,
        choice: &ResolvChoice,
        zone: &str,
        dns: &Dns,
    ) -> Option<(IpAddr, Option<ServiceInfo>)> {
        let asked = self.ask(choice, zone, dns);
        if asked.walk.queries.is_empty() {
            note(
                &mut self.notes,
                format!("the resolver sends no query for `{}`", self.target.name),
            );
        }
        self.record(&asked, choice, zone, dns);
        self.conclude(&asked, choice, zone, dns)
    }

    /// Runs the resolver's plan, asking the cluster DNS (or an unknown resolver) for each candidate.
    fn ask(&mut self, choice: &ResolvChoice, zone: &str, dns: &Dns) -> Asked {
        let conf = &choice.conf;
        let mut kubernetes = self.inputs.analysis.kubernetes.clone();
        kubernetes.extend(services_from_dumps(self.inputs.analysis, &mut self.notes));
        // With no Service from any input, nothing says what the cluster DNS answers.
        let knows_services = kubernetes
            .iter()
            .any(|k| !k.objects.services.is_empty() || !k.objects.endpoint_slices.is_empty());
        if !knows_services {
            note(
                &mut self.notes,
                "no input lists the cluster's Services (kubectl output or a node dump with rule comments): what the \
                 cluster DNS answers is unknown"
                    .to_string(),
            );
        }
        let cluster = match self.corefile {
            Some(corefile) => {
                note(
                    &mut self.notes,
                    format!(
                        "the cluster DNS answers as {} configures it",
                        corefile_name(corefile)
                    ),
                );
                ClusterAnswers::Corefile(CorefileDns::new(corefile, &kubernetes))
            }
            None => ClusterAnswers::Defaults(ClusterDns::new(
                &kubernetes,
                Config {
                    zone: zone.to_string(),
                    ..Config::default()
                },
            )),
        };
        let types: &[QueryType] = if self.resolver == Resolver::Glibc && conf.options.no_aaaa {
            &[QueryType::A]
        } else {
            &[QueryType::A, QueryType::Aaaa]
        };
        let mut asked: Vec<CandidateAnswer> = Vec::new();
        let mut end: Option<End> = None;
        let walk = plan::walk(self.resolver, &self.target.name, conf, |name| {
            if dns.unreachable || dns.stopped {
                return Outcome::Timeout;
            }
            let answers: Vec<(QueryType, Answer)> = types
                .iter()
                .map(|&q| {
                    let answer = if dns.cluster {
                        match cluster.answer(name, RecordType::from(q)) {
                            Answer::Cluster(_) if !knows_services => Answer::Cluster(Response {
                                unsure: vec!["no input lists the cluster's Services".to_string()],
                                ..Response::default()
                            }),
                            answer => answer,
                        }
                    } else {
                        Answer::Upstream {
                            name: name.to_string(),
                            reason: "the nameserver is not the cluster DNS".to_string(),
                        }
                    };
                    (q, answer)
                })
                .collect();
            let (outcome, stop) = classify(&answers);
            end = stop;
            asked.push(CandidateAnswer {
                name: name.to_string(),
                answers,
            });
            outcome
        });
        Asked { walk, asked, end }
    }

    /// The lookups and their hops, one per query sent.
    fn record(&mut self, asked: &Asked, choice: &ResolvChoice, zone: &str, dns: &Dns) {
        let conf = &choice.conf;
        let node_name = self.node.map(|n| &n.name);
        let queries = Queries {
            name: &self.target.name,
            conf,
            search_evidence: match (&choice.source, conf.search_line) {
                (Some(src), Some(line)) => vec![Evidence::line(src, line)],
                (None, _) => choice.rebuilt_search.clone(),
                _ => Vec::new(),
            },
            ndots_evidence: match (&choice.source, conf.options.line) {
                (Some(src), Some(line)) => vec![Evidence::line(src, line)],
                _ => Vec::new(),
            },
            dns,
            node: node_name,
            protocol: if conf.options.use_vc { "tcp" } else { "udp" },
            zone,
            corefile: self.corefile.is_some(),
        };
        let mut previous_candidate = None;
        for q in &asked.walk.queries {
            let index = self.t.lookups.len();
            let answer = asked
                .asked
                .iter()
                .rev()
                .find(|a| a.name == q.name)
                .and_then(|a| a.answers.iter().find(|(t, _)| *t == q.qtype))
                .map(|(_, a)| a);
            let lookup = lookup_of(q, answer, dns, queries.protocol);
            let first_of_pair = previous_candidate != Some(q.candidate);
            previous_candidate = Some(q.candidate);
            if first_of_pair {
                // Why the cluster DNS passes the candidate on, when it does.
                let passed_on = asked
                    .asked
                    .iter()
                    .rev()
                    .find(|a| a.name == q.name)
                    .and_then(|a| {
                        a.answers.iter().find_map(|(_, a)| match a {
                            Answer::Upstream { reason, .. } => Some(reason.as_str()),
                            Answer::Cluster(_) => None,
                        })
                    });
                queries.candidate_hops(self.inputs, &mut self.t.hops, (index, q), passed_on);
            }
            answer_hop(&mut self.t.hops, index, &lookup, dns);
            self.t.lookups.push(lookup);
        }
    }

    /// How the lookup ended: the trace's status when it failed or cannot tell, else the address to connect to and
    /// the Service behind it.
    fn conclude(
        &mut self,
        asked: &Asked,
        choice: &ResolvChoice,
        zone: &str,
        dns: &Dns,
    ) -> Option<(IpAddr, Option<ServiceInfo>)> {
        let conf = &choice.conf;
        // Negative answers to the candidates before the last one tried.
        let last_candidate = self.t.lookups.last().map(|l| l.candidate);
        let negative = self
            .t
            .lookups
            .iter()
            .filter(|l| Some(l.candidate) != last_candidate)
            .filter(|l| {
                l.rcode == Some(Rcode::NxDomain)
                    || (l.rcode == Some(Rcode::NoError)
                        && l.answers.is_empty()
                        && l.cnames.is_empty())
            })
            .count();
        if dns.stopped {
            self.t.status = Status::Stopped;
            return None;
        }
        if dns.unreachable {
            self.t.status = Status::DnsUnreachable;
            return None;
        }
        match asked.end {
            Some(End::Upstream) => {
                self.t.status = Status::Upstream;
                if negative > 0 {
                    note(
                        &mut self.notes,
                        format!(
                            "{negative} of {} queries are answered negatively before the plan reaches a name \
                             answered upstream: with ndots:{} and {} search domains, a name with fewer than {} dots \
                             is tried with every search domain first",
                            self.t.lookups.len(),
                            conf.options.ndots,
                            conf.search.len(),
                            conf.options.ndots
                        ),
                    );
                }
                self.hint_other_namespace(zone);
                return None;
            }
            Some(End::Unknown) => {
                self.t.status = Status::Unknown;
                note(
                    &mut self.notes,
                    "the inputs do not say enough to decide an answer; the plan stops at the query they leave open"
                        .to_string(),
                );
                return None;
            }
            None => {}
        }
        let Some(name) = asked.walk.answered.clone() else {
            self.t.status = Status::NotFound;
            self.hint_other_namespace(zone);
            return None;
        };
        self.answered(asked, &name, negative, zone)
    }

    /// The address the answer to `name` gives, with notes on the other addresses and the negative answers before.
    fn answered(
        &mut self,
        asked: &Asked,
        name: &str,
        negative: usize,
        zone: &str,
    ) -> Option<(IpAddr, Option<ServiceInfo>)> {
        let last = asked.asked.iter().rev().find(|a| a.name == name);
        let mut all: Vec<IpAddr> = Vec::new();
        for qtype in [QueryType::A, QueryType::Aaaa] {
            if let Some((_, Answer::Cluster(r))) = last
                .into_iter()
                .flat_map(|l| l.answers.iter())
                .find(|(q, _)| *q == qtype)
            {
                all.extend(addresses(r));
            }
        }
        let Some(&ip) = all.first() else {
            self.t.status = Status::Unknown;
            return None;
        };
        if all.len() > 1 {
            note(
                &mut self.notes,
                format!(
                    "{name} has {} addresses; the connection uses the first, {ip} (CoreDNS's loadbalance plugin \
                     shuffles the order in each reply)",
                    all.len()
                ),
            );
        }
        if negative > 0 {
            note(
                &mut self.notes,
                format!(
                    "{negative} of {} queries are answered negatively before {name} answers",
                    self.t.lookups.len()
                ),
            );
        }
        let by_name = last
            .into_iter()
            .flat_map(|l| l.answers.iter())
            .find_map(|(_, a)| a.response().map(cnames))
            .and_then(|c| c.last().cloned())
            .unwrap_or_else(|| name.to_string());
        let service = self
            .inputs
            .service_by_ip(ip)
            .or_else(|| self.inputs.service_by_name(&by_name, zone));
        Some((ip, service))
    }

    /// When a short name is not found from the pod's namespace, says which namespaces have a Service of that name.
    fn hint_other_namespace(&mut self, zone: &str) {
        let target = &self.target;
        let short = target.name.trim_end_matches('.');
        let own = self
            .t
            .resolv_conf
            .as_ref()
            .and_then(|r| r.namespace.as_deref());
        let bare_name_asked = self
            .t
            .lookups
            .last()
            .is_some_and(|l| l.name.trim_end_matches('.').eq_ignore_ascii_case(short));
        if short.contains('.')
            || target.name.ends_with('.')
            || !(bare_name_asked || self.t.status == Status::NotFound)
        {
            return;
        }
        // Services of that name, from kubectl and from the node dumps' rule comments.
        let analysis = self.inputs.analysis;
        let kubectl = analysis
            .kubernetes
            .iter()
            .flat_map(|k| k.objects.services.iter())
            .map(|s| (ns_of(&s.namespace), s.name.to_ascii_lowercase()));
        let dumps = analysis
            .services
            .iter()
            .map(|s| (s.namespace.clone(), s.name.to_ascii_lowercase()));
        let mut places: Vec<String> = Vec::new();
        for (ns, name) in kubectl.chain(dumps) {
            if name.eq_ignore_ascii_case(short) && !ns.is_empty() && Some(ns.as_str()) != own {
                let fqdn = format!("{short}.{ns}.svc.{zone}");
                if !places.contains(&fqdn) {
                    places.push(fqdn);
                }
            }
        }
        if !places.is_empty() {
            note(
                &mut self.notes,
                format!(
                    "a Service named {short} exists in another namespace: ask for {} (or `{short}.<namespace>`)",
                    places.join(" or ")
                ),
            );
        }
    }
}

/// The lookup of query `q`, from its answer (`None`: not asked).
fn lookup_of(q: &plan::Query, answer: Option<&Answer>, dns: &Dns, protocol: &str) -> Lookup {
    let mut lookup = Lookup {
        name: q.name.clone(),
        qtype: q.qtype,
        server: dns.server.clone(),
        server_endpoints: dns.route.branches.clone(),
        rcode: None,
        answers: Vec::new(),
        upstream: false,
        cnames: Vec::new(),
        upstream_target: None,
        failure: None,
        candidate: q.candidate,
        parallel: q.parallel,
        evidence: Vec::new(),
        unsure: Vec::new(),
    };
    match answer {
        _ if dns.unreachable => {
            lookup.failure = Some(format!(
                "no reply: the node's rules block {}:53/{protocol}",
                dns.server.as_deref().unwrap_or("?")
            ));
        }
        _ if dns.stopped => {
            lookup.failure = Some(format!(
                "unknown: the walk of {}:53/{protocol} through the node's rules stopped",
                dns.server.as_deref().unwrap_or("?")
            ));
        }
        Some(Answer::Upstream { reason, .. }) => {
            lookup.upstream = true;
            lookup.unsure.push(reason.clone());
        }
        Some(Answer::Cluster(response)) => {
            lookup.rcode = response.rcode;
            lookup.answers = addresses(response);
            lookup.cnames = cnames(response);
            lookup.upstream_target.clone_from(&response.upstream_target);
            lookup.evidence.clone_from(&response.evidence);
            lookup.unsure.clone_from(&response.unsure);
        }
        None => {
            lookup.failure = Some("not asked".to_string());
        }
    }
    lookup
}
