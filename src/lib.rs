//! restake-sim: an agent-based Monte Carlo simulator of restaking economics.
//!
//! Data flows `scenario → model → engine → stats → export`:
//! - [`scenario`] reads TOML scenario files, reports located errors and builds
//!   a validated [`model::Model`];
//! - [`model`] is the pure domain (assets, protocols, operators, stakers);
//! - [`engine`] runs many Monte Carlo paths in parallel, deterministically;
//! - [`results`] holds what a run collects: series, final figures, events;
//! - [`stats`] turns per-path results into distributions;
//! - [`export`] writes CSV, JSON and the run folder;
//! - [`report`] reads an output folder back and draws its charts and report pages.
//! - [`security`] analyses the operator–service graph: attacks, slack, cascades.
//! - [`solve`] holds the logic of reverse stress tests: targets, bisection, the answer's error.

pub mod app;
pub mod cli;
pub mod engine;
pub mod export;
pub mod model;
pub mod report;
pub mod results;
pub mod scenario;
pub mod security;
pub mod solve;
pub mod stats;
