//! What stakers decide along one path: entering ([`entry`]), reviewing
//! their positions on their class's schedule (strategies, opportunity
//! exits, new entries; [`chase`] for yield chasing), leaving on a shock,
//! and the release of exits and deallocations whose delay has run out
//! ([`exits`]). Behaviour owns the behaviour and initial-state random
//! streams, the release queue and the count of how long exits took.

pub mod chase;
pub mod cohorts;
pub mod entry;
pub mod exits;
pub mod key_table;
pub mod merges;
mod plan;

use super::classes::Classes;
use super::protocols::ProtocolBook;
use super::rng::{PathRng, Stream, path_rng};
use super::stakers::{SlotState, Status};
use crate::model::{Model, Strategy};
use crate::results::DelayCounts;
use exits::Releases;

/// The behaviour state of one path.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Strategy moves, entries after t = 0 and exits.
    rng: PathRng,
    /// Stakes, allocations and delegations at t = 0.
    initial_rng: PathRng,
    /// Exits and deallocations waiting for their delay.
    releases: Releases,
    /// Per staker: the step its exit started (when it has).
    exit_began: Vec<u32>,
    /// Days per step.
    step_days: u32,
    /// Per class: released exits by days from start to release.
    pub exit_delays: Vec<DelayCounts>,
    /// Scratch for random allocations.
    scratch: Vec<usize>,
    /// The protocols an entrant backs: (protocol, weight).
    picks: Vec<(usize, f64)>,
    /// Scratch for yield chasing's protocol scores.
    scores: Vec<f64>,
    /// Scratch for yield chasing: the candidates with room, best first.
    open: Vec<usize>,
    /// Cohorts joining again after yield-chasing moves.
    merges: merges::Merges,
}

impl Drop for Behaviour {
    /// Keeps the merges' tables as this thread's spare ones.
    fn drop(&mut self) {
        std::mem::take(&mut self.merges).keep_for_next();
    }
}

impl Behaviour {
    /// The behaviour of path `path` of `model`.
    pub fn new(model: &Model, path: u32) -> Behaviour {
        let seed = model.run.seed;
        Behaviour {
            rng: path_rng(seed, u64::from(path), Stream::Behaviour),
            initial_rng: path_rng(seed, u64::from(path), Stream::Initial),
            releases: Releases::default(),
            exit_began: vec![0; model.classes.iter().map(|c| c.capacity() as usize).sum()],
            step_days: model.run.step_days,
            exit_delays: vec![DelayCounts::default(); model.classes.len()],
            scratch: Vec::new(),
            picks: Vec::new(),
            scores: Vec::new(),
            open: Vec::new(),
            merges: merges::Merges::new(model),
        }
    }

    /// Brings every class's stakers at t = 0 in, class by class, gathered
    /// into cohorts ([`entry`]).
    pub fn enter_initial(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
    ) {
        for c in 0..model.classes.len() {
            self.enter_class_initial(model, classes, protocols, c);
        }
    }

    /// Step `step`'s decisions, class by class: exits on a shock (each
    /// active staker leaves with probability `exit_fraction`: a binomial
    /// share of each cohort splits off and leaves), then, on the
    /// class's review steps, its strategy, opportunity exits and entries.
    pub fn review(
        &mut self,
        model: &Model,
        step: u32,
        exit_fraction: f64,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
    ) {
        for (c, class) in model.classes.iter().enumerate() {
            if exit_fraction > 0.0 {
                for i in classes.runs[c].members() {
                    if classes.stakers.cohort[i].status != Status::Active {
                        continue;
                    }
                    let k = self.draw_acting(classes.stakers.cohort[i].members, exit_fraction);
                    if k > 0 {
                        let leaving = self.split_random(classes, c, i, k);
                        self.begin_exit(model, classes, protocols, c, leaving, step);
                    }
                }
            }
            let n = class.review_every_steps;
            if step % n != n - 1 {
                continue;
            }
            match class.strategy {
                // A loop's leverage is kept by the lending phase.
                Strategy::Fixed | Strategy::Loop { .. } => {}
                Strategy::RiskAverse { exit_loss } => {
                    for i in classes.runs[c].members() {
                        let st = &classes.stakers;
                        if st.cohort[i].status == Status::Active
                            && st.losses[i] > exit_loss * st.cohort[i].initial
                        {
                            self.begin_exit(model, classes, protocols, c, i, step);
                        }
                    }
                }
                Strategy::YieldChasing {
                    probability,
                    min_improvement,
                    risk_weight,
                } => {
                    let rule = chase::ChaseRule {
                        probability,
                        min_improvement,
                        risk_weight,
                    };
                    self.chase(model, classes, protocols, c, step, rule);
                }
            }
            if class.opportunity_apr > 0.0 {
                for i in classes.runs[c].members() {
                    if classes.stakers.cohort[i].status == Status::Active
                        && staker_apr(classes, &protocols.earning, i) < class.opportunity_apr
                    {
                        self.begin_exit(model, classes, protocols, c, i, step);
                    }
                }
            }
            if let Some(entry) = class.entry
                && class.allocation.expected_apr(&protocols.earning) > class.opportunity_apr
            {
                for _ in 0..entry.per_review {
                    let run = &mut classes.runs[c];
                    if u64::from(run.joined) >= class.capacity() {
                        break;
                    }
                    let i = run.take_entry();
                    self.activate(model, classes, protocols, c, i, step + 1, Stream::Behaviour);
                }
            }
        }
    }
}

/// APR staker `i` earns now: Σ weight × APR over its active allocations.
fn staker_apr(classes: &Classes, earning: &[f64], i: usize) -> f64 {
    let st = &classes.stakers;
    st.slot_range(i)
        .filter_map(|j| match st.slot_state(j) {
            SlotState::Active(p) => Some(st.weight[j] * earning[p]),
            SlotState::Leaving(_) | SlotState::Empty => None,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, model};
    use rand::RngExt;

    /// One protocol paying `apr`; three stakers of 100 ETH with `strategy`,
    /// reviewing every `review` days, with an opportunity APR and entries
    /// given as extra keys.
    fn one_class(apr: f64, strategy: &str, review: u32, extra: &str) -> Model {
        model(&format!(
            r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = {apr} }}
unbonding_days = 2

[[staker]]
class = "c"
count = 3
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}
strategy = {{ {strategy} }}
review_every_days = {review}
{extra}
"#
        ))
    }

    fn statuses(parts: &Parts) -> Vec<Status> {
        parts.classes.stakers.cohort[parts.classes.runs[0].range.clone()]
            .iter()
            .map(|c| c.status)
            .collect()
    }

    use Status::{Active, Exiting, Reserve};

    #[test]
    fn risk_averse_stakers_exit_once_their_losses_exceed_the_threshold() {
        let model = one_class(0.05, r#"kind = "risk_averse", exit_loss = 0.05"#, 1, "");
        let mut parts = Parts::start(&model);
        // 5 % exactly is not beyond the threshold.
        parts.classes.stakers.losses[0..3].copy_from_slice(&[5.0, 5.0 + 1e-9, 0.0]);
        parts.review(&model, 0, 0.0);
        assert_eq!(statuses(&parts), [Active, Exiting, Active]);
        assert_eq!(parts.classes.runs[0].active, 2);
        assert_eq!(parts.protocols.backers, [2]);
        // An exit is queued at the protocol's delay (2 steps).
        let mut queue = parts.behaviour.releases.clone();
        assert_eq!(queue.pop_due(1), None);
        assert_eq!(queue.pop_due(2), Some(exits::Release::Exit { staker: 1 }));
    }

    #[test]
    fn strategies_act_only_on_review_steps() {
        let model = one_class(0.05, r#"kind = "risk_averse", exit_loss = 0.0"#, 7, "");
        let mut parts = Parts::start(&model);
        parts.classes.stakers.losses[0] = 1.0;
        for step in 0..6 {
            parts.review(&model, step, 0.0);
            assert_eq!(statuses(&parts), [Active; 3], "step {step}");
        }
        // Reviews fall at the end of day 7: step 6.
        parts.review(&model, 6, 0.0);
        assert_eq!(statuses(&parts), [Exiting, Active, Active]);
    }

    #[test]
    fn a_shock_exit_fraction_of_one_empties_every_class_and_zero_none() {
        let model = one_class(0.05, r#"kind = "fixed""#, 7, "");
        let mut parts = Parts::start(&model);
        parts.review(&model, 0, 0.0);
        assert_eq!(statuses(&parts), [Active; 3]);
        let rng = parts.behaviour.rng.clone();
        parts.review(&model, 0, 1.0);
        assert_eq!(statuses(&parts), [Exiting; 3]);
        assert_eq!(parts.classes.runs[0].active, 0);
        assert_eq!(parts.protocols.backers, [0]);
        // One uniform per active staker.
        let mut expected = rng;
        for _ in 0..3 {
            let _: f64 = expected.random();
        }
        assert_eq!(parts.behaviour.rng, expected);
    }

    #[test]
    fn stakers_below_the_opportunity_apr_exit_on_review() {
        let text = |apr| one_class(apr, r#"kind = "fixed""#, 1, "opportunity_apr = 0.05");
        let poor = text(0.049);
        let mut parts = Parts::start(&poor);
        parts.review(&poor, 0, 0.0);
        assert_eq!(statuses(&parts), [Exiting; 3]);
        let rich = text(0.051);
        let mut parts = Parts::start(&rich);
        parts.review(&rich, 0, 0.0);
        assert_eq!(statuses(&parts), [Active; 3]);
    }

    #[test]
    fn new_stakers_enter_while_the_expected_apr_beats_the_opportunity_apr() {
        let extra = "opportunity_apr = 0.04\nentry = { per_review = 2, max_new = 3 }";
        let model = one_class(0.05, r#"kind = "fixed""#, 2, extra);
        let mut parts = Parts::start(&model);
        assert_eq!(
            statuses(&parts),
            [Active, Active, Active, Reserve, Reserve, Reserve]
        );
        parts.review(&model, 0, 0.0);
        assert_eq!(parts.classes.runs[0].next_entry, 3, "not a review step");
        parts.review(&model, 1, 0.0);
        assert_eq!(parts.classes.runs[0].next_entry, 5);
        assert_eq!(statuses(&parts)[3..], [Active, Active, Reserve]);
        // They enter at the start of the next step.
        let entered: Vec<u32> = parts.classes.stakers.cohort[3..5]
            .iter()
            .map(|c| c.entered)
            .collect();
        assert_eq!(entered, [2, 2]);
        parts.review(&model, 3, 0.0);
        let run = &parts.classes.runs[0];
        assert_eq!((run.next_entry, run.active), (6, 6));
        assert_eq!((run.stake, run.initial, run.tvl[0]), (600.0, 600.0, 600.0));
        assert_eq!(parts.classes.stakers.cohort[5].entered, 4);
        // Full: no more entries.
        parts.review(&model, 5, 0.0);
        assert_eq!(parts.classes.runs[0].active, 6);
        assert_eq!(parts.protocols.backers, [6]);
    }

    #[test]
    fn nobody_enters_when_the_expected_apr_is_not_above_the_opportunity_apr() {
        let extra = "opportunity_apr = 0.05\nentry = { per_review = 2, max_new = 3 }";
        let model = one_class(0.05, r#"kind = "fixed""#, 1, extra);
        let mut parts = Parts::start(&model);
        parts.review(&model, 0, 0.0);
        assert_eq!(parts.classes.runs[0].next_entry, 3);
    }

    #[test]
    fn a_stakers_apr_is_the_weighted_sum_over_its_active_allocations() {
        let model = model(
            r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.04 }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.10 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p0 = 1.0, p1 = 0.5 }
max_leverage = 1.5
"#,
        );
        let mut parts = Parts::start(&model);
        let earning = parts.protocols.earning.clone();
        assert!((staker_apr(&parts.classes, &earning, 0) - 0.09).abs() < 1e-15);
        // A leaving allocation earns nothing.
        let j = parts.classes.stakers.slot_range(0).start + 1;
        parts.classes.stakers.start_leaving(j, 1);
        assert_eq!(staker_apr(&parts.classes, &earning, 0), 0.04);
    }
}
