//! Validation: turns the file shapes into a [`Model`], checking meaning
//! (ranges, references, leverage, correlation, memory) and collecting every
//! problem with its key path. Past [`build`], no invalid value exists.

use std::collections::{BTreeMap, HashMap};

use super::file::{
    AllocationFile, AprCurveFile, CorrelationFile, ProtocolFile, RandomAllocationFile,
    ScenarioFile, SeverityFile, StakeFile, StakerFile, StrategyFile,
};
use crate::model::outlook::Outlook;
use crate::model::{
    Allocation, AprCurve, Asset, Entry, Fault, Frequency, InitialAllocation, Model, Operator,
    Protocol, RunSettings, Severity, Shock, Slashing, StakeDist, StakerClass, Strategy, Trigger,
};

/// A problem found during validation: key path and message, not yet located.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Key path, e.g. `protocol[2].slashing.severity.alpha`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

/// Largest number of protocols a scenario may define (slot indices are u16).
pub const MAX_PROTOCOLS: usize = 4096;

/// Largest number of operators a scenario may define (operator indices are
/// u16, with `u16::MAX` meaning "no operator").
pub const MAX_OPERATORS: usize = u16::MAX as usize;

/// Largest number of stakers a scenario may hold at once, over all classes
/// (`count` plus `entry.max_new`; staker indices are u32).
pub const MAX_STAKERS: u64 = u32::MAX as u64;

/// Largest magnitude of a price (USD per unit), a stake (native units per
/// staker) or a TVL threshold, so that sums over stakers stay finite.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// Largest magnitude of a reward budget, an inverse-square-root `k` or a fee
/// revenue; the t = 0 APR bound (at most [`MAX_APR`]) limits them further.
pub const MAX_REWARD_MAGNITUDE: f64 = 1e30;

/// Largest APR, the constant curve's and the t = 0 APR of every protocol
/// (10 = 1,000 % a year).
pub const MAX_APR: f64 = 10.0;

/// The entity name of the whole scenario in the outputs, reserved.
const TOTAL: &str = "total";

/// Longest horizon and longest delay, in days (100 years).
pub const MAX_DAYS: u32 = 36_500;

/// Days between recorded points when `run.record_every_days` is absent,
/// rounded up to a multiple of `step_days`.
pub const DEFAULT_RECORD_EVERY_DAYS: u32 = 7;

/// Builds a validated model, or returns every issue found.
pub fn build(file: &ScenarioFile) -> Result<Model, Vec<Issue>> {
    let mut v = Validator::default();
    let run = v.run(file);
    let assets = v.assets(file);
    let asset_index = v.index_names("asset", file.assets.iter().map(|a| a.name.as_str()));
    let correlation_cholesky = v.correlation(file.correlation.as_ref(), &asset_index, assets.len());
    let protocol_index = v.index_names("protocol", file.protocols.iter().map(|p| p.name.as_str()));
    if file.protocols.len() > MAX_PROTOCOLS {
        v.issue(
            "protocol",
            format!(
                "expected at most {MAX_PROTOCOLS} protocols, found {}",
                file.protocols.len()
            ),
        );
    }
    if file.operators.len() > MAX_OPERATORS {
        v.issue(
            "operator",
            format!(
                "expected at most {MAX_OPERATORS} operators, found {}",
                file.operators.len()
            ),
        );
    }
    let step_days = run.as_ref().map_or(1, |r| r.step_days);
    let protocols: Vec<Option<Protocol>> = file
        .protocols
        .iter()
        .enumerate()
        .map(|(i, p)| v.protocol(i, p, &asset_index, step_days))
        .collect();
    let shocks = v.shocks(file, &protocol_index, step_days, run.as_ref());
    let operators = v.operators(file, &protocol_index, step_days);
    let ctx = ClassContext {
        protocol_index: &protocol_index,
        asset_index: &asset_index,
        protocols: &file.protocols,
        operators: &operators,
        step_days,
    };
    let classes: Vec<Option<StakerClass>> = file
        .stakers
        .iter()
        .enumerate()
        .map(|(i, s)| v.class(i, s, &ctx))
        .collect();
    v.index_names("staker", file.stakers.iter().map(|s| s.class.as_str()));
    v.entity_names(file);
    if file.stakers.is_empty() {
        v.issue(
            "staker",
            "expected at least one [[staker]] class, found none".into(),
        );
    }
    if file.protocols.is_empty() {
        v.issue(
            "protocol",
            "expected at least one [[protocol]], found none".into(),
        );
    }
    if !v.issues.is_empty() {
        return Err(v.issues);
    }
    let model = Model {
        run: run.expect("no issues implies run settings"),
        assets,
        correlation_cholesky: correlation_cholesky.unwrap_or_default(),
        protocols: protocols.into_iter().flatten().collect(),
        shocks,
        operators,
        classes: classes.into_iter().flatten().collect(),
    };
    v.staker_capacity(&model);
    v.memory(&model, file.run.memory_limit_gib);
    v.outlook(&model);
    if v.issues.is_empty() {
        Ok(model)
    } else {
        Err(v.issues)
    }
}

/// Estimated peak memory of a run in bytes: per-thread staker state plus the
/// time-series store (4 bytes per path, series and recorded day).
pub fn estimated_memory_bytes(model: &Model, threads: usize) -> f64 {
    let slots: u64 = model
        .classes
        .iter()
        .map(|c| c.capacity() * (c.allocation.max_protocols() as u64 + 1))
        .sum();
    let state = model.staker_capacity() as f64 * 64.0 + slots as f64 * 10.0;
    let series = model.protocols.len() * 6 + model.classes.len() * 8 + model.assets.len() * 3 + 6;
    let records = model.run.recorded_steps().len();
    let store = 4.0 * f64::from(model.run.paths) * (series * records) as f64;
    state * threads.max(1) as f64 + store
}

struct ClassContext<'a> {
    protocol_index: &'a HashMap<String, usize>,
    asset_index: &'a HashMap<String, usize>,
    protocols: &'a [ProtocolFile],
    operators: &'a [Operator],
    step_days: u32,
}

#[derive(Default)]
struct Validator {
    issues: Vec<Issue>,
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

impl Validator {
    fn issue(&mut self, path: &str, message: String) {
        self.issues.push(Issue {
            path: path.to_string(),
            message,
        });
    }

    fn finite(&mut self, path: &str, x: f64) -> bool {
        if x.is_finite() {
            true
        } else {
            self.issue(path, format!("expected a finite number, found {x}"));
            false
        }
    }

    fn unit_interval(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && !(0.0..=1.0).contains(&x) {
            self.issue(
                path,
                format!("expected a value in [0, 1], found {}", fmt_num(x)),
            );
        }
        x
    }

    fn positive(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x <= 0.0 {
            self.issue(path, format!("expected a number > 0, found {}", fmt_num(x)));
        }
        x
    }

    fn non_negative(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x < 0.0 {
            self.issue(path, format!("expected a number ≥ 0, found {}", fmt_num(x)));
        }
        x
    }

    fn at_least_one(&mut self, path: &str, n: u32) -> u32 {
        if n == 0 {
            self.issue(path, "expected an integer ≥ 1, found 0".into());
        }
        n.max(1)
    }

    /// Maps names to indices, reporting duplicates and empty names.
    fn index_names<'a>(
        &mut self,
        table: &str,
        names: impl Iterator<Item = &'a str>,
    ) -> HashMap<String, usize> {
        let mut index = HashMap::new();
        for (i, name) in names.enumerate() {
            let key = if table == "staker" { "class" } else { "name" };
            let path = format!("{table}[{i}].{key}");
            if name.trim().is_empty() {
                self.issue(&path, "expected a non-empty name, found \"\"".into());
            } else if index.insert(name.to_string(), i).is_some() {
                self.issue(
                    &path,
                    format!("expected a unique name, found \"{name}\" a second time"),
                );
            }
        }
        index
    }

    /// Assets, protocols and staker classes share one namespace in the
    /// outputs (`timeseries.csv`'s `entity`, `paths.csv`'s column prefixes),
    /// where `total` stands for the whole scenario: a name must not be used
    /// by an entity of another kind, nor be `total`. Duplicates within one
    /// kind are reported by [`Validator::index_names`].
    fn entity_names(&mut self, file: &ScenarioFile) {
        let names = (file.assets.iter().enumerate())
            .map(|(i, a)| ("asset", format!("asset[{i}].name"), a.name.as_str()))
            .chain(
                (file.protocols.iter().enumerate())
                    .map(|(i, p)| ("protocol", format!("protocol[{i}].name"), p.name.as_str())),
            )
            .chain(
                (file.stakers.iter().enumerate())
                    .map(|(i, s)| ("staker", format!("staker[{i}].class"), s.class.as_str())),
            );
        let mut first: HashMap<&str, (&str, String)> = HashMap::new();
        for (kind, path, name) in names {
            if name.trim().is_empty() {
                continue;
            }
            if name == TOTAL {
                self.issue(
                    &path,
                    format!(
                        "expected a name other than \"{TOTAL}\" (reserved for the whole scenario in the outputs), found \"{name}\""
                    ),
                );
                continue;
            }
            match first.get(name) {
                Some((other, at)) if *other != kind => {
                    let message = format!(
                        "expected a name not used by another asset, protocol or staker class, found \"{name}\" ({at})"
                    );
                    self.issue(&path, message);
                }
                Some(_) => {}
                None => {
                    first.insert(name, (kind, path));
                }
            }
        }
    }

    /// Reports every name of the list at `path` that repeats an earlier one;
    /// true if each is listed once.
    fn listed_once(&mut self, path: &str, names: &[String]) -> bool {
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut once = true;
        for (i, name) in names.iter().enumerate() {
            if let Some(j) = first.get(name.as_str()) {
                self.issue(
                    &format!("{path}[{i}]"),
                    format!(
                        "expected each asset listed once, found \"{name}\" again (as {path}[{j}])"
                    ),
                );
                once = false;
            } else {
                first.insert(name, i);
            }
        }
        once
    }

    /// Resolves a reference, suggesting the known names when it fails.
    fn reference(
        &mut self,
        path: &str,
        kind: &str,
        name: &str,
        index: &HashMap<String, usize>,
    ) -> Option<usize> {
        let found = index.get(name).copied();
        if found.is_none() {
            let mut known: Vec<&str> = index.keys().map(String::as_str).collect();
            known.sort_unstable();
            self.issue(
                path,
                format!(
                    "expected the name of a defined {kind} ({}), found \"{name}\"",
                    if known.is_empty() {
                        "none is defined".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
        found
    }

    fn run(&mut self, file: &ScenarioFile) -> Option<RunSettings> {
        let r = &file.run;
        if r.name.trim().is_empty() {
            self.issue("run.name", "expected a non-empty name, found \"\"".into());
        } else if r
            .name
            .chars()
            .any(|c| !(c.is_alphanumeric() || "-_.".contains(c)))
            || r.name.starts_with('.')
        {
            self.issue(
                "run.name",
                format!(
                    "expected letters, digits, '-', '_' or '.' (it names the output folder), found \"{}\"",
                    r.name
                ),
            );
        }
        let horizon = self.at_least_one("run.horizon_days", r.horizon_days);
        let step = self.at_least_one("run.step_days", r.step_days);
        let paths = self.at_least_one("run.paths", r.paths);
        // Absent: the smallest multiple of step_days that is at least 7.
        let record = match r.record_every_days {
            Some(days) => self.at_least_one("run.record_every_days", days),
            None => DEFAULT_RECORD_EVERY_DAYS.div_ceil(step) * step,
        };
        if horizon > MAX_DAYS {
            self.issue(
                "run.horizon_days",
                format!("expected at most {MAX_DAYS} days (100 years), found {horizon}"),
            );
        }
        if step > horizon {
            self.issue(
                "run.step_days",
                format!("expected at most horizon_days ({horizon}), found {step}"),
            );
        }
        if !record.is_multiple_of(step) {
            self.issue(
                "run.record_every_days",
                format!("expected a multiple of step_days ({step}), found {record}"),
            );
        }
        self.positive("run.memory_limit_gib", r.memory_limit_gib);
        Some(RunSettings {
            name: r.name.clone(),
            description: r.description.clone(),
            horizon_days: horizon,
            step_days: step,
            steps: horizon.div_ceil(step),
            paths,
            seed: r.seed,
            record_every_steps: (record / step).max(1),
            max_event_rows: r.max_event_rows,
        })
    }

    fn assets(&mut self, file: &ScenarioFile) -> Vec<Asset> {
        if file.assets.is_empty() {
            self.issue(
                "asset",
                "expected at least one [[asset]], found none".into(),
            );
        }
        file.assets
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let path = format!("asset[{i}]");
                self.positive(&format!("{path}.price_usd"), a.price_usd);
                self.at_most(&format!("{path}.price_usd"), a.price_usd, MAX_MAGNITUDE);
                if self.finite(&format!("{path}.drift"), a.drift) && a.drift.abs() > 5.0 {
                    self.issue(
                        &format!("{path}.drift"),
                        format!(
                            "expected a yearly drift in [-5, 5] (±500 %), found {}",
                            a.drift
                        ),
                    );
                }
                self.non_negative(&format!("{path}.volatility"), a.volatility);
                if a.volatility > 5.0 {
                    self.issue(
                        &format!("{path}.volatility"),
                        format!(
                            "expected a yearly volatility of at most 5 (500 %), found {}",
                            a.volatility
                        ),
                    );
                }
                Asset {
                    name: a.name.clone(),
                    price_usd: a.price_usd,
                    drift: a.drift,
                    volatility: a.volatility,
                }
            })
            .collect()
    }

    fn correlation(
        &mut self,
        c: Option<&CorrelationFile>,
        asset_index: &HashMap<String, usize>,
        n: usize,
    ) -> Option<Vec<f64>> {
        let mut full = vec![0.0; n * n];
        for i in 0..n {
            full[i * n + i] = 1.0;
        }
        let Some(c) = c else {
            return Some(full);
        };
        let k = c.assets.len();
        let idx: Vec<Option<usize>> = c
            .assets
            .iter()
            .enumerate()
            .map(|(i, name)| {
                self.reference(
                    &format!("correlation.assets[{i}]"),
                    "asset",
                    name,
                    asset_index,
                )
            })
            .collect();
        let listed_once = self.listed_once("correlation.assets", &c.assets);
        if c.matrix.len() != k || c.matrix.iter().any(|row| row.len() != k) {
            self.issue(
                "correlation.matrix",
                format!(
                    "expected a {k}×{k} matrix (one row and column per listed asset), found {} rows of lengths {:?}",
                    c.matrix.len(),
                    c.matrix.iter().map(Vec::len).collect::<Vec<_>>()
                ),
            );
            return None;
        }
        let mut ok = true;
        for i in 0..k {
            for j in 0..k {
                let x = c.matrix[i][j];
                let path = format!("correlation.matrix[{i}][{j}]");
                if !x.is_finite() || !(-1.0..=1.0).contains(&x) {
                    self.issue(&path, format!("expected a value in [-1, 1], found {x}"));
                    ok = false;
                } else if i == j && x != 1.0 {
                    self.issue(&path, format!("expected 1 on the diagonal, found {x}"));
                    ok = false;
                } else if (x - c.matrix[j][i]).abs() > 1e-12 {
                    self.issue(
                        &path,
                        format!(
                            "expected a symmetric matrix, found {x} here and {} at [{j}][{i}]",
                            c.matrix[j][i]
                        ),
                    );
                    ok = false;
                }
            }
        }
        if !ok || !listed_once || idx.iter().any(Option::is_none) {
            return None;
        }
        for i in 0..k {
            for j in 0..k {
                let (a, b) = (idx[i]?, idx[j]?);
                full[a * n + b] = c.matrix[i][j];
            }
        }
        match cholesky(&full, n) {
            Some(l) => Some(l),
            None => {
                self.issue(
                    "correlation.matrix",
                    "expected a positive semi-definite matrix, found one with a negative eigenvalue (lower the off-diagonal correlations)".into(),
                );
                None
            }
        }
    }

    fn frequency(
        &mut self,
        path: &str,
        yearly_probability: Option<f64>,
        yearly_rate: Option<f64>,
        daily_probability: Option<f64>,
    ) -> Option<Frequency> {
        let given: Vec<Frequency> = [
            yearly_probability.map(Frequency::YearlyProbability),
            yearly_rate.map(Frequency::YearlyRate),
            daily_probability.map(Frequency::DailyProbability),
        ]
        .into_iter()
        .flatten()
        .collect();
        let key = |f: &Frequency| match f {
            Frequency::YearlyProbability(_) => "yearly_probability",
            Frequency::YearlyRate(_) => "yearly_rate",
            Frequency::DailyProbability(_) => "daily_probability",
        };
        match given.as_slice() {
            [] => None,
            [f] => {
                let p = format!("{path}.{}", key(f));
                match *f {
                    Frequency::YearlyProbability(x) | Frequency::DailyProbability(x) => {
                        self.unit_interval(&p, x);
                    }
                    Frequency::YearlyRate(x) => {
                        self.non_negative(&p, x);
                    }
                }
                Some(*f)
            }
            _ => {
                self.issue(
                    path,
                    format!(
                        "expected one of yearly_probability, yearly_rate, daily_probability, found {}",
                        given.iter().map(key).collect::<Vec<_>>().join(" and ")
                    ),
                );
                None
            }
        }
    }

    fn severity(&mut self, path: &str, s: &SeverityFile) -> Severity {
        match *s {
            SeverityFile::Fixed { value } => {
                Severity::Fixed(self.unit_interval(&format!("{path}.value"), value))
            }
            SeverityFile::Uniform { low, high } => {
                self.unit_interval(&format!("{path}.low"), low);
                self.unit_interval(&format!("{path}.high"), high);
                if low > high {
                    self.issue(
                        &format!("{path}.high"),
                        format!("expected high ≥ low ({low}), found {high}"),
                    );
                }
                self.at_most(&format!("{path}.high"), high, MAX_MAGNITUDE);
                Severity::Uniform { low, high }
            }
            SeverityFile::Beta { alpha, beta } => {
                self.positive(&format!("{path}.alpha"), alpha);
                self.positive(&format!("{path}.beta"), beta);
                Severity::Beta { alpha, beta }
            }
        }
    }

    fn curve(&mut self, path: &str, c: &AprCurveFile) -> AprCurve {
        match c {
            AprCurveFile::Constant { value } => {
                self.finite(&format!("{path}.value"), *value);
                if *value < 0.0 || *value > MAX_APR {
                    self.issue(
                        &format!("{path}.value"),
                        format!("expected a yearly rate in [0, 10], found {value}"),
                    );
                }
                AprCurve::Constant(*value)
            }
            AprCurveFile::Budget { budget } => {
                let budget = self.non_negative(&format!("{path}.budget"), *budget);
                self.at_most(&format!("{path}.budget"), budget, MAX_REWARD_MAGNITUDE);
                AprCurve::Budget(budget)
            }
            AprCurveFile::InverseSqrt { k } => {
                let k = self.non_negative(&format!("{path}.k"), *k);
                self.at_most(&format!("{path}.k"), k, MAX_REWARD_MAGNITUDE);
                AprCurve::InverseSqrt(k)
            }
            AprCurveFile::Table { points } => {
                if points.is_empty() {
                    self.issue(
                        &format!("{path}.points"),
                        "expected at least one [tvl, apr] point, found none".into(),
                    );
                }
                for (i, w) in points.windows(2).enumerate() {
                    if w[1][0] <= w[0][0] {
                        self.issue(
                            &format!("{path}.points[{}]", i + 1),
                            format!(
                                "expected TVL strictly increasing (> {}), found {}",
                                w[0][0], w[1][0]
                            ),
                        );
                    }
                }
                for (i, p) in points.iter().enumerate() {
                    self.non_negative(&format!("{path}.points[{i}]"), p[1]);
                    if p[1] > MAX_APR {
                        self.issue(
                            &format!("{path}.points[{i}]"),
                            format!("expected a yearly rate in [0, {MAX_APR}], found {}", p[1]),
                        );
                    }
                    self.finite(&format!("{path}.points[{i}]"), p[0]);
                }
                AprCurve::Table(points.iter().map(|p| (p[0], p[1])).collect())
            }
        }
    }

    fn protocol(
        &mut self,
        i: usize,
        p: &ProtocolFile,
        asset_index: &HashMap<String, usize>,
        step_days: u32,
    ) -> Option<Protocol> {
        let path = format!("protocol[{i}]");
        if p.assets.is_empty() {
            self.issue(
                &format!("{path}.assets"),
                "expected at least one accepted asset, found []".into(),
            );
        }
        let assets: Vec<Option<usize>> = p
            .assets
            .iter()
            .enumerate()
            .map(|(j, a)| self.reference(&format!("{path}.assets[{j}]"), "asset", a, asset_index))
            .collect();
        self.listed_once(&format!("{path}.assets"), &p.assets);
        let reward_asset = match &p.reward_asset {
            Some(name) => {
                self.reference(&format!("{path}.reward_asset"), "asset", name, asset_index)
            }
            None => assets.first().copied().flatten(),
        };
        let curve = self.curve(&format!("{path}.apr"), &p.apr);
        let apr_cap = p.apr_cap.unwrap_or(f64::INFINITY);
        if let Some(cap) = p.apr_cap {
            self.non_negative(&format!("{path}.apr_cap"), cap);
        }
        let apr_floor = p.apr_floor.unwrap_or(0.0);
        self.non_negative(&format!("{path}.apr_floor"), apr_floor);
        if apr_floor > apr_cap {
            self.issue(
                &format!("{path}.apr_floor"),
                format!("expected apr_floor ≤ apr_cap ({apr_cap}), found {apr_floor}"),
            );
        }
        self.non_negative(&format!("{path}.fee_revenue_usd"), p.fee_revenue_usd);
        self.at_most(
            &format!("{path}.fee_revenue_usd"),
            p.fee_revenue_usd,
            MAX_REWARD_MAGNITUDE,
        );
        let capacity = p.capacity.unwrap_or(f64::INFINITY);
        if let Some(c) = p.capacity {
            self.positive(&format!("{path}.capacity"), c);
        }
        self.non_negative(&format!("{path}.min_stake"), p.min_stake);
        self.unit_interval(&format!("{path}.veto_probability"), p.veto_probability);
        if p.veto_probability > 0.0 && p.veto_days == 0 {
            self.issue(
                &format!("{path}.veto_probability"),
                format!(
                    "expected veto_days > 0 with a veto_probability ({}), found veto_days = 0: a slash can only be vetoed during its veto window, so set veto_days (or drop veto_probability)",
                    p.veto_probability
                ),
            );
        }
        for (key, days) in [
            ("unbonding_days", p.unbonding_days),
            ("withdrawal_days", p.withdrawal_days),
            ("deallocation_days", p.deallocation_days),
            ("veto_days", p.veto_days),
        ] {
            if days > MAX_DAYS {
                self.issue(
                    &format!("{path}.{key}"),
                    format!("expected at most {MAX_DAYS} days (100 years), found {days}"),
                );
            }
        }
        let slashing = p.slashing.as_ref().and_then(|s| {
            let sp = format!("{path}.slashing");
            let freq = self.frequency(
                &sp,
                s.yearly_probability,
                s.yearly_rate,
                s.daily_probability,
            );
            let severity = s.severity.as_ref().map(|sev| self.severity(&format!("{sp}.severity"), sev));
            if freq.is_some() && severity.is_none() {
                self.issue(
                    &format!("{sp}.severity"),
                    "expected a severity (e.g. { dist = \"beta\", alpha = 2, beta = 18 }) when a slashing frequency is given, found none".into(),
                );
            }
            if freq.is_none() && severity.is_none() && s.shock_groups.is_empty() {
                self.issue(
                    &sp,
                    "expected a frequency (yearly_probability, yearly_rate or daily_probability) and a severity, found neither".into(),
                );
            }
            match (freq, severity) {
                (Some(f), Some(sev)) => Some(Slashing {
                    step_probability: f.step_probability(step_days),
                    severity: sev,
                }),
                (None, Some(sev)) => Some(Slashing {
                    step_probability: 0.0,
                    severity: sev,
                }),
                _ => None,
            }
        });
        let allocation = match p
            .allocation
            .as_ref()
            .unwrap_or(&AllocationFile::FullRestaking)
        {
            AllocationFile::FullRestaking => Allocation::FullRestaking,
            AllocationFile::UniqueStake => Allocation::UniqueStake,
            AllocationFile::NetworkLimit { limit } => {
                Allocation::NetworkLimit(self.positive(&format!("{path}.allocation.limit"), *limit))
            }
            AllocationFile::Capped { max_slash } => Allocation::Capped(
                self.unit_interval(&format!("{path}.allocation.max_slash"), *max_slash),
            ),
        };
        let steps = |days: u32| days.div_ceil(step_days);
        Some(Protocol {
            name: p.name.clone(),
            assets: assets.into_iter().collect::<Option<Vec<_>>>()?,
            curve,
            apr_cap,
            apr_floor,
            reward_asset: reward_asset?,
            fee_revenue_usd: p.fee_revenue_usd,
            capacity,
            min_stake: p.min_stake,
            exit_delay_steps: steps(p.withdrawal_days.saturating_add(p.unbonding_days)),
            deallocation_steps: steps(p.deallocation_days),
            veto_steps: steps(p.veto_days),
            veto_probability: p.veto_probability,
            slashing,
            allocation,
        })
    }

    fn shocks(
        &mut self,
        file: &ScenarioFile,
        protocol_index: &HashMap<String, usize>,
        step_days: u32,
        run: Option<&RunSettings>,
    ) -> Vec<Shock> {
        let shock_index = self.index_names("shock", file.shocks.iter().map(|s| s.name.as_str()));
        let operator_index =
            self.index_names("operator", file.operators.iter().map(|o| o.name.as_str()));
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); file.shocks.len()];
        for (pi, p) in file.protocols.iter().enumerate() {
            let Some(s) = &p.slashing else { continue };
            for (gi, g) in s.shock_groups.iter().enumerate() {
                let path = format!("protocol[{pi}].slashing.shock_groups[{gi}]");
                if let Some(si) = self.reference(&path, "shock", g, &shock_index) {
                    members[si].push(pi);
                }
            }
        }
        let _ = protocol_index;
        let mut shocks = Vec::new();
        for (si, s) in file.shocks.iter().enumerate() {
            let path = format!("shock[{si}]");
            let freq = self.frequency(
                &path,
                s.yearly_probability,
                s.yearly_rate,
                s.daily_probability,
            );
            let trigger = match (freq, s.day) {
                (Some(f), None) => Some(Trigger::Random {
                    step_probability: f.step_probability(step_days),
                }),
                (None, Some(day)) => {
                    if let Some(r) = run
                        && day >= r.horizon_days
                    {
                        self.issue(
                            &format!("{path}.day"),
                            format!(
                                "expected a day before horizon_days ({}), found {day}",
                                r.horizon_days
                            ),
                        );
                    }
                    Some(Trigger::Scheduled {
                        step: day / step_days,
                    })
                }
                (None, None) => {
                    self.issue(
                        &path,
                        "expected a frequency (yearly_probability, yearly_rate, daily_probability) or a scheduled day, found neither".into(),
                    );
                    None
                }
                (Some(_), Some(_)) => {
                    self.issue(
                        &format!("{path}.day"),
                        "expected either a frequency or a day, found both".into(),
                    );
                    None
                }
            };
            let severity = s
                .severity
                .as_ref()
                .map(|sev| self.severity(&format!("{path}.severity"), sev));
            let operators: Vec<usize> = s
                .operators
                .iter()
                .enumerate()
                .filter_map(|(j, o)| {
                    self.reference(
                        &format!("{path}.operators[{j}]"),
                        "operator",
                        o,
                        &operator_index,
                    )
                })
                .collect();
            let asset_index: HashMap<String, usize> = file
                .assets
                .iter()
                .enumerate()
                .map(|(i, a)| (a.name.clone(), i))
                .collect();
            let price_moves: Vec<(usize, f64)> = s
                .price
                .iter()
                .enumerate()
                .filter_map(|(j, m)| {
                    let mp = format!("{path}.price[{j}]");
                    if self.finite(&format!("{mp}.change"), m.change) && m.change <= -1.0 {
                        self.issue(
                            &format!("{mp}.change"),
                            format!("expected a relative change > -1 (a price stays positive), found {}", m.change),
                        );
                    }
                    let a = self.reference(&format!("{mp}.asset"), "asset", &m.asset, &asset_index)?;
                    Some((a, m.change))
                })
                .collect();
            self.unit_interval(&format!("{path}.exit_fraction"), s.exit_fraction);
            let mut protocols = members[si].clone();
            if protocols.is_empty() && !operators.is_empty() {
                protocols = file
                    .operators
                    .iter()
                    .enumerate()
                    .filter(|(oi, _)| operators.contains(oi))
                    .flat_map(|(_, o)| {
                        o.protocols
                            .iter()
                            .filter_map(|n| protocol_index.get(n).copied())
                    })
                    .collect();
                protocols.sort_unstable();
                protocols.dedup();
            }
            let lacks_severity = severity.is_none()
                && protocols.iter().any(|&p| {
                    file.protocols[p]
                        .slashing
                        .as_ref()
                        .is_none_or(|s| s.severity.is_none())
                });
            if lacks_severity {
                self.issue(
                    &format!("{path}.severity"),
                    "expected a severity here, or a slashing.severity on every member protocol, found neither".into(),
                );
            }
            if protocols.is_empty() && price_moves.is_empty() && s.exit_fraction == 0.0 {
                self.issue(
                    &path,
                    format!("expected the shock to do something: list it in a protocol's slashing.shock_groups, give operators, a price move or an exit_fraction (\"{}\" does nothing)", s.name),
                );
            }
            if let Some(trigger) = trigger {
                shocks.push(Shock {
                    name: s.name.clone(),
                    trigger,
                    protocols,
                    operators,
                    severity,
                    price_moves,
                    exit_fraction: s.exit_fraction,
                });
            }
        }
        shocks
    }

    fn operators(
        &mut self,
        file: &ScenarioFile,
        protocol_index: &HashMap<String, usize>,
        step_days: u32,
    ) -> Vec<Operator> {
        file.operators
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let path = format!("operator[{i}]");
                self.unit_interval(&format!("{path}.commission"), o.commission);
                let mut serves = vec![false; file.protocols.len()];
                if o.protocols.is_empty() {
                    self.issue(
                        &format!("{path}.protocols"),
                        "expected at least one protocol served, found []".into(),
                    );
                }
                for (j, name) in o.protocols.iter().enumerate() {
                    let pp = format!("{path}.protocols[{j}]");
                    if let Some(p) = self.reference(&pp, "protocol", name, protocol_index) {
                        serves[p] = true;
                    }
                }
                let fault = o.fault.as_ref().and_then(|f| {
                    let fp = format!("{path}.fault");
                    let freq =
                        self.frequency(&fp, f.yearly_probability, f.yearly_rate, f.daily_probability);
                    if freq.is_none() {
                        self.issue(&fp, "expected a frequency (yearly_probability, yearly_rate or daily_probability), found none".into());
                    }
                    let severity = f.severity.as_ref().map(|s| self.severity(&format!("{fp}.severity"), s));
                    if severity.is_none() {
                        for (j, name) in o.protocols.iter().enumerate() {
                            let lacks = protocol_index.get(name).is_some_and(|&p| {
                                file.protocols[p].slashing.as_ref().is_none_or(|s| s.severity.is_none())
                            });
                            if lacks {
                                self.issue(&format!("{fp}.severity"), format!("expected a severity here, because protocol \"{name}\" (protocols[{j}]) has no slashing.severity to fall back on, found none"));
                            }
                        }
                    }
                    Some(Fault {
                        step_probability: freq?.step_probability(step_days),
                        severity,
                    })
                });
                Operator {
                    name: o.name.clone(),
                    commission: o.commission,
                    serves,
                    fault,
                }
            })
            .collect()
    }

    fn stake(&mut self, path: &str, s: &StakeFile) -> StakeDist {
        match *s {
            StakeFile::Fixed { value } => {
                self.at_most(&format!("{path}.value"), value, MAX_MAGNITUDE);
                StakeDist::Fixed(self.positive(&format!("{path}.value"), value))
            }
            StakeFile::Lognormal { median, sigma } => {
                self.positive(&format!("{path}.median"), median);
                self.at_most(&format!("{path}.median"), median, MAX_MAGNITUDE);
                self.non_negative(&format!("{path}.sigma"), sigma);
                if sigma > 5.0 {
                    self.issue(
                        &format!("{path}.sigma"),
                        format!("expected sigma ≤ 5 (wider spreads overflow), found {sigma}"),
                    );
                }
                StakeDist::LogNormal {
                    mu: median.max(f64::MIN_POSITIVE).ln(),
                    sigma,
                }
            }
            StakeFile::Pareto { scale, shape } => {
                self.positive(&format!("{path}.scale"), scale);
                self.at_most(&format!("{path}.scale"), scale, MAX_MAGNITUDE);
                if self.finite(&format!("{path}.shape"), shape) && shape <= 1.0 {
                    self.issue(
                        &format!("{path}.shape"),
                        format!("expected a tail index > 1 (the mean stake, shape × scale / (shape − 1), is infinite for shape ≤ 1), found {shape}"),
                    );
                }
                StakeDist::Pareto { scale, shape }
            }
            StakeFile::Uniform { low, high } => {
                self.positive(&format!("{path}.low"), low);
                if self.finite(&format!("{path}.high"), high) && high < low {
                    self.issue(
                        &format!("{path}.high"),
                        format!("expected high ≥ low ({low}), found {high}"),
                    );
                }
                self.at_most(&format!("{path}.high"), high, MAX_MAGNITUDE);
                StakeDist::Uniform { low, high }
            }
        }
    }

    fn class(&mut self, i: usize, s: &StakerFile, ctx: &ClassContext<'_>) -> Option<StakerClass> {
        let path = format!("staker[{i}]");
        let count = self.at_least_one(&format!("{path}.count"), s.count);
        let asset = self.reference(&format!("{path}.asset"), "asset", &s.asset, ctx.asset_index);
        let stake = self.stake(&format!("{path}.stake"), &s.stake);
        self.positive(&format!("{path}.max_leverage"), s.max_leverage);
        self.unit_interval(&format!("{path}.tax_rate"), s.tax_rate);
        self.non_negative(&format!("{path}.opportunity_apr"), s.opportunity_apr);
        let review = self.at_least_one(&format!("{path}.review_every_days"), s.review_every_days);
        let accepts = |p: usize| {
            asset.is_some_and(|a| {
                ctx.protocols[p]
                    .assets
                    .iter()
                    .any(|n| ctx.asset_index.get(n) == Some(&a))
            })
        };
        let allocation = match (&s.random_allocation, s.allocate.is_empty()) {
            (Some(_), false) => {
                self.issue(
                    &format!("{path}.random_allocation"),
                    "expected either allocate or random_allocation, found both".into(),
                );
                None
            }
            (None, true) => {
                self.issue(
                    &format!("{path}.allocate"),
                    "expected an allocation, e.g. allocate = { babylon = 1.0 } or random_allocation = { min = 1, max = 3 }, found none".into(),
                );
                None
            }
            (None, false) => self.fixed_allocation(&path, &s.allocate, ctx, &accepts),
            (Some(r), true) => {
                let rp = format!("{path}.random_allocation");
                let mut among: Vec<usize> = if r.among.is_empty() {
                    (0..ctx.protocols.len()).filter(|&p| accepts(p)).collect()
                } else {
                    r.among
                        .iter()
                        .enumerate()
                        .filter_map(|(j, n)| {
                            let p = self.reference(
                                &format!("{rp}.among[{j}]"),
                                "protocol",
                                n,
                                ctx.protocol_index,
                            )?;
                            if !accepts(p) {
                                self.issue(
                                    &format!("{rp}.among[{j}]"),
                                    format!(
                                        "expected a protocol accepting {}, found \"{n}\"",
                                        s.asset
                                    ),
                                );
                            }
                            Some(p)
                        })
                        .collect()
                };
                among.sort_unstable();
                among.dedup();
                self.positive(&format!("{rp}.weight"), r.weight);
                if r.weight > 1.0 {
                    self.issue(
                        &format!("{rp}.weight"),
                        format!("expected a weight in (0, 1], found {}", r.weight),
                    );
                }
                if r.min == 0 || r.min > r.max {
                    self.issue(
                        &format!("{rp}.min"),
                        format!("expected 1 ≤ min ≤ max ({}), found {}", r.max, r.min),
                    );
                }
                if r.max as usize > among.len() {
                    self.issue(
                        &format!("{rp}.max"),
                        format!(
                            "expected at most the {} candidate protocols, found {}",
                            among.len(),
                            r.max
                        ),
                    );
                }
                if r.max > 64 {
                    self.issue(
                        &format!("{rp}.max"),
                        format!("expected at most 64 protocols per staker, found {}", r.max),
                    );
                }
                let lev = f64::from(r.max) * r.weight;
                if lev > s.max_leverage + 1e-12 {
                    self.issue(&format!("{rp}.max"), format!("expected max × weight ≤ max_leverage ({}), found {lev} (raise max_leverage or lower max)", s.max_leverage));
                }
                self.random_unique_stake(&rp, r, &among, ctx);
                Some(InitialAllocation::Random {
                    min: r.min,
                    max: r.max,
                    weight: r.weight,
                    among,
                })
            }
        };
        let strategy = match s.strategy.as_ref().unwrap_or(&StrategyFile::Fixed) {
            StrategyFile::Fixed => Strategy::Fixed,
            StrategyFile::YieldChasing {
                probability,
                min_improvement,
                risk_weight,
            } => {
                self.unit_interval(&format!("{path}.strategy.probability"), *probability);
                if let Some(m) = min_improvement {
                    self.finite(&format!("{path}.strategy.min_improvement"), *m);
                }
                self.non_negative(&format!("{path}.strategy.risk_weight"), *risk_weight);
                Strategy::YieldChasing {
                    probability: *probability,
                    min_improvement: min_improvement.unwrap_or(f64::NEG_INFINITY),
                    risk_weight: *risk_weight,
                }
            }
            StrategyFile::RiskAverse { exit_loss } => Strategy::RiskAverse {
                exit_loss: self.unit_interval(&format!("{path}.strategy.exit_loss"), *exit_loss),
            },
        };
        let entry = s.entry.as_ref().map(|e| {
            self.at_least_one(&format!("{path}.entry.per_review"), e.per_review);
            Entry {
                per_review: e.per_review,
                max_new: e.max_new,
            }
        });
        let delegation = self.delegation(&path, s, ctx, allocation.as_ref());
        Some(StakerClass {
            name: s.class.clone(),
            count,
            asset: asset?,
            stake,
            allocation: allocation?,
            strategy,
            review_every_steps: review.div_ceil(ctx.step_days).max(1),
            max_leverage: s.max_leverage,
            compounding: s.compounding,
            opportunity_apr: s.opportunity_apr,
            entry,
            delegation: delegation?,
            tax_rate: s.tax_rate,
        })
    }

    /// A staker draws k in [min, max] and then k distinct protocols from
    /// `among`, each with `weight`: in the worst draw, k = max and every
    /// unique-stake candidate it can hold is picked, so its unique-stake
    /// weights sum to weight × min(max, unique-stake candidates).
    fn random_unique_stake(
        &mut self,
        rp: &str,
        r: &RandomAllocationFile,
        among: &[usize],
        ctx: &ClassContext<'_>,
    ) {
        if !(r.weight > 0.0 && r.weight <= 1.0) {
            return;
        }
        let unique: Vec<&str> = among
            .iter()
            .filter(|&&p| {
                matches!(
                    ctx.protocols[p].allocation,
                    Some(AllocationFile::UniqueStake)
                )
            })
            .map(|&p| ctx.protocols[p].name.as_str())
            .collect();
        let picks = (r.max as usize).min(unique.len());
        let worst = r.weight * picks as f64;
        if worst > 1.0 + 1e-12 {
            self.issue(
                rp,
                format!(
                    "expected unique-stake weights summing to at most 1 in every draw, found weight × min(max, unique-stake candidates) = {} × {picks} = {worst}: a staker may pick {picks} of {} (lower weight or max, or leave unique-stake protocols out of among)",
                    r.weight,
                    unique.join(", ")
                ),
            );
        }
    }

    fn fixed_allocation(
        &mut self,
        path: &str,
        allocate: &BTreeMap<String, f64>,
        ctx: &ClassContext<'_>,
        accepts: &dyn Fn(usize) -> bool,
    ) -> Option<InitialAllocation> {
        let mut pairs = Vec::new();
        let mut unique_sum = 0.0;
        for (name, &w) in allocate {
            let wp = format!("{path}.allocate.{name}");
            let Some(p) = self.reference(&wp, "protocol", name, ctx.protocol_index) else {
                continue;
            };
            if !accepts(p) {
                self.issue(
                    &wp,
                    format!(
                        "expected a protocol accepting the class's asset, found \"{name}\" which accepts {:?}",
                        ctx.protocols[p].assets
                    ),
                );
            }
            if self.finite(&wp, w) && (w <= 0.0 || w > 1.0) {
                self.issue(&wp, format!("expected a weight in (0, 1], found {w}"));
            }
            if matches!(
                ctx.protocols[p].allocation,
                Some(AllocationFile::UniqueStake)
            ) {
                unique_sum += w;
            }
            pairs.push((p, w));
        }
        pairs.sort_by_key(|p| p.0);
        if unique_sum > 1.0 + 1e-12 {
            self.issue(
                &format!("{path}.allocate"),
                format!(
                    "expected unique-stake allocations summing to at most 1, found {unique_sum}"
                ),
            );
        }
        if pairs.len() > 64 {
            self.issue(
                &format!("{path}.allocate"),
                format!(
                    "expected at most 64 protocols per staker, found {}",
                    pairs.len()
                ),
            );
        }
        Some(InitialAllocation::Fixed(pairs))
    }

    fn delegation(
        &mut self,
        path: &str,
        s: &StakerFile,
        ctx: &ClassContext<'_>,
        allocation: Option<&InitialAllocation>,
    ) -> Option<Vec<(usize, f64)>> {
        // Only a fixed allocation is checked here (a random one is checked
        // as max × weight): an invalid random allocation may have min + max
        // beyond u32, which `mean_leverage` would overflow on.
        if let Some(InitialAllocation::Fixed(pairs)) = allocation
            && let leverage = pairs.iter().map(|p| p.1).sum::<f64>()
            && leverage > s.max_leverage + 1e-12
        {
            self.issue(
                &format!("{path}.allocate"),
                format!(
                    "expected weights summing to at most max_leverage ({}), found {leverage} (raise max_leverage or lower the weights)",
                    s.max_leverage
                ),
            );
        }
        let index: HashMap<String, usize> = ctx
            .operators
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.clone(), i))
            .collect();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (name, &share) in &s.operators {
            let op = format!("{path}.operators.{name}");
            let o = self.reference(&op, "operator", name, &index)?;
            if self.finite(&op, share) && share <= 0.0 {
                self.issue(&op, format!("expected a share > 0, found {share}"));
            }
            if let Some(InitialAllocation::Fixed(pairs)) = allocation {
                for &(p, _) in pairs {
                    if !ctx.operators[o].serves[p] {
                        self.issue(
                            &op,
                            format!(
                                "expected an operator serving every allocated protocol, found \"{name}\" which does not serve \"{}\"",
                                ctx.protocols[p].name
                            ),
                        );
                    }
                }
            }
            total += share;
            cumulative.push((o, total));
        }
        if !cumulative.is_empty() && (total - 1.0).abs() > 1e-9 {
            self.issue(
                &format!("{path}.operators"),
                format!("expected shares summing to 1, found {total}"),
            );
        }
        Some(cumulative)
    }

    fn staker_capacity(&mut self, model: &Model) {
        let capacity = model.staker_capacity();
        if capacity > MAX_STAKERS {
            self.issue(
                "staker",
                format!(
                    "expected at most {MAX_STAKERS} stakers over all classes (count plus entry.max_new), found {capacity}"
                ),
            );
        }
    }

    /// The t = 0 picture must be finite, with every APR at most `MAX_APR`.
    fn outlook(&mut self, model: &Model) {
        let outlook = Outlook::of(model);
        for (i, p) in outlook.protocols.iter().enumerate() {
            if !(p.tvl_usd.is_finite() && p.tvl_native.is_finite()) {
                self.issue(
                    &format!("protocol[{i}]"),
                    format!(
                        "expected a finite expected TVL at t = 0, found {} USD (smaller stakes or prices)",
                        p.tvl_usd
                    ),
                );
            } else if !(p.apr.is_finite() && p.apr <= MAX_APR) {
                self.issue(
                    &format!("protocol[{i}].apr"),
                    format!(
                        "expected an APR of at most {MAX_APR} (1,000 %) at the expected t = 0 TVL, found {} (a smaller budget, k or fee revenue, or an apr_cap)",
                        p.apr
                    ),
                );
            }
        }
        for (i, c) in outlook.classes.iter().enumerate() {
            if !(c.total_stake.is_finite() && c.total_usd.is_finite()) {
                self.issue(
                    &format!("staker[{i}].stake"),
                    format!(
                        "expected a finite expected total stake at t = 0, found {} native units, {} USD (a smaller stake or count)",
                        c.total_stake, c.total_usd
                    ),
                );
            }
        }
    }

    /// `x` finite and at most `max` in magnitude.
    fn at_most(&mut self, path: &str, x: f64, max: f64) {
        if x.is_finite() && x.abs() > max {
            self.issue(
                path,
                format!(
                    "expected a magnitude of at most {max:e}, found {}",
                    fmt_num(x)
                ),
            );
        }
    }

    fn memory(&mut self, model: &Model, limit_gib: f64) {
        let bytes = estimated_memory_bytes(model, 2);
        let gib = bytes / f64::from(1u32 << 30);
        if gib > limit_gib {
            self.issue(
                "run",
                format!(
                    "expected a run that fits in memory_limit_gib = {limit_gib}, found an estimated {gib:.1} GiB (fewer paths or stakers, a larger record_every_days, or raise run.memory_limit_gib)"
                ),
            );
        }
    }
}

/// Cholesky factor of a symmetric positive semi-definite matrix (row-major
/// n×n), tolerating zero pivots; `None` if it is not PSD.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - dot;
                if d < -1e-10 {
                    return None;
                }
                l[i * n + i] = d.max(0.0).sqrt();
            } else {
                let pivot = l[j * n + j];
                let off = a[i * n + j] - dot;
                if pivot > 1e-12 {
                    l[i * n + j] = off / pivot;
                } else if off.abs() > 1e-10 {
                    return None;
                }
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::cholesky;

    #[test]
    fn cholesky_of_a_correlation_matrix_reproduces_it() {
        let a = [1.0, 0.6, 0.6, 1.0];
        let l = cholesky(&a, 2).unwrap();
        assert!((l[2] * l[2] + l[3] * l[3] - 1.0).abs() < 1e-12);
        assert!((l[2] * l[0] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn cholesky_rejects_non_psd_and_accepts_singular() {
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky(&bad, 3).is_none());
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_some());
    }
}
