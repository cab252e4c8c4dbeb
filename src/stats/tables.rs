//! The result tables of a run, computed from the collected per-path data:
//! time-series distributions, the summary of returns and losses with tail
//! risk, and the pooled per-staker yield distribution. Each row struct is
//! the schema of its CSV file (see `docs/outputs.md`).

use rayon::prelude::*;
use serde::Serialize;

use super::{Distribution, LogHistogram, REPORT_QUANTILES, describe, tail_risk};
use crate::model::Model;
use crate::results::{Collected, Field, PathRow, Record};

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
    let series = c.series.len();
    (0..c.recorded_days.len() * series)
        .into_par_iter()
        .map(|k| {
            let (point, s) = (k / series, k % series);
            let mut buf: Vec<f64> = c
                .across_paths(point, s)
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let d = describe(&mut buf);
            let q = d.quantiles.map(|x| x as f32);
            TimeseriesRow {
                day: c.recorded_days[point],
                metric: c.series[s].metric.name(),
                entity: c.series[s].entity.clone(),
                mean: d.mean as f32,
                std: d.std as f32,
                p01: q[0],
                p05: q[1],
                p25: q[2],
                p50: q[3],
                p75: q[4],
                p95: q[5],
                p99: q[6],
            }
        })
        .collect()
}

/// One row of `summary.csv`: the distribution across paths of one figure of
/// one entity, with tail risk of the corresponding loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Entity name (class, protocol or `total`).
    pub entity: String,
    /// `class`, `protocol` or `total`.
    pub kind: &'static str,
    /// Figure: `net_return`, `after_tax_net_return`, `loss_fraction` or
    /// `median_staker_net_return`.
    pub metric: &'static str,
    /// Mean across paths.
    pub mean: f64,
    /// Standard deviation across paths.
    pub std: f64,
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
    /// Value at risk at 95 %, as a positive loss.
    pub var95: f64,
    /// Value at risk at 99 %.
    pub var99: f64,
    /// Expected shortfall beyond VaR95.
    pub cvar95: f64,
    /// Expected shortfall beyond VaR99.
    pub cvar99: f64,
    /// Probability of a loss: P(return < 0), or P(loss fraction > 0).
    pub p_loss: f64,
}

pub(super) fn summary_row(
    entity: &str,
    kind: &'static str,
    metric: &'static str,
    mut values: Vec<f64>,
    is_return: bool,
) -> SummaryRow {
    let d: Distribution = describe(&mut values);
    let mut losses: Vec<f64> = if is_return {
        values.iter().rev().map(|v| -v).collect()
    } else {
        values.clone()
    };
    losses.sort_by(f64::total_cmp);
    let t = tail_risk(&losses);
    let n = values.len().max(1) as f64;
    let p_loss = if is_return {
        values.iter().filter(|&&v| v < 0.0).count() as f64 / n
    } else {
        values.iter().filter(|&&v| v > 0.0).count() as f64 / n
    };
    let q = d.quantiles;
    SummaryRow {
        entity: entity.to_string(),
        kind,
        metric,
        mean: d.mean,
        std: d.std,
        p01: q[0],
        p05: q[1],
        p25: q[2],
        p50: q[3],
        p75: q[4],
        p95: q[5],
        p99: q[6],
        var95: t.var95,
        var99: t.var99,
        cvar95: t.cvar95,
        cvar99: t.cvar99,
        p_loss,
    }
}

/// Summary rows: per class, then per protocol, then the total.
pub fn summary_rows(model: &Model, rows: &[PathRow]) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    let col = |f: &dyn Fn(&PathRow) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    for (c, class) in model.classes.iter().enumerate() {
        let name = class.name.as_str();
        out.push(summary_row(
            name,
            "class",
            "net_return",
            col(&|r| r.classes[c].net_return),
            true,
        ));
        out.push(summary_row(
            name,
            "class",
            "after_tax_net_return",
            col(&|r| r.classes[c].after_tax_net_return),
            true,
        ));
        out.push(summary_row(
            name,
            "class",
            "median_staker_net_return",
            col(&|r| r.classes[c].median_net_return),
            true,
        ));
        out.push(summary_row(
            name,
            "class",
            "loss_fraction",
            col(&|r| {
                let f = &r.classes[c];
                ratio(f.losses, f.initial)
            }),
            false,
        ));
    }
    for (k, c) in (0..model.classes.len())
        .filter(|&c| model.classes[c].is_loop())
        .enumerate()
    {
        out.push(summary_row(
            &model.classes[c].name,
            "class",
            "equity_net_return",
            col(&|r| r.loops[k].equity_net_return),
            true,
        ));
    }
    out.extend(super::entities::class_source_rows(model, rows));
    for (p, proto) in model.protocols.iter().enumerate() {
        out.push(summary_row(
            &proto.name,
            "protocol",
            "loss_fraction",
            col(&|r| r.protocols[p].loss_fraction),
            false,
        ));
    }
    out.extend(super::entities::protocol_source_rows(model, rows));
    out.extend(super::entities::operator_rows(model, rows));
    out.push(summary_row(
        "total",
        "total",
        "net_return",
        col(&|r| r.total.net_return),
        true,
    ));
    out.push(summary_row(
        "total",
        "total",
        "after_tax_net_return",
        col(&|r| r.total.after_tax_net_return),
        true,
    ));
    out.push(summary_row(
        "total",
        "total",
        "loss_fraction",
        col(&|r| ratio(r.total.losses_usd, r.total.initial_usd)),
        false,
    ));
    out
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
    /// are total net returns at t = 0 prices; losses are total loss
    /// fractions.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct KeyResults {
        /// Mean total net return.
        pub net_return_mean: f64,
        /// 5th percentile of the total net return.
        pub net_return_p05: f64,
        /// 95th percentile of the total net return.
        pub net_return_p95: f64,
        /// VaR99 of the total loss fraction.
        pub loss_var99: f64,
        /// CVaR99 of the total loss fraction.
        pub loss_cvar99: f64,
        /// Mean final TVL, USD.
        pub tvl_usd_mean: f64,
        /// Probability that the total net return is negative.
        pub p_loss: f64,
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
}

/// Mean over paths, summed in path order.
fn path_mean(rows: &[PathRow], f: impl Fn(&PathRow) -> f64) -> f64 {
    if rows.is_empty() {
        return f64::NAN;
    }
    rows.iter().map(f).sum::<f64>() / rows.len() as f64
}

/// Key results from the per-path rows and the summary table.
pub fn key_results(rows: &[PathRow], summary: &[SummaryRow]) -> KeyResults {
    let find = |metric: &str| {
        summary
            .iter()
            .find(|r| r.kind == "total" && r.metric == metric)
    };
    let ret = find("net_return");
    let loss = find("loss_fraction");
    KeyResults {
        net_return_mean: ret.map_or(f64::NAN, |r| r.mean),
        net_return_p05: ret.map_or(f64::NAN, |r| r.p05),
        net_return_p95: ret.map_or(f64::NAN, |r| r.p95),
        loss_var99: loss.map_or(f64::NAN, |r| r.var99),
        loss_cvar99: loss.map_or(f64::NAN, |r| r.cvar99),
        tvl_usd_mean: path_mean(rows, |r| r.total.tvl_usd),
        p_loss: ret.map_or(f64::NAN, |r| r.p_loss),
        slash_events_mean: path_mean(rows, |r| r.total.slash_events as f64),
        // Folded from +0, so that a scenario without markets gives 0, not −0.
        liquidations_usd_mean: path_mean(rows, |r| {
            r.markets
                .iter()
                .fold(0.0, |sum, m| sum + m.liquidations_usd)
        }),
        bad_debt_usd_mean: path_mean(rows, |r| {
            r.markets.iter().fold(0.0, |sum, m| sum + m.bad_debt_usd)
        }),
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
mod tests {
    use super::*;
    use crate::results::{ClassFinal, TotalFinal};

    #[test]
    fn without_lending_markets_liquidations_and_bad_debt_are_plain_zeros() {
        let total = TotalFinal {
            net_return: 0.1,
            after_tax_net_return: 0.1,
            initial_usd: 1.0,
            rewards_usd: 0.1,
            losses_usd: 0.0,
            losses_protocol_usd: 0.0,
            losses_shock_usd: 0.0,
            losses_operator_usd: 0.0,
            losses_attack_usd: 0.0,
            tvl_usd: 1.1,
            slash_events: 0,
        };
        let class = ClassFinal {
            stake: 1.1,
            initial: 1.0,
            rewards: 0.1,
            losses: 0.0,
            losses_protocol: 0.0,
            losses_shock: 0.0,
            losses_operator: 0.0,
            losses_attack: 0.0,
            exits: 0.0,
            net_return: 0.1,
            after_tax_net_return: 0.1,
            median_net_return: 0.1,
            stakers: 1,
            entered: 0,
        };
        let rows: Vec<PathRow> = (0..3)
            .map(|path| PathRow {
                path,
                classes: vec![class.clone()],
                protocols: Vec::new(),
                lrts: Vec::new(),
                markets: Vec::new(),
                loops: Vec::new(),
                operators: Vec::new(),
                total: total.clone(),
            })
            .collect();
        let key = key_results(&rows, &[]);
        // A sum over no market is −0 in Rust; the CSV must read "0".
        assert_eq!(key.liquidations_usd_mean.to_string(), "0");
        assert_eq!(key.bad_debt_usd_mean.to_string(), "0");
        assert_eq!(key.values().len(), key_result_columns().count());
    }
}
