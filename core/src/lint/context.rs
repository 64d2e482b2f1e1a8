//! What the rules look at: each node dump's ruleset and Service graph, kubectl objects, resolver configurations,
//! Corefiles, what each capture showed and the lookups read back from the captures.

use std::cell::OnceCell;
use std::sync::Arc;

use crate::capture::engine::signals::Signals;

use crate::model::services::Service;
use crate::source::iptables::{RulesetView, TableView};

/// One node's dump.
#[derive(Debug)]
pub(crate) struct NodeInput<'a> {
    /// The input's name.
    pub(crate) source: &'a str,
    /// Its parsed rules, as the parser's view of the input.
    pub(crate) ruleset: &'a RulesetView<'a>,
    /// Its Service ports.
    pub(crate) services: &'a [Service],
    /// Every rule's jump, resolved once for the rules that follow jumps.
    jumps: OnceCell<Vec<TableJumps<'a>>>,
}

/// The jumps of one table's rules (chains deleted by `-X` left out).
#[derive(Debug)]
pub(crate) struct TableJumps<'a> {
    /// The table.
    pub(crate) table: TableView<'a>,
    /// One entry per rule with a target, in order.
    pub(crate) jumps: Vec<Jump<'a>>,
}

/// A rule's target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Jump<'a> {
    /// Position of the rule's own chain in the table.
    pub(crate) from: usize,
    /// The rule's line.
    pub(crate) line: u32,
    /// The target's name.
    pub(crate) target: &'a str,
    /// Position of the chain called `target` in the table, if the table defines one.
    pub(crate) to: Option<usize>,
}

impl<'a> NodeInput<'a> {
    pub(crate) fn new(
        source: &'a str,
        ruleset: &'a RulesetView<'a>,
        services: &'a [Service],
    ) -> Self {
        Self {
            source,
            ruleset,
            services,
            jumps: OnceCell::new(),
        }
    }

    /// Every rule's jump, table by table: one chain lookup per rule however many rules read them.
    pub(crate) fn jumps(&self) -> &[TableJumps<'a>] {
        self.jumps.get_or_init(|| {
            self.ruleset
                .tables()
                .map(|table| {
                    let mut jumps = Vec::new();
                    for (from, chain) in table.chains().filter(|(_, c)| !c.deleted()) {
                        for rule in chain.rules() {
                            if let Some(target) = rule.target_name() {
                                jumps.push(Jump {
                                    from,
                                    line: rule.line(),
                                    target,
                                    to: table.position(target),
                                });
                            }
                        }
                    }
                    TableJumps { table, jumps }
                })
                .collect()
        })
    }
}

/// Everything the rules may look at.
#[derive(Debug, Default)]
pub(crate) struct Context<'a> {
    /// Every node dump.
    pub(crate) nodes: Vec<NodeInput<'a>>,
    /// Every `kubectl` input.
    pub(crate) kubernetes: &'a [crate::source::inputs::KubeSource],
    /// Every `resolv.conf` input.
    pub(crate) resolv_confs: &'a [crate::source::inputs::ResolvSource],
    /// Every capture input.
    pub(crate) captures: &'a [CaptureInput],
    /// Every Corefile, from a file or a ConfigMap.
    pub(crate) corefiles: &'a [crate::source::inputs::CorefileSource],
    /// The lookups read back from the captures (`capture::lookups::lookups`).
    pub(crate) lookups: &'a [crate::capture::lookups::Lookup],
}

/// What the transaction engine gathered for the capture findings from one capture input.
#[derive(Debug)]
pub(crate) struct CaptureInput {
    /// The input's name.
    pub(crate) source: Arc<str>,
    /// Retries, unanswered queries, truncation without TCP, wrong-source replies, failures.
    pub(crate) signals: Signals,
}
