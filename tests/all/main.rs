//! The integration tests: one test binary, one module per purpose.

mod support;

mod batch_sweep_stress;
mod cli_run;
mod engine_stats;
mod golden;
mod rm1;
mod scenario_files;
