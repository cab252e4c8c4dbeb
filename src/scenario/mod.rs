//! Scenario files: reading, overriding, typing and validating them.
//!
//! Two stages, as the file flows in: [`mod@file`] mirrors the TOML (serde,
//! unknown keys rejected), then [`build`] checks meaning and produces the
//! [`Model`]. Every problem is reported with file, line, column and key path
//! ([`error`], [`locate`]).

pub mod build;
pub mod error;
pub mod file;
pub mod locate;
pub mod overrides;
pub mod presets;
pub mod starter;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::de::DeTable;

pub use build::{Issue, estimated_memory_bytes};
pub use error::{Problem, ScenarioError};
pub use file::ScenarioFile;
pub use overrides::Override;

use crate::model::Model;

/// A scenario read from disk and validated.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// Where it was read from.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// The file as parsed (after overrides).
    pub file: ScenarioFile,
    /// The validated model.
    pub model: Model,
    /// Overrides applied, as `key.path=value`.
    pub overrides: Vec<String>,
    /// The file's text.
    pub source: String,
}

/// Reads, overrides and validates a scenario file.
pub fn load(path: &Path, overrides: &[Override]) -> Result<LoadedScenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let source = String::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
        file: path.to_path_buf(),
        problems: vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message: format!("expected UTF-8 text, found invalid bytes ({e})"),
        }],
    })?;
    let (file, model) = parse(&source, path, overrides)?;
    let source = source.clone();
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        sha256,
        file,
        model,
        overrides: overrides.iter().map(Override::to_string).collect(),
        source,
    })
}

/// Rebuilds a loaded scenario from a changed file shape (a stress preset):
/// validation runs again and errors name the change in `what`.
pub fn rebuild(
    base: &LoadedScenario,
    file: ScenarioFile,
    what: &str,
) -> Result<LoadedScenario, ScenarioError> {
    let model = build::build(&file).map_err(|issues| {
        let doc = DeTable::parse(&base.source).ok();
        ScenarioError::Invalid {
            file: base.path.clone(),
            problems: issues
                .into_iter()
                .map(|i| {
                    let (line, column) = doc
                        .as_ref()
                        .and_then(|d| locate::locate(d.get_ref(), &i.path))
                        .map_or((1, 1), |o| locate::line_column(&base.source, o));
                    Problem {
                        key_path: i.path,
                        line,
                        column,
                        message: format!("{} (after {what})", i.message),
                    }
                })
                .collect(),
        }
    })?;
    let mut overrides = base.overrides.clone();
    overrides.push(what.to_string());
    Ok(LoadedScenario {
        path: base.path.clone(),
        sha256: base.sha256.clone(),
        file,
        model,
        overrides,
        source: base.source.clone(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses and validates scenario text; `label` names the file in errors.
pub fn parse(
    source: &str,
    label: &Path,
    overrides: &[Override],
) -> Result<(ScenarioFile, Model), ScenarioError> {
    let invalid = |problems: Vec<Problem>| ScenarioError::Invalid {
        file: label.to_path_buf(),
        problems,
    };
    let is_blank = source
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if is_blank {
        return Err(invalid(vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message: "expected a scenario with at least [run], [[asset]], [[protocol]] and [[staker]] tables, found an empty file (`restake-sim init` writes a starter)".into(),
        }]));
    }
    let spanned = DeTable::parse(source).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |s| locate::line_column(source, s.start));
        invalid(vec![Problem {
            key_path: String::new(),
            line,
            column,
            message: format!("TOML syntax error: {}", e.message().trim()),
        }])
    })?;
    let at = |path: &str| {
        locate::locate(spanned.get_ref(), path)
            .map_or((1, 1), |offset| locate::line_column(source, offset))
    };
    let mut table: toml::Table = toml::from_str(source).map_err(|e| {
        invalid(vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message: format!("TOML syntax error: {}", e.message().trim()),
        }])
    })?;
    overrides::apply(&mut table, overrides).map_err(|message| {
        invalid(vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message,
        }])
    })?;
    let overridden = |path: &str| {
        overrides
            .iter()
            .any(|o| !path.is_empty() && path.replace(['[', ']'], ".").starts_with(&o.path))
    };
    let file: ScenarioFile =
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let key_path = e.path().to_string();
            let key_path = if key_path == "." {
                String::new()
            } else {
                key_path
            };
            let (line, column) = at(&key_path);
            let mut message = e.inner().message().trim().to_string();
            if !overrides.is_empty() && overridden(&key_path) {
                message.push_str(" (after --set overrides)");
            }
            invalid(vec![Problem {
                key_path,
                line,
                column,
                message,
            }])
        })?;
    let model = build::build(&file).map_err(|issues| {
        let mut problems: Vec<Problem> = issues
            .into_iter()
            .map(|i| {
                let (line, column) = at(&i.path);
                Problem {
                    key_path: i.path,
                    line,
                    column,
                    message: i.message,
                }
            })
            .collect();
        problems.sort_by_key(|p| (p.line, p.column));
        invalid(problems)
    })?;
    Ok((file, model))
}
