//! `submit` and sweep blocks: the job files `submit slurm`, `submit k8s`
//! and `submit local` write, replayed here without a cluster, give the
//! bytes of the run (or sweep) done whole; and so does the `xargs`
//! pipeline the README documents.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{restake_sim, root};

const COMPARED: [&str; 6] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
    "exits.csv",
];

const SMALL: [&str; 4] = ["--paths", "30", "--set", "staker.*.count=20"];
const GRID: &str = "protocol.*.slashing.yearly_probability=0.01,0.05,0.1";

fn scenario() -> PathBuf {
    root().join("scenarios/eigenlayer-avs.toml")
}

fn binary() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("restake-sim"))
}

/// `PATH` with the binary's folder first.
fn path_with_binary() -> String {
    let dir = binary().parent().unwrap().to_path_buf();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", dir.display())
}

fn whole_run(out: &Path) {
    restake_sim()
        .arg("run")
        .arg(scenario())
        .args(SMALL)
        .args(["-q", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn whole_sweep(out: &Path) {
    restake_sim()
        .arg("sweep")
        .arg(scenario())
        .args(["--grid", GRID])
        .args(SMALL)
        .args(["-q", "--out"])
        .arg(out)
        .assert()
        .success();
}

fn assert_same_run(whole: &Path, merged: &Path) {
    for name in COMPARED {
        let a = fs::read(whole.join(name)).unwrap();
        let b = fs::read(merged.join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between the whole and the merged run"
        );
    }
}

fn assert_same_sweep(whole: &Path, merged: &Path) {
    let names = |d: &Path| {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(whole), names(merged));
    let a = fs::read(whole.join("sweep.csv")).unwrap();
    let b = fs::read(merged.join("sweep.csv")).unwrap();
    assert!(
        a == b,
        "sweep.csv differs between the whole and the merged sweep"
    );
}

/// Runs a shell script line as `bash -c` with `env`, in `cwd`.
fn bash(script: &str, env: &[(&str, String)], cwd: &Path) {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(cwd);
    cmd.env("PATH", path_with_binary());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    assert!(
        out.status.success(),
        "{script}\nfailed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn sweep_blocks_merge_into_the_whole_sweeps_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    whole_sweep(&whole);
    let block = |spec: &str, name: &str| {
        let out = dir.path().join(name);
        restake_sim()
            .arg("sweep")
            .arg(scenario())
            .args(["--grid", GRID, "--block", spec])
            .args(SMALL)
            .args(["-q", "--out"])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let (one, two, three) = (block("1/3", "b1"), block("2/3", "b2"), block("3/3", "b3"));
    let merged = dir.path().join("merged");
    restake_sim()
        .arg("merge")
        .args([&three, &one, &two])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_same_sweep(&whole, &merged);
    // Two blocks of three points: the first holds one point, the second two.
    let halves = [block("1/2", "h1"), block("2/2", "h2")];
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(halves[1].join("sweep-block.json")).unwrap()).unwrap();
    assert_eq!(info["first_point"], 1);
    assert_eq!(info["rows"].as_array().unwrap().len(), 2);
    let merged2 = dir.path().join("merged2");
    restake_sim()
        .arg("merge")
        .args(&halves)
        .arg("--out")
        .arg(&merged2)
        .assert()
        .success();
    assert_same_sweep(&whole, &merged2);
    // Missing, overlapping and foreign blocks are refused.
    let refused = |blocks: &[&Path], expected: &str| {
        let out = dir.path().join("refused");
        let a = restake_sim()
            .arg("merge")
            .args(blocks)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = stderr_of(&a);
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in: {stderr}"
        );
        assert!(!out.exists());
    };
    refused(&[&one, &three], "sweep blocks missing: 2/3");
    refused(&[&one, &two, &two, &three], "overlap");
    refused(&[&one, &halves[1], &three], "not blocks of the same sweep");
    restake_sim()
        .arg("sweep")
        .arg(scenario())
        .args(["--grid", GRID, "--block", "4/4"])
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "3 points cannot be split into 4 blocks",
        ));
}

#[test]
fn slurm_scripts_replayed_here_give_the_whole_runs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    whole_run(&whole);
    let out = dir.path().join("my run");
    let a = restake_sim()
        .args(["submit", "slurm"])
        .arg(scenario())
        .args(["--shards", "4"])
        .args(SMALL)
        .args(["--partition", "short", "--time", "0:10:00", "--mem", "1G"])
        .args(["--sbatch-arg=--qos=low", "--dry-run", "--out"])
        .arg(&out)
        .assert()
        .success();
    let printed = stdout_of(&a);
    let jobs = dir.path().join("my run.slurm");
    let array = fs::read_to_string(jobs.join("shards.sh")).unwrap();
    let merge = fs::read_to_string(jobs.join("merge.sh")).unwrap();
    let bin = binary().display().to_string();
    for line in [
        "#SBATCH --array=1-4",
        "#SBATCH --partition=short",
        "#SBATCH --time=0:10:00",
        "#SBATCH --mem=1G",
        "#SBATCH --qos=low",
        "I=\"$SLURM_ARRAY_TASK_ID\"",
    ] {
        assert!(array.lines().any(|l| l == line), "{line:?} in:\n{array}");
    }
    let exec = format!(
        "exec {bin} run {} --shard \"$I\"/4 --paths 30 --set 'staker.*.count=20' --out '{}/parts/shard-'\"$I\"",
        scenario().display(),
        jobs.display()
    );
    assert!(array.lines().any(|l| l == exec), "{exec}\nin:\n{array}");
    assert!(
        merge.contains(&format!(
            "'{}/parts/shard-4' --out '{}'",
            jobs.display(),
            out.display()
        )),
        "{merge}"
    );
    assert!(
        printed.contains("ARRAY_ID=$(sbatch --parsable '"),
        "{printed}"
    );
    assert!(
        printed.contains("--dependency=afterok:\"$ARRAY_ID\" --kill-on-invalid-dep=yes"),
        "{printed}"
    );
    assert!(jobs.join("logs").is_dir());
    // The scripts as Slurm would run them: the array's tasks, then the merge.
    for i in 1..=4 {
        bash(
            &array,
            &[("SLURM_ARRAY_TASK_ID", i.to_string())],
            dir.path(),
        );
    }
    bash(&merge, &[], dir.path());
    assert_same_run(&whole, &out);
}

#[test]
fn slurm_submit_validates_first_and_names_a_missing_sbatch() {
    let dir = tempfile::tempdir().unwrap();
    let a = restake_sim()
        .args(["submit", "slurm"])
        .arg(scenario())
        .args([
            "--shards",
            "2",
            "--set",
            "protocol.da-avs.slashing.yearly_probability=1.5",
        ])
        .arg("--out")
        .arg(dir.path().join("x"))
        .assert()
        .code(2);
    let stderr = stderr_of(&a);
    assert!(stderr.contains("is not a valid scenario"), "{stderr}");
    assert!(stderr.contains("slashing.yearly_probability"), "{stderr}");
    assert!(!dir.path().join("x.slurm").exists());
    // A bad file: the error is located in it.
    let bad = dir.path().join("bad.toml");
    let text = fs::read_to_string(scenario()).unwrap();
    fs::write(&bad, text.replacen("count = 1000", "count = -5", 1)).unwrap();
    let a = restake_sim()
        .args(["submit", "slurm"])
        .arg(&bad)
        .args(["--shards", "2", "--dry-run"])
        .assert()
        .code(2);
    let stderr = stderr_of(&a);
    assert!(stderr.contains("bad.toml:212:"), "{stderr}");
    restake_sim()
        .args(["submit", "slurm"])
        .arg(scenario())
        .args(["--shards", "31", "--paths", "30", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "30 paths cannot be split into 31 shards",
        ));
    // No sbatch on the PATH.
    let a = restake_sim()
        .args(["submit", "slurm"])
        .arg(scenario())
        .args(["--shards", "2"])
        .args(SMALL)
        .arg("--out")
        .arg(dir.path().join("y"))
        .env("PATH", dir.path())
        .assert()
        .code(1);
    let stderr = stderr_of(&a);
    assert!(stderr.contains("sbatch not found"), "{stderr}");
    assert!(stderr.contains("--dry-run"), "{stderr}");
}

/// The container command of a Job manifest.
fn container_command(manifest: &serde_json::Value) -> Vec<String> {
    manifest["spec"]["template"]["spec"]["containers"][0]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Runs a container command here, in `cwd` (the volume), with `env`.
fn run_container(command: &[String], env: &[(&str, String)], cwd: &Path) {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]).current_dir(cwd);
    cmd.env("PATH", path_with_binary());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn k8s_replay(kind: &[&str], parts: u32) -> PathBuf {
    // The volume: a folder holding the scenario, as the pods see it.
    let volume = tempfile::tempdir().unwrap().keep();
    fs::create_dir_all(volume.join("scenarios")).unwrap();
    fs::copy(scenario(), volume.join("scenarios/eigenlayer-avs.toml")).unwrap();
    restake_sim()
        .current_dir(&volume)
        .args(["submit", "k8s", "scenarios/eigenlayer-avs.toml"])
        .args(kind)
        .args(SMALL)
        .args(["--image", "registry.example/restake-sim:1", "--pvc", "sims"])
        .args(["--parallelism", "2", "--dry-run", "--out", "results/x"])
        .assert()
        .success()
        .stdout(predicates::str::contains("kubectl apply -f"));
    let part = if kind[0] == "--shards" {
        "shard"
    } else {
        "block"
    };
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&fs::read(volume.join("results/x.k8s").join(name)).unwrap()).unwrap()
    };
    let parts_job = read(&format!("{part}s.json"));
    let merge_job = read("merge.json");
    assert_eq!(parts_job["kind"], "Job");
    assert_eq!(parts_job["spec"]["completionMode"], "Indexed");
    assert_eq!(parts_job["spec"]["completions"], parts);
    assert_eq!(parts_job["spec"]["parallelism"], 2);
    let pod = &parts_job["spec"]["template"]["spec"];
    assert_eq!(
        pod["containers"][0]["image"],
        "registry.example/restake-sim:1"
    );
    assert_eq!(pod["containers"][0]["workingDir"], "/data");
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "sims"
    );
    assert_eq!(
        merge_job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "sims"
    );
    assert_eq!(
        parts_job["metadata"]["name"],
        format!("eigenlayer-avs-{part}s")
    );
    assert_eq!(merge_job["metadata"]["name"], "eigenlayer-avs-merge");
    let command = container_command(&parts_job);
    assert_eq!(&command[..2], ["/bin/sh", "-c"]);
    for index in 0..parts {
        run_container(
            &command,
            &[("JOB_COMPLETION_INDEX", index.to_string())],
            &volume,
        );
    }
    run_container(&container_command(&merge_job), &[], &volume);
    volume
}

#[test]
fn k8s_manifests_replayed_here_give_the_whole_runs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    whole_run(&whole);
    let volume = k8s_replay(&["--shards", "3"], 3);
    assert_same_run(&whole, &volume.join("results/x"));
    fs::remove_dir_all(&volume).unwrap();
}

#[test]
fn k8s_sweep_blocks_replayed_here_give_the_whole_sweeps_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    whole_sweep(&whole);
    let volume = k8s_replay(&["--blocks", "2", "--grid", GRID], 2);
    assert_same_sweep(&whole, &volume.join("results/x"));
    fs::remove_dir_all(&volume).unwrap();
}

#[test]
fn submit_local_runs_the_blocks_and_merges_them() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    whole_sweep(&whole);
    let out = dir.path().join("local");
    restake_sim()
        .args(["submit", "local"])
        .arg(scenario())
        .args(["--blocks", "2", "--grid", GRID, "--jobs", "2"])
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let script = fs::read_to_string(dir.path().join("local.local/run.sh")).unwrap();
    assert!(script.contains("seq 1 2 | xargs -P 2 -I{} "), "{script}");
    assert_same_sweep(&whole, &out);
}

/// The README's `xargs` pipeline ("Scaling out"), run as written: the
/// lines after its first (which sets S, N, K, P and OUT) with those set
/// here.
#[test]
fn the_readme_xargs_pipeline_gives_the_whole_runs_bytes() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let marker = "<!-- tested: the xargs pipeline -->";
    let start = readme
        .find(marker)
        .expect("the README marks its xargs pipeline");
    let block = readme[start..]
        .split("```")
        .nth(1)
        .expect("a code block follows the marker");
    let lines: Vec<&str> = block
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(lines[0].starts_with("S="), "{lines:?}");
    let pipeline = lines[1..].join("\n");
    assert!(pipeline.contains("xargs -P"), "{pipeline}");
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.toml");
    let text = fs::read_to_string(scenario()).unwrap();
    let text = text
        .replace("count = 1000", "count = 20")
        .replace("count = 3000", "count = 20");
    fs::write(&small, text).unwrap();
    let whole = dir.path().join("whole");
    restake_sim()
        .arg("run")
        .arg(&small)
        .args(["--paths", "12", "-q", "--out"])
        .arg(&whole)
        .assert()
        .success();
    let env = [
        ("S", small.display().to_string()),
        ("N", "4".to_string()),
        ("K", "2".to_string()),
        ("P", "12".to_string()),
        ("OUT", dir.path().join("merged").display().to_string()),
    ];
    bash(&format!("set -euo pipefail\n{pipeline}"), &env, dir.path());
    assert_same_run(&whole, &dir.path().join("merged"));
}
