//! What the cluster DNS server answers (docs/domain/coredns.md §1–§3), from real kubectl fixtures and small hand-written JSON
//! Lists. Every expectation was reasoned from docs/domain/coredns.md §1–§3 and the objects in the input: which names exist, which
//! records they have, NXDOMAIN against NODATA, TTLs, SRV weights, evidence lines.

use std::sync::Arc;

use dnatlas_core::dns::answer::{Answer, ClusterDns, Config, RData, Rcode, RecordType, Response};
use dnatlas_core::source::corefile::PodsMode;
use dnatlas_core::KubeSource;

fn source(name: &str, bytes: &[u8]) -> KubeSource {
    let parsed = dnatlas_core::source::kubectl::parse(bytes);
    KubeSource::new(
        &Arc::from(name),
        dnatlas_core::source::inputs::KubeRead {
            format: None,
            objects: parsed.value,
        },
    )
}

fn fixture(case: &str, file: &str) -> KubeSource {
    let path = format!(
        "{}/../fixtures/kubectl/{case}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    source(file, &std::fs::read(path).unwrap())
}

fn cluster(case: &str, file: &str) -> ClusterDns {
    ClusterDns::new(&[fixture(case, file)], Config::default())
}

/// The plugin's response; fails when the name goes upstream.
fn ask(dns: &ClusterDns, name: &str, qtype: RecordType) -> Response {
    match dns.answer(name, qtype) {
        Answer::Cluster(response) => response,
        Answer::Upstream { reason, .. } => panic!("{name} went upstream: {reason}"),
    }
}

fn data(d: &RData) -> String {
    match d {
        RData::Address(ip) => ip.to_string(),
        RData::Text(text) => text.clone(),
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => format!("{priority} {weight} {port} {target}"),
    }
}

/// `type data` of each answer record, in order.
fn answers(r: &Response) -> Vec<String> {
    r.answers
        .iter()
        .map(|rr| format!("{:?} {}", rr.rtype, data(&rr.data)))
        .collect()
}

fn evidence(r: &Response) -> Vec<String> {
    r.evidence
        .iter()
        .map(|e| format!("{}:{}", e.source, e.line_number().unwrap_or(0)))
        .collect()
}

fn assert_nxdomain(r: &Response) {
    assert_eq!(r.rcode, Some(Rcode::NxDomain), "{r:#?}");
    assert!(r.answers.is_empty());
}

fn assert_nodata(r: &Response) {
    assert_eq!(r.rcode, Some(Rcode::NoError), "{r:#?}");
    assert!(r.answers.is_empty(), "{r:#?}");
    assert!(r.is_nodata());
}

// ---- seed 004: a 2017 kubectl without -A, spaces collapsed ----

#[test]
fn seed_004_nginx_answers_its_cluster_ip_from_the_table() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    let r = ask(&dns, "nginx.default.svc.cluster.local.", RecordType::A);
    assert_eq!(r.rcode, Some(Rcode::NoError));
    assert_eq!(answers(&r), ["A 10.109.102.230"]);
    assert_eq!(r.answers[0].name, "nginx.default.svc.cluster.local.");
    assert_eq!(r.answers[0].ttl, 5, "the plugin's default TTL");
    assert_eq!(evidence(&r), ["input.txt:11"]);
    // The last `get svc` has no namespace: `default` is assumed, and said.
    assert!(r.unsure.iter().any(|n| n.contains("namespace")), "{r:#?}");
    // A missing trailing dot and upper case read the same.
    assert_eq!(
        answers(&ask(&dns, "NGINX.default.svc.cluster.local", RecordType::A)),
        ["A 10.109.102.230"]
    );
}

#[test]
fn seed_004_aaaa_is_nodata_but_unsure_because_a_table_shows_one_cluster_ip() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    let r = ask(&dns, "nginx.default.svc.cluster.local.", RecordType::Aaaa);
    assert_nodata(&r);
    assert_eq!(r.negative_ttl, Some(5));
    assert!(
        r.unsure.iter().any(|n| n.contains("first cluster IP")),
        "{r:#?}"
    );
}

#[test]
fn seed_004_kube_dns_names_ptr_and_srv() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    let r = ask(
        &dns,
        "kube-dns.kube-system.svc.cluster.local.",
        RecordType::A,
    );
    assert_eq!(answers(&r), ["A 10.96.0.10"]);
    assert_eq!(evidence(&r), ["input.txt:3"]);
    // The table shows no port names: whether `_dns._udp` exists is not known.
    let r = ask(
        &dns,
        "_dns._udp.kube-dns.kube-system.svc.cluster.local.",
        RecordType::Srv,
    );
    assert_eq!(r.rcode, None, "{r:#?}");
    assert!(!r.unsure.is_empty());
    // The wildcard form needs no names: one SRV per port, target the Service (53/UDP and 53/TCP give one
    // target and port: one record, weight 100/2).
    let r = ask(
        &dns,
        "kube-dns.kube-system.svc.cluster.local.",
        RecordType::Srv,
    );
    assert_eq!(
        answers(&r),
        ["Srv 0 50 53 kube-dns.kube-system.svc.cluster.local."]
    );
    assert_eq!(r.additional.len(), 1);
    assert_eq!(data(&r.additional[0].data), "10.96.0.10");
    // PTR: the cluster IP names the Service, the endpoint IP its dashed label under the Service.
    let r = ask(&dns, "230.102.109.10.in-addr.arpa.", RecordType::Ptr);
    assert_eq!(answers(&r), ["Ptr nginx.default.svc.cluster.local."]);
    let r = ask(&dns, "2.0.244.10.in-addr.arpa.", RecordType::Ptr);
    assert_eq!(
        answers(&r),
        ["Ptr 10-244-0-2.kube-dns.kube-system.svc.cluster.local."]
    );
    assert_eq!(evidence(&r), ["input.txt:7"]);
}

#[test]
fn seed_004_missing_names_are_nxdomain_and_the_namespace_apex_nodata() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    // kube-system exists (kube-dns is in it); no Service nginx there.
    let r = ask(&dns, "nginx.kube-system.svc.cluster.local.", RecordType::A);
    assert_nxdomain(&r);
    assert!(r.unsure.iter().any(|n| n.contains("kube-system/nginx")));
    // Search step 2 of a bare `nginx` from kube-system's search list (`nginx.svc.cluster.local.`): the
    // namespace `nginx` is not known, so NXDOMAIN.
    assert_nxdomain(&ask(&dns, "nginx.svc.cluster.local.", RecordType::A));
    // `<ns>.svc.<zone>` of an existing namespace and `svc.<zone>` are NODATA.
    assert_nodata(&ask(&dns, "kube-system.svc.cluster.local.", RecordType::A));
    assert_nodata(&ask(&dns, "svc.cluster.local.", RecordType::A));
    // The search step 3 `nginx.cluster.local.`: the last label is neither svc nor pod.
    assert_nxdomain(&ask(&dns, "nginx.cluster.local.", RecordType::A));
}

#[test]
fn names_outside_the_zone_go_upstream() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    for name in ["www.example.com.", "nginx.", "cluster.local.example.", "."] {
        match dns.answer(name, RecordType::A) {
            Answer::Upstream { name: asked, .. } => assert!(asked.ends_with('.')),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A reverse name for an address no Service or endpoint has falls through to the upstream (kubeadm).
    assert!(matches!(
        dns.answer("1.1.168.192.in-addr.arpa.", RecordType::Ptr),
        Answer::Upstream { .. }
    ));
}

// ---- kube-proxy's corpus 01 cluster, as kubectl JSON ----

#[test]
fn corpus_01_cluster_ip_srv_and_endpoint_names() {
    let dns = cluster("corpus-01-json-list", "input.json");
    let r = ask(&dns, "svc1.ns1.svc.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 172.30.0.41"]);
    assert_eq!(evidence(&r), ["input.json:5"]);
    assert!(r.unsure.is_empty(), "{r:#?}");
    // JSON lists clusterIPs in full: IPv4-only means AAAA is NODATA for sure.
    let r = ask(&dns, "svc1.ns1.svc.cluster.local.", RecordType::Aaaa);
    assert_nodata(&r);
    assert!(r.unsure.is_empty(), "{r:#?}");

    let r = ask(
        &dns,
        "_p80._tcp.svc1.ns1.svc.cluster.local.",
        RecordType::Srv,
    );
    assert_eq!(answers(&r), ["Srv 0 100 80 svc1.ns1.svc.cluster.local."]);
    assert_eq!(r.additional.len(), 1);
    assert_eq!(r.additional[0].name, "svc1.ns1.svc.cluster.local.");
    assert_eq!(data(&r.additional[0].data), "172.30.0.41");
    // A port or protocol that matches nothing: NXDOMAIN.
    assert_nxdomain(&ask(
        &dns,
        "_p80._udp.svc1.ns1.svc.cluster.local.",
        RecordType::Srv,
    ));
    assert_nxdomain(&ask(
        &dns,
        "_p81._tcp.svc1.ns1.svc.cluster.local.",
        RecordType::Srv,
    ));
    // `_` alone is a wildcard.
    assert_eq!(
        answers(&ask(
            &dns,
            "_._tcp.svc1.ns1.svc.cluster.local.",
            RecordType::Srv
        )),
        ["Srv 0 100 80 svc1.ns1.svc.cluster.local."]
    );

    // Endpoint names work on ClusterIP Services too: the dashed IP of svc4's second endpoint.
    let r = ask(
        &dns,
        "10-180-0-5.svc4.ns4.svc.cluster.local.",
        RecordType::A,
    );
    assert_eq!(answers(&r), ["A 10.180.0.5"]);
    assert_eq!(evidence(&r), ["input.json:124", "input.json:340"]);
    assert_nxdomain(&ask(
        &dns,
        "10-180-0-9.svc4.ns4.svc.cluster.local.",
        RecordType::A,
    ));
    // Three extra labels are an invalid request.
    assert_nxdomain(&ask(
        &dns,
        "a.b.c.svc1.ns1.svc.cluster.local.",
        RecordType::A,
    ));
}

#[test]
fn corpus_01_empty_service_and_other_types() {
    let dns = cluster("corpus-01-json-list", "input.json");
    // svc6 has no slice: a ClusterIP Service with no endpoints still answers its VIP…
    assert_eq!(
        answers(&ask(&dns, "svc6.ns6.svc.cluster.local.", RecordType::A)),
        ["A 172.30.0.46"]
    );
    // …unless `ignore empty_service` is set. Whether svc6 has endpoints the inputs do not say (no slice is
    // listed, but a listing may be partial): not known, and said.
    let strict = ClusterDns::new(
        &[fixture("corpus-01-json-list", "input.json")],
        Config {
            ignore_empty_service: true,
            ..Config::default()
        },
    );
    let r = ask(&strict, "svc6.ns6.svc.cluster.local.", RecordType::A);
    assert_eq!(r.rcode, None);
    assert!(r
        .unsure
        .iter()
        .any(|n| n.contains("endpoints of Service ns6/svc6")));
    // svc5's only endpoint is ready; the mirror case, a slice with no ready endpoint, is in the APPS list below.
    assert_eq!(
        answers(&ask(&strict, "svc1.ns1.svc.cluster.local.", RecordType::A)),
        ["A 172.30.0.41"]
    );
    // Types the name has no record of: NODATA; a name that does not exist: NXDOMAIN for every type.
    for qtype in [
        RecordType::Txt,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Other(13),
    ] {
        assert_nodata(&ask(&dns, "svc1.ns1.svc.cluster.local.", qtype));
        assert_nxdomain(&ask(&dns, "svc7.ns1.svc.cluster.local.", qtype));
    }
    assert_eq!(
        ask(&dns, "svc1.ns1.svc.cluster.local.", RecordType::Axfr).rcode,
        Some(Rcode::Refused)
    );
    // A namespace no object is in: NXDOMAIN, and said to be uncertain.
    let r = ask(&dns, "svc1.nosuch.svc.cluster.local.", RecordType::A);
    assert_nxdomain(&r);
    assert!(r.unsure.iter().any(|n| n.contains("nosuch")));
    assert_nxdomain(&ask(&dns, "nosuch.svc.cluster.local.", RecordType::A));
    // dns-version.
    let r = ask(&dns, "dns-version.cluster.local.", RecordType::Txt);
    assert_eq!(answers(&r), ["Txt 1.1.0"]);
    assert_eq!(r.answers[0].ttl, 28800);
}

#[test]
fn corpus_01_pod_names() {
    let dns = cluster("corpus-01-json-list", "input.json");
    // pods insecure: any well-formed IP in an existing namespace answers, pod or not.
    let r = ask(&dns, "10-180-0-1.ns1.pod.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 10.180.0.1"]);
    assert_eq!(evidence(&r), ["input.json:5"]);
    assert_eq!(
        answers(&ask(
            &dns,
            "192-0-2-7.ns1.pod.cluster.local.",
            RecordType::A
        )),
        ["A 192.0.2.7"]
    );
    assert_nodata(&ask(
        &dns,
        "10-180-0-1.ns1.pod.cluster.local.",
        RecordType::Aaaa,
    ));
    // IPv6: `-` for `:`, `--` for `::`.
    assert_eq!(
        answers(&ask(
            &dns,
            "fd00-10-244--5.ns1.pod.cluster.local.",
            RecordType::Aaaa
        )),
        ["Aaaa fd00:10:244::5"]
    );
    assert_nxdomain(&ask(
        &dns,
        "10-180-0-1.ns9.pod.cluster.local.",
        RecordType::A,
    ));
    assert_nxdomain(&ask(
        &dns,
        "not-an-ip.ns1.pod.cluster.local.",
        RecordType::A,
    ));
    assert_nxdomain(&ask(
        &dns,
        "300-1-1-1.ns1.pod.cluster.local.",
        RecordType::A,
    ));
    assert_nodata(&ask(&dns, "ns1.pod.cluster.local.", RecordType::A));
    assert_nodata(&ask(&dns, "pod.cluster.local.", RecordType::A));
    // pods disabled (the plugin's own default): NXDOMAIN.
    let disabled = ClusterDns::new(
        &[fixture("corpus-01-json-list", "input.json")],
        Config {
            pods: PodsMode::Disabled,
            ..Config::default()
        },
    );
    assert_nxdomain(&ask(
        &disabled,
        "10-180-0-1.ns1.pod.cluster.local.",
        RecordType::A,
    ));
}

#[test]
fn corpus_01_ptr_zone_and_ttl_options() {
    let input = [fixture("corpus-01-json-list", "input.json")];
    let dns = ClusterDns::new(&input, Config::default());
    assert_eq!(
        answers(&ask(&dns, "41.0.30.172.in-addr.arpa.", RecordType::Ptr)),
        ["Ptr svc1.ns1.svc.cluster.local."]
    );
    assert_eq!(
        answers(&ask(&dns, "1.0.180.10.in-addr.arpa.", RecordType::Ptr)),
        ["Ptr 10-180-0-1.svc1.ns1.svc.cluster.local."]
    );
    // The name exists in the reverse zone, without an A record.
    assert_nodata(&ask(&dns, "41.0.30.172.in-addr.arpa.", RecordType::A));
    // Without fallthrough, an unknown reverse name is NXDOMAIN; without the reverse zones, it is upstream's.
    let no_fallthrough = ClusterDns::new(
        &input,
        Config {
            reverse_fallthrough: false,
            ..Config::default()
        },
    );
    assert_nxdomain(&ask(
        &no_fallthrough,
        "9.9.9.9.in-addr.arpa.",
        RecordType::Ptr,
    ));
    let no_reverse = ClusterDns::new(
        &input,
        Config {
            reverse_zones: false,
            ..Config::default()
        },
    );
    assert!(matches!(
        no_reverse.answer("41.0.30.172.in-addr.arpa.", RecordType::Ptr),
        Answer::Upstream { .. }
    ));
    // Another zone and kubeadm's `ttl 30`.
    let other = ClusterDns::new(
        &input,
        Config {
            zone: "k8s.example".to_string(),
            ttl: 30,
            ..Config::default()
        },
    );
    let r = ask(&other, "svc1.ns1.svc.k8s.example.", RecordType::A);
    assert_eq!(answers(&r), ["A 172.30.0.41"]);
    assert_eq!(r.answers[0].ttl, 30);
    assert_eq!(
        ask(&other, "svc9.ns1.svc.k8s.example.", RecordType::A).negative_ttl,
        Some(30)
    );
    assert!(matches!(
        other.answer("svc1.ns1.svc.cluster.local.", RecordType::A),
        Answer::Upstream { .. }
    ));
}

// ---- the dual-stack Service of the YAML fixture ----

#[test]
fn yaml_dual_stack_service_and_endpoint_readiness() {
    let dns = cluster("yaml-service-and-slices", "input.yaml");
    let r = ask(&dns, "web.shop.svc.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 10.96.12.34"]);
    assert_eq!(evidence(&r), ["input.yaml:2"]);
    assert_eq!(
        answers(&ask(&dns, "web.shop.svc.cluster.local.", RecordType::Aaaa)),
        ["Aaaa fd00:10:96::c22"]
    );
    // One port × two cluster IPs: two items, so weight 100/2, and one SRV (same target and port).
    let r = ask(
        &dns,
        "_https._tcp.web.shop.svc.cluster.local.",
        RecordType::Srv,
    );
    assert_eq!(answers(&r), ["Srv 0 50 443 web.shop.svc.cluster.local."]);
    let extra: Vec<String> = r.additional.iter().map(|rr| data(&rr.data)).collect();
    assert_eq!(extra, ["10.96.12.34", "fd00:10:96::c22"]);
    // The ready endpoint answers by its dashed IP; the terminating, not-ready one does not.
    assert_eq!(
        answers(&ask(
            &dns,
            "10-244-1-5.web.shop.svc.cluster.local.",
            RecordType::A
        )),
        ["A 10.244.1.5"]
    );
    assert_nxdomain(&ask(
        &dns,
        "10-244-2-7.web.shop.svc.cluster.local.",
        RecordType::A,
    ));
    assert_eq!(
        answers(&ask(
            &dns,
            "fd00-10-244-1--5.web.shop.svc.cluster.local.",
            RecordType::Aaaa
        )),
        ["Aaaa fd00:10:244:1::5"]
    );
    // PTR for the IPv6 cluster IP (fd00:0010:0096:0000:0000:0000:0000:0c22, nibbles reversed).
    let r = ask(
        &dns,
        "2.2.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.",
        RecordType::Ptr,
    );
    assert_eq!(answers(&r), ["Ptr web.shop.svc.cluster.local."]);
    // The not-ready endpoint has no PTR: the name falls through.
    assert!(matches!(
        dns.answer("7.2.244.10.in-addr.arpa.", RecordType::Ptr),
        Answer::Upstream { .. }
    ));
}

// ---- seed 002: describe without a cluster IP ----

#[test]
fn seed_002_describe_without_a_cluster_ip_is_unsure() {
    let dns = cluster("seed-002-pods-and-describe", "input.txt");
    let r = ask(
        &dns,
        "kube-dns.kube-system.svc.cluster.local.",
        RecordType::A,
    );
    assert_eq!(r.rcode, None, "{r:#?}");
    assert!(r.answers.is_empty());
    assert!(r.unsure.iter().any(|n| n.contains("cluster IP")), "{r:#?}");
    assert!(!r.evidence.is_empty());
    // The pod table has no namespace: `default` is assumed from it, and said.
    let r = ask(&dns, "default.svc.cluster.local.", RecordType::A);
    assert_nodata(&r);
    assert!(!r.unsure.is_empty());
}

// ---- hand-written: headless, ExternalName, port-less slices ----

const APPS: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "apps"}, "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP", "ports": [{"name": "pg", "port": 5432, "protocol": "TCP", "targetPort": 5432}]}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "db-7xk2p", "namespace": "apps", "labels": {"kubernetes.io/service-name": "db"}}, "addressType": "IPv4", "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.244.1.10"], "conditions": {"ready": true}, "hostname": "db-0", "targetRef": {"kind": "Pod", "name": "db-0", "namespace": "apps"}}, {"addresses": ["10.244.2.11"], "conditions": {}, "hostname": "db-1", "targetRef": {"kind": "Pod", "name": "db-1", "namespace": "apps"}}, {"addresses": ["10.244.3.12"], "conditions": {"ready": false, "serving": true, "terminating": true}, "hostname": "db-2", "targetRef": {"kind": "Pod", "name": "db-2", "namespace": "apps"}}]},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "idle", "namespace": "apps"}, "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}]}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "idle-qz8v4", "namespace": "apps", "labels": {"kubernetes.io/service-name": "idle"}}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.244.1.20"], "conditions": {"ready": false}}]},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "apps"}, "spec": {"type": "ExternalName", "externalName": "api.example.com"}},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "alias", "namespace": "apps"}, "spec": {"type": "ExternalName", "externalName": "db.apps.svc.cluster.local"}},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bare", "namespace": "apps"}, "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP"}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "bare-m4n5b", "namespace": "apps", "labels": {"kubernetes.io/service-name": "bare"}}, "addressType": "IPv4", "ports": [], "endpoints": [{"addresses": ["10.244.4.4"], "conditions": {}}]},
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "apps"}, "spec": {"nodeName": "node-1"}, "status": {"phase": "Running", "podIP": "10.244.1.30", "podIPs": [{"ip": "10.244.1.30"}]}},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "cold", "namespace": "apps"}, "spec": {"clusterIP": "10.96.7.7", "clusterIPs": ["10.96.7.7"], "type": "ClusterIP", "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}]}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "cold-h2x9k", "namespace": "apps", "labels": {"kubernetes.io/service-name": "cold"}}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "endpoints": [{"addresses": ["10.244.1.40"], "conditions": {"ready": false}}]}
]}
"#;

fn apps(config: Config) -> ClusterDns {
    ClusterDns::new(&[source("apps.json", APPS.as_bytes())], config)
}

#[test]
fn headless_answers_each_ready_endpoint_and_its_hostname() {
    let dns = apps(Config::default());
    let r = ask(&dns, "db.apps.svc.cluster.local.", RecordType::A);
    // db-2 is not ready; db-1's empty conditions mean ready.
    assert_eq!(answers(&r), ["A 10.244.1.10", "A 10.244.2.11"]);
    assert_eq!(evidence(&r), ["apps.json:2", "apps.json:3"]);
    assert_eq!(r.answers[0].evidence.len(), 1);
    assert_eq!(r.answers[0].evidence[0].line_number().unwrap_or(0), 3);
    // No IPv6 endpoint: the name exists, so AAAA is NODATA.
    assert_nodata(&ask(&dns, "db.apps.svc.cluster.local.", RecordType::Aaaa));
    // Hostname records.
    assert_eq!(
        answers(&ask(&dns, "db-0.db.apps.svc.cluster.local.", RecordType::A)),
        ["A 10.244.1.10"]
    );
    assert_nxdomain(&ask(&dns, "db-2.db.apps.svc.cluster.local.", RecordType::A));
    // A hostname hides the dashed IP.
    assert_nxdomain(&ask(
        &dns,
        "10-244-1-10.db.apps.svc.cluster.local.",
        RecordType::A,
    ));
    // SRV: one per ready endpoint, target its hostname, weight 100/2, addresses in Additional.
    let r = ask(&dns, "_pg._tcp.db.apps.svc.cluster.local.", RecordType::Srv);
    assert_eq!(
        answers(&r),
        [
            "Srv 0 50 5432 db-0.db.apps.svc.cluster.local.",
            "Srv 0 50 5432 db-1.db.apps.svc.cluster.local."
        ]
    );
    let extra: Vec<String> = r
        .additional
        .iter()
        .map(|rr| format!("{} {}", rr.name, data(&rr.data)))
        .collect();
    assert_eq!(
        extra,
        [
            "db-0.db.apps.svc.cluster.local. 10.244.1.10",
            "db-1.db.apps.svc.cluster.local. 10.244.2.11"
        ]
    );
    assert_nxdomain(&ask(
        &dns,
        "_http._tcp.db.apps.svc.cluster.local.",
        RecordType::Srv,
    ));
    // PTR of an endpoint names its hostname record.
    assert_eq!(
        answers(&ask(&dns, "11.2.244.10.in-addr.arpa.", RecordType::Ptr)),
        ["Ptr db-1.db.apps.svc.cluster.local."]
    );
}

#[test]
fn headless_without_ready_endpoints_is_nxdomain() {
    let dns = apps(Config::default());
    let r = ask(&dns, "idle.apps.svc.cluster.local.", RecordType::A);
    assert_nxdomain(&r);
    // The Service, and the slice whose only endpoint is not ready.
    assert_eq!(evidence(&r), ["apps.json:4", "apps.json:5"]);
    assert_nxdomain(&ask(&dns, "idle.apps.svc.cluster.local.", RecordType::Aaaa));
}

#[test]
fn headless_slice_without_ports_has_addresses_but_no_srv() {
    let dns = apps(Config::default());
    assert_eq!(
        answers(&ask(&dns, "bare.apps.svc.cluster.local.", RecordType::A)),
        ["A 10.244.4.4"]
    );
    let r = ask(&dns, "bare.apps.svc.cluster.local.", RecordType::Srv);
    assert_nodata(&r);
    assert!(r.additional.is_empty());
}

#[test]
fn external_name_is_a_cname() {
    let dns = apps(Config::default());
    // Out of the zone: the CNAME, and the target's addresses come from upstream.
    let r = ask(&dns, "ext.apps.svc.cluster.local.", RecordType::A);
    assert_eq!(r.rcode, Some(Rcode::NoError));
    assert_eq!(answers(&r), ["Cname api.example.com."]);
    assert_eq!(r.upstream_target.as_deref(), Some("api.example.com."));
    assert_eq!(evidence(&r), ["apps.json:6"]);
    assert_eq!(
        answers(&ask(&dns, "ext.apps.svc.cluster.local.", RecordType::Cname)),
        ["Cname api.example.com."]
    );
    // Port and endpoint labels do not apply to ExternalName.
    assert_nxdomain(&ask(
        &dns,
        "_http._tcp.ext.apps.svc.cluster.local.",
        RecordType::Srv,
    ));
    assert_nxdomain(&ask(&dns, "x.ext.apps.svc.cluster.local.", RecordType::A));
    // In the zone: the CNAME, then the target's own answer.
    let r = ask(&dns, "alias.apps.svc.cluster.local.", RecordType::A);
    assert_eq!(
        answers(&r),
        [
            "Cname db.apps.svc.cluster.local.",
            "A 10.244.1.10",
            "A 10.244.2.11"
        ]
    );
    assert_eq!(r.answers[1].name, "db.apps.svc.cluster.local.");
    assert_eq!(r.upstream_target, None);
    // A ClusterIP name asked for CNAME: NODATA.
    assert_nodata(&ask(&dns, "db.apps.svc.cluster.local.", RecordType::Cname));
}

#[test]
fn pods_verified_needs_a_pod_with_that_ip() {
    let dns = apps(Config {
        pods: PodsMode::Verified,
        ..Config::default()
    });
    let r = ask(&dns, "10-244-1-30.apps.pod.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 10.244.1.30"]);
    assert_eq!(evidence(&r), ["apps.json:10"]);
    assert_nxdomain(&ask(
        &dns,
        "10-244-1-31.apps.pod.cluster.local.",
        RecordType::A,
    ));
}

#[test]
fn endpoint_pod_names_names_endpoints_without_hostname_by_pod() {
    let json = r#"{"apiVersion": "v1", "kind": "List", "items": [
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abc12", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}}, "addressType": "IPv6", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}], "endpoints": [{"addresses": ["fd00:10:244:1::"], "conditions": {"ready": true}, "targetRef": {"kind": "Pod", "name": "web-0", "namespace": "shop"}}]}
]}
"#;
    let input = [source("web.json", json.as_bytes())];
    let plain = ClusterDns::new(&input, Config::default());
    // A dashed IPv6 that ends in `-` gets a `0`.
    assert_eq!(
        answers(&ask(
            &plain,
            "_http._tcp.web.shop.svc.cluster.local.",
            RecordType::Srv
        )),
        ["Srv 0 100 8080 fd00-10-244-1--0.web.shop.svc.cluster.local."]
    );
    // Only an IPv6 endpoint: A is NODATA.
    assert_nodata(&ask(&plain, "web.shop.svc.cluster.local.", RecordType::A));
    let named = ClusterDns::new(
        &input,
        Config {
            endpoint_pod_names: true,
            ..Config::default()
        },
    );
    assert_eq!(
        answers(&ask(
            &named,
            "web-0.web.shop.svc.cluster.local.",
            RecordType::Aaaa
        )),
        ["Aaaa fd00:10:244:1::"]
    );
}

#[test]
fn answers_serialise_with_their_rcode_and_source() {
    let dns = cluster("seed-004-collapsed", "input.txt");
    let json = serde_json::to_value(dns.answer("nginx.default.svc.cluster.local.", RecordType::A))
        .unwrap();
    assert_eq!(json["by"], "cluster");
    assert_eq!(json["rcode"], "NOERROR");
    assert_eq!(json["answers"][0]["type"], "A");
    assert_eq!(json["answers"][0]["data"], "10.109.102.230");
    assert_eq!(json["answers"][0]["ttl"], 5);
    let json = serde_json::to_value(dns.answer("example.com.", RecordType::Aaaa)).unwrap();
    assert_eq!(json["by"], "upstream");
    assert_eq!(json["name"], "example.com.");
}

#[test]
fn ignore_empty_service_makes_a_cluster_ip_without_ready_endpoints_nxdomain() {
    // By default the VIP answers whatever the endpoints.
    let dns = apps(Config::default());
    assert_eq!(
        answers(&ask(&dns, "cold.apps.svc.cluster.local.", RecordType::A)),
        ["A 10.96.7.7"]
    );
    let strict = apps(Config {
        ignore_empty_service: true,
        ..Config::default()
    });
    assert_nxdomain(&ask(&strict, "cold.apps.svc.cluster.local.", RecordType::A));
}

#[test]
fn odd_names_never_panic() {
    let dns = apps(Config::default());
    let long = "a.".repeat(200);
    for name in [
        "",
        ".",
        "..",
        "...cluster.local.",
        "svc..cluster.local.",
        "_.svc.cluster.local.",
        "_._._.db.apps.svc.cluster.local.",
        "é.apps.svc.cluster.local.",
        "--.apps.pod.cluster.local.",
        "1-2-3.apps.pod.cluster.local.",
        "in-addr.arpa.",
        "1.2.3.in-addr.arpa.",
        "256.1.1.1.in-addr.arpa.",
        "x.1.1.1.1.in-addr.arpa.",
        "g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
        long.as_str(),
    ] {
        for qtype in [
            RecordType::A,
            RecordType::Aaaa,
            RecordType::Srv,
            RecordType::Ptr,
            RecordType::Cname,
            RecordType::Soa,
        ] {
            let _ = dns.answer(name, qtype);
        }
    }
    // An ExternalName pointing at itself stops.
    let json = r#"{"kind": "List", "items": [
{"kind": "Service", "metadata": {"name": "loop", "namespace": "a"}, "spec": {"type": "ExternalName", "externalName": "loop.a.svc.cluster.local"}}
]}"#;
    let dns = ClusterDns::new(&[source("loop.json", json.as_bytes())], Config::default());
    let r = ask(&dns, "loop.a.svc.cluster.local.", RecordType::A);
    assert!(r.answers.len() > 1 && r.answers.len() < 20);
    assert!(!r.unsure.is_empty());
}

// ---- legacy kube-dns (docs/domain/coredns.md §5) ----

#[test]
fn kube_dns_ttl_30_srv_priority_10_and_hash_labels_unknown() {
    let dns = apps(Config::kube_dns());
    let r = ask(&dns, "db.apps.svc.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 10.244.1.10", "A 10.244.2.11"]);
    assert_eq!(r.answers[0].ttl, 30);
    // Endpoints with a hostname keep it; priority 10, weight floor(100/2).
    assert_eq!(
        answers(&ask(
            &dns,
            "_pg._tcp.db.apps.svc.cluster.local.",
            RecordType::Srv
        )),
        [
            "Srv 10 50 5432 db-0.db.apps.svc.cluster.local.",
            "Srv 10 50 5432 db-1.db.apps.svc.cluster.local."
        ]
    );
    // Pod names are always answered.
    assert_eq!(
        answers(&ask(
            &dns,
            "10-244-9-9.apps.pod.cluster.local.",
            RecordType::A
        )),
        ["A 10.244.9.9"]
    );
    // No hostname: the address answers, but its name is a hash label dnatlas does not compute.
    let r = ask(&dns, "bare.apps.svc.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 10.244.4.4"]);
    assert!(r.unsure.iter().any(|n| n.contains("hash label")), "{r:#?}");

    let shop = ClusterDns::new(
        &[fixture("yaml-service-and-slices", "input.yaml")],
        Config::kube_dns(),
    );
    // The dashed-IP name is CoreDNS's; under kube-dns the endpoint's name is unknown.
    let r = ask(
        &shop,
        "10-244-1-5.web.shop.svc.cluster.local.",
        RecordType::A,
    );
    assert_eq!(r.rcode, None, "{r:#?}");
    let r = ask(&shop, "5.1.244.10.in-addr.arpa.", RecordType::Ptr);
    assert_eq!(r.rcode, None, "{r:#?}");
    assert!(r.answers.is_empty());
    // The cluster IP's names do not depend on endpoints.
    assert_eq!(
        answers(&ask(
            &shop,
            "_http._tcp.web.shop.svc.cluster.local.",
            RecordType::Srv
        )),
        ["Srv 10 50 80 web.shop.svc.cluster.local."]
    );
}

#[test]
fn two_inputs_saying_the_same_give_one_record_with_both_lines() {
    let json = std::fs::read(format!(
        "{}/../fixtures/kubectl/corpus-01-json-list/input.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let dns = ClusterDns::new(
        &[source("a.json", &json), source("b.json", &json)],
        Config::default(),
    );
    let r = ask(&dns, "svc1.ns1.svc.cluster.local.", RecordType::A);
    assert_eq!(answers(&r), ["A 172.30.0.41"]);
    assert_eq!(evidence(&r), ["a.json:5", "b.json:5"]);
    let r = ask(&dns, "41.0.30.172.in-addr.arpa.", RecordType::Ptr);
    assert_eq!(answers(&r), ["Ptr svc1.ns1.svc.cluster.local."]);
    assert_eq!(r.answers[0].evidence.len(), 2);
    // The endpoint 10.180.0.1 is listed by both: one PTR, both slice lines.
    let r = ask(&dns, "1.0.180.10.in-addr.arpa.", RecordType::Ptr);
    assert_eq!(answers(&r), ["Ptr 10-180-0-1.svc1.ns1.svc.cluster.local."]);
    assert_eq!(evidence(&r), ["a.json:250", "b.json:250"]);
}

/// A Corefile as CoreDNS reads it (docs/domain/coredns.md §3–§4): a query goes to the server block whose zone is
/// its longest suffix; there the `kubernetes` plugin answers its own zones with its own options and the next
/// plugin (`forward`) everything else; with no block for the name, CoreDNS refuses it.
#[test]
fn a_corefile_routes_each_name_to_its_server_block_and_plugin() {
    use dnatlas_core::dns::corefile::{cluster_zones, CorefileDns};
    use dnatlas_core::source::inputs::{CorefileRead, CorefileSource};
    let corefile = |text: &str| {
        CorefileSource::new(
            &Arc::from("Corefile"),
            CorefileRead {
                config_map: None,
                string_line: None,
                corefile: dnatlas_core::source::corefile::parse(text.as_bytes()).value,
            },
        )
    };
    let objects = [fixture("seed-004-collapsed", "input.txt")];
    // The cluster zone in its own block (TTL 30 there), everything else forwarded from the root block.
    let split = corefile(
        "cluster.local:53 {\n    kubernetes {\n       ttl 30\n    }\n}\n.:53 {\n    forward . 8.8.8.8\n}\n",
    );
    assert_eq!(cluster_zones(&split), ["cluster.local"]);
    let dns = CorefileDns::new(&split, &objects);
    let Answer::Cluster(nginx) = dns.answer("nginx.default.svc.cluster.local.", RecordType::A)
    else {
        panic!("nginx went upstream")
    };
    assert_eq!(answers(&nginx), ["A 10.109.102.230"]);
    assert!(nginx.answers.iter().all(|r| r.ttl == 30));
    assert!(
        evidence(&nginx).contains(&"Corefile:2".to_string()),
        "{:?}",
        evidence(&nginx)
    );
    match dns.answer("example.com.", RecordType::A) {
        Answer::Upstream { reason, .. } => assert!(reason.contains("line 7"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // No block for the name: REFUSED.
    let only = corefile("cluster.local:53 {\n    kubernetes\n}\n");
    match CorefileDns::new(&only, &objects).answer("example.com.", RecordType::A) {
        Answer::Cluster(r) => assert_eq!(r.rcode, Some(Rcode::Refused)),
        other => panic!("{other:?}"),
    }
    // Without `pods`, the plugin's own default is `pods disabled`: every pod name is NXDOMAIN.
    let pods = CorefileDns::new(&only, &objects)
        .answer("10-244-0-3.default.pod.cluster.local.", RecordType::A);
    match pods {
        Answer::Cluster(r) => assert_nxdomain(&r),
        other => panic!("{other:?}"),
    }
}
