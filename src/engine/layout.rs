//! The time series a path records: which (metric, entity) pairs, in which
//! order. Built once per run from the model; every path fills one `f32` per
//! series per recorded step in this order.

use crate::model::Model;

/// What kind of entity a series describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// A protocol (index).
    Protocol(usize),
    /// A staker class (index).
    Class(usize),
    /// An asset (index).
    Asset(usize),
    /// The whole scenario.
    Total,
}

/// One recorded series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Metric name as written to `timeseries.csv`.
    pub metric: &'static str,
    /// Entity name as written to `timeseries.csv`.
    pub entity: String,
    /// The entity.
    pub kind: EntityKind,
}

/// Metrics recorded per protocol, in order (units: native units of the
/// protocol's first asset unless the name says USD).
pub const PROTOCOL_METRICS: [&str; 6] = [
    "tvl_native",
    "tvl_usd",
    "apr",
    "stakers",
    "losses_cum",
    "slash_events_cum",
];
/// Metrics recorded per staker class (native units of the class's asset).
pub const CLASS_METRICS: [&str; 8] = [
    "stake",
    "stake_usd",
    "rewards_cum",
    "losses_cum",
    "exits_cum",
    "net_return",
    "apr",
    "stakers",
];
/// Metrics recorded per asset.
pub const ASSET_METRICS: [&str; 3] = ["price_usd", "tvl_native", "tvl_usd"];
/// Metrics recorded for the whole scenario (USD at the day's prices).
pub const TOTAL_METRICS: [&str; 6] = [
    "tvl_usd",
    "stake_usd",
    "rewards_cum_usd",
    "losses_cum_usd",
    "slash_events_cum",
    "stakers",
];

/// The series of a model, in recording order: protocols, classes, assets, total.
pub fn series_of(model: &Model) -> Vec<Series> {
    let mut out = Vec::new();
    for (i, p) in model.protocols.iter().enumerate() {
        for m in PROTOCOL_METRICS {
            out.push(Series {
                metric: m,
                entity: p.name.clone(),
                kind: EntityKind::Protocol(i),
            });
        }
    }
    for (i, c) in model.classes.iter().enumerate() {
        for m in CLASS_METRICS {
            out.push(Series {
                metric: m,
                entity: c.name.clone(),
                kind: EntityKind::Class(i),
            });
        }
    }
    for (i, a) in model.assets.iter().enumerate() {
        for m in ASSET_METRICS {
            out.push(Series {
                metric: m,
                entity: a.name.clone(),
                kind: EntityKind::Asset(i),
            });
        }
    }
    for m in TOTAL_METRICS {
        out.push(Series {
            metric: m,
            entity: "total".into(),
            kind: EntityKind::Total,
        });
    }
    out
}
