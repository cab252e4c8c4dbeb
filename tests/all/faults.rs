//! Faults while a command runs: SIGINT and SIGTERM stop it promptly
//! (exit 130, 143) leaving nothing behind but the previous result; a
//! second writer of the same folder is refused while the first holds it;
//! a full disk or a read-only folder is a clear error naming the path,
//! with no half-written result.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{restake_sim, root};

/// Hidden files and folders a command leaves while it writes: staging
/// folders, temporary files and lock files.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-") || n.ends_with(".lock"))
        .collect()
}

fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// A child process killed when dropped, so a failing test leaves no long
/// command running behind it.
struct Running(Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `restake-sim ARGS --out OUT -q` and returns once it has claimed
/// `OUT` (its lock file is there), so it is certainly busy writing it.
fn start_claiming(args: &[&str], out: &Path) -> Running {
    let lock = out.parent().unwrap().join(format!(
        ".{}.lock",
        out.file_name().unwrap().to_string_lossy()
    ));
    let mut child = Running(
        Command::new(assert_cmd::cargo::cargo_bin!("restake-sim"))
            .args(args)
            .args(["-q", "--out"])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while !lock.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{args:?} ended ({status}) before claiming {}",
                out.display()
            );
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no lock file");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn stderr_of(child: &mut Child) -> String {
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    stderr
}

/// How a command is stopped and what it must leave.
struct Interruption<'a> {
    /// The signal, as `kill` takes it.
    signal: &'a str,
    /// The exit code it must give.
    code: i32,
    /// How long after its claim the command is stopped.
    after: Duration,
    /// A file of the previous result that must be kept.
    kept: &'a str,
}

/// A long command of `long` writing `out` (which already holds the output
/// of `quick`) is stopped by a signal: it exits with the expected code
/// within five seconds, leaves no staging folder, temporary or lock file,
/// and the previous result is byte for byte what it was.
fn interrupted_keeps_the_previous_result(quick: &[&str], long: &[&str], how: &Interruption) {
    let Interruption {
        signal,
        code,
        after,
        kept,
    } = *how;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result");
    restake_sim()
        .args(quick)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let previous = fs::read(out.join(kept)).unwrap();
    let mut child = start_claiming(long, &out);
    std::thread::sleep(after);
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(code), "{long:?} {signal}");
    assert!(took < Duration::from_secs(5), "{signal} took {took:?}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    assert_eq!(fs::read(out.join(kept)).unwrap(), previous);
    let stderr = stderr_of(&mut child);
    assert!(stderr.contains("interrupted"), "{stderr}");
}

fn sweep(paths: &str) -> Vec<String> {
    let file = scenario("eigenlayer-avs.toml");
    [
        "sweep",
        file.to_str().unwrap(),
        "--grid",
        "protocol.*.slashing.yearly_probability=0.01,0.05",
        "--paths",
        paths,
    ]
    .map(str::to_string)
    .to_vec()
}

/// SIGTERM, 200 ms after the claim (into the simulation).
fn term(kept: &str) -> Interruption<'_> {
    Interruption {
        signal: "-TERM",
        code: 143,
        after: Duration::from_millis(200),
        kept,
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn sigterm_stops_a_sweep_with_143_and_leaves_nothing_behind() {
    let (quick, long) = (sweep("2"), sweep("20000"));
    interrupted_keeps_the_previous_result(&strs(&quick), &strs(&long), &term("sweep.csv"));
}

#[test]
fn sigint_stops_a_sweep_with_130_and_leaves_nothing_behind() {
    let (quick, long) = (sweep("2"), sweep("20000"));
    let int = Interruption {
        signal: "-INT",
        code: 130,
        ..term("sweep.csv")
    };
    interrupted_keeps_the_previous_result(&strs(&quick), &strs(&long), &int);
}

#[test]
fn sigterm_stops_a_run_and_a_stress_test() {
    let file = scenario("eigenlayer-avs.toml");
    let file = file.to_str().unwrap();
    interrupted_keeps_the_previous_result(
        &["run", file, "--paths", "2"],
        &["run", file, "--paths", "20000"],
        &term("paths.csv"),
    );
    interrupted_keeps_the_previous_result(
        &["stress", file, "--preset", "slash-x10", "--paths", "2"],
        &["stress", file, "--preset", "slash-x10", "--paths", "20000"],
        &term("stress.csv"),
    );
}

#[test]
fn sigterm_stops_a_merge() {
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<String> = ["1/2", "2/2"]
        .iter()
        .enumerate()
        .map(|(i, shard)| {
            let out = dir.path().join(format!("shard-{i}"));
            restake_sim()
                .arg("run")
                .arg(scenario("eigenlayer-avs.toml"))
                .args(["--paths", "600", "--set", "staker.*.count=5", "-q"])
                .args(["--shard", shard, "--out"])
                .arg(&out)
                .assert()
                .success();
            out.display().to_string()
        })
        .collect();
    let merge = ["merge", &shards[0], &shards[1]];
    // Merging these takes about half a second, most of it after the claim.
    let at_once = Interruption {
        after: Duration::ZERO,
        ..term("paths.csv")
    };
    interrupted_keeps_the_previous_result(&merge, &merge, &at_once);
}

#[test]
fn a_second_writer_of_a_busy_folder_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result");
    let (quick, long) = (sweep("2"), sweep("20000"));
    restake_sim()
        .args(&quick)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mut first = start_claiming(&strs(&long), &out);
    let file = scenario("rm1.toml");
    for second in [
        vec!["run", file.to_str().unwrap(), "--paths", "2", "-q", "--out"],
        vec!["chart"],
    ] {
        let refused = restake_sim().args(&second).arg(&out).assert().code(1);
        let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!(
                "another restake-sim process (process {}) is writing it now",
                first.id()
            )),
            "{second:?}: {stderr}"
        );
        assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // The lock died with its holder: the folder is free again.
    restake_sim()
        .args(["run", file.to_str().unwrap(), "--paths", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
}

/// The CSV files of a run folder, by name.
fn csv_files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn racing_writers_leave_one_whole_result_and_the_other_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("eigenlayer-avs.toml");
    let run = |seed: &str, out: &Path| {
        Running(
            Command::new(assert_cmd::cargo::cargo_bin!("restake-sim"))
                .arg("run")
                .arg(&file)
                .args(["--paths", "20", "--seed", seed, "-q", "--out"])
                .arg(out)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        )
    };
    let whole: Vec<_> = ["1", "2"]
        .iter()
        .map(|seed| {
            let out = dir.path().join(format!("alone-{seed}"));
            assert!(run(seed, &out).wait().unwrap().success());
            csv_files(&out)
        })
        .collect();
    let out = dir.path().join("raced");
    for round in 0..6 {
        let mut racers = [run("1", &out), run("2", &out)];
        for racer in &mut racers {
            let status = racer.wait().unwrap();
            let stderr = stderr_of(racer);
            assert!(
                status.success()
                    || (status.code() == Some(1) && stderr.contains("is writing it now")),
                "round {round}: {status}: {stderr}"
            );
        }
        let result = csv_files(&out);
        assert!(whole.contains(&result), "round {round}: a mixed folder");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

/// A tmpfs mounted for the length of a test, unmounted when dropped.
struct Mounted {
    dir: tempfile::TempDir,
}

impl Mounted {
    /// Mounts a tmpfs of `size` (as `mount -o size=`) with `options`;
    /// `None` where this user may not mount (not root, or a sandbox).
    fn tmpfs(size: &str) -> Option<Mounted> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            Some(Mounted { dir })
        } else {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            None
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// `run` into `out` fails with exit 1 and an error naming the path and the
/// system's reason.
fn run_fails_naming(out: &Path, paths: &str, reason: &str) {
    let refused = restake_sim()
        .arg("run")
        .arg(scenario("eigenlayer-avs.toml"))
        .args(["--paths", paths, "-q", "--out"])
        .arg(out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains(reason), "{stderr}");
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_full_disk_is_an_error_naming_the_path_and_keeps_the_previous_result() {
    // Room for one result (about 650 kB) but not for a second beside it.
    let Some(disk) = Mounted::tmpfs("1m") else {
        return;
    };
    let out = disk.path().join("result");
    restake_sim()
        .arg("run")
        .arg(scenario("eigenlayer-avs.toml"))
        .args(["--paths", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let previous = csv_files(&out);
    run_fails_naming(&out, "2", "No space left on device");
    assert_eq!(csv_files(&out), previous);
    assert!(
        leftovers(disk.path()).is_empty(),
        "{:?}",
        leftovers(disk.path())
    );
}

#[test]
fn a_read_only_folder_is_an_error_naming_the_path_and_keeps_the_previous_result() {
    let Some(disk) = Mounted::tmpfs("4m") else {
        return;
    };
    let out = disk.path().join("result");
    restake_sim()
        .arg("run")
        .arg(scenario("eigenlayer-avs.toml"))
        .args(["--paths", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let previous = csv_files(&out);
    disk.remount_read_only();
    run_fails_naming(&out, "2", "Read-only file system");
    assert_eq!(csv_files(&out), previous);
}

#[test]
fn a_long_run_is_announced_not_refused() {
    let file = scenario("rm1.toml");
    let checked = restake_sim()
        .arg("validate")
        .arg(&file)
        .args([
            "--set",
            "run.horizon_days=36500",
            "--set",
            "run.paths=1000000",
        ])
        .args(["--set", "run.record_every_days=365"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&checked.get_output().stdout).into_owned();
    // A million paths × 36,500 steps × the file's stakers: hours even at
    // ten times the rate this engine reaches on one core of a fast machine.
    let stakers: u64 = 10_000;
    let line = stdout.lines().find(|l| l.contains("work: ")).unwrap();
    assert!(
        line.contains(&format!(
            "{:.1e} agent-steps",
            (stakers * 36_500 * 1_000_000) as f64
        )),
        "{line}"
    );
    assert!(line.contains("hours") || line.contains("days"), "{line}");
}
