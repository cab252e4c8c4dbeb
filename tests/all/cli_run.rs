//! `run` through the binary: output folders, determinism across threads and
//! seeds, quiet mode, and failures that leave no folder behind.

use std::fs;
use std::path::Path;

use crate::support::{restake_sim, root};

/// CSV files that must be byte-identical between equivalent runs.
const CSV_FILES: [&str; 6] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
    "exits.csv",
];

/// A small run of the babylon-btc scenario into `out`.
fn run_small(out: &Path, extra: &[&str]) {
    let scenario = root().join("scenarios/babylon-btc.toml");
    restake_sim()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "40", "--quiet", "--set", "staker.*.count=200"])
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn read_all(dir: &Path) -> Vec<Vec<u8>> {
    CSV_FILES
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect()
}

#[test]
fn same_seed_gives_same_bytes_and_threads_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run_small(&a, &["--threads", "1"]);
    run_small(&b, &["--threads", "2"]);
    run_small(&c, &["--threads", "2"]);
    assert_eq!(read_all(&a), read_all(&b), "threads 1 vs 2 differ");
    assert_eq!(read_all(&b), read_all(&c), "same run twice differs");
}

#[test]
fn a_different_seed_gives_different_results() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_small(&a, &["--seed", "1"]);
    run_small(&b, &["--seed", "2"]);
    let (pa, pb) = (
        fs::read(a.join("timeseries.csv")).unwrap(),
        fs::read(b.join("timeseries.csv")).unwrap(),
    );
    assert_ne!(pa, pb);
}

#[test]
fn run_folder_holds_every_output_and_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_small(&out, &[]);
    for f in CSV_FILES.iter().chain(&["manifest.json"]) {
        let bytes = fs::read(out.join(f)).unwrap();
        assert!(!bytes.is_empty(), "{f} is empty");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["paths"], 40);
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["agent_steps_per_second"].as_f64().unwrap() > 0.0);
    let header = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(header.starts_with("day,metric,entity,mean,std,p01,p05,p25,p50,p75,p95,p99\n"));
    // Only the run folder: no staging leftovers beside it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn several_scenarios_get_one_folder_each_under_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = root().join("scenarios");
    restake_sim()
        .arg("run")
        .arg(s.join("babylon-btc.toml"))
        .arg(s.join("rm1.toml"))
        .args(["--paths", "3", "--quiet", "--set", "staker.*.count=50"])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    assert!(dir.path().join("babylon-btc/summary.csv").exists());
    assert!(dir.path().join("rm1/summary.csv").exists());
}

#[test]
fn an_invalid_scenario_fails_with_code_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[run]\nname = \"bad\"\nhorizon_days = 0\n").unwrap();
    let out = dir.path().join("out");
    restake_sim()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
}

#[test]
fn a_failed_rerun_keeps_the_previous_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_small(&out, &[]);
    let before = read_all(&out);
    restake_sim()
        .arg("run")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--set", "run.paths=0", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    assert_eq!(read_all(&out), before);
}

#[test]
fn quiet_prints_only_the_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let assert = restake_sim()
        .arg("run")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args([
            "--paths",
            "5",
            "--quiet",
            "--set",
            "staker.*.count=20",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout.trim(), out.display().to_string());
    assert!(assert.get_output().stderr.is_empty());
}

#[test]
fn an_unknown_set_path_is_an_input_error() {
    restake_sim()
        .arg("run")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--set", "protocol.nosuch.apr.value=0.1", "--paths", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--set protocol.nosuch.apr.value=0.1 (not the file): no element of \"protocol\" is named \"nosuch\"",
        ))
        .stderr(predicates::str::contains("one of: babylon"));
}

/// Rich scenarios (operators, shocks, delays, unique stake, network limits,
/// price moves, yield chasing) over more paths than one parallel batch give
/// the same bytes on one thread and on two.
#[test]
fn rich_scenarios_give_the_same_bytes_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["eigenlayer-avs", "symbiotic-karak", "multi-protocol-l3"] {
        let runs: Vec<Vec<Vec<u8>>> = ["1", "2"]
            .iter()
            .map(|threads| {
                let out = dir.path().join(format!("{name}-{threads}"));
                restake_sim()
                    .arg("run")
                    .arg(root().join(format!("scenarios/{name}.toml")))
                    .args(["--paths", "300", "--quiet", "--threads", threads])
                    .args(["--set", "staker.*.count=20", "--out"])
                    .arg(&out)
                    .assert()
                    .success();
                read_all(&out)
            })
            .collect();
        assert_eq!(runs[0], runs[1], "{name}: threads 1 vs 2 differ");
    }
}

#[test]
fn every_shipped_scenario_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios: Vec<_> = fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    assert!(scenarios.len() >= 5);
    for s in &scenarios {
        let out = dir.path().join(s.file_stem().unwrap());
        restake_sim()
            .arg("run")
            .arg(s)
            .args([
                "--paths",
                "3",
                "--quiet",
                "--set",
                "staker.*.count=100",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
        assert!(
            manifest["bookkeeping_max_relative_error"].as_f64().unwrap() < 1e-9,
            "{}",
            s.display()
        );
    }
}

/// A scenario with many slashes of every kind: a protocol's own events, a
/// veto window (vetoed slashes are neither applied nor logged, and some fall
/// beyond the horizon), a shock and operator faults.
const SLASHY: &str = r#"[run]
name = "slashy"
horizon_days = 60
paths = 5
seed = 5

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "often"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { daily_probability = 0.1, severity = { dist = "fixed", value = 0.001 }, shock_groups = ["bug"] }

[[protocol]]
name = "vetoed"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
veto_days = 10
veto_probability = 0.5
slashing = { daily_probability = 0.1, severity = { dist = "fixed", value = 0.001 }, shock_groups = ["bug"] }

[[shock]]
name = "bug"
daily_probability = 0.05

[[operator]]
name = "op"
protocols = ["often", "vetoed"]
fault = { daily_probability = 0.05 }

[[staker]]
class = "holders"
count = 20
asset = "ETH"
stake = { dist = "fixed", value = 1.0 }
allocate = { often = 0.5, vetoed = 0.5 }
operators = { op = 1.0 }
"#;

/// What a run says about its slashes.
struct Slashes {
    /// `total.slash_events` of each path in paths.csv.
    per_path: Vec<u64>,
    /// Rows of events.csv of each path.
    logged_per_path: Vec<u64>,
    /// manifest.json's `events_logged`.
    logged: u64,
    /// manifest.json's `events_not_logged`.
    not_logged: u64,
    /// The CSV files.
    files: Vec<Vec<u8>>,
}

impl Slashes {
    fn total(&self) -> u64 {
        self.per_path.iter().sum()
    }
}

/// Runs `scenario` with `max_event_rows` = `cap` on `threads` threads.
fn run_capped(scenario: &Path, out: &Path, cap: u64, threads: &str) -> Slashes {
    restake_sim()
        .arg("run")
        .arg(scenario)
        .args(["--quiet", "--threads", threads, "--set"])
        .arg(format!("run.max_event_rows={cap}"))
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    let mut paths = csv::Reader::from_path(out.join("paths.csv")).unwrap();
    let col = paths
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "total.slash_events")
        .expect("total.slash_events column");
    let per_path: Vec<u64> = paths
        .records()
        .map(|r| r.unwrap()[col].parse::<u64>().unwrap())
        .collect();
    let mut logged_per_path = vec![0u64; per_path.len()];
    let mut events = csv::Reader::from_path(out.join("events.csv")).unwrap();
    for r in events.records() {
        logged_per_path[r.unwrap()[0].parse::<usize>().unwrap()] += 1;
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    Slashes {
        per_path,
        logged_per_path,
        logged: manifest["events_logged"].as_u64().unwrap(),
        not_logged: manifest["events_not_logged"].as_u64().unwrap(),
        files: read_all(out),
    }
}

#[test]
fn logged_and_not_logged_events_add_up_to_every_slash() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("slashy.toml");
    fs::write(&scenario, SLASHY).unwrap();
    // Without a binding cap, events.csv holds exactly the slashes counted in
    // paths.csv, path by path (vetoed slashes in neither).
    let all = run_capped(&scenario, &dir.path().join("all"), 100_000, "2");
    let total = all.total();
    assert_eq!(all.logged_per_path, all.per_path);
    assert_eq!((all.logged, all.not_logged), (total, 0));
    assert!(
        all.per_path.iter().all(|&n| n > 7),
        "every path needs more slashes than the caps below: {:?}",
        all.per_path
    );
    // 0 logs nothing; 2 and 7 cut the first path; one more than the first
    // path's slashes cuts the second one.
    for cap in [0, 2, 7, all.per_path[0] + 1] {
        let one = run_capped(&scenario, &dir.path().join(format!("c{cap}-1")), cap, "1");
        let two = run_capped(&scenario, &dir.path().join(format!("c{cap}-2")), cap, "2");
        assert_eq!(one.per_path, all.per_path, "cap {cap}: slashes changed");
        assert_eq!(one.logged, cap, "cap {cap}");
        assert_eq!(one.logged_per_path.iter().sum::<u64>(), cap, "cap {cap}");
        assert_eq!(one.logged + one.not_logged, total, "cap {cap}");
        assert_eq!(
            (two.logged, two.not_logged),
            (one.logged, one.not_logged),
            "cap {cap}: threads 1 vs 2"
        );
        assert_eq!(one.files, two.files, "cap {cap}: threads 1 vs 2 differ");
    }
}

#[test]
fn a_folder_of_other_files_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes");
    fs::create_dir(&notes).unwrap();
    fs::write(notes.join("notes.txt"), b"mine").unwrap();
    restake_sim()
        .arg("run")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--paths", "2", "--quiet", "--out"])
        .arg(&notes)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("refusing to replace"));
    assert_eq!(fs::read(notes.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(fs::read_dir(&notes).unwrap().count(), 1);
    // An earlier run folder is replaced.
    run_small(&dir.path().join("run"), &[]);
    run_small(&dir.path().join("run"), &["--seed", "3"]);
}

#[test]
fn a_misspelt_set_path_names_the_closest_keys_and_the_override() {
    let scenario = root().join("scenarios/babylon-btc.toml");
    for (set, wanted) in [
        (
            "protocol.babylon.apr_kap=0.1",
            "did you mean \"apr_cap\"? (from --set protocol.babylon.apr_kap=0.1)",
        ),
        (
            "protocl.babylon.apr.value=0.1",
            "did you mean \"protocol\"? (from --set protocl.babylon.apr.value=0.1)",
        ),
        (
            "protocol.babylom.apr.value=0.1",
            "no element of \"protocol\" is named \"babylom\"; use an index, '*' or one of: babylon; did you mean \"babylon\"?",
        ),
    ] {
        restake_sim()
            .arg("validate")
            .arg(&scenario)
            .args(["--set", set])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(wanted));
    }
}

#[test]
fn the_summary_has_a_line_per_class_and_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let assert = restake_sim()
        .arg("run")
        .arg(root().join("scenarios/eigenlayer-avs.toml"))
        .args(["--paths", "10", "--set", "staker.*.count=20", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("eigenlayer-avs: 10 paths × 365 steps"),
        "{stdout}"
    );
    assert!(lines[1].contains("worst 1 %") && lines[1].contains("± se"));
    assert!(lines[1].contains("P(ret<0)") && lines[1].contains("P(loss>0)"));
    let firsts: Vec<&str> = lines[2..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(firsts, ["native-risk-averse", "lst-yield-chasers", "total"]);
    // Every figure is a percentage, eleven of them per line.
    for l in &lines[2..] {
        assert_eq!(l.matches(" %").count(), 11, "{l}");
    }
}
