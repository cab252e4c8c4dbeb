//! `exits.csv`: per class, how many days exits took from their start to
//! their release, pooled over exits and paths. Delays are whole days and
//! counted exactly, so every statistic is exact: the quantiles are the
//! type 7 quantiles of the sample the counts stand for.

use serde::Serialize;

use super::{QUANTILE_LABELS, REPORT_QUANTILES};
use crate::model::Model;
use crate::results::DelayCounts;

/// The columns of `exits.csv`, in the order of [`ExitRow`]'s fields.
pub const EXIT_COLUMNS: [&str; 3] = ["class", "statistic", "value"];

/// One row of `exits.csv`: a statistic of one class's exit delays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitRow {
    /// Class name.
    pub class: String,
    /// `count`, `mean`, `min`, `p01` … `p99` or `max`.
    pub statistic: &'static str,
    /// The statistic: exits, or days.
    pub value: f64,
}

/// Per class with at least one released exit, in scenario order: `count`,
/// `mean`, `min`, the seven quantiles and `max`.
pub fn exit_rows(model: &Model, delays: &[DelayCounts]) -> Vec<ExitRow> {
    let mut out = Vec::new();
    for (class, counts) in model.classes.iter().zip(delays) {
        let n = counts.count();
        if n == 0 {
            continue;
        }
        let row = |statistic: &'static str, value: f64| ExitRow {
            class: class.name.clone(),
            statistic,
            value,
        };
        let total_days: u64 = counts.iter().map(|(d, k)| u64::from(d) * k).sum();
        out.push(row("count", n as f64));
        out.push(row("mean", total_days as f64 / n as f64));
        out.push(row("min", f64::from(order_statistic(counts, 0))));
        for (label, q) in QUANTILE_LABELS.iter().zip(REPORT_QUANTILES) {
            out.push(row(label, quantile(counts, n, q)));
        }
        out.push(row("max", f64::from(order_statistic(counts, n - 1))));
    }
    out
}

/// The value of 0-based rank `k` of the sample `counts` stands for.
fn order_statistic(counts: &DelayCounts, k: u64) -> u32 {
    let mut below = 0;
    for (days, n) in counts.iter() {
        below += n;
        if k < below {
            return days;
        }
    }
    unreachable!("rank {k} within the {below} values counted")
}

/// Type 7 quantile `q` of the `n` values `counts` stands for: with
/// h = (n − 1) q, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
fn quantile(counts: &DelayCounts, n: u64, q: f64) -> f64 {
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as u64;
    let frac = h - lo as f64;
    let x_lo = f64::from(order_statistic(counts, lo));
    if frac == 0.0 {
        return x_lo;
    }
    let x_hi = f64::from(order_statistic(counts, (lo + 1).min(n - 1)));
    x_lo + frac * (x_hi - x_lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quantile_sorted;

    #[test]
    fn quantiles_of_counts_are_those_of_the_sample_they_stand_for() {
        let mut counts = DelayCounts::default();
        let sample = [3u32, 3, 3, 7, 14, 14, 14, 14, 21, 0, 7];
        for &d in &sample {
            counts.add(d, 1);
        }
        let mut sorted: Vec<f64> = sample.iter().map(|&d| f64::from(d)).collect();
        sorted.sort_by(f64::total_cmp);
        let n = counts.count();
        for q in REPORT_QUANTILES.into_iter().chain([0.0, 0.3, 1.0]) {
            assert_eq!(
                quantile(&counts, n, q),
                quantile_sorted(&sorted, q),
                "q = {q}"
            );
        }
        assert_eq!(order_statistic(&counts, 0), 0);
        assert_eq!(order_statistic(&counts, n - 1), 21);
    }

    #[test]
    fn a_class_without_exits_has_no_rows_and_one_exit_gives_its_delay_everywhere() {
        let model = crate::scenario::parse(
            crate::scenario::starter::STARTER_SCENARIO,
            std::path::Path::new("s.toml"),
            &[],
        )
        .expect("the starter scenario is valid")
        .1;
        let mut delays = vec![DelayCounts::default(); model.classes.len()];
        assert!(exit_rows(&model, &delays).is_empty());
        let last = model.classes.len() - 1;
        delays[last].add(9, 1);
        let rows = exit_rows(&model, &delays);
        assert_eq!(rows.len(), 11);
        assert!(rows.iter().all(|r| r.class == model.classes[last].name));
        assert_eq!((rows[0].statistic, rows[0].value), ("count", 1.0));
        assert!(rows[1..].iter().all(|r| r.value == 9.0));
        let statistics: Vec<&str> = rows.iter().map(|r| r.statistic).collect();
        assert_eq!(
            statistics,
            [
                "count", "mean", "min", "p01", "p05", "p25", "p50", "p75", "p95", "p99", "max"
            ]
        );
    }
}
