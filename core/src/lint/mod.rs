//! Findings: one rule per file under `rules/`, each with its documentation (what, why it matters, an example, the
//! fix) and a check over the whole analysis context. `dnatlas explain CODE` and the app show the same text.

pub(crate) mod context;
pub mod finding;
pub mod map;
pub(crate) mod rules;

pub(crate) use context::{CaptureInput, Context, NodeInput};
pub use rules::corefile::Risk;

use crate::diagnostic::Severity;
use crate::evidence::Evidence;
use crate::lint::finding::Finding;

/// The documentation of a rule, in Ruff's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    /// Stable kebab-case code.
    pub code: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// One-line title.
    pub title: &'static str,
    /// What it finds.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An example of input that triggers it.
    pub example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

impl RuleDoc {
    /// A finding of this rule.
    pub fn finding(&self, message: String, evidence: Vec<Evidence>) -> Finding {
        Finding {
            code: self.code.to_string(),
            severity: self.severity,
            title: self.title.to_string(),
            message,
            evidence,
        }
    }

    /// The documentation as Markdown-ish text for a terminal.
    pub fn render(&self) -> String {
        format!(
            "{code} ({severity}): {title}\n\n## What it does\n{what}\n\n## Why is this bad?\n{why}\n\n## Example\n{example}\n\n## How to fix\n{fix}\n",
            code = self.code,
            severity = match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            title = self.title,
            what = self.what,
            why = self.why,
            example = self.example,
            fix = self.fix,
        )
    }
}

/// A lint rule.
pub(crate) trait Rule: Sync {
    /// Its documentation.
    fn doc(&self) -> &'static RuleDoc;
    /// Adds its findings for `context` to `out`.
    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>);
}

/// The documentation of every rule, in catalog order.
pub fn docs() -> impl Iterator<Item = &'static RuleDoc> {
    rules::ALL.iter().map(|r| r.doc())
}

/// The documentation of the rule with `code`.
pub fn explain(code: &str) -> Option<&'static RuleDoc> {
    docs().find(|d| d.code == code)
}

/// The `dns-search-expansion` findings for lookups read back from captures (`capture::lookups::lookups`): each
/// lookup that sent queries before the one that answered, or fell back to the bare name. `analyze` runs the same
/// rule over `Context::lookups`.
pub fn search_expansion(lookups: &[crate::capture::lookups::Lookup]) -> Vec<Finding> {
    rules::dns_search_expansion::findings(lookups)
}

/// The Corefile risks the rules find in `corefile` (`corefile-forward-loop`, `corefile-autopath-pods`,
/// `corefile-reverse-no-fallthrough`), rule by rule, each rule's in block order. `cluster_dns` are the addresses
/// known to be cluster DNS (the kube-dns Service IP, CoreDNS pod IPs): a `forward` to one of them is a loop too.
/// `analyze` runs the same rules over every Corefile input, with the addresses the other inputs show.
pub fn corefile_risks(
    corefile: &crate::source::corefile::Corefile,
    cluster_dns: &[std::net::IpAddr],
) -> Vec<Risk> {
    rules::corefile::risks(corefile, cluster_dns)
}

/// Runs every rule; findings come back worst first, then by code and first evidence.
pub(crate) fn run(context: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules::ALL {
        rule.check(context, &mut out);
    }
    for finding in &mut out {
        finding
            .evidence
            .sort_by(|a, b| (&a.source, a.place).cmp(&(&b.source, b.place)));
        finding.evidence.dedup();
    }
    out.sort_by(|a, b| {
        (
            a.severity,
            &a.code,
            a.evidence.first().map(|e| (&e.source, e.place)),
            &a.message,
        )
            .cmp(&(
                b.severity,
                &b.code,
                b.evidence.first().map(|e| (&e.source, e.place)),
                &b.message,
            ))
    });
    out.dedup();
    out
}

/// Evidence at `line` of `source`.
pub fn at(source: &str, line: u32) -> Evidence {
    Evidence::line(&source.into(), line)
}
