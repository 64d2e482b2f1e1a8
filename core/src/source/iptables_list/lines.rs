//! The lines of a listing that are not rules (chain headers, column headers, the command lines that name a
//! table), and the words a line splits into.

use super::columns::count;
use crate::source::iptables::values::Family;
use crate::source::iptables::Counters;

/// A whitespace-separated word of a line with its byte range.
#[derive(Debug, Clone, Copy)]
pub(super) struct Word<'a> {
    pub(super) text: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c == ' ' || c == '\t' {
            if let Some(s) = start.take() {
                if let Some(text) = line.get(s..i) {
                    out.push(Word {
                        text,
                        start: s,
                        end: i,
                    });
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        if let Some(text) = line.get(s..) {
            out.push(Word {
                text,
                start: s,
                end: line.len(),
            });
        }
    }
    out
}

/// `Chain NAME (policy P [N packets, M bytes])`, `Chain NAME (N references)`.
#[derive(Debug)]
pub(super) struct ChainHeader {
    pub(super) name: String,
    pub(super) policy: Option<String>,
    pub(super) counters: Option<Counters>,
    /// The parenthesised part was read; otherwise the line was cut or mangled after the name.
    pub(super) well_formed: bool,
}

pub(super) fn chain_header(line: &str) -> Option<ChainHeader> {
    let rest = line.trim().strip_prefix("Chain ")?.trim_start();
    let (name, tail) = match rest.split_once(char::is_whitespace) {
        Some((name, tail)) => (name, tail.trim()),
        None => (rest, ""),
    };
    if name.is_empty() || name.starts_with('(') {
        return None;
    }
    // Prose that happens to start with "Chain " has no parenthesised part; a cut header may have half of one.
    if !tail.is_empty() && !tail.starts_with('(') {
        return None;
    }
    let mut header = ChainHeader {
        name: name.to_string(),
        policy: None,
        counters: None,
        well_formed: false,
    };
    let Some(inner) = tail.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return Some(header);
    };
    let parts: Vec<&str> = inner.split_whitespace().collect();
    match parts.as_slice() {
        ["policy", policy] => {
            header.policy = Some((*policy).to_string());
            header.well_formed = true;
        }
        ["policy", policy, packets, "packets,", bytes, "bytes"] => {
            header.policy = Some((*policy).to_string());
            if let (Some(Some(packets)), Some(Some(bytes))) = (count(packets), count(bytes)) {
                header.counters = Some(Counters { packets, bytes });
            }
            header.well_formed = true;
        }
        [refs, "references"] => header.well_formed = refs.bytes().all(|b| b.is_ascii_digit()),
        ["ERROR", "obtaining", "refs"] => header.well_formed = true,
        _ => {}
    }
    Some(header)
}

/// Which optional columns a chain's rules have, from its column header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// `--line-numbers`.
    pub(super) num: bool,
    /// `-v`: `pkts bytes`.
    pub(super) counts: bool,
    /// `-v`: `in out`; `None` when there was no header and it is guessed per line.
    pub(super) via: Option<bool>,
}

pub(super) fn column_header(line: &str) -> Option<Layout> {
    let mut parts = line.split_whitespace().peekable();
    let num = parts.next_if_eq(&"num").is_some();
    let counts = parts.next_if_eq(&"pkts").is_some();
    if counts && parts.next() != Some("bytes") {
        return None;
    }
    for want in ["target", "prot", "opt"] {
        if parts.next() != Some(want) {
            return None;
        }
    }
    let via = parts.next_if_eq(&"in").is_some();
    if via && parts.next() != Some("out") {
        return None;
    }
    if parts.next() != Some("source")
        || parts.next() != Some("destination")
        || parts.next().is_some()
    {
        return None;
    }
    Some(Layout {
        num,
        counts,
        via: Some(via),
    })
}

/// The address family of the iptables binary a command line runs (`ip6tables…` is IPv6).
pub(super) fn command_family(line: &str) -> Option<Family> {
    line.split_whitespace()
        .map(|w| w.trim_matches(|c| matches!(c, '`' | '"' | '\'' | '(' | ')')))
        .find_map(Family::of_tool)
}

/// The table named by an `iptables … -L …` command line (`filter` when it names none).
pub(super) fn command_table(line: &str) -> Option<String> {
    // A rule's comment may mention a command; a command line has no comment.
    let line = line.split("/*").next().unwrap_or(line);
    let parts: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c| matches!(c, '`' | '"' | '\'' | '(' | ')')))
        .collect();
    let binary = parts.iter().position(|w| {
        matches!(
            w.rsplit('/').next().unwrap_or(w),
            "iptables"
                | "ip6tables"
                | "iptables-legacy"
                | "ip6tables-legacy"
                | "iptables-nft"
                | "ip6tables-nft"
        )
    })?;
    let mut list = false;
    let mut table: Option<&str> = None;
    let mut rest = parts.iter().skip(binary + 1);
    while let Some(&word) = rest.next() {
        if word.starts_with('|') || word.starts_with(';') || word.starts_with('&') || word == ">" {
            break;
        }
        if word == "--list" || word.starts_with("--list=") {
            list = true;
        } else if word == "--table" {
            table = rest.next().copied();
        } else if let Some(t) = word.strip_prefix("--table=") {
            table = Some(t);
        } else if word.starts_with("--") {
            continue;
        } else if let Some(group) = word.strip_prefix('-') {
            // Short options grouped as getopt reads them: `-nvL`, `-tnat`, `-nt nat`.
            for (k, c) in group.char_indices() {
                match c {
                    'L' => list = true,
                    't' => {
                        let attached = group.get(k + 1..).unwrap_or_default();
                        table = if attached.is_empty() {
                            rest.next().copied()
                        } else {
                            Some(attached)
                        };
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    let table = table.unwrap_or("filter");
    (list && !table.is_empty()).then(|| table.to_string())
}
