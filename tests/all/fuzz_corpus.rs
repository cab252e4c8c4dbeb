//! The fuzz corpus replayed: every file of `tests/fuzz-corpus/` (inputs the
//! fuzz harness `examples/fuzz_scenarios` kept for a new kind of problem,
//! and the regressions of the bugs it found) parses to a valid model or to
//! an error whose every problem is located, without a panic and fast; and
//! the bugs that only show at scale, generated here rather than stored.

#[path = "../../examples/fuzz_scenarios/verdict.rs"]
mod verdict;

use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use restake_sim::scenario;

use crate::support::root;
use verdict::Verdict;

/// Longest a corpus file may take to parse (the harness allows 2 s in a
/// release build; this is a test build on a shared machine).
const PER_FILE: Duration = Duration::from_secs(20);

/// Largest corpus file, bytes: the corpus stays small.
const MAX_FILE_BYTES: u64 = 64 * 1024;

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fuzz-corpus"))
        .expect("tests/fuzz-corpus")
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Judges every text on a worker thread, each within [`PER_FILE`]; returns
/// what went wrong, one line per text.
fn judge_all(cases: Vec<(String, String)>) -> Vec<String> {
    let names: Vec<String> = cases.iter().map(|(name, _)| name.clone()).collect();
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for (name, text) in cases {
            let verdict = std::panic::catch_unwind(|| verdict::check(&text, Path::new(&name)));
            if send.send(verdict).is_err() {
                return;
            }
        }
    });
    let mut failures = Vec::new();
    for name in names {
        match receive.recv_timeout(PER_FILE) {
            Ok(Ok(Verdict::Valid | Verdict::Rejected(_))) => {}
            Ok(Ok(Verdict::Unlocated(why))) => failures.push(format!("{name}: {why}")),
            Ok(Err(_)) => failures.push(format!("{name}: panicked")),
            Err(_) => {
                failures.push(format!("{name}: no answer within {PER_FILE:?}"));
                break;
            }
        }
    }
    failures
}

#[test]
fn fuzz_corpus_parses_to_a_model_or_a_located_error() {
    let files = corpus();
    assert!(files.len() >= 50, "only {} corpus files", files.len());
    let mut cases = Vec::new();
    for path in &files {
        let bytes = std::fs::metadata(path).expect("corpus file").len();
        assert!(bytes <= MAX_FILE_BYTES, "{}: {bytes} bytes", path.display());
        let name = path.file_name().expect("a file name").to_string_lossy();
        let text = std::fs::read_to_string(path).expect("a UTF-8 corpus file");
        cases.push((name.into_owned(), text));
    }
    let failures = judge_all(cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A valid scenario, then `extra` appended.
fn scenario_with(extra: &str) -> String {
    let base = std::fs::read_to_string(root().join("scenarios/babylon-btc.toml"))
        .expect("babylon-btc.toml");
    format!("{base}\n{extra}")
}

/// Parses `text` on a worker thread within `limit`, as `label`.
fn parse_within(text: String, limit: Duration) -> (Result<(), scenario::ScenarioError>, Duration) {
    let (send, receive) = channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = send.send(scenario::parse(&text, Path::new("scale.toml"), &[]).map(|_| ()));
    });
    let result = receive
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("no answer within {limit:?}"));
    (result, start.elapsed())
}

#[test]
fn fuzz_scale_too_many_assets_is_a_located_error_not_a_dense_matrix() {
    // 20,000 assets once asked for four 20,000 × 20,000 correlation
    // matrices (12.8 GB) before anything was reported.
    let assets: String = (0..20_000)
        .map(|i| format!("[[asset]]\nname = \"A{i}\"\nprice_usd = 1\n"))
        .collect();
    let (result, _) = parse_within(scenario_with(&assets), PER_FILE);
    let error = result.expect_err("too many assets");
    let problem = error
        .problems()
        .iter()
        .find(|p| p.key_path == "asset")
        .unwrap_or_else(|| panic!("no problem at asset: {error}"));
    assert_eq!(
        problem.message,
        "expected at most 1024 assets (their correlation is a matrix of every pair), found 20001"
    );
}

#[test]
fn fuzz_scale_thousands_of_problems_are_located_in_linear_time() {
    // 20,000 problems, each once located by scanning the text from its
    // start: minutes.
    let shocks: String = (0..20_000)
        .map(|i| {
            format!(
                "[[shock]]\nname = \"s{i}\"\nyearly_probability = 2.0\nseverity = {{ dist = \"fixed\", value = 0.1 }}\n"
            )
        })
        .collect();
    let (result, took) = parse_within(scenario_with(&shocks), PER_FILE);
    let error = result.expect_err("invalid shocks");
    assert!(
        error.problems().len() >= 20_000,
        "{}",
        error.problems().len()
    );
    let last = error.problems().last().expect("problems");
    assert!(last.line > 80_000, "{last:?}");
    eprintln!("20,000 problems located in {took:?}");
}

#[test]
fn fuzz_scale_unresolved_names_list_a_few_of_thousands() {
    // 5,000 classes naming an undefined asset among 5,000: each message
    // once listed every asset, 200 MB of messages, and compared the name
    // with each of them.
    let assets: String = (0..5_000)
        .map(|i| format!("[[asset]]\nname = \"A{i}\"\nprice_usd = 1\n"))
        .collect();
    let classes: String = (0..5_000)
        .map(|i| {
            format!(
                "[[staker]]\nclass = \"c{i}\"\ncount = 1\nasset = \"A{i}x\"\nstake = {{ dist = \"fixed\", value = 1.0 }}\nallocate = {{ babylon = 1.0 }}\n"
            )
        })
        .collect();
    let (result, _) = parse_within(scenario_with(&(assets + &classes)), PER_FILE);
    let error = result.expect_err("undefined assets");
    let unresolved: Vec<_> = error
        .problems()
        .iter()
        .filter(|p| {
            p.message
                .starts_with("expected the name of a defined asset")
        })
        .collect();
    assert_eq!(unresolved.len(), 5_000);
    assert!(
        unresolved[0]
            .message
            .starts_with("expected the name of a defined asset (A0, A1, A10, A100, A1000,"),
        "{}",
        unresolved[0].message
    );
    assert!(
        unresolved[0]
            .message
            .contains(", and 4981 more), found \"A0x\""),
        "{}",
        unresolved[0].message
    );
    assert!(unresolved.iter().all(|p| p.message.len() < 400));
}
