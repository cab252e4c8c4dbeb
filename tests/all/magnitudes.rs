//! Hostile magnitudes: a century-long horizon, a million paths run as one
//! shard, 4,096 protocols slashed at severity 1, a class of one staker.
//! Each runs (at a size a test can afford) or is refused with its reason,
//! and what runs keeps the invariants: no NaN or infinity in any output and
//! the bookkeeping identity on every path.

use std::fs;
use std::path::Path;

use crate::support::{restake_sim, root};

/// Runs `args` into `out` and checks the run folder's invariants.
fn runs_clean(args: &[&str], out: &Path) {
    restake_sim()
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
        .success();
    for entry in fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let text = fs::read_to_string(&path).unwrap();
            for bad in ["NaN", "inf"] {
                assert!(!text.contains(bad), "{} holds {bad}", path.display());
            }
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let error = manifest["bookkeeping_max_relative_error"].as_f64().unwrap();
    assert!(error < 1e-9, "bookkeeping error {error}");
}

fn scenario(name: &str) -> String {
    root().join("scenarios").join(name).display().to_string()
}

#[test]
fn a_century_long_horizon_runs() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("babylon-btc.toml");
    let args = [
        s.as_str(),
        "--paths",
        "2",
        "--set",
        "run.horizon_days=36500",
        "--set",
        "staker.*.count=5",
    ];
    runs_clean(&args, dir.path());
    let (_, rows) = crate::support::csv_rows(&dir.path().join("timeseries.csv"));
    assert!(rows.iter().any(|r| r[0] == "36500"), "no row of day 36500");
}

#[test]
fn one_shard_of_a_million_paths_runs_without_holding_the_million() {
    // The memory check counts staker state, not the paths of other shards.
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("rm1.toml");
    restake_sim()
        .arg("run")
        .arg(&s)
        .args(["--paths", "1000000", "--shard", "100000/100000", "-q"])
        .args(["--set", "staker.0.count=10", "--out"])
        .arg(dir.path().join("shard"))
        .assert()
        .success();
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("shard/shard.json")).unwrap()).unwrap();
    assert_eq!(info["first_path"], 999_990);
    assert_eq!(info["count"], 10);
}

#[test]
fn four_thousand_protocols_slashed_at_severity_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "[run]\nname = \"many\"\nhorizon_days = 30\npaths = 3\n\n[[asset]]\nname = \"ETH\"\nprice_usd = 3000\n\n",
    );
    for p in 0..4096 {
        text.push_str(&format!(
            "[[protocol]]\nname = \"p{p}\"\nassets = [\"ETH\"]\napr = {{ curve = \"budget\", budget = 0.01 }}\nslashing = {{ yearly_probability = 0.3, severity = {{ dist = \"fixed\", value = 1.0 }} }}\n\n"
        ));
    }
    text.push_str(
        "[[staker]]\nclass = \"all\"\ncount = 50\nasset = \"ETH\"\nstake = { dist = \"fixed\", value = 32.0 }\nrandom_allocation = { min = 1, max = 4, weight = 0.25 }\n",
    );
    let file = dir.path().join("many.toml");
    fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    runs_clean(&[file.to_str().unwrap()], &out);
    let (_, rows) = crate::support::csv_rows(&out.join("summary.csv"));
    assert!(rows.len() > 4096 * 5, "{} summary rows", rows.len());
}

#[test]
fn a_class_of_one_staker_runs() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("eigenlayer-avs.toml");
    runs_clean(
        &[s.as_str(), "--paths", "20", "--set", "staker.*.count=1"],
        dir.path(),
    );
}
