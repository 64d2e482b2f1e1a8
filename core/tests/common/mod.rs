//! Shared by the test crates: the fixture cases of a kind, and the damaged variants of an input that every parser
//! must survive. Each test crate uses some of these.
#![allow(dead_code)]

pub mod pcap;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The case folders under `fixtures/<kind>/` that have an `expected.json`, sorted.
pub fn cases(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(kind);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    dirs
}

/// Calls `check(what, variant)` for `bytes` whole, cut after each line and before each newline, cut inside lines,
/// and with one byte replaced by each of `replacements` (plus two bit flips) — at most `sites` evenly spread places
/// for each kind of damage. Returns how many variants were checked.
pub fn for_each_variant(
    bytes: &[u8],
    sites: usize,
    replacements: &[u8],
    mut check: impl FnMut(&str, &[u8]),
) -> usize {
    let mut variants = 1;
    check("the whole input", bytes);
    let ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    for &i in ends.iter().step_by((ends.len() / sites).max(1)) {
        check(&format!("a cut after byte {i}"), &bytes[..=i]);
        check(&format!("a cut before byte {i}"), &bytes[..i]);
        variants += 2;
    }
    for i in (0..bytes.len()).step_by((bytes.len() / sites).max(1)) {
        check(&format!("a cut at byte {i}"), &bytes[..i]);
        variants += 1;
        for replacement in [bytes[i] ^ 0xff, bytes[i] ^ 0x01]
            .iter()
            .chain(replacements)
        {
            let mut damaged = bytes.to_vec();
            damaged[i] = *replacement;
            check(&format!("byte {i} set to {replacement:#04x}"), &damaged);
            variants += 1;
        }
    }
    variants
}

/// Whether `actual` has everything `expected` names.
pub fn compare(path: &str, expected: &Value, actual: &Value, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, w) in want {
                match got.get(key) {
                    Some(g) => compare(&format!("{path}.{key}"), w, g, errors),
                    None => errors.push(format!("{path}.{key}: missing, expected {w}")),
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                errors.push(format!(
                    "{path}: expected {} entries, got {}: {}",
                    want.len(),
                    got.len(),
                    actual
                ));
                return;
            }
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                compare(&format!("{path}[{i}]"), w, g, errors);
            }
        }
        _ if expected == actual => {}
        _ => errors.push(format!("{path}: expected {expected}, got {actual}")),
    }
}
