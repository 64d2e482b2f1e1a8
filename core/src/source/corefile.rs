//! The CoreDNS `Corefile` (docs/domain/coredns.md §4): Caddyfile syntax read the way CoreDNS's Caddy fork reads it, with the
//! plugins that decide how cluster names and upstream names are answered modelled, and [`risks`] for the
//! configurations docs/domain/coredns.md §4 names as dangerous.
//!
//! Lexing follows Caddy: tokens are separated by whitespace; `#` outside quotes starts a comment that runs to the
//! end of the line; `"…"` quotes a token, may span lines (which continues the directive's line), and a backslash
//! escapes only `"` inside it. Only the bare tokens `{` and `}` are braces, so environment placeholders such as
//! `{$UPSTREAM}` stay verbatim tokens. A server block is a list of keys (a trailing `,` continues the list on the
//! next line) followed by `{`; a directive is its name and the tokens up to the end of its line, and a `{` — on
//! the same line or the next, as Caddy accepts — opens its nested block. Snippets `(name) { … }` are blocks
//! marked as snippets and `import` stays a directive. Nothing is expanded or resolved.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::text;

/// Lines longer than this are skipped.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// Nested blocks deeper than this are not descended into (no plugin nests more than twice).
const MAX_DEPTH: usize = 16;
/// `kubernetes` `ttl` bounds (setup.go).
const MAX_KUBERNETES_TTL: u32 = 3600;
/// The `kubernetes` plugin's TTL when `ttl` is not set (kubernetes.go).
pub const DEFAULT_KUBERNETES_TTL: u32 = 5;

/// The plugins CoreDNS builds in (plugin.cfg), plus `import`. Other names are kept with an info diagnostic.
const KNOWN_DIRECTIVES: [&str; 58] = [
    "root",
    "metadata",
    "geoip",
    "cancel",
    "tls",
    "quic",
    "grpc_server",
    "https",
    "timeouts",
    "multisocket",
    "reload",
    "nsid",
    "bufsize",
    "bind",
    "debug",
    "trace",
    "ready",
    "health",
    "pprof",
    "prometheus",
    "errors",
    "log",
    "dnstap",
    "local",
    "dns64",
    "acl",
    "any",
    "chaos",
    "loadbalance",
    "tsig",
    "cache",
    "rewrite",
    "header",
    "dnssec",
    "autopath",
    "minimal",
    "template",
    "transfer",
    "hosts",
    "route53",
    "azure",
    "clouddns",
    "k8s_external",
    "kubernetes",
    "file",
    "auto",
    "secondary",
    "etcd",
    "loop",
    "forward",
    "grpc",
    "erratic",
    "whoami",
    "on",
    "sign",
    "view",
    "nomad",
    "import",
];

/// A parsed Corefile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corefile {
    /// Server blocks and snippets, in order.
    pub blocks: Vec<ServerBlock>,
    /// Directives found outside any server block (each also has a diagnostic).
    pub outside: Vec<Directive>,
}

/// One server block (or snippet): its keys and its directives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerBlock {
    /// The keys (`.:53`, `cluster.local:53`, `dns://…`), in order.
    pub keys: Vec<ZoneKey>,
    /// For a snippet `(name) { … }`: its name.
    pub snippet: Option<String>,
    /// The directives (plugins), in order.
    pub directives: Vec<Directive>,
    /// 1-based line of the first key (or of the `{` of a block without keys).
    pub line: u32,
    /// 1-based column of the same.
    pub column: u32,
    /// The line of the closing `}`; `None` when it is missing or the block has no braces.
    pub end_line: Option<u32>,
}

/// One server block key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneKey {
    /// The key as written.
    pub text: String,
    /// The transport: `dns` unless written (`tls://`, `grpc://`, `https://`, `quic://`).
    pub scheme: String,
    /// The zone without scheme and port (`.`, `cluster.local`, `10.0.0.0/8`).
    pub zone: String,
    /// The port, when written and valid.
    pub port: Option<u16>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One directive: a plugin line of a server block, or a line of a plugin's nested block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    /// The directive's name as written.
    pub name: String,
    /// Its arguments on the same line, verbatim (quotes removed).
    pub args: Vec<String>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The lines of its nested `{ … }` block, in order.
    pub block: Vec<Directive>,
    /// What the plugin's arguments mean, for the plugins modelled (server block level only).
    pub plugin: Option<Plugin>,
}

/// The modelled plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "plugin", rename_all = "snake_case")]
pub enum Plugin {
    /// `kubernetes`.
    Kubernetes(Kubernetes),
    /// `forward`.
    Forward(Forward),
    /// `cache`.
    Cache(Cache),
    /// `loop`: the self-query at startup that stops CoreDNS when its upstream leads back to it.
    Loop,
    /// `health`.
    Health(Health),
    /// `ready`.
    Ready(Ready),
    /// `autopath`.
    Autopath(Autopath),
    /// `rewrite`.
    Rewrite(Rewrite),
    /// `hosts`.
    Hosts(Hosts),
    /// `reload`.
    Reload(Reload),
    /// `errors`.
    Errors,
    /// `log`.
    Log,
}

/// How the `kubernetes` plugin answers `a-b-c-d.ns.pod.zone` (docs/domain/coredns.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodsMode {
    /// NXDOMAIN (the default).
    Disabled,
    /// Any valid IP in an existing namespace.
    Insecure,
    /// Only IPs of pods that exist in that namespace.
    Verified,
}

/// A `fallthrough [ZONES…]` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallthrough {
    /// The zones whose name errors pass on; empty means every zone.
    pub zones: Vec<String>,
    /// 1-based line.
    pub line: u32,
}

/// `kubernetes [ZONES…] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kubernetes {
    /// The zones written; empty means the server block's zones.
    pub zones: Vec<String>,
    /// `pods` mode (default `disabled`).
    pub pods: PodsMode,
    /// The line of `pods`.
    pub pods_line: Option<u32>,
    /// `fallthrough`.
    pub fallthrough: Option<Fallthrough>,
    /// Answer TTL (default [`DEFAULT_KUBERNETES_TTL`], 0–3600).
    pub ttl: u32,
    /// The line of `ttl`.
    pub ttl_line: Option<u32>,
    /// `endpoint_pod_names`: endpoint labels are pod names.
    pub endpoint_pod_names: bool,
    /// `ignore empty_service`: NXDOMAIN for Services without endpoints.
    pub ignore_empty_service: bool,
}

/// One `forward` destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// As written: an address (`8.8.8.8`, `dns://1.1.1.1:53`, `tls://…`) or a resolv.conf path.
    pub text: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// `forward FROM TO… { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forward {
    /// The zone forwarded (`.` for everything).
    pub from: String,
    /// The destinations, in order.
    pub to: Vec<Upstream>,
    /// `except` zones.
    pub except: Vec<String>,
    /// `policy` (default `random`).
    pub policy: String,
    /// `max_concurrent`, when set.
    pub max_concurrent: Option<u32>,
}

/// `cache` `success` or `denial` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheClass {
    /// Capacity in entries.
    pub capacity: Option<u32>,
    /// Maximum TTL in seconds.
    pub ttl: Option<u32>,
    /// Minimum TTL in seconds.
    pub min_ttl: Option<u32>,
    /// 1-based line.
    pub line: u32,
}

/// A `cache` `disable success|denial [ZONES…]` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheDisable {
    /// `success` or `denial`.
    pub kind: String,
    /// The zones not cached (empty: the plugin's zones).
    pub zones: Vec<String>,
    /// 1-based line.
    pub line: u32,
}

/// `cache [TTL] [ZONES…] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    /// Maximum TTL in seconds for both kinds (defaults 3600 success, 1800 denial).
    pub ttl: Option<u32>,
    /// Zones cached (empty: the server block's).
    pub zones: Vec<String>,
    /// `success`.
    pub success: Option<CacheClass>,
    /// `denial`.
    pub denial: Option<CacheClass>,
    /// `disable` lines.
    pub disable: Vec<CacheDisable>,
    /// `prefetch` is set.
    pub prefetch: bool,
    /// `serve_stale` is set.
    pub serve_stale: bool,
}

/// `health [ADDRESS] { lameduck DURATION }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Listen address (default `:8080`).
    pub address: Option<String>,
    /// `lameduck` duration as written.
    pub lameduck: Option<String>,
    /// The line of `lameduck`.
    pub lameduck_line: Option<u32>,
}

/// `ready [ADDRESS]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    /// Listen address (default `:8181`).
    pub address: Option<String>,
}

/// `autopath [ZONES…] RESOLV-CONF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autopath {
    /// Zones (empty: the server block's).
    pub zones: Vec<String>,
    /// Where search paths come from: `@kubernetes` or a resolv.conf path.
    pub source: Option<String>,
}

/// `rewrite [continue|stop] FIELD …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    /// `continue` or `stop`, when written.
    pub flow: Option<String>,
    /// The field rewritten (`name`, `type`, `class`, `edns0`, `ttl`, `cname`, `rcode`).
    pub field: Option<String>,
    /// The rest of the rule, verbatim.
    pub rule: Vec<String>,
}

/// `hosts [FILE [ZONES…]] { … }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosts {
    /// The hosts file (default `/etc/hosts`).
    pub file: Option<String>,
    /// Zones (empty: the server block's).
    pub zones: Vec<String>,
    /// Inline entries (lines of the block that are not options), verbatim.
    pub inline: Vec<String>,
    /// `fallthrough`.
    pub fallthrough: Option<Fallthrough>,
    /// `ttl`, when set.
    pub ttl: Option<u32>,
}

/// `reload [INTERVAL] [JITTER]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reload {
    /// Check interval as written (default 30s).
    pub interval: Option<String>,
    /// Jitter as written (default 15s).
    pub jitter: Option<String>,
}

/// A configuration docs/domain/coredns.md §4 names as risky, with the lines that make it so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    /// Stable kebab-case code, e.g. `corefile-forward-loop`.
    pub code: String,
    /// What is wrong and why it matters.
    pub message: String,
    /// The 1-based lines of the directives involved, ascending.
    pub lines: Vec<u32>,
}

// ---------------------------------------------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone)]
struct Tok {
    text: String,
    line: u32,
    column: u32,
    /// The line the token ends on (a quoted token may span lines).
    end_line: u32,
    quoted: bool,
}

impl Tok {
    fn is(&self, brace: &str) -> bool {
        !self.quoted && self.text == brace
    }
}

fn lex(bytes: &[u8], diagnostics: &mut Vec<Diagnostic>) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut current: Option<Tok> = None;
    let mut escaped = false;
    let mut last_line = 1u32;
    for line in text::lines(bytes) {
        let n = line.number;
        last_line = n;
        if line.bytes.len() > MAX_LINE_BYTES {
            diagnostics.push(Diagnostic::new(
                Severity::Error,
                "line-too-long",
                n,
                1,
                format!(
                    "line of {} bytes is longer than the {MAX_LINE_BYTES} bytes read; skipped",
                    line.bytes.len()
                ),
            ));
            continue;
        }
        let (content, bad) = text::decode(line.bytes);
        if let Some(column) = bad {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "invalid-utf8",
                n,
                column,
                "invalid UTF-8; the bad bytes are replaced",
            ));
        }
        let mut column = 0u32;
        for c in content.chars() {
            column = column.saturating_add(1);
            if let Some(tok) = current.as_mut().filter(|t| t.quoted) {
                if escaped {
                    if c != '"' {
                        tok.text.push('\\');
                    }
                    tok.text.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    tok.end_line = n;
                    toks.extend(current.take());
                } else {
                    tok.text.push(c);
                }
                continue;
            }
            if c.is_whitespace() {
                toks.extend(current.take());
            } else if c == '#' {
                break;
            } else if let Some(tok) = current.as_mut() {
                tok.text.push(c);
            } else {
                current = Some(Tok {
                    text: if c == '"' {
                        String::new()
                    } else {
                        c.to_string()
                    },
                    line: n,
                    column,
                    end_line: n,
                    quoted: c == '"',
                });
            }
        }
        match current.as_mut() {
            Some(tok) if tok.quoted => {
                if escaped {
                    tok.text.push('\\');
                    escaped = false;
                }
                tok.text.push('\n');
            }
            _ => toks.extend(current.take()),
        }
    }
    if let Some(mut tok) = current.take() {
        diagnostics.push(Diagnostic::new(
            Severity::Error,
            "unclosed-quote",
            tok.line,
            tok.column,
            "quoted string is not closed before the end of the input",
        ));
        tok.end_line = last_line;
        if tok.text.ends_with('\n') {
            tok.text.pop();
        }
        toks.push(tok);
    }
    toks
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

struct Parser<'a> {
    toks: &'a [Tok],
    i: usize,
    diagnostics: Vec<Diagnostic>,
    /// Token index by (line, column), to find a nested line's arguments again.
    at: FxHashMap<(u32, u32), usize>,
}

fn is_known(name: &str) -> bool {
    KNOWN_DIRECTIVES.contains(&name)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn diag(&mut self, severity: Severity, code: &str, tok: &Tok, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(
            severity, code, tok.line, tok.column, message,
        ));
    }

    /// Whether the token at `i` starts a new line relative to the token before it.
    fn new_line_at(&self, i: usize) -> bool {
        match (
            i.checked_sub(1).and_then(|p| self.toks.get(p)),
            self.toks.get(i),
        ) {
            (Some(prev), Some(tok)) => tok.line > prev.end_line,
            _ => true,
        }
    }

    /// The keys starting at `i` (Caddy's `addresses`): tokens on one line, a trailing comma continuing the list on
    /// the next. Returns the keys and the index after them.
    fn scan_keys(&self, start: usize) -> (Vec<Tok>, usize) {
        let mut keys = Vec::new();
        let mut i = start;
        let mut expecting = false;
        while let Some(tok) = self.toks.get(i) {
            if tok.is("{") || tok.is("}") {
                break;
            }
            if i > start && !expecting && self.new_line_at(i) {
                break;
            }
            let mut key = tok.clone();
            expecting = key.text.ends_with(',');
            if expecting {
                key.text.pop();
            }
            if !key.text.is_empty() {
                keys.push(key);
            }
            i += 1;
        }
        (keys, i)
    }

    fn parse(mut self) -> Parsed<Corefile> {
        let mut corefile = Corefile::default();
        while let Some(tok) = self.peek().cloned() {
            if tok.is("}") {
                self.diag(
                    Severity::Error,
                    "unmatched-close-brace",
                    &tok,
                    "`}` closes no block; ignored",
                );
                self.i += 1;
                continue;
            }
            if tok.is("{") {
                self.diag(
                    Severity::Error,
                    "block-without-key",
                    &tok,
                    "server block has no zone key",
                );
                self.i += 1;
                let (directives, end_line) = self.body(&tok, 1, true);
                corefile.blocks.push(ServerBlock {
                    keys: Vec::new(),
                    snippet: None,
                    directives,
                    line: tok.line,
                    column: tok.column,
                    end_line,
                });
                continue;
            }
            let (keys, after) = self.scan_keys(self.i);
            let opens = self.toks.get(after).is_some_and(|t| t.is("{"));
            if !opens && is_known(&tok.text) {
                self.diag(
                    Severity::Error,
                    "directive-outside-block",
                    &tok,
                    format!("`{}` is outside any server block; it is not used", tok.text),
                );
                let directive = self.directive(0, true);
                corefile.outside.extend(directive);
                continue;
            }
            let mut block = ServerBlock {
                keys: Vec::new(),
                snippet: None,
                directives: Vec::new(),
                line: tok.line,
                column: tok.column,
                end_line: None,
            };
            if let [only] = keys.as_slice() {
                if only.text.len() > 2 && only.text.starts_with('(') && only.text.ends_with(')') {
                    block.snippet = only.text.get(1..only.text.len() - 1).map(str::to_string);
                }
            }
            if block.snippet.is_none() {
                for key in &keys {
                    let zone_key = self.zone_key(key);
                    block.keys.push(zone_key);
                }
            }
            self.i = after;
            if opens {
                let open = self.toks.get(after).cloned();
                self.i += 1;
                if let Some(open) = open {
                    let (directives, end_line) = self.body(&open, 1, true);
                    block.directives = directives;
                    block.end_line = end_line;
                }
            } else {
                self.diag(
                    Severity::Info,
                    "block-without-braces",
                    &tok,
                    "server block without `{ }`: the lines that follow are read as its directives",
                );
                block.directives = self.braceless_body();
            }
            corefile.blocks.push(block);
        }
        Parsed {
            value: corefile,
            diagnostics: self.diagnostics,
        }
    }

    fn zone_key(&mut self, key: &Tok) -> ZoneKey {
        let (scheme, rest) = match key.text.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("dns".to_string(), key.text.as_str()),
        };
        let mut zone = rest.to_string();
        let mut port = None;
        // One colon separates the port; more than one is an IPv6 zone without a port.
        if rest.matches(':').count() == 1 {
            if let Some((z, p)) = rest.split_once(':') {
                zone = z.to_string();
                match p.parse::<u16>() {
                    Ok(v) => port = Some(v),
                    Err(_) => self.diag(
                        Severity::Warning,
                        "bad-port",
                        key,
                        format!("`{p}` in `{}` is not a port", key.text),
                    ),
                }
            }
        }
        if zone.is_empty() {
            self.diag(
                Severity::Warning,
                "empty-zone",
                key,
                format!("`{}` names no zone", key.text),
            );
        }
        ZoneKey {
            text: key.text.clone(),
            scheme,
            zone,
            port,
            line: key.line,
            column: key.column,
        }
    }

    /// Directives up to the `}` matching `open` (consumed) or the end. Returns them and the `}` line.
    fn body(&mut self, open: &Tok, depth: usize, top: bool) -> (Vec<Directive>, Option<u32>) {
        let mut out = Vec::new();
        while let Some(tok) = self.peek().cloned() {
            if tok.is("}") {
                self.i += 1;
                return (out, Some(tok.line));
            }
            if tok.is("{") {
                self.diag(
                    Severity::Error,
                    "unexpected-open-brace",
                    &tok,
                    "`{` follows no directive; ignored",
                );
                self.i += 1;
                continue;
            }
            if top && !is_known(&tok.text) {
                self.diag(
                    Severity::Info,
                    "unknown-directive",
                    &tok,
                    format!(
                        "`{}` is not a plugin CoreDNS builds in; kept as written",
                        tok.text
                    ),
                );
            }
            out.extend(self.directive(depth, top));
        }
        self.diag(
            Severity::Error,
            "unclosed-brace",
            open,
            "`{` is not closed before the end of the input",
        );
        (out, None)
    }

    /// Directives of a block without braces, up to the end or a line that opens another server block.
    fn braceless_body(&mut self) -> Vec<Directive> {
        let mut out = Vec::new();
        while let Some(tok) = self.peek().cloned() {
            if tok.is("}") || tok.is("{") {
                break;
            }
            let (_, after) = self.scan_keys(self.i);
            if !is_known(&tok.text) && self.toks.get(after).is_some_and(|t| t.is("{")) {
                break;
            }
            out.extend(self.directive(1, true));
        }
        out
    }

    /// One directive at the cursor: its name, its arguments to the end of the line, and its nested block.
    fn directive(&mut self, depth: usize, top: bool) -> Option<Directive> {
        let name = self.peek()?.clone();
        let start = self.i;
        self.i += 1;
        let mut args: Vec<Tok> = Vec::new();
        let mut block = Vec::new();
        while let Some(tok) = self.peek().cloned() {
            if tok.is("{") {
                self.i += 1;
                if depth >= MAX_DEPTH {
                    self.diag(
                        Severity::Error,
                        "too-deep",
                        &tok,
                        format!("blocks nested deeper than {MAX_DEPTH}; the rest is skipped"),
                    );
                    self.i = self.toks.len();
                    break;
                }
                let (inner, _) = self.body(&tok, depth + 1, false);
                block = inner;
                break;
            }
            if tok.is("}") || (self.i > start && self.new_line_at(self.i)) {
                break;
            }
            args.push(tok);
            self.i += 1;
        }
        let plugin = if top {
            self.plugin(&name, &args, &block)
        } else {
            None
        };
        Some(Directive {
            name: name.text,
            args: args.into_iter().map(|t| t.text).collect(),
            line: name.line,
            column: name.column,
            block,
            plugin,
        })
    }

    fn number(&mut self, tok: &Tok, what: &str) -> Option<u32> {
        match tok.text.parse::<u32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.diag(
                    Severity::Warning,
                    "bad-number",
                    tok,
                    format!("`{}` is not a valid {what}", tok.text),
                );
                None
            }
        }
    }

    fn duration(&mut self, tok: &Tok, what: &str) -> String {
        if !is_go_duration(&tok.text) {
            self.diag(
                Severity::Warning,
                "bad-duration",
                tok,
                format!("`{}` is not a valid {what} (e.g. `5s`, `1m30s`)", tok.text),
            );
        }
        tok.text.clone()
    }

    fn plugin(&mut self, name: &Tok, args: &[Tok], block: &[Directive]) -> Option<Plugin> {
        let texts = |toks: &[Tok]| toks.iter().map(|t| t.text.clone()).collect::<Vec<_>>();
        Some(match name.text.as_str() {
            "kubernetes" => Plugin::Kubernetes(self.kubernetes(args, block)),
            "forward" => Plugin::Forward(self.forward(name, args, block)),
            "cache" => Plugin::Cache(self.cache(args, block)),
            "loop" => Plugin::Loop,
            "health" => {
                let mut health = Health {
                    address: args.first().map(|t| t.text.clone()),
                    lameduck: None,
                    lameduck_line: None,
                };
                for line in block {
                    if line.name == "lameduck" {
                        if let Some(value) = self.sub_arg(line, 0) {
                            health.lameduck = Some(self.duration(&value, "lameduck duration"));
                        }
                        health.lameduck_line = Some(line.line);
                    }
                }
                Plugin::Health(health)
            }
            "ready" => Plugin::Ready(Ready {
                address: args.first().map(|t| t.text.clone()),
            }),
            "autopath" => {
                let (source, zones) = match args.split_last() {
                    Some((last, zones)) => (Some(last.text.clone()), texts(zones)),
                    None => (None, Vec::new()),
                };
                if source.is_none() {
                    self.diag(
                        Severity::Warning,
                        "missing-argument",
                        name,
                        "`autopath` needs `@kubernetes` or a resolv.conf path",
                    );
                }
                Plugin::Autopath(Autopath { zones, source })
            }
            "rewrite" => {
                let mut rest = texts(args);
                let flow = match rest.first().map(String::as_str) {
                    Some("continue" | "stop") => Some(rest.remove(0)),
                    _ => None,
                };
                let field = if rest.is_empty() {
                    None
                } else {
                    Some(rest.remove(0))
                };
                Plugin::Rewrite(Rewrite {
                    flow,
                    field,
                    rule: rest,
                })
            }
            "hosts" => Plugin::Hosts(self.hosts(args, block)),
            "reload" => {
                let interval = args.first().map(|t| self.duration(t, "reload interval"));
                let jitter = args.get(1).map(|t| self.duration(t, "reload jitter"));
                Plugin::Reload(Reload { interval, jitter })
            }
            "errors" => Plugin::Errors,
            "log" => Plugin::Log,
            _ => return None,
        })
    }

    /// The `index`th argument of a nested line, as a token with its column; a diagnostic when it is missing.
    fn sub_arg(&mut self, line: &Directive, index: usize) -> Option<Tok> {
        let tok = self.sub_tok(line, index);
        if tok.is_none() {
            self.diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "missing-argument",
                line.line,
                line.column,
                format!("`{}` needs a value", line.name),
            ));
        }
        tok
    }

    /// Finds the token of a nested line's argument again, for its column.
    fn sub_tok(&self, line: &Directive, index: usize) -> Option<Tok> {
        let text = line.args.get(index)?;
        let found = self
            .at
            .get(&(line.line, line.column))
            .and_then(|p| self.toks.get(p + 1 + index))
            .filter(|t| &t.text == text)
            .cloned();
        Some(found.unwrap_or(Tok {
            text: text.clone(),
            line: line.line,
            column: line.column,
            end_line: line.line,
            quoted: false,
        }))
    }

    fn fallthrough(line: &Directive) -> Fallthrough {
        Fallthrough {
            zones: line.args.clone(),
            line: line.line,
        }
    }

    fn kubernetes(&mut self, args: &[Tok], block: &[Directive]) -> Kubernetes {
        let mut k = Kubernetes {
            zones: args.iter().map(|t| t.text.clone()).collect(),
            pods: PodsMode::Disabled,
            pods_line: None,
            fallthrough: None,
            ttl: DEFAULT_KUBERNETES_TTL,
            ttl_line: None,
            endpoint_pod_names: false,
            ignore_empty_service: false,
        };
        for line in block {
            match line.name.as_str() {
                "pods" => {
                    if let Some(tok) = self.sub_arg(line, 0) {
                        match tok.text.as_str() {
                            "disabled" => k.pods = PodsMode::Disabled,
                            "insecure" => k.pods = PodsMode::Insecure,
                            "verified" => k.pods = PodsMode::Verified,
                            other => self.diag(
                                Severity::Warning,
                                "bad-value",
                                &tok,
                                format!(
                                    "`pods {other}`: the mode is disabled, insecure or verified"
                                ),
                            ),
                        }
                    }
                    k.pods_line = Some(line.line);
                }
                "fallthrough" => k.fallthrough = Some(Self::fallthrough(line)),
                "ttl" => {
                    if let Some(tok) = self.sub_arg(line, 0) {
                        match self.number(&tok, "TTL") {
                            Some(v) if v <= MAX_KUBERNETES_TTL => k.ttl = v,
                            Some(v) => self.diag(
                                Severity::Warning,
                                "bad-number",
                                &tok,
                                format!(
                                    "ttl {v} is above {MAX_KUBERNETES_TTL}; CoreDNS refuses it"
                                ),
                            ),
                            None => {}
                        }
                    }
                    k.ttl_line = Some(line.line);
                }
                "endpoint_pod_names" => k.endpoint_pod_names = true,
                "ignore" if line.args.iter().any(|a| a == "empty_service") => {
                    k.ignore_empty_service = true;
                }
                _ => {}
            }
        }
        k
    }

    fn forward(&mut self, name: &Tok, args: &[Tok], block: &[Directive]) -> Forward {
        let from = args.first().map(|t| t.text.clone()).unwrap_or_default();
        let to: Vec<Upstream> = args
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|t| Upstream {
                text: t.text.clone(),
                line: t.line,
                column: t.column,
            })
            .collect();
        if to.is_empty() {
            self.diag(
                Severity::Warning,
                "missing-argument",
                name,
                "`forward` needs a zone and at least one destination",
            );
        }
        let mut f = Forward {
            from,
            to,
            except: Vec::new(),
            policy: "random".to_string(),
            max_concurrent: None,
        };
        for line in block {
            match line.name.as_str() {
                "except" => f.except.extend(line.args.iter().cloned()),
                "policy" => {
                    if let Some(tok) = self.sub_arg(line, 0) {
                        if !matches!(tok.text.as_str(), "random" | "round_robin" | "sequential") {
                            self.diag(
                                Severity::Warning,
                                "bad-value",
                                &tok,
                                format!(
                                    "`policy {}`: the policy is random, round_robin or sequential",
                                    tok.text
                                ),
                            );
                        }
                        f.policy = tok.text;
                    }
                }
                "max_concurrent" => {
                    if let Some(tok) = self.sub_arg(line, 0) {
                        f.max_concurrent = self.number(&tok, "max_concurrent");
                    }
                }
                _ => {}
            }
        }
        f
    }

    fn cache(&mut self, args: &[Tok], block: &[Directive]) -> Cache {
        let mut c = Cache {
            ttl: None,
            zones: Vec::new(),
            success: None,
            denial: None,
            disable: Vec::new(),
            prefetch: false,
            serve_stale: false,
        };
        let mut rest = args;
        if let Some((first, tail)) = args.split_first() {
            if first
                .text
                .chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_digit())
            {
                c.ttl = self.number(first, "cache TTL");
                rest = tail;
            }
        }
        c.zones = rest.iter().map(|t| t.text.clone()).collect();
        for line in block {
            match line.name.as_str() {
                "success" | "denial" => {
                    let mut values = [None, None, None];
                    for (index, slot) in values.iter_mut().enumerate() {
                        if let Some(tok) = self.sub_tok(line, index) {
                            *slot = self.number(&tok, "cache capacity or TTL");
                        }
                    }
                    let [capacity, ttl, min_ttl] = values;
                    let class = CacheClass {
                        capacity,
                        ttl,
                        min_ttl,
                        line: line.line,
                    };
                    if line.name == "success" {
                        c.success = Some(class);
                    } else {
                        c.denial = Some(class);
                    }
                }
                "disable" => {
                    if let Some(kind) = self.sub_arg(line, 0) {
                        c.disable.push(CacheDisable {
                            kind: kind.text,
                            zones: line.args.get(1..).unwrap_or_default().to_vec(),
                            line: line.line,
                        });
                    }
                }
                "prefetch" => c.prefetch = true,
                "serve_stale" => c.serve_stale = true,
                _ => {}
            }
        }
        c
    }

    fn hosts(&mut self, args: &[Tok], block: &[Directive]) -> Hosts {
        let mut h = Hosts {
            file: args.first().map(|t| t.text.clone()),
            zones: args
                .get(1..)
                .unwrap_or_default()
                .iter()
                .map(|t| t.text.clone())
                .collect(),
            inline: Vec::new(),
            fallthrough: None,
            ttl: None,
        };
        for line in block {
            match line.name.as_str() {
                "fallthrough" => h.fallthrough = Some(Self::fallthrough(line)),
                "ttl" => {
                    if let Some(tok) = self.sub_arg(line, 0) {
                        h.ttl = self.number(&tok, "TTL");
                    }
                }
                "no_reverse" | "reload" => {}
                _ => {
                    let mut entry = vec![line.name.clone()];
                    entry.extend(line.args.iter().cloned());
                    h.inline.push(entry.join(" "));
                }
            }
        }
        h
    }
}

/// Whether `s` is a duration Go's `time.ParseDuration` accepts (`0`, `5s`, `1m30s`, `1.5h`, `-2ms`).
fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = rest.get(..number_len).unwrap_or_default();
        if number.is_empty() || number == "." {
            return false;
        }
        rest = rest.get(number_len..).unwrap_or_default();
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = rest.get(u.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    true
}

/// Parses a Corefile. Never fails: what cannot be read becomes a diagnostic and the rest is kept.
pub fn parse(bytes: &[u8]) -> Parsed<Corefile> {
    let mut diagnostics = Vec::new();
    let toks = lex(bytes, &mut diagnostics);
    let at = toks
        .iter()
        .enumerate()
        .map(|(i, t)| ((t.line, t.column), i))
        .collect();
    let parser = Parser {
        toks: &toks,
        i: 0,
        diagnostics,
        at,
    };
    parser.parse()
}

/// Whether `bytes` reads as a Corefile: text with a server block opened by `{` whose first directive is a plugin
/// CoreDNS builds in, no directive outside a block before it, and at most one line in ten (or one line) that is not
/// UTF-8.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    // Only the first lines are read; a cut block still shows its first directives.
    let end = text::line_spans(bytes)
        .take(200)
        .last()
        .map_or(0, |span| span.end);
    let parsed = parse(bytes.get(..end).unwrap_or(bytes));
    // A stray byte (a Latin-1 comment) is noise, reported when the file is read; text that is mostly not UTF-8
    // is not a Corefile.
    let lines = text::line_spans(bytes).take(200).count();
    let bad = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "invalid-utf8")
        .count();
    if bad > (lines / 10).max(1)
        || parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "directive-outside-block")
    {
        return false;
    }
    parsed.value.blocks.first().is_some_and(|b| {
        (!b.keys.is_empty() || b.snippet.is_some())
            && b.directives.first().is_some_and(|d| is_known(&d.name))
            && parsed
                .diagnostics
                .iter()
                .all(|d| d.code != "block-without-braces" || d.line != b.line)
    })
}

/// The Corefile inside a paste, with every other line blanked so that line numbers stay the input's: for
/// `kubectl describe configmap coredns` output, the lines of its `Corefile:` data key (from the `----` under the key
/// to the next key, `BinaryData` or `Events:`); otherwise the input without its leading shell prompt lines
/// (`$ kubectl -n kube-system get cm coredns -o jsonpath='{.data.Corefile}'`). Borrowed when nothing is blanked.
pub fn view(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    /// A data key of `kubectl describe`: `Name:` alone on its line, with a line of dashes under it.
    fn dashes(line: &[u8]) -> bool {
        let t = line.trim_ascii();
        t.len() >= 3 && t.iter().all(|&b| b == b'-')
    }
    let lines: Vec<text::Line<'_>> = text::lines(bytes).collect();
    let keep: Option<(usize, usize)> = lines
        .windows(2)
        .position(|w| {
            w.first()
                .is_some_and(|l| l.bytes.trim_ascii() == b"Corefile:")
                && w.get(1).is_some_and(|l| dashes(l.bytes))
        })
        .map(|key| {
            let from = key + 2;
            let to = lines
                .iter()
                .enumerate()
                .skip(from)
                .find(|(i, l)| {
                    let t = l.bytes.trim_ascii_end();
                    t == b"BinaryData"
                        || t.starts_with(b"Events:")
                        || (!t.is_empty()
                            && !t.starts_with(b" ")
                            && t.ends_with(b":")
                            && !t.contains(&b' ')
                            && lines.get(i + 1).is_some_and(|n| dashes(n.bytes)))
                })
                .map_or(lines.len(), |(i, _)| i);
            (from, to)
        })
        .or_else(|| {
            // Leading prompt lines (`$ …`, `root@node:~# kubectl …`, `/ # cat …`) before the Corefile itself: a
            // prompt marker followed by a space, after at most two words without braces.
            let prompt = |line: &[u8]| {
                let t = line.trim_ascii();
                t.windows(2)
                    .position(|w| {
                        matches!(w.first(), Some(b'$' | b'#' | b'%' | b'>'))
                            && w.get(1) == Some(&b' ')
                    })
                    .is_some_and(|at| {
                        let before = t.get(..at).unwrap_or_default();
                        (at > 0 || t.first() == Some(&b'$'))
                            && !before.iter().any(|b| b"{}\"".contains(b))
                            && before
                                .split(u8::is_ascii_whitespace)
                                .filter(|w| !w.is_empty())
                                .count()
                                <= 2
                    })
            };
            let skip = lines
                .iter()
                .take_while(|l| l.bytes.trim_ascii().is_empty() || prompt(l.bytes))
                .filter(|l| !l.bytes.trim_ascii().is_empty())
                .count();
            (skip > 0).then(|| {
                let from = lines
                    .iter()
                    .position(|l| !(l.bytes.trim_ascii().is_empty() || prompt(l.bytes)))
                    .unwrap_or(lines.len());
                (from, lines.len())
            })
        });
    let Some((from, to)) = keep else {
        return std::borrow::Cow::Borrowed(bytes);
    };
    let mut out = Vec::with_capacity(bytes.len());
    for (i, line) in lines.iter().enumerate() {
        if (from..to).contains(&i) {
            out.extend_from_slice(line.bytes);
        }
        out.push(b'\n');
    }
    std::borrow::Cow::Owned(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Risks

/// The directives of `block`, with those of the snippets it imports (as far as the file defines them).
fn effective<'a>(corefile: &'a Corefile, block: &'a ServerBlock) -> Vec<&'a Directive> {
    let mut out = Vec::new();
    let mut stack: Vec<(&'a [Directive], usize)> = vec![(&block.directives, 0)];
    while let Some((directives, depth)) = stack.pop() {
        for d in directives {
            if d.name == "import" && depth < 8 {
                if let Some(name) = d.args.first() {
                    if let Some(snippet) = corefile
                        .blocks
                        .iter()
                        .find(|b| b.snippet.as_deref() == Some(name.as_str()))
                    {
                        stack.push((&snippet.directives, depth + 1));
                    }
                }
            }
            out.push(d);
        }
    }
    out
}

/// The host of a forward destination (`dns://127.0.0.1:53` → 127.0.0.1), when it is an IP address.
pub(crate) fn upstream_ip(text: &str) -> Option<std::net::IpAddr> {
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    if let Ok(ip) = rest.parse::<std::net::IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = rest.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn normalize_zone(zone: &str) -> String {
    let z = zone.trim_end_matches('.').to_ascii_lowercase();
    if z.is_empty() {
        ".".to_string()
    } else {
        z
    }
}

/// Whether `zone` is `parent` or below it.
fn in_zone(zone: &str, parent: &str) -> bool {
    let (zone, parent) = (normalize_zone(zone), normalize_zone(parent));
    parent == "." || zone == parent || zone.ends_with(&format!(".{parent}"))
}

/// The risks docs/domain/coredns.md §4 names in `corefile`, in block order.
pub fn risks(corefile: &Corefile) -> Vec<Risk> {
    risks_with_cluster_dns(corefile, &[])
}

/// [`risks`], also flagging `forward` destinations that are the cluster DNS itself (the `kube-dns` Service IP or
/// CoreDNS pod IPs, when known from other inputs).
pub fn risks_with_cluster_dns(corefile: &Corefile, cluster_dns: &[std::net::IpAddr]) -> Vec<Risk> {
    let mut out = Vec::new();
    for block in corefile.blocks.iter().filter(|b| b.snippet.is_none()) {
        let directives = effective(corefile, block);
        let loop_plugin = directives.iter().any(|d| d.name == "loop");
        let kubernetes = directives.iter().find_map(|d| match &d.plugin {
            Some(Plugin::Kubernetes(k)) => Some((*d, k)),
            _ => None,
        });
        for d in &directives {
            match &d.plugin {
                Some(Plugin::Forward(f)) => forward_risks(&mut out, d, f, loop_plugin, cluster_dns),
                Some(Plugin::Autopath(a)) if a.source.as_deref() == Some("@kubernetes") => {
                    let verified = kubernetes.is_some_and(|(_, k)| k.pods == PodsMode::Verified);
                    if !verified {
                        let mut lines = vec![d.line];
                        if let Some((kd, k)) = kubernetes {
                            lines.push(k.pods_line.unwrap_or(kd.line));
                        }
                        let mode =
                            kubernetes.map_or("no kubernetes plugin", |(_, k)| match k.pods {
                                PodsMode::Disabled => "pods disabled",
                                PodsMode::Insecure => "pods insecure",
                                PodsMode::Verified => "pods verified",
                            });
                        out.push(risk(
                            "corefile-autopath-pods",
                            format!(
                                "`autopath @kubernetes` needs `pods verified` in the kubernetes plugin (here: {mode}); \
                                 without it CoreDNS cannot tell which pod asked and the server-side search does not work"
                            ),
                            lines,
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some((kd, k)) = kubernetes {
            let zones: Vec<String> = if k.zones.is_empty() {
                block.keys.iter().map(|z| z.zone.clone()).collect()
            } else {
                k.zones.clone()
            };
            let reverse: Vec<&String> = zones
                .iter()
                .filter(|z| in_zone(z, "in-addr.arpa") || in_zone(z, "ip6.arpa"))
                .collect();
            let uncovered: Vec<&String> = reverse
                .into_iter()
                .filter(|z| {
                    !k.fallthrough.as_ref().is_some_and(|ft| {
                        ft.zones.is_empty() || ft.zones.iter().any(|p| in_zone(z, p))
                    })
                })
                .collect();
            if !uncovered.is_empty() {
                let mut lines = vec![kd.line];
                lines.extend(k.fallthrough.as_ref().map(|f| f.line));
                let names: Vec<&str> = uncovered.iter().map(|s| s.as_str()).collect();
                out.push(risk(
                    "corefile-reverse-no-fallthrough",
                    format!(
                        "the kubernetes plugin serves {} but `fallthrough` does not cover {}: PTR lookups for \
                         addresses that are not cluster IPs get NXDOMAIN from CoreDNS instead of going upstream \
                         (kubeadm writes `fallthrough in-addr.arpa ip6.arpa`)",
                        names.join(" "),
                        if names.len() == 1 { "it" } else { "them" }
                    ),
                    lines,
                ));
            }
        }
    }
    out
}

fn risk(code: &str, message: String, mut lines: Vec<u32>) -> Risk {
    lines.sort_unstable();
    lines.dedup();
    Risk {
        code: code.to_string(),
        message,
        lines,
    }
}

fn forward_risks(
    out: &mut Vec<Risk>,
    d: &Directive,
    f: &Forward,
    loop_plugin: bool,
    cluster_dns: &[std::net::IpAddr],
) {
    for up in &f.to {
        if up.text == "/etc/resolv.conf" && !loop_plugin {
            out.push(risk(
                "corefile-forward-loop",
                "`forward` reads its upstreams from /etc/resolv.conf, which for CoreDNS (dnsPolicy Default) is the \
                 node's resolv.conf; on a systemd-resolved node that points at 127.0.0.53, back at CoreDNS itself, \
                 and there is no `loop` plugin to detect it. Add `loop`, or give kubelet \
                 `--resolv-conf=/run/systemd/resolve/resolv.conf`"
                    .to_string(),
                vec![d.line, up.line],
            ));
        } else if let Some(ip) = upstream_ip(&up.text) {
            let why = if ip.is_loopback() {
                Some("a loopback address: inside the CoreDNS pod that is CoreDNS itself")
            } else if cluster_dns.contains(&ip) {
                Some("the cluster DNS itself")
            } else {
                None
            };
            if let Some(why) = why {
                out.push(risk(
                    "corefile-forward-loop",
                    format!(
                        "`forward` sends queries to {} — {why}; every forwarded query comes back to CoreDNS{}",
                        up.text,
                        if loop_plugin {
                            " (the `loop` plugin stops CoreDNS at startup: CrashLoopBackOff)"
                        } else {
                            ""
                        }
                    ),
                    vec![d.line, up.line],
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kubeadm's Corefile (docs/domain/coredns.md §4), line for line: `.:53 {` is line 1 and the closing `}` line 23.
    const KUBEADM: &str = "\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
";

    fn codes(p: &Parsed<Corefile>) -> Vec<(&str, u32, u32)> {
        p.diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect()
    }

    fn risk_lines(c: &Corefile) -> Vec<(String, Vec<u32>)> {
        risks(c).into_iter().map(|r| (r.code, r.lines)).collect()
    }

    #[test]
    fn view_keeps_only_the_corefile_of_a_describe_and_the_line_numbers() {
        // Keys are printed sorted; the Corefile's value ends at the next `key:` over `----`.
        let describe = "Name:         node-local-dns\nNamespace:    kube-system\n\nData\n====\nCorefile:\n----\ncluster.local:53 {\n    errors\n}\n\nother:\n----\nx { y }\n\nBinaryData\n====\n\nEvents:  <none>\n";
        let view = view(describe.as_bytes());
        let kept: Vec<(u32, String)> = text::lines(&view)
            .filter(|l| !l.bytes.is_empty())
            .map(|l| (l.number, String::from_utf8_lossy(l.bytes).into_owned()))
            .collect();
        assert_eq!(
            kept,
            [
                (8, "cluster.local:53 {".to_string()),
                (9, "    errors".to_string()),
                (10, "}".to_string())
            ]
        );
        assert!(looks_like(&view));
        // A Corefile as written is read as it is.
        assert!(matches!(
            super::view(KUBEADM.as_bytes()),
            std::borrow::Cow::Borrowed(_)
        ));
        // Prompt lines before it are blanked; a `#` comment line is the Corefile's own.
        let pasted = format!("/ # cat /etc/coredns/Corefile\n# kubeadm\n{KUBEADM}");
        let view = super::view(pasted.as_bytes());
        assert!(view.starts_with(b"\n# kubeadm\n.:53 {"));
        assert_eq!(parse(&view).value.blocks[0].line, 3);
    }

    #[test]
    fn kubeadm_default_blocks_plugins_and_lines() {
        let p = parse(KUBEADM.as_bytes());
        assert_eq!(codes(&p), vec![]);
        let c = &p.value;
        assert!(c.outside.is_empty());
        let [block] = c.blocks.as_slice() else {
            panic!("one block: {c:?}")
        };
        assert_eq!(block.end_line, Some(23));
        let [key] = block.keys.as_slice() else {
            panic!("one key")
        };
        assert_eq!(
            (
                key.scheme.as_str(),
                key.zone.as_str(),
                key.port,
                key.line,
                key.column
            ),
            ("dns", ".", Some(53), 1, 1)
        );
        let names: Vec<(&str, u32, u32)> = block
            .directives
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.column))
            .collect();
        assert_eq!(
            names,
            vec![
                ("errors", 2, 5),
                ("health", 3, 5),
                ("ready", 6, 5),
                ("kubernetes", 7, 5),
                ("prometheus", 12, 5),
                ("forward", 13, 5),
                ("cache", 16, 5),
                ("loop", 20, 5),
                ("reload", 21, 5),
                ("loadbalance", 22, 5),
            ]
        );
        let plugin = |name: &str| {
            block
                .directives
                .iter()
                .find(|d| d.name == name)
                .and_then(|d| d.plugin.clone())
        };
        assert_eq!(
            plugin("health"),
            Some(Plugin::Health(Health {
                address: None,
                lameduck: Some("5s".into()),
                lameduck_line: Some(4),
            }))
        );
        assert_eq!(
            plugin("kubernetes"),
            Some(Plugin::Kubernetes(Kubernetes {
                zones: vec![
                    "cluster.local".into(),
                    "in-addr.arpa".into(),
                    "ip6.arpa".into()
                ],
                pods: PodsMode::Insecure,
                pods_line: Some(8),
                fallthrough: Some(Fallthrough {
                    zones: vec!["in-addr.arpa".into(), "ip6.arpa".into()],
                    line: 9,
                }),
                ttl: 30,
                ttl_line: Some(10),
                endpoint_pod_names: false,
                ignore_empty_service: false,
            }))
        );
        assert_eq!(
            plugin("forward"),
            Some(Plugin::Forward(Forward {
                from: ".".into(),
                to: vec![Upstream {
                    text: "/etc/resolv.conf".into(),
                    line: 13,
                    column: 15,
                }],
                except: vec![],
                policy: "random".into(),
                max_concurrent: Some(1000),
            }))
        );
        let Some(Plugin::Cache(cache)) = plugin("cache") else {
            panic!("cache")
        };
        assert_eq!(cache.ttl, Some(30));
        assert_eq!(
            cache.disable,
            vec![
                CacheDisable {
                    kind: "success".into(),
                    zones: vec!["cluster.local".into()],
                    line: 17
                },
                CacheDisable {
                    kind: "denial".into(),
                    zones: vec!["cluster.local".into()],
                    line: 18
                },
            ]
        );
        assert_eq!(plugin("loop"), Some(Plugin::Loop));
        assert_eq!(
            plugin("ready"),
            Some(Plugin::Ready(Ready { address: None }))
        );
        assert_eq!(
            plugin("reload"),
            Some(Plugin::Reload(Reload {
                interval: None,
                jitter: None
            }))
        );
        // prometheus and loadbalance are kept generically.
        assert_eq!(plugin("prometheus"), None);
        let prometheus = block.directives.iter().find(|d| d.name == "prometheus");
        assert_eq!(
            prometheus.map(|d| d.args.clone()),
            Some(vec![":9153".into()])
        );
        // The default is safe: `loop` guards the resolv.conf forward and fallthrough covers the reverse zones.
        assert_eq!(risk_lines(c), vec![]);
        assert!(looks_like(KUBEADM.as_bytes()));
    }

    #[test]
    fn forward_to_resolv_conf_without_loop_is_a_loop_risk() {
        // Line 20 (`loop`) removed; the forward stays on line 13.
        let text = KUBEADM.replace("    loop\n", "");
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        assert_eq!(
            risk_lines(&p.value),
            vec![("corefile-forward-loop".to_string(), vec![13])]
        );
    }

    #[test]
    fn forward_to_loopback_or_cluster_dns_is_a_loop_risk_even_with_loop() {
        let text = ".:53 {\n    forward . 8.8.8.8 dns://127.0.0.53:53\n    loop\n}\ncluster.local:53 {\n    forward . [::1]:53 10.96.0.10\n}\n";
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        let keys: Vec<(&str, Option<u16>)> = p
            .value
            .blocks
            .iter()
            .flat_map(|b| b.keys.iter().map(|k| (k.zone.as_str(), k.port)))
            .collect();
        assert_eq!(keys, vec![(".", Some(53)), ("cluster.local", Some(53))]);
        assert_eq!(
            risk_lines(&p.value),
            vec![
                ("corefile-forward-loop".to_string(), vec![2]),
                ("corefile-forward-loop".to_string(), vec![6]),
            ]
        );
        let vip: std::net::IpAddr = "10.96.0.10".parse().unwrap();
        assert_eq!(risks_with_cluster_dns(&p.value, &[vip]).len(), 3);
    }

    #[test]
    fn autopath_needs_pods_verified_and_reverse_zones_need_fallthrough() {
        let text = "\
.:53 {
    autopath @kubernetes
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
    }
    forward . /etc/resolv.conf
    loop
}
";
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        assert_eq!(
            risk_lines(&p.value),
            vec![
                ("corefile-autopath-pods".to_string(), vec![2, 4]),
                ("corefile-reverse-no-fallthrough".to_string(), vec![3]),
            ]
        );
        let verified = text.replace("pods insecure", "pods verified\n        fallthrough");
        assert_eq!(risk_lines(&parse(verified.as_bytes()).value), vec![]);
    }

    #[test]
    fn snippets_imports_and_placeholders_are_kept() {
        let text = "\
(common) {
    loop
    errors # trailing comment
}
dns://example.org:1053, tls://other.org {
    import common
    forward . {$UPSTREAM} \"/etc/resolv.conf\"
    rewrite stop name exact a.example.org b.example.org
    hosts /etc/coredns/hosts example.org {
        10.0.0.1 a.example.org
        fallthrough
    }
}
";
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        let [snippet, block] = p.value.blocks.as_slice() else {
            panic!("two blocks")
        };
        assert_eq!(snippet.snippet.as_deref(), Some("common"));
        assert_eq!(
            block
                .keys
                .iter()
                .map(|k| (k.scheme.as_str(), k.zone.as_str(), k.port))
                .collect::<Vec<_>>(),
            vec![
                ("dns", "example.org", Some(1053)),
                ("tls", "other.org", None)
            ]
        );
        let forward = block.directives.get(1).unwrap();
        assert_eq!(forward.args, vec![".", "{$UPSTREAM}", "/etc/resolv.conf"]);
        let Some(Plugin::Rewrite(rw)) = &block.directives.get(2).unwrap().plugin else {
            panic!("rewrite")
        };
        assert_eq!(
            (rw.flow.as_deref(), rw.field.as_deref()),
            (Some("stop"), Some("name"))
        );
        let Some(Plugin::Hosts(h)) = &block.directives.get(3).unwrap().plugin else {
            panic!("hosts")
        };
        assert_eq!(h.inline, vec!["10.0.0.1 a.example.org"]);
        assert_eq!(h.fallthrough.as_ref().map(|f| f.line), Some(11));
        // `loop` comes from the imported snippet, so the resolv.conf forward is guarded.
        assert_eq!(risk_lines(&p.value), vec![]);
    }

    #[test]
    fn quoted_strings_span_lines_and_continue_the_directive() {
        let text = ".:53 {\n    log \"a\n b\" c\n    errors\n}\n";
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        let block = p.value.blocks.first().unwrap();
        let log = block.directives.first().unwrap();
        assert_eq!(log.args, vec!["a\n b", "c"]);
        assert_eq!(block.directives.get(1).map(|d| d.line), Some(4));
    }

    #[test]
    fn broken_input_gives_diagnostics_and_keeps_the_rest() {
        // Unclosed brace: the directives read so far are kept.
        let p = parse(b".:53 {\n    errors\n    forward . 1.1.1.1\n");
        assert_eq!(codes(&p), vec![("unclosed-brace", 1, 6)]);
        let block = p.value.blocks.first().unwrap();
        assert_eq!(block.directives.len(), 2);
        assert_eq!(block.end_line, None);

        // A stray `}` and a directive outside a block; the next block is still read.
        let p = parse(b"}\nforward . /etc/resolv.conf\nexample.org {\n    whoami\n}\n");
        assert_eq!(
            codes(&p),
            vec![
                ("unmatched-close-brace", 1, 1),
                ("directive-outside-block", 2, 1)
            ]
        );
        assert_eq!(p.value.outside.first().map(|d| d.line), Some(2));
        assert_eq!(p.value.blocks.len(), 1);
        assert_eq!(p.value.blocks.first().unwrap().directives.len(), 1);

        // Bad numbers, ports, modes and durations, each with its column.
        let text = ".:99999 {\n  kubernetes {\n    ttl 9999\n    pods maybe\n  }\n  cache x1 {\n    success ten\n  }\n  forward . 8.8.8.8 {\n    max_concurrent -1\n    policy fastest\n  }\n  health {\n    lameduck 5 seconds\n  }\n  reload 1z\n}\n";
        let p = parse(text.as_bytes());
        assert_eq!(
            codes(&p),
            vec![
                ("bad-port", 1, 1),
                ("bad-number", 3, 9),
                ("bad-value", 4, 10),
                ("bad-number", 7, 13),
                ("bad-number", 10, 20),
                ("bad-value", 11, 12),
                ("bad-duration", 14, 14),
                ("bad-duration", 16, 10),
            ]
        );
        assert_eq!(p.value.blocks.first().unwrap().directives.len(), 5);
    }

    #[test]
    fn looks_like_corefiles_only() {
        assert!(looks_like(b"cluster.local:53 {\n  kubernetes\n}\n"));
        assert!(!looks_like(
            b"nameserver 10.96.0.10\nsearch default.svc.cluster.local\n"
        ));
        assert!(!looks_like(b"*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"));
        assert!(!looks_like(br#"{"apiVersion": "v1", "kind": "ConfigMap"}"#));
        assert!(!looks_like(b".:53 {\x00"));
    }

    #[test]
    fn long_nested_blocks_are_read_in_linear_time() {
        let mut text = String::from(".:53 {\n  kubernetes {\n");
        text.push_str(&"    ttl 7\n".repeat(50_000));
        text.push_str("  }\n  hosts {\n");
        text.push_str(&"    10.0.0.1 a.example\n".repeat(50_000));
        text.push_str("  }\n}\n");
        let p = parse(text.as_bytes());
        assert_eq!(codes(&p), vec![]);
        let block = p.value.blocks.first().unwrap();
        let Some(Plugin::Kubernetes(k)) = &block.directives.first().unwrap().plugin else {
            panic!("kubernetes")
        };
        assert_eq!((k.ttl, k.ttl_line), (7, Some(50_002)));
        let Some(Plugin::Hosts(h)) = &block.directives.get(1).unwrap().plugin else {
            panic!("hosts")
        };
        assert_eq!(h.inline.len(), 50_000);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let mut inputs: Vec<Vec<u8>> = [
            &b""[..],
            b"{",
            b"}",
            b"{{{{}}}}",
            b"\"",
            b"\"\\",
            b"a,",
            b",",
            b"(x)",
            b"()",
            b":",
            b"dns://",
            b"a {\n kubernetes {\n ttl\n pods\n fallthrough\n }\n autopath\n forward\n cache 99999999999999\n}",
            b"\xff\xfe{",
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
        for end in 0..=KUBEADM.len() {
            inputs.push(KUBEADM.as_bytes().get(..end).unwrap_or_default().to_vec());
        }
        inputs.push("{".repeat(10_000).into_bytes());
        inputs.push("a {\n".repeat(10_000).into_bytes());
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let mut bytes = Vec::new();
            for _ in 0..64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let pick = b"{}\"\\#, \n\tab:./$";
                bytes.push(*pick.get((state % 17) as usize).unwrap_or(&0xff));
            }
            inputs.push(bytes);
        }
        for input in &inputs {
            let p = parse(input);
            let _ = risks(&p.value);
            let _ = looks_like(input);
        }
    }
}
