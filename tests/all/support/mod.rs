//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod rm1_reference;
pub mod scenario_gen;

use std::path::{Path, PathBuf};

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the `restake-sim` binary.
pub fn restake_sim() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("restake-sim").expect("binary built")
}

/// A CSV file's header and rows, every cell as text.
pub fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
