//! The trace player's data: the pods a trace can start from, the trace itself, and the steps the player animates
//! over a focused map (the client, the DNS Service and the target Service).
//!
//! `dnatlas_core::trace` follows the first branch of every probabilistic fork; the player follows the branch a
//! seeded roll picks instead (weighted by the branches' shares), so a "re-roll" is a new seed. The steps are a pure
//! function of the trace and the seed: the trace's hops name their rules and each branch its jump and DNAT rules,
//! so no label is read apart.

use dnatlas_core::simulate::netfilter::Action;
use dnatlas_core::trace::{Branch, Connection, Hop, HopKind, Request as TraceRequest, Trace, Via};
use dnatlas_core::Evidence;

use super::Session;
use crate::layout::{address, percent};
use crate::protocol::trace::{
    Client, Fork, ForkBranch, Query, Scene, SceneBox, SceneEdge, Step, View,
};

/// The clients the inputs name: kubectl pods with IPs (`ns/name`), then the capture's clients, each IP once.
pub fn clients(session: &Session) -> Vec<Client> {
    let Some(analysis) = session.analysis() else {
        return Vec::new();
    };
    let mut out: Vec<Client> = Vec::new();
    let mut push = |ip: &str, label: String| {
        if !ip.is_empty() && !out.iter().any(|c| c.ip == ip) {
            out.push(Client {
                ip: ip.to_string(),
                label,
            });
        }
    };
    for input in &analysis.kubernetes {
        for pod in &input.objects.pods {
            if pod.host_network == Some(true) {
                continue;
            }
            for ip in &pod.ips {
                let label = match &pod.namespace {
                    Some(ns) => format!("{ns}/{}", pod.name),
                    None => pod.name.clone(),
                };
                push(ip, label);
            }
        }
    }
    if let Some(captures) = &analysis.captures {
        // A lookup's client is its address, without the port (which changes per candidate).
        for lookup in &captures.lookups {
            let ip = lookup.client.as_str();
            push(ip, format!("{ip} (capture)"));
        }
    }
    out
}

/// Traces one name and lays out its steps.
pub fn query(session: &Session, q: &Query) -> View {
    let empty: &[u8] = &[];
    let sources: Vec<dnatlas_core::Source<'_>> = session
        .specs()
        .iter()
        .map(|spec| dnatlas_core::Source {
            name: &spec.name,
            bytes: session.bytes_of(&spec.name).unwrap_or(empty),
            kind: spec.kind,
        })
        .collect();
    let request = TraceRequest {
        from: q.from.clone(),
        to: q.to.clone(),
        resolver: q.resolver,
    };
    let options = dnatlas_core::Options::default();
    let trace = match session.analysis() {
        Some(analysis) => {
            dnatlas_core::trace::trace_analyzed(&sources, analysis, &request, &options)
        }
        None => dnatlas_core::trace::trace(&sources, &request, &options),
    };
    let (scene, steps) = play(&trace, q.seed);
    View {
        trace,
        steps,
        scene,
        seed: q.seed,
    }
}

/// A number in `[0, 1)` from a seed and a fork's place (splitmix64).
pub fn roll(seed: u64, fork: u64) -> f64 {
    let mut z = seed
        .wrapping_add(fork.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The branch a roll `u` picks, by cumulative share (the last one when shares do not add up to `u`).
pub fn pick(branches: &[Branch], u: f64) -> usize {
    let total: f64 = branches.iter().map(|b| b.probability.max(0.0)).sum();
    let mut acc = 0.0;
    for (i, b) in branches.iter().enumerate() {
        acc += b.probability.max(0.0);
        if u * total < acc {
            return i;
        }
    }
    branches.len().saturating_sub(1)
}

const COL: [f64; 5] = [16.0, 236.0, 476.0, 716.0, 996.0];
const W: f64 = 200.0;
const ROW: f64 = 50.0;

struct Builder {
    scene: Scene,
}

impl Builder {
    fn add(&mut self, class: &str, col: usize, y: f64, title: String, subtitle: String) -> usize {
        self.scene.boxes.push(SceneBox {
            class: class.to_string(),
            x: COL.get(col).copied().unwrap_or(16.0),
            y,
            title,
            subtitle,
        });
        self.scene.boxes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, label: String) {
        self.scene.edges.push(SceneEdge { from, to, label });
    }
}

fn branch_label(b: &Branch) -> String {
    let at = address(&b.ip, b.port);
    match &b.chain {
        Some(chain) => format!("{at} via {chain}"),
        None => at,
    }
}

/// Where a fork's branches are drawn and which one the roll follows.
struct ForkPlan<'a> {
    branches: &'a [Branch],
    boxes: Vec<usize>,
    chosen: usize,
}

impl ForkPlan<'_> {
    fn fork(&self) -> Option<Fork> {
        (self.branches.len() > 1).then(|| Fork {
            branches: self
                .branches
                .iter()
                .zip(&self.boxes)
                .map(|(b, at)| ForkBranch {
                    label: branch_label(b),
                    share: percent(b.probability),
                    at: *at,
                    evidence: b.evidence.clone(),
                })
                .collect(),
            chosen: self.chosen,
        })
    }

    fn chosen_box(&self) -> Option<usize> {
        self.boxes.get(self.chosen).copied()
    }

    fn chosen_branch(&self) -> Option<&Branch> {
        self.branches.get(self.chosen)
    }
}

/// The chain of a rule hop.
fn rule_chain(hop: &Hop) -> Option<&str> {
    hop.rule.as_ref().map(|r| r.chain.as_str())
}

/// Whether `chain` is a Service's chain (the cluster IP's, the local endpoints', the external or firewall one).
fn is_service_chain(chain: &str) -> bool {
    ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-"]
        .iter()
        .any(|p| chain.starts_with(p))
}

/// Rewrites the hops of one fork (the jump to the first branch, its DNAT, the pod it ends at) for the chosen
/// branch, and places each step in the scene.
fn fork_steps(
    hops: &[&Hop],
    plan: &ForkPlan<'_>,
    (vip, chain): (usize, usize),
    node: Option<&str>,
    out: &mut Vec<Step>,
) {
    let first = plan.branches.first();
    let first_chain = first.and_then(|b| b.chain.as_deref());
    let chosen = plan.chosen_branch();
    let mut forked = false;
    for hop in hops {
        let mut step = Step {
            kind: hop.kind,
            label: hop.label.clone(),
            evidence: hop.evidence.clone(),
            at: vip,
            fork: None,
        };
        match hop.kind {
            HopKind::NetfilterRule => {
                let subject = rule_chain(hop);
                let is_jump_to_first = first_chain.is_some_and(|c| {
                    hop.rule
                        .as_ref()
                        .is_some_and(|r| matches!(&r.action, Action::Jump { chain } if chain == c))
                });
                let is_first_dnat = first_chain.is_some_and(|c| subject == Some(c));
                if is_jump_to_first {
                    // The chosen branch's own jump rule, from the trace.
                    if let Some(b) = chosen.filter(|b| b.chain.as_deref() != first_chain) {
                        match (&b.jump, b.chain.as_deref()) {
                            (Some(jump), _) => {
                                step.label = jump.label();
                                step.evidence = node
                                    .map(|n| Evidence::line(&n.into(), jump.line))
                                    .into_iter()
                                    .collect();
                            }
                            (None, Some(c)) => {
                                step.label = format!("nat {}: jump {c}", subject.unwrap_or(""));
                                step.evidence = Vec::new();
                            }
                            (None, None) => {}
                        }
                    }
                    step.at = chain;
                    step.fork = plan.fork();
                    forked = true;
                } else if is_first_dnat {
                    if let Some(b) = chosen.filter(|b| b.chain.as_deref() != first_chain) {
                        step.label = match &b.dnat {
                            Some(dnat) => dnat.label(),
                            None => format!(
                                "nat {}: DNAT {}",
                                b.chain.as_deref().unwrap_or("?"),
                                address(&b.ip, b.port)
                            ),
                        };
                        step.evidence = b.evidence.clone();
                    }
                    step.at = plan.chosen_box().unwrap_or(chain);
                } else if subject.is_some_and(is_service_chain) {
                    step.at = chain;
                } else {
                    step.at = vip;
                }
            }
            HopKind::CorednsPod | HopKind::Endpoint => {
                if let Some(b) = chosen {
                    if plan.chosen != 0 {
                        let n = plan.branches.len();
                        step.label = if hop.kind == HopKind::Endpoint {
                            format!(
                                "{} via {}, {} of {n} branches, {}",
                                address(&b.ip, b.port),
                                b.chain.as_deref().unwrap_or("the Service's endpoints"),
                                plan.chosen + 1,
                                percent(b.probability)
                            )
                        } else {
                            address(&b.ip, b.port)
                        };
                        step.evidence = b.evidence.clone();
                    }
                }
                step.at = plan.chosen_box().unwrap_or(chain);
                if !forked {
                    step.fork = plan.fork();
                    forked = true;
                }
            }
            _ => {}
        }
        out.push(step);
    }
}

/// The focused map and the steps along it, following the branches `seed` rolls.
pub fn play(trace: &Trace, seed: u64) -> (Scene, Vec<Step>) {
    let (scene, places) = layout(trace);
    let steps = steps(trace, &places, seed);
    (scene, steps)
}

/// Where the steps are drawn: the boxes of the focused map.
struct Places {
    /// The client.
    pod: usize,
    /// Per lookup (its index), the candidate's box.
    cand_boxes: Vec<(usize, usize)>,
    /// The DNS Service's address (the client when no query is sent).
    dns_vip: usize,
    /// The DNS Service's chain.
    dns_chain: usize,
    /// The DNS pods, one per branch.
    dns_pods: Vec<usize>,
    /// Where names the cluster DNS passes on go.
    upstream: Option<usize>,
    /// The target's address.
    svc_vip: Option<usize>,
    /// The target Service's chain.
    svc_chain: Option<usize>,
    /// The endpoints, one per branch.
    svc_pods: Vec<usize>,
}

/// Rows start here.
const TOP: f64 = 40.0;

/// The focused map: the client column, the DNS Service's block and the target Service's block.
fn layout(trace: &Trace) -> (Scene, Places) {
    let mut b = Builder {
        scene: Scene::default(),
    };
    let top = TOP;

    // Candidates: the first hop of each lookup pair.
    let candidates: Vec<(usize, &Hop)> = trace
        .hops
        .iter()
        .filter(|h| h.kind == HopKind::ResolverCandidate)
        .filter_map(|h| h.lookup.map(|l| (l, h)))
        .collect();
    let dns_lookup = trace.lookups.iter().find(|l| l.server.is_some());
    let dns_branches: &[Branch] = dns_lookup.map_or(&[], |l| l.server_endpoints.as_slice());
    let conn_branches: &[Branch] = trace
        .connection
        .as_ref()
        .map_or(&[], |c| c.branches.as_slice());

    let cand_rows = candidates.len().max(1);
    let dns_rows = dns_branches.len().max(1) + 1;
    let dns_h = cand_rows.max(dns_rows) as f64 * ROW;
    let conn_top = top
        + if candidates.is_empty() {
            0.0
        } else {
            dns_h + 30.0
        };
    let conn_rows = conn_branches.len().max(1);
    let height = conn_top + conn_rows as f64 * ROW + 20.0;

    let pod_label = trace
        .pod
        .as_ref()
        .map(|p| match &p.namespace {
            Some(ns) => format!("{ns}/{}", p.name),
            None => p.name.clone(),
        })
        .unwrap_or_else(|| "client".to_string());
    let pod = b.add(
        "box client",
        0,
        (top + (height - top - 20.0) / 2.0 - 20.0).max(top),
        trace.from.clone(),
        pod_label,
    );

    let mut places = Places {
        pod,
        cand_boxes: Vec::new(),
        dns_vip: pod,
        dns_chain: pod,
        dns_pods: Vec::new(),
        upstream: None,
        svc_vip: None,
        svc_chain: None,
        svc_pods: Vec::new(),
    };
    for (i, (lookup, hop)) in candidates.iter().enumerate() {
        let name = trace
            .lookups
            .get(*lookup)
            .map_or_else(|| hop.label.clone(), |l| l.name.clone());
        let id = b.add(
            "box cand",
            1,
            top + i as f64 * ROW,
            name,
            format!("query {} of {}", i + 1, candidates.len()),
        );
        b.edge(pod, id, String::new());
        places.cand_boxes.push((*lookup, id));
    }
    if !candidates.is_empty() {
        dns_block(&mut b, trace, dns_branches, &mut places);
    }
    if let Some(c) = &trace.connection {
        service_block(&mut b, trace, c, conn_top, &mut places);
    }
    b.scene.width = COL[4] + W + 16.0;
    b.scene.height = height.max(top + ROW);
    (b.scene, places)
}

/// The DNS Service's block: its address, its chain, its pods (and the upstream, when a name goes there).
fn dns_block(b: &mut Builder, trace: &Trace, dns_branches: &[Branch], places: &mut Places) {
    let top = TOP;
    let dns_lookup = trace.lookups.iter().find(|l| l.server.is_some());
    let server = dns_lookup
        .and_then(|l| l.server.clone())
        .unwrap_or_else(|| "nameserver".to_string());
    let dns_vip = b.add("box vip", 2, top, server, "DNS Service VIP".into());
    for (_, c) in &places.cand_boxes {
        b.edge(*c, dns_vip, String::new());
    }
    let chain_name = dns_branches
        .first()
        .and_then(|_| {
            trace.hops.iter().find_map(|h| {
                let c = rule_chain(h)?;
                (h.kind == HopKind::NetfilterRule
                    && h.lookup.is_some()
                    && (c.starts_with("KUBE-SVC-") || c.starts_with("KUBE-SVL-")))
                .then(|| c.to_string())
            })
        })
        .unwrap_or_else(|| "DNS Service".to_string());
    let dns_chain = b.add("box svc", 3, top, chain_name, "cluster DNS".into());
    b.edge(dns_vip, dns_chain, String::new());
    for (i, br) in dns_branches.iter().enumerate() {
        let id = b.add(
            "box pod",
            4,
            top + i as f64 * ROW,
            address(&br.ip, br.port),
            br.chain.clone().unwrap_or_else(|| "DNS pod".into()),
        );
        b.edge(dns_chain, id, percent(br.probability));
        places.dns_pods.push(id);
    }
    if trace.hops.iter().any(|h| h.kind == HopKind::Upstream) {
        let id = b.add(
            "box ext",
            4,
            top + dns_branches.len() as f64 * ROW,
            "upstream".into(),
            "outside the cluster zone".into(),
        );
        b.edge(dns_chain, id, String::new());
        places.upstream = Some(id);
    }
    places.dns_vip = dns_vip;
    places.dns_chain = dns_chain;
}

/// The target's block, from `conn_top` down: its address, its Service's chain, its endpoints.
fn service_block(
    b: &mut Builder,
    trace: &Trace,
    c: &Connection,
    conn_top: f64,
    places: &mut Places,
) {
    let vip = b.add(
        "box vip",
        2,
        conn_top,
        format!(
            "{}/{}",
            address(&c.ip.to_string(), Some(c.port)),
            c.protocol
        ),
        c.service.clone().unwrap_or_else(|| "address".into()),
    );
    b.edge(places.pod, vip, String::new());
    let chain_name = trace
        .hops
        .iter()
        .filter(|h| h.lookup.is_none() && h.kind == HopKind::NetfilterRule)
        .filter_map(rule_chain)
        .find(|c| c.starts_with("KUBE-SVC-") || c.starts_with("KUBE-SVL-"))
        .map_or_else(
            || {
                if c.via == Via::NodeRules {
                    "node rules".to_string()
                } else {
                    "kubectl endpoints".to_string()
                }
            },
            str::to_string,
        );
    let chain = b.add(
        "box svc",
        3,
        conn_top,
        chain_name,
        format!("{} branches", c.branches.len()),
    );
    b.edge(vip, chain, String::new());
    for (i, br) in c.branches.iter().enumerate() {
        let id = b.add(
            "box pod",
            4,
            conn_top + i as f64 * ROW,
            address(&br.ip, br.port),
            br.chain.clone().unwrap_or_else(|| "endpoint".into()),
        );
        b.edge(chain, id, percent(br.probability));
        places.svc_pods.push(id);
    }
    places.svc_vip = Some(vip);
    places.svc_chain = Some(chain);
}

/// The steps along the focused map, following the branches `seed` rolls.
fn steps(trace: &Trace, places: &Places, seed: u64) -> Vec<Step> {
    let Places {
        pod,
        ref cand_boxes,
        dns_vip,
        dns_chain,
        ref dns_pods,
        upstream,
        svc_vip,
        svc_chain,
        ref svc_pods,
    } = *places;
    let node = trace.node.as_deref();
    let conn_branches: &[Branch] = trace
        .connection
        .as_ref()
        .map_or(&[], |c| c.branches.as_slice());
    let mut steps = Vec::new();
    let mut fork_index = 0u64;
    let mut i = 0;
    let hops = &trace.hops;
    while let Some(hop) = hops.get(i) {
        match hop.kind {
            HopKind::Pod => {
                steps.push(step(hop, pod));
                i += 1;
            }
            // A query and its answer are drawn at the candidate's box.
            HopKind::ResolverCandidate | HopKind::Answer => {
                let at = cand_boxes
                    .iter()
                    .find(|(l, _)| Some(*l) == hop.lookup)
                    .map_or(pod, |(_, id)| *id);
                steps.push(step(hop, at));
                i += 1;
            }
            HopKind::NameserverVip => {
                // The nameserver, its rules and the DNS pod: one fork, per lookup.
                let lookup = hop.lookup;
                let mut j = i + 1;
                while hops.get(j).is_some_and(|h| {
                    h.lookup == lookup
                        && matches!(h.kind, HopKind::NetfilterRule | HopKind::CorednsPod)
                }) {
                    j += 1;
                }
                steps.push(step(hop, dns_vip));
                let branches = lookup
                    .and_then(|l| trace.lookups.get(l))
                    .map_or(&[][..], |l| l.server_endpoints.as_slice());
                let plan = ForkPlan {
                    branches,
                    boxes: dns_pods.clone(),
                    chosen: pick(branches, roll(seed, fork_index)),
                };
                fork_index += 1;
                let group: Vec<&Hop> = hops.get(i + 1..j).unwrap_or(&[]).iter().collect();
                fork_steps(&group, &plan, (dns_vip, dns_chain), node, &mut steps);
                i = j;
            }
            HopKind::Upstream => {
                steps.push(step(hop, upstream.unwrap_or(dns_chain)));
                i += 1;
            }
            HopKind::ServiceVip => {
                let vip = svc_vip.unwrap_or(pod);
                let mut j = i + 1;
                while hops.get(j).is_some_and(|h| {
                    h.lookup.is_none()
                        && matches!(h.kind, HopKind::NetfilterRule | HopKind::Endpoint)
                }) {
                    j += 1;
                }
                steps.push(step(hop, vip));
                let plan = ForkPlan {
                    branches: conn_branches,
                    boxes: svc_pods.clone(),
                    chosen: pick(conn_branches, roll(seed, fork_index)),
                };
                fork_index += 1;
                let group: Vec<&Hop> = hops.get(i + 1..j).unwrap_or(&[]).iter().collect();
                fork_steps(
                    &group,
                    &plan,
                    (vip, svc_chain.unwrap_or(vip)),
                    node,
                    &mut steps,
                );
                i = j;
            }
            HopKind::Stopped => {
                // Where the walk through the node's rules stopped, at the chain it was walking.
                let at = if hop.lookup.is_some() {
                    dns_chain
                } else {
                    svc_chain.unwrap_or(pod)
                };
                steps.push(step(hop, at));
                i += 1;
            }
            HopKind::NetfilterRule | HopKind::CorednsPod | HopKind::Endpoint => {
                // Rules outside a nameserver or Service group (e.g. a REJECT with no VIP hop before it).
                let at = if hop.lookup.is_some() {
                    dns_chain
                } else {
                    svc_chain.unwrap_or(pod)
                };
                steps.push(step(hop, at));
                i += 1;
            }
        }
    }
    steps
}

fn step(hop: &Hop, at: usize) -> Step {
    Step {
        kind: hop.kind,
        label: hop.label.clone(),
        evidence: hop.evidence.clone(),
        at,
        fork: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{InputSpec, Request, Response};
    use dnatlas_core::dns::plan::Resolver;

    fn session(dir: &str, files: &[&str]) -> Session {
        let mut s = Session::new();
        let mut specs = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let path = format!("{}/../fixtures/trace/{dir}/{f}", env!("CARGO_MANIFEST_DIR"));
            let id = i as u32 + 1;
            s.put(id, std::fs::read(&path).unwrap());
            specs.push(InputSpec {
                id,
                name: f.to_string(),
                kind: None,
                node: None,
            });
        }
        let Response::Summary(_) = s.handle(Request::Analyze { inputs: specs }, &mut |_| {}) else {
            panic!("no summary")
        };
        s
    }

    fn seed_004() -> Session {
        session("seed-004", &["node.txt", "kubectl.txt", "resolv.conf"])
    }

    fn nginx(seed: u64) -> View {
        query(
            &seed_004(),
            &Query {
                from: "10.244.0.21".into(),
                to: "nginx:80".into(),
                resolver: Resolver::Glibc,
                seed,
            },
        )
    }

    #[test]
    fn rolls_are_uniform_enough_and_pick_by_share() {
        let branches: Vec<Branch> = (0..3)
            .map(|i| Branch {
                ip: format!("10.0.0.{i}"),
                port: Some(80),
                chain: None,
                probability: 1.0 / 3.0,
                evidence: Vec::new(),
                jump: None,
                dnat: None,
            })
            .collect();
        let mut counts = [0; 3];
        for seed in 0..3000 {
            counts[pick(&branches, roll(seed, 1))] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(pick(&branches, 0.0), 0);
        assert_eq!(pick(&branches, 0.999), 2);
        assert_eq!(pick(&[], 0.5), 0);
    }

    #[test]
    fn seed_004_nginx_steps_name_their_lines_and_fork_three_ways() {
        let v = nginx(0);
        assert_eq!(v.trace.status.as_str(), "connected");
        // The core's sixteen hops (see README: pod, candidate, nameserver, four rules, DNS pod, two answers,
        // VIP, four rules, endpoint) are sixteen steps.
        assert_eq!(v.steps.len(), 16);
        assert!(
            v.steps.iter().all(|s| !s.evidence.is_empty()),
            "{:#?}",
            v.steps
        );
        assert!(v.steps.iter().all(|s| s.at < v.scene.boxes.len()));
        let forks: Vec<&Fork> = v.steps.iter().filter_map(|s| s.fork.as_ref()).collect();
        // kube-dns has one endpoint (no fork); nginx has three at 33.3%.
        assert_eq!(forks.len(), 1);
        let shares: Vec<&str> = forks[0].branches.iter().map(|b| b.share.as_str()).collect();
        assert_eq!(shares, ["33.3%", "33.3%", "33.3%"]);
        let last = v.steps.last().unwrap();
        assert_eq!(last.kind, HopKind::Endpoint);
        let chosen = &forks[0].branches[forks[0].chosen];
        let branch = &v.trace.connection.as_ref().unwrap().branches[forks[0].chosen];
        assert!(
            last.label.starts_with(&address(&branch.ip, branch.port)),
            "{} / {}",
            last.label,
            chosen.label
        );
        assert_eq!(last.at, chosen.at);
        // The focused map: client, one candidate, DNS VIP, chain, one DNS pod, nginx VIP, chain, three pods.
        assert_eq!(v.scene.boxes.len(), 10);
    }

    #[test]
    fn another_seed_follows_another_branch_with_its_own_lines() {
        // Endpoints at node.txt lines 41, 39, 43 (DNAT) with jumps at 55, 56, 57 (seed 004's KUBE-SVC-4N57… chain).
        let mut seen = std::collections::BTreeMap::new();
        for seed in 0..40 {
            let v = nginx(seed);
            let fork_step = v.steps.iter().find(|s| s.fork.is_some()).unwrap();
            let fork = fork_step.fork.as_ref().unwrap();
            let dnat = v
                .steps
                .iter()
                .rev()
                .find(|s| s.kind == HopKind::NetfilterRule)
                .unwrap();
            let jump_line = fork_step.evidence[0].line_number().unwrap_or(0);
            seen.insert(
                fork.chosen,
                (
                    jump_line,
                    dnat.evidence[0].line_number().unwrap_or(0),
                    dnat.label.clone(),
                ),
            );
        }
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(
            seen[&0],
            (
                55,
                41,
                "nat KUBE-SEP-ECWJ4XMO64PCJIJZ: DNAT 10.244.0.3:80".to_string()
            )
        );
        assert_eq!(
            seen[&1],
            (
                56,
                39,
                "nat KUBE-SEP-263UWIYWZXPNMPMF: DNAT 10.244.0.4:80".to_string()
            )
        );
        assert_eq!(
            seen[&2],
            (
                57,
                43,
                "nat KUBE-SEP-EYCY2JIROCGGPBZO: DNAT 10.244.0.5:80".to_string()
            )
        );
    }

    #[test]
    fn clients_come_from_kubectl_pods() {
        let s = session("musl-nodata-stop", &["cluster.json", "resolv.conf"]);
        let clients = clients(&s);
        // The fixture's JSON List has one Pod: prod/client at 10.244.0.21.
        assert_eq!(
            clients,
            [Client {
                ip: "10.244.0.21".into(),
                label: "prod/client".into()
            }]
        );
    }

    #[test]
    fn a_walk_that_stops_is_a_step_that_names_why() {
        // A Service chain that goes to itself: the core's walk stops at the goto and the trace fails there.
        let node = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-WEB - [0:0]\n\
                    -A PREROUTING -j KUBE-SERVICES\n\
                    -A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB\n\
                    -A KUBE-SVC-WEB -g KUBE-SVC-WEB\nCOMMIT\n";
        let sources = [dnatlas_core::Source::new("node.txt", node.as_bytes())];
        let request = TraceRequest {
            from: "10.244.0.20".into(),
            to: "10.96.5.5:80".into(),
            resolver: Resolver::Glibc,
        };
        let trace =
            dnatlas_core::trace::trace(&sources, &request, &dnatlas_core::Options::default());
        assert_eq!(trace.status.as_str(), "stopped");
        let (_, steps) = play(&trace, 7);
        let stop: Vec<&Step> = steps
            .iter()
            .filter(|s| s.kind == HopKind::Stopped)
            .collect();
        assert_eq!(stop.len(), 1, "{steps:#?}");
        assert_eq!(
            stop[0].label,
            "stopped: chains loop KUBE-SVC-WEB -> KUBE-SVC-WEB (line 7)"
        );
        assert_eq!(
            stop[0].evidence.first().and_then(Evidence::line_number),
            Some(7)
        );
        assert!(steps.iter().all(|s| s.kind != HopKind::Endpoint));
        assert!(steps.iter().all(|s| !s.label.contains("NaN")));
    }
}
