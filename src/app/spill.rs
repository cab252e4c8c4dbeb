//! Runs whose per-path results are kept on disk: `merge` reads them from
//! the shard folders it is given, and `run` writes them to a scratch folder
//! beside its output when they would not fit in `run.memory_limit_gib`.
//! Either way the outputs are computed a series, a figure or a row at a
//! time, so memory stays flat as paths grow, and the bytes are those of a
//! run held in memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::run::{Execution, simulate_checked};
use super::workload::bytes;
use crate::export::columns::ColumnWriter;
use crate::export::csv_files::PathsCsv;
use crate::export::scratch::Scratch;
use crate::export::shard::write_shard_files;
use crate::export::shard_files::{ShardFiles, encoded_row_bytes};
use crate::export::{ExportError, RunFolder};
use crate::model::Model;
use crate::results::{Collected, PathRange, join_rest, series_count};
use crate::scenario::{LoadedScenario, path_bytes, state_bytes};
use crate::stats::tables::{
    KeyResults, PathMeans, SummaryRow, TimeseriesRow, key_results_of, summary_figures,
    summary_from_columns, timeseries_from_values,
};

/// A run's per-path results on disk, with the scratch folder (if any) that
/// holds them and the summary's columns.
#[derive(Debug)]
pub struct Spilled {
    files: ShardFiles,
    scratch: Scratch,
}

/// The part of a spilled run's memory that is not per path: the share of
/// `run.memory_limit_gib` a chunk of paths may take.
const CHUNK_SHARE: f64 = 0.5;

/// Paths simulated at once when a run on `threads` threads does not fit
/// in its memory limit with every path's results held (so it spills), or
/// `None` when it fits.
pub fn spill_chunk(model: &Model, threads: usize) -> Option<u32> {
    let limit = model.run.memory_limit_gib * f64::from(1u32 << 30);
    let state = state_bytes(model, threads);
    let per_path = path_bytes(model).max(1.0);
    if state + per_path * f64::from(model.run.paths) <= limit {
        return None;
    }
    let chunk = ((limit - state).max(0.0) * CHUNK_SHARE / per_path).floor();
    Some((chunk as u32).clamp(1, model.run.paths))
}

/// Disk a spilled run of `model` takes per path, bytes: its recorded
/// values, its encoded row and its summary figures' columns.
pub fn disk_bytes_per_path(model: &Model) -> usize {
    let cells = model.run.recorded_steps().len() * series_count(model);
    cells * 4 + encoded_row_bytes(model) + summary_figures(model).len() * 8
}

/// The note `run` prints when it spills.
pub fn spill_note(model: &Model, chunk: u32) -> String {
    let paths = f64::from(model.run.paths);
    let disk = disk_bytes_per_path(model);
    format!(
        "{}: the results of {} paths (about {}) exceed run.memory_limit_gib = {}: kept on disk beside the output while summarised, {chunk} paths simulated at a time ({} KiB per path on disk, {} in all, deleted at the end)",
        model.run.name,
        model.run.paths,
        bytes(path_bytes(model) * paths),
        model.run.memory_limit_gib,
        disk.div_ceil(1024),
        bytes(disk as f64 * paths),
    )
}

impl Spilled {
    /// The shard folders `parts` (with the paths each holds, in path order),
    /// with `scratch` for the summary's columns.
    pub fn new(
        parts: impl IntoIterator<Item = (PathBuf, PathRange)>,
        model: &Model,
        scratch: Scratch,
    ) -> Result<Spilled, ExportError> {
        Ok(Spilled {
            files: ShardFiles::open(parts, model)?,
            scratch,
        })
    }

    /// The summary and key results, from one pass over the rows that
    /// writes each figure's column to the scratch folder.
    pub fn summarize(&self, model: &Model) -> Result<(Vec<SummaryRow>, KeyResults), ExportError> {
        let figures = summary_figures(model);
        let path = self.scratch.path().join("summary-columns.f64");
        let mut columns = ColumnWriter::create(&path, figures.len(), self.files.paths())?;
        let mut means = PathMeans::default();
        self.files.for_each_row(model, |row| {
            means.add(&row);
            columns.push(figures.iter().map(|f| (f.value)(&row)))
        })?;
        let columns = columns.finish()?;
        let summary = summary_from_columns(&figures, |i| columns.column(i))?;
        let key = key_results_of(&means, &summary);
        Ok((summary, key))
    }

    /// The time-series rows, a series at a recorded point at a time.
    pub fn timeseries(&self, rest: &Collected) -> Result<Vec<TimeseriesRow>, ExportError> {
        let series = rest.series.len();
        let rows = timeseries_from_values(&rest.series, &rest.recorded_days, |point, s| {
            self.files.values(point * series + s)
        })?;
        Ok(rows)
    }

    /// Writes `paths.csv` into `out`, a row at a time.
    pub fn write_paths(&self, model: &Model, out: &RunFolder) -> Result<(), ExportError> {
        out.write_streamed("paths.csv", |w| {
            let mut csv = PathsCsv::new(w, model)?;
            self.files.for_each_row(model, |row| csv.row(&row))?;
            csv.finish()
        })
    }
}

/// Simulates every path of `loaded` in chunks of `chunk` paths, each kept
/// in a scratch folder beside the output `folder`, and summarises them
/// from there.
pub fn execute_spilled(
    loaded: &LoadedScenario,
    folder: &Path,
    chunk: u32,
    on_path_done: &(dyn Fn() + Sync),
) -> anyhow::Result<Execution> {
    let started = Instant::now();
    let model = &loaded.model;
    let scratch = Scratch::beside(folder)?;
    let mut parts = Vec::new();
    let mut rests = Vec::new();
    let mut first = 0;
    while first < model.run.paths {
        let range = PathRange {
            first,
            count: chunk.min(model.run.paths - first),
        };
        let mut collected = simulate_checked(loaded, range, on_path_done)?;
        let dir = scratch.path().join(format!("paths-{}", range.first));
        write_shard_files(&dir, &collected)?;
        collected.values = Vec::new();
        collected.rows = Vec::new();
        parts.push((dir, range));
        rests.push(collected);
        first = range.end();
    }
    let simulation_seconds = started.elapsed().as_secs_f64();
    let total = PathRange {
        first: 0,
        count: model.run.paths,
    };
    let rest = join_rest(model, total, rests)?;
    let spilled = Spilled::new(parts, model, scratch)?;
    finish_spilled(loaded, rest, spilled, started, simulation_seconds, None)
}

/// The summary and key results of a run whose per-path results are on
/// disk (`spilled`) and the rest of what it collected in `rest`.
pub fn finish_spilled(
    loaded: &LoadedScenario,
    rest: Collected,
    spilled: Spilled,
    started: Instant,
    simulation_seconds: f64,
    merged_shards: Option<u32>,
) -> anyhow::Result<Execution> {
    let (summary, key) = spilled.summarize(&loaded.model)?;
    Ok(Execution {
        collected: rest,
        summary,
        key,
        started,
        simulation_seconds,
        merged_shards,
        precision: None,
        spilled: Some(Arc::new(spilled)),
    })
}
