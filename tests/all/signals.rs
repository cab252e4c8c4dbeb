//! SIGINT and SIGTERM stop a command promptly: its staging folder is
//! deleted, the previous result stays, and the exit code is 128 + the
//! signal (130, 143).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{restake_sim, root};

/// Hidden staging folders in `dir`.
fn staging_folders(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect()
}

fn interrupted_sweep_keeps_the_previous_result(signal: &str, expected_code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let scenario = root().join("scenarios/eigenlayer-avs.toml");
    let grid = "protocol.*.slashing.yearly_probability=0.01,0.05";
    // A previous result, small and quick.
    restake_sim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--grid", grid, "--paths", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let previous = fs::read(out.join("sweep.csv")).unwrap();
    // A long one, stopped while it simulates into its staging folder.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("restake-sim"))
        .arg("sweep")
        .arg(&scenario)
        .args(["--grid", grid, "--paths", "20000", "-q", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while staging_folders(dir.path()).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(expected_code), "{signal}");
    assert!(took < Duration::from_secs(5), "{signal} took {took:?}");
    assert!(
        staging_folders(dir.path()).is_empty(),
        "{:?}",
        staging_folders(dir.path())
    );
    assert_eq!(fs::read(out.join("sweep.csv")).unwrap(), previous);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn sigterm_stops_a_sweep_with_143_and_leaves_nothing_behind() {
    interrupted_sweep_keeps_the_previous_result("-TERM", 143);
}

#[test]
fn sigint_stops_a_sweep_with_130_and_leaves_nothing_behind() {
    interrupted_sweep_keeps_the_previous_result("-INT", 130);
}
