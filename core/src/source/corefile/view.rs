//! A Corefile among other text: the Corefile lines of a paste (`kubectl describe configmap`, leading shell prompts),
//! and whether text reads as a Corefile at all (detection).

use super::parse;
use super::parser::is_known;
use crate::text;

/// Whether `bytes` reads as a Corefile: text with a server block opened by `{` whose first directive is a plugin
/// CoreDNS builds in, no directive outside a block before it, and at most one line in ten (or one line) that is not
/// UTF-8.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = bytes.get(..4096).unwrap_or(bytes);
    if head.contains(&0) {
        return false;
    }
    // Only the first lines are read; a cut block still shows its first directives.
    let end = text::line_spans(bytes)
        .take(200)
        .last()
        .map_or(0, |span| span.end);
    let parsed = parse(bytes.get(..end).unwrap_or(bytes));
    // A stray byte (a Latin-1 comment) is noise, reported when the file is read; text that is mostly not UTF-8
    // is not a Corefile.
    let lines = text::line_spans(bytes).take(200).count();
    let bad = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "invalid-utf8")
        .count();
    if bad > (lines / 10).max(1)
        || parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "directive-outside-block")
    {
        return false;
    }
    parsed.value.blocks.first().is_some_and(|b| {
        (!b.keys.is_empty() || b.snippet.is_some())
            && b.directives.first().is_some_and(|d| is_known(&d.name))
            && parsed
                .diagnostics
                .iter()
                .all(|d| d.code != "block-without-braces" || d.line != b.line)
    })
}

/// The Corefile inside a paste, with every other line blanked so that line numbers stay the input's: for
/// `kubectl describe configmap coredns` output, the lines of its `Corefile:` data key (from the `----` under the key
/// to the next key, `BinaryData` or `Events:`); otherwise the input without its leading shell prompt lines
/// (`$ kubectl -n kube-system get cm coredns -o jsonpath='{.data.Corefile}'`). Borrowed when nothing is blanked.
pub fn view(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    /// A data key of `kubectl describe`: `Name:` alone on its line, with a line of dashes under it.
    fn dashes(line: &[u8]) -> bool {
        let t = line.trim_ascii();
        t.len() >= 3 && t.iter().all(|&b| b == b'-')
    }
    let lines: Vec<text::Line<'_>> = text::lines(bytes).collect();
    let keep: Option<(usize, usize)> = lines
        .windows(2)
        .position(|w| {
            w.first()
                .is_some_and(|l| l.bytes.trim_ascii() == b"Corefile:")
                && w.get(1).is_some_and(|l| dashes(l.bytes))
        })
        .map(|key| {
            let from = key + 2;
            let to = lines
                .iter()
                .enumerate()
                .skip(from)
                .find(|(i, l)| {
                    let t = l.bytes.trim_ascii_end();
                    t == b"BinaryData"
                        || t.starts_with(b"Events:")
                        || (!t.is_empty()
                            && !t.starts_with(b" ")
                            && t.ends_with(b":")
                            && !t.contains(&b' ')
                            && lines.get(i + 1).is_some_and(|n| dashes(n.bytes)))
                })
                .map_or(lines.len(), |(i, _)| i);
            (from, to)
        })
        .or_else(|| {
            // Leading prompt lines (`$ …`, `root@node:~# kubectl …`, `/ # cat …`) before the Corefile itself: a
            // prompt marker followed by a space, after at most two words without braces.
            let prompt = |line: &[u8]| {
                let t = line.trim_ascii();
                t.windows(2)
                    .position(|w| {
                        matches!(w.first(), Some(b'$' | b'#' | b'%' | b'>'))
                            && w.get(1) == Some(&b' ')
                    })
                    .is_some_and(|at| {
                        let before = t.get(..at).unwrap_or_default();
                        (at > 0 || t.first() == Some(&b'$'))
                            && !before.iter().any(|b| b"{}\"".contains(b))
                            && before
                                .split(u8::is_ascii_whitespace)
                                .filter(|w| !w.is_empty())
                                .count()
                                <= 2
                    })
            };
            let skip = lines
                .iter()
                .take_while(|l| l.bytes.trim_ascii().is_empty() || prompt(l.bytes))
                .filter(|l| !l.bytes.trim_ascii().is_empty())
                .count();
            (skip > 0).then(|| {
                let from = lines
                    .iter()
                    .position(|l| !(l.bytes.trim_ascii().is_empty() || prompt(l.bytes)))
                    .unwrap_or(lines.len());
                (from, lines.len())
            })
        });
    let Some((from, to)) = keep else {
        return std::borrow::Cow::Borrowed(bytes);
    };
    let mut out = Vec::with_capacity(bytes.len());
    for (i, line) in lines.iter().enumerate() {
        if (from..to).contains(&i) {
            out.extend_from_slice(line.bytes);
        }
        out.push(b'\n');
    }
    std::borrow::Cow::Owned(out)
}
