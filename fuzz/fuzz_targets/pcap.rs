//! pcap and pcapng on arbitrary bytes. The first byte picks a container header put before the rest (pcap in
//! either byte order with a link type from the second byte, a pcapng section with one interface, or none), so the
//! fuzzer spends its time inside records, link, IP, TCP and DNS layers rather than on the magic. Never panics;
//! every diagnostic names a frame (or the file) and every transaction a frame that exists.
#![no_main]

use dnatlas_core::capture::{Grouper, Limits};
use dnatlas_core::source::pcap;
use libfuzzer_sys::fuzz_target;

/// Link types the reader knows, and one it does not.
const LINKS: [u32; 8] = [0, 1, 101, 113, 228, 229, 276, 147];

fn container(data: &[u8]) -> Vec<u8> {
    let (Some(&pick), Some(&link)) = (data.first(), data.get(1)) else {
        return data.to_vec();
    };
    let link = LINKS[usize::from(link) % LINKS.len()];
    let rest = &data[2..];
    let mut out = Vec::with_capacity(rest.len() + 64);
    match pick % 4 {
        0 => {
            for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, link] {
                out.extend(v.to_le_bytes());
            }
        }
        1 => {
            for v in [0xa1b2_3c4du32, 0x0002_0004, 0, 0, 65535, link] {
                out.extend(v.to_be_bytes());
            }
        }
        2 => {
            // Section header block (28 bytes) and an interface description block (20 bytes).
            for v in [0x0a0d_0d0au32, 28, 0x1a2b_3c4d, 0x0000_0001, 0xffff_ffff, 0xffff_ffff, 28] {
                out.extend(v.to_le_bytes());
            }
            for v in [1u32, 20, link, 65535, 20] {
                out.extend(v.to_le_bytes());
            }
        }
        _ => {}
    }
    out.extend_from_slice(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let bytes = container(data);
    let mut grouper = Grouper::new("fuzz.pcap".into(), Limits::default());
    let diagnostics = pcap::read(&bytes, &mut grouper);
    let grouped = grouper.finish();
    let frames = grouped.summary.packets;
    for d in &diagnostics {
        if let Some(frame) = d.frame {
            assert!(frame >= 1 && u64::from(frame) <= frames + 1, "{d:?} beyond {frames} frames");
        }
    }
    // Cost follows the bytes: a record takes at least 16 bytes of the file, and a DNS header's counts do not
    // multiply the diagnostics.
    assert!(frames <= bytes.len() as u64 / 16 + 1, "{frames} frames from {} bytes", bytes.len());
    assert!(diagnostics.len() as u64 <= frames * 4 + 16, "{} diagnostics for {frames} frames", diagnostics.len());
    for t in &grouped.transactions.transactions {
        assert!(t.frame >= 1 && u64::from(t.frame) <= frames, "{t:?} beyond {frames} frames");
        assert!(t.queries_sent >= 1);
    }
    // The whole analysis of the same bytes.
    let analysis = dnatlas_core::analyze(
        &[dnatlas_core::Source::new("fuzz.pcap", &bytes)],
        &dnatlas_core::Options::default(),
    );
    assert_eq!(analysis.sources.len(), 1);
    assert!(analysis.sources[0].diagnostics.len() <= dnatlas_core::MAX_DIAGNOSTICS + 1);
});
