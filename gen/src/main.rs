//! `dnatlas-gen`: writes a realistic kube-proxy `iptables-save` dump of a node with many Services to standard output
//! (or a file), for benchmarks: `dnatlas-gen --services 10000 > node.txt`; and, with `capture`, a DNS capture of
//! pods resolving names on a node: `dnatlas-gen capture --packets 176000 --link sll2 --format pcap > dns.pcap`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use dnatlas_gen::capture::{self, CaptureConfig, Format, Link};
use dnatlas_gen::{generate, Config, EndpointCount};

/// Write a kube-proxy (iptables mode, ≈1.28+) `iptables-save` dump of a node serving many Services, or (with
/// `capture`) a DNS capture.
#[derive(Debug, Parser)]
#[command(name = "dnatlas-gen", version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    dump: DumpArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a DNS capture (pcap, pcapng or tcpdump text) of pods resolving names on a node.
    Capture(Box<CaptureArgs>),
    /// Write the hostile-input catalogue: each case's input in `DIR/<case>/<file>`, and `DIR/cases.json` with
    /// what dnatlas must say about each.
    Hostile {
        /// The directory to write (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct DumpArgs {
    /// Number of Service objects (each has one to three ports).
    #[arg(long, default_value_t = 10_000)]
    services: usize,
    /// Seed of the pseudo-random mix; the same arguments always give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Endpoints per Service with endpoints: N, MIN-MAX (uniform) or MIN-MAX^SKEW (skewed towards MIN).
    #[arg(long, default_value = "1-8^2")]
    endpoints: EndpointCount,
    /// Percentage of Services with no endpoints (filter REJECT rules only).
    #[arg(long, default_value_t = 2)]
    empty_percent: u32,
    /// Leave the comments off KUBE-SVC→KUBE-SEP and KUBE-SEP rules, as kube-proxy does in large-cluster mode.
    #[arg(long)]
    no_endpoint_comments: bool,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Print the numbers of Services, ports, endpoints, chains, rules and bytes to standard error.
    #[arg(long)]
    stats: bool,
}

/// The output of `capture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Pcap,
    Pcapng,
    /// `tcpdump -n` text.
    Text,
}

/// Each option overrides the same field of `--config` (or of the defaults).
#[derive(Debug, clap::Args)]
struct CaptureArgs {
    /// A JSON generator configuration: a fixture's `case.json` (its `capture` object) or the object itself.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(long)]
    packets: Option<u64>,
    /// Stop after this many lookups.
    #[arg(long)]
    lookups: Option<u64>,
    /// Seed of the pseudo-random choices.
    #[arg(long)]
    seed: Option<u64>,
    /// pcap, pcapng or text.
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// ethernet, sll, sll2 or raw.
    #[arg(long)]
    link: Option<Link>,
    /// pcapng: a second interface with this framing (every other pod is captured on it).
    #[arg(long)]
    second_link: Option<Link>,
    /// An 802.1Q VLAN tag on Ethernet frames.
    #[arg(long)]
    vlan: Option<u16>,
    /// Nanosecond timestamps.
    #[arg(long)]
    nanos: bool,
    /// Big-endian file.
    #[arg(long)]
    big_endian: bool,
    /// An IPv6 cluster.
    #[arg(long)]
    ipv6: bool,
    /// Client pods.
    #[arg(long)]
    pods: Option<u32>,
    /// Lookups started per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Probability that a query is dropped after the capture point.
    #[arg(long)]
    query_loss: Option<f64>,
    /// Probability that a reply is lost before the capture point.
    #[arg(long)]
    reply_loss: Option<f64>,
    /// Probability that a reply comes from the CoreDNS pod instead of the Service VIP.
    #[arg(long)]
    wrong_source: Option<f64>,
    /// Probability of SERVFAIL for names outside the cluster.
    #[arg(long)]
    servfail: Option<f64>,
    /// Probability of REFUSED.
    #[arg(long)]
    refused: Option<f64>,
    /// Share of lookups for the large headless Service (truncated UDP answers).
    #[arg(long)]
    truncation: Option<f64>,
    /// Share of musl pods that retry truncated answers over TCP.
    #[arg(long)]
    tcp_fallback: Option<f64>,
    /// Probability that a DNS message over TCP is split across segments.
    #[arg(long)]
    tcp_split: Option<f64>,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Print the numbers of packets, DNS messages, lookups and bytes to standard error.
    #[arg(long)]
    stats: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Capture(capture)) => run_capture(*capture),
        Some(Command::Hostile { out }) => run_hostile(&out),
        None => run_dump(args.dump),
    }
}

fn write_out(
    output: Option<&PathBuf>,
    run: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> ExitCode {
    let written = match output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            run(&mut w).and_then(|()| w.flush())
        }),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            run(&mut out).and_then(|()| out.flush())
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("dnatlas-gen: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("dnatlas-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_hostile(out: &std::path::Path) -> ExitCode {
    let cases = dnatlas_gen::hostile::catalogue();
    let written = (|| -> std::io::Result<()> {
        for case in &cases {
            let dir = out.join(&case.name);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(&case.file), &case.bytes)?;
        }
        let manifest = serde_json::to_string_pretty(&cases).map_err(std::io::Error::other)?;
        std::fs::write(out.join("cases.json"), manifest + "\n")
    })();
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dnatlas-gen: cannot write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn run_dump(args: DumpArgs) -> ExitCode {
    if args.empty_percent > 100 {
        eprintln!("dnatlas-gen: --empty-percent must be at most 100");
        return ExitCode::from(2);
    }
    let dump = generate(&Config {
        services: args.services,
        seed: args.seed,
        endpoints: args.endpoints,
        empty_percent: args.empty_percent,
        endpoint_comments: !args.no_endpoint_comments,
    });
    if args.stats {
        eprintln!(
            "services {}  ports {}  endpoints {}  chains {}  rules {}  bytes {} ({:.1} MB)",
            dump.services,
            dump.ports.len(),
            dump.endpoint_count(),
            dump.chain_count(),
            dump.rule_count(),
            dump.text.len(),
            dump.text.len() as f64 / 1e6
        );
    }
    write_out(args.output.as_ref(), |w| w.write_all(dump.text.as_bytes()))
}

/// Reads `--config`: a `case.json` with a `capture` object, or the configuration object itself.
fn read_config(path: &PathBuf) -> Result<CaptureConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let object = value.get("capture").cloned().unwrap_or(value);
    serde_json::from_value(object).map_err(|e| format!("{}: {e}", path.display()))
}

fn run_capture(args: CaptureArgs) -> ExitCode {
    let mut config = match &args.config {
        Some(path) => match read_config(path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("dnatlas-gen: {e}");
                return ExitCode::from(2);
            }
        },
        None => CaptureConfig {
            packets: 10_000,
            ..CaptureConfig::default()
        },
    };
    macro_rules! set {
        ($($field:ident),*) => {$(if let Some(v) = args.$field { config.$field = v; })*};
    }
    set!(
        packets,
        lookups,
        seed,
        link,
        pods,
        rate,
        query_loss,
        reply_loss,
        wrong_source,
        servfail,
        refused,
        truncation,
        tcp_fallback,
        tcp_split
    );
    if args.second_link.is_some() {
        config.second_link = args.second_link;
    }
    if args.vlan.is_some() {
        config.vlan = args.vlan;
    }
    config.nanos |= args.nanos;
    config.big_endian |= args.big_endian;
    config.ipv6 |= args.ipv6;
    let text = match args.format {
        Some(OutputFormat::Text) => true,
        Some(OutputFormat::Pcap) => {
            config.format = Format::Pcap;
            false
        }
        Some(OutputFormat::Pcapng) => {
            config.format = Format::Pcapng;
            false
        }
        None => false,
    };
    let stats_wanted = args.stats;
    write_out(args.output.as_ref(), |w| {
        let stats = if text {
            capture::write_text(&config, &mut &mut *w)?
        } else {
            capture::write(&config, &mut &mut *w)?
        };
        if stats_wanted {
            eprintln!(
                "packets {}  dns messages {}  lookups {}  bytes {} ({:.1} MB, {:.1} bytes per packet)",
                stats.packets,
                stats.dns_messages,
                stats.lookups,
                stats.bytes,
                stats.bytes as f64 / 1e6,
                stats.bytes as f64 / stats.packets.max(1) as f64
            );
        }
        Ok(())
    })
}
