//! What stakers decide along one path: entering ([`entry`]), reviewing
//! their positions on their class's schedule (strategies, opportunity
//! exits, new entries; [`chase`] for yield chasing), leaving on a shock,
//! and the release of exits and deallocations whose delay has run out
//! ([`exits`]). Behaviour owns the behaviour and initial-state random
//! streams and the release queue.

pub mod chase;
pub mod entry;
pub mod exits;

use rand::RngExt;

use super::classes::Classes;
use super::protocols::ProtocolBook;
use super::rng::{PathRng, Stream, path_rng};
use super::stakers::{SlotState, Status};
use crate::model::{Model, Strategy};
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
    /// Scratch for random allocations.
    scratch: Vec<usize>,
    /// Scratch for yield chasing's protocol scores.
    scores: Vec<f64>,
}

impl Behaviour {
    /// The behaviour of path `path` of `model`.
    pub fn new(model: &Model, path: u32) -> Behaviour {
        let seed = model.run.seed;
        Behaviour {
            rng: path_rng(seed, u64::from(path), Stream::Behaviour),
            initial_rng: path_rng(seed, u64::from(path), Stream::Initial),
            releases: Releases::default(),
            scratch: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// Brings every class's stakers at t = 0 in, class by class.
    pub fn enter_initial(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
    ) {
        for (c, class) in model.classes.iter().enumerate() {
            let first = classes.runs[c].range.start;
            for i in first..first + class.count as usize {
                self.activate(model, classes, protocols, c, i, 0, Stream::Initial);
            }
        }
    }

    /// Step `step`'s decisions, class by class: exits on a shock (each
    /// active staker leaves with probability `exit_fraction`), then, on the
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
                    if classes.stakers.status[i] == Status::Active
                        && self.rng.random::<f64>() < exit_fraction
                    {
                        self.begin_exit(model, classes, protocols, c, i, step);
                    }
                }
            }
            let n = class.review_every_steps;
            if step % n != n - 1 {
                continue;
            }
            match class.strategy {
                Strategy::Fixed => {}
                Strategy::RiskAverse { exit_loss } => {
                    for i in classes.runs[c].members() {
                        let st = &classes.stakers;
                        if st.status[i] == Status::Active
                            && st.losses[i] > exit_loss * st.initial[i]
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
                    if classes.stakers.status[i] == Status::Active
                        && staker_apr(classes, &protocols.earning, i) < class.opportunity_apr
                    {
                        self.begin_exit(model, classes, protocols, c, i, step);
                    }
                }
            }
            if let Some(entry) = class.entry
                && class.allocation.expected_apr(&protocols.earning) > class.opportunity_apr
            {
                let end = classes.runs[c].range.end;
                for _ in 0..entry.per_review {
                    let i = classes.runs[c].next_reserve;
                    if i >= end {
                        break;
                    }
                    classes.runs[c].next_reserve += 1;
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
