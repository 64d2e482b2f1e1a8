//! kubectl tables: recognising a header line and cutting rows into cells.
//!
//! kubectl aligns tables with Go's `tabwriter` (padding 3), so a cell can be empty or contain single spaces
//! (`NOMINATED NODE`, `2 (3h ago)`): cells are cut at the header's column start offsets (docs/domain/formats.md §1). Pastes from
//! blogs and chat often collapse runs of spaces to one; when the header's columns are separated by single spaces
//! (or tabs) the row is split on whitespace instead, and accepted when its token count fits the header.

use super::cells;
use crate::diagnostic::{Diagnostic, Severity};

/// Header words that belong together as one column name.
const MULTI_WORD: [(&str, &str); 2] = [("NOMINATED", "NODE"), ("READINESS", "GATES")];

/// One column of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Column {
    /// The column name, e.g. `PORT(S)` or `NOMINATED NODE`.
    pub name: String,
    /// 0-based character offset where the column starts.
    pub start: usize,
}

/// A table header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// The columns in order.
    pub columns: Vec<Column>,
    /// Columns are separated by single spaces or tabs: the spacing was lost, so rows are split on whitespace.
    pub collapsed: bool,
}

impl Header {
    /// The index of the first column named any of `names`.
    pub fn index(&self, names: &[&str]) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| names.iter().any(|n| c.name == *n))
    }

    /// Whether the header has a column named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index(&[name]).is_some()
    }

    /// The column names joined by a space, for messages.
    pub fn names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cell {
    /// The cell's text, trimmed (empty for an empty cell).
    pub text: String,
    /// 1-based column (in characters) where the text starts, or where the column starts if the cell is empty.
    pub column: u32,
}

/// Reads `line` as a table header: the first word is `NAME` or `NAMESPACE`, and every word is upper-case.
pub(super) fn header(line: &str) -> Option<Header> {
    let words = words(line);
    let first = words.first()?;
    if first.start != 0 || !matches!(first.text.as_str(), "NAME" | "NAMESPACE") || words.len() < 2 {
        return None;
    }
    let upper = |w: &str| {
        w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && w.chars().all(|c| {
                c.is_ascii_uppercase()
                    || c.is_ascii_digit()
                    || matches!(c, '-' | '_' | '(' | ')' | '.' | '/')
            })
    };
    if !words.iter().all(|w| upper(&w.text)) {
        return None;
    }
    let mut columns: Vec<Column> = Vec::new();
    let mut gaps = Vec::new();
    let mut previous_end: Option<usize> = None;
    let mut iter = words.iter().peekable();
    while let Some(word) = iter.next() {
        let mut name = word.text.clone();
        let mut end = word.start + word.text.chars().count();
        if let Some(next) = iter.peek() {
            let joined = MULTI_WORD
                .iter()
                .any(|(a, b)| word.text == *a && next.text == *b);
            if joined && next.start == end + 1 && !next.after_tab {
                name = format!("{} {}", word.text, next.text);
                end = next.start + next.text.chars().count();
                iter.next();
            }
        }
        if let Some(previous) = previous_end {
            gaps.push((word.start.saturating_sub(previous), word.after_tab));
        }
        previous_end = Some(end);
        columns.push(Column {
            name,
            start: word.start,
        });
    }
    let collapsed = gaps.iter().all(|&(gap, tab)| gap <= 1 || tab);
    Some(Header { columns, collapsed })
}

/// A whitespace-separated word with its character offset.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    start: usize,
    /// A tab was among the whitespace before it.
    after_tab: bool,
}

fn words(line: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut current: Option<Word> = None;
    let mut saw_tab = false;
    for (i, c) in line.chars().enumerate() {
        if c == ' ' || c == '\t' {
            if let Some(word) = current.take() {
                out.push(word);
            }
            saw_tab |= c == '\t';
        } else {
            match current.as_mut() {
                Some(word) => word.text.push(c),
                None => {
                    current = Some(Word {
                        text: c.to_string(),
                        start: i,
                        after_tab: saw_tab,
                    });
                    saw_tab = false;
                }
            }
        }
    }
    if let Some(word) = current {
        out.push(word);
    }
    out
}

/// Cuts a row into one cell per header column, or says why it cannot.
pub(super) fn cells(header: &Header, row: &str) -> Result<Vec<Cell>, String> {
    if !header.collapsed {
        if let Some(cells) = by_offsets(header, row) {
            return Ok(cells);
        }
    }
    by_words(header, row)
}

fn by_offsets(header: &Header, row: &str) -> Option<Vec<Cell>> {
    let chars: Vec<char> = row.chars().collect();
    if chars.first().is_none_or(|c| c.is_whitespace()) || chars.contains(&'\t') {
        return None;
    }
    let mut out = Vec::with_capacity(header.columns.len());
    for (i, column) in header.columns.iter().enumerate() {
        let end = header
            .columns
            .get(i + 1)
            .map_or(chars.len(), |next| next.start.min(chars.len()));
        let start = column.start.min(chars.len());
        // A cell that runs across the boundary means the row is not aligned with this header.
        if start > 0 && start < chars.len() {
            let before = chars.get(start - 1).is_some_and(|c| !c.is_whitespace());
            let at = chars.get(start).is_some_and(|c| !c.is_whitespace());
            if before && at {
                return None;
            }
        }
        let slice = chars.get(start..end.max(start)).unwrap_or_default();
        let leading = slice.iter().take_while(|c| c.is_whitespace()).count();
        let text: String = slice.iter().collect::<String>().trim().to_string();
        out.push(Cell {
            text,
            column: to_column(start + if slice.len() > leading { leading } else { 0 }),
        });
    }
    Some(out)
}

fn to_column(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX).saturating_add(1)
}

fn by_words(header: &Header, row: &str) -> Result<Vec<Cell>, String> {
    let mut tokens: Vec<Cell> = words(row)
        .into_iter()
        .map(|w| Cell {
            text: w.text,
            column: to_column(w.start),
        })
        .collect();
    join_tails(&mut tokens);
    let wanted = header.columns.len();
    let age_last = header.columns.last().is_some_and(|c| c.name == "AGE");
    if tokens.len() == wanted {
        return Ok(tokens);
    }
    // A paste that lost the trailing AGE cell (seen in real reports); an AGE-looking last token would make the
    // missing cell ambiguous.
    if tokens.len() + 1 == wanted
        && age_last
        && tokens
            .last()
            .is_some_and(|t| !cells::looks_like_age(&t.text))
    {
        let column = tokens.last().map_or(1, |t| {
            t.column
                .saturating_add(u32::try_from(t.text.chars().count()).unwrap_or(0))
                .saturating_add(1)
        });
        tokens.push(Cell {
            text: String::new(),
            column,
        });
        return Ok(tokens);
    }
    Err(format!(
        "the row does not line up with the header {:?} ({} cells for {} columns)",
        header.names(),
        tokens.len(),
        wanted
    ))
}

/// Joins the pieces of cells that contain spaces back together: ` + N more...` and `(3h ago)`.
fn join_tails(tokens: &mut Vec<Cell>) {
    let mut out: Vec<Cell> = Vec::with_capacity(tokens.len());
    let mut iter = std::mem::take(tokens).into_iter().peekable();
    while let Some(token) = iter.next() {
        if token.text == "+" {
            if let Some(previous) = out.last_mut() {
                let mut taken: Vec<Cell> = Vec::new();
                while taken.len() < 2 {
                    let fits = iter.peek().is_some_and(|next| {
                        if taken.is_empty() {
                            next.text.parse::<u32>().is_ok()
                        } else {
                            next.text.starts_with("more")
                        }
                    });
                    match iter.next_if(|_| fits) {
                        Some(next) => taken.push(next),
                        None => break,
                    }
                }
                if taken.len() == 2 {
                    previous.text = format!(
                        "{} + {}",
                        previous.text,
                        taken
                            .iter()
                            .map(|t| t.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    );
                    continue;
                }
                // Not kubectl's tail after all: keep what was consumed as separate tokens.
                out.push(token);
                out.extend(taken);
                continue;
            }
        }
        if token.text.starts_with('(') {
            if let Some(previous) = out.last_mut() {
                let mut joined = format!("{} {}", previous.text, token.text);
                let mut closed = token.text.ends_with(')');
                while !closed {
                    match iter.next() {
                        Some(next) => {
                            joined.push(' ');
                            joined.push_str(&next.text);
                            closed = next.text.ends_with(')');
                        }
                        None => break,
                    }
                }
                previous.text = joined;
                continue;
            }
        }
        out.push(token);
    }
    *tokens = out;
}

/// One row of a table with its header, for the per-kind readers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row<'a> {
    /// The block's header.
    pub header: &'a Header,
    /// One cell per header column.
    pub cells: &'a [Cell],
    /// 1-based line of the row.
    pub line: u32,
    /// The namespace named by `-n` on the kubectl command line above the table, if any.
    pub namespace_hint: Option<&'a str>,
}

impl Row<'_> {
    /// The cell of the first column named any of `names`.
    pub fn get(&self, names: &[&str]) -> Option<&Cell> {
        self.header.index(names).and_then(|i| self.cells.get(i))
    }

    /// The cell's text, `None` when the column is absent.
    pub fn text(&self, names: &[&str]) -> Option<&str> {
        self.get(names).map(|c| c.text.as_str())
    }

    /// The cell's text unless the column is absent, the cell empty, or `<none>`.
    pub fn value(&self, names: &[&str]) -> Option<String> {
        self.text(names)
            .filter(|t| !cells::is_none(t))
            .map(str::to_string)
    }

    /// The object's name without a `kind/` prefix; `None` (after a diagnostic) when the cell is empty.
    pub fn name(&self, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
        let cell = self.get(&["NAME"])?;
        let name = cells::strip_kind(&cell.text);
        if name.is_empty() {
            diagnostics.push(Diagnostic::new(
                Severity::Warning,
                "missing-name",
                self.line,
                cell.column,
                "the row has an empty NAME cell; skipped",
            ));
            return None;
        }
        Some(name.to_string())
    }

    /// The NAMESPACE cell (`-A`), or else the namespace of the command line.
    pub fn namespace(&self) -> Option<String> {
        match self.text(&["NAMESPACE"]) {
            Some(ns) if !ns.is_empty() => Some(ns.to_string()),
            _ => self.namespace_hint.map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(cells: &[Cell]) -> Vec<&str> {
        cells.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn header_reads_offsets_and_multi_word_names() {
        let h = header(
            "NAME   READY   STATUS   RESTARTS   AGE   IP   NODE   NOMINATED NODE   READINESS GATES",
        )
        .unwrap();
        let names: Vec<&str> = h.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "NAME",
                "READY",
                "STATUS",
                "RESTARTS",
                "AGE",
                "IP",
                "NODE",
                "NOMINATED NODE",
                "READINESS GATES"
            ]
        );
        assert!(!h.collapsed);
        assert_eq!(h.columns[1].start, 7);
        assert!(
            header("NAME CLUSTER-IP EXTERNAL-IP PORT(S) AGE")
                .unwrap()
                .collapsed
        );
        assert!(header("Name: kube-dns").is_none());
        assert!(header("NAME").is_none());
        assert!(header(" NAME  AGE").is_none());
    }

    #[test]
    fn empty_cells_and_cells_with_spaces_are_cut_at_offsets() {
        let h = header("NAME         ENDPOINTS                                               AGE")
            .unwrap();
        let row = "web                                                                  1m";
        let c = cells(&h, row).unwrap();
        assert_eq!(texts(&c), ["web", "", "1m"]);
        assert_eq!(c[2].column, 70);
        let row = "kube-dns     10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...   5d";
        let c = cells(&h, row).unwrap();
        assert_eq!(
            texts(&c),
            [
                "kube-dns",
                "10.244.0.2:53,10.244.0.3:53,10.244.0.2:53 + 3 more...",
                "5d"
            ]
        );
        assert_eq!(c[1].column, 14);
    }

    #[test]
    fn collapsed_rows_are_split_on_words_with_tails_joined() {
        let h = header("NAME ENDPOINTS AGE").unwrap();
        let c = cells(
            &h,
            "kube-dns 192.168.101.133:53,192.168.101.134:53,192.168.101.133:53 + 3 more...",
        )
        .unwrap();
        assert_eq!(
            texts(&c),
            [
                "kube-dns",
                "192.168.101.133:53,192.168.101.134:53,192.168.101.133:53 + 3 more...",
                ""
            ]
        );
        let h = header("NAME READY STATUS RESTARTS AGE").unwrap();
        let c = cells(&h, "web-1 0/1 CrashLoopBackOff 5 (41s ago) 10m").unwrap();
        assert_eq!(
            texts(&c),
            ["web-1", "0/1", "CrashLoopBackOff", "5 (41s ago)", "10m"]
        );
        // An empty ENDPOINTS cell cannot be told from a missing AGE once spaces are collapsed.
        let h = header("NAME ENDPOINTS AGE").unwrap();
        assert!(cells(&h, "web 1m").is_err());
        assert!(cells(&h, "Backed up by one or more PODS with internal IPs").is_err());
    }

    #[test]
    fn misaligned_rows_fall_back_to_words() {
        let h = header("NAME     TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE").unwrap();
        // Cells shifted by a blog's reformatting, but with the right count of words.
        let c = cells(&h, "kube-dns ClusterIP 10.96.0.10 <none> 53/UDP 5d").unwrap();
        assert_eq!(
            texts(&c),
            [
                "kube-dns",
                "ClusterIP",
                "10.96.0.10",
                "<none>",
                "53/UDP",
                "5d"
            ]
        );
        assert!(cells(&h, "Backed up by one or more PODS with internal IPs").is_err());
    }

    #[test]
    fn join_tails_leaves_a_lone_plus() {
        let h = header("NAME A B").unwrap();
        let c = cells(&h, "x + y").unwrap();
        assert_eq!(texts(&c), ["x", "+", "y"]);
    }
}
