//! Reading an output folder back: the time series, summary, yields, per-path
//! results and manifest of a run, or the one table of a sweep or stress
//! test. Only what the charts and pages need; every number as written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ReportError;

/// One row of `timeseries.csv`.
#[derive(Debug, Clone, Deserialize)]
struct TimeseriesRecord {
    day: f64,
    metric: String,
    entity: String,
    mean: f64,
    p05: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
}

/// A quantity's distribution across paths over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fan {
    /// Recorded days.
    pub days: Vec<f64>,
    /// Mean across paths, per recorded day.
    pub mean: Vec<f64>,
    /// 5th percentile across paths, per recorded day.
    pub p05: Vec<f64>,
    /// 25th percentile.
    pub p25: Vec<f64>,
    /// Median.
    pub p50: Vec<f64>,
    /// 75th percentile.
    pub p75: Vec<f64>,
    /// 95th percentile.
    pub p95: Vec<f64>,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SummaryRecord {
    /// Class, protocol or `total`.
    pub entity: String,
    /// `class`, `protocol` or `total`.
    pub kind: String,
    /// The figure summarised.
    pub metric: String,
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
    /// Value at Risk at 95 %.
    pub var95: f64,
    /// Value at Risk at 99 %.
    pub var99: f64,
    /// Expected shortfall at 95 %.
    pub cvar95: f64,
    /// Expected shortfall at 99 %.
    pub cvar99: f64,
    /// Standard error of the mean (empty below two paths).
    pub mean_se: Option<f64>,
    /// Lower confidence bound of VaR99 (empty when the sample cannot say).
    pub var99_lo: Option<f64>,
    /// Upper confidence bound of VaR99.
    pub var99_hi: Option<f64>,
    /// Lower confidence bound of CVaR99.
    pub cvar99_lo: Option<f64>,
    /// Upper confidence bound of CVaR99.
    pub cvar99_hi: Option<f64>,
    /// Value at Risk at 99.9 % (empty below 10,000 paths).
    pub var999: Option<f64>,
    /// Expected shortfall at 99.9 % (empty below 10,000 paths).
    pub cvar999: Option<f64>,
    /// Return figures: probability of a negative return.
    pub p_negative_return: Option<f64>,
    /// Loss figures: probability of any loss.
    pub p_any_loss: Option<f64>,
    /// Standard error of the row's probability.
    pub p_se: f64,
}

impl SummaryRecord {
    /// The row's probability: of a negative return or of any loss.
    pub fn probability(&self) -> f64 {
        self.p_negative_return
            .or(self.p_any_loss)
            .unwrap_or(f64::NAN)
    }
}

/// One row of `yields.csv`.
#[derive(Debug, Clone, Deserialize)]
struct YieldRecord {
    class: String,
    statistic: String,
    lower: Option<f64>,
    upper: Option<f64>,
    value: f64,
}

/// The pooled per-staker net APR distribution of one class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YieldDistribution {
    /// Stakers pooled over paths.
    pub count: f64,
    /// Mean net APR.
    pub mean: f64,
    /// 5th percentile of net APR.
    pub p05: f64,
    /// Histogram bins: lower edge, upper edge, stakers.
    pub bins: Vec<(f64, f64, f64)>,
}

/// A CSV file as a header and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Reads a CSV file with a header line.
    pub fn load(path: &Path) -> Result<CsvTable, ReportError> {
        let bytes = read(path)?;
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header = reader
            .headers()
            .map_err(|e| malformed(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(str::to_string).collect())
                    .map_err(|e| malformed(path, e))
            })
            .collect::<Result<Vec<Vec<String>>, _>>()?;
        Ok(CsvTable { header, rows })
    }

    /// Index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A column's cells as numbers (NaN where a cell is not a number).
    pub fn numbers(&self, column: usize) -> Vec<f64> {
        self.rows
            .iter()
            .map(|r| r[column].parse::<f64>().unwrap_or(f64::NAN))
            .collect()
    }
}

/// What charts and pages need from a run folder.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The folder.
    pub folder: PathBuf,
    /// `manifest.json`, as written.
    pub manifest: serde_json::Map<String, serde_json::Value>,
    /// Protocols, in scenario order.
    pub protocols: Vec<String>,
    /// Staker classes, in scenario order.
    pub classes: Vec<String>,
    /// Assets, in scenario order.
    pub assets: Vec<String>,
    /// `summary.csv`.
    pub summary: Vec<SummaryRecord>,
    /// Time series by (metric, entity).
    pub series: BTreeMap<(String, String), Fan>,
    /// Per-staker net APR distribution by class.
    pub yields: BTreeMap<String, YieldDistribution>,
    /// `paths.csv`.
    pub paths: CsvTable,
}

impl RunData {
    /// Reads a run folder.
    pub fn load(folder: &Path) -> Result<RunData, ReportError> {
        let manifest_path = folder.join("manifest.json");
        let manifest: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&read(&manifest_path)?)
                .map_err(|e| malformed(&manifest_path, e))?;
        let summary: Vec<SummaryRecord> = records(&folder.join("summary.csv"))?;
        let entities_of = |kind: &str| {
            let mut names: Vec<String> = Vec::new();
            for r in summary.iter().filter(|r| r.kind == kind) {
                if !names.contains(&r.entity) {
                    names.push(r.entity.clone());
                }
            }
            names
        };
        let protocols = entities_of("protocol");
        let classes = entities_of("class");
        let mut series: BTreeMap<(String, String), Fan> = BTreeMap::new();
        let mut assets = Vec::new();
        for r in records::<TimeseriesRecord>(&folder.join("timeseries.csv"))? {
            if r.metric == "price_usd" && !assets.contains(&r.entity) {
                assets.push(r.entity.clone());
            }
            let fan = series.entry((r.metric, r.entity)).or_default();
            fan.days.push(r.day);
            fan.mean.push(r.mean);
            fan.p05.push(r.p05);
            fan.p25.push(r.p25);
            fan.p50.push(r.p50);
            fan.p75.push(r.p75);
            fan.p95.push(r.p95);
        }
        let mut yields: BTreeMap<String, YieldDistribution> = BTreeMap::new();
        for r in records::<YieldRecord>(&folder.join("yields.csv"))? {
            let d = yields.entry(r.class).or_default();
            match (r.statistic.as_str(), r.lower, r.upper) {
                ("count", _, _) => d.count = r.value,
                ("mean", _, _) => d.mean = r.value,
                ("p05", _, _) => d.p05 = r.value,
                ("bin", Some(lo), Some(hi)) => d.bins.push((lo, hi, r.value)),
                _ => {}
            }
        }
        Ok(RunData {
            folder: folder.to_path_buf(),
            manifest,
            protocols,
            classes,
            assets,
            summary,
            series,
            yields,
            paths: CsvTable::load(&folder.join("paths.csv"))?,
        })
    }

    /// The time series of `metric` for `entity`, if recorded.
    pub fn fan(&self, metric: &str, entity: &str) -> Option<&Fan> {
        self.series.get(&(metric.to_string(), entity.to_string()))
    }

    /// A summary row.
    pub fn summary_row(&self, entity: &str, metric: &str) -> Option<&SummaryRecord> {
        self.summary
            .iter()
            .find(|r| r.entity == entity && r.metric == metric)
    }

    /// A `paths.csv` column as numbers, one per path.
    pub fn path_column(&self, name: &str) -> Option<Vec<f64>> {
        self.paths.column(name).map(|c| self.paths.numbers(c))
    }

    /// A manifest field as text (strings without quotes).
    pub fn manifest_text(&self, key: &str) -> Option<String> {
        self.manifest.get(key).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ReportError> {
    std::fs::read(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        reason: source,
    })
}

fn malformed(path: &Path, message: impl std::fmt::Display) -> ReportError {
    ReportError::Malformed {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Every row of a CSV file with a header, deserialised.
fn records<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    let bytes = read(path)?;
    csv::Reader::from_reader(bytes.as_slice())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| malformed(path, e))
}
