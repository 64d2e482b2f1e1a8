//! The Corefile's grammar: server blocks and snippets with their keys, directives with their arguments and nested
//! blocks, and the diagnostics for what does not fit. `plugin_reader.rs` reads the modelled plugins' options.

use rustc_hash::FxHashMap;

use super::lex::Tok;
use super::{Corefile, Directive, ServerBlock, ZoneKey};
use crate::diagnostic::{Diagnostic, Parsed, Severity};

/// Nested blocks deeper than this are not descended into (no plugin nests more than twice).
const MAX_DEPTH: usize = 16;

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

/// The parser's state: the tokens, the cursor and what it has to say.
pub(super) struct Parser<'a> {
    /// Every token of the input.
    pub(super) toks: &'a [Tok],
    /// The cursor.
    pub(super) i: usize,
    /// What could not be read.
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Token index by (line, column), to find a nested line's arguments again.
    pub(super) at: FxHashMap<(u32, u32), usize>,
}

/// Whether `name` is a plugin CoreDNS builds in (or `import`).
pub(super) fn is_known(name: &str) -> bool {
    KNOWN_DIRECTIVES.contains(&name)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    pub(super) fn diag(
        &mut self,
        severity: Severity,
        code: &str,
        tok: &Tok,
        message: impl Into<String>,
    ) {
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

    /// Reads every server block, snippet and stray directive.
    pub(super) fn parse(mut self) -> Parsed<Corefile> {
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

    /// `tok` as a number; a diagnostic naming `what` when it is not one.
    pub(super) fn number(&mut self, tok: &Tok, what: &str) -> Option<u32> {
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

    /// `tok` as written; a diagnostic naming `what` when Go would not read it as a duration.
    pub(super) fn duration(&mut self, tok: &Tok, what: &str) -> String {
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
