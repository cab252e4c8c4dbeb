//! The Monte Carlo engine: many paths of the agents over time, in parallel
//! and deterministically. It knows nothing of files or terminals: progress
//! is a callback, results are plain data.
//!
//! - [`rng`]: the only place random generators are made;
//! - [`market`], [`events`], [`stakers`]: prices, slashing events, staker state;
//! - [`path`]: one path, step by step;
//! - [`mod@simulate`]: many paths, folded in path order;
//! - [`layout`]: which time series a path records.

pub mod events;
pub mod layout;
pub mod market;
pub mod path;
pub mod rng;
pub mod simulate;
pub mod stakers;

pub use simulate::{Collected, PathRange, PathRow, join, simulate};
