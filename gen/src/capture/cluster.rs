//! The small cluster the pods ask (namespaces, Services, a headless Service, external names) and the DNS messages
//! of its answers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::Rng;

/// The cluster DNS zone.
pub(super) const ZONE: &str = "cluster.local.";

/// What a server answers for one question.
#[derive(Debug, Clone)]
pub(super) struct Served {
    pub(super) rcode: ResponseCode,
    /// CoreDNS answers for its zone with AA set and RA clear; forwarded answers have AA clear and RA set.
    pub(super) authoritative: bool,
    pub(super) answers: Vec<Record>,
    pub(super) authority: Vec<Record>,
    /// Answered by the upstream resolver (longer latency).
    pub(super) upstream: bool,
}

#[derive(Debug, Clone)]
pub(super) struct ServiceDef {
    pub(super) name: &'static str,
    pub(super) addresses: Vec<IpAddr>,
}

#[derive(Debug, Clone)]
pub(super) struct NamespaceDef {
    pub(super) name: &'static str,
    pub(super) services: Vec<ServiceDef>,
    /// Whether client pods run here.
    pub(super) clients: bool,
}

/// A name outside the cluster and what upstream answers for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct External {
    pub(super) name: &'static str,
    /// CNAME chain before the addresses.
    pub(super) cnames: &'static [&'static str],
    pub(super) a: &'static [&'static str],
    pub(super) aaaa: &'static [&'static str],
}

pub(super) const EXTERNAL: &[External] = &[
    External {
        name: "www.example.com.",
        cnames: &[],
        a: &["93.184.215.14"],
        aaaa: &["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    },
    External {
        name: "api.github.com.",
        cnames: &[],
        a: &["140.82.121.6"],
        aaaa: &[],
    },
    External {
        name: "registry-1.docker.io.",
        cnames: &[],
        a: &["54.236.113.205", "54.227.20.253", "3.219.239.5"],
        aaaa: &["2600:1f18:2148:bc00:cfd9:b6a5:e4d3:9b43"],
    },
    External {
        name: "sts.amazonaws.com.",
        cnames: &[],
        a: &["209.54.177.164"],
        aaaa: &[],
    },
    External {
        name: "storage.googleapis.com.",
        cnames: &[],
        a: &["142.250.185.187", "142.250.185.219"],
        aaaa: &["2a00:1450:4001:82b::201b"],
    },
    External {
        name: "login.microsoftonline.com.",
        cnames: &[
            "login.mso.msidentity.com.",
            "ak.privatelink.msidentity.com.",
        ],
        a: &["20.190.151.7", "20.190.151.68"],
        aaaa: &[],
    },
    External {
        name: "pypi.org.",
        cnames: &[],
        a: &["151.101.0.223", "151.101.64.223"],
        aaaa: &["2a04:4e42::223"],
    },
];

/// Short names that exist nowhere: every candidate gets NXDOMAIN.
pub(super) const MISSING: &[&str] = &["nginx", "redis-master", "elasticsearch", "vault", "mysql"];

/// The large headless Service: its A answer does not fit in 512 bytes.
pub(super) const HEADLESS: (&str, &str) = ("kafka", "data");

#[derive(Debug, Clone)]
pub(super) struct Cluster {
    pub(super) namespaces: Vec<NamespaceDef>,
    pub(super) vip: IpAddr,
    pub(super) coredns: [IpAddr; 2],
    pub(super) soa: Record,
}

pub(super) fn name(s: &str) -> Name {
    // Every name here is built from fixed labels or from a config's names; a bad one becomes the root.
    Name::from_ascii(s).unwrap_or_else(|_| Name::root())
}

pub(super) fn soa_record(
    owner: &str,
    ttl: u32,
    mname: &str,
    rname: &str,
    serial: u32,
    times: [u32; 4],
) -> Record {
    let [refresh, retry, expire, minimum] = times;
    Record::from_rdata(
        name(owner),
        ttl,
        RData::SOA(SOA::new(
            name(mname),
            name(rname),
            serial,
            refresh as i32,
            retry as i32,
            expire as i32,
            minimum,
        )),
    )
}

impl Cluster {
    pub(super) fn new(ipv6: bool, rng: &mut Rng) -> Self {
        let service_ip = |n: u32| -> IpAddr {
            if ipv6 {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x96, 0, 0, 0, 0, n as u16))
            } else {
                IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 96, 0, 0)) + n))
            }
        };
        let mut used = std::collections::BTreeSet::from([1, 10]);
        let mut next_ip = |rng: &mut Rng| loop {
            // 10.96.0.0/12 has room; keep to the first /16 as small clusters do.
            let n = 2 + rng.below(65_000) as u32;
            if used.insert(n) {
                break service_ip(n);
            }
        };
        let spec: &[(&str, &[&str], bool)] = &[
            ("default", &["kubernetes", "web", "api", "redis"], true),
            ("payments", &["api", "ledger", "postgres"], true),
            ("checkout", &["cart", "api", "worker"], true),
            ("catalog", &["search", "db"], true),
            (
                "monitoring",
                &["prometheus", "grafana", "alertmanager"],
                true,
            ),
            ("data", &["kafka", "zookeeper"], true),
            ("kube-system", &["kube-dns", "metrics-server"], false),
        ];
        let mut namespaces = Vec::new();
        for &(ns, services, clients) in spec {
            let mut defs = Vec::new();
            for &svc in services {
                let addresses = match (ns, svc) {
                    ("default", "kubernetes") => vec![service_ip(1)],
                    ("kube-system", "kube-dns") => vec![service_ip(10)],
                    (n, s) if (s, n) == HEADLESS => (0..40u16)
                        .map(|i| {
                            let node = 1 + i % 4;
                            let host = 10 + i / 4 * 7 + i % 3;
                            if ipv6 {
                                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, node, 0, 0, 0, host))
                            } else {
                                IpAddr::V4(Ipv4Addr::new(10, 244, node as u8, host as u8))
                            }
                        })
                        .collect(),
                    _ => vec![next_ip(rng)],
                };
                defs.push(ServiceDef {
                    name: svc,
                    addresses,
                });
            }
            namespaces.push(NamespaceDef {
                name: ns,
                services: defs,
                clients,
            });
        }
        let coredns = if ipv6 {
            [
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 2)),
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 3)),
            ]
        } else {
            [
                IpAddr::V4(Ipv4Addr::new(10, 244, 0, 2)),
                IpAddr::V4(Ipv4Addr::new(10, 244, 0, 3)),
            ]
        };
        Self {
            namespaces,
            vip: service_ip(10),
            coredns,
            soa: soa_record(
                ZONE,
                5,
                "ns.dns.cluster.local.",
                "hostmaster.cluster.local.",
                1_714_550_400,
                [7200, 1800, 86400, 5],
            ),
        }
    }

    pub(super) fn namespace(&self, ns: &str) -> Option<&NamespaceDef> {
        self.namespaces.iter().find(|n| n.name == ns)
    }

    /// What CoreDNS answers for `qname` (lower case, fully qualified) and `qtype` (A or AAAA).
    pub(super) fn serve(&self, qname: &str, qtype: RecordType) -> Served {
        let cluster = |rcode, answers: Vec<Record>, soa: bool| Served {
            rcode,
            authoritative: true,
            answers,
            authority: if soa {
                vec![self.soa.clone()]
            } else {
                Vec::new()
            },
            upstream: false,
        };
        if qname == ZONE || qname == "svc.cluster.local." {
            return cluster(ResponseCode::NoError, Vec::new(), true);
        }
        if let Some(rest) = qname.strip_suffix(".svc.cluster.local.") {
            let labels: Vec<&str> = rest.split('.').collect();
            return match labels[..] {
                [ns] if self.namespace(ns).is_some() => {
                    cluster(ResponseCode::NoError, Vec::new(), true)
                }
                [svc, ns] => match self
                    .namespace(ns)
                    .and_then(|n| n.services.iter().find(|s| s.name == svc))
                {
                    Some(service) => {
                        let records: Vec<Record> = service
                            .addresses
                            .iter()
                            .filter_map(|ip| match (ip, qtype) {
                                (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(*v4))),
                                (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(*v6))),
                                _ => None,
                            })
                            .map(|rdata| Record::from_rdata(name(qname), 5, rdata))
                            .collect();
                        let soa = records.is_empty();
                        cluster(ResponseCode::NoError, records, soa)
                    }
                    None => cluster(ResponseCode::NXDomain, Vec::new(), true),
                },
                _ => cluster(ResponseCode::NXDomain, Vec::new(), true),
            };
        }
        if qname.ends_with(".cluster.local.") {
            return cluster(ResponseCode::NXDomain, Vec::new(), true);
        }
        // Forwarded upstream.
        let upstream = |rcode, answers, authority| Served {
            rcode,
            authoritative: false,
            answers,
            authority,
            upstream: true,
        };
        let parent = |n: &str| -> String {
            let labels: Vec<&str> = n.trim_end_matches('.').split('.').collect();
            let keep = labels.len().min(2);
            format!("{}.", labels[labels.len() - keep..].join("."))
        };
        let zone_soa = |zone: &str| {
            soa_record(
                zone,
                300,
                &format!("ns1.{zone}"),
                &format!("hostmaster.{zone}"),
                2_024_050_101,
                [7200, 3600, 1_209_600, 300],
            )
        };
        match EXTERNAL.iter().find(|e| e.name == qname) {
            Some(e) => {
                let mut answers = Vec::new();
                let mut owner = e.name;
                for &target in e.cnames {
                    answers.push(Record::from_rdata(
                        name(owner),
                        300,
                        RData::CNAME(CNAME(name(target))),
                    ));
                    owner = target;
                }
                let addresses: Vec<RData> = match qtype {
                    RecordType::A => {
                        e.a.iter()
                            .filter_map(|a| a.parse().ok().map(|ip| RData::A(A(ip))))
                            .collect()
                    }
                    _ => e
                        .aaaa
                        .iter()
                        .filter_map(|a| a.parse().ok().map(|ip| RData::AAAA(AAAA(ip))))
                        .collect(),
                };
                if addresses.is_empty() {
                    // NODATA: the CNAMEs, and the SOA of the zone that holds the last name.
                    upstream(
                        ResponseCode::NoError,
                        answers,
                        vec![zone_soa(&parent(owner))],
                    )
                } else {
                    answers.extend(
                        addresses
                            .into_iter()
                            .map(|rdata| Record::from_rdata(name(owner), 60, rdata)),
                    );
                    upstream(ResponseCode::NoError, answers, Vec::new())
                }
            }
            None => {
                let labels = qname.trim_end_matches('.').split('.').count();
                let soa = if labels <= 1 {
                    soa_record(
                        ".",
                        86400,
                        "a.root-servers.net.",
                        "nstld.verisign-grs.com.",
                        2_024_050_100,
                        [1800, 900, 604_800, 86400],
                    )
                } else {
                    zone_soa(&parent(qname))
                };
                upstream(ResponseCode::NXDomain, Vec::new(), vec![soa])
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// DNS messages

/// A query message.
pub(super) fn query_message(id: u16, qname: &str, qtype: RecordType, edns: bool) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(name(qname), qtype));
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    m.to_vec().unwrap_or_default()
}

/// A response message, truncated as CoreDNS truncates (the records that fit, TC set) when it is longer than
/// `limit`. Returns the bytes, whether TC is set and how many answer records it holds.
pub(super) fn response_message(
    id: u16,
    qname: &str,
    qtype: RecordType,
    served: &Served,
    edns: bool,
    limit: usize,
) -> (Vec<u8>, bool, usize) {
    let mut m = Message::new(id, MessageType::Response, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.metadata.authoritative = served.authoritative;
    m.metadata.recursion_available = !served.authoritative;
    m.metadata.response_code = served.rcode;
    m.add_query(Query::query(name(qname), qtype));
    m.add_answers(served.answers.iter().cloned());
    m.add_authorities(served.authority.iter().cloned());
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        m.set_edns(e);
    }
    let bytes = m.to_vec().unwrap_or_default();
    if bytes.len() <= limit {
        return (bytes, false, m.answers.len());
    }
    m.metadata.truncation = true;
    m.authorities.clear();
    while m.answers.pop().is_some() {
        let bytes = m.to_vec().unwrap_or_default();
        if bytes.len() <= limit {
            return (bytes, true, m.answers.len());
        }
    }
    (m.to_vec().unwrap_or_default(), true, 0)
}
