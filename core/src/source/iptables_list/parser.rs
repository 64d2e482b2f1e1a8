//! The listing's reader: command lines, chain headers, column headers and rules, line by line, into tables.

use super::columns::read_rule;
use super::lines::{
    chain_header, column_header, command_family, command_table, ChainHeader, Layout,
};
use super::tables::{Listed, Run};
use super::tail::shorten;
use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::source::iptables::values::Family;
use crate::source::iptables::{builtin_chains, Chain, Excerpt, Ruleset, Table};
use crate::text;

#[derive(Debug, Default)]
pub(super) struct Parser {
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) runs: Vec<Run>,
    /// Whether the last `Chain` line still takes rules (a command line closes it).
    pub(super) chain_open: bool,
    /// The columns of the open chain, from its column header.
    pub(super) layout: Option<Layout>,
    /// `no-column-header` was reported for the open chain.
    pub(super) guessed: bool,
    /// A blank line came after the last `Chain` line: `-L` prints none inside a chain, so what follows is
    /// more likely prose than a damaged rule.
    pub(super) blank: bool,
    /// The address family: from the last `ip6tables`/`iptables` command line, else from the first valid address.
    /// A value of the other family is not valid.
    pub(super) family: Option<Family>,
}

impl Parser {
    pub(super) fn diag(
        &mut self,
        severity: Severity,
        code: &str,
        line: u32,
        column: u32,
        message: String,
    ) {
        self.diagnostics
            .push(Diagnostic::new(severity, code, line, column, message));
    }

    pub(super) fn line(&mut self, number: u32, content: &str) {
        let trimmed = content.trim();
        if trimmed.is_empty() {
            self.blank = true;
            return;
        }
        let indent = text::column_of(content, content.len() - content.trim_start().len());
        if let Some(table) = command_table(trimmed) {
            if let Some(family) = command_family(trimmed) {
                self.family = Some(family);
            }
            if !matches!(
                table.as_str(),
                "nat" | "filter" | "mangle" | "raw" | "security"
            ) {
                self.diag(
                    Severity::Warning,
                    "unknown-table",
                    number,
                    indent,
                    format!("unknown table {table:?}"),
                );
            }
            self.runs.push(Run {
                table: Some((table, number)),
                chains: Vec::new(),
            });
            self.chain_open = false;
            self.layout = None;
            return;
        }
        if let Some(header) = chain_header(trimmed) {
            self.chain(number, indent, header);
            return;
        }
        if let Some(layout) = column_header(trimmed) {
            self.layout = Some(layout);
            return;
        }
        if trimmed.starts_with('#') {
            // `# Warning: iptables-legacy tables present…` and the like.
            return;
        }
        let header_known = self.layout.is_some();
        let Some((rule, diagnostics)) = read_rule(number, content, self.layout, &mut self.family)
        else {
            let (severity, place) = if self.chain_open && !self.blank {
                (Severity::Error, "in a chain listing")
            } else {
                (Severity::Warning, "outside any chain listing")
            };
            self.diag(
                severity,
                "unknown-line",
                number,
                indent,
                format!(
                    "not a rule of an iptables -L listing ({place}): {:?}",
                    shorten(trimmed)
                ),
            );
            return;
        };
        let chain = self
            .runs
            .last_mut()
            .and_then(|r| r.chains.last_mut())
            .filter(|_| self.chain_open);
        let Some(chain) = chain else {
            self.diag(
                Severity::Warning,
                "rule-outside-chain",
                number,
                indent,
                "a rule before any \"Chain NAME (…)\" line; skipped (its chain and table are unknown)"
                    .to_string(),
            );
            return;
        };
        chain.rules.push(rule);
        self.diagnostics.extend(diagnostics);
        if !header_known && !self.guessed {
            self.guessed = true;
            self.diag(
                Severity::Info,
                "no-column-header",
                number,
                indent,
                "no column header line (\"target prot opt source destination\") before this rule; columns guessed"
                    .to_string(),
            );
        }
    }

    pub(super) fn chain(&mut self, number: u32, column: u32, header: ChainHeader) {
        if !header.well_formed {
            self.diag(
                Severity::Warning,
                "bad-chain-header",
                number,
                column,
                format!(
                    "chain header of {:?} without \"(policy …)\" or \"(N references)\" (a cut line?)",
                    header.name
                ),
            );
        }
        let new_run = self.runs.last().is_none_or(|r| r.ends_before(&header.name));
        if new_run {
            self.runs.push(Run::default());
        }
        if let Some(run) = self.runs.last_mut() {
            run.chains.push(Listed {
                name: header.name,
                policy: header.policy,
                counters: header.counters,
                line: number,
                rules: Vec::new(),
            });
        }
        self.chain_open = true;
        self.layout = None;
        self.guessed = false;
        self.blank = false;
    }

    pub(super) fn finish(mut self) -> Parsed<Ruleset> {
        let mut tables: Vec<(String, Option<u32>, Vec<Chain>)> = Vec::new();
        for run in std::mem::take(&mut self.runs) {
            let Some(first) = run.chains.first() else {
                continue;
            };
            let (name, line) = match &run.table {
                Some((name, line)) => (name.clone(), Some(*line)),
                None => {
                    let (name, why) = run.infer();
                    self.diag(
                        Severity::Info,
                        "no-table",
                        first.line,
                        1,
                        format!(
                            "no \"iptables -t TABLE -L\" line names the table of chain {:?} and the chains after it; read as the {name} table ({why})",
                            first.name
                        ),
                    );
                    (name.to_string(), None)
                }
            };
            let index = match tables.iter().position(|t| t.0 == name) {
                Some(i) => i,
                None => {
                    tables.push((name.clone(), line, Vec::new()));
                    tables.len() - 1
                }
            };
            for listed in run.chains {
                let Some(table) = tables.get_mut(index) else {
                    continue;
                };
                if table.2.iter().any(|c| c.name == listed.name) {
                    self.diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "repeated-chain",
                        listed.line,
                        1,
                        format!(
                            "chain {:?} of the {name} table is listed again; the first listing is kept",
                            listed.name
                        ),
                    ));
                    continue;
                }
                table.2.push(Chain {
                    name: listed.name,
                    policy: listed.policy,
                    counters: listed.counters,
                    declared_line: Some(listed.line),
                    deleted: false,
                    rules: listed.rules,
                });
            }
        }
        Parsed {
            value: Ruleset {
                generated_by: None,
                tables: tables
                    .into_iter()
                    .map(|(name, line, chains)| {
                        let mut table = Table::from_chains(&name, line, chains);
                        // `iptables -t TABLE -L` lists every built-in chain; without one, it is some chains.
                        let whole = builtin_chains(&name)
                            .iter()
                            .all(|b| table.chains.iter().any(|c| c.name == *b));
                        if !whole {
                            table.excerpt = Some(Excerpt::SomeChains);
                        }
                        table
                    })
                    .collect(),
            },
            diagnostics: self.diagnostics,
        }
    }
}
