//! `dnatlas-gen`: writes a realistic kube-proxy `iptables-save` dump of a node with many Services to standard output
//! (or a file), for benchmarks: `dnatlas-gen --services 10000 > node.txt`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use dnatlas_gen::{generate, Config, EndpointCount};

/// Write a kube-proxy (iptables mode, ≈1.28+) `iptables-save` dump of a node serving many Services.
#[derive(Debug, Parser)]
#[command(name = "dnatlas-gen", version)]
struct Args {
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

fn main() -> ExitCode {
    let args = Args::parse();
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
    let written = match &args.output {
        Some(path) => std::fs::write(path, dump.text.as_bytes()),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(dump.text.as_bytes())
                .and_then(|()| out.flush())
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dnatlas-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
