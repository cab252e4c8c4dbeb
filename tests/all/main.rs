//! The integration tests: one test binary, one module per purpose.

mod support;

mod agreement;
mod batch_sweep_stress;
mod charts;
mod cli_run;
mod engine_stats;
mod entities;
mod faults;
mod format_doc;
mod fuzz_corpus;
mod golden;
mod magnitudes;
mod newcomer;
mod outputs_doc;
mod precision;
mod random_scenarios;
mod rm1;
mod scenario_files;
mod security_command;
mod shards;
mod solve;
mod submit;
