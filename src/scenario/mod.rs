//! Scenario files: reading, overriding, typing and validating them.
//!
//! Two stages, as the file flows in: [`mod@file`] mirrors the TOML (serde,
//! unknown keys rejected), then [`build`] checks meaning and produces the
//! [`Model`]. Every problem is reported with file, line, column and key path
//! ([`error`], [`locate`]).

pub mod build;
mod containers;
pub mod error;
pub mod file;
pub mod locate;
pub mod overrides;
pub mod presets;
pub mod starter;
pub mod wording;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml::de::DeTable;

pub use build::{Issue, estimated_memory_bytes, path_bytes, state_bytes};
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

/// SHA-256 (hex) of a file's bytes, as `load` records it; `None` when the
/// file cannot be read.
pub fn file_sha256(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|bytes| hex(&Sha256::digest(&bytes)))
}

/// Reads, overrides and validates a scenario file.
pub fn load(path: &Path, overrides: &[Override]) -> Result<LoadedScenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        reason: source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let source = String::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
        file: path.to_path_buf(),
        problems: vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message: format!("expected UTF-8 text, found invalid bytes ({e})"),
            flag: None,
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
        let lines = locate::Lines::new(&base.source);
        ScenarioError::Invalid {
            file: base.path.clone(),
            problems: issues
                .into_iter()
                .map(|i| {
                    let (line, column) = doc
                        .as_ref()
                        .and_then(|d| locate::locate(d.get_ref(), &i.path))
                        .map_or((1, 1), |o| lines.line_column(o));
                    Problem {
                        key_path: i.path,
                        line,
                        column,
                        message: format!("{} (after {what})", i.message),
                        flag: None,
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

/// The override that gives sweep axis `key` the value `value`: how `sweep`
/// applies a grid point, and how [`check_sweep`] checks a `[sweep]` table.
pub fn axis_override(key: &str, value: &toml::Value) -> Override {
    Override::set(key, value.clone()).named(format!("the sweep axis {key}={value}"))
}

/// The key path of a `[sweep]` axis in errors: its key, itself a key path,
/// quoted as in the file (`sweep."run.seed"`).
pub fn sweep_key_path(key: &str) -> String {
    format!("sweep.\"{key}\"")
}

/// Checks the `[sweep]` table of a loaded scenario as `sweep` uses it, after
/// `overrides` (those `loaded` was loaded with): every axis has a value, and
/// each value, applied alone as [`axis_override`], applies cleanly and gives
/// a valid scenario. Axes for which `replaced` is true (a `--grid` replaces
/// them) are not checked. Problems name `sweep."key"` (an empty axis, a key
/// path that does not apply) or `sweep."key"[i]` (a value).
pub fn check_sweep(
    loaded: &LoadedScenario,
    overrides: &[Override],
    replaced: &dyn Fn(&str) -> bool,
) -> Result<(), ScenarioError> {
    let Some(axes) = &loaded.file.sweep else {
        return Ok(());
    };
    let source = &loaded.source;
    let doc = DeTable::parse(source).ok();
    let lines = locate::Lines::new(source);
    let problem = |key_path: String, message: String| {
        let (line, column) = doc
            .as_ref()
            .and_then(|d| locate::locate(d.get_ref(), &key_path))
            .map_or((1, 1), |o| lines.line_column(o));
        Problem {
            key_path,
            line,
            column,
            message,
            flag: None,
        }
    };
    // The tree `sweep` applies an axis to: the file after the overrides.
    let mut tree: Option<toml::Table> = toml::from_str(source).ok();
    if let Some(t) = &mut tree
        && overrides::apply(t, overrides).is_err()
    {
        tree = None;
    }
    let mut problems = Vec::new();
    for (key, values) in axes.iter().filter(|(key, _)| !replaced(key)) {
        let path = sweep_key_path(key);
        if values.is_empty() {
            problems.push(problem(
                path,
                "expected at least one value, found [] (an empty axis gives no combinations to run)"
                    .into(),
            ));
            continue;
        }
        for (i, value) in values.iter().enumerate() {
            let o = axis_override(key, value);
            if let Some(t) = &tree
                && let Err(e) = overrides::apply_one(&mut t.clone(), &o, &mut Vec::new())
            {
                problems.push(problem(
                    path,
                    format!(
                        "expected a key path that applies like --set, found one that does not: {e}"
                    ),
                ));
                break;
            }
            let mut all = overrides.to_vec();
            all.push(o);
            if let Err(e) = parse(source, &loaded.path, &all) {
                for p in e.problems() {
                    let message = p.message.trim_end_matches(" (after --set overrides)");
                    let what = if p.key_path.is_empty() {
                        message.to_string()
                    } else {
                        format!("{}: {message}", p.key_path)
                    };
                    problems.push(problem(
                        format!("{path}[{i}]"),
                        format!("expected a value giving a valid scenario, found {value} ({what})"),
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|p| (p.line, p.column));
    Err(ScenarioError::Invalid {
        file: loaded.path.clone(),
        problems,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The field named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

/// "; did you mean …?" for an unknown field, from the fields serde lists as
/// expected.
fn suggest_field(message: &str, field: &str) -> String {
    let Some((_, expected)) = message.split_once("expected") else {
        return String::new();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    overrides::did_you_mean(field, candidates)
}

/// The key path of a typing error, as [`locate`] reads it: a key that is
/// empty or holds a dot is quoted, so that it is found in the text.
fn key_path_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment as S;
    let segments: Vec<locate::Segment> = path
        .iter()
        .map(|segment| match segment {
            S::Seq { index } => locate::Segment::Index(*index),
            S::Map { key } => locate::Segment::Key(key.clone()),
            S::Enum { variant } => locate::Segment::Key(variant.clone()),
            S::Unknown => locate::Segment::Key("?".into()),
        })
        .collect();
    locate::join_key_path(&segments)
}

/// Parses and validates scenario text; `label` names the file in errors.
pub fn parse(
    source: &str,
    label: &Path,
    overrides: &[Override],
) -> Result<(ScenarioFile, Model), ScenarioError> {
    // Every message with its huge numbers written short.
    let invalid = |problems: Vec<Problem>| ScenarioError::Invalid {
        file: label.to_path_buf(),
        problems: problems
            .into_iter()
            .map(|p| Problem {
                message: wording::compact_numbers(&p.message),
                ..p
            })
            .collect(),
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
            flag: None,
        }]));
    }
    if let Some(offset) = containers::excess(source, containers::MAX_CONTAINERS) {
        let (line, column) = locate::line_column(source, offset);
        return Err(invalid(vec![Problem {
            key_path: String::new(),
            line,
            column,
            message: format!(
                "expected a file of at most {} tables and arrays (each table header, each part of a dotted key before the last, each inline table and array), found more by here: split the scenario, or write fewer and flatter tables",
                containers::MAX_CONTAINERS
            ),
            flag: None,
        }]));
    }
    // A syntax error, located where the parser found it.
    let syntax = |e: toml::de::Error| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |s| locate::line_column(source, s.start));
        invalid(vec![Problem {
            key_path: String::new(),
            line,
            column,
            message: format!(
                "TOML syntax error: {}",
                wording::plain_type_message(e.message().trim())
            ),
            flag: None,
        }])
    };
    let spanned = DeTable::parse(source).map_err(syntax)?;
    let lines = locate::Lines::new(source);
    let at = |path: &str| {
        locate::locate(spanned.get_ref(), path).map_or((1, 1), |offset| lines.line_column(offset))
    };
    // The spanned parse leaves values unchecked: an integer beyond i64 is
    // found here, and located by its span.
    let mut table: toml::Table = toml::from_str(source).map_err(syntax)?;
    let products = overrides::apply(&mut table, overrides).map_err(|(flag, message)| {
        invalid(vec![Problem {
            key_path: String::new(),
            line: 1,
            column: 1,
            message,
            flag: Some(flag),
        }])
    })?;
    // The override that set `path` (`lending_market[0].oracle`), the last
    // of those at or above it (`lending_market.0.oracle`, `lrt.*.pool`,
    // `protocol.a`): an element index matches its index, `*`, or any name
    // (the name of the element is not known here).
    let origin = |path: &str| {
        let segments = locate::parse_key_path(path);
        if path.is_empty() {
            return None;
        }
        overrides.iter().rev().find(|o| {
            let wanted: Vec<&str> = o.path.split('.').collect();
            wanted.len() <= segments.len()
                && wanted.iter().zip(&segments).all(|(w, s)| match s {
                    locate::Segment::Key(k) => w == k,
                    locate::Segment::Index(i) => w.parse::<usize>().ok().is_none_or(|n| n == *i),
                })
        })
    };
    let file: ScenarioFile = overrides::deserialize(table, products).map_err(|e| {
        let key_path = key_path_of(e.path());
        let (line, column) = at(&key_path);
        let mut message = wording::plain_type_message(e.inner().message().trim());
        if let Some(field) = unknown_field(&message) {
            let suggestion = suggest_field(&message, &field);
            message.push_str(&suggestion);
            if let Some(o) = overrides
                .iter()
                .find(|o| o.path.split('.').any(|segment| segment == field))
            {
                message.push_str(&format!(" (from --set {o})"));
            }
        }
        let flag = origin(&key_path).map(|o| o.flag.clone());
        invalid(vec![Problem {
            key_path,
            line,
            column,
            message,
            flag,
        }])
    })?;
    let model = build::build(&file).map_err(|issues| {
        let mut problems: Vec<Problem> = issues
            .into_iter()
            .map(|i| {
                let (line, column) = at(&i.path);
                Problem {
                    flag: origin(&i.path).map(|o| o.flag.clone()),
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
