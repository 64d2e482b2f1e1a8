//! Throughput of the whole analysis on a generated DNS capture: 176,000 packets as `tcpdump -i any` writes them
//! (pcap, LINUX_SLL2, microsecond timestamps), `dnatlas-gen`'s default traffic mix — 40 pods, mostly glibc,
//! ClusterFirst search lists, rare losses, SERVFAILs and truncated answers retried over TCP — which comes to
//! 24.6 MB (140 bytes a packet: Kubernetes names are long and every NXDOMAIN and NODATA carries the zone's SOA).
//!
//! `cargo bench -p dnatlas-core --bench capture -- --warm-up-time 1 --measurement-time 5`
//!
//! Target: at most 0.15 s for the analysis. For comparison, tshark 4.0.17 (Debian 12) takes 4.0–4.5 s of CPU
//! (user + system; 5.5–7 s of wall clock on the shared 2-core machine) to decode the same file: `time tshark -r
//! dns.pcap -T fields -e dns.id > /dev/null` on `dnatlas-gen capture --packets 176000 --link sll2 --format pcap -o
//! dns.pcap`. A 20 MB file of 176,000 packets would need 50 bytes of DNS a packet on average, less than the shortest
//! common Kubernetes query and its answer; the generated one is heavier than the target's, not lighter.
//!
//! Until the capture inputs are read by `analyze`, this measures nothing useful.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dnatlas_core::{analyze, Options, Source};
use dnatlas_gen::capture::{self, CaptureConfig, Format, Link};

/// The benchmark capture's configuration.
fn config() -> CaptureConfig {
    CaptureConfig {
        packets: 176_000,
        format: Format::Pcap,
        link: Link::Sll2,
        ..CaptureConfig::default()
    }
}

fn benches(c: &mut Criterion) {
    let (bytes, stats) = match capture::capture(&config()) {
        Ok(generated) => generated,
        Err(e) => {
            eprintln!("capture bench: {e}");
            return;
        }
    };
    eprintln!(
        "capture: {} packets, {} DNS messages, {} lookups, {:.1} MB",
        stats.packets,
        stats.dns_messages,
        stats.lookups,
        bytes.len() as f64 / 1e6
    );
    let mut group = c.benchmark_group("capture");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("analyze/176k", |b| {
        b.iter(|| {
            analyze(
                &[Source::new("dns.pcap", black_box(&bytes))],
                &Options::default(),
            )
        });
    });
    group.finish();
}

criterion_group!(capture_benches, benches);
criterion_main!(capture_benches);
