//! Reverse stress tests: the value of one scenario parameter at which a key
//! result crosses a threshold, found by bisection over a range.
//!
//! Pure logic only; `app::solve` runs the simulations and writes the files.
//! - [`target`]: `RESULT<=VALUE` parsed against the key-result columns, and
//!   where the result's standard error comes from;
//! - [`search`]: the `LO:HI` range and the [`Bisection`], which says which
//!   parameter value to evaluate next and keeps the bracket;
//! - [`estimate`]: the crossing by interpolation in the final bracket and
//!   its standard error by the delta method.

pub mod estimate;
pub mod search;
pub mod target;

pub use estimate::{Solution, solve};
pub use search::{Bisection, Point, Range, Stop};
pub use target::{Comparison, ErrorSource, Target};

/// Why a reverse stress test cannot be set up or cannot answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// `--target` is not `RESULT<op>VALUE`.
    #[error("--target: {0}")]
    Target(String),
    /// `--target` names no key result.
    #[error("--target: unknown result \"{name}\"{suggestion}; key results: {known}")]
    UnknownResult {
        /// The name given.
        name: String,
        /// `; did you mean "…"?`, or empty.
        suggestion: String,
        /// Every key-result column, comma-separated.
        known: String,
    },
    /// `--range` is not `LO:HI` with finite LO < HI.
    #[error("--range: {0}")]
    Range(String),
    /// `--tolerance` is not a positive finite number.
    #[error("--tolerance: expected a positive number, found {0}")]
    Tolerance(f64),
    /// `--max-steps` is below 2 (the two ends of the range).
    #[error("--max-steps: expected at least 2 (the two ends of the range), found {0}")]
    MaxSteps(usize),
    /// The target is met at both ends of the range or at neither.
    #[error(
        "{result} does not cross {threshold} in {lo}:{hi} ({result} = {lo_value} at {lo}, {hi_value} at {hi}; the target {target} is {met}): widen or move --range"
    )]
    NotCrossed {
        /// The result.
        result: String,
        /// The target as written back (`p_any_loss>=0.05`).
        target: String,
        /// The threshold.
        threshold: f64,
        /// Lower end of the range.
        lo: f64,
        /// Upper end of the range.
        hi: f64,
        /// The result at `lo`.
        lo_value: f64,
        /// The result at `hi`.
        hi_value: f64,
        /// `met at both ends` or `met at neither end`.
        met: &'static str,
    },
    /// The result is not a number at a parameter value (the paths cannot
    /// support it, e.g. a deep-tail figure with too few paths).
    #[error(
        "{result} is not a number at {x} (the paths cannot support it; see docs/outputs.md): choose another result or more --paths"
    )]
    NotANumber {
        /// The result.
        result: String,
        /// The parameter value.
        x: f64,
    },
}

impl SolveError {
    /// Whether the error is in the arguments (exit code 2) rather than in
    /// what the simulations found (exit code 1).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self,
            SolveError::NotCrossed { .. } | SolveError::NotANumber { .. }
        )
    }
}
