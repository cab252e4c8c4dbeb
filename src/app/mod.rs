//! The commands, one file each. They connect the library's stages to files
//! and the terminal; `main` only dispatches here.

pub mod chart;
pub mod compare;
pub mod format;
pub mod init;
pub mod merge;
pub mod precision;
pub mod run;
pub mod security;
pub mod solve;
pub mod spill;
pub mod stdout;
pub mod stress;
pub mod submit;
pub mod sweep;
pub mod sweep_block;
pub mod validate;
pub mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{Cli, Command, ScenarioArgs};
use crate::scenario::{Override, ScenarioError};

/// Exit code for invalid input (a scenario or an override).
pub const EXIT_INVALID: u8 = 2;
/// Exit code for any other failure.
pub const EXIT_FAILURE: u8 = 1;

/// Runs a parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate(args) => validate::validate(&args),
        Command::Init(args) => init::init(&args),
        Command::Chart(args) => chart::chart(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Stress(args) => stress::stress(&args),
        Command::Solve(args) => solve::solve(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Security(args) => security::security(&args),
        Command::Submit(args) => submit::submit(&args),
    }
}

/// The exit code for an error: 2 for invalid input, 1 otherwise.
pub fn exit_code_for(error: &anyhow::Error) -> u8 {
    let invalid = error.chain().any(|e| {
        e.downcast_ref::<ScenarioError>()
            .is_some_and(|s| matches!(s, ScenarioError::Invalid { .. }))
            || e.downcast_ref::<InvalidArgument>().is_some()
            || e.downcast_ref::<merge::MergeError>()
                .is_some_and(merge::MergeError::is_invalid_input)
            || e.downcast_ref::<sweep_block::BlockError>()
                .is_some_and(sweep_block::BlockError::is_invalid_input)
            || e.downcast_ref::<crate::solve::SolveError>()
                .is_some_and(crate::solve::SolveError::is_invalid_input)
    });
    if invalid { EXIT_INVALID } else { EXIT_FAILURE }
}

/// A command-line argument that is well-formed for clap but meaningless.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidArgument(pub String);

/// Parses the `--set` overrides.
pub fn overrides(args: &ScenarioArgs) -> Result<Vec<Override>, InvalidArgument> {
    args.set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| InvalidArgument(format!("--set: {e}"))))
        .collect()
}

/// A rayon pool with `threads` workers (default: one per core).
pub fn worker_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    if threads == Some(0) {
        return Err(InvalidArgument("--threads must be at least 1".into()).into());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))
}

/// Expands folders into their `.toml` files (sorted by name); files are kept as given.
pub fn expand_scenario_paths(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        let text = path.to_string_lossy();
        if !path.exists() && text.contains(['*', '?', '[']) {
            let mut matched: Vec<PathBuf> = glob::glob(&text)
                .map_err(|e| InvalidArgument(format!("bad pattern {text}: {e}")))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if matched.is_empty() {
                return Err(InvalidArgument(format!("no scenario file matches {text}")).into());
            }
            matched.sort();
            out.extend(matched);
        } else if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(InvalidArgument(format!(
                    "{} holds no .toml scenario files",
                    path.display()
                ))
                .into());
            }
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}
