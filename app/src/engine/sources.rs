//! The source viewer's lines and the exports.

use super::Session;
use crate::protocol::lines::{Lines, LinesQuery};
use crate::protocol::ExportFormat;

/// The lines asked for, or `None` for an unknown input.
pub fn lines(session: &mut Session, q: &LinesQuery) -> Option<Lines> {
    let (bytes, starts) = session.lines_of(&q.source)?;
    let first = q.first.max(1);
    let from = (first - 1) as usize;
    let to = from.saturating_add(q.count as usize).min(starts.len());
    let lines = (from..to)
        .filter_map(|i| {
            let start = *starts.get(i)?;
            let end = starts.get(i + 1).map_or(bytes.len(), |next| next - 1);
            let line = bytes.get(start..end)?;
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            Some(String::from_utf8_lossy(line).into_owned())
        })
        .collect();
    Some(Lines {
        source: q.source.clone(),
        first,
        total: starts.len() as u32,
        lines,
    })
}

/// The export's file name, MIME type and text.
pub fn export(session: &Session, format: ExportFormat) -> Option<(String, String, String)> {
    let analysis = session.analysis()?;
    match format {
        ExportFormat::Json => {
            let text = serde_json::to_string_pretty(analysis).ok()?;
            Some((
                "dnatlas-analysis.json".into(),
                "application/json".into(),
                text,
            ))
        }
        ExportFormat::Markdown => {
            let text = dnatlas_core::report::markdown(analysis, &session.sources());
            Some(("dnatlas-report.md".into(), "text/markdown".into(), text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{InputSpec, Request, Response};

    fn session(text: &str) -> Session {
        Session::analysed(&[("a.txt", text)]).0
    }

    fn window(s: &mut Session, first: u32, count: u32) -> Lines {
        let q = LinesQuery {
            source: "a.txt".into(),
            first,
            count,
        };
        lines(s, &q).unwrap()
    }

    #[test]
    fn windows_of_lines() {
        let mut s = session("one\r\ntwo\n\nfour\n");
        let all = window(&mut s, 1, 100);
        assert_eq!(all.total, 4);
        assert_eq!(all.lines, ["one", "two", "", "four"]);
        let w = window(&mut s, 2, 2);
        assert_eq!(
            (w.first, w.lines.clone()),
            (2, vec!["two".to_string(), String::new()])
        );
        assert!(window(&mut s, 9, 5).lines.is_empty());
        assert_eq!(window(&mut s, 0, 1).lines, ["one"]);
        let q = LinesQuery {
            source: "nope".into(),
            first: 1,
            count: 1,
        };
        assert!(lines(&mut s, &q).is_none());
    }

    #[test]
    fn no_final_newline_and_bad_utf8() {
        let mut s = Session::new();
        s.put(1, b"a\n\xffb".to_vec());
        let inputs = vec![InputSpec {
            id: 1,
            name: "a.txt".into(),
            kind: None,
            node: None,
        }];
        s.handle(Request::Analyze { inputs }, &mut |_| {});
        let w = window(&mut s, 1, 10);
        assert_eq!(w.total, 2);
        assert_eq!(w.lines, ["a", "\u{fffd}b"]);
    }

    #[test]
    fn markdown_export_quotes_the_example() {
        let mut s = session(crate::EXAMPLE_DUMP);
        let Response::Export {
            file_name, text, ..
        } = s.handle(Request::Export(ExportFormat::Markdown), &mut |_| {})
        else {
            panic!("no export")
        };
        assert_eq!(file_name, "dnatlas-report.md");
        assert!(text.starts_with("# dnatlas report"));
        assert!(text.contains("| `a.txt` | iptables-save |"));
        let Response::Export { text, .. } =
            s.handle(Request::Export(ExportFormat::Json), &mut |_| {})
        else {
            panic!("no export")
        };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], "dnatlas.analysis/1");
    }
}
