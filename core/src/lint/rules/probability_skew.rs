//! `probability-skew`: a probability cascade does not give the shares kube-proxy would write.

use crate::diagnostic::Severity;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};
use crate::model::services::kernel_probability;

pub struct ProbabilitySkew;

static DOC: RuleDoc = RuleDoc {
    code: "probability-skew",
    severity: Severity::Warning,
    title: "Endpoint probabilities are not kube-proxy's",
    what: "For a service chain with n endpoints kube-proxy writes `--probability 1/(n-i)` on rule i and no statistic match on the last rule, so each endpoint gets 1/n of new connections. This rule finds cascades whose probabilities differ from every format kube-proxy has printed them in (`%0.10f`, `%0.5f` before 1.17, `%f` in 2015), rules after the unconditional one (never reached), and cascades that let connections fall through to no endpoint.",
    why: "Load is spread unevenly, some endpoints never get traffic, or some connections match no endpoint and go to the VIP itself (which answers nothing). kube-proxy never writes such rules: they were edited by hand, written by another tool, or the dump is corrupt.",
    example: "-A KUBE-SVC-X -m statistic --mode random --probability 0.90000000000 -j KUBE-SEP-A\n-A KUBE-SVC-X -j KUBE-SEP-B      (two endpoints: kube-proxy writes 0.5)",
    fix: "Find what else writes to the nat table on this node (another proxy, a script, an old kube-proxy) and stop it; restart kube-proxy, whose full sync rewrites the chains.",
};

/// The `--probability` values kube-proxy has written for 1/k, as the kernel stores them.
fn expected(k: usize) -> [f64; 3] {
    let p = 1.0 / k as f64;
    let printed = |digits: usize| {
        format!("{p:.digits$}")
            .parse::<f64>()
            .map_or(p, kernel_probability)
    };
    [printed(10), printed(5), printed(6)]
}

impl Rule for ProbabilitySkew {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        // `expected(k)` for each k met so far: formatting and parsing the three printings is slow.
        let mut cache: Vec<Option<[f64; 3]>> = Vec::new();
        for node in &context.nodes {
            for s in node.services {
                let n = s.endpoints.len();
                if n == 0 {
                    continue;
                }
                let mut problems = Vec::new();
                let mut evidence = Vec::new();
                for (i, e) in s.endpoints.iter().enumerate() {
                    let last = i + 1 == n;
                    let before = problems.len();
                    match (e.rule_probability, last) {
                        (None, true) => {}
                        (None, false) => problems.push(format!("the rule for {} has no probability but is not the last, so the endpoints after it get nothing", e.chain)),
                        (Some(p), true) => problems.push(format!("the last rule ({}) has probability {p}, so {:.1}% of connections match no endpoint", e.chain, s.unrouted_share * 100.0)),
                        (Some(p), false) => {
                            let k = n - i;
                            if cache.len() <= k {
                                cache.resize(k + 1, None);
                            }
                            let wanted = match cache.get_mut(k) {
                                Some(Some(known)) => *known,
                                Some(slot) => *slot.insert(expected(k)),
                                None => expected(k),
                            };
                            if !wanted.iter().any(|x| (x - p).abs() < 1e-9) {
                                problems.push(format!("{} has probability {} where kube-proxy writes 1/{}", e.chain, e.rule_probability_text.clone().unwrap_or_default(), n - i));
                            }
                        }
                    }
                    if problems.len() > before {
                        evidence.push(at(node.source, e.line));
                    }
                }
                if !problems.is_empty() {
                    let shares: Vec<String> = s
                        .endpoints
                        .iter()
                        .map(|e| crate::format::percent_one_decimal(e.probability))
                        .collect();
                    out.push(DOC.finding(
                        format!(
                            "{} ({}) on {}: {}; shares are {}",
                            s.spn,
                            s.protocol,
                            node.source,
                            problems.join("; "),
                            shares.join(", ")
                        ),
                        evidence,
                    ));
                }
            }
        }
    }
}
