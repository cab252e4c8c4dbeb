//! A mergeable, deterministic quantile sketch on a logarithmic scale.
//!
//! Owns [`LogHistogram`], in the style of DDSketch, used to pool values (such
//! as per-staker yields over all stakers × paths) that are too many to store.
//! Values are counted in buckets whose width grows geometrically with `|x|`,
//! so every quantile is returned within a fixed relative error. Bucket counts
//! are integers, so merging sketches is exactly associative and commutative.
//! Also owns [`HistogramBin`], the equal-width view given by
//! [`LogHistogram::histogram`].

use std::collections::BTreeMap;

/// Magnitudes below this are counted in the zero bucket.
const MIN_MAGNITUDE: f64 = 1e-12;

/// One equal-width bin of [`LogHistogram::histogram`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBin {
    /// Lower edge of the bin.
    pub lower: f64,
    /// Upper edge of the bin.
    pub upper: f64,
    /// Number of values assigned to the bin.
    pub count: u64,
}

/// Quantile sketch with relative accuracy `alpha` (DDSketch-like).
///
/// With `gamma = (1 + alpha) / (1 - alpha)`, a value `x` with
/// `|x| >= 1e-12` goes to bucket `k = ceil(ln|x| / ln gamma)`, which covers
/// `(gamma^(k-1), gamma^k]`, on the positive or negative side by its sign;
/// smaller magnitudes go to a zero bucket. Buckets are kept in a [`BTreeMap`]
/// per sign so iteration is deterministic.
///
/// Bucket counts, `count`, `min` and `max` are independent of the order in
/// which values are added or sketches merged. `sum` and `sum_sq` are `f64`
/// and so are only deterministic if merges happen in a fixed order; the
/// caller guarantees that.
#[derive(Debug, Clone, PartialEq)]
pub struct LogHistogram {
    alpha: f64,
    gamma: f64,
    ln_gamma: f64,
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    zero: u64,
    count: u64,
    min: f64,
    max: f64,
    sum: f64,
    sum_sq: f64,
}

impl LogHistogram {
    /// Empty sketch with relative accuracy `relative_accuracy` (`alpha`).
    ///
    /// # Panics
    /// If `alpha` is not in `(0, 0.5)`; callers pass a constant, so this is
    /// a programming error.
    pub fn new(relative_accuracy: f64) -> Self {
        let alpha = relative_accuracy;
        assert!(
            alpha > 0.0 && alpha < 0.5,
            "LogHistogram relative accuracy must be in (0, 0.5), got {alpha}"
        );
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        Self {
            alpha,
            gamma,
            ln_gamma: gamma.ln(),
            positive: BTreeMap::new(),
            negative: BTreeMap::new(),
            zero: 0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    /// Adds one value. NaN is ignored (not counted at all); infinities are
    /// counted in the outermost bucket (index saturated to the `i32` range).
    pub fn add(&mut self, x: f64) {
        self.add_times(x, 1);
    }

    /// Adds `n` copies of one value (a cohort of `n` stakers alike), as
    /// `n` calls of [`Self::add`] would but for the rounding of the sums,
    /// which grow by `n·x` and `n·x²`.
    pub fn add_times(&mut self, x: f64, n: u64) {
        if x.is_nan() || n == 0 {
            return;
        }
        match self.bucket(x) {
            None => self.zero += n,
            Some((positive, k)) => *self.side(positive).entry(k).or_insert(0) += n,
        }
        self.add_to_summary(x, n);
    }

    /// Adds each `(x, n)` of `values` in turn as [`Self::add_times`] would,
    /// to the same sketch (sums included), with buckets counted in a dense
    /// window first rather than looked up in a map value by value.
    pub fn add_all_times(&mut self, values: &[(f64, u64)]) {
        let mut buckets = Vec::with_capacity(values.len());
        for &(x, n) in values {
            if x.is_nan() || n == 0 {
                continue;
            }
            match self.bucket(x) {
                None => self.zero += n,
                Some((positive, k)) => buckets.push((positive, k, n)),
            }
            self.add_to_summary(x, n);
        }
        for positive in [true, false] {
            let range = buckets.iter().filter(|b| b.0 == positive).fold(
                None,
                |range: Option<(i32, i32)>, b| {
                    Some(range.map_or((b.1, b.1), |(low, high)| (low.min(b.1), high.max(b.1))))
                },
            );
            let Some((low, high)) = range else {
                continue;
            };
            let width = (i64::from(high) - i64::from(low) + 1) as usize;
            let side = self.side(positive);
            if width > 4 * values.len() + 4096 {
                // Too sparse for a window: one lookup per value.
                for &(_, k, n) in buckets.iter().filter(|b| b.0 == positive) {
                    *side.entry(k).or_insert(0) += n;
                }
                continue;
            }
            let mut counts = vec![0u64; width];
            for &(_, k, n) in buckets.iter().filter(|b| b.0 == positive) {
                counts[(i64::from(k) - i64::from(low)) as usize] += n;
            }
            for (offset, &n) in counts.iter().enumerate() {
                if n > 0 {
                    *side.entry(low + offset as i32).or_insert(0) += n;
                }
            }
        }
    }

    /// The side (positive or not) and bucket of a value that is not NaN,
    /// or `None` for the zero bucket.
    fn bucket(&self, x: f64) -> Option<(bool, i32)> {
        let magnitude = x.abs();
        if magnitude < MIN_MAGNITUDE {
            None
        } else {
            Some((x > 0.0, (magnitude.ln() / self.ln_gamma).ceil() as i32))
        }
    }

    /// The buckets of positive values, or of negative ones.
    fn side(&mut self, positive: bool) -> &mut BTreeMap<i32, u64> {
        if positive {
            &mut self.positive
        } else {
            &mut self.negative
        }
    }

    /// Counts `n` copies of `x` (not NaN) in the count, extremes and sums.
    fn add_to_summary(&mut self, x: f64, n: u64) {
        self.count += n;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if n == 1 {
            self.sum += x;
            self.sum_sq += x * x;
        } else {
            let times = n as f64;
            self.sum += times * x;
            self.sum_sq += times * (x * x);
        }
    }

    /// Adds every value of `other` into `self`.
    ///
    /// # Panics
    /// If the two sketches have different relative accuracies.
    pub fn merge(&mut self, other: &LogHistogram) {
        self.merge_counts(other);
        self.add_moments(other.moments());
    }

    /// Adds `other`'s counts, minimum and maximum into `self`, but not its
    /// sums ([`Self::moments`]): those are `f64` and depend on the order
    /// they are added in, so a caller reassembling sketches merged in
    /// another grouping adds them itself, in the original order.
    ///
    /// # Panics
    /// If the two sketches have different relative accuracies.
    pub fn merge_counts(&mut self, other: &LogHistogram) {
        assert!(
            self.alpha.to_bits() == other.alpha.to_bits(),
            "cannot merge LogHistograms with relative accuracies {} and {}",
            self.alpha,
            other.alpha
        );
        add_buckets(&mut self.positive, &other.positive);
        add_buckets(&mut self.negative, &other.negative);
        self.zero += other.zero;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The sum and the sum of squares of the values added.
    pub fn moments(&self) -> [f64; 2] {
        [self.sum, self.sum_sq]
    }

    /// Adds another sketch's [`Self::moments`] (see [`Self::merge_counts`]).
    pub fn add_moments(&mut self, [sum, sum_sq]: [f64; 2]) {
        self.sum += sum;
        self.sum_sq += sum_sq;
    }

    /// The sketch as little-endian bytes, exactly ([`Self::from_le_bytes`]).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(self.alpha.to_le_bytes());
        for side in [&self.positive, &self.negative] {
            out.extend((side.len() as u64).to_le_bytes());
            for (&k, &c) in side {
                out.extend(k.to_le_bytes());
                out.extend(c.to_le_bytes());
            }
        }
        out.extend(self.zero.to_le_bytes());
        out.extend(self.count.to_le_bytes());
        for x in [self.min, self.max, self.sum, self.sum_sq] {
            out.extend(x.to_le_bytes());
        }
        out
    }

    /// Reads a sketch written by [`Self::to_le_bytes`] from the front of
    /// `bytes`, advancing it; `None` if the bytes do not hold one.
    pub fn from_le_bytes(bytes: &mut &[u8]) -> Option<LogHistogram> {
        fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
            let (head, rest) = bytes.split_first_chunk::<N>()?;
            *bytes = rest;
            Some(*head)
        }
        let alpha = f64::from_le_bytes(take(bytes)?);
        if !(alpha > 0.0 && alpha < 0.5) {
            return None;
        }
        let mut s = LogHistogram::new(alpha);
        for positive in [true, false] {
            let len = u64::from_le_bytes(take(bytes)?);
            for _ in 0..len {
                let k = i32::from_le_bytes(take(bytes)?);
                let c = u64::from_le_bytes(take(bytes)?);
                let side = if positive {
                    &mut s.positive
                } else {
                    &mut s.negative
                };
                side.insert(k, c);
            }
        }
        s.zero = u64::from_le_bytes(take(bytes)?);
        s.count = u64::from_le_bytes(take(bytes)?);
        s.min = f64::from_le_bytes(take(bytes)?);
        s.max = f64::from_le_bytes(take(bytes)?);
        s.sum = f64::from_le_bytes(take(bytes)?);
        s.sum_sq = f64::from_le_bytes(take(bytes)?);
        Some(s)
    }

    /// Number of values added (NaNs excluded).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean of the values, exact up to floating-point summation; NaN when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }

    /// Sample standard deviation (`n - 1` denominator) from the running sum
    /// and sum of squares, with the variance clamped at 0; 0 for a single
    /// value, NaN when empty.
    pub fn std(&self) -> f64 {
        match self.count {
            0 => f64::NAN,
            1 => 0.0,
            c => {
                let n = c as f64;
                let var = (self.sum_sq - self.sum * self.sum / n) / (n - 1.0);
                var.max(0.0).sqrt()
            }
        }
    }

    /// Smallest value added (exact); NaN when empty.
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// Largest value added (exact); NaN when empty.
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// The relative accuracy `alpha` the sketch was created with.
    pub fn relative_accuracy(&self) -> f64 {
        self.alpha
    }

    /// Approximate quantile `q` (clamped to `[0, 1]`).
    ///
    /// Returns the value of rank `floor(q * (n - 1))` (0-based, ascending) as
    /// its bucket's representative `±2 gamma^k / (gamma + 1)` (0 for the
    /// zero bucket), clamped into `[min, max]`; it is within relative error
    /// `alpha` of the true order statistic. NaN when empty or `q` is NaN.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 || q.is_nan() {
            return f64::NAN;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        let mut seen = 0;
        for (value, c) in self.buckets() {
            seen += c;
            if seen > rank {
                return value;
            }
        }
        self.max
    }

    /// Equal-width histogram of `bins` bins spanning `[min, max]`.
    ///
    /// Each bucket's whole count goes to the bin holding its representative
    /// value (clamped into `[min, max]`), so the counts sum to
    /// [`count`](Self::count). When `min == max`, or the range is not finite,
    /// there is a single bin holding everything. Empty sketch or `bins == 0`
    /// gives an empty vector.
    pub fn histogram(&self, bins: usize) -> Vec<HistogramBin> {
        if self.count == 0 || bins == 0 {
            return Vec::new();
        }
        let (min, max) = (self.min, self.max);
        let width = (max - min) / bins as f64;
        if !(width.is_finite() && width > 0.0) {
            return vec![HistogramBin {
                lower: min,
                upper: max,
                count: self.count,
            }];
        }
        let mut out: Vec<HistogramBin> = (0..bins)
            .map(|i| HistogramBin {
                lower: min + i as f64 * width,
                upper: if i + 1 == bins {
                    max
                } else {
                    min + (i + 1) as f64 * width
                },
                count: 0,
            })
            .collect();
        for (value, c) in self.buckets() {
            let i = (((value - min) / width).floor() as usize).min(bins - 1);
            out[i].count += c;
        }
        out
    }

    /// Non-empty buckets in ascending value order, as (representative value
    /// clamped into `[min, max]`, count).
    fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let negative = self
            .negative
            .iter()
            .rev()
            .map(|(&k, &c)| (-self.representative(k), c));
        let zero = (self.zero > 0).then_some((0.0, self.zero));
        let positive = self
            .positive
            .iter()
            .map(|(&k, &c)| (self.representative(k), c));
        negative
            .chain(zero)
            .chain(positive)
            .map(|(v, c)| (v.clamp(self.min, self.max), c))
    }

    /// Representative magnitude `2 gamma^k / (gamma + 1)` of bucket `k`.
    fn representative(&self, k: i32) -> f64 {
        2.0 * self.gamma.powi(k) / (self.gamma + 1.0)
    }
}

/// Adds the bucket counts `from` into `into`. A few buckets are added one
/// lookup each; more are merged with `into`'s in one ordered pass, and the
/// map built again from the merged run (a map built from sorted keys is
/// built in one pass, where a lookup per bucket costs a search and, for a
/// new bucket, an insertion).
fn add_buckets(into: &mut BTreeMap<i32, u64>, from: &BTreeMap<i32, u64>) {
    if from.len() * 8 < into.len() {
        for (&k, &c) in from {
            *into.entry(k).or_insert(0) += c;
        }
        return;
    }
    let mut mine = std::mem::take(into).into_iter().peekable();
    let mut theirs = from.iter().map(|(&k, &c)| (k, c)).peekable();
    let merged = std::iter::from_fn(|| match (mine.peek(), theirs.peek()) {
        (Some(&(a, _)), Some(&(b, _))) if a == b => {
            let (k, c) = mine.next()?;
            theirs.next().map(|(_, d)| (k, c + d))
        }
        (Some(&(a, _)), Some(&(b, _))) if b < a => theirs.next(),
        (Some(_), _) => mine.next(),
        (None, _) => theirs.next(),
    });
    *into = merged.collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPHA: f64 = 0.01;

    fn sketch_of(values: impl IntoIterator<Item = f64>) -> LogHistogram {
        let mut s = LogHistogram::new(ALPHA);
        values.into_iter().for_each(|x| s.add(x));
        s
    }

    fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    fn assert_close(got: f64, want: f64) {
        let tol = ALPHA * want.abs() * (1.0 + 1e-9);
        assert!(
            (got - want).abs() <= tol,
            "{got} not within {ALPHA} of {want}"
        );
    }

    const QS: [f64; 9] = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0];

    #[test]
    fn quantiles_within_relative_accuracy() {
        let values: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let s = sketch_of(values.iter().copied());
        assert_eq!(s.count(), 10_000);
        assert_eq!((s.min(), s.max()), (1.0, 10_000.0));
        assert_eq!(s.mean(), 5000.5);
        assert!((s.std() - 2886.8956799071675).abs() < 1e-6, "{}", s.std());
        for q in QS {
            assert_close(s.quantile(q), exact_quantile(&values, q));
        }
    }

    #[test]
    fn negative_and_zero_values() {
        let mut values: Vec<f64> = (-500..=500).map(|i| f64::from(i) * 0.37).collect();
        values.extend([0.0, -0.0, 1e-13, -1e-13]);
        let s = sketch_of(values.iter().copied());
        values.sort_by(f64::total_cmp);
        assert_eq!(s.count(), values.len() as u64);
        assert_eq!(s.min(), -185.0);
        assert_eq!(s.max(), 185.0);
        assert_eq!(s.quantile(0.5), 0.0);
        // The zero bucket holds 0 · 0.37, 0, −0 and both magnitudes below
        // 1e-12.
        assert_eq!(s.zero, 5);
        for q in QS {
            assert_close(s.quantile(q), exact_quantile(&values, q));
        }
    }

    #[test]
    fn nan_is_ignored_and_empty_is_nan() {
        let mut s = LogHistogram::new(ALPHA);
        assert!(s.quantile(0.5).is_nan() && s.mean().is_nan() && s.std().is_nan());
        assert!(s.min().is_nan() && s.max().is_nan());
        assert!(s.histogram(10).is_empty());
        s.add(f64::NAN);
        assert_eq!(s.count(), 0);
        s.add(2.5);
        assert_eq!((s.quantile(0.0), s.quantile(1.0), s.std()), (2.5, 2.5, 0.0));
    }

    #[test]
    fn values_added_all_at_once_give_the_sketch_of_values_added_one_by_one() {
        // Spread values, repeats, zeros, NaN, counts of 0, and (with the
        // infinities) a window too wide to count densely.
        let mut values: Vec<(f64, u64)> = (0..2_000)
            .map(|i| {
                let x = (f64::from(i) * 0.37).sin() * 10f64.powi(i % 7 - 3);
                (x, u64::from(i as u32 % 3))
            })
            .collect();
        values.extend([(0.0, 5), (f64::NAN, 2), (1e-13, 1), (-2.5, 4)]);
        for wide in [false, true] {
            if wide {
                values.extend([(f64::INFINITY, 1), (f64::NEG_INFINITY, 2), (1e300, 3)]);
            }
            let mut at_once = LogHistogram::new(ALPHA);
            at_once.add(0.5);
            at_once.add_all_times(&values);
            let mut expected = LogHistogram::new(ALPHA);
            expected.add(0.5);
            for &(x, n) in &values {
                expected.add_times(x, n);
            }
            assert_eq!(
                at_once.to_le_bytes(),
                expected.to_le_bytes(),
                "wide: {wide}"
            );
            assert!(expected.count() > 2_000);
        }
    }

    #[test]
    fn merge_of_halves_equals_whole() {
        let values: Vec<f64> = (-3000..7000).map(|i| f64::from(i) * 1.5).collect();
        let whole = sketch_of(values.iter().copied());
        let mut merged = sketch_of(values[..4000].iter().copied());
        merged.merge(&sketch_of(values[4000..].iter().copied()));
        assert_eq!(merged.positive, whole.positive);
        assert_eq!(merged.negative, whole.negative);
        assert_eq!(merged.zero, whole.zero);
        assert_eq!(merged.count(), whole.count());
        assert_eq!((merged.min(), merged.max()), (whole.min(), whole.max()));
        for q in QS {
            assert_eq!(merged.quantile(q), whole.quantile(q));
        }
        // The values are multiples of 1.5 up to 10,500 in magnitude: every
        // partial sum and sum of squares is a multiple of 0.25 below 2^51,
        // so exact in any order, and the moments match.
        assert_eq!(merged.moments(), whole.moments());
        assert_eq!((merged.mean(), merged.std()), (whole.mean(), whole.std()));
    }

    #[test]
    fn merging_a_few_buckets_into_many_equals_the_whole() {
        // Few enough buckets in the part merged in for one lookup each.
        let values: Vec<f64> = (1..5000).map(|i| f64::from(i).sqrt() - 20.0).collect();
        let whole = sketch_of(values.iter().copied());
        let mut merged = sketch_of(values[..4990].iter().copied());
        let few = sketch_of(values[4990..].iter().copied());
        assert!(few.positive.len() * 8 < merged.positive.len());
        merged.merge_counts(&few);
        assert_eq!(merged.positive, whole.positive);
        assert_eq!(merged.negative, whole.negative);
        assert_eq!(merged.zero, whole.zero);
        assert_eq!(merged.count(), whole.count());
        assert_eq!((merged.min(), merged.max()), (whole.min(), whole.max()));
    }

    #[test]
    fn merge_is_order_independent() {
        let a = sketch_of((0..1000).map(|i| f64::from(i).sin() * 100.0));
        let b = sketch_of((0..700).map(|i| f64::from(i).cos() * 3.0 - 1.0));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab.positive, ba.positive);
        assert_eq!(ab.negative, ba.negative);
        assert_eq!(ab.zero, ba.zero);
        assert_eq!(
            (ab.count(), ab.min(), ab.max()),
            (ba.count(), ba.min(), ba.max())
        );
        assert_eq!(ab.histogram(17), ba.histogram(17));
    }

    #[test]
    #[should_panic(expected = "relative accuracies")]
    fn merge_rejects_different_accuracy() {
        LogHistogram::new(0.01).merge(&LogHistogram::new(0.02));
    }

    #[test]
    #[should_panic(expected = "must be in (0, 0.5)")]
    fn new_rejects_bad_accuracy() {
        LogHistogram::new(0.5);
    }

    #[test]
    fn histogram_counts_sum_to_count() {
        let s = sketch_of((0..5000).map(|i| (f64::from(i) * 0.013).exp() - 20.0));
        for bins in [1, 2, 10, 64] {
            let h = s.histogram(bins);
            assert_eq!(h.len(), bins);
            assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), s.count());
            assert_eq!((h[0].lower, h[bins - 1].upper), (s.min(), s.max()));
        }
        // Three bins of width 3 over [1, 10]: 1 and 2 (represented within
        // ALPHA) fall in the first, 10 in the last.
        let counts: Vec<u64> = sketch_of([1.0, 2.0, 10.0])
            .histogram(3)
            .iter()
            .map(|b| b.count)
            .collect();
        assert_eq!(counts, [2, 0, 1]);
        let single = sketch_of([4.0, 4.0, 4.0]).histogram(5);
        assert_eq!(
            single,
            vec![HistogramBin {
                lower: 4.0,
                upper: 4.0,
                count: 3
            }]
        );
    }
}
