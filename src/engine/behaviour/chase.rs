//! Yield chasing: on a review, each staker of the class acts with the
//! rule's probability and moves the weight of its worst-scoring protocol to
//! the best-scoring one it does not hold, if the gain is large enough.
//! Scores are APR minus `risk_weight` × expected yearly loss.

use rand::RngExt;
use rand_distr::Exp1;

use super::Behaviour;
use super::exits::Release;
use super::plan::{Choice, Move, any_move, member_stake, plan_move};
use crate::engine::classes::{ClassRun, Classes};
use crate::engine::protocols::ProtocolBook;
use crate::engine::stakers::{Stakers, Status};
use crate::model::Model;

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
        // The candidates with room, in the same order: TVL does not change
        // within a review.
        let mut open = std::mem::take(&mut self.open);
        open.clear();
        open.extend(
            order
                .iter()
                .filter(|&&p| protocols.tvl_native[p] < model.protocols[p].capacity),
        );
        let choice = Choice {
            order: &order,
            open: &open,
            scores: &scores,
            min_improvement: rule.min_improvement,
            thresholds: order.iter().any(|&p| model.protocols[p].min_stake > 0.0),
        };
        // Geometric skipping over the class's stakers, cohort by cohort:
        // each staker acts with `probability`; `next` counts the stakers
        // to pass over from the start of the current cohort.
        // Members who arrived in a cohort in this review (see
        // [`super::merges`]) have acted already.
        self.start_merging(model, classes, c);
        let per_unit = skip_per_unit(rule.probability);
        let mut next = self.skip(rule.probability, per_unit);
        for i in range {
            let waiting = self.merges.not_yet_acted(&classes.stakers, i);
            let n = u64::from(waiting);
            let mut acting = 0;
            while next < n {
                acting += 1;
                next += 1 + self.skip(rule.probability, per_unit);
            }
            next -= n;
            if acting == 0 || classes.stakers.cohort[i].status != Status::Active {
                continue;
            }
            if acting < classes.stakers.cohort[i].members && !choice.thresholds {
                // Every member decides alike: the cohort's plan is theirs.
                let stake = classes.stakers.stake[i];
                if let Some(plan) = plan_move(model, classes, c, i, stake, choice) {
                    let part = Part { acting, waiting };
                    self.move_part(model, classes, protocols, c, i, part, step, plan);
                }
            } else if classes.stakers.cohort[i].members == 1
                || any_move(model, classes, c, i, choice)
            {
                let movers = self.split_random_among(classes, c, i, acting, waiting);
                self.chase_cohort(model, classes, protocols, c, movers, step, choice);
            }
        }
        self.end_merging(classes, c);
        self.open = open;
        order.sort_unstable();
        classes.runs[c].candidates = order;
        self.scores = scores;
    }

    /// Stakers passed over before the next one that acts, when each acts
    /// with `probability` (`per_unit` = [`skip_per_unit`]);
    /// saturates at `u64::MAX` for "none left". An Exp(1) draw E gives
    /// ⌊E × per_unit⌋ ~ Geometric(probability): P(skip ≥ k) =
    /// P(E ≥ −k ln(1 − p)) = (1 − p)^k. The ziggurat draws E without a
    /// logarithm nearly always.
    fn skip(&mut self, probability: f64, per_unit: f64) -> u64 {
        if probability >= 1.0 {
            return 0;
        }
        let e: f64 = self.rng.sample(Exp1);
        // Not below 0: truncating is the floor (without a call to libm).
        let skip = e * per_unit;
        if skip >= 1e18 {
            u64::MAX / 2
        } else {
            skip as u64
        }
    }

    /// Moves cohort `i` of class `c` as [`plan_move`] decides. Members
    /// whose stakes sit on both sides of a candidate's `min_stake` may
    /// decide differently: the cohort is first split at each such
    /// threshold, and each part decides on its own.
    #[allow(clippy::too_many_arguments)]
    fn chase_cohort(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        step: u32,
        choice: Choice<'_>,
    ) {
        let stake = member_stake(model, classes, i, choice);
        if let Err(threshold) = stake
            && let Some(above) = self.split_at_stake(classes, c, i, threshold)
        {
            self.chase_cohort(model, classes, protocols, c, i, step, choice);
            self.chase_cohort(model, classes, protocols, c, above, step, choice);
            return;
        }
        let stake = stake.unwrap_or_else(|_| classes.stakers.member_stake_bounds(i).1);
        if let Some(plan) = plan_move(model, classes, c, i, stake, choice) {
            self.apply_move(model, classes, protocols, c, i, step, plan);
        }
    }

    /// Makes the move `plan` for `part.acting` members of cohort `i` of
    /// class `c` (fewer than all), drawn at random among its first
    /// `part.waiting`, at `step`. They join the cohort alike in law that
    /// holds the allocation they move to, when the review merges and
    /// there is one, straight from `i` (as a split, the move and
    /// [`Self::join_moved`] would, without an entry of their own in
    /// between); else they become a cohort of their own that moves.
    #[allow(clippy::too_many_arguments)]
    fn move_part(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        part: Part,
        step: u32,
        plan: Move,
    ) {
        let moves_into_active = plan.target == plan.j_worst;
        let swap = (
            plan.j_worst,
            classes.stakers.active_index(plan.p_best) as u16,
        );
        let probe = if moves_into_active {
            self.merges.probe_after(classes, c, i, swap)
        } else {
            None
        };
        let k = part.acting;
        // While the key's table slot comes into the cache.
        self.draw_to_tail(classes, i, k, part.waiting);
        let candidate = probe.and_then(|probe| self.merges.candidate(c, probe));
        if let Some(t) = candidate {
            // While the members' figures are taken out.
            classes.stakers.prefetch_entry(t);
        }
        let tail = classes.stakers.detach_tail(i, k);
        let target = probe
            .zip(candidate)
            .and_then(|(probe, t)| self.merges.takes_in_at(classes, c, t, i, probe));
        match target {
            Some(t) if tail.can_join() => {
                let w = classes.stakers.weight[plan.j_worst];
                let run = &mut classes.runs[c];
                shift_stake(&classes.stakers, run, protocols, plan, w * tail.stake, k);
                self.merges.arrive(t, k);
                classes.absorb_tail(c, t, i, k, tail);
            }
            _ => {
                let e = self.attach_tail(classes, c, i, k, tail);
                let st = &classes.stakers;
                let plan = plan.for_entry(st.slot_range(i).start, st.slot_range(e).start);
                self.apply_move(model, classes, protocols, c, e, step, plan);
            }
        }
    }

    /// Makes the move `plan` for cohort `i` of class `c` at `step`.
    #[allow(clippy::too_many_arguments)]
    fn apply_move(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        step: u32,
        plan: Move,
    ) {
        let Move {
            j_worst,
            p_worst,
            p_best,
            target,
        } = plan;
        let st = &mut classes.stakers;
        let run = &mut classes.runs[c];
        let stake = st.stake[i];
        let members = st.cohort[i].members;
        let w = st.weight[j_worst];
        shift_stake(st, run, protocols, plan, w * stake, members);
        let delay = model.protocols[p_worst].deallocation_steps;
        if delay > 0 {
            st.start_leaving(j_worst, p_worst);
            run.tvl[st.leaving_index(p_worst)] += w * stake;
            let slot = j_worst - st.slot_range(i).start;
            self.releases
                .push(step + delay, Release::Deallocation { staker: i, slot });
        }
        st.allocate(target, p_best, w);
        self.join_moved(classes, c, i);
    }
}

/// −1 / ln(1 − `probability`): the skip per unit of an Exp(1) draw (see
/// [`Behaviour::skip`]). `ln_1p` keeps it finite and right for
/// probabilities too small for 1 − p to differ from 1 (about 1 / p, or
/// infinite: nobody acts).
fn skip_per_unit(probability: f64) -> f64 {
    -1.0 / (-probability).ln_1p()
}

/// How many members of a cohort act in a review, and among how many of
/// them (the first ones) they are drawn.
#[derive(Debug, Clone, Copy)]
struct Part {
    acting: u32,
    waiting: u32,
}

/// Moves `amount` of a class's TVL (weight × stake) and `members` backers
/// from `plan`'s old protocol to its new one.
fn shift_stake(
    st: &Stakers,
    run: &mut ClassRun,
    protocols: &mut ProtocolBook,
    plan: Move,
    amount: f64,
    members: u32,
) {
    run.tvl[st.active_index(plan.p_worst)] -= amount;
    run.tvl[st.active_index(plan.p_best)] += amount;
    protocols.backers[plan.p_worst] -= members;
    protocols.backers[plan.p_best] += members;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stakers::SlotState;
    use crate::engine::test_support::{Parts, model};

    /// Protocols named p0, p1, … paying constant APRs, each with extra
    /// keys, and the given staker tables.
    fn market(protocols: &[(f64, &str)], stakers: &str) -> Model {
        let mut text = String::new();
        for (p, (apr, extra)) in protocols.iter().enumerate() {
            text.push_str(&format!(
                "[[protocol]]\nname = \"p{p}\"\nassets = [\"ETH\"]\napr = {{ curve = \"constant\", value = {apr} }}\n{extra}\n\n"
            ));
        }
        text.push_str(stakers);
        model(&text)
    }

    /// A class of `count` chasers of 100 ETH allocated by `allocate`, acting
    /// with `probability` every step, with extra strategy keys.
    fn chasers(count: u32, allocate: &str, probability: f64, strategy: &str) -> String {
        format!(
            r#"
[[staker]]
class = "chasers"
count = {count}
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ {allocate} }}
max_leverage = 2.0
review_every_days = 1
strategy = {{ kind = "yield_chasing", probability = {probability}{strategy} }}
"#
        )
    }

    /// Staker i's allocations: (slot offset, state, weight), empty slots left out.
    fn held(parts: &Parts, i: usize) -> Vec<(usize, SlotState, f64)> {
        let st = &parts.classes.stakers;
        let first = st.slot_range(i).start;
        st.slot_range(i)
            .filter(|&j| st.slot_state(j) != SlotState::Empty)
            .map(|j| (j - first, st.slot_state(j), st.weight[j]))
            .collect()
    }

    use SlotState::{Active, Leaving};

    #[test]
    fn a_chaser_moves_its_worst_protocols_weight_to_the_best_one_it_does_not_hold() {
        let model = market(
            &[(0.02, ""), (0.05, ""), (0.04, ""), (0.03, "")],
            &chasers(2, "p0 = 0.5, p2 = 0.5", 1.0, ", min_improvement = 0.0"),
        );
        let mut parts = Parts::start(&model);
        parts.review(&model, 0, 0.0);
        for i in 0..2 {
            assert_eq!(held(&parts, i), [(0, Active(1), 0.5), (1, Active(2), 0.5)]);
        }
        let run = &parts.classes.runs[0];
        assert_eq!(run.tvl[0..4], [0.0, 100.0, 100.0, 0.0]);
        assert_eq!(parts.protocols.backers, [0, 2, 2, 0]);
        assert_eq!(run.candidates, [0, 1, 2, 3], "restored");
        // Next: the worst held (p2, 4 %) beats the best left (p3, 3 %).
        parts.review(&model, 1, 0.0);
        assert_eq!(held(&parts, 0), [(0, Active(1), 0.5), (1, Active(2), 0.5)]);
        // The running TVL agrees with a recount.
        let kept = parts.classes.runs[0].tvl.clone();
        parts.classes.recount();
        assert_eq!(parts.classes.runs[0].tvl, kept);
    }

    #[test]
    fn a_move_needs_at_least_the_minimum_improvement() {
        let protocols = [(0.02, ""), (0.05, "")];
        for (min, moves) in [(0.029, true), (0.031, false)] {
            let strategy = format!(", min_improvement = {min}");
            let model = market(&protocols, &chasers(1, "p0 = 1.0", 1.0, &strategy));
            let mut parts = Parts::start(&model);
            parts.review(&model, 0, 0.0);
            let to = if moves { 1 } else { 0 };
            assert_eq!(held(&parts, 0), [(0, Active(to), 1.0)], "min {min}");
        }
    }

    #[test]
    fn the_risk_weight_scores_protocols_by_apr_less_expected_loss() {
        // p1's own slashing costs 0.1 × 0.001 × 365 = 3.65 % a year: its
        // score, 1.35 %, is below p0's 2 % and p2's 3 %.
        let protocols = [
            (0.02, ""),
            (
                0.05,
                r#"slashing = { daily_probability = 0.001, severity = { dist = "fixed", value = 0.1 } }"#,
            ),
            (0.03, ""),
        ];
        for (weight, to) in [(0.0, 1), (1.0, 2)] {
            let strategy = format!(", min_improvement = 0.0, risk_weight = {weight}");
            let model = market(&protocols, &chasers(1, "p0 = 1.0", 1.0, &strategy));
            let mut parts = Parts::start(&model);
            parts.review(&model, 0, 0.0);
            assert_eq!(
                held(&parts, 0),
                [(0, Active(to), 1.0)],
                "risk weight {weight}"
            );
        }
    }

    #[test]
    fn without_a_minimum_improvement_a_chaser_always_moves() {
        let model = market(&[(0.05, ""), (0.01, "")], &chasers(1, "p0 = 1.0", 1.0, ""));
        let mut parts = Parts::start(&model);
        parts.review(&model, 0, 0.0);
        assert_eq!(held(&parts, 0), [(0, Active(1), 1.0)]);
    }

    #[test]
    fn with_a_deallocation_delay_the_old_weight_leaves_from_its_slot_and_is_queued() {
        let model = market(
            &[(0.02, "deallocation_days = 4"), (0.05, ""), (0.04, "")],
            &chasers(2, "p0 = 0.5, p2 = 0.5", 1.0, ", min_improvement = 0.0"),
        );
        let mut parts = Parts::start(&model);
        assert_eq!(parts.classes.stakers.slots, 3);
        parts.review(&model, 6, 0.0);
        for i in 0..2 {
            assert_eq!(
                held(&parts, i),
                [
                    (0, Leaving(0), 0.5),
                    (1, Active(2), 0.5),
                    (2, Active(1), 0.5)
                ]
            );
        }
        let st = &parts.classes.stakers;
        let run = &parts.classes.runs[0];
        assert_eq!(run.tvl[st.leaving_index(0)], 100.0);
        assert_eq!(run.tvl[0..3], [0.0, 100.0, 100.0]);
        assert_eq!(parts.protocols.backers, [0, 2, 2]);
        let mut queue = parts.behaviour.releases.clone();
        assert_eq!(queue.pop_due(9), None);
        assert_eq!(
            queue.pop_due(10),
            Some(Release::Deallocation { staker: 0, slot: 0 })
        );
        assert_eq!(
            queue.pop_due(10),
            Some(Release::Deallocation { staker: 1, slot: 0 })
        );
        assert_eq!(queue.pop_due(u32::MAX), None);
        parts.behaviour.release(10, &mut parts.classes);
        assert_eq!(held(&parts, 0), [(1, Active(2), 0.5), (2, Active(1), 0.5)]);
        let st = &parts.classes.stakers;
        assert_eq!(parts.classes.runs[0].tvl[st.leaving_index(0)], 0.0);
    }

    #[test]
    fn with_a_deallocation_delay_and_no_free_slot_the_move_waits() {
        let model = market(
            &[
                (0.01, "deallocation_days = 5"),
                (0.02, "deallocation_days = 5"),
                (0.03, ""),
                (0.05, ""),
                (0.04, ""),
            ],
            &chasers(
                1,
                "p0 = 0.3, p1 = 0.3, p2 = 0.3",
                1.0,
                ", min_improvement = 0.0",
            ),
        );
        let mut parts = Parts::start(&model);
        parts.review(&model, 0, 0.0);
        let after_first = [
            (0, Leaving(0), 0.3),
            (1, Active(1), 0.3),
            (2, Active(2), 0.3),
            (3, Active(3), 0.3),
        ];
        assert_eq!(held(&parts, 0), after_first);
        // p1 would go to p4 (p0 is still held, leaving), but every slot is taken.
        for step in 1..5 {
            parts.review(&model, step, 0.0);
            parts.behaviour.release(step, &mut parts.classes);
            assert_eq!(held(&parts, 0), after_first, "step {step}");
        }
        parts.behaviour.release(5, &mut parts.classes);
        parts.review(&model, 6, 0.0);
        assert_eq!(
            held(&parts, 0),
            [
                (0, Active(4), 0.3),
                (1, Leaving(1), 0.3),
                (2, Active(2), 0.3),
                (3, Active(3), 0.3),
            ]
        );
    }

    #[test]
    fn the_best_protocol_is_one_the_staker_may_enter() {
        let model = market(
            &[
                (0.01, ""),
                (0.05, "capacity = 10"),
                (0.04, "min_stake = 1000"),
                (0.03, ""),
                (0.02, ""),
            ],
            r#"
[[operator]]
name = "op"
protocols = ["p0", "p1", "p2", "p4"]

[[staker]]
class = "chasers"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p0 = 1.0 }
operators = { op = 1.0 }
review_every_days = 1
strategy = { kind = "yield_chasing", probability = 1.0 }

[[staker]]
class = "whale"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 20 }
allocate = { p1 = 1.0 }
"#,
        );
        let mut parts = Parts::start(&model);
        // p1 is full, p2 out of reach, p3 not served by the operator.
        parts.review(&model, 0, 0.0);
        assert_eq!(held(&parts, 0), [(0, Active(4), 1.0)]);
    }

    #[test]
    fn a_move_into_unique_stake_must_fit_within_the_stake() {
        let unique = r#"allocation = { model = "unique_stake" }"#;
        let slow = format!("{unique}\ndeallocation_days = 3");
        for (first, moves) in [(unique, true), (slow.as_str(), false)] {
            let model = market(
                &[(0.02, first), (0.03, unique), (0.05, unique)],
                &chasers(1, "p0 = 0.5, p1 = 0.5", 1.0, ", min_improvement = 0.0"),
            );
            let mut parts = Parts::start(&model);
            parts.review(&model, 0, 0.0);
            // Instant: 0.5 freed for 0.5 moved. Deallocating: 0.5 + 0.5 +
            // 0.5 would exceed the stake.
            let to = if moves { 2 } else { 0 };
            assert_eq!(
                held(&parts, 0),
                [(0, Active(to), 0.5), (1, Active(1), 0.5)],
                "moves: {moves}"
            );
        }
    }

    #[test]
    fn with_a_probability_below_one_the_movers_are_found_by_geometric_skipping() {
        const COUNT: usize = 60;
        let model = market(
            &[(0.02, ""), (0.05, "")],
            &chasers(COUNT as u32, "p0 = 1.0", 0.3, ", min_improvement = 0.0"),
        );
        let mut parts = Parts::start(&model);
        // Gaps between movers are Geometric(0.3) draws: floor(E / −ln 0.7)
        // with E ~ Exp(1).
        let mut rng = parts.behaviour.rng.clone();
        let mut expected = vec![false; COUNT];
        let mut i = 0;
        loop {
            let e: f64 = rng.sample(Exp1);
            let skip = (e * (-1.0 / 0.7f64.ln())).floor() as usize;
            if i + skip >= COUNT {
                break;
            }
            i += skip;
            expected[i] = true;
            i += 1;
        }
        parts.review(&model, 0, 0.0);
        let moved: Vec<bool> = (0..COUNT)
            .map(|i| held(&parts, i) == [(0, Active(1), 1.0)])
            .collect();
        assert_eq!(moved, expected);
        let n = moved.iter().filter(|&&m| m).count();
        assert!((5..=35).contains(&n), "{n} of {COUNT} moved");
        assert_eq!(
            parts.behaviour.rng, rng,
            "one draw per mover and one to end"
        );
        assert_eq!(parts.protocols.backers, [(COUNT - n) as u32, n as u32]);
    }

    #[test]
    fn skips_are_geometric_with_the_mean_and_zero_share_of_the_closed_form() {
        // Geometric(p) on {0, 1, …}: mean (1 − p) / p, variance (1 − p) / p²,
        // P(0) = p. Tolerances: 5 standard errors over N draws.
        const N: usize = 200_000;
        let model = market(&[(0.02, "")], &chasers(1, "p0 = 1.0", 0.5, ""));
        let mut parts = Parts::start(&model);
        for p in [0.1, 0.5, 0.9] {
            let per_unit = skip_per_unit(p);
            let draws: Vec<u64> = (0..N).map(|_| parts.behaviour.skip(p, per_unit)).collect();
            let mean = draws.iter().sum::<u64>() as f64 / N as f64;
            let expected = (1.0 - p) / p;
            let se = ((1.0 - p) / (p * p) / N as f64).sqrt();
            assert!(
                (mean - expected).abs() < 5.0 * se,
                "p {p}: mean {mean} vs {expected}"
            );
            let zeros = draws.iter().filter(|&&d| d == 0).count() as f64 / N as f64;
            let se = (p * (1.0 - p) / N as f64).sqrt();
            assert!((zeros - p).abs() < 5.0 * se, "p {p}: P(0) {zeros}");
        }
        assert_eq!(parts.behaviour.skip(1.0, 0.0), 0, "everyone acts");
    }

    #[test]
    fn with_a_probability_too_small_for_one_minus_it_to_differ_from_one_nobody_moves() {
        // 1 − 1e-20 == 1 in f64: ln(1 − p) is 0 and a skip of
        // E / −ln(1 − p) would be −inf, so everyone would act.
        let model = market(
            &[(0.02, ""), (0.05, "")],
            &chasers(500, "p0 = 1.0", 1e-20, ", min_improvement = 0.0"),
        );
        let mut parts = Parts::start(&model);
        for step in 0..5 {
            parts.review(&model, step, 0.0);
        }
        assert_eq!(parts.protocols.backers, [500, 0]);
        assert!((skip_per_unit(1e-20) - 1e20).abs() < 1e6);
    }

    #[test]
    fn with_probability_zero_nobody_moves_and_nothing_is_drawn() {
        let model = market(&[(0.02, ""), (0.05, "")], &chasers(5, "p0 = 1.0", 0.0, ""));
        let mut parts = Parts::start(&model);
        let rng = parts.behaviour.rng.clone();
        parts.review(&model, 0, 0.0);
        assert!((0..5).all(|i| held(&parts, i) == [(0, Active(0), 1.0)]));
        assert_eq!(parts.behaviour.rng, rng);
    }
}
