//! The findings that open a run's report: the headline figures with their
//! Monte Carlo error bars (mean net return, USD P&L, VaR and CVaR at 99 %
//! and 99.9 %, the two loss probabilities), the largest source of losses
//! and the operator whose delegators lost most, each from `summary.csv`.

use super::data::{RunData, SummaryRecord};
use super::page::{Cell, Table};
use super::ticks::Unit;
use crate::stats::uncertainty::{DEEP_TAIL_MIN_PATHS, Z};

/// One line of the findings: what, the estimate, its interval, a reading.
struct Finding {
    figure: String,
    estimate: f64,
    interval: Option<(f64, f64)>,
    reading: String,
}

/// `lo – hi` as percentages, `–` for a missing bound.
fn interval_text(lo: f64, hi: f64) -> String {
    let show = |v: f64| {
        if v.is_finite() {
            Unit::Percent.tick(v)
        } else {
            "beyond the paths".into()
        }
    };
    format!("{} to {}", show(lo), show(hi))
}

/// The total row of a figure.
fn total<'a>(data: &'a RunData, metric: &str) -> Option<&'a SummaryRecord> {
    data.summary
        .iter()
        .find(|r| r.kind == "total" && r.metric == metric)
}

/// Mean ± z·se.
fn around_mean(r: &SummaryRecord) -> Option<(f64, f64)> {
    r.mean_se.map(|se| (r.mean - Z * se, r.mean + Z * se))
}

/// A probability ± z·se, clamped to [0, 1].
fn around_probability(p: f64, se: f64) -> Option<(f64, f64)> {
    se.is_finite()
        .then(|| ((p - Z * se).max(0.0), (p + Z * se).min(1.0)))
}

/// The findings table of a run, or `None` when `summary.csv` has no total.
pub fn findings(data: &RunData) -> Option<Table> {
    let ret = total(data, "net_return")?;
    let loss = total(data, "loss_fraction")?;
    let paths = data
        .manifest
        .get("paths")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN);
    let mut out = vec![Finding {
        figure: "mean net return (day-0 prices)".into(),
        estimate: ret.mean,
        interval: around_mean(ret),
        reading: "rewards − losses over the initial stake, over the run".into(),
    }];
    if let Some(usd) = total(data, "net_return_usd") {
        out.push(Finding {
            figure: "mean net return in USD (price moves included)".into(),
            estimate: usd.mean,
            interval: around_mean(usd),
            reading: "the position's USD value at the horizon against its day-0 value".into(),
        });
    }
    let var99_interval = Some((
        loss.var99_lo.unwrap_or(f64::NAN),
        loss.var99_hi.unwrap_or(f64::NAN),
    ));
    out.push(Finding {
        figure: "VaR 99 % of the total loss".into(),
        estimate: loss.var99,
        interval: var99_interval,
        reading: "1 path in 100 loses at least this share of the stake".into(),
    });
    out.push(Finding {
        figure: "CVaR 99 % of the total loss".into(),
        estimate: loss.cvar99,
        interval: loss.cvar99_lo.zip(loss.cvar99_hi),
        reading: "the mean loss of the worst 1 % of paths".into(),
    });
    let deep = format!(
        "needs {} paths, the run has {}",
        super::ticks::grouped(DEEP_TAIL_MIN_PATHS as f64, 0),
        super::ticks::grouped(paths, 0)
    );
    out.push(Finding {
        figure: "VaR 99.9 % of the total loss".into(),
        estimate: loss.var999.unwrap_or(f64::NAN),
        interval: None,
        reading: if loss.var999.is_some() {
            "1 path in 1,000 loses at least this share".into()
        } else {
            deep.clone()
        },
    });
    out.push(Finding {
        figure: "CVaR 99.9 % of the total loss".into(),
        estimate: loss.cvar999.unwrap_or(f64::NAN),
        interval: None,
        reading: if loss.cvar999.is_some() {
            "the mean loss of the worst 0.1 % of paths".into()
        } else {
            deep
        },
    });
    let p_negative = ret.probability();
    out.push(Finding {
        figure: "P(net return < 0)".into(),
        estimate: p_negative,
        interval: around_probability(p_negative, ret.p_se),
        reading: "share of paths that end below their initial stake".into(),
    });
    let p_any = loss.probability();
    out.push(Finding {
        figure: "P(loss > 0)".into(),
        estimate: p_any,
        interval: around_probability(p_any, loss.p_se),
        reading: "share of paths with any slashing loss at all".into(),
    });
    if let Some(source) = largest(data, "total", |m| m.strip_prefix("loss_fraction_")) {
        out.push(Finding {
            figure: format!("largest loss source: {}", source.0),
            estimate: source.1.mean,
            interval: around_mean(source.1),
            reading: share_of_losses(source.1.mean, loss.mean),
        });
    }
    if let Some(op) = largest(data, "operator", |m| {
        (m == "delegator_loss_fraction").then_some("")
    }) {
        out.push(Finding {
            figure: format!("operator whose delegators lost most: {}", op.1.entity),
            estimate: op.1.mean,
            interval: around_mean(op.1),
            reading: "mean loss of its delegators over the stake delegated to it".into(),
        });
    }
    Some(table(out))
}

/// Of the rows of `kind` whose metric `pick` accepts, the one with the
/// largest positive mean, with what `pick` made of its metric.
fn largest<'a>(
    data: &'a RunData,
    kind: &str,
    pick: impl Fn(&str) -> Option<&str>,
) -> Option<(String, &'a SummaryRecord)> {
    data.summary
        .iter()
        .filter(|r| r.kind == kind && r.mean > 0.0)
        .filter_map(|r| pick(&r.metric).map(|name| (name.replace('_', " "), r)))
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
}

/// "N % of all losses".
fn share_of_losses(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!(
            "mean loss from it; {} of all losses",
            Unit::Percent.tick(part / whole)
        )
    } else {
        "mean loss from it".into()
    }
}

/// The findings as a page table.
fn table(findings: Vec<Finding>) -> Table {
    let rows = findings
        .into_iter()
        .map(|f| {
            let estimate = if f.estimate.is_finite() {
                Cell::number(f.estimate, &Unit::Percent)
            } else {
                Cell::text("–")
            };
            let interval = f.interval.map_or_else(
                || Cell::text("–"),
                |(lo, hi)| Cell::text(interval_text(lo, hi)),
            );
            vec![
                Cell::text(f.figure),
                estimate,
                interval,
                Cell::text(f.reading),
            ]
        })
        .collect();
    Table {
        title: "Findings".into(),
        note: "The headline figures of summary.csv with their 95 % Monte Carlo confidence intervals: mean ± 1.96 standard errors for means and probabilities, order statistics for VaR, the asymptotic standard error for CVaR (docs/outputs.md, Definitions). A wide interval says the run has too few paths to tell; \"beyond the paths\" means the bound lies past the worst path run.".into(),
        header: ["figure", "estimate", "95 % interval", "reading"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}
