//! What can be wrong with a path's results: the engine checks each path
//! once, at its end, and a run with a defect writes no outputs.

use super::finals::Part;

/// Largest relative bookkeeping error a path may end with.
pub const BOOKKEEPING_TOLERANCE: f64 = 1e-9;

/// Why a path's results cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PathDefect {
    /// A staker's stake is negative or not finite.
    #[error("staker {staker} ended with a stake of {stake}")]
    Stake {
        /// Staker index within the path.
        staker: usize,
        /// Its final stake.
        stake: f64,
    },
    /// A final figure is not finite.
    #[error("a final figure is not finite: {column} of {part} is {value}")]
    FinalFigure {
        /// Whose figure.
        part: Part,
        /// Which column of `paths.csv`.
        column: &'static str,
        /// Its value.
        value: f64,
    },
    /// A recorded value does not fit an `f32` or is not finite.
    #[error(
        "a recorded value is not finite (too large for the time series): series {series} at recorded point {point}"
    )]
    Recorded {
        /// Series index in recording order.
        series: usize,
        /// Recorded point.
        point: usize,
    },
    /// initial + rewards − paid out − losses − exits ≠ stake for some staker.
    #[error("bookkeeping broken: relative error {error} (at most {BOOKKEEPING_TOLERANCE})")]
    Bookkeeping {
        /// The largest relative error.
        error: f64,
    },
}
