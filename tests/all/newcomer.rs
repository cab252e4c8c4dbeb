//! What a new user hit on the first day, each reproduced: a closed pipe, two
//! scenarios with one `run.name` in a batch, and an output path through a
//! file.

use std::fs;
use std::process::{Command, Stdio};

use crate::support::{restake_sim, root};

/// Runs the binary with its standard output read by nobody (a pipe closed
/// at once, as `| true` or `| head` does), returning its exit code and
/// standard error.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("restake-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    let scenario = root().join("scenarios/market-2026.toml");
    let (code, stderr) = with_closed_stdout(&["validate", scenario.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let small = root().join("scenarios/babylon-btc.toml");
    let (code, stderr) = with_closed_stdout(&[
        "run",
        small.to_str().unwrap(),
        "--paths",
        "3",
        "--set",
        "staker.*.count=5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.join("manifest.json").exists(), "the run still lands");
}

#[test]
fn two_scenarios_with_one_name_in_a_batch_do_not_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    let text = fs::read_to_string(root().join("scenarios/babylon-btc.toml")).unwrap();
    fs::write(input.join("a.toml"), &text).unwrap();
    fs::write(input.join("b.toml"), &text).unwrap();
    let out = dir.path().join("out");
    let assert = restake_sim()
        .arg("run")
        .arg(&input)
        .args(["--paths", "3", "--set", "staker.*.count=5", "-q", "--out"])
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("run.name \"babylon-btc\" is also the name of"),
        "{stderr}"
    );
    let batch = fs::read_to_string(out.join("batch.csv")).unwrap();
    let statuses: Vec<&str> = batch
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "invalid"], "{batch}");
}

#[test]
fn an_output_path_through_a_file_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    fs::write(&file, "not a folder").unwrap();
    let assert = restake_sim()
        .arg("run")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--paths", "3", "--set", "staker.*.count=5", "--out"])
        .arg(file.join("sub"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("is a file, not a folder"), "{stderr}");
    assert!(!stderr.contains("os error"), "said twice: {stderr}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
}

/// Runs `validate` or `run` on babylon-btc.toml with `args`, expecting exit
/// 2, and returns standard error.
fn refused(command: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = restake_sim();
    cmd.arg(command)
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(args);
    if command != "validate" {
        cmd.arg("--out").arg(dir.path().join("out"));
    }
    let assert = cmd.assert().code(2);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn values_from_the_command_line_are_located_by_their_option() {
    let said = refused("run", &["--paths", "0"]);
    assert!(
        said.contains("--paths 0 (not the file): run.paths: expected an integer ≥ 1, found 0"),
        "{said}"
    );
    let said = refused("validate", &["--set", "staker.7.count=1"]);
    assert!(
        said.contains(
            "--set staker.7.count=1 (not the file): index 7 is out of range: \"staker\" has one element, index 0"
        ),
        "{said}"
    );
    let said = refused("validate", &["--set", "operator.*.commission=0.5"]);
    assert!(
        said.contains("the file has no \"operator\" to set an element of"),
        "{said}"
    );
    assert!(!said.contains("invalid type: map"), "{said}");
    let dir = tempfile::tempdir().unwrap();
    let assert = restake_sim()
        .arg("stress")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--multiply", "run.paths=0", "--out"])
        .arg(dir.path().join("s"))
        .assert()
        .code(2);
    let said = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        said.contains("--multiply run.paths=0 (not the file): run.paths"),
        "{said}"
    );
    assert!(!said.contains("--set"), "{said}");
}

/// `validate` on babylon-btc.toml with one line replaced; its one problem.
fn problem_with(from: &str, to: &str) -> String {
    let text = fs::read_to_string(root().join("scenarios/babylon-btc.toml")).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.toml");
    fs::write(&file, text.replacen(from, to, 1)).unwrap();
    let assert = restake_sim().arg("validate").arg(&file).assert().code(2);
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn validation_messages_read_as_a_user_writes() {
    let said = problem_with(
        "allocate = { babylon = 1.0 }",
        "allocate = { babylonn = 1.0 }",
    );
    assert!(said.contains("did you mean \"babylon\"?"), "{said}");
    let said = problem_with("count = 5000", "count = \"30\"");
    assert!(
        said.contains(
            "expected a whole number ≥ 0, found the text \"30\" (write numbers without quotes)"
        ),
        "{said}"
    );
    assert!(!said.contains("u32"), "{said}");
    let said = problem_with("name = \"babylon-btc\"", "name = \".hidden\"");
    assert!(said.contains("does not start with '.'"), "{said}");
    assert!(!said.contains("or '.'"), "{said}");
    let said = problem_with("count = 5000", "count = 1e308");
    assert!(said.contains("found 1e308"), "{said}");
    assert!(!said.contains("0000000000000000"), "{said}");
}
