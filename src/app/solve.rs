//! `solve`: the reverse stress test. Bisects one numeric parameter over a
//! range until a key result crosses a threshold (`crate::solve` decides
//! where to evaluate and what the answer is), every evaluation with the
//! scenario's seed and paths (common random numbers), and writes
//! `solve.csv` and `solution.csv`.

use std::process::ExitCode;

use anyhow::Context;

use super::InvalidArgument;
use super::compare::{comparison_folder, create_folder, number_cell, records_to_csv};
use super::format::significant;
use super::run::{execute, progress_bar, simulation_overrides};
use crate::cli::SolveArgs;
use crate::scenario::{self, LoadedScenario, Override};
use crate::solve::search::brackets;
use crate::solve::{Bisection, Range, Solution, Target};

/// Columns of `solve.csv`, one row per evaluation.
pub const SOLVE_COLUMNS: [&str; 7] = [
    "step",
    "value",
    "result",
    "result_se",
    "met",
    "bracket_lo",
    "bracket_hi",
];

/// Columns of `solution.csv`, one row: the answer.
pub const SOLUTION_COLUMNS: [&str; 26] = [
    "parameter",
    "result",
    "comparison",
    "threshold",
    "value",
    "se",
    "ci95_lo",
    "ci95_hi",
    "bracket_lo",
    "bracket_hi",
    "result_se",
    "se_source",
    "slope",
    "slope_from",
    "slope_to",
    "range_lo",
    "range_hi",
    "tolerance",
    "max_steps",
    "evaluations",
    "stop",
    "monotone",
    "paths",
    "seed",
    "scenario_file",
    "scenario_sha256",
];

/// Runs the reverse stress test and writes its folder.
pub fn solve(args: &SolveArgs) -> anyhow::Result<ExitCode> {
    let target = Target::parse(&args.target)?;
    let range = Range::parse(&args.range)?;
    let mut bisection = Bisection::new(target.clone(), range, args.tolerance, args.max_steps)?;
    if args.sim.charts {
        return Err(InvalidArgument(
            "--charts: solve draws no charts (solve.csv holds every evaluation)".into(),
        )
        .into());
    }
    let key = args.vary.trim();
    if key.is_empty() {
        return Err(InvalidArgument("--vary: expected a key path, found nothing".into()).into());
    }
    let overrides = simulation_overrides(&args.sim)?;
    let base = scenario::load(&args.scenario, &overrides)?;
    // The scenario at one value, always set as a float (so the key must
    // take fractions); an error names the value.
    let at = |x: f64| -> anyhow::Result<LoadedScenario> {
        let mut o: Vec<Override> = overrides.clone();
        o.push(scenario::axis_override(key, &toml::Value::Float(x)));
        scenario::load(&args.scenario, &o)
            .with_context(|| format!("--vary: {key} = {}", toml::Value::Float(x)))
    };
    // Both ends must give valid scenarios before anything is simulated.
    at(range.lo)?;
    at(range.hi)?;
    let pool = super::worker_pool(args.sim.threads)?;
    let folder = create_folder(&comparison_folder(args.sim.out.as_ref(), &base, "solve"))?;
    let paths = u64::from(base.model.run.paths);
    let progress = progress_bar(
        args.sim.quiet,
        bisection.expected_steps() as u64 * paths,
        "solve",
    );
    let searched = (|| -> anyhow::Result<()> {
        while let Some(x) = bisection.next_value() {
            let loaded = at(x)?;
            progress.set_prefix(format!("{key} = {}", significant(x, 6)));
            let execution = pool.install(|| execute(&loaded, &|| progress.inc(1)))?;
            let value = execution.key.get(&target.result).unwrap_or(f64::NAN);
            bisection.record(x, value, target.errors.standard_error(&execution.key))?;
        }
        Ok(())
    })();
    progress.finish_and_clear();
    searched?;
    let solution = crate::solve::solve(&bisection)
        .ok_or_else(|| anyhow::anyhow!("the bisection stopped without an answer"))?;
    folder.write("solve.csv", &solve_csv(&bisection)?)?;
    folder.write(
        "solution.csv",
        &solution_csv(&bisection, &solution, key, &base)?,
    )?;
    let done = folder.commit()?;
    let answer = solution.describe(key, &target.result, target.threshold);
    if !args.sim.quiet {
        crate::say!("{}", table(&bisection, key));
        crate::sayln!(
            "stopped by {} after {} evaluations × {paths} paths",
            solution.stop.name(),
            solution.evaluations
        );
    }
    if !solution.monotone {
        eprintln!(
            "note: {} is not monotone in {key} over the values evaluated: the range may hold more than one crossing, and the answer is one of them",
            target.result
        );
    }
    crate::sayln!("{answer}");
    if args.sim.quiet {
        crate::sayln!("{}", done.display());
    } else {
        crate::sayln!("→ {}", done.join("solution.csv").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// An optional number as a CSV cell (empty when absent or NaN).
fn cell(x: Option<f64>) -> String {
    x.map_or_else(String::new, number_cell)
}

/// `solve.csv`: one row per evaluation, in evaluation order.
fn solve_csv(bisection: &Bisection) -> anyhow::Result<Vec<u8>> {
    let points = bisection.points();
    let rows: Vec<Vec<String>> = points
        .iter()
        .zip(brackets(points))
        .enumerate()
        .map(|(i, (p, bracket))| {
            vec![
                (i + 1).to_string(),
                number_cell(p.x),
                number_cell(p.value),
                cell(p.se),
                p.met.to_string(),
                cell(bracket.map(|b| b.0)),
                cell(bracket.map(|b| b.1)),
            ]
        })
        .collect();
    Ok(records_to_csv("solve.csv", &header(&SOLVE_COLUMNS), &rows)?)
}

/// `solution.csv`: the answer, the settings and the scenario, one row.
fn solution_csv(
    bisection: &Bisection,
    s: &Solution,
    parameter: &str,
    base: &LoadedScenario,
) -> anyhow::Result<Vec<u8>> {
    let target = bisection.target();
    let range = bisection.range();
    let interval = s.interval();
    let row = vec![
        parameter.to_string(),
        target.result.clone(),
        target.comparison.symbol().to_string(),
        number_cell(target.threshold),
        number_cell(s.value),
        cell(s.se),
        cell(interval.map(|i| i.0)),
        cell(interval.map(|i| i.1)),
        number_cell(s.bracket.0.x),
        number_cell(s.bracket.1.x),
        cell(s.result_se),
        target.errors.describe(),
        cell(s.slope),
        cell(s.secant.map(|p| p.0.x)),
        cell(s.secant.map(|p| p.1.x)),
        number_cell(range.lo),
        number_cell(range.hi),
        number_cell(bisection.tolerance()),
        bisection.max_steps().to_string(),
        s.evaluations.to_string(),
        s.stop.name().to_string(),
        s.monotone.to_string(),
        base.model.run.paths.to_string(),
        base.model.run.seed.to_string(),
        base.path.display().to_string(),
        base.sha256.clone(),
    ];
    Ok(records_to_csv(
        "solution.csv",
        &header(&SOLUTION_COLUMNS),
        &[row],
    )?)
}

fn header(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

/// The evaluations as a terminal table.
fn table(bisection: &Bisection, key: &str) -> String {
    let result = &bisection.target().result;
    let width = key.chars().count().clamp(9, 48);
    let mut s = format!(
        "{:>4}  {key:>width$}  {result:>14}  {:>10}  met\n",
        "step", "± se"
    );
    for (i, p) in bisection.points().iter().enumerate() {
        s.push_str(&format!(
            "{:>4}  {:>width$}  {:>14}  {:>10}  {}\n",
            i + 1,
            significant(p.x, 6),
            significant(p.value, 6),
            p.se.map_or_else(|| "–".to_string(), |se| significant(se, 2)),
            if p.met { "yes" } else { "no" }
        ));
    }
    s
}
