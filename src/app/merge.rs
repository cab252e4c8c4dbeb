//! `run --shard I/N` and `merge`: a run split into shards (each a range of
//! paths, run anywhere) and merged afterwards writes the same bytes as the
//! run simulated whole.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::InvalidArgument;
use super::run::{
    one_screen_summary, progress_bar, simulate_checked, simulation_overrides, write_run,
};
use super::spill::{Spilled, finish_spilled};
use super::submit::script::command_line;
use crate::cli::{MergeArgs, RunArgs};
use crate::export::scratch::Scratch;
use crate::export::shard::{SHARD_FORMAT, ShardError, ShardInfo, shard_range, write_shard};
use crate::export::shard_files::{range_of, read_shard_rest};
use crate::export::{RunFolder, claim};
use crate::results::{JoinError, PathRange, join_rest};
use crate::scenario::{self, Override};

/// Why shards cannot be merged into their run.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A folder holds no readable `shard.json`.
    #[error(
        "{} is not a shard folder: cannot read {} ({reason}); shard folders are written by `run --shard I/N`",
        dir.display(), path.display()
    )]
    NotAShard {
        /// The folder given.
        dir: PathBuf,
        /// Its `shard.json`.
        path: PathBuf,
        /// Why it cannot be read.
        reason: std::io::Error,
    },
    /// `shard.json` is not valid.
    #[error("{}: {reason}", path.display())]
    BadInfo {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        reason: serde_json::Error,
    },
    /// A shard written in another layout.
    #[error("{}: shard format {found} is not the format {SHARD_FORMAT} this version reads", path.display())]
    Format {
        /// The `shard.json`.
        path: PathBuf,
        /// Its format.
        found: u32,
    },
    /// Two shards of different runs.
    #[error("{} and {} are not shards of the same run: {what} {first} vs {second}", a.display(), b.display())]
    DifferentRuns {
        /// The first shard folder.
        a: PathBuf,
        /// The one that differs.
        b: PathBuf,
        /// What differs.
        what: &'static str,
        /// The first shard's value.
        first: String,
        /// The other's.
        second: String,
    },
    /// A `shard.json` whose range is not the one its shard number implies.
    #[error(
        "{}: shard.json is inconsistent (shard {shard}/{shards} of {paths} paths cannot hold {range})",
        dir.display()
    )]
    Inconsistent {
        /// The shard folder.
        dir: PathBuf,
        /// Its shard number.
        shard: u32,
        /// Shards of the run.
        shards: u32,
        /// Paths of the run.
        paths: u32,
        /// The range it claims.
        range: PathRange,
    },
    /// Two folders holding the same shard.
    #[error("{} and {} overlap: both hold shard {shard}/{shards} ({range})", a.display(), b.display())]
    Overlap {
        /// One folder.
        a: PathBuf,
        /// The other.
        b: PathBuf,
        /// The shard both hold.
        shard: u32,
        /// Shards of the run.
        shards: u32,
        /// Its paths.
        range: PathRange,
    },
    /// Shards not given.
    #[error(
        "shards missing: {}; every shard of the run must be given. Run the missing ones (only those) with:\n{}\nthen merge every shard folder again",
        list(.missing, *.shards),
        .rerun.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n")
    )]
    Missing {
        /// The missing shards and their paths.
        missing: Vec<(u32, PathRange)>,
        /// Shards of the run.
        shards: u32,
        /// The command that runs each missing shard as the others ran.
        rerun: Vec<String>,
    },
    /// The scenario file cannot be read.
    #[error(
        "cannot read the scenario {} the shards were run from; give it with --scenario FILE",
        file.display()
    )]
    ScenarioUnreadable {
        /// The file.
        file: PathBuf,
    },
    /// The scenario file changed since the shards ran.
    #[error(
        "{} is not the scenario the shards were run from: its SHA-256 is {found}, theirs {expected}",
        file.display()
    )]
    ScenarioChanged {
        /// The file.
        file: PathBuf,
        /// Its hash now.
        found: String,
        /// The shards' hash.
        expected: String,
    },
    /// An override in `shard.json` that does not parse.
    #[error("shard.json overrides: {0}")]
    Override(String),
    /// The scenario with the shards' overrides is another run.
    #[error(
        "{} with the shards' overrides gives {paths} paths and seed {seed}, the shards {shard_paths} paths and seed {shard_seed}",
        file.display()
    )]
    SettingsDiffer {
        /// The file.
        file: PathBuf,
        /// Paths it gives.
        paths: u32,
        /// Seed it gives.
        seed: u64,
        /// The shards' paths.
        shard_paths: u32,
        /// The shards' seed.
        shard_seed: u64,
    },
    /// A shard's data cannot be read.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The shards' data do not join into the run.
    #[error("cannot merge the shards: {0}")]
    Join(#[from] JoinError),
}

impl MergeError {
    /// Whether the error is in what the user gave (exit code 2) rather than
    /// a failure reading or joining the data (exit code 1).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, MergeError::Shard(_) | MergeError::Join(_))
    }
}

/// `2/3 (paths 3..6), 3/3 (paths 6..9)`.
fn list(missing: &[(u32, PathRange)], shards: u32) -> String {
    let items: Vec<String> = missing
        .iter()
        .map(|(i, r)| format!("{i}/{shards} ({r})"))
        .collect();
    items.join(", ")
}

/// The command that runs shard `shard` of the run `info` is a shard of,
/// with the same scenario and overrides (`--paths` and `--seed` among
/// them), into its default folder.
fn rerun_command(info: &ShardInfo, shard: u32) -> String {
    let mut words = vec![
        "restake-sim".to_string(),
        "run".to_string(),
        info.scenario_file.clone(),
        "--shard".to_string(),
        format!("{shard}/{}", info.shards),
    ];
    for o in &info.overrides {
        words.extend(["--set".to_string(), o.clone()]);
    }
    command_line(&words)
}

/// The first of labelled `fields` whose values differ between two parts
/// of one result (two shards, two sweep blocks): its label and both values.
pub(super) fn first_difference<const N: usize>(
    a: [(&'static str, String); N],
    b: [(&'static str, String); N],
) -> Option<(&'static str, String, String)> {
    a.into_iter()
        .zip(b)
        .find(|((_, x), (_, y))| x != y)
        .map(|((what, first), (_, second))| (what, first, second))
}

/// Parses `I/N` (1 ≤ I ≤ N).
fn parse_shard(spec: &str) -> Result<(u32, u32), InvalidArgument> {
    let bad = || {
        InvalidArgument(format!(
            "--shard expects I/N with 1 ≤ I ≤ N (e.g. 2/3), found \"{spec}\""
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

/// `run SCENARIO --shard I/N`: simulates shard I of N of the scenario's
/// paths and writes its shard folder.
pub fn run_shard(args: &RunArgs, spec: &str) -> anyhow::Result<ExitCode> {
    let sim = &args.sim;
    let (shard, shards) = parse_shard(spec)?;
    if sim.charts {
        return Err(InvalidArgument(
            "--charts does not apply to a shard; chart the merged run instead".into(),
        )
        .into());
    }
    let overrides = simulation_overrides(sim)?;
    let files = super::expand_scenario_paths(&args.scenarios)?;
    let [file] = files.as_slice() else {
        return Err(InvalidArgument(format!(
            "--shard runs exactly one scenario, found {}",
            files.len()
        ))
        .into());
    };
    let pool = super::worker_pool(sim.threads)?;
    let loaded = scenario::load(file, &overrides)?;
    let model = &loaded.model;
    let paths = model.run.paths;
    if shards > paths {
        return Err(InvalidArgument(format!(
            "--shard {spec}: {paths} paths cannot be split into {shards} shards"
        ))
        .into());
    }
    let range = shard_range(paths, shard, shards);
    let folder = sim.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-shard-{shard}-of-{shards}", model.run.name))
    });
    let _claim = claim(&folder)?;
    let progress = progress_bar(sim.quiet, u64::from(range.count), "shard");
    let started = Instant::now();
    let collected = pool.install(|| simulate_checked(&loaded, range, &|| progress.inc(1)))?;
    let simulation_seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let info = ShardInfo {
        format: SHARD_FORMAT,
        name: model.run.name.clone(),
        scenario_file: loaded.path.display().to_string(),
        scenario_sha256: loaded.sha256.clone(),
        overrides: loaded.overrides.clone(),
        seed: model.run.seed,
        paths,
        shard,
        shards,
        first_path: range.first,
        count: range.count,
        version: env!("CARGO_PKG_VERSION").to_string(),
        threads: pool.current_num_threads(),
        simulation_seconds,
    };
    let out = RunFolder::create(&folder).map_err(anyhow::Error::from)?;
    write_shard(&out, &info, &collected)?;
    let folder = out.commit()?;
    if sim.quiet {
        crate::sayln!("{}", folder.display());
    } else {
        crate::sayln!(
            "{}: shard {shard}/{shards}, paths {}..{} of {paths} in {simulation_seconds:.2} s → {}",
            info.name,
            range.first,
            range.first + range.count,
            folder.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a shard folder's `shard.json`.
fn read_info(dir: &Path) -> Result<ShardInfo, MergeError> {
    let path = dir.join("shard.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => {
            return Err(MergeError::NotAShard {
                dir: dir.to_path_buf(),
                path,
                reason: source,
            });
        }
    };
    let info: ShardInfo = match serde_json::from_str(&text) {
        Ok(info) => info,
        Err(source) => {
            return Err(MergeError::BadInfo {
                path,
                reason: source,
            });
        }
    };
    if info.format != SHARD_FORMAT {
        return Err(MergeError::Format {
            path,
            found: info.format,
        });
    }
    Ok(info)
}

/// Refuses shards that are not parts of one run.
fn check_same_run(shards: &[(PathBuf, ShardInfo)]) -> Result<(), MergeError> {
    let (dir0, a) = &shards[0];
    for (dir, b) in &shards[1..] {
        let fields = |s: &ShardInfo| {
            [
                ("scenario SHA-256", s.scenario_sha256.clone()),
                ("seed", s.seed.to_string()),
                ("paths", s.paths.to_string()),
                ("number of shards", s.shards.to_string()),
                ("restake-sim version", s.version.clone()),
                ("overrides", format!("{:?}", s.overrides)),
            ]
        };
        if let Some((what, first, second)) = first_difference(fields(a), fields(b)) {
            return Err(MergeError::DifferentRuns {
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

/// Refuses shards (sorted by first path) that do not cover every path
/// exactly once.
fn check_coverage(shards: &[(PathBuf, ShardInfo)]) -> Result<(), MergeError> {
    let paths = shards[0].1.paths;
    let n = shards[0].1.shards;
    for (dir, info) in shards {
        let fits = info.shard >= 1
            && info.shard <= n
            && shard_range(paths, info.shard, n) == range_of(info);
        if !fits {
            return Err(MergeError::Inconsistent {
                dir: dir.clone(),
                shard: info.shard,
                shards: n,
                paths,
                range: range_of(info),
            });
        }
    }
    for pair in shards.windows(2) {
        let ((a_dir, a), (b_dir, b)) = (&pair[0], &pair[1]);
        if a.shard == b.shard {
            return Err(MergeError::Overlap {
                a: a_dir.clone(),
                b: b_dir.clone(),
                shard: a.shard,
                shards: n,
                range: range_of(a),
            });
        }
    }
    let missing: Vec<(u32, PathRange)> = (1..=n)
        .filter(|i| !shards.iter().any(|(_, s)| s.shard == *i))
        .map(|i| (i, shard_range(paths, i, n)))
        .collect();
    if !missing.is_empty() {
        let info = &shards[0].1;
        let rerun = missing
            .iter()
            .map(|(i, _)| rerun_command(info, *i))
            .collect();
        return Err(MergeError::Missing {
            missing,
            shards: n,
            rerun,
        });
    }
    Ok(())
}

/// `merge SHARD_DIR...`: checks the shards are the whole of one run and
/// writes its run folder, byte-identical to the run simulated whole.
pub fn merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    if args
        .shards
        .iter()
        .any(|d| super::sweep_block::is_block_folder(d))
    {
        return super::sweep_block::merge_blocks(args);
    }
    let started = Instant::now();
    let mut shards = Vec::new();
    for dir in &args.shards {
        shards.push((dir.clone(), read_info(dir)?));
    }
    check_same_run(&shards)?;
    shards.sort_by_key(|(_, info)| info.shard);
    check_coverage(&shards)?;
    let info = &shards[0].1;
    let file = args
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from(&info.scenario_file));
    let sha256 = scenario::file_sha256(&file)
        .ok_or_else(|| MergeError::ScenarioUnreadable { file: file.clone() })?;
    if sha256 != info.scenario_sha256 {
        return Err(MergeError::ScenarioChanged {
            file,
            found: sha256,
            expected: info.scenario_sha256.clone(),
        }
        .into());
    }
    let overrides = info
        .overrides
        .iter()
        .map(|o| Override::parse(o).map_err(|e| MergeError::Override(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let loaded = scenario::load(&file, &overrides)?;
    let model = &loaded.model;
    if model.run.paths != info.paths || model.run.seed != info.seed {
        return Err(MergeError::SettingsDiffer {
            file,
            paths: model.run.paths,
            seed: model.run.seed,
            shard_paths: info.paths,
            shard_seed: info.seed,
        }
        .into());
    }
    let folder = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.run.name));
    let _claim = claim(&folder)?;
    let total = PathRange {
        first: 0,
        count: info.paths,
    };
    let mut failure = None;
    let rests = shards.iter().map_while(|(dir, info)| {
        read_shard_rest(dir, info, model)
            .map_err(|e| failure = Some(e))
            .ok()
    });
    let joined = join_rest(model, total, rests);
    if let Some(e) = failure {
        return Err(MergeError::Shard(e).into());
    }
    let rest = joined.map_err(MergeError::Join)?;
    if let Some((path, defect)) = &rest.defect {
        anyhow::bail!("path {path} produced an unusable result ({defect}), no outputs written");
    }
    let parts = shards
        .iter()
        .map(|(dir, info)| (dir.clone(), range_of(info)));
    let spilled = Spilled::new(parts, model, Scratch::beside(&folder)?)?;
    let simulation_seconds: f64 = shards.iter().map(|(_, s)| s.simulation_seconds).sum();
    let threads = shards.iter().map(|(_, s)| s.threads).max().unwrap_or(1);
    // The wall time counts the shards' simulations and the merge.
    let started = Duration::try_from_secs_f64(simulation_seconds)
        .ok()
        .and_then(|d| started.checked_sub(d))
        .unwrap_or(started);
    let execution = finish_spilled(
        &loaded,
        rest,
        spilled,
        started,
        simulation_seconds,
        Some(info.shards),
    )?;
    let report = write_run(&loaded, execution, &folder, threads, None)?;
    if args.quiet {
        crate::sayln!("{}", report.folder.display());
    } else {
        crate::sayln!("merged {} shards", shards.len());
        crate::say!("{}", one_screen_summary(&report));
    }
    Ok(ExitCode::SUCCESS)
}
