//! The app's boundary, enforced: the page's components speak to the engine only through `protocol` (and `client`,
//! which carries it), never through the engine's code or the layout it runs; `protocol` depends on nothing of the
//! app's but itself, so both sides can import it.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

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

fn sources(under: &str) -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(under),
        &mut paths,
    );
    paths.sort();
    assert!(!paths.is_empty(), "no sources under {under}");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The app modules a file names with `crate::…` (comments left out).
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(module);
        }
    }
    out
}

#[test]
fn components_never_reach_into_the_engine() {
    for (path, text) in sources("components") {
        for module in crate_modules(&text) {
            assert!(
                !matches!(module.as_str(), "engine" | "layout" | "worker"),
                "{} imports crate::{module}: a component asks the engine through client and protocol",
                path.display()
            );
        }
    }
}

#[test]
fn the_protocol_stands_alone() {
    for (path, text) in sources("protocol") {
        for module in crate_modules(&text) {
            assert_eq!(
                module,
                "protocol",
                "{} imports crate::{module}: protocol must not depend on either side",
                path.display()
            );
        }
        assert!(
            !text.contains("super::super"),
            "{} reaches out of protocol",
            path.display()
        );
    }
}

#[test]
fn no_argument_list_needs_an_allowance() {
    for (path, text) in sources("") {
        assert!(
            !text.contains("too_many_arguments"),
            "{}: use a context struct",
            path.display()
        );
    }
}

#[test]
fn the_checks_see_what_they_check() {
    assert_eq!(
        crate_modules("use crate::engine::map::{self, Query}; // crate::layout\nlet x = crate::protocol::map::BOX_W;"),
        ["engine", "protocol"]
    );
}
