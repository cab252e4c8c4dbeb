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
