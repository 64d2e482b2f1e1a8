//! The resolv.conf parser on arbitrary bytes, and the resolvers' query plans over what it reads: never panic;
//! diagnostics point inside the input (1-based line and column, the column within its line).
#![no_main]

use dnatlas_core::dns::plan::{self, Outcome, Resolver};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = dnatlas_core::source::resolv_conf::parse(data);
    let lines: Vec<String> = dnatlas_core::text::lines(data)
        .map(|l| String::from_utf8_lossy(l.bytes).into_owned())
        .collect();
    for d in &parsed.diagnostics {
        assert!(d.line >= 1 && d.line as usize <= lines.len().max(1), "{d:?} outside {} lines", lines.len());
        let chars = lines.get(d.line as usize - 1).map_or(0, |l| l.chars().count());
        assert!(d.column >= 1 && d.column as usize <= chars + 1, "{d:?} outside a line of {chars} characters");
    }
    assert!(parsed.diagnostics.len() <= data.len() + lines.len() * 8 + 8, "{} diagnostics", parsed.diagnostics.len());
    let _ = dnatlas_core::source::resolv_conf::looks_like(data);
    let conf = &parsed.value;
    for name in ["nginx", "nginx.default", "www.example.com", "a.b.c.d.e.f.", "x.onion"] {
        for resolver in [Resolver::Glibc, Resolver::Musl, Resolver::Go] {
            let queries = plan::plan(resolver, name, conf);
            // A plan grows with the search list and no faster (glibc since 2.26 and Go put no limit on its domains):
            // one candidate per domain plus the name as-is, each asked for A and AAAA.
            assert!(
                queries.len() <= 2 * (conf.search.len() + 1),
                "{} queries planned for {} search domains",
                queries.len(),
                conf.search.len()
            );
            assert!(queries.iter().all(|q| q.name.ends_with('.')));
            let mut n = 0usize;
            let _ = plan::walk(resolver, name, conf, |_| {
                n += 1;
                [Outcome::NxDomain, Outcome::NoData, Outcome::Timeout, Outcome::ServFail][n % 4]
            });
        }
    }
});
