//! Command-line declarations (clap derive). Declarations only: the commands
//! live in [`crate::app`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Agent-based Monte Carlo simulator of restaking economics.
#[derive(Debug, Parser)]
#[command(name = "restake-sim", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (files or folders) and write their outputs.
    Run(RunArgs),
    /// Parse and check scenarios; print what they mean at t = 0.
    Validate(ValidateArgs),
    /// Write a commented starter scenario.
    Init(InitArgs),
    /// Draw the charts and the report page of a run folder.
    Chart(ChartArgs),
    /// Run a grid of parameter values with common random numbers.
    Sweep(SweepArgs),
    /// Run a baseline and stressed variants side by side.
    Stress(StressArgs),
    /// Reverse stress test: find by bisection the value of one parameter
    /// at which a key result crosses a threshold.
    Solve(SolveArgs),
    /// Merge the shard folders of `run --shard` into one run folder.
    Merge(MergeArgs),
    /// Analyse the security of a scenario's operator–service network at
    /// t = 0: attacks, slack, the per-operator condition, worst cascades.
    Security(SecurityArgs),
    /// Run a scenario's shards (or a sweep's blocks) as jobs on Slurm,
    /// Kubernetes or this machine, and merge them into the run folder.
    Submit(SubmitArgs),
}

/// Options of every command that simulates.
#[derive(Debug, Args)]
pub struct SimulationArgs {
    /// Monte Carlo paths (overrides run.paths).
    #[arg(long)]
    pub paths: Option<u32>,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also draw the charts (PNG) and the report pages into each output
    /// folder before it appears (as `chart` would afterwards).
    #[arg(long)]
    pub charts: bool,
    /// Scenario overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// `sweep` options.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (its `[sweep]` table, if any, gives the grid).
    pub scenario: PathBuf,
    /// A grid axis: `key.path=v1,v2,v3` or `key.path=start:stop:step` (repeatable).
    #[arg(long = "grid", value_name = "KEY.PATH=VALUES")]
    pub grid: Vec<String>,
    /// Keep each combination's full run folder under `runs/`.
    #[arg(long)]
    pub keep_runs: bool,
    /// Run only block I of N (1-based) of the grid's points and write a
    /// block folder (default `output/NAME-sweep-block-I-of-N/`); `merge`
    /// assembles the blocks into the sweep folder.
    #[arg(long, value_name = "I/N")]
    pub block: Option<String>,
    /// Simulation options.
    #[command(flatten)]
    pub sim: SimulationArgs,
}

/// `stress` options.
#[derive(Debug, Args)]
pub struct StressArgs {
    /// Scenario file.
    pub scenario: PathBuf,
    /// A named stress (repeatable): slash-x10, severity-x3, correlated,
    /// eth-crash, btc-crash, reward-token-crash, bank-run, lrt-depeg,
    /// liquidity-crunch, operator-collapse, combined, all.
    #[arg(long = "preset", value_name = "NAME")]
    pub presets: Vec<String>,
    /// A custom stress multiplying a number, e.g.
    /// `protocol.*.slashing.yearly_probability=5` (repeatable, one row each).
    #[arg(long = "multiply", value_name = "KEY.PATH=FACTOR")]
    pub multiply: Vec<String>,
    /// Simulation options.
    #[command(flatten)]
    pub sim: SimulationArgs,
}

/// `solve` options.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Scenario file.
    pub scenario: PathBuf,
    /// The number to vary, as a `--set` key path, e.g.
    /// `protocol.babylon.slashing.yearly_probability` (`*` allowed).
    #[arg(long, value_name = "KEY.PATH")]
    pub vary: String,
    /// The range searched, `LO:HI` with LO < HI; the target must be met at
    /// exactly one end.
    #[arg(long, value_name = "LO:HI", allow_hyphen_values = true)]
    pub range: String,
    /// A key result and a threshold: `RESULT<=VALUE`, `>=`, `<` or `>`,
    /// e.g. `p_any_loss>=0.05`.
    #[arg(long, value_name = "RESULT<=VALUE", allow_hyphen_values = true)]
    pub target: String,
    /// Stop when the bracket is no wider than this [default: (HI − LO) / 1000].
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Stop after this many evaluations, the two ends included.
    #[arg(long, default_value_t = 20)]
    pub max_steps: usize,
    /// Simulation options.
    #[command(flatten)]
    pub sim: SimulationArgs,
}

/// Image formats for charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChartFormat {
    /// PNG bitmaps.
    Png,
    /// SVG vector images.
    Svg,
    /// Both PNG and SVG.
    Both,
}

/// `chart` options.
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// A run folder written by `run` (or a sweep or stress folder).
    pub output_dir: PathBuf,
    /// Image format.
    #[arg(long, value_enum, default_value = "png")]
    pub format: ChartFormat,
}

/// Options shared by commands that read scenarios.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Override a scenario key, e.g. `--set run.paths=100` or
    /// `--set 'protocol.*.slashing.yearly_probability=0.05'` (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files, folders of `.toml` files, or glob patterns.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Run only shard I of N (1-based) of one scenario's paths and write a
    /// shard folder (default `output/NAME-shard-I-of-N/`) for `merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Add paths in batches of the scenario's paths until the standard
    /// error of a key result is at most X (e.g. `net_return_mean=0.001`,
    /// `p_any_loss=0.005`), or `--max-paths` is reached; says which.
    #[arg(long, value_name = "RESULT=X")]
    pub until_se: Option<String>,
    /// The most paths `--until-se` may run.
    #[arg(long, value_name = "N", default_value_t = crate::app::precision::DEFAULT_MAX_PATHS)]
    pub max_paths: u32,
    /// Simulation options.
    #[command(flatten)]
    pub sim: SimulationArgs,
}

/// `validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    /// Scenario overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// `init` options.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter scenario.
    #[arg(default_value = "scenario.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `merge` options.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders written by `run --shard`, in any order.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The scenario file, if not where the shards say (its SHA-256 must match).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output folder (default `output/NAME/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the run folder.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `security` options.
#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// Scenario file (at least one protocol needs a `corruption` table).
    pub scenario: PathBuf,
    /// Shock sizes ψ for the worst cascades: fractions of all stake in
    /// (0, 1], comma-separated (repeatable) [default: 0.001,0.01,0.05,0.1].
    #[arg(long = "shock", value_name = "PSI,...", allow_hyphen_values = true)]
    pub shocks: Vec<String>,
    /// Output folder (default `output/NAME-security/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw `cascade.png` into the output folder before it appears.
    #[arg(long)]
    pub charts: bool,
    /// Print only the output folder.
    #[arg(long, short)]
    pub quiet: bool,
    /// Scenario overrides.
    #[command(flatten)]
    pub scenario_args: ScenarioArgs,
}

/// `submit` options.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Where the jobs run.
    #[command(subcommand)]
    pub target: SubmitTarget,
}

/// Where `submit` runs the jobs.
#[derive(Debug, Subcommand)]
pub enum SubmitTarget {
    /// A Slurm job array (one shard or block per task) and a merge job
    /// that runs after it, submitted with `sbatch`.
    Slurm(SlurmArgs),
    /// A Kubernetes Indexed Job (one shard or block per index) and a merge
    /// Job on a shared volume, applied with `kubectl`.
    K8s(K8sArgs),
    /// The shards in parallel on this machine (`xargs -P`), then the merge.
    Local(LocalArgs),
}

/// What `submit` runs, wherever it runs.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Scenario file.
    pub scenario: PathBuf,
    /// Split the run's paths into N shards, one job each.
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "blocks",
        conflicts_with = "blocks"
    )]
    pub shards: Option<u32>,
    /// Split a sweep's points into N blocks, one job each (the sweep of
    /// `--grid` and the scenario's `[sweep]` table).
    #[arg(long, value_name = "N")]
    pub blocks: Option<u32>,
    /// A sweep axis, as for `sweep` (repeatable; with `--blocks`).
    #[arg(long = "grid", value_name = "KEY.PATH=VALUES", requires = "blocks")]
    pub grid: Vec<String>,
    /// Monte Carlo paths (overrides run.paths).
    #[arg(long)]
    pub paths: Option<u32>,
    /// Seed (overrides run.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The run (or sweep) folder the merge writes (default `output/NAME/`,
    /// `output/NAME-sweep/` for a sweep); the job files go beside it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only write the job files and print the commands that would submit them.
    #[arg(long)]
    pub dry_run: bool,
    /// Scenario overrides.
    #[command(flatten)]
    pub overrides: ScenarioArgs,
}

/// `submit slurm` options.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// What to run.
    #[command(flatten)]
    pub job: JobArgs,
    /// Slurm partition (`--partition`).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit of each job (`--time`, e.g. `2:00:00`).
    #[arg(long)]
    pub time: Option<String>,
    /// Account charged (`--account`).
    #[arg(long)]
    pub account: Option<String>,
    /// Memory per node of each job (`--mem`, e.g. `8G`).
    #[arg(long)]
    pub mem: Option<String>,
    /// Any other `sbatch` option for both jobs, e.g. `--sbatch-arg=--qos=low`
    /// (repeatable).
    #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Wait until the merge job has finished; fail if a shard or the merge failed.
    #[arg(long, conflicts_with = "dry_run")]
    pub wait: bool,
}

/// `submit k8s` options.
#[derive(Debug, Args)]
pub struct K8sArgs {
    /// What to run. Paths are used as given, relative to the volume's
    /// mount path (the containers' working folder).
    #[command(flatten)]
    pub job: JobArgs,
    /// Container image holding restake-sim.
    #[arg(long, default_value = "restake-sim:latest")]
    pub image: String,
    /// The binary in the image.
    #[arg(long, default_value = "restake-sim")]
    pub binary: String,
    /// The PersistentVolumeClaim shared by every pod (scenario, shards, result).
    #[arg(long, default_value = "restake-sim-data")]
    pub pvc: String,
    /// Where the volume is mounted in the containers (their working folder).
    #[arg(long, default_value = "/data")]
    pub mount_path: String,
    /// Pods running at once [default: all].
    #[arg(long)]
    pub parallelism: Option<u32>,
    /// Job name prefix [default: the scenario's name].
    #[arg(long)]
    pub name: Option<String>,
}

/// `submit local` options.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// What to run.
    #[command(flatten)]
    pub job: JobArgs,
    /// Shards running at once (`xargs -P`).
    #[arg(long, short = 'j', default_value_t = 2)]
    pub jobs: u32,
}
