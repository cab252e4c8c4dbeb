//! `run --shard I/N` and `merge`: a run split into shards and merged writes
//! the same bytes as the run simulated whole, and shards that are not the
//! whole of one run are refused.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{restake_sim, root};

const COMPARED: [&str; 6] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
    "exits.csv",
];

fn scenario() -> PathBuf {
    root().join("scenarios/eigenlayer-avs.toml")
}

fn args(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["--paths", "30", "--set", "staker.*.count=20", "-q"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run_whole(out: &Path, extra: &[&str]) {
    restake_sim()
        .arg("run")
        .arg(scenario())
        .args(args(extra))
        .arg("--out")
        .arg(out)
        .assert()
        .success();
}

fn run_shard(out: &Path, shard: &str, extra: &[&str]) {
    restake_sim()
        .arg("run")
        .arg(scenario())
        .args(args(extra))
        .args(["--shard", shard, "--threads", "1", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn merge(shards: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    restake_sim()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
}

fn assert_same_outputs(whole: &Path, merged: &Path) {
    for name in COMPARED {
        let a = fs::read(whole.join(name)).unwrap();
        let b = fs::read(merged.join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between the whole and the merged run"
        );
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn whole_and_merged(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_whole(&whole, extra);
    let shards: Vec<PathBuf> = (1..=3)
        .map(|i| {
            let out = dir.path().join(format!("shard-{i}"));
            run_shard(&out, &format!("{i}/3"), extra);
            out
        })
        .collect();
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(shards[1].join("shard.json")).unwrap()).unwrap();
    assert_eq!(info["first_path"], 10);
    assert_eq!(info["count"], 10);
    assert!(shards[0].join("values.f32").is_file());
    assert!(shards[0].join("shard.bin").is_file());
    let merged = dir.path().join("merged");
    merge(&[&shards[0], &shards[1], &shards[2]], &merged).success();
    assert_same_outputs(&whole, &merged);
    let (w, m) = (manifest(&whole), manifest(&merged));
    assert_eq!(m["merged_from_shards"], 3);
    assert!(w.get("merged_from_shards").is_none());
    for key in [
        "paths",
        "first_path",
        "events_logged",
        "events_not_logged",
        "seed",
        "overrides",
    ] {
        assert_eq!(w[key], m[key], "manifest {key}");
    }
    // Any order of the shard folders gives the same run.
    let reordered = dir.path().join("reordered");
    merge(&[&shards[2], &shards[0], &shards[1]], &reordered).success();
    assert_same_outputs(&whole, &reordered);
}

#[test]
fn merged_shards_give_the_bytes_of_the_whole_run() {
    whole_and_merged(&[]);
}

#[test]
fn merged_shards_cap_the_event_log_as_the_whole_run_does() {
    let extra = ["--set", "run.max_event_rows=2"];
    whole_and_merged(&extra);
    // The cap matters here: events are dropped, in more than one shard.
    let dir = tempfile::tempdir().unwrap();
    run_whole(dir.path(), &extra);
    let m = manifest(dir.path());
    assert_eq!(m["events_logged"], 2);
    assert!(m["events_not_logged"].as_u64().unwrap() >= 2, "{m}");
}

#[test]
fn shards_that_are_not_one_whole_run_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |name: &str, spec: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        run_shard(&out, spec, extra);
        out
    };
    let one = shard("one", "1/3", &[]);
    let two = shard("two", "2/3", &[]);
    let three = shard("three", "3/3", &[]);
    let other_seed = shard("other-seed", "3/3", &["--seed", "99"]);
    let out = dir.path().join("merged");
    let refused = |shards: &[&Path], expected: &[&str]| {
        let assert = merge(shards, &out).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        for e in expected {
            assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
        }
        assert!(!out.exists());
    };
    refused(&[&one, &three], &["shards missing: 2/3 (paths 10..20)"]);
    refused(
        &[&one, &two, &two, &three],
        &["overlap", "shard 2/3 (paths 10..20)"],
    );
    refused(
        &[&one, &two, &other_seed],
        &["not shards of the same run", "seed 11 vs 99", "other-seed"],
    );
    refused(&[dir.path()], &["is not a shard folder"]);
    // A scenario that is not the one the shards ran.
    let changed = dir.path().join("changed.toml");
    let text = fs::read_to_string(scenario()).unwrap();
    fs::write(&changed, format!("{text}\n# edited\n")).unwrap();
    let assert = restake_sim()
        .arg("merge")
        .args([&one, &two, &three])
        .arg("--scenario")
        .arg(&changed)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("is not the scenario the shards were run from"),
        "{stderr}"
    );
    // And a bad --shard.
    for spec in ["0/3", "4/3", "x", "31/31"] {
        restake_sim()
            .arg("run")
            .arg(scenario())
            .args(args(&["--shard", spec, "--out"]))
            .arg(dir.path().join("bad"))
            .assert()
            .code(2);
    }
}

/// The DeFi layer (LRT, lending market, loops, liquidations) merges byte
/// for byte too, `liquidations.csv` included.
#[test]
fn merged_shards_of_a_scenario_with_loops_give_the_whole_runs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let lrt = root().join("scenarios/lrt-loop.toml");
    let common = ["--paths", "12", "--set", "staker.*.count=30", "-q"];
    let whole = dir.path().join("whole");
    restake_sim()
        .arg("run")
        .arg(&lrt)
        .args(common)
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    let shards: Vec<PathBuf> = (1..=2)
        .map(|i| {
            let out = dir.path().join(format!("shard-{i}"));
            restake_sim()
                .arg("run")
                .arg(&lrt)
                .args(common)
                .args(["--shard", &format!("{i}/2"), "--out"])
                .arg(&out)
                .assert()
                .success();
            out
        })
        .collect();
    let merged = dir.path().join("merged");
    merge(&[&shards[1], &shards[0]], &merged).success();
    assert_same_outputs(&whole, &merged);
    let liquidations = fs::read(whole.join("liquidations.csv")).unwrap();
    assert_eq!(
        liquidations,
        fs::read(merged.join("liquidations.csv")).unwrap()
    );
    assert!(
        liquidations.iter().filter(|&&b| b == b'\n').count() > 1,
        "the day-60 slash liquidates someone"
    );
}

#[test]
fn a_missing_shard_is_named_with_the_command_that_reruns_it() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_whole(&whole, &[]);
    let one = dir.path().join("one");
    let three = dir.path().join("three");
    run_shard(&one, "1/3", &[]);
    run_shard(&three, "3/3", &[]);
    let out = dir.path().join("merged");
    let assert = merge(&[&one, &three], &out).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    let command = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("restake-sim run "))
        .unwrap_or_else(|| panic!("no command to rerun in: {stderr}"));
    assert!(command.contains("--shard 2/3"), "{command}");
    // The command as printed, with this build's binary, from a fresh
    // folder: it writes the shard into its default folder.
    let binary = assert_cmd::cargo::cargo_bin!("restake-sim");
    let rerun = command.replacen("restake-sim", &format!("'{}'", binary.display()), 1);
    let status = std::process::Command::new("bash")
        .args(["-c", &format!("{rerun} -q")])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "{rerun}");
    let two = dir.path().join("output/eigenlayer-avs-shard-2-of-3");
    merge(&[&one, &two, &three], &out).success();
    assert_same_outputs(&whole, &out);
}

/// A run whose per-path results exceed `run.memory_limit_gib` keeps them
/// on disk in chunks and writes the bytes of the run held in memory,
/// leaving no scratch folder behind.
#[test]
fn a_run_beyond_its_memory_limit_spills_to_disk_with_the_same_bytes() {
    for extra in [&[][..], &["--set", "run.max_event_rows=2"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole");
        run_whole(&whole, extra);
        let spilled = dir.path().join("spilled");
        let mut limited = extra.to_vec();
        limited.extend(["--set", "run.memory_limit_gib=0.0002"]);
        let assert = restake_sim()
            .arg("run")
            .arg(scenario())
            .args(args(&limited).into_iter().filter(|a| a != "-q"))
            .args(["--threads", "2", "--out"])
            .arg(&spilled)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("exceed run.memory_limit_gib = 0.0002: kept on disk"),
            "{stderr}"
        );
        assert_same_outputs(&whole, &spilled);
        let left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}
