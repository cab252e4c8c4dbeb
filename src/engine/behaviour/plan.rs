//! The plan of a yield-chasing move: which slot of a cohort gives up its
//! weight (its worst-scoring protocol) and which protocol takes it (the
//! best-scoring one it does not hold, with room, that its stake and
//! operator may enter), if the gain is large enough; and, for a cohort
//! whose members' stakes straddle a candidate's `min_stake`, where it
//! must be split first. The review that acts on plans is
//! [`super::chase`].

use std::hint::select_unpredictable;

use crate::engine::classes::Classes;
use crate::engine::stakers::SlotState;
use crate::model::{Allocation, Model};

/// A stake that stands for every member of cohort `i` in `choice`'s
/// decision — its largest member's — or, when a candidate's `min_stake`
/// lies between its smallest and largest member's stakes, the smallest
/// such threshold, at which the cohort must be split first.
pub(super) fn member_stake(
    model: &Model,
    classes: &Classes,
    i: usize,
    choice: Choice<'_>,
) -> Result<f64, f64> {
    let st = &classes.stakers;
    if st.cohort[i].members == 1 || !choice.thresholds {
        return Ok(st.stake[i]);
    }
    let (low, high) = st.member_stake_bounds(i);
    let threshold = choice
        .order
        .iter()
        .map(|&p| model.protocols[p].min_stake)
        .filter(|&t| low < t && t <= high)
        .fold(f64::INFINITY, f64::min);
    if threshold.is_finite() {
        Err(threshold)
    } else {
        Ok(high)
    }
}

/// Whether any member of cohort `i` of class `c` would move: its decision
/// depends on a member's stake only through the candidates' `min_stake`,
/// so it is found at the smallest stake and at each threshold within the
/// members' stakes. A cohort none of whose members would move is not split.
pub(super) fn any_move(
    model: &Model,
    classes: &Classes,
    c: usize,
    i: usize,
    choice: Choice<'_>,
) -> bool {
    let plan = |stake| plan_move(model, classes, c, i, stake, choice).is_some();
    if let Ok(stake) = member_stake(model, classes, i, choice) {
        return plan(stake);
    }
    let (low, high) = classes.stakers.member_stake_bounds(i);
    plan(low)
        || choice
            .order
            .iter()
            .map(|&p| model.protocols[p].min_stake)
            .any(|t| low < t && t <= high && plan(t))
}

/// A yield-chasing move: the weight of slot `j_worst` (in `p_worst`) goes
/// to `p_best`, into slot `target` (the same slot, or a free one while the
/// old allocation deallocates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Move {
    pub(super) j_worst: usize,
    pub(super) p_worst: usize,
    pub(super) p_best: usize,
    pub(super) target: usize,
}

impl Move {
    /// The same move for an entry whose slots start at `to` and are those
    /// of the entry whose slots start at `from`.
    pub(super) fn for_entry(self, from: usize, to: usize) -> Move {
        Move {
            j_worst: self.j_worst - from + to,
            target: self.target - from + to,
            ..self
        }
    }
}

/// The move of cohort i of class `c` whose members hold `stake` each: the
/// weight of its worst held protocol to the best one it does not hold
/// (ties: lowest index), if the gain is at least `min_improvement`. With a
/// deallocation delay the old allocation leaves over the delay (still
/// slashable) and the move needs a free slot; into a unique-stake protocol
/// it must fit within the stake.
pub(super) fn plan_move(
    model: &Model,
    classes: &Classes,
    c: usize,
    i: usize,
    stake: f64,
    choice: Choice<'_>,
) -> Option<Move> {
    let Choice {
        scores,
        min_improvement,
        ..
    } = choice;
    let st = &classes.stakers;
    let slots = st.slot_range(i);
    // The worst active slot, ties to the lowest protocol. Which slots are
    // empty, active or leaving, and which is worst, are as good as random:
    // the slots are read and the worst selected without a branch.
    let (mut j_worst, mut p_worst, mut worst_score) = (usize::MAX, usize::MAX, f64::NAN);
    // The protocols held (active or leaving), as a bit set when there are
    // at most 64.
    let small = st.protocols <= 64;
    let mut mask = 0u64;
    let last = scores.len() - 1;
    for j in slots.clone() {
        let (p, active, held) = st.slot_parts(j);
        if small {
            mask |= select_unpredictable(held, 1 << (p & 63), 0);
        }
        let score = scores[p.min(last)];
        let better = active
            & ((j_worst == usize::MAX)
                | (score < worst_score)
                | ((score == worst_score) & (p < p_worst)));
        j_worst = select_unpredictable(better, j, j_worst);
        p_worst = select_unpredictable(better, p, p_worst);
        // As bits: a select of two integers is a conditional move.
        worst_score = f64::from_bits(select_unpredictable(
            better,
            score.to_bits(),
            worst_score.to_bits(),
        ));
    }
    if j_worst == usize::MAX {
        return None;
    }
    let mask = small.then_some(mask);
    let held = |p: usize| match mask {
        Some(m) => m >> p & 1 == 1,
        None => slots.clone().any(|j| st.slot_protocol(j) == Some(p)),
    };
    let op = st.operator[i] as usize;
    let has_ops = !model.classes[c].delegation.is_empty();
    // Without thresholds every `min_stake` is at most 0 (a stake is not
    // below 0): it is not read.
    let p_best = choice.open.iter().copied().find(|&p| {
        !held(p)
            && (!choice.thresholds || stake >= model.protocols[p].min_stake)
            && (!has_ops || model.operators[op].serves[p])
    })?;
    if scores[p_best] - scores[p_worst] < min_improvement {
        return None;
    }
    // Unique stake: magnitudes (including those still deallocating) stay
    // within the stake, so a move into a unique-stake protocol must fit.
    let unique = |p: usize| model.protocols[p].allocation == Allocation::UniqueStake;
    if unique(p_best) {
        let w_move = st.weight[j_worst];
        let held_unique: f64 = slots
            .clone()
            .filter(|&j| st.slot_protocol(j).is_some_and(unique))
            .map(|j| st.weight[j])
            .sum();
        let freed = if unique(p_worst) && model.protocols[p_worst].deallocation_steps == 0 {
            w_move
        } else {
            0.0
        };
        if held_unique - freed + w_move > 1.0 + 1e-12 {
            return None;
        }
    }
    let target = if model.protocols[p_worst].deallocation_steps == 0 {
        j_worst
    } else {
        // The old allocation stays slashable while it deallocates: it
        // needs a free slot for the new one, else the move waits.
        slots
            .clone()
            .find(|&j| st.slot_state(j) == SlotState::Empty)?
    };
    Some(Move {
        j_worst,
        p_worst,
        p_best,
        target,
    })
}

/// What a review decides moves by: protocols best first, their scores, and
/// the smallest gain worth a move.
#[derive(Debug, Clone, Copy)]
pub(super) struct Choice<'a> {
    /// The candidates, best first.
    pub(super) order: &'a [usize],
    /// The protocols of `order` below their capacity, in that order.
    pub(super) open: &'a [usize],
    /// Per protocol: its score.
    pub(super) scores: &'a [f64],
    /// The smallest score gain worth a move.
    pub(super) min_improvement: f64,
    /// Whether any candidate has a `min_stake` above 0.
    pub(super) thresholds: bool,
}
