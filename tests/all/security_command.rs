//! `security` through the binary: the ε-network of Durvasula & Roughgarden
//! (secure with no slack, and one small shock away from losing all its
//! stake), the error without any `corruption`, a folder that appears whole,
//! and the cascade chart.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::support::restake_sim;

/// Two operators holding ε = 1 % and 99 % of the stake ($10,000 and
/// $990,000), all of it delegated and behind one protocol, whose corruption
/// is worth exactly the whole stake and needs all of it.
const EPSILON: &str = r#"
[run]
name = "epsilon"
horizon_days = 30
paths = 1
seed = 1

[[asset]]
name = "ETH"
price_usd = 1000

[[protocol]]
name = "svc"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
corruption = { profit_usd = 1000000, threshold = 1.0 }

[[operator]]
name = "small"
protocols = ["svc"]

[[operator]]
name = "big"
protocols = ["svc"]

[[staker]]
class = "small-delegators"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { svc = 1.0 }
operators = { small = 1.0 }

[[staker]]
class = "big-delegators"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 990 }
allocate = { svc = 1.0 }
operators = { big = 1.0 }
"#;

fn write_scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn number(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

/// Names in `dir`, hidden ones included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_epsilon_network_is_secure_without_slack_and_collapses_after_a_one_percent_shock() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), "epsilon.toml", EPSILON);
    let out = dir.path().join("security");
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .args(["--shock", "0.005,0.01", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("svc"))
        .stdout(predicate::str::contains("secure (no attack pays)"))
        .stdout(predicate::str::contains(out.display().to_string()));

    let services = rows(&out.join("security.csv"));
    assert_eq!(services.len(), 1);
    let svc = &services[0];
    assert_eq!(svc["service"], "svc");
    assert_eq!(number(&svc["profit_usd"]), 1e6);
    assert_eq!(number(&svc["stake_behind_usd"]), 1e6);
    assert_eq!(number(&svc["needed_usd"]), 1e6);
    assert_eq!(number(&svc["undelegated_usd"]), 0.0);
    assert_eq!(svc["attackable"], "true");
    assert_eq!(svc["profitable"], "false");
    assert_eq!(svc["cheapest_coalition"], "small+big");
    assert_eq!(svc["attacked_with"], "svc");
    assert!((number(&svc["cost_to_profit"]) - 1.0).abs() < 1e-9);
    assert_eq!(svc["method"], "exact");

    let network = rows(&out.join("network.csv"));
    assert_eq!(network.len(), 1);
    let net = &network[0];
    assert_eq!(number(&net["total_stake_usd"]), 1e6);
    assert_eq!(net["services"], "1");
    assert_eq!(net["operators"], "2");
    assert_eq!(net["secure"], "true");
    assert!(number(&net["slack"]).abs() < 1e-9, "slack {}", net["slack"]);
    assert_eq!(net["condition_holds"], "true");
    assert_eq!(net["cheapest_attack_coalition"], "small+big");

    let cascades = rows(&out.join("cascade.csv"));
    let psi: Vec<f64> = cascades.iter().map(|c| number(&c["psi"])).collect();
    assert_eq!(psi, vec![0.005, 0.01]);
    let lost: Vec<f64> = cascades
        .iter()
        .map(|c| number(&c["worst_loss_fraction"]))
        .collect();
    assert_eq!(lost, vec![0.0, 1.0]);
    assert_eq!(cascades[0]["shocked_operators"], "");
    assert_eq!(cascades[1]["shocked_operators"], "small");
    assert_eq!(cascades[1]["attacks"], "1");
    assert_eq!(cascades[1]["attacked_services"], "svc");
    assert_eq!(cascades[1]["proved_worst"], "true");
    // γ = 0: no bound.
    assert!(cascades.iter().all(|c| c["bound_fraction"].is_empty()));

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["shocks"], serde_json::json!([0.005, 0.01]));
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(
        !out.join("cascade.png").exists(),
        "no chart without --charts"
    );
}

#[test]
fn a_scenario_without_corruption_is_refused_with_exit_code_2_and_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let text = EPSILON.replace(
        "corruption = { profit_usd = 1000000, threshold = 1.0 }\n",
        "",
    );
    let scenario = write_scenario(dir.path(), "plain.toml", &text);
    let out = dir.path().join("security");
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain.toml"))
        .stderr(predicate::str::contains("corruption"));
    assert!(!out.exists());
    assert_eq!(entries(dir.path()), vec!["plain.toml"]);
}

#[test]
fn bad_shocks_and_invalid_scenarios_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), "epsilon.toml", EPSILON);
    let out = dir.path().join("security");
    for shock in ["0", "1.5", "-0.1", "lots"] {
        restake_sim()
            .arg("security")
            .arg(&scenario)
            .args(["--shock", shock, "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shock"));
    }
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .args(["--set", "protocol.svc.corruption.threshold=2", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corruption.threshold"));
    assert_eq!(entries(dir.path()), vec!["epsilon.toml"]);
}

#[test]
fn the_folder_appears_whole_and_replaces_only_earlier_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), "epsilon.toml", EPSILON);
    let out = dir.path().join("security");
    let run = |shock: &str| {
        restake_sim()
            .arg("security")
            .arg(&scenario)
            .args(["--quiet", "--shock", shock, "--out"])
            .arg(&out)
            .assert()
    };
    run("0.01").success().stdout(format!("{}\n", out.display()));
    assert_eq!(
        entries(&out),
        vec![
            "cascade.csv",
            "manifest.json",
            "network.csv",
            "security.csv"
        ]
    );
    // A second analysis replaces the first whole; no staging folder is left.
    run("0.005,0.01").success();
    assert_eq!(rows(&out.join("cascade.csv")).len(), 2);
    assert_eq!(entries(dir.path()), vec!["epsilon.toml", "security"]);
    // A failed one leaves the previous result as it was.
    run("2").code(2);
    assert_eq!(rows(&out.join("cascade.csv")).len(), 2);
    assert_eq!(entries(dir.path()), vec!["epsilon.toml", "security"]);
    // A folder that holds something else is refused and left untouched.
    let notes = dir.path().join("notes");
    fs::create_dir(&notes).unwrap();
    fs::write(notes.join("mine.txt"), b"mine").unwrap();
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .arg("--out")
        .arg(&notes)
        .assert()
        .failure()
        .stderr(predicate::str::contains("refusing to replace"));
    assert_eq!(entries(&notes), vec!["mine.txt"]);
    assert_eq!(
        entries(dir.path()),
        vec!["epsilon.toml", "notes", "security"]
    );
}

#[test]
fn charts_draw_the_cascade_into_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), "epsilon.toml", EPSILON);
    let out = dir.path().join("security");
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .args(["--charts", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let png = fs::read(out.join("cascade.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "cascade.png")
    );
    // The default shocks, ascending.
    let psi: Vec<f64> = rows(&out.join("cascade.csv"))
        .iter()
        .map(|c| number(&c["psi"]))
        .collect();
    assert_eq!(psi, vec![0.001, 0.01, 0.05, 0.1]);
}

/// docs/outputs.md names every column of the three CSV files and every key
/// of the manifest, in backticks, and documents the attack metrics in the
/// table rows of their entity kinds.
#[test]
fn every_column_of_a_security_folder_and_every_attack_metric_is_documented() {
    use restake_sim::results::{SecurityMetric, ServiceMetric};
    let doc = fs::read_to_string(crate::support::root().join("docs/outputs.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), "epsilon.toml", EPSILON);
    let out = dir.path().join("security");
    restake_sim()
        .arg("security")
        .arg(&scenario)
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mut missing = Vec::new();
    for file in ["security.csv", "network.csv", "cascade.csv"] {
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        let names = std::iter::once(file.to_string())
            .chain(r.headers().unwrap().iter().map(str::to_string));
        for name in names {
            if !doc.contains(&format!("`{name}`")) {
                missing.push(format!("{file}: `{name}`"));
            }
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    for key in manifest.as_object().unwrap().keys() {
        if !doc.contains(&format!("`{key}`")) {
            missing.push(format!("manifest.json: `{key}`"));
        }
    }
    let rows = ServiceMetric::ALL
        .iter()
        .map(|m| format!("| protocol | `{}` |", m.name()))
        .chain(
            SecurityMetric::ALL
                .iter()
                .map(|m| format!("| total | `{}` |", m.name())),
        );
    for row in rows {
        if !doc.contains(&row) {
            missing.push(format!("timeseries.csv metric: {row}"));
        }
    }
    if !doc.contains("`attack`") {
        missing.push("events.csv source: `attack`".into());
    }
    assert!(
        missing.is_empty(),
        "docs/outputs.md does not mention:\n  {}",
        missing.join("\n  ")
    );
}
