//! Random events: how often (a frequency turned into a per-step
//! probability), how hard (a severity distribution), and shocks that hit
//! several protocols, operators or prices at once.

use serde::Serialize;

/// How often an event happens, as stated in the file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Frequency {
    /// Probability of at least one event in a year.
    YearlyProbability(f64),
    /// Expected events per year (Poisson hazard).
    YearlyRate(f64),
    /// Probability of an event on one day.
    DailyProbability(f64),
}

impl Frequency {
    /// Probability of an event in one step of `step_days` days, events
    /// arriving as a Poisson process (yearly forms) or independent days.
    pub fn step_probability(self, step_days: u32) -> f64 {
        let days = f64::from(step_days);
        match self {
            Frequency::YearlyProbability(p) => {
                if p >= 1.0 {
                    1.0
                } else {
                    let hazard_per_day = -(1.0 - p).ln() / super::DAYS_PER_YEAR;
                    -(-hazard_per_day * days).exp_m1()
                }
            }
            Frequency::YearlyRate(rate) => -(-rate / super::DAYS_PER_YEAR * days).exp_m1(),
            Frequency::DailyProbability(q) => 1.0 - (1.0 - q).powf(days),
        }
    }
}

/// Fraction of the exposed stake lost in one event, in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Severity {
    /// Always this fraction.
    Fixed(f64),
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Beta(alpha, beta).
    Beta {
        /// First shape parameter (> 0).
        alpha: f64,
        /// Second shape parameter (> 0).
        beta: f64,
    },
}

impl Severity {
    /// Expected fraction lost.
    pub fn mean(&self) -> f64 {
        match *self {
            Severity::Fixed(v) => v,
            Severity::Uniform { low, high } => 0.5 * (low + high),
            Severity::Beta { alpha, beta } => alpha / (alpha + beta),
        }
    }
}

/// When a shock fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Trigger {
    /// At random, with this probability each step.
    Random {
        /// Probability per step.
        step_probability: f64,
    },
    /// Once, at the start of this step (0-based).
    Scheduled {
        /// Step index.
        step: u32,
    },
}

/// An event hitting several protocols, operators or prices at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shock {
    /// Name.
    pub name: String,
    /// When it fires.
    pub trigger: Trigger,
    /// Protocols slashed together (indices, ascending).
    pub protocols: Vec<usize>,
    /// If non-empty, only stake delegated to these operators is slashed.
    pub operators: Vec<usize>,
    /// Severity for every member protocol; `None`: each protocol's own.
    pub severity: Option<Severity>,
    /// Price moves: (asset index, relative change > −1).
    pub price_moves: Vec<(usize, f64)>,
    /// LRT pool price moves: (LRT index, relative change in (−1, 10]); the
    /// NAV does not move.
    pub lrt_moves: Vec<(usize, f64)>,
    /// Fraction of each class's active stakers that exit when it fires.
    pub exit_fraction: f64,
}
