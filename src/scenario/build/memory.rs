//! The memory estimate of a run, which [`super::build`] compares with
//! `run.memory_limit_gib` (see `model_checks.rs`), `validate` prints and
//! `run` uses to decide whether to keep its per-path results on disk. It
//! reads the sizes from where they are decided: the recorded series from
//! the recorder's layout ([`series_count`]), the staker state from
//! [`Stakers`](crate::engine::stakers::Stakers)' arrays, the path rows from
//! the final-figure tables.

use std::mem::size_of;

use crate::engine::classes::member_room;
use crate::engine::stakers::{ENTRY_BYTES, MEMBER_BYTES, SLOT_BYTES};
use crate::model::Model;
use crate::results::{
    ClassFinal, LoopFinal, LrtFinal, MarketFinal, OperatorFinal, PathRow, ProtocolFinal,
    series_count,
};

/// Estimated peak memory of a run in bytes, holding every path's results:
/// per-thread staker state ([`state_bytes`]) plus [`path_bytes`] per path.
pub fn estimated_memory_bytes(model: &Model, threads: usize) -> f64 {
    state_bytes(model, threads) + path_bytes(model) * f64::from(model.run.paths)
}

/// Memory of the simulation's staker state on `threads` threads, bytes:
/// what a run needs however few paths it holds at once.
pub fn state_bytes(model: &Model, threads: usize) -> f64 {
    let slots: u64 = model
        .classes
        .iter()
        .map(|c| c.capacity() * (c.allocation.max_protocols() as u64 + 1))
        .sum();
    let stakers: u64 = model
        .classes
        .iter()
        .map(|c| c.capacity() * (ENTRY_BYTES + member_room(model, c) * MEMBER_BYTES) as u64)
        .sum();
    let state = stakers as f64 + slots as f64 * SLOT_BYTES as f64;
    state * threads.max(1) as f64
}

/// Memory of one path's results, bytes: an `f32` per series and recorded
/// day, its row of final figures, its yield sketch moments.
pub fn path_bytes(model: &Model) -> f64 {
    let records = model.run.recorded_steps().len();
    let values = size_of::<f32>() * series_count(model) * records;
    let looping = model.classes.iter().filter(|c| c.is_loop()).count();
    let row = size_of::<PathRow>()
        + model.classes.len() * (size_of::<ClassFinal>() + 2 * size_of::<[f64; 2]>())
        + model.protocols.len() * size_of::<ProtocolFinal>()
        + model.lrts.len() * size_of::<LrtFinal>()
        + model.markets.len() * size_of::<MarketFinal>()
        + looping * size_of::<LoopFinal>()
        + model.operators.len() * size_of::<OperatorFinal>();
    (values + row) as f64
}
