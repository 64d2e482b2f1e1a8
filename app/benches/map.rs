//! The engine's answers on a generated 10,000-Service node (`dnatlas-gen`'s default mix, 13,818 Service ports):
//! a window of the map at full detail and zoomed out, a filtered window, and the summary's node overview; and a
//! trace to a VIP with the analysis made again (`trace`) and reused (`trace_analyzed`, what the engine does).
//!
//! `cargo bench -p dnatlas-app --bench map -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dnatlas_app::engine::{map, Session};
use dnatlas_app::protocol::map::{Detail, Filter, Query};
use dnatlas_app::protocol::{InputSpec, Request};
use dnatlas_gen::{generate, Config};

fn session() -> Session {
    let dump = generate(&Config {
        services: 10_000,
        ..Config::default()
    });
    let mut s = Session::new();
    s.put(1, dump.text.into_bytes());
    s.handle(
        Request::Analyze {
            inputs: vec![InputSpec {
                id: 1,
                name: "node".into(),
                kind: None,
                node: None,
            }],
        },
        &mut |_| {},
    );
    s
}

fn query(detail: Detail, y: f64, filter: Filter) -> Query {
    Query {
        node: "node".into(),
        filter,
        detail,
        y_from: y,
        y_to: y + 1200.0,
        highlight: Vec::new(),
    }
}

fn benches(c: &mut Criterion) {
    let s = session();
    let middle = map::query(&s, &query(Detail::Full, 0.0, Filter::default())).height / 2.0;
    let mut group = c.benchmark_group("map-10k");
    group.bench_function("window-full-middle", |b| {
        let q = query(Detail::Full, middle, Filter::default());
        b.iter(|| map::query(black_box(&s), &q));
    });
    group.bench_function("window-compact-middle", |b| {
        let q = query(Detail::Compact, 100_000.0, Filter::default());
        b.iter(|| map::query(black_box(&s), &q));
    });
    group.bench_function("window-name-filter", |b| {
        let q = query(
            Detail::Full,
            0.0,
            Filter {
                name: "api".into(),
                ..Filter::default()
            },
        );
        b.iter(|| map::query(black_box(&s), &q));
    });
    group.bench_function("nodes", |b| b.iter(|| map::nodes(black_box(&s))));
    group.finish();

    let dump = generate(&Config {
        services: 10_000,
        ..Config::default()
    });
    let sources = [dnatlas_core::Source::new("node", dump.text.as_bytes())];
    let options = dnatlas_core::Options::default();
    let analysis = dnatlas_core::analyze(&sources, &options);
    let request = dnatlas_core::trace::Request {
        from: "10.244.1.5".into(),
        to: "10.96.0.1:443".into(),
        resolver: dnatlas_core::dns::plan::Resolver::Glibc,
    };
    let mut group = c.benchmark_group("trace-10k");
    group.sample_size(10);
    group.bench_function("trace", |b| {
        b.iter(|| dnatlas_core::trace::trace(black_box(&sources), &request, &options))
    });
    group.bench_function("trace_analyzed", |b| {
        b.iter(|| {
            dnatlas_core::trace::trace_analyzed(black_box(&sources), &analysis, &request, &options)
        })
    });
    group.finish();
}

criterion_group!(map_benches, benches);
criterion_main!(map_benches);
