//! Validation: turns the file shapes into a [`Model`], checking meaning
//! (ranges, references, leverage, correlation, memory) and collecting every
//! problem with its key path. Past [`build`], no invalid value exists.
//!
//! This file holds [`build`], which runs the checks in a fixed order (the
//! order users see the issues in), the limits, and the `Validator` core:
//! issue collection and the generic checks of one value. Each table has its
//! own file of `impl Validator` methods: `run.rs`, `assets.rs` (with the
//! correlation), `protocols.rs` (with frequencies, severities and APR
//! curves), `shocks.rs`, `operators.rs`, `stakers.rs` (with
//! `allocations.rs`), `defi.rs` (LRTs, lending markets and the loop
//! strategy, checked last); `model_checks.rs` checks the assembled model as
//! a whole (`run.attacks`, the t = 0 outlook, the memory estimate). Names are indexed once, in `names.rs`, and every reference is
//! resolved through those indexes.

mod allocations;
mod assets;
mod defi;
mod memory;
mod model_checks;
mod names;
mod operators;
mod protocols;
mod run;
#[cfg(test)]
mod security_tests;
mod shocks;
mod stakers;

use std::collections::HashMap;

pub use assets::cholesky;
pub use memory::{estimated_memory_bytes, path_bytes, state_bytes};

use self::names::{Index, Names};
use super::file::ScenarioFile;
use super::overrides::did_you_mean;
use crate::model::Model;

/// A problem found during validation: key path and message, not yet located.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Key path, e.g. `protocol[2].slashing.severity.alpha`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

/// Largest number of protocols a scenario may define (slot indices are u16).
pub const MAX_PROTOCOLS: usize = 4096;

/// Largest number of assets a scenario may define: the correlation of
/// their prices is a dense n×n matrix, factored at validation (n³ / 6
/// steps) and applied at every step of every path.
pub const MAX_ASSETS: usize = 1024;

/// Largest number of operators a scenario may define (operator indices are
/// u16, with `u16::MAX` meaning "no operator").
pub const MAX_OPERATORS: usize = u16::MAX as usize;

/// Largest number of stakers a scenario may hold at once, over all classes
/// (`count` plus `entry.max_new`; staker indices are u32).
pub const MAX_STAKERS: u64 = u32::MAX as u64;

/// Largest magnitude of a price (USD per unit), a stake (native units per
/// staker) or a TVL threshold, so that sums over stakers stay finite.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// Largest magnitude of a reward budget, an inverse-square-root `k` or a fee
/// revenue; the t = 0 APR bound (at most [`MAX_APR`]) limits them further.
pub const MAX_REWARD_MAGNITUDE: f64 = 1e30;

/// Largest APR, the constant curve's and the t = 0 APR of every protocol
/// (10 = 1,000 % a year).
pub const MAX_APR: f64 = 10.0;

/// Longest horizon and longest delay, in days (100 years).
pub const MAX_DAYS: u32 = 36_500;

/// Days between recorded points when `run.record_every_days` is absent,
/// rounded up to a multiple of `step_days`.
pub const DEFAULT_RECORD_EVERY_DAYS: u32 = 7;

/// Builds a validated model, or returns every issue found.
pub fn build(file: &ScenarioFile) -> Result<Model, Vec<Issue>> {
    let mut v = Validator::default();
    // Every name is indexed here, once. The problems with names are reported
    // below, each kind where its issues have always come in the order.
    let (names, name_issues) = Names::of(file);
    let run = v.run(file);
    let assets = v.assets(file);
    v.report(name_issues.assets);
    let correlation_cholesky = v.correlation(file.correlation.as_ref(), &names, assets.len());
    v.report(name_issues.protocols);
    v.protocol_count(file);
    v.operator_count(file);
    let step_days = run.as_ref().map_or(1, |r| r.step_days);
    let protocols = v.protocols(file, &names, step_days);
    v.report(name_issues.shocks);
    v.report(name_issues.operators);
    let shocks = v.shocks(file, &names, step_days, run.as_ref());
    let operators = v.operators(file, &names, step_days);
    let classes = v.classes(file, &names, &operators, step_days);
    v.report(name_issues.stakers);
    v.report(name_issues.entities);
    v.any_staker(file);
    v.any_protocol(file);
    // The DeFi layer last: a scenario without it reports what it always has.
    v.report(name_issues.lrts);
    v.report(name_issues.markets);
    v.report(name_issues.defi_entities);
    let (lrts, markets) = v.defi(file, &names, &classes, &protocols, step_days);
    if !v.issues.is_empty() {
        return Err(v.issues);
    }
    let model = Model {
        run: run.expect("no issues implies run settings"),
        assets,
        correlation_cholesky: correlation_cholesky.unwrap_or_default(),
        protocols: protocols.into_iter().flatten().collect(),
        shocks,
        operators,
        classes: classes.into_iter().flatten().collect(),
        lrts,
        markets,
    };
    v.staker_capacity(&model);
    v.attacks(&model);
    v.memory(&model, file.run.memory_limit_gib);
    v.outlook(&model);
    if v.issues.is_empty() {
        Ok(model)
    } else {
        Err(v.issues)
    }
}

/// Collects the issues, in the order they are found; the checks of each
/// table are its methods, in that table's file.
#[derive(Default)]
struct Validator {
    issues: Vec<Issue>,
    /// Names compared so far for "did you mean" suggestions (see
    /// [`SUGGESTION_WORK`]).
    suggestion_work: usize,
}

/// Most names an error lists (the defined names an unresolved reference
/// could mean, the protocols a class may pick); the others are counted.
const LISTED_NAMES: usize = 20;

/// Most work spent on "did you mean" suggestions over all unresolved
/// references of a scenario, counted in the cells of the edit distances
/// computed (the product of the two names' lengths); past it none is
/// offered. A file with thousands of long names and as many bad references
/// would otherwise take minutes to report.
const SUGGESTION_WORK: usize = 5_000_000;

/// The first [`LISTED_NAMES`] of `names` joined by `, `, then how many
/// more there are: `a, b, c, and 12 more`.
fn list_names<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<&str> = names.iter().take(LISTED_NAMES).map(AsRef::as_ref).collect();
    match names.len() {
        n if n > LISTED_NAMES => format!("{}, and {} more", shown.join(", "), n - LISTED_NAMES),
        _ => shown.join(", "),
    }
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

impl Validator {
    fn issue(&mut self, path: &str, message: String) {
        self.issues.push(Issue {
            path: path.to_string(),
            message,
        });
    }

    /// Reports issues found earlier (the names'), at this point of the order.
    fn report(&mut self, issues: Vec<Issue>) {
        self.issues.extend(issues);
    }

    fn finite(&mut self, path: &str, x: f64) -> bool {
        if x.is_finite() {
            true
        } else {
            self.issue(path, format!("expected a finite number, found {x}"));
            false
        }
    }

    fn unit_interval(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && !(0.0..=1.0).contains(&x) {
            self.issue(
                path,
                format!("expected a value in [0, 1], found {}", fmt_num(x)),
            );
        }
        x
    }

    fn positive(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x <= 0.0 {
            self.issue(path, format!("expected a number > 0, found {}", fmt_num(x)));
        }
        x
    }

    fn non_negative(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x < 0.0 {
            self.issue(path, format!("expected a number ≥ 0, found {}", fmt_num(x)));
        }
        x
    }

    fn at_least_one(&mut self, path: &str, n: u32) -> u32 {
        if n == 0 {
            self.issue(path, "expected an integer ≥ 1, found 0".into());
        }
        n.max(1)
    }

    /// `x` finite and at most `max` in magnitude.
    fn at_most(&mut self, path: &str, x: f64, max: f64) {
        if x.is_finite() && x.abs() > max {
            self.issue(
                path,
                format!(
                    "expected a magnitude of at most {max:e}, found {}",
                    fmt_num(x)
                ),
            );
        }
    }

    /// Reports every name of the list at `path` that repeats an earlier one;
    /// true if each is listed once.
    fn listed_once(&mut self, path: &str, names: &[String]) -> bool {
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut once = true;
        for (i, name) in names.iter().enumerate() {
            if let Some(j) = first.get(name.as_str()) {
                self.issue(
                    &format!("{path}[{i}]"),
                    format!(
                        "expected each asset listed once, found \"{name}\" again (as {path}[{j}])"
                    ),
                );
                once = false;
            } else {
                first.insert(name, i);
            }
        }
        once
    }

    /// Resolves a reference to a `kind` through its index, listing the
    /// known names when it fails, the closest first as "did you mean".
    fn reference(&mut self, path: &str, kind: &str, name: &str, index: &Index) -> Option<usize> {
        let found = index.get(name);
        if found.is_none() {
            self.unresolved(path, kind, name, index.known(false));
        }
        found
    }

    /// Like [`Validator::reference`], through [`Index::get_or_blank`].
    fn reference_or_blank(
        &mut self,
        path: &str,
        kind: &str,
        name: &str,
        index: &Index,
    ) -> Option<usize> {
        let found = index.get_or_blank(name);
        if found.is_none() {
            self.unresolved(path, kind, name, index.known(true));
        }
        found
    }

    /// Reports a reference to an undefined `kind`: the defined names
    /// (`known`, sorted), the first [`LISTED_NAMES`] of them, and the
    /// closest as "did you mean" (within [`SUGGESTION_WORK`]).
    fn unresolved(&mut self, path: &str, kind: &str, name: &str, known: &[String]) {
        let listed = if known.is_empty() {
            "none is defined".to_string()
        } else {
            list_names(known)
        };
        let suggestion = if self.suggestion_work < SUGGESTION_WORK {
            // An edit distance costs the product of the two lengths.
            let cost: usize = known.iter().map(|k| (k.len() + 1) * (name.len() + 1)).sum();
            self.suggestion_work += cost;
            did_you_mean(name, known.iter().map(String::as_str))
        } else {
            String::new()
        };
        self.issue(
            path,
            format!("expected the name of a defined {kind} ({listed}), found \"{name}\"")
                + &suggestion,
        );
    }
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn suggestions_stop_once_their_edit_distance_work_is_spent() {
        // 6,000 names of 40 characters: one comparison round costs about
        // 10 M cells, more than the whole budget.
        let known: Vec<String> = (0..6_000).map(|i| format!("{i:0>40}")).collect();
        let mut v = Validator::default();
        for _ in 0..20 {
            v.unresolved("asset", "asset", &format!("{:0>39}1x", 0), &known);
        }
        let suggested = v
            .issues
            .iter()
            .filter(|i| i.message.contains("did you mean"))
            .count();
        assert_eq!(v.issues.len(), 20);
        assert_eq!(suggested, 1, "suggestions beyond the budget");
    }
}
