//! `run --until-se`: paths are added in batches until a key result's
//! standard error is small enough, reproducibly, and the folder is the run
//! of the final number of paths byte for byte.

use std::fs;
use std::path::Path;

use crate::support::{restake_sim, root};

const COMPARED: [&str; 5] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
];

fn run(out: &Path, paths: u64, extra: &[&str]) -> String {
    let assert = restake_sim()
        .arg("run")
        .arg(root().join("scenarios/eigenlayer-avs.toml"))
        .args(["--set", "staker.*.count=10", "--set", "run.horizon_days=91"])
        .args(["--paths", &paths.to_string()])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn until_se_stops_when_the_error_is_reached_with_the_bytes_of_that_many_paths() {
    let dir = tempfile::tempdir().unwrap();
    let grown = dir.path().join("grown");
    let said = run(&grown, 40, &["--until-se", "net_return_mean=0.0002", "-q"]);
    let m = manifest(&grown);
    let p = &m["precision"];
    assert_eq!(p["reached"], true, "{m}");
    let paths = p["paths"].as_u64().unwrap();
    assert!(paths > 40, "one batch was not enough: {m}");
    assert!(p["se"].as_f64().unwrap() <= 0.0002);
    assert_eq!(m["paths"].as_u64(), Some(paths));
    assert!(said.contains("≤ 2.000e-4 after"), "{said}");
    // The same folder as a plain run of that many paths.
    let plain = dir.path().join("plain");
    run(&plain, paths, &["-q"]);
    for file in COMPARED {
        assert_eq!(
            fs::read(grown.join(file)).unwrap(),
            fs::read(plain.join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(manifest(&plain).get("precision").is_none());
    // The summary's standard error is the one the run stopped on.
    let summary = fs::read_to_string(grown.join("summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let se = header.iter().position(|h| *h == "mean_se").unwrap();
    let total = summary
        .lines()
        .find(|l| l.starts_with("total,total,net_return,"))
        .unwrap();
    let cell: f64 = total.split(',').nth(se).unwrap().parse().unwrap();
    assert_eq!(cell, p["se"].as_f64().unwrap());
}

#[test]
fn until_se_says_when_the_path_cap_stopped_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("capped");
    let said = run(
        &out,
        40,
        &["--until-se", "net_return_mean=1e-9", "--max-paths", "100"],
    );
    let m = manifest(&out);
    assert_eq!(m["precision"]["reached"], false, "{m}");
    assert_eq!(m["paths"], 100);
    assert!(said.contains("path cap reached"), "{said}");
}

#[test]
fn until_se_refuses_results_without_an_error_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (spec, expected) in [
        ("loss_var99=0.1", "has no standard error"),
        ("net_return_men=0.1", "did you mean net_return_mean?"),
        ("net_return_mean=-1", "above 0"),
    ] {
        let assert = restake_sim()
            .arg("run")
            .arg(root().join("scenarios/eigenlayer-avs.toml"))
            .args(["--until-se", spec, "--out"])
            .arg(dir.path().join("x"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains("--until-se"), "{stderr}");
        assert!(stderr.contains(expected), "{spec}: {stderr}");
    }
}
