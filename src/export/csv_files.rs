//! The CSV files of a run, each rendered to bytes. Row structs from
//! [`crate::stats::tables`] are the schemas; `paths.csv` and `events.csv`
//! have columns that depend on the scenario, so they are written field by
//! field. Every file is documented column by column in `docs/outputs.md`.

use serde::Serialize;

use super::ExportError;
use crate::engine::events::Source;
use crate::engine::{Collected, PathRow};
use crate::model::Model;

/// Serialises rows with a header.
pub fn rows_to_csv<T: Serialize>(name: &str, rows: &[T]) -> Result<Vec<u8>, ExportError> {
    let err = |source| ExportError::Csv {
        name: name.to_string(),
        source,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(err)?;
    }
    w.into_inner().map_err(|e| ExportError::Csv {
        name: name.to_string(),
        source: e.into_error().into(),
    })
}

/// Renders a header and records (fields already formatted) as CSV.
pub fn records_to_csv(
    name: &str,
    header: &[String],
    records: &[Vec<String>],
) -> Result<Vec<u8>, ExportError> {
    let err = |source| ExportError::Csv {
        name: name.to_string(),
        source,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(err)?;
    for r in records {
        w.write_record(r).map_err(err)?;
    }
    w.into_inner().map_err(|e| ExportError::Csv {
        name: name.to_string(),
        source: e.into_error().into(),
    })
}

/// Column suffixes of each class in `paths.csv`.
pub const PATH_CLASS_COLUMNS: [&str; 10] = [
    "stake",
    "initial",
    "rewards",
    "losses",
    "exits",
    "net_return",
    "after_tax_net_return",
    "median_net_return",
    "stakers",
    "entered",
];
/// Column suffixes of each protocol in `paths.csv`.
pub const PATH_PROTOCOL_COLUMNS: [&str; 6] = [
    "tvl_native",
    "tvl_usd",
    "apr",
    "losses_native",
    "loss_fraction",
    "slash_events",
];

/// `paths.csv`: one row per path; total columns, then `<class>.<figure>`,
/// then `<protocol>.<figure>`.
pub fn paths_csv(model: &Model, rows: &[PathRow]) -> Result<Vec<u8>, ExportError> {
    let mut header: Vec<String> = [
        "path",
        "total.net_return",
        "total.after_tax_net_return",
        "total.initial_usd",
        "total.rewards_usd",
        "total.losses_usd",
        "total.tvl_usd",
        "total.slash_events",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in &model.classes {
        header.extend(PATH_CLASS_COLUMNS.iter().map(|m| format!("{}.{m}", c.name)));
    }
    for p in &model.protocols {
        header.extend(
            PATH_PROTOCOL_COLUMNS
                .iter()
                .map(|m| format!("{}.{m}", p.name)),
        );
    }
    let records: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let t = &r.total;
            let mut rec = vec![
                r.path.to_string(),
                t.net_return.to_string(),
                t.after_tax_net_return.to_string(),
                t.initial_usd.to_string(),
                t.rewards_usd.to_string(),
                t.losses_usd.to_string(),
                t.tvl_usd.to_string(),
                t.slash_events.to_string(),
            ];
            for c in &r.classes {
                rec.extend([
                    c.stake.to_string(),
                    c.initial.to_string(),
                    c.rewards.to_string(),
                    c.losses.to_string(),
                    c.exits.to_string(),
                    c.net_return.to_string(),
                    c.after_tax_net_return.to_string(),
                    c.median_net_return.to_string(),
                    c.stakers.to_string(),
                    c.entered.to_string(),
                ]);
            }
            for p in &r.protocols {
                rec.extend([
                    p.tvl_native.to_string(),
                    p.tvl_usd.to_string(),
                    p.apr.to_string(),
                    p.losses_native.to_string(),
                    p.loss_fraction.to_string(),
                    p.slash_events.to_string(),
                ]);
            }
            rec
        })
        .collect();
    records_to_csv("paths.csv", &header, &records)
}

/// `events.csv`: the logged slashing events in path order.
pub fn events_csv(model: &Model, collected: &Collected) -> Result<Vec<u8>, ExportError> {
    let header: Vec<String> = [
        "path",
        "day",
        "protocol",
        "source",
        "source_name",
        "operator",
        "severity",
        "lost_native",
        "lost_usd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let records: Vec<Vec<String>> = collected
        .events
        .iter()
        .map(|e| {
            let (kind, name) = match e.source {
                Source::Protocol => ("protocol", model.protocols[e.protocol].name.clone()),
                Source::Shock(s) => ("shock", model.shocks[s].name.clone()),
                Source::Operator(o) => ("operator", model.operators[o].name.clone()),
            };
            vec![
                e.path.to_string(),
                e.day.to_string(),
                model.protocols[e.protocol].name.clone(),
                kind.to_string(),
                name,
                e.operator
                    .map(|o| model.operators[o].name.clone())
                    .unwrap_or_default(),
                e.severity.to_string(),
                e.lost_native.to_string(),
                e.lost_usd.to_string(),
            ]
        })
        .collect();
    records_to_csv("events.csv", &header, &records)
}
