//! The text report: a plain table a support engineer can paste into a ticket.

use std::borrow::Cow;
use std::fmt::Write;

use dnatlas_core::dns::answer::Rcode;
use dnatlas_core::dns::plan::{QueryType, Resolver};
use dnatlas_core::format::{self, percent};
use dnatlas_core::simulate::netfilter::{Outcome, Packet, Verdict, STEPS_HEAD};
use dnatlas_core::trace::{Connection, Trace, Via};
use dnatlas_core::{Analysis, Diagnostic, Service, SourceReport};

/// How a service port is named in reports: `ns/name:port`, or `ns/name` for an unnamed port.
fn service_label(service: &Service) -> String {
    format::service_port(&service.namespace, &service.name, &service.port_name)
}

/// `ip:port` (IPv6 in brackets), `?` for an unknown address.
fn address(ip: Option<&str>, port: Option<u16>) -> String {
    format::address(ip.unwrap_or("?"), port)
}

/// Renders an analysis as text.
pub fn analysis(analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Inputs");
    for source in &analysis.sources {
        let c = &source.counts;
        let resolv = analysis
            .resolv_confs
            .iter()
            .find(|r| *r.source == *source.name);
        match (resolv, &source.capture) {
            (_, Some(summary)) => {
                let _ = write!(
                    out,
                    "  {}  {}  {} packets, {} DNS messages: {} transactions, {} answered, {} unanswered, {} retried",
                    source.name,
                    source.kind.as_str(),
                    summary.packets,
                    summary.dns_messages,
                    summary.transactions,
                    summary.answered,
                    summary.unanswered,
                    summary.retried
                );
                if let (Some(p50), Some(p99)) = (summary.latency.p50_us, summary.latency.p99_us) {
                    let _ = write!(
                        out,
                        "; latency p50 {}, p99 {}",
                        format::latency(p50),
                        format::latency(p99)
                    );
                }
            }
            (Some(r), None) => {
                let servers: Vec<&str> = r
                    .value
                    .nameservers
                    .iter()
                    .map(|n| n.address.as_str())
                    .collect();
                let _ = write!(
                    out,
                    "  {}  {}  {} lines: nameserver {}, search [{}], ndots:{}",
                    source.name,
                    source.kind.as_str(),
                    c.lines,
                    if servers.is_empty() {
                        "-".to_string()
                    } else {
                        servers.join(" ")
                    },
                    r.value.search.join(" "),
                    r.value.options.ndots
                );
            }
            (None, None) if source.kind == dnatlas_core::Kind::Corefile => {
                let _ = write!(
                    out,
                    "  {}  {}  {} lines: {} server blocks, {} zones, {} plugins",
                    source.name,
                    source.kind.as_str(),
                    c.lines,
                    c.server_blocks,
                    c.zones,
                    c.plugins
                );
            }
            (None, None) => {
                let _ = write!(
                    out,
                    "  {}  {}  {} lines, {} tables, {} chains, {} rules",
                    source.name,
                    source.kind.as_str(),
                    c.lines,
                    c.tables,
                    c.chains,
                    c.rules
                );
            }
        }
        if source.kind != dnatlas_core::Kind::Corefile && c.server_blocks > 0 {
            let _ = write!(
                out,
                "; Corefile: {} server blocks, {} zones, {} plugins",
                c.server_blocks, c.zones, c.plugins
            );
        }
        if let Some(tool) = &source.generated_by {
            let _ = write!(out, " ({tool})");
        }
        out.push('\n');
        for d in &source.diagnostics {
            let _ = writeln!(out, "    {}", diagnostic_line(&source.name, d));
        }
    }

    for source in &analysis.sources {
        let services: Vec<&Service> = analysis
            .services
            .iter()
            .filter(|s| s.source == source.name)
            .collect();
        if services.is_empty() {
            continue;
        }
        let endpoints: usize = services.iter().map(|s| s.endpoints.len()).sum();
        let _ = writeln!(
            out,
            "\nServices in {} ({} ports, {} endpoints)",
            source.name,
            services.len(),
            endpoints
        );
        service_table(&mut out, &services);
    }

    if analysis.findings.is_empty() {
        let _ = writeln!(out, "\nFindings: none");
    } else {
        let _ = writeln!(out, "\nFindings ({})", analysis.findings.len());
        for f in &analysis.findings {
            let severity = match f.severity {
                dnatlas_core::Severity::Error => "error",
                dnatlas_core::Severity::Warning => "warning",
                dnatlas_core::Severity::Info => "info",
            };
            let _ = writeln!(out, "  {severity}[{}]: {}", f.code, f.title);
            let _ = writeln!(out, "    {}", f.message);
            for e in &f.evidence {
                match e.frame_number() {
                    Some(frame) => {
                        let _ = writeln!(out, "    --> {} frame {frame}", e.source);
                    }
                    None => {
                        let _ =
                            writeln!(out, "    --> {}:{}", e.source, e.line_number().unwrap_or(0));
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "\n  `dnatlas explain CODE` says why each matters and how to fix it."
        );
    }
    out
}

fn service_table(out: &mut String, services: &[&Service]) {
    let mut rows: Vec<[String; 7]> = vec![[
        "SERVICE".into(),
        "PROTO".into(),
        "CLUSTER-IP:PORT".into(),
        "CHAIN".into(),
        "ENDPOINT".into(),
        "SHARE".into(),
        "RULE-P".into(),
    ]];
    let mut notes: Vec<Option<String>> = vec![None];
    for service in services {
        let head = [
            service_label(service),
            service.protocol.clone(),
            address(service.cluster_ip.as_deref(), service.port),
            service.chain.clone().unwrap_or_else(|| "-".into()),
        ];
        let mut note = Vec::new();
        if let Some(secs) = service.affinity_timeout_secs {
            note.push(format!("ClientIP affinity {secs}s"));
        }
        if service.chain_missing {
            note.push("chain not defined in this input".to_string());
        }
        if service.unrouted_share > 0.0 && !service.chain_missing && !service.endpoints.is_empty() {
            note.push(format!(
                "{} of connections match no endpoint rule",
                percent(service.unrouted_share)
            ));
        }
        if service.endpoints.is_empty() {
            let what = match service.reject_line {
                Some(line) => format!("(no endpoints: REJECT, line {line})"),
                None => "(no endpoints)".to_string(),
            };
            let [a, b, c, d] = head;
            rows.push([a, b, c, d, what, String::new(), String::new()]);
            notes.push((!note.is_empty()).then(|| note.join("; ")));
            continue;
        }
        for (i, endpoint) in service.endpoints.iter().enumerate() {
            let first = i == 0;
            let lead = if first {
                head.clone()
            } else {
                Default::default()
            };
            let [a, b, c, d] = lead;
            let ip = (!endpoint.ip.is_empty()).then_some(endpoint.ip.as_str());
            rows.push([
                a,
                b,
                c,
                d,
                address(ip, endpoint.port),
                percent(endpoint.probability),
                endpoint
                    .rule_probability_text
                    .clone()
                    .unwrap_or_else(|| "-".into()),
            ]);
            notes.push((first && !note.is_empty()).then(|| note.join("; ")));
        }
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (row, note) in rows.iter().zip(&notes) {
        let mut line = String::from("  ");
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            // The share column reads best right-aligned.
            if i == 5 {
                let _ = write!(line, "{cell:>w$}  ");
            } else {
                let _ = write!(line, "{cell:<w$}  ");
            }
        }
        if let Some(note) = note {
            line.push_str(note);
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Renders netfilter walks: every outcome with its probability and the rules that decided it.
pub fn walks(packet: &Packet, walks: &[(String, Vec<Outcome>)]) -> String {
    let mut out = String::new();
    let hook = match packet.hook {
        dnatlas_core::simulate::netfilter::Hook::Prerouting => "PREROUTING",
        dnatlas_core::simulate::netfilter::Hook::Output => "OUTPUT",
    };
    for (source, outcomes) in walks {
        let _ = writeln!(
            out,
            "{}:{} -> {}/{} entering {hook} on {source}: {} outcome{}",
            packet.src,
            packet.sport,
            address(Some(&packet.dst.to_string()), Some(packet.dport)),
            packet.protocol,
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        );
        for (i, o) in outcomes.iter().enumerate() {
            let verdict = o.verdict.describe();
            let dest = address(Some(&o.destination.to_string()), Some(o.destination_port));
            let what = match (o.dnat, &o.verdict) {
                (true, Verdict::Accept) => format!("to {dest} (DNAT)"),
                (false, Verdict::Accept) => format!("to {dest} (not rewritten)"),
                _ => String::new(),
            };
            let masq = if o.masquerade {
                ", source masqueraded"
            } else {
                ""
            };
            let head = format!(
                "\n  {}. {:>6}  {verdict} {what}{masq}",
                i + 1,
                percent(o.probability)
            );
            let _ = writeln!(out, "{}", head.trim_end());
            for (n, step) in o.steps.iter().enumerate() {
                if n == STEPS_HEAD && o.elided_steps > 0 {
                    let _ = writeln!(
                        out,
                        "       … {} more step{} not listed …",
                        o.elided_steps,
                        if o.elided_steps == 1 { "" } else { "s" }
                    );
                }
                let line = if step.line == 0 {
                    "policy".to_string()
                } else {
                    format!("line {}", step.line)
                };
                let fork = step
                    .probability
                    .map(|p| format!("  (p {p:.5})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "       {:<6} {:<28} {:<10} {}{fork}",
                    step.table, step.chain, line, step.action
                );
            }
            if let Verdict::Stopped { message, .. } = &o.verdict {
                let _ = writeln!(out, "       why: {message}");
            }
            for a in &o.assumptions {
                let _ = writeln!(out, "       assumed: {a}");
            }
        }
        out.push('\n');
    }
    out
}

/// Renders a trace: the lookups (one line each), the connection's branches, the hops with their evidence, and the
/// notes.
pub fn trace(t: &Trace) -> String {
    let mut out = String::new();
    let resolver = match t.resolver {
        Resolver::Glibc => "glibc",
        Resolver::Musl => "musl",
        Resolver::Go => "go",
        Resolver::Busybox => "busybox",
    };
    let _ = writeln!(
        out,
        "Trace from {} to {} ({resolver}): {}",
        t.from,
        t.to,
        t.status.as_str()
    );
    if let Some(error) = &t.error {
        let _ = writeln!(out, "  error: {error}");
    }
    if let Some(p) = &t.pod {
        let _ = writeln!(
            out,
            "  pod:         {}/{}{}",
            p.namespace.as_deref().unwrap_or("?"),
            p.name,
            p.node
                .as_deref()
                .map(|n| format!(" on node {n}"))
                .unwrap_or_default()
        );
    }
    if let Some(r) = &t.resolv_conf {
        let _ = writeln!(
            out,
            "  resolv.conf: {} — nameserver {}, search [{}], ndots:{}",
            r.source
                .as_deref()
                .unwrap_or("(kubelet's ClusterFirst file, rebuilt)"),
            if r.nameservers.is_empty() {
                "-".to_string()
            } else {
                r.nameservers.join(" ")
            },
            r.search.join(" "),
            r.ndots
        );
    }
    if let Some(node) = &t.node {
        let _ = writeln!(out, "  node rules:  {node}");
    }

    if !t.lookups.is_empty() {
        lookups(&mut out, t);
    }

    if let Some(c) = &t.connection {
        connection(&mut out, c);
    }

    if !t.hops.is_empty() {
        hops(&mut out, t);
    }

    if !t.notes.is_empty() {
        let _ = writeln!(out, "\nNotes");
        for n in &t.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    let sources: Vec<&SourceReport> = t.sources.iter().collect();
    out.push_str(&diagnostics_section(&sources, false));
    out
}

/// The trace's lookups, one row each.
fn lookups(out: &mut String, t: &Trace) {
    let _ = writeln!(out, "\nLookups ({})", t.lookups.len());
    let mut rows: Vec<[String; 7]> = vec![[
        "#".into(),
        "TYPE".into(),
        "NAME".into(),
        "SERVER".into(),
        "DNS ENDPOINTS".into(),
        "RCODE".into(),
        "ANSWERS".into(),
    ]];
    for (i, l) in t.lookups.iter().enumerate() {
        let endpoints: Vec<String> = l
            .server_endpoints
            .iter()
            .map(|b| {
                format!(
                    "{} {}",
                    address(Some(&b.ip), b.port),
                    percent(b.probability)
                )
            })
            .collect();
        let rcode = if l.upstream {
            "upstream".to_string()
        } else {
            match l.rcode {
                Some(Rcode::NoError) => "NOERROR".into(),
                Some(Rcode::NxDomain) => "NXDOMAIN".into(),
                Some(Rcode::Refused) => "REFUSED".into(),
                None => "-".into(),
            }
        };
        let mut answers: Vec<String> = l.cnames.iter().map(|c| format!("CNAME {c}")).collect();
        answers.extend(l.answers.iter().map(ToString::to_string));
        if l.upstream_target.is_some() {
            answers.push("-> upstream".to_string());
        }
        let answers = if let Some(failure) = &l.failure {
            failure.clone()
        } else if l.upstream {
            "unknown".to_string()
        } else if answers.is_empty() && l.rcode == Some(Rcode::NoError) {
            "(no records)".to_string()
        } else if answers.is_empty() {
            "-".to_string()
        } else {
            answers.join(" ")
        };
        rows.push([
            (i + 1).to_string(),
            match l.qtype {
                QueryType::A => "A".into(),
                QueryType::Aaaa => "AAAA".into(),
            },
            l.name.clone(),
            l.server.clone().unwrap_or_else(|| "-".into()),
            if endpoints.is_empty() {
                "-".into()
            } else {
                endpoints.join(", ")
            },
            rcode,
            answers,
        ]);
    }
    table(out, &rows);
}

/// The connection the trace makes: its address, how it is rewritten, and its branches.
fn connection(out: &mut String, c: &Connection) {
    let via = match c.via {
        Via::NodeRules => "from the node's rules",
        Via::Kubectl => "from kubectl's endpoints",
        Via::Direct => "not rewritten",
        Via::None => "unknown",
    };
    let _ = writeln!(
        out,
        "\nConnection {}/{}{}: {} branch{} ({via})",
        address(Some(&c.ip.to_string()), Some(c.port)),
        c.protocol,
        c.service
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default(),
        c.branches.len(),
        if c.branches.len() == 1 { "" } else { "es" }
    );
    let rows: Vec<[String; 3]> = c
        .branches
        .iter()
        .map(|b| {
            [
                percent(b.probability),
                address(Some(&b.ip), b.port),
                b.chain.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(out, &rows);
}

/// The hops the trace animates, each with its evidence lines.
fn hops(out: &mut String, t: &Trace) {
    let _ = writeln!(out, "\nHops ({})", t.hops.len());
    let width = t.hops.len().to_string().len();
    for (i, h) in t.hops.iter().enumerate() {
        let kind = serde_json::to_value(h.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:>width$}. {kind:<18} {}", i + 1, h.label);
        if !h.evidence.is_empty() {
            let lines: Vec<String> = h
                .evidence
                .iter()
                .map(|e| format!("{}:{}", e.source, e.line_number().unwrap_or(0)))
                .collect();
            let _ = writeln!(out, "  {:>width$}  {:<18} --> {}", "", "", lines.join(", "));
        }
    }
}

/// Diagnostics printed per input under a walk or a trace; the rest are counted (`--format json` lists them).
const MAX_LISTED_DIAGNOSTICS: usize = 20;

/// One diagnostic as `name:line:column: severity[code]: message` (`name: frame N: …` in a binary capture).
pub fn diagnostic_line(name: &str, d: &Diagnostic) -> String {
    let severity = match d.severity {
        dnatlas_core::Severity::Error => "error",
        dnatlas_core::Severity::Warning => "warning",
        dnatlas_core::Severity::Info => "info",
    };
    let place = match (d.frame, d.line) {
        (Some(frame), _) => format!("{name}: frame {frame}"),
        (None, 0) => name.to_string(),
        (None, line) => format!("{name}:{line}:{}", d.column),
    };
    format!("{place}: {severity}[{}]: {}", d.code, d.message)
}

/// The inputs' diagnostics under a walk: every severity, at most [`MAX_LISTED_DIAGNOSTICS`] per input.
pub fn input_diagnostics(sources: &[SourceReport]) -> String {
    diagnostics_section(&sources.iter().collect::<Vec<_>>(), true)
}

/// An "Input diagnostics" section: per input with diagnostics (infos too when `infos`), its name, kind and count,
/// then at most [`MAX_LISTED_DIAGNOSTICS`] lines and "… and N more"; empty when there is nothing to say.
fn diagnostics_section(sources: &[&SourceReport], infos: bool) -> String {
    let mut out = String::new();
    for s in sources {
        let shown: Vec<&Diagnostic> = s
            .diagnostics
            .iter()
            .filter(|d| infos || d.severity != dnatlas_core::Severity::Info)
            .collect();
        if shown.is_empty() {
            continue;
        }
        if out.is_empty() {
            out.push_str("\nInput diagnostics\n");
        }
        let _ = writeln!(
            out,
            "  {} ({}): {} diagnostic{}",
            s.name,
            s.kind.as_str(),
            shown.len(),
            if shown.len() == 1 { "" } else { "s" }
        );
        for d in shown.iter().take(MAX_LISTED_DIAGNOSTICS) {
            let _ = writeln!(out, "    {}", diagnostic_line(&s.name, d));
        }
        if shown.len() > MAX_LISTED_DIAGNOSTICS {
            let _ = writeln!(
                out,
                "    … and {} more (`--format json` lists them all)",
                shown.len() - MAX_LISTED_DIAGNOSTICS
            );
        }
    }
    out
}

/// Text as it may reach a terminal: control characters other than tab and newline (escape sequences, carriage
/// returns, backspaces, C1 controls such as CSI) written visibly as `\x1b` or `\u{9b}`, so nothing read from an
/// input can move the cursor, recolour or retitle the terminal, or hide text.
pub fn inert(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Left-aligned columns, two spaces apart.
fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from("  ");
        for (cell, w) in row.iter().zip(widths) {
            let _ = write!(line, "{cell:<w$}  ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
