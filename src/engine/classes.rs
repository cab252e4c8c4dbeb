//! The staker classes along one path: every staker's state (a structure of
//! arrays, [`Stakers`]), each class's running totals and TVL per slot
//! index, and the reward phase that pays them.

use std::ops::Range;

use super::stakers::{Stakers, recount, reward_pass, slot_index_count};
use crate::model::{Model, StakerClass, Strategy};

/// One class's running state.
#[derive(Debug, Clone)]
pub struct ClassRun {
    /// Its stakers' indices, reserves for entries included.
    pub range: Range<usize>,
    /// The next reserve to enter: stakers `range.start..next_reserve` have
    /// entered.
    pub next_reserve: usize,
    /// Stake per slot index (active, leaving, junk), weighted.
    pub tvl: Vec<f64>,
    /// Stake held, native units.
    pub stake: f64,
    /// Rewards earned, cumulative.
    pub rewards: f64,
    /// Stake slashed, cumulative.
    pub losses: f64,
    /// Stake released by exits, cumulative.
    pub exits: f64,
    /// Stake at entry, summed over stakers that entered.
    pub initial: f64,
    /// Active stakers.
    pub active: u32,
    /// Per protocol: whether it accepts the class's asset.
    pub accepts: Vec<bool>,
    /// Protocols that accept the class's asset, ascending (yield chasing
    /// reorders it while it works and restores it).
    pub candidates: Vec<usize>,
}

impl ClassRun {
    /// The stakers that have entered (active, exiting or gone).
    pub fn members(&self) -> Range<usize> {
        self.range.start..self.next_reserve
    }
}

/// Every class and staker of one path.
#[derive(Debug, Clone)]
pub struct Classes {
    /// Per staker, grouped by class.
    pub stakers: Stakers,
    /// Per class.
    pub runs: Vec<ClassRun>,
    /// Per operator: the share of rewards its delegators keep.
    keep: Vec<f64>,
}

impl Classes {
    /// Every staker of `model` in reserve, with room for the allocation
    /// slots its class can need.
    pub fn new(model: &Model) -> Classes {
        let n_protocols = model.protocols.len();
        let slot_count = slot_index_count(n_protocols);
        let chases_with_delay = |c: &StakerClass| {
            matches!(c.strategy, Strategy::YieldChasing { .. })
                && model.protocols.iter().any(|p| p.deallocation_steps > 0)
        };
        let slots = model
            .classes
            .iter()
            .map(|c| c.allocation.max_protocols() + usize::from(chases_with_delay(c)))
            .max()
            .unwrap_or(1)
            .max(1);
        let mut start = 0;
        let runs: Vec<ClassRun> = model
            .classes
            .iter()
            .map(|c| {
                let len = c.capacity() as usize;
                let accepts: Vec<bool> = model
                    .protocols
                    .iter()
                    .map(|p| p.assets.contains(&c.asset))
                    .collect();
                let run = ClassRun {
                    range: start..start + len,
                    next_reserve: start + c.count as usize,
                    tvl: vec![0.0; slot_count],
                    stake: 0.0,
                    rewards: 0.0,
                    losses: 0.0,
                    exits: 0.0,
                    initial: 0.0,
                    active: 0,
                    candidates: (0..n_protocols).filter(|&p| accepts[p]).collect(),
                    accepts,
                };
                start += len;
                run
            })
            .collect();
        Classes {
            stakers: Stakers::new(start, slots, n_protocols, model.run.steps),
            runs,
            keep: model.operators.iter().map(|o| 1.0 - o.commission).collect(),
        }
    }

    /// The class staker `i` belongs to.
    pub fn class_of(&self, i: usize) -> usize {
        self.runs
            .iter()
            .position(|r| r.range.contains(&i))
            .unwrap_or(0)
    }

    /// Pays every staker one step's rewards at `rate` (per slot index) and
    /// rebuilds each class's TVL and stake from the new stakes.
    pub fn pay_rewards(&mut self, model: &Model, rate: &[f64]) {
        for (class, run) in model.classes.iter().zip(&mut self.runs) {
            run.tvl.fill(0.0);
            let range = run.members();
            let operators = !class.delegation.is_empty();
            let st = &mut self.stakers;
            let keep = &self.keep;
            let tvl = &mut run.tvl;
            let (paid, stake) = match (class.compounding, operators) {
                (true, false) => reward_pass::<true, false>(st, range, rate, keep, tvl),
                (true, true) => reward_pass::<true, true>(st, range, rate, keep, tvl),
                (false, false) => reward_pass::<false, false>(st, range, rate, keep, tvl),
                (false, true) => reward_pass::<false, true>(st, range, rate, keep, tvl),
            };
            run.rewards += paid;
            run.stake = stake;
        }
    }

    /// Recomputes every class's TVL and stake from its stakers.
    pub fn recount(&mut self) {
        for run in &mut self.runs {
            run.stake = recount(&self.stakers, run.members(), &mut run.tvl);
        }
    }

    /// Total over classes of `figure × price of the class's asset`.
    pub fn value(&self, model: &Model, prices: &[f64], figure: impl Fn(&ClassRun) -> f64) -> f64 {
        self.runs
            .iter()
            .zip(&model.classes)
            .map(|(r, k)| figure(r) * prices[k.asset])
            .sum()
    }
}
