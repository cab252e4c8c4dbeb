//! The commented starter scenario written by `restake-sim init`.

/// Text of the starter scenario: valid, commented, small enough to run in seconds.
pub const STARTER_SCENARIO: &str = include_str!("starter.toml");
