//! Protocols (services): what they pay (an APR curve of their TVL, plus fee
//! revenue), how they count restaked stake (the allocation model), how they
//! slash, how long leaving stake stays at risk, and what corrupting them is
//! worth ([`Corruption`]).

use serde::Serialize;

use super::{Corruption, Severity};

/// APR as a function of the protocol's TVL.
///
/// Rewards are paid in the protocol's reward asset. A budget is a number of
/// reward-asset units a year, so its APR follows the reward asset's USD
/// price. The other curves give the APR at t = 0 prices: the protocol pays
/// that many reward-asset units per unit of stake, so when the reward asset
/// is not the TVL asset the APR is scaled by how the reward asset's price
/// has moved against the TVL asset's since t = 0 ([`RewardValue::relative`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AprCurve {
    /// A constant yearly rate.
    Constant(f64),
    /// A yearly budget in reward-asset units: APR = budget · price_reward / TVL_usd.
    Budget(f64),
    /// APR = k / sqrt(TVL in native units).
    InverseSqrt(f64),
    /// Piecewise-linear in TVL (native units); flat beyond the first and last points.
    Table(Vec<(f64, f64)>),
}

/// What a protocol's reward asset is worth at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RewardValue {
    /// USD price of the reward asset.
    pub price_usd: f64,
    /// Price of the reward asset in units of the protocol's TVL asset,
    /// relative to t = 0: 1 at t = 0, and always 1 when rewards are paid in
    /// the TVL asset.
    pub relative: f64,
}

impl RewardValue {
    /// The reward value when the reward asset is priced at `price_usd` and
    /// has not moved against the TVL asset.
    pub fn at(price_usd: f64) -> RewardValue {
        RewardValue {
            price_usd,
            relative: 1.0,
        }
    }
}

impl AprCurve {
    /// The curve's APR (before cap and floor) at a TVL. An empty protocol
    /// (TVL 0) pays 0 under the budget and inverse-square-root curves.
    pub fn raw_apr(&self, tvl_native: f64, tvl_usd: f64, reward: RewardValue) -> f64 {
        match self {
            AprCurve::Constant(rate) => rate * reward.relative,
            AprCurve::Budget(budget) => {
                if tvl_usd > 0.0 {
                    budget * reward.price_usd / tvl_usd
                } else {
                    0.0
                }
            }
            AprCurve::InverseSqrt(k) => {
                if tvl_native > 0.0 {
                    k / tvl_native.sqrt() * reward.relative
                } else {
                    0.0
                }
            }
            AprCurve::Table(points) => interpolate(points, tvl_native) * reward.relative,
        }
    }
}

/// Piecewise-linear interpolation through `points` (x strictly increasing,
/// at least one point), constant beyond the ends.
fn interpolate(points: &[(f64, f64)], x: f64) -> f64 {
    let (first, last) = (points[0], points[points.len() - 1]);
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    let upper = points.partition_point(|p| p.0 <= x);
    let (x0, y0) = points[upper - 1];
    let (x1, y1) = points[upper];
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// How a protocol counts and slashes restaked stake.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Allocation {
    /// The same stake counts in full in every protocol it backs; a slash of
    /// severity s takes s · weight of the staker's stake.
    FullRestaking,
    /// EigenLayer magnitudes: a staker's weights in unique-stake protocols sum
    /// to at most 1; a slash of s on allocation k removes s · m_k from that
    /// allocation and from the total, other allocations keep their amounts.
    UniqueStake,
    /// Symbiotic network limit: the protocol counts at most `limit` native
    /// units; rewards and slashes apply to the counted share min(1, limit/TVL).
    NetworkLimit(f64),
    /// Karak/Babylon-style cap: one event takes at most this fraction.
    Capped(f64),
}

/// A protocol's own slashing risk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slashing {
    /// Probability of an event per step.
    pub step_probability: f64,
    /// Severity of an event.
    pub severity: Severity,
}

/// A service paying for security.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protocol {
    /// Name.
    pub name: String,
    /// Accepted assets (indices); the first is the TVL unit.
    pub assets: Vec<usize>,
    /// Reward curve.
    pub curve: AprCurve,
    /// Maximum APR (`f64::INFINITY` when none).
    pub apr_cap: f64,
    /// Minimum APR.
    pub apr_floor: f64,
    /// Asset the rewards are paid in (index).
    pub reward_asset: usize,
    /// Fee revenue shared pro rata, USD per year.
    pub fee_revenue_usd: f64,
    /// Largest TVL (native units of the first asset) taking inflows; `INFINITY` when none.
    pub capacity: f64,
    /// Smallest stake (native units) that may back the protocol.
    pub min_stake: f64,
    /// Steps an exit is held (withdrawal queue + unbonding): slashable, earning nothing.
    pub exit_delay_steps: u32,
    /// Steps a deallocation stays slashable, earning nothing.
    pub deallocation_steps: u32,
    /// Steps between a fault and its slash.
    pub veto_steps: u32,
    /// Probability that a slash is vetoed.
    pub veto_probability: f64,
    /// Own slashing risk, if any.
    pub slashing: Option<Slashing>,
    /// Allocation model.
    pub allocation: Allocation,
    /// Attack model (profit from corruption and threshold); `None`: the
    /// protocol is never attacked.
    pub corruption: Option<Corruption>,
}

impl Protocol {
    /// APR from the curve, clamped to [floor, cap], plus fee revenue / TVL.
    pub fn apr(&self, tvl_native: f64, tvl_usd: f64, reward: RewardValue) -> f64 {
        let curve = self
            .curve
            .raw_apr(tvl_native, tvl_usd, reward)
            .min(self.apr_cap)
            .max(self.apr_floor);
        let fees = if tvl_usd > 0.0 {
            self.fee_revenue_usd / tvl_usd
        } else {
            0.0
        };
        curve + fees
    }

    /// APRs at a TVL: (the APR paid on the counted stake, the APR earned per
    /// unit of allocated stake). They differ only under a network limit,
    /// where the curve sees the counted TVL min(TVL, limit) and each
    /// allocation earns on its counted share.
    pub fn aprs(&self, tvl_native: f64, tvl_usd: f64, reward: RewardValue) -> (f64, f64) {
        let share = self.counted_share(tvl_native);
        let paid = self.apr(tvl_native * share, tvl_usd * share, reward);
        (paid, paid * share)
    }

    /// What the reward asset is worth at `prices`, against `initial` prices
    /// (both USD, indexed by asset).
    pub fn reward_value(&self, prices: &[f64], initial: &[f64]) -> RewardValue {
        let (reward, unit) = (self.reward_asset, self.assets[0]);
        let relative = if reward == unit {
            1.0
        } else {
            (prices[reward] / prices[unit]) / (initial[reward] / initial[unit])
        };
        RewardValue {
            price_usd: prices[reward],
            relative,
        }
    }

    /// Share of a staker's allocation that counts (network limit), in (0, 1].
    pub fn counted_share(&self, tvl_native: f64) -> f64 {
        match self.allocation {
            Allocation::NetworkLimit(limit) if tvl_native > limit => limit / tvl_native,
            _ => 1.0,
        }
    }

    /// Severity after the protocol's slashing cap.
    pub fn capped_severity(&self, severity: f64) -> f64 {
        match self.allocation {
            Allocation::Capped(max) => severity.min(max),
            _ => severity,
        }
    }

    /// Expected fraction of backing stake lost per year to the protocol's own slashing.
    pub fn expected_yearly_loss(&self, step_years: f64) -> f64 {
        self.slashing.map_or(0.0, |s| {
            self.capped_severity(s.severity.mean()) * s.step_probability / step_years
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protocol on asset 0, paid in asset 0, with no cap, fees, delays,
    /// slashing or attack model.
    fn plain(curve: AprCurve, allocation: Allocation) -> Protocol {
        Protocol {
            name: "p".into(),
            assets: vec![0],
            curve,
            apr_cap: f64::INFINITY,
            apr_floor: 0.0,
            reward_asset: 0,
            fee_revenue_usd: 0.0,
            capacity: f64::INFINITY,
            min_stake: 0.0,
            exit_delay_steps: 0,
            deallocation_steps: 0,
            veto_steps: 0,
            veto_probability: 0.0,
            slashing: None,
            allocation,
            corruption: None,
        }
    }

    #[test]
    fn budget_curve_is_budget_over_tvl() {
        let curve = AprCurve::Budget(500.0);
        // Single asset paid in itself: prices cancel.
        let apr = curve.raw_apr(10_000.0, 10_000.0 * 2_000.0, RewardValue::at(2_000.0));
        assert!((apr - 0.05).abs() < 1e-15);
    }

    #[test]
    fn inverse_sqrt_matches_ethereum_consensus_figure() {
        let apr = AprCurve::InverseSqrt(166.3).raw_apr(34.0e6, 0.0, RewardValue::at(0.0));
        assert!((apr - 0.02852).abs() < 1e-4);
    }

    #[test]
    fn a_network_limit_spreads_the_budget_over_the_counted_stake() {
        let mut p = plain(AprCurve::Budget(100.0), Allocation::NetworkLimit(1000.0));
        let (paid, earned) = p.aprs(4000.0, 4000.0, RewardValue::at(1.0));
        assert!((paid - 0.1).abs() < 1e-15);
        // The whole budget is paid out: earned APR × TVL = budget.
        assert!((earned * 4000.0 - 100.0).abs() < 1e-9);
        p.allocation = Allocation::FullRestaking;
        assert_eq!(p.aprs(4000.0, 4000.0, RewardValue::at(1.0)), (0.025, 0.025));
    }

    #[test]
    fn rewards_paid_in_another_asset_follow_its_price_against_the_tvl_asset() {
        let mut p = plain(AprCurve::Constant(0.06), Allocation::FullRestaking);
        p.reward_asset = 1;
        let initial = [2_000.0, 3.0];
        let at_start = p.reward_value(&initial, &initial);
        assert_eq!(at_start, RewardValue::at(3.0));
        // The reward token falls 80 % while the staked asset doubles: each
        // unit of stake earns a tenth of the value it earned at t = 0.
        let later = p.reward_value(&[4_000.0, 0.6], &initial);
        assert!((later.relative - 0.1).abs() < 1e-15);
        assert!((p.apr(1.0, 4_000.0, later) - 0.006).abs() < 1e-15);
        // Paid in the staked asset itself: prices do not matter.
        p.reward_asset = 0;
        assert_eq!(p.reward_value(&[4_000.0, 0.6], &initial).relative, 1.0);
    }

    #[test]
    fn table_interpolates_and_is_flat_beyond_ends() {
        let curve = AprCurve::Table(vec![(0.0, 0.10), (100.0, 0.05), (200.0, 0.03)]);
        assert_eq!(curve.raw_apr(-1.0, 0.0, RewardValue::at(0.0)), 0.10);
        assert!((curve.raw_apr(50.0, 0.0, RewardValue::at(0.0)) - 0.075).abs() < 1e-15);
        assert!((curve.raw_apr(150.0, 0.0, RewardValue::at(0.0)) - 0.04).abs() < 1e-15);
        assert_eq!(curve.raw_apr(1e9, 0.0, RewardValue::at(0.0)), 0.03);
    }
}
