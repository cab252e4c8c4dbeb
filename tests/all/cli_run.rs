//! `run` through the binary: output folders, determinism across threads and
//! seeds, quiet mode, and failures that leave no folder behind.

use std::fs;
use std::path::Path;

use crate::support::{restake_sim, root};

/// CSV files that must be byte-identical between equivalent runs.
const CSV_FILES: [&str; 5] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
];

/// A small, feature-rich run of a shipped scenario (eigenlayer-avs if
/// present, else babylon-btc) into `out`.
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
        .stderr(predicates::str::contains("babylon"));
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
