//! The hostile-input catalogue (`dnatlas_gen::hostile`) through the `dnatlas` binary as a user runs it: every case
//! through `analyze` (JSON, text and Markdown), `walk` and `trace`, each run bounded in CPU time (2 s) and memory
//! (measured by GNU time's maximum resident set; the process also runs under an address-space limit so a runaway
//! fails instead of swapping), with what the case says must be said asserted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dnatlas_gen::hostile::{catalogue, Case};
use serde_json::Value;

/// CPU seconds (user + system) a run may take.
const MAX_CPU_SECONDS: f64 = 2.0;
/// Kilobytes of resident memory a run may take.
const MAX_RSS_KB: u64 = 1024 * 1024;
/// Address space a run may map (a runaway allocation fails here instead of exhausting the machine).
const ADDRESS_SPACE: &str = "--as=4294967296";
/// Bytes a run may print: 16 MB (a walk lists at most 512 outcomes of at most 96 steps: about 11 MB of JSON), or
/// 16 per byte of input (a capture's transactions and a large node's Services are listed in full); a loop or an
/// amplification shows up as output past it.
fn max_output(input: usize) -> usize {
    (16 * 1024 * 1024).max(16 * input)
}

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    cpu: f64,
    rss_kb: u64,
}

/// Runs `dnatlas ARGS` under GNU time and an address-space limit; a run still going after 60 s is killed.
fn dnatlas(args: &[&str]) -> Run {
    let stats = tempfile("time");
    let mut child = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&stats)
        .args(["-f", "%U %S %M", "prlimit", ADDRESS_SPACE, "--"])
        .arg(env!("CARGO_BIN_EXE_dnatlas"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("GNU time (/usr/bin/time) and prlimit run dnatlas");
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || read_all(stdout));
    let err = std::thread::spawn(move || read_all(stderr));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("dnatlas {args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let measured = std::fs::read_to_string(&stats).unwrap_or_default();
    let _ = std::fs::remove_file(&stats);
    // GNU time writes "Command exited with non-zero status N" first when it did.
    let last = measured.lines().last().unwrap_or_default();
    let fields: Vec<&str> = last.split_whitespace().collect();
    let cpu = fields
        .first()
        .and_then(|f| f.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(1)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0);
    let rss_kb = fields.get(2).and_then(|f| f.parse().ok()).unwrap_or(0);
    Run {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        cpu,
        rss_kb,
    }
}

fn read_all(mut from: impl std::io::Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = from.read_to_end(&mut bytes);
    bytes
}

fn tempfile(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "dnatlas-hostile-{}-{}-{what}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes every case's file into a fresh directory; returns each case with its path.
fn written() -> (PathBuf, Vec<(Case, PathBuf)>) {
    let dir = tempfile("cases");
    let mut out = Vec::new();
    for case in catalogue() {
        let case_dir = dir.join(&case.name);
        std::fs::create_dir_all(&case_dir).unwrap();
        let path = case_dir.join(&case.file);
        std::fs::write(&path, &case.bytes).unwrap();
        out.push((case, path));
    }
    (dir, out)
}

/// Checks a run's bounds; returns a problem, if any.
fn bounded(case: &Case, what: &str, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    if run.cpu > MAX_CPU_SECONDS {
        problems.push(format!(
            "{}: {what} took {:.2} s of CPU",
            case.name, run.cpu
        ));
    }
    if run.rss_kb > MAX_RSS_KB {
        problems.push(format!(
            "{}: {what} used {} MB",
            case.name,
            run.rss_kb / 1024
        ));
    }
    if run.stdout.len() > max_output(case.bytes.len()) {
        problems.push(format!(
            "{}: {what} printed {} bytes",
            case.name,
            run.stdout.len()
        ));
    }
    if run.stderr.contains("panicked") || run.status.is_none() {
        problems.push(format!("{}: {what} crashed: {}", case.name, run.stderr));
    }
    problems
}

fn check_analysis(case: &Case, path: &Path) -> Vec<String> {
    let file = path.to_str().unwrap();
    let run = dnatlas(&["analyze", "--format", "json", file]);
    let mut problems = bounded(case, "analyze --format json", &run);
    let Ok(v) = serde_json::from_str::<Value>(&run.stdout) else {
        problems.push(format!(
            "{}: analyze printed no JSON: {}",
            case.name, run.stderr
        ));
        return problems;
    };
    let source = &v["sources"][0];
    let expect = &case.expect;
    if let Some(kind) = &expect.kind {
        if source["kind"] != kind.as_str() {
            problems.push(format!(
                "{}: read as {} instead of {kind}",
                case.name, source["kind"]
            ));
        }
    }
    let diagnostics = source["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for code in &expect.diagnostics {
        if !diagnostics.iter().any(|d| d["code"] == code.as_str()) {
            problems.push(format!(
                "{}: no {code} diagnostic among {:?}",
                case.name,
                diagnostics
                    .iter()
                    .map(|d| d["code"].to_string())
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(text) = &expect.message {
        let said = diagnostics.iter().any(|d| {
            d["message"]
                .as_str()
                .unwrap_or_default()
                .contains(text.as_str())
        });
        if !said {
            problems.push(format!(
                "{}: no diagnostic says {text:?}: {:?}",
                case.name,
                diagnostics
                    .iter()
                    .map(|d| d["message"].to_string())
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(max) = expect.max_diagnostics {
        if diagnostics.len() > max {
            problems.push(format!(
                "{}: {} diagnostics (at most {max})",
                case.name,
                diagnostics.len()
            ));
        }
    }
    for code in &expect.findings {
        let found = v["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["code"] == code.as_str()));
        if !found {
            problems.push(format!("{}: no {code} finding", case.name));
        }
    }
    if let Some(exit) = expect.exit {
        if run.status != Some(i32::from(exit)) {
            problems.push(format!(
                "{}: analyze exited {:?}, not {exit}",
                case.name, run.status
            ));
        }
    }
    // Text and Markdown: bounded, and nothing from the input live (HTML, terminal escapes).
    for format in ["text", "markdown"] {
        let run = dnatlas(&["analyze", "--format", format, file]);
        problems.extend(bounded(case, &format!("analyze --format {format}"), &run));
        // Inside a fenced block Markdown shows text as it is; everywhere else it must be inert.
        let outside = if format == "markdown" {
            outside_fences(&run.stdout)
        } else {
            run.stdout.clone()
        };
        for never in &expect.never {
            let html = never.starts_with('<');
            if (format == "markdown" || !html) && outside.contains(never.as_str()) {
                problems.push(format!(
                    "{}: analyze --format {format} printed {never:?}",
                    case.name
                ));
            }
        }
    }
    problems
}

/// The lines of a Markdown document outside its fenced code blocks (a fence is three or more backticks or tildes,
/// closed by a fence of the same character at least as long).
fn outside_fences(markdown: &str) -> String {
    let mut out = String::new();
    let mut open: Option<(char, usize)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let fence = ['`', '~'].into_iter().find_map(|c| {
            let n = trimmed.chars().take_while(|&x| x == c).count();
            (n >= 3).then_some((c, n))
        });
        match (open, fence) {
            (None, Some(f)) => open = Some(f),
            (Some((c, n)), Some((c2, n2)))
                if c == c2 && n2 >= n && trimmed.trim_end().len() == n2 =>
            {
                open = None
            }
            (None, None) => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

fn check_walk(case: &Case, path: &Path) -> Vec<String> {
    let file = path.to_str().unwrap();
    let Some(walk) = &case.expect.walk else {
        // Every case is still walked once, bounded, whatever it is.
        let run = dnatlas(&[
            "walk",
            "--src",
            "10.244.0.20",
            "--dst",
            "10.96.0.10",
            "--port",
            "53",
            file,
        ]);
        return bounded(case, "walk", &run);
    };
    let port = walk.port.to_string();
    let args = [
        "walk",
        "--src",
        &walk.src,
        "--dst",
        &walk.dst,
        "--port",
        &port,
        "--protocol",
        &walk.protocol,
    ];
    let mut problems = Vec::new();
    let text = dnatlas(&[&args[..], &[file]].concat());
    problems.extend(bounded(case, "walk", &text));
    let json = dnatlas(&[&args[..], &["--format", "json", file]].concat());
    problems.extend(bounded(case, "walk --format json", &json));
    let Ok(v) = serde_json::from_str::<Value>(&json.stdout) else {
        problems.push(format!(
            "{}: walk printed no JSON: {}",
            case.name, json.stderr
        ));
        return problems;
    };
    let outcomes = v["nodes"][0]["outcomes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total: f64 = outcomes
        .iter()
        .filter_map(|o| o["probability"].as_f64())
        .sum();
    if (total - 1.0).abs() > 1e-6 {
        problems.push(format!("{}: walk outcomes sum to {total}", case.name));
    }
    if let Some(reason) = &walk.stopped {
        let stopped = outcomes.iter().any(|o| {
            o["verdict"]["kind"] == "stopped" && o["verdict"]["reason"] == reason.as_str()
        });
        if !stopped {
            problems.push(format!(
                "{}: no walk outcome stopped for {reason}",
                case.name
            ));
        }
    }
    if let Some(never) = &walk.never {
        let there = outcomes.iter().any(|o| {
            o["destination"] == never.as_str() || o["probability"].as_f64().is_none_or(f64::is_nan)
        }) || text.stdout.contains(&format!("DNAT to {never}"))
            || text.stdout.contains("NaN");
        if there {
            problems.push(format!(
                "{}: walk goes to {never:?}:\n{}",
                case.name, text.stdout
            ));
        }
    }
    if json.stdout.contains("null") && json.stdout.contains("\"probability\": null") {
        problems.push(format!("{}: walk JSON has a null probability", case.name));
    }
    problems
}

fn check_trace(case: &Case, path: &Path) -> Vec<String> {
    let file = path.to_str().unwrap();
    let (from, to, exit) = match &case.expect.trace {
        Some(t) => (t.from.as_str(), t.to.as_str(), Some(t.exit)),
        None => ("10.244.0.20", "web.default:80", None),
    };
    let mut problems = Vec::new();
    for format in ["text", "json"] {
        let run = dnatlas(&[
            "trace", "--from", from, "--to", to, "--format", format, file,
        ]);
        problems.extend(bounded(case, &format!("trace --format {format}"), &run));
        if let Some(exit) = exit {
            if run.status != Some(i32::from(exit)) {
                problems.push(format!(
                    "{}: trace --format {format} exited {:?}, not {exit}: {}",
                    case.name, run.status, run.stderr
                ));
            }
        }
        if format == "text" && run.stdout.contains('\u{1b}') {
            problems.push(format!("{}: trace printed a terminal escape", case.name));
        }
    }
    problems
}

#[test]
fn every_hostile_input_is_bounded_and_diagnosed() {
    if !Path::new("/usr/bin/time").exists() {
        panic!("GNU time is needed (Debian package `time`; scripts/setup.sh installs it)");
    }
    let (dir, cases) = written();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut problems = Vec::new();
    for (case, path) in &cases {
        problems.extend(check_analysis(case, path));
        problems.extend(check_walk(case, path));
        problems.extend(check_trace(case, path));
    }
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
