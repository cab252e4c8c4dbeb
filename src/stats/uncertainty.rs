//! Monte Carlo error bars: how far a figure computed from `n` paths may be
//! from the figure an infinite number of paths would give.
//!
//! - The mean's standard error is `std / √n`; a probability's is
//!   `√(p (1 − p) / n)`; the standard error of a difference between two
//!   variants run on the same paths (common random numbers) is the standard
//!   error of the mean of the per-path differences ([`paired_standard_error`]).
//! - A quantile's (VaR's) confidence interval is distribution-free, from
//!   order statistics: the number of sample values below the true
//!   `q`-quantile is Binomial(n, q), so with the normal approximation the
//!   interval `[x(j), x(k)]` with `j = ⌊nq − z√(nq(1−q))⌋` and
//!   `k = ⌈nq + z√(nq(1−q))⌉ + 1` (1-based ranks) covers it with probability
//!   about [`CONFIDENCE`]. A bound whose rank falls outside the sample is
//!   empty: the sample cannot say that much.
//! - The expected shortfall's (CVaR's) interval is `ES ± z·se` with the
//!   asymptotic standard error of the sample expected shortfall
//!   (Manistre & Hancock 2005): `se² = (Var(L | L ≥ VaR) + a (ES − VaR)²)
//!   / (n (1 − a))`, estimated from the worst `k` values. It needs at least
//!   two values in the tail.
//! - The 99.9 % figures (VaR, CVaR, the 0.1 % and 99.9 % quantiles) are only
//!   given from [`DEEP_TAIL_MIN_PATHS`] paths on, so that at least ten paths
//!   lie beyond them; with fewer they are empty rather than misleading.

use super::quantile::quantile_sorted;

/// Confidence level of every interval reported.
pub const CONFIDENCE: f64 = 0.95;

/// The standard normal quantile at `(1 + CONFIDENCE) / 2`.
pub const Z: f64 = 1.959_963_984_540_054;

/// Paths from which the 99.9 % tail figures are reported: ten paths beyond
/// the 99.9 % quantile.
pub const DEEP_TAIL_MIN_PATHS: usize = 10_000;

/// Standard error of a mean of `n` values with sample standard deviation
/// `std`: `std / √n`; NaN below two values.
pub fn mean_standard_error(std: f64, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    std / (n as f64).sqrt()
}

/// Standard error of a share `p` estimated from `n` paths: `√(p (1 − p) / n)`;
/// NaN without paths.
pub fn probability_standard_error(p: f64, n: usize) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Standard error of the mean difference between two variants on the same
/// paths: the sample standard deviation of `a[i] − b[i]` over `√n`, summed
/// in path order. NaN below two paths or when the lengths differ.
pub fn paired_standard_error(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    if n < 2 || b.len() != n {
        return f64::NAN;
    }
    let diff = |i: usize| a[i] - b[i];
    let mean = (0..n).fold(0.0, |acc, i| acc + diff(i)) / n as f64;
    let ss = (0..n).fold(0.0, |acc, i| acc + (diff(i) - mean).powi(2));
    (ss / (n - 1) as f64).sqrt() / (n as f64).sqrt()
}

/// The order-statistics confidence interval of the `q`-quantile of an
/// ascending-sorted sample (see the module documentation); a bound is
/// `None` when its rank falls outside the sample.
pub fn quantile_interval(sorted: &[f64], q: f64) -> (Option<f64>, Option<f64>) {
    let n = sorted.len();
    if n == 0 {
        return (None, None);
    }
    let centre = n as f64 * q;
    let half = Z * (centre * (1.0 - q)).sqrt();
    // 1-based ranks.
    let lower = (centre - half).floor();
    let upper = (centre + half).ceil() + 1.0;
    let at = |rank: f64| (rank >= 1.0 && rank <= n as f64).then(|| sorted[rank as usize - 1]);
    (at(lower), at(upper))
}

/// The confidence interval of the expected shortfall `es` beyond the
/// `a`-quantile `var` of an ascending-sorted sample, from the worst
/// `k = ⌈(1 − a) n⌉` values (see the module documentation); `None` with
/// fewer than two values in the tail.
pub fn shortfall_interval(sorted: &[f64], a: f64, var: f64, es: f64) -> Option<(f64, f64)> {
    let n = sorted.len();
    let k = tail_count(n, a);
    if k < 2 {
        return None;
    }
    let tail = &sorted[n - k..];
    let tail_mean = tail.iter().fold(0.0, |acc, &x| acc + x) / k as f64;
    let tail_var = tail
        .iter()
        .fold(0.0, |acc, &x| acc + (x - tail_mean).powi(2))
        / (k - 1) as f64;
    let se = ((tail_var + a * (es - var).powi(2)) / (n as f64 * (1.0 - a))).sqrt();
    Some((es - Z * se, es + Z * se))
}

/// Values in the tail beyond the `a`-quantile of `n`: `⌈(1 − a) n⌉`, at
/// least one; a product within 1e-9 of an integer counts as that integer,
/// so that floating-point noise such as `(1 − 0.95) × 100 =
/// 5.000000000000004` does not add a value. Zero without values.
pub fn tail_count(n: usize, a: f64) -> usize {
    if n == 0 {
        return 0;
    }
    let raw = (1.0 - a) * n as f64;
    let k = if (raw - raw.round()).abs() < 1e-9 {
        raw.round()
    } else {
        raw.ceil()
    };
    (k as usize).clamp(1, n)
}

/// The `q`-quantile of a sorted sample when it is a deep-tail figure
/// (`q` below 0.5 % or above 99.5 %) and the sample has fewer than
/// [`DEEP_TAIL_MIN_PATHS`] values: `None`; otherwise the type-7 quantile.
pub fn tail_quantile(sorted: &[f64], q: f64) -> Option<f64> {
    deep_enough(sorted.len()).then(|| quantile_sorted(sorted, q))
}

/// Whether `n` paths are enough for the 99.9 % figures.
pub fn deep_enough(n: usize) -> bool {
    n >= DEEP_TAIL_MIN_PATHS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_probability_errors_follow_their_formulas() {
        assert_eq!(mean_standard_error(2.0, 100), 0.2);
        assert!(mean_standard_error(2.0, 1).is_nan());
        assert!((probability_standard_error(0.5, 100) - 0.05).abs() < 1e-15);
        assert_eq!(probability_standard_error(0.0, 100), 0.0);
    }

    #[test]
    fn paired_error_vanishes_for_a_constant_shift_and_adds_variances_otherwise() {
        let a: Vec<f64> = (0..50).map(f64::from).collect();
        let shifted: Vec<f64> = a.iter().map(|x| x + 3.0).collect();
        assert_eq!(paired_standard_error(&shifted, &a), 0.0);
        // a − (−a) = 2a: se = 2 std(a) / √n.
        let negated: Vec<f64> = a.iter().map(|x| -x).collect();
        let std_a = (a.iter().map(|x| (x - 24.5).powi(2)).sum::<f64>() / 49.0).sqrt();
        let expected = 2.0 * std_a / 50f64.sqrt();
        assert!((paired_standard_error(&a, &negated) - expected).abs() < 1e-12);
        assert!(paired_standard_error(&a[..3], &a[..2]).is_nan());
    }

    #[test]
    fn quantile_interval_brackets_the_ranks_of_the_binomial() {
        // n = 1000, q = 0.99: nq = 990, half-width 1.96·√9.9 = 6.17 →
        // ranks ⌊983.8⌋ = 983 and ⌈996.2⌉ + 1 = 998 (1-based): the
        // interval covers when 983 ≤ B ≤ 997 for B ~ Binomial(1000, 0.99).
        let sorted: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(quantile_interval(&sorted, 0.99), (Some(983.0), Some(998.0)));
        // n = 300: the upper rank (301) is beyond the sample.
        let small: Vec<f64> = (1..=300).map(f64::from).collect();
        let (lo, hi) = quantile_interval(&small, 0.99);
        assert_eq!(lo, Some(293.0));
        assert_eq!(hi, None);
        assert_eq!(quantile_interval(&[], 0.5), (None, None));
    }

    #[test]
    fn quantile_interval_covers_the_true_quantile_at_about_the_stated_rate() {
        use rand::{RngExt, SeedableRng};
        // Uniform(0, 1): the true 0.9-quantile is 0.9. Over 2,000 samples
        // of 500 the coverage is a binomial share; the interval is built for
        // 95 % (a little more, from rounding the ranks outward), so it must
        // lie within four standard errors of 0.95 or above.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let trials = 2000;
        let mut covered = 0;
        for _ in 0..trials {
            let mut v: Vec<f64> = (0..500).map(|_| rng.random::<f64>()).collect();
            v.sort_by(f64::total_cmp);
            if let (Some(lo), Some(hi)) = quantile_interval(&v, 0.9) {
                covered += usize::from(lo <= 0.9 && 0.9 <= hi);
            }
        }
        let share = covered as f64 / trials as f64;
        let se = (0.95 * 0.05 / trials as f64).sqrt();
        assert!(share > 0.95 - 4.0 * se, "coverage {share}");
        assert!(share < 0.99, "coverage {share} is far above 95 %");
    }

    #[test]
    fn shortfall_interval_covers_the_exponential_shortfall() {
        use rand::{RngExt, SeedableRng};
        // Exp(1): VaR_a = −ln(1 − a), ES_a = VaR_a + 1. At a = 0.95 and
        // n = 4,000 the asymptotic interval must cover ES at about 95 %.
        let a = 0.95;
        let es = -(1.0f64 - a).ln() + 1.0;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let trials = 500;
        let mut covered = 0;
        for _ in 0..trials {
            let mut v: Vec<f64> = (0..4000)
                .map(|_| -(1.0 - rng.random::<f64>()).ln())
                .collect();
            v.sort_by(f64::total_cmp);
            let t = super::super::tail_risk(&v);
            let (lo, hi) = shortfall_interval(&v, a, t.var95, t.cvar95).unwrap();
            covered += usize::from(lo <= es && es <= hi);
        }
        let share = covered as f64 / trials as f64;
        let se = (0.95 * 0.05 / trials as f64).sqrt();
        assert!((share - 0.95).abs() < 4.0 * se, "coverage {share}");
    }

    /// Checks `shortfall_interval` on the sample 1, 2, …, `n` against
    /// `ES ± Z·√se2`, with `se2` worked out by hand. The values are at most
    /// 100 and the formula takes about 20 rounded operations, so the
    /// computed bounds are within 20 ε · 100 of the exact ones.
    fn assert_shortfall_interval(n: u32, a: f64, var: f64, es: f64, se2: f64) {
        let sorted: Vec<f64> = (1..=n).map(f64::from).collect();
        let (lo, hi) = shortfall_interval(&sorted, a, var, es).expect("two values in the tail");
        let half = Z * se2.sqrt();
        let tol = 20.0 * f64::EPSILON * 100.0;
        assert!((lo - (es - half)).abs() < tol, "n = {n}: lower {lo}");
        assert!((hi - (es + half)).abs() < tol, "n = {n}: upper {hi}");
    }

    #[test]
    fn shortfall_interval_follows_its_formula_on_known_samples() {
        // 1..=100 at a = 0.95: the tail is 96..=100 (k = 5), its mean 98
        // and its sample variance (4 + 1 + 0 + 1 + 4) / 4 = 2.5; the type-7
        // VaR is 95.05. se² = (2.5 + 0.95 · 2.95²) / (100 · 0.05).
        assert_shortfall_interval(100, 0.95, 95.05, 98.0, (2.5 + 0.95 * 8.7025) / 5.0);
        // The smallest tail with an interval, k = 2: 1..=40 at a = 0.95 has
        // the tail 39, 40 (mean 39.5, sample variance 0.5), VaR 38.05.
        // se² = (0.5 + 0.95 · 1.45²) / (40 · 0.05).
        assert_shortfall_interval(40, 0.95, 38.05, 39.5, (0.5 + 0.95 * 2.1025) / 2.0);
        // One value in the tail (1..=20 at 0.95) has no variance: no interval.
        let sorted: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(shortfall_interval(&sorted, 0.95, 19.05, 20.0), None);
    }

    #[test]
    fn a_lower_rank_before_the_first_value_has_no_bound() {
        // n = 100, q = 0.01: nq = 1, half-width 1.96·√0.99 = 1.95 → ranks
        // ⌊−0.95⌋ = −1 (before the sample) and ⌈2.95⌉ + 1 = 4.
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_interval(&sorted, 0.01), (None, Some(4.0)));
    }

    #[test]
    fn deep_tail_figures_need_ten_thousand_paths() {
        let v: Vec<f64> = (0..9_999).map(f64::from).collect();
        assert_eq!(tail_quantile(&v, 0.999), None);
        let v: Vec<f64> = (0..10_000).map(f64::from).collect();
        assert_eq!(tail_quantile(&v, 0.999), Some(quantile_sorted(&v, 0.999)));
        assert_eq!(tail_count(100, 0.95), 5);
        assert_eq!(tail_count(10_000, 0.999), 10);
    }
}
