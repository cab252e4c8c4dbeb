//! Staker classes: populations of stakers with a stake distribution, an
//! initial allocation, a strategy and the settings that govern exits,
//! entries, compounding and tax.

use serde::Serialize;

/// Initial stake distribution (native units, all > 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum StakeDist {
    /// Every staker holds this much.
    Fixed(f64),
    /// ln(stake) ~ Normal(mu, sigma).
    LogNormal {
        /// Mean of ln(stake) (ln of the median).
        mu: f64,
        /// Standard deviation of ln(stake).
        sigma: f64,
    },
    /// Pareto with minimum `scale` and tail index `shape`.
    Pareto {
        /// Minimum.
        scale: f64,
        /// Tail index.
        shape: f64,
    },
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

impl StakeDist {
    /// Expected stake (infinite for a Pareto tail index ≤ 1).
    pub fn mean(&self) -> f64 {
        match *self {
            StakeDist::Fixed(v) => v,
            StakeDist::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            StakeDist::Pareto { scale, shape } => {
                if shape > 1.0 {
                    shape * scale / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            StakeDist::Uniform { low, high } => 0.5 * (low + high),
        }
    }
}

/// How a staker's protocols and weights are chosen at entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum InitialAllocation {
    /// The same (protocol index, weight) pairs for everyone, protocols ascending.
    Fixed(Vec<(usize, f64)>),
    /// Between `min` and `max` distinct protocols from `among`, uniformly.
    Random {
        /// Fewest protocols.
        min: u32,
        /// Most protocols.
        max: u32,
        /// Weight on each.
        weight: f64,
        /// Candidate protocol indices, ascending.
        among: Vec<usize>,
    },
}

impl InitialAllocation {
    /// Most protocols one staker can hold at once.
    pub fn max_protocols(&self) -> usize {
        match self {
            InitialAllocation::Fixed(pairs) => pairs.len(),
            InitialAllocation::Random { max, .. } => *max as usize,
        }
    }

    /// The one weight every allocation of the class has, if it has one: a
    /// random allocation's `weight`, or a fixed allocation's when all its
    /// weights are equal. Moves and exits keep a slot's weight, so every
    /// slot of such a class holds it, unless a unique-stake slash rescales
    /// its weights.
    pub fn common_weight(&self) -> Option<f64> {
        match self {
            InitialAllocation::Fixed(pairs) => {
                let w = pairs.first()?.1;
                pairs
                    .iter()
                    .all(|&(_, x)| x.to_bits() == w.to_bits())
                    .then_some(w)
            }
            InitialAllocation::Random { weight, .. } => Some(*weight),
        }
    }

    /// Expected APR of a new staker, given the APR each protocol pays per
    /// unit of allocated stake: Σ weight × APR (for a random allocation,
    /// weight × mean count × mean APR over the candidates).
    pub fn expected_apr(&self, apr_by_protocol: &[f64]) -> f64 {
        match self {
            InitialAllocation::Fixed(pairs) => {
                pairs.iter().map(|&(p, w)| w * apr_by_protocol[p]).sum()
            }
            InitialAllocation::Random {
                min,
                max,
                weight,
                among,
            } => {
                let mean = among.iter().map(|&p| apr_by_protocol[p]).sum::<f64>()
                    / among.len().max(1) as f64;
                weight * 0.5 * f64::from(min + max) * mean
            }
        }
    }

    /// Expected sum of weights of a new staker.
    pub fn mean_leverage(&self) -> f64 {
        match self {
            InitialAllocation::Fixed(pairs) => pairs.iter().map(|p| p.1).sum(),
            InitialAllocation::Random {
                min, max, weight, ..
            } => weight * 0.5 * f64::from(min + max),
        }
    }
}

/// What a staker does on review days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Strategy {
    /// Keep the allocation.
    Fixed,
    /// With `probability`, move the worst held protocol's weight to the best
    /// protocol not held, if it beats it by `min_improvement` (risk-adjusted).
    YieldChasing {
        /// Chance to act on a review day.
        probability: f64,
        /// Smallest APR gain worth a move.
        min_improvement: f64,
        /// Weight of the expected yearly loss rate in the risk-adjusted APR.
        risk_weight: f64,
    },
    /// Exit once losses exceed `exit_loss` × initial stake.
    RiskAverse {
        /// Loss threshold (fraction of initial stake).
        exit_loss: f64,
    },
    /// Loop through a lending market: deposit the market's LRT, borrow its
    /// underlying, restake, repeat, to a leverage drawn uniformly from
    /// `[leverage_low, leverage_high]` at entry (the drawn stake is the
    /// equity; the restaked position is leverage × equity).
    Loop {
        /// Lending market index.
        market: usize,
        /// Lowest leverage (≥ 1).
        leverage_low: f64,
        /// Highest leverage (≤ 1 / (1 − the market's LTV)).
        leverage_high: f64,
    },
}

impl Strategy {
    /// The lending market a looping strategy borrows from.
    pub fn loop_market(&self) -> Option<usize> {
        match *self {
            Strategy::Loop { market, .. } => Some(market),
            _ => None,
        }
    }
}

/// Entry of new stakers while the class's APR beats its opportunity APR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Entry {
    /// New stakers per review.
    pub per_review: u32,
    /// Most new stakers over the horizon.
    pub max_new: u32,
}

/// A population of stakers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StakerClass {
    /// Name.
    pub name: String,
    /// Stakers at t = 0.
    pub count: u32,
    /// Staked asset (index).
    pub asset: usize,
    /// Initial stake distribution.
    pub stake: StakeDist,
    /// Initial allocation rule.
    pub allocation: InitialAllocation,
    /// Strategy.
    pub strategy: Strategy,
    /// Steps between reviews; a review happens when step % n == n − 1.
    pub review_every_steps: u32,
    /// Largest sum of weights.
    pub max_leverage: f64,
    /// Rewards add to the stake.
    pub compounding: bool,
    /// Exit on review when the staker's APR is below this (0: never).
    pub opportunity_apr: f64,
    /// Entry of new stakers, if any.
    pub entry: Option<Entry>,
    /// Delegation: (operator index, cumulative share) ascending; empty: no operators.
    pub delegation: Vec<(usize, f64)>,
    /// Tax on rewards, in [0, 1].
    pub tax_rate: f64,
}

impl StakerClass {
    /// Stakers at t = 0 plus all that may enter.
    pub fn capacity(&self) -> u64 {
        u64::from(self.count) + u64::from(self.entry.map_or(0, |e| e.max_new))
    }

    /// Whether the class loops through a lending market.
    pub fn is_loop(&self) -> bool {
        self.strategy.loop_market().is_some()
    }

    /// Whether the class's cohorts may join again after yield-chasing
    /// moves, with cohorts on (`cohorts`): a chasing class that does not
    /// loop (a loop's position belongs to its entry).
    pub fn cohorts_may_join(&self, cohorts: bool) -> bool {
        cohorts && !self.is_loop() && matches!(self.strategy, Strategy::YieldChasing { .. })
    }
}
