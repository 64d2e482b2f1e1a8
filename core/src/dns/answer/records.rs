//! The records of an answer: a look-up turned into the records of the query type (`backend_lookup.go`), PTR
//! records for reverse names, and the ExternalName targets followed.

use std::collections::BTreeMap;

use super::index::{add_evidence, note};
use super::lookup::{Found, Host, Item};
use super::names::{endpoint_label, hash_label_note, reverse_ip};
use super::{
    Answer, ClusterDns, RData, Rcode, Record, RecordType, Response, Server, MAX_CNAME_DEPTH,
};
use crate::evidence::Evidence;

impl ClusterDns {
    /// Reverse names: PTR for a Service's cluster IP, else for every ready endpoint with that address.
    pub(super) fn reverse(&self, fqdn: &str, labels: &[&str], qtype: RecordType) -> Answer {
        if !self.config.reverse_zones {
            return Answer::Upstream {
                name: fqdn.to_string(),
                reason: "the kubernetes plugin does not serve the reverse zones".to_string(),
            };
        }
        let zone = self.zone.join(".");
        let mut records = Vec::new();
        let mut response = Response::default();
        let mut hidden = false;
        if let Some(ip) = reverse_ip(labels) {
            for ((ns, name), svc) in &self.services {
                for (_, evidence) in svc.cluster_ips.iter().filter(|(known, _)| *known == ip) {
                    records.push((format!("{name}.{ns}.svc.{zone}."), evidence.clone()));
                }
            }
            if records.is_empty() {
                for ((ns, name), eps) in &self.endpoints {
                    for ep in eps.list.iter().filter(|ep| ep.ip == ip) {
                        match ep.ready {
                            Some(false) => continue,
                            Some(true) => {}
                            None => note(
                                &mut response.unsure,
                                format!(
                                    "the input does not show whether endpoint {} is ready",
                                    ep.text
                                ),
                            ),
                        }
                        let Some(label) = endpoint_label(ep, &self.config) else {
                            hidden = true;
                            note(&mut response.unsure, hash_label_note(ep));
                            continue;
                        };
                        records.push((
                            format!("{label}.{name}.{ns}.svc.{zone}."),
                            ep.evidence.clone(),
                        ));
                    }
                }
            }
        }
        if records.is_empty() && hidden {
            return Answer::Cluster(response);
        }
        if records.is_empty() {
            if self.config.reverse_fallthrough {
                return Answer::Upstream {
                    name: fqdn.to_string(),
                    reason: "no Service or endpoint the inputs list has this address; `fallthrough` passes the \
                             name to the next plugin"
                        .to_string(),
                };
            }
            response.rcode = Some(Rcode::NxDomain);
            response.negative_ttl = Some(self.negative_ttl());
            response
                .unsure
                .push("no Service or endpoint the inputs list has this address".to_string());
            return Answer::Cluster(response);
        }
        // One PTR per name (backend_lookup.go `PTR`), with the lines of every object that gives it.
        let mut merged: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
        for (target, evidence) in records {
            add_evidence(merged.entry(target).or_default(), &evidence);
        }
        let records: Vec<(String, Vec<Evidence>)> = merged.into_iter().collect();
        response.rcode = Some(Rcode::NoError);
        for (_, evidence) in &records {
            add_evidence(&mut response.evidence, evidence);
        }
        if qtype == RecordType::Ptr {
            response.answers = records
                .into_iter()
                .map(|(target, evidence)| Record {
                    name: fqdn.to_string(),
                    rtype: RecordType::Ptr,
                    ttl: self.config.ttl,
                    data: RData::Text(target),
                    evidence,
                })
                .collect();
        } else {
            response.negative_ttl = Some(self.negative_ttl());
        }
        response
            .evidence
            .sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
        Answer::Cluster(response)
    }

    /// Turns a look-up into the records of `qtype` (backend_lookup.go).
    pub(super) fn format(
        &self,
        fqdn: &str,
        qtype: RecordType,
        found: Found,
        depth: usize,
    ) -> Response {
        let ttl = self.config.ttl;
        let mut response = Response {
            evidence: found.evidence,
            unsure: found.notes,
            ..Response::default()
        };
        let Some(items) = found.items else {
            response.rcode = (!found.doubtful).then_some(Rcode::NxDomain);
            response.negative_ttl = Some(self.negative_ttl());
            sort_evidence(&mut response.evidence);
            return response;
        };
        response.rcode = Some(Rcode::NoError);
        for item in &items {
            add_evidence(&mut response.evidence, &item.evidence);
        }
        match qtype {
            RecordType::A | RecordType::Aaaa => {
                let want_v4 = qtype == RecordType::A;
                for item in &items {
                    match &item.host {
                        Host::Ip(ip) if ip.is_ipv4() == want_v4 => {
                            if !response
                                .answers
                                .iter()
                                .any(|r| r.data == RData::Address(*ip))
                            {
                                response.answers.push(Record {
                                    name: fqdn.to_string(),
                                    rtype: qtype,
                                    ttl,
                                    data: RData::Address(*ip),
                                    evidence: item.evidence.clone(),
                                });
                            }
                        }
                        Host::Ip(_) => {}
                        Host::Name(target) => {
                            response.answers.push(Record {
                                name: fqdn.to_string(),
                                rtype: RecordType::Cname,
                                ttl,
                                data: RData::Text(target.clone()),
                                evidence: item.evidence.clone(),
                            });
                            self.follow(target, qtype, depth, &mut response);
                        }
                    }
                }
            }
            RecordType::Cname => {
                for item in &items {
                    if let Host::Name(target) = &item.host {
                        response.answers.push(Record {
                            name: fqdn.to_string(),
                            rtype: RecordType::Cname,
                            ttl,
                            data: RData::Text(target.clone()),
                            evidence: item.evidence.clone(),
                        });
                    }
                }
            }
            RecordType::Srv => {
                let mut srv: Vec<(u16, String, &Item)> = Vec::new();
                for item in &items {
                    let Some(port) = item.port else { continue };
                    let target = match &item.host {
                        Host::Ip(_) if item.key.is_empty() => continue,
                        Host::Ip(_) => item.key.clone(),
                        Host::Name(name) => name.clone(),
                    };
                    if !srv.iter().any(|(p, t, _)| *p == port && *t == target) {
                        srv.push((port, target, item));
                    }
                }
                // backend_lookup.go `SRV`: the weight divides 100 by every item found, before duplicates
                // (one per cluster IP of a dual-stack Service) and port-less endpoints are dropped.
                let n = u16::try_from(items.len()).unwrap_or(u16::MAX).max(1);
                let weight = (100 / n).max(1);
                let priority = match self.config.server {
                    Server::CoreDns => 0,
                    Server::KubeDns => 10,
                };
                for (port, target, item) in &srv {
                    response.answers.push(Record {
                        name: fqdn.to_string(),
                        rtype: RecordType::Srv,
                        ttl,
                        data: RData::Srv {
                            priority,
                            weight,
                            port: *port,
                            target: target.clone(),
                        },
                        evidence: item.evidence.clone(),
                    });
                }
                for item in &items {
                    if let Host::Ip(ip) = item.host {
                        let already = response
                            .additional
                            .iter()
                            .any(|r| r.name == item.key && r.data == RData::Address(ip));
                        if item.port.is_some() && !item.key.is_empty() && !already {
                            response.additional.push(Record {
                                name: item.key.clone(),
                                rtype: if ip.is_ipv4() {
                                    RecordType::A
                                } else {
                                    RecordType::Aaaa
                                },
                                ttl,
                                data: RData::Address(ip),
                                evidence: item.evidence.clone(),
                            });
                        }
                    }
                }
                if srv.is_empty() && (found.ports_unknown || items.iter().any(|i| i.key.is_empty()))
                {
                    // Addresses, but SRV depends on ports the input does not show.
                    response.rcode = None;
                }
            }
            _ => {}
        }
        if response.answers.is_empty() {
            response.negative_ttl = Some(self.negative_ttl());
        }
        sort_evidence(&mut response.evidence);
        response
    }

    /// Appends what an ExternalName target resolves to: inside the zone, the plugin's own answer; outside, the
    /// upstream's (unknown).
    fn follow(&self, target: &str, qtype: RecordType, depth: usize, response: &mut Response) {
        if depth >= MAX_CNAME_DEPTH {
            note(
                &mut response.unsure,
                format!("the CNAME chain is longer than {MAX_CNAME_DEPTH} names"),
            );
            return;
        }
        match self.answer_at(target, qtype, depth + 1) {
            Answer::Upstream { name, .. } => {
                response.upstream_target = Some(name);
            }
            Answer::Cluster(inner) => {
                response.answers.extend(inner.answers);
                add_evidence(&mut response.evidence, &inner.evidence);
                for n in inner.unsure {
                    note(&mut response.unsure, n);
                }
                if inner.upstream_target.is_some() {
                    response.upstream_target = inner.upstream_target;
                }
            }
        }
    }
}

/// Evidence in the order of its inputs and places.
pub(super) fn sort_evidence(evidence: &mut [Evidence]) {
    evidence.sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
}
