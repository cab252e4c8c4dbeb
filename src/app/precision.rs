//! `run --until-se RESULT=X`: runs paths in batches until a key result's
//! Monte Carlo standard error is at most X, or a path cap is reached.
//!
//! The first batch is the scenario's paths (`run.paths` or `--paths`).
//! After each batch the standard error `se` of the result at `n` paths
//! gives the paths it needs, `n (se / X)²` (the error falls as `1/√n`);
//! the next total is that, rounded up to whole batches, at least one batch
//! more and at most the cap. Only the new paths are simulated and joined
//! to the others, so the result is the run of the final number of paths,
//! byte for byte, and the sequence of batches depends only on the
//! scenario, seed and target: the same command stops at the same count.

use std::time::Instant;

use serde::Serialize;

use super::InvalidArgument;
use super::run::{Execution, finish, simulate_checked};
use crate::results::{PathRange, join};
use crate::scenario::LoadedScenario;
use crate::scenario::overrides::closest;
use crate::stats::tables::key_result_columns;

/// Default cap on the paths `--until-se` may run.
pub const DEFAULT_MAX_PATHS: u32 = 100_000;

/// What `--until-se` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionTarget {
    /// The key result whose standard error is watched.
    pub result: &'static str,
    /// Its standard-error column.
    pub se_column: &'static str,
    /// The standard error to reach.
    pub max_se: f64,
    /// The most paths to run.
    pub max_paths: u32,
}

/// The key results that have a standard error, as (result, its `_se`
/// column).
pub fn results_with_errors() -> Vec<(&'static str, &'static str)> {
    let columns: Vec<&'static str> = key_result_columns().collect();
    columns
        .iter()
        .filter_map(|&c| {
            columns
                .iter()
                .find(|s| s.strip_suffix("_se") == Some(c))
                .map(|&s| (c, s))
        })
        .collect()
}

impl PrecisionTarget {
    /// Parses `RESULT=X` (`--until-se`) with the path cap.
    pub fn parse(spec: &str, max_paths: u32) -> Result<PrecisionTarget, InvalidArgument> {
        let err = |m: String| InvalidArgument(format!("--until-se: {m}"));
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| err(format!("expected RESULT=X, found \"{spec}\"")))?;
        let (name, value) = (name.trim(), value.trim());
        let known = results_with_errors();
        let Some(&(result, se_column)) = known.iter().find(|(r, _)| *r == name) else {
            let names: Vec<&str> = known.iter().map(|k| k.0).collect();
            let hint = closest(name, names.iter().copied())
                .first()
                .map_or_else(String::new, |n| format!(" (did you mean {n}?)"));
            return Err(err(format!(
                "\"{name}\" has no standard error{hint}; one of: {}",
                names.join(", ")
            )));
        };
        let max_se: f64 = value
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x > 0.0)
            .ok_or_else(|| {
                err(format!(
                    "the standard error to reach must be a number above 0, found \"{value}\""
                ))
            })?;
        if max_paths == 0 {
            return Err(InvalidArgument("--max-paths must be at least 1".into()));
        }
        Ok(PrecisionTarget {
            result,
            se_column,
            max_se,
            max_paths,
        })
    }
}

/// How an `--until-se` run ended (`manifest.json` field `precision`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionOutcome {
    /// The key result watched.
    pub result: String,
    /// The standard error asked for.
    pub target_se: f64,
    /// The standard error reached.
    pub se: f64,
    /// Paths run.
    pub paths: u32,
    /// Batches run.
    pub batches: u32,
    /// `true` when the target was met, `false` when the cap stopped it.
    pub reached: bool,
}

impl PrecisionOutcome {
    /// One line saying which happened.
    pub fn describe(&self) -> String {
        if self.reached {
            format!(
                "{} standard error {:.3e} ≤ {:.3e} after {} paths ({} batches)",
                self.result, self.se, self.target_se, self.paths, self.batches
            )
        } else {
            format!(
                "path cap reached: {} standard error {:.3e} > {:.3e} after {} paths ({} batches); raise --max-paths to go further",
                self.result, self.se, self.target_se, self.paths, self.batches
            )
        }
    }
}

/// The total paths after `n` run with standard error `se`: enough for the
/// target by `n (se / target)²`, in whole batches, at least one batch more,
/// at most `cap`.
pub fn next_total(n: u32, batch: u32, se: f64, target: f64, cap: u32) -> u32 {
    let batch = batch.max(1);
    let needed = if se.is_finite() {
        (f64::from(n) * (se / target).powi(2)).ceil()
    } else {
        0.0
    };
    let batches = (needed / f64::from(batch)).ceil().min(f64::from(u32::MAX));
    let wanted = (batches as u64 * u64::from(batch)).max(u64::from(n) + u64::from(batch));
    wanted.min(u64::from(cap)) as u32
}

/// Simulates `loaded` in batches until `target` is met or its cap reached
/// (see the module documentation); the execution of all paths run, with
/// the outcome. `on_batch(total)` is told the new total before each batch.
pub fn execute_until(
    loaded: &LoadedScenario,
    target: &PrecisionTarget,
    on_path_done: &(dyn Fn() + Sync),
    on_batch: &dyn Fn(u32),
) -> anyhow::Result<(Execution, PrecisionOutcome)> {
    let started = Instant::now();
    let batch = loaded.model.run.paths.min(target.max_paths);
    let mut total = batch;
    let mut batches = 1;
    on_batch(total);
    let mut collected = simulate_checked(
        loaded,
        PathRange {
            first: 0,
            count: total,
        },
        on_path_done,
    )?;
    loop {
        let execution = finish(loaded, collected, started, 0.0, None);
        let se = execution.key.get(target.se_column).unwrap_or(f64::NAN);
        let reached = se <= target.max_se;
        if reached || total >= target.max_paths {
            let outcome = PrecisionOutcome {
                result: target.result.to_string(),
                target_se: target.max_se,
                se,
                paths: total,
                batches,
                reached,
            };
            let execution = Execution {
                simulation_seconds: started.elapsed().as_secs_f64(),
                ..execution
            };
            return Ok((execution, outcome));
        }
        let next = next_total(total, batch, se, target.max_se, target.max_paths);
        on_batch(next);
        let more = simulate_checked(
            loaded,
            PathRange {
                first: total,
                count: next - total,
            },
            on_path_done,
        )?;
        let whole = PathRange {
            first: 0,
            count: next,
        };
        collected = join(&loaded.model, whole, [execution.collected, more])?;
        total = next;
        batches += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_result_with_a_standard_error() {
        let t = PrecisionTarget::parse("net_return_mean=0.001", 5000).unwrap();
        assert_eq!(t.result, "net_return_mean");
        assert_eq!(t.se_column, "net_return_mean_se");
        assert_eq!((t.max_se, t.max_paths), (0.001, 5000));
        let t = PrecisionTarget::parse(" p_any_loss = 0.01 ", 10).unwrap();
        assert_eq!(t.se_column, "p_any_loss_se");
    }

    #[test]
    fn refuses_what_it_cannot_watch() {
        let e = PrecisionTarget::parse("net_return_man=0.1", 10).unwrap_err();
        assert!(e.0.contains("did you mean net_return_mean?"), "{}", e.0);
        let e = PrecisionTarget::parse("loss_var99=0.1", 10).unwrap_err();
        assert!(e.0.contains("has no standard error"), "{}", e.0);
        for bad in ["net_return_mean", "net_return_mean=0", "net_return_mean=x"] {
            assert!(PrecisionTarget::parse(bad, 10).is_err(), "{bad}");
        }
        assert!(PrecisionTarget::parse("net_return_mean=0.1", 0).is_err());
    }

    #[test]
    fn the_next_total_follows_the_square_root_law_in_whole_batches() {
        // se 0.004 at 100 paths, target 0.001: 1,600 paths.
        assert_eq!(next_total(100, 100, 0.004, 0.001, 100_000), 1600);
        // Rounded up to whole batches.
        assert_eq!(next_total(100, 300, 0.004, 0.001, 100_000), 1800);
        // At least one batch more, at most the cap.
        assert_eq!(next_total(1000, 100, 0.00101, 0.001, 100_000), 1100);
        assert_eq!(next_total(100, 100, 0.1, 0.001, 5000), 5000);
        // An unknown error grows by one batch.
        assert_eq!(next_total(1, 1, f64::NAN, 0.001, 10), 2);
    }
}
