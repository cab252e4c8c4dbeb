//! The `operator-collapse` preset: the largest operators by expected t = 0
//! delegated stake, holding together at least a third of it, are slashed
//! half the stake they put behind each service they secure, on day 30.

use super::super::file::{ScenarioFile, SeverityFile, StakeFile};
use super::{check_horizon, scheduled_shock, unique_shock_name};

/// Share of all delegated stake the operators struck by
/// `operator-collapse` hold at least.
const COLLAPSE_SHARE: f64 = 1.0 / 3.0;

/// Severity of the `operator-collapse` slash, on the stake each struck
/// operator puts behind each protocol it serves.
const COLLAPSE_SEVERITY: f64 = 0.5;

/// Expected stake of one staker (native units); a Pareto without a finite
/// mean (tail index ≤ 1) counts as its scale.
pub(super) fn expected_stake(stake: &StakeFile) -> f64 {
    match *stake {
        StakeFile::Fixed { value } => value,
        StakeFile::Lognormal { median, sigma } => median * (0.5 * sigma * sigma).exp(),
        StakeFile::Pareto { scale, shape } => {
            if shape > 1.0 {
                shape * scale / (shape - 1.0)
            } else {
                scale
            }
        }
        StakeFile::Uniform { low, high } => 0.5 * (low + high),
    }
}

/// Every `[[operator]]` with its expected t = 0 delegated stake in USD: for
/// each class delegating to it, count × expected stake × the class's share
/// for the operator × the initial price of the class's asset. In file
/// order; a delegation to an undefined operator or a class of an undefined
/// asset counts nothing (validation reports it).
pub(super) fn delegated_usd(file: &ScenarioFile) -> Vec<(&str, f64)> {
    let mut usd: Vec<(&str, f64)> = file
        .operators
        .iter()
        .map(|o| (o.name.as_str(), 0.0))
        .collect();
    for s in &file.stakers {
        let Some(price) = file
            .assets
            .iter()
            .find(|a| a.name == s.asset)
            .map(|a| a.price_usd)
        else {
            continue;
        };
        let class_usd = f64::from(s.count) * expected_stake(&s.stake) * price;
        for (name, share) in &s.operators {
            if let Some(o) = usd.iter_mut().find(|(o, _)| o == name) {
                o.1 += class_usd * share;
            }
        }
    }
    usd
}

/// The operators `operator-collapse` strikes: the largest by expected t = 0
/// delegated stake in USD (for each class delegating to an operator: count ×
/// expected stake × the class's share for the operator × the initial price
/// of its asset), ties in name order, taken until together they hold at
/// least a third of all delegated stake (at least one). Empty when no stake
/// is delegated.
pub fn largest_operators(file: &ScenarioFile) -> Vec<String> {
    let mut usd = delegated_usd(file);
    let total: f64 = usd.iter().map(|o| o.1).sum();
    if total.is_nan() || total <= 0.0 {
        return Vec::new();
    }
    usd.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut picked = Vec::new();
    let mut held = 0.0;
    for (name, stake) in usd {
        picked.push(name.to_string());
        held += stake;
        // A relative tolerance, so that a third held by rounding counts.
        if held >= COLLAPSE_SHARE * total * (1.0 - 1e-12) {
            break;
        }
    }
    picked
}

/// A new shock on day 30 restricted to the largest operators
/// ([`largest_operators`]), with a fixed severity 0.5 and no member
/// protocols, so it slashes in every protocol those operators serve: the
/// largest operators lose half the stake they put behind each service they
/// secure. Does not apply without an `[[operator]]` that some class
/// delegates to.
pub(super) fn operator_collapse(file: &mut ScenarioFile) -> Result<(), String> {
    if file.operators.is_empty() {
        return Err("no [[operator]] to collapse".into());
    }
    let operators = largest_operators(file);
    if operators.is_empty() {
        return Err("no stake is delegated to an [[operator]]".into());
    }
    check_horizon(file)?;
    let mut shock = scheduled_shock(unique_shock_name(file, "stress-operator-collapse"));
    shock.operators = operators;
    shock.severity = Some(SeverityFile::Fixed {
        value: COLLAPSE_SEVERITY,
    });
    file.shocks.push(shock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{build, file_of, refused, shipped};
    use super::super::{STRESS_DAY, apply};
    use super::*;
    use crate::scenario::file::{SeverityFile, StakeFile};

    /// Four operators with delegated stake and one without, over four
    /// protocols: 10 × 100 ETH at 3,000 USD split 30/30/40 over `alpha`,
    /// `beta`, `delta` (0.9, 0.9, 1.2 million USD); 4 BTC stakers with a
    /// Pareto of mean 2 × 2.5 / (2 − 1) = 5 BTC at 60,000 USD, all with
    /// `gamma` (1.2 million); 2 lognormal stakers (median 10
    /// ETH, σ = 1: mean 10·e^0.5) with `delta`; `idle` has nothing.
    const OPERATORS: &str = r#"
[run]
name = "operators"
horizon_days = 60
paths = 10

[[asset]]
name = "ETH"
price_usd = 3000

[[asset]]
name = "BTC"
price_usd = 60000

[[protocol]]
name = "p"
assets = ["ETH", "BTC"]
apr = { curve = "constant", value = 0.04 }

[[protocol]]
name = "q"
assets = ["ETH"]
apr = { curve = "constant", value = 0.03 }

[[protocol]]
name = "r"
assets = ["BTC"]
apr = { curve = "constant", value = 0.02 }

[[protocol]]
name = "s"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "idle"
protocols = ["s"]

[[operator]]
name = "delta"
protocols = ["p", "q"]

[[operator]]
name = "gamma"
protocols = ["r"]

[[operator]]
name = "beta"
protocols = ["p", "s"]

[[operator]]
name = "alpha"
protocols = ["p", "s"]

[[staker]]
class = "eth"
count = 10
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
operators = { alpha = 0.3, beta = 0.3, delta = 0.4 }

[[staker]]
class = "btc"
count = 4
asset = "BTC"
stake = { dist = "pareto", scale = 2.5, shape = 2 }
allocate = { r = 1.0 }
operators = { gamma = 1.0 }

[[staker]]
class = "whales"
count = 2
asset = "ETH"
stake = { dist = "lognormal", median = 10, sigma = 1 }
allocate = { p = 1.0 }
operators = { delta = 1.0 }

[[staker]]
class = "solo"
count = 5
asset = "ETH"
stake = { dist = "fixed", value = 1000 }
allocate = { s = 1.0 }
"#;

    #[test]
    fn operator_stakes_are_expected_t0_delegated_usd() {
        let file = file_of(OPERATORS);
        let whales = 2.0 * 10.0 * 0.5f64.exp() * 3000.0;
        let usd = delegated_usd(&file);
        let names: Vec<&str> = usd.iter().map(|o| o.0).collect();
        assert_eq!(names, ["idle", "delta", "gamma", "beta", "alpha"]);
        let expected = [0.0, 1.2e6 + whales, 1.2e6, 0.9e6, 0.9e6];
        for ((name, got), want) in usd.iter().zip(expected) {
            assert!((got - want).abs() <= 1e-9 * want, "{name}: {got} vs {want}");
        }
        // The solo class delegates to nobody: it is not delegated stake.
        let total: f64 = usd.iter().map(|o| o.1).sum();
        assert!((total - (4.2e6 + whales)).abs() < 1e-6);
    }

    #[test]
    fn expected_stakes_are_the_means_and_a_pareto_without_one_its_scale() {
        let cases = [
            (StakeFile::Fixed { value: 32.0 }, 32.0),
            (
                StakeFile::Uniform {
                    low: 1.0,
                    high: 3.0,
                },
                2.0,
            ),
            (
                StakeFile::Lognormal {
                    median: 10.0,
                    sigma: 1.0,
                },
                10.0 * 0.5f64.exp(),
            ),
            (
                StakeFile::Pareto {
                    scale: 2.5,
                    shape: 2.0,
                },
                5.0,
            ),
            // Rejected by validation, but ranked before it: the scale.
            (
                StakeFile::Pareto {
                    scale: 2.5,
                    shape: 0.8,
                },
                2.5,
            ),
        ];
        for (stake, mean) in cases {
            assert!((expected_stake(&stake) - mean).abs() < 1e-12, "{stake:?}");
        }
    }

    #[test]
    fn operator_collapse_strikes_the_largest_operators_holding_a_third_of_the_stake() {
        let mut file = file_of(OPERATORS);
        let before = file.clone();
        // delta (1.30 M) alone is below a third of 4.30 M; with gamma
        // (1.2 M) the two hold more.
        assert_eq!(largest_operators(&file), ["delta", "gamma"]);
        apply(&mut file, "operator-collapse").unwrap();
        assert_eq!(file.shocks.len(), 1);
        let shock = &file.shocks[0];
        assert_eq!(shock.name, "stress-operator-collapse");
        assert_eq!(shock.day, Some(STRESS_DAY));
        assert_eq!(shock.operators, ["delta", "gamma"]);
        assert_eq!(shock.severity, Some(SeverityFile::Fixed { value: 0.5 }));
        assert!(shock.price.is_empty() && shock.lrt_price.is_empty());
        assert_eq!(shock.exit_fraction, 0.0);
        assert!(shock.yearly_probability.is_none() && shock.yearly_rate.is_none());
        // Nothing else changes; no protocol lists the shock.
        assert_eq!(file.protocols, before.protocols);
        assert_eq!(file.operators, before.operators);
        assert_eq!(file.stakers, before.stakers);
        // Built: it slashes in every protocol delta or gamma serves (p, q,
        // r, not s), half of what they put behind each.
        let model = build(&file);
        let shock = &model.shocks[0];
        assert_eq!(shock.operators, [1, 2]);
        assert_eq!(shock.protocols, [0, 1, 2]);
        assert_eq!(shock.severity, Some(crate::model::Severity::Fixed(0.5)));
        assert_eq!(
            shock.trigger,
            crate::model::Trigger::Scheduled { step: STRESS_DAY }
        );
        // A second collapse gets a name of its own.
        apply(&mut file, "operator-collapse").unwrap();
        assert_eq!(file.shocks[1].name, "stress-operator-collapse-2");
        build(&file);
    }

    #[test]
    fn operator_collapse_takes_one_operator_at_least_and_breaks_ties_by_name() {
        // Four equal operators (in file order idle, delta, beta, alpha):
        // by name, alpha then beta reach a third.
        let equal = OPERATORS.replace(
            "operators = { alpha = 0.3, beta = 0.3, delta = 0.4 }",
            "operators = { alpha = 0.25, beta = 0.25, delta = 0.25, idle = 0.25 }",
        );
        let equal = equal
            .replace("protocols = [\"s\"]", "protocols = [\"p\", \"s\"]")
            .replace("operators = { gamma = 1.0 }\n", "")
            .replace("operators = { delta = 1.0 }\n", "");
        let file = file_of(&equal);
        assert_eq!(largest_operators(&file), ["alpha", "beta"]);
        build(&file);
        let thirds = equal.replace(
            "operators = { alpha = 0.25, beta = 0.25, delta = 0.25, idle = 0.25 }",
            "operators = { delta = 0.3, beta = 0.3, idle = 0.3, alpha = 0.1 }",
        );
        // beta, delta and idle hold 0.9 M each, alpha 0.3 M: beta, then
        // delta (by name), reach a third of 3 M.
        assert_eq!(largest_operators(&file_of(&thirds)), ["beta", "delta"]);
        // Exactly a third is enough: alpha, gamma and delta hold 1.2 M
        // each (4 × 100 ETH, 4 × 5 BTC, 4 × 100 ETH).
        let mut exact = file_of(OPERATORS);
        exact.stakers[0].count = 4;
        exact.stakers[0].operators = [("alpha".to_string(), 1.0)].into();
        exact.stakers[2].stake = StakeFile::Fixed { value: 100.0 };
        exact.stakers[2].count = 4;
        assert_eq!(largest_operators(&exact), ["alpha"]);
        build(&exact);
        // One operator holding everything: itself.
        let alone = OPERATORS
            .replace(
                "operators = { alpha = 0.3, beta = 0.3, delta = 0.4 }",
                "operators = { delta = 1.0 }",
            )
            .replace("operators = { gamma = 1.0 }\n", "");
        assert_eq!(largest_operators(&file_of(&alone)), ["delta"]);
    }

    #[test]
    fn operator_collapse_does_not_apply_without_delegated_operators_or_before_day_30() {
        let mut none = file_of(OPERATORS);
        none.operators.clear();
        for s in &mut none.stakers {
            s.operators.clear();
        }
        refused(none, "operator-collapse", "no [[operator]] to collapse");
        let mut undelegated = file_of(OPERATORS);
        for s in &mut undelegated.stakers {
            s.operators.clear();
        }
        refused(
            undelegated,
            "operator-collapse",
            "no stake is delegated to an [[operator]]",
        );
        let mut short = file_of(OPERATORS);
        short.run.horizon_days = 30;
        refused(
            short,
            "operator-collapse",
            "the horizon (30 days) ends before day 30",
        );
        // Every shipped scenario without operators.
        let mut without = 0;
        for (_, file) in shipped() {
            if file.operators.is_empty() {
                without += 1;
                refused(file, "operator-collapse", "no [[operator]] to collapse");
            }
        }
        assert!(without >= 5);
    }

    #[test]
    fn combined_includes_operator_collapse_where_stake_is_delegated() {
        let mut file = file_of(OPERATORS);
        apply(&mut file, "combined").unwrap();
        let collapse = file
            .shocks
            .iter()
            .find(|s| s.name == "stress-operator-collapse")
            .expect("the collapse shock");
        assert_eq!(collapse.operators, ["delta", "gamma"]);
        // Later than severity-x3: its severity is not tripled.
        assert_eq!(collapse.severity, Some(SeverityFile::Fixed { value: 0.5 }));
        build(&file);
        // The shipped scenarios with operators take it, and stay valid.
        let mut with = 0;
        for (name, file) in shipped() {
            if file.operators.is_empty() {
                continue;
            }
            with += 1;
            let mut stressed = file.clone();
            apply(&mut stressed, "operator-collapse").unwrap_or_else(|e| panic!("{name}: {e}"));
            build(&stressed);
            let mut combined = file;
            apply(&mut combined, "combined").unwrap();
            assert!(
                combined
                    .shocks
                    .iter()
                    .any(|s| s.name == "stress-operator-collapse"),
                "{name}"
            );
            build(&combined);
        }
        assert!(with >= 1);
    }
}
