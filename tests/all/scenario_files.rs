//! Scenario files through the binary and the library: every shipped scenario
//! validates and round-trips; `init` writes a valid starter; a table of bad
//! inputs each fail with exit code 2, the key path, the line and the reason;
//! mutated files never panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use restake_sim::scenario;

use crate::support::{restake_sim, root};

/// Exit code of `validate` for an invalid scenario.
const EXIT_INVALID: i32 = 2;

/// A small valid scenario using most of the format; the bad inputs are
/// one-line edits of it. Three assets (for the 3×3 correlation case), a
/// full-restaking and two unique-stake protocols, a shock, two operators and
/// three staker classes (fixed, delegated, random allocation).
const BASE: &str = r#"[run]
name = "base"
horizon_days = 60
paths = 10
seed = 1

[[asset]]
name = "BTC"
price_usd = 42000
volatility = 0.5

[[asset]]
name = "ETH"
price_usd = 2500
volatility = 0.6

[[asset]]
name = "EIGEN"
price_usd = 3

[correlation]
assets = ["BTC", "ETH"]
matrix = [[1.0, 0.6], [0.6, 1.0]]

[[protocol]]
name = "babylon"
assets = ["BTC"]
apr = { curve = "constant", value = 0.06 }
unbonding_days = 7
slashing = { yearly_probability = 0.01, severity = { dist = "fixed", value = 0.1 } }

[[protocol]]
name = "oracle"
assets = ["ETH"]
apr = { curve = "budget", budget = 10000 }
reward_asset = "EIGEN"
allocation = { model = "unique_stake" }
slashing = { yearly_rate = 0.02, severity = { dist = "beta", alpha = 2, beta = 18 }, shock_groups = ["client-bug"] }

[[protocol]]
name = "bridge"
assets = ["ETH"]
apr = { curve = "table", points = [[0, 0.08], [100000, 0.04]] }
allocation = { model = "unique_stake" }
slashing = { daily_probability = 0.0001, severity = { dist = "uniform", low = 0.05, high = 0.2 }, shock_groups = ["client-bug"] }

[[shock]]
name = "client-bug"
yearly_probability = 0.05

[[operator]]
name = "op-a"
commission = 0.1
protocols = ["oracle", "bridge"]
fault = { yearly_probability = 0.01 }

[[operator]]
name = "op-b"
protocols = ["oracle", "bridge"]

[[staker]]
class = "btc"
count = 20
asset = "BTC"
stake = { dist = "fixed", value = 1.0 }
allocate = { babylon = 1.0 }

[[staker]]
class = "eth"
count = 20
asset = "ETH"
stake = { dist = "lognormal", median = 32, sigma = 1 }
allocate = { oracle = 0.5, bridge = 0.5 }
operators = { op-a = 0.5, op-b = 0.5 }

[[staker]]
class = "chasers"
count = 20
asset = "ETH"
stake = { dist = "uniform", low = 1, high = 10 }
random_allocation = { min = 1, max = 2, weight = 0.5 }
strategy = { kind = "yield_chasing", probability = 0.3 }
"#;

/// The DeFi layer on `BASE`: a loop class, an LRT backed by the `eth`
/// class (and the loop class, through its market) and a lending market.
const DEFI: &str = r#"
[[staker]]
class = "loopers"
count = 10
asset = "ETH"
stake = { dist = "fixed", value = 5 }
allocate = { oracle = 0.5 }
strategy = { kind = "loop", market = "ezETH-ETH", leverage_min = 2, leverage_max = 8 }

[[lrt]]
name = "ezETH"
backing = ["eth"]
fee = 0.1
queue_days = 7
panic_sell_share = 0.5
pool = { depth = 20000 }
arbitrage = { capital_per_day = 500, min_discount = 0.005 }

[[lending_market]]
name = "ezETH-ETH"
collateral = "ezETH"
ltv = 0.9
liquidation_threshold = 0.93
liquidation_bonus = 0.05
close_factor = 0.5
liquidity = 200000
oracle = "market"
rate = { base = 0.0, slope1 = 0.035, slope2 = 0.8, kink = 0.9 }
"#;

/// `BASE` and `DEFI`, with the first occurrence of `from` in `DEFI`
/// replaced by `to`.
fn defi(from: &str, to: &str) -> String {
    format!("{BASE}{}", edit_in(DEFI, from, to))
}

/// `BASE` with the first occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    edit_in(BASE, from, to)
}

/// `text` with the first occurrence of `from` replaced by `to`.
fn edit_in(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the base has no {from:?} to edit");
    text.replacen(from, to, 1)
}

/// `BASE` without the first line equal to `line`.
fn delete_line(line: &str) -> String {
    let lines: Vec<&str> = BASE.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == line)
        .unwrap_or_else(|| panic!("the base has no line {line:?}"));
    let mut kept = lines;
    kept.remove(at);
    kept.join("\n") + "\n"
}

/// The shipped scenarios, `scenarios/*.toml`, sorted.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
        + 1
}

/// Output of one `validate` call.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Writes each `(file name, text)` into a fresh folder and validates them all
/// in one call (file names relative to that folder, as errors print them).
fn validate_texts(files: &[(String, Vec<u8>)], args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write scenario");
    }
    let output = restake_sim()
        .current_dir(dir.path())
        .arg("validate")
        .args(files.iter().map(|(name, _)| name))
        .args(args)
        .output()
        .expect("run restake-sim");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn validate_text(text: &str, args: &[&str]) -> Outcome {
    validate_texts(&[("case.toml".to_string(), text.as_bytes().to_vec())], args)
}

#[test]
fn the_base_of_the_bad_inputs_is_valid() {
    let out = validate_text(BASE, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("valid: \"base\""), "{}", out.stdout);
}

#[test]
fn every_shipped_scenario_validates() {
    let files = shipped_scenarios();
    assert!(
        files.len() >= 2,
        "expected at least 2 scenarios, found {files:?}"
    );
    for file in &files {
        let out = restake_sim()
            .arg("validate")
            .arg(file)
            .output()
            .expect("run restake-sim");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} does not validate:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("valid:"), "{stdout}");
    }
}

#[test]
fn init_writes_a_scenario_that_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("starter.toml");
    restake_sim().arg("init").arg(&path).assert().success();
    let text = std::fs::read_to_string(&path).expect("init wrote the file");
    assert!(text.contains("[run]"), "{text}");
    restake_sim()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicates::str::contains("valid:"));
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "# my own work\n").expect("write");
    restake_sim()
        .arg("init")
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicates::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "# my own work\n",
        "init clobbered an existing file"
    );
    restake_sim()
        .arg("init")
        .arg(&path)
        .arg("--force")
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("[run]")
    );
}

/// One bad input and what its error must say.
struct Case {
    /// What the case breaks.
    what: &'static str,
    /// The scenario text.
    text: String,
    /// Extra command-line arguments (`--set`).
    args: &'static [&'static str],
    /// Key path printed before the message (empty: a whole-file problem).
    path: &'static str,
    /// The error's line: that of the first line of `text` containing this.
    line_with: Option<&'static str>,
    /// A fragment of the message.
    message: &'static str,
}

fn case(
    what: &'static str,
    text: String,
    path: &'static str,
    line_with: Option<&'static str>,
    message: &'static str,
) -> Case {
    Case {
        what,
        text,
        args: &[],
        path,
        line_with,
        message,
    }
}

fn bad_inputs() -> Vec<Case> {
    let correlation_3 = "[correlation]\nassets = [\"BTC\", \"ETH\", \"EIGEN\"]\nmatrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]";
    let base_correlation =
        "[correlation]\nassets = [\"BTC\", \"ETH\"]\nmatrix = [[1.0, 0.6], [0.6, 1.0]]";
    vec![
        // Syntax and shape.
        case(
            "TOML syntax error",
            edit("horizon_days = 60", "horizon_days = = 60"),
            "",
            Some("horizon_days"),
            "TOML syntax error",
        ),
        case("empty file", String::new(), "", None, "found an empty file"),
        case(
            "comments-only file",
            "# a scenario\n\n   # still to be written\n".into(),
            "",
            None,
            "found an empty file",
        ),
        case(
            "unknown top-level key",
            format!("bogus = 1\n{BASE}"),
            "bogus",
            Some("bogus"),
            "unknown field `bogus`",
        ),
        case(
            "unknown key in [run]",
            edit("seed = 1", "seed = 1\nthreads = 4"),
            "run.threads",
            Some("threads"),
            "unknown field `threads`, expected one of `name`",
        ),
        case(
            "unknown key inside an inline severity table",
            edit("alpha = 2, beta = 18", "alpha = 2, beta = 18, mean = 0.1"),
            "protocol[1].slashing.severity",
            Some("mean = 0.1"),
            "unknown field `mean`, expected `alpha` or `beta`",
        ),
        case(
            "unknown severity distribution",
            edit(
                "dist = \"fixed\", value = 0.1",
                "dist = \"lognormal\", value = 0.1",
            ),
            "protocol[0].slashing.severity.dist",
            Some("lognormal"),
            "unknown variant `lognormal`, expected one of `fixed`, `uniform`, `beta`",
        ),
        case(
            "a string for a number",
            edit("paths = 10", "paths = \"ten\""),
            "run.paths",
            Some("paths = \"ten\""),
            "expected a whole number ≥ 0, found the text \"ten\"",
        ),
        case(
            "missing run.name",
            delete_line("name = \"base\""),
            "run",
            Some("[run]"),
            "missing field `name`",
        ),
        case(
            "missing run.horizon_days",
            delete_line("horizon_days = 60"),
            "run",
            Some("[run]"),
            "missing field `horizon_days`",
        ),
        // Ranges.
        case(
            "horizon_days = 0",
            edit("horizon_days = 60", "horizon_days = 0"),
            "run.horizon_days",
            Some("horizon_days"),
            "expected an integer ≥ 1, found 0",
        ),
        case(
            "paths = 0",
            edit("paths = 10", "paths = 0"),
            "run.paths",
            Some("paths = 0"),
            "expected an integer ≥ 1, found 0",
        ),
        case(
            "probability above 1",
            edit(
                "yearly_probability = 0.01, severity",
                "yearly_probability = 1.5, severity",
            ),
            "protocol[0].slashing.yearly_probability",
            Some("yearly_probability = 1.5"),
            "expected a value in [0, 1], found 1.5",
        ),
        case(
            "negative probability",
            edit("yearly_probability = 0.05", "yearly_probability = -0.1"),
            "shock[0].yearly_probability",
            Some("yearly_probability = -0.1"),
            "expected a value in [0, 1], found -0.1",
        ),
        case(
            "two frequency keys at once",
            edit(
                "yearly_probability = 0.01, severity",
                "yearly_probability = 0.01, yearly_rate = 0.02, severity",
            ),
            "protocol[0].slashing",
            Some("yearly_rate = 0.02, severity"),
            "found yearly_probability and yearly_rate",
        ),
        case(
            "frequency and scheduled day on one shock",
            edit(
                "yearly_probability = 0.05",
                "yearly_probability = 0.05\nday = 3",
            ),
            "shock[0].day",
            Some("day = 3"),
            "expected either a frequency or a day, found both",
        ),
        case(
            "slashing frequency without severity",
            edit(
                "yearly_probability = 0.01, severity = { dist = \"fixed\", value = 0.1 } }",
                "yearly_probability = 0.01 }",
            ),
            "protocol[0].slashing.severity",
            Some("yearly_probability = 0.01 }"),
            "expected a severity",
        ),
        case(
            "severity value above 1",
            edit("value = 0.1 }", "value = 1.5 }"),
            "protocol[0].slashing.severity.value",
            Some("value = 1.5"),
            "expected a value in [0, 1], found 1.5",
        ),
        case(
            "beta alpha not positive",
            edit("alpha = 2", "alpha = 0"),
            "protocol[1].slashing.severity.alpha",
            Some("alpha = 0"),
            "expected a number > 0, found 0",
        ),
        case(
            "uniform severity low above high",
            edit("low = 0.05, high = 0.2", "low = 0.3, high = 0.2"),
            "protocol[2].slashing.severity.high",
            Some("low = 0.3"),
            "expected high ≥ low (0.3), found 0.2",
        ),
        case(
            "negative price",
            edit("price_usd = 3", "price_usd = -3"),
            "asset[2].price_usd",
            Some("price_usd = -3"),
            "expected a number > 0, found -3",
        ),
        case(
            "absurd drift",
            edit("volatility = 0.6", "volatility = 0.6\ndrift = 1e300"),
            "asset[1].drift",
            Some("drift = 1e300"),
            "expected a yearly drift in [-5, 5]",
        ),
        case(
            "APR table with non-increasing TVL",
            edit("[[0, 0.08], [100000, 0.04]]", "[[0, 0.08], [0, 0.04]]"),
            "protocol[2].apr.points[1]",
            Some("[[0, 0.08], [0, 0.04]]"),
            "expected TVL strictly increasing (> 0), found 0",
        ),
        case(
            "infinite stake bound",
            edit("low = 1, high = 10", "low = 1, high = inf"),
            "staker[2].stake.high",
            Some("high = inf"),
            "expected a finite number, found inf",
        ),
        case(
            "Pareto stake with an infinite mean",
            edit(
                "stake = { dist = \"fixed\", value = 1.0 }",
                "stake = { dist = \"pareto\", scale = 1, shape = 1 }",
            ),
            "staker[0].stake.shape",
            Some("shape = 1"),
            "expected a tail index > 1 (the mean stake, shape × scale / (shape − 1), is infinite for shape ≤ 1), found 1",
        ),
        case(
            "record_every_days not a multiple of step_days",
            edit("seed = 1", "seed = 1\nstep_days = 2\nrecord_every_days = 7"),
            "run.record_every_days",
            Some("record_every_days = 7"),
            "expected a multiple of step_days (2), found 7",
        ),
        case(
            "veto_probability without a veto window",
            edit(
                "unbonding_days = 7",
                "unbonding_days = 7\nveto_probability = 0.2",
            ),
            "protocol[0].veto_probability",
            Some("veto_probability = 0.2"),
            "expected veto_days > 0 with a veto_probability (0.2), found veto_days = 0",
        ),
        case(
            "delay beyond 100 years",
            edit("unbonding_days = 7", "unbonding_days = 4294967295"),
            "protocol[0].unbonding_days",
            Some("unbonding_days"),
            "expected at most 36500 days",
        ),
        // References.
        case(
            "unknown asset reference",
            edit("assets = [\"BTC\"]", "assets = [\"BTCX\"]"),
            "protocol[0].assets[0]",
            Some("BTCX"),
            "expected the name of a defined asset (BTC, EIGEN, ETH), found \"BTCX\"",
        ),
        case(
            "unknown protocol in allocate",
            edit(
                "allocate = { babylon = 1.0 }",
                "allocate = { babylonn = 1.0 }",
            ),
            "staker[0].allocate.babylonn",
            Some("babylonn"),
            "expected the name of a defined protocol (babylon, bridge, oracle), found \"babylonn\"",
        ),
        case(
            "unknown operator in a delegation",
            edit("op-b = 0.5 }", "op-c = 0.5 }"),
            "staker[1].operators.op-c",
            Some("op-c"),
            "expected the name of a defined operator (op-a, op-b), found \"op-c\"",
        ),
        case(
            "unknown shock group",
            edit(
                "shock_groups = [\"client-bug\"]",
                "shock_groups = [\"client-bugs\"]",
            ),
            "protocol[1].slashing.shock_groups[0]",
            Some("client-bugs"),
            "expected the name of a defined shock (client-bug), found \"client-bugs\"",
        ),
        case(
            "an asset listed twice in a protocol",
            edit("assets = [\"BTC\"]", "assets = [\"BTC\", \"BTC\"]"),
            "protocol[0].assets[1]",
            Some("assets = [\"BTC\", \"BTC\"]"),
            "expected each asset listed once, found \"BTC\" again (as protocol[0].assets[0])",
        ),
        case(
            "an asset listed twice in the correlation",
            edit(
                "assets = [\"BTC\", \"ETH\"]\nmatrix = [[1.0, 0.6], [0.6, 1.0]]",
                "assets = [\"BTC\", \"ETH\", \"BTC\"]\nmatrix = [[1.0, 0.6, 1.0], [0.6, 1.0, 0.6], [1.0, 0.6, 1.0]]",
            ),
            "correlation.assets[2]",
            Some("assets = [\"BTC\", \"ETH\", \"BTC\"]"),
            "expected each asset listed once, found \"BTC\" again (as correlation.assets[0])",
        ),
        case(
            "duplicate protocol names",
            edit("name = \"bridge\"", "name    = \"oracle\""),
            "protocol[2].name",
            Some("name    = \"oracle\""),
            "expected a unique name, found \"oracle\" a second time",
        ),
        case(
            "operator not serving an allocated protocol",
            edit(
                "name = \"op-b\"\nprotocols = [\"oracle\", \"bridge\"]",
                "name = \"op-b\"\nprotocols = [\"oracle\"]",
            ),
            "staker[1].operators.op-b",
            Some("op-b = 0.5"),
            "which does not serve \"bridge\"",
        ),
        // Leverage and allocation.
        case(
            "allocation weights above max_leverage",
            edit(
                "operators = { op-a = 0.5, op-b = 0.5 }",
                "operators = { op-a = 0.5, op-b = 0.5 }\nmax_leverage = 0.8",
            ),
            "staker[1].allocate",
            Some("allocate = { oracle"),
            "expected weights summing to at most max_leverage (0.8), found 1",
        ),
        case(
            "random_allocation max × weight above max_leverage",
            edit("weight = 0.5 }", "weight = 0.75 }"),
            "staker[2].random_allocation.max",
            Some("random_allocation"),
            "expected max × weight ≤ max_leverage (1), found 1.5",
        ),
        case(
            "unique-stake allocations summing above 1",
            edit(
                "allocate = { oracle = 0.5, bridge = 0.5 }",
                "allocate = { oracle = 0.7, bridge = 0.7 }\nmax_leverage = 2",
            ),
            "staker[1].allocate",
            Some("oracle = 0.7"),
            "expected unique-stake allocations summing to at most 1",
        ),
        case(
            "random_allocation able to pick unique-stake weights summing above 1",
            edit("weight = 0.5 }", "weight = 1 }\nmax_leverage = 2"),
            "staker[2].random_allocation",
            Some("random_allocation"),
            "expected unique-stake weights summing to at most 1 in every draw, found weight × min(max, unique-stake candidates) = 1 × 2 = 2: a staker may pick 2 of oracle, bridge",
        ),
        case(
            "protocol not accepting the class's asset",
            edit(
                "allocate = { babylon = 1.0 }",
                "allocate = { oracle = 1.0 }",
            ),
            "staker[0].allocate.oracle",
            Some("allocate = { oracle = 1.0 }"),
            "expected a protocol accepting the class's asset, found \"oracle\"",
        ),
        case(
            "operator delegation shares not summing to 1",
            edit("op-b = 0.5 }", "op-b = 0.4 }"),
            "staker[1].operators",
            Some("op-b = 0.4"),
            "expected shares summing to 1, found 0.9",
        ),
        // Correlation.
        case(
            "non-symmetric correlation matrix",
            edit("[[1.0, 0.6], [0.6, 1.0]]", "[[1.0, 0.6], [0.5, 1.0]]"),
            "correlation.matrix[0][1]",
            Some("matrix = "),
            "expected a symmetric matrix, found 0.6 here and 0.5 at [1][0]",
        ),
        case(
            "correlation matrix not positive semi-definite",
            edit(base_correlation, correlation_3),
            "correlation.matrix",
            Some("matrix = "),
            "expected a positive semi-definite matrix",
        ),
        case(
            "correlation matrix of the wrong size",
            edit(
                "[[1.0, 0.6], [0.6, 1.0]]",
                "[[1.0, 0.6, 0.0], [0.6, 1.0, 0.0]]",
            ),
            "correlation.matrix",
            Some("matrix = "),
            "expected a 2×2 matrix",
        ),
        // Size.
        case(
            "absurd staker count",
            edit("count = 20", "count = 4000000000"),
            "run",
            Some("[run]"),
            "memory_limit_gib",
        ),
        // Many paths are kept on disk, not refused; staker state is not.
        case(
            "staker state beyond a small memory limit",
            edit("paths = 10", "paths = 10\nmemory_limit_gib = 0.000001"),
            "run",
            Some("[run]"),
            "memory_limit_gib",
        ),
        // Shocks.
        case(
            "shock that does nothing",
            format!("{BASE}\n[[shock]]\nname = \"idle\"\nyearly_probability = 0.1\n"),
            "shock[1]",
            None,
            "expected the shock to do something",
        ),
        case(
            "scheduled shock beyond the horizon",
            edit("yearly_probability = 0.05", "day = 60"),
            "shock[0].day",
            Some("day = 60"),
            "expected a day before horizon_days (60), found 60",
        ),
        case(
            "an LRT price move naming no LRT",
            format!(
                "{BASE}{DEFI}\n[[shock]]\nname = \"depeg\"\nday = 30\nlrt_price = [{{ lrt = \"ezETh\", change = -0.3 }}]\n"
            ),
            "shock[1].lrt_price[0].lrt",
            Some("lrt = \"ezETh\""),
            "expected the name of a defined LRT (ezETH), found \"ezETh\"; did you mean \"ezETH\"?",
        ),
        case(
            "an LRT price move to zero",
            format!(
                "{BASE}{DEFI}\n[[shock]]\nname = \"depeg\"\nday = 30\nlrt_price = [{{ lrt = \"ezETH\", change = -1 }}]\n"
            ),
            "shock[1].lrt_price[0].change",
            Some("change = -1"),
            "expected a relative change > -1 (a price stays positive) and at most 10, found -1",
        ),
        case(
            "an LRT price move beyond an 11-fold rise",
            format!(
                "{BASE}{DEFI}\n[[shock]]\nname = \"pump\"\nday = 30\nlrt_price = [{{ lrt = \"ezETH\", change = 10.5 }}]\n"
            ),
            "shock[1].lrt_price[0].change",
            Some("change = 10.5"),
            "expected a relative change > -1 (a price stays positive) and at most 10, found 10.5",
        ),
        // Sweep axes.
        case(
            "an empty sweep axis",
            format!("{BASE}\n[sweep]\n\"run.seed\" = []\n"),
            "sweep.\"run.seed\"",
            Some("\"run.seed\" = []"),
            "expected at least one value, found []",
        ),
        case(
            "a sweep axis whose key path does not apply",
            format!(
                "{BASE}\n[sweep]\n\"run.seed\" = [1, 2]\n\"protocol.babylonn.apr.value\" = [0.1]\n"
            ),
            "sweep.\"protocol.babylonn.apr.value\"",
            Some("babylonn"),
            "expected a key path that applies like --set, found one that does not: no element of \"protocol\" is named \"babylonn\"",
        ),
        case(
            "a sweep value giving an invalid scenario",
            format!("{BASE}\n[sweep]\n\"run.paths\" = [5,\n  0]\n"),
            "sweep.\"run.paths\"[1]",
            Some("  0]"),
            "expected a value giving a valid scenario, found 0 (run.paths: expected an integer ≥ 1, found 0)",
        ),
        // Names.
        case(
            "run.name unusable as a folder name",
            edit("name = \"base\"", "name = \"my run/1\""),
            "run.name",
            Some("my run/1"),
            "it names the output folder",
        ),
        case(
            "a staker class named total",
            edit("class = \"chasers\"", "class = \"total\""),
            "staker[2].class",
            Some("class = \"total\""),
            "expected a name other than \"total\" (reserved for the whole scenario in the outputs), found \"total\"",
        ),
        case(
            "an asset and a protocol sharing a name",
            format!(
                "{BASE}\n[[protocol]]\nname   = \"EIGEN\"\nassets = [\"ETH\"]\napr = {{ curve = \"constant\", value = 0.01 }}\n"
            ),
            "protocol[3].name",
            Some("name   = \"EIGEN\""),
            "expected a name not used by another asset, protocol or staker class, found \"EIGEN\" (asset[2].name)",
        ),
        case(
            "a protocol and a staker class sharing a name",
            edit("class = \"btc\"", "class = \"babylon\""),
            "staker[0].class",
            Some("class = \"babylon\""),
            "expected a name not used by another asset, protocol or staker class, found \"babylon\" (protocol[0].name)",
        ),
        // Overrides.
        Case {
            what: "--set with an unknown array element",
            text: BASE.to_string(),
            args: &["--set", "protocol.nope.apr.value=0.1"],
            path: "",
            line_with: None,
            message: "no element of \"protocol\" is named \"nope\"; use an index, '*' or one of: babylon, oracle, bridge",
        },
        Case {
            what: "--set making a value invalid",
            text: BASE.to_string(),
            args: &["--set", "run.paths=0"],
            path: "run.paths",
            line_with: Some("paths = 10"),
            message: "expected an integer ≥ 1, found 0",
        },
        Case {
            what: "--set giving a value of the wrong type",
            text: BASE.to_string(),
            args: &["--set", "run.horizon_days=\"long\""],
            path: "run.horizon_days",
            line_with: None,
            message: "expected a whole number ≥ 0, found the text \"long\"",
        },
        case(
            "more operators than a u16 index holds",
            format!(
                "{BASE}\n{}",
                (0..65_534)
                    .map(|i| format!("[[operator]]\nname = \"x{i}\"\nprotocols = [\"oracle\"]\n"))
                    .collect::<String>()
            ),
            "operator",
            Some("[[operator]]"),
            "expected at most 65535 operators, found 65536",
        ),
        case(
            "a price beyond 1e15 USD",
            edit("price_usd = 42000", "price_usd = 1e16"),
            "asset[0].price_usd",
            Some("price_usd = 1e16"),
            "expected a magnitude of at most 1e15, found 1e16",
        ),
        case(
            "a budget giving a t = 0 APR above 10",
            edit("budget = 10000", "budget = 1e29"),
            "protocol[1].apr",
            Some("budget = 1e29"),
            "expected an APR of at most 10 (1,000 %) at the expected t = 0 TVL",
        ),
        // LRTs, lending markets and loops.
        case(
            "a lending market's collateral naming no LRT",
            defi("collateral = \"ezETH\"", "collateral = \"ezETh\""),
            "lending_market[0].collateral",
            Some("collateral = \"ezETh\""),
            "expected the name of a defined LRT (ezETH), found \"ezETh\"; did you mean \"ezETH\"?",
        ),
        case(
            "a loop through an unknown market",
            defi("market = \"ezETH-ETH\"", "market = \"ezETH-ET\""),
            "staker[3].strategy.market",
            Some("market = \"ezETH-ET\""),
            "expected the name of a defined lending market (ezETH-ETH), found \"ezETH-ET\"; did you mean \"ezETH-ETH\"?",
        ),
        case(
            "a loop's leverage beyond a full loop",
            defi("leverage_max = 8", "leverage_max = 12"),
            "staker[3].strategy.leverage_max",
            Some("leverage_max = 12"),
            "expected at most 10, the leverage of a full loop at market \"ezETH-ETH\"'s ltv of 0.9 (1 / (1 − ltv)",
        ),
        case(
            "a loop's leverage below 1",
            defi("leverage_min = 2", "leverage_min = 0.5"),
            "staker[3].strategy.leverage_min",
            Some("leverage_min = 0.5"),
            "expected a leverage ≥ 1 (1: no borrowing), found 0.5",
        ),
        case(
            "a loop's leverage_max below its leverage_min",
            defi("leverage_max = 8", "leverage_max = 1.5"),
            "staker[3].strategy.leverage_max",
            Some("leverage_max = 1.5"),
            "expected leverage_max ≥ leverage_min (2), found 1.5",
        ),
        case(
            "a liquidation threshold below the ltv",
            defi(
                "liquidation_threshold = 0.93",
                "liquidation_threshold = 0.85",
            ),
            "lending_market[0].liquidation_threshold",
            Some("liquidation_threshold = 0.85"),
            "expected a liquidation_threshold ≥ ltv (0.9), found 0.85: a position opened at the largest loan-to-value would be liquidated at once",
        ),
        case(
            "a liquidation bonus that makes liquidations worsen the health factor",
            defi("liquidation_bonus = 0.05", "liquidation_bonus = 0.08"),
            "lending_market[0].liquidation_bonus",
            Some("liquidation_bonus = 0.08"),
            "expected (1 + liquidation_bonus) × liquidation_threshold < 1, found (1 + 0.08) × 0.93 = 1.0044",
        ),
        case(
            "an ltv of 1",
            defi("ltv = 0.9", "ltv = 1"),
            "lending_market[0].ltv",
            Some("ltv = 1"),
            "expected a value in (0, 1), found 1",
        ),
        case(
            "a rate curve with its kink at full utilisation",
            defi("kink = 0.9", "kink = 1.0"),
            "lending_market[0].rate.kink",
            Some("kink = 1.0"),
            "expected a value in (0, 1), found 1",
        ),
        case(
            "an unknown oracle",
            defi("oracle = \"market\"", "oracle = \"spot\""),
            "lending_market[0].oracle",
            Some("oracle = \"spot\""),
            "unknown variant `spot`, expected `market` or `nav`",
        ),
        case(
            "a lending market without an oracle",
            defi("oracle = \"market\"\n", ""),
            "lending_market[0]",
            Some("[[lending_market]]"),
            "missing field `oracle`",
        ),
        case(
            "an LRT fee of 1",
            defi("fee = 0.1", "fee = 1"),
            "lrt[0].fee",
            Some("fee = 1"),
            "expected a value in [0, 1) (a share of the rewards; 1 would keep them all), found 1",
        ),
        case(
            "an empty pool",
            defi("depth = 20000", "depth = 0"),
            "lrt[0].pool.depth",
            Some("depth = 0"),
            "expected a number > 0, found 0",
        ),
        case(
            "backing classes staking different assets",
            defi("backing = [\"eth\"]", "backing = [\"eth\", \"btc\"]"),
            "lrt[0].backing[1]",
            Some("backing = [\"eth\", \"btc\"]"),
            "expected a class staking ETH, as the LRT's backing class \"eth\" does (every backing class stakes the LRT's underlying), found \"btc\", which stakes BTC",
        ),
        case(
            "a loop class staking another asset than its LRT's",
            defi("asset = \"ETH\"", "asset = 'BTC'"),
            "staker[3].asset",
            Some("asset = 'BTC'"),
            "expected ETH, the underlying of the LRT \"ezETH\" this class loops (its backing class \"eth\" stakes ETH), found \"BTC\"",
        ),
        case(
            "a class backing two LRTs",
            format!("{BASE}{DEFI}\n[[lrt]]\nname = \"rsETH\"\nbacking = [\"chasers\", \"eth\"]\n"),
            "lrt[1].backing[1]",
            Some("backing = [\"chasers\", \"eth\"]"),
            "expected a class backing no other LRT (a class backs at most one), found \"eth\", which already backs \"ezETH\" (lrt[0].backing[0])",
        ),
        case(
            "a loop class listed in the backing of another LRT",
            format!("{BASE}{DEFI}\n[[lrt]]\nname = \"rsETH\"\nbacking = [\"loopers\"]\n"),
            "staker[3].strategy.market",
            Some("market = \"ezETH-ETH\""),
            "expected a market taking the LRT this class backs (\"rsETH\", lrt[1].backing[0]) as collateral, since a class backs at most one LRT, found \"ezETH-ETH\", whose collateral is \"ezETH\"",
        ),
        case(
            "an LRT without backing",
            format!("{BASE}{DEFI}\n[[lrt]]\nname = \"rsETH\"\nbacking = []\n"),
            "lrt[1].backing",
            Some("backing = []"),
            "expected at least one backing class",
        ),
        case(
            "an LRT named like a staker class",
            defi("name = \"ezETH\"", "name = \"chasers\""),
            "lrt[0].name",
            Some("name = \"chasers\""),
            "expected a name not used by another asset, protocol, staker class, LRT or lending market, found \"chasers\" (staker[2].class)",
        ),
        case(
            "a lending market named like an LRT",
            defi("name = \"ezETH-ETH\"", "name = \"ezETH\""),
            "lending_market[0].name",
            None,
            "found \"ezETH\" (lrt[0].name)",
        ),
        Case {
            what: "--set making a pool depth invalid, every LRT by *",
            text: format!("{BASE}{DEFI}"),
            args: &["--set", "lrt.*.pool.depth=-5"],
            path: "lrt[0].pool.depth",
            line_with: Some("depth = 20000"),
            message: "expected a number > 0, found -5",
        },
        Case {
            what: "--set giving an oracle no variant",
            text: format!("{BASE}{DEFI}"),
            args: &["--set", "lending_market.0.oracle=nab"],
            path: "lending_market[0].oracle",
            line_with: Some("oracle = \"market\""),
            message: "unknown variant `nab`, expected `market` or `nav`",
        },
    ]
}

#[test]
fn bad_inputs_fail_with_the_key_path_line_and_reason() {
    let cases = bad_inputs();
    assert!(cases.len() >= 30, "only {} bad inputs", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let out = validate_text(&c.text, c.args);
        let line = c.line_with.map(|needle| line_of(&c.text, needle));
        // A value set on the command line is located by its option.
        let prefix = match (c.args, line) {
            (["--set", spec, ..], _) => format!("--set {spec} (not the file):"),
            (_, Some(line)) => format!("case.toml:{line}:"),
            (_, None) => "case.toml:".to_string(),
        };
        let key = if c.path.is_empty() {
            String::new()
        } else {
            format!(": {}: ", c.path)
        };
        let found = out
            .stderr
            .lines()
            .map(str::trim_start)
            .any(|l| l.starts_with(&prefix) && l.contains(&key) && l.contains(c.message));
        if out.code != Some(EXIT_INVALID) || !found {
            failures.push(format!(
                "{}: expected exit {EXIT_INVALID} and a line starting {prefix:?} with {key:?} and {:?}; got exit {:?}, stderr:\n{}",
                c.what, c.message, out.code, out.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_defi_layer_builds_into_the_model() {
    let text = format!("{BASE}{DEFI}");
    let out = validate_text(&text, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let (_, model) =
        scenario::parse(&text, Path::new("case.toml"), &[]).unwrap_or_else(|e| panic!("{e}"));
    let lrt = &model.lrts[0];
    // `eth` listed, `loopers` through its market; ascending.
    assert_eq!(lrt.backing, vec![1, 3]);
    assert_eq!(lrt.asset, 1);
    // A 7-day queue; oracle and bridge exit at once.
    assert_eq!(lrt.redemption_steps, 7);
    assert_eq!(lrt.arbitrage.capital_per_step, 500.0);
    let market = &model.markets[0];
    assert_eq!(
        (market.lrt, market.oracle),
        (0, restake_sim::model::Oracle::Market)
    );
    assert_eq!(
        model.classes[3].strategy,
        restake_sim::model::Strategy::Loop {
            market: 0,
            leverage_low: 2.0,
            leverage_high: 8.0
        }
    );
    // Overrides select the new arrays' elements by index, name or `*`.
    let set = |specs: &[&str]| {
        let o: Vec<scenario::Override> = specs
            .iter()
            .map(|s| scenario::Override::parse(s).unwrap())
            .collect();
        scenario::parse(&text, Path::new("case.toml"), &o)
            .unwrap_or_else(|e| panic!("{e}"))
            .1
    };
    let model = set(&[
        "lrt.*.pool.depth=100",
        "lending_market.0.oracle=nav",
        "lrt.ezETH.queue_days=14",
    ]);
    assert_eq!(model.lrts[0].pool.map(|p| p.depth), Some(100.0));
    assert_eq!(model.lrts[0].redemption_steps, 14);
    assert_eq!(model.markets[0].oracle, restake_sim::model::Oracle::Nav);
}

#[test]
fn several_problems_are_reported_at_once() {
    let text = edit_in(
        &edit_in(
            &edit("horizon_days = 60", "horizon_days = 0"),
            "price_usd = 3",
            "price_usd = -3",
        ),
        "alpha = 2",
        "alpha = 0",
    );
    let out = validate_text(&text, &[]);
    assert_eq!(out.code, Some(EXIT_INVALID), "{}", out.stderr);
    assert!(out.stderr.contains("(3 problems)"), "{}", out.stderr);
    for (path, needle) in [
        ("run.horizon_days", "horizon_days = 0"),
        ("asset[2].price_usd", "price_usd = -3"),
        ("protocol[1].slashing.severity.alpha", "alpha = 0"),
    ] {
        let expected = format!("case.toml:{}:", line_of(&text, needle));
        assert!(
            out.stderr
                .lines()
                .any(|l| l.trim_start().starts_with(&expected) && l.contains(path)),
            "{path} at {expected} missing from:\n{}",
            out.stderr
        );
    }
    // Reported in file order.
    let h = out.stderr.find("run.horizon_days").expect("horizon");
    let p = out.stderr.find("asset[2].price_usd").expect("price");
    let a = out.stderr.find("severity.alpha").expect("alpha");
    assert!(h < p && p < a, "{}", out.stderr);
}

#[test]
fn random_allocation_counts_only_the_unique_stake_protocols_it_may_pick() {
    // A full-restaking protocol among the candidates: a staker picking 2 of
    // oracle and lending holds at most one unique-stake weight of 0.75.
    let lending = "\n[[protocol]]\nname = \"lending\"\nassets = [\"ETH\"]\napr = { curve = \"constant\", value = 0.05 }\n";
    let with = |among: &str| {
        let text = edit(
            "random_allocation = { min = 1, max = 2, weight = 0.5 }",
            &format!(
                "random_allocation = {{ min = 2, max = 2, weight = 0.75, among = [{among}] }}\nmax_leverage = 1.5"
            ),
        );
        validate_text(&format!("{text}{lending}"), &[])
    };
    let out = with("\"oracle\", \"lending\"");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = with("\"oracle\", \"bridge\", \"lending\"");
    assert_eq!(out.code, Some(EXIT_INVALID), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("= 0.75 × 2 = 1.5: a staker may pick 2 of oracle, bridge"),
        "{}",
        out.stderr
    );
}

#[test]
fn record_every_days_defaults_to_a_multiple_of_step_days() {
    // Absent, it is the smallest multiple of step_days that is at least 7.
    for (step, record) in [(1, 7), (2, 8), (3, 9), (7, 7), (10, 10)] {
        let text = edit("seed = 1", &format!("seed = 1\nstep_days = {step}"));
        let (file, model) = scenario::parse(&text, Path::new("case.toml"), &[])
            .unwrap_or_else(|e| panic!("step_days = {step}: {e}"));
        assert_eq!(file.run.record_every_days, None);
        assert_eq!(
            model.run.record_every_steps * step,
            record,
            "step_days = {step}"
        );
    }
    let text = edit("seed = 1", "seed = 1\nstep_days = 2");
    let out = validate_text(&text, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn validate_checks_every_value_of_a_sweep_table() {
    let text =
        format!("{BASE}\n[sweep]\n\"run.seed\" = [1, 2]\n\"protocol.*.apr.value\" = [0.05]\n");
    // protocol.*.apr.value gives the budget and table curves a `value`.
    let out = validate_text(&text, &[]);
    assert_eq!(out.code, Some(EXIT_INVALID), "{}", out.stderr);
    assert!(
        out.stderr.contains("sweep.\"protocol.*.apr.value\"[0]: expected a value giving a valid scenario, found 0.05 (protocol[1].apr: unknown field `value`"),
        "{}",
        out.stderr
    );
    let text = format!(
        "{BASE}\n[sweep]\n\"run.seed\" = [1, 2]\n\"protocol.babylon.apr.value\" = [0.05, 0.07]\n"
    );
    let out = validate_text(&text, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

/// Variants of a valid text: truncated every `step` bytes, and with each line
/// deleted in turn.
fn mutations(text: &str, step: usize) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out: Vec<Vec<u8>> = (0..bytes.len())
        .step_by(step)
        .map(|n| bytes[..n].to_vec())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != skip)
            .map(|(_, l)| *l)
            .collect();
        out.push((kept.join("\n") + "\n").into_bytes());
    }
    out
}

/// Variants of `BASE` with each number replaced by extreme values.
fn extreme_numbers() -> Vec<Vec<u8>> {
    let variants = extreme_numbers_in(BASE, 0);
    assert!(
        variants.len() > 40 * 9,
        "found only {} numbers",
        variants.len() / 9
    );
    variants
}

/// Variants of `text` with each number from byte `from` on replaced by
/// extreme values.
fn extreme_numbers_in(text: &str, from: usize) -> Vec<Vec<u8>> {
    const EXTREMES: [&str; 9] = [
        "0",
        "-1",
        "nan",
        "inf",
        "-inf",
        "1e308",
        "4294967295",
        "18446744073709551615",
        "0.5",
    ];
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-'));
        if starts_number {
            let end = (i..bytes.len())
                .find(|&j| !(bytes[j].is_ascii_digit() || bytes[j] == b'.'))
                .unwrap_or(bytes.len());
            spans.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    spans
        .iter()
        .flat_map(|&(a, b)| {
            EXTREMES
                .iter()
                .map(move |x| format!("{}{x}{}", &text[..a], &text[b..]).into_bytes())
        })
        .collect()
}

/// Validates the variants in one call; on anything but exit 0 or 2, finds
/// and reports the culprits one by one.
fn assert_no_panic(variants: Vec<Vec<u8>>) {
    let files: Vec<(String, Vec<u8>)> = variants
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("v{i:04}.toml"), v))
        .collect();
    let out = validate_texts(&files, &[]);
    if matches!(out.code, Some(0 | 2)) {
        return;
    }
    let culprits: Vec<String> = files
        .iter()
        .filter_map(|(name, text)| {
            let one = validate_texts(&[(name.clone(), text.clone())], &[]);
            (!matches!(one.code, Some(0 | 2))).then(|| {
                format!(
                    "exit {:?} on:\n{}\nstderr:\n{}",
                    one.code,
                    String::from_utf8_lossy(text),
                    one.stderr
                )
            })
        })
        .collect();
    panic!(
        "exit {:?} (expected 0 or 2); culprits:\n{}",
        out.code,
        culprits.join("\n----\n")
    );
}

#[test]
fn truncated_and_line_deleted_files_never_panic() {
    let mut variants = mutations(BASE, 20);
    let babylon = std::fs::read_to_string(root().join("scenarios/babylon-btc.toml"))
        .expect("babylon-btc.toml");
    variants.extend(mutations(&babylon, 23));
    assert_no_panic(variants);
}

#[test]
fn defi_files_mutated_or_with_extreme_numbers_never_panic() {
    let text = format!("{BASE}{DEFI}");
    let mut variants = mutations(&text, 29)
        .into_iter()
        .filter(|v| v.len() > BASE.len())
        .collect::<Vec<_>>();
    let numbers = extreme_numbers_in(&text, BASE.len());
    assert!(
        numbers.len() > 15 * 9,
        "found only {} numbers",
        numbers.len() / 9
    );
    variants.extend(numbers);
    assert_no_panic(variants);
}

/// Extreme numbers the brute-force substitution does not reach: stake
/// distributions and curves BASE does not use.
fn extreme_cases() -> Vec<Vec<u8>> {
    let fixed = r#"stake = { dist = "fixed", value = 1.0 }"#;
    let budget = r#"apr = { curve = "budget", budget = 10000 }"#;
    let price = "price_usd = 42000";
    [
        (
            fixed,
            r#"stake = { dist = "uniform", low = 1, high = 1.7e308 }"#,
        ),
        (
            fixed,
            r#"stake = { dist = "uniform", low = 1, high = 1e15 }"#,
        ),
        (
            fixed,
            r#"stake = { dist = "lognormal", median = 1e300, sigma = 5 }"#,
        ),
        (
            fixed,
            r#"stake = { dist = "lognormal", median = 1e15, sigma = 5 }"#,
        ),
        (
            fixed,
            r#"stake = { dist = "pareto", scale = 1e15, shape = 1.0000001 }"#,
        ),
        (fixed, r#"stake = { dist = "fixed", value = 1e15 }"#),
        (fixed, r#"stake = { dist = "fixed", value = 1e-300 }"#),
        (budget, r#"apr = { curve = "inverse_sqrt", k = 1e308 }"#),
        (budget, r#"apr = { curve = "inverse_sqrt", k = 1e3 }"#),
        (budget, r#"apr = { curve = "budget", budget = 1e30 }"#),
        (price, "price_usd = 1e15"),
        (price, "price_usd = 1e-300"),
    ]
    .iter()
    .map(|(from, to)| {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1).into_bytes()
    })
    .collect()
}

#[test]
fn extreme_numbers_never_panic() {
    let mut variants = extreme_numbers();
    variants.extend(extreme_cases());
    assert_no_panic(variants.clone());
    assert_runs_finite_or_fail_cleanly(variants);
}

/// Runs every variant (one path each) in one batch: each that validates
/// either runs with finite numbers in its summary.csv or fails cleanly,
/// naming the scenario and writing no folder.
fn assert_runs_finite_or_fail_cleanly(variants: Vec<Vec<u8>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut names = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let name = format!("v{i:04}");
        let text = String::from_utf8_lossy(v).replacen(
            r#"name = "base""#,
            &format!("name = \"{name}\""),
            1,
        );
        std::fs::write(dir.path().join(format!("{name}.toml")), text).expect("write scenario");
        names.push(name);
    }
    let out_dir = dir.path().join("out");
    let output = restake_sim()
        .current_dir(dir.path())
        .args(["run", "--paths", "1", "--quiet", "--out"])
        .arg(&out_dir)
        .args(names.iter().map(|n| format!("{n}.toml")))
        .output()
        .expect("run restake-sim");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
        "exit {:?}: {stderr}",
        output.status.code()
    );
    let mut batch = csv::Reader::from_path(out_dir.join("batch.csv")).expect("batch.csv");
    let (mut ok, mut failed) = (0, 0);
    for row in batch.records() {
        let row = row.expect("batch row");
        let (name, status, error) = (&row[0], &row[3], &row[4]);
        let folder = out_dir.join(name);
        match status {
            "ok" => {
                ok += 1;
                let mut summary =
                    csv::Reader::from_path(folder.join("summary.csv")).expect("summary.csv");
                for r in summary.records() {
                    let r = r.expect("summary row");
                    for cell in r.iter() {
                        if let Ok(x) = cell.parse::<f64>() {
                            assert!(x.is_finite(), "{name}: {cell} in summary.csv: {r:?}");
                        }
                    }
                }
            }
            "failed" => {
                failed += 1;
                assert!(
                    error.contains(&format!("scenario \"{name}\"")),
                    "{name}: {error}"
                );
                assert!(!folder.exists(), "{name}: a failed run left a folder");
            }
            "invalid" => {}
            other => panic!("{name}: status {other}"),
        }
    }
    assert!(ok > 50, "only {ok} variants ran ({failed} failed)");
}

/// A character from the pieces scenario files are made of.
fn toml_piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "=", "[", "]", "{", "}", ",", "\"", "\n", " ", "#", ".", "-", "0", "1", "9", "e", "nan",
        "inf", "[[", "]]", "name", "x",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random splices into a valid file: parsing and validation return a
    /// result, never panic.
    #[test]
    fn spliced_files_parse_or_fail_cleanly(
        edits in prop::collection::vec((0..BASE.len(), 0usize..8, toml_piece()), 1..4)
    ) {
        let mut text = BASE.to_string();
        for (at, cut, piece) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, &piece);
        }
        let _ = scenario::parse(&text, Path::new("fuzz.toml"), &[]);
    }
}

#[test]
fn shipped_scenarios_round_trip_through_toml() {
    for path in shipped_scenarios() {
        let loaded = scenario::load(&path, &[])
            .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
        let text = toml::to_string(&loaded.file)
            .unwrap_or_else(|e| panic!("{} does not serialize: {e}", path.display()));
        let (file, model) = scenario::parse(&text, Path::new("x"), &[]).unwrap_or_else(|e| {
            panic!(
                "{} serialized does not parse again: {e}\n{text}",
                path.display()
            )
        });
        assert_eq!(
            file,
            loaded.file,
            "{}: the file shape changed",
            path.display()
        );
        assert_eq!(model, loaded.model, "{}: the model changed", path.display());
    }
}
