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
