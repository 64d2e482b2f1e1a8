//! Repository tidiness: the project cites no document outside the repository, ARCHITECTURE.md stays short and names
//! only paths that exist, and every `docs/domain/<page>.md §N` citation points at a section that exists. The code,
//! docs and scripts are scanned, and of `fixtures/` the case descriptions only, never the inputs.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The repository root (this crate is `core/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
        .to_path_buf()
}

/// Directories never walked: build outputs, dependencies and test inputs (of `fixtures/`, only the descriptions in
/// `FIXTURE_DESCRIPTIONS` are scanned).
const SKIPPED_DIRS: [&str; 5] = ["target", "node_modules", "fixtures", ".git", "dist"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) {
                walk(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// The files under `fixtures/` that describe a case in prose (`about` fields, notes); every other file there is a
/// test input, kept byte for byte as the tool it comes from printed it, and is not scanned.
const FIXTURE_DESCRIPTIONS: [&str; 4] = ["expected.json", "case.json", "request.json", "README.md"];

/// The text files of the scanned part of the repository, with their paths relative to the root.
fn scanned_files() -> Vec<(String, String)> {
    let root = root();
    let mut paths = Vec::new();
    for dir in [
        "core",
        "cli",
        "app",
        "gen",
        "tests/e2e",
        "docs",
        "fuzz/fuzz_targets",
        "scripts",
    ] {
        walk(&root.join(dir), &mut paths);
    }
    for file in ["README.md", "ARCHITECTURE.md", "fixtures/README.md"] {
        paths.push(root.join(file));
    }
    let mut fixtures = Vec::new();
    walk(&root.join("fixtures"), &mut fixtures);
    paths.extend(fixtures.into_iter().filter(|p| {
        p.file_name()
            .is_some_and(|n| FIXTURE_DESCRIPTIONS.iter().any(|d| n == *d))
    }));
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = fs::read(&p).ok()?;
            let text = String::from_utf8(bytes).ok()?;
            if text.contains('\0') {
                return None;
            }
            let rel = p
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, text))
        })
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Where `text` refers to one of the outside documents, as (line, excerpt).
fn outside_citations(text: &str) -> Vec<(usize, String)> {
    // Built from pieces so that this file does not match itself.
    let spec = concat!("SP", "EC");
    let design = concat!("DES", "IGN");
    let whole = [concat!("FAIL", "URES.md"), concat!("NFT-", "IPVS")];
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut hit = whole.iter().any(|w| line.contains(w));
        for (word, followers) in [(spec, &[" §", "'s", " "][..]), (design, &["'s", " \""][..])] {
            for (at, _) in line.match_indices(word) {
                let before = line[..at].chars().next_back();
                if before.is_some_and(is_word) {
                    continue;
                }
                let rest = &line[at + word.len()..];
                let after = rest.chars().next();
                let cited = followers.iter().any(|f| rest.starts_with(f))
                    || (before == Some('(') && !after.is_some_and(is_word));
                hit |= cited;
            }
        }
        if hit {
            found.push((n + 1, line.trim().chars().take(120).collect()));
        }
    }
    found
}

#[test]
fn no_document_outside_the_repository_is_cited() {
    let mut bad = Vec::new();
    for (path, text) in scanned_files() {
        for (line, excerpt) in outside_citations(&text) {
            bad.push(format!("{path}:{line}: {excerpt}"));
        }
    }
    assert!(
        bad.is_empty(),
        "cite docs/domain/ (or the code) instead of an outside document:\n{}",
        bad.join("\n")
    );
}

#[test]
fn fixture_descriptions_are_scanned_and_inputs_are_not() {
    let files = scanned_files();
    let fixtures: Vec<&str> = files
        .iter()
        .map(|(path, _)| path.as_str())
        .filter(|path| path.starts_with("fixtures/"))
        .collect();
    assert!(
        fixtures.contains(&"fixtures/pcap/seed-004/case.json"),
        "the fixture descriptions are not scanned"
    );
    for path in ["expected.json", "request.json"] {
        assert!(
            fixtures.iter().any(|f| f.ends_with(path)),
            "no fixtures/**/{path} is scanned"
        );
    }
    let inputs: Vec<&&str> = fixtures
        .iter()
        .filter(|path| {
            let name = path.rsplit('/').next().unwrap_or_default();
            !FIXTURE_DESCRIPTIONS.contains(&name)
        })
        .collect();
    assert!(inputs.is_empty(), "fixture inputs are scanned: {inputs:?}");
}

#[test]
fn the_citation_check_sees_what_it_should() {
    let spec = concat!("SP", "EC");
    let design = concat!("DES", "IGN");
    for cited in [
        format!("see {spec} §6.6"),
        format!("x ({spec} §1.4)"),
        format!("({spec})"),
        format!("the {spec}'s table"),
        format!("{design}'s contract"),
        format!("{design} \"Command-line contract\""),
        format!("({design})"),
    ] {
        assert_eq!(outside_citations(&cited).len(), 1, "{cited}");
    }
    for fine in [
        format!("{spec}IAL"),
        format!("MAX_{spec} = 3"),
        format!("({spec}IFIC)"),
        format!("{design}ER"),
        "specification, design".to_string(),
    ] {
        assert!(outside_citations(&fine).is_empty(), "{fine}");
    }
}

const ARCHITECTURE_MAX_LINES: usize = 150;

#[test]
fn architecture_is_short() {
    let text = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let lines = text.lines().count();
    assert!(
        lines <= ARCHITECTURE_MAX_LINES,
        "ARCHITECTURE.md has {lines} lines, more than {ARCHITECTURE_MAX_LINES}"
    );
}

/// Whether a backticked span looks like a path in the repository.
fn looks_like_path(span: &str) -> bool {
    let plain = !span.is_empty()
        && !span.starts_with("dnatlas.")
        && span
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-<>".contains(c));
    plain
        && (span.contains('/')
            || [".rs", ".md", ".sh", ".mjs"]
                .iter()
                .any(|e| span.ends_with(e)))
}

/// Every file and directory name under the source trees, for names given without their directory.
fn names_under(dirs: &[&str]) -> BTreeSet<String> {
    fn collect(dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() {
                if SKIPPED_DIRS.contains(&name.as_str()) {
                    continue;
                }
                collect(&entry.path(), out);
                out.insert(format!("{name}/"));
            }
            out.insert(name);
        }
    }
    let mut out = BTreeSet::new();
    for dir in dirs {
        collect(&root().join(dir), &mut out);
    }
    out
}

/// The root-anchored entries of `.gitignore` (`/dist/` → `dist`): build outputs a document may name.
fn generated() -> Vec<String> {
    fs::read_to_string(root().join(".gitignore"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix('/'))
        .map(|l| l.trim_end_matches('/').to_string())
        .collect()
}

/// Where a path ARCHITECTURE.md names is looked for: the root, the crates' sources, and the directory its bullet
/// starts with (a bullet on `source/` names `kubectl/model.rs` for `core/src/source/kubectl/model.rs`).
fn resolves(root: &Path, context: Option<&Path>, bare: &str) -> bool {
    ["", "core/src", "app/src"]
        .iter()
        .map(|base| root.join(base))
        .chain(context.map(Path::to_path_buf))
        .any(|base| base.join(bare).exists())
}

#[test]
fn architecture_names_only_existing_paths() {
    let root = root();
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let names = names_under(&[
        "core", "cli", "app", "gen", "fuzz", "scripts", "tests", "docs",
    ]);
    let generated = generated();
    let mut missing = Vec::new();
    let mut context: Option<PathBuf> = None;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("- ") || line.starts_with("* ") {
            // A bullet that starts with a directory names the files after it relative to that directory.
            context = line
                .split('`')
                .nth(1)
                .filter(|first| first.ends_with('/'))
                .and_then(|dir| {
                    ["", "core/src", "app/src"]
                        .iter()
                        .map(|base| root.join(base).join(dir))
                        .find(|p| p.is_dir())
                });
        } else if !line.starts_with("  ") {
            context = None;
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 0 || !looks_like_path(span) {
                continue;
            }
            // `fixtures/<kind>/<case>/` names its fixed part.
            let path = span.split('<').next().unwrap_or_default();
            let bare = path.trim_end_matches('/');
            let exists = resolves(&root, context.as_deref(), bare)
                || (!bare.contains('/') && names.contains(path))
                || generated.iter().any(|g| g == bare);
            if !exists {
                missing.push(format!("ARCHITECTURE.md:{}: `{span}`", n + 1));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The section numbers a page's headings give (`## 3. Chain-name hashes` → 3).
fn sections(page: &str) -> BTreeSet<u32> {
    page.lines()
        .filter_map(|l| {
            let heading = l.strip_prefix('#')?.trim_start_matches('#').trim_start();
            let digits: String = heading.chars().take_while(char::is_ascii_digit).collect();
            let after = heading[digits.len()..].chars().next();
            matches!(after, Some('.' | ' ')).then(|| digits.parse().ok())?
        })
        .collect()
}

/// The section numbers cited right after a page name: `§2`, `§2–§4`, `§2, §7 case 3`, `§1/§2`.
fn cited_sections(rest: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut rest = match rest.strip_prefix(" §") {
        Some(r) => r,
        None => return out,
    };
    loop {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = digits.parse() else {
            break;
        };
        out.push(n);
        rest = &rest[digits.len()..];
        let next = ["–§", "-§", ", §", "/§", " and §"]
            .iter()
            .find_map(|sep| rest.strip_prefix(sep));
        match next {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

#[test]
fn domain_citations_point_at_existing_sections() {
    let root = root();
    let domain = root.join("docs/domain");
    let mut bad = Vec::new();
    let mut cited = 0;
    for (path, text) in scanned_files() {
        let in_domain = path.starts_with("docs/domain/");
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices(".md") {
                let start = line[..at]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                    .map_or(0, |i| i + 1);
                let name = &line[start..at];
                let page = if let Some(page) = name.strip_prefix("docs/domain/") {
                    page
                } else if in_domain && !name.contains('/') && !name.is_empty() {
                    name
                } else {
                    continue;
                };
                let rest = &line[at + 3..];
                let file = domain.join(format!("{page}.md"));
                let Ok(target) = fs::read_to_string(&file) else {
                    bad.push(format!("{path}:{}: no docs/domain/{page}.md", n + 1));
                    continue;
                };
                let have = sections(&target);
                for s in cited_sections(rest) {
                    cited += 1;
                    if !have.contains(&s) {
                        bad.push(format!(
                            "{path}:{}: docs/domain/{page}.md has no §{s}",
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "broken domain citations:\n{}",
        bad.join("\n")
    );
    assert!(
        cited > 0,
        "no domain citation was found: is the scan looking in the right place?"
    );
}

#[test]
fn cited_sections_are_read_as_written() {
    assert_eq!(cited_sections(" §4"), [4]);
    assert_eq!(cited_sections(" §2–§4)"), [2, 4]);
    assert_eq!(cited_sections(" §2, §7 case 3"), [2, 7]);
    assert_eq!(cited_sections(" warns"), Vec::<u32>::new());
    assert_eq!(
        sections("# T\n## 1. A\n## 12 B\n### x\n## 3. C"),
        BTreeSet::from([1, 12, 3])
    );
}
