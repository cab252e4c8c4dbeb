//! The end of a path: its final figures per class, protocol and total, the
//! per-class sketch of per-staker yields, and the check that the results
//! can be used (finite, non-negative, bookkeeping intact).

use super::classes::Classes;
use super::market::Market;
use super::protocols::ProtocolBook;
use super::recorder::ratio;
use crate::model::Model;
use crate::results::{
    BOOKKEEPING_TOLERANCE, ClassFinal, EventRecord, PathDefect, PathRow, ProtocolFinal, TotalFinal,
    YIELD_SKETCH_ACCURACY,
};
use crate::stats::LogHistogram;

/// Everything one path produces.
#[derive(Debug, Clone)]
pub struct PathOutcome {
    /// Path index.
    pub path: u32,
    /// Recorded values, `recorded steps × series`, in layout order.
    pub series: Vec<f32>,
    /// Final figures.
    pub row: PathRow,
    /// Per class: sketch of per-staker net APR (net return / years held).
    pub staker_apr: Vec<LogHistogram>,
    /// Slashes, at most `max_event_rows`.
    pub events: Vec<EventRecord>,
    /// Slashes applied after `events` was full: `events.len()` plus this is
    /// `total.slash_events`.
    pub events_not_logged: u64,
    /// Largest relative bookkeeping error over stakers (should be ~1e-15).
    pub bookkeeping_error: f64,
    /// What went wrong when the path ended with a non-finite or negative
    /// stake, a non-finite result or broken bookkeeping (checked once, at
    /// the end of the path).
    pub defect: Option<PathDefect>,
}

/// Final figures of every class, and the per-class yield sketches.
pub fn class_finals(model: &Model, classes: &Classes) -> (Vec<ClassFinal>, Vec<LogHistogram>) {
    let horizon = model.run.steps;
    let step_years = model.run.step_years();
    let st = &classes.stakers;
    let mut sketches = Vec::with_capacity(classes.runs.len());
    let mut finals = Vec::with_capacity(classes.runs.len());
    let mut returns = Vec::new();
    for (run, class) in classes.runs.iter().zip(&model.classes) {
        let mut sketch = LogHistogram::new(YIELD_SKETCH_ACCURACY);
        returns.clear();
        for i in run.members() {
            let net = (st.rewards[i] - st.losses[i]) / st.initial[i];
            returns.push(net);
            let held = st.left[i].min(horizon) - st.entered[i].min(horizon);
            if held > 0 {
                sketch.add(net / (f64::from(held) * step_years));
            }
        }
        sketches.push(sketch);
        finals.push(ClassFinal {
            stake: run.stake,
            initial: run.initial,
            rewards: run.rewards,
            losses: run.losses,
            exits: run.exits,
            net_return: ratio(run.rewards - run.losses, run.initial),
            after_tax_net_return: ratio(
                run.rewards * (1.0 - class.tax_rate) - run.losses,
                run.initial,
            ),
            median_net_return: median(&mut returns),
            stakers: run.active,
            entered: (run.next_reserve - run.range.start) as u32 - class.count,
        });
    }
    (finals, sketches)
}

/// Final figures of every protocol.
pub fn protocol_finals(protocols: &ProtocolBook) -> Vec<ProtocolFinal> {
    (0..protocols.apr.len())
        .map(|p| ProtocolFinal {
            tvl_native: protocols.tvl_native[p],
            tvl_usd: protocols.tvl_usd[p],
            apr: protocols.apr[p],
            losses_native: protocols.losses[p],
            loss_fraction: ratio(protocols.losses[p], protocols.initial_tvl[p]),
            slash_events: protocols.slash_events[p],
        })
        .collect()
}

/// Whole-scenario figures: stake, rewards and losses at t = 0 prices.
pub fn total_final(
    model: &Model,
    market: &Market,
    protocols: &ProtocolBook,
    classes: &Classes,
) -> TotalFinal {
    let p0 = &market.initial;
    let initial_usd = classes.value(model, p0, |r| r.initial);
    let rewards_usd = classes.value(model, p0, |r| r.rewards);
    let losses_usd = classes.value(model, p0, |r| r.losses);
    let taxed_usd: f64 = classes
        .runs
        .iter()
        .zip(&model.classes)
        .map(|(r, k)| r.rewards * (1.0 - k.tax_rate) * p0[k.asset])
        .sum();
    TotalFinal {
        net_return: ratio(rewards_usd - losses_usd, initial_usd),
        after_tax_net_return: ratio(taxed_usd - losses_usd, initial_usd),
        initial_usd,
        rewards_usd,
        losses_usd,
        tvl_usd: protocols.tvl_usd.iter().sum(),
        slash_events: protocols.total_slash_events(),
    }
}

/// The first thing wrong with a path's results, if any: a staker's stake
/// negative or not finite, a final figure or a recorded value not finite,
/// or bookkeeping off by more than [`BOOKKEEPING_TOLERANCE`].
pub fn find_defect(
    classes: &Classes,
    row: &PathRow,
    values: &[f32],
    series: usize,
    bookkeeping_error: f64,
) -> Option<PathDefect> {
    let stakes = &classes.stakers.stake;
    if let Some(staker) = stakes.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Some(PathDefect::Stake {
            staker,
            stake: stakes[staker],
        });
    }
    if let Some((part, column, value)) = row.first_non_finite() {
        return Some(PathDefect::FinalFigure {
            part,
            column,
            value,
        });
    }
    if let Some(k) = values.iter().position(|v| !v.is_finite()) {
        let n = series.max(1);
        return Some(PathDefect::Recorded {
            series: k % n,
            point: k / n,
        });
    }
    if bookkeeping_error.is_nan() || bookkeeping_error > BOOKKEEPING_TOLERANCE {
        return Some(PathDefect::Bookkeeping {
            error: bookkeeping_error,
        });
    }
    None
}

/// Median (mean of the two middle values for an even count); NaN if empty.
pub fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lower, m, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + upper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }
}
