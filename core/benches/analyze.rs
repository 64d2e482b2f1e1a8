//! Throughput of the `iptables-save` parser and of the whole analysis on generated kube-proxy dumps of 1,000,
//! 10,000 and 50,000 Services (`dnatlas-gen`'s default mix: ≈18.6 rules and ≈3 kB per Service).
//!
//! `cargo bench -p dnatlas-core --bench analyze -- --warm-up-time 1 --measurement-time 5`
//!
//! `analyze` reads at most `MAX_SOURCE_BYTES` (256 MiB) of an input, which holds the 50,000-Service dump (≈153 MB);
//! throughput is counted over the bytes it reads.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dnatlas_core::{analyze, source::iptables, Options, Source, MAX_SOURCE_BYTES};
use dnatlas_gen::{generate, Config};

const SIZES: [(usize, &str, usize); 3] =
    [(1_000, "1k", 50), (10_000, "10k", 20), (50_000, "50k", 10)];

fn dumps() -> Vec<(&'static str, usize, String)> {
    SIZES
        .iter()
        .map(|&(services, label, samples)| {
            let dump = generate(&Config {
                services,
                ..Config::default()
            });
            (label, samples, dump.text)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let dumps = dumps();

    let mut group = c.benchmark_group("parse");
    for (label, samples, text) in &dumps {
        group.sample_size(*samples);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), text, |b, text| {
            b.iter(|| iptables::parse(black_box(text.as_bytes())));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("analyze");
    for (label, samples, text) in &dumps {
        group.sample_size(*samples);
        group.throughput(Throughput::Bytes(text.len().min(MAX_SOURCE_BYTES) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), text, |b, text| {
            b.iter(|| {
                analyze(
                    &[Source::new("node.txt", black_box(text.as_bytes()))],
                    &Options::default(),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(analyze_benches, benches);
criterion_main!(analyze_benches);
