//! The chain index of one table: a chain's position from its name, in about one probe.
//!
//! Kept by hand: `hashbrown`'s `HashTable` over the same entries was no faster on a 10,000-Service dump's chains
//! and jumps (docs/decisions/0002-hashbrown.md).

use super::view::{ChainRec, Span};

/// Open-addressing hash table of a table's chains, at most half full. A slot holds the chain's position, the high
/// 32 bits of its name's hash and its name's span, so a probe that hits another chain is rejected without reading
/// that chain, and a hit reads the name without first loading the chain record.
#[derive(Debug, Clone, Default)]
pub(super) struct ChainIndex {
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    position: u32,
    tag: u32,
    name: Span,
}

const EMPTY_SLOT: Slot = Slot {
    position: u32::MAX,
    tag: 0,
    name: Span { start: 0, len: 0 },
};

fn hash_name(name: &str) -> u64 {
    // FxHash over eight bytes at a time: chain names are short ASCII and only looked up, never iterated.
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = name.len() as u64;
    let mut chunks = name.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    // The index takes the low bits, which FxHash alone mixes poorly for names that differ only in a few
    // characters (every `KUBE-SEP-…`): finish with MurmurHash3's mixer.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

impl ChainIndex {
    /// The position of the chain called `name`; `text` reads a name's span.
    pub(super) fn find<'t>(&self, name: &str, text: impl Fn(Span) -> &'t str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let hash = hash_name(name);
        let tag = (hash >> 32) as u32;
        let mut slot = hash as usize & mask;
        loop {
            let entry = self.slots.get(slot)?;
            if entry.position == EMPTY_SLOT.position {
                return None;
            }
            // The length first: most other names are told apart without reading the input.
            if entry.tag == tag && entry.name.len as usize == name.len() && text(entry.name) == name
            {
                return Some(entry.position as usize);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Adds chain `position` of `chains` (the table's chains), growing the index to keep it at most half full.
    pub(super) fn insert<'t>(
        &mut self,
        chains: &[ChainRec],
        position: u32,
        text: impl Fn(Span) -> &'t str,
    ) {
        if chains.len() * 2 > self.slots.len() {
            let size = (chains.len() * 2).next_power_of_two().max(16);
            self.slots = vec![EMPTY_SLOT; size];
            for (i, chain) in chains.iter().enumerate() {
                self.place(text(chain.name), chain.name, i as u32);
            }
            return;
        }
        if let Some(chain) = chains.get(position as usize) {
            self.place(text(chain.name), chain.name, position);
        }
    }

    fn place(&mut self, text: &str, name: Span, position: u32) {
        if self.slots.is_empty() {
            return;
        }
        let mask = self.slots.len() - 1;
        let hash = hash_name(text);
        let mut slot = hash as usize & mask;
        while let Some(entry) = self.slots.get_mut(slot) {
            if entry.position == EMPTY_SLOT.position {
                *entry = Slot {
                    position,
                    tag: (hash >> 32) as u32,
                    name,
                };
                return;
            }
            slot = (slot + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::iptables::view::RuleList;

    fn chain(start: u32, len: u32) -> ChainRec {
        ChainRec {
            name: Span { start, len },
            policy: None,
            counters: None,
            declared_line: None,
            deleted: false,
            rules: RuleList::default(),
        }
    }

    /// Chains named `KUBE-SEP-0`, `KUBE-SEP-1`, …, each found at its position through growth, and a name that is
    /// not there (or differs in length only) is not found.
    #[test]
    fn every_chain_is_found_at_its_position_through_growth() {
        let names: Vec<String> = (0..5_000).map(|i| format!("KUBE-SEP-{i}")).collect();
        let text: String = names.concat();
        let read = |s: Span| {
            text.get(s.start as usize..(s.start + s.len) as usize)
                .unwrap_or_default()
        };
        let mut index = ChainIndex::default();
        let mut chains = Vec::new();
        let mut at = 0u32;
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.find(name, read), None, "{name} before it is added");
            chains.push(chain(at, name.len() as u32));
            at += name.len() as u32;
            index.insert(&chains, i as u32, read);
            // Every chain so far is still found (the index grew at powers of two).
            if i % 997 == 0 {
                for (j, earlier) in names.iter().take(i + 1).enumerate() {
                    assert_eq!(index.find(earlier, read), Some(j), "{earlier} after {i}");
                }
            }
        }
        for (j, name) in names.iter().enumerate() {
            assert_eq!(index.find(name, read), Some(j));
        }
        assert_eq!(index.find("KUBE-SEP-5000", read), None);
        assert_eq!(index.find("KUBE-SEP-", read), None);
        assert_eq!(index.find("", read), None);
        assert!(index.slots.len() >= 2 * names.len(), "at most half full");
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        assert_eq!(ChainIndex::default().find("KUBE-SERVICES", |_| ""), None);
    }
}
