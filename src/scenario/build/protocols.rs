//! `[[protocol]]`: accepted assets, APR curve and bounds, delays, veto,
//! slashing, allocation model and attack model (`corruption`), checked into
//! [`Protocol`]s. The checks of a frequency and a severity, shared with
//! shocks and operator faults, live here too.

use super::names::Names;
use super::{
    MAX_APR, MAX_DAYS, MAX_MAGNITUDE, MAX_PROTOCOLS, MAX_REWARD_MAGNITUDE, Validator, fmt_num,
};
use crate::model::{
    Allocation, AprCurve, Corruption, CorruptionProfit, DEFAULT_CORRUPTION_THRESHOLD, Frequency,
    Protocol, Severity, Slashing,
};
use crate::scenario::file::{
    AllocationFile, AprCurveFile, CorruptionFile, ProtocolFile, ScenarioFile, SeverityFile,
};

impl Validator {
    /// Checks every `[[protocol]]`, in order; `None` for each that cannot be
    /// built.
    pub(super) fn protocols(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        step_days: u32,
    ) -> Vec<Option<Protocol>> {
        file.protocols
            .iter()
            .enumerate()
            .map(|(i, p)| self.protocol(i, p, names, step_days))
            .collect()
    }

    /// At most [`MAX_PROTOCOLS`] protocols.
    pub(super) fn protocol_count(&mut self, file: &ScenarioFile) {
        if file.protocols.len() > MAX_PROTOCOLS {
            self.issue(
                "protocol",
                format!(
                    "expected at most {MAX_PROTOCOLS} protocols, found {}",
                    file.protocols.len()
                ),
            );
        }
    }

    /// At least one protocol.
    pub(super) fn any_protocol(&mut self, file: &ScenarioFile) {
        if file.protocols.is_empty() {
            self.issue(
                "protocol",
                "expected at least one [[protocol]], found none".into(),
            );
        }
    }

    /// Checks `protocol[i]`; `None` if a reference to an asset fails.
    fn protocol(
        &mut self,
        i: usize,
        p: &ProtocolFile,
        names: &Names,
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
            .map(|(j, a)| self.reference(&format!("{path}.assets[{j}]"), "asset", a, &names.assets))
            .collect();
        self.listed_once(&format!("{path}.assets"), &p.assets);
        let reward_asset = match &p.reward_asset {
            Some(name) => self.reference(
                &format!("{path}.reward_asset"),
                "asset",
                name,
                &names.assets,
            ),
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
        let corruption = p
            .corruption
            .as_ref()
            .and_then(|c| self.corruption(&format!("{path}.corruption"), c, names));
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
            corruption,
        })
    }

    /// Checks an attack model: exactly one form of profit (`profit_usd`,
    /// `profit_stake_multiple`, or `secured_amount` with its
    /// `secured_asset` and optional `profit_share`) and a threshold in
    /// (0, 1]; `None` if the profit cannot be built.
    fn corruption(&mut self, path: &str, c: &CorruptionFile, names: &Names) -> Option<Corruption> {
        let given: Vec<&str> = [
            ("profit_usd", c.profit_usd.is_some()),
            ("profit_stake_multiple", c.profit_stake_multiple.is_some()),
            ("secured_amount", c.secured_amount.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        match given.as_slice() {
            [] => self.issue(
                path,
                "expected one of profit_usd, profit_stake_multiple, secured_amount (what corrupting the protocol is worth to an attacker), found none".into(),
            ),
            [_] => {}
            _ => self.issue(
                path,
                format!(
                    "expected one of profit_usd, profit_stake_multiple, secured_amount, found {}",
                    given.join(" and ")
                ),
            ),
        }
        // An amount of stake-like size: finite, ≥ 0, at most `max`.
        let mut amount = |key: &str, x: f64, max: f64| {
            let p = format!("{path}.{key}");
            self.non_negative(&p, x);
            self.at_most(&p, x, max);
            x
        };
        let fixed = c
            .profit_usd
            .map(|usd| amount("profit_usd", usd, MAX_MAGNITUDE));
        let multiple = c
            .profit_stake_multiple
            .map(|m| amount("profit_stake_multiple", m, MAX_MAGNITUDE));
        let secured = c
            .secured_amount
            .map(|a| amount("secured_amount", a, MAX_MAGNITUDE));
        let asset = match (&c.secured_asset, secured) {
            (Some(name), Some(_)) => self.reference(
                &format!("{path}.secured_asset"),
                "asset",
                name,
                &names.assets,
            ),
            (None, Some(_)) => {
                self.issue(
                    &format!("{path}.secured_asset"),
                    "expected the asset secured_amount is counted in (e.g. secured_asset = \"ETH\"), found none".into(),
                );
                None
            }
            (Some(name), None) => {
                self.issue(
                    &format!("{path}.secured_asset"),
                    format!(
                        "expected secured_asset only with a secured_amount, found secured_asset = \"{name}\" without one (give secured_amount, or drop secured_asset)"
                    ),
                );
                None
            }
            (None, None) => None,
        };
        let share = match c.profit_share {
            Some(share) => {
                let sp = format!("{path}.profit_share");
                if secured.is_none() {
                    self.issue(
                        &sp,
                        format!(
                            "expected profit_share only with a secured_amount (it is the share of the secured value an attacker takes), found profit_share = {share} without one"
                        ),
                    );
                }
                self.unit_interval(&sp, share)
            }
            None => 1.0,
        };
        let threshold = match c.threshold {
            Some(t) => {
                let tp = format!("{path}.threshold");
                if self.finite(&tp, t) && !(t > 0.0 && t <= 1.0) {
                    self.issue(
                        &tp,
                        format!(
                            "expected a fraction of the stake in (0, 1], found {}",
                            fmt_num(t)
                        ),
                    );
                }
                t
            }
            None => DEFAULT_CORRUPTION_THRESHOLD,
        };
        let profit = match (fixed, multiple, secured) {
            (Some(usd), None, None) => CorruptionProfit::Fixed(usd),
            (None, Some(m), None) => CorruptionProfit::StakeMultiple(m),
            (None, None, Some(amount)) => CorruptionProfit::Secured {
                asset: asset?,
                amount,
                share,
            },
            _ => return None,
        };
        Some(Corruption { profit, threshold })
    }

    /// Checks an APR curve (yearly rates in [0, `MAX_APR`]).
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

    /// The one frequency of a slashing, a fault or a shock: exactly one of
    /// its three keys, checked; `None` if none or several are given (the
    /// latter reported here, the former by the caller).
    pub(super) fn frequency(
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

    /// Checks a severity distribution (fractions lost in [0, 1]).
    pub(super) fn severity(&mut self, path: &str, s: &SeverityFile) -> Severity {
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
}
