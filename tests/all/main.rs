//! The integration tests: one test binary, one module per purpose.

mod support;

mod cli_run;
mod scenario_files;
