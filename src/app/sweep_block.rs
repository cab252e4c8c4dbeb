//! `sweep --block I/N` and merging sweep blocks: the points of a sweep
//! split into blocks, each run anywhere, and assembled by `merge` into the
//! sweep folder the whole sweep writes, byte for byte.
//!
//! Every point of a sweep is an independent run with the same seed (common
//! random numbers), so a block of points gives the same results as those
//! points of the whole sweep. A block folder keeps, per point, what its row
//! of `sweep.csv` needs: the key results, the per-path figures of the paired
//! standard errors (the changes are taken from the first point, which only
//! block 1 holds) and the per-protocol means, as exact `f64` bits.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::InvalidArgument;
use super::compare::{create_folder, records_to_csv, run_variants};
use super::merge::first_difference;
use super::run::simulation_overrides;
use super::sweep::{self, PointValues, announce, cell, sweep_header, sweep_row};
use crate::cli::{MergeArgs, SweepArgs};
use crate::export::shard::shard_range;
use crate::stats::tables::{PATH_MEANS, key_result_columns};

/// The layout of block folders this version writes and reads.
pub const BLOCK_FORMAT: u32 = 1;
/// The file that makes a folder a sweep block.
pub const BLOCK_INFO: &str = "sweep-block.json";
/// The points' values, little-endian `f64`s.
pub const BLOCK_DATA: &str = "points.f64";

/// What a block folder holds (`sweep-block.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// [`BLOCK_FORMAT`].
    pub format: u32,
    /// The scenario's `run.name`.
    pub name: String,
    /// The scenario file, as given.
    pub scenario_file: String,
    /// Its SHA-256.
    pub scenario_sha256: String,
    /// The command's overrides (`--set`, `--paths`, `--seed`).
    pub overrides: Vec<String>,
    /// The axes' key paths, in column order.
    pub keys: Vec<String>,
    /// The protocols' names.
    pub protocols: Vec<String>,
    /// Points of the whole sweep.
    pub points: u32,
    /// This block's number, 1-based.
    pub block: u32,
    /// Blocks of the sweep.
    pub blocks: u32,
    /// Index of the block's first point.
    pub first_point: u32,
    /// The block's points: their cells in `sweep.csv` and paths.
    pub rows: Vec<BlockPoint>,
    /// restake-sim version that ran the block.
    pub version: String,
    /// Seconds simulating.
    pub simulation_seconds: f64,
}

/// One point of a block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockPoint {
    /// The point's parameter values as `sweep.csv` cells.
    pub cells: Vec<String>,
    /// Its paths.
    pub paths: u32,
}

/// Why sweep blocks cannot be assembled into their sweep.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// A folder holds no readable `sweep-block.json`.
    #[error(
        "{} is not a sweep block folder: cannot read {} ({reason}); block folders are written by `sweep --block I/N`",
        dir.display(), path.display()
    )]
    NotABlock {
        /// The folder given.
        dir: PathBuf,
        /// Its `sweep-block.json`.
        path: PathBuf,
        /// Why it cannot be read.
        reason: std::io::Error,
    },
    /// `sweep-block.json` is not valid.
    #[error("{}: {reason}", path.display())]
    BadInfo {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        reason: serde_json::Error,
    },
    /// A block written in another layout.
    #[error("{}: sweep block format {found} is not the format {BLOCK_FORMAT} this version reads", path.display())]
    Format {
        /// The `sweep-block.json`.
        path: PathBuf,
        /// Its format.
        found: u32,
    },
    /// Two blocks of different sweeps.
    #[error("{} and {} are not blocks of the same sweep: {what} {first} vs {second}", a.display(), b.display())]
    DifferentSweeps {
        /// The first block folder.
        a: PathBuf,
        /// The one that differs.
        b: PathBuf,
        /// What differs.
        what: &'static str,
        /// The first block's value.
        first: String,
        /// The other's.
        second: String,
    },
    /// A block whose points are not the ones its number implies.
    #[error(
        "{}: sweep-block.json is inconsistent (block {block}/{blocks} of {points} points cannot start at point {first} with {count} points)",
        dir.display()
    )]
    Inconsistent {
        /// The block folder.
        dir: PathBuf,
        /// Its block number.
        block: u32,
        /// Blocks of the sweep.
        blocks: u32,
        /// Points of the sweep.
        points: u32,
        /// The first point it claims.
        first: u32,
        /// The points it holds.
        count: usize,
    },
    /// Two folders holding the same block.
    #[error("{} and {} overlap: both hold block {block}/{blocks}", a.display(), b.display())]
    Overlap {
        /// One folder.
        a: PathBuf,
        /// The other.
        b: PathBuf,
        /// The block both hold.
        block: u32,
        /// Blocks of the sweep.
        blocks: u32,
    },
    /// Blocks not given.
    #[error("sweep blocks missing: {}; every block of the sweep must be given", missing_list(.missing, *.blocks))]
    Missing {
        /// The missing blocks.
        missing: Vec<u32>,
        /// Blocks of the sweep.
        blocks: u32,
    },
    /// A block's values cannot be read.
    #[error("{}: {reason}", path.display())]
    Data {
        /// The `points.f64` file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl BlockError {
    /// Whether the error is in what the user gave (exit code 2) rather than
    /// a failure reading the data (exit code 1).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, BlockError::Data { .. })
    }
}

fn missing_list(missing: &[u32], blocks: u32) -> String {
    let items: Vec<String> = missing.iter().map(|b| format!("{b}/{blocks}")).collect();
    items.join(", ")
}

/// Parses `I/N` (1 ≤ I ≤ N) of `--block`.
pub fn parse_block(spec: &str) -> Result<(u32, u32), InvalidArgument> {
    let bad = || {
        InvalidArgument(format!(
            "--block expects I/N with 1 ≤ I ≤ N (e.g. 2/3), found \"{spec}\""
        ))
    };
    let (i, n) = spec.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Whether `dir` is a sweep block folder (holds `sweep-block.json`).
pub fn is_block_folder(dir: &Path) -> bool {
    dir.join(BLOCK_INFO).is_file()
}

/// `sweep SCENARIO --block I/N`: runs block I of N of the grid's points
/// and writes its block folder.
pub fn run_block(args: &SweepArgs, spec: &str) -> anyhow::Result<ExitCode> {
    let (block, blocks) = parse_block(spec)?;
    if args.keep_runs || args.sim.charts {
        return Err(InvalidArgument(
            "--keep-runs and --charts do not apply to a sweep block; run the whole sweep for them, or chart the merged sweep".into(),
        )
        .into());
    }
    let overrides = simulation_overrides(&args.sim)?;
    let grid = sweep::grid(&args.scenario, &overrides, &args.grid)?;
    let points = u32::try_from(grid.variants.len()).unwrap_or(u32::MAX);
    if blocks > points {
        return Err(InvalidArgument(format!(
            "--block {spec}: {points} points cannot be split into {blocks} blocks"
        ))
        .into());
    }
    let range = shard_range(points, block, blocks);
    let (first, end) = (range.first as usize, (range.first + range.count) as usize);
    let name = grid.base.model.run.name.clone();
    let folder_path = args.sim.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{name}-sweep-block-{block}-of-{blocks}"))
    });
    let pool = super::worker_pool(args.sim.threads)?;
    let folder = create_folder(&folder_path)?;
    let started = Instant::now();
    let variants = &grid.variants[first..end];
    let results = run_variants(variants, &pool, args.sim.quiet, None, None)?;
    let simulation_seconds = started.elapsed().as_secs_f64();
    let values: Vec<PointValues> = results.iter().map(PointValues::from).collect();
    let info = BlockInfo {
        format: BLOCK_FORMAT,
        name: name.clone(),
        scenario_file: grid.base.path.display().to_string(),
        scenario_sha256: grid.base.sha256.clone(),
        overrides: grid.base.overrides.clone(),
        keys: grid.keys(),
        protocols: grid.protocols(),
        points,
        block,
        blocks,
        first_point: range.first,
        rows: grid.combos[first..end]
            .iter()
            .zip(variants)
            .map(|(combo, (_, loaded))| BlockPoint {
                cells: combo.iter().map(cell).collect(),
                paths: loaded.model.run.paths,
            })
            .collect(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        simulation_seconds,
    };
    let mut json = serde_json::to_vec_pretty(&info)?;
    json.push(b'\n');
    folder.write(BLOCK_INFO, &json)?;
    folder.write(BLOCK_DATA, &encode(&values))?;
    let done = folder.commit()?;
    if args.sim.quiet {
        crate::sayln!("{}", done.display());
    } else {
        crate::sayln!(
            "{name}: sweep block {block}/{blocks}, points {first}..{end} of {points} in {simulation_seconds:.2} s → {}",
            done.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The points' values as little-endian `f64`s: per point its key results,
/// its per-protocol (TVL, APR) means, then each figure's per-path values.
fn encode(points: &[PointValues]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in points {
        let protocols = p.protocols.iter().flat_map(|(a, b)| [*a, *b]);
        let figures = p.figures.iter().flatten().copied();
        for x in p.key.iter().copied().chain(protocols).chain(figures) {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

/// Reads back what [`encode`] wrote for the points of `info`.
fn decode(bytes: &[u8], info: &BlockInfo) -> Result<Vec<PointValues>, String> {
    let keys = key_result_columns().count();
    let protocols = info.protocols.len();
    let expected: usize = info
        .rows
        .iter()
        .map(|r| (keys + 2 * protocols + PATH_MEANS.len() * r.paths as usize) * 8)
        .sum();
    if bytes.len() != expected {
        return Err(format!(
            "holds {} bytes, {expected} expected for its {} points",
            bytes.len(),
            info.rows.len()
        ));
    }
    let mut values = bytes.chunks_exact(8).map(|c| {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        f64::from_le_bytes(b)
    });
    let mut take = |n: usize| -> Vec<f64> { values.by_ref().take(n).collect() };
    Ok(info
        .rows
        .iter()
        .map(|r| {
            let key = take(keys);
            let protocols = take(2 * protocols)
                .chunks_exact(2)
                .map(|p| (p[0], p[1]))
                .collect();
            let figures = (0..PATH_MEANS.len())
                .map(|_| take(r.paths as usize))
                .collect();
            PointValues {
                key,
                figures,
                protocols,
            }
        })
        .collect())
}

/// Reads a block folder's `sweep-block.json`.
fn read_info(dir: &Path) -> Result<BlockInfo, BlockError> {
    let path = dir.join(BLOCK_INFO);
    let text = std::fs::read_to_string(&path).map_err(|reason| BlockError::NotABlock {
        dir: dir.to_path_buf(),
        path: path.clone(),
        reason,
    })?;
    let info: BlockInfo = serde_json::from_str(&text).map_err(|reason| BlockError::BadInfo {
        path: path.clone(),
        reason,
    })?;
    if info.format != BLOCK_FORMAT {
        return Err(BlockError::Format {
            path,
            found: info.format,
        });
    }
    Ok(info)
}

/// Refuses blocks of different sweeps.
fn check_same_sweep(blocks: &[(PathBuf, BlockInfo)]) -> Result<(), BlockError> {
    let (dir0, a) = &blocks[0];
    let fields = |s: &BlockInfo| {
        [
            ("scenario SHA-256", s.scenario_sha256.clone()),
            ("overrides", format!("{:?}", s.overrides)),
            ("axes", format!("{:?}", s.keys)),
            ("points", s.points.to_string()),
            ("number of blocks", s.blocks.to_string()),
            ("restake-sim version", s.version.clone()),
        ]
    };
    for (dir, b) in &blocks[1..] {
        if let Some((what, first, second)) = first_difference(fields(a), fields(b)) {
            return Err(BlockError::DifferentSweeps {
                a: dir0.clone(),
                b: dir.clone(),
                what,
                first,
                second,
            });
        }
    }
    Ok(())
}

/// Refuses blocks (sorted by number) that do not hold every point exactly once.
fn check_coverage(blocks: &[(PathBuf, BlockInfo)]) -> Result<(), BlockError> {
    let (points, n) = (blocks[0].1.points, blocks[0].1.blocks);
    for (dir, info) in blocks {
        let fits = info.block >= 1 && info.block <= n && {
            let r = shard_range(points, info.block, n);
            r.first == info.first_point && r.count as usize == info.rows.len()
        };
        if !fits {
            return Err(BlockError::Inconsistent {
                dir: dir.clone(),
                block: info.block,
                blocks: n,
                points,
                first: info.first_point,
                count: info.rows.len(),
            });
        }
    }
    for pair in blocks.windows(2) {
        if pair[0].1.block == pair[1].1.block {
            return Err(BlockError::Overlap {
                a: pair[0].0.clone(),
                b: pair[1].0.clone(),
                block: pair[0].1.block,
                blocks: n,
            });
        }
    }
    let missing: Vec<u32> = (1..=n)
        .filter(|i| !blocks.iter().any(|(_, b)| b.block == *i))
        .collect();
    if !missing.is_empty() {
        return Err(BlockError::Missing { missing, blocks: n });
    }
    Ok(())
}

/// `merge BLOCK_DIR...`: checks the blocks are the whole of one sweep and
/// writes its sweep folder (default `output/NAME-sweep/`), byte-identical
/// to the sweep run whole.
pub fn merge_blocks(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    if args.scenario.is_some() {
        return Err(InvalidArgument(
            "--scenario does not apply to sweep blocks: they hold all their results".into(),
        )
        .into());
    }
    let mut blocks = Vec::new();
    for dir in &args.shards {
        blocks.push((dir.clone(), read_info(dir)?));
    }
    check_same_sweep(&blocks)?;
    blocks.sort_by_key(|(_, info)| info.block);
    check_coverage(&blocks)?;
    let mut cells = Vec::new();
    let mut paths = Vec::new();
    let mut points = Vec::new();
    for (dir, info) in &blocks {
        let path = dir.join(BLOCK_DATA);
        let data = |reason: String| BlockError::Data {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| data(format!("cannot read: {e}")))?;
        points.extend(decode(&bytes, info).map_err(data)?);
        cells.extend(info.rows.iter().map(|r| r.cells.clone()));
        paths.extend(info.rows.iter().map(|r| r.paths));
    }
    let info = &blocks[0].1;
    let header = sweep_header(&info.keys, &info.protocols);
    let rows: Vec<Vec<String>> = cells
        .iter()
        .zip(&paths)
        .zip(&points)
        .map(|((cells, paths), point)| sweep_row(cells, *paths, point, &points[0]))
        .collect();
    let folder_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-sweep", info.name)));
    let folder = create_folder(&folder_path)?;
    folder.write("sweep.csv", &records_to_csv("sweep.csv", &header, &rows)?)?;
    let done = folder.commit()?;
    if !args.quiet {
        crate::sayln!("merged {} sweep blocks", blocks.len());
    }
    announce(args.quiet, &info.name, rows.len(), &paths, &done);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(paths: &[u32], protocols: usize) -> BlockInfo {
        BlockInfo {
            format: BLOCK_FORMAT,
            name: "x".into(),
            scenario_file: "x.toml".into(),
            scenario_sha256: "00".into(),
            overrides: vec![],
            keys: vec!["a".into()],
            protocols: (0..protocols).map(|i| format!("p{i}")).collect(),
            points: 4,
            block: 1,
            blocks: 2,
            first_point: 0,
            rows: paths
                .iter()
                .map(|&paths| BlockPoint {
                    cells: vec!["1".into()],
                    paths,
                })
                .collect(),
            version: "0".into(),
            simulation_seconds: 0.0,
        }
    }

    fn point(paths: usize, protocols: usize, seed: f64) -> PointValues {
        PointValues {
            key: (0..key_result_columns().count())
                .map(|i| seed / (i as f64 + 3.0))
                .collect(),
            figures: (0..PATH_MEANS.len())
                .map(|f| (0..paths).map(|p| (f * p) as f64 / 7.0 + seed).collect())
                .collect(),
            protocols: (0..protocols).map(|p| (p as f64 * 0.1, f64::NAN)).collect(),
        }
    }

    #[test]
    fn points_round_trip_bit_for_bit() {
        let points = vec![point(3, 2, 0.1), point(5, 2, -1e-300)];
        let bytes = encode(&points);
        let back = decode(&bytes, &info(&[3, 5], 2)).unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in points.iter().zip(&back) {
            let bits = |v: &PointValues| -> Vec<u64> {
                v.key
                    .iter()
                    .chain(v.figures.iter().flatten())
                    .chain(v.protocols.iter().flat_map(|(a, b)| [a, b]))
                    .map(|x| x.to_bits())
                    .collect()
            };
            assert_eq!(bits(a), bits(b));
        }
        let short = decode(&bytes[..bytes.len() - 8], &info(&[3, 5], 2)).unwrap_err();
        assert!(short.contains("expected"), "{short}");
    }

    #[test]
    fn block_specs_parse() {
        assert_eq!(parse_block("2/3").unwrap(), (2, 3));
        assert!(parse_block("0/3").is_err());
        assert!(parse_block("4/3").is_err());
        assert!(parse_block("x").is_err());
    }
}
