//! Everything a run collects, in path order: the engine fills a
//! [`Collected`]; `stats`, `export` and `merge` read it. [`join`] puts the
//! parts of a sharded run back together, bit for bit.

use super::defect::PathDefect;
use super::events::{EventRecord, LiquidationRecord};
use super::exits::DelayCounts;
use super::finals::PathRow;
use super::layout::{Series, series_of};
use crate::model::Model;
use crate::stats::LogHistogram;

/// Relative accuracy of the per-staker yield sketches (0.1 %).
pub const YIELD_SKETCH_ACCURACY: f64 = 0.001;

/// Which paths to run: `first..first + count` (a shard of a larger run
/// covers a sub-range; path i always draws the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRange {
    /// First path index.
    pub first: u32,
    /// Number of paths.
    pub count: u32,
}

impl PathRange {
    /// One past the last path index.
    pub fn end(&self) -> u32 {
        self.first + self.count
    }
}

impl std::fmt::Display for PathRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "paths {}..{}", self.first, self.end())
    }
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
    /// Per class: released exits by days from start to release, pooled
    /// over paths (exact counts).
    pub exit_delays: Vec<DelayCounts>,
    /// Slashing events, path order, at most `max_event_rows`.
    pub events: Vec<EventRecord>,
    /// Slashing events that did not fit in the log: dropped by a path
    /// beyond its own `max_event_rows` or by the run's log when full.
    /// `events.len()` plus this is the sum of `total.slash_events` over paths.
    pub events_dropped: u64,
    /// Liquidations, path order, at most `max_event_rows`.
    pub liquidations: Vec<LiquidationRecord>,
    /// Liquidations that did not fit in the log.
    pub liquidations_dropped: u64,
    /// Largest per-path bookkeeping error.
    pub bookkeeping_error: f64,
    /// The first path (in path order) whose results cannot be used, and
    /// why; a run with one writes no outputs.
    pub defect: Option<(u32, PathDefect)>,
}

impl Collected {
    /// Nothing collected yet for `range` of `model`'s paths.
    pub fn empty(model: &Model, range: PathRange) -> Collected {
        Self::holding(model, range, true)
    }

    /// Nothing collected yet for `range`, with no room for its values and
    /// rows: for the rest of what a run collected when those are kept on
    /// disk (see [`join_rest`]).
    pub fn without_paths(model: &Model, range: PathRange) -> Collected {
        Self::holding(model, range, false)
    }

    fn holding(model: &Model, range: PathRange, paths: bool) -> Collected {
        let series = series_of(model);
        let recorded_days: Vec<u32> = model
            .run
            .recorded_steps()
            .iter()
            .map(|s| (s * model.run.step_days).min(model.run.horizon_days))
            .collect();
        let n = if paths { range.count as usize } else { 0 };
        Collected {
            values: vec![0.0; recorded_days.len() * series.len() * n],
            recorded_days,
            range,
            rows: Vec::with_capacity(n),
            staker_apr: model
                .classes
                .iter()
                .map(|_| LogHistogram::new(YIELD_SKETCH_ACCURACY))
                .collect(),
            staker_apr_moments: Vec::with_capacity(n * model.classes.len()),
            exit_delays: vec![DelayCounts::default(); model.classes.len()],
            events: Vec::new(),
            events_dropped: 0,
            liquidations: Vec::new(),
            liquidations_dropped: 0,
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

    /// Appends events in path order to the run's log, keeping at most
    /// `max_events` and counting the rest (with `dropped` dropped before).
    pub fn log_events(&mut self, events: Vec<EventRecord>, dropped: u64, max_events: usize) {
        append_capped(
            &mut self.events,
            &mut self.events_dropped,
            events,
            dropped,
            max_events,
        );
    }

    /// Appends liquidations in path order to the run's log, as
    /// [`Collected::log_events`] does events.
    pub fn log_liquidations(&mut self, rows: Vec<LiquidationRecord>, dropped: u64, max: usize) {
        append_capped(
            &mut self.liquidations,
            &mut self.liquidations_dropped,
            rows,
            dropped,
            max,
        );
    }
}

/// Appends `rows` to `log`, keeping at most `max` and counting the rest in
/// `dropped_total` (with `dropped` dropped before).
fn append_capped<T>(
    log: &mut Vec<T>,
    dropped_total: &mut u64,
    rows: Vec<T>,
    dropped: u64,
    max: usize,
) {
    let room = max.saturating_sub(log.len());
    *dropped_total += dropped + rows.len().saturating_sub(room) as u64;
    log.extend(rows.into_iter().take(room));
}

/// Why the parts of a run cannot be joined into the whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// A part does not start where the previous one ended.
    #[error("{part} do not follow path {expected}")]
    OutOfOrder {
        /// The part.
        part: PathRange,
        /// The path it should start at.
        expected: u32,
    },
    /// A part holds data of another shape than the scenario's.
    #[error("{part} do not have the scenario's shape ({what})")]
    Shape {
        /// The part.
        part: PathRange,
        /// What does not fit.
        what: &'static str,
    },
    /// The parts end before the whole run does.
    #[error("{missing} are missing")]
    Missing {
        /// The paths no part covers.
        missing: PathRange,
    },
}

/// Joins what consecutive path ranges of `model` collected into what one
/// run of `total` would have collected, bit for bit: `parts` must be in
/// path order and cover `total` exactly. Values are re-interleaved, sketch
/// sums are added path by path, exit delay counts are added, and the run's event log is capped at
/// `max_event_rows` exactly as a whole run caps it.
pub fn join(
    model: &Model,
    total: PathRange,
    parts: impl IntoIterator<Item = Collected>,
) -> Result<Collected, JoinError> {
    join_parts(model, total, parts, true)
}

/// Joins as [`join`] does parts that hold neither values nor rows (made
/// with [`Collected::without_paths`]): everything else a run collects.
pub fn join_rest(
    model: &Model,
    total: PathRange,
    parts: impl IntoIterator<Item = Collected>,
) -> Result<Collected, JoinError> {
    join_parts(model, total, parts, false)
}

/// [`join`], with the values and rows (`paths`) or without.
fn join_parts(
    model: &Model,
    total: PathRange,
    parts: impl IntoIterator<Item = Collected>,
    paths: bool,
) -> Result<Collected, JoinError> {
    let mut c = Collected::holding(model, total, paths);
    let max_events = model.run.max_event_rows as usize;
    let n = total.count as usize;
    let classes = c.staker_apr.len();
    let mut next = total.first;
    for part in parts {
        let range = part.range;
        if range.first != next {
            return Err(JoinError::OutOfOrder {
                part: range,
                expected: next,
            });
        }
        let m = range.count as usize;
        let cells = c.recorded_days.len() * c.series.len();
        let shape = |what| Err(JoinError::Shape { part: range, what });
        let (values, rows) = if paths { (cells * m, m) } else { (0, 0) };
        if part.values.len() != values {
            return shape("recorded values");
        }
        if part.rows.len() != rows {
            return shape("path rows");
        }
        if part.staker_apr.len() != classes || part.staker_apr_moments.len() != m * classes {
            return shape("yield sketches");
        }
        if part.exit_delays.len() != classes {
            return shape("exit delays");
        }
        let offset = (range.first - total.first) as usize;
        for cell in (0..cells).filter(|_| paths) {
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
        for (acc, delays) in c.exit_delays.iter_mut().zip(&part.exit_delays) {
            acc.merge(delays);
        }
        c.log_events(part.events, part.events_dropped, max_events);
        c.log_liquidations(part.liquidations, part.liquidations_dropped, max_events);
        c.bookkeeping_error = c.bookkeeping_error.max(part.bookkeeping_error);
        if c.defect.is_none() {
            c.defect = part.defect;
        }
        c.rows.extend(part.rows);
        next += range.count;
    }
    if next != total.end() {
        return Err(JoinError::Missing {
            missing: PathRange {
                first: next,
                count: total.end() - next,
            },
        });
    }
    Ok(c)
}
