//! `dnatlas`: the analysis of dnatlas-core in a terminal, as text for a ticket or JSON for scripts.

mod render;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use dnatlas_core::dns::plan::Resolver;
use dnatlas_core::simulate::netfilter::{walk, Hook, NodeContext, Packet};
use dnatlas_core::trace::{trace, Request};
use dnatlas_core::{analyze, Kind, Options, Source};

#[derive(Debug, Parser)]
#[command(
    name = "dnatlas",
    version,
    about = "Rebuild what a Kubernetes node does with Service traffic, from files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse inputs (kube-proxy iptables-save dumps, resolv.conf, kubectl output, tcpdump text, pcap/pcapng
    /// captures, …); each file's kind is detected from its content.
    Analyze {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Input files; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Walk one packet of a new connection through each node dump's netfilter rules, as the kernel would.
    Walk {
        /// Source address.
        #[arg(long)]
        src: std::net::IpAddr,
        /// Destination address.
        #[arg(long)]
        dst: std::net::IpAddr,
        /// Destination port.
        #[arg(long)]
        port: u16,
        /// Protocol.
        #[arg(long, default_value = "tcp", value_parser = ["tcp", "udp", "sctp"])]
        protocol: String,
        /// Where the packet enters: `prerouting` for a pod's or the network's packet, `output` for the node's own.
        #[arg(long, value_enum, default_value_t = HookArg::Prerouting)]
        hook: HookArg,
        /// The node's own addresses (for `addrtype LOCAL` matches); repeat for several.
        #[arg(long = "node-ip")]
        node_ips: Vec<std::net::IpAddr>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Node dumps (`iptables-save`, or `iptables -L` listings); `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Trace one name from a pod: every DNS query its resolver sends and how it is answered, where each query and
    /// the connection to the answer are DNATed on the pod's node, and the hops with the input lines behind them.
    Trace {
        /// The pod's IP.
        #[arg(long = "from", value_name = "POD_IP")]
        from: std::net::IpAddr,
        /// The name to resolve and connect to, with an optional numeric port: `nginx`, `nginx.default:80`,
        /// `nginx.default.svc.cluster.local.`, or an IP.
        #[arg(long = "to", value_name = "NAME[:PORT]")]
        to: String,
        /// The pod's stub resolver.
        #[arg(long, value_enum, default_value_t = ResolverArg::Glibc)]
        resolver: ResolverArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Inputs: resolv.conf, kubectl output, node dumps; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Print what a finding code means, why it matters, an example and the fix.
    Explain {
        /// A finding code, e.g. `service-no-endpoints`.
        code: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HookArg {
    /// PREROUTING: a packet arriving at the node (from a pod on it, or from the network).
    Prerouting,
    /// OUTPUT: a packet the node itself sends.
    Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ResolverArg {
    /// glibc's getaddrinfo (Debian, Ubuntu, RHEL images).
    Glibc,
    /// musl (Alpine images).
    Musl,
    /// Go's pure-Go resolver.
    Go,
    /// busybox ≥1.30 `nslookup` (its own resolver: search list only for dotless names, no bare-name query).
    Busybox,
}

/// `analyze`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// A readable report.
    Text,
    /// The `dnatlas.analysis/1` JSON object.
    Json,
    /// A Markdown report for a ticket: inputs, findings worst first with their evidence lines quoted and the fix,
    /// diagnostics.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable report.
    Text,
    /// The `dnatlas.analysis/1` JSON object.
    Json,
}

/// Exit status when the command line or an input could not be used.
const EXIT_UNUSABLE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze { format, files } => run_analyze(format, &files),
        Command::Explain { code } => run_explain(&code),
        Command::Trace {
            from,
            to,
            resolver,
            format,
            files,
        } => {
            let resolver = match resolver {
                ResolverArg::Glibc => Resolver::Glibc,
                ResolverArg::Musl => Resolver::Musl,
                ResolverArg::Go => Resolver::Go,
                ResolverArg::Busybox => Resolver::Busybox,
            };
            let request = Request {
                from: from.to_string(),
                to,
                resolver,
            };
            run_trace(&request, format, &files)
        }
        Command::Walk {
            src,
            dst,
            port,
            protocol,
            hook,
            node_ips,
            format,
            files,
        } => {
            let hook = match hook {
                HookArg::Prerouting => Hook::Prerouting,
                HookArg::Output => Hook::Output,
            };
            let packet = Packet::new(src, dst, &protocol, port, hook);
            run_walk(&packet, node_ips, format, &files)
        }
    }
}

fn run_walk(
    packet: &Packet,
    node_ips: Vec<std::net::IpAddr>,
    format: Format,
    files: &[String],
) -> ExitCode {
    let node = NodeContext {
        local_addresses: node_ips,
    };
    let mut walks = Vec::new();
    for path in files {
        let bytes = match read_input(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("dnatlas: cannot read {path:?}: {error}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };
        let ruleset = match dnatlas_core::detect(&bytes) {
            Kind::IptablesSave => dnatlas_core::source::iptables::parse(&bytes).value,
            Kind::IptablesList => dnatlas_core::source::iptables_list::parse(&bytes).value,
            _ => {
                eprintln!("dnatlas: {path:?} is not an iptables-save dump or iptables -L listing");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };
        walks.push((path.clone(), walk(&ruleset, packet, &node)));
    }
    let output = match format {
        Format::Json => {
            let value = serde_json::json!({
                "schema": "dnatlas.walk/1",
                "packet": packet,
                "nodes": walks.iter().map(|(source, outcomes)| serde_json::json!({"source": source, "outcomes": outcomes})).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Text => render::walks(packet, &walks),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    ExitCode::SUCCESS
}

/// Exit status 0 for a completed trace, 1 when the lookup or the connection fails, 2 when the request or an input
/// cannot be used.
fn run_trace(request: &Request, format: Format, files: &[String]) -> ExitCode {
    let inputs = match read_inputs(files) {
        Ok(inputs) => inputs,
        Err(exit) => return exit,
    };
    let sources: Vec<Source<'_>> = inputs
        .iter()
        .map(|(name, bytes)| Source::new(name, bytes))
        .collect();
    let result = trace(&sources, request, &Options::default());
    let output = match format {
        Format::Json => match serde_json::to_string_pretty(&result) {
            Ok(json) => json + "\n",
            Err(error) => {
                eprintln!("dnatlas: cannot write JSON: {error}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        },
        Format::Text => render::trace(&result),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    if let Some(unknown) = result.sources.iter().find(|s| s.kind == Kind::Unknown) {
        eprintln!(
            "dnatlas: {:?} is not a kind of input dnatlas reads",
            unknown.name
        );
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if result.status.is_bad_request() {
        eprintln!(
            "dnatlas: {}",
            result
                .error
                .as_deref()
                .unwrap_or("the request cannot be traced")
        );
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if result.status.is_failure() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_explain(code: &str) -> ExitCode {
    match dnatlas_core::lint::explain(code) {
        Some(doc) => {
            print!("{}", doc.render());
            ExitCode::SUCCESS
        }
        None => {
            let codes: Vec<&str> = dnatlas_core::lint::docs().map(|d| d.code).collect();
            eprintln!(
                "dnatlas: no finding code {code:?}; the codes are:\n  {}",
                codes.join("\n  ")
            );
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

fn read_input(path: &str) -> std::io::Result<Vec<u8>> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

/// Every file's bytes with its name, or exit status 2 (reported) for the first that cannot be read.
fn read_inputs(files: &[String]) -> Result<Vec<(&str, Vec<u8>)>, ExitCode> {
    files
        .iter()
        .map(|path| match read_input(path) {
            Ok(bytes) => Ok((path.as_str(), bytes)),
            Err(error) => {
                eprintln!("dnatlas: cannot read {path:?}: {error}");
                Err(ExitCode::from(EXIT_UNUSABLE))
            }
        })
        .collect()
}

fn run_analyze(format: ReportFormat, files: &[String]) -> ExitCode {
    let inputs = match read_inputs(files) {
        Ok(inputs) => inputs,
        Err(exit) => return exit,
    };
    let sources: Vec<Source<'_>> = inputs
        .iter()
        .map(|(name, bytes)| Source::new(name, bytes))
        .collect();
    let analysis = analyze(&sources, &Options::default());
    let output = match format {
        ReportFormat::Json => match serde_json::to_string_pretty(&analysis) {
            Ok(json) => json + "\n",
            Err(error) => {
                eprintln!("dnatlas: cannot write JSON: {error}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        },
        ReportFormat::Text => render::analysis(&analysis),
        ReportFormat::Markdown => dnatlas_core::report::markdown(&analysis, &sources) + "\n",
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    if let Some(unknown) = analysis.sources.iter().find(|s| s.kind == Kind::Unknown) {
        eprintln!(
            "dnatlas: {:?} is not a kind of input dnatlas reads",
            unknown.name
        );
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if analysis.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
