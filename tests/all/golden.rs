//! Golden snapshot of a small fixed-seed run: any change to the numbers a
//! scenario produces shows up here. When a change is intended (new random
//! draws, a model fix), regenerate with `UPDATE_GOLDEN=1 cargo test golden`
//! and note it in CHANGELOG.md.

use std::fs;

use crate::support::{restake_sim, root};

#[test]
fn small_rm1_run_matches_the_golden_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    restake_sim()
        .arg("run")
        .arg(root().join("scenarios/rm1.toml"))
        .args([
            "--paths",
            "8",
            "--seed",
            "42",
            "--quiet",
            "--set",
            "staker.stakers.count=300",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for file in ["summary.csv", "paths.csv"] {
        let golden = root().join("tests/golden/rm1-small").join(file);
        let actual = fs::read_to_string(out.join(file)).unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            fs::create_dir_all(golden.parent().unwrap()).unwrap();
            fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
                golden.display()
            )
        });
        assert!(
            actual == expected,
            "{file} differs from {}; if the change is intended, UPDATE_GOLDEN=1 and a CHANGELOG entry",
            golden.display()
        );
    }
}

/// Output files whose bytes the shipped-scenario snapshot pins.
const PINNED: [&str; 6] = [
    "events.csv",
    "exits.csv",
    "paths.csv",
    "summary.csv",
    "timeseries.csv",
    "yields.csv",
];

/// Every shipped scenario, 10 paths of 200 stakers per class at seed 42:
/// the SHA-256 of each CSV file must match `tests/golden/shipped-scenarios.sha256`
/// (first written by the binary of commit 985c9fb, before the engine was
/// split into parts; a refactoring must keep every byte). Regenerate with
/// `UPDATE_GOLDEN=1` only for an intended change, with a CHANGELOG entry.
#[test]
fn every_shipped_scenario_matches_its_golden_hashes() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut lines = String::new();
    for name in &names {
        let out = dir.path().join(name);
        restake_sim()
            .arg("run")
            .arg(root().join("scenarios").join(format!("{name}.toml")))
            .args(["--paths", "10", "--seed", "42", "--quiet"])
            .args(["--set", "staker.*.count=200", "--out"])
            .arg(&out)
            .assert()
            .success();
        for file in PINNED {
            let bytes = fs::read(out.join(file)).unwrap();
            let hash: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            lines.push_str(&format!("{name} {file} {hash}\n"));
        }
    }
    let golden = root().join("tests/golden/shipped-scenarios.sha256");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&golden, &lines).unwrap();
        return;
    }
    let expected = fs::read_to_string(&golden).unwrap();
    let differing: Vec<&str> = lines
        .lines()
        .filter(|l| !expected.lines().any(|e| e == *l))
        .collect();
    assert!(
        differing.is_empty() && lines.lines().count() == expected.lines().count(),
        "outputs differ from {}:\n{}\n(if intended: UPDATE_GOLDEN=1 and a CHANGELOG entry)",
        golden.display(),
        differing.join("\n")
    );
}
