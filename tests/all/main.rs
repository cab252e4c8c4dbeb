//! The integration tests: one test binary, one module per purpose.

mod support;

mod scenario_files;
