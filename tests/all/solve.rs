//! `solve`, the reverse stress test, through the binary: an answer known in
//! closed form, the errors, and byte-identical outputs.

use std::fs;
use std::path::{Path, PathBuf};

use restake_sim::app::solve::{SOLUTION_COLUMNS, SOLVE_COLUMNS};

use crate::support::restake_sim;

/// Severity of every slash in [`scenario`]: any slash is a loss.
const SEVERITY: f64 = 0.1;

/// One staker in one protocol slashed with yearly probability p (fixed
/// severity, no exits), over `YEARS` years in steps of 10 days.
///
/// A yearly probability p is a Poisson hazard: each 10-day step fires with
/// q = 1 − (1 − p)^(10/365), one uniform per step, so the chance of at least
/// one slash, hence of a loss, in 73 steps (730 days) is
/// 1 − (1 − q)^73 = 1 − (1 − p)^2.
fn scenario(dir: &Path) -> PathBuf {
    let text = format!(
        r#"
[run]
name = "closed-form"
horizon_days = 730
step_days = 10
paths = 2000
seed = 11

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.0 }}
slashing = {{ yearly_probability = 0.05, severity = {{ dist = "fixed", value = {SEVERITY} }} }}

[[staker]]
class = "s"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 1 }}
allocate = {{ p = 1.0 }}
max_leverage = 1
"#
    );
    let path = dir.join("closed-form.toml");
    fs::write(&path, text).unwrap();
    path
}

/// The horizon in years.
const YEARS: f64 = 2.0;

/// P(any loss) at yearly slashing probability p: 1 − (1 − p)^YEARS.
fn p_any_loss(p: f64) -> f64 {
    1.0 - (1.0 - p).powf(YEARS)
}

/// Its inverse: the p at which P(any loss) = target.
fn p_for(target: f64) -> f64 {
    1.0 - (1.0 - target).powf(1.0 / YEARS)
}

const VARY: &str = "protocol.p.slashing.yearly_probability";

/// `solve` on the closed-form scenario with `extra` arguments.
fn solve(
    file: &Path,
    out: &Path,
    range: &str,
    target: &str,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    restake_sim()
        .arg("solve")
        .arg(file)
        .args(["--vary", VARY, "--range", range, "--target", target])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
}

/// The one data row of `solution.csv`, by column name.
fn solution(out: &Path) -> impl Fn(&str) -> String {
    let mut r = csv::Reader::from_path(out.join("solution.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "solution.csv has one row");
    let row = rows[0].clone();
    move |c: &str| {
        let i = header
            .iter()
            .position(|h| h == c)
            .unwrap_or_else(|| panic!("solution.csv: no column {c}"));
        row[i].to_string()
    }
}

fn number(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

#[test]
fn solve_finds_the_closed_form_crossing_within_its_standard_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let out = dir.path().join("out");
    let target = 0.2;
    let assert = solve(&file, &out, "0:0.5", &format!("p_any_loss>={target}"), &[]).success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        stdout.contains(&format!("{VARY} = ")) && stdout.contains("where p_any_loss crosses 0.2"),
        "{stdout}"
    );
    assert!(stdout.contains("stopped by tolerance"), "{stdout}");
    let get = solution(&out);
    let (found, se, tolerance) = (
        number(&get("value")),
        number(&get("se")),
        number(&get("tolerance")),
    );
    let expected = p_for(target);
    assert!((p_any_loss(expected) - target).abs() < 1e-12);
    assert!(
        (found - expected).abs() <= 4.0 * se + tolerance,
        "found {found}, expected {expected}: |difference| {} > 4 × se {se} + tolerance {tolerance}",
        (found - expected).abs()
    );
    // The delta method's error, against the closed form's: the standard
    // error of a probability of 0.2 from 2000 paths over g'(p*) = 2 (1 − p*).
    let theory = (target * (1.0 - target) / 2000.0).sqrt() / (YEARS * (1.0 - expected));
    assert!(
        (0.5 * theory..=2.0 * theory).contains(&se),
        "se {se}, the closed form's {theory}"
    );
    assert_eq!(get("stop"), "tolerance");
    assert_eq!(get("se_source"), "p_any_loss_se");
    assert_eq!(tolerance, 0.0005);
    assert_eq!(get("paths"), "2000");
    assert_eq!(get("seed"), "11");
    let (lo, hi) = (number(&get("bracket_lo")), number(&get("bracket_hi")));
    assert!(lo <= found && found <= hi && hi - lo <= tolerance);
    let (c_lo, c_hi) = (number(&get("ci95_lo")), number(&get("ci95_hi")));
    assert!((c_hi - c_lo - 2.0 * 1.959_963_984_540_054 * se).abs() < 1e-9);

    // The files have the columns declared (and documented, see outputs_doc).
    for (name, columns) in [
        ("solve.csv", &SOLVE_COLUMNS[..]),
        ("solution.csv", &SOLUTION_COLUMNS[..]),
    ] {
        let mut r = csv::Reader::from_path(out.join(name)).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header, columns, "{name}");
    }

    // solve.csv: the ends, then the middles of the bracket.
    let mut r = csv::Reader::from_path(out.join("solve.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(number(&get("evaluations")) as usize, rows.len());
    let step = |i: usize, c: usize| rows[i][c].to_string();
    assert_eq!(
        (step(0, 0), step(0, 1), step(0, 4)),
        ("1".into(), "0".into(), "false".into())
    );
    assert_eq!((step(1, 1), step(1, 4)), ("0.5".into(), "true".into()));
    assert_eq!(step(2, 1), "0.25");
    assert_eq!(
        (step(0, 5), step(1, 5), step(1, 6)),
        (String::new(), "0".into(), "0.5".into())
    );
    // Every evaluation's P(any loss) within 4 standard errors of the law.
    for row in &rows {
        let (x, v) = (number(&row[1]), number(&row[2]));
        let sd = (p_any_loss(x) * (1.0 - p_any_loss(x)) / 2000.0).sqrt();
        assert!((v - p_any_loss(x)).abs() <= 4.0 * sd + 1e-12, "at {x}: {v}");
    }
}

#[test]
fn solve_outputs_are_byte_identical_across_runs_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let args = ["--paths", "300", "--max-steps", "8", "--quiet"];
    let first = solve(&file, &a, "0:0.5", "p_any_loss>=0.2", &args)
        .success()
        .get_output()
        .stdout
        .clone();
    let quiet = String::from_utf8_lossy(&first).into_owned();
    let lines: Vec<&str> = quiet.lines().collect();
    assert_eq!(lines.len(), 2, "the answer and the folder: {quiet}");
    assert!(
        lines[0].starts_with(VARY) && lines[1].ends_with('a'),
        "{quiet}"
    );
    solve(
        &file,
        &b,
        "0:0.5",
        "p_any_loss>=0.2",
        &[&args[..], &["--threads", "1"]].concat(),
    )
    .success();
    for name in ["solve.csv", "solution.csv"] {
        let (x, y) = (
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
        );
        if name == "solve.csv" {
            assert_eq!(x, y, "{name} differs");
        } else {
            // The scenario file is the same; only --out differs.
            assert_eq!(String::from_utf8(x).unwrap(), String::from_utf8(y).unwrap());
        }
    }
    let get = solution(&a);
    assert_eq!(get("stop"), "max-steps");
    assert_eq!(get("evaluations"), "8");
}

#[test]
fn solve_refuses_bad_input_with_exit_code_2_and_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let out = dir.path().join("out");
    let quick = ["--paths", "20"];
    let cases: [(&str, &str, &str, &str); 7] = [
        (
            VARY,
            "0.5:0.1",
            "p_any_loss>=0.2",
            "--range: expected LO < HI, found 0.5:0.1",
        ),
        (
            VARY,
            "low:high",
            "p_any_loss>=0.2",
            "--range: expected a number on each side",
        ),
        (
            VARY,
            "0:0.5",
            "p_any_loss=0.2",
            "--target: expected RESULT<=VALUE",
        ),
        (
            VARY,
            "0:0.5",
            "p_any_loss>=lots",
            "--target: expected a number after >=",
        ),
        (
            VARY,
            "0:0.5",
            "p_any_los>=0.2",
            "unknown result \"p_any_los\"; did you mean \"p_any_loss\"?",
        ),
        (
            "protocol.p.slashing.yearly_probabilty",
            "0:0.5",
            "p_any_loss>=0.2",
            "yearly_probabilty",
        ),
        (
            "protocol.q.slashing.yearly_probability",
            "0:0.5",
            "p_any_loss>=0.2",
            "protocol.q",
        ),
    ];
    for (vary, range, target, wanted) in cases {
        let assert = restake_sim()
            .arg("solve")
            .arg(&file)
            .args(["--vary", vary, "--range", range, "--target", target])
            .args(quick)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(stderr.contains(wanted), "{vary} {range} {target}: {stderr}");
        assert!(!out.exists(), "no folder after {target}");
    }
    // The unknown result lists the key results.
    let assert = solve(&file, &out, "0:0.5", "nope>=1", &quick).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("key results: net_return_mean, "),
        "{stderr}"
    );
    // A value the key does not accept is the scenario's error.
    let assert = solve(&file, &out, "0:1.5", "p_any_loss>=0.2", &quick).code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("yearly_probability"), "{stderr}");
}

#[test]
fn a_target_not_crossed_in_the_range_fails_with_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario(dir.path());
    let out = dir.path().join("out");
    let assert = solve(
        &file,
        &out,
        "0:0.01",
        "p_any_loss>=0.2",
        &["--paths", "200"],
    )
    .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("p_any_loss does not cross 0.2 in 0:0.01 (p_any_loss = 0 at 0, ")
            && stderr.contains("is met at neither end")
            && stderr.contains("--range"),
        "{stderr}"
    );
    assert!(!out.exists());
}
