//! A fuzz harness for scenario files, on stable Rust: it feeds
//! `scenario::parse` (parsing, overrides and validation) with random bytes,
//! random TOML, and structure-aware mutations of the shipped scenarios, and
//! requires every input to end in a valid model or an error whose every
//! problem is located, within a time limit per input and a memory guard.
//!
//! ```sh
//! cargo run --release --example fuzz_scenarios -- --seconds 600 --seed 1
//! ```
//!
//! The run is deterministic from the seed: input `i` is drawn from its own
//! random stream, so a run of `--inputs N` always tries the same inputs.
//! Inputs are parsed in a worker process (see `worker.rs`) with a time limit
//! (`--timeout-ms`), a cap on peak resident memory (`--max-rss-mib`) and a
//! cap on its address space (`--address-space-mib`), so that a hang, a panic
//! or a huge allocation is caught and the input saved. Before fuzzing, the
//! corpus (`--corpus`, default `tests/fuzz-corpus`) is replayed, and the
//! kinds of problems it holds are known; a new input whose error shows a
//! new kind of problem is shrunk and saved there, and so is any failing
//! input (`bug-<category>-<hash>.toml`). The exit code is 1 if an input
//! failed.

mod generate;
mod mutate;
mod shrink;
mod verdict;
mod worker;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use mutate::Seed;
use worker::{Outcome, Worker};

/// Command-line options.
#[derive(Parser, Debug)]
#[command(about = "Fuzz the scenario parser and validator")]
struct Args {
    /// Stop after this many seconds of fuzzing.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Stop after this many inputs (whichever limit comes first).
    #[arg(long)]
    inputs: Option<u64>,
    /// Seed of the inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Kinds of input, comma-separated: bytes, toml, mutate.
    #[arg(long, value_delimiter = ',', default_value = "bytes,toml,mutate")]
    kinds: Vec<Kind>,
    /// Folder of the corpus: replayed first, new kinds of problem and
    /// failing inputs saved to it.
    #[arg(long, default_value = "tests/fuzz-corpus")]
    corpus: PathBuf,
    /// Folder of the valid scenarios that mutations start from.
    #[arg(long, default_value = "scenarios")]
    seeds: PathBuf,
    /// Time limit per input, milliseconds.
    #[arg(long, default_value_t = 2000)]
    timeout_ms: u64,
    /// Largest peak resident memory of one input, MiB.
    #[arg(long, default_value_t = 512)]
    max_rss_mib: u64,
    /// Address-space cap of the worker process, MiB: an allocation beyond
    /// it aborts the worker, which counts as a failing input.
    #[arg(long, default_value_t = 2048)]
    address_space_mib: u64,
    /// Save nothing (report only).
    #[arg(long)]
    no_save: bool,
    /// Replay the corpus only, printing each file's outcome: the
    /// signatures of its problems, one a line after the file's name.
    #[arg(long)]
    list: bool,
    /// Serve as the worker process (used by the harness itself).
    #[arg(long, hide = true)]
    worker: bool,
}

/// A kind of input.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Random bytes.
    Bytes,
    /// Random TOML of the format's words.
    Toml,
    /// Structure-aware mutations of valid scenarios.
    Mutate,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Bytes => "bytes",
            Kind::Toml => "toml",
            Kind::Mutate => "mutate",
        }
    }
}

/// Counts of one kind of input.
#[derive(Default)]
struct Tally {
    inputs: u64,
    valid: u64,
    rejected: u64,
    bugs: u64,
    bytes: u64,
    time: Duration,
    slowest: Duration,
}

/// Candidates tried when shrinking an input (fewer for a hang, each of
/// which costs the time limit).
const SHRINK_BUDGET: usize = 400;
const SHRINK_BUDGET_HANG: usize = 12;

/// How often a progress line is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(60);

/// Longest time spent shrinking an interesting input.
const SHRINK_TIME: Duration = Duration::from_secs(10);

/// How long past the end of fuzzing a failing input may still be shrunk
/// (an interesting one is shrunk only before the end).
const BUG_SHRINK_GRACE: Duration = Duration::from_secs(60);

fn main() {
    let args = Args::parse();
    if args.worker {
        worker::serve();
        return;
    }
    if let Err(e) = fuzz(&args) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn fuzz(args: &Args) -> Result<(), String> {
    let seeds = load_seeds(&args.seeds)?;
    let limit = Duration::from_millis(args.timeout_ms);
    let max_kib = args.max_rss_mib * 1024;
    let mut worker = Worker::start(args.address_space_mib)
        .map_err(|e| format!("cannot start the worker: {e}"))?;
    let mut run = |text: &str| worker.run(text, limit, max_kib);

    // The corpus: its kinds of problem are known; its failures reported.
    let mut known: HashSet<String> = HashSet::new();
    let mut failures = Vec::new();
    let corpus = corpus_files(&args.corpus);
    for path in &corpus {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let outcome = run(&text).0;
        if args.list {
            match &outcome {
                Outcome::Rejected(signatures) => {
                    for s in signatures {
                        println!("{}\t{s}", path.display());
                    }
                }
                other => println!("{}\t{other:?}", path.display()),
            }
        }
        match outcome {
            Outcome::Rejected(signatures) => known.extend(signatures),
            Outcome::Valid => {}
            bad => failures.push(format!("corpus {}: {bad:?}", path.display())),
        }
    }
    if args.list {
        return Ok(());
    }
    println!(
        "corpus {}: {} files, {} kinds of problem, {} failing",
        args.corpus.display(),
        corpus.len(),
        known.len(),
        failures.len()
    );

    let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut saved = Vec::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let mut i = 0u64;
    let mut last_progress = start;
    while Instant::now() < deadline && args.inputs.is_none_or(|n| i < n) {
        let kind = args.kinds[(i % args.kinds.len() as u64) as usize];
        let mut rng =
            Xoshiro256PlusPlus::seed_from_u64(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i);
        let text = match kind {
            Kind::Bytes => generate::bytes(&mut rng),
            Kind::Toml => generate::toml(&mut rng),
            Kind::Mutate => mutate::mutate(&mut rng, &seeds),
        };
        i += 1;
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            println!(
                "{:>6.0} s: {i} inputs, {} corpus files saved, {} failing",
                start.elapsed().as_secs_f64(),
                saved.len(),
                failures.len()
            );
        }
        let (outcome, took) = run(&text);
        let tally = tallies.entry(kind).or_default();
        tally.inputs += 1;
        tally.bytes += text.len() as u64;
        tally.time += took;
        tally.slowest = tally.slowest.max(took);
        match &outcome {
            Outcome::Valid => tally.valid += 1,
            Outcome::Rejected(signatures) => {
                tally.rejected += 1;
                let Some(new) = signatures.iter().find(|s| !known.contains(*s)).cloned() else {
                    continue;
                };
                let stop = deadline.min(Instant::now() + SHRINK_TIME);
                let small = shrink::shrink(&text, SHRINK_BUDGET, &mut |candidate| {
                    (Instant::now() < stop).then(
                        || matches!(run(candidate).0, Outcome::Rejected(s) if s.contains(&new)),
                    )
                });
                // The shrunk case may show other kinds too: all are known now.
                if let Outcome::Rejected(found) = run(&small).0 {
                    known.extend(found);
                }
                known.extend(signatures.iter().cloned());
                if !args.no_save {
                    saved.push(save(&args.corpus, kind.name(), &small)?);
                }
            }
            bad => {
                tally.bugs += 1;
                let category = bad.bug().expect("a failing outcome");
                let budget = if category == "hang" {
                    SHRINK_BUDGET_HANG
                } else {
                    SHRINK_BUDGET
                };
                let small = shrink::shrink(&text, budget, &mut |candidate| {
                    (Instant::now() < deadline + BUG_SHRINK_GRACE)
                        .then(|| run(candidate).0.bug() == Some(category))
                });
                let what = format!("{bad:?}");
                let file = if args.no_save {
                    String::new()
                } else {
                    let path = save(&args.corpus, &format!("bug-{category}"), &small)?;
                    saved.push(path.clone());
                    format!(" → {}", path.display())
                };
                println!(
                    "input {} ({}): {category}: {}{file}",
                    i - 1,
                    kind.name(),
                    cut(&what, 300)
                );
                failures.push(format!(
                    "input {} ({}): {}",
                    i - 1,
                    kind.name(),
                    cut(&what, 300)
                ));
            }
        }
    }
    report(start.elapsed(), &tallies, &saved, &failures);
    if failures.is_empty() {
        Ok(())
    } else {
        std::process::exit(1)
    }
}

/// The valid scenarios in `dir`, as seeds of mutations.
fn load_seeds(dir: &Path) -> Result<Vec<Seed>, String> {
    let mut seeds = Vec::new();
    for path in corpus_files(dir) {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let tree = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        seeds.push(Seed { text, tree });
    }
    if seeds.is_empty() {
        return Err(format!("no scenario (*.toml) in {}", dir.display()));
    }
    Ok(seeds)
}

/// The `*.toml` files of `dir`, sorted.
fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Saves a case as `<prefix>-<hash>.toml` in `dir`.
fn save(dir: &Path, prefix: &str, text: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // FNV-1a: a name that depends on the text alone.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{prefix}-{hash:016x}.toml"));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// At most `n` characters of `text`.
fn cut(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn report(
    elapsed: Duration,
    tallies: &BTreeMap<Kind, Tally>,
    saved: &[PathBuf],
    failures: &[String],
) {
    let total: u64 = tallies.values().map(|t| t.inputs).sum();
    println!(
        "fuzzed {:.1} s: {total} inputs, {:.0} inputs/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "  {:<8} {:>9} {:>9} {:>9} {:>5} {:>11} {:>10} {:>11}",
        "kind", "inputs", "valid", "rejected", "bugs", "mean bytes", "inputs/s", "slowest ms"
    );
    for (kind, t) in tallies {
        println!(
            "  {:<8} {:>9} {:>9} {:>9} {:>5} {:>11} {:>10.0} {:>11.1}",
            kind.name(),
            t.inputs,
            t.valid,
            t.rejected,
            t.bugs,
            t.bytes / t.inputs.max(1),
            t.inputs as f64 / t.time.as_secs_f64().max(1e-9),
            t.slowest.as_secs_f64() * 1e3
        );
    }
    println!("saved {} new corpus files", saved.len());
    for f in failures {
        println!("FAILED {f}");
    }
}
