//! `kubectl` output: `get` tables (endpoints, endpointslices, services, pods), `describe svc`, and `-o json` /
//! `-o yaml` of Services, Endpoints, EndpointSlices and Pods, read into [`Objects`].
//!
//! Real pastes mix things, so the input is read in segments: a shell prompt line running kubectl
//! (`$ kubectl get svc -n kube-system`, `root@node:~# kubectl …`, `[root]# kubectl …`) starts a new segment, and
//! its `-n`/`--namespace` becomes the namespace of tables that have no NAMESPACE column. Each segment is JSON (it
//! starts with `{` or `[`), YAML (it starts with `apiVersion:`, `kind:`, `items:`, `metadata:` or `---`), or text;
//! text is read block by block: a table from its header line to the next blank line, a `describe` from its
//! `Name:` line to the next blank line. kubectl's stderr lines (`Warning: v1 Endpoints is deprecated…`,
//! `No resources found…`, klog lines) are passed over. See `table.rs` for how rows are cut into cells.

mod cells;
mod describe;
mod endpoints;
mod endpointslices;
mod json;
pub mod model;
mod objects;
mod pods;
mod services;
mod table;
mod yaml;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Parsed, Severity};
use crate::source::kubectl::model::{Objects, Origin, TextAt};
use crate::text;

/// The longest line read in text segments; longer lines are skipped with a diagnostic. (JSON and YAML may have
/// long lines: `kubectl.kubernetes.io/last-applied-configuration` annotations, or `jq -c` output.)
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How many leading lines [`detect`] looks at.
const DETECT_LINES: usize = 400;

/// The kinds of kubectl output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `kubectl get endpoints` table.
    GetEndpoints,
    /// `kubectl get endpointslices` table.
    GetEndpointSlices,
    /// `kubectl get svc [-o wide]` table (also the pre-1.7 layouts).
    GetServices,
    /// `kubectl get pods [-o wide]` table.
    GetPods,
    /// `kubectl describe svc`.
    DescribeService,
    /// `-o json`.
    Json,
    /// `-o yaml`.
    Yaml,
}

impl Format {
    /// The name used in JSON and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::GetEndpoints => "get-endpoints",
            Format::GetEndpointSlices => "get-endpointslices",
            Format::GetServices => "get-services",
            Format::GetPods => "get-pods",
            Format::DescribeService => "describe-service",
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }
}

/// The kind of table a header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableKind {
    Endpoints,
    EndpointSlices,
    Services,
    Pods,
}

impl TableKind {
    fn of(header: &table::Header) -> Option<Self> {
        let has = |n: &str| header.has(n);
        if has("ADDRESSTYPE") && has("ENDPOINTS") {
            Some(TableKind::EndpointSlices)
        } else if has("ENDPOINTS") {
            Some(TableKind::Endpoints)
        } else if has("PORT(S)")
            && ["CLUSTER-IP", "CLUSTER_IP", "IP(S)", "EXTERNAL-IP", "TYPE"]
                .iter()
                .any(|c| has(c))
        {
            Some(TableKind::Services)
        } else if has("READY") && has("STATUS") && has("RESTARTS") {
            Some(TableKind::Pods)
        } else {
            None
        }
    }

    fn format(self) -> Format {
        match self {
            TableKind::Endpoints => Format::GetEndpoints,
            TableKind::EndpointSlices => Format::GetEndpointSlices,
            TableKind::Services => Format::GetServices,
            TableKind::Pods => Format::GetPods,
        }
    }
}

/// One decoded line.
#[derive(Debug)]
struct Line {
    number: u32,
    text: String,
    too_long: bool,
}

/// Detects kubectl output from its content: the format of the first thing recognised in the first
/// [`DETECT_LINES`] lines (a table header by its column names, a `describe svc` block, JSON or YAML), passing over
/// prompt lines, kubectl's warnings and any other line. `None` when nothing is recognised.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return None;
    }
    let lines: Vec<Line> = text::lines(bytes)
        .take(DETECT_LINES)
        .map(|l| Line {
            number: l.number,
            text: text::decode(l.bytes.get(..MAX_LINE_BYTES).unwrap_or(l.bytes))
                .0
                .into_owned(),
            too_long: false,
        })
        .collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.text.as_str();
        if t.trim().is_empty() || is_stderr(t) {
            continue;
        }
        if prompt(t).is_some() {
            continue;
        }
        if let Some(format) = structured_start(lines.get(i..).unwrap_or_default()) {
            return Some(format);
        }
        if let Some(header) = table::header(t) {
            if let Some(kind) = TableKind::of(&header) {
                return Some(kind.format());
            }
        }
        if t.starts_with("Name:") {
            let block: Vec<(u32, &str)> = lines
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|l| !l.text.trim().is_empty())
                .map(|l| (l.number, l.text.as_str()))
                .collect();
            if describe::is_service(&block) {
                return Some(Format::DescribeService);
            }
        }
    }
    None
}

/// JSON or YAML of Kubernetes objects starting at the first of `lines`: `{` or `[` with `"kind"` or
/// `"apiVersion"` in the next lines, or a YAML key line with both `apiVersion:` and `kind:` near it.
fn structured_start(lines: &[Line]) -> Option<Format> {
    let first = lines.first()?.text.as_str();
    if first.starts_with(['{', '[']) {
        let named = lines
            .iter()
            .take(200)
            .any(|l| l.text.contains("\"kind\"") || l.text.contains("\"apiVersion\""));
        return named.then_some(Format::Json);
    }
    (yaml_start(first) && looks_like_yaml(lines)).then_some(Format::Yaml)
}

/// Whether a segment's first line starts YAML.
fn yaml_start(line: &str) -> bool {
    [
        "apiVersion:",
        "kind:",
        "items:",
        "metadata:",
        "---",
        "- apiVersion:",
        "- kind:",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

/// A YAML document of Kubernetes objects names both `apiVersion` and `kind` near its start.
fn looks_like_yaml(lines: &[Line]) -> bool {
    let head = lines
        .iter()
        .take(60)
        .map(|l| l.text.trim_start_matches(['-', ' ']));
    let (mut api, mut kind) = (false, false);
    for t in head {
        api |= t.starts_with("apiVersion:");
        kind |= t.starts_with("kind:");
    }
    api && kind
}

/// Lines kubectl writes to stderr, which pastes interleave: warnings, klog lines.
fn is_stderr(line: &str) -> bool {
    if line.starts_with("Warning: ") {
        return true;
    }
    // klog: `W0501 10:00:00.123456   12345 file.go:12] …`
    let b = line.as_bytes();
    matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F'))
        && b.get(1..5)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && b.get(5) == Some(&b' ')
        && b.get(8) == Some(&b':')
}

/// A shell prompt line running kubectl (or `oc`), with the namespace it names: `Some(None)` for a prompt without
/// `-n`, `Some(Some(ns))` with one, `None` for a line that is not a prompt.
fn prompt(line: &str) -> Option<Option<String>> {
    let trimmed = line.trim();
    let (before, command) = ["kubectl ", "oc "].iter().find_map(|tool| {
        let at = if trimmed.starts_with(tool) {
            Some(0)
        } else {
            trimmed.find(&format!(" {tool}")).map(|i| i + 1)
        }?;
        Some((trimmed.get(..at)?, trimmed.get(at..)?))
    })?;
    let before = before.trim_end();
    let before = before.strip_suffix("sudo").map_or(before, str::trim_end);
    // `# kubectl apply …` alone is a comment in a manifest or a script, not a root prompt.
    if before == "#" || !(before.is_empty() || before.ends_with(['$', '#', '>', '%'])) {
        return None;
    }
    let mut namespace = None;
    let mut words = command.split_whitespace();
    while let Some(word) = words.next() {
        if word == "-n" || word == "--namespace" {
            namespace = words.next().map(str::to_string);
        } else if let Some(ns) = word
            .strip_prefix("--namespace=")
            .or_else(|| word.strip_prefix("-n="))
        {
            namespace = Some(ns.to_string());
        } else if let Some(ns) = word.strip_prefix("-n").filter(|ns| !ns.is_empty()) {
            namespace = Some(ns.to_string());
        } else if word == "-A" || word == "--all-namespaces" {
            namespace = None;
        } else if word == "|" || word == ">" {
            break;
        }
    }
    Some(namespace)
}

/// Parses kubectl output of any of the [`Format`]s; an input may hold several tables and descriptions, one
/// after another, and a JSON or YAML segment after each prompt line.
pub fn parse(bytes: &[u8]) -> Parsed<Objects> {
    let mut p = KubectlParser::default();
    let lines: Vec<Line> = text::lines(bytes)
        .map(|l| {
            let (text, bad) = text::decode(l.bytes);
            if let Some(column) = bad {
                p.diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "invalid-utf8",
                    l.number,
                    column,
                    "invalid UTF-8; the bad bytes were replaced",
                ));
            }
            Line {
                number: l.number,
                text: text.into_owned(),
                too_long: l.bytes.len() > MAX_LINE_BYTES,
            }
        })
        .collect();

    let mut start = 0;
    let mut namespace = None;
    while start < lines.len() {
        // A segment runs to the next prompt line.
        let end = lines
            .get(start..)
            .unwrap_or_default()
            .iter()
            .position(|l| !l.too_long && prompt(&l.text).is_some())
            .map_or(lines.len(), |i| start + i);
        if let Some(segment) = lines.get(start..end) {
            p.segment(segment, namespace.as_deref());
        }
        if let Some(line) = lines.get(end) {
            namespace = prompt(&line.text).flatten();
        }
        start = end + 1;
    }

    for config_map in &mut p.objects.config_maps {
        config_map.corefile_at = locate(&lines, config_map.line, "Corefile", &config_map.corefile);
    }
    let mut diagnostics = p.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    if !p.recognised {
        let blank = bytes.iter().all(u8::is_ascii_whitespace);
        diagnostics.retain(|d| d.code == "invalid-utf8");
        diagnostics.push(Diagnostic::new(
            Severity::Error,
            "not-kubectl",
            1,
            1,
            if blank {
                "the input is empty"
            } else {
                "no kubectl table, description, JSON or YAML was found"
            },
        ));
    }
    Parsed {
        value: p.objects,
        diagnostics,
    }
}

#[derive(Debug, Default)]
struct KubectlParser {
    objects: Objects,
    diagnostics: Vec<Diagnostic>,
    /// Whether anything kubectl prints was found.
    recognised: bool,
}

impl KubectlParser {
    /// Reads a segment: text, JSON and YAML as they alternate, from its first non-blank line to its end. One loop,
    /// not mutual recursion: a paste that alternates thousands of JSON documents and text lines costs its length
    /// in steps, not in stack. The segment's lines are joined once; each JSON read starts at its line's offset.
    fn segment(&mut self, lines: &[Line], namespace: Option<&str>) {
        let first = lines
            .iter()
            .position(|l| !l.text.trim().is_empty() && !is_stderr(&l.text));
        let Some(first) = first else { return };
        let Some(first_line) = lines.get(first) else {
            return;
        };
        let rest = lines.get(first..).unwrap_or_default();
        // At the start of a segment, `{` or a YAML key is enough: a syntax error says more than unknown lines.
        let mut mode = if first_line.text.starts_with(['{', '[']) {
            Some(Format::Json)
        } else if yaml_start(&first_line.text) {
            Some(Format::Yaml)
        } else {
            None
        };
        let joined = join(rest);
        // Byte offset in `joined` of each line of `rest`.
        let mut starts = Vec::with_capacity(rest.len());
        let mut offset = 0usize;
        for line in rest {
            starts.push(offset);
            offset += if is_stderr(&line.text) {
                0
            } else {
                line.text.len()
            } + 1;
        }
        let mut at = 0usize;
        while let Some(here) = rest.get(at..).filter(|l| !l.is_empty()) {
            match mode {
                Some(format) => {
                    let from = starts.get(at).copied().unwrap_or(joined.len());
                    let text = joined.get(from..).unwrap_or_default();
                    let Some(after) = self.structured(format, text, here) else {
                        break;
                    };
                    // The text after the JSON is read as text, from the line it starts on (at least one line on).
                    let end = from + after;
                    let line = starts.partition_point(|&s| s <= end).saturating_sub(1);
                    at = line.max(at + 1);
                    mode = None;
                }
                None => match self.text(here, namespace) {
                    Some((format, next)) => {
                        at += next;
                        mode = Some(format);
                    }
                    None => break,
                },
            }
        }
    }

    /// Reads JSON or YAML from the start of `text` (the joined `lines`) to the end of the segment. Returns where
    /// text that is not JSON follows complete JSON (a byte offset in `text`), to be read as text.
    fn structured(&mut self, format: Format, text: &str, lines: &[Line]) -> Option<usize> {
        let first = lines.first()?;
        self.recognised = true;
        if format == Format::Json {
            let read = json::read(text, first.number, &mut self.diagnostics);
            for doc in read.docs {
                objects::read(doc, Origin::Json, &mut self.objects, &mut self.diagnostics);
            }
            read.rest
        } else {
            for doc in yaml::read(text, first.number, &mut self.diagnostics) {
                objects::read(doc, Origin::Yaml, &mut self.objects, &mut self.diagnostics);
            }
            None
        }
    }

    /// Reads a text segment block by block, up to JSON or YAML pasted below it without a prompt line of its own:
    /// then returns its format and the index of its first line.
    fn text(&mut self, lines: &[Line], namespace: Option<&str>) -> Option<(Format, usize)> {
        let mut i = 0;
        while let Some(line) = lines.get(i) {
            i += 1;
            let t = line.text.as_str();
            if line.too_long {
                self.too_long(line);
                continue;
            }
            if t.trim().is_empty() || is_stderr(t) {
                continue;
            }
            if t.starts_with("No resources found") {
                self.recognised = true;
                self.diagnostics.push(Diagnostic::new(
                    Severity::Info,
                    "no-resources",
                    line.number,
                    1,
                    format!("kubectl found nothing: {:?}", t.trim()),
                ));
                continue;
            }
            if t.starts_with("Error from server") || t.starts_with("error: ") {
                self.diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "kubectl-error",
                    line.number,
                    1,
                    format!("kubectl reported an error: {:?}", t.trim()),
                ));
                continue;
            }
            // JSON or YAML pasted below a table without a prompt line of its own.
            if let Some(format) = structured_start(lines.get(i - 1..).unwrap_or_default()) {
                return Some((format, i - 1));
            }
            if let Some(header) = table::header(t) {
                let rows_end = lines
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .position(|l| {
                        l.text.trim().is_empty()
                            || (!l.too_long && table::header(&l.text).is_some())
                    })
                    .map_or(lines.len(), |n| i + n);
                let rows = lines.get(i..rows_end).unwrap_or_default();
                i += self.table(line, &header, rows, namespace);
                continue;
            }
            if t.starts_with("Name:") {
                let block_end = lines
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .position(|l| l.text.trim().is_empty())
                    .map_or(lines.len(), |n| i + n);
                let block: Vec<(u32, &str)> = lines
                    .get(i - 1..block_end)
                    .unwrap_or_default()
                    .iter()
                    .filter(|l| {
                        if l.too_long {
                            self.diagnostics.push(too_long(l));
                        }
                        !l.too_long
                    })
                    .map(|l| (l.number, l.text.as_str()))
                    .collect();
                self.recognised = true;
                if describe::is_service(&block) {
                    describe::block(&block, &mut self.objects, &mut self.diagnostics);
                } else {
                    self.diagnostics.push(Diagnostic::new(
                        Severity::Info,
                        "unsupported-describe",
                        line.number,
                        1,
                        "a `Name:` block that is not the description of a Service; skipped",
                    ));
                }
                i = block_end;
                continue;
            }
            self.diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "unknown-line",
                line.number,
                1,
                format!("{:?} is not kubectl output dnatlas reads; skipped", clip(t)),
            ));
        }
        None
    }

    /// Reads the rows of one table and returns how many lines it took. A row that does not fit is skipped with
    /// a diagnostic; when the header's spacing was lost (rows split on whitespace, a weak test), the first row that
    /// does not fit ends the table, and the lines after it are read as text (prose under a pasted table).
    fn table(
        &mut self,
        header_line: &Line,
        header: &table::Header,
        rows: &[Line],
        namespace: Option<&str>,
    ) -> usize {
        self.recognised = true;
        let Some(kind) = TableKind::of(header) else {
            self.diagnostics.push(Diagnostic::new(
                Severity::Info,
                "unknown-table",
                header_line.number,
                1,
                format!(
                    "a table with columns {:?} is not one dnatlas reads; skipped",
                    header.names()
                ),
            ));
            return rows.len();
        };
        for (taken, line) in rows.iter().enumerate() {
            if line.too_long {
                self.too_long(line);
                continue;
            }
            let cells = match table::cells(header, &line.text) {
                Ok(cells) => cells,
                Err(message) => {
                    self.diagnostics.push(Diagnostic::new(
                        Severity::Warning,
                        "misaligned-row",
                        line.number,
                        1,
                        format!("{:?} skipped: {message}", clip(&line.text)),
                    ));
                    if header.collapsed {
                        return taken + 1;
                    }
                    continue;
                }
            };
            if let Some(bad) = [&["NAME"][..], &["NAMESPACE"][..]]
                .iter()
                .filter_map(|names| header.index(names).and_then(|i| cells.get(i)))
                .find(|cell| {
                    !cell.text.is_empty() && !cells::is_object_name(cells::strip_kind(&cell.text))
                })
            {
                self.diagnostics.push(Diagnostic::new(
                    Severity::Warning,
                    "misaligned-row",
                    line.number,
                    1,
                    format!(
                        "{:?} skipped: {:?} is not a Kubernetes object name",
                        clip(&line.text),
                        bad.text
                    ),
                ));
                if header.collapsed {
                    return taken + 1;
                }
                continue;
            }
            let row = table::Row {
                header,
                cells: &cells,
                line: line.number,
                namespace_hint: namespace,
            };
            let out = &mut self.objects;
            let diagnostics = &mut self.diagnostics;
            match kind {
                TableKind::Endpoints => endpoints::row(&row, out, diagnostics),
                TableKind::EndpointSlices => endpointslices::row(&row, out, diagnostics),
                TableKind::Services => services::row(&row, out, diagnostics),
                TableKind::Pods => pods::row(&row, out, diagnostics),
            }
        }
        rows.len()
    }

    fn too_long(&mut self, line: &Line) {
        self.diagnostics.push(too_long(line));
    }
}

fn too_long(line: &Line) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        "line-too-long",
        line.number,
        1,
        format!("line is longer than the {MAX_LINE_BYTES} bytes read; skipped"),
    )
}

/// Where the multi-line string `value` of data key `key` of the object starting at line `from` is in the input: a
/// YAML block scalar (`key: |`) whose lines are the value's lines, indented; else the line of the key, which holds
/// the whole value as one quoted string (JSON, or a quoted YAML scalar). `None` when the key is not found.
fn locate(lines: &[Line], from: u32, key: &str, value: &str) -> Option<TextAt> {
    let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
    let yaml_key = format!("{key}:");
    let json_key = format!("\"{key}\"");
    let (at, line) =
        lines.iter().enumerate().skip(start).find(|(_, l)| {
            l.text.trim_start().starts_with(&yaml_key) || l.text.contains(&json_key)
        })?;
    let rest = line.text.trim_start();
    let block = rest
        .strip_prefix(&yaml_key)
        .is_some_and(|r| r.trim_start().starts_with('|'));
    if block {
        let mut wanted: Vec<&str> = value.split('\n').collect();
        while wanted.last().is_some_and(|l| l.is_empty()) {
            wanted.pop();
        }
        let body = lines.get(at + 1..).unwrap_or_default();
        let indent = body
            .iter()
            .find(|l| !l.text.trim().is_empty())
            .map_or(0, |l| l.text.len() - l.text.trim_start_matches(' ').len());
        let fits = !wanted.is_empty()
            && body.len() >= wanted.len()
            && wanted.iter().zip(body).all(|(w, l)| {
                if w.is_empty() {
                    l.text.trim().is_empty()
                } else {
                    l.text
                        .get(..indent)
                        .is_some_and(|p| p.bytes().all(|b| b == b' '))
                        && l.text.get(indent..) == Some(*w)
                }
            });
        if let (true, Some(first)) = (fits, body.first()) {
            return Some(TextAt::Lines {
                first_line: first.number,
                indent: u32::try_from(indent).unwrap_or(u32::MAX),
            });
        }
    }
    Some(TextAt::String { line: line.number })
}

/// The lines joined back with `\n`, so that line k of the text is line `first + k` of the input.
fn join(lines: &[Line]) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
    for line in lines {
        // kubectl's warnings interleaved with JSON or YAML would break them; they keep their line, empty.
        if !is_stderr(&line.text) {
            out.push_str(&line.text);
        }
        out.push('\n');
    }
    out
}

/// At most 80 characters of a line, for messages.
fn clip(text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", trimmed.get(..i).unwrap_or(trimmed)),
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        let cases: [(&str, Option<Format>); 13] = [
            ("NAME   ENDPOINTS   AGE\nweb    <none>      1m\n", Some(Format::GetEndpoints)),
            (
                "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\nNAMESPACE   NAME   ENDPOINTS   AGE\n",
                Some(Format::GetEndpoints),
            ),
            ("NAME   ADDRESSTYPE   PORTS   ENDPOINTS   AGE\n", Some(Format::GetEndpointSlices)),
            ("$ kubectl get svc\nNAME CLUSTER-IP EXTERNAL-IP PORT(S) AGE\n", Some(Format::GetServices)),
            ("NAME   READY   STATUS   RESTARTS   AGE\n", Some(Format::GetPods)),
            ("Name:   web\nNamespace:   default\nType:   ClusterIP\n", Some(Format::DescribeService)),
            ("$ kubectl get svc -o json\n{\n    \"apiVersion\": \"v1\",\n", Some(Format::Json)),
            ("apiVersion: v1\nkind: Service\n", Some(Format::Yaml)),
            ("---\nkind: List\napiVersion: v1\n", Some(Format::Yaml)),
            ("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", None),
            ("Name: pod-1\nNode: n1/10.0.0.1\nStatus: Running\n", None),
            ("{\"schema\": \"dnatlas.analysis/1\"}\n", None),
            ("NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n", None),
        ];
        for (input, want) in cases {
            assert_eq!(detect(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn prompts_and_their_namespaces() {
        assert_eq!(prompt("$ kubectl get svc"), Some(None));
        assert_eq!(
            prompt("root@singlevm:~# kubectl get ep kube-dns --namespace=kube-system"),
            Some(Some("kube-system".to_string()))
        );
        assert_eq!(
            prompt("[root]# kubectl get svc -n kube-system"),
            Some(Some("kube-system".into()))
        );
        assert_eq!(
            prompt("kubectl -n kube-system describe svc kube-dns"),
            Some(Some("kube-system".into()))
        );
        assert_eq!(
            prompt("gianluca@sid:~$ sudo kubectl get services -nfoo"),
            Some(Some("foo".into()))
        );
        assert_eq!(prompt("PS C:\\> kubectl get svc -A"), Some(None));
        assert_eq!(prompt("Use kubectl get svc to list them"), None);
        assert_eq!(prompt("kubectl"), None);
        assert_eq!(prompt("# kubectl apply -f web.yaml"), None);
        assert_eq!(prompt("/ # kubectl get svc"), Some(None));
    }

    #[test]
    fn stderr_lines() {
        assert!(is_stderr("Warning: v1 Endpoints is deprecated in v1.33+"));
        assert!(is_stderr("W0501 10:00:00.123456   12345 warnings.go:70] x"));
        assert!(!is_stderr("WEB   1/1   Running"));
    }

    #[test]
    fn nothing_recognised_gives_one_diagnostic() {
        let parsed = parse(b"hello\nworld\n");
        assert!(parsed.value.is_empty());
        let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["not-kubectl"]);
    }

    #[test]
    fn several_blocks_of_different_kinds() {
        let input = "\
$ kubectl get svc,ep -n shop
NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
service/web   ClusterIP   10.96.5.5    <none>        80/TCP    1h

NAME            ENDPOINTS                         AGE
endpoints/web   10.244.1.5:8080,10.244.2.7:8080   1h
";
        let parsed = parse(input.as_bytes());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let s = &parsed.value.services[0];
        assert_eq!(
            (s.name.as_str(), s.namespace.as_deref(), s.line),
            ("web", Some("shop"), 3)
        );
        let e = &parsed.value.endpoints[0];
        assert_eq!((e.name.as_str(), e.line), ("web", 6));
        assert_eq!(e.subsets[0].addresses.len(), 2);
    }

    #[test]
    fn yaml_below_a_table_without_a_prompt() {
        let input = "NAME   ENDPOINTS   AGE\nweb    <none>      1m\n\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";
        let parsed = parse(input.as_bytes());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.value.endpoints.len(), 1);
        assert_eq!(parsed.value.services[0].line, 4);
        assert_eq!(parsed.value.services[0].origin, Origin::Yaml);
    }

    #[test]
    fn config_maps_with_a_corefile_are_kept_with_where_it_is() {
        let input = "\
apiVersion: v1
items:
- apiVersion: v1
  data:
    Corefile: |
      .:53 {
          errors

          forward . /etc/resolv.conf
      }
  kind: ConfigMap
  metadata:
    name: coredns
    namespace: kube-system
- apiVersion: v1
  data:
    ca.crt: x
  kind: ConfigMap
  metadata:
    name: kube-root-ca.crt
    namespace: kube-system
kind: List
";
        let parsed = parse(input.as_bytes());
        let codes: Vec<(&str, u32)> = parsed
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line))
            .collect();
        // The ConfigMap without a Corefile is passed over, as other kinds are.
        assert_eq!(codes, [("unknown-kind", 15)]);
        let [cm] = parsed.value.config_maps.as_slice() else {
            panic!("{:?}", parsed.value.config_maps)
        };
        assert_eq!(
            (cm.name.as_str(), cm.namespace.as_deref(), cm.line),
            ("coredns", Some("kube-system"), 3)
        );
        assert_eq!(
            cm.corefile,
            ".:53 {\n    errors\n\n    forward . /etc/resolv.conf\n}\n"
        );
        // `.:53 {` is line 6, six spaces in; the blank line inside the block is still a line of it.
        assert_eq!(
            cm.corefile_at,
            Some(TextAt::Lines {
                first_line: 6,
                indent: 6
            })
        );

        let json = "{\"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"coredns\"},\n \"data\": {\"Corefile\": \".:53 {\\n    errors\\n}\\n\"}}\n";
        let parsed = parse(json.as_bytes());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let cm = &parsed.value.config_maps[0];
        assert_eq!(cm.corefile, ".:53 {\n    errors\n}\n");
        assert_eq!(cm.corefile_at, Some(TextAt::String { line: 3 }));
        // A folded or hand-edited block whose lines are not the value's is pointed at by its key.
        let folded = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\ndata:\n  Corefile: >\n    .:53 {\n    }\n";
        let cm = &parse(folded.as_bytes()).value.config_maps[0];
        assert_eq!(cm.corefile_at, Some(TextAt::String { line: 6 }));
    }

    #[test]
    fn json_followed_by_a_table() {
        let input = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}\nNAME   ENDPOINTS   AGE\nweb    <none>      1m\n";
        let parsed = parse(input.as_bytes());
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.value.pods.len(), 1);
        assert_eq!(parsed.value.endpoints[0].line, 3);
    }
}
