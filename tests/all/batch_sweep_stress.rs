//! Batch runs, sweeps and stress tests through the binary.

use std::fs;
use std::path::Path;

use crate::support::{csv_rows, restake_sim, root};

/// A small scenario with enough slashing to count events: two protocols,
/// daily slash probability `q` each, fixed severity, 50 stakers.
fn small_scenario(dir: &Path, q: f64) -> std::path::PathBuf {
    let text = format!(
        r#"
[run]
name = "small"
horizon_days = 365
paths = 400
seed = 3

[[asset]]
name = "ETH"
price_usd = 3000

[[asset]]
name = "TOK"
price_usd = 1.0
volatility = 0.8

[[protocol]]
name = "a"
assets = ["ETH"]
apr = {{ curve = "budget", budget = 50000 }}
reward_asset = "TOK"
unbonding_days = 7
slashing = {{ daily_probability = {q}, severity = {{ dist = "fixed", value = 0.05 }} }}

[[protocol]]
name = "b"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.04 }}
slashing = {{ daily_probability = {q}, severity = {{ dist = "beta", alpha = 2, beta = 18 }} }}

[[staker]]
class = "holders"
count = 50
asset = "ETH"
stake = {{ dist = "fixed", value = 10.0 }}
allocate = {{ a = 1.0, b = 1.0 }}
max_leverage = 2.0
"#
    );
    let path = dir.join("small.toml");
    fs::write(&path, text).unwrap();
    path
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn batch_runs_the_good_files_reports_the_bad_one_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir(&input).unwrap();
    small_scenario(&input, 0.001);
    fs::copy(
        root().join("scenarios/babylon-btc.toml"),
        input.join("babylon.toml"),
    )
    .unwrap();
    fs::write(input.join("broken.toml"), "[run]\nname = \"broken\"\n").unwrap();
    let out = dir.path().join("out");
    restake_sim()
        .arg("run")
        .arg(&input)
        .args([
            "--paths",
            "10",
            "--quiet",
            "--set",
            "staker.*.count=20",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("broken.toml"));
    assert!(out.join("small/summary.csv").exists());
    assert!(out.join("babylon-btc/summary.csv").exists());
    let (header, rows) = csv_rows(&out.join("batch.csv"));
    assert_eq!(rows.len(), 3);
    let status = column(&header, "status");
    let name = column(&header, "name");
    let by_name = |n: &str| rows.iter().find(|r| r[name] == n).unwrap();
    assert_eq!(by_name("broken")[status], "invalid");
    // The invalid file was readable: its hash is recorded all the same.
    let sha = column(&header, "scenario_sha256");
    let broken_sha = &by_name("broken")[sha];
    assert_eq!(broken_sha.len(), 64, "{broken_sha:?}");
    assert_eq!(
        Some(broken_sha.to_string()),
        restake_sim::scenario::file_sha256(&input.join("broken.toml"))
    );
    assert_eq!(by_name("small")[status], "ok");
    assert_eq!(by_name("babylon-btc")[status], "ok");
    for key in [
        "net_return_mean",
        "loss_cvar99",
        "tvl_usd_mean",
        "p_negative_return",
        "p_any_loss",
        "net_return_usd_mean",
        "wall_time_seconds",
    ] {
        assert!(!by_name("small")[column(&header, key)].is_empty(), "{key}");
    }
}

#[test]
fn set_with_star_changes_every_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    restake_sim()
        .arg("validate")
        .arg(&s)
        .args(["--set", "protocol.*.slashing.daily_probability=2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "protocol[0].slashing.daily_probability",
        ))
        .stderr(predicates::str::contains(
            "protocol[1].slashing.daily_probability",
        ));
}

#[test]
fn a_two_by_three_grid_gives_six_rows_first_axis_slowest() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    let out = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args([
            "--grid",
            "protocol.b.apr.value=0.02,0.06",
            "--grid",
            "protocol.a.apr.budget=10000:30000:10000",
            "--paths",
            "8",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("sweep.csv"));
    assert_eq!(header[0], "protocol.b.apr.value");
    assert_eq!(header[1], "protocol.a.apr.budget");
    let grid: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let expected: Vec<(String, String)> = [
        ("0.02", "10000"),
        ("0.02", "20000"),
        ("0.02", "30000"),
        ("0.06", "10000"),
        ("0.06", "20000"),
        ("0.06", "30000"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(grid, expected);
    // A higher APR on b raises the mean net return (same random numbers).
    let mean = column(&header, "net_return_mean");
    let v = |i: usize| rows[i][mean].parse::<f64>().unwrap();
    assert!(v(3) > v(0));
    assert!(header.contains(&"a.tvl_native_mean".to_string()));
    assert!(header.contains(&"b.apr_mean".to_string()));
}

#[test]
fn common_random_numbers_make_a_neutral_parameter_give_identical_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.002);
    let out = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args([
            "--grid",
            "run.max_event_rows=50000,60000,70000",
            "--paths",
            "20",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (_, rows) = csv_rows(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][1..], rows[1][1..]);
    assert_eq!(rows[1][1..], rows[2][1..]);
}

#[test]
fn a_grid_over_run_paths_shows_the_paths_each_row_ran() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.002);
    let out = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args([
            "--grid",
            "run.paths=10,30",
            "--grid",
            "protocol.b.apr.value=0.02,0.05",
            "--paths",
            "20",
            "--keep-runs",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("sweep.csv"));
    let paths = column(&header, "paths");
    let shown: Vec<&str> = rows.iter().map(|r| r[paths].as_str()).collect();
    assert_eq!(shown, ["10", "10", "30", "30"]);
    // Each row's paths are those its run used.
    let mut runs: Vec<_> = fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    assert_eq!(runs.len(), rows.len());
    for (run, row) in runs.iter().zip(&rows) {
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(run.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(
            manifest["paths"].to_string(),
            row[paths],
            "{}",
            run.display()
        );
    }
}

#[test]
fn sweep_and_stress_files_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.002);
    for threads in ["1", "2"] {
        restake_sim()
            .arg("sweep")
            .arg(&s)
            .args([
                "--grid",
                "protocol.b.apr.value=0.02,0.05",
                "--paths",
                "30",
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path().join(format!("sweep{threads}")))
            .assert()
            .success();
        restake_sim()
            .arg("stress")
            .arg(&s)
            .args([
                "--preset",
                "all",
                "--paths",
                "30",
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path().join(format!("stress{threads}")))
            .assert()
            .success();
    }
    let read = |p: &str| fs::read(dir.path().join(p)).unwrap();
    assert_eq!(read("sweep1/sweep.csv"), read("sweep2/sweep.csv"));
    assert_eq!(read("stress1/stress.csv"), read("stress2/stress.csv"));
}

#[test]
fn slash_x10_raises_the_event_count_tenfold() {
    // Two protocols slash with daily probability q each; slash-x10 makes it
    // 1 − (1 − q)^10 per day. Events per path are a sum of 2 × 365 Bernoulli
    // draws, so the mean over n paths has standard error sqrt(730 q (1 − q) / n);
    // both means must sit within 4 standard errors of their closed forms.
    let q: f64 = 0.0005;
    let n = 400.0;
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), q);
    let out = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(&s)
        .args(["--preset", "slash-x10", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("stress.csv"));
    let events = column(&header, "slash_events_mean");
    assert_eq!(rows[0][0], "baseline");
    assert_eq!(rows[1][0], "slash-x10");
    let base: f64 = rows[0][events].parse().unwrap();
    let stressed: f64 = rows[1][events].parse().unwrap();
    let q10 = 1.0 - (1.0 - q).powi(10);
    for (mean, p) in [(base, q), (stressed, q10)] {
        let expected = 730.0 * p;
        let se = (730.0 * p * (1.0 - p) / n).sqrt();
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "mean {mean}, expected {expected} ± {se}"
        );
    }
    let ratio = stressed / base;
    assert!((8.0..12.5).contains(&ratio), "ratio {ratio}");
    // The change carries the standard error of the paired difference: 0
    // for the baseline; for the stress, below the error of two independent
    // runs, since with common random numbers every slash of the baseline
    // is also a slash of the stress (positively correlated counts).
    let change_se = column(&header, "change_slash_events_mean_se");
    assert_eq!(rows[0][change_se], "0");
    let paired: f64 = rows[1][change_se].parse().unwrap();
    let independent = (730.0 * q * (1.0 - q) / n + 730.0 * q10 * (1.0 - q10) / n).sqrt();
    assert!(
        paired > 0.0 && paired < independent,
        "paired {paired}, independent {independent}"
    );
}

#[test]
fn presets_change_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    let out = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(&s)
        .args([
            "--preset",
            "all",
            "--multiply",
            "protocol.b.apr.value=2",
            "--paths",
            "100",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("stress.csv"));
    let name = |i: usize| rows[i][0].as_str();
    let get = |row: &str, col: &str| -> f64 {
        rows.iter()
            .find(|r| r[0] == row)
            .unwrap_or_else(|| panic!("no row {row}"))[column(&header, col)]
        .parse()
        .unwrap()
    };
    let names: Vec<&str> = (0..rows.len()).map(name).collect();
    // No BTC in this scenario: btc-crash is skipped, the others run.
    assert_eq!(
        names,
        [
            "baseline",
            "slash-x10",
            "severity-x3",
            "correlated",
            "eth-crash",
            "reward-token-crash",
            "bank-run",
            "combined",
            "multiply protocol.b.apr.value=2"
        ]
    );
    // severity-x3: same events (common random numbers), larger losses.
    assert_eq!(
        get("severity-x3", "slash_events_mean"),
        get("baseline", "slash_events_mean")
    );
    assert!(get("severity-x3", "loss_cvar99") > get("baseline", "loss_cvar99"));
    // A crash of the staked asset lowers USD TVL at the horizon.
    assert!(get("eth-crash", "tvl_usd_mean") < 0.6 * get("baseline", "tvl_usd_mean"));
    // A reward-token crash lowers the budget protocol's APR, so the return.
    assert!(get("reward-token-crash", "a.apr_mean") < 0.3 * get("baseline", "a.apr_mean"));
    assert!(get("reward-token-crash", "net_return_mean") < get("baseline", "net_return_mean"));
    // Correlated: the two protocols are slashed together at their mean
    // hazard (checked event by event in
    // `correlated_slashes_every_protocol_on_the_same_day`); here, every
    // event hits both, so each path's count is even.
    let correlated_events = get("correlated", "slash_events_mean") * 100.0;
    assert!(correlated_events > 0.0);
    assert!((correlated_events.round() - correlated_events).abs() < 1e-9);
    assert_eq!(correlated_events.round() as u64 % 2, 0);
    // Combined: several stresses at once — more events (slash-x10), less
    // USD TVL (eth-crash, bank-run), a lower return than slash-x10 alone.
    assert!(get("combined", "slash_events_mean") > 5.0 * get("baseline", "slash_events_mean"));
    assert!(get("combined", "tvl_usd_mean") < 0.6 * get("baseline", "tvl_usd_mean"));
    assert!(get("combined", "net_return_mean") < get("slash-x10", "net_return_mean"));
    // Bank run: half the stakers leave, so the TVL roughly halves.
    assert!(get("bank-run", "a.tvl_native_mean") < 0.65 * get("baseline", "a.tvl_native_mean"));
    // --multiply doubles b's constant APR.
    assert!((get("multiply protocol.b.apr.value=2", "b.apr_mean") - 0.08).abs() < 1e-12);
    // Changes are stress − baseline.
    let change = get("slash-x10", "change_net_return_mean");
    assert!(
        (change - (get("slash-x10", "net_return_mean") - get("baseline", "net_return_mean"))).abs()
            < 1e-15
    );
}

#[test]
fn an_explicit_preset_that_does_not_apply_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    restake_sim()
        .arg("stress")
        .arg(&s)
        .args(["--preset", "btc-crash", "--paths", "5"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no asset named like BTC"));
}

#[test]
fn a_sweep_table_in_the_file_gives_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    let mut text = fs::read_to_string(&s).unwrap();
    text.push_str("\n[sweep]\n\"protocol.b.apr.value\" = [0.01, 0.03]\n\"run.seed\" = [1, 2]\n");
    fs::write(&s, text).unwrap();
    let out = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args([
            "--grid",
            "run.seed=5,6,7",
            "--paths",
            "4",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("sweep.csv"));
    // File axes in key order, a --grid for the same key replaces the file's.
    assert_eq!(header[0], "protocol.b.apr.value");
    assert_eq!(header[1], "run.seed");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[2][1], "7");
}

#[test]
fn multiply_on_integer_keys_rounds_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    let out = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(&s)
        .args([
            "--multiply",
            "staker.*.count=2",
            "--multiply",
            "protocol.a.unbonding_days=1.5",
            "--paths",
            "10",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("stress.csv"));
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "baseline",
            "multiply staker.*.count=2",
            "multiply protocol.a.unbonding_days=1.5"
        ]
    );
    // Twice the stakers of the same stake: about twice the TVL.
    let tvl = column(&header, "a.tvl_native_mean");
    let (base, doubled): (f64, f64) =
        (rows[0][tvl].parse().unwrap(), rows[1][tvl].parse().unwrap());
    assert!(doubled > 1.8 * base, "{doubled} vs {base}");
    // A product rounding to an invalid value is reported by validation.
    restake_sim()
        .arg("stress")
        .arg(&s)
        .args(["--multiply", "staker.*.count=0.001", "--paths", "10"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "staker[0].count: expected an integer ≥ 1, found 0",
        ));
}

#[test]
fn a_sweep_refuses_an_empty_axis() {
    let dir = tempfile::tempdir().unwrap();
    let s = small_scenario(dir.path(), 0.001);
    let mut text = fs::read_to_string(&s).unwrap();
    text.push_str("\n[sweep]\n\"protocol.b.apr.value\" = [0.01, 0.03]\n\"run.seed\" = []\n");
    fs::write(&s, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("\"run.seed\""))
        .unwrap()
        + 1;
    let out = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args(["--paths", "4", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "small.toml:{line}:1: sweep.\"run.seed\": expected at least one value, found []"
        )));
    assert!(!out.exists());
    // So does validate.
    restake_sim()
        .arg("validate")
        .arg(&s)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("sweep.\"run.seed\""));
    // An empty --grid is refused too.
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args(["--grid", "run.seed=", "--paths", "4", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "run.seed: expected at least one value",
        ));
    assert!(!out.exists());
    // A --grid replacing the empty axis gives it values.
    restake_sim()
        .arg("sweep")
        .arg(&s)
        .args(["--grid", "run.seed=1,2", "--paths", "4", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (_, rows) = csv_rows(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4);
}

#[test]
fn correlated_slashes_every_protocol_on_the_same_day() {
    use restake_sim::engine::simulate;
    use restake_sim::results::PathRange;
    use restake_sim::scenario::{self, presets};
    let dir = tempfile::tempdir().unwrap();
    let base = scenario::load(&small_scenario(dir.path(), 0.001), &[]).unwrap();
    let mut file = base.file.clone();
    presets::apply(&mut file, "correlated").unwrap();
    let stressed = scenario::rebuild(&base, file, "preset correlated").unwrap();
    let range = PathRange {
        first: 0,
        count: 200,
    };
    let events = simulate(&stressed.model, range, &|| {}).events;
    assert!(events.len() > 20, "too few events: {}", events.len());
    let mut days: Vec<(u32, u32, usize)> =
        events.iter().map(|e| (e.path, e.day, e.protocol)).collect();
    days.sort_unstable();
    // Events come in pairs: protocol a and protocol b on the same path and day.
    for pair in days.chunks(2) {
        assert_eq!(pair.len(), 2, "{pair:?}");
        assert_eq!((pair[0].0, pair[0].1), (pair[1].0, pair[1].1), "{pair:?}");
        assert_eq!((pair[0].2, pair[1].2), (0, 1), "{pair:?}");
    }
    // The baseline's events are not paired that way.
    let baseline = simulate(&base.model, range, &|| {}).events;
    let mut base_days: Vec<(u32, u32)> = baseline.iter().map(|e| (e.path, e.day)).collect();
    base_days.sort_unstable();
    base_days.dedup();
    assert!(base_days.len() > baseline.len() / 2 + 5);
}

#[test]
fn btc_crash_halves_usd_tvl_from_day_30() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(root().join("scenarios/babylon-btc.toml"))
        .args(["--preset", "btc-crash", "--paths", "50", "--quiet"])
        .args(["--set", "staker.*.count=100", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("stress.csv"));
    let tvl = |r: usize| -> f64 { rows[r][column(&header, "tvl_usd_mean")].parse().unwrap() };
    assert_eq!(rows[1][0], "btc-crash");
    // Same paths (common random numbers), BTC price halved: USD TVL halves.
    let ratio = tvl(1) / tvl(0);
    assert!((ratio - 0.5).abs() < 0.01, "ratio {ratio}");
}

/// Mean over paths of a `paths.csv` column.
fn column_mean(paths_csv: &Path, name: &str) -> f64 {
    let (header, rows) = csv_rows(paths_csv);
    let c = column(&header, name);
    let values: Vec<f64> = rows.iter().map(|r| r[c].parse().unwrap()).collect();
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn the_lrt_presets_run_and_a_depeg_raises_liquidations() {
    use restake_sim::scenario::{self, presets};
    let dir = tempfile::tempdir().unwrap();
    let lrt_loop = root().join("scenarios/lrt-loop.toml");
    let out = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(&lrt_loop)
        .args([
            "--preset",
            "lrt-depeg",
            "--preset",
            "liquidity-crunch",
            "--paths",
            "20",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = csv_rows(&out.join("stress.csv"));
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["baseline", "lrt-depeg", "liquidity-crunch"]);
    assert!(rows.iter().all(|r| r[column(&header, "paths")] == "20"));
    // stress.csv keeps no run folders: the depeg's stressed file (the
    // preset applied as `stress` applies it) and the baseline go through
    // `run`, and their paths.csv are compared.
    let base = scenario::load(&lrt_loop, &[]).unwrap();
    let mut file = base.file.clone();
    presets::apply(&mut file, "lrt-depeg").unwrap();
    let stressed = dir.path().join("lrt-loop-depeg.toml");
    fs::write(&stressed, toml::to_string(&file).unwrap()).unwrap();
    let run = |scenario: &Path, name: &str| -> std::path::PathBuf {
        let folder = dir.path().join(name);
        restake_sim()
            .arg("run")
            .arg(scenario)
            .args(["--paths", "20", "--quiet", "--out"])
            .arg(&folder)
            .assert()
            .success();
        folder
    };
    let (base_run, depeg_run) = (run(&lrt_loop, "baseline"), run(&stressed, "depeg"));
    let liquidations =
        |folder: &Path| column_mean(&folder.join("paths.csv"), "ezETH-ETH.liquidations_usd");
    let (before, after) = (liquidations(&base_run), liquidations(&depeg_run));
    assert!(after > before, "{after} vs {before}");
    // Under the market-price oracle, the 30 % fall of the pool price on day
    // 30 liquidates loops at once (0.7 × 0.93 × L / (L − 1) < 1 for every
    // leverage L ≥ 3); the baseline liquidates nothing before its day-60
    // slash, and in the depeg that slash finds less left to liquidate.
    let cum_at = |folder: &Path, day: &str| -> f64 {
        let (header, rows) = csv_rows(&folder.join("timeseries.csv"));
        let (d, m, e) = (
            column(&header, "day"),
            column(&header, "metric"),
            column(&header, "entity"),
        );
        let row = rows
            .iter()
            .find(|r| r[d] == day && r[m] == "liquidations_usd_cum" && r[e] == "ezETH-ETH")
            .unwrap_or_else(|| panic!("no liquidations_usd_cum on day {day}"));
        row[column(&header, "mean")].parse().unwrap()
    };
    assert_eq!(cum_at(&base_run, "55"), 0.0);
    assert!(
        cum_at(&depeg_run, "55") > 0.5 * after,
        "most of it on day 30"
    );
}
