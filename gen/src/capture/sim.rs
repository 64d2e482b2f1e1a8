//! The simulation: the pods with their resolvers and `resolv.conf`, the lookups they start, and each UDP exchange
//! with its faults.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use dnatlas_core::dns::plan::{self, Outcome, Resolver};
use dnatlas_core::source::resolv_conf::{self, ResolvConf};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use super::cluster::{
    query_message, response_message, Cluster, NamespaceDef, Served, EXTERNAL, HEADLESS, MISSING,
};
use super::script::{parse_clock, parse_date};
use super::{CaptureConfig, Packet, TcpSegment, MS, US};
use crate::Rng;

/// A client pod.
#[derive(Debug, Clone)]
pub(super) struct Pod {
    pub(super) ip: IpAddr,
    pub(super) mac: [u8; 6],
    pub(super) namespace: &'static str,
    pub(super) resolver: Resolver,
    /// Whether its resolver retries a truncated answer over TCP.
    pub(super) tcp_fallback: bool,
    /// Whether its application asks for IPv4 addresses only (glibc: A queries alone).
    pub(super) a_only: bool,
    pub(super) conf: Arc<ResolvConf>,
    pub(super) device: Arc<str>,
    pub(super) ifindex: u32,
    pub(super) interface: u32,
}

/// A reply the client accepted.
#[derive(Debug, Clone, Copy)]
pub(super) struct Got {
    pub(super) time: u64,
    pub(super) rcode: ResponseCode,
    pub(super) records: bool,
    pub(super) truncated: bool,
}

pub(super) fn combine(got: &[Option<Got>]) -> Outcome {
    if got.iter().flatten().any(|g| g.records) {
        return Outcome::Answer;
    }
    match got.iter().flatten().next().map(|g| g.rcode) {
        Some(ResponseCode::NXDomain) => Outcome::NxDomain,
        Some(ResponseCode::NoError) => Outcome::NoData,
        Some(ResponseCode::ServFail) => Outcome::ServFail,
        _ => Outcome::Timeout,
    }
}

/// The MAC address the Kubernetes bridge plugin gives a pod's interface: `0a:58` and the IPv4 address (the
/// last four bytes of an IPv6 one).
pub(super) fn mac_of(ip: IpAddr) -> [u8; 6] {
    let b = match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(v6) => {
            let o = v6.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x0a, 0x58, b[0], b[1], b[2], b[3]]
}

/// The bridge's own MAC address (the pods' gateway).
pub(super) const GATEWAY_MAC: [u8; 6] = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01];

#[derive(Debug)]
pub(super) struct Sim {
    pub(super) config: CaptureConfig,
    pub(super) rng: Rng,
    pub(super) cluster: Cluster,
    pub(super) pods: Vec<Pod>,
    pub(super) buffer: BTreeMap<(u64, u64), Packet>,
    pub(super) sequence: u64,
    pub(super) next_start: u64,
    pub(super) lookups: u64,
}

/// Where a packet goes and when: between pod `pod`'s socket `port` and port 53 of `server`, at `time`, sent by the
/// pod (`to_server`) or to it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leg {
    pub(super) pod: usize,
    pub(super) port: u16,
    pub(super) server: IpAddr,
    pub(super) time: u64,
    pub(super) to_server: bool,
}

/// One DNS query: its id, name and type, and whether it carries an EDNS0 OPT record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask<'a> {
    pub(super) id: u16,
    pub(super) qname: &'a str,
    pub(super) qtype: RecordType,
    pub(super) edns: bool,
}

impl Sim {
    pub(super) fn new(config: &CaptureConfig) -> Result<Self, String> {
        let midnight = parse_date(&config.date)?;
        let start = midnight + parse_clock(&config.start)?;
        let mut rng = Rng::new(config.seed);
        let cluster = Cluster::new(config.ipv6, &mut rng);
        let client_namespaces: Vec<&'static str> = cluster
            .namespaces
            .iter()
            .filter(|n| n.clients)
            .map(|n| n.name)
            .collect();
        let weights = [config.glibc, config.musl, config.go];
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 && config.script.is_empty() {
            return Err("the resolver weights (glibc, musl, go) are all 0".to_string());
        }
        let mut pods = Vec::new();
        for i in 0..config.pods.max(1) {
            let namespace = client_namespaces[(i as usize) % client_namespaces.len()];
            let node = 1 + (i / 200) as u16;
            let host = 20 + (i % 200) as u16;
            let ip = if config.ipv6 {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0x10, 0x244, node, 0, 0, 0, host))
            } else {
                IpAddr::V4(Ipv4Addr::new(10, 244, node as u8, host as u8))
            };
            let mut pick = rng.below(total.max(1));
            let mut resolver = Resolver::Glibc;
            for (w, r) in weights
                .iter()
                .zip([Resolver::Glibc, Resolver::Musl, Resolver::Go])
            {
                if pick < u64::from(*w) {
                    resolver = r;
                    break;
                }
                pick -= u64::from(*w);
            }
            let tcp_fallback = resolver != Resolver::Musl || rng.unit() < config.tcp_fallback;
            let a_only = resolver == Resolver::Glibc && rng.unit() < config.a_only;
            let mut search = vec![
                format!("{namespace}.svc.cluster.local"),
                "svc.cluster.local".to_string(),
                "cluster.local".to_string(),
            ];
            for d in &config.node_search {
                if !search.contains(d) {
                    search.push(d.clone());
                }
            }
            let text = format!(
                "search {}\nnameserver {}\noptions ndots:5\n",
                search.join(" "),
                cluster.vip
            );
            let conf = Arc::new(resolv_conf::parse(text.as_bytes()).value);
            let interface = u32::from(config.second_link.is_some() && i % 2 == 1);
            pods.push(Pod {
                ip,
                mac: mac_of(ip),
                namespace,
                resolver,
                tcp_fallback,
                a_only,
                conf,
                device: format!("veth{:08x}", rng.next_u64() as u32).into(),
                ifindex: 5 + i,
                interface,
            });
        }
        Ok(Self {
            config: config.clone(),
            rng,
            cluster,
            pods,
            buffer: BTreeMap::new(),
            sequence: 0,
            next_start: start,
            lookups: 0,
        })
    }

    pub(super) fn push(&mut self, packet: Packet) {
        self.sequence += 1;
        self.buffer.insert((packet.time_ns, self.sequence), packet);
    }

    /// Uniform in `lo..hi` nanoseconds.
    pub(super) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.rng.below(hi.saturating_sub(lo).max(1))
    }

    /// Log-uniform in `lo..hi` nanoseconds: most values near `lo`, a long tail.
    pub(super) fn log_between(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1)) as f64, (hi.max(lo + 1)) as f64);
        (l * (h / l).powf(self.rng.unit())) as u64
    }

    pub(super) fn port(&mut self) -> u16 {
        // Linux's default ephemeral range, 32768–60999.
        32768 + self.rng.below(28232) as u16
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.unit() < p
    }

    /// A packet of `leg` carrying `payload` (over TCP with the segment `tcp`), which completes `dns_messages`
    /// DNS messages.
    pub(super) fn packet(
        &mut self,
        leg: Leg,
        tcp: Option<TcpSegment>,
        payload: Vec<u8>,
        dns_messages: u32,
    ) -> Packet {
        let Leg {
            pod,
            port,
            server,
            time,
            to_server,
        } = leg;
        let p = &self.pods[pod];
        let client = SocketAddr::new(p.ip, port);
        let server = SocketAddr::new(server, 53);
        let (src, dst, src_mac, dst_mac) = if to_server {
            (client, server, p.mac, GATEWAY_MAC)
        } else {
            (server, client, GATEWAY_MAC, p.mac)
        };
        let (device, ifindex, interface) = (p.device.clone(), p.ifindex, p.interface);
        Packet {
            time_ns: time,
            interface,
            device,
            ifindex,
            outgoing: !to_server,
            src,
            dst,
            src_mac,
            dst_mac,
            ip_id: self.rng.next_u64() as u16,
            ttl: if to_server { 64 } else { 63 },
            // Linux sets DF on TCP and on the CoreDNS replies; glibc's and musl's UDP queries go without it.
            dont_fragment: tcp.is_some() || !to_server,
            tcp,
            payload,
            dns_messages,
        }
    }

    /// How long the server takes to answer.
    pub(super) fn latency(&mut self, served: &Served) -> u64 {
        if served.upstream {
            self.log_between(5 * MS, 50 * MS)
        } else {
            self.log_between(100 * US, 2 * MS)
        }
    }

    /// What the server answers for one query, with the configured faults.
    pub(super) fn served(&mut self, qname: &str, qtype: RecordType) -> Served {
        let mut served = self.cluster.serve(&qname.to_ascii_lowercase(), qtype);
        if served.upstream && self.chance(self.config.servfail) {
            served = Served {
                rcode: ResponseCode::ServFail,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                upstream: true,
            };
        } else if self.chance(self.config.refused) {
            served = Served {
                rcode: ResponseCode::Refused,
                authoritative: false,
                answers: Vec::new(),
                authority: Vec::new(),
                upstream: false,
            };
        }
        served
    }

    /// One UDP query from pod `pod`'s socket `port`, sent at `time`, and what happens to it; returns the reply the
    /// client accepts, if any.
    pub(super) fn udp_exchange(
        &mut self,
        pod: usize,
        port: u16,
        time: u64,
        ask: Ask<'_>,
    ) -> Option<Got> {
        let Ask {
            id,
            qname,
            qtype,
            edns,
        } = ask;
        let vip = self.cluster.vip;
        let query = query_message(id, qname, qtype, edns);
        let leg = Leg {
            pod,
            port,
            server: vip,
            time,
            to_server: true,
        };
        let packet = self.packet(leg, None, query, 1);
        self.push(packet);
        if self.chance(self.config.query_loss) {
            return None;
        }
        let served = self.served(qname, qtype);
        let at = time + self.latency(&served);
        let limit = if edns { 1232 } else { 512 };
        let (reply, truncated, kept) = response_message(id, qname, qtype, &served, edns, limit);
        if self.chance(self.config.reply_loss) {
            return None;
        }
        let wrong = self.chance(self.config.wrong_source);
        let from = if wrong {
            self.cluster.coredns[self.rng.below(2) as usize]
        } else {
            vip
        };
        let leg = Leg {
            pod,
            port,
            server: from,
            time: at,
            to_server: false,
        };
        let packet = self.packet(leg, None, reply, 1);
        self.push(packet);
        if wrong {
            return None;
        }
        Some(Got {
            time: at,
            rcode: served.rcode,
            records: kept > 0,
            truncated,
        })
    }

    /// Whether the next lookup should run, given how many packets are written or waiting.
    pub(super) fn wants_lookup(&self, emitted: u64) -> bool {
        let (packets, lookups) = (self.config.packets, self.config.lookups);
        let lookups = if packets == 0 && lookups == 0 {
            1000
        } else {
            lookups
        };
        (lookups == 0 || self.lookups < lookups)
            && (packets == 0 || emitted + (self.buffer.len() as u64) < packets)
    }

    /// Picks a pod and a name and runs the lookup.
    pub(super) fn run_lookup(&mut self) {
        let start = self.next_start;
        let gap = -(1.0 - self.rng.unit()).ln() / self.config.rate.max(1e-3);
        self.next_start += ((gap * 1e9) as u64).max(US);
        self.lookups += 1;
        let pod = self.rng.below(self.pods.len() as u64) as usize;
        let name = self.pick_name(pod);
        self.lookup(pod, &name, start);
    }

    /// A name a pod in its namespace would look up.
    pub(super) fn pick_name(&mut self, pod: usize) -> String {
        let own = self.pods[pod].namespace;
        if self.chance(self.config.truncation) {
            let (svc, ns) = HEADLESS;
            return if own == ns {
                svc.to_string()
            } else {
                format!("{svc}.{ns}")
            };
        }
        let mix = &self.config.names;
        let weights = [
            mix.own,
            mix.other_namespace,
            mix.full_name,
            mix.rooted,
            mix.external,
            mix.missing,
        ];
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut roll = self.rng.below(total.max(1));
        let mut kind = 0;
        for (i, &w) in weights.iter().enumerate() {
            if roll < u64::from(w) {
                kind = i;
                break;
            }
            roll -= u64::from(w);
        }
        let pick_ns = |rng: &mut Rng, cluster: &Cluster| {
            let clients: Vec<&NamespaceDef> =
                cluster.namespaces.iter().filter(|n| n.clients).collect();
            clients[rng.below(clients.len() as u64) as usize].name
        };
        let service_in = |rng: &mut Rng, cluster: &Cluster, ns: &str| {
            let services: Vec<&'static str> = cluster
                .namespace(ns)
                .map(|n| {
                    n.services
                        .iter()
                        .map(|s| s.name)
                        .filter(|&s| (s, ns) != HEADLESS)
                        .collect()
                })
                .unwrap_or_default();
            services
                .get(rng.below(services.len().max(1) as u64) as usize)
                .copied()
                .unwrap_or("kubernetes")
        };
        match kind {
            // A Service in the pod's own namespace, by its short name: found at the first candidate.
            0 => service_in(&mut self.rng, &self.cluster, own).to_string(),
            // `svc.ns`: NXDOMAIN for `svc.ns.<own>.svc.cluster.local`, then found.
            1 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!("{}.{ns}", service_in(&mut self.rng, &self.cluster, ns))
            }
            // The full name without the trailing dot (4 dots < ndots 5): the search list first.
            2 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!(
                    "{}.{ns}.svc.cluster.local",
                    service_in(&mut self.rng, &self.cluster, ns)
                )
            }
            // The full name with the trailing dot: asked as it is.
            3 => {
                let ns = pick_ns(&mut self.rng, &self.cluster);
                format!(
                    "{}.{ns}.svc.cluster.local.",
                    service_in(&mut self.rng, &self.cluster, ns)
                )
            }
            // A name outside the cluster: NXDOMAIN through the search list, then upstream.
            4 => {
                let e = EXTERNAL[self.rng.below(EXTERNAL.len() as u64) as usize];
                e.name.trim_end_matches('.').to_string()
            }
            // A name that exists nowhere.
            _ => MISSING[self.rng.below(MISSING.len() as u64) as usize].to_string(),
        }
    }

    /// One lookup: the resolver's walk over the candidates, each exchanged on the wire.
    pub(super) fn lookup(&mut self, pod: usize, qname: &str, start: u64) {
        let conf = self.pods[pod].conf.clone();
        let resolver = self.pods[pod].resolver;
        let mut t = start;
        plan::walk(resolver, qname, &conf, |candidate| {
            let (outcome, end) = match resolver {
                Resolver::Glibc => self.glibc(pod, candidate, t, &conf),
                // busybox nslookup's exchange (A and AAAA at once from one socket) is musl's.
                Resolver::Musl | Resolver::Busybox => self.musl(pod, candidate, t, &conf),
                Resolver::Go => self.go(pod, candidate, t, &conf),
            };
            t = end + self.between(5 * US, 60 * US);
            outcome
        });
    }
}
