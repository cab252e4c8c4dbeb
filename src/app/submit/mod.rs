//! `submit`: a run's shards (or a sweep's blocks) as jobs on a cluster or
//! this machine, and the merge that writes the run folder after them.
//!
//! [`Plan`] is what to run, whatever runs it: one command per part (with
//! the part's index in it) and the merge command. `slurm`, `k8s` and
//! `local` write it as job files for their runner and submit them.

pub mod k8s;
pub mod local;
pub mod script;
pub mod slurm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::InvalidArgument;
use super::run::simulation_overrides;
use crate::cli::{JobArgs, ScenarioArgs, SimulationArgs, SubmitArgs, SubmitTarget};
use crate::scenario;
use script::Word;

/// Why a job could not be submitted or did not finish well.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The runner's command is not installed here.
    #[error("{tool} not found: {hint}")]
    ToolMissing {
        /// The command.
        tool: String,
        /// What to do instead.
        hint: String,
    },
    /// The runner's command failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    ToolFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on standard error.
        stderr: String,
    },
    /// A job failed.
    #[error("{0}")]
    JobFailed(String),
    /// A job file could not be written.
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
}

/// What the parts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shards of a run's paths (`run --shard I/N`).
    Run,
    /// Blocks of a sweep's points (`sweep --block I/N`).
    Sweep,
}

impl Kind {
    /// `shard` or `block`.
    pub fn part(self) -> &'static str {
        match self {
            Kind::Run => "shard",
            Kind::Sweep => "block",
        }
    }
}

/// How the plan spells paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths {
    /// Absolute (the jobs run on a shared file system, from any folder).
    Absolute,
    /// As given (relative to the jobs' working folder).
    AsGiven,
}

/// A validated job: its parts' commands and the merge's.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The scenario's `run.name`.
    pub name: String,
    /// Shards or blocks.
    pub kind: Kind,
    /// How many parts.
    pub parts: u32,
    /// The run (or sweep) folder the merge writes.
    pub out: PathBuf,
    /// The folder of the parts' outputs.
    pub parts_dir: PathBuf,
    /// One part's command (binary first), its index a [`script::Piece::Index`].
    pub part: Vec<Word>,
    /// The merge command (binary first).
    pub merge: Vec<Word>,
    /// The marker file of a finished part's folder.
    pub marker: &'static str,
}

impl Plan {
    /// Checks the scenario (with its overrides, and every sweep point) and
    /// the number of parts, and makes the commands. `binary` is the
    /// program the jobs run; `jobs_suffix` names the job folder beside the
    /// output (`slurm` gives `output/NAME.slurm/`).
    pub fn new(
        args: &JobArgs,
        binary: &str,
        paths: Paths,
        jobs_suffix: &str,
    ) -> anyhow::Result<Plan> {
        let sim = SimulationArgs {
            paths: args.paths,
            seed: args.seed,
            threads: None,
            out: None,
            quiet: true,
            charts: false,
            scenario: ScenarioArgs {
                set: args.overrides.set.clone(),
            },
        };
        let overrides = simulation_overrides(&sim)?;
        let (kind, parts) = match (args.shards, args.blocks) {
            (Some(n), None) => (Kind::Run, n),
            (None, Some(n)) => (Kind::Sweep, n),
            _ => {
                return Err(InvalidArgument("give either --shards N or --blocks N".into()).into());
            }
        };
        if parts == 0 {
            return Err(InvalidArgument(format!("--{}s must be at least 1", kind.part())).into());
        }
        let (name, default_out) = match kind {
            Kind::Run => {
                let loaded = scenario::load(&args.scenario, &overrides)?;
                let total = loaded.model.run.paths;
                if parts > total {
                    return Err(InvalidArgument(format!(
                        "--shards {parts}: {total} paths cannot be split into {parts} shards"
                    ))
                    .into());
                }
                let name = loaded.model.run.name;
                (name.clone(), PathBuf::from("output").join(name))
            }
            Kind::Sweep => {
                let grid = super::sweep::grid(&args.scenario, &overrides, &args.grid)?;
                let points = grid.variants.len();
                if parts as usize > points {
                    return Err(InvalidArgument(format!(
                        "--blocks {parts}: {points} points cannot be split into {parts} blocks"
                    ))
                    .into());
                }
                let name = grid.base.model.run.name;
                let out = PathBuf::from("output").join(format!("{name}-sweep"));
                (name, out)
            }
        };
        let spell = |p: &Path| -> anyhow::Result<PathBuf> {
            Ok(match paths {
                Paths::AsGiven => p.to_path_buf(),
                Paths::Absolute => absolute(p)?,
            })
        };
        let out = spell(args.out.as_deref().unwrap_or(&default_out))?;
        let parts_dir = jobs_dir(&out, jobs_suffix).join("parts");
        let scenario_file = match paths {
            Paths::AsGiven => args.scenario.clone(),
            Paths::Absolute => std::fs::canonicalize(&args.scenario)?,
        };
        let text = |p: &Path| p.display().to_string();
        let part_dir = |i: &str| format!("{}/{}-{i}", text(&parts_dir), kind.part());
        let mut part = vec![Word::text(binary)];
        match kind {
            Kind::Run => part.push(Word::text("run")),
            Kind::Sweep => part.push(Word::text("sweep")),
        }
        part.push(Word::text(text(&scenario_file)));
        if kind == Kind::Sweep {
            for g in &args.grid {
                part.push(Word::text("--grid"));
                part.push(Word::text(g));
            }
        }
        part.push(Word::text(format!("--{}", kind.part())));
        part.push(Word::indexed("", format!("/{parts}")));
        if let Some(p) = args.paths {
            part.extend([Word::text("--paths"), Word::text(p.to_string())]);
        }
        if let Some(s) = args.seed {
            part.extend([Word::text("--seed"), Word::text(s.to_string())]);
        }
        for s in &args.overrides.set {
            part.extend([Word::text("--set"), Word::text(s)]);
        }
        part.push(Word::text("--out"));
        part.push(Word::indexed(part_dir(""), ""));
        let mut merge = vec![Word::text(binary), Word::text("merge")];
        merge.extend((1..=parts).map(|i| Word::text(part_dir(&i.to_string()))));
        merge.extend([Word::text("--out"), Word::text(text(&out))]);
        Ok(Plan {
            name,
            kind,
            parts,
            out,
            parts_dir,
            part,
            merge,
            marker: match kind {
                Kind::Run => "shard.json",
                Kind::Sweep => super::sweep_block::BLOCK_INFO,
            },
        })
    }

    /// The folder of part `i` (1-based).
    pub fn part_dir(&self, i: u32) -> PathBuf {
        self.parts_dir.join(format!("{}-{i}", self.kind.part()))
    }

    /// The job folder (the parts' folder's parent).
    pub fn jobs_dir(&self) -> &Path {
        self.parts_dir.parent().unwrap_or(Path::new("."))
    }
}

/// The folder of job files beside the output: `output/NAME` gives
/// `output/NAME.<suffix>`.
pub fn jobs_dir(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}.{suffix}"))
}

/// `p` made absolute against the current folder (without resolving links).
pub fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(std::path::absolute(p)?)
}

/// The absolute path of this program, which the jobs run.
pub fn this_binary() -> anyhow::Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find the path of this program: {e}"))?;
    Ok(exe.display().to_string())
}

/// Writes a job file (executable when `executable`).
pub fn write_file(path: &Path, text: &str, executable: bool) -> Result<(), SubmitError> {
    let fail = |reason| SubmitError::Write {
        path: path.to_path_buf(),
        reason,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)?;
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(fail)?;
    }
    Ok(())
}

/// Runs a command to its end, returning its standard output; a missing
/// program is [`SubmitError::ToolMissing`] with `hint`.
pub fn run_tool(program: &str, args: &[String], hint: &str) -> Result<String, SubmitError> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SubmitError::ToolMissing {
                tool: program.to_string(),
                hint: hint.to_string(),
            },
            _ => SubmitError::ToolFailed {
                command: program.to_string(),
                status: "could not start".into(),
                stderr: e.to_string(),
            },
        })?;
    if !output.status.success() {
        let mut words = vec![program.to_string()];
        words.extend(args.iter().cloned());
        return Err(SubmitError::ToolFailed {
            command: script::command_line(&words),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `submit slurm|k8s|local`.
pub fn submit(args: &SubmitArgs) -> anyhow::Result<ExitCode> {
    match &args.target {
        SubmitTarget::Slurm(a) => slurm::submit(a),
        SubmitTarget::K8s(a) => k8s::submit(a),
        SubmitTarget::Local(a) => local::submit(a),
    }
}
