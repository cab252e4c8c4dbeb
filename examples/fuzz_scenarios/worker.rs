//! The worker process that parses the cases, and the handle the harness
//! drives it with. Parsing runs in a child process so that a hang can be
//! stopped (the child is killed), a panic is caught and reported, and an
//! allocation beyond the memory guard fails in the child (whose address
//! space is capped with `ulimit -v`) rather than in the harness; the case
//! in flight is then known and saved.
//!
//! Protocol: the harness writes each case as a line with its length in
//! bytes followed by the bytes; the worker answers one line per case,
//! `tag<TAB>peak-kib<TAB>detail`, the tag being `valid`, `rejected` (the
//! detail: the problems' signatures joined by the unit separator),
//! `unlocated` or `panic` (the detail: what).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::verdict::{self, Verdict};

/// Separates the signatures in a `rejected` answer.
const SEPARATOR: char = '\u{1f}';

/// The label every case is parsed under, as the file name errors show.
pub const LABEL: &str = "case.toml";

/// Stack of the thread that parses, as small as a test thread's, so that
/// what passes here passes in the corpus replay test.
const PARSE_STACK: usize = 2 << 20;

/// What one case gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A valid model.
    Valid,
    /// A located error, with its problems' signatures.
    Rejected(Vec<String>),
    /// An error not located as it should be.
    Unlocated(String),
    /// The parser panicked.
    Panic(String),
    /// The parser used more memory than the guard allows (KiB of peak
    /// resident memory).
    Memory(u64),
    /// The parser did not finish within the time limit.
    Hang,
    /// The worker died (an allocation beyond its address-space cap aborts
    /// it, a stack overflow too): the end of its error output.
    Crash(String),
}

impl Outcome {
    /// The bug category of a failing outcome; `None` for a valid model or
    /// a located error.
    pub fn bug(&self) -> Option<&'static str> {
        match self {
            Outcome::Valid | Outcome::Rejected(_) => None,
            Outcome::Unlocated(_) => Some("unlocated"),
            Outcome::Panic(_) => Some("panic"),
            Outcome::Memory(_) => Some("memory"),
            Outcome::Hang => Some("hang"),
            Outcome::Crash(_) => Some("crash"),
        }
    }
}

/// Runs the worker: answers the cases on standard input until it closes.
pub fn serve() {
    let parser = std::thread::Builder::new()
        .stack_size(PARSE_STACK)
        .spawn(serve_on_this_thread)
        .expect("spawn the parsing thread");
    let _ = parser.join();
}

/// The last panic's message and place, recorded by the panic hook.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn serve_on_this_thread() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
    }));
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut header = String::new();
    loop {
        header.clear();
        if input.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let Ok(len) = header.trim().parse::<usize>() else {
            return;
        };
        let mut bytes = vec![0; len];
        if input.read_exact(&mut bytes).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&bytes);
        let before = reset_peak_kib();
        let result = std::panic::catch_unwind(|| verdict::check(&text, Path::new(LABEL)));
        let peak = peak_kib().saturating_sub(before);
        let (tag, detail) = match result {
            Ok(Verdict::Valid) => ("valid", String::new()),
            Ok(Verdict::Rejected(signatures)) => {
                ("rejected", signatures.join(&SEPARATOR.to_string()))
            }
            Ok(Verdict::Unlocated(why)) => ("unlocated", why),
            Err(_) => (
                "panic",
                LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default(),
            ),
        };
        let detail = detail.replace(['\n', '\t'], " ");
        if writeln!(out, "{tag}\t{peak}\t{detail}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Resets the peak resident memory of this process to the current one
/// (Linux: `/proc/self/clear_refs`) and returns it, in KiB; 0 where the
/// figures are not available.
fn reset_peak_kib() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_kib()
}

/// The peak resident memory of this process (`VmHWM`), in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// The harness's side: a running worker process.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// Address-space cap of the worker, MiB.
    cap_mib: u64,
}

/// How much of the worker's error output is kept, bytes.
const STDERR_TAIL: usize = 4096;

impl Worker {
    /// Starts a worker: this program with `--worker`, its address space
    /// capped at `cap_mib` MiB through the shell's `ulimit -v` (where the
    /// shell has it).
    pub fn start(cap_mib: u64) -> std::io::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {} 2>/dev/null; exec \"$0\" --worker",
                cap_mib * 1024
            ))
            .arg(exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut child_stderr = child.stderr.take().expect("piped stderr");
        let (send, answers) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = child_stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let mut kept = tail.lock().expect("stderr tail");
                kept.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if kept.len() > STDERR_TAIL {
                    let cut = kept.len() - STDERR_TAIL;
                    let cut = (cut..kept.len())
                        .find(|&c| kept.is_char_boundary(c))
                        .unwrap_or(0);
                    kept.drain(..cut);
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            answers,
            stderr,
            cap_mib,
        })
    }

    /// Parses `text` in the worker, waiting at most `limit`; a worker that
    /// hung or died is replaced. Returns the outcome (a peak above
    /// `max_kib` is [`Outcome::Memory`]) and the time taken.
    pub fn run(&mut self, text: &str, limit: Duration, max_kib: u64) -> (Outcome, Duration) {
        let start = Instant::now();
        let sent = writeln!(self.stdin, "{}", text.len())
            .and_then(|()| self.stdin.write_all(text.as_bytes()))
            .and_then(|()| self.stdin.flush());
        let answer = match sent {
            Ok(()) => self.answers.recv_timeout(limit),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        let outcome = match answer {
            Ok(line) => parse_answer(&line, max_kib),
            Err(RecvTimeoutError::Timeout) => {
                self.restart();
                Outcome::Hang
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = self.child.wait();
                let tail = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
                self.restart();
                Outcome::Crash(tail)
            }
        };
        (outcome, start.elapsed())
    }

    /// Kills this worker and starts another in its place.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        *self = Worker::start(self.cap_mib).expect("restart the worker");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one answer line of the worker.
fn parse_answer(line: &str, max_kib: u64) -> Outcome {
    let mut fields = line.splitn(3, '\t');
    let tag = fields.next().unwrap_or("");
    let peak: u64 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let detail = fields.next().unwrap_or("").to_string();
    if peak > max_kib {
        return Outcome::Memory(peak);
    }
    match tag {
        "valid" => Outcome::Valid,
        "rejected" => Outcome::Rejected(detail.split(SEPARATOR).map(str::to_string).collect()),
        "unlocated" => Outcome::Unlocated(detail),
        "panic" => Outcome::Panic(detail),
        other => Outcome::Crash(format!("unexpected answer {other:?}")),
    }
}
