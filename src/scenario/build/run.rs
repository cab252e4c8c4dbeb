//! `[run]`: the run's name, horizon, step, paths, recording, memory limit and
//! attacks switch, checked into [`RunSettings`] (whether attacks can happen
//! is checked on the whole model, in `model_checks.rs`).

use super::{DEFAULT_RECORD_EVERY_DAYS, MAX_DAYS, Validator};
use crate::model::RunSettings;
use crate::scenario::file::ScenarioFile;

impl Validator {
    /// Checks `[run]`; the settings are built even when a value is invalid
    /// (a zero count taken as 1), so later checks can use the step.
    pub(super) fn run(&mut self, file: &ScenarioFile) -> Option<RunSettings> {
        let r = &file.run;
        if r.name.trim().is_empty() {
            self.issue("run.name", "expected a non-empty name, found \"\"".into());
        } else if r.name.starts_with('.') {
            self.issue(
                "run.name",
                format!(
                    "expected a name that does not start with '.' (it names the output folder, which would be hidden), found \"{}\"",
                    r.name
                ),
            );
        } else if r
            .name
            .chars()
            .any(|c| !(c.is_alphanumeric() || "-_.".contains(c)))
        {
            self.issue(
                "run.name",
                format!(
                    "expected letters, digits, '-', '_' or '.' (it names the output folder), found \"{}\"",
                    r.name
                ),
            );
        }
        let horizon = self.at_least_one("run.horizon_days", r.horizon_days);
        let step = self.at_least_one("run.step_days", r.step_days);
        let paths = self.at_least_one("run.paths", r.paths);
        // Absent: the smallest multiple of step_days that is at least 7.
        let record = match r.record_every_days {
            Some(days) => self.at_least_one("run.record_every_days", days),
            None => DEFAULT_RECORD_EVERY_DAYS.div_ceil(step) * step,
        };
        if horizon > MAX_DAYS {
            self.issue(
                "run.horizon_days",
                format!("expected at most {MAX_DAYS} days (100 years), found {horizon}"),
            );
        }
        if step > horizon {
            self.issue(
                "run.step_days",
                format!("expected at most horizon_days ({horizon}), found {step}"),
            );
        }
        if !record.is_multiple_of(step) {
            self.issue(
                "run.record_every_days",
                format!("expected a multiple of step_days ({step}), found {record}"),
            );
        }
        self.positive("run.memory_limit_gib", r.memory_limit_gib);
        Some(RunSettings {
            name: r.name.clone(),
            description: r.description.clone(),
            horizon_days: horizon,
            step_days: step,
            steps: horizon.div_ceil(step),
            paths,
            seed: r.seed,
            record_every_steps: (record / step).max(1),
            max_event_rows: r.max_event_rows,
            memory_limit_gib: r.memory_limit_gib,
            attacks: r.attacks,
            cohorts: r.cohorts,
        })
    }
}
