//! The parser's view to the owned `Ruleset` and back, content for content.

use super::index::ChainIndex;
use super::owned::{Chain, Match, Opt, Rule, Ruleset, Table, Target};
use super::view::{count16, ChainRec, MatchRec, OptRec, RuleList, RuleRec, RulesetView, TableRec};

impl RulesetView<'_> {
    /// The owned [`Ruleset`] with the same content.
    pub(crate) fn to_ruleset(&self) -> Ruleset {
        let opt = |o: &OptRec| Opt {
            name: self.text(o.name).to_string(),
            negated: o.negated,
            values: self
                .value_spans(o)
                .iter()
                .map(|&v| self.text(v).to_string())
                .collect(),
        };
        let rule = |r: &RuleRec| Rule {
            line: r.line,
            counters: r
                .counters
                .checked_sub(1)
                .and_then(|i| self.counters.get(i as usize))
                .copied(),
            basic: self
                .opt_recs(r.basic, r.basic_count)
                .iter()
                .map(opt)
                .collect(),
            matches: self
                .match_recs(r)
                .iter()
                .map(|m| Match {
                    name: self.text(m.name).to_string(),
                    options: self.opt_recs(m.opts, m.opt_count).iter().map(opt).collect(),
                })
                .collect(),
            target: r.target.map(|name| Target {
                name: self.text(name).to_string(),
                goto: r.goto,
                options: self
                    .opt_recs(r.target_opts, r.target_opt_count)
                    .iter()
                    .map(opt)
                    .collect(),
            }),
        };
        let tables = self
            .tables
            .iter()
            .map(|t| {
                let chains: Vec<Chain> = t
                    .chains
                    .iter()
                    .map(|c| Chain {
                        name: self.text(c.name).to_string(),
                        policy: c.policy.map(|p| self.text(p).to_string()),
                        counters: c.counters,
                        declared_line: c.declared_line,
                        deleted: c.deleted,
                        rules: self.rule_recs(c).map(rule).collect(),
                    })
                    .collect();
                let index = chains
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.name.clone(), i))
                    .collect();
                Table {
                    name: self.text(t.name).to_string(),
                    line: t.line,
                    excerpt: t.excerpt,
                    chains,
                    index,
                }
            })
            .collect();
        Ruleset {
            generated_by: self.generated_by().map(str::to_string),
            tables,
        }
    }

    /// A view with the same content as an owned [`Ruleset`] (its text copied into the view's own buffer).
    pub(crate) fn from_ruleset(ruleset: &Ruleset) -> RulesetView<'static> {
        let mut view = RulesetView::new("", 0);
        view.generated_by = ruleset.generated_by.as_deref().map(|g| view.keep(g));
        for table in &ruleset.tables {
            let name = view.keep(&table.name);
            let mut rec = TableRec {
                name,
                line: table.line,
                excerpt: table.excerpt,
                chains: Vec::with_capacity(table.chains.len()),
                index: ChainIndex::default(),
            };
            for chain in &table.chains {
                let mut rules = RuleList::default();
                for rule in &chain.rules {
                    let basic = view.opts.len() as u32;
                    for o in &rule.basic {
                        view.push_opt(o);
                    }
                    let matches = view.matches.len() as u32;
                    for m in &rule.matches {
                        let name = view.keep(&m.name);
                        let opts = view.opts.len() as u32;
                        for o in &m.options {
                            view.push_opt(o);
                        }
                        view.matches.push(MatchRec {
                            name,
                            opts,
                            opt_count: count16(m.options.len()),
                        });
                    }
                    let target = rule.target.as_ref().map(|t| view.keep(&t.name));
                    let target_opts = view.opts.len() as u32;
                    let target_options = rule.target.as_ref().map_or(&[][..], |t| &t.options[..]);
                    for o in target_options {
                        view.push_opt(o);
                    }
                    let counters = match rule.counters {
                        Some(c) => {
                            view.counters.push(c);
                            view.counters.len() as u32
                        }
                        None => 0,
                    };
                    rules.insert(None, view.rules.len() as u32);
                    view.rules.push(RuleRec {
                        line: rule.line,
                        counters,
                        basic,
                        basic_count: count16(rule.basic.len()),
                        matches,
                        match_count: count16(rule.matches.len()),
                        target,
                        goto: rule.target.as_ref().is_some_and(|t| t.goto),
                        target_opts,
                        target_opt_count: count16(target_options.len()),
                    });
                }
                let name = view.keep(&chain.name);
                let policy = chain.policy.as_deref().map(|p| view.keep(p));
                let position = rec.chains.len() as u32;
                rec.chains.push(ChainRec {
                    name,
                    policy,
                    counters: chain.counters,
                    declared_line: chain.declared_line,
                    deleted: chain.deleted,
                    rules,
                });
                if view.find_chain(&rec, &chain.name).is_none() {
                    rec.index.insert(&rec.chains, position, |s| view.text(s));
                }
            }
            view.tables.push(rec);
        }
        view
    }

    fn push_opt(&mut self, o: &Opt) {
        let name = self.keep(&o.name);
        let values = self.values.len() as u32;
        for v in &o.values {
            let span = self.keep(v);
            self.values.push(span);
        }
        self.opts.push(OptRec {
            name,
            values,
            value_count: count16(o.values.len()),
            negated: o.negated,
        });
    }
}
