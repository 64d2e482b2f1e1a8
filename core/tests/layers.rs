//! The core's layers, enforced: every `crate::…` path in `core/src` (outside `#[cfg(test)]` modules) must name a
//! module of its own layer or one below, and the modules must not import each other in a cycle.
//!
//! Bottom-up: base (text, diagnostics, evidence, the wording of values) → sources (one module per input kind, and
//! the packet every capture reader produces) → model (Service graph, cluster model, capture transactions) →
//! derivations (netfilter walk, resolver plans, DNS answers, lookups, the captures' summary) → lint (every finding)
//! → output (the analysis, the report, the trace, and the crate root that runs them). ARCHITECTURE.md draws the same
//! picture.
//!
//! The check is syntactic: a path counts as an import of the deepest module it names, so a re-export does not hide
//! where a path points (import an item from its home, not from a façade above it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module prefixes and their layers; the longest matching prefix wins.
const LAYERS: &[(&str, usize, &str)] = &[
    ("text", 0, "base"),
    ("diagnostic", 0, "base"),
    ("evidence", 0, "base"),
    ("format", 0, "base"),
    ("source", 1, "sources"),
    ("model", 2, "model"),
    ("capture::engine", 2, "model"),
    ("capture::transactions", 2, "model"),
    ("simulate", 3, "derivations"),
    ("dns", 3, "derivations"),
    ("capture", 3, "derivations"),
    ("lint", 4, "lint"),
    ("analysis", 5, "output"),
    ("report", 5, "output"),
    ("trace", 5, "output"),
    ("walk", 5, "output"),
    ("pipeline", 5, "output"),
    ("", 5, "output"),
];

fn layer(module: &str) -> (usize, &'static str) {
    LAYERS
        .iter()
        .filter(|(prefix, _, _)| {
            prefix.is_empty() || module == *prefix || module.starts_with(&format!("{prefix}::"))
        })
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|(_, n, name)| (*n, *name))
        .unwrap()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `source/kubectl/mod.rs` → `source::kubectl`; `lib.rs` → `` (the crate root).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The file without its `#[cfg(test)]` modules (tests may use anything).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            // Skip the module: up to the line that closes it at its own indentation.
            let indent = line.len() - line.trim_start().len();
            for inner in lines.by_ref() {
                if inner.len() - inner.trim_start().len() == indent && inner.trim() == "}" {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every path after `crate::` or `super::` in the code of module `module` (comments left out, grouped imports
/// expanded), from the crate root, as its `::`-separated words.
fn crate_paths(text: &str, module: &str) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for (anchor, relative) in [("crate::", false), ("super::", true)] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(anchor) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + anchor.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `dnatlas_crate::`, or a `super::` after another
            }
            let mut prefix: Vec<String> = Vec::new();
            let mut tail = rest;
            if relative {
                let mut up = 1;
                while let Some(more) = tail.strip_prefix("super::") {
                    up += 1;
                    tail = more;
                }
                prefix = module
                    .split("::")
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                prefix.truncate(prefix.len().saturating_sub(up));
            }
            expand(tail, &mut prefix, &mut out);
        }
    }
    out
}

/// Reads one path (or `{a, b::{c}}` group) at the start of `text`, with `prefix` before it.
fn expand(text: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let word: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() {
        if let Some(group) = text.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            let mut end = group.len();
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        end = i;
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(group[start..i].trim_start(), &mut prefix.clone(), out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(group[start..end].trim_start(), &mut prefix.clone(), out);
        } else if !prefix.is_empty() {
            out.push(prefix.clone());
        }
        return;
    }
    prefix.push(word.clone());
    let after = &text[word.len()..];
    match after.strip_prefix("::") {
        Some(next) => expand(next, prefix, out),
        None => out.push(prefix.clone()),
    }
}

/// The deepest module of `modules` that `path` names.
fn module_named(path: &[String], modules: &BTreeSet<String>) -> String {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_default()
}

/// Module → the modules it imports (not itself).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut paths = Vec::new();
    files(&src(), &mut paths);
    let modules: BTreeSet<String> = paths.iter().map(|p| module_of(p)).collect();
    let mut graph = BTreeMap::new();
    for path in &paths {
        let module = module_of(path);
        let text = without_tests(&std::fs::read_to_string(path).unwrap());
        let used: BTreeSet<String> = crate_paths(&text, &module)
            .iter()
            .map(|p| module_named(p, &modules))
            .filter(|m| *m != module)
            .collect();
        graph.insert(module, used);
    }
    graph
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let graph = imports();
    assert!(graph.len() > 60, "{} modules found", graph.len());
    let mut upward = Vec::new();
    for (from, used) in &graph {
        let (own, own_name) = layer(from);
        for to in used {
            let (theirs, their_name) = layer(to);
            if theirs > own {
                upward.push(format!(
                    "{from} ({own_name}) imports {to} ({their_name})",
                    from = if from.is_empty() { "lib" } else { from },
                    to = if to.is_empty() { "lib" } else { to },
                ));
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

/// A directory module and the modules inside it are one unit here: a façade re-exports its parts, and the parts
/// share its private helpers. Between units, no cycle.
#[test]
fn modules_import_each_other_in_no_cycle() {
    let graph = imports();
    let unit = |m: &str| -> String {
        let parts: Vec<&str> = m.split("::").collect();
        let depth = if matches!(
            parts[0],
            "source" | "model" | "capture" | "dns" | "simulate" | "lint"
        ) {
            2
        } else {
            1
        };
        parts[..parts.len().min(depth)].join("::")
    };
    let mut units: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, used) in &graph {
        let entry = units.entry(unit(from)).or_default();
        for to in used {
            let (a, b) = (unit(from), unit(to));
            // A parent and its child are one directory's façade and part.
            let nested = b.starts_with(&format!("{a}::")) || a.starts_with(&format!("{b}::"));
            if a != b && !nested {
                entry.insert(b);
            }
        }
    }
    // Depth-first search with colours; report every back edge's cycle.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    let mut cycles = Vec::new();
    fn visit<'a>(
        node: &'a str,
        units: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node, 1);
        stack.push(node);
        for next in units.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == next).unwrap();
                    let mut cycle: Vec<&str> = stack[from..].to_vec();
                    cycle.push(next);
                    cycles.push(cycle.join(" → "));
                }
                Some(_) => {}
                None => visit(next, units, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(node, 2);
    }
    let names: Vec<&String> = units.keys().collect();
    for name in names {
        if !state.contains_key(name.as_str()) {
            visit(name, &units, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The checker itself: it finds an upward import and a cycle when there is one, and reads grouped imports.
#[test]
fn the_checker_sees_grouped_paths_and_skips_tests() {
    let text = "use crate::source::{packet::{Packet, Sock}, pcap};\nlet x = crate::lint::finding::Finding;\n\
                // see crate::report\nuse super::Grouper;\n\
                #[cfg(test)]\nmod tests {\n    use crate::report::x;\n}\n";
    let paths: Vec<String> = crate_paths(&without_tests(text), "capture::engine")
        .iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "source::packet::Packet",
            "source::packet::Sock",
            "source::pcap",
            "lint::finding::Finding",
            "capture::Grouper"
        ]
    );
    assert_eq!(layer("capture::engine").0, 2);
    assert_eq!(layer("capture::lookups").0, 3);
    assert_eq!(layer("source::kubectl::model").0, 1);
    assert_eq!(layer("").0, 5);
}
