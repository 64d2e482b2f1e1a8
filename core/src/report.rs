//! The analysis as a Markdown report for a ticket: the inputs, every finding worst first with its evidence lines
//! quoted from the inputs and the rule's fix, and the inputs' diagnostics. `dnatlas analyze --format markdown` and
//! the app's export write it.
//!
//! Nothing read from an input reaches the Markdown as markup: names, finding messages and diagnostics are written
//! as text with `<`, `>` and `&` as entities and Markdown's punctuation backslash-escaped ([`text`]), or as code
//! spans when they hold no `<`, `>` or `&` ([`name`]); quoted input lines sit in fences longer than any backtick run
//! in them ([`fence`]). A renderer that passes raw HTML through still shows the input's text, never runs it.

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::diagnostic::Severity;
use crate::source::Source;

/// Diagnostics listed per input; the rest are counted.
const MAX_DIAGNOSTICS_LISTED: usize = 50;
/// Evidence quoted per finding; the rest are listed without their text.
const MAX_QUOTED_EVIDENCE: usize = 12;
/// A quoted line longer than this is cut (with `…`).
const MAX_QUOTED_CHARS: usize = 400;

/// The Markdown report of `analysis`, quoting evidence lines from `sources` (the inputs it was made from).
pub fn markdown(analysis: &Analysis, sources: &[Source<'_>]) -> String {
    let mut lines = LineIndex::new(sources);
    let mut out = String::new();
    out.push_str("# dnatlas report\n\n");
    let _ = writeln!(
        out,
        "dnatlas {} read {} input(s); the findings cite the input lines that prove them.\n",
        env!("CARGO_PKG_VERSION"),
        analysis.sources.len()
    );

    out.push_str(
        "## Inputs\n\n| Input | Kind | Bytes | Read | Diagnostics |\n|---|---|---:|---|---:|\n",
    );
    for s in &analysis.sources {
        let c = &s.counts;
        let read = if c.packets > 0 {
            format!("{} packets, {} DNS transactions", c.packets, c.transactions)
        } else if c.server_blocks > 0 {
            format!("{} server blocks, {} plugins", c.server_blocks, c.plugins)
        } else if c.rules > 0 || c.chains > 0 {
            format!(
                "{} lines, {} rules, {} service ports, {} endpoints",
                c.lines, c.rules, c.services, c.endpoints
            )
        } else {
            format!("{} lines", c.lines)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            name_cell(&s.name),
            s.kind.as_str(),
            s.bytes,
            cell(&read),
            s.diagnostics.len()
        );
    }
    out.push('\n');

    let count = |sev: Severity| {
        analysis
            .findings
            .iter()
            .filter(|f| f.severity == sev)
            .count()
    };
    let _ = writeln!(
        out,
        "## Findings: {} error(s), {} warning(s), {} info\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    if analysis.findings.is_empty() {
        out.push_str("No findings.\n\n");
    }
    for (i, f) in analysis.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "### {}. {} {}: {}\n",
            i + 1,
            severity_word(f.severity),
            name(&f.code),
            prose(&f.title)
        );
        let _ = writeln!(out, "{}\n", paragraph(&f.message));
        if !f.evidence.is_empty() {
            out.push_str("Evidence:\n\n");
            for (j, e) in f.evidence.iter().enumerate() {
                let _ = writeln!(out, "- {}", name(&e.to_string()));
                if let (true, Some(line)) = (j < MAX_QUOTED_EVIDENCE, e.line_number()) {
                    if let Some(text) = lines.line(&e.source, line) {
                        fence(&mut out, &text);
                    }
                }
            }
            out.push('\n');
        }
        if let Some(doc) = crate::lint::explain(&f.code) {
            let _ = writeln!(out, "Fix: {}\n", prose(doc.fix));
        }
    }

    let with_diagnostics: Vec<_> = analysis
        .sources
        .iter()
        .filter(|s| !s.diagnostics.is_empty())
        .collect();
    if !with_diagnostics.is_empty() {
        out.push_str("## Diagnostics\n\n");
        for s in with_diagnostics {
            let _ = writeln!(out, "{}:\n", name(&s.name));
            for d in s.diagnostics.iter().take(MAX_DIAGNOSTICS_LISTED) {
                let at = match d.frame {
                    Some(frame) => format!("frame {frame}"),
                    None if d.line > 0 => format!("{}:{}", d.line, d.column),
                    None => "file".to_string(),
                };
                let _ = writeln!(
                    out,
                    "- {} {}[{}] {}",
                    at,
                    severity_word(d.severity).to_lowercase(),
                    text(&d.code),
                    text(&d.message)
                );
            }
            if s.diagnostics.len() > MAX_DIAGNOSTICS_LISTED {
                let _ = writeln!(
                    out,
                    "- … and {} more",
                    s.diagnostics.len() - MAX_DIAGNOSTICS_LISTED
                );
            }
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

/// Newlines and other control characters of input text flattened, so a finding cannot break the report's layout.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An inline code span that holds any text: the fence is one backtick more than the longest run inside.
fn code_span(s: &str) -> String {
    let s = one_line(s);
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// A table cell: `|` escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Input text as Markdown text that renders as the text itself and nothing else: control characters flattened,
/// `&`, `<` and `>` as entities (no HTML tag, comment or autolink can start), and the punctuation that starts
/// emphasis, code, links or table cells (`\\ ` * _ [ ] ~ |`) backslash-escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// [`text`] that starts a line: a leading `#`, `+`, `-`, `=` or a number followed by `.` or `)` would start a
/// heading or a list, so it is escaped too.
fn paragraph(s: &str) -> String {
    let t = text(s);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    match t.as_bytes().get(digits) {
        Some(b'.' | b')') if digits > 0 => {
            format!(
                "{}\\{}",
                t.get(..digits).unwrap_or_default(),
                t.get(digits..).unwrap_or_default()
            )
        }
        Some(b'#' | b'+' | b'-' | b'=') if digits == 0 => format!("\\{t}"),
        _ => t,
    }
}

/// A name or place (an input's name, `file:line`, a code): a code span, which shows any text literally, unless it
/// holds `<`, `>` or `&`; then [`text`], so that no tag-like text is left in the Markdown even for a reader that
/// does not know code spans.
fn name(s: &str) -> String {
    if s.contains(['<', '>', '&']) {
        text(s)
    } else {
        code_span(s)
    }
}

/// [`name`] in a table cell.
fn name_cell(s: &str) -> String {
    if s.contains(['<', '>', '&']) {
        text(s)
    } else {
        cell(&code_span(s))
    }
}

/// dnatlas's own prose (titles, fixes), which marks code with backticks: the code spans kept, `&`, `<` and `>`
/// outside them written as entities.
fn prose(s: &str) -> String {
    let s = one_line(s);
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut open: Option<usize> = None;
    while let Some(c) = chars.next() {
        if c == '`' {
            let mut run = 1;
            while chars.next_if_eq(&'`').is_some() {
                run += 1;
            }
            out.push_str(&"`".repeat(run));
            open = match open {
                Some(n) if n == run => None,
                None => Some(run),
                other => other,
            };
            continue;
        }
        match (open, c) {
            (None, '&') => out.push_str("&amp;"),
            (None, '<') => out.push_str("&lt;"),
            (None, '>') => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    if open.is_some() {
        // An unclosed backtick run is literal text in Markdown, so what followed it was not code: write it again.
        return text(&s);
    }
    out
}

/// A fenced block quoting one input line, indented under a list item.
fn fence(out: &mut String, text: &str) {
    let mut text = one_line(text);
    if let Some((cut, _)) = text.char_indices().nth(MAX_QUOTED_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    let ticks = "`".repeat(longest_run(&text, '`').max(2) + 1);
    let _ = writeln!(out, "  {ticks}text\n  {text}\n  {ticks}");
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// An input's text as `analyze` read it, and where each of its lines starts.
type Indexed<'a> = (std::borrow::Cow<'a, [u8]>, Vec<usize>);

/// The inputs' lines, indexed on first use, as `analyze` numbered them (through [`crate::text::normalise`]).
struct LineIndex<'a> {
    sources: &'a [Source<'a>],
    starts: Vec<Option<Indexed<'a>>>,
}

impl<'a> LineIndex<'a> {
    fn new(sources: &'a [Source<'a>]) -> Self {
        Self {
            sources,
            starts: vec![None; sources.len()],
        }
    }

    /// Line `line` (1-based) of the input named `name`, without its line end.
    fn line(&mut self, name: &str, line: u32) -> Option<String> {
        let i = self.sources.iter().position(|s| s.name == name)?;
        let raw = self.sources.get(i)?.bytes;
        let (bytes, starts) = self.starts.get_mut(i)?.get_or_insert_with(|| {
            let bytes = crate::text::normalise(raw);
            let starts = std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', &bytes).map(|i| i + 1))
                .collect();
            (bytes, starts)
        });
        let start = *starts.get(line.checked_sub(1)? as usize)?;
        if start >= bytes.len() {
            return None;
        }
        let end = starts
            .get(line as usize)
            .map_or(bytes.len(), |next| next.saturating_sub(1));
        let text = bytes.get(start..end)?;
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        Some(String::from_utf8_lossy(text).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Options};

    const CORPUS_01: &str =
        include_str!("../../fixtures/iptables/corpus-01-iptables-overall/input.txt");

    #[test]
    fn findings_quote_their_lines_and_fix() {
        let sources = [Source::new("node-a.txt", CORPUS_01.as_bytes())];
        let report = markdown(&analyze(&sources, &Options::default()), &sources);
        // Line 9 of the input is the REJECT for ns6/svc6, the evidence of service-no-endpoints.
        let line9 = CORPUS_01.lines().nth(8).unwrap();
        assert!(line9.contains("ns6/svc6:p80 has no endpoints"));
        assert!(
            report.contains("## Findings: 1 error(s), 1 warning(s), 0 info"),
            "{report}"
        );
        assert!(
            report.contains("### 1. Error `service-no-endpoints`: Service port has no endpoints")
        );
        assert!(
            report.contains(&format!("- `node-a.txt:9`\n  ```text\n  {line9}\n  ```\n")),
            "{report}"
        );
        // The warning's three DROP rules, lines 10 to 12.
        for n in 10..=12 {
            let text = CORPUS_01.lines().nth(n - 1).unwrap();
            assert!(report.contains(&format!("- `node-a.txt:{n}`\n  ```text\n  {text}\n")));
        }
        let fix = crate::lint::explain("service-no-endpoints").unwrap().fix;
        assert!(report.contains(&format!("Fix: {}", prose(fix))));
        assert!(report.contains("| `node-a.txt` | iptables-save | "));
        assert!(!report.contains("## Diagnostics"));
    }

    #[test]
    fn hostile_text_cannot_break_out() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(cell("a|b"), "a\\|b");
        let mut out = String::new();
        fence(&mut out, "x ``` y\nz");
        assert_eq!(out, "  ````text\n  x ``` y z\n  ````\n");
    }

    #[test]
    fn input_text_is_written_as_text() {
        assert_eq!(
            text("<script>alert(1)</script> & *x* _y_ `z` [a](b) ~~c~~ | \\"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\*x\\* \\_y\\_ \\`z\\` \\[a\\](b) \\~\\~c\\~\\~ \\| \\\\"
        );
        assert_eq!(text("a\nb\u{1b}c"), "a b c");
        assert_eq!(paragraph("# not a heading"), "\\# not a heading");
        assert_eq!(paragraph("- not a list"), "\\- not a list");
        assert_eq!(paragraph("12. not a list"), "12\\. not a list");
        assert_eq!(paragraph("12 items"), "12 items");
        assert_eq!(name("node-a.txt:9"), "`node-a.txt:9`");
        assert_eq!(
            name("<img src=x onerror=alert(1)>.txt:3"),
            "&lt;img src=x onerror=alert(1)&gt;.txt:3"
        );
        assert_eq!(name_cell("a|b"), "`a\\|b`");
        assert_eq!(name_cell("<a|b>"), "&lt;a\\|b&gt;");
        assert_eq!(
            prose("Set `pods verified` <b> & `a<b>`"),
            "Set `pods verified` &lt;b&gt; &amp; `a<b>`"
        );
        assert_eq!(prose("a ` <b>"), "a \\` &lt;b&gt;");
        assert_eq!(prose("``a`b`` <x>"), "``a`b`` &lt;x&gt;");
    }

    /// Markup an input tries to slip in, in every place an input's text reaches the report: its name, a rule
    /// comment (the Service name of a port with no endpoints: the finding's message and evidence), a diagnostic
    /// that quotes the line, and an evidence line that holds a fence.
    #[test]
    fn hostile_inputs_stay_text() {
        let name = "<img src=x onerror=alert(1)>.txt";
        let dump = r#"*filter
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -m comment --comment "default/<script>alert(1)</script>:p80 has no endpoints" -m tcp -p tcp -d 10.96.0.9 --dport 80 -j REJECT
-A KUBE-SERVICES -m comment --comment "``` <script>alert(3)</script>" -j KUBE-NOPE
-A KUBE-SERVICES <script>alert(2)</script>
COMMIT
"#;
        let sources = [Source::new(name, dump.as_bytes())];
        let analysis = analyze(&sources, &Options::default());
        assert!(!analysis.findings.is_empty(), "{analysis:?}");
        assert!(
            analysis.findings[0].message.contains("<script>"),
            "{:?}",
            analysis.findings
        );
        assert!(!analysis.sources[0].diagnostics.is_empty());
        let report = markdown(&analysis, &sources);
        assert!(
            report.contains("&lt;img src=x onerror=alert(1)&gt;.txt"),
            "{report}"
        );
        assert!(
            report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{report}"
        );
        let outside = outside_fences(&report);
        for tag in ["<script", "<img", "</script"] {
            assert!(!outside.to_lowercase().contains(tag), "{tag}: {outside}");
        }
        assert!(
            report
                .contains("- 5:18 warning[stray-value] \"&lt;script&gt;alert(2)&lt;/script&gt;\""),
            "{report}"
        );
        // The evidence line holds ``` and is quoted in a longer fence, which the line cannot close.
        assert!(
            report.contains("  ````text\n  -A KUBE-SERVICES -m comment --comment \"``` <script>"),
            "{report}"
        );
    }

    /// The report without the lines inside fenced blocks (whose text Markdown shows literally).
    fn outside_fences(report: &str) -> String {
        let mut out = String::new();
        let mut fence: Option<String> = None;
        for line in report.lines() {
            let t = line.trim_start();
            let ticks: String = t.chars().take_while(|c| *c == '`').collect();
            match &fence {
                Some(open) if t.trim_end() == open => fence = None,
                Some(_) => {}
                None if ticks.len() >= 3 => fence = Some(ticks),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        assert!(fence.is_none(), "a fence was left open:\n{report}");
        out
    }

    #[test]
    fn diagnostics_name_their_line_or_frame() {
        let text = "*nat\n-A KUBE-SERVICES -j\nCOMMIT\n";
        let sources = [Source::new("bad.txt", text.as_bytes())];
        let analysis = analyze(&sources, &Options::default());
        let report = markdown(&analysis, &sources);
        let d = &analysis.sources[0].diagnostics[0];
        assert!(
            report.contains(&format!("- {}:{} ", d.line, d.column)),
            "{report}"
        );
        assert_eq!(d.line, 2);
    }

    #[test]
    fn line_index_edges() {
        let sources = [Source::new("a", b"one\r\ntwo\nthree")];
        let mut idx = LineIndex::new(&sources);
        assert_eq!(idx.line("a", 1).as_deref(), Some("one"));
        assert_eq!(idx.line("a", 3).as_deref(), Some("three"));
        assert_eq!(idx.line("a", 4), None);
        assert_eq!(idx.line("a", 0), None);
        assert_eq!(idx.line("b", 1), None);
    }
}
