//! A run's per-path data left on disk in shard folders and read back a
//! piece at a time, so that merging (or a run too large for memory) needs
//! memory for one series of every path, not for every series: the values
//! of one series at one recorded point ([`ShardFiles::values`]), and the
//! path rows one by one ([`ShardFiles::for_each_row`]). What a shard
//! collected besides ([`read_shard_rest`]) is small and read whole.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::shard::{ShardError, ShardInfo, check_rest, check_row};
pub use super::shard_codec::row_bytes as encoded_row_bytes;
use super::shard_codec::{Reader, decode_rest, row_bytes};
use crate::model::Model;
use crate::results::{Collected, PathRange, PathRow, series_count};

/// Bytes read at once from a shard's `shard.bin`.
const READ_BUFFER: usize = 1 << 20;

/// The shards of one run, in path order, open for reading.
#[derive(Debug)]
pub struct ShardFiles {
    parts: Vec<Part>,
}

/// One shard folder.
#[derive(Debug)]
struct Part {
    folder: PathBuf,
    range: PathRange,
    values: File,
}

/// The paths a shard's `shard.json` says it holds.
pub fn range_of(info: &ShardInfo) -> PathRange {
    PathRange {
        first: info.first_path,
        count: info.count,
    }
}

/// The number of recorded values of one path: recorded points × series.
fn cells(model: &Model) -> usize {
    model.run.recorded_steps().len() * series_count(model)
}

impl ShardFiles {
    /// Opens shard folders of a run of `model` with the paths each holds
    /// (in path order), checking that each `values.f32` holds its paths'
    /// values.
    pub fn open(
        shards: impl IntoIterator<Item = (PathBuf, PathRange)>,
        model: &Model,
    ) -> Result<ShardFiles, ShardError> {
        let mut parts = Vec::new();
        for (folder, range) in shards {
            let path = folder.join("values.f32");
            let read = |reason| ShardError::Read {
                path: path.clone(),
                reason,
            };
            let values = File::open(&path).map_err(read)?;
            let found = values.metadata().map_err(read)?.len() as usize;
            let expected = cells(model) * range.count as usize * 4;
            if found != expected {
                return Err(ShardError::ValuesSize {
                    path,
                    found,
                    expected,
                    paths: range.count,
                });
            }
            parts.push(Part {
                folder,
                range,
                values,
            });
        }
        Ok(ShardFiles { parts })
    }

    /// The number of paths of all the shards.
    pub fn paths(&self) -> usize {
        self.parts.iter().map(|p| p.range.count as usize).sum()
    }

    /// The values of recorded cell `cell` (recorded point × series count +
    /// series) on every path, in path order.
    pub fn values(&self, cell: usize) -> Result<Vec<f32>, ShardError> {
        let mut out = Vec::with_capacity(self.paths());
        let mut bytes = Vec::new();
        for part in &self.parts {
            let m = part.range.count as usize;
            bytes.resize(m * 4, 0);
            part.values
                .read_exact_at(&mut bytes, (cell * m * 4) as u64)
                .map_err(|reason| ShardError::Read {
                    path: part.folder.join("values.f32"),
                    reason,
                })?;
            out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        Ok(out)
    }

    /// Calls `each` on every path's row, in path order, reading one row at
    /// a time; every row is checked against `model` and its shard.
    pub fn for_each_row<E: From<ShardError>>(
        &self,
        model: &Model,
        mut each: impl FnMut(PathRow) -> Result<(), E>,
    ) -> Result<(), E> {
        for part in &self.parts {
            let path = part.folder.join("shard.bin");
            let (mut reader, total) = open_bin(&path)?;
            let damaged = |problem| ShardError::Damaged {
                path: path.clone(),
                problem,
            };
            let foreign = |problem| ShardError::Foreign {
                path: path.clone(),
                problem,
            };
            let mut r = Reader::new(&mut reader, 0, total);
            let rows = r.row_count().map_err(damaged)?;
            if rows != part.range.count as usize {
                return Err(foreign(super::shard::Mismatch::Rows {
                    found: rows,
                    expected: part.range.count as usize,
                })
                .into());
            }
            for (k, expected) in (part.range.first..part.range.end()).enumerate() {
                let row = r.row().map_err(damaged)?;
                check_row(&row, model, k, expected).map_err(foreign)?;
                each(row)?;
            }
        }
        Ok(())
    }
}

/// `shard.bin` open for buffered reading, and its length.
fn open_bin(path: &Path) -> Result<(BufReader<File>, usize), ShardError> {
    let read = |reason| ShardError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(read)?;
    let total = file.metadata().map_err(read)?.len() as usize;
    Ok((BufReader::with_capacity(READ_BUFFER, file), total))
}

/// What the shard in `folder` collected besides its values and path rows
/// (which [`ShardFiles`] reads): its sketches, events, liquidations, exit
/// delays and bookkeeping error, as a [`Collected::without_paths`].
pub fn read_shard_rest(
    folder: &Path,
    info: &ShardInfo,
    model: &Model,
) -> Result<Collected, ShardError> {
    let path = folder.join("shard.bin");
    let (mut reader, total) = open_bin(&path)?;
    let damaged = |problem| ShardError::Damaged {
        path: path.clone(),
        problem,
    };
    let range = range_of(info);
    // The rows have a fixed size: skip them (each is checked when read).
    let rest = 8 + range.count as usize * row_bytes(model);
    let read = |reason| ShardError::Read {
        path: path.clone(),
        reason,
    };
    let mut bytes = Vec::new();
    if rest <= total {
        reader.seek(SeekFrom::Start(rest as u64)).map_err(read)?;
        reader.read_to_end(&mut bytes).map_err(read)?;
    }
    let mut c = Collected::without_paths(model, range);
    decode_rest(Reader::new(&bytes[..], rest.min(total), total), &mut c).map_err(damaged)?;
    check_rest(&c, model, range).map_err(|problem| ShardError::Foreign { path, problem })?;
    Ok(c)
}
