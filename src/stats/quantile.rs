//! Exact quantiles and summary statistics of a sample held in memory.
//!
//! Owns the reported quantile levels ([`REPORT_QUANTILES`] and their labels),
//! the type-7 quantile of a sorted slice ([`quantile_sorted`]) and the
//! [`Distribution`] summary built by [`describe`], which is bit-identical for
//! any permutation of its input.

/// Quantile levels reported for every distribution, ascending.
pub const REPORT_QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Column labels for [`REPORT_QUANTILES`], in the same order.
pub const QUANTILE_LABELS: [&str; 7] = ["p01", "p05", "p25", "p50", "p75", "p95", "p99"];

/// Quantile `q` of an ascending-sorted slice by linear interpolation between
/// order statistics (Hyndman–Fan type 7, numpy's and R's default).
///
/// With `n` values and `h = (n - 1) * q`, the result is
/// `sorted[⌊h⌋] + (h - ⌊h⌋) * (sorted[⌊h⌋ + 1] - sorted[⌊h⌋])`.
/// `q` is clamped to `[0, 1]`. An empty slice, or a NaN `q`, gives NaN.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let last = sorted.len() - 1;
    let h = last as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    let frac = h - lo as f64;
    if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// Summary of a sample: size, moments, range and the [`REPORT_QUANTILES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distribution {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean (NaN when empty).
    pub mean: f64,
    /// Sample standard deviation, with `n - 1` in the denominator; 0 when
    /// there is a single value, NaN when empty.
    pub std: f64,
    /// Smallest value (NaN when empty).
    pub min: f64,
    /// Largest value (NaN when empty).
    pub max: f64,
    /// Type-7 quantiles at [`REPORT_QUANTILES`], in the same order.
    pub quantiles: [f64; 7],
}

/// Sorts `values` in place with [`f64::total_cmp`] and summarises them.
///
/// The mean and standard deviation are computed in two passes (mean first,
/// then the sum of squared deviations), each summing the *sorted* values in
/// order, so the result is bit-identical for any permutation of the input.
/// Empty input gives `count` 0 and NaN in every other field.
pub fn describe(values: &mut [f64]) -> Distribution {
    values.sort_unstable_by(f64::total_cmp);
    let sorted: &[f64] = values;
    let count = sorted.len();
    if count == 0 {
        return Distribution {
            count,
            mean: f64::NAN,
            std: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            quantiles: [f64::NAN; 7],
        };
    }
    let n = count as f64;
    let mean = sorted.iter().fold(0.0, |acc, &x| acc + x) / n;
    let std = if count < 2 {
        0.0
    } else {
        let ss = sorted
            .iter()
            .fold(0.0, |acc, &x| acc + (x - mean) * (x - mean));
        (ss / (n - 1.0)).sqrt()
    };
    Distribution {
        count,
        mean,
        std,
        min: sorted[0],
        max: sorted[count - 1],
        quantiles: REPORT_QUANTILES.map(|q| quantile_sorted(sorted, q)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(d: &Distribution) -> Vec<u64> {
        let mut b = vec![d.count as u64, d.mean.to_bits(), d.std.to_bits()];
        b.extend([d.min.to_bits(), d.max.to_bits()]);
        b.extend(d.quantiles.iter().map(|q| q.to_bits()));
        b
    }

    #[test]
    fn type7_matches_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // numpy.quantile([1, 2, 3, 4], q)
        for (q, want) in [
            (0.0, 1.0),
            (0.1, 1.3),
            (0.25, 1.75),
            (0.5, 2.5),
            (0.75, 3.25),
            (0.9, 3.7),
            (1.0, 4.0),
        ] {
            let got = quantile_sorted(&x, q);
            assert!((got - want).abs() < 1e-12, "q={q}: {got} != {want}");
        }
        // numpy.quantile([10, 20, 40], [0.01, 0.5, 0.99]) = [10.2, 20, 39.6]
        let y = [10.0, 20.0, 40.0];
        assert!((quantile_sorted(&y, 0.01) - 10.2).abs() < 1e-12);
        assert_eq!(quantile_sorted(&y, 0.5), 20.0);
        assert!((quantile_sorted(&y, 0.99) - 39.6).abs() < 1e-12);
    }

    #[test]
    fn q_is_clamped_and_empty_is_nan() {
        let x = [1.0, 2.0];
        assert_eq!(quantile_sorted(&x, -0.5), 1.0);
        assert_eq!(quantile_sorted(&x, 1.5), 2.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert!(quantile_sorted(&x, f64::NAN).is_nan());
    }

    #[test]
    fn describe_basic() {
        let mut v = [4.0, 1.0, 3.0, 2.0];
        let d = describe(&mut v);
        assert_eq!(v, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(d.count, 4);
        assert_eq!(d.mean, 2.5);
        // numpy.std([1, 2, 3, 4], ddof=1)
        assert!((d.std - 1.2909944487358056).abs() < 1e-15);
        assert_eq!((d.min, d.max), (1.0, 4.0));
        assert_eq!(d.quantiles[2], 1.75);
        assert_eq!(d.quantiles[3], 2.5);
    }

    #[test]
    fn describe_single_element() {
        let d = describe(&mut [7.5]);
        assert_eq!(d.count, 1);
        assert_eq!((d.mean, d.std, d.min, d.max), (7.5, 0.0, 7.5, 7.5));
        assert!(d.quantiles.iter().all(|&q| q == 7.5));
    }

    #[test]
    fn describe_empty() {
        let d = describe(&mut []);
        assert_eq!(d.count, 0);
        assert!(d.mean.is_nan() && d.std.is_nan() && d.min.is_nan() && d.max.is_nan());
        assert!(d.quantiles.iter().all(|q| q.is_nan()));
    }

    proptest! {
        #[test]
        fn describe_is_order_independent(
            (original, shuffled) in prop::collection::vec(-1e9f64..1e9, 0..300)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
        ) {
            let a = describe(&mut original.clone());
            let b = describe(&mut shuffled.clone());
            prop_assert_eq!(bits(&a), bits(&b));
        }
    }
}
