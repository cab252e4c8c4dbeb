//! `[[staker]]`: staker classes — count, asset, stake distribution, strategy,
//! entry, allocation (in `allocations.rs`) and delegation to operators —
//! checked into [`StakerClass`]es, and the limit on the number of stakers.

use super::names::Names;
use super::{MAX_MAGNITUDE, MAX_STAKERS, Validator};
use crate::model::{Entry, InitialAllocation, Model, Operator, StakeDist, StakerClass, Strategy};
use crate::scenario::file::{ProtocolFile, ScenarioFile, StakeFile, StakerFile, StrategyFile};

/// What a class's checks read besides the class: the names, the protocols as
/// written and the operators as built.
pub(super) struct ClassContext<'a> {
    pub(super) names: &'a Names,
    pub(super) protocols: &'a [ProtocolFile],
    pub(super) operators: &'a [Operator],
    pub(super) step_days: u32,
}

impl Validator {
    /// Checks every `[[staker]]` class, in order; `None` for each that cannot
    /// be built.
    pub(super) fn classes(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        operators: &[Operator],
        step_days: u32,
    ) -> Vec<Option<StakerClass>> {
        let ctx = ClassContext {
            names,
            protocols: &file.protocols,
            operators,
            step_days,
        };
        file.stakers
            .iter()
            .enumerate()
            .map(|(i, s)| self.class(i, s, &ctx))
            .collect()
    }

    /// At least one staker class.
    pub(super) fn any_staker(&mut self, file: &ScenarioFile) {
        if file.stakers.is_empty() {
            self.issue(
                "staker",
                "expected at least one [[staker]] class, found none".into(),
            );
        }
    }

    /// Checks `staker[i]`; `None` if it cannot be built (a failed reference
    /// or allocation).
    fn class(&mut self, i: usize, s: &StakerFile, ctx: &ClassContext<'_>) -> Option<StakerClass> {
        let path = format!("staker[{i}]");
        let count = self.at_least_one(&format!("{path}.count"), s.count);
        let asset = self.reference(
            &format!("{path}.asset"),
            "asset",
            &s.asset,
            &ctx.names.assets,
        );
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
                    .any(|n| ctx.names.assets.get(n) == Some(a))
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
            (Some(r), true) => self.random_allocation(&path, r, s, ctx, &accepts),
        };
        let mut market_found = true;
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
            // The market and the leverage bounds are checked with the DeFi
            // tables (`defi.rs`), after every other issue; an unknown market
            // leaves the class unbuilt, and is reported there.
            StrategyFile::Loop {
                market,
                leverage_min,
                leverage_max,
            } => {
                let found = ctx.names.markets.get(market);
                market_found = found.is_some();
                Strategy::Loop {
                    market: found.unwrap_or_default(),
                    leverage_low: *leverage_min,
                    leverage_high: *leverage_max,
                }
            }
        };
        let entry = s.entry.as_ref().map(|e| {
            self.at_least_one(&format!("{path}.entry.per_review"), e.per_review);
            Entry {
                per_review: e.per_review,
                max_new: e.max_new,
            }
        });
        let delegation = self.delegation(&path, s, ctx, allocation.as_ref());
        if !market_found {
            return None;
        }
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

    /// Checks a stake distribution (native units per staker).
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

    /// Checks a fixed allocation's leverage, then the `operators` table
    /// (operator → share of the class's stakers) into cumulative shares.
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
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (name, &share) in &s.operators {
            let op = format!("{path}.operators.{name}");
            let o = self.reference_or_blank(&op, "operator", name, &ctx.names.operators)?;
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

    /// At most [`MAX_STAKERS`] stakers over all classes.
    pub(super) fn staker_capacity(&mut self, model: &Model) {
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
}
