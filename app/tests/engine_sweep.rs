//! The engine never panics (a panic in the worker would lose the analysis): every fixture, alone and beside the
//! rest of its directory, through every request the page can send, with ordinary and absurd arguments.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use dnatlas_app::engine::Session;
use dnatlas_app::protocol::map::Detail;
use dnatlas_app::protocol::{captures, lines, map, trace};
use dnatlas_app::protocol::{ExportFormat, InputSpec, Request, Response, Summary};
use dnatlas_core::dns::plan::Resolver;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn ask(session: &mut Session, request: Request) -> Response {
    session.handle(request, &mut |_| {})
}

fn analyse(session: &mut Session, paths: &[PathBuf]) -> Summary {
    let mut inputs = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let id = i as u32 + 1;
        session.put(id, std::fs::read(path).unwrap());
        inputs.push(InputSpec {
            id,
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            kind: None,
            node: (i % 3 == 2).then(|| "node-x".to_string()),
        });
    }
    match ask(session, Request::Analyze { inputs }) {
        Response::Summary(s) => s,
        other => panic!("not a summary: {other:?}"),
    }
}

fn every_request(session: &mut Session, summary: &Summary) {
    let evidence: Vec<_> = summary
        .findings
        .iter()
        .flat_map(|f| f.evidence.clone())
        .collect();
    let mut nodes: Vec<String> = summary.nodes.iter().map(|n| n.name.clone()).collect();
    nodes.push("no such node".into());
    for node in &nodes {
        for (y_from, y_to) in [
            (0.0, 1500.0),
            (-1e12, 1e12),
            (f64::NAN, f64::INFINITY),
            (5e5, 0.0),
        ] {
            for detail in [Detail::Full, Detail::Compact] {
                for filter in [
                    map::Filter::default(),
                    map::Filter {
                        namespace: Some("kube-system".into()),
                        name: "dns".into(),
                        ip: "10.".into(),
                    },
                    map::Filter {
                        namespace: None,
                        name: "\u{0}<script>".into(),
                        ip: ":::80:".into(),
                    },
                ] {
                    let q = map::Query {
                        node: node.clone(),
                        filter,
                        detail,
                        y_from,
                        y_to,
                        highlight: evidence.clone(),
                    };
                    ask(session, Request::Map(q));
                }
            }
        }
    }
    let filters = [
        captures::Filter::default(),
        captures::Filter {
            source: None,
            client: Some("10.244.0.20".into()),
            name: "NGINX".into(),
            rcode: Some(captures::RcodeFilter::NoAnswer),
            retried: true,
        },
        captures::Filter {
            source: Some("nope".into()),
            client: None,
            name: String::new(),
            rcode: Some(captures::RcodeFilter::Rcode("NXDOMAIN".into())),
            retried: false,
        },
    ];
    for filter in filters {
        ask(
            session,
            Request::Captures(captures::Query::Chart(filter.clone())),
        );
        for (offset, limit, around) in [
            (0, 50, None),
            (0, 50, Some(0)),
            (usize::MAX, usize::MAX, Some(usize::MAX)),
            (3, 0, None),
        ] {
            ask(
                session,
                Request::Captures(captures::Query::Rows {
                    filter: filter.clone(),
                    offset,
                    limit,
                    around,
                }),
            );
        }
    }
    for i in [0, 1, 7, usize::MAX] {
        ask(session, Request::Captures(captures::Query::Detail(i)));
    }
    let mut froms: Vec<String> = summary
        .clients
        .iter()
        .take(2)
        .map(|c| c.ip.clone())
        .collect();
    froms.extend(["10.244.0.20".to_string(), "not an ip".to_string()]);
    for from in &froms {
        for to in [
            "nginx:80",
            "kube-dns.kube-system",
            "www.example.com",
            "",
            ":99999",
            "10.96.0.10:53",
        ] {
            for (seed, resolver) in [
                (1, Resolver::Glibc),
                (u64::MAX, Resolver::Musl),
                (7, Resolver::Go),
                (0, Resolver::Busybox),
            ] {
                let q = trace::Query {
                    from: from.clone(),
                    to: to.into(),
                    resolver,
                    seed,
                };
                ask(session, Request::Trace(q));
            }
        }
    }
    let names: Vec<String> = summary
        .sources
        .iter()
        .map(|s| s.report.name.clone())
        .chain(["missing".to_string()])
        .collect();
    for source in names {
        for (first, count) in [(0, 10), (1, u32::MAX), (u32::MAX, u32::MAX), (3, 0)] {
            ask(
                session,
                Request::Lines(lines::LinesQuery {
                    source: source.clone(),
                    first,
                    count,
                }),
            );
        }
    }
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        assert!(matches!(
            ask(session, Request::Export(format)),
            Response::Export { .. }
        ));
    }
}

#[test]
fn every_fixture_through_every_request() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 200, "{} fixture files", all.len());
    // Before anything is analysed.
    let mut empty = Session::new();
    for request in [
        Request::Export(ExportFormat::Json),
        Request::Captures(captures::Query::Detail(0)),
        Request::Lines(lines::LinesQuery {
            source: "x".into(),
            first: 1,
            count: 1,
        }),
    ] {
        ask(&mut empty, request);
    }
    for path in &all {
        eprintln!("{}", path.display());
        let mut session = Session::new();
        let summary = analyse(&mut session, std::slice::from_ref(path));
        every_request(&mut session, &summary);
    }
    let mut dirs: Vec<PathBuf> = all
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .collect();
    dirs.dedup();
    for dir in dirs {
        let together: Vec<PathBuf> = all
            .iter()
            .filter(|p| p.parent() == Some(dir.as_path()))
            .cloned()
            .collect();
        eprintln!("{}/*", dir.display());
        let mut session = Session::new();
        let summary = analyse(&mut session, &together);
        every_request(&mut session, &summary);
        // Analysed again with one input gone: windows of the old analysis must not reach past the new one.
        let fewer = &together[..together.len() - 1];
        let summary = analyse(&mut session, fewer);
        every_request(&mut session, &summary);
    }
}
