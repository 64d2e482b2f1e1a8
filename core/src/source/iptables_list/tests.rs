//! The listing parser's unit tests: each printed form read back, the tables inferred, and the diagnostics.

use super::lines::command_table;
use super::tail::opt;
use super::*;
use crate::diagnostic::Diagnostic;
use crate::source::iptables::{Counters, Match, Opt, Rule, Ruleset};

fn rules(text: &str) -> (Ruleset, Vec<Diagnostic>) {
    let parsed = parse(text.as_bytes());
    (parsed.value, parsed.diagnostics)
}

fn only_rule(text: &str) -> Rule {
    let (ruleset, _) = rules(text);
    ruleset
        .tables
        .iter()
        .flat_map(|t| t.chains.iter())
        .flat_map(|c| c.rules.iter())
        .next()
        .cloned()
        .expect("one rule")
}

fn listed(rule_line: &str) -> Rule {
    only_rule(&format!(
        "Chain X (1 references)\ntarget     prot opt source               destination\n{rule_line}\n"
    ))
}

fn o(name: &str, negated: bool, values: &[&str]) -> Opt {
    opt(
        name,
        negated,
        values.iter().map(|v| v.to_string()).collect(),
    )
}

fn m(name: &str, options: Vec<Opt>) -> Match {
    Match {
        name: name.to_string(),
        options,
    }
}

fn codes(diags: &[Diagnostic]) -> Vec<(&str, u32)> {
    diags.iter().map(|d| (d.code.as_str(), d.line)).collect()
}

#[test]
fn columns_with_numbers_counters_and_interfaces() {
    let rule = only_rule(
        "$ iptables -t nat -L -n -v -x --line-numbers\n\
         Chain POSTROUTING (policy ACCEPT 12 packets, 720 bytes)\n\
         num      pkts      bytes target     prot opt in     out     source               destination\n\
         1          34     123456 MASQUERADE  all  --  *      !docker0  172.17.0.0/16        0.0.0.0/0\n",
    );
    assert_eq!(
        rule.counters,
        Some(Counters {
            packets: 34,
            bytes: 123456
        })
    );
    assert_eq!(
        rule.basic,
        vec![
            o("-s", false, &["172.17.0.0/16"]),
            o("-o", true, &["docker0"])
        ]
    );
    assert_eq!(rule.target_name(), Some("MASQUERADE"));
}

#[test]
fn chain_headers_give_policy_and_counters() {
    let (ruleset, diags) = rules(
        "# iptables -nvL\nChain INPUT (policy DROP 1234 packets, 5M bytes)\n pkts bytes target     prot opt in     out     source               destination\n\nChain FORWARD (policy ACCEPT 0 packets, 0 bytes)\n\nChain KUBE-FIREWALL (2 references)\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let filter = ruleset.table("filter").expect("filter");
    assert_eq!(filter.line, Some(1));
    let input = filter.chain("INPUT").expect("INPUT");
    assert_eq!(input.policy.as_deref(), Some("DROP"));
    assert_eq!(input.counters, None, "5M bytes is rounded");
    let forward = filter.chain("FORWARD").expect("FORWARD");
    assert_eq!(
        forward.counters,
        Some(Counters {
            packets: 0,
            bytes: 0
        })
    );
    assert_eq!(filter.chain("KUBE-FIREWALL").expect("user").policy, None);
}

#[test]
fn kube_service_rules_read_back_in_save_form() {
    let rule = listed("KUBE-SVC-TCOU7JCQXEZGVUNU  udp  --  0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns cluster IP */ udp dpt:53");
    assert_eq!(
        rule.basic,
        vec![o("-d", false, &["10.96.0.10/32"]), o("-p", false, &["udp"])]
    );
    assert_eq!(
        rule.matches,
        vec![
            m(
                "comment",
                vec![o(
                    "--comment",
                    false,
                    &["kube-system/kube-dns:dns cluster IP"]
                )]
            ),
            m("udp", vec![o("--dport", false, &["53"])]),
        ]
    );
    let rule = listed("DNAT       tcp  --  0.0.0.0/0            0.0.0.0/0            /* default/kubernetes:https */ recent: SET name: KUBE-SEP-X side: source mask: 255.255.255.255 tcp to:10.0.2.15:6443");
    assert_eq!(
        rule.matches.get(1),
        Some(&m(
            "recent",
            vec![
                o("--set", false, &[]),
                o("--name", false, &["KUBE-SEP-X"]),
                o("--mask", false, &["255.255.255.255"]),
                o("--rsource", false, &[]),
            ]
        ))
    );
    assert_eq!(rule.matches.get(2), Some(&m("tcp", vec![])));
    assert_eq!(
        rule.target_opt("--to-destination")
            .map(Opt::value)
            .as_deref(),
        Some("10.0.2.15:6443")
    );
}

#[test]
fn recent_check_statistic_and_negated_recent() {
    let rule = listed("KUBE-SEP-X  all  --  0.0.0.0/0  0.0.0.0/0  recent: CHECK seconds: 10800 reap name: KUBE-SEP-X side: source mask: 255.255.255.255");
    assert_eq!(
        rule.matches,
        vec![m(
            "recent",
            vec![
                o("--rcheck", false, &[]),
                o("--seconds", false, &["10800"]),
                o("--reap", false, &[]),
                o("--name", false, &["KUBE-SEP-X"]),
                o("--mask", false, &["255.255.255.255"]),
                o("--rsource", false, &[]),
            ]
        )]
    );
    let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ! recent: UPDATE hit_count: 4 TTL-Match name: DEFAULT side: dest mask: 255.255.255.0");
    let recent = rule.matches.first().expect("recent");
    assert_eq!(recent.options.first(), Some(&o("--update", true, &[])));
    assert!(recent.options.contains(&o("--hitcount", false, &["4"])));
    assert!(recent.options.contains(&o("--rttl", false, &[])));
    assert_eq!(recent.options.last(), Some(&o("--rdest", false, &[])));

    let rule = listed("KUBE-SEP-A  all  --  0.0.0.0/0  0.0.0.0/0  statistic mode random probability 0.33333333349");
    assert_eq!(
        rule.matches,
        vec![m(
            "statistic",
            vec![
                o("--mode", false, &["random"]),
                o("--probability", false, &["0.33333333349"])
            ]
        )]
    );
    let rule = listed("X  all  --  0.0.0.0/0  0.0.0.0/0  statistic mode nth ! every 3");
    assert_eq!(
        rule.matches,
        vec![m(
            "statistic",
            vec![
                o("--mode", false, &["nth"]),
                o("--every", true, &["3"]),
                o("--packet", false, &["0"])
            ]
        )]
    );
}

#[test]
fn mark_matches_and_targets() {
    let rule = listed(
        "RETURN     all  --  0.0.0.0/0            0.0.0.0/0            mark match ! 0x4000/0x4000",
    );
    assert_eq!(
        rule.matches,
        vec![m("mark", vec![o("--mark", true, &["0x4000/0x4000"])])]
    );
    for (text, xmark) in [
        ("MARK or 0x4000", "0x4000/0x4000"),
        ("MARK xor 0x4000", "0x4000/0x0"),
        ("MARK set 0x1", "0x1/0xffffffff"),
        ("MARK xset 0x4000/0xc000", "0x4000/0xc000"),
        ("MARK and 0xffffbfff", "0x0/0x4000"),
    ] {
        let rule = listed(&format!(
            "MARK       all  --  0.0.0.0/0            0.0.0.0/0            {text}"
        ));
        assert!(rule.matches.is_empty(), "{text}");
        assert_eq!(
            rule.target_opt("--set-xmark").map(Opt::value).as_deref(),
            Some(xmark),
            "{text}"
        );
    }
}

#[test]
fn addrtype_conntrack_state_nfacct_physdev_set() {
    let rule = listed("DOCKER     all  --  0.0.0.0/0  !127.0.0.0/8  ADDRTYPE match dst-type LOCAL");
    assert_eq!(rule.basic, vec![o("-d", true, &["127.0.0.0/8"])]);
    assert_eq!(
        rule.matches,
        vec![m("addrtype", vec![o("--dst-type", false, &["LOCAL"])])]
    );
    let rule =
        listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  ADDRTYPE match src-type !LOCAL limit-in");
    assert_eq!(
        rule.matches,
        vec![m(
            "addrtype",
            vec![
                o("--src-type", true, &["LOCAL"]),
                o("--limit-iface-in", false, &[])
            ]
        )]
    );
    let rule = listed("DROP  all  --  !127.0.0.0/8  127.0.0.0/8  /* block incoming localnet connections */ ! ctstate RELATED,ESTABLISHED,DNAT");
    assert_eq!(
        rule.matches.get(1),
        Some(&m(
            "conntrack",
            vec![o("--ctstate", true, &["RELATED,ESTABLISHED,DNAT"])]
        ))
    );
    let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ctstate INVALID nfacct-name  ct_state_invalid_dropped_pkts");
    assert_eq!(
        rule.matches,
        vec![
            m("conntrack", vec![o("--ctstate", false, &["INVALID"])]),
            m(
                "nfacct",
                vec![o(
                    "--nfacct-name",
                    false,
                    &["ct_state_invalid_dropped_pkts"]
                )]
            ),
        ]
    );
    let rule = listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  state RELATED,ESTABLISHED ctstate NEW ctdir ORIGINAL");
    assert_eq!(
        rule.matches,
        vec![
            m("state", vec![o("--state", false, &["RELATED,ESTABLISHED"])]),
            m(
                "conntrack",
                vec![
                    o("--ctstate", false, &["NEW"]),
                    o("--ctdir", false, &["ORIGINAL"])
                ]
            ),
        ]
    );
    let rule = listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  PHYSDEV match ! --physdev-is-in --physdev-out veth0");
    assert_eq!(
        rule.matches,
        vec![m(
            "physdev",
            vec![
                o("--physdev-is-in", true, &[]),
                o("--physdev-out", false, &["veth0"])
            ]
        )]
    );
    let rule = listed("DROP  all  --  0.0.0.0/0  0.0.0.0/0  ! match-set BLOCKED src,dst");
    assert_eq!(
        rule.matches,
        vec![m(
            "set",
            vec![o("--match-set", true, &["BLOCKED", "src,dst"])]
        )]
    );
    let rule = listed(r#"DROP  all  --  0.0.0.0/0  0.0.0.0/0  nfacct-name  "odd name""#);
    assert_eq!(
        rule.match_opt("nfacct", "--nfacct-name")
            .map(Opt::value)
            .as_deref(),
        Some("odd name")
    );
}

#[test]
fn ports_by_name_range_negation_multiport_and_flags() {
    let (ruleset, diags) = rules(
        "Chain KUBE-PORTALS-CONTAINER (1 references)\n\
         target     prot opt source               destination\n\
         REDIRECT   tcp  --  anywhere             10.0.0.10            /* default/my-nginx: */ tcp dpt:http-alt redir ports 39551\n\
         RETURN     tcp  --  anywhere             anywhere             tcp spts:1024:65535 dpt:!domain flags:FIN,SYN,RST,ACK/SYN\n\
         RETURN     tcp  --  anywhere             anywhere             tcp flags:0x17/0x02 option=8\n\
         RETURN     udp  --  anywhere             anywhere             multiport dports  !http,https,1000:2000\n\
         RETURN     udp  --  anywhere             anywhere             udp dpt:no-such-service\n",
    );
    let chain = ruleset
        .tables
        .first()
        .and_then(|t| t.chains.first())
        .expect("chain");
    let r = |i: usize| chain.rules.get(i).expect("rule");
    assert_eq!(
        r(0).matches.get(1),
        Some(&m("tcp", vec![o("--dport", false, &["8080"])]))
    );
    assert_eq!(
        r(0).target_opt("--to-ports").map(Opt::value).as_deref(),
        Some("39551")
    );
    assert_eq!(
        r(1).matches,
        vec![m(
            "tcp",
            vec![
                o("--sport", false, &["1024:65535"]),
                o("--dport", true, &["53"]),
                o("--tcp-flags", false, &["FIN,SYN,RST,ACK", "SYN"]),
            ]
        )]
    );
    assert_eq!(
        r(2).matches,
        vec![m(
            "tcp",
            vec![
                o("--tcp-flags", false, &["FIN,SYN,RST,ACK", "SYN"]),
                o("--tcp-option", false, &["8"]),
            ]
        )]
    );
    assert_eq!(
        r(3).matches,
        vec![m(
            "multiport",
            vec![o("--dports", true, &["80,443,1000:2000"])]
        )]
    );
    assert_eq!(
        r(4).matches,
        vec![m("udp", vec![o("--dport", false, &["no-such-service"])])]
    );
    assert_eq!(codes(&diags), vec![("service-name", 7), ("no-table", 1)]);
    assert_eq!(
        ruleset.tables.first().map(|t| t.name.as_str()),
        Some("nat"),
        "REDIRECT and KUBE-PORTALS- mean nat; RETURN says nothing"
    );
}

#[test]
fn names_without_n_anywhere_any_and_host_names() {
    let rule = only_rule(
        "iptables -L -v\nChain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n   12K  3456K ACCEPT     tcp  --  eth0   any     anywhere             node1.example        tcp dpt:ssh\n",
    );
    assert_eq!(rule.counters, None, "12K is rounded");
    assert_eq!(
        rule.basic,
        vec![
            o("-d", false, &["node1.example"]),
            o("-i", false, &["eth0"]),
            o("-p", false, &["tcp"])
        ]
    );
    assert_eq!(rule.dport().map(Opt::value).as_deref(), Some("22"));
    let (_, diags) = rules("iptables -L -v\nChain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 ACCEPT     tcp  --  any   any     anywhere             node1.example        tcp dpt:ssh\n");
    assert_eq!(codes(&diags), vec![("host-name", 4)]);
}

#[test]
fn empty_target_numeric_protocols_and_glued_columns() {
    // 1.8.9 and 1.8.10 print protocol numbers with -n; a rule without target has an empty target column.
    let (ruleset, _) = rules(
        "Chain KUBE-FW-X (1 references)\n\
         target     prot opt source               destination\n\
         KUBE-EXT-X  0    --  203.0.113.0/25       0.0.0.0/0            /* ns5/svc5:p80 loadbalancer IP */\n\
         \x20           0    --  0.0.0.0/0            0.0.0.0/0            /* other traffic */\n\
         ACCEPT     !6    -f  0.0.0.0/0            0.0.0.0/0\n\
         ACCEPT     ipv6-icmp--  ::/0  fd00::1\n\
         ACCEPT     all      ::/0                 ::/0\n",
    );
    let chain = ruleset
        .tables
        .first()
        .and_then(|t| t.chains.first())
        .expect("chain");
    let r = |i: usize| chain.rules.get(i).expect("rule");
    assert_eq!(r(0).basic, vec![o("-s", false, &["203.0.113.0/25"])]);
    assert_eq!(r(1).target, None);
    assert_eq!(r(1).comment().as_deref(), Some("other traffic"));
    assert_eq!(
        r(2).basic,
        vec![o("-p", true, &["tcp"]), o("-f", false, &[])]
    );
    assert_eq!(
        r(3).basic,
        vec![
            o("-d", false, &["fd00::1/128"]),
            o("-p", false, &["ipv6-icmp"])
        ]
    );
    assert!(r(4).basic.is_empty(), "old ip6tables: blank opt column");
    assert_eq!(r(4).target_name(), Some("ACCEPT"));
}

#[test]
fn goto_reject_masquerade_snat_and_unknown_text() {
    let (ruleset, diags) = rules(
        "iptables -L -n\n\
         Chain FORWARD (policy ACCEPT)\n\
         target     prot opt source               destination\n\
         KUBE-X     all  --  0.0.0.0/0            0.0.0.0/0            [goto]  /* c */\n\
         REJECT     tcp  --  0.0.0.0/0            10.0.0.1             reject-with icmp-port-unreachable\n\
         LOG        all  --  0.0.0.0/0            0.0.0.0/0            limit: avg 3/hour burst 5 LOG flags 0 level 4\n\
         SNAT       all  --  0.0.0.0/0            0.0.0.0/0            to:1.2.3.4 random-fully\n\
         MASQUERADE  tcp  --  0.0.0.0/0            0.0.0.0/0            masq ports: 1024-2048 random\n",
    );
    let chain = ruleset
        .table("filter")
        .and_then(|t| t.chain("FORWARD"))
        .expect("chain");
    let r = |i: usize| chain.rules.get(i).expect("rule");
    assert!(r(0).target.as_ref().is_some_and(|t| t.goto));
    assert_eq!(
        r(1).target_opt("--reject-with").map(Opt::value).as_deref(),
        Some("icmp-port-unreachable")
    );
    // Unknown text at the end of an extension target's rule is the target's.
    assert_eq!(
        r(2).target.as_ref().map(|t| t.options.clone()),
        Some(vec![o(
            "",
            false,
            &["limit: avg 3/hour burst 5 LOG flags 0 level 4"]
        )])
    );
    assert_eq!(
        r(3).target.as_ref().map(|t| t.options.clone()),
        Some(vec![
            o("--to-source", false, &["1.2.3.4"]),
            o("--random-fully", false, &[])
        ])
    );
    assert_eq!(
        r(4).target.as_ref().map(|t| t.options.clone()),
        Some(vec![
            o("--to-ports", false, &["1024-2048"]),
            o("--random", false, &[])
        ])
    );
    assert_eq!(codes(&diags), vec![("unknown-text", 6)]);
}

#[test]
fn unknown_text_before_a_known_match_is_an_unnamed_match() {
    let rule =
        listed("ACCEPT  tcp  --  0.0.0.0/0  0.0.0.0/0  limit: avg 3/hour burst 5 tcp dpt:22");
    assert_eq!(
        rule.matches,
        vec![
            m("", vec![o("", false, &["limit: avg 3/hour burst 5"])]),
            m("tcp", vec![o("--dport", false, &["22"])]),
        ]
    );
}

#[test]
fn icmp_forms() {
    let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmp echo-request");
    assert_eq!(
        rule.match_opt("icmp", "--icmp-type"),
        Some(&o("--icmp-type", false, &["echo-request"]))
    );
    let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmptype 8 code 0");
    assert_eq!(
        rule.match_opt("icmp", "--icmp-type"),
        Some(&o("--icmp-type", false, &["8/0"]))
    );
    let rule = listed("ACCEPT  icmp --  0.0.0.0/0  0.0.0.0/0  icmp !type 3");
    assert_eq!(
        rule.match_opt("icmp", "--icmp-type"),
        Some(&o("--icmp-type", true, &["3"]))
    );
}

#[test]
fn comments_keep_their_spacing_and_may_be_cut() {
    let rule = listed("ACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  /* two  spaces; tcp dpt:1 */ /*  */");
    assert_eq!(
        rule.matches,
        vec![
            m(
                "comment",
                vec![o("--comment", false, &["two  spaces; tcp dpt:1"])]
            ),
            m("comment", vec![o("--comment", false, &[""])]),
        ]
    );
    let (_, diags) = rules(
        "Chain X (1 references)\ntarget     prot opt source               destination\nACCEPT  all  --  0.0.0.0/0  0.0.0.0/0  /* cut her\n",
    );
    assert!(diags.iter().any(|d| d.code == "unterminated-comment"));
}

#[test]
fn stripped_addresses_and_empty_dnat() {
    let (ruleset, diags) = rules(
        "gianluca@sid:~$ sudo iptables -t nat -L\nChain KUBE-PORTALS-HOST (1 references)\ntarget     prot opt source               destination\nDNAT       tcp  --  anywhere              /* default/my-nginx: */ tcp dpt:http-alt to:\n",
    );
    let rule = ruleset
        .table("nat")
        .and_then(|t| t.chain("KUBE-PORTALS-HOST"))
        .and_then(|c| c.rules.first())
        .expect("rule");
    assert_eq!(rule.basic, vec![o("-p", false, &["tcp"])]);
    assert_eq!(
        rule.target_opt("--to-destination"),
        Some(&o("--to-destination", false, &[]))
    );
    let found: Vec<(&str, u32, u32)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        found,
        vec![("missing-address", 4, 43), ("empty-nat-target", 4, 84)]
    );
}

#[test]
fn command_lines_name_the_table() {
    for (line, table) in [
        ("$ sudo iptables -t nat -L -n -v", Some("nat")),
        ("root@node:~# iptables -nvL -t mangle", Some("mangle")),
        ("iptables -tnat -nL", Some("nat")),
        ("iptables -nvt raw -L PREROUTING", Some("raw")),
        ("/usr/sbin/ip6tables-legacy --table=nat --list", Some("nat")),
        ("sudo iptables --list --table security", Some("security")),
        ("iptables -L -n | grep KUBE -t nat", Some("filter")),
        ("`iptables -L`", Some("filter")),
        ("iptables -t nat -S", None),
        ("my iptables configuration below", None),
    ] {
        assert_eq!(command_table(line).as_deref(), table, "{line}");
    }
}

#[test]
fn tables_are_inferred_per_run_of_chains() {
    let (ruleset, diags) = rules(
        "Chain INPUT (policy ACCEPT)\n\
         target     prot opt source               destination\n\
         KUBE-FIREWALL  all  --  0.0.0.0/0            0.0.0.0/0\n\
         \n\
         Chain KUBE-SERVICES (1 references)\n\
         target     prot opt source               destination\n\
         REJECT     tcp  --  0.0.0.0/0            10.0.0.6             /* ns6/svc6:p80 has no endpoints */ tcp dpt:80 reject-with icmp-port-unreachable\n\
         \n\
         Chain PREROUTING (policy ACCEPT)\n\
         target     prot opt source               destination\n\
         KUBE-SERVICES  all  --  0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */\n\
         \n\
         Chain KUBE-SERVICES (2 references)\n\
         target     prot opt source               destination\n\
         KUBE-SVC-A  tcp  --  0.0.0.0/0            10.0.0.1             /* ns/a:p cluster IP */ tcp dpt:80\n",
    );
    let names: Vec<(&str, Vec<&str>)> = ruleset
        .tables
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.chains.iter().map(|c| c.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("filter", vec!["INPUT", "KUBE-SERVICES"]),
            ("nat", vec!["PREROUTING", "KUBE-SERVICES"]),
        ]
    );
    assert_eq!(codes(&diags), vec![("no-table", 1), ("no-table", 9)]);
}

#[test]
fn empty_listing_defaults_to_filter_and_repeated_chains_keep_the_first() {
    let (ruleset, diags) = rules(
        "iptables -t nat -L\nChain A (0 references)\ntarget     prot opt source               destination\nRETURN  all  --  0.0.0.0/0  0.0.0.0/0\nChain B (0 references)\niptables -t nat -L\nChain A (0 references)\n",
    );
    let nat = ruleset.table("nat").expect("nat");
    assert_eq!(nat.chains.len(), 2);
    assert_eq!(nat.chain("A").map(|c| c.rules.len()), Some(1));
    assert_eq!(codes(&diags), vec![("repeated-chain", 7)]);
    let (ruleset, diags) = rules("Chain OUTPUT (policy ACCEPT)\n");
    assert_eq!(
        ruleset.tables.first().map(|t| t.name.as_str()),
        Some("filter")
    );
    assert_eq!(codes(&diags), vec![("no-table", 1)]);
}

#[test]
fn rules_without_a_column_header_are_guessed() {
    let (ruleset, diags) = rules(
        "Chain KUBE-SVC-A (1 references)\n\
         1        0     0 KUBE-SEP-B  all  --  *      *       0.0.0.0/0            0.0.0.0/0            statistic mode random probability 0.50000000000\n\
         2        0     0 KUBE-SEP-C  all  --  *      *       0.0.0.0/0            0.0.0.0/0\n",
    );
    let chain = ruleset
        .table("nat")
        .and_then(|t| t.chain("KUBE-SVC-A"))
        .expect("chain");
    assert_eq!(chain.rules.len(), 2);
    assert!(chain.rules.iter().all(|r| r.basic.is_empty()));
    assert_eq!(
        chain.rules.first().and_then(|r| r.counters),
        Some(Counters {
            packets: 0,
            bytes: 0
        })
    );
    assert_eq!(
        codes(&diags),
        vec![("no-column-header", 2), ("no-table", 1)]
    );
}

#[test]
fn garbage_and_rules_outside_chains_are_reported() {
    let (ruleset, diags) = rules(
        "ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\nhello there\nChain X (1 references)\ntarget     prot opt source               destination\n%%% ### !!!\nChain (policy\nChain Y (1 refer\n\nprose after the listing\n",
    );
    let found: Vec<(&str, u32, Severity)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.severity))
        .collect();
    assert_eq!(
        found,
        vec![
            ("rule-outside-chain", 1, Severity::Warning),
            ("unknown-line", 2, Severity::Warning),
            ("unknown-line", 5, Severity::Error),
            ("unknown-line", 6, Severity::Error),
            ("bad-chain-header", 7, Severity::Warning),
            ("unknown-line", 9, Severity::Warning),
            ("no-table", 3, Severity::Info),
        ]
    );
    assert_eq!(ruleset.chain_count(), 2);
}

#[test]
fn detection() {
    assert!(looks_like(b"Chain INPUT (policy ACCEPT)\n"));
    assert!(looks_like(
        b"some words\ntarget     prot opt source               destination\n"
    ));
    assert!(looks_like(b"Chain KUBE-SERVICES (2 references)\n"));
    assert!(!looks_like(
        b"*nat\n:PREROUTING ACCEPT [0:0]\n-A X -j Y\nCOMMIT\n"
    ));
    assert!(!looks_like(b"Chain of events in prose\n"));
    assert!(!looks_like(b"Chain X (policy ACCEPT)\x00\n"));
}
