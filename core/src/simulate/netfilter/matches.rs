//! Whether a rule matches the packet (its basic options, match modules and target values, as iptables checks
//! them), and the marks a `MARK` target sets.

use super::state::State;
use super::{NodeContext, Packet};
use crate::source::iptables::values::{self, Family};
use crate::source::iptables::RuleView;

/// Whether a rule matches.
pub(super) enum Match {
    No,
    Yes,
    /// Matches with this probability (a `statistic` match).
    Fork(f64),
}

/// Applies a `MARK` target's options to the packet's mark.
pub(super) fn apply_mark(rule: &RuleView<'_>, mark: &mut u32) {
    for o in rule.target_opts() {
        let v = o.value();
        match o.name() {
            "--set-xmark" => {
                if let Ok((value, mask)) = values::mark(&v) {
                    *mark = (*mark & !mask) ^ value;
                }
            }
            "--set-mark" => {
                if let Ok((value, mask)) = values::mark(&v) {
                    *mark = (*mark & !mask) | value;
                }
            }
            "--or-mark" => *mark |= values::number_u32(&v).unwrap_or(0),
            "--xor-mark" => *mark ^= values::number_u32(&v).unwrap_or(0),
            "--and-mark" => *mark &= values::number_u32(&v).unwrap_or(u32::MAX),
            _ => {}
        }
    }
}

/// What kind of value an invalid-value code is about, for the walk's notes.
fn value_kind(code: &str) -> &'static str {
    match code {
        "invalid-address" => "address",
        "invalid-port" => "port",
        "invalid-protocol" => "protocol",
        "invalid-probability" => "probability",
        "invalid-mark" => "mark",
        _ => "target",
    }
}

/// Notes that option `option` of the rule has a value iptables would refuse: the rule never matches.
fn never_matches(
    rule: &RuleView<'_>,
    option: &str,
    value: &str,
    invalid: &values::Invalid,
    st: &mut State,
) -> Match {
    st.assumptions.push(format!(
        "line {}: {option} {} is not a valid {} ({}); the rule never matches",
        rule.line(),
        values::shown(value),
        value_kind(invalid.code),
        invalid.why
    ));
    Match::No
}

/// Whether the rule matches the packet as the branch has it (`st`: its destination after DNAT, its mark); notes
/// what the walk had to assume.
pub(super) fn evaluate(
    rule: &RuleView<'_>,
    packet: &Packet,
    node: &NodeContext,
    st: &mut State,
) -> Match {
    if let Some(no) = basics(rule, packet, st) {
        return no;
    }
    let mut fork = None;
    let at = At {
        packet,
        node,
        line: rule.line(),
    };
    for m in rule.matches() {
        for opt in m.options() {
            let value = opt.value();
            let checked = module_option(&at, (m.name(), opt.name()), &value, st, &mut fork);
            let hit = match checked {
                Ok(hit) => hit,
                Err(invalid) => return never_matches(rule, opt.name(), &value, &invalid, st),
            };
            match hit {
                Some(h) if h != opt.negated() => {}
                Some(_) => return Match::No,
                None => {}
            }
        }
    }
    // A target whose values iptables refuses was never loaded: the rule never matches (and never rewrites the
    // packet to an address the input does not give).
    if let Some(target) = rule.target_name() {
        let family = Some(Family::of(st.dst));
        for opt in rule.target_opts() {
            let value = opt.value();
            let checked = match (target, opt.name()) {
                ("DNAT", "--to-destination") | ("SNAT", "--to-source") => {
                    values::nat_target(&value, family).map(drop)
                }
                ("REDIRECT" | "MASQUERADE", "--to-ports") => values::to_ports(&value).map(drop),
                ("MARK", "--set-xmark" | "--set-mark") => values::mark(&value).map(drop),
                ("MARK", "--and-mark" | "--or-mark" | "--xor-mark") => {
                    values::mark_value(&value).map(drop)
                }
                _ => Ok(()),
            };
            if let Err(invalid) = checked {
                return never_matches(rule, opt.name(), &value, &invalid, st);
            }
        }
    }
    match fork {
        Some(p) if p >= 1.0 => Match::Yes,
        Some(p) if p <= 0.0 => Match::No,
        Some(p) => Match::Fork(p),
        None => Match::Yes,
    }
}

/// The basic options (`-s`, `-d`, `-p`, `-i`, `-o`): `Some(Match::No)` when one rules the packet out.
fn basics(rule: &RuleView<'_>, packet: &Packet, st: &mut State) -> Option<Match> {
    for opt in rule.basics() {
        let value = opt.value();
        let hit = match opt.name() {
            "-s" | "-d" => {
                let ip = if opt.name() == "-s" {
                    packet.src
                } else {
                    st.dst
                };
                match values::address_contains(&value, ip) {
                    Ok(hit) => Some(hit),
                    Err(invalid) => {
                        return Some(never_matches(rule, opt.name(), &value, &invalid, st))
                    }
                }
            }
            "-p" => match values::protocol(&value) {
                Ok(0) => Some(true),
                Ok(n) => Some(values::protocol_number(&packet.protocol) == Some(n)),
                Err(invalid) => return Some(never_matches(rule, opt.name(), &value, &invalid, st)),
            },
            "-i" | "-o" => {
                // Interfaces are not known from a dump; a pod's packet comes in on its veth or bridge.
                st.assumptions.push(format!(
                    "line {}: interface match {} {value} assumed not to match",
                    rule.line(),
                    opt.name()
                ));
                Some(false)
            }
            _ => None,
        };
        match hit {
            Some(h) if h != opt.negated() => {}
            Some(_) => return Some(Match::No),
            None => {}
        }
    }
    None
}

/// The packet and node a rule is evaluated against, and the rule's line.
struct At<'a> {
    packet: &'a Packet,
    node: &'a NodeContext,
    line: u32,
}

/// One option of a match module: `Ok(Some(hit))` when it decides, `Ok(None)` when it does not (a comment, a
/// `statistic` share, which goes to `fork`), `Err` for a value iptables refuses.
fn module_option(
    at: &At<'_>,
    (module, option): (&str, &str),
    value: &str,
    st: &mut State,
    fork: &mut Option<f64>,
) -> Result<Option<bool>, values::Invalid> {
    let (packet, node) = (at.packet, at.node);
    let ports = |list: bool, port: u16| values::ports_contain(value, list, port);
    match (module, option) {
        ("comment" | "nfacct", _) => Ok(None),
        ("multiport", "--dports" | "--destination-ports") => ports(true, st.dport).map(Some),
        ("multiport", "--sports" | "--source-ports") => ports(true, packet.sport).map(Some),
        ("multiport", "--ports") => {
            ports(true, st.dport).and_then(|d| Ok(Some(d || ports(true, packet.sport)?)))
        }
        (_, "--dport" | "--destination-port") => ports(false, st.dport).map(Some),
        (_, "--sport" | "--source-port") => ports(false, packet.sport).map(Some),
        ("addrtype", "--dst-type") => Ok(Some(
            value.split(',').any(|t| t == "LOCAL") && node.is_local(st.dst),
        )),
        ("addrtype", "--src-type") => Ok(Some(
            value.split(',').any(|t| t == "LOCAL") && node.is_local(packet.src),
        )),
        ("addrtype", _) => Ok(None),
        ("mark", "--mark") => values::mark(value).map(|(v, mask)| Some(st.mark & mask == v)),
        ("conntrack", "--ctstate") => Ok(Some(
            value
                .split(',')
                .any(|s| s == "NEW" || (s == "DNAT" && st.dnat)),
        )),
        ("conntrack", _) => Ok(None),
        ("state", "--state") => Ok(Some(value.split(',').any(|s| s == "NEW"))),
        // A new client has no entry in the `recent` list yet.
        ("recent", "--rcheck" | "--update") => Ok(Some(false)),
        ("recent", _) => Ok(None),
        // One policy with the Service graph: a probability iptables refuses never matches.
        ("statistic", "--probability") => values::probability(value).map(|p| {
            *fork = Some(p);
            None
        }),
        ("statistic", "--every") => values::every(value).map(|n| {
            *fork = Some(1.0 / f64::from(n));
            None
        }),
        ("statistic", _) | ("tcp" | "udp" | "sctp" | "multiport", _) => Ok(None),
        ("physdev", _) => Ok(Some(false)),
        (module, option) => {
            st.assumptions.push(format!(
                "line {}: -m {module} {option} is not simulated; assumed to match",
                at.line
            ));
            Ok(None)
        }
    }
}
