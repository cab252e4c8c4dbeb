//! Random valid scenarios for property tests.
//!
//! [`scenario`] is a proptest strategy of [`GenScenario`]s: scenario files
//! (the crate's own [`ScenarioFile`] shape, printed as TOML by
//! [`GenScenario::to_toml`]) that use every table and key of
//! docs/scenario-format.md within its documented ranges: the four APR
//! curves, the three severity distributions, the four allocation models,
//! the three frequencies, delays and veto windows, attack models, shocks
//! (random and scheduled; slashing, operator-restricted, price and LRT
//! price moves, exits), operators with faults and commission, the four
//! stake distributions, fixed and random allocations, every strategy,
//! entry, leverage, compounding, opportunity APR, tax, delegation, LRTs
//! with pools and arbitrage, lending markets with loops, and
//! `run.attacks`.
//!
//! What proptest generates and shrinks is a [`Spec`]: a tree of choices in
//! which a reference is an index taken modulo the number of candidates, so
//! that every value of it, shrunk or not, maps (by `build`) to a valid
//! scenario. Where a rule ties keys together (unique-stake weights summing
//! to at most 1, a delegating class's operators serving its protocols, a
//! shock doing something, an LRT's backing staking one asset) `build`
//! repairs the choice rather than rejecting it. Keys whose sensible size
//! depends on the stake (budgets, `k`, fee revenue, capacities, network
//! limits, profits from corruption, pool depths, market liquidity) are
//! drawn as a target APR or a factor and scaled by the expected t = 0 TVL
//! that the crate's own `Outlook` gives for the scenario built so far.
//!
//! Sizes are kept small so a case runs in a fraction of a second: 4–16
//! paths, a horizon of at most 120 days, 1–3 classes of at most 12
//! stakers (plus entrants and loopers), at most 4 protocols.
//!
//! Magnitudes stay below the top of the documented ranges: prices up to
//! 1e7 USD and stakes up to 1e6 units rather than 1e15 and 1e15, and the
//! price moves of a random shock (which may fire on every step) are
//! bounded so that together they move a price at most a millionfold. At
//! the documented maxima, or with a +300 % move firing daily, figures grow
//! past the largest `f32` of the time series, which `run` refuses by
//! design (docs/scenario-format.md, "Magnitudes"). Valid scenarios can
//! still compound that far (an APR paid in a token that soars against the
//! staked asset, a budget shared by far less stake than expected): the
//! property test accepts such a refusal only when the figures had grown
//! huge first.

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use restake_sim::model::outlook::Outlook;
use restake_sim::scenario::build::build;
use restake_sim::scenario::file::{
    AllocationFile, AprCurveFile, ArbitrageFile, CorrelationFile, CorruptionFile, EntryFile,
    FaultFile, LendingMarketFile, LrtFile, LrtPriceMoveFile, OperatorFile, OracleFile, PoolFile,
    PriceMoveFile, ProtocolFile, RandomAllocationFile, RateCurveFile, RunFile, ScenarioFile,
    SeverityFile, ShockFile, SlashingFile, StakeFile, StakerFile, StrategyFile,
};

/// A generated scenario file. Its `Debug` form is the TOML text, so a
/// failing case that proptest reports is a file ready to paste.
#[derive(Clone, PartialEq)]
pub struct GenScenario {
    /// The scenario, in the shape of the file.
    pub file: ScenarioFile,
}

impl GenScenario {
    /// The scenario as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.file).expect("a scenario file serialises to TOML")
    }
}

impl fmt::Debug for GenScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scenario file:\n{}", self.to_toml())
    }
}

/// Random valid scenarios (see the module documentation).
pub fn scenario() -> impl Strategy<Value = GenScenario> {
    spec().prop_map(|s| GenScenario {
        file: build_file(&s),
    })
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// Rounds to 4 significant digits, so the printed scenario stays readable.
fn sig4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    let r = (x * scale).round() / scale;
    if r.is_finite() { r } else { x }
}

/// A number between `lo` and `hi` (both > 0), uniform in its logarithm.
fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..=hi.ln()).prop_map(move |l| sig4(l.exp()).clamp(lo, hi))
}

/// A fraction in [0, 1], its ends included now and then.
fn fraction() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => (0.0..=1.0f64).prop_map(sig4),
        1 => Just(0.0),
        1 => Just(1.0),
    ]
}

/// A fraction in (0, 1]: a weight or a share.
fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![3 => (0.01..=1.0f64).prop_map(sig4), 1 => Just(1.0)]
}

/// A yearly rate, small mostly and up to `max`.
fn rate(max: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        4 => (0.0..=0.2f64).prop_map(sig4),
        1 => (0.0..=max).prop_map(sig4),
    ]
}

/// Days of a delay: none, a few, or beyond the horizon.
fn days() -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(0u32), 3 => 0..=21u32, 1 => 0..=200u32]
}

// ---------------------------------------------------------------------------
// The choices proptest generates and shrinks
// ---------------------------------------------------------------------------

/// Every choice of one scenario. References are indices, resolved modulo
/// the number of candidates when the file is built.
#[derive(Debug, Clone)]
struct Spec {
    run: RunSpec,
    assets: Vec<AssetSpec>,
    /// One-factor correlation loadings: ρᵢⱼ = ℓᵢ ℓⱼ (positive semi-definite).
    correlation: Option<Vec<f64>>,
    protocols: Vec<ProtocolSpec>,
    shocks: Vec<ShockSpec>,
    operators: Vec<OperatorSpec>,
    classes: Vec<ClassSpec>,
    lrts: Vec<LrtSpec>,
}

/// Choices of `[run]`.
#[derive(Debug, Clone)]
struct RunSpec {
    horizon_days: u32,
    /// Below 6: daily steps; otherwise `step_raw` folded into 1..=horizon.
    step_choice: u8,
    step_raw: u32,
    /// `record_every_days` as a multiple of `step_days`.
    record_multiple: Option<u32>,
    paths: u32,
    seed: u64,
    max_event_rows: u32,
    attacks: bool,
    description: &'static str,
}

/// Choices of an `[[asset]]` (named `A<i>`).
#[derive(Debug, Clone)]
struct AssetSpec {
    price_usd: f64,
    drift: f64,
    volatility: f64,
}

/// Choices of an APR curve.
#[derive(Debug, Clone)]
enum CurveSpec {
    Constant(f64),
    /// The budget that pays this APR at the expected t = 0 TVL.
    Budget(f64),
    /// The k that pays this APR at the expected t = 0 TVL.
    InverseSqrt(f64),
    /// The first TVL, then (TVL increment as a share of the expected TVL, APR).
    Table(f64, Vec<(f64, f64)>),
}

/// A frequency: its key and value.
#[derive(Debug, Clone)]
enum FrequencySpec {
    YearlyProbability(f64),
    YearlyRate(f64),
    DailyProbability(f64),
}

/// What a protocol's `slashing` table gives besides its shock groups.
#[derive(Debug, Clone)]
enum SlashingKind {
    /// A frequency and a severity: the protocol slashes on its own.
    Own(FrequencySpec, SeverityFile),
    /// A severity alone: the fallback of shocks and faults.
    SeverityOnly(SeverityFile),
    /// Shock groups alone.
    GroupsOnly,
}

/// Choices of a protocol's `slashing` table.
#[derive(Debug, Clone)]
struct SlashingSpec {
    kind: SlashingKind,
    shock_groups: Vec<usize>,
}

/// Choices of an allocation model.
#[derive(Debug, Clone)]
enum AllocationSpec {
    FullRestaking,
    UniqueStake,
    /// The limit as a share of the expected t = 0 TVL.
    NetworkLimit(f64),
    Capped(f64),
}

/// Choices of a profit from corruption.
#[derive(Debug, Clone)]
enum ProfitSpec {
    /// A share of the expected t = 0 TVL in USD.
    Usd(f64),
    StakeMultiple(f64),
    /// Secured value in an asset, as a share of the TVL in USD, and the
    /// share an attacker takes.
    Secured(usize, f64, Option<f64>),
}

/// Choices of a `corruption` table.
#[derive(Debug, Clone)]
struct CorruptionSpec {
    profit: ProfitSpec,
    threshold: Option<f64>,
}

/// Choices of a `[[protocol]]` (named `p<i>`); the fields are its keys,
/// sizes as documented where they follow the expected TVL.
#[derive(Debug, Clone)]
struct ProtocolSpec {
    asset: usize,
    more_assets: Vec<usize>,
    curve: CurveSpec,
    apr_cap: Option<f64>,
    /// `apr_floor` as a share of the cap (or of 20 % without one).
    apr_floor: Option<f64>,
    reward_asset: Option<usize>,
    /// Fee revenue as an APR at the expected t = 0 TVL, as a share of what
    /// keeps the t = 0 APR within 10.
    fee_revenue: Option<f64>,
    /// Capacity as a share of the expected t = 0 TVL.
    capacity: Option<f64>,
    min_stake: f64,
    unbonding_days: u32,
    withdrawal_days: u32,
    deallocation_days: u32,
    veto_days: u32,
    veto_probability: f64,
    slashing: Option<SlashingSpec>,
    allocation: AllocationSpec,
    corruption: Option<CorruptionSpec>,
}

/// What fires a shock.
#[derive(Debug, Clone)]
enum TriggerSpec {
    Random(FrequencySpec),
    /// The day as a share of the horizon.
    Day(f64),
}

/// Choices of a `[[shock]]` (named `s<i>`).
#[derive(Debug, Clone)]
struct ShockSpec {
    trigger: TriggerSpec,
    severity: Option<SeverityFile>,
    /// The severity given when a protocol it slashes has none to fall back on.
    fallback_severity: SeverityFile,
    operators: Vec<usize>,
    price: Vec<(usize, f64)>,
    lrt_price: Vec<(usize, f64)>,
    exit_fraction: f64,
    /// The exit fraction given when the shock would otherwise do nothing.
    fallback_exit_fraction: f64,
}

/// Choices of an operator's `fault`.
#[derive(Debug, Clone)]
struct FaultSpec {
    frequency: FrequencySpec,
    severity: Option<SeverityFile>,
    fallback_severity: SeverityFile,
}

/// Choices of an `[[operator]]` (named `op<i>`).
#[derive(Debug, Clone)]
struct OperatorSpec {
    commission: f64,
    protocols: Vec<usize>,
    fault: Option<FaultSpec>,
}

/// Choices of a class's allocation; protocols as indices into those
/// accepting its asset.
#[derive(Debug, Clone)]
enum AllocSpec {
    Fixed(Vec<(usize, f64)>),
    /// min choice, max choice, weight, candidates (`None`: every protocol
    /// accepting the asset).
    Random(usize, usize, f64, Option<Vec<usize>>),
}

/// Choices of a strategy: (probability, min_improvement, risk_weight) of
/// yield chasing, exit_loss of risk aversion.
#[derive(Debug, Clone)]
enum StrategySpec {
    Fixed,
    YieldChasing(f64, Option<f64>, f64),
    RiskAverse(f64),
}

/// Choices of a `[[staker]]` class (named `c<i>`, `loop<i>` for loopers).
#[derive(Debug, Clone)]
struct ClassSpec {
    count: u32,
    /// Index into the assets some protocol accepts.
    asset: usize,
    stake: StakeFile,
    allocation: AllocSpec,
    strategy: StrategySpec,
    review_every_days: u32,
    /// `max_leverage` = the allocation's leverage × (1 + this).
    leverage_slack: f64,
    compounding: bool,
    opportunity_apr: f64,
    entry: Option<(u32, u32)>,
    operators: Vec<(usize, f64)>,
    tax_rate: f64,
    /// The LRT this class backs, if any.
    backs: Option<usize>,
}

/// Choices of a `[[lending_market]]` (named `m<i>`).
#[derive(Debug, Clone)]
struct MarketSpec {
    ltv: f64,
    /// Where the liquidation threshold lies in [ltv, 1).
    threshold: f64,
    /// Where the bonus lies below the largest that liquidations allow.
    bonus: f64,
    close_factor: f64,
    /// Liquidity as a share of the expected backing stake.
    liquidity: f64,
    oracle: OracleFile,
    rate: RateCurveFile,
    /// A looping class and where its leverage bounds lie in [1, full loop].
    looper: Option<(ClassSpec, f64, f64)>,
}

/// Choices of an `[[lrt]]` (named `lrt<i>`).
#[derive(Debug, Clone)]
struct LrtSpec {
    fee: f64,
    queue_days: u32,
    panic_sell_share: f64,
    /// Pool depth as a share of the expected backing stake.
    pool: Option<f64>,
    /// Arbitrage capital a day as a share of the expected backing stake,
    /// and the minimum discount.
    arbitrage: Option<(f64, f64)>,
    market: Option<MarketSpec>,
}

// ---------------------------------------------------------------------------
// Strategies of the choices
// ---------------------------------------------------------------------------

/// Every choice of a scenario: 1–3 assets, 1–4 protocols, up to 3 shocks,
/// operators and LRTs, 1–3 staker classes.
fn spec() -> impl Strategy<Value = Spec> {
    (
        run_spec(),
        vec(asset_spec(), 1..=3),
        prop::option::weighted(0.3, vec(prop_oneof![Just(1.0), -1.0..=1.0f64], 3)),
        vec(protocol_spec(), 1..=4),
        vec(shock_spec(), 0..=3),
        vec(operator_spec(), 0..=3),
        vec(class_spec(), 1..=3),
        vec(lrt_spec(), 0..=2),
    )
        .prop_map(
            |(run, assets, correlation, protocols, shocks, operators, classes, lrts)| Spec {
                run,
                assets,
                correlation,
                protocols,
                shocks,
                operators,
                classes,
                lrts,
            },
        )
}

/// `[run]`: horizons up to 120 days, steps of 1 day mostly, 4–16 paths.
fn run_spec() -> impl Strategy<Value = RunSpec> {
    (
        prop_oneof![1 => 1..=10u32, 3 => 1..=120u32],
        0..10u8,
        1..=120u32,
        prop::option::of(1..=20u32),
        4..=16u32,
        prop_oneof![Just(0u64), 0..=i64::MAX as u64],
        prop_oneof![3 => Just(100_000u32), 1 => 0..=6u32],
        prop::bool::weighted(0.3),
        prop_oneof![Just(""), Just("a \"quoted\", comma-separated description")],
    )
        .prop_map(
            |(
                horizon_days,
                step_choice,
                step_raw,
                record_multiple,
                paths,
                seed,
                max_event_rows,
                attacks,
                description,
            )| RunSpec {
                horizon_days,
                step_choice,
                step_raw,
                record_multiple,
                paths,
                seed,
                max_event_rows,
                attacks,
                description,
            },
        )
}

/// An asset: its price, drift and volatility.
fn asset_spec() -> impl Strategy<Value = AssetSpec> {
    (
        prop_oneof![Just(1.0), Just(3000.0), log_uniform(1e-4, 1e7)],
        prop_oneof![
            2 => Just(0.0),
            5 => (-1.0..=1.0f64).prop_map(sig4),
            1 => (-5.0..=5.0f64).prop_map(sig4)
        ],
        prop_oneof![
            2 => Just(0.0),
            5 => (0.0..=1.5f64).prop_map(sig4),
            1 => (0.0..=5.0f64).prop_map(sig4)
        ],
    )
        .prop_map(|(price_usd, drift, volatility)| AssetSpec {
            price_usd,
            drift,
            volatility,
        })
}

/// A severity: fixed, uniform or beta.
fn severity() -> impl Strategy<Value = SeverityFile> {
    prop_oneof![
        fraction().prop_map(|value| SeverityFile::Fixed { value }),
        (fraction(), fraction()).prop_map(|(low, t)| SeverityFile::Uniform {
            low,
            high: sig4(low + (1.0 - low) * t).clamp(low, 1.0),
        }),
        (log_uniform(0.05, 50.0), log_uniform(0.05, 50.0))
            .prop_map(|(alpha, beta)| SeverityFile::Beta { alpha, beta }),
    ]
}

/// A frequency in one of its three forms.
fn frequency() -> impl Strategy<Value = FrequencySpec> {
    prop_oneof![
        prop_oneof![3 => (0.0..=0.5f64).prop_map(sig4), 1 => fraction()]
            .prop_map(FrequencySpec::YearlyProbability),
        prop_oneof![3 => (0.0..=2.0f64).prop_map(sig4), 1 => (0.0..=50.0f64).prop_map(sig4)]
            .prop_map(FrequencySpec::YearlyRate),
        prop_oneof![3 => (0.0..=0.01f64).prop_map(sig4), 1 => fraction()]
            .prop_map(FrequencySpec::DailyProbability),
    ]
}

/// An APR curve: constant (10, the top of its range, now and then),
/// budget, inverse square root or table.
fn curve_spec() -> impl Strategy<Value = CurveSpec> {
    prop_oneof![
        prop_oneof![4 => rate(1.0), 1 => Just(10.0)].prop_map(CurveSpec::Constant),
        rate(5.0).prop_map(CurveSpec::Budget),
        rate(5.0).prop_map(CurveSpec::InverseSqrt),
        (
            prop_oneof![Just(0.0), (-1.0..=1.0f64).prop_map(sig4)],
            vec((log_uniform(0.01, 3.0), rate(10.0)), 1..=4)
        )
            .prop_map(|(first, points)| CurveSpec::Table(first, points)),
    ]
}

/// An allocation model.
fn allocation_spec() -> impl Strategy<Value = AllocationSpec> {
    prop_oneof![
        Just(AllocationSpec::FullRestaking),
        Just(AllocationSpec::UniqueStake),
        log_uniform(0.05, 3.0).prop_map(AllocationSpec::NetworkLimit),
        fraction().prop_map(AllocationSpec::Capped),
    ]
}

/// An attack model: one of the three profits, a threshold or the default.
fn corruption_spec() -> impl Strategy<Value = CorruptionSpec> {
    (
        prop_oneof![
            log_uniform(1e-3, 10.0).prop_map(ProfitSpec::Usd),
            prop_oneof![Just(0.0), log_uniform(1e-3, 5.0)].prop_map(ProfitSpec::StakeMultiple),
            (
                0..3usize,
                log_uniform(1e-3, 10.0),
                prop::option::of(fraction())
            )
                .prop_map(|(a, amount, share)| ProfitSpec::Secured(a, amount, share)),
        ],
        prop::option::of(prop_oneof![Just(1.0), (0.01..=1.0f64).prop_map(sig4)]),
    )
        .prop_map(|(profit, threshold)| CorruptionSpec { profit, threshold })
}

/// A protocol's slashing table in each of its meaningful combinations.
fn slashing_spec() -> impl Strategy<Value = SlashingSpec> {
    (
        prop_oneof![
            3 => (frequency(), severity()).prop_map(|(f, s)| SlashingKind::Own(f, s)),
            1 => severity().prop_map(SlashingKind::SeverityOnly),
            1 => Just(SlashingKind::GroupsOnly),
        ],
        vec(0..3usize, 0..=2),
    )
        .prop_map(|(kind, shock_groups)| SlashingSpec { kind, shock_groups })
}

/// A protocol: every key of `[[protocol]]`.
fn protocol_spec() -> impl Strategy<Value = ProtocolSpec> {
    (
        (
            0..3usize,
            vec(0..3usize, 0..=2),
            curve_spec(),
            prop::option::weighted(0.3, prop_oneof![rate(1.0), rate(10.0)]),
            prop::option::weighted(0.2, fraction()),
            prop::option::weighted(0.3, 0..3usize),
            prop::option::weighted(0.2, fraction()),
            prop::option::weighted(0.2, log_uniform(0.1, 10.0)),
        ),
        (
            prop_oneof![4 => Just(0.0), 1 => log_uniform(1e-3, 100.0)],
            days(),
            days(),
            days(),
            prop_oneof![3 => Just(0u32), 1 => 1..=20u32],
            fraction(),
            prop::option::weighted(0.8, slashing_spec()),
            allocation_spec(),
            prop::option::weighted(0.4, corruption_spec()),
        ),
    )
        .prop_map(
            |(
                (
                    asset,
                    more_assets,
                    curve,
                    apr_cap,
                    apr_floor,
                    reward_asset,
                    fee_revenue,
                    capacity,
                ),
                (
                    min_stake,
                    unbonding_days,
                    withdrawal_days,
                    deallocation_days,
                    veto_days,
                    veto_probability,
                    slashing,
                    allocation,
                    corruption,
                ),
            )| ProtocolSpec {
                asset,
                more_assets,
                curve,
                apr_cap,
                apr_floor,
                reward_asset,
                fee_revenue,
                capacity,
                min_stake,
                unbonding_days,
                withdrawal_days,
                deallocation_days,
                veto_days,
                veto_probability,
                slashing,
                allocation,
                corruption,
            },
        )
}

/// A shock: random or scheduled, with every kind of effect.
fn shock_spec() -> impl Strategy<Value = ShockSpec> {
    (
        prop_oneof![
            frequency().prop_map(TriggerSpec::Random),
            (0.0..1.0f64).prop_map(TriggerSpec::Day),
        ],
        prop::option::of(severity()),
        severity(),
        vec(0..3usize, 0..=2),
        vec(
            (
                0..3usize,
                prop_oneof![
                    (-0.99..=0.0f64).prop_map(sig4),
                    (-0.5..=3.0f64).prop_map(sig4)
                ],
            ),
            0..=2,
        ),
        vec(
            (
                0..2usize,
                prop_oneof![
                    (-0.99..=0.0f64).prop_map(sig4),
                    (-0.99..=10.0f64).prop_map(sig4)
                ],
            ),
            0..=2,
        ),
        prop_oneof![2 => Just(0.0), 1 => fraction()],
        (0.01..=1.0f64).prop_map(sig4),
    )
        .prop_map(
            |(
                trigger,
                severity,
                fallback_severity,
                operators,
                price,
                lrt_price,
                exit_fraction,
                fallback_exit_fraction,
            )| ShockSpec {
                trigger,
                severity,
                fallback_severity,
                operators,
                price,
                lrt_price,
                exit_fraction,
                fallback_exit_fraction,
            },
        )
}

/// An operator: commission, protocols served, fault risk.
fn operator_spec() -> impl Strategy<Value = OperatorSpec> {
    (
        prop_oneof![Just(0.0), (0.0..=0.2f64).prop_map(sig4), fraction()],
        vec(0..4usize, 1..=3),
        prop::option::weighted(
            0.5,
            (frequency(), prop::option::of(severity()), severity()).prop_map(
                |(frequency, severity, fallback_severity)| FaultSpec {
                    frequency,
                    severity,
                    fallback_severity,
                },
            ),
        ),
    )
        .prop_map(|(commission, protocols, fault)| OperatorSpec {
            commission,
            protocols,
            fault,
        })
}

/// A stake distribution: fixed, lognormal, Pareto or uniform.
fn stake() -> impl Strategy<Value = StakeFile> {
    prop_oneof![
        prop_oneof![Just(1.0), Just(32.0), log_uniform(1e-6, 1e6)]
            .prop_map(|value| StakeFile::Fixed { value }),
        (
            log_uniform(1e-6, 1e6),
            prop_oneof![(0.0..=2.0f64).prop_map(sig4), (0.0..=5.0f64).prop_map(sig4)]
        )
            .prop_map(|(median, sigma)| StakeFile::Lognormal { median, sigma }),
        (log_uniform(1e-6, 1e6), log_uniform(1.01, 5.0))
            .prop_map(|(scale, shape)| StakeFile::Pareto { scale, shape }),
        (
            log_uniform(1e-6, 1e6),
            prop_oneof![Just(0.0), log_uniform(1e-3, 100.0)]
        )
            .prop_map(|(low, spread)| StakeFile::Uniform {
                low,
                high: sig4(low * (1.0 + spread)).max(low),
            }),
    ]
}

/// A fixed or random allocation.
fn alloc_spec() -> impl Strategy<Value = AllocSpec> {
    prop_oneof![
        2 => vec((0..4usize, weight()), 1..=4).prop_map(AllocSpec::Fixed),
        1 => (0..4usize, 0..4usize, weight(), prop::option::of(vec(0..4usize, 1..=4)))
            .prop_map(|(min, max, w, among)| AllocSpec::Random(min, max, w, among)),
    ]
}

/// A strategy other than `loop` (which the lending markets give).
fn strategy_spec() -> impl Strategy<Value = StrategySpec> {
    prop_oneof![
        Just(StrategySpec::Fixed),
        (
            fraction(),
            prop::option::of((-0.05..=0.1f64).prop_map(sig4)),
            prop_oneof![Just(0.0), (0.0..=5.0f64).prop_map(sig4)]
        )
            .prop_map(|(p, m, r)| StrategySpec::YieldChasing(p, m, r)),
        prop_oneof![Just(0.0), (0.0..=0.2f64).prop_map(sig4), fraction()]
            .prop_map(StrategySpec::RiskAverse),
    ]
}

/// A staker class: every key of `[[staker]]`.
fn class_spec() -> impl Strategy<Value = ClassSpec> {
    (
        (
            1..=12u32,
            0..3usize,
            stake(),
            alloc_spec(),
            strategy_spec(),
            prop_oneof![Just(7u32), 1..=30u32],
            prop_oneof![Just(0.0), (0.0..=1.0f64).prop_map(sig4)],
        ),
        (
            prop::bool::weighted(0.7),
            prop_oneof![2 => Just(0.0), 1 => (0.0..=0.1f64).prop_map(sig4)],
            prop::option::weighted(0.3, (1..=5u32, 0..=20u32)),
            prop_oneof![Just(vec![]), vec((0..3usize, weight()), 1..=3)],
            prop_oneof![Just(0.0), fraction()],
            prop::option::weighted(0.4, 0..2usize),
        ),
    )
        .prop_map(
            |(
                (count, asset, stake, allocation, strategy, review_every_days, leverage_slack),
                (compounding, opportunity_apr, entry, operators, tax_rate, backs),
            )| ClassSpec {
                count,
                asset,
                stake,
                allocation,
                strategy,
                review_every_days,
                leverage_slack,
                compounding,
                opportunity_apr,
                entry,
                operators,
                tax_rate,
                backs,
            },
        )
}

/// A lending market's borrow rate curve.
fn rate_curve() -> impl Strategy<Value = RateCurveFile> {
    (
        rate(1.0),
        rate(1.0),
        rate(10.0),
        (0.01..=0.99f64).prop_map(sig4),
    )
        .prop_map(|(base, slope1, slope2, kink)| RateCurveFile {
            base,
            slope1,
            slope2,
            kink,
        })
}

/// A lending market, and perhaps a class looping through it.
fn market_spec() -> impl Strategy<Value = MarketSpec> {
    (
        (
            prop_oneof![Just(0.9), (0.01..=0.99f64).prop_map(sig4)],
            (0.0..=0.99f64).prop_map(sig4),
            (0.0..=0.99f64).prop_map(sig4),
            prop_oneof![Just(0.5), Just(1.0), (0.01..=1.0f64).prop_map(sig4)],
            log_uniform(0.01, 10.0),
        ),
        prop_oneof![Just(OracleFile::Market), Just(OracleFile::Nav)],
        rate_curve(),
        prop::option::weighted(0.8, (class_spec(), fraction(), fraction())),
    )
        .prop_map(
            |((ltv, threshold, bonus, close_factor, liquidity), oracle, rate, looper)| MarketSpec {
                ltv,
                threshold,
                bonus,
                close_factor,
                liquidity,
                oracle,
                rate,
                looper,
            },
        )
}

/// An LRT, perhaps with a pool, arbitrage and a lending market.
fn lrt_spec() -> impl Strategy<Value = LrtSpec> {
    (
        prop_oneof![Just(0.1), (0.0..=0.99f64).prop_map(sig4)],
        days(),
        prop_oneof![Just(0.0), fraction()],
        prop::option::weighted(0.7, log_uniform(1e-3, 10.0)),
        prop::option::weighted(
            0.5,
            (
                prop_oneof![Just(0.0), log_uniform(1e-4, 1.0)],
                prop_oneof![Just(0.005), (0.0..=0.5f64).prop_map(sig4)],
            ),
        ),
        prop::option::weighted(0.7, market_spec()),
    )
        .prop_map(
            |(fee, queue_days, panic_sell_share, pool, arbitrage, market)| LrtSpec {
                fee,
                queue_days,
                panic_sell_share,
                pool,
                arbitrage,
                market,
            },
        )
}

// ---------------------------------------------------------------------------
// From choices to a valid file
// ---------------------------------------------------------------------------

/// Names of the generated entities, unique across kinds.
fn asset_name(i: usize) -> String {
    format!("A{i}")
}
fn protocol_name(i: usize) -> String {
    format!("p{i}")
}
fn shock_name(i: usize) -> String {
    format!("s{i}")
}
fn operator_name(i: usize) -> String {
    format!("op{i}")
}
fn lrt_name(i: usize) -> String {
    format!("lrt{i}")
}
fn market_name(i: usize) -> String {
    format!("m{i}")
}

/// The frequency keys of a slashing table, shock or fault.
fn frequency_keys(f: &FrequencySpec) -> (Option<f64>, Option<f64>, Option<f64>) {
    match *f {
        FrequencySpec::YearlyProbability(p) => (Some(p), None, None),
        FrequencySpec::YearlyRate(r) => (None, Some(r), None),
        FrequencySpec::DailyProbability(q) => (None, None, Some(q)),
    }
}

/// Indices `picks` folded into `0..n`, each once, in order of appearance.
fn resolve(picks: &[usize], n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    for &p in picks {
        let i = p % n;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The protocols accepting asset `a`.
fn accepting(protocols: &[ProtocolFile], a: usize) -> Vec<usize> {
    let name = asset_name(a);
    (0..protocols.len())
        .filter(|&p| protocols[p].assets.contains(&name))
        .collect()
}

/// Builds the scenario file of `spec`: valid by construction.
fn build_file(spec: &Spec) -> ScenarioFile {
    let n_assets = spec.assets.len();
    let run = run_file(&spec.run);
    let assets = spec
        .assets
        .iter()
        .enumerate()
        .map(|(i, a)| restake_sim::scenario::file::AssetFile {
            name: asset_name(i),
            price_usd: a.price_usd,
            drift: a.drift,
            volatility: a.volatility,
        })
        .collect();
    let correlation = spec
        .correlation
        .as_ref()
        .filter(|_| n_assets >= 2)
        .map(|loadings| {
            let l = &loadings[..n_assets];
            CorrelationFile {
                assets: (0..n_assets).map(asset_name).collect(),
                matrix: (0..n_assets)
                    .map(|i| {
                        (0..n_assets)
                            .map(|j| if i == j { 1.0 } else { l[i] * l[j] })
                            .collect()
                    })
                    .collect(),
            }
        });
    let n_shocks = spec.shocks.len();
    let mut protocols: Vec<ProtocolFile> = spec
        .protocols
        .iter()
        .enumerate()
        .map(|(i, p)| protocol_file(i, p, n_assets, n_shocks))
        .collect();
    let n_protocols = protocols.len();
    let mut operators: Vec<OperatorFile> = spec
        .operators
        .iter()
        .enumerate()
        .map(|(i, o)| OperatorFile {
            name: operator_name(i),
            commission: o.commission,
            protocols: resolve(&o.protocols, n_protocols)
                .into_iter()
                .map(protocol_name)
                .collect(),
            fault: None,
        })
        .collect();
    // Assets some protocol accepts: a class stakes one of them.
    let mut staked: Vec<usize> = (0..n_assets)
        .filter(|&a| !accepting(&protocols, a).is_empty())
        .collect();
    staked.sort_unstable();
    let mut stakers: Vec<StakerFile> = spec
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let asset = staked[c.asset % staked.len()];
            class_file(format!("c{i}"), c, asset, &protocols, &mut operators, None)
        })
        .collect();
    // LRTs: each backed by the classes choosing it that stake the asset of
    // the first of them, plus its market's looping class.
    let mut lrts = Vec::new();
    let mut markets = Vec::new();
    let n_lrt_specs = spec.lrts.len();
    let mut lrt_of_spec = vec![None; n_lrt_specs];
    for (li, l) in spec.lrts.iter().enumerate() {
        let choosing: Vec<usize> = (0..spec.classes.len())
            .filter(|&k| spec.classes[k].backs.is_some_and(|b| b % n_lrt_specs == li))
            .collect();
        let underlying = match choosing.first() {
            Some(&k) => Some(asset_index(&stakers[k].asset)),
            None => l
                .market
                .as_ref()
                .and_then(|m| m.looper.as_ref())
                .map(|(c, _, _)| staked[c.asset % staked.len()]),
        };
        let Some(underlying) = underlying else {
            continue;
        };
        let backing: Vec<String> = choosing
            .iter()
            .filter(|&&k| asset_index(&stakers[k].asset) == underlying)
            .map(|&k| stakers[k].class.clone())
            .collect();
        let index = lrts.len();
        let name = lrt_name(index);
        let mut looped = false;
        if let Some(m) = &l.market {
            let market = market_file(markets.len(), &name, m);
            if let Some((c, low, high)) = &m.looper {
                let full = 1.0 / (1.0 - market.ltv);
                let leverage_min = sig4(1.0 + (full - 1.0) * low).clamp(1.0, full);
                let leverage_max =
                    (leverage_min + (full - leverage_min) * high).clamp(leverage_min, full);
                let strategy = StrategyFile::Loop {
                    market: market.name.clone(),
                    leverage_min,
                    leverage_max,
                };
                let class = class_file(
                    format!("loop{index}"),
                    c,
                    underlying,
                    &protocols,
                    &mut operators,
                    Some(strategy),
                );
                stakers.push(class);
                looped = true;
            }
            markets.push(market);
        }
        if backing.is_empty() && !looped {
            continue;
        }
        lrt_of_spec[li] = Some(index);
        lrts.push(LrtFile {
            name,
            backing,
            fee: l.fee,
            queue_days: l.queue_days,
            panic_sell_share: l.panic_sell_share,
            pool: l.pool.map(|depth| PoolFile { depth }),
            arbitrage: l
                .arbitrage
                .map(|(capital_per_day, min_discount)| ArbitrageFile {
                    capital_per_day,
                    min_discount,
                }),
        });
    }
    // A market whose LRT was dropped (no backing) goes with it.
    markets.retain(|m: &LendingMarketFile| lrts.iter().any(|l: &LrtFile| l.name == m.collateral));
    let n_operators = operators.len();
    for (o, spec_o) in operators.iter_mut().zip(&spec.operators) {
        o.fault = spec_o.fault.as_ref().map(|f| {
            let (yearly_probability, yearly_rate, daily_probability) = frequency_keys(&f.frequency);
            let needs = o.protocols.iter().any(|p| lacks_severity(&protocols, p));
            FaultFile {
                yearly_probability,
                yearly_rate,
                daily_probability,
                severity: f
                    .severity
                    .clone()
                    .or_else(|| needs.then(|| f.fallback_severity.clone())),
            }
        });
    }
    let shocks: Vec<ShockFile> = spec
        .shocks
        .iter()
        .enumerate()
        .map(|(i, s)| shock_file(i, s, &run, &protocols, &operators, n_assets, &lrt_of_spec))
        .collect();
    let mut file = ScenarioFile {
        run,
        assets,
        correlation,
        protocols: Vec::new(),
        shocks,
        operators,
        stakers,
        lrts,
        lending_markets: markets,
        sweep: None,
    };
    let attacks_possible = spec.protocols.iter().any(|p| p.corruption.is_some())
        && n_operators > 0
        && file.stakers.iter().any(|s| !s.operators.is_empty());
    file.run.attacks &= attacks_possible;
    // Sizes that follow the stake: probe the expected t = 0 picture of
    // the scenario with neutral values, then scale.
    file.protocols = protocols.clone();
    let outlook = match build(&file) {
        Ok(model) => Outlook::of(&model),
        // Left as is: the property test reports the invalid file.
        Err(_) => return file,
    };
    for (i, (p, s)) in protocols.iter_mut().zip(&spec.protocols).enumerate() {
        let o = &outlook.protocols[i];
        size_protocol(p, s, o.tvl_native, o.tvl_usd, &file.assets);
    }
    file.protocols = protocols;
    for (l, lrt) in file.lrts.iter_mut().enumerate() {
        let backing_stake: f64 = file
            .stakers
            .iter()
            .zip(&outlook.classes)
            .filter(|(s, _)| backs(s, lrt, &file.lending_markets))
            .map(|(_, c)| c.total_stake)
            .sum();
        let scale = if backing_stake > 0.0 {
            backing_stake
        } else {
            1.0
        };
        let spec_l = &spec.lrts[lrt_of_spec.iter().position(|x| *x == Some(l)).unwrap()];
        if let (Some(pool), Some(share)) = (&mut lrt.pool, spec_l.pool) {
            pool.depth = sig4(share * scale).max(1e-9);
        }
        if let (Some(a), Some((share, _))) = (&mut lrt.arbitrage, spec_l.arbitrage) {
            a.capital_per_day = sig4(share * scale);
        }
        for m in file
            .lending_markets
            .iter_mut()
            .filter(|m| m.collateral == lrt.name)
        {
            let share = spec_l.market.as_ref().map_or(1.0, |m| m.liquidity);
            m.liquidity = sig4(share * scale).max(1e-9);
        }
    }
    file
}

/// Whether class `s` backs `lrt`: listed in its backing or looping through a
/// market on it.
fn backs(s: &StakerFile, lrt: &LrtFile, markets: &[LendingMarketFile]) -> bool {
    lrt.backing.contains(&s.class)
        || matches!(&s.strategy, Some(StrategyFile::Loop { market, .. })
            if markets.iter().any(|m| &m.name == market && m.collateral == lrt.name))
}

/// The index of asset `name` (`A<i>`).
fn asset_index(name: &str) -> usize {
    name[1..].parse().expect("generated asset name")
}

/// Whether protocol `name` has no `slashing.severity` to fall back on.
fn lacks_severity(protocols: &[ProtocolFile], name: &str) -> bool {
    protocols
        .iter()
        .find(|p| p.name == name)
        .is_some_and(|p| p.slashing.as_ref().is_none_or(|s| s.severity.is_none()))
}

/// The `[run]` table.
fn run_file(r: &RunSpec) -> RunFile {
    let step_days = if r.step_choice < 6 {
        1
    } else {
        1 + (r.step_raw - 1) % r.horizon_days
    };
    RunFile {
        name: "random".into(),
        description: r.description.into(),
        horizon_days: r.horizon_days,
        step_days,
        paths: r.paths,
        seed: r.seed,
        record_every_days: r.record_multiple.map(|k| k * step_days),
        max_event_rows: r.max_event_rows,
        memory_limit_gib: 8.0,
        attacks: r.attacks,
        // Both engines: cohorts on for two seeds in three.
        cohorts: !r.seed.is_multiple_of(3),
    }
}

/// A protocol with neutral sizes (see [`size_protocol`]).
fn protocol_file(i: usize, p: &ProtocolSpec, n_assets: usize, n_shocks: usize) -> ProtocolFile {
    let mut assets = vec![p.asset % n_assets];
    assets.extend(resolve(&p.more_assets, n_assets));
    let assets: Vec<String> = resolve(&assets, n_assets)
        .into_iter()
        .map(asset_name)
        .collect();
    let apr = match &p.curve {
        CurveSpec::Constant(value) => AprCurveFile::Constant { value: *value },
        CurveSpec::Budget(_) => AprCurveFile::Budget { budget: 0.0 },
        CurveSpec::InverseSqrt(_) => AprCurveFile::InverseSqrt { k: 0.0 },
        CurveSpec::Table(first, points) => {
            let mut tvl = *first;
            AprCurveFile::Table {
                points: points
                    .iter()
                    .map(|&(step, apr)| {
                        let point = [tvl, apr];
                        tvl += step;
                        point
                    })
                    .collect(),
            }
        }
    };
    let apr_floor = p.apr_floor.map(|share| {
        sig4(share * p.apr_cap.unwrap_or(0.2)).min(p.apr_cap.unwrap_or(f64::INFINITY))
    });
    let slashing = p.slashing.as_ref().and_then(|s| {
        let shock_groups: Vec<String> = resolve(&s.shock_groups, n_shocks)
            .into_iter()
            .map(shock_name)
            .collect();
        let (frequency, severity) = match &s.kind {
            SlashingKind::Own(f, sev) => (Some(f), Some(sev.clone())),
            SlashingKind::SeverityOnly(sev) => (None, Some(sev.clone())),
            SlashingKind::GroupsOnly if shock_groups.is_empty() => return None,
            SlashingKind::GroupsOnly => (None, None),
        };
        let (yearly_probability, yearly_rate, daily_probability) =
            frequency.map_or((None, None, None), frequency_keys);
        Some(SlashingFile {
            yearly_probability,
            yearly_rate,
            daily_probability,
            severity,
            shock_groups,
        })
    });
    ProtocolFile {
        name: protocol_name(i),
        assets,
        apr,
        apr_cap: p.apr_cap,
        apr_floor,
        reward_asset: p.reward_asset.map(|a| asset_name(a % n_assets)),
        fee_revenue_usd: 0.0,
        capacity: None,
        min_stake: p.min_stake,
        unbonding_days: p.unbonding_days,
        withdrawal_days: p.withdrawal_days,
        deallocation_days: p.deallocation_days,
        veto_days: p.veto_days,
        veto_probability: if p.veto_days > 0 {
            p.veto_probability
        } else {
            0.0
        },
        slashing,
        allocation: Some(match p.allocation {
            AllocationSpec::FullRestaking => AllocationFile::FullRestaking,
            AllocationSpec::UniqueStake => AllocationFile::UniqueStake,
            AllocationSpec::NetworkLimit(_) => AllocationFile::NetworkLimit { limit: 1.0 },
            AllocationSpec::Capped(max_slash) => AllocationFile::Capped { max_slash },
        }),
        corruption: p.corruption.as_ref().map(|c| CorruptionFile {
            profit_usd: None,
            profit_stake_multiple: Some(0.0),
            secured_asset: None,
            secured_amount: None,
            profit_share: None,
            threshold: c.threshold,
        }),
    }
}

/// Sets the sizes of protocol `p` that follow its expected t = 0 TVL
/// (`tvl_native` units of its first asset, `tvl_usd`).
fn size_protocol(
    p: &mut ProtocolFile,
    s: &ProtocolSpec,
    tvl_native: f64,
    tvl_usd: f64,
    assets: &[restake_sim::scenario::file::AssetFile],
) {
    let price = |name: &str| assets[asset_index(name)].price_usd;
    let native = if tvl_native > 0.0 { tvl_native } else { 1.0 };
    let usd = if tvl_usd > 0.0 {
        tvl_usd
    } else {
        price(&p.assets[0])
    };
    // Under a network limit the curve and the fee revenue see the counted TVL.
    let counted = match s.allocation {
        AllocationSpec::NetworkLimit(share) => {
            let limit = sig4(share * native).max(1e-9);
            p.allocation = Some(AllocationFile::NetworkLimit { limit });
            (limit / native).min(1.0)
        }
        _ => 1.0,
    };
    let reward_price = price(p.reward_asset.as_deref().unwrap_or(&p.assets[0]));
    let curve_max = match (&mut p.apr, &s.curve) {
        (AprCurveFile::Budget { budget }, CurveSpec::Budget(apr)) => {
            *budget = sig4(apr * usd * counted / reward_price);
            *apr
        }
        (AprCurveFile::InverseSqrt { k }, CurveSpec::InverseSqrt(apr)) => {
            *k = sig4(apr * (native * counted).sqrt());
            *apr
        }
        (AprCurveFile::Table { points }, _) => {
            for point in points.iter_mut() {
                point[0] = sig4(point[0] * native);
            }
            points.dedup_by(|b, a| b[0] <= a[0]);
            points.iter().map(|q| q[1]).fold(0.0, f64::max)
        }
        (AprCurveFile::Constant { value }, _) => *value,
        _ => unreachable!("the curve follows its spec"),
    };
    // The t = 0 APR, fee revenue included, stays within 10 (the bound
    // validation enforces), with a margin for the budget's rounding.
    let capped = curve_max
        .min(p.apr_cap.unwrap_or(f64::INFINITY))
        .max(p.apr_floor.unwrap_or(0.0));
    if let Some(share) = s.fee_revenue {
        let fee_apr = share * (9.0 - capped).clamp(0.0, 2.0);
        p.fee_revenue_usd = sig4(fee_apr * usd * counted);
    }
    p.capacity = s.capacity.map(|share| sig4(share * native).max(1e-9));
    if let (Some(c), Some(cs)) = (&mut p.corruption, &s.corruption) {
        c.profit_stake_multiple = None;
        match cs.profit {
            ProfitSpec::Usd(share) => c.profit_usd = Some(sig4(share * usd).min(1e15)),
            ProfitSpec::StakeMultiple(m) => c.profit_stake_multiple = Some(m),
            ProfitSpec::Secured(a, share, profit_share) => {
                let a = a % assets.len();
                c.secured_asset = Some(asset_name(a));
                c.secured_amount = Some(sig4(share * usd / assets[a].price_usd).min(1e15));
                c.profit_share = profit_share;
            }
        }
    }
}

/// A staker class of `asset`; delegation makes its operators serve every
/// protocol it allocates to. `strategy` replaces the spec's (a loop).
fn class_file(
    class: String,
    c: &ClassSpec,
    asset: usize,
    protocols: &[ProtocolFile],
    operators: &mut [OperatorFile],
    strategy: Option<StrategyFile>,
) -> StakerFile {
    let candidates = accepting(protocols, asset);
    let unique = |p: usize| matches!(protocols[p].allocation, Some(AllocationFile::UniqueStake));
    let mut allocate = std::collections::BTreeMap::new();
    let mut random_allocation = None;
    let leverage = match &c.allocation {
        AllocSpec::Fixed(pairs) => {
            let mut chosen: Vec<(usize, f64)> = Vec::new();
            for &(p, w) in pairs {
                let p = candidates[p % candidates.len()];
                if !chosen.iter().any(|q| q.0 == p) {
                    chosen.push((p, w));
                }
            }
            let unique_sum: f64 = chosen.iter().filter(|q| unique(q.0)).map(|q| q.1).sum();
            if unique_sum > 1.0 {
                for q in chosen.iter_mut().filter(|q| unique(q.0)) {
                    q.1 = sig4(q.1 / unique_sum * 0.999).max(0.0001);
                }
            }
            for &(p, w) in &chosen {
                allocate.insert(protocol_name(p), w);
            }
            chosen.iter().map(|q| q.1).sum::<f64>()
        }
        AllocSpec::Random(min, max, w, among) => {
            let explicit = among.is_some();
            let among: Vec<usize> = match among {
                Some(picks) => resolve(
                    &picks
                        .iter()
                        .map(|&i| candidates[i % candidates.len()])
                        .collect::<Vec<_>>(),
                    protocols.len(),
                ),
                None => candidates.clone(),
            };
            let n = among.len();
            let min = 1 + min % n;
            let max = min + max % (n - min + 1);
            let unique_candidates = among.iter().filter(|&&p| unique(p)).count();
            let picks = max.min(unique_candidates);
            let mut weight = *w;
            if weight * picks as f64 > 1.0 {
                weight = sig4(0.999 / picks as f64);
            }
            random_allocation = Some(RandomAllocationFile {
                min: min as u32,
                max: max as u32,
                weight,
                among: if explicit {
                    among.iter().map(|&p| protocol_name(p)).collect()
                } else {
                    Vec::new()
                },
            });
            weight * max as f64
        }
    };
    let max_leverage = leverage * (1.0 + c.leverage_slack);
    let delegates = if operators.is_empty() {
        Vec::new()
    } else {
        resolve(
            &c.operators.iter().map(|o| o.0).collect::<Vec<_>>(),
            operators.len(),
        )
    };
    let weights: Vec<f64> = delegates
        .iter()
        .map(|&o| {
            c.operators
                .iter()
                .find(|q| q.0 % operators.len() == o)
                .unwrap()
                .1
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut shares = std::collections::BTreeMap::new();
    for (&o, w) in delegates.iter().zip(&weights) {
        shares.insert(operator_name(o), w / total);
        // The operator serves what the class allocates to.
        for p in allocate.keys() {
            if !operators[o].protocols.contains(p) {
                operators[o].protocols.push(p.clone());
            }
        }
    }
    StakerFile {
        class,
        count: c.count,
        asset: asset_name(asset),
        stake: c.stake.clone(),
        allocate,
        random_allocation,
        strategy: strategy.or(match c.strategy {
            StrategySpec::Fixed => None,
            StrategySpec::YieldChasing(probability, min_improvement, risk_weight) => {
                Some(StrategyFile::YieldChasing {
                    probability,
                    min_improvement,
                    risk_weight,
                })
            }
            StrategySpec::RiskAverse(exit_loss) => Some(StrategyFile::RiskAverse { exit_loss }),
        }),
        review_every_days: c.review_every_days,
        max_leverage,
        compounding: c.compounding,
        opportunity_apr: c.opportunity_apr,
        entry: c.entry.map(|(per_review, max_new)| EntryFile {
            per_review,
            max_new,
        }),
        operators: shares,
        tax_rate: c.tax_rate,
    }
}

/// Lending market `i` on `lrt`, its liquidation threshold in [ltv, 1) and
/// (1 + bonus) × threshold < 1; its liquidity is sized later.
fn market_file(i: usize, lrt: &str, m: &MarketSpec) -> LendingMarketFile {
    let threshold = sig4(m.ltv + (1.0 - m.ltv) * m.threshold).clamp(m.ltv, 0.9999);
    let largest_bonus = (1.0 / threshold - 1.0).min(1.0);
    let mut bonus = sig4(largest_bonus * m.bonus);
    if (1.0 + bonus) * threshold >= 1.0 || bonus >= 1.0 {
        bonus = 0.0;
    }
    LendingMarketFile {
        name: market_name(i),
        collateral: lrt.to_string(),
        ltv: m.ltv,
        liquidation_threshold: threshold,
        liquidation_bonus: bonus,
        close_factor: m.close_factor,
        liquidity: 1.0,
        oracle: m.oracle,
        rate: m.rate.clone(),
    }
}

/// The price moves of shocks that may fire on every step together move a
/// price at most this many times up or down over the horizon.
const MOST_SHOCK_GROWTH: f64 = 1e6;

/// Most shock price moves a scenario has (3 shocks × 2 asset moves); their
/// LRT moves are bounded alike.
const MOST_SHOCK_MOVES: f64 = 6.0;

/// A shock of a run of settings `run`. A random shock may
/// fire on every step, so its moves are bounded: (1 + change) to the power
/// of every move of every step stays within a factor [`MOST_SHOCK_GROWTH`]
/// either way (prices moving without bound make APRs paid in another asset
/// grow without bound, which `run` refuses by design; see the module
/// documentation).
fn shock_file(
    i: usize,
    s: &ShockSpec,
    run: &RunFile,
    protocols: &[ProtocolFile],
    operators: &[OperatorFile],
    n_assets: usize,
    lrt_of_spec: &[Option<usize>],
) -> ShockFile {
    let name = shock_name(i);
    let horizon = run.horizon_days;
    let steps = horizon.div_ceil(run.step_days);
    let (yearly_probability, yearly_rate, daily_probability, day) = match &s.trigger {
        TriggerSpec::Random(f) => {
            let (p, r, q) = frequency_keys(f);
            (p, r, q, None)
        }
        TriggerSpec::Day(share) => (
            None,
            None,
            None,
            Some(((share * f64::from(horizon)) as u32).min(horizon - 1)),
        ),
    };
    let operator_names: Vec<String> = resolve(&s.operators, operators.len())
        .into_iter()
        .map(operator_name)
        .collect();
    // The protocols it slashes: its members, or those its operators serve.
    let members: Vec<&str> = protocols
        .iter()
        .filter(|p| {
            p.slashing
                .as_ref()
                .is_some_and(|sl| sl.shock_groups.contains(&name))
        })
        .map(|p| p.name.as_str())
        .collect();
    let slashed: Vec<&str> = if members.is_empty() {
        operators
            .iter()
            .filter(|o| operator_names.contains(&o.name))
            .flat_map(|o| o.protocols.iter().map(String::as_str))
            .collect()
    } else {
        members
    };
    let needs_severity = slashed.iter().any(|p| lacks_severity(protocols, p));
    let (most_down, most_up) = match s.trigger {
        TriggerSpec::Random(_) => {
            let factor = MOST_SHOCK_GROWTH.powf(1.0 / (f64::from(steps) * MOST_SHOCK_MOVES));
            (1.0 / factor - 1.0, factor - 1.0)
        }
        TriggerSpec::Day(_) => (-1.0, f64::INFINITY),
    };
    let bounded = |change: f64| change.clamp(most_down, most_up);
    let price: Vec<PriceMoveFile> = s
        .price
        .iter()
        .map(|&(a, change)| PriceMoveFile {
            asset: asset_name(a % n_assets),
            change: bounded(change),
        })
        .collect();
    let lrts: Vec<usize> = lrt_of_spec.iter().flatten().copied().collect();
    let lrt_price: Vec<LrtPriceMoveFile> = if lrts.is_empty() {
        Vec::new()
    } else {
        s.lrt_price
            .iter()
            .map(|&(l, change)| LrtPriceMoveFile {
                lrt: lrt_name(lrts[l % lrts.len()]),
                change: bounded(change),
            })
            .collect()
    };
    let does_nothing =
        slashed.is_empty() && price.is_empty() && lrt_price.is_empty() && s.exit_fraction == 0.0;
    ShockFile {
        name,
        yearly_probability,
        yearly_rate,
        daily_probability,
        day,
        severity: s
            .severity
            .clone()
            .or_else(|| needs_severity.then(|| s.fallback_severity.clone())),
        operators: operator_names,
        price,
        lrt_price,
        exit_fraction: if does_nothing {
            s.fallback_exit_fraction
        } else {
            s.exit_fraction
        },
    }
}
