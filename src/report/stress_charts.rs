//! The chart of a stress folder: the baseline against each stress, one
//! panel per key result, bars with p5–p95 whiskers where the result has
//! them.

use std::path::Path;

use super::ReportError;
use super::chart::{Axis, Bar, BarPanel, Chart, Figure};
use super::data::CsvTable;
use super::sweep_charts::key_results;

/// Every chart of a stress table.
pub fn charts(table: &CsvTable, path: &Path) -> Result<Vec<Chart>, ReportError> {
    let name = table
        .column("stress")
        .ok_or_else(|| ReportError::Malformed {
            path: path.to_path_buf(),
            message: "no `stress` column".into(),
        })?;
    if table.rows.is_empty() {
        return Ok(Vec::new());
    }
    let panels: Vec<BarPanel> = key_results()
        .into_iter()
        .filter_map(|k| {
            let values = table.numbers(table.column(k.column)?);
            let whiskers = k.band.and_then(|(lo, hi)| {
                Some((
                    table.numbers(table.column(lo)?),
                    table.numbers(table.column(hi)?),
                ))
            });
            let bars = table
                .rows
                .iter()
                .enumerate()
                .map(|(r, row)| Bar {
                    label: row[name].clone(),
                    value: values[r],
                    whisker: whiskers.as_ref().map(|(lo, hi)| (lo[r], hi[r])),
                    baseline: row[name] == "baseline",
                })
                .collect();
            Some(BarPanel {
                caption: k.caption.to_string(),
                x: Axis::new(k.axis, k.unit),
                bars,
            })
        })
        .collect();
    Ok(vec![Chart {
        stem: "stress_results".into(),
        title: "Baseline against each stress".into(),
        caption: "Key results of the baseline and of each stress, run with common random numbers (the same paths); the net return with whiskers from its 5th to its 95th percentile across paths.".into(),
        legend: BarPanel::legend(),
        figure: Figure::Bars(panels),
    }])
}
