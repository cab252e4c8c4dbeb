//! Charts and report pages of an output folder.
//!
//! Reads what a run, a sweep or a stress test wrote (CSV files and the
//! manifest), draws the charts ([`chart`]) and lays out a self-contained
//! `report.html` and a `report.md` ([`page`]). Rendering is a pure function
//! of the folder's files: [`render`] returns the files to write and writes
//! nothing itself, so a caller can put them into a staging folder and make
//! them appear all at once.

pub mod chart;
pub mod data;
pub mod findings;
pub mod page;
mod run_charts;
pub mod security_charts;
mod stress_charts;
mod sweep_charts;
pub mod ticks;

use std::path::{Path, PathBuf};

use chart::Chart;
use data::{CsvTable, RunData};

/// Why a folder's charts or report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// A file is not what the tool writes.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line where known.
        message: String,
    },
    /// The folder holds none of the outputs charts are drawn from.
    #[error(
        "{0} is not an output folder: expected manifest.json and timeseries.csv (a run), sweep.csv (a sweep) or stress.csv (a stress test)"
    )]
    NotAnOutputFolder(PathBuf),
    /// The drawing library failed.
    #[error("cannot draw chart {chart}: {message}")]
    Draw {
        /// The chart's file stem.
        chart: String,
        /// What the drawing library said.
        message: String,
    },
}

/// Which image files to write for each chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFormats {
    /// Write `charts/<name>.png`.
    pub png: bool,
    /// Write `charts/<name>.svg`.
    pub svg: bool,
}

/// What kind of output folder a folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// A run folder (`manifest.json`, `timeseries.csv`, …).
    Run,
    /// A sweep folder (`sweep.csv`).
    Sweep,
    /// A stress folder (`stress.csv`).
    Stress,
}

impl FolderKind {
    /// Recognises a folder by the files it holds.
    pub fn detect(folder: &Path) -> Result<FolderKind, ReportError> {
        if folder.join("manifest.json").is_file() && folder.join("timeseries.csv").is_file() {
            Ok(FolderKind::Run)
        } else if folder.join("sweep.csv").is_file() {
            Ok(FolderKind::Sweep)
        } else if folder.join("stress.csv").is_file() {
            Ok(FolderKind::Stress)
        } else {
            Err(ReportError::NotAnOutputFolder(folder.to_path_buf()))
        }
    }
}

/// Files made for a folder, as paths relative to it and their bytes.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Chart images, `charts/<name>.<png|svg>`.
    pub charts: Vec<(String, Vec<u8>)>,
    /// `report.html` and `report.md`.
    pub pages: Vec<(String, Vec<u8>)>,
}

/// Draws every chart of an output folder and lays out its report pages.
pub fn render(folder: &Path, formats: ImageFormats) -> Result<Rendered, ReportError> {
    let kind = FolderKind::detect(folder)?;
    let (charts, mut page) = match kind {
        FolderKind::Run => {
            let data = RunData::load(folder)?;
            (run_charts::charts(&data), page::run_page(&data))
        }
        FolderKind::Sweep => {
            let table = CsvTable::load(&folder.join("sweep.csv"))?;
            let charts = sweep_charts::charts(&table, &folder.join("sweep.csv"))?;
            (charts, page::table_page("Parameter sweep", folder, &table))
        }
        FolderKind::Stress => {
            let table = CsvTable::load(&folder.join("stress.csv"))?;
            let charts = stress_charts::charts(&table, &folder.join("stress.csv"))?;
            (charts, page::table_page("Stress test", folder, &table))
        }
    };
    let mut out = Rendered::default();
    for chart in &charts {
        // The page embeds the PNG whatever the formats asked for.
        let png = chart.png()?;
        if formats.png {
            out.charts
                .push((format!("charts/{}.png", chart.stem), png.clone()));
        }
        if formats.svg {
            out.charts.push((
                format!("charts/{}.svg", chart.stem),
                chart.svg()?.into_bytes(),
            ));
        }
        let link = if formats.png {
            format!("charts/{}.png", chart.stem)
        } else {
            format!("charts/{}.svg", chart.stem)
        };
        page.add_chart(chart, link, &png);
    }
    out.pages
        .push(("report.html".into(), page.html().into_bytes()));
    out.pages
        .push(("report.md".into(), page.markdown().into_bytes()));
    Ok(out)
}

/// A chart that could not be drawn, for [`ReportError::Draw`].
fn draw_error(chart: &Chart, message: impl std::fmt::Display) -> ReportError {
    ReportError::Draw {
        chart: chart.stem.clone(),
        message: message.to_string(),
    }
}
