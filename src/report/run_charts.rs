//! The charts of a run folder: TVL, APR, class stake and losses, and asset
//! prices as fans over time; per-staker net APR histograms; loss exceedance
//! curves.

use super::chart::{Axis, Chart, ExceedancePanel, FanPanel, Figure, HistogramPanel};
use super::data::RunData;
use super::ticks::Unit;
use crate::stats::risk::exceedance_curve;

/// Every chart of a run, in report order; charts with nothing to show are
/// left out.
pub fn charts(data: &RunData) -> Vec<Chart> {
    let fans =
        |stem: &str, title: &str, caption: &str, metric: &str, entities: &[String], y: Axis| {
            let panels: Vec<FanPanel> = entities
                .iter()
                .filter_map(|e| {
                    data.fan(metric, e).map(|fan| FanPanel {
                        caption: e.clone(),
                        y: y.clone(),
                        fan: fan.clone(),
                    })
                })
                .collect();
            (!panels.is_empty()).then(|| Chart {
                stem: stem.into(),
                title: title.into(),
                caption: caption.into(),
                legend: FanPanel::legend(),
                figure: Figure::Fans(panels),
            })
        };
    [
        fans(
            "tvl_usd",
            "TVL per protocol (USD)",
            "Total value locked behind each protocol, in US dollars, across Monte Carlo paths: the 5th–95th and 25th–75th percentile bands and the median.",
            "tvl_usd",
            &data.protocols,
            Axis::new("TVL (USD)", Unit::Usd),
        ),
        fans(
            "apr",
            "APR per protocol",
            "The yearly reward rate each protocol pays on its stake, from its APR curve at its TVL, across paths.",
            "apr",
            &data.protocols,
            Axis::new("APR (per year)", Unit::Percent),
        ),
        fans(
            "stake_by_class",
            "Stake per staker class",
            "Stake held by each staker class, in the native units of the class's asset, across paths.",
            "stake",
            &data.classes,
            Axis::new("stake (native units)", Unit::Amount),
        ),
        fans(
            "losses_by_class",
            "Cumulative slashing losses per staker class",
            "Stake lost to slashing since day 0, in the native units of the class's asset, across paths.",
            "losses_cum",
            &data.classes,
            Axis::new("losses (native units)", Unit::Amount),
        ),
        net_apr_histograms(data),
        loss_exceedance(data),
        fans(
            "prices",
            "Asset prices (USD)",
            "Each asset's USD price across paths.",
            "price_usd",
            &data.assets,
            Axis::new("price (USD)", Unit::Usd),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Histograms of per-staker net APR, one panel per class.
fn net_apr_histograms(data: &RunData) -> Option<Chart> {
    let panels: Vec<HistogramPanel> = data
        .classes
        .iter()
        .filter_map(|class| {
            let d = data.yields.get(class)?;
            let total = d.count.max(1.0);
            Some(HistogramPanel {
                caption: class.clone(),
                x: Axis::new("net APR per staker (per year)", Unit::Percent),
                bins: d
                    .bins
                    .iter()
                    .map(|&(lo, hi, n)| (lo, hi, n / total))
                    .collect(),
                mean: d.mean,
                p05: d.p05,
            })
        })
        .collect();
    (!panels.is_empty()).then(|| Chart {
        stem: "net_apr_by_class".into(),
        title: "Per-staker net APR by class".into(),
        caption: "Distribution of each staker's net APR (rewards minus losses, per year, on its initial stake), pooled over stakers and paths, with the mean and the 5th percentile marked.".into(),
        legend: HistogramPanel::legend(),
        figure: Figure::Histograms(panels),
    })
}

/// Loss exceedance curves per class and in total, with VaR99 and CVaR99.
fn loss_exceedance(data: &RunData) -> Option<Chart> {
    let ratio = |num: Vec<f64>, den: Vec<f64>| -> Vec<f64> {
        num.iter()
            .zip(&den)
            .map(|(n, d)| if *d > 0.0 { n / d } else { 0.0 })
            .collect()
    };
    let column_pair = |a: &str, b: &str| Some(ratio(data.path_column(a)?, data.path_column(b)?));
    let mut entities: Vec<(String, Option<Vec<f64>>)> = data
        .classes
        .iter()
        .map(|c| {
            let losses = column_pair(&format!("{c}.losses"), &format!("{c}.initial"));
            (c.clone(), losses)
        })
        .collect();
    entities.push((
        "total".into(),
        column_pair("total.losses_usd", "total.initial_usd"),
    ));
    let panels: Vec<ExceedancePanel> = entities
        .into_iter()
        .filter_map(|(entity, losses)| {
            let losses = losses?;
            let tail = data.summary_row(&entity, "loss_fraction")?;
            Some(ExceedancePanel {
                caption: entity,
                x: Axis::new("loss x (% of initial stake)", Unit::Percent),
                curve: exceedance_curve(&losses),
                paths: losses.len(),
                var99: tail.var99,
                cvar99: tail.cvar99,
            })
        })
        .collect();
    (!panels.is_empty()).then(|| Chart {
        stem: "loss_exceedance".into(),
        title: "Loss exceedance by class".into(),
        caption: "Probability across paths that a class loses more than x of its initial stake to slashing over the run (the total in USD), on a log scale, with the 99 % Value at Risk and expected shortfall marked.".into(),
        legend: ExceedancePanel::legend(),
        figure: Figure::Exceedance(panels),
    })
}
