//! Yield chasing: on a review, each staker of the class acts with the
//! rule's probability and moves the weight of its worst-scoring protocol to
//! the best-scoring one it does not hold, if the gain is large enough.
//! Scores are APR minus `risk_weight` × expected yearly loss.

use rand::RngExt;

use super::Behaviour;
use super::exits::Release;
use crate::engine::classes::Classes;
use crate::engine::protocols::ProtocolBook;
use crate::engine::stakers::{SlotState, Status};
use crate::model::{Allocation, Model};

/// A class's yield-chasing parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChaseRule {
    /// Probability that a staker acts on a review.
    pub probability: f64,
    /// Smallest score gain worth a move (APR units).
    pub min_improvement: f64,
    /// Weight of the expected yearly loss in a protocol's score.
    pub risk_weight: f64,
}

impl Behaviour {
    /// One review of yield chasing for class `c` at `step`. Stakers that
    /// act are found by geometric skipping over the class, so a review
    /// draws about `probability × stakers` numbers.
    pub fn chase(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        step: u32,
        rule: ChaseRule,
    ) {
        if rule.probability <= 0.0 {
            return;
        }
        let step_years = model.run.step_years();
        let mut scores = std::mem::take(&mut self.scores);
        scores.clear();
        scores.extend(
            model
                .protocols
                .iter()
                .zip(&protocols.earning)
                .map(|(p, apr)| apr - rule.risk_weight * p.expected_yearly_loss(step_years)),
        );
        let mut order = std::mem::take(&mut classes.runs[c].candidates);
        // Best first; ties to the lowest index.
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let range = classes.runs[c].members();
        let log_keep = (1.0 - rule.probability).ln();
        let mut i = range.start;
        loop {
            // Geometric skipping: each staker acts with `probability`.
            if rule.probability < 1.0 {
                let u: f64 = 1.0 - self.rng.random::<f64>();
                let skip = (u.ln() / log_keep).floor();
                if skip >= (range.end - i) as f64 {
                    break;
                }
                i += skip as usize;
            }
            if i >= range.end {
                break;
            }
            if classes.stakers.status[i] == Status::Active {
                let choice = Choice {
                    order: &order,
                    scores: &scores,
                    min_improvement: rule.min_improvement,
                };
                self.swap_worst_for_best(model, classes, protocols, c, i, step, choice);
            }
            i += 1;
        }
        order.sort_unstable();
        classes.runs[c].candidates = order;
        self.scores = scores;
    }

    /// Moves the weight of staker i's worst held protocol to the best one it
    /// does not hold (ties: lowest index), if the gain is at least
    /// `min_improvement`. With a deallocation delay the old allocation
    /// leaves over the delay (still slashable) and the move needs a free
    /// slot; into a unique-stake protocol it must fit within the stake.
    #[allow(clippy::too_many_arguments)]
    fn swap_worst_for_best(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        step: u32,
        choice: Choice<'_>,
    ) {
        let Choice {
            order,
            scores,
            min_improvement,
        } = choice;
        let st = &classes.stakers;
        let slots = st.slot_range(i);
        let mut worst: Option<(usize, usize)> = None;
        for j in slots.clone() {
            let SlotState::Active(p) = st.slot_state(j) else {
                continue;
            };
            let better = match worst {
                None => true,
                Some((_, wp)) => scores[p] < scores[wp] || (scores[p] == scores[wp] && p < wp),
            };
            if better {
                worst = Some((j, p));
            }
        }
        let Some((j_worst, p_worst)) = worst else {
            return;
        };
        let held = |p: usize| slots.clone().any(|j| st.slot_protocol(j) == Some(p));
        let stake = st.stake[i];
        let op = st.operator[i] as usize;
        let has_ops = !model.classes[c].delegation.is_empty();
        let best = order.iter().copied().find(|&p| {
            let proto = &model.protocols[p];
            !held(p)
                && stake >= proto.min_stake
                && protocols.tvl_native[p] < proto.capacity
                && (!has_ops || model.operators[op].serves[p])
        });
        let Some(p_best) = best else { return };
        if scores[p_best] - scores[p_worst] < min_improvement {
            return;
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
                return;
            }
        }
        let delay = model.protocols[p_worst].deallocation_steps;
        let target = if delay == 0 {
            j_worst
        } else {
            // The old allocation stays slashable while it deallocates: it
            // needs a free slot for the new one, else the move waits.
            let Some(free) = slots
                .clone()
                .find(|&j| st.slot_state(j) == SlotState::Empty)
            else {
                return;
            };
            free
        };
        let st = &mut classes.stakers;
        let run = &mut classes.runs[c];
        let w = st.weight[j_worst];
        run.tvl[st.active_index(p_worst)] -= w * stake;
        protocols.backers[p_worst] -= 1;
        protocols.backers[p_best] += 1;
        if delay > 0 {
            st.start_leaving(j_worst, p_worst);
            run.tvl[st.leaving_index(p_worst)] += w * stake;
            let slot = j_worst - slots.start;
            self.releases
                .push(step + delay, Release::Deallocation { staker: i, slot });
        }
        st.allocate(target, p_best, w);
        run.tvl[st.active_index(p_best)] += w * stake;
    }
}

/// What a review decides moves by: protocols best first, their scores, and
/// the smallest gain worth a move.
#[derive(Debug, Clone, Copy)]
struct Choice<'a> {
    order: &'a [usize],
    scores: &'a [f64],
    min_improvement: f64,
}
