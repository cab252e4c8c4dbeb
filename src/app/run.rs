//! `run`: simulate scenarios and write one run folder each.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::format::{percent, thousands};
use super::precision::{PrecisionOutcome, PrecisionTarget, execute_until};
use super::spill::{Spilled, execute_spilled, spill_chunk, spill_note};
use super::workload::Workload;
use crate::cli::{ChartFormat, RunArgs, SimulationArgs};
use crate::engine::simulate;
use crate::export::csv_files::{PathsCsv, events_csv, exits_csv, liquidations_csv, rows_to_csv};
use crate::export::{Manifest, RunFolder};
use crate::report::ImageFormats;
use crate::results::{Collected, PathRange};
use crate::scenario::{self, LoadedScenario, Override};
use crate::stats::exits::exit_rows;
use crate::stats::tables::{
    KeyResults, SummaryRow, key_result_columns, key_results, summary_rows, timeseries_rows,
    yield_rows,
};

/// Files every run folder holds.
pub const OUTPUT_FILES: [&str; 7] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
    "exits.csv",
    "manifest.json",
];

/// What a finished run reports back.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run folder.
    pub folder: PathBuf,
    /// The manifest written.
    pub manifest: Manifest,
    /// The summary table.
    pub summary: Vec<SummaryRow>,
    /// Key results for comparisons.
    pub key: KeyResults,
}

/// Runs every scenario given; invalid ones are reported and skipped. With
/// more than one scenario, `batch.csv` sums them up beside their folders.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(spec) = &args.shard {
        return super::merge::run_shard(args, spec);
    }
    let sim = &args.sim;
    let charts = sim
        .charts
        .then(|| super::chart::image_formats(ChartFormat::Png));
    let overrides = simulation_overrides(sim)?;
    let precision = args
        .until_se
        .as_deref()
        .map(|spec| PrecisionTarget::parse(spec, args.max_paths))
        .transpose()?;
    let files = super::expand_scenario_paths(&args.scenarios)?;
    let pool = super::worker_pool(sim.threads)?;
    let batch = files.len() > 1;
    let parent = sim.out.clone().unwrap_or_else(|| PathBuf::from("output"));
    let mut rows = Vec::new();
    let mut loaded = Vec::new();
    let mut invalid = 0;
    for file in &files {
        match scenario::load(file, &overrides) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                eprintln!("error: {e}");
                invalid += 1;
                let sha256 = scenario::file_sha256(file).unwrap_or_default();
                rows.push(BatchRow::failed(file, &sha256, "invalid", &e.to_string()));
            }
        }
    }
    if batch {
        let (kept, clashing) = without_name_clashes(loaded);
        loaded = kept;
        for (l, first) in clashing {
            let e = format!(
                "run.name \"{}\" is also the name of {}: both would write {}; give one another run.name",
                l.model.run.name,
                first.display(),
                parent.join(&l.model.run.name).display()
            );
            eprintln!("error: {}: {e}", l.path.display());
            invalid += 1;
            rows.push(BatchRow::failed(&l.path, &l.sha256, "invalid", &e));
        }
    }
    let total_paths: u64 = loaded.iter().map(|l| u64::from(l.model.run.paths)).sum();
    let progress = progress_bar(sim.quiet, total_paths, if batch { "batch" } else { "run" });
    let mut failed = 0;
    for l in &loaded {
        if l.file.sweep.is_some() && !sim.quiet {
            progress.suspend(|| {
                eprintln!(
                    "note: {} has a [sweep] table; `run` runs the scenario as written, `restake-sim sweep` runs the grid",
                    l.path.display()
                )
            });
        }
        let folder = match (&sim.out, batch) {
            (Some(out), false) => out.clone(),
            _ => parent.join(&l.model.run.name),
        };
        progress.set_prefix(l.model.run.name.clone());
        let report = crate::export::claim(&folder)
            .map_err(anyhow::Error::from)
            .and_then(|_claim| {
                if !sim.quiet {
                    let work =
                        pool.install(|| Workload::measure(&l.model, pool.current_num_threads()));
                    progress.suspend(|| eprintln!("{}: {}", l.model.run.name, work.describe()));
                }
                pool.install(|| {
                    let threads = pool.current_num_threads();
                    let execution = match (&precision, spill_chunk(&l.model, threads)) {
                        (None, None) => execute(l, &|| progress.inc(1))?,
                        (None, Some(chunk)) => {
                            if !sim.quiet {
                                progress.suspend(|| eprintln!("{}", spill_note(&l.model, chunk)));
                            }
                            execute_spilled(l, &folder, chunk, &|| progress.inc(1))?
                        }
                        (Some(target), _) => until_se(l, target, &progress)?,
                    };
                    write_run(l, execution, &folder, pool.current_num_threads(), charts)
                })
            });
        match report {
            Ok(report) => {
                progress.suspend(|| {
                    if sim.quiet {
                        crate::sayln!("{}", report.folder.display());
                    } else {
                        crate::say!("{}", one_screen_summary(&report));
                    }
                });
                rows.push(BatchRow::ok(l, &report));
            }
            Err(e) => {
                progress.suspend(|| eprintln!("error: {}: {e:#}", l.path.display()));
                failed += 1;
                rows.push(BatchRow::failed(
                    &l.path,
                    &l.sha256,
                    "failed",
                    &format!("{e:#}"),
                ));
            }
        }
    }
    progress.finish_and_clear();
    if batch {
        let path = write_batch_csv(&parent, &files, rows)?;
        if !sim.quiet {
            crate::sayln!("batch summary → {}", path.display());
        }
    }
    if invalid + failed > 0 {
        eprintln!("{} of {} scenario(s) failed", invalid + failed, files.len());
        let code = if failed == 0 && loaded.is_empty() {
            super::EXIT_INVALID
        } else {
            super::EXIT_FAILURE
        };
        return Ok(ExitCode::from(code));
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--set` overrides of a simulating command, plus `--paths` and `--seed`.
pub fn simulation_overrides(sim: &SimulationArgs) -> anyhow::Result<Vec<Override>> {
    let mut overrides = super::overrides(&sim.scenario)?;
    if let Some(paths) = sim.paths {
        overrides.push(
            Override::set("run.paths", toml::Value::Integer(i64::from(paths)))
                .named(format!("--paths {paths}")),
        );
    }
    if let Some(seed) = sim.seed {
        let seed = i64::try_from(seed).map_err(|_| {
            super::InvalidArgument(format!("--seed must be below 2^63, found {seed}"))
        })?;
        overrides.push(
            Override::set("run.seed", toml::Value::Integer(seed)).named(format!("--seed {seed}")),
        );
    }
    Ok(overrides)
}

/// Splits a batch's scenarios into those that run and those whose
/// `run.name` an earlier file already has (their folders would overwrite
/// each other), each with the earlier file.
fn without_name_clashes(
    loaded: Vec<LoadedScenario>,
) -> (Vec<LoadedScenario>, Vec<(LoadedScenario, PathBuf)>) {
    let mut seen: std::collections::BTreeMap<String, PathBuf> = Default::default();
    let mut kept = Vec::new();
    let mut clashing = Vec::new();
    for l in loaded {
        match seen.get(&l.model.run.name) {
            Some(first) => {
                let first = first.clone();
                clashing.push((l, first));
            }
            None => {
                seen.insert(l.model.run.name.clone(), l.path.clone());
                kept.push(l);
            }
        }
    }
    (kept, clashing)
}

/// One row of `batch.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    /// Scenario name (the file stem when it could not be read).
    pub name: String,
    /// Scenario file.
    pub scenario_file: String,
    /// SHA-256 of the file (empty when it could not be read).
    pub scenario_sha256: String,
    /// `ok`, `invalid` or `failed`.
    pub status: String,
    /// The error, when not ok.
    pub error: String,
    /// Paths run.
    pub paths: Option<u32>,
    /// Key results.
    pub key: Option<KeyResults>,
    /// Wall time, seconds.
    pub wall_time_seconds: Option<f64>,
}

impl BatchRow {
    fn ok(l: &LoadedScenario, report: &RunReport) -> BatchRow {
        BatchRow {
            name: l.model.run.name.clone(),
            scenario_file: l.path.display().to_string(),
            scenario_sha256: l.sha256.clone(),
            status: "ok".into(),
            error: String::new(),
            paths: Some(report.manifest.paths),
            key: Some(report.key.clone()),
            wall_time_seconds: Some(report.manifest.wall_time_seconds),
        }
    }

    fn failed(file: &Path, sha256: &str, status: &str, error: &str) -> BatchRow {
        BatchRow {
            name: file
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            scenario_file: file.display().to_string(),
            scenario_sha256: sha256.into(),
            status: status.into(),
            error: error.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            paths: None,
            key: None,
            wall_time_seconds: None,
        }
    }
}

/// Writes `batch.csv` into `parent`, rows in the order the files were given.
fn write_batch_csv(
    parent: &Path,
    files: &[PathBuf],
    mut rows: Vec<BatchRow>,
) -> anyhow::Result<PathBuf> {
    let order = |r: &BatchRow| {
        files
            .iter()
            .position(|f| f.display().to_string() == r.scenario_file)
    };
    rows.sort_by_key(order);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(
        [
            "name",
            "scenario_file",
            "scenario_sha256",
            "status",
            "error",
            "paths",
        ]
        .iter()
        .copied()
        .chain(key_result_columns())
        .chain(["wall_time_seconds"]),
    )?;
    for r in &rows {
        let mut rec = vec![
            r.name.clone(),
            r.scenario_file.clone(),
            r.scenario_sha256.clone(),
            r.status.clone(),
            r.error.clone(),
            r.paths.map_or_else(String::new, |p| p.to_string()),
        ];
        match &r.key {
            Some(k) => rec.extend(k.values().into_iter().map(super::compare::number_cell)),
            None => rec.extend(key_result_columns().map(|_| String::new())),
        }
        rec.push(
            r.wall_time_seconds
                .map_or_else(String::new, |t| format!("{t:.3}")),
        );
        w.write_record(&rec)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let path = parent.join("batch.csv");
    let staging = parent.join(".batch.csv.partial");
    std::fs::write(&staging, bytes)
        .with_context(|| format!("cannot write {}", staging.display()))?;
    std::fs::rename(&staging, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A progress bar over `total` paths, hidden when quiet or when standard
/// error is not a terminal.
pub fn progress_bar(quiet: bool, total: u64, prefix: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:.bold} [{bar:40}] {pos}/{len} paths, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar
}

/// A simulated scenario and its tables, not yet written.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Everything the paths produced.
    pub collected: Collected,
    /// The summary table.
    pub summary: Vec<SummaryRow>,
    /// Key results for comparisons.
    pub key: KeyResults,
    /// When the run started.
    pub started: Instant,
    /// Wall time of the simulation alone, seconds.
    pub simulation_seconds: f64,
    /// Shards the results were merged from (`None` for a whole run).
    pub merged_shards: Option<u32>,
    /// How `--until-se` ended (`None` without it).
    pub precision: Option<PrecisionOutcome>,
    /// Where the per-path results are when kept on disk (then `collected`
    /// holds neither values nor rows).
    pub spilled: Option<Arc<Spilled>>,
}

/// Simulates a loaded scenario in batches until `target` is met (see
/// [`execute_until`]), telling the progress bar of each batch and the
/// terminal how it ended.
fn until_se(
    loaded: &LoadedScenario,
    target: &PrecisionTarget,
    progress: &ProgressBar,
) -> anyhow::Result<Execution> {
    // The bar counted the scenario's paths; each batch beyond adds its own.
    let counted = std::cell::Cell::new(loaded.model.run.paths);
    let on_batch = |total: u32| {
        progress.inc_length(u64::from(total.saturating_sub(counted.get())));
        counted.set(counted.get().max(total));
    };
    let (execution, outcome) = execute_until(loaded, target, &|| progress.inc(1), &on_batch)?;
    progress.suspend(|| eprintln!("{}: {}", loaded.model.run.name, outcome.describe()));
    Ok(Execution {
        precision: Some(outcome),
        ..execution
    })
}

/// Simulates every path of a loaded scenario on the current rayon pool; an
/// error when a path ended with a non-finite or negative stake, a non-finite
/// result or broken bookkeeping.
pub fn execute(
    loaded: &LoadedScenario,
    on_path_done: &(dyn Fn() + Sync),
) -> anyhow::Result<Execution> {
    let started = Instant::now();
    let range = PathRange {
        first: 0,
        count: loaded.model.run.paths,
    };
    let collected = simulate_checked(loaded, range, on_path_done)?;
    let simulation_seconds = started.elapsed().as_secs_f64();
    Ok(finish(loaded, collected, started, simulation_seconds, None))
}

/// Simulates `range` of a loaded scenario's paths on the current rayon
/// pool; an error when a path produced an unusable result (see [`execute`]).
pub fn simulate_checked(
    loaded: &LoadedScenario,
    range: PathRange,
    on_path_done: &(dyn Fn() + Sync),
) -> anyhow::Result<Collected> {
    let collected = simulate(&loaded.model, range, on_path_done);
    if let Some((path, defect)) = &collected.defect {
        anyhow::bail!(
            "scenario \"{}\": path {path} produced an unusable result ({defect}); its magnitudes are beyond what the simulation represents, no outputs written",
            loaded.model.run.name
        );
    }
    Ok(collected)
}

/// The summary and key results of everything collected for a scenario.
pub fn finish(
    loaded: &LoadedScenario,
    collected: Collected,
    started: Instant,
    simulation_seconds: f64,
    merged_shards: Option<u32>,
) -> Execution {
    let summary = summary_rows(&loaded.model, &collected.rows);
    let key = key_results(&collected.rows, &summary);
    Execution {
        collected,
        summary,
        key,
        started,
        simulation_seconds,
        merged_shards,
        precision: None,
        spilled: None,
    }
}

/// Simulates a loaded scenario and writes its run folder (all or nothing).
pub fn run_to_folder(
    loaded: &LoadedScenario,
    folder: &Path,
    threads: usize,
    on_path_done: &(dyn Fn() + Sync),
) -> anyhow::Result<RunReport> {
    let execution = execute(loaded, on_path_done)?;
    write_run(loaded, execution, folder, threads, None)
}

/// Writes the run folder of an executed scenario (all or nothing), with its
/// charts and report pages when `charts` says in which formats.
pub fn write_run(
    loaded: &LoadedScenario,
    execution: Execution,
    folder: &Path,
    threads: usize,
    charts: Option<ImageFormats>,
) -> anyhow::Result<RunReport> {
    let model = &loaded.model;
    let Execution {
        collected,
        summary,
        key,
        started,
        simulation_seconds,
        merged_shards,
        precision,
        spilled,
    } = execution;
    let out = RunFolder::create(folder).map_err(anyhow::Error::from)?;
    let timeseries = match &spilled {
        Some(spilled) => spilled.timeseries(&collected)?,
        None => timeseries_rows(&collected),
    };
    out.write(
        "timeseries.csv",
        &rows_to_csv("timeseries.csv", &timeseries)?,
    )?;
    drop(timeseries);
    match &spilled {
        Some(spilled) => spilled.write_paths(model, &out)?,
        None => out.write_streamed("paths.csv", |w| {
            let mut csv = PathsCsv::new(w, model)?;
            for row in &collected.rows {
                csv.row(row)?;
            }
            csv.finish()
        })?,
    }
    out.write("summary.csv", &rows_to_csv("summary.csv", &summary)?)?;
    out.write(
        "yields.csv",
        &rows_to_csv("yields.csv", &yield_rows(model, &collected.staker_apr))?,
    )?;
    out.write("events.csv", &events_csv(model, &collected)?)?;
    out.write(
        "exits.csv",
        &exits_csv(&exit_rows(model, &collected.exit_delays))?,
    )?;
    if !model.markets.is_empty() {
        out.write("liquidations.csv", &liquidations_csv(model, &collected)?)?;
    }
    let wall = started.elapsed().as_secs_f64();
    let range = collected.range;
    let agent_steps = model.agent_steps(range.count);
    let manifest = Manifest {
        name: model.run.name.clone(),
        description: model.run.description.clone(),
        scenario_file: loaded.path.display().to_string(),
        scenario_sha256: loaded.sha256.clone(),
        overrides: loaded.overrides.clone(),
        seed: model.run.seed,
        paths: range.count,
        first_path: range.first,
        steps: model.run.steps,
        step_days: model.run.step_days,
        stakers: model.classes.iter().map(|c| u64::from(c.count)).sum(),
        protocols: model.protocols.len(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        threads,
        wall_time_seconds: wall,
        simulation_seconds,
        agent_steps,
        agent_steps_per_second: agent_steps as f64 / wall.max(1e-9),
        events_logged: collected.events.len(),
        events_not_logged: collected.events_dropped,
        bookkeeping_max_relative_error: collected.bookkeeping_error,
        merged_from_shards: merged_shards,
        precision,
        outputs: OUTPUT_FILES
            .iter()
            .copied()
            .chain((!model.markets.is_empty()).then_some("liquidations.csv"))
            .map(str::to_string)
            .collect(),
    };
    out.write("manifest.json", &manifest.to_json()?)?;
    if let Some(formats) = charts {
        super::chart::write_into(&out, formats)?;
    }
    let folder = out.commit()?;
    Ok(RunReport {
        folder,
        manifest,
        summary,
        key,
    })
}

/// Class rows the terminal summary shows before it refers to summary.csv.
const SUMMARY_CLASSES: usize = 20;

/// The end-of-run summary printed to the terminal: one line per staker
/// class and one for the total, so it fits a screen. Net return over the
/// run (mean and its standard error, quantiles across paths, mean of the
/// worst 1 % of paths), the mean net return in USD with price moves, the
/// loss fraction (mean, mean of the worst 1 %), the probability of a
/// negative return and that of any loss.
pub fn one_screen_summary(report: &RunReport) -> String {
    let m = &report.manifest;
    let mut s = format!(
        "{}: {} paths × {} steps × {} stakers in {:.2} s ({} M agent-steps/s, {} threads) → {}\n",
        m.name,
        thousands(f64::from(m.paths), 0),
        m.steps,
        thousands(m.stakers as f64, 0),
        m.wall_time_seconds,
        thousands(m.agent_steps_per_second / 1e6, 1),
        m.threads,
        report.folder.display()
    );
    let line = |cells: &[&str]| {
        let mut l = format!("  {:<20}", cells[0]);
        for cell in &cells[1..] {
            l.push_str(&format!(" {cell:>9}"));
        }
        l.push('\n');
        l
    };
    s.push_str(&line(&[
        "net return",
        "mean",
        "± se",
        "p05",
        "p50",
        "p95",
        "worst 1 %",
        "in USD",
        "loss",
        "worst 1 %",
        "P(ret<0)",
        "P(loss>0)",
    ]));
    let find = |entity: &str, metric: &str| {
        report
            .summary
            .iter()
            .find(|r| r.entity == entity && r.metric == metric)
    };
    let entities: Vec<&str> = report
        .summary
        .iter()
        .filter(|r| r.kind != "protocol" && r.metric == "net_return")
        .map(|r| r.entity.as_str())
        .collect();
    let classes = entities.len().saturating_sub(1);
    for (i, entity) in entities.iter().enumerate() {
        let is_total = i + 1 == entities.len();
        if !is_total && i >= SUMMARY_CLASSES {
            continue;
        }
        if is_total && classes > SUMMARY_CLASSES {
            s.push_str(&format!(
                "  … {} more classes in summary.csv\n",
                classes - SUMMARY_CLASSES
            ));
        }
        let (Some(ret), Some(loss)) = (find(entity, "net_return"), find(entity, "loss_fraction"))
        else {
            continue;
        };
        let usd = find(entity, "net_return_usd").map_or(f64::NAN, |r| r.mean);
        let cells = [
            percent(ret.mean),
            percent(ret.mean_se.unwrap_or(f64::NAN)),
            percent(ret.p05),
            percent(ret.p50),
            percent(ret.p95),
            percent(-ret.cvar99),
            percent(usd),
            percent(loss.mean),
            percent(loss.cvar99),
            percent(ret.probability()),
            percent(loss.probability()),
        ];
        let name: String = entity.chars().take(20).collect();
        let mut row = vec![name.as_str()];
        row.extend(cells.iter().map(String::as_str));
        s.push_str(&line(&row));
    }
    s
}
