//! Statistics: turns per-path simulation results into distributions.
//!
//! Everything here is a pure function of its input, with no I/O. Results are
//! deterministic: exact summaries ([`describe`], [`tail_risk`]) sum values in
//! sorted order, so they are bit-identical whatever order the values arrived
//! in, and the streaming [`LogHistogram`] sketch merges exactly.

pub mod entities;
pub mod exits;
pub mod quantile;
pub mod risk;
pub mod sketch;
pub mod tables;
pub mod uncertainty;

pub use quantile::{Distribution, QUANTILE_LABELS, REPORT_QUANTILES, describe, quantile_sorted};
pub use risk::{TailRisk, tail_risk};
pub use sketch::LogHistogram;
