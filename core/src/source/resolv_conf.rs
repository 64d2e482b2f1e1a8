//! `resolv.conf`: the stub resolver's configuration (docs/domain/resolvers.md §1), read as glibc reads it.
//!
//! Keywords start a line and are followed by whitespace; `#` and `;` start comment lines (comments are not
//! stripped from the end of a line). `nameserver` takes its first token, `search` and `domain` replace each other
//! (the last wins), `options` lines apply in order. Values are capped as glibc caps them; what glibc would ignore
//! is kept with a diagnostic.

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::text;

/// glibc's `RES_MAXNDOTS`.
pub const MAX_NDOTS: u8 = 15;
/// glibc's `RES_MAXRETRANS`: the largest `timeout`, in seconds.
pub const MAX_TIMEOUT: u8 = 30;
/// glibc's `RES_MAXRETRY`: the largest `attempts`.
pub const MAX_ATTEMPTS: u8 = 5;
/// glibc's `MAXNS`: the nameservers a resolver uses; later ones are read but not used.
pub const MAX_NAMESERVERS: usize = 3;

/// Lines longer than this are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// musl reads lines into a 256-byte buffer and ignores a line that does not fit.
const MUSL_MAX_LINE_CHARS: usize = 255;

/// A parsed `resolv.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvConf {
    /// Every `nameserver` line, in order (resolvers use the first [`MAX_NAMESERVERS`]).
    pub nameservers: Vec<Nameserver>,
    /// The search list of the last `search` or `domain` line, verbatim (a `.` entry stands for the root).
    pub search: Vec<String>,
    /// The line the search list comes from.
    pub search_line: Option<u32>,
    /// The options, after every `options` line was applied.
    pub options: ResolvOptions,
}

/// One `nameserver` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nameserver {
    /// The address as written (IPv4, or IPv6 with an optional `%scope`).
    pub address: String,
    /// 1-based line.
    pub line: u32,
}

/// The `options` a resolver acts on, with glibc's defaults and caps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvOptions {
    /// Dots a name needs to be tried as-is first (default 1, at most [`MAX_NDOTS`]).
    pub ndots: u8,
    /// Seconds per try (default 5, at most [`MAX_TIMEOUT`]).
    pub timeout: u8,
    /// Tries per nameserver (default 2, at most [`MAX_ATTEMPTS`]).
    pub attempts: u8,
    /// Start at a different nameserver each time.
    pub rotate: bool,
    /// Send A and AAAA one after the other.
    pub single_request: bool,
    /// Like `single_request`, with a new socket for the second query.
    pub single_request_reopen: bool,
    /// Queries over TCP.
    pub use_vc: bool,
    /// An EDNS0 OPT record on queries.
    pub edns0: bool,
    /// Set the AD bit and trust it in answers.
    pub trust_ad: bool,
    /// No AAAA queries (glibc 2.36+).
    pub no_aaaa: bool,
    /// A dotless name is not tried as-is (`no-tld-query`, `no_tld_query`).
    pub no_tld_query: bool,
    /// Do not re-read the file when it changes.
    pub no_reload: bool,
    /// Stop the search on any error (glibc 2.41+).
    pub strict_error: bool,
    /// Options not recognised, verbatim, with where they are.
    pub unknown: Vec<UnknownOption>,
    /// The last `options` line.
    pub line: Option<u32>,
}

impl Default for ResolvOptions {
    fn default() -> Self {
        Self {
            ndots: 1,
            timeout: 5,
            attempts: 2,
            rotate: false,
            single_request: false,
            single_request_reopen: false,
            use_vc: false,
            edns0: false,
            trust_ad: false,
            no_aaaa: false,
            no_tld_query: false,
            no_reload: false,
            strict_error: false,
            unknown: Vec::new(),
            line: None,
        }
    }
}

/// An option no resolver this crate models knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownOption {
    /// The option as written.
    pub text: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
}

const KEYWORDS: [&str; 5] = ["nameserver", "search", "domain", "options", "sortlist"];

/// The whitespace-separated tokens of `line` with their 1-based character columns.
fn tokens(line: &str) -> Vec<(u32, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(u32, usize)> = None;
    let mut column = 0u32;
    for (i, c) in line.char_indices() {
        column = column.saturating_add(1);
        if c == ' ' || c == '\t' {
            if let Some((col, s)) = start.take() {
                out.push((col, line.get(s..i).unwrap_or_default()));
            }
        } else if start.is_none() {
            start = Some((column, i));
        }
    }
    if let Some((col, s)) = start {
        out.push((col, line.get(s..).unwrap_or_default()));
    }
    out
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#') || line.starts_with(';')
}

/// Whether `bytes` reads as a resolv.conf: among its first 64 lines that are not blank, comments or shell prompts,
/// at least 60 % start with a resolv.conf keyword (and two, when some do not).
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    // Scored: the share of its lines (not blank, not comments, not shell prompts) that start with a keyword. A
    // typo or a stray line among real ones does not hide the file; one keyword in other text does not make one.
    let (mut keywords, mut others) = (0usize, 0usize);
    for line in text::lines(bytes).take(64) {
        let (content, _) = text::decode(line.bytes);
        if content.trim().is_empty() || is_comment(&content) || text::is_prompt(&content) {
            continue;
        }
        match tokens(&content).first() {
            Some((1, word)) if KEYWORDS.contains(word) => keywords += 1,
            _ => others += 1,
        }
    }
    keywords > 0 && keywords * 10 >= (keywords + others) * 6 && (others == 0 || keywords >= 2)
}

/// Parses a resolv.conf.
pub fn parse(bytes: &[u8]) -> Parsed<ResolvConf> {
    let mut conf = ResolvConf::default();
    let mut diagnostics = Vec::new();
    for line in text::lines(bytes) {
        let n = line.number;
        let Some(content) = text::readable(&line, MAX_LINE_BYTES, &mut diagnostics) else {
            continue;
        };
        if content.trim().is_empty() || is_comment(&content) {
            continue;
        }
        if text::is_prompt(&content) {
            // Copied from a terminal with the file: glibc would ignore the line, and so does dnatlas.
            diagnostics.push(Diagnostic::new(
                Severity::Info,
                "shell-prompt",
                n,
                1,
                format!(
                    "`{}` is a shell prompt, not part of the resolv.conf; the line is ignored",
                    content.trim()
                ),
            ));
            continue;
        }
        let toks = tokens(&content);
        let Some(&(col, keyword)) = toks.first() else {
            continue;
        };
        let values = toks.get(1..).unwrap_or_default();
        if col != 1 || !KEYWORDS.contains(&keyword) {
            diagnostics.push(Diagnostic::new(
                Severity::Info,
                "unknown-keyword",
                n,
                col,
                format!("`{keyword}` is not a resolv.conf keyword; the line is ignored"),
            ));
            continue;
        }
        if content.chars().count() > MUSL_MAX_LINE_CHARS {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "line-too-long-for-musl",
                n,
                1,
                format!(
                    "line of {} characters: musl reads at most {MUSL_MAX_LINE_CHARS} and ignores this line",
                    content.chars().count()
                ),
            ));
        }
        if values.is_empty() {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "missing-value",
                n,
                col,
                format!("`{keyword}` without a value; the line is ignored"),
            ));
            continue;
        }
        match keyword {
            "nameserver" => nameserver(&mut conf, &mut diagnostics, n, values),
            "search" | "domain" => {
                // `domain` sets a one-entry search list; further tokens are ignored.
                let take = if keyword == "domain" { 1 } else { values.len() };
                conf.search = values
                    .iter()
                    .take(take)
                    .map(|(_, v)| (*v).to_string())
                    .collect();
                conf.search_line = Some(n);
            }
            "options" => {
                conf.options.line = Some(n);
                for &(column, option) in values {
                    apply_option(&mut conf.options, &mut diagnostics, n, column, option);
                }
            }
            // `sortlist` orders answers (glibc only); it does not change which queries are sent.
            _ => {}
        }
    }
    Parsed {
        value: conf,
        diagnostics,
    }
}

fn nameserver(
    conf: &mut ResolvConf,
    diagnostics: &mut Vec<Diagnostic>,
    n: u32,
    values: &[(u32, &str)],
) {
    let Some(&(column, address)) = values.first() else {
        return;
    };
    let valid = match address.split_once('%') {
        None => address.parse::<std::net::IpAddr>().is_ok(),
        Some((host, scope)) => !scope.is_empty() && host.parse::<std::net::Ipv6Addr>().is_ok(),
    };
    if !valid {
        diagnostics.push(Diagnostic::new(
            Severity::Warning,
            "bad-nameserver",
            n,
            column,
            format!("`{address}` is not an IP address; the line is ignored"),
        ));
        return;
    }
    if let Some(&(extra, _)) = values.get(1) {
        diagnostics.push(Diagnostic::new(
            Severity::Info,
            "extra-tokens",
            n,
            extra,
            "only the first address of a nameserver line is used",
        ));
    }
    if conf.nameservers.len() == MAX_NAMESERVERS {
        diagnostics.push(Diagnostic::new(
            Severity::Info,
            "too-many-nameservers",
            n,
            column,
            format!("resolvers use only the first {MAX_NAMESERVERS} nameservers; `{address}` is not used"),
        ));
    }
    conf.nameservers.push(Nameserver {
        address: address.to_string(),
        line: n,
    });
}

fn apply_option(
    options: &mut ResolvOptions,
    diagnostics: &mut Vec<Diagnostic>,
    n: u32,
    column: u32,
    option: &str,
) {
    let (negate, name) = match option.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, option),
    };
    let on = !negate;
    if let Some((key, value)) = name.split_once(':') {
        let (slot, cap, default) = match key {
            "ndots" => (&mut options.ndots, MAX_NDOTS, 1),
            "timeout" => (&mut options.timeout, MAX_TIMEOUT, 5),
            "attempts" => (&mut options.attempts, MAX_ATTEMPTS, 2),
            _ => {
                unknown(options, diagnostics, n, column, option);
                return;
            }
        };
        if negate {
            *slot = default;
            return;
        }
        let value_column = column.saturating_add(
            u32::try_from(key.chars().count())
                .unwrap_or(0)
                .saturating_add(1),
        );
        match value.parse::<u64>() {
            Ok(v) => {
                if v > u64::from(cap) {
                    diagnostics.push(Diagnostic::new(
                        Severity::Info,
                        "option-capped",
                        n,
                        value_column,
                        format!("`{key}:{v}` is more than glibc's maximum of {cap}; {cap} is used"),
                    ));
                }
                *slot = u8::try_from(v.min(u64::from(cap))).unwrap_or(cap);
            }
            Err(_) => diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "bad-option-value",
                n,
                value_column,
                format!(
                    "`{value}` is not a number for `{key}`; {key} stays {}",
                    *slot
                ),
            )),
        }
        return;
    }
    match name {
        "rotate" => options.rotate = on,
        "single-request" => options.single_request = on,
        "single-request-reopen" => options.single_request_reopen = on,
        "use-vc" => options.use_vc = on,
        "edns0" => options.edns0 = on,
        "trust-ad" => options.trust_ad = on,
        "no-aaaa" => options.no_aaaa = on,
        "no-tld-query" | "no_tld_query" => options.no_tld_query = on,
        "no-reload" => options.no_reload = on,
        "strict-error" => options.strict_error = on,
        _ => unknown(options, diagnostics, n, column, option),
    }
}

fn unknown(
    options: &mut ResolvOptions,
    diagnostics: &mut Vec<Diagnostic>,
    n: u32,
    column: u32,
    option: &str,
) {
    diagnostics.push(Diagnostic::new(
        Severity::Info,
        "unknown-option",
        n,
        column,
        format!("option `{option}` is not known; glibc ignores it"),
    ));
    options.unknown.push(UnknownOption {
        text: option.to_string(),
        line: n,
        column,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(p: &Parsed<ResolvConf>) -> Vec<(&str, u32, u32)> {
        p.diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect()
    }

    #[test]
    fn kubelet_pod_file() {
        let p = parse(
            b"search default.svc.cluster.local svc.cluster.local cluster.local ec2.internal\n\
              nameserver 10.96.0.10\n\
              options ndots:5\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(
            p.value.search,
            [
                "default.svc.cluster.local",
                "svc.cluster.local",
                "cluster.local",
                "ec2.internal"
            ]
        );
        assert_eq!(p.value.search_line, Some(1));
        assert_eq!(
            p.value.nameservers,
            [Nameserver {
                address: "10.96.0.10".into(),
                line: 2
            }]
        );
        assert_eq!(p.value.options.ndots, 5);
        assert_eq!(p.value.options.timeout, 5);
        assert_eq!(p.value.options.attempts, 2);
        assert_eq!(p.value.options.line, Some(3));
    }

    #[test]
    fn comments_are_whole_lines_only() {
        let p = parse(b"# a comment\n; another\n  \nsearch a.example # not a comment\n");
        assert!(p.diagnostics.is_empty());
        // Inline text after `#` is not stripped: glibc reads it as two more domains.
        assert_eq!(p.value.search, ["a.example", "#", "not", "a", "comment"]);
    }

    #[test]
    fn last_search_or_domain_wins() {
        let p = parse(b"search a.example b.example\ndomain c.example d.example\n");
        assert_eq!(p.value.search, ["c.example"]);
        assert_eq!(p.value.search_line, Some(2));
        let p = parse(b"domain c.example\nsearch a.example b.example\n");
        assert_eq!(p.value.search, ["a.example", "b.example"]);
        assert_eq!(p.value.search_line, Some(2));
    }

    #[test]
    fn nameservers_ipv6_scope_first_token_and_limit() {
        let p = parse(
            b"nameserver fe80::1%eth0\nnameserver 2001:db8::53 10.0.0.1\nnameserver 10.0.0.2\n\
              nameserver 10.0.0.3\nnameserver dns.example\nnameserver 10.0.0.9%eth0\n",
        );
        let addresses: Vec<&str> = p
            .value
            .nameservers
            .iter()
            .map(|s| s.address.as_str())
            .collect();
        assert_eq!(
            addresses,
            ["fe80::1%eth0", "2001:db8::53", "10.0.0.2", "10.0.0.3"]
        );
        assert_eq!(p.value.nameservers[3].line, 4);
        assert_eq!(
            codes(&p),
            [
                ("extra-tokens", 2, 25),
                ("too-many-nameservers", 4, 12),
                ("bad-nameserver", 5, 12),
                ("bad-nameserver", 6, 12),
            ]
        );
    }

    #[test]
    fn options_caps_defaults_and_flags() {
        let p = parse(b"options ndots:20 timeout:99 attempts:9\n");
        assert_eq!(
            (
                p.value.options.ndots,
                p.value.options.timeout,
                p.value.options.attempts
            ),
            (15, 30, 5)
        );
        assert_eq!(
            codes(&p),
            [
                ("option-capped", 1, 15),
                ("option-capped", 1, 26),
                ("option-capped", 1, 38)
            ]
        );
        let p = parse(
            b"options rotate single-request single-request-reopen use-vc edns0 trust-ad no-aaaa no-tld-query\n",
        );
        let o = &p.value.options;
        assert!(o.rotate && o.single_request && o.single_request_reopen && o.use_vc);
        assert!(o.edns0 && o.trust_ad && o.no_aaaa && o.no_tld_query);
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn options_lines_apply_in_order_and_negate() {
        let p = parse(b"options ndots:3 no-aaaa rotate\noptions -no-aaaa -ndots:2\n");
        assert!(!p.value.options.no_aaaa);
        assert!(p.value.options.rotate);
        assert_eq!(p.value.options.ndots, 1);
        assert_eq!(p.value.options.line, Some(2));
    }

    #[test]
    fn bad_values_and_unknowns_have_line_and_column() {
        let p = parse(b"nameserver 10.96.0.10\noptions ndots:x  timeout:2 frobnicate\nlookup file bind\nnameserver\n");
        assert_eq!(p.value.options.ndots, 1);
        assert_eq!(p.value.options.timeout, 2);
        assert_eq!(
            p.value.options.unknown,
            [UnknownOption {
                text: "frobnicate".into(),
                line: 2,
                column: 28
            }]
        );
        assert_eq!(
            codes(&p),
            [
                ("bad-option-value", 2, 15),
                ("unknown-option", 2, 28),
                ("unknown-keyword", 3, 1),
                ("missing-value", 4, 1),
            ]
        );
        assert_eq!(p.diagnostics[0].severity, Severity::Warning);
        assert_eq!(p.diagnostics[2].severity, Severity::Info);
    }

    #[test]
    fn keyword_must_start_the_line() {
        let p = parse(b"  nameserver 10.0.0.1\nnameserver\t10.0.0.2\r\n");
        assert_eq!(p.value.nameservers.len(), 1);
        assert_eq!(p.value.nameservers[0].line, 2);
        assert_eq!(codes(&p), [("unknown-keyword", 1, 3)]);
    }

    #[test]
    fn long_lines_are_flagged_for_musl() {
        let mut input = b"search".to_vec();
        for i in 0..30 {
            input.extend_from_slice(format!(" d{i}.example.internal").as_bytes());
        }
        let p = parse(&input);
        assert_eq!(p.value.search.len(), 30);
        assert_eq!(codes(&p), [("line-too-long-for-musl", 1, 1)]);
    }

    #[test]
    fn looks_like_resolv_conf() {
        assert!(looks_like(
            b"# generated\nnameserver 10.96.0.10\nsearch a b\noptions ndots:5\n"
        ));
        assert!(looks_like(b"nameserver 10.96.0.10\n"));
        assert!(!looks_like(b"# only a comment\n"));
        assert!(!looks_like(
            b"nameserver 10.96.0.10\n-A KUBE-SERVICES -j X\n"
        ));
        assert!(!looks_like(b"*nat\n:PREROUTING ACCEPT [0:0]\n"));
        assert!(!looks_like(b"nameserver\x00"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            &b""[..],
            b"\xff\xfe",
            b"options ndots:",
            b"options :",
            b"options -",
            b"options ndots:99999999999999999999999",
            b"nameserver %",
            b"search",
            b"\t\t",
        ] {
            let _ = parse(input);
            let _ = looks_like(input);
        }
    }
}
