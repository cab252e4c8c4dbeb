//! A shard folder: what `run --shard I/N` collected over its range of paths,
//! kept exactly so that `merge` can rebuild the whole run's outputs bit for
//! bit. `shard.json` says what was run; `values.f32` holds the recorded
//! values and `shard.bin` the rest, both little-endian binary (JSON would
//! not keep every `f64` and NaN exactly). Each per-path table is encoded
//! field by field in the column order its [`Record`] declares.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::shard_codec::DecodeError;
use super::shard_codec::{decode, encode};
use super::{ExportError, RunFolder};
use crate::model::Model;
use crate::results::{Collected, Field, NameRef, PathRange, PathRow, Record};

/// Version of the shard folder's layout; `merge` refuses any other.
/// Format 2 writes each per-path table in its [`Record`] column order;
/// format 3 adds the operators' final figures and the exit delay counts.
pub const SHARD_FORMAT: u32 = 3;

/// Files every shard folder holds.
pub const SHARD_FILES: [&str; 3] = ["shard.json", "values.f32", "shard.bin"];

/// `shard.json`: what a shard is a part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Layout version ([`SHARD_FORMAT`]).
    pub format: u32,
    /// Scenario name.
    pub name: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied, in order (with `--paths` and `--seed`).
    pub overrides: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Paths of the whole run.
    pub paths: u32,
    /// This shard, 1 to `shards`.
    pub shard: u32,
    /// Shards the run was split into.
    pub shards: u32,
    /// First path index of this shard.
    pub first_path: u32,
    /// Paths in this shard.
    pub count: u32,
    /// restake-sim version.
    pub version: String,
    /// Worker threads.
    pub threads: usize,
    /// Wall time of the shard's simulation, seconds.
    pub simulation_seconds: f64,
}

/// The paths `[floor((shard − 1)·paths/shards), floor(shard·paths/shards))`
/// of shard `shard` (1-based) of `shards`.
pub fn shard_range(paths: u32, shard: u32, shards: u32) -> PathRange {
    let bound = |i: u32| (u64::from(i) * u64::from(paths) / u64::from(shards)) as u32;
    let first = bound(shard - 1);
    PathRange {
        first,
        count: bound(shard) - first,
    }
}

/// Writes `info` and `collected` into `out` (not committed).
pub fn write_shard(
    out: &RunFolder,
    info: &ShardInfo,
    collected: &Collected,
) -> Result<(), ExportError> {
    let mut json = serde_json::to_vec_pretty(info)?;
    json.push(b'\n');
    out.write("shard.json", &json)?;
    let values = out.target().join("values.f32");
    out.write_streamed("values.f32", |mut w| {
        write_values(&mut w, collected).map_err(super::folder::io("write", &values))?;
        Ok(w)
    })?;
    out.write("shard.bin", &encode(collected))?;
    Ok(())
}

/// Writes the data files of a shard folder (`values.f32`, `shard.bin`)
/// into `dir`, created if need be: a spilled run's scratch copy of a range
/// of its paths, read back with [`ShardFiles`](super::shard_files::ShardFiles).
pub fn write_shard_files(dir: &Path, collected: &Collected) -> Result<(), ExportError> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(super::folder::io("create folder", dir))?;
    let values = dir.join("values.f32");
    let file = std::fs::File::create(&values).map_err(super::folder::io("write", &values))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    write_values(&mut w, collected)
        .and_then(|()| w.flush())
        .map_err(super::folder::io("write", &values))?;
    let bin = dir.join("shard.bin");
    std::fs::write(&bin, encode(collected)).map_err(super::folder::io("write", &bin))
}

/// Writes the recorded values, little-endian, a block at a time (a copy of
/// them all would double a large shard's memory).
fn write_values(w: &mut impl std::io::Write, collected: &Collected) -> std::io::Result<()> {
    let mut bytes = Vec::with_capacity(1 << 16);
    for block in collected.values.chunks(1 << 14) {
        bytes.clear();
        for v in block {
            bytes.extend(v.to_le_bytes());
        }
        w.write_all(&bytes)?;
    }
    Ok(())
}

/// Why a shard folder's data cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A file of the shard cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// `values.f32` does not hold the shard's recorded values.
    #[error("{path} holds {found} bytes, expected {expected} for {paths} paths of this scenario")]
    ValuesSize {
        /// The file.
        path: PathBuf,
        /// Its size.
        found: usize,
        /// The size the scenario and path count imply.
        expected: usize,
        /// Paths in the shard.
        paths: u32,
    },
    /// `shard.bin` cannot be decoded.
    #[error("{path} is damaged: {problem}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        problem: DecodeError,
    },
    /// `shard.bin` decodes, but not to data of this scenario and shard.
    #[error("{path} does not belong to this scenario and shard: {problem}")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        problem: Mismatch,
    },
}

/// How decoded shard data differs from what the scenario and shard imply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Another number of path rows.
    #[error("{found} path rows, expected {expected}")]
    Rows {
        /// Rows found.
        found: usize,
        /// Paths in the shard.
        expected: usize,
    },
    /// A row of another path than expected.
    #[error("row {row} is path {found}, expected path {expected}")]
    PathIndex {
        /// Row number.
        row: usize,
        /// Path found.
        found: u32,
        /// Path expected.
        expected: u32,
    },
    /// Another number of classes or protocols in a row, or of sketches.
    #[error("{what}: {found}, the scenario has {expected}")]
    Count {
        /// What was counted.
        what: &'static str,
        /// Found.
        found: usize,
        /// The scenario's.
        expected: usize,
    },
    /// An event of a path outside the shard.
    #[error("event {event} is of path {path}, outside the shard")]
    EventPath {
        /// Event number.
        event: usize,
        /// Its path.
        path: u32,
    },
    /// A liquidation of a path outside the shard.
    #[error("liquidation {row} is of path {path}, outside the shard")]
    LiquidationPath {
        /// Row number.
        row: usize,
        /// Its path.
        path: u32,
    },
    /// A liquidation names an entity the scenario does not have.
    #[error("liquidation {row} refers to {entity:?}, which the scenario does not have")]
    LiquidationName {
        /// Row number.
        row: usize,
        /// The reference.
        entity: NameRef,
    },
    /// An event names an entity the scenario does not have.
    #[error("event {event} refers to {entity:?}, which the scenario does not have")]
    EventName {
        /// Event number.
        event: usize,
        /// The reference.
        entity: NameRef,
    },
}

/// Reads what [`write_shard`] wrote for `info` of `model`.
pub fn read_shard_data(
    folder: &Path,
    info: &ShardInfo,
    model: &Model,
) -> Result<Collected, ShardError> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read(&path).map_err(|reason| ShardError::Read { path, reason })
    };
    let range = PathRange {
        first: info.first_path,
        count: info.count,
    };
    let mut c = Collected::empty(model, range);
    let values = read("values.f32")?;
    if values.len() != c.values.len() * 4 {
        return Err(ShardError::ValuesSize {
            path: folder.join("values.f32"),
            found: values.len(),
            expected: c.values.len() * 4,
            paths: info.count,
        });
    }
    for (v, bytes) in c.values.iter_mut().zip(values.chunks_exact(4)) {
        *v = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let data = read("shard.bin")?;
    let path = folder.join("shard.bin");
    decode(&data, &mut c).map_err(|problem| ShardError::Damaged {
        path: path.clone(),
        problem,
    })?;
    check_fits(&c, model, range).map_err(|problem| ShardError::Foreign { path, problem })?;
    Ok(c)
}

/// Checks that decoded data has the shape of `model` over `range` and names
/// only its protocols, shocks and operators.
fn check_fits(c: &Collected, model: &Model, range: PathRange) -> Result<(), Mismatch> {
    if c.rows.len() != range.count as usize {
        return Err(Mismatch::Rows {
            found: c.rows.len(),
            expected: range.count as usize,
        });
    }
    for (row, (r, expected)) in c.rows.iter().zip(range.first..range.end()).enumerate() {
        check_row(r, model, row, expected)?;
    }
    check_rest(c, model, range)
}

/// `found` things of `what`, where `expected` were due.
fn count(what: &'static str, found: usize, expected: usize) -> Result<(), Mismatch> {
    if found == expected {
        Ok(())
    } else {
        Err(Mismatch::Count {
            what,
            found,
            expected,
        })
    }
}

/// Checks that row number `row` of a shard is path `expected` and has
/// `model`'s shape.
pub(super) fn check_row(
    r: &PathRow,
    model: &Model,
    row: usize,
    expected: u32,
) -> Result<(), Mismatch> {
    if r.path != expected {
        return Err(Mismatch::PathIndex {
            row,
            found: r.path,
            expected,
        });
    }
    count(
        "classes in a path row",
        r.classes.len(),
        model.classes.len(),
    )?;
    count(
        "protocols in a path row",
        r.protocols.len(),
        model.protocols.len(),
    )?;
    count("LRTs in a path row", r.lrts.len(), model.lrts.len())?;
    count(
        "lending markets in a path row",
        r.markets.len(),
        model.markets.len(),
    )?;
    let looping = model.classes.iter().filter(|c| c.is_loop()).count();
    count("looping classes in a path row", r.loops.len(), looping)?;
    count(
        "operators in a path row",
        r.operators.len(),
        model.operators.len(),
    )
}

/// Checks what a shard collected besides its path rows and values: the
/// sketches and exit delays have `model`'s shape, and events and
/// liquidations are of paths of `range` and name only its entities.
pub(super) fn check_rest(c: &Collected, model: &Model, range: PathRange) -> Result<(), Mismatch> {
    count(
        "exit delay counts",
        c.exit_delays.len(),
        model.classes.len(),
    )?;
    count("yield sketches", c.staker_apr.len(), model.classes.len())?;
    count(
        "yield sketch moments",
        c.staker_apr_moments.len(),
        model.classes.len() * range.count as usize,
    )?;
    let known = |n: NameRef| match n {
        NameRef::Protocol(p) => p < model.protocols.len(),
        NameRef::Shock(s) => s < model.shocks.len(),
        NameRef::Operator(o) => o < model.operators.len(),
        NameRef::Class(c) => c < model.classes.len(),
        NameRef::Market(m) => m < model.markets.len(),
        NameRef::Nobody => true,
    };
    for (row, l) in c.liquidations.iter().enumerate() {
        if !(range.first..range.end()).contains(&l.path) {
            return Err(Mismatch::LiquidationPath { row, path: l.path });
        }
        for field in l.fields() {
            if let Field::Name(entity) = field
                && !known(entity)
            {
                return Err(Mismatch::LiquidationName { row, entity });
            }
        }
    }
    for (event, e) in c.events.iter().enumerate() {
        if !(range.first..range.end()).contains(&e.path) {
            return Err(Mismatch::EventPath {
                event,
                path: e.path,
            });
        }
        for field in e.fields() {
            if let Field::Name(entity) = field
                && !known(entity)
            {
                return Err(Mismatch::EventName { event, entity });
            }
        }
    }
    Ok(())
}
