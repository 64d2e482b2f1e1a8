//! Each match and target extension's printed text read back into its save-form options.

use super::tail::{bang, flag, hex, opt, quoted, starts_construct, Tail, CT_KEYWORDS};
use crate::diagnostic::Severity;
use crate::source::iptables::values::{self, Place};
use crate::source::iptables::{Match, Opt};

impl Tail<'_, '_> {
    pub(super) fn comment(&mut self) {
        let Some(open) = self.ws.get(self.i).copied() else {
            return;
        };
        let close =
            (self.i + 1..self.ws.len()).find(|&j| self.ws.get(j).is_some_and(|w| w.text == "*/"));
        let text = match close.and_then(|j| self.ws.get(j)) {
            Some(close) => {
                // `printf(" /* %s */")`: the comment is what lies between the single spaces.
                let (a, b) = (open.end + 1, close.start.saturating_sub(1));
                if a <= b {
                    self.line.get(a..b).unwrap_or_default()
                } else {
                    ""
                }
            }
            None => {
                let column = self.column(0);
                self.diag(
                    Severity::Warning,
                    "unterminated-comment",
                    column,
                    "\"/*\" without \"*/\" (a cut line?); the rest of the line is read as the comment"
                        .to_string(),
                );
                self.line
                    .get(open.end..)
                    .unwrap_or_default()
                    .strip_prefix(' ')
                    .unwrap_or_default()
                    .trim_end()
            }
        };
        self.matches.push(Match {
            name: "comment".to_string(),
            options: vec![opt("--comment", false, vec![text.to_string()])],
        });
        self.i = close.map_or(self.ws.len(), |j| j + 1);
    }

    /// Replaces port names by numbers in a port, a `a:b` range or a `,` list.
    pub(super) fn port_numbers(&mut self, text: &str, column: u32) -> String {
        let mut unknown = Vec::new();
        let out = text
            .split(',')
            .map(|item| {
                item.split(':')
                    .map(|p| {
                        if p.is_empty() || p.bytes().all(|b| b.is_ascii_digit()) {
                            p.to_string()
                        } else if let Some(n) = values::service_port(p) {
                            n.to_string()
                        } else {
                            unknown.push(p.to_string());
                            p.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .collect::<Vec<_>>()
            .join(",");
        for name in unknown {
            self.diag(
                Severity::Info,
                "service-name",
                column,
                format!("port name {name:?} is not in the table of service names; kept as written"),
            );
        }
        out
    }

    pub(super) fn ports(&mut self, proto: &str) {
        self.i += 1;
        let mut m = Match {
            name: proto.to_string(),
            options: Vec::new(),
        };
        while let Some(word) = self.peek(0) {
            let column = self.column(0);
            let (name, value) = if let Some(v) = word
                .strip_prefix("spts:")
                .or_else(|| word.strip_prefix("spt:"))
            {
                ("--sport", v)
            } else if let Some(v) = word
                .strip_prefix("dpts:")
                .or_else(|| word.strip_prefix("dpt:"))
            {
                ("--dport", v)
            } else if let Some(v) = word.strip_prefix("option=") {
                let (negated, v) = bang(v);
                m.options
                    .push(opt("--tcp-option", negated, vec![v.to_string()]));
                self.i += 1;
                continue;
            } else if let Some(v) = word.strip_prefix("flags:") {
                let (negated, v) = bang(v);
                let (mask, comp) = v.split_once('/').unwrap_or((v, ""));
                m.options.push(opt(
                    "--tcp-flags",
                    negated,
                    vec![tcp_flags(mask), tcp_flags(comp)],
                ));
                self.i += 1;
                continue;
            } else {
                break;
            };
            let (negated, value) = bang(value);
            let known = self.diagnostics.len();
            let numbers = self.port_numbers(value, column);
            // A name the table does not know is reported as such (the node's /etc/services may have it).
            if self.diagnostics.len() == known {
                self.check(0, Place::Match(proto), name, value);
            }
            m.options.push(opt(name, negated, vec![numbers]));
            self.i += 1;
        }
        self.matches.push(m);
    }

    pub(super) fn icmp(&mut self) {
        let mut numeric = self.peek(0) == Some("icmptype");
        self.i += 1;
        let mut negated = false;
        if !numeric {
            match self.peek(0) {
                Some("!type") => {
                    negated = true;
                    numeric = true;
                    self.i += 1;
                }
                Some(name) if !starts_construct(self.ws, self.i) => {
                    let (neg, name) = bang(name);
                    self.i += 1;
                    self.matches.push(Match {
                        name: "icmp".to_string(),
                        options: vec![opt("--icmp-type", neg, vec![name.to_string()])],
                    });
                    return;
                }
                _ => {}
            }
        }
        let mut value = String::new();
        if numeric {
            if let Some(t) = self
                .peek(0)
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            {
                value = t.to_string();
                self.i += 1;
                match (self.peek(0), self.peek(1)) {
                    (Some("code"), Some(c)) => {
                        value = format!("{value}/{c}");
                        self.i += 2;
                    }
                    (Some("codes"), Some(_)) => self.i += 2,
                    _ => {}
                }
            }
        }
        let options = if value.is_empty() {
            Vec::new()
        } else {
            vec![opt("--icmp-type", negated, vec![value])]
        };
        self.matches.push(Match {
            name: "icmp".to_string(),
            options,
        });
    }

    pub(super) fn multiport(&mut self) {
        self.i += 1;
        let mut m = Match {
            name: "multiport".to_string(),
            options: Vec::new(),
        };
        let name = match self.peek(0) {
            Some("dports") => Some("--dports"),
            Some("sports") => Some("--sports"),
            Some("ports") => Some("--ports"),
            _ => None,
        };
        if let Some(name) = name {
            self.i += 1;
            let column = self.column(0);
            if let Some(list) = self.take_value() {
                let (negated, list) = bang(&list);
                let known = self.diagnostics.len();
                let numbers = self.port_numbers(list, column);
                if self.diagnostics.len() == known {
                    self.i -= 1;
                    self.check(0, Place::Match("multiport"), name, list);
                    self.i += 1;
                }
                m.options.push(opt(name, negated, vec![numbers]));
            }
        }
        self.matches.push(m);
    }

    pub(super) fn statistic(&mut self) {
        self.i += 1;
        let mut m = Match {
            name: "statistic".to_string(),
            options: Vec::new(),
        };
        if self.peek(0) == Some("mode") {
            let mode = self.peek(1).unwrap_or_default();
            self.i += 2;
            m.options.push(opt("--mode", false, vec![mode.to_string()]));
            let negated = self.peek(0) == Some("!");
            if negated {
                self.i += 1;
            }
            let (key, name) = if mode == "nth" {
                ("every", "--every")
            } else {
                ("probability", "--probability")
            };
            if let (Some(k), Some(v)) = (self.peek(0), self.peek(1)) {
                if k == key {
                    self.check(1, Place::Match("statistic"), name, v);
                    m.options.push(opt(name, negated, vec![v.to_string()]));
                    self.i += 2;
                }
            }
            if mode == "nth" {
                // `--packet` is always saved, and printed only when it is not 0.
                let packet = match (self.peek(0), self.peek(1)) {
                    (Some("packet"), Some(p)) => {
                        self.i += 2;
                        p.to_string()
                    }
                    _ => "0".to_string(),
                };
                m.options.push(opt("--packet", false, vec![packet]));
            }
        }
        self.matches.push(m);
    }

    pub(super) fn recent(&mut self, negated: bool) {
        self.i += 1;
        let mut flags: Vec<&str> = Vec::new();
        let (mut seconds, mut hit_count, mut name, mut mask, mut side) =
            (None, None, None, None, None);
        let (mut reap, mut ttl) = (false, false);
        while let Some(word) = self.peek(0) {
            let value = self.peek(1);
            match word {
                "SET" => flags.push("--set"),
                "CHECK" => flags.push("--rcheck"),
                "UPDATE" => flags.push("--update"),
                "REMOVE" => flags.push("--remove"),
                "reap" => reap = true,
                "TTL-Match" => ttl = true,
                "seconds:" | "hit_count:" | "name:" | "side:" | "mask:" if value.is_some() => {
                    let slot = match word {
                        "seconds:" => &mut seconds,
                        "hit_count:" => &mut hit_count,
                        "name:" => &mut name,
                        "side:" => &mut side,
                        _ => &mut mask,
                    };
                    *slot = value;
                    self.i += 1;
                }
                _ => break,
            }
            self.i += 1;
        }
        // `recent_save` order, with the `!` before the first option.
        let mut options: Vec<Opt> = flags.into_iter().map(flag).collect();
        let valued = |o: &str, v: &str| opt(o, false, vec![v.to_string()]);
        if let Some(v) = seconds {
            options.push(valued("--seconds", v));
        }
        if reap {
            options.push(flag("--reap"));
        }
        if let Some(v) = hit_count {
            options.push(valued("--hitcount", v));
        }
        if ttl {
            options.push(flag("--rttl"));
        }
        if let Some(v) = name {
            options.push(valued("--name", v));
        }
        if let Some(v) = mask {
            options.push(valued("--mask", v));
        }
        match side {
            Some("source") => options.push(flag("--rsource")),
            Some("dest") => options.push(flag("--rdest")),
            _ => {}
        }
        if let Some(first) = options.first_mut() {
            first.negated = negated;
        }
        self.matches.push(Match {
            name: "recent".to_string(),
            options,
        });
    }

    pub(super) fn nfacct(&mut self) {
        self.i += 1;
        let value = match self.ws.get(self.i).copied() {
            Some(w) if w.text.starts_with('"') => {
                let (value, end) = quoted(self.line, w.start);
                while self.ws.get(self.i).is_some_and(|w| w.start < end) {
                    self.i += 1;
                }
                Some(value)
            }
            Some(w) => {
                self.i += 1;
                Some(w.text.to_string())
            }
            None => None,
        };
        self.matches.push(Match {
            name: "nfacct".to_string(),
            options: vec![opt("--nfacct-name", false, value.into_iter().collect())],
        });
    }

    pub(super) fn set(&mut self, negated: bool) {
        self.i += 1;
        let mut values = Vec::new();
        for _ in 0..2 {
            if let Some(v) = self.take_value() {
                values.push(v);
            }
        }
        let mut options = vec![opt("--match-set", negated, values)];
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some("return-nomatch"), _) => {
                    options.push(flag("--return-nomatch"));
                    self.i += 1;
                }
                (Some("!"), Some(f @ ("update-counters" | "update-subcounters"))) => {
                    options.push(opt(&format!("--{f}"), true, Vec::new()));
                    self.i += 2;
                }
                _ => break,
            }
        }
        self.matches.push(Match {
            name: "set".to_string(),
            options,
        });
    }

    pub(super) fn conntrack(&mut self, negated: bool) {
        let mut m = Match {
            name: "conntrack".to_string(),
            options: Vec::new(),
        };
        let mut negated = negated;
        loop {
            match self.peek(0) {
                Some("!") if self.peek(1).is_some_and(|t| CT_KEYWORDS.contains(&t)) => {
                    negated = true;
                    self.i += 1;
                }
                Some(key) if CT_KEYWORDS.contains(&key) => {
                    self.i += 1;
                    let values = self.take_value().into_iter().collect();
                    m.options.push(opt(&format!("--{key}"), negated, values));
                    negated = false;
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    pub(super) fn addrtype(&mut self) {
        self.i += 2;
        let mut m = Match {
            name: "addrtype".to_string(),
            options: Vec::new(),
        };
        while let Some(word) = self.peek(0) {
            match word {
                "src-type" | "dst-type" => {
                    self.i += 1;
                    if let Some(v) = self.take_value() {
                        let (negated, v) = bang(&v);
                        m.options
                            .push(opt(&format!("--{word}"), negated, vec![v.to_string()]));
                    }
                }
                "limit-in" => {
                    m.options.push(flag("--limit-iface-in"));
                    self.i += 1;
                }
                "limit-out" => {
                    m.options.push(flag("--limit-iface-out"));
                    self.i += 1;
                }
                // Revision 0 printed `dst-type` without a space: `dst-typeLOCAL`.
                w if w.len() > 8 && (w.starts_with("src-type") || w.starts_with("dst-type")) => {
                    let (key, v) = w.split_at(8);
                    let (negated, v) = bang(v);
                    m.options
                        .push(opt(&format!("--{key}"), negated, vec![v.to_string()]));
                    self.i += 1;
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    pub(super) fn physdev(&mut self) {
        self.i += 2;
        let mut m = Match {
            name: "physdev".to_string(),
            options: Vec::new(),
        };
        loop {
            let negated = self.peek(0) == Some("!");
            let k = usize::from(negated);
            match self.peek(k) {
                Some(f @ ("--physdev-is-in" | "--physdev-is-out" | "--physdev-is-bridged")) => {
                    m.options.push(opt(f, negated, Vec::new()));
                    self.i += k + 1;
                }
                Some(f @ ("--physdev-in" | "--physdev-out")) => {
                    let values = self
                        .peek(k + 1)
                        .map(str::to_string)
                        .into_iter()
                        .collect::<Vec<_>>();
                    self.i += k + 1 + values.len();
                    m.options.push(opt(f, negated, values));
                }
                _ => break,
            }
        }
        self.matches.push(m);
    }

    /// `mark_tg_print` (MARK revision 2) back to the `--set-xmark value/mask` that `mark_tg_save` prints.
    pub(super) fn mark_target(&mut self) -> bool {
        let (Some(op), Some(value)) = (self.peek(1), self.peek(2)) else {
            return false;
        };
        let (v, m) = value.split_once('/').unwrap_or((value, ""));
        let (Some(v), m) = (hex(v), hex(m)) else {
            return false;
        };
        let xmark = match (op, m) {
            ("and", None) => (0, !v),
            ("or", None) => (v, v),
            ("xor", None) => (v, 0),
            ("set", None) => (v, u32::MAX),
            ("xset", Some(m)) => (v, m),
            _ => return false,
        };
        self.i += 3;
        self.target_opts.push(opt(
            "--set-xmark",
            false,
            vec![format!("{:#x}/{:#x}", xmark.0, xmark.1)],
        ));
        true
    }
}

/// TCP flags in `print_tcpf` names; the numeric form (`0x17`) of `-n` is turned into names as save prints them.
pub(super) fn tcp_flags(text: &str) -> String {
    let Some(bits) = hex(text) else {
        return text.to_string();
    };
    const NAMES: [(&str, u32); 8] = [
        ("FIN", 0x01),
        ("SYN", 0x02),
        ("RST", 0x04),
        ("PSH", 0x08),
        ("ACK", 0x10),
        ("URG", 0x20),
        ("ECE", 0x40),
        ("CWR", 0x80),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(_, bit)| bits & bit != 0)
        .map(|(name, _)| *name)
        .collect();
    if names.is_empty() {
        "NONE".to_string()
    } else {
        names.join(",")
    }
}
