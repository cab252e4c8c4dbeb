//! The serde shapes of a scenario file: one struct per TOML table, mirroring
//! the file exactly. Nothing here is validated beyond types and unknown keys;
//! [`super::build`] turns these shapes into a checked [`crate::model::Model`].
//!
//! Every key is documented in `docs/scenario-format.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[run]`: name, horizon, paths, seed, recording.
    pub run: RunFile,
    /// `[[asset]]`: priced assets (staked and reward assets).
    #[serde(default, rename = "asset", skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetFile>,
    /// `[correlation]`: correlation of the assets' Brownian motions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationFile>,
    /// `[[protocol]]`: services that pay for security and slash.
    #[serde(default, rename = "protocol", skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<ProtocolFile>,
    /// `[[shock]]`: correlated events hitting several protocols, operators or prices.
    #[serde(default, rename = "shock", skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<ShockFile>,
    /// `[[operator]]`: node operators that stakers delegate to.
    #[serde(default, rename = "operator", skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<OperatorFile>,
    /// `[[staker]]`: staker classes (populations).
    #[serde(default, rename = "staker", skip_serializing_if = "Vec::is_empty")]
    pub stakers: Vec<StakerFile>,
    /// `[[lrt]]`: liquid restaking tokens backed by staker classes.
    #[serde(default, rename = "lrt", skip_serializing_if = "Vec::is_empty")]
    pub lrts: Vec<LrtFile>,
    /// `[[lending_market]]`: money markets lending an LRT's underlying
    /// against the LRT.
    #[serde(rename = "lending_market")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lending_markets: Vec<LendingMarketFile>,
    /// `[sweep]`: grid axes for `restake-sim sweep`, key path → values
    /// (ignored by `run`, which runs the scenario as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<BTreeMap<String, Vec<toml::Value>>>,
}

/// `[run]`: settings of the Monte Carlo run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// Scenario name; names the output folder.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Simulated horizon in days.
    pub horizon_days: u32,
    /// Length of one step in days.
    #[serde(default = "default_one")]
    pub step_days: u32,
    /// Monte Carlo paths.
    #[serde(default = "default_paths")]
    pub paths: u32,
    /// Seed of every random stream.
    #[serde(default)]
    pub seed: u64,
    /// Record a time-series point every this many days (and on the last
    /// day); absent: the smallest multiple of `step_days` that is ≥ 7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_every_days: Option<u32>,
    /// Maximum rows of `events.csv`.
    #[serde(default = "default_max_event_rows")]
    pub max_event_rows: u32,
    /// Refuse scenarios whose estimated memory exceeds this many GiB.
    #[serde(default = "default_memory_limit")]
    pub memory_limit_gib: f64,
    /// Coalitions of operators attack the protocols with a `corruption`
    /// table whenever an attack has become profitable.
    #[serde(default, skip_serializing_if = "is_false")]
    pub attacks: bool,
    /// Stakers alike in law (same allocation, operator, class and entry)
    /// are simulated as one cohort; `false` simulates each on its own.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub cohorts: bool,
}

fn default_one() -> u32 {
    1
}
fn default_paths() -> u32 {
    1000
}
fn default_max_event_rows() -> u32 {
    100_000
}
fn default_memory_limit() -> f64 {
    8.0
}
fn default_true() -> bool {
    true
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_true(b: &bool) -> bool {
    *b
}

/// `[[asset]]`: a priced asset following geometric Brownian motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetFile {
    /// Ticker, e.g. `BTC`.
    pub name: String,
    /// Price at t = 0 in USD.
    pub price_usd: f64,
    /// Yearly drift of the log price (GBM mu).
    #[serde(default)]
    pub drift: f64,
    /// Yearly volatility (GBM sigma).
    #[serde(default)]
    pub volatility: f64,
}

/// `[correlation]`: correlation matrix of asset returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationFile {
    /// Asset names, in the order of the matrix rows.
    pub assets: Vec<String>,
    /// Symmetric, positive semi-definite matrix with unit diagonal.
    pub matrix: Vec<Vec<f64>>,
}

/// A severity distribution: the fraction of the exposed stake lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum SeverityFile {
    /// Always `value`.
    Fixed {
        /// Fraction lost.
        value: f64,
    },
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Beta(`alpha`, `beta`).
    Beta {
        /// First shape parameter.
        alpha: f64,
        /// Second shape parameter.
        beta: f64,
    },
}

/// An APR curve: APR as a function of the protocol's TVL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "curve", rename_all = "snake_case", deny_unknown_fields)]
pub enum AprCurveFile {
    /// A constant APR.
    Constant {
        /// Yearly rate.
        value: f64,
    },
    /// A fixed yearly budget shared by the stake: APR = budget value / TVL value.
    Budget {
        /// Reward-asset units paid per year.
        budget: f64,
    },
    /// APR = k / sqrt(TVL in native units).
    InverseSqrt {
        /// The constant k.
        k: f64,
    },
    /// Piecewise-linear in TVL (native units), flat beyond the ends.
    Table {
        /// `[tvl, apr]` points, TVL strictly increasing.
        points: Vec<[f64; 2]>,
    },
}

/// A protocol's slashing risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashingFile {
    /// Probability of at least one event in a year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_probability: Option<f64>,
    /// Poisson hazard: expected events per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_rate: Option<f64>,
    /// Probability of an event on any one day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_probability: Option<f64>,
    /// Fraction of the backing stake lost per event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityFile>,
    /// Names of `[[shock]]`s this protocol is hit by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shock_groups: Vec<String>,
}

/// How a protocol counts and slashes restaked stake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum AllocationFile {
    /// The same stake counts in full in every protocol it backs.
    FullRestaking,
    /// EigenLayer magnitudes: allocations to unique-stake protocols sum to at most 1.
    UniqueStake,
    /// Symbiotic network limit: the counted stake is at most `limit` native units.
    NetworkLimit {
        /// Native units of stake the protocol counts at most.
        limit: f64,
    },
    /// A maximum slashable share per event.
    Capped {
        /// Largest fraction of the backing stake one event can take.
        max_slash: f64,
    },
}

/// `[[protocol]]`: a service paying for security.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolFile {
    /// Unique name.
    pub name: String,
    /// Accepted assets; the first is the unit of TVL.
    pub assets: Vec<String>,
    /// APR curve.
    pub apr: AprCurveFile,
    /// Maximum APR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apr_cap: Option<f64>,
    /// Minimum APR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apr_floor: Option<f64>,
    /// Asset the rewards are paid in (default: the first accepted asset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_asset: Option<String>,
    /// Fee revenue in USD per year shared pro rata to stake.
    #[serde(default)]
    pub fee_revenue_usd: f64,
    /// Largest TVL (native units) the protocol accepts inflows up to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    /// Smallest stake (native units) a staker needs to back the protocol.
    #[serde(default)]
    pub min_stake: f64,
    /// Days an exit from the protocol unbonds (slashable, earning nothing).
    #[serde(default)]
    pub unbonding_days: u32,
    /// Days a withdrawal waits in the restaking queue before unbonding starts.
    #[serde(default)]
    pub withdrawal_days: u32,
    /// Days a deallocation (moving stake away) stays slashable.
    #[serde(default)]
    pub deallocation_days: u32,
    /// Days between a fault and the slash taking effect.
    #[serde(default)]
    pub veto_days: u32,
    /// Probability that a slash is vetoed during the veto window.
    #[serde(default)]
    pub veto_probability: f64,
    /// Slashing risk (none if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slashing: Option<SlashingFile>,
    /// Allocation model (default full restaking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<AllocationFile>,
    /// Attack model: profit from corruption and threshold (never attacked
    /// if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corruption: Option<CorruptionFile>,
}

/// What corrupting a protocol is worth and how much of the stake behind it
/// an attacker needs (Durvasula & Roughgarden's π and α). The profit is
/// exactly one of `profit_usd`, `profit_stake_multiple`, `secured_amount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorruptionFile {
    /// A fixed profit, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_usd: Option<f64>,
    /// A profit of this multiple of the USD value of the stake behind the protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_stake_multiple: Option<f64>,
    /// The asset `secured_amount` is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_asset: Option<String>,
    /// Native units of `secured_asset` the protocol secures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_amount: Option<f64>,
    /// Share of the secured value an attacker takes (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_share: Option<f64>,
    /// Fraction of the stake behind the protocol an attacker needs (default 1/3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// A price move applied when a shock fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceMoveFile {
    /// Asset name.
    pub asset: String,
    /// Relative change, e.g. -0.5 halves the price.
    pub change: f64,
}

/// A move of an LRT's pool price applied when a shock fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrtPriceMoveFile {
    /// LRT name.
    pub lrt: String,
    /// Relative change of the pool price, e.g. -0.3 for a 30 % depeg.
    pub change: f64,
}

/// `[[shock]]`: an event hitting several protocols, operators or prices at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShockFile {
    /// Unique name, referenced by `slashing.shock_groups`.
    pub name: String,
    /// Probability of at least one event in a year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_probability: Option<f64>,
    /// Poisson hazard: expected events per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_rate: Option<f64>,
    /// Probability of an event on any one day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_probability: Option<f64>,
    /// A scheduled shock: fires once on this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u32>,
    /// Severity for every member protocol (default: each protocol's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityFile>,
    /// Restrict the slash to stake delegated to these operators.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<String>,
    /// Price moves applied when the shock fires.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price: Vec<PriceMoveFile>,
    /// LRT pool price moves applied when the shock fires (NAV untouched).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lrt_price: Vec<LrtPriceMoveFile>,
    /// Fraction of every class's active stakers that exit when the shock fires.
    #[serde(default)]
    pub exit_fraction: f64,
}

/// An operator's fault risk in the protocols it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    /// Probability of at least one event in a year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_probability: Option<f64>,
    /// Poisson hazard: expected events per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_rate: Option<f64>,
    /// Probability of an event on any one day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_probability: Option<f64>,
    /// Severity of a fault (default: the protocol's severity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityFile>,
}

/// `[[operator]]`: a node operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorFile {
    /// Unique name.
    pub name: String,
    /// Share of rewards the operator keeps.
    #[serde(default)]
    pub commission: f64,
    /// Protocols the operator serves.
    pub protocols: Vec<String>,
    /// Fault risk per protocol served (none if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultFile>,
}

/// Initial stake distribution of a staker class (native units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum StakeFile {
    /// Every staker holds `value`.
    Fixed {
        /// Stake.
        value: f64,
    },
    /// Log-normal with the given median and log-space sigma.
    Lognormal {
        /// Median stake.
        median: f64,
        /// Standard deviation of ln(stake).
        sigma: f64,
    },
    /// Pareto with minimum `scale` and tail index `shape`.
    Pareto {
        /// Minimum stake.
        scale: f64,
        /// Tail index.
        shape: f64,
    },
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

/// A random initial allocation: each staker picks between `min` and `max`
/// distinct protocols uniformly at random, with `weight` on each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomAllocationFile {
    /// Fewest protocols picked.
    pub min: u32,
    /// Most protocols picked.
    pub max: u32,
    /// Weight on each picked protocol.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Candidate protocols (default: every protocol accepting the class's asset).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub among: Vec<String>,
}

fn default_weight() -> f64 {
    1.0
}

/// A staker strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StrategyFile {
    /// Keep the initial allocation.
    Fixed,
    /// On review days, with probability `probability`, move the weight of the
    /// worst held protocol to the best protocol not held.
    YieldChasing {
        /// Chance that a staker acts on a review day (1 − inertia).
        probability: f64,
        /// Only move if the best beats the worst by at least this APR
        /// (absent: always move, as RM-1 does).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_improvement: Option<f64>,
        /// Risk-adjusted APR = APR − risk_weight × expected yearly loss rate.
        #[serde(default)]
        risk_weight: f64,
    },
    /// Exit once cumulative losses exceed `exit_loss` × initial stake.
    RiskAverse {
        /// Loss threshold as a fraction of the initial stake.
        exit_loss: f64,
    },
    /// Loop through a lending market: deposit its LRT, borrow the
    /// underlying, restake, repeat, to a leverage drawn at entry.
    Loop {
        /// The `[[lending_market]]` looped through.
        market: String,
        /// Lowest leverage drawn (≥ 1).
        leverage_min: f64,
        /// Highest leverage drawn (≤ 1 / (1 − the market's ltv)).
        leverage_max: f64,
    },
}

/// Entry of new stakers into a class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFile {
    /// New stakers per review day while the class's APR beats its opportunity APR.
    pub per_review: u32,
    /// Most stakers that may enter over the horizon.
    pub max_new: u32,
}

/// `[[staker]]`: a class of stakers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakerFile {
    /// Unique class name.
    pub class: String,
    /// Stakers at t = 0.
    pub count: u32,
    /// Asset staked.
    pub asset: String,
    /// Initial stake distribution.
    pub stake: StakeFile,
    /// Fixed initial allocation: protocol name → weight.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocate: BTreeMap<String, f64>,
    /// Random initial allocation (instead of `allocate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_allocation: Option<RandomAllocationFile>,
    /// Strategy (default fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<StrategyFile>,
    /// Days between reviews (strategy moves, exits, entries).
    #[serde(default = "default_review")]
    pub review_every_days: u32,
    /// Largest sum of allocation weights.
    #[serde(default = "default_weight")]
    pub max_leverage: f64,
    /// Rewards add to the stake.
    #[serde(default = "default_true")]
    pub compounding: bool,
    /// Exit on a review day when the staker's APR is below this.
    #[serde(default)]
    pub opportunity_apr: f64,
    /// Entry of new stakers (none if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryFile>,
    /// Delegation: operator name → share of the class's stakers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operators: BTreeMap<String, f64>,
    /// Tax rate on rewards, for after-tax yield.
    #[serde(default)]
    pub tax_rate: f64,
}

fn default_review() -> u32 {
    7
}

/// `[[lrt]]`: a liquid restaking token, a claim on the restaked stake of its
/// backing classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrtFile {
    /// Unique name.
    pub name: String,
    /// Staker classes whose stake backs the token (the loop classes of its
    /// markets are added to them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backing: Vec<String>,
    /// Share of the backing's rewards the LRT protocol keeps.
    #[serde(default = "default_lrt_fee")]
    pub fee: f64,
    /// Days of the LRT's own withdrawal queue.
    #[serde(default)]
    pub queue_days: u32,
    /// Share of an exiting backing staker's stake sold into the pool at once.
    #[serde(default)]
    pub panic_sell_share: f64,
    /// The pool the token trades in (absent: infinitely deep, price = NAV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolFile>,
    /// Buy-and-redeem arbitrage (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrage: Option<ArbitrageFile>,
}

fn default_lrt_fee() -> f64 {
    0.10
}

/// A constant-product pool of the token against its underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolFile {
    /// Underlying units on each side at t = 0.
    pub depth: f64,
}

/// Arbitrageurs buying the token below NAV and redeeming it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArbitrageFile {
    /// Underlying units spent per day at most.
    pub capital_per_day: f64,
    /// Discount to NAV below which they buy.
    #[serde(default = "default_min_discount")]
    pub min_discount: f64,
}

fn default_min_discount() -> f64 {
    0.005
}

/// What a lending market values its collateral at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OracleFile {
    /// The pool's market price.
    Market,
    /// The LRT's exchange rate (NAV).
    Nav,
}

/// A borrow rate curve with a kink, by utilisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateCurveFile {
    /// Borrow APR at zero utilisation.
    #[serde(default)]
    pub base: f64,
    /// APR added from zero utilisation to the kink.
    pub slope1: f64,
    /// APR added from the kink to full utilisation.
    pub slope2: f64,
    /// Utilisation at the kink.
    pub kink: f64,
}

/// `[[lending_market]]`: a money market taking an LRT as collateral and
/// lending its underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LendingMarketFile {
    /// Unique name.
    pub name: String,
    /// The `[[lrt]]` taken as collateral.
    pub collateral: String,
    /// Largest debt / collateral value at which a position may be opened.
    pub ltv: f64,
    /// Debt / collateral value above which a position is liquidated.
    pub liquidation_threshold: f64,
    /// Extra collateral a liquidator takes, as a fraction of the debt repaid.
    pub liquidation_bonus: f64,
    /// Share of a position's debt one liquidation repays.
    #[serde(default = "default_close_factor")]
    pub close_factor: f64,
    /// Underlying units lenders supply.
    pub liquidity: f64,
    /// What the collateral is valued at.
    pub oracle: OracleFile,
    /// Borrow rate by utilisation.
    pub rate: RateCurveFile,
}

fn default_close_factor() -> f64 {
    0.5
}
