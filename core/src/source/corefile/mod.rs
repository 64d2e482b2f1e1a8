//! The CoreDNS `Corefile` (docs/domain/coredns.md §4): Caddyfile syntax read the way CoreDNS's Caddy fork reads it, with the
//! plugins that decide how cluster names and upstream names are answered modelled. It reports what the file says —
//! server blocks, zones, plugins and their options, each with its line; the lint rules (`lint/rules/corefile_*.rs`)
//! judge it.
//!
//! Lexing follows Caddy: tokens are separated by whitespace; `#` outside quotes starts a comment that runs to the
//! end of the line; `"…"` quotes a token, may span lines (which continues the directive's line), and a backslash
//! escapes only `"` inside it. Only the bare tokens `{` and `}` are braces, so environment placeholders such as
//! `{$UPSTREAM}` stay verbatim tokens. A server block is a list of keys (a trailing `,` continues the list on the
//! next line) followed by `{`; a directive is its name and the tokens up to the end of its line, and a `{` — on
//! the same line or the next, as Caddy accepts — opens its nested block. Snippets `(name) { … }` are blocks
//! marked as snippets and `import` stays a directive. Nothing is expanded or resolved.
//!
//! `lex.rs` cuts the text into tokens, `parser.rs` reads blocks and directives, `plugins.rs` is what the modelled
//! plugins say and `plugin_reader.rs` reads them, `view.rs` finds a Corefile in a paste and tells whether text is one.

mod lex;
mod parser;
mod plugin_reader;
pub mod plugins;
#[cfg(test)]
mod tests;
mod view;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Parsed;
use parser::Parser;

pub use plugins::{
    Autopath, Cache, CacheClass, CacheDisable, Fallthrough, Forward, Health, Hosts, Kubernetes,
    Plugin, PodsMode, Ready, Reload, Rewrite, Upstream, DEFAULT_KUBERNETES_TTL,
};
pub use view::{looks_like, view};

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

impl Corefile {
    /// The directives of `block`, with those of the snippets it imports (as far as the file defines them, eight
    /// imports deep): what the block runs.
    pub fn effective<'a>(&'a self, block: &'a ServerBlock) -> Vec<&'a Directive> {
        let mut out = Vec::new();
        let mut stack: Vec<(&'a [Directive], usize)> = vec![(&block.directives, 0)];
        while let Some((directives, depth)) = stack.pop() {
            for d in directives {
                if d.name == "import" && depth < 8 {
                    if let Some(name) = d.args.first() {
                        if let Some(snippet) = self
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
}

/// Parses a Corefile. Never fails: what cannot be read becomes a diagnostic and the rest is kept.
pub fn parse(bytes: &[u8]) -> Parsed<Corefile> {
    let mut diagnostics = Vec::new();
    let toks = lex::lex(bytes, &mut diagnostics);
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
