//! Many paths in parallel: a map over path indices with rayon, then an
//! ordered fold of the per-path outcomes. Paths run in batches; each batch's
//! outcomes are folded in path order, so the collected results (and every
//! statistic computed from them) are identical for any thread count and any
//! batch size.

use rayon::prelude::*;

use super::outcome::PathOutcome;
use super::path::simulate_path;
use crate::model::Model;
use crate::results::{Collected, PathRange};

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
        for outcome in outcomes {
            fold(&mut collected, outcome, max_events);
        }
        start = stop;
    }
    collected
}

fn fold(c: &mut Collected, o: PathOutcome, max_events: usize) {
    let n = c.range.count as usize;
    let local = (o.path - c.range.first) as usize;
    let s_count = c.series.len();
    for (k, v) in o.series.iter().enumerate() {
        let (point, series) = (k / s_count, k % s_count);
        c.values[(point * s_count + series) * n + local] = *v;
    }
    for (acc, sketch) in c.staker_apr.iter_mut().zip(&o.staker_apr) {
        acc.merge(sketch);
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
