//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod rm1_reference;

use std::path::PathBuf;

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the `restake-sim` binary.
pub fn restake_sim() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("restake-sim").expect("binary built")
}
