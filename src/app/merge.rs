//! `run --shard I/N` and `merge`: a run split into shards (each a range of
//! paths, run anywhere) and merged afterwards writes the same bytes as the
//! run simulated whole.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::InvalidArgument;
use super::run::{
    finish, one_screen_summary, progress_bar, simulate_checked, simulation_overrides, write_run,
};
use crate::cli::{MergeArgs, RunArgs};
use crate::engine::{PathRange, join};
use crate::export::shard::{SHARD_FORMAT, ShardInfo, read_shard_data, shard_range, write_shard};
use crate::export::{RunFolder, check_replaceable};
use crate::scenario::{self, Override};

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
    check_replaceable(&folder)?;
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
    let out = RunFolder::create(&folder)
        .with_context(|| format!("cannot create shard folder {}", folder.display()))?;
    write_shard(&out, &info, &collected)?;
    let folder = out.commit()?;
    if sim.quiet {
        println!("{}", folder.display());
    } else {
        println!(
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
fn read_info(dir: &Path) -> Result<ShardInfo, InvalidArgument> {
    let path = dir.join("shard.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InvalidArgument(format!(
            "{} is not a shard folder: cannot read {} ({e}); shard folders are written by `run --shard I/N`",
            dir.display(),
            path.display()
        ))
    })?;
    let info: ShardInfo = serde_json::from_str(&text)
        .map_err(|e| InvalidArgument(format!("{}: {e}", path.display())))?;
    if info.format != SHARD_FORMAT {
        return Err(InvalidArgument(format!(
            "{}: shard format {} is not the format {SHARD_FORMAT} this version reads",
            path.display(),
            info.format
        )));
    }
    Ok(info)
}

/// Refuses shards that are not parts of one run.
fn check_same_run(shards: &[(PathBuf, ShardInfo)]) -> Result<(), InvalidArgument> {
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
        let differs = fields(a)
            .into_iter()
            .zip(fields(b))
            .find(|((_, x), (_, y))| x != y);
        if let Some(((what, x), (_, y))) = differs {
            return Err(InvalidArgument(format!(
                "{} and {} are not shards of the same run: {what} {x} vs {y}",
                dir0.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Refuses shards (sorted by first path) that do not cover every path
/// exactly once.
fn check_coverage(shards: &[(PathBuf, ShardInfo)]) -> Result<(), InvalidArgument> {
    let total = shards[0].1.paths;
    let n = shards[0].1.shards;
    for (dir, info) in shards {
        let fits = info.shard >= 1 && info.shard <= n && {
            let expected = shard_range(total, info.shard, n);
            (info.first_path, info.count) == (expected.first, expected.count)
        };
        if !fits {
            return Err(InvalidArgument(format!(
                "{}: shard.json is inconsistent (shard {}/{n} of {total} paths cannot hold paths {}..{})",
                dir.display(),
                info.shard,
                info.first_path,
                info.first_path + info.count
            )));
        }
    }
    for pair in shards.windows(2) {
        let ((a_dir, a), (b_dir, b)) = (&pair[0], &pair[1]);
        if a.shard == b.shard {
            return Err(InvalidArgument(format!(
                "{} and {} overlap: both hold shard {}/{n} (paths {}..{})",
                a_dir.display(),
                b_dir.display(),
                a.shard,
                a.first_path,
                a.first_path + a.count
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !shards.iter().any(|(_, s)| s.shard == *i))
        .map(|i| {
            let r = shard_range(total, i, n);
            format!("{i}/{n} (paths {}..{})", r.first, r.first + r.count)
        })
        .collect();
    if !missing.is_empty() {
        return Err(InvalidArgument(format!(
            "shards missing: {}; every shard of the run must be given",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// `merge SHARD_DIR...`: checks the shards are the whole of one run and
/// writes its run folder, byte-identical to the run simulated whole.
pub fn merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
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
    let sha256 = scenario::file_sha256(&file).ok_or_else(|| {
        InvalidArgument(format!(
            "cannot read the scenario {} the shards were run from; give it with --scenario FILE",
            file.display()
        ))
    })?;
    if sha256 != info.scenario_sha256 {
        return Err(InvalidArgument(format!(
            "{} is not the scenario the shards were run from: its SHA-256 is {sha256}, theirs {}",
            file.display(),
            info.scenario_sha256
        ))
        .into());
    }
    let overrides = info
        .overrides
        .iter()
        .map(|o| {
            Override::parse(o).map_err(|e| InvalidArgument(format!("shard.json overrides: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let loaded = scenario::load(&file, &overrides)?;
    let model = &loaded.model;
    if model.run.paths != info.paths || model.run.seed != info.seed {
        return Err(InvalidArgument(format!(
            "{} with the shards' overrides gives {} paths and seed {}, the shards {} paths and seed {}",
            file.display(),
            model.run.paths,
            model.run.seed,
            info.paths,
            info.seed
        ))
        .into());
    }
    let folder = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.run.name));
    check_replaceable(&folder)?;
    let mut failure = None;
    let parts = shards.iter().map_while(|(dir, info)| {
        read_shard_data(dir, info, model)
            .map_err(|e| failure = Some(e))
            .ok()
    });
    let total = PathRange {
        first: 0,
        count: info.paths,
    };
    let joined = join(model, total, parts);
    if let Some(e) = failure {
        anyhow::bail!(e);
    }
    let collected = joined.map_err(|e| anyhow::anyhow!("cannot merge the shards: {e}"))?;
    if let Some((path, defect)) = &collected.defect {
        anyhow::bail!("path {path} produced an unusable result ({defect}), no outputs written");
    }
    let simulation_seconds: f64 = shards.iter().map(|(_, s)| s.simulation_seconds).sum();
    let threads = shards.iter().map(|(_, s)| s.threads).max().unwrap_or(1);
    // The wall time counts the shards' simulations and the merge.
    let started = Duration::try_from_secs_f64(simulation_seconds)
        .ok()
        .and_then(|d| started.checked_sub(d))
        .unwrap_or(started);
    let execution = finish(
        &loaded,
        collected,
        started,
        simulation_seconds,
        Some(info.shards),
    );
    let report = write_run(&loaded, execution, &folder, threads, None)?;
    if args.quiet {
        println!("{}", report.folder.display());
    } else {
        println!("merged {} shards", shards.len());
        print!("{}", one_screen_summary(&report));
    }
    Ok(ExitCode::SUCCESS)
}
