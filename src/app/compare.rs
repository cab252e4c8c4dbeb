//! Running variants of one scenario side by side (sweep points, stresses)
//! with common random numbers: every variant keeps the seed and paths, so
//! path i draws the same numbers in each and differences between rows come
//! from the parameters, not from noise.

use std::path::{Path, PathBuf};

use super::run::{Execution, execute, progress_bar, write_run};
use crate::export::RunFolder;
pub use crate::export::csv_files::records_to_csv;
use crate::report::ImageFormats;
use crate::scenario::LoadedScenario;
use crate::stats::tables::{
    KeyResults, PATH_MEANS, key_result_columns, path_figures, protocol_means,
};
use crate::stats::uncertainty::paired_standard_error;

/// One variant's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantResult {
    /// Key results.
    pub key: KeyResults,
    /// Per [`PATH_MEANS`] figure, its per-path values, for the standard
    /// errors of paired differences.
    pub figures: Vec<Vec<f64>>,
    /// Per protocol: (mean final TVL native, mean final APR).
    pub protocols: Vec<(f64, f64)>,
}

/// Runs every variant in order on `pool` (paths in parallel within each),
/// keeping each full run folder under `keep_under/<name>` when given (with
/// its charts when `charts` says in which formats).
pub fn run_variants(
    variants: &[(String, LoadedScenario)],
    pool: &rayon::ThreadPool,
    quiet: bool,
    keep_under: Option<&Path>,
    charts: Option<ImageFormats>,
) -> anyhow::Result<Vec<VariantResult>> {
    let total: u64 = variants
        .iter()
        .map(|(_, l)| u64::from(l.model.run.paths))
        .sum();
    let progress = progress_bar(quiet, total, "variants");
    let mut out = Vec::with_capacity(variants.len());
    for (name, loaded) in variants {
        progress.set_prefix(name.clone());
        let execution: Execution = pool.install(|| execute(loaded, &|| progress.inc(1)))?;
        let result = VariantResult {
            key: execution.key.clone(),
            figures: path_figures(&execution.collected.rows),
            protocols: protocol_means(&execution.collected.rows, loaded.model.protocols.len()),
        };
        if let Some(dir) = keep_under {
            write_run(
                loaded,
                execution,
                &dir.join(name),
                pool.current_num_threads(),
                charts,
            )?;
        }
        out.push(result);
    }
    progress.finish_and_clear();
    Ok(out)
}

/// Header cells for the key results and per-protocol means.
pub fn result_header(protocols: &[String]) -> Vec<String> {
    let mut h: Vec<String> = key_result_columns().map(str::to_string).collect();
    for p in protocols {
        h.push(format!("{p}.tvl_native_mean"));
        h.push(format!("{p}.apr_mean"));
    }
    h
}

/// A number as a CSV cell: empty when NaN (a figure the paths cannot
/// support).
pub fn number_cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        x.to_string()
    }
}

/// Cells for a result, matching [`result_header`].
pub fn result_cells(r: &VariantResult) -> Vec<String> {
    result_cells_of(&r.key.values(), &r.protocols)
}

/// Cells for key result values (in [`key_result_columns`] order) and
/// per-protocol means, matching [`result_header`]: what [`result_cells`]
/// writes, from the values alone.
pub fn result_cells_of(key: &[f64], protocols: &[(f64, f64)]) -> Vec<String> {
    let mut cells: Vec<String> = key.iter().copied().map(number_cell).collect();
    for (tvl, apr) in protocols {
        cells.push(tvl.to_string());
        cells.push(apr.to_string());
    }
    cells
}

/// The folder of a comparison: `--out` or `output/<scenario name>-<kind>`.
pub fn comparison_folder(out: Option<&PathBuf>, loaded: &LoadedScenario, kind: &str) -> PathBuf {
    out.cloned()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-{kind}", loaded.model.run.name)))
}

/// Creates the comparison folder (written atomically, like a run folder).
pub fn create_folder(folder: &Path) -> anyhow::Result<RunFolder> {
    RunFolder::create(folder).map_err(anyhow::Error::from)
}

/// Header cells of the changes from the baseline: `change_<key result>` for
/// every key result, each path mean followed by `change_<key result>_se`,
/// the standard error of the paired difference.
pub fn change_header() -> Vec<String> {
    let mut h = Vec::new();
    for c in key_result_columns() {
        h.push(format!("change_{c}"));
        if PATH_MEANS.iter().any(|m| m.column == c) {
            h.push(format!("change_{c}_se"));
        }
    }
    h
}

/// The standard error of the change of a path-mean key result (see
/// [`PATH_MEANS`]) from `baseline` to `r`; `None` for other key results.
pub fn change_se(r: &VariantResult, baseline: &VariantResult, column: &str) -> Option<f64> {
    let i = PATH_MEANS.iter().position(|m| m.column == column)?;
    Some(paired_standard_error(&r.figures[i], &baseline.figures[i]))
}

/// Cells of the changes of `r` from `baseline`, matching [`change_header`].
pub fn change_cells(r: &VariantResult, baseline: &VariantResult) -> Vec<String> {
    change_cells_of(
        (&r.key.values(), &r.figures),
        (&baseline.key.values(), &baseline.figures),
    )
}

/// [`change_cells`] from the values alone: each side's key result values
/// (in [`key_result_columns`] order) and per-path figures (per
/// [`PATH_MEANS`] figure, in path order).
pub fn change_cells_of(r: (&[f64], &[Vec<f64>]), baseline: (&[f64], &[Vec<f64>])) -> Vec<String> {
    let mut cells = Vec::new();
    for ((c, v), b) in key_result_columns().zip(r.0).zip(baseline.0) {
        cells.push(number_cell(v - b));
        if let Some(i) = PATH_MEANS.iter().position(|m| m.column == c) {
            cells.push(number_cell(paired_standard_error(&r.1[i], &baseline.1[i])));
        }
    }
    cells
}
