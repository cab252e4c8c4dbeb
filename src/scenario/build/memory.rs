//! The memory estimate of a run, which [`super::build`] compares with
//! `run.memory_limit_gib` (see `model_checks.rs`) and `validate` prints.
//! It reads the sizes from where they are decided: the recorded series
//! from the recorder's layout ([`series_count`]), the staker state from
//! [`Stakers`](crate::engine::stakers::Stakers)' arrays.

use crate::engine::stakers::{SLOT_BYTES, STAKER_BYTES};
use crate::model::Model;
use crate::results::series_count;

/// Estimated peak memory of a run in bytes: per-thread staker state plus the
/// time-series store (one `f32` per path, series and recorded day).
pub fn estimated_memory_bytes(model: &Model, threads: usize) -> f64 {
    let slots: u64 = model
        .classes
        .iter()
        .map(|c| c.capacity() * (c.allocation.max_protocols() as u64 + 1))
        .sum();
    let state =
        model.staker_capacity() as f64 * STAKER_BYTES as f64 + slots as f64 * SLOT_BYTES as f64;
    let records = model.run.recorded_steps().len();
    let value = std::mem::size_of::<f32>() as f64;
    let store = value * f64::from(model.run.paths) * (series_count(model) * records) as f64;
    state * threads.max(1) as f64 + store
}
