//! `chain-loop`: chains of a table whose jumps or gotos lead back to themselves.
//!
//! The jump graph of each table (an edge per `-j`/`-g` rule to a chain of the table) is split into strongly
//! connected components with an iterative Tarjan (no recursion, so a 100,000-deep chain is fine); each component
//! with a cycle — more than one chain, or a chain that jumps to itself — is one loop, reported once with one cycle
//! through it (the shortest back to its first chain in table order). Work is linear in chains and rules.

use crate::diagnostic::Severity;
use crate::lint::context::TableJumps;
use crate::lint::finding::Finding;
use crate::lint::{at, Context, Rule, RuleDoc};

pub struct ChainLoop;

static DOC: RuleDoc = RuleDoc {
    code: "chain-loop",
    severity: Severity::Error,
    title: "Chains jump or go to each other in a loop",
    what: "Finds chains of one table whose `-j` or `-g` rules lead back to a chain on the way: a chain that jumps or goes to itself, or A → B → … → A. Each loop is reported once, its chains named in order, with the line of each rule along it.",
    why: "The kernel does not load such rules. iptables-nft is refused any jump that closes a loop (nf_tables checks every jump and goto, `nf_tables_check_loops`); iptables-legacy fails the whole table when a loop is reachable from a built-in chain (x_tables' `mark_source_chains`), and iptables-restore reports \"Too many levels of symbolic links\" (ELOOP). So no node runs this input as given: it was edited, assembled by hand, or pasted together from several dumps. A packet walked through the loop would never leave it; dnatlas stops its walk at the rule that closes the loop and claims no verdict for it.",
    example: "-A KUBE-SERVICES -j L\n-A L -g L   (L goes to itself: the chains loop L -> L)",
    fix: "Take the dump again on the node with `iptables-save` (and `ip6tables-save`), whole and unedited. If the rules were written by hand, break the loop: no chain may jump or go to a chain that leads back to it; use RETURN to go back to the calling chain.",
};

/// Loops reported per table; more are counted in one last finding.
const MAX_LOOPS: usize = 20;
/// Chains named (and rule lines cited) per loop.
const MAX_NAMED: usize = 16;

impl Rule for ChainLoop {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, context: &Context<'_>, out: &mut Vec<Finding>) {
        for node in &context.nodes {
            for t in node.jumps() {
                let loops = loops(t);
                let table = t.table.name();
                let name = |i: usize| t.table.chain_at(i).map(|c| c.name()).unwrap_or_default();
                for cycle in loops.iter().take(MAX_LOOPS) {
                    let mut names: Vec<&str> = cycle
                        .chains
                        .iter()
                        .take(MAX_NAMED)
                        .map(|&(c, _)| name(c))
                        .collect();
                    let more = cycle.chains.len().saturating_sub(MAX_NAMED);
                    if more > 0 {
                        names.push("…");
                    }
                    names.push(cycle.chains.first().map_or("", |&(c, _)| name(c)));
                    let lines: Vec<String> = cycle
                        .chains
                        .iter()
                        .take(MAX_NAMED)
                        .map(|&(_, line)| line.to_string())
                        .collect();
                    let mut message = format!(
                        "{table} chains of {} loop: {} ({} {}{}); the kernel does not load a table whose chains \
                         loop, so no node runs these rules as given",
                        node.source,
                        names.join(" -> "),
                        if lines.len() == 1 { "line" } else { "lines" },
                        lines.join(", "),
                        if more > 0 {
                            format!(", {} chains in all", cycle.chains.len())
                        } else {
                            String::new()
                        }
                    );
                    if cycle.tangle > cycle.chains.len() {
                        message.push_str(&format!(
                            "; {} chains in all reach each other through this loop",
                            cycle.tangle
                        ));
                    }
                    let evidence = cycle
                        .chains
                        .iter()
                        .take(MAX_NAMED)
                        .map(|&(_, line)| at(node.source, line))
                        .collect();
                    out.push(DOC.finding(message, evidence));
                }
                if loops.len() > MAX_LOOPS {
                    let rest = loops.get(MAX_LOOPS..).unwrap_or_default();
                    out.push(DOC.finding(
                        format!(
                            "{} more loops of {table} chains of {} are not listed (the first rule closing each is \
                             cited)",
                            rest.len(),
                            node.source
                        ),
                        rest.iter()
                            .take(MAX_LOOPS)
                            .filter_map(|c| c.chains.last().map(|&(_, line)| at(node.source, line)))
                            .collect(),
                    ));
                }
            }
        }
    }
}

/// One loop: a cycle through a strongly connected component of the jump graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loop {
    /// The cycle's chains in order (positions in the table), each with the line of its rule that jumps or goes
    /// to the next one (the last one's rule goes back to the first).
    pub(crate) chains: Vec<(usize, u32)>,
    /// How many chains the component holds (at least the cycle's).
    pub(crate) tangle: usize,
}

/// The loops of one table's jump graph, in table order of their first chain.
pub(crate) fn loops(t: &TableJumps<'_>) -> Vec<Loop> {
    let n = t.table.chain_count();
    let mut edges: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
    for j in &t.jumps {
        if let (Some(to), Some(out)) = (j.to, edges.get_mut(j.from)) {
            if to < n {
                out.push((to, j.line));
            }
        }
    }
    let components = strongly_connected(&edges);
    let mut component_of = vec![usize::MAX; n];
    for (id, members) in components.iter().enumerate() {
        for &m in members {
            if let Some(slot) = component_of.get_mut(m) {
                *slot = id;
            }
        }
    }
    let mut out = Vec::new();
    for (id, members) in components.iter().enumerate() {
        let Some(&start) = members.iter().min() else {
            continue;
        };
        let self_loop = edges
            .get(start)
            .is_some_and(|e| e.iter().any(|&(to, _)| to == start));
        if members.len() < 2 && !self_loop {
            continue;
        }
        if let Some(chains) = shortest_cycle(&edges, &component_of, id, start) {
            out.push(Loop {
                chains,
                tangle: members.len(),
            });
        }
    }
    out.sort_by_key(|l| l.chains.first().map(|&(c, _)| c));
    out
}

/// The strongly connected components of a graph (Tarjan's algorithm with an explicit stack).
fn strongly_connected(edges: &[Vec<(usize, u32)>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut calls: Vec<(usize, usize)> = Vec::new();
    let mut next = 0usize;
    let mut components = Vec::new();
    for root in 0..n {
        if index.get(root).copied() != Some(UNSEEN) {
            continue;
        }
        let mut visit = |v: usize, index: &mut [usize], low: &mut [usize], on: &mut [bool]| {
            if let (Some(i), Some(l), Some(o)) = (index.get_mut(v), low.get_mut(v), on.get_mut(v)) {
                *i = next;
                *l = next;
                *o = true;
            }
            next += 1;
        };
        visit(root, &mut index, &mut low, &mut on_stack);
        stack.push(root);
        calls.push((root, 0));
        while let Some(&mut (v, ref mut edge)) = calls.last_mut() {
            if let Some(&(w, _)) = edges.get(v).and_then(|e| e.get(*edge)) {
                *edge += 1;
                match index.get(w).copied() {
                    Some(UNSEEN) => {
                        visit(w, &mut index, &mut low, &mut on_stack);
                        stack.push(w);
                        calls.push((w, 0));
                    }
                    Some(iw) if on_stack.get(w).copied().unwrap_or(false) => {
                        if let Some(lv) = low.get_mut(v) {
                            *lv = (*lv).min(iw);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            calls.pop();
            let lv = low.get(v).copied().unwrap_or(0);
            if let Some(&(u, _)) = calls.last() {
                if let Some(lu) = low.get_mut(u) {
                    *lu = (*lu).min(lv);
                }
            }
            if Some(lv) == index.get(v).copied() {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    if let Some(o) = on_stack.get_mut(w) {
                        *o = false;
                    }
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(members);
            }
        }
    }
    components
}

/// The shortest cycle from `start` back to it inside component `id` (breadth first), as each chain with the line
/// of its rule to the next.
fn shortest_cycle(
    edges: &[Vec<(usize, u32)>],
    component_of: &[usize],
    id: usize,
    start: usize,
) -> Option<Vec<(usize, u32)>> {
    let n = edges.len();
    // For each chain reached: the chain it was reached from and that rule's line.
    let mut parent: Vec<Option<(usize, u32)>> = vec![None; n];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut closing: Option<(usize, u32)> = None;
    'search: while let Some(v) = queue.pop_front() {
        for &(w, line) in edges.get(v).into_iter().flatten() {
            if component_of.get(w).copied() != Some(id) {
                continue;
            }
            if w == start {
                closing = Some((v, line));
                break 'search;
            }
            if let Some(slot @ None) = parent.get_mut(w) {
                *slot = Some((v, line));
                queue.push_back(w);
            }
        }
    }
    let (last, line) = closing?;
    // Walk back from the chain whose rule closes the cycle to `start`.
    let mut reversed = vec![(last, line)];
    let mut at = last;
    while at != start {
        let (from, line) = parent.get(at).copied().flatten()?;
        reversed.push((from, line));
        at = from;
        if reversed.len() > n {
            return None;
        }
    }
    // From `start` on: each chain with the line of its rule to the next.
    reversed.reverse();
    Some(reversed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::NodeInput;
    use crate::source::iptables::parse_view;

    fn loops_of(dump: &str) -> Vec<(Vec<String>, Vec<u32>, usize)> {
        let view = parse_view(dump.as_bytes()).value;
        let node = NodeInput::new("node.txt", &view, &[]);
        let mut all = Vec::new();
        for t in node.jumps() {
            for l in loops(t) {
                let names = l
                    .chains
                    .iter()
                    .map(|&(c, _)| t.table.chain_at(c).unwrap().name().to_string())
                    .collect();
                let lines = l.chains.iter().map(|&(_, line)| line).collect();
                all.push((names, lines, l.tangle));
            }
        }
        all
    }

    #[test]
    fn a_chain_that_goes_to_itself() {
        let found = loops_of(
            "*nat\n:KUBE-SERVICES - [0:0]\n:L - [0:0]\n-A KUBE-SERVICES -j L\n-A L -g L\nCOMMIT\n",
        );
        assert_eq!(found, [(vec!["L".to_string()], vec![5], 1)]);
    }

    #[test]
    fn a_cycle_through_three_chains_names_each_rule() {
        let found = loops_of(
            "*filter\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-A A -j B\n-A B -j C\n-A C -j RETURN\n-A C -g A\nCOMMIT\n",
        );
        assert_eq!(
            found,
            [(
                vec!["A".to_string(), "B".to_string(), "C".to_string()],
                vec![5, 6, 8],
                3
            )]
        );
    }

    #[test]
    fn jumping_twice_to_the_same_chain_is_no_loop() {
        assert!(loops_of(
            "*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A A -j B\n-A B -j RETURN\nCOMMIT\n"
        )
        .is_empty());
    }

    #[test]
    fn a_100000_deep_chain_and_a_100000_ring_are_walked_without_recursion() {
        let n = 100_000;
        let mut dump = String::from("*nat\n");
        for i in 0..n {
            dump.push_str(&format!(":C{i} - [0:0]\n"));
        }
        for i in 0..n - 1 {
            dump.push_str(&format!("-A C{i} -j C{}\n", i + 1));
        }
        assert!(loops_of(&(dump.clone() + "COMMIT\n")).is_empty());
        dump.push_str(&format!("-A C{} -g C0\nCOMMIT\n", n - 1));
        let found = loops_of(&dump);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.len(), n);
        assert_eq!(found[0].2, n);
    }
}
