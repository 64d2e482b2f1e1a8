//! One rule line of a listing: its columns (number, counters, target, protocol, opt, interfaces, addresses) as
//! basic options in save form, and the match and target text after them handed to [`Tail`].

use std::net::{Ipv4Addr, Ipv6Addr};

use super::lines::{words, Layout, Word};
use super::tail::{bang, opt, starts_construct, Tail};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::iptables::values::{self, Checked, Family, Place};
use crate::source::iptables::{Counters, Match, Opt, Rule, Target};
use crate::text;

/// A counter column: `Some(Some(n))` exact, `Some(None)` rounded (`12K`), `None` not a counter.
pub(super) fn count(text: &str) -> Option<Option<u64>> {
    let digits = text.trim_end_matches(['K', 'M', 'G', 'T']);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || text.len() > digits.len() + 1
    {
        return None;
    }
    Some(if digits.len() == text.len() {
        text.parse().ok()
    } else {
        None
    })
}

/// The opt column: `--`, `-f`, `!f` (`!-` for a negated flag that is not set).
pub(super) fn opt_word(text: &str) -> Option<Option<bool>> {
    let mut chars = text.chars();
    let (Some(inv), Some(frag), None) = (chars.next(), chars.next(), chars.next()) else {
        return None;
    };
    if !matches!(inv, '-' | '!') || !matches!(frag, '-' | 'f') {
        return None;
    }
    Some((frag == 'f').then_some(inv == '!'))
}

/// Protocol names `iptables -L` prints: `xtables_chain_protos`, and `/etc/protocols` names of `-L` without `-n`.
pub(super) const PROTOCOLS: [&str; 28] = [
    "all",
    "tcp",
    "udp",
    "udplite",
    "icmp",
    "icmpv6",
    "ipv6-icmp",
    "esp",
    "ah",
    "sctp",
    "mh",
    "ipv6-mh",
    "mobility-header",
    "dccp",
    "ipcomp",
    "gre",
    "igmp",
    "ipip",
    "ipencap",
    "ipv6",
    "ospf",
    "vrrp",
    "pim",
    "l2tp",
    "rsvp",
    "egp",
    "encap",
    "etherip",
];

/// `xtables_chain_protos` by number, for 1.8.9 and 1.8.10, which print numbers with `-n`.
pub(super) fn protocol_name(number: u8) -> Option<&'static str> {
    Some(match number {
        6 => "tcp",
        132 => "sctp",
        17 => "udp",
        136 => "udplite",
        1 => "icmp",
        58 => "ipv6-icmp",
        50 => "esp",
        51 => "ah",
        135 => "mobility-header",
        33 => "dccp",
        108 => "ipcomp",
        0 => "all",
        _ => return None,
    })
}

/// The prot column: `[!]name` or `[!]number`, possibly glued to the opt column (`ipv6-icmp--`, before 1.8.9).
#[derive(Debug, Clone, Copy)]
pub(super) struct Proto<'a> {
    pub(super) negated: bool,
    pub(super) name: &'a str,
    pub(super) glued_opt: Option<&'a str>,
}

pub(super) fn proto_word(text: &str) -> Option<Proto<'_>> {
    let (negated, body) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let known = |t: &str| PROTOCOLS.contains(&t) || t.parse::<u8>().is_ok();
    if known(body) {
        return Some(Proto {
            negated,
            name: body,
            glued_opt: None,
        });
    }
    let split = body.len().checked_sub(2)?;
    let (name, opt) = (body.get(..split)?, body.get(split..)?);
    (known(name) && opt_word(opt).is_some()).then_some(Proto {
        negated,
        name,
        glued_opt: Some(opt),
    })
}

pub(super) fn address_like(text: &str) -> bool {
    let t = text.trim_start_matches('!');
    t == "anywhere" || t.contains('/') || t.parse::<std::net::IpAddr>().is_ok()
}

/// Guesses the optional columns of a rule line when no column header was seen.
pub(super) fn guess_layout(ws: &[Word<'_>]) -> Layout {
    let mut n = ws.iter().take_while(|w| count(w.text).is_some()).count();
    // The last number is a numeric protocol when the opt column follows it.
    if n > 0 && ws.get(n).is_some_and(|w| opt_word(w.text).is_some()) {
        n -= 1;
    }
    Layout {
        num: n == 1 || n >= 3,
        counts: n >= 2,
        via: None,
    }
}

/// Whether the words from `i` are `in out source …` rather than `source destination …`.
pub(super) fn guess_via(ws: &[Word<'_>], i: usize) -> bool {
    let (Some(a), Some(b), Some(c)) = (ws.get(i), ws.get(i + 1), ws.get(i + 2)) else {
        return false;
    };
    !address_like(a.text)
        && !address_like(b.text)
        && address_like(c.text)
        && !starts_construct(ws, i)
        && !starts_construct(ws, i + 1)
}

/// A source or destination column as the basic option iptables-save would print, or `None` for any address; and
/// whether it is a host name (`-L` without `-n`). Text that is neither an address nor a name is kept as written,
/// for the value check to report.
pub(super) fn address(name: &str, text: &str, family: Option<Family>) -> (Option<Opt>, bool) {
    let (negated, body) = bang(text);
    let any = matches!(body, "anywhere" | "0.0.0.0/0" | "::/0");
    if any {
        let value = match (body, family) {
            ("anywhere", Some(Family::V6)) => "::/0",
            ("anywhere", _) => "0.0.0.0/0",
            _ => body,
        };
        return (
            negated.then(|| opt(name, true, vec![value.to_string()])),
            false,
        );
    }
    let (host, mask) = match body.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (body, None),
    };
    let value = if host.parse::<Ipv4Addr>().is_ok() {
        mask.map_or_else(|| format!("{host}/32"), |_| body.to_string())
    } else if host.parse::<Ipv6Addr>().is_ok() {
        mask.map_or_else(|| format!("{host}/128"), |_| body.to_string())
    } else {
        return (
            Some(opt(name, negated, vec![body.to_string()])),
            host_name(body),
        );
    };
    (Some(opt(name, negated, vec![value])), false)
}

/// Whether `text` reads as a host name: letters, digits, dots, hyphens and underscores, with a letter somewhere
/// (`10.0.0.300` is a broken address, not a name).
pub(super) fn host_name(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Checks a value as iptables would before loading its rule (`values::check`): an invalid one is an error
/// diagnostic at `column`; a valid address fixes the listing's family when it is not known yet.
pub(super) fn check_value(
    out: &mut Vec<Diagnostic>,
    number: u32,
    column: u32,
    (place, option, value): (Place<'_>, &str, &str),
    family: &mut Option<Family>,
) {
    match values::check(place, option, value, *family) {
        Checked::Unchecked => {}
        Checked::Valid(found) => {
            if family.is_none() {
                *family = found;
            }
        }
        Checked::Invalid(invalid) => out.push(Diagnostic::new(
            Severity::Error,
            invalid.code,
            number,
            column,
            invalid.message(option, value, matches!(place, Place::Target(_))),
        )),
    }
}

pub(super) fn interface(name: &str, text: &str) -> Option<Opt> {
    let (negated, body) = bang(text);
    if matches!(body, "*" | "any" | "") {
        return None;
    }
    Some(opt(name, negated, vec![body.to_string()]))
}

/// The columns before the interfaces and addresses: `num`, `pkts bytes`, target, prot and opt.
struct Leading<'a> {
    /// The index of the word after them.
    next: usize,
    counters: Option<Counters>,
    target: Option<&'a str>,
    proto: Proto<'a>,
    /// Byte offset of the prot column in the line.
    proto_at: usize,
    /// `-f` (negated or not) from the opt column.
    fragment: Option<bool>,
}

/// Reads the leading columns of a rule line; `None` when they are not a rule's.
fn leading<'a>(ws: &[Word<'a>], layout: Layout) -> Option<Leading<'a>> {
    let mut i = 0;
    if layout.num {
        if !ws.get(i)?.text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        i += 1;
    }
    let mut counters = None;
    if layout.counts {
        let packets = count(ws.get(i)?.text)?;
        let bytes = count(ws.get(i + 1)?.text)?;
        if let (Some(packets), Some(bytes)) = (packets, bytes) {
            counters = Some(Counters { packets, bytes });
        }
        i += 2;
    }
    // An empty target column leaves the protocol first; otherwise the protocol follows the target.
    let first = ws.get(i)?;
    let second_is_proto = ws.get(i + 1).is_some_and(|w| proto_word(w.text).is_some());
    let proto_word_at = |k: usize| ws.get(k).map_or(0, |w| w.start);
    let (target, proto, proto_at) = match proto_word(first.text) {
        Some(proto) if !second_is_proto => (None, proto, first.start),
        _ => {
            let word = ws.get(i + 1)?;
            let proto = match proto_word(word.text) {
                Some(p) => p,
                // A protocol named from /etc/protocols that the table above lacks: the opt column vouches for it.
                None if ws.get(i + 2).is_some_and(|w| opt_word(w.text).is_some()) => {
                    let (negated, name) = bang(word.text);
                    Proto {
                        negated,
                        name,
                        glued_opt: None,
                    }
                }
                None => return None,
            };
            i += 1;
            (Some(first.text), proto, proto_word_at(i))
        }
    };
    i += 1;
    let opt_text = match proto.glued_opt {
        Some(o) => Some(o),
        None => match ws.get(i).filter(|w| opt_word(w.text).is_some()) {
            Some(w) => {
                i += 1;
                Some(w.text)
            }
            None => None,
        },
    };
    Some(Leading {
        next: i,
        counters,
        target,
        proto,
        proto_at,
        fragment: opt_text.and_then(opt_word).flatten(),
    })
}

/// What was odd about one rule line: notes about its columns, and the invalid values found in them (reported
/// after the notes).
struct Notes<'l> {
    number: u32,
    line: &'l str,
    notes: Vec<Diagnostic>,
    checked: Vec<Diagnostic>,
}

impl Notes<'_> {
    fn note(&mut self, severity: Severity, code: &str, offset: usize, message: String) {
        self.notes.push(Diagnostic::new(
            severity,
            code,
            self.number,
            text::column_of(self.line, offset),
            message,
        ));
    }
}

/// Reads one rule line. `None` when the line is not a rule (nothing is reported then); otherwise the rule and
/// what was odd about it.
pub(super) fn read_rule(
    number: u32,
    line: &str,
    layout: Option<Layout>,
    family: &mut Option<Family>,
) -> Option<(Rule, Vec<Diagnostic>)> {
    let ws = words(line);
    let layout = layout.unwrap_or_else(|| guess_layout(&ws));
    let lead = leading(&ws, layout)?;
    let mut i = lead.next;
    let mut notes = Notes {
        number,
        line,
        notes: Vec::new(),
        checked: Vec::new(),
    };
    let via = layout.via.unwrap_or_else(|| guess_via(&ws, i));
    let mut ifaces = [None, None];
    if via {
        for slot in &mut ifaces {
            if let Some(w) = ws.get(i).filter(|_| !starts_construct(&ws, i)) {
                *slot = Some(w.text);
                i += 1;
            }
        }
    }
    let mut addresses = Vec::new();
    while addresses.len() < 2 {
        match ws.get(i) {
            Some(w) if !starts_construct(&ws, i) => {
                addresses.push(*w);
                i += 1;
            }
            _ => break,
        }
    }
    if addresses.len() < 2 {
        let missing = if addresses.is_empty() {
            "source and destination columns are"
        } else {
            "destination column is"
        };
        notes.note(
            Severity::Warning,
            "missing-address",
            ws.get(i).map_or(line.len(), |w| w.start),
            format!("the {missing} empty (were addresses removed when the listing was copied?); read as any address"),
        );
    }
    let basic = basic_options(&mut notes, &lead, ifaces, &addresses, family);

    let mut tail = Tail {
        line,
        ws: &ws,
        i,
        number,
        target: lead.target,
        matches: Vec::new(),
        target_opts: Vec::new(),
        goto: false,
        diagnostics: Vec::new(),
        family: *family,
    };
    tail.run();
    *family = tail.family;
    let mut diagnostics = notes.notes;
    diagnostics.extend(notes.checked);
    diagnostics.extend(tail.diagnostics);
    let mut matches = tail.matches;
    let target = match lead.target {
        Some(name) => Some(Target {
            name: name.to_string(),
            goto: tail.goto,
            options: tail.target_opts,
        }),
        None => {
            // Target text without a target column cannot be placed; it is kept as an unnamed match.
            if !tail.target_opts.is_empty() {
                matches.push(Match {
                    name: String::new(),
                    options: tail.target_opts,
                });
            }
            None
        }
    };
    Some((
        Rule {
            line: number,
            counters: lead.counters,
            basic,
            matches,
            target,
        },
        diagnostics,
    ))
}

/// The basic options of a rule line's columns, in iptables-save's order: -s -d -i -o -p -f.
fn basic_options(
    notes: &mut Notes<'_>,
    lead: &Leading<'_>,
    ifaces: [Option<&str>; 2],
    addresses: &[Word<'_>],
    family: &mut Option<Family>,
) -> Vec<Opt> {
    let (number, line) = (notes.number, notes.line);
    let mut basic = Vec::new();
    for (name, word) in ["-s", "-d"].into_iter().zip(addresses) {
        let (option, host_name) = address(name, word.text, *family);
        if let Some(value) = option
            .as_ref()
            .filter(|_| !host_name)
            .and_then(|o| o.values.first())
        {
            let negated = word.text.starts_with('!');
            let column = text::column_of(line, word.start + usize::from(negated));
            check_value(
                &mut notes.checked,
                number,
                column,
                (Place::Basic, name, value),
                family,
            );
        }
        if host_name {
            notes.note(
                Severity::Info,
                "host-name",
                word.start,
                format!(
                    "{:?} is a host name (a listing without -n); kept as written, it matches no packet address",
                    word.text
                ),
            );
        }
        basic.extend(option);
    }
    for (name, iface) in ["-i", "-o"].into_iter().zip(ifaces) {
        basic.extend(iface.and_then(|t| interface(name, t)));
    }
    let proto = lead.proto;
    let proto_name = match proto.name.parse::<u8>() {
        Ok(n) => protocol_name(n).map_or_else(|| n.to_string(), str::to_string),
        Err(_) => proto.name.to_string(),
    };
    check_value(
        &mut notes.checked,
        number,
        text::column_of(line, lead.proto_at + usize::from(proto.negated)),
        (Place::Basic, "-p", proto.name),
        family,
    );
    if proto_name != "all" || proto.negated {
        basic.push(opt("-p", proto.negated, vec![proto_name]));
    }
    if let Some(negated) = lead.fragment {
        basic.push(opt("-f", negated, Vec::new()));
    }
    basic
}
