//! `run`: simulate scenarios and write one run folder each.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::format::{percent, thousands, usd};
use crate::cli::{ChartFormat, RunArgs};
use crate::engine::{Collected, PathRange, simulate};
use crate::export::csv_files::{events_csv, paths_csv, rows_to_csv};
use crate::export::{Manifest, RunFolder};
use crate::scenario::{self, LoadedScenario, Override};
use crate::stats::tables::{SummaryRow, summary_rows, timeseries_rows, yield_rows};

/// Files every run folder holds.
pub const OUTPUT_FILES: [&str; 6] = [
    "timeseries.csv",
    "paths.csv",
    "summary.csv",
    "yields.csv",
    "events.csv",
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
}

/// Runs every scenario given; invalid ones are reported and skipped.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let mut overrides = super::overrides(&args.scenario)?;
    if let Some(paths) = args.paths {
        overrides.push(Override {
            path: "run.paths".into(),
            value: toml::Value::Integer(i64::from(paths)),
        });
    }
    if let Some(seed) = args.seed {
        let seed = i64::try_from(seed).map_err(|_| {
            super::InvalidArgument(format!("--seed must be below 2^63, found {seed}"))
        })?;
        overrides.push(Override {
            path: "run.seed".into(),
            value: toml::Value::Integer(seed),
        });
    }
    let files = super::expand_scenario_paths(&args.scenarios)?;
    let threads = args.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    let mut failures = 0;
    let mut invalid = false;
    for file in &files {
        let loaded = match scenario::load(file, &overrides) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                invalid |= matches!(e, scenario::ScenarioError::Invalid { .. });
                failures += 1;
                continue;
            }
        };
        let folder = match (&args.out, files.len()) {
            (Some(out), 1) => out.clone(),
            (Some(out), _) => out.join(&loaded.model.run.name),
            (None, _) => Path::new("output").join(&loaded.model.run.name),
        };
        let progress = progress_bar(args.quiet, &loaded);
        let report = pool.install(|| {
            run_to_folder(&loaded, &folder, pool.current_num_threads(), &|| {
                progress.inc(1)
            })
        });
        progress.finish_and_clear();
        let report = report.and_then(|report| {
            if args.charts {
                super::chart::write_charts(&report.folder, ChartFormat::Png)?;
            }
            Ok(report)
        });
        match report {
            Ok(report) => {
                if args.quiet {
                    println!("{}", report.folder.display());
                } else {
                    print!("{}", one_screen_summary(&loaded, &report));
                }
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", file.display());
                failures += 1;
            }
        }
    }
    if failures > 0 {
        eprintln!("{failures} of {} scenario(s) failed", files.len());
        let code = if invalid && failures == files.len() {
            super::EXIT_INVALID
        } else {
            super::EXIT_FAILURE
        };
        return Ok(ExitCode::from(code));
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(quiet: bool, loaded: &LoadedScenario) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::from(loaded.model.run.paths));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:.bold} [{bar:40}] {pos}/{len} paths, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(loaded.model.run.name.clone());
    bar
}

/// Simulates a loaded scenario and writes its run folder (all or nothing).
pub fn run_to_folder(
    loaded: &LoadedScenario,
    folder: &Path,
    threads: usize,
    on_path_done: &(dyn Fn() + Sync),
) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let model = &loaded.model;
    let range = PathRange {
        first: 0,
        count: model.run.paths,
    };
    let collected: Collected = simulate(model, range, on_path_done);
    let simulation_seconds = started.elapsed().as_secs_f64();
    let out = RunFolder::create(folder)
        .with_context(|| format!("cannot create run folder {}", folder.display()))?;
    let summary = summary_rows(model, &collected.rows);
    out.write(
        "timeseries.csv",
        &rows_to_csv("timeseries.csv", &timeseries_rows(&collected))?,
    )?;
    out.write("paths.csv", &paths_csv(model, &collected.rows)?)?;
    out.write("summary.csv", &rows_to_csv("summary.csv", &summary)?)?;
    out.write(
        "yields.csv",
        &rows_to_csv("yields.csv", &yield_rows(model, &collected.staker_apr))?,
    )?;
    out.write("events.csv", &events_csv(model, &collected)?)?;
    let wall = started.elapsed().as_secs_f64();
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
        outputs: OUTPUT_FILES.iter().map(|s| s.to_string()).collect(),
    };
    out.write("manifest.json", &manifest.to_json()?)?;
    let folder = out.commit()?;
    Ok(RunReport {
        folder,
        manifest,
        summary,
    })
}

/// The end-of-run summary printed to the terminal.
pub fn one_screen_summary(loaded: &LoadedScenario, report: &RunReport) -> String {
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
    s.push_str(&format!(
        "  {:<24} {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n",
        "entity", "figure", "mean", "p05", "p50", "p95", "CVaR99", "P(loss)"
    ));
    for r in &report.summary {
        if r.kind == "protocol" {
            continue;
        }
        s.push_str(&format!(
            "  {:<24} {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n",
            r.entity,
            r.metric,
            percent(r.mean),
            percent(r.p05),
            percent(r.p50),
            percent(r.p95),
            percent(r.cvar99),
            percent(r.p_loss)
        ));
    }
    let _ = usd;
    let _ = loaded;
    s
}
