//! The text report: a plain table a support engineer can paste into a ticket.

use std::fmt::Write;

use dnatlas_core::simulate::netfilter::{Outcome, Packet, Verdict};
use dnatlas_core::{Analysis, Service};

/// How a service port is named in reports: `ns/name:port`, or `ns/name` for an unnamed port.
pub fn service_label(service: &Service) -> String {
    if service.namespace.is_empty() && service.name.is_empty() {
        return "(no comment)".to_string();
    }
    if service.port_name.is_empty() {
        format!("{}/{}", service.namespace, service.name)
    } else {
        format!(
            "{}/{}:{}",
            service.namespace, service.name, service.port_name
        )
    }
}

fn address(ip: Option<&str>, port: Option<u16>) -> String {
    let ip = ip.unwrap_or("?");
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
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
        match resolv {
            Some(r) => {
                let servers: Vec<&str> = r
                    .conf
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
                    r.conf.search.join(" "),
                    r.conf.options.ndots
                );
            }
            None if source.kind == dnatlas_core::Kind::Corefile => {
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
            None => {
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
            let severity = match d.severity {
                dnatlas_core::Severity::Error => "error",
                dnatlas_core::Severity::Warning => "warning",
                dnatlas_core::Severity::Info => "info",
            };
            let _ = writeln!(
                out,
                "    {}:{}:{}: {severity}[{}]: {}",
                source.name, d.line, d.column, d.code, d.message
            );
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
                let _ = writeln!(out, "    --> {}:{}", e.source, e.line);
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
            let verdict = match &o.verdict {
                Verdict::Accept => "ACCEPT".to_string(),
                Verdict::Drop => "DROP".to_string(),
                Verdict::Reject { with } => format!("REJECT ({with})"),
            };
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
            let _ = writeln!(
                out,
                "\n  {}. {:>6}  {verdict} {what}{masq}",
                i + 1,
                percent(o.probability)
            );
            for step in &o.steps {
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
            for a in &o.assumptions {
                let _ = writeln!(out, "       assumed: {a}");
            }
        }
        out.push('\n');
    }
    out
}
