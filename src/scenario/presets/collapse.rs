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
