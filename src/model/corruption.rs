//! Network security: what an attacker gains by corrupting a service and how
//! much of the stake behind it the attack needs, after Durvasula &
//! Roughgarden, "Robust Restaking Networks" (2024). A service s has a profit
//! from corruption π_s (USD) and a corruption threshold α_s: a coalition of
//! operators controlling at least α_s of the stake behind s can corrupt it.

use serde::Serialize;

/// Default corruption threshold: a third of the stake (what halts a BFT
/// service) — conservative.
pub const DEFAULT_CORRUPTION_THRESHOLD: f64 = 1.0 / 3.0;

/// What corrupting a service is worth to an attacker, USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum CorruptionProfit {
    /// A fixed amount, USD.
    Fixed(f64),
    /// A multiple of the USD value of the stake behind the service at the time.
    StakeMultiple(f64),
    /// A share of what the service secures: `amount` native units of
    /// `asset`, valued at the day's price.
    Secured {
        /// The secured asset (index).
        asset: usize,
        /// Native units of `asset` the service secures.
        amount: f64,
        /// Share of the secured value an attacker can take, in [0, 1].
        share: f64,
    },
}

/// A service's attack model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corruption {
    /// π: the profit from corrupting the service.
    pub profit: CorruptionProfit,
    /// α: the fraction of the stake behind the service an attacker needs, in (0, 1].
    pub threshold: f64,
}

impl Corruption {
    /// π: the profit from corrupting the service, USD, given the USD value
    /// of the stake behind it and today's prices (USD, by asset index).
    pub fn profit_usd(&self, stake_behind_usd: f64, prices: &[f64]) -> f64 {
        match self.profit {
            CorruptionProfit::Fixed(usd) => usd,
            CorruptionProfit::StakeMultiple(multiple) => multiple * stake_behind_usd,
            CorruptionProfit::Secured {
                asset,
                amount,
                share,
            } => share * amount * prices[asset],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(profit: CorruptionProfit) -> Corruption {
        Corruption {
            profit,
            threshold: DEFAULT_CORRUPTION_THRESHOLD,
        }
    }

    #[test]
    fn a_fixed_profit_ignores_the_stake_and_the_prices() {
        let c = with(CorruptionProfit::Fixed(2.0e8));
        assert_eq!(c.profit_usd(0.0, &[]), 2.0e8);
        assert_eq!(c.profit_usd(1.0e12, &[3_000.0]), 2.0e8);
    }

    #[test]
    fn a_stake_multiple_follows_the_stake_behind_the_service() {
        let c = with(CorruptionProfit::StakeMultiple(0.4));
        assert_eq!(c.profit_usd(1.0e9, &[3_000.0]), 4.0e8);
        assert_eq!(c.profit_usd(0.0, &[3_000.0]), 0.0);
    }

    #[test]
    fn a_secured_amount_is_valued_at_the_price_of_its_asset() {
        let c = with(CorruptionProfit::Secured {
            asset: 1,
            amount: 100_000.0,
            share: 0.8,
        });
        // 100,000 ETH at 3,000 USD, 80 % of it takeable; the stake and the
        // other asset's price do not matter.
        assert_eq!(c.profit_usd(5.0e9, &[60_000.0, 3_000.0]), 2.4e8);
        assert_eq!(c.profit_usd(0.0, &[1.0, 1_500.0]), 1.2e8);
    }
}
