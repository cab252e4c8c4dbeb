//! Checks of the assembled [`Model`] as a whole, run once every table is
//! valid: whether `run.attacks` has something to attack with, the t = 0
//! outlook (finite TVLs and stakes, bounded APRs) and the memory estimate
//! against `run.memory_limit_gib`.

use super::memory::state_bytes;
use super::{MAX_APR, Validator};
use crate::model::Model;
use crate::model::outlook::Outlook;
use crate::security::network::MAX_SERVICES;

impl Validator {
    /// With `run.attacks` on, some protocol can be attacked (it has a
    /// `corruption` model) and some coalition can attack (an operator that
    /// a class delegates to).
    /// At most [`MAX_SERVICES`] protocols have one (the security analysis
    /// holds sets of services in one machine word).
    pub(super) fn attacks(&mut self, model: &Model) {
        if let Some(p) = (0..model.protocols.len())
            .filter(|&p| model.protocols[p].corruption.is_some())
            .nth(MAX_SERVICES)
        {
            self.issue(
                &format!("protocol[{p}].corruption"),
                format!(
                    "expected at most {MAX_SERVICES} protocols with a corruption table, found more: the security analysis handles at most {MAX_SERVICES} attackable services"
                ),
            );
        }
        if !model.run.attacks {
            return;
        }
        if model.protocols.iter().all(|p| p.corruption.is_none()) {
            self.issue(
                "run.attacks",
                "expected at least one [[protocol]] with a corruption table when attacks = true, found none: attacks need protocols with a `corruption` table (what corrupting them is worth, e.g. corruption = { profit_usd = 2.0e8 }), so add one or set attacks = false".into(),
            );
        }
        let delegated =
            !model.operators.is_empty() && model.classes.iter().any(|c| !c.delegation.is_empty());
        if !delegated {
            self.issue(
                "run.attacks",
                format!(
                    "expected at least one [[operator]] that a staker class delegates to when attacks = true, found {}: coalitions of operators attack, so define operators and delegate to them (a class's `operators` table), or set attacks = false",
                    if model.operators.is_empty() {
                        "no [[operator]]"
                    } else {
                        "operators that no class delegates to"
                    }
                ),
            );
        }
    }

    /// The t = 0 picture must be finite, with every APR at most `MAX_APR`.
    pub(super) fn outlook(&mut self, model: &Model) {
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

    /// The memory a run cannot spill to disk, its staker state on two
    /// threads ([`state_bytes`]), fits in `limit_gib`. Per-path results
    /// beyond the limit are kept on disk while the run is summarised, not
    /// refused.
    pub(super) fn memory(&mut self, model: &Model, limit_gib: f64) {
        let bytes = state_bytes(model, 2);
        let gib = bytes / f64::from(1u32 << 30);
        if gib > limit_gib {
            self.issue(
                "run",
                format!(
                    "expected a run whose staker state fits in memory_limit_gib = {limit_gib}, found an estimated {gib:.1} GiB for its stakers on two threads (fewer stakers, or raise run.memory_limit_gib)"
                ),
            );
        }
    }
}
