//! Many paths in parallel: a map over path indices with rayon, then an
//! ordered fold of the per-path outcomes. Paths run in batches; each batch's
//! outcomes are folded in path order, so the collected results (and every
//! statistic computed from them) are identical for any thread count and any
//! batch size. What does not depend on that order (where each recorded
//! value goes, the integer counts of the yield sketches) is gathered in
//! parallel first.

use rayon::prelude::*;

use super::outcome::PathOutcome;
use super::path::simulate_path;
use crate::model::Model;
use crate::results::{Collected, PathRange};
use crate::stats::sketch::LogHistogram;

/// Paths simulated in parallel before their outcomes are folded.
const BATCH: u32 = 256;

/// Runs `range` of `model`'s paths on the current rayon pool, calling
/// `on_path_done` after each path (from worker threads).
pub fn simulate(model: &Model, range: PathRange, on_path_done: &(dyn Fn() + Sync)) -> Collected {
    let mut collected = Collected::empty(model, range);
    let max_events = model.run.max_event_rows as usize;
    let mut start = range.first;
    let end = range.first + range.count;
    while start < end {
        let stop = (start + BATCH).min(end);
        let outcomes: Vec<PathOutcome> = (start..stop)
            .into_par_iter()
            .map(|path| {
                let outcome = simulate_path(model, &collected.series, path);
                on_path_done();
                outcome
            })
            .collect();
        place_series(&mut collected, start, &outcomes);
        let counts = pooled_yield_counts(&collected.staker_apr, &outcomes);
        for outcome in outcomes {
            fold(&mut collected, outcome, max_events);
        }
        for (acc, pooled) in collected.staker_apr.iter_mut().zip(&counts) {
            acc.merge_counts(pooled);
        }
        start = stop;
    }
    collected
}

/// Puts the recorded values of a batch's `outcomes` (paths `first`
/// onwards, in order) in their places in `c.values` (value `k` of a path
/// at `k × paths + path`), in parallel, one run of values `k` at a time:
/// each run is written in one sweep and read from every outcome at the
/// same offset.
fn place_series(c: &mut Collected, first: u32, outcomes: &[PathOutcome]) {
    let n = c.range.count as usize;
    let local = (first - c.range.first) as usize;
    c.values
        .par_chunks_mut(n)
        .with_min_len(64)
        .enumerate()
        .for_each(|(k, run)| {
            for (slot, outcome) in run[local..].iter_mut().zip(outcomes) {
                if let Some(&v) = outcome.series.get(k) {
                    *slot = v;
                }
            }
        });
}

/// The per-class yield sketches of a batch's `outcomes` pooled in
/// parallel, counts, minimum and maximum only ([`LogHistogram::merge_counts`]),
/// into empty sketches `like` the collected ones: integer counts add up
/// alike in any grouping. Their sums are added in path order by [`fold`].
fn pooled_yield_counts(like: &[LogHistogram], outcomes: &[PathOutcome]) -> Vec<LogHistogram> {
    let empty = || -> Vec<LogHistogram> {
        like.iter()
            .map(|s| LogHistogram::new(s.relative_accuracy()))
            .collect()
    };
    let pool = |mut acc: Vec<LogHistogram>, sketches: &[LogHistogram]| {
        for (a, s) in acc.iter_mut().zip(sketches) {
            a.merge_counts(s);
        }
        acc
    };
    outcomes
        .par_iter()
        .fold(empty, |acc, o| pool(acc, &o.staker_apr))
        .reduce(empty, |a, b| pool(a, &b))
}

/// Folds one path's outcome into `c`, in path order: everything but its
/// recorded values ([`place_series`]) and its yield counts
/// ([`pooled_yield_counts`]).
fn fold(c: &mut Collected, o: PathOutcome, max_events: usize) {
    for (acc, sketch) in c.staker_apr.iter_mut().zip(&o.staker_apr) {
        acc.add_moments(sketch.moments());
        c.staker_apr_moments.push(sketch.moments());
    }
    for (acc, delays) in c.exit_delays.iter_mut().zip(&o.exit_delays) {
        acc.merge(delays);
    }
    c.log_events(o.events, o.events_not_logged, max_events);
    c.log_liquidations(o.liquidations, o.liquidations_not_logged, max_events);
    c.bookkeeping_error = c.bookkeeping_error.max(o.bookkeeping_error);
    if c.defect.is_none() {
        c.defect = o.defect.map(|d| (o.path, d));
    }
    c.rows.push(o.row);
}
