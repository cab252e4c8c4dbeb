//! Many paths in parallel: a map over path indices with rayon, then an
//! ordered fold of the per-path outcomes. Paths run in batches; each batch's
//! outcomes are folded in path order, so the collected results (and every
//! statistic computed from them) are identical for any thread count and any
//! batch size.

use rayon::prelude::*;

use super::layout::{Series, series_of};
use super::path::{ClassFinal, EventRecord, PathOutcome, ProtocolFinal, TotalFinal, simulate_path};
use crate::model::Model;
use crate::stats::LogHistogram;

/// Paths simulated in parallel before their outcomes are folded.
const BATCH: u32 = 256;

/// Which paths to run: `first..first + count` (a shard of a larger run
/// covers a sub-range; path i always draws the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRange {
    /// First path index.
    pub first: u32,
    /// Number of paths.
    pub count: u32,
}

/// The final figures of one path (its row in `paths.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    /// Path index.
    pub path: u32,
    /// Per class.
    pub classes: Vec<ClassFinal>,
    /// Per protocol.
    pub protocols: Vec<ProtocolFinal>,
    /// Whole scenario.
    pub total: TotalFinal,
}

/// Everything a run collects, in path order.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The recorded series.
    pub series: Vec<Series>,
    /// Day of each recorded point.
    pub recorded_days: Vec<u32>,
    /// Paths run.
    pub range: PathRange,
    /// Recorded values as `[recorded point][series][path]`.
    pub values: Vec<f32>,
    /// One row per path, in path order.
    pub rows: Vec<PathRow>,
    /// Per class: per-staker net APR pooled over stakers and paths.
    pub staker_apr: Vec<LogHistogram>,
    /// `[path][class]`: the [`LogHistogram::moments`] of each path's
    /// sketch, so that [`join`] adds them up in path order as a whole run
    /// does (their `f64` sums depend on the order).
    pub staker_apr_moments: Vec<[f64; 2]>,
    /// Slashing events, path order, at most `max_event_rows`.
    pub events: Vec<EventRecord>,
    /// Slashing events that did not fit in the log: dropped by a path
    /// beyond its own `max_event_rows` or by the run's log when full.
    /// `events.len()` plus this is the sum of `total.slash_events` over paths.
    pub events_dropped: u64,
    /// Largest per-path bookkeeping error.
    pub bookkeeping_error: f64,
    /// The first path (in path order) that ended with a non-finite or
    /// negative stake, a non-finite result or broken bookkeeping, and what
    /// was wrong; a run with one writes no outputs.
    pub defect: Option<(u32, String)>,
}

impl Collected {
    /// Nothing collected yet for `range` of `model`'s paths.
    pub fn empty(model: &Model, range: PathRange) -> Collected {
        let series = series_of(model);
        let recorded_days: Vec<u32> = model
            .run
            .recorded_steps()
            .iter()
            .map(|s| (s * model.run.step_days).min(model.run.horizon_days))
            .collect();
        let n = range.count as usize;
        Collected {
            values: vec![0.0; recorded_days.len() * series.len() * n],
            recorded_days,
            range,
            rows: Vec::with_capacity(n),
            staker_apr: model
                .classes
                .iter()
                .map(|_| LogHistogram::new(super::path::YIELD_SKETCH_ACCURACY))
                .collect(),
            staker_apr_moments: Vec::with_capacity(n * model.classes.len()),
            events: Vec::new(),
            events_dropped: 0,
            bookkeeping_error: 0.0,
            defect: None,
            series,
        }
    }

    /// The values of one series at one recorded point, one per path.
    pub fn across_paths(&self, point: usize, series: usize) -> &[f32] {
        let n = self.range.count as usize;
        let start = (point * self.series.len() + series) * n;
        &self.values[start..start + n]
    }
}

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
    let room = max_events.saturating_sub(c.events.len());
    c.events_dropped += o.events_not_logged + o.events.len().saturating_sub(room) as u64;
    c.events.extend(o.events.into_iter().take(room));
    c.bookkeeping_error = c.bookkeeping_error.max(o.bookkeeping_error);
    if c.defect.is_none() {
        c.defect = o.defect.map(|d| (o.path, d));
    }
    c.rows.push(PathRow {
        path: o.path,
        classes: o.classes,
        protocols: o.protocols,
        total: o.total,
    });
}

/// Joins what consecutive path ranges of `model` collected into what one
/// run of `total` would have collected, bit for bit: `parts` must be in
/// path order and cover `total` exactly (the caller checks; a part that
/// does not fit is an error). Values are re-interleaved, sketch sums are
/// added path by path, and the run's event log is capped at
/// `max_event_rows` exactly as [`simulate`] caps it.
pub fn join(
    model: &Model,
    total: PathRange,
    parts: impl IntoIterator<Item = Collected>,
) -> Result<Collected, String> {
    let mut c = Collected::empty(model, total);
    let max_events = model.run.max_event_rows as usize;
    let n = total.count as usize;
    let classes = c.staker_apr.len();
    let mut next = total.first;
    for part in parts {
        if part.range.first != next {
            return Err(format!(
                "paths {}..{} do not follow path {next}",
                part.range.first,
                part.range.first + part.range.count
            ));
        }
        let m = part.range.count as usize;
        let cells = c.recorded_days.len() * c.series.len();
        if part.values.len() != cells * m
            || part.rows.len() != m
            || part.staker_apr.len() != classes
            || part.staker_apr_moments.len() != m * classes
        {
            return Err(format!(
                "paths {}..{} do not have the scenario's shape",
                part.range.first,
                part.range.first + part.range.count
            ));
        }
        let offset = (part.range.first - total.first) as usize;
        for cell in 0..cells {
            c.values[cell * n + offset..cell * n + offset + m]
                .copy_from_slice(&part.values[cell * m..(cell + 1) * m]);
        }
        for (acc, sketch) in c.staker_apr.iter_mut().zip(&part.staker_apr) {
            acc.merge_counts(sketch);
        }
        for path in part.staker_apr_moments.chunks(classes.max(1)) {
            for (acc, moments) in c.staker_apr.iter_mut().zip(path) {
                acc.add_moments(*moments);
            }
        }
        c.staker_apr_moments.extend(part.staker_apr_moments);
        let room = max_events.saturating_sub(c.events.len());
        c.events_dropped += part.events_dropped + part.events.len().saturating_sub(room) as u64;
        c.events.extend(part.events.into_iter().take(room));
        c.bookkeeping_error = c.bookkeeping_error.max(part.bookkeeping_error);
        if c.defect.is_none() {
            c.defect = part.defect;
        }
        c.rows.extend(part.rows);
        next += part.range.count;
    }
    if next != total.first + total.count {
        return Err(format!(
            "paths {next}..{} are missing",
            total.first + total.count
        ));
    }
    Ok(c)
}
