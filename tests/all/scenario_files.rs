//! Scenario file tests.
