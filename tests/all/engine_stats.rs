//! The engine against closed forms: exact formula tests (compounding, simple
//! interest, budget curves, commission, unique-stake magnitudes, capped
//! slashing), statistical tests of the event machinery with tolerances
//! derived from standard errors, the bookkeeping invariant on a rich
//! scenario, and in-process determinism across thread counts and shards.
//!
//! Statistical tolerances are 4 standard errors: for a normal approximation
//! a correct engine fails such a check with probability about 6e-5, and every
//! run uses a fixed seed, so a pass or failure is reproducible.

use std::path::Path;

use restake_sim::engine::simulate;
use restake_sim::model::outlook::Outlook;
use restake_sim::model::{Frequency, Model};
use restake_sim::results::Source;
use restake_sim::results::{Collected, PathRange};
use restake_sim::scenario::{self, Override};

use crate::support::root;

/// Builds a model from scenario text, failing the test with the problems.
fn model(text: &str) -> Model {
    match scenario::parse(text, Path::new("test.toml"), &[]) {
        Ok((_, model)) => model,
        Err(e) => panic!("scenario rejected:\n{e}\n---\n{text}"),
    }
}

/// Runs paths `0..paths` on the current rayon pool.
fn run(model: &Model, paths: u32) -> Collected {
    simulate(
        model,
        PathRange {
            first: 0,
            count: paths,
        },
        &|| {},
    )
}

/// Index of series (`metric`, `entity`) in the run's layout.
fn series(c: &Collected, metric: &str, entity: &str) -> usize {
    c.series
        .iter()
        .position(|s| s.metric.name() == metric && s.entity == entity)
        .unwrap_or_else(|| panic!("no series {metric} of {entity}"))
}

/// Index of the recorded point at `day`.
fn point(c: &Collected, day: u32) -> usize {
    c.recorded_days
        .iter()
        .position(|&d| d == day)
        .unwrap_or_else(|| panic!("day {day} not recorded: {:?}", c.recorded_days))
}

/// Asserts |found − expected| ≤ rel · |expected|.
fn assert_rel(what: &str, found: f64, expected: f64, rel: f64) {
    let err = (found - expected).abs();
    assert!(
        err <= rel * expected.abs(),
        "{what}: found {found}, expected {expected} (relative error {:e} > {rel:e})",
        err / expected.abs()
    );
}

/// Asserts |mean − expected| < 4 · se.
fn assert_within_4se(what: &str, mean: f64, expected: f64, se: f64) {
    assert!(se > 0.0, "{what}: standard error must be positive, is {se}");
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "{what}: sample {mean}, expected {expected}, |difference| {} ≥ 4 × SE {se}",
        (mean - expected).abs()
    );
}

// ---------------------------------------------------------------------------
// 1–3, 9: rewards in closed form (deterministic)
// ---------------------------------------------------------------------------

/// One protocol at constant APR `r` backed by `count` stakers of fixed stake
/// `c0`, constant price, no slashing.
fn constant_apr_scenario(
    r: f64,
    count: u32,
    c0: f64,
    compounding: bool,
    horizon: u32,
    step: u32,
) -> String {
    format!(
        r#"
[run]
name = "constant-apr"
horizon_days = {horizon}
step_days = {step}
paths = 1
record_every_days = {step}

[[asset]]
name = "BTC"
price_usd = 42000

[[protocol]]
name = "p"
assets = ["BTC"]
apr = {{ curve = "constant", value = {r} }}

[[staker]]
class = "holders"
count = {count}
asset = "BTC"
stake = {{ dist = "fixed", value = {c0} }}
allocate = {{ p = 1.0 }}
compounding = {compounding}
"#
    )
}

#[test]
fn daily_compounding_matches_the_closed_form() {
    let (r, count, c0) = (0.08, 3, 2.5);
    let m = model(&constant_apr_scenario(r, count, c0, true, 365, 1));
    let c = run(&m, 1);
    let class = &c.rows[0].classes[0];
    let initial = f64::from(count) * c0;
    // Each day the stake grows by the factor (1 + r/365): exact closed form
    // of daily compounding; only rounding (≈ 365 ulps) separates the two.
    let expected = initial * (1.0 + r / 365.0).powi(365);
    assert_rel("final stake", class.stake, expected, 1e-12);
    assert_rel("rewards", class.rewards, expected - initial, 1e-12);
    assert_rel("initial", class.initial, initial, 1e-15);
    assert_eq!(class.losses, 0.0);
    assert_eq!(class.exits, 0.0);
    // Mid-horizon, the recorded (f32) stake follows the same curve.
    let stake = series(&c, "stake", "holders");
    let day = 140;
    let recorded = f64::from(c.across_paths(point(&c, day), stake)[0]);
    let at_day = initial * (1.0 + r / 365.0).powi(day as i32);
    assert_rel("recorded stake on day 140", recorded, at_day, 1e-6);
    assert!(c.bookkeeping_error < 1e-12, "{}", c.bookkeeping_error);
}

#[test]
fn simple_interest_pays_the_babylon_worked_example() {
    // 1 BTC at 6 % for 365 one-day steps earns 0.06 BTC.
    let m = model(&constant_apr_scenario(0.06, 1, 1.0, false, 365, 1));
    let class = &run(&m, 1).rows[0].classes[0];
    assert_rel("rewards, daily steps", class.rewards, 0.06, 1e-12);
    assert_eq!(class.stake, 1.0, "without compounding the stake stays put");
    // 52 weekly steps over 364 days earn 0.06 · 364/365.
    let m = model(&constant_apr_scenario(0.06, 1, 1.0, false, 364, 7));
    assert_eq!(m.run.steps, 52);
    let class = &run(&m, 1).rows[0].classes[0];
    assert_rel(
        "rewards, weekly steps",
        class.rewards,
        0.06 * 364.0 / 365.0,
        1e-12,
    );
    assert_eq!(class.stake, 1.0);
}

#[test]
fn rewards_in_a_token_follow_its_price_against_the_staked_asset() {
    // 6 % a year paid in TOKEN; TOKEN falls 80 % on day 100, so from then on
    // the same token amount is worth 1.2 % a year of the stake.
    let text = constant_apr_scenario(0.06, 1, 1.0, false, 365, 1)
        .replace(
            "[[protocol]]",
            "[[asset]]\nname = \"TOKEN\"\nprice_usd = 3\n\n[[shock]]\nname = \"token-crash\"\nday = 100\nprice = [{ asset = \"TOKEN\", change = -0.8 }]\n\n[[protocol]]",
        )
        .replace(
            "apr = { curve = \"constant\", value = 0.06 }",
            "apr = { curve = \"constant\", value = 0.06 }\nreward_asset = \"TOKEN\"",
        );
    let class = &run(&model(&text), 1).rows[0].classes[0];
    let expected = (0.06 * 100.0 + 0.012 * 265.0) / 365.0;
    assert_rel("rewards", class.rewards, expected, 1e-12);
    // Paid in the staked asset, the same crash changes nothing.
    let same_asset = text.replace("reward_asset = \"TOKEN\"", "");
    let class = &run(&model(&same_asset), 1).rows[0].classes[0];
    assert_rel("rewards in BTC", class.rewards, 0.06, 1e-12);
}

#[test]
fn babylon_scenario_pays_six_percent_on_unslashed_paths() {
    // The shipped scenario, smaller: on a path with no slash every one of
    // the 40 stakers keeps 1 BTC and earns exactly 0.06 BTC (no compounding),
    // $2,520 at the t = 0 price of $42,000.
    let overrides = [
        Override::parse("staker.btc-holders.count=40").unwrap(),
        Override::parse("run.paths=40").unwrap(),
    ];
    let loaded = scenario::load(&root().join("scenarios/babylon-btc.toml"), &overrides).unwrap();
    let c = run(&loaded.model, 40);
    let clean: Vec<_> = c
        .rows
        .iter()
        .filter(|r| r.total.slash_events == 0)
        .collect();
    assert!(
        clean.len() >= 30,
        "a 1 % yearly slash probability spares most paths"
    );
    for row in clean {
        assert_rel("rewards", row.classes[0].rewards, 0.06 * 40.0, 1e-12);
        assert_rel(
            "rewards in USD at t = 0 prices",
            row.total.rewards_usd,
            0.06 * 40.0 * 42_000.0,
            1e-12,
        );
    }
    for row in &c.rows {
        assert!(row.classes[0].rewards <= 0.06 * 40.0 * (1.0 + 1e-12));
    }
}

#[test]
fn budget_apr_is_budget_over_tvl_and_the_budget_is_paid_in_full() {
    // 40 stakers × 25 ETH = 1,000 ETH. "eth-budget" pays 50 ETH a year on
    // 1,000 ETH (APR 0.05); "token-budget" pays 1,000 EIGEN ($2 each) a year
    // on 0.5 × 1,000 ETH ($2,000 each): APR = 2,000 / 1,000,000 = 0.002.
    let text = r#"
[run]
name = "budget"
horizon_days = 365
paths = 1

[[asset]]
name = "ETH"
price_usd = 2000

[[asset]]
name = "EIGEN"
price_usd = 2

[[protocol]]
name = "eth-budget"
assets = ["ETH"]
apr = { curve = "budget", budget = 50 }

[[protocol]]
name = "token-budget"
assets = ["ETH"]
apr = { curve = "budget", budget = 1000 }
reward_asset = "EIGEN"

[[staker]]
class = "holders"
count = 40
asset = "ETH"
stake = { dist = "fixed", value = 25 }
allocate = { eth-budget = 1.0, token-budget = 0.5 }
max_leverage = 1.5
compounding = false
"#;
    let m = model(text);
    let c = run(&m, 1);
    assert_eq!(c.recorded_days[0], 0);
    let expected = [50.0 / 1000.0, 1000.0 * 2.0 / (500.0 * 2000.0)];
    let outlook = Outlook::of(&m);
    for (p, name) in ["eth-budget", "token-budget"].into_iter().enumerate() {
        // Recorded values are f32: relative precision 6e-8, checked to 1e-6.
        let day0 = f64::from(c.across_paths(0, series(&c, "apr", name))[0]);
        assert_rel(&format!("day-0 APR of {name}"), day0, expected[p], 1e-6);
        assert_rel(
            &format!("outlook APR of {name}"),
            outlook.protocols[p].apr,
            expected[p],
            1e-12,
        );
        // Fixed stakes, no compounding, no slashing: the APR never moves.
        assert_rel(
            &format!("final APR of {name}"),
            c.rows[0].protocols[p].apr,
            expected[p],
            1e-12,
        );
    }
    // A year of a fixed budget at constant TVL pays out exactly the budget:
    // 50 ETH plus 1,000 EIGEN worth 2,000 USD = 1 ETH.
    assert_rel("rewards", c.rows[0].classes[0].rewards, 51.0, 1e-12);
}

#[test]
fn operator_commission_scales_rewards_by_one_minus_k() {
    let (r, k, c0) = (0.05, 0.1, 32.0);
    let text = format!(
        r#"
[run]
name = "commission"
horizon_days = 365
paths = 1

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "avs"
assets = ["ETH"]
apr = {{ curve = "constant", value = {r} }}

[[operator]]
name = "op"
commission = {k}
protocols = ["avs"]

[[staker]]
class = "delegators"
count = 4
asset = "ETH"
stake = {{ dist = "fixed", value = {c0} }}
allocate = {{ avs = 1.0 }}
operators = {{ op = 1.0 }}
compounding = false
"#
    );
    let class = &run(&model(&text), 1).rows[0].classes[0];
    assert_rel("rewards", class.rewards, 4.0 * c0 * r * (1.0 - k), 1e-12);
    assert_eq!(class.stake, 4.0 * c0);
}

// ---------------------------------------------------------------------------
// 4–6, 10: slashing events
// ---------------------------------------------------------------------------

#[test]
fn slash_counts_follow_the_per_day_probability() {
    // "yearly": yearly_probability λ = 0.3 → per-day q = 1 − (1 − λ)^(1/365).
    // "poisson": yearly_rate μ = 2 → per-day q = 1 − e^(−μ/365).
    // One uniform per protocol per day, so the events of a path are
    // Binomial(365, q): mean 365 q, variance 365 q (1 − q); the share of
    // paths with none is Bernoulli with p = (1 − q)^365 (= 1 − λ exactly).
    let (lambda, mu, paths) = (0.3, 2.0, 8000u32);
    let text = format!(
        r#"
[run]
name = "counts"
horizon_days = 365
paths = {paths}
seed = 4
record_every_days = 365

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "yearly"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.0 }}
slashing = {{ yearly_probability = {lambda}, severity = {{ dist = "fixed", value = 0.001 }} }}

[[protocol]]
name = "poisson"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.0 }}
slashing = {{ yearly_rate = {mu}, severity = {{ dist = "fixed", value = 0.001 }} }}

[[staker]]
class = "s"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 1 }}
allocate = {{ yearly = 1.0, poisson = 1.0 }}
max_leverage = 2
"#
    );
    let m = model(&text);
    let c = run(&m, paths);
    let n = f64::from(paths);
    let q_yearly = Frequency::YearlyProbability(lambda).step_probability(1);
    assert_rel(
        "yearly q",
        q_yearly,
        1.0 - (1.0 - lambda).powf(1.0 / 365.0),
        1e-12,
    );
    let q_poisson = Frequency::YearlyRate(mu).step_probability(1);
    assert_rel("poisson q", q_poisson, 1.0 - (-mu / 365.0).exp(), 1e-12);
    for (p, q) in [(0, q_yearly), (1, q_poisson)] {
        let name = &m.protocols[p].name;
        let counts: Vec<f64> = c
            .rows
            .iter()
            .map(|r| r.protocols[p].slash_events as f64)
            .collect();
        let mean = counts.iter().sum::<f64>() / n;
        let expected = 365.0 * q;
        let se = (365.0 * q * (1.0 - q) / n).sqrt();
        assert_within_4se(&format!("{name}: events per path"), mean, expected, se);
        let none = counts.iter().filter(|&&k| k == 0.0).count() as f64 / n;
        let p0 = (1.0 - q).powi(365);
        let se0 = (p0 * (1.0 - p0) / n).sqrt();
        assert_within_4se(
            &format!("{name}: share of paths without events"),
            none,
            p0,
            se0,
        );
    }
    // The closed form the yearly probability promises: P(no event) = 1 − λ.
    assert_rel(
        "P(no event in a year)",
        (1.0 - q_yearly).powi(365),
        1.0 - lambda,
        1e-12,
    );
    // Every event is logged, with the right protocol counts.
    assert_eq!(c.events_dropped, 0);
    let logged = c.events.len() as u64;
    let counted: u64 = c.rows.iter().map(|r| r.total.slash_events).sum();
    assert_eq!(logged, counted);
}

/// One staker holding `c0` in protocol "p" (APR 0, no compounding), slashed
/// on each day with probability `daily` with severity `severity` (TOML).
fn single_staker_slashing(daily: f64, severity: &str, allocation: &str, paths: u32) -> String {
    format!(
        r#"
[run]
name = "severity"
horizon_days = 365
paths = {paths}
seed = 5
record_every_days = 365

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.0 }}
slashing = {{ daily_probability = {daily}, severity = {severity} }}
allocation = {allocation}

[[staker]]
class = "solo"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}
compounding = false
"#
    )
}

/// Replays each path's events on a single staker of stake `c0`: each event
/// takes `severity × stake before` (to 1e-12), and the class's losses and
/// final stake agree with the replay.
fn check_losses_replay(c: &Collected, c0: f64) {
    let mut e = 0;
    for row in &c.rows {
        let mut stake = c0;
        let mut lost = 0.0;
        while e < c.events.len() && c.events[e].path == row.path {
            let ev = &c.events[e];
            let expected = ev.severity * stake;
            assert!(
                (ev.lost_native - expected).abs() <= 1e-12 * c0,
                "path {} day {}: lost {} ≠ severity {} × stake before {stake}",
                row.path,
                ev.day,
                ev.lost_native,
                ev.severity
            );
            stake -= expected;
            lost += expected;
            e += 1;
        }
        assert_rel("final stake", row.classes[0].stake, stake, 1e-12);
        assert!((row.classes[0].losses - lost).abs() <= 1e-12 * c0);
    }
    assert_eq!(e, c.events.len(), "events out of path order");
}

/// Two protocols with Beta severities, a veto window on `b`, a random shock
/// over both; one class backing both.
fn crn_scenario(daily_a: f64, alpha_a: f64) -> String {
    format!(
        r#"
[run]
name = "crn"
horizon_days = 365
paths = 200
seed = 5

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "a"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}
slashing = {{ daily_probability = {daily_a}, severity = {{ dist = "beta", alpha = {alpha_a}, beta = 18 }}, shock_groups = ["bug"] }}

[[protocol]]
name = "b"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}
veto_days = 2
veto_probability = 0.3
slashing = {{ daily_probability = 0.002, severity = {{ dist = "beta", alpha = 2, beta = 18 }}, shock_groups = ["bug"] }}

[[shock]]
name = "bug"
yearly_probability = 0.2

[[staker]]
class = "eth"
count = 5
asset = "ETH"
stake = {{ dist = "fixed", value = 32 }}
allocate = {{ a = 1.0, b = 1.0 }}
max_leverage = 2
"#
    )
}

/// Events of protocol `p`, as (path, day, source, severity bits).
fn events_of(c: &Collected, p: usize) -> Vec<(u32, u32, String, u64)> {
    c.events
        .iter()
        .filter(|e| e.protocol == p)
        .map(|e| {
            (
                e.path,
                e.day,
                format!("{:?}", e.source),
                e.severity.to_bits(),
            )
        })
        .collect()
}

#[test]
fn common_random_numbers_keep_other_protocols_events_and_all_event_days() {
    let base = run(&model(&crn_scenario(0.002, 2.0)), 200);
    assert!(events_of(&base, 1).len() > 50, "too few events to compare");
    // Doubling a's probability changes nothing of b (its own events, the
    // shocks, the vetoes) down to the severity bits.
    let more_a = run(&model(&crn_scenario(0.004, 2.0)), 200);
    assert_eq!(events_of(&base, 1), events_of(&more_a, 1));
    assert!(events_of(&more_a, 0).len() > events_of(&base, 0).len());
    // Another Beta for a moves only a's severities: same events, same days.
    let other_beta = run(&model(&crn_scenario(0.002, 6.0)), 200);
    assert_eq!(events_of(&base, 1), events_of(&other_beta, 1));
    let days = |c: &Collected| -> Vec<(u32, u32, String)> {
        events_of(c, 0)
            .into_iter()
            .map(|e| (e.0, e.1, e.2))
            .collect()
    };
    assert_eq!(days(&base), days(&other_beta));
    assert_ne!(events_of(&base, 0), events_of(&other_beta, 0));
}

#[test]
fn beta_severities_have_the_beta_mean_and_take_severity_times_stake() {
    // Beta(2, 8): mean α/(α+β) = 0.2, variance αβ/((α+β)²(α+β+1)) = 16/1100.
    // SE of the mean of n independent severities = sqrt(variance / n).
    // 300 paths × 365 days × 5 % ≈ 5,500 events: SE ≈ 0.0016.
    let (alpha, beta) = (2.0_f64, 8.0_f64);
    let text = single_staker_slashing(
        0.05,
        &format!(r#"{{ dist = "beta", alpha = {alpha}, beta = {beta} }}"#),
        r#"{ model = "full_restaking" }"#,
        300,
    );
    let c = run(&model(&text), 300);
    assert_eq!(c.events_dropped, 0);
    let n = c.events.len() as f64;
    assert!(n > 4000.0, "expected ≈ 5,500 events, found {n}");
    let mean = c.events.iter().map(|e| e.severity).sum::<f64>() / n;
    let var = alpha * beta / ((alpha + beta).powi(2) * (alpha + beta + 1.0));
    assert_within_4se(
        "mean Beta severity",
        mean,
        alpha / (alpha + beta),
        (var / n).sqrt(),
    );
    assert!(c.events.iter().all(|e| (0.0..=1.0).contains(&e.severity)));
    assert!(c.events.iter().all(|e| e.source == Source::Protocol));
    check_losses_replay(&c, 100.0);
}

#[test]
fn capped_slashing_takes_at_most_max_slash() {
    // Severity 0.3 under a cap of 0.05: every event takes exactly 5 % of the
    // stake before it.
    let text = single_staker_slashing(
        0.02,
        r#"{ dist = "fixed", value = 0.3 }"#,
        r#"{ model = "capped", max_slash = 0.05 }"#,
        50,
    );
    let c = run(&model(&text), 50);
    assert!(c.events.len() > 100, "found {} events", c.events.len());
    for e in &c.events {
        assert_eq!(e.severity, 0.05, "event {e:?}");
    }
    check_losses_replay(&c, 100.0);
}

#[test]
fn a_shock_group_slashes_its_members_together() {
    // "a" and "b" have no own frequency: only shock "g" slashes them, both on
    // the same day, each with its own severity. The number of shocks per
    // path is Binomial(365, q), q the per-day probability of λ = 0.5.
    let (lambda, paths) = (0.5, 600u32);
    let text = format!(
        r#"
[run]
name = "group"
horizon_days = 365
paths = {paths}
seed = 6
record_every_days = 365

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "a"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.03 }}
slashing = {{ severity = {{ dist = "fixed", value = 0.05 }}, shock_groups = ["g"] }}

[[protocol]]
name = "b"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.03 }}
slashing = {{ severity = {{ dist = "fixed", value = 0.02 }}, shock_groups = ["g"] }}

[[protocol]]
name = "outside"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.03 }}
slashing = {{ yearly_probability = 0.5, severity = {{ dist = "fixed", value = 0.01 }} }}

[[shock]]
name = "g"
yearly_probability = {lambda}

[[staker]]
class = "s"
count = 5
asset = "ETH"
stake = {{ dist = "fixed", value = 10 }}
allocate = {{ a = 1.0, b = 1.0, outside = 1.0 }}
max_leverage = 3
"#
    );
    let c = run(&model(&text), paths);
    let of = |p: usize| -> Vec<(u32, u32)> {
        c.events
            .iter()
            .filter(|e| e.protocol == p)
            .map(|e| (e.path, e.day))
            .collect()
    };
    let (a, b) = (of(0), of(1));
    assert!(!a.is_empty(), "no shock fired in {paths} paths");
    assert_eq!(a, b, "members of one shock group slashed apart");
    for e in c.events.iter().filter(|e| e.protocol < 2) {
        assert_eq!(e.source, Source::Shock(0));
        assert_eq!(e.severity, [0.05, 0.02][e.protocol], "own severity used");
    }
    let q = Frequency::YearlyProbability(lambda).step_probability(1);
    let n = f64::from(paths);
    let mean = a.len() as f64 / n;
    let se = (365.0 * q * (1.0 - q) / n).sqrt();
    assert_within_4se("shocks per path", mean, 365.0 * q, se);
}

// ---------------------------------------------------------------------------
// 8: unique stake (EigenLayer magnitudes)
// ---------------------------------------------------------------------------

#[test]
fn unique_stake_slashes_only_the_slashed_magnitude() {
    // 100 ETH allocated 0.5 / 0.5 to two unique-stake protocols; a scheduled
    // shock on day 10 slashes 20 % of A's allocation: 0.2 × 0.5 × 100 = 10
    // lost, and B's 50 ETH is untouched — A backed by 40, B by 50, of 90.
    let text = r#"
[run]
name = "unique"
horizon_days = 30
paths = 3

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "A"
assets = ["ETH"]
apr = { curve = "constant", value = 0.0 }
allocation = { model = "unique_stake" }
slashing = { shock_groups = ["hit-a"] }

[[protocol]]
name = "B"
assets = ["ETH"]
apr = { curve = "constant", value = 0.0 }
allocation = { model = "unique_stake" }

[[shock]]
name = "hit-a"
day = 10
severity = { dist = "fixed", value = 0.2 }

[[staker]]
class = "restaker"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { A = 0.5, B = 0.5 }
"#;
    let c = run(&model(text), 3);
    for row in &c.rows {
        let class = &row.classes[0];
        assert_rel("losses", class.losses, 10.0, 1e-12);
        assert_rel("final stake", class.stake, 90.0, 1e-12);
        assert_rel("A's losses", row.protocols[0].losses_native, 10.0, 1e-12);
        assert_eq!(row.protocols[1].losses_native, 0.0);
        assert_eq!(row.protocols[0].slash_events, 1);
        assert_eq!(row.protocols[1].slash_events, 0);
        assert_rel("A's TVL", row.protocols[0].tvl_native, 40.0, 1e-12);
        assert_rel("B's TVL", row.protocols[1].tvl_native, 50.0, 1e-12);
    }
    assert_eq!(c.events.len(), 3);
    assert!(c.events.iter().all(|e| e.day == 11 && e.severity == 0.2));
}

// ---------------------------------------------------------------------------
// Operator-level slashing
// ---------------------------------------------------------------------------

#[test]
fn operator_faults_spare_stakers_who_do_not_delegate() {
    // Only "op" faults; "solo" stakers delegate to nobody, so they are never
    // slashed (the product: a fault slashes the stake delegated to that
    // operator; without operators, slashing is protocol-wide).
    let text = r#"
[run]
name = "faults"
horizon_days = 365
paths = 20
seed = 8
record_every_days = 365

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "avs"
assets = ["ETH"]
apr = { curve = "constant", value = 0.02 }

[[operator]]
name = "op"
protocols = ["avs"]
fault = { daily_probability = 0.02, severity = { dist = "fixed", value = 0.1 } }

[[staker]]
class = "delegators"
count = 5
asset = "ETH"
stake = { dist = "fixed", value = 32 }
allocate = { avs = 1.0 }
operators = { op = 1.0 }

[[staker]]
class = "solo"
count = 5
asset = "ETH"
stake = { dist = "fixed", value = 32 }
allocate = { avs = 1.0 }
"#;
    let c = run(&model(text), 20);
    assert!(c.rows.iter().any(|r| r.classes[0].losses > 0.0), "no fault");
    for row in &c.rows {
        assert_eq!(
            row.classes[1].losses, 0.0,
            "path {}: a staker delegating to nobody lost stake to an operator fault",
            row.path
        );
    }
}

// ---------------------------------------------------------------------------
// 7, 11: a rich scenario — bookkeeping, sanity, determinism
// ---------------------------------------------------------------------------

/// Every feature at once: yield chasing, risk-averse exits, opportunity
/// exits, entries, operators with faults and commission, unique-stake,
/// capped, network-limit and full-restaking protocols, withdrawal,
/// unbonding and deallocation delays, moving correlated prices, a price
/// crash, a scheduled bank run forcing exits, and a veto window.
const RICH: &str = r#"
[run]
name = "rich"
horizon_days = 240
paths = 40
seed = 2024
record_every_days = 30

[[asset]]
name = "ETH"
price_usd = 3000
volatility = 0.7

[[asset]]
name = "EIGEN"
price_usd = 3
drift = -0.2
volatility = 1.2

[correlation]
assets = ["ETH", "EIGEN"]
matrix = [[1.0, 0.5], [0.5, 1.0]]

[[protocol]]
name = "full"
assets = ["ETH"]
apr = { curve = "budget", budget = 40000 }
reward_asset = "EIGEN"
apr_cap = 0.3
withdrawal_days = 7
unbonding_days = 7
veto_days = 3
veto_probability = 0.3
slashing = { yearly_probability = 0.3, severity = { dist = "beta", alpha = 2, beta = 18 }, shock_groups = ["crash"] }

[[protocol]]
name = "unique-a"
assets = ["ETH"]
apr = { curve = "constant", value = 0.04 }
allocation = { model = "unique_stake" }
deallocation_days = 14
slashing = { yearly_rate = 0.5, severity = { dist = "uniform", low = 0.01, high = 0.1 } }

[[protocol]]
name = "unique-b"
assets = ["ETH"]
apr = { curve = "inverse_sqrt", k = 3 }
allocation = { model = "unique_stake" }
deallocation_days = 14
unbonding_days = 5
slashing = { daily_probability = 0.002, severity = { dist = "fixed", value = 0.05 } }

[[protocol]]
name = "capped"
assets = ["ETH"]
apr = { curve = "table", points = [[0, 0.08], [2000, 0.05], [10000, 0.02]] }
allocation = { model = "capped", max_slash = 0.05 }
capacity = 6000
min_stake = 1
slashing = { yearly_probability = 0.4, severity = { dist = "beta", alpha = 1, beta = 3 }, shock_groups = ["crash"] }

[[protocol]]
name = "network"
assets = ["ETH"]
apr = { curve = "budget", budget = 60 }
fee_revenue_usd = 50000
allocation = { model = "network_limit", limit = 1500 }
unbonding_days = 10
slashing = { yearly_probability = 0.2, severity = { dist = "fixed", value = 0.1 } }

[[shock]]
name = "crash"
yearly_probability = 0.3
severity = { dist = "uniform", low = 0.05, high = 0.2 }
price = [{ asset = "ETH", change = -0.3 }, { asset = "EIGEN", change = -0.5 }]
exit_fraction = 0.1

[[shock]]
name = "bank-run"
day = 100
exit_fraction = 0.3

[[operator]]
name = "op-a"
commission = 0.1
protocols = ["full", "unique-a", "unique-b", "capped", "network"]

[[operator]]
name = "op-b"
commission = 0.05
protocols = ["full", "unique-a", "unique-b", "capped", "network"]
fault = { yearly_probability = 0.2, severity = { dist = "beta", alpha = 1, beta = 9 } }

[[staker]]
class = "chasers"
count = 60
asset = "ETH"
stake = { dist = "lognormal", median = 32, sigma = 1 }
random_allocation = { min = 1, max = 2, weight = 0.5 }
strategy = { kind = "yield_chasing", probability = 0.3, risk_weight = 1 }
review_every_days = 7
operators = { op-a = 0.5, op-b = 0.5 }
entry = { per_review = 3, max_new = 30 }

[[staker]]
class = "cautious"
count = 60
asset = "ETH"
stake = { dist = "uniform", low = 5, high = 50 }
allocate = { full = 1.0, capped = 1.0 }
max_leverage = 2
strategy = { kind = "risk_averse", exit_loss = 0.01 }
compounding = false
opportunity_apr = 0.005
tax_rate = 0.3
operators = { op-b = 1.0 }

[[staker]]
class = "magnitudes"
count = 40
asset = "ETH"
stake = { dist = "pareto", scale = 10, shape = 2 }
allocate = { unique-a = 0.6, unique-b = 0.4, network = 1.0 }
max_leverage = 2
"#;

fn rich_model() -> Model {
    model(RICH)
}

#[test]
fn bookkeeping_holds_on_a_rich_scenario() {
    let m = rich_model();
    let c = run(&m, 200);
    assert!(
        c.bookkeeping_error < 1e-9,
        "bookkeeping error {}",
        c.bookkeeping_error
    );
    assert!(!c.events.is_empty());
    for row in &c.rows {
        for (k, class) in row.classes.iter().enumerate() {
            let name = &m.classes[k].name;
            let figures = [
                class.stake,
                class.initial,
                class.rewards,
                class.losses,
                class.exits,
                class.net_return,
                class.after_tax_net_return,
                class.median_net_return,
            ];
            assert!(
                figures.iter().all(|x| x.is_finite()),
                "path {} class {name}: {class:?}",
                row.path
            );
            assert!(class.stake >= 0.0 && class.rewards >= 0.0 && class.losses >= 0.0);
            // The bank run on day 100 sends ~30 % of every class's stakers
            // out; the longest exit delay is 14 days, so all are released.
            assert!(
                class.exits > 0.0,
                "path {} class {name}: no exits",
                row.path
            );
            // Class-level bookkeeping: what remains is what came in, plus
            // compounded rewards, less losses and exits.
            let paid_out = if m.classes[k].compounding {
                0.0
            } else {
                class.rewards
            };
            let expected = class.initial + class.rewards - paid_out - class.losses - class.exits;
            assert!(
                (expected - class.stake).abs() <= 1e-9 * (class.initial + class.rewards),
                "path {} class {name}: stake {} but initial + rewards − paid − losses − exits = {expected}",
                row.path,
                class.stake
            );
        }
        for p in &row.protocols {
            let figures = [
                p.tvl_native,
                p.tvl_usd,
                p.apr,
                p.losses_native,
                p.loss_fraction,
            ];
            assert!(figures.iter().all(|x| x.is_finite() && *x >= 0.0), "{p:?}");
        }
        let t = &row.total;
        let figures = [
            t.tvl_usd,
            t.initial_usd,
            t.rewards_usd,
            t.losses_usd,
            t.net_return,
            t.after_tax_net_return,
        ];
        assert!(figures.iter().all(|x| x.is_finite()), "{t:?}");
        let by_protocol: u64 = row.protocols.iter().map(|p| p.slash_events).sum();
        assert_eq!(t.slash_events, by_protocol);
    }
    assert!(c.values.iter().all(|v| v.is_finite()));
    assert!(
        c.rows.iter().any(|r| r.classes[0].entered > 0),
        "no entries"
    );
    // Every slashing mechanism fired somewhere, so the checks bite.
    for p in 0..m.protocols.len() {
        assert!(
            c.events.iter().any(|e| e.protocol == p),
            "protocol {p} never slashed"
        );
    }
    for source in [Source::Protocol, Source::Shock(0), Source::Operator(1)] {
        assert!(
            c.events.iter().any(|e| e.source == source),
            "no {source:?} event"
        );
    }
    for e in &c.events {
        assert!(e.lost_native.is_finite() && e.lost_native >= 0.0, "{e:?}");
        assert!((0.0..=1.0).contains(&e.severity), "{e:?}");
        if e.protocol == 3 {
            assert!(e.severity <= 0.05, "capped protocol: {e:?}");
        }
    }
}

#[test]
fn results_do_not_depend_on_threads_or_shards() {
    let m = rich_model();
    let on = |threads: usize, first: u32, count: u32| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| simulate(&m, PathRange { first, count }, &|| {}))
    };
    let one = on(1, 0, 20);
    let two = on(2, 0, 20);
    assert_eq!(one.rows, two.rows);
    assert_eq!(one.events, two.events);
    assert_eq!(one.values, two.values);
    assert_eq!(one.bookkeeping_error, two.bookkeeping_error);
    // Shards: paths 0..10 and 10..20 are the paths of 0..20.
    let (low, high) = (on(2, 0, 10), on(1, 10, 10));
    let rows: Vec<_> = low.rows.iter().chain(&high.rows).cloned().collect();
    assert_eq!(rows, one.rows);
    let events: Vec<_> = low.events.iter().chain(&high.events).cloned().collect();
    assert_eq!(events, one.events);
    for point in 0..one.recorded_days.len() {
        for s in 0..one.series.len() {
            let joined: Vec<f32> = low
                .across_paths(point, s)
                .iter()
                .chain(high.across_paths(point, s))
                .copied()
                .collect();
            assert_eq!(
                joined,
                one.across_paths(point, s),
                "point {point} series {s}"
            );
        }
    }
    // `join` rebuilds the whole run from its shards, bit for bit.
    let joined = restake_sim::results::join(
        &m,
        PathRange {
            first: 0,
            count: 20,
        },
        [low, high],
    )
    .unwrap();
    assert_eq!(joined.values, one.values);
    assert_eq!(joined.rows, one.rows);
    assert_eq!(joined.events, one.events);
    assert_eq!(joined.events_dropped, one.events_dropped);
    assert_eq!(joined.staker_apr, one.staker_apr);
    assert_eq!(joined.staker_apr_moments, one.staker_apr_moments);
}
