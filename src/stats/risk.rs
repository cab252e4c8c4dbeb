//! Tail risk of a loss variable: Value at Risk and expected shortfall.
//!
//! Losses are signed with a positive number meaning a loss. Owns
//! [`TailRisk`] and [`tail_risk`], computed from an ascending-sorted sample.

use super::quantile::quantile_sorted;
use super::uncertainty::{deep_enough, tail_count};

/// Value at Risk and Conditional Value at Risk at 95%, 99% and 99.9%.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailRisk {
    /// 95% Value at Risk: the type-7 0.95 quantile of the losses.
    pub var95: f64,
    /// 99% Value at Risk: the type-7 0.99 quantile of the losses.
    pub var99: f64,
    /// 95% expected shortfall: mean of the worst 5% of losses.
    pub cvar95: f64,
    /// 99% expected shortfall: mean of the worst 1% of losses.
    pub cvar99: f64,
    /// 99.9% Value at Risk; `None` below
    /// [`DEEP_TAIL_MIN_PATHS`](super::uncertainty::DEEP_TAIL_MIN_PATHS) values.
    pub var999: Option<f64>,
    /// 99.9% expected shortfall; `None` below
    /// [`DEEP_TAIL_MIN_PATHS`](super::uncertainty::DEEP_TAIL_MIN_PATHS) values.
    pub cvar999: Option<f64>,
}

/// Tail risk of an ascending-sorted sample of losses (positive = a loss).
///
/// - `VaR_a` is [`quantile_sorted`]`(losses, a)`: linear interpolation
///   between order statistics (Hyndman–Fan type 7).
/// - `CVaR_a` (expected shortfall) is the mean of the worst
///   `k = ceil((1 - a) * n)` losses, at least one, summed in sorted order.
///   A product within 1e-9 of an integer counts as that integer, so that
///   floating-point noise such as `(1 - 0.95) * 100 = 5.000000000000004`
///   does not add a value.
///
/// An empty sample gives NaN in every field (and `None` at 99.9%).
pub fn tail_risk(sorted_losses: &[f64]) -> TailRisk {
    let deep = deep_enough(sorted_losses.len());
    TailRisk {
        var95: quantile_sorted(sorted_losses, 0.95),
        var99: quantile_sorted(sorted_losses, 0.99),
        cvar95: expected_shortfall(sorted_losses, 0.95),
        cvar99: expected_shortfall(sorted_losses, 0.99),
        var999: deep.then(|| quantile_sorted(sorted_losses, 0.999)),
        cvar999: deep.then(|| expected_shortfall(sorted_losses, 0.999)),
    }
}

/// Mean of the worst [`tail_count`] values of a sorted slice.
fn expected_shortfall(sorted: &[f64], a: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let k = tail_count(n, a);
    let tail = &sorted[n - k..];
    tail.iter().fold(0.0, |acc, &x| acc + x) / k as f64
}

/// The empirical loss exceedance curve P(loss > x) of a sample, as the
/// corner points of its step function: `(0, P(L > 0))`, then at each
/// distinct positive loss `v` a drop to `P(L > v)`, ending at the largest
/// loss (where the probability reaches zero, which a log axis cannot show).
/// Non-finite values are left out; empty when no loss is positive.
pub fn exceedance_curve(losses: &[f64]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<f64> = losses.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mut out = Vec::new();
    let mut x = 0.0;
    let mut above = sorted.partition_point(|&l| l <= 0.0);
    while above < sorted.len() {
        let p = (sorted.len() - above) as f64 / n;
        let next = sorted[above];
        out.push((x, p));
        out.push((next, p));
        x = next;
        above = sorted.partition_point(|&l| l <= next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceedance_steps_down_at_each_distinct_loss() {
        let curve = exceedance_curve(&[2.0, 0.0, 1.0, 2.0, 0.0, f64::NAN]);
        assert_eq!(curve, vec![(0.0, 0.6), (1.0, 0.6), (1.0, 0.4), (2.0, 0.4)]);
        assert!(exceedance_curve(&[0.0, 0.0]).is_empty());
        assert!(exceedance_curve(&[]).is_empty());
    }
    use proptest::prelude::*;

    #[test]
    fn losses_one_to_hundred() {
        let losses: Vec<f64> = (1..=100).map(f64::from).collect();
        let r = tail_risk(&losses);
        assert!((r.var95 - 95.05).abs() < 1e-9, "{}", r.var95);
        assert!((r.var99 - 99.01).abs() < 1e-9, "{}", r.var99);
        assert_eq!(r.cvar95, 98.0);
        assert_eq!(r.cvar99, 100.0);
    }

    #[test]
    fn the_deep_tail_is_the_worst_tenth_of_a_percent_from_ten_thousand_paths() {
        let losses: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let r = tail_risk(&losses);
        // Type 7: h = 9999 × 0.999 = 9989.001 → 9990.001.
        assert!((r.var999.unwrap() - 9990.001).abs() < 1e-6);
        // The worst 10: 9991..=10000.
        assert_eq!(r.cvar999, Some(9995.5));
        assert_eq!(tail_risk(&losses[..9_999]).var999, None);
    }

    #[test]
    fn small_samples_use_at_least_one_value() {
        let r = tail_risk(&[3.0]);
        assert_eq!((r.var95, r.var99, r.cvar95, r.cvar99), (3.0, 3.0, 3.0, 3.0));
        let r = tail_risk(&[1.0, 2.0, 3.0]);
        assert_eq!(r.cvar95, 3.0);
    }

    #[test]
    fn empty_is_nan() {
        let r = tail_risk(&[]);
        assert!(r.var95.is_nan() && r.var99.is_nan() && r.cvar95.is_nan() && r.cvar99.is_nan());
        assert_eq!((r.var999, r.cvar999), (None, None));
    }

    proptest! {
        #[test]
        fn cvar_at_least_var(mut v in prop::collection::vec(-1e6f64..1e6, 1..500)) {
            v.sort_by(f64::total_cmp);
            let r = tail_risk(&v);
            let tol = 1e-9 * r.var95.abs().max(r.var99.abs()).max(1.0);
            prop_assert!(r.cvar95 >= r.var95 - tol, "{:?}", r);
            prop_assert!(r.cvar99 >= r.var99 - tol, "{:?}", r);
            prop_assert!(r.var99 >= r.var95 - tol, "{:?}", r);
        }
    }
}
