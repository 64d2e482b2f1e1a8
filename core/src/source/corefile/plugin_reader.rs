//! Reading the modelled plugins: each one's arguments and nested lines into its type in `plugins.rs`, with CoreDNS's
//! defaults and a diagnostic for each value CoreDNS would refuse.

use super::lex::Tok;
use super::parser::Parser;
use super::plugins::{
    Autopath, Cache, CacheClass, CacheDisable, Fallthrough, Forward, Health, Hosts, Kubernetes,
    Plugin, PodsMode, Ready, Reload, Rewrite, Upstream, DEFAULT_KUBERNETES_TTL,
};
use super::Directive;
use crate::diagnostic::{Diagnostic, Severity};

/// `kubernetes` `ttl` bounds (setup.go).
const MAX_KUBERNETES_TTL: u32 = 3600;

impl Parser<'_> {
    /// What directive `name` means, for the plugins modelled.
    pub(super) fn plugin(
        &mut self,
        name: &Tok,
        args: &[Tok],
        block: &[Directive],
    ) -> Option<Plugin> {
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
