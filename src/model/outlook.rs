//! What a scenario means at t = 0, in expectation: the initial TVL and APR
//! of every protocol and the stake of every class, as `validate` prints them.

use super::{InitialAllocation, Model, RewardValue};

/// Expected state of one protocol at t = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolOutlook {
    /// Expected TVL in native units of the protocol's first asset.
    pub tvl_native: f64,
    /// Expected TVL in USD.
    pub tvl_usd: f64,
    /// APR at that TVL (curve, cap, floor and fee revenue), paid on the
    /// counted stake.
    pub apr: f64,
    /// APR earned per unit of allocated stake (lower under a network limit).
    pub earned_apr: f64,
}

/// Expected state of one staker class at t = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassOutlook {
    /// Mean stake per staker, native units.
    pub mean_stake: f64,
    /// Total stake, native units.
    pub total_stake: f64,
    /// Total stake in USD.
    pub total_usd: f64,
    /// Expected APR of a staker: Σ weight × earned APR over what it backs.
    pub apr: f64,
}

/// Expected t = 0 picture of a whole scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlook {
    /// Per protocol, in model order.
    pub protocols: Vec<ProtocolOutlook>,
    /// Per class, in model order.
    pub classes: Vec<ClassOutlook>,
    /// Staked value per asset, USD (stake counted once, however restaked).
    pub staked_usd_by_asset: Vec<f64>,
    /// TVL per staked asset, USD (restaked stake counted in every protocol).
    pub tvl_usd_by_asset: Vec<f64>,
    /// TVL-weighted average APR over protocols.
    pub average_apr: f64,
}

impl Outlook {
    /// Computes the expected t = 0 picture of `model`.
    pub fn of(model: &Model) -> Outlook {
        let mut tvl_usd = vec![0.0; model.protocols.len()];
        let mut staked_usd_by_asset = vec![0.0; model.assets.len()];
        let mut tvl_usd_by_asset = vec![0.0; model.assets.len()];
        let mut classes: Vec<ClassOutlook> = model
            .classes
            .iter()
            .map(|c| {
                let mean_stake = c.stake.mean();
                let total_stake = mean_stake * f64::from(c.count);
                let price = model.assets[c.asset].price_usd;
                staked_usd_by_asset[c.asset] += total_stake * price;
                match &c.allocation {
                    InitialAllocation::Fixed(pairs) => {
                        for &(p, w) in pairs {
                            tvl_usd[p] += w * total_stake * price;
                            tvl_usd_by_asset[c.asset] += w * total_stake * price;
                        }
                    }
                    InitialAllocation::Random {
                        min,
                        max,
                        weight,
                        among,
                    } => {
                        let share = weight * 0.5 * f64::from(min + max) / among.len() as f64;
                        for &p in among {
                            tvl_usd[p] += share * total_stake * price;
                            tvl_usd_by_asset[c.asset] += share * total_stake * price;
                        }
                    }
                }
                ClassOutlook {
                    mean_stake,
                    total_stake,
                    total_usd: total_stake * price,
                    apr: 0.0,
                }
            })
            .collect();
        let protocols: Vec<ProtocolOutlook> = model
            .protocols
            .iter()
            .zip(&tvl_usd)
            .map(|(p, &usd)| {
                let unit_price = model.assets[p.assets[0]].price_usd;
                let native = usd / unit_price;
                let price = model.assets[p.reward_asset].price_usd;
                let (apr, earned_apr) = p.aprs(native, usd, RewardValue::at(price));
                ProtocolOutlook {
                    tvl_native: native,
                    tvl_usd: usd,
                    apr,
                    earned_apr,
                }
            })
            .collect();
        let earned: Vec<f64> = protocols.iter().map(|p| p.earned_apr).collect();
        for (co, c) in classes.iter_mut().zip(&model.classes) {
            co.apr = c.allocation.expected_apr(&earned);
        }
        let total: f64 = protocols.iter().map(|p| p.tvl_usd).sum();
        let average_apr = if total > 0.0 {
            protocols.iter().map(|p| p.apr * p.tvl_usd).sum::<f64>() / total
        } else {
            0.0
        };
        Outlook {
            protocols,
            classes,
            staked_usd_by_asset,
            tvl_usd_by_asset,
            average_apr,
        }
    }
}
