//! `manifest.json`: what was run, with what, and how fast.

use serde::Serialize;

/// The machine-readable record of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied, in order.
    pub overrides: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Paths run.
    pub paths: u32,
    /// First path index (non-zero for a shard).
    pub first_path: u32,
    /// Steps per path.
    pub steps: u32,
    /// Days per step.
    pub step_days: u32,
    /// Stakers at t = 0.
    pub stakers: u64,
    /// Protocols.
    pub protocols: usize,
    /// restake-sim version.
    pub version: String,
    /// Worker threads.
    pub threads: usize,
    /// Wall time of the whole run (simulation and outputs), seconds.
    pub wall_time_seconds: f64,
    /// Wall time of the simulation alone, seconds.
    pub simulation_seconds: f64,
    /// Stakers × steps × paths.
    pub agent_steps: u64,
    /// agent_steps / wall_time_seconds.
    pub agent_steps_per_second: f64,
    /// Slashing events logged in `events.csv`.
    pub events_logged: usize,
    /// Slashing events left out of `events.csv` by `max_event_rows`; with
    /// `events_logged`, every slash applied (the sum of `total.slash_events`).
    pub events_not_logged: u64,
    /// Largest relative bookkeeping error on any staker and path.
    pub bookkeeping_max_relative_error: f64,
    /// Files written.
    pub outputs: Vec<String>,
    /// Shards the run was merged from by `merge`; absent for a run
    /// simulated whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_from_shards: Option<u32>,
    /// How `run --until-se` ended; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::app::precision::PrecisionOutcome>,
}

impl Manifest {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
