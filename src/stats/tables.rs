//! The result tables of a run, computed from the collected per-path data:
//! time-series distributions, the summary of returns and losses with tail
//! risk, and the pooled per-staker yield distribution. Each row struct is
//! the schema of its CSV file (see `docs/outputs.md`).

use std::convert::Infallible;

use rayon::prelude::*;
use serde::Serialize;

use super::uncertainty::{
    mean_standard_error, probability_standard_error, quantile_interval, shortfall_interval,
    tail_quantile,
};
use super::{Distribution, LogHistogram, REPORT_QUANTILES, describe, tail_risk};
use crate::model::Model;
use crate::results::{ClassFinal, Collected, Field, PathRow, Record, Series, TotalFinal};

/// One row of `timeseries.csv`: a metric of an entity on a recorded day,
/// across paths. Values are stored per path as `f32`, so figures carry
/// about 7 significant digits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeseriesRow {
    /// Day.
    pub day: u32,
    /// Metric name.
    pub metric: &'static str,
    /// Entity name (protocol, class, asset or `total`).
    pub entity: String,
    /// Mean across paths.
    pub mean: f32,
    /// Standard deviation across paths.
    pub std: f32,
    /// 1st percentile.
    pub p01: f32,
    /// 5th percentile.
    pub p05: f32,
    /// 25th percentile.
    pub p25: f32,
    /// Median.
    pub p50: f32,
    /// 75th percentile.
    pub p75: f32,
    /// 95th percentile.
    pub p95: f32,
    /// 99th percentile.
    pub p99: f32,
}

/// Time-series rows: day-major, then series in layout order. Rows are
/// computed in parallel (each from its own slice of values, so the result
/// does not depend on the thread count).
pub fn timeseries_rows(c: &Collected) -> Vec<TimeseriesRow> {
    let values = |point: usize, s: usize| Ok::<_, Infallible>(c.across_paths(point, s).to_vec());
    match timeseries_from_values(&c.series, &c.recorded_days, values) {
        Ok(rows) => rows,
        Err(never) => match never {},
    }
}

/// Time-series rows of `series` on `recorded_days`, each from
/// `values(point, series)`: the values of one series at one recorded point
/// on every path, in path order (read from wherever they are kept).
pub fn timeseries_from_values<E: Send>(
    series: &[Series],
    recorded_days: &[u32],
    values: impl Fn(usize, usize) -> Result<Vec<f32>, E> + Sync,
) -> Result<Vec<TimeseriesRow>, E> {
    let count = series.len();
    (0..recorded_days.len() * count)
        .into_par_iter()
        .map(|k| {
            let (point, s) = (k / count, k % count);
            let mut buf: Vec<f64> = values(point, s)?.into_iter().map(f64::from).collect();
            let d = describe(&mut buf);
            let q = d.quantiles.map(|x| x as f32);
            Ok(TimeseriesRow {
                day: recorded_days[point],
                metric: series[s].metric.name(),
                entity: series[s].entity.clone(),
                mean: d.mean as f32,
                std: d.std as f32,
                p01: q[0],
                p05: q[1],
                p25: q[2],
                p50: q[3],
                p75: q[4],
                p95: q[5],
                p99: q[6],
            })
        })
        .collect()
}

/// One row of `summary.csv`: the distribution across paths of one figure of
/// one entity, with tail risk of the corresponding loss and the Monte Carlo
/// error bars of [`uncertainty`](super::uncertainty). Empty cells (`None`)
/// are figures the paths cannot support: a deep-tail figure below
/// [`DEEP_TAIL_MIN_PATHS`](super::uncertainty::DEEP_TAIL_MIN_PATHS) paths,
/// a confidence bound beyond the sample, or the probability that does not
/// apply to the row's kind of figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Entity name (class, protocol, operator or `total`).
    pub entity: String,
    /// `class`, `protocol`, `operator` or `total`.
    pub kind: &'static str,
    /// Figure, e.g. `net_return`, `net_return_usd`, `loss_fraction`.
    pub metric: &'static str,
    /// Mean across paths.
    pub mean: f64,
    /// Standard error of the mean: std / √paths (empty below two paths).
    pub mean_se: Option<f64>,
    /// Standard deviation across paths.
    pub std: f64,
    /// 0.1th percentile (deep tail).
    pub p0_1: Option<f64>,
    /// 1st percentile.
    pub p01: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile (deep tail).
    pub p99_9: Option<f64>,
    /// Value at risk at 95 %, as a positive loss.
    pub var95: f64,
    /// Value at risk at 99 %.
    pub var99: f64,
    /// Lower confidence bound of VaR99 (order statistics).
    pub var99_lo: Option<f64>,
    /// Upper confidence bound of VaR99 (order statistics).
    pub var99_hi: Option<f64>,
    /// Value at risk at 99.9 % (deep tail).
    pub var999: Option<f64>,
    /// Expected shortfall beyond VaR95.
    pub cvar95: f64,
    /// Expected shortfall beyond VaR99.
    pub cvar99: f64,
    /// Lower confidence bound of CVaR99 (asymptotic standard error).
    pub cvar99_lo: Option<f64>,
    /// Upper confidence bound of CVaR99 (asymptotic standard error).
    pub cvar99_hi: Option<f64>,
    /// Expected shortfall beyond VaR99.9 (deep tail).
    pub cvar999: Option<f64>,
    /// Return figures: share of paths whose return is below 0.
    pub p_negative_return: Option<f64>,
    /// Loss figures: share of paths with any loss (above 0).
    pub p_any_loss: Option<f64>,
    /// Standard error of the row's probability.
    pub p_se: f64,
}

/// Whether a summary figure is a return (a loss is its negative, the
/// probability reported is that of a negative return) or a loss-like
/// figure (the probability reported is that of any loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// A return: higher is better.
    Return,
    /// A loss or another non-negative amount: higher is worse.
    Loss,
}

/// The summary row of one figure from its per-path values.
pub(super) fn summary_row(
    entity: &str,
    kind: &'static str,
    metric: &'static str,
    mut values: Vec<f64>,
    figure: Figure,
) -> SummaryRow {
    let d: Distribution = describe(&mut values);
    let sorted = values;
    let mut losses: Vec<f64> = match figure {
        Figure::Return => sorted.iter().rev().map(|v| -v).collect(),
        Figure::Loss => sorted.clone(),
    };
    losses.sort_by(f64::total_cmp);
    let t = tail_risk(&losses);
    let (var99_lo, var99_hi) = quantile_interval(&losses, 0.99);
    let cvar99_bounds = shortfall_interval(&losses, 0.99, t.var99, t.cvar99);
    let n = sorted.len();
    let share =
        |f: &dyn Fn(f64) -> bool| sorted.iter().filter(|&&v| f(v)).count() as f64 / n.max(1) as f64;
    let p = match figure {
        Figure::Return => share(&|v| v < 0.0),
        Figure::Loss => share(&|v| v > 0.0),
    };
    let q = d.quantiles;
    SummaryRow {
        entity: entity.to_string(),
        kind,
        metric,
        mean: d.mean,
        mean_se: Some(mean_standard_error(d.std, n)).filter(|se| se.is_finite()),
        std: d.std,
        p0_1: tail_quantile(&sorted, 0.001),
        p01: q[0],
        p05: q[1],
        p25: q[2],
        p50: q[3],
        p75: q[4],
        p95: q[5],
        p99: q[6],
        p99_9: tail_quantile(&sorted, 0.999),
        var95: t.var95,
        var99: t.var99,
        var99_lo,
        var99_hi,
        var999: t.var999,
        cvar95: t.cvar95,
        cvar99: t.cvar99,
        cvar99_lo: cvar99_bounds.map(|b| b.0),
        cvar99_hi: cvar99_bounds.map(|b| b.1),
        cvar999: t.cvar999,
        p_negative_return: (figure == Figure::Return).then_some(p),
        p_any_loss: (figure == Figure::Loss).then_some(p),
        p_se: probability_standard_error(p, n),
    }
}

impl SummaryRow {
    /// The row's probability: of a negative return or of any loss.
    pub fn probability(&self) -> f64 {
        self.p_negative_return
            .or(self.p_any_loss)
            .unwrap_or(f64::NAN)
    }
}

/// A figure of `summary.csv`: its name, its per-path value from a part of
/// the path's finals, and its kind.
type SummaryFigure<T> = (&'static str, fn(&T) -> f64, Figure);

/// A class's figures in `summary.csv`, in row order.
const CLASS_FIGURES: [SummaryFigure<ClassFinal>; 5] = [
    ("net_return", |f| f.net_return, Figure::Return),
    ("net_return_usd", |f| f.net_return_usd, Figure::Return),
    (
        "after_tax_net_return",
        |f| f.after_tax_net_return,
        Figure::Return,
    ),
    (
        "median_staker_net_return",
        |f| f.median_net_return,
        Figure::Return,
    ),
    (
        "loss_fraction",
        |f| ratio(f.losses, f.initial),
        Figure::Loss,
    ),
];

/// The whole scenario's figures in `summary.csv`, in row order.
const TOTAL_FIGURES: [SummaryFigure<TotalFinal>; 4] = [
    ("net_return", |t| t.net_return, Figure::Return),
    ("net_return_usd", |t| t.net_return_usd, Figure::Return),
    (
        "after_tax_net_return",
        |t| t.after_tax_net_return,
        Figure::Return,
    ),
    (
        "loss_fraction",
        |t| ratio(t.losses_usd, t.initial_usd),
        Figure::Loss,
    ),
];

/// One figure of `summary.csv`: the labels of its row and its value on a
/// path. [`summary_figures`] lists them in row order, so that the rows can
/// be computed from per-path rows in memory ([`summary_rows`]) or from
/// columns kept elsewhere ([`summary_from_columns`]).
pub struct PathFigure {
    /// Entity name (class, protocol, operator or `total`).
    pub entity: String,
    /// `class`, `protocol`, `operator` or `total`.
    pub kind: &'static str,
    /// Figure name, e.g. `net_return`.
    pub metric: &'static str,
    /// Whether it is a return or a loss-like figure.
    pub figure: Figure,
    /// Its value on one path.
    pub value: Box<dyn Fn(&PathRow) -> f64 + Send + Sync>,
}

impl PathFigure {
    /// A figure of `entity` of `kind`.
    pub(super) fn new(
        entity: &str,
        kind: &'static str,
        metric: &'static str,
        figure: Figure,
        value: impl Fn(&PathRow) -> f64 + Send + Sync + 'static,
    ) -> PathFigure {
        PathFigure {
            entity: entity.to_string(),
            kind,
            metric,
            figure,
            value: Box::new(value),
        }
    }

    /// Its summary row from its per-path values.
    pub fn row(&self, values: Vec<f64>) -> SummaryRow {
        summary_row(&self.entity, self.kind, self.metric, values, self.figure)
    }
}

/// The figures of `summary.csv` in row order: per class, then per
/// protocol, then per operator, then the total.
pub fn summary_figures(model: &Model) -> Vec<PathFigure> {
    let mut out = Vec::new();
    for (c, class) in model.classes.iter().enumerate() {
        for (metric, value, figure) in CLASS_FIGURES {
            out.push(PathFigure::new(
                &class.name,
                "class",
                metric,
                figure,
                move |r| value(&r.classes[c]),
            ));
        }
    }
    for (k, c) in (0..model.classes.len())
        .filter(|&c| model.classes[c].is_loop())
        .enumerate()
    {
        out.push(PathFigure::new(
            &model.classes[c].name,
            "class",
            "equity_net_return",
            Figure::Return,
            move |r| r.loops[k].equity_net_return,
        ));
    }
    out.extend(super::entities::class_source_figures(model));
    for (p, proto) in model.protocols.iter().enumerate() {
        out.push(PathFigure::new(
            &proto.name,
            "protocol",
            "loss_fraction",
            Figure::Loss,
            move |r| r.protocols[p].loss_fraction,
        ));
    }
    out.extend(super::entities::protocol_source_figures(model));
    out.extend(super::entities::operator_figures(model));
    for (metric, value, figure) in TOTAL_FIGURES {
        out.push(PathFigure::new(
            "total",
            "total",
            metric,
            figure,
            move |r| value(&r.total),
        ));
    }
    out.extend(super::entities::total_source_figures());
    out
}

/// Summary rows of the per-path rows in memory, in [`summary_figures`]
/// order.
pub fn summary_rows(model: &Model, rows: &[PathRow]) -> Vec<SummaryRow> {
    let figures = summary_figures(model);
    let column = |i: usize| Ok::<_, Infallible>(rows.iter().map(&figures[i].value).collect());
    match summary_from_columns(&figures, column) {
        Ok(summary) => summary,
        Err(never) => match never {},
    }
}

/// Summary rows of `figures`, each from `column(i)`: the values of figure
/// `i` on every path, in path order. Rows are computed in parallel, each
/// from its own column, so the result does not depend on the thread count.
pub fn summary_from_columns<E: Send>(
    figures: &[PathFigure],
    column: impl Fn(usize) -> Result<Vec<f64>, E> + Sync,
) -> Result<Vec<SummaryRow>, E> {
    (0..figures.len())
        .into_par_iter()
        .map(|i| Ok(figures[i].row(column(i)?)))
        .collect()
}

/// One row of `yields.csv`: a statistic of the per-staker net APR of a class,
/// pooled over stakers and paths, or one histogram bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YieldRow {
    /// Class name.
    pub class: String,
    /// `count`, `mean`, `std`, `min`, `p01`…`p99`, `max`, or `bin`.
    pub statistic: &'static str,
    /// Lower edge of a bin (empty otherwise).
    pub lower: Option<f64>,
    /// Upper edge of a bin (empty otherwise).
    pub upper: Option<f64>,
    /// The statistic's value, or the bin's staker count.
    pub value: f64,
}

/// Bins in the `yields.csv` histogram.
pub const YIELD_BINS: usize = 40;

/// Yield rows per class: summary statistics then the histogram.
pub fn yield_rows(model: &Model, sketches: &[LogHistogram]) -> Vec<YieldRow> {
    let mut out = Vec::new();
    for (class, h) in model.classes.iter().zip(sketches) {
        let row = |statistic: &'static str, value: f64| YieldRow {
            class: class.name.clone(),
            statistic,
            lower: None,
            upper: None,
            value,
        };
        out.push(row("count", h.count() as f64));
        out.push(row("mean", h.mean()));
        out.push(row("std", h.std()));
        out.push(row("min", h.min()));
        for (label, q) in super::QUANTILE_LABELS.iter().zip(REPORT_QUANTILES) {
            out.push(row(label, h.quantile(q)));
        }
        out.push(row("max", h.max()));
        for bin in h.histogram(YIELD_BINS) {
            out.push(YieldRow {
                class: class.name.clone(),
                statistic: "bin",
                lower: Some(bin.lower),
                upper: Some(bin.upper),
                value: bin.count as f64,
            });
        }
    }
    out
}

/// `num / den`, 0 when `den` is 0.
pub(super) fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

crate::record! {
    /// The key results of a run, as compared across scenarios, sweep points
    /// and stresses (`batch.csv`, `sweep.csv`, `stress.csv`), declared once:
    /// the column list is [`KeyResults::COLUMNS`](Record::COLUMNS). Returns
    /// are total net returns at t = 0 prices unless named `_usd`; losses
    /// are total loss fractions. `_se` is a standard error; `_lo` and `_hi`
    /// bound a 95 % confidence interval. NaN (an empty cell) where the
    /// paths cannot support the figure (see `summary.csv`).
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct KeyResults {
        /// Mean total net return.
        pub net_return_mean: f64,
        /// Standard error of the mean total net return.
        pub net_return_mean_se: f64,
        /// 5th percentile of the total net return.
        pub net_return_p05: f64,
        /// 95th percentile of the total net return.
        pub net_return_p95: f64,
        /// Mean total net return in USD, price moves included.
        pub net_return_usd_mean: f64,
        /// Standard error of the mean USD net return.
        pub net_return_usd_mean_se: f64,
        /// VaR99 of the total loss fraction.
        pub loss_var99: f64,
        /// Lower confidence bound of the VaR99.
        pub loss_var99_lo: f64,
        /// Upper confidence bound of the VaR99.
        pub loss_var99_hi: f64,
        /// CVaR99 of the total loss fraction.
        pub loss_cvar99: f64,
        /// Lower confidence bound of the CVaR99.
        pub loss_cvar99_lo: f64,
        /// Upper confidence bound of the CVaR99.
        pub loss_cvar99_hi: f64,
        /// VaR99.9 of the total loss fraction.
        pub loss_var999: f64,
        /// CVaR99.9 of the total loss fraction.
        pub loss_cvar999: f64,
        /// Mean final TVL, USD.
        pub tvl_usd_mean: f64,
        /// Probability that the total net return is negative.
        pub p_negative_return: f64,
        /// Standard error of `p_negative_return`.
        pub p_negative_return_se: f64,
        /// Probability of any slashing loss (total loss fraction above 0).
        pub p_any_loss: f64,
        /// Standard error of `p_any_loss`.
        pub p_any_loss_se: f64,
        /// Mean slashing events per path.
        pub slash_events_mean: f64,
        /// Mean over paths of the debt repaid by liquidations, all lending
        /// markets, USD.
        pub liquidations_usd_mean: f64,
        /// Mean over paths of the debt left unpaid, all lending markets, USD.
        pub bad_debt_usd_mean: f64,
    }
}

/// Column names of [`KeyResults`], in order.
pub fn key_result_columns() -> impl Iterator<Item = &'static str> {
    KeyResults::COLUMNS.iter().map(|c| c.name)
}

impl KeyResults {
    /// Values in [`key_result_columns`] order.
    pub fn values(&self) -> Vec<f64> {
        self.fields()
            .into_iter()
            .map(|f| match f {
                Field::Real(x) => x,
                Field::Count(n) => n as f64,
                Field::Source(_) | Field::Name(_) => f64::NAN,
            })
            .collect()
    }

    /// The value of a column by name.
    pub fn get(&self, column: &str) -> Option<f64> {
        key_result_columns()
            .position(|c| c == column)
            .map(|i| self.values()[i])
    }
}

/// A key result that is the mean over paths of a per-path figure: two
/// variants run on the same paths differ by the mean of the per-path
/// differences, whose standard error [`paired_standard_error`](super::uncertainty::paired_standard_error) gives.
#[derive(Debug, Clone, Copy)]
pub struct PathMean {
    /// The key result's column.
    pub column: &'static str,
    /// The per-path figure.
    pub value: fn(&PathRow) -> f64,
}

/// 1 if `b`, else 0.
fn indicator(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// The key results that are means of a per-path figure, in column order.
pub const PATH_MEANS: [PathMean; 8] = [
    PathMean {
        column: "net_return_mean",
        value: |r| r.total.net_return,
    },
    PathMean {
        column: "net_return_usd_mean",
        value: |r| r.total.net_return_usd,
    },
    PathMean {
        column: "tvl_usd_mean",
        value: |r| r.total.tvl_usd,
    },
    PathMean {
        column: "p_negative_return",
        value: |r| indicator(r.total.net_return < 0.0),
    },
    PathMean {
        column: "p_any_loss",
        value: |r| indicator(r.total.losses_usd > 0.0),
    },
    PathMean {
        column: "slash_events_mean",
        value: |r| r.total.slash_events as f64,
    },
    // Folded from +0, so that a scenario without markets gives 0, not −0.
    PathMean {
        column: "liquidations_usd_mean",
        value: |r| {
            r.markets
                .iter()
                .fold(0.0, |sum, m| sum + m.liquidations_usd)
        },
    },
    PathMean {
        column: "bad_debt_usd_mean",
        value: |r| r.markets.iter().fold(0.0, |sum, m| sum + m.bad_debt_usd),
    },
];

/// Per [`PATH_MEANS`] figure, its per-path values in path order.
pub fn path_figures(rows: &[PathRow]) -> Vec<Vec<f64>> {
    PATH_MEANS
        .iter()
        .map(|m| rows.iter().map(m.value).collect())
        .collect()
}

/// Mean over paths, summed in path order.
fn path_mean(rows: &[PathRow], f: impl Fn(&PathRow) -> f64) -> f64 {
    if rows.is_empty() {
        return f64::NAN;
    }
    rows.iter().map(f).sum::<f64>() / rows.len() as f64
}

/// The sums over paths of the [`PATH_MEANS`] figures, added path by path
/// in path order: from the rows in memory ([`PathMeans::of`]) or one row at
/// a time as they are read ([`PathMeans::add`]), with the same result.
#[derive(Debug, Clone, PartialEq)]
pub struct PathMeans {
    sums: [f64; PATH_MEANS.len()],
    paths: usize,
}

impl Default for PathMeans {
    fn default() -> Self {
        // The sum of no values as the standard library folds it, so that
        // adding row by row gives the bits of `Iterator::sum`.
        let zero: f64 = std::iter::empty::<f64>().sum();
        PathMeans {
            sums: [zero; PATH_MEANS.len()],
            paths: 0,
        }
    }
}

impl PathMeans {
    /// The sums over `rows`.
    pub fn of(rows: &[PathRow]) -> PathMeans {
        let mut means = PathMeans::default();
        rows.iter().for_each(|r| means.add(r));
        means
    }

    /// Adds the next path's row.
    pub fn add(&mut self, row: &PathRow) {
        for (sum, m) in self.sums.iter_mut().zip(&PATH_MEANS) {
            *sum += (m.value)(row);
        }
        self.paths += 1;
    }

    /// The mean of the figure of `column`; NaN without paths or for
    /// another column.
    fn mean(&self, column: &str) -> f64 {
        match PATH_MEANS.iter().position(|m| m.column == column) {
            Some(i) if self.paths > 0 => self.sums[i] / self.paths as f64,
            _ => f64::NAN,
        }
    }
}

/// Key results from the per-path rows and the summary table.
pub fn key_results(rows: &[PathRow], summary: &[SummaryRow]) -> KeyResults {
    key_results_of(&PathMeans::of(rows), summary)
}

/// Key results from the path means and the summary table.
pub fn key_results_of(means: &PathMeans, summary: &[SummaryRow]) -> KeyResults {
    let find = |metric: &str| {
        summary
            .iter()
            .find(|r| r.kind == "total" && r.metric == metric)
    };
    let nan = f64::NAN;
    let ret = find("net_return");
    let usd = find("net_return_usd");
    let loss = find("loss_fraction");
    let get = |row: Option<&SummaryRow>, f: fn(&SummaryRow) -> f64| row.map_or(nan, f);
    let figure = |column: &str| means.mean(column);
    let n = means.paths;
    let p_negative_return = figure("p_negative_return");
    let p_any_loss = figure("p_any_loss");
    KeyResults {
        net_return_mean: get(ret, |r| r.mean),
        net_return_mean_se: get(ret, |r| r.mean_se.unwrap_or(f64::NAN)),
        net_return_p05: get(ret, |r| r.p05),
        net_return_p95: get(ret, |r| r.p95),
        net_return_usd_mean: get(usd, |r| r.mean),
        net_return_usd_mean_se: get(usd, |r| r.mean_se.unwrap_or(f64::NAN)),
        loss_var99: get(loss, |r| r.var99),
        loss_var99_lo: get(loss, |r| r.var99_lo.unwrap_or(f64::NAN)),
        loss_var99_hi: get(loss, |r| r.var99_hi.unwrap_or(f64::NAN)),
        loss_cvar99: get(loss, |r| r.cvar99),
        loss_cvar99_lo: get(loss, |r| r.cvar99_lo.unwrap_or(f64::NAN)),
        loss_cvar99_hi: get(loss, |r| r.cvar99_hi.unwrap_or(f64::NAN)),
        loss_var999: get(loss, |r| r.var999.unwrap_or(f64::NAN)),
        loss_cvar999: get(loss, |r| r.cvar999.unwrap_or(f64::NAN)),
        tvl_usd_mean: figure("tvl_usd_mean"),
        p_negative_return,
        p_negative_return_se: probability_standard_error(p_negative_return, n),
        p_any_loss,
        p_any_loss_se: probability_standard_error(p_any_loss, n),
        slash_events_mean: figure("slash_events_mean"),
        liquidations_usd_mean: figure("liquidations_usd_mean"),
        bad_debt_usd_mean: figure("bad_debt_usd_mean"),
    }
}

/// Per protocol: (mean final TVL in native units, mean final APR), path order.
pub fn protocol_means(rows: &[PathRow], protocols: usize) -> Vec<(f64, f64)> {
    (0..protocols)
        .map(|p| {
            (
                path_mean(rows, |r| r.protocols[p].tvl_native),
                path_mean(rows, |r| r.protocols[p].apr),
            )
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::results::{ClassFinal, ProtocolFinal, TotalFinal};

    /// `paths` identical paths of one class, one protocol and the total,
    /// each starting from 100 (native units, USD and TVL alike), with
    /// `losses` to the four sources in [`LossSource::ALL`] order and a net
    /// return of 0.1.
    ///
    /// [`LossSource::ALL`]: crate::results::LossSource::ALL
    pub(in crate::stats) fn uniform_paths(paths: u32, losses: [f64; 4]) -> Vec<PathRow> {
        let [protocol, shock, operator, attack] = losses;
        let lost: f64 = losses.iter().sum();
        let total = TotalFinal {
            net_return: 0.1,
            after_tax_net_return: 0.1,
            net_return_usd: 0.1,
            initial_usd: 100.0,
            rewards_usd: 10.0 + lost,
            losses_usd: lost,
            losses_protocol_usd: protocol,
            losses_shock_usd: shock,
            losses_operator_usd: operator,
            losses_attack_usd: attack,
            tvl_usd: 110.0,
            slash_events: 0,
        };
        let class = ClassFinal {
            stake: 110.0,
            initial: 100.0,
            rewards: 10.0 + lost,
            losses: lost,
            losses_protocol: protocol,
            losses_shock: shock,
            losses_operator: operator,
            losses_attack: attack,
            exits: 0.0,
            net_return: 0.1,
            after_tax_net_return: 0.1,
            median_net_return: 0.1,
            net_return_usd: 0.1,
            stakers: 1,
            entered: 0,
        };
        let protocol = ProtocolFinal {
            tvl_native: 110.0,
            tvl_usd: 110.0,
            apr: 0.1,
            losses_native: lost,
            losses_protocol_native: protocol,
            losses_shock_native: shock,
            losses_operator_native: operator,
            losses_attack_native: attack,
            tvl_native_initial: 100.0,
            loss_fraction: lost / 100.0,
            slash_events: 0,
        };
        (0..paths)
            .map(|path| PathRow {
                path,
                classes: vec![class.clone()],
                protocols: vec![protocol.clone()],
                lrts: Vec::new(),
                markets: Vec::new(),
                loops: Vec::new(),
                operators: Vec::new(),
                total: total.clone(),
            })
            .collect()
    }

    #[test]
    fn without_lending_markets_liquidations_and_bad_debt_are_plain_zeros() {
        let rows = uniform_paths(3, [0.0; 4]);
        let key = key_results(&rows, &[]);
        // A sum over no market is −0 in Rust; the CSV must read "0".
        assert_eq!(key.liquidations_usd_mean.to_string(), "0");
        assert_eq!(key.bad_debt_usd_mean.to_string(), "0");
        // The mean of three equal values, 110, is exact.
        assert_eq!(key.tvl_usd_mean, 110.0);
        assert_eq!(key.values().len(), key_result_columns().count());
    }
}
