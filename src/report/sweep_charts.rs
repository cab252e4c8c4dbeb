//! The charts of a sweep folder: each key result against the first swept
//! parameter (one line per combination of the others, the net return with
//! its p5–p95 band), mean APR and TVL per protocol likewise, and for a
//! two-parameter sweep heatmaps of the mean net return and of P(net return < 0).

use std::path::Path;

use super::ReportError;
use super::chart::series_colour as colour;
use super::chart::viridis;
use super::chart::{Axis, Chart, Figure, HeatmapPanel, LegendItem, Line, LinePanel, Swatch};
use super::data::CsvTable;
use super::ticks::Unit;

/// A key result of `sweep.csv` / `stress.csv`: its column(s), caption and unit.
pub struct KeyResult {
    /// Column of the value drawn.
    pub column: &'static str,
    /// Columns of the 5th and 95th percentiles, if any.
    pub band: Option<(&'static str, &'static str)>,
    /// Caption.
    pub caption: &'static str,
    /// Axis description.
    pub axis: &'static str,
    /// Unit.
    pub unit: Unit,
}

/// The key results every comparison table has, in chart order.
pub fn key_results() -> Vec<KeyResult> {
    let k = |column, band, caption, axis, unit| KeyResult {
        column,
        band,
        caption,
        axis,
        unit,
    };
    vec![
        k(
            "net_return_mean",
            Some(("net_return_p05", "net_return_p95")),
            "net return, mean and p5–p95",
            "net return (of initial stake)",
            Unit::Percent,
        ),
        k(
            "loss_var99",
            None,
            "VaR 99 % of losses",
            "loss (of initial stake)",
            Unit::Percent,
        ),
        k(
            "loss_cvar99",
            None,
            "CVaR 99 % of losses",
            "loss (of initial stake)",
            Unit::Percent,
        ),
        k(
            "p_negative_return",
            None,
            "probability of a negative net return",
            "P(net return < 0)",
            Unit::Percent,
        ),
        k(
            "p_any_loss",
            None,
            "probability of any slashing loss",
            "P(loss > 0)",
            Unit::Percent,
        ),
        k(
            "tvl_usd_mean",
            None,
            "mean final TVL",
            "TVL (USD)",
            Unit::Usd,
        ),
        k(
            "slash_events_mean",
            None,
            "mean slashing events per path",
            "events",
            Unit::Amount,
        ),
    ]
}

/// Every chart of a sweep table.
pub fn charts(table: &CsvTable, path: &Path) -> Result<Vec<Chart>, ReportError> {
    let params = table
        .column("paths")
        .ok_or_else(|| ReportError::Malformed {
            path: path.to_path_buf(),
            message: "no `paths` column: the swept parameters come before it".into(),
        })?;
    if params == 0 || table.rows.is_empty() {
        return Ok(Vec::new());
    }
    let sweep = Sweep::new(table, params);
    let mut charts = vec![sweep.results_chart(table)];
    let protocols: Vec<&str> = table
        .header
        .iter()
        .filter_map(|h| h.strip_suffix(".apr_mean"))
        .collect();
    for (suffix, stem, title, axis, unit) in [
        (
            "apr_mean",
            "sweep_apr",
            "Mean APR per protocol",
            "APR (per year)",
            Unit::Percent,
        ),
        (
            "tvl_native_mean",
            "sweep_tvl",
            "Mean final TVL per protocol",
            "TVL (native units)",
            Unit::Amount,
        ),
    ] {
        let panels: Vec<LinePanel> = protocols
            .iter()
            .filter_map(|p| {
                let col = table.column(&format!("{p}.{suffix}"))?;
                Some(sweep.panel(table, p, Axis::new(axis, unit.clone()), col, None))
            })
            .collect();
        if !panels.is_empty() {
            charts.push(Chart {
                stem: stem.into(),
                title: format!("{title} against {}", sweep.x_key),
                caption: format!("{title} at each value of {}.", sweep.x_key),
                legend: sweep.legend(),
                figure: Figure::Lines(panels),
            });
        }
    }
    if params == 2 {
        for (column, stem, caption, unit) in [
            (
                "net_return_mean",
                "sweep_heatmap_net_return",
                "mean net return",
                Unit::Percent,
            ),
            (
                "p_negative_return",
                "sweep_heatmap_p_negative_return",
                "probability of a negative net return",
                Unit::Percent,
            ),
        ] {
            if let Some(c) = table.column(column) {
                charts.push(sweep.heatmap(table, c, stem, caption, unit));
            }
        }
    }
    Ok(charts)
}

/// A sweep table's layout: the first parameter on the x axis, one series
/// per combination of the others.
struct Sweep {
    x_key: String,
    x_unit: Unit,
    /// x position of each row.
    x: Vec<f64>,
    /// Series index of each row.
    series_of_row: Vec<usize>,
    /// Series labels.
    labels: Vec<String>,
    params: usize,
}

impl Sweep {
    fn new(table: &CsvTable, params: usize) -> Sweep {
        let first: Vec<&str> = table.rows.iter().map(|r| r[0].as_str()).collect();
        let numeric: Option<Vec<f64>> = first.iter().map(|v| v.parse::<f64>().ok()).collect();
        let (x, x_unit) = match numeric {
            Some(x) if x.iter().all(|v| v.is_finite()) => (x, Unit::Plain),
            _ => {
                let names = distinct(first.iter().map(|s| s.to_string()));
                let x = first
                    .iter()
                    .map(|v| names.iter().position(|n| n == v).unwrap_or(0) as f64)
                    .collect();
                (x, Unit::Categories(names))
            }
        };
        let rest = |r: &Vec<String>| {
            (1..params)
                .map(|c| format!("{}={}", short_key(&table.header[c]), r[c]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let labels = distinct(table.rows.iter().map(rest));
        let series_of_row = table
            .rows
            .iter()
            .map(|r| labels.iter().position(|l| *l == rest(r)).unwrap_or(0))
            .collect();
        Sweep {
            x_key: table.header[0].clone(),
            x_unit,
            x,
            series_of_row,
            labels,
            params,
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        if self.params == 1 {
            return vec![LegendItem::new(
                Swatch::Line(colour(0)),
                "mean across paths",
            )];
        }
        self.labels
            .iter()
            .enumerate()
            .map(|(i, l)| LegendItem::new(Swatch::Line(colour(i)), l.clone()))
            .collect()
    }

    /// One panel: column `col` (and its band) against the first parameter.
    fn panel(
        &self,
        table: &CsvTable,
        caption: &str,
        y: Axis,
        col: usize,
        band: Option<(usize, usize)>,
    ) -> LinePanel {
        let values = table.numbers(col);
        let bands = band.map(|(lo, hi)| (table.numbers(lo), table.numbers(hi)));
        let series = (0..self.labels.len())
            .map(|s| {
                let rows: Vec<usize> = (0..table.rows.len())
                    .filter(|&r| self.series_of_row[r] == s)
                    .collect();
                let mut order = rows.clone();
                order.sort_by(|&a, &b| self.x[a].total_cmp(&self.x[b]));
                Line {
                    label: self.labels[s].clone(),
                    points: order.iter().map(|&r| (self.x[r], values[r])).collect(),
                    band: bands
                        .as_ref()
                        .map(|(lo, hi)| order.iter().map(|&r| (self.x[r], lo[r], hi[r])).collect()),
                }
            })
            .collect();
        LinePanel {
            caption: caption.to_string(),
            x: Axis::new(self.x_key.clone(), self.x_unit.clone()),
            y,
            series,
        }
    }

    fn results_chart(&self, table: &CsvTable) -> Chart {
        let panels = key_results()
            .into_iter()
            .filter_map(|k| {
                let col = table.column(k.column)?;
                let band = k
                    .band
                    .and_then(|(lo, hi)| Some((table.column(lo)?, table.column(hi)?)));
                Some(self.panel(table, k.caption, Axis::new(k.axis, k.unit), col, band))
            })
            .collect();
        Chart {
            stem: "sweep_results".into(),
            title: format!("Key results against {}", self.x_key),
            caption: format!(
                "Each key result at each value of {} (common random numbers: every row uses the same paths); the net return with its 5th–95th percentile band across paths.",
                self.x_key
            ),
            legend: self.legend(),
            figure: Figure::Lines(panels),
        }
    }

    fn heatmap(&self, table: &CsvTable, col: usize, stem: &str, caption: &str, z: Unit) -> Chart {
        let xs = distinct(table.rows.iter().map(|r| r[0].clone()));
        let ys = distinct(table.rows.iter().map(|r| r[1].clone()));
        let values = table.numbers(col);
        let cells = table
            .rows
            .iter()
            .zip(values)
            .filter_map(|(r, v)| {
                let i = xs.iter().position(|x| *x == r[0])?;
                let j = ys.iter().position(|y| *y == r[1])?;
                Some((i, j, v))
            })
            .collect();
        let (xk, yk) = (&table.header[0], &table.header[1]);
        Chart {
            stem: stem.into(),
            title: format!("{caption} over {} and {}", short_key(xk), short_key(yk)),
            caption: format!("The {caption} at each combination of {xk} and {yk}."),
            legend: vec![
                LegendItem::new(Swatch::Fill(viridis(0.0), 1.0), "lowest"),
                LegendItem::new(Swatch::Fill(viridis(0.5), 1.0), "middle"),
                LegendItem::new(Swatch::Fill(viridis(1.0), 1.0), "highest (viridis scale)"),
            ],
            figure: Figure::Heatmap(HeatmapPanel {
                caption: caption.to_string(),
                x: Axis::new(xk.clone(), Unit::Categories(xs)),
                y: Axis::new(yk.clone(), Unit::Categories(ys)),
                z,
                cells,
            }),
        }
    }
}

/// The values in order of first appearance, each once.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The last two segments of a key path: `protocol.babylon.apr.value` →
/// `apr.value`.
fn short_key(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}
