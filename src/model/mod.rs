//! The restaking domain as validated plain data: no I/O, no parsing, no
//! randomness source of its own. A [`Model`] exists only after
//! [`crate::scenario::build`] has checked every value, so the engine never
//! re-checks input.
//!
//! Units: stake and TVL in native units of an asset (BTC, ETH); prices in
//! USD; APRs and probabilities per year unless a name says `step`.

pub mod asset;
pub mod corruption;
pub mod defi;
pub mod operator;
pub mod outlook;
pub mod protocol;
pub mod risk;
pub mod staker;

pub use asset::Asset;
pub use corruption::{Corruption, CorruptionProfit, DEFAULT_CORRUPTION_THRESHOLD};
pub use defi::{Arbitrage, LendingMarket, Lrt, Oracle, Pool, RateCurve};
pub use operator::{Fault, Operator};
pub use protocol::{Allocation, AprCurve, Protocol, RewardValue, Slashing};
pub use risk::{Frequency, Severity, Shock, Trigger};
pub use staker::{Entry, InitialAllocation, StakeDist, StakerClass, Strategy};

use serde::Serialize;

/// Days in a year: APRs and yearly probabilities convert with it.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Settings of the Monte Carlo run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSettings {
    /// Scenario name (output folder name).
    pub name: String,
    /// Free text for reports.
    pub description: String,
    /// Horizon in days.
    pub horizon_days: u32,
    /// Days per step (≥ 1).
    pub step_days: u32,
    /// Number of steps: ceil(horizon_days / step_days).
    pub steps: u32,
    /// Monte Carlo paths.
    pub paths: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// A time-series point is recorded every this many steps, and at the end.
    pub record_every_steps: u32,
    /// Cap on the rows of the slashing events log.
    pub max_event_rows: u32,
    /// Memory a run may hold, GiB: beyond it, `run` keeps its per-path
    /// results on disk while it summarises them.
    pub memory_limit_gib: f64,
    /// Attacks on: after each step's random slashes, every attack by a
    /// coalition of operators that has become profitable happens (needs
    /// protocols with a [`Corruption`] model and delegated operators).
    pub attacks: bool,
    /// Stakers alike in law are simulated as one cohort (see
    /// `engine::behaviour::cohorts`); off, every staker is its own.
    pub cohorts: bool,
}

impl RunSettings {
    /// The steps at which a time-series point is recorded: 0 (the initial
    /// state), every `record_every_steps`, and the last step.
    pub fn recorded_steps(&self) -> Vec<u32> {
        let mut steps: Vec<u32> = (0..=self.steps)
            .step_by(self.record_every_steps as usize)
            .collect();
        if steps.last() != Some(&self.steps) {
            steps.push(self.steps);
        }
        steps
    }

    /// Length of one step in years.
    pub fn step_years(&self) -> f64 {
        f64::from(self.step_days) / DAYS_PER_YEAR
    }
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Run settings.
    pub run: RunSettings,
    /// Assets, indexed by position.
    pub assets: Vec<Asset>,
    /// Lower-triangular Cholesky factor of the asset correlation matrix,
    /// row-major `assets.len()²` (identity when no correlation is given).
    pub correlation_cholesky: Vec<f64>,
    /// Protocols, indexed by position.
    pub protocols: Vec<Protocol>,
    /// Shocks.
    pub shocks: Vec<Shock>,
    /// Operators, indexed by position.
    pub operators: Vec<Operator>,
    /// Staker classes.
    pub classes: Vec<StakerClass>,
    /// Liquid restaking tokens, indexed by position.
    pub lrts: Vec<Lrt>,
    /// Lending markets, indexed by position.
    pub markets: Vec<LendingMarket>,
}

impl Model {
    /// Stakers alive at t = 0 plus every staker that may enter later.
    pub fn staker_capacity(&self) -> u64 {
        self.classes.iter().map(StakerClass::capacity).sum()
    }

    /// Total agent-steps of a run: stakers at t = 0 × steps × paths.
    pub fn agent_steps(&self, paths: u32) -> u64 {
        let stakers: u64 = self.classes.iter().map(|c| u64::from(c.count)).sum();
        stakers * u64::from(self.run.steps) * u64::from(paths)
    }
}
