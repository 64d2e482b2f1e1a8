//! tcpdump text on arbitrary bytes: parsed into DNS packets, grouped into transactions and read back into lookups
//! (with and without a pod's resolv.conf): never panic; diagnostics point inside the input; every transaction
//! and lookup points at packets that exist.
#![no_main]

use dnatlas_core::capture::lookups;
use dnatlas_core::source::{resolv_conf, tcpdump};
use dnatlas_core::ResolvSource;
use libfuzzer_sys::fuzz_target;

const POD: &[u8] = b"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";

fuzz_target!(|data: &[u8]| {
    let parsed = tcpdump::parse(data);
    let lines = dnatlas_core::text::lines(data).count().max(1);
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line as usize <= lines, "{d:?} outside {lines} lines");
        assert!(d.column >= 1, "{d:?}");
    }
    assert!(parsed.diagnostics.len() <= data.len() + lines * 8 + 8, "{} diagnostics", parsed.diagnostics.len());
    let packets = &parsed.value.packets;
    assert!(packets.len() <= lines, "{} packets from {lines} lines", packets.len());
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.frame as usize, i + 1);
        assert!(p.line >= 1 && p.line as usize <= lines);
    }
    let _ = tcpdump::looks_like(data);
    let grouped = dnatlas_core::capture::engine::group("fuzz", packets);
    for t in &grouped.transactions {
        assert!(t.frame >= 1 && t.frame as usize <= packets.len());
        assert!(t.queries_sent >= 1);
    }
    let conf = [ResolvSource {
        source: "resolv.conf".into(),
        value: resolv_conf::parse(POD).value,
    }];
    for confs in [&conf[..], &[]] {
        let found = lookups::lookups(&grouped.transactions, confs);
        let mut seen = vec![false; grouped.transactions.len()];
        for l in &found {
            assert!(!l.queries.is_empty());
            for &q in &l.queries {
                assert!(q < seen.len() && !seen[q], "transaction {q} in two lookups");
                seen[q] = true;
            }
        }
        let _ = dnatlas_core::lint::search_expansion(&found);
    }
});
