//! `dnatlas`: the analysis of dnatlas-core in a terminal, as text for a ticket or JSON for scripts.

mod render;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dnatlas_core::dns::plan::Resolver;
use dnatlas_core::simulate::netfilter::{Hook, NodeContext, Packet};
use dnatlas_core::trace::{trace_analyzed, Request};
use dnatlas_core::{analyze, Kind, Options, Source, SourceReport, MAX_SOURCE_BYTES};

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
        #[command(flatten)]
        input: InputOptions,
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
        #[command(flatten)]
        input: InputOptions,
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
        #[command(flatten)]
        input: InputOptions,
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

/// How inputs are read: the same for `analyze`, `trace` and `walk`.
#[derive(Debug, Args)]
struct InputOptions {
    /// Read inputs as KIND instead of detecting their kind (as the page's kind menu does). `--kind KIND` applies
    /// to every FILE; `--kind KIND=FILE` to one FILE, written as on the command line (`--kind resolv-conf=-` for
    /// standard input); repeat it for several files. A KIND=FILE wins over a bare KIND. KIND is one of
    /// iptables-save, iptables-list, kubectl, resolv-conf, tcpdump, pcap, pcapng, corefile.
    #[arg(long = "kind", value_name = "KIND[=FILE]", value_parser = parse_kind_arg)]
    kinds: Vec<KindArg>,
    /// Read at most BYTES of each input (256 MiB by default). Reading stops one byte past it: a larger input is
    /// reported (`input-too-large`), analysed as far as the cap, and makes the exit status 2.
    #[arg(
        long = "max-bytes",
        value_name = "BYTES",
        default_value_t = MAX_SOURCE_BYTES as u64,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    max_bytes: u64,
}

/// One `--kind`: a kind for every file, or for the file named.
#[derive(Debug, Clone)]
struct KindArg {
    kind: Kind,
    file: Option<String>,
}

/// The kinds `--kind` accepts, by their JSON names.
const KINDS: [Kind; 8] = [
    Kind::IptablesSave,
    Kind::IptablesList,
    Kind::Kubectl,
    Kind::ResolvConf,
    Kind::Tcpdump,
    Kind::Pcap,
    Kind::Pcapng,
    Kind::Corefile,
];

fn parse_kind_arg(text: &str) -> Result<KindArg, String> {
    let (name, file) = match text.split_once('=') {
        Some((name, file)) => (name, Some(file)),
        None => (text, None),
    };
    let names = || {
        KINDS
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(kind) = KINDS.iter().copied().find(|k| k.as_str() == name) else {
        return Err(format!("`{name}` is not a kind; the kinds are {}", names()));
    };
    match file {
        Some("") => Err(format!("`{text}` names no file after `=`")),
        Some(file) => Ok(KindArg {
            kind,
            file: Some(file.to_string()),
        }),
        None => Ok(KindArg { kind, file: None }),
    }
}

impl InputOptions {
    /// The analysis options these imply.
    fn options(&self) -> Options {
        Options {
            max_source_bytes: usize::try_from(self.max_bytes).unwrap_or(usize::MAX),
            ..Options::default()
        }
    }

    /// The kind forced on each of `files` (`None`: detected), or why the `--kind` options cannot be used.
    fn kinds(&self, files: &[String]) -> Result<Vec<Option<Kind>>, String> {
        let mut every: Option<Kind> = None;
        for k in self.kinds.iter().filter(|k| k.file.is_none()) {
            if every.is_some_and(|e| e != k.kind) {
                return Err(format!(
                    "--kind {} and --kind {} both apply to every file; name the file of one (`--kind KIND=FILE`)",
                    every.map_or("", Kind::as_str),
                    k.kind.as_str()
                ));
            }
            every = Some(k.kind);
        }
        let mut kinds = vec![every; files.len()];
        let mut chosen: Vec<Option<Kind>> = vec![None; files.len()];
        for k in &self.kinds {
            let Some(file) = &k.file else { continue };
            let mut named = false;
            for (i, f) in files.iter().enumerate() {
                if f != file {
                    continue;
                }
                named = true;
                if let Some(Some(other)) = chosen.get(i).filter(|c| c.is_some_and(|c| c != k.kind))
                {
                    return Err(format!(
                        "--kind gives {file:?} two kinds: {} and {}",
                        other.as_str(),
                        k.kind.as_str()
                    ));
                }
                if let (Some(c), Some(slot)) = (chosen.get_mut(i), kinds.get_mut(i)) {
                    *c = Some(k.kind);
                    *slot = Some(k.kind);
                }
            }
            if !named {
                return Err(format!(
                    "--kind {}={file:?}: {file:?} is not one of the FILE arguments ({})",
                    k.kind.as_str(),
                    files
                        .iter()
                        .map(|f| format!("{f:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(kinds)
    }

    /// Every file read (at most the cap and one byte, see [`read_inputs`]) with the kind forced on it, or exit
    /// status 2 (reported) for a `--kind` that cannot be used or a file that cannot be read.
    fn read<'a>(&self, files: &'a [String]) -> Result<Inputs<'a>, ExitCode> {
        let kinds = match self.kinds(files) {
            Ok(kinds) => kinds,
            Err(message) => {
                eprintln!("dnatlas: {}", render::inert(&message));
                return Err(ExitCode::from(EXIT_UNUSABLE));
            }
        };
        let options = self.options();
        let read = read_inputs(files, options.max_source_bytes)?;
        Ok(Inputs {
            read,
            kinds,
            options,
        })
    }
}

/// The inputs of one command, read.
struct Inputs<'a> {
    /// Each file's name and bytes.
    read: Vec<(&'a str, Vec<u8>)>,
    /// The kind forced on each (`None`: detected).
    kinds: Vec<Option<Kind>>,
    options: Options,
}

impl Inputs<'_> {
    /// The core's view of them.
    fn sources(&self) -> Vec<Source<'_>> {
        self.read
            .iter()
            .zip(&self.kinds)
            .map(|((name, bytes), kind)| Source {
                name,
                bytes,
                kind: *kind,
            })
            .collect()
    }
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
        Command::Analyze {
            format,
            input,
            files,
        } => run_analyze(format, &input, &files),
        Command::Explain { code } => run_explain(&code),
        Command::Trace {
            from,
            to,
            resolver,
            format,
            input,
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
            run_trace(&request, format, &input, &files)
        }
        Command::Walk {
            src,
            dst,
            port,
            protocol,
            hook,
            node_ips,
            format,
            input,
            files,
        } => {
            let hook = match hook {
                HookArg::Prerouting => Hook::Prerouting,
                HookArg::Output => Hook::Output,
            };
            let packet = Packet::new(src, dst, &protocol, port, hook);
            run_walk(&packet, node_ips, format, &input, &files)
        }
    }
}

/// Writes `output` to standard output; a closed pipe (`| head`) is not an error worth reporting.
fn print(output: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
}

/// Names on standard error each input that could not be used, and why; whether there was one.
fn report_unusable(unusable: &[(&str, String)]) -> bool {
    for (name, why) in unusable {
        eprintln!(
            "dnatlas: {} cannot be used: {}",
            render::inert(&format!("{name:?}")),
            render::inert(why)
        );
    }
    !unusable.is_empty()
}

/// Walks the packet through every node input. Each input is analysed alone (its kind, its diagnostics, whether it
/// can be used: the same as `analyze` says of it) and then parsed for the walk, so one input's memory is freed
/// before the next.
fn run_walk(
    packet: &Packet,
    node_ips: Vec<std::net::IpAddr>,
    format: Format,
    input: &InputOptions,
    files: &[String],
) -> ExitCode {
    let node = NodeContext {
        local_addresses: node_ips,
    };
    let inputs = match input.read(files) {
        Ok(inputs) => inputs,
        Err(exit) => return exit,
    };
    let limit = inputs.options.max_source_bytes;
    let mut walks = Vec::new();
    let mut reports: Vec<SourceReport> = Vec::new();
    let mut unusable: Vec<(String, String)> = Vec::new();
    for source in inputs.sources() {
        let analysis = analyze(&[source], &inputs.options);
        unusable.extend(
            analysis
                .unusable()
                .into_iter()
                .map(|(name, why)| (name.to_string(), why)),
        );
        let Some(report) = analysis.sources.into_iter().next() else {
            continue;
        };
        // The bytes the analysis read: at most the cap, decoded as it decodes them (UTF-16, CR-only line ends).
        let bytes =
            dnatlas_core::text::normalise(source.bytes.get(..limit).unwrap_or(source.bytes));
        let outcomes = match report.kind {
            Kind::Unknown => continue,
            kind => dnatlas_core::walk::walk_input(&bytes, kind, packet, &node),
        };
        let Some(outcomes) = outcomes else {
            unusable.push((
                source.name.to_string(),
                format!(
                    "it is {} input, not an iptables-save dump or iptables -L listing",
                    report.kind.as_str()
                ),
            ));
            continue;
        };
        walks.push((source.name.to_string(), outcomes));
        reports.push(report);
    }
    let output = match format {
        Format::Json => dnatlas_core::walk::Walk::new(
            packet,
            walks
                .iter()
                .zip(&reports)
                .map(
                    |((source, outcomes), report)| dnatlas_core::walk::NodeWalk {
                        source,
                        kind: report.kind,
                        diagnostics: &report.diagnostics,
                        outcomes,
                    },
                )
                .collect(),
        )
        .to_json(),
        Format::Text => {
            render::inert(&(render::walks(packet, &walks) + &render::input_diagnostics(&reports)))
                .into_owned()
        }
    };
    print(&output);
    let unusable: Vec<(&str, String)> = unusable
        .iter()
        .map(|(name, why)| (name.as_str(), why.clone()))
        .collect();
    if report_unusable(&unusable) {
        return ExitCode::from(EXIT_UNUSABLE);
    }
    ExitCode::SUCCESS
}

/// Exit status 0 for a completed trace, 1 when the lookup or the connection fails, 2 when the request or an input
/// cannot be used.
fn run_trace(
    request: &Request,
    format: Format,
    input: &InputOptions,
    files: &[String],
) -> ExitCode {
    let inputs = match input.read(files) {
        Ok(inputs) => inputs,
        Err(exit) => return exit,
    };
    let sources = inputs.sources();
    let analysis = analyze(&sources, &inputs.options);
    let result = trace_analyzed(&sources, &analysis, request, &inputs.options);
    let output = match format {
        Format::Json => match serde_json::to_string_pretty(&result) {
            Ok(json) => json + "\n",
            Err(error) => {
                eprintln!("dnatlas: cannot write JSON: {error}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        },
        Format::Text => render::inert(&render::trace(&result)).into_owned(),
    };
    print(&output);
    let unusable = report_unusable(&analysis.unusable());
    if result.status.is_bad_request() {
        eprintln!(
            "dnatlas: {}",
            render::inert(
                result
                    .error
                    .as_deref()
                    .unwrap_or("the request cannot be traced")
            )
        );
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if unusable {
        ExitCode::from(EXIT_UNUSABLE)
    } else if result.status.is_failure() {
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
                "dnatlas: no finding code {}; the codes are:\n  {}",
                render::inert(&format!("{code:?}")),
                codes.join("\n  ")
            );
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

/// Reads at most `cap + 1` bytes of `path` (`-` is standard input): enough for the analysis to see that an input
/// is larger than the cap and say so, without holding more of it (`/dev/zero`, a 2 GB file) in memory.
fn read_input(path: &str, cap: usize) -> std::io::Result<Vec<u8>> {
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)?;
    } else {
        let file = std::fs::File::open(path)?;
        // A regular file says its size: one allocation of the bytes that will be read.
        if let Ok(size) = file.metadata().map(|m| m.len()) {
            bytes.reserve_exact(usize::try_from(size.min(limit)).unwrap_or(0));
        }
        file.take(limit).read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Every file's bytes (at most `cap + 1` of each, see [`read_input`]) with its name, or exit status 2 (reported)
/// for the first that cannot be read. `analyze`, `trace` and `walk` read their inputs through this.
fn read_inputs(files: &[String], cap: usize) -> Result<Vec<(&str, Vec<u8>)>, ExitCode> {
    files
        .iter()
        .map(|path| match read_input(path, cap) {
            Ok(bytes) => Ok((path.as_str(), bytes)),
            Err(error) => {
                eprintln!(
                    "dnatlas: cannot read {}: {error}",
                    render::inert(&format!("{path:?}"))
                );
                Err(ExitCode::from(EXIT_UNUSABLE))
            }
        })
        .collect()
}

fn run_analyze(format: ReportFormat, input: &InputOptions, files: &[String]) -> ExitCode {
    let inputs = match input.read(files) {
        Ok(inputs) => inputs,
        Err(exit) => return exit,
    };
    let sources = inputs.sources();
    let analysis = analyze(&sources, &inputs.options);
    let output = match format {
        ReportFormat::Json => match serde_json::to_string_pretty(&analysis) {
            Ok(json) => json + "\n",
            Err(error) => {
                eprintln!("dnatlas: cannot write JSON: {error}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        },
        ReportFormat::Text => render::inert(&render::analysis(&analysis)).into_owned(),
        ReportFormat::Markdown => {
            render::inert(&dnatlas_core::report::markdown(&analysis, &sources)).into_owned() + "\n"
        }
    };
    print(&output);
    if report_unusable(&analysis.unusable()) {
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if analysis.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
