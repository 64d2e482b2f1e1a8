//! The captures view: what the DNS captures show happened.
//!
//! Up to 100,000 transactions may be listed, so none of them crosses to the page unasked. The overview (sent with
//! every summary) names the captures, the clients and the rcodes to filter by; a [`Query::Chart`] answers the
//! timeline and the latency histogram of the transactions a [`Filter`] keeps — one mark per transaction when there
//! are few enough to draw, else counts per time column, latency row and rcode class — a [`Query::Rows`] a window
//! of them for the table, and a [`Query::Detail`] one transaction with its frames, its stray replies and the lookup
//! it belongs to. Every answer is computed from the analysis by one pass over the transactions; nothing is cached,
//! so a new analysis can never be answered from an old one.

use std::collections::BTreeMap;

use dnatlas_core::capture::lookups::Lookup;
use dnatlas_core::capture::{Captures, Latency, StrayReply, Transaction};

use super::Session;
use crate::protocol::captures::{
    Axis, Bin, CaptureInfo, Chart, Class, ClientInfo, Detail, Filter, FrameRef, LookupFit,
    LookupQuery, Mark, Overview, Query, RcodeFilter, Row, Rows, Stray, View, BIN_COLUMNS,
    LATENCY_ROWS, MAX_CLIENTS, MAX_MARKS, MAX_ROWS, MAX_STRAYS,
};

/// A time of day that goes back by more than this passed midnight.
const HALF_DAY_US: u64 = 12 * 3_600_000_000;
const DAY_US: u64 = 2 * HALF_DAY_US;

fn captures_of(session: &Session) -> Option<&Captures> {
    session.analysis()?.captures.as_ref()
}

/// A client socket's address: `10.0.0.1:5353` → `10.0.0.1`, `[fd00::1]:53` → `fd00::1`.
pub fn address_of(socket: &str) -> &str {
    let host = socket.rsplit_once(':').map_or(socket, |(host, _)| host);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// The overview, when the analysis has captures.
pub fn overview(session: &Session) -> Option<Overview> {
    let captures = captures_of(session)?;
    let mut infos: Vec<CaptureInfo> = Vec::new();
    let mut clients: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rcodes: BTreeMap<&str, ()> = BTreeMap::new();
    for t in &captures.transactions {
        if infos.last().is_none_or(|i| *i.source != *t.source) {
            infos.push(CaptureInfo {
                source: t.source.to_string(),
                listed: 0,
                unanswered: 0,
                retried: 0,
                timed: true,
            });
        }
        if let Some(info) = infos.last_mut() {
            info.listed += 1;
            info.unanswered += usize::from(t.rcode.is_none());
            info.retried += usize::from(t.queries_sent > 1);
            info.timed &= t.time_us.is_some();
        }
        *clients.entry(address_of(&t.client)).or_default() += 1;
        if let Some(rcode) = t.rcode.as_deref() {
            rcodes.insert(rcode, ());
        }
    }
    // Captures with no listed transaction are still named (to filter their stray replies).
    if let Some(analysis) = session.analysis() {
        for report in &analysis.sources {
            if report.capture.is_some() && !infos.iter().any(|i| i.source == report.name) {
                infos.push(CaptureInfo {
                    source: report.name.clone(),
                    listed: 0,
                    unanswered: 0,
                    retried: 0,
                    timed: true,
                });
            }
        }
    }
    let mut clients: Vec<ClientInfo> = clients
        .into_iter()
        .map(|(address, transactions)| ClientInfo {
            address: address.to_string(),
            transactions,
        })
        .collect();
    clients.sort_by(|a, b| {
        b.transactions
            .cmp(&a.transactions)
            .then_with(|| a.address.cmp(&b.address))
    });
    clients.truncate(MAX_CLIENTS);
    Some(Overview {
        listed: captures.transactions.len(),
        summary: Box::new(captures.summary.clone()),
        captures: infos,
        clients,
        rcodes: rcodes.into_keys().map(str::to_string).collect(),
        lookups: captures.lookups.len(),
        wrong_source: captures.wrong_source.len(),
        unmatched: captures.unmatched.len(),
    })
}

impl Filter {
    /// Whether it keeps `t`. `name` must be the filter's name in lower case.
    fn keeps(&self, t: &Transaction, name: &str) -> bool {
        if self.source.as_deref().is_some_and(|s| s != &*t.source) {
            return false;
        }
        if self
            .client
            .as_deref()
            .is_some_and(|c| c != address_of(&t.client))
        {
            return false;
        }
        if self.retried && t.queries_sent < 2 {
            return false;
        }
        match &self.rcode {
            Some(RcodeFilter::NoAnswer) if t.rcode.is_some() => return false,
            Some(RcodeFilter::Rcode(r)) if t.rcode.as_deref() != Some(r.as_str()) => return false,
            _ => {}
        }
        name.is_empty() || contains_ignoring_case(&t.name, name)
    }
}

/// Whether `haystack` contains `needle` (already lower case), ASCII case ignored (DNS names compare so).
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.bytes().all(|b| !b.is_ascii_uppercase()) {
        return haystack.contains(needle);
    }
    haystack.to_ascii_lowercase().contains(needle)
}

/// Each transaction's x: microseconds since its capture's first query (times of day unwrapped at midnight), or —
/// when some capture has no times — its position in its capture.
struct Xs {
    axis: Axis,
    x: Vec<u64>,
}

fn xs(transactions: &[Transaction]) -> Xs {
    let axis = if transactions.iter().all(|t| t.time_us.is_some()) {
        Axis::Time
    } else {
        Axis::Order
    };
    let mut x = Vec::with_capacity(transactions.len());
    let mut source: Option<&str> = None;
    let (mut start, mut previous, mut day, mut position) = (0u64, 0u64, 0u64, 0u64);
    for t in transactions {
        if source != Some(&*t.source) {
            source = Some(&t.source);
            start = t.time_us.unwrap_or(0);
            previous = start;
            day = 0;
            position = 0;
        }
        x.push(match (axis, t.time_us) {
            (Axis::Time, Some(us)) => {
                // Transactions are in the order of their first query: a time going back by half a day or more is a
                // time of day past midnight.
                if us.saturating_add(HALF_DAY_US) < previous {
                    day += DAY_US;
                }
                previous = us;
                (us + day).saturating_sub(start)
            }
            _ => position,
        });
        position += 1;
    }
    Xs { axis, x }
}

/// The transactions `filter` keeps, as indices.
fn matching(captures: &Captures, filter: &Filter) -> Vec<usize> {
    let name = filter.name.trim().to_ascii_lowercase();
    captures
        .transactions
        .iter()
        .enumerate()
        .filter(|(_, t)| filter.keeps(t, &name))
        .map(|(i, _)| i)
        .collect()
}

/// The latency row of a binned timeline: three per decade from 10 µs (≤10, ≤20, ≤50, ≤100 µs, …).
pub fn latency_row(us: u64) -> u8 {
    let mut bound: u64 = 10;
    for row in 0..LATENCY_ROWS {
        if us <= bound {
            return u8::try_from(row).unwrap_or(u8::MAX);
        }
        bound = match row % 3 {
            0 => bound * 2,
            1 => bound / 2 * 5,
            _ => bound * 2,
        };
    }
    u8::try_from(LATENCY_ROWS - 1).unwrap_or(u8::MAX)
}

/// The timeline and histogram of what `filter` keeps.
pub fn chart(session: &Session, filter: &Filter) -> Chart {
    let Some(captures) = captures_of(session) else {
        return empty_chart();
    };
    let all = &captures.transactions;
    let kept = matching(captures, filter);
    let xs = xs(all);
    let x_of = |i: usize| xs.x.get(i).copied().unwrap_or(0);
    let x_max = kept.iter().map(|&i| x_of(i)).max().unwrap_or(0);
    let (mut marks, mut bins) = (Vec::new(), Vec::new());
    let mut retried = 0;
    let mut unanswered = 0;
    let timed = xs.axis == Axis::Time;
    let latency_of = |t: &Transaction| if timed { t.latency_us } else { None };
    if kept.len() <= MAX_MARKS {
        for &i in &kept {
            let Some(t) = all.get(i) else { continue };
            marks.push(Mark {
                index: i,
                x: x_of(i),
                latency_us: latency_of(t),
                class: Class::of(t),
                queries_sent: t.queries_sent,
                name: t.name.clone(),
                qtype: t.qtype.to_string(),
            });
        }
    } else {
        let mut cells: BTreeMap<(u16, Option<u8>), Bin> = BTreeMap::new();
        let width = x_max / BIN_COLUMNS as u64 + 1;
        for &i in &kept {
            let Some(t) = all.get(i) else { continue };
            let column = u16::try_from((x_of(i) / width).min(BIN_COLUMNS as u64 - 1)).unwrap_or(0);
            let row = latency_of(t).map(latency_row);
            let bin = cells.entry((column, row)).or_insert_with(|| Bin {
                column,
                row,
                counts: [0; 6],
                retried: 0,
            });
            let class = Class::of(t);
            if let Some(n) = Class::ALL
                .iter()
                .position(|&c| c == class)
                .and_then(|k| bin.counts.get_mut(k))
            {
                *n += 1;
            }
            bin.retried += u32::from(t.queries_sent > 1);
        }
        bins = cells.into_values().collect();
    }
    for &i in &kept {
        if let Some(t) = all.get(i) {
            retried += usize::from(t.queries_sent > 1);
            unanswered += usize::from(t.rcode.is_none());
        }
    }
    let latency = Latency::of(
        kept.iter()
            .filter_map(|&i| all.get(i))
            .filter_map(|t| t.latency_us),
    );
    let in_capture = |s: &StrayReply| filter.source.as_deref().is_none_or(|src| src == &*s.source);
    let of_client = |s: &StrayReply| {
        filter
            .client
            .as_deref()
            .is_none_or(|c| c == address_of(&s.to))
    };
    let strays: Vec<Stray> = captures
        .wrong_source
        .iter()
        .map(|reply| (true, reply))
        .chain(captures.unmatched.iter().map(|reply| (false, reply)))
        .filter(|(_, s)| in_capture(s) && of_client(s))
        .map(|(wrong_source, reply)| Stray {
            wrong_source,
            reply: reply.clone(),
        })
        .collect();
    let strays_total = strays.len();
    Chart {
        matched: kept.len(),
        retried,
        unanswered,
        axis: xs.axis,
        x_max,
        marks,
        bins,
        latency,
        strays: strays.into_iter().take(MAX_STRAYS).collect(),
        strays_total,
    }
}

fn empty_chart() -> Chart {
    Chart {
        matched: 0,
        retried: 0,
        unanswered: 0,
        axis: Axis::Time,
        x_max: 0,
        marks: Vec::new(),
        bins: Vec::new(),
        latency: Latency::default(),
        strays: Vec::new(),
        strays_total: 0,
    }
}

/// A window of what `filter` keeps.
pub fn rows(
    session: &Session,
    filter: &Filter,
    offset: usize,
    limit: usize,
    around: Option<usize>,
) -> Rows {
    let Some(captures) = captures_of(session) else {
        return Rows {
            matched: 0,
            offset: 0,
            rows: Vec::new(),
        };
    };
    let kept = matching(captures, filter);
    let limit = limit.clamp(1, MAX_ROWS);
    let offset = match around.and_then(|i| kept.binary_search(&i).ok()) {
        Some(position) => position / limit * limit,
        None => offset.min(kept.len().saturating_sub(1) / limit * limit),
    };
    let xs = xs(&captures.transactions);
    let rows = kept
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|&i| {
            Some(Row {
                index: i,
                x: xs.x.get(i).copied().unwrap_or(0),
                transaction: captures.transactions.get(i)?.clone(),
            })
        })
        .collect();
    Rows {
        matched: kept.len(),
        offset,
        rows,
    }
}

/// One transaction in full.
pub fn detail(session: &Session, index: usize) -> Option<Detail> {
    let captures = captures_of(session)?;
    let t = captures.transactions.get(index)?;
    let line = |l: u32| (l > 0).then_some(l);
    let after = |us: Option<u64>| Some(us?.saturating_sub(t.time_us?));
    let mut frames = vec![FrameRef {
        role: "query".into(),
        frame: t.frame,
        line: line(t.line),
        after_us: after(t.time_us),
    }];
    for (k, copy) in t.resent.iter().enumerate() {
        frames.push(FrameRef {
            role: format!("copy {}", k + 2),
            frame: copy.frame,
            line: line(copy.line),
            after_us: after(copy.time_us),
        });
    }
    if let Some(frame) = t.answer_frame {
        frames.push(FrameRef {
            role: "answer".into(),
            frame,
            line: t.answer_line,
            after_us: t.latency_us,
        });
    }
    let copies_not_listed = t
        .queries_sent
        .saturating_sub(1)
        .saturating_sub(u32::try_from(t.resent.len()).unwrap_or(u32::MAX));
    let lookup = captures
        .lookups
        .iter()
        .find(|l| l.queries.contains(&index))
        .map(|l| fit(captures, l));
    let wrong_source = captures
        .wrong_source
        .iter()
        .filter(|s| s.transaction == Some(index))
        .cloned()
        .collect();
    Some(Detail {
        index,
        transaction: t.clone(),
        frames,
        copies_not_listed,
        lookup,
        wrong_source,
    })
}

fn fit(captures: &Captures, l: &Lookup) -> LookupFit {
    let name_of = |r: &dnatlas_core::dns::plan::Resolver| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{r:?}").to_ascii_lowercase())
    };
    let outcome = serde_json::to_value(l.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    LookupFit {
        client: l.client.clone(),
        base_name: l.base_name.clone(),
        resolv_conf: l.resolv_conf.as_deref().map(str::to_string),
        search: l.search.clone(),
        search_inferred: l.search_inferred,
        resolver_fit: l.resolver_fit.iter().map(name_of).collect(),
        outcome,
        answered_by: l.answered_by.clone(),
        queries: l
            .queries
            .iter()
            .filter_map(|&i| {
                let t = captures.transactions.get(i)?;
                Some(LookupQuery {
                    index: i,
                    name: t.name.to_string(),
                    qtype: t.qtype.to_string(),
                    rcode: t.rcode.as_deref().map(str::to_string),
                    queries_sent: t.queries_sent,
                })
            })
            .collect(),
        expected: l.expected.clone(),
        missing: l.missing.clone(),
        extra: l.extra.clone(),
        explanation: l.explanation.clone(),
    }
}

/// Answers a captures query.
pub fn query(session: &Session, q: &Query) -> View {
    match q {
        Query::Chart(filter) => View::Chart(Box::new(chart(session, filter))),
        Query::Rows {
            filter,
            offset,
            limit,
            around,
        } => View::Rows(rows(session, filter, *offset, *limit, *around)),
        Query::Detail(index) => View::Detail(detail(session, *index).map(Box::new)),
    }
}

// Native only: the fixtures are read from disk and the pcap cases regenerated with `dnatlas-gen`.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    //! Expectations come from the fixtures, not from this program: `fixtures/pcap/losses/tshark.tsv` is tshark's
    //! reading of the bytes the generator writes for `case.json` (its transactions, re-sends and answers are
    //! listed in the comments below as tshark pairs them), and the tcpdump fixtures' text is read by eye.
    use super::*;
    use dnatlas_gen::capture::{self as gen, CaptureConfig};

    fn config(case: &str) -> CaptureConfig {
        let path = format!(
            "{}/../fixtures/pcap/{case}/case.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(case["capture"].clone()).unwrap()
    }

    fn tcpdump(case: &str) -> Vec<u8> {
        let path = format!(
            "{}/../fixtures/tcpdump/{case}/capture.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(path).unwrap()
    }

    fn session(inputs: &[(&str, Vec<u8>)]) -> Session {
        Session::analysed(inputs).0
    }

    fn losses() -> Session {
        session(&[("losses.pcap", gen::capture(&config("losses")).unwrap().0)])
    }

    /// The transaction whose first query is in `frame`.
    fn at_frame(s: &Session, frame: u32) -> usize {
        let all = &s
            .analysis()
            .unwrap()
            .captures
            .as_ref()
            .unwrap()
            .transactions;
        all.iter().position(|t| t.frame == frame).unwrap()
    }

    fn frames(s: &Session, filter: &Filter) -> Vec<u32> {
        let all = &s
            .analysis()
            .unwrap()
            .captures
            .as_ref()
            .unwrap()
            .transactions;
        let rows = rows(s, filter, 0, MAX_ROWS, None);
        assert_eq!(rows.matched, rows.rows.len());
        rows.rows.iter().map(|r| all[r.index].frame).collect()
    }

    #[test]
    fn overview_names_the_clients_and_rcodes_of_the_losses_case() {
        // tshark: 55 transactions; first queries from 10.244.1.23 (42), .22 (8), .20 (3), .21 (2); answers are
        // NXDOMAIN (rcode 3, 34) and NOERROR (17); 4 never answered; 11 sent again on the same socket.
        let s = losses();
        let o = overview(&s).unwrap();
        assert_eq!(o.listed, 55);
        let clients: Vec<(&str, usize)> = o
            .clients
            .iter()
            .map(|c| (c.address.as_str(), c.transactions))
            .collect();
        assert_eq!(
            clients,
            [
                ("10.244.1.23", 42),
                ("10.244.1.22", 8),
                ("10.244.1.20", 3),
                ("10.244.1.21", 2)
            ]
        );
        assert_eq!(o.rcodes, ["NOERROR", "NXDOMAIN"]);
        assert_eq!(
            o.captures,
            [CaptureInfo {
                source: "losses.pcap".into(),
                listed: 55,
                unanswered: 4,
                retried: 11,
                timed: true,
            }]
        );
    }

    #[test]
    fn filters_narrow_the_losses_case_as_tshark_pairs_it() {
        let s = losses();
        // Queries tshark pairs with no response, directly or through a retransmission.
        let no_answer = Filter {
            rcode: Some(RcodeFilter::NoAnswer),
            ..Filter::default()
        };
        assert_eq!(frames(&s, &no_answer), [11, 19, 64, 65]);
        // Queries with a `dns.retransmit_request_in` pointing at them.
        let retried = Filter {
            retried: true,
            ..Filter::default()
        };
        assert_eq!(
            frames(&s, &retried),
            [1, 2, 7, 14, 15, 22, 60, 65, 94, 95, 106]
        );
        let both = Filter {
            retried: true,
            rcode: Some(RcodeFilter::NoAnswer),
            ..Filter::default()
        };
        assert_eq!(frames(&s, &both), [65]);
        let nxdomain = Filter {
            rcode: Some(RcodeFilter::Rcode("NXDOMAIN".into())),
            ..Filter::default()
        };
        assert_eq!(rows(&s, &nxdomain, 0, 10, None).matched, 34);
        let noerror = Filter {
            rcode: Some(RcodeFilter::Rcode("NOERROR".into())),
            ..Filter::default()
        };
        assert_eq!(chart(&s, &noerror).matched, 17);
        let client = Filter {
            client: Some("10.244.1.21".into()),
            ..Filter::default()
        };
        // 10.244.1.21 asks postgres.payments.svc.cluster.local (frame 15, re-sent in 53) and one more.
        let f = frames(&s, &client);
        assert_eq!(f.len(), 2);
        assert!(f.contains(&15));
        // Names match in any case, as a substring.
        let name = Filter {
            name: "  API.GitHub.com.CATALOG ".into(),
            ..Filter::default()
        };
        let f = frames(&s, &name);
        assert!(f.starts_with(&[1, 2]), "{f:?}");
        let other_capture = Filter {
            source: Some("other.pcap".into()),
            ..Filter::default()
        };
        assert_eq!(chart(&s, &other_capture).matched, 0);
    }

    #[test]
    fn a_retried_transaction_shows_its_copy_its_answer_and_its_lookup() {
        // Frame 1: A? api.github.com.catalog.svc.cluster.local from 10.244.1.23:58255 id 0xb341 at
        // 1714579200.000000; tshark marks frame 55 (at …205.000000) as its retransmission and frame 57 (at
        // …205.000868) as the response, NXDOMAIN, dns.time 5.000868 s.
        let s = losses();
        let i = at_frame(&s, 1);
        let d = detail(&s, i).unwrap();
        let got: Vec<(&str, u32, Option<u32>, Option<u64>)> = d
            .frames
            .iter()
            .map(|f| (f.role.as_str(), f.frame, f.line, f.after_us))
            .collect();
        assert_eq!(
            got,
            [
                ("query", 1, None, Some(0)),
                ("copy 2", 55, None, Some(5_000_000)),
                ("answer", 57, None, Some(5_000_868)),
            ]
        );
        assert_eq!(d.copies_not_listed, 0);
        assert_eq!(d.transaction.rcode.as_deref(), Some("NXDOMAIN"));
        // The lookup: 10.244.1.23 asks this name (A in frame 1, AAAA in frame 2, both NXDOMAIN) and then other
        // names, so without a resolv.conf the lookup is these two queries, one socket for the pair.
        let l = d.lookup.expect("the lookup of frame 1");
        assert_eq!(l.client, "10.244.1.23");
        let names: Vec<(&str, &str, u32)> = l
            .queries
            .iter()
            .map(|q| (q.name.as_str(), q.qtype.as_str(), q.queries_sent))
            .collect();
        let name = "api.github.com.catalog.svc.cluster.local.";
        assert_eq!(names, [(name, "A", 2), (name, "AAAA", 2)]);
        assert_eq!(l.queries[0].index, i);
        assert_eq!(l.outcome, "nxdomain");
        // A and AAAA from one socket: glibc's (or musl's) pair; Go uses two sockets.
        assert!(l.resolver_fit.iter().any(|r| r == "glibc"), "{l:?}");
        assert!(!l.resolver_fit.iter().any(|r| r == "go"), "{l:?}");
        assert!(l.missing.is_empty() && l.extra.is_empty());
        assert!(l.explanation.contains("frames 1, 2"), "{}", l.explanation);
        // The one retried query never answered: frame 65, re-sent in frame 96.
        let d = detail(&s, at_frame(&s, 65)).unwrap();
        let got: Vec<(&str, u32)> = d
            .frames
            .iter()
            .map(|f| (f.role.as_str(), f.frame))
            .collect();
        assert_eq!(got, [("query", 65), ("copy 2", 96)]);
        assert!(detail(&s, 55).is_none());
    }

    #[test]
    fn text_captures_give_lines_for_every_frame() {
        // The same traffic as tcpdump text: the copy and the answer of frame 1's transaction are on the lines
        // that print id 45889 (0xb341) from and to 10.244.1.23.58255.
        let (text, _) = gen::text(&config("losses")).unwrap();
        let line_of = |needle: &str| -> Vec<u32> {
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains(needle))
                .map(|(n, _)| u32::try_from(n).unwrap() + 1)
                .collect()
        };
        let queries = line_of("10.244.1.23.58255 > 10.96.0.10.53: 45889+");
        let answers = line_of("10.96.0.10.53 > 10.244.1.23.58255: 45889 ");
        assert_eq!((queries.len(), answers.len()), (2, 1));
        let s = session(&[("losses.txt", text.into_bytes())]);
        let all = &s
            .analysis()
            .unwrap()
            .captures
            .as_ref()
            .unwrap()
            .transactions;
        let i = all.iter().position(|t| t.line == queries[0]).unwrap();
        let d = detail(&s, i).unwrap();
        let lines: Vec<Option<u32>> = d.frames.iter().map(|f| f.line).collect();
        assert_eq!(
            lines,
            [Some(queries[0]), Some(queries[1]), Some(answers[0])]
        );
    }

    #[test]
    fn the_histogram_of_everything_is_the_summary_s() {
        // 51 answered transactions have latencies; unfiltered, the rebuilt histogram is the capture summary's.
        let s = losses();
        let c = chart(&s, &Filter::default());
        let summary = &s.analysis().unwrap().captures.as_ref().unwrap().summary;
        assert_eq!(c.latency.count, 51);
        assert_eq!(c.latency, summary.latency);
        assert_eq!((c.matched, c.retried, c.unanswered), (55, 11, 4));
        assert_eq!(c.marks.len(), 55);
        assert!(c.bins.is_empty());
        assert_eq!(c.axis, Axis::Time);
        // Frame 1 is the capture's first query; a mark's latency is its transaction's.
        let first = c.marks.iter().find(|m| m.index == at_frame(&s, 1)).unwrap();
        assert_eq!((first.x, first.latency_us), (0, Some(5_000_868)));
        assert_eq!((first.class, first.queries_sent), (Class::NxDomain, 2));
        let lost = c
            .marks
            .iter()
            .find(|m| m.index == at_frame(&s, 65))
            .unwrap();
        assert_eq!((lost.class, lost.latency_us), (Class::NoAnswer, None));
        // Only the retried: 10 of the 11 answered, after 2.5 s (musl) or 5 s (glibc).
        let c = chart(
            &s,
            &Filter {
                retried: true,
                ..Filter::default()
            },
        );
        assert_eq!(c.latency.count, 10);
        assert!(c.latency.p50_us.unwrap() >= 2_500_000);
    }

    #[test]
    fn rows_come_in_windows_and_can_be_found_around_a_transaction() {
        let s = losses();
        let r = rows(&s, &Filter::default(), 20, 10, None);
        assert_eq!((r.matched, r.offset, r.rows.len()), (55, 20, 10));
        assert_eq!(r.rows[0].index, 20);
        // Past the end: the last window.
        let r = rows(&s, &Filter::default(), 1_000, 10, None);
        assert_eq!((r.offset, r.rows.len()), (50, 5));
        // The window holding the transaction of frame 65 among the retried (the 8th of 11): rows 5..10.
        let retried = Filter {
            retried: true,
            ..Filter::default()
        };
        let r = rows(&s, &retried, 0, 5, Some(at_frame(&s, 65)));
        assert_eq!(r.offset, 5);
        assert!(r.rows.iter().any(|row| row.transaction.frame == 65));
        // A limit of 0 still answers one row; a huge one at most MAX_ROWS.
        assert_eq!(rows(&s, &Filter::default(), 0, 0, None).rows.len(), 1);
        let empty = Filter {
            name: "no.such.name".into(),
            ..Filter::default()
        };
        let r = rows(&s, &empty, 7, 10, None);
        assert_eq!((r.matched, r.offset, r.rows.len()), (0, 0, 0));
    }

    #[test]
    fn without_timestamps_the_timeline_orders_transactions() {
        // fixtures/tcpdump/no-timestamps: no packet has a time; lines 1 and 2 are the first two queries.
        let s = session(&[("capture.txt", tcpdump("no-timestamps"))]);
        let c = chart(&s, &Filter::default());
        assert_eq!(c.axis, Axis::Order);
        let xs: Vec<u64> = c.marks.iter().map(|m| m.x).collect();
        assert_eq!(xs, (0..xs.len() as u64).collect::<Vec<_>>());
        assert!(c.marks.iter().all(|m| m.latency_us.is_none()));
        assert_eq!(c.latency.count, 0);
    }

    #[test]
    fn several_captures_are_listed_and_filtered_apart() {
        // seed 004's text (two transactions, lines 11 and 15) and the losses pcap (55).
        let s = session(&[
            ("capture.txt", tcpdump("seed-004")),
            ("losses.pcap", gen::capture(&config("losses")).unwrap().0),
        ]);
        let o = overview(&s).unwrap();
        let listed: Vec<(&str, usize)> = o
            .captures
            .iter()
            .map(|c| (c.source.as_str(), c.listed))
            .collect();
        assert_eq!(listed, [("capture.txt", 2), ("losses.pcap", 55)]);
        let text = Filter {
            source: Some("capture.txt".into()),
            ..Filter::default()
        };
        let r = rows(&s, &text, 0, 10, None);
        let lines: Vec<u32> = r.rows.iter().map(|r| r.transaction.line).collect();
        assert_eq!(lines, [11, 15]);
        // Each capture's x starts at its own first query: 23:04:02.789492 and .789699 are 207 µs apart.
        let xs: Vec<u64> = r.rows.iter().map(|r| r.x).collect();
        assert_eq!(xs, [0, 207]);
        let d = detail(&s, r.rows[0].index).unwrap();
        assert_eq!(d.frames[0].line, Some(11));
        assert_eq!(d.frames[1].line, Some(13));
        assert_eq!(chart(&s, &Filter::default()).matched, 57);
    }

    #[test]
    fn replies_from_a_wrong_source_are_listed() {
        // fixtures/pcap/wrong-source: replies tshark pairs with no query, though a query of the same client socket
        // and id went to another server.
        let tsv = std::fs::read_to_string(format!(
            "{}/../fixtures/pcap/wrong-source/tshark.tsv",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let rows: Vec<Vec<&str>> = tsv
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('\t').collect())
            .collect();
        let head = &rows[0];
        let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
        let (response, response_to) = (col("dns.flags.response"), col("dns.response_to"));
        let stray: Vec<u32> = rows[1..]
            .iter()
            .filter(|r| r[response] == "1" && r[response_to].is_empty())
            .map(|r| r[0].parse().unwrap())
            .collect();
        assert!(!stray.is_empty());
        let s = session(&[(
            "case.pcap",
            gen::capture(&config("wrong-source")).unwrap().0,
        )]);
        let c = chart(&s, &Filter::default());
        assert_eq!(c.strays_total, stray.len());
        let frames: Vec<u32> = c.strays.iter().map(|s| s.reply.frame).collect();
        let mut sorted = frames.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, stray);
        // A wrong-source reply names its transaction, whose detail lists it.
        let with_tx = c
            .strays
            .iter()
            .find_map(|s| s.reply.transaction.filter(|_| s.wrong_source))
            .expect("a wrong-source reply with its transaction");
        let d = detail(&s, with_tx).unwrap();
        assert!(!d.wrong_source.is_empty());
    }

    #[test]
    fn many_transactions_are_binned_and_every_one_counted() {
        let mut config = config("losses");
        config.lookups = 1_500;
        config.query_loss = 0.02;
        let s = session(&[("big.pcap", gen::capture(&config).unwrap().0)]);
        let listed = overview(&s).unwrap().listed;
        assert!(listed > MAX_MARKS, "{listed}");
        let c = chart(&s, &Filter::default());
        assert!(c.marks.is_empty());
        assert!(c.bins.len() <= BIN_COLUMNS * (LATENCY_ROWS + 1));
        assert_eq!(c.bins.iter().map(Bin::total).sum::<u64>(), listed as u64);
        assert_eq!(
            c.bins.iter().map(|b| u64::from(b.retried)).sum::<u64>(),
            c.retried as u64
        );
        // Unanswered transactions sit in the band without latency, in the no-answer class.
        let band: u64 = c
            .bins
            .iter()
            .filter(|b| b.row.is_none())
            .map(|b| u64::from(b.counts[5]))
            .sum();
        assert_eq!(band, c.unanswered as u64);
        assert!(c.bins.iter().all(|b| usize::from(b.column) < BIN_COLUMNS));
    }

    #[test]
    fn latency_rows_are_1_2_5_steps() {
        let rows: Vec<u8> = [0, 10, 11, 20, 21, 50, 51, 100, 1_000, 5_000_000, u64::MAX]
            .iter()
            .map(|&us| latency_row(us))
            .collect();
        assert_eq!(rows, [0, 0, 1, 1, 2, 2, 3, 3, 6, 17, 20]);
    }

    #[test]
    fn addresses_lose_their_port() {
        assert_eq!(address_of("10.0.0.1:5353"), "10.0.0.1");
        assert_eq!(address_of("[fd00::1]:53"), "fd00::1");
        assert_eq!(address_of("host.example:?"), "host.example");
        assert_eq!(address_of("odd"), "odd");
    }

    #[test]
    fn without_an_analysis_or_captures_nothing_is_answered() {
        let s = Session::new();
        assert!(overview(&s).is_none());
        assert_eq!(chart(&s, &Filter::default()).matched, 0);
        assert!(detail(&s, 0).is_none());
        let s = session(&[("node.txt", crate::EXAMPLE_DUMP.as_bytes().to_vec())]);
        assert!(overview(&s).is_none());
        assert_eq!(rows(&s, &Filter::default(), 0, 10, None).matched, 0);
    }
}
