//! Peak heap and wall time of `analyze` on generated kube-proxy dumps of 1,000, 10,000 and 50,000 Services, or on
//! the dumps named on the command line; with `captures`, on generated DNS captures of 176,000 and 1,000,000
//! packets (pcap, LINUX_SLL2, `dnatlas-gen`'s default traffic mix).
//!
//! `cargo run --release -p dnatlas-core --example peak_memory [FILE...]`
//! `cargo run --release -p dnatlas-core --example peak_memory captures [FILE...]`
//!
//! The heap is counted by a wrapper around the system allocator (`cap`), which tracks the bytes currently allocated
//! and their maximum. Each input is measured in a fresh child process, so that generating the dump and earlier
//! inputs do not count: the child reads the file (one exact-size allocation), notes what is allocated, runs
//! `analyze` once and reports the maximum above that. `peak/input` is that maximum over the input's size; the input
//! itself is not counted in it. `VmHWM` is the child's peak resident set, input and binary included. For captures
//! the table shows the whole peak heap (input included) and the peak minus the input: what reading the capture
//! costs, which should not grow with the number of packets beyond the transactions kept.

use std::alloc::System;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use cap::Cap;
use dnatlas_core::{analyze, Options, Source};
use dnatlas_gen::capture::{self, CaptureConfig};
use dnatlas_gen::{generate, Config};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const MB: f64 = 1e6;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, file] = args.as_slice() {
        if flag == "--measure" {
            return measure(Path::new(file));
        }
        if flag == "--measure-capture" {
            return measure_capture(Path::new(file));
        }
    }
    if args.first().is_some_and(|a| a == "captures") {
        args.remove(0);
        return captures(&args);
    }
    let files: Vec<PathBuf> = if args.is_empty() {
        match generated_dumps() {
            Ok(files) => files,
            Err(e) => {
                eprintln!("peak_memory: cannot write the generated dumps: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>10} {:>11} {:>9} {:>9} {:>9}",
        "input",
        "input MB",
        "rules",
        "services",
        "peak MB",
        "peak/input",
        "VmHWM MB",
        "time ms",
        "MB/s"
    );
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("peak_memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    for file in &files {
        let output = Command::new(&exe).arg("--measure").arg(file).output();
        match output {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => {
                eprintln!(
                    "peak_memory: measuring {} failed: {}",
                    file.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("peak_memory: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The capture table: each capture measured in a fresh child process.
fn captures(args: &[String]) -> ExitCode {
    let files: Vec<PathBuf> = if args.is_empty() {
        match generated_captures() {
            Ok(files) => files,
            Err(e) => {
                eprintln!("peak_memory: cannot write the generated captures: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    println!(
        "{:<28} {:>10} {:>12} {:>14} {:>11} {:>9} {:>9} {:>9}",
        "capture",
        "input MB",
        "peak heap MB",
        "peak-input MB",
        "peak/input",
        "VmHWM MB",
        "time ms",
        "MB/s"
    );
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("peak_memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    for file in &files {
        match Command::new(&exe)
            .arg("--measure-capture")
            .arg(file)
            .output()
        {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => {
                eprintln!(
                    "peak_memory: measuring {} failed: {}",
                    file.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("peak_memory: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Writes the 176,000- and 1,000,000-packet captures to the temporary directory (once; later runs reuse them).
/// The generator streams, so writing them takes little memory.
fn generated_captures() -> std::io::Result<Vec<PathBuf>> {
    let dir = std::env::temp_dir().join("dnatlas-peak-memory");
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::new();
    for packets in [176_000, 1_000_000] {
        let config = CaptureConfig {
            packets,
            ..CaptureConfig::default()
        };
        let path = dir.join(format!("dns-{packets}-seed{}.pcap", config.seed));
        if !path.exists() {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            capture::write(&config, &mut out)?;
            std::io::Write::flush(&mut out)?;
        }
        files.push(path);
    }
    Ok(files)
}

/// In the child: one analysis of one capture.
fn measure_capture(file: &Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let before = ALLOCATOR.allocated();
    let start = Instant::now();
    let analysis = analyze(&[Source::new(&name, &bytes)], &Options::default());
    let elapsed = start.elapsed();
    let peak = ALLOCATOR.max_allocated();
    drop(analysis);
    let input = bytes.len() as f64;
    let above = peak.saturating_sub(before) as f64;
    println!(
        "{:<28} {:>10.1} {:>12.1} {:>14.1} {:>11.2} {:>9} {:>9.1} {:>9.0}",
        name,
        input / MB,
        peak as f64 / MB,
        above / MB,
        above / input,
        vm_hwm_mb().map_or_else(|| "-".to_string(), |m| format!("{m:.1}")),
        elapsed.as_secs_f64() * 1e3,
        input.min(dnatlas_core::MAX_SOURCE_BYTES as f64) / MB / elapsed.as_secs_f64(),
    );
    ExitCode::SUCCESS
}

/// Writes the 1k, 10k and 50k dumps to the temporary directory (once; later runs reuse them).
fn generated_dumps() -> std::io::Result<Vec<PathBuf>> {
    let dir = std::env::temp_dir().join("dnatlas-peak-memory");
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::new();
    for services in [1_000, 10_000, 50_000] {
        let config = Config {
            services,
            ..Config::default()
        };
        let path = dir.join(format!("node-{services}-seed{}.txt", config.seed));
        if !path.exists() {
            std::fs::write(&path, generate(&config).text)?;
        }
        files.push(path);
    }
    Ok(files)
}

/// In the child: one analysis of one file.
fn measure(file: &Path) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let before = ALLOCATOR.allocated();
    let start = Instant::now();
    let analysis = analyze(&[Source::new(&name, &bytes)], &Options::default());
    let elapsed = start.elapsed();
    let peak = ALLOCATOR.max_allocated().saturating_sub(before);
    let counts = analysis
        .sources
        .first()
        .map(|s| s.counts)
        .unwrap_or_default();
    drop(analysis);
    let input = bytes.len() as f64;
    println!(
        "{:<28} {:>10.1} {:>9} {:>9} {:>10.1} {:>11.2} {:>9} {:>9.1} {:>9.0}",
        name,
        input / MB,
        counts.rules,
        counts.services,
        peak as f64 / MB,
        peak as f64 / input,
        vm_hwm_mb().map_or_else(|| "-".to_string(), |m| format!("{m:.1}")),
        elapsed.as_secs_f64() * 1e3,
        input.min(dnatlas_core::MAX_SOURCE_BYTES as f64) / MB / elapsed.as_secs_f64(),
    );
    ExitCode::SUCCESS
}

/// The process's peak resident set (Linux `/proc/self/status`), in MB.
fn vm_hwm_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / MB)
}
