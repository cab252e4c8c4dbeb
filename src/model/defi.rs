//! The DeFi layer on top of restaking: liquid restaking tokens (LRTs) with
//! a pool where they trade, lending markets that take them as collateral,
//! and the looping stakers that borrow against them.
//!
//! Units: an LRT is priced in its underlying asset (the asset its backing
//! classes stake); NAV and pool price are underlying units per token, NAV
//! 1 at t = 0. Debt is in the same underlying asset.

use serde::Serialize;

/// A liquid restaking token: a claim on the restaked stake of its backing
/// classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lrt {
    /// Unique name (an output entity).
    pub name: String,
    /// The underlying asset (every backing class stakes it).
    pub asset: usize,
    /// Classes whose stake backs the token (loop classes of its markets
    /// included), ascending.
    pub backing: Vec<usize>,
    /// Share of the backing's rewards the LRT protocol keeps.
    pub fee: f64,
    /// Steps a redemption at NAV waits: the LRT's own queue plus the
    /// longest exit delay of the protocols its backing may allocate to.
    pub redemption_steps: u32,
    /// The pool it trades in; `None`: infinitely deep (price = NAV).
    pub pool: Option<Pool>,
    /// Share of an exiting backing staker's stake sold into the pool at
    /// once instead of waiting for the redemption queue.
    pub panic_sell_share: f64,
    /// Arbitrage that buys below NAV and redeems through the queue.
    pub arbitrage: Arbitrage,
}

/// A constant-product pool (x · y = k) of the token against its underlying
/// asset, balanced at NAV 1 at t = 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pool {
    /// Underlying units on each side at t = 0.
    pub depth: f64,
}

/// Buy-and-redeem arbitrage: while the pool price is below NAV × (1 −
/// `min_discount`), arbitrageurs buy tokens, at most `capital_per_step`
/// underlying units a step, and put them in the redemption queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Arbitrage {
    /// Underlying units arbitrageurs spend per step at most.
    pub capital_per_step: f64,
    /// Discount to NAV below which they buy.
    pub min_discount: f64,
}

/// What a lending market values the collateral at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Oracle {
    /// The pool's market price: a depeg can liquidate.
    Market,
    /// The exchange rate (NAV): a pool depeg liquidates nobody.
    Nav,
}

/// A utilisation-based borrow rate with a kink, as the public money markets
/// use: `base + slope1 · u / kink` up to the kink, then
/// `base + slope1 + slope2 · (u − kink) / (1 − kink)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateCurve {
    /// Borrow APR at zero utilisation.
    pub base: f64,
    /// APR added from 0 to the kink.
    pub slope1: f64,
    /// APR added from the kink to full utilisation.
    pub slope2: f64,
    /// Utilisation at the kink, in (0, 1).
    pub kink: f64,
}

impl RateCurve {
    /// Borrow APR at utilisation `u` (clamped to [0, 1]).
    pub fn borrow_apr(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        if u <= self.kink {
            self.base + self.slope1 * u / self.kink
        } else {
            self.base + self.slope1 + self.slope2 * (u - self.kink) / (1.0 - self.kink)
        }
    }
}

/// A lending market taking an LRT as collateral against its underlying.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LendingMarket {
    /// Unique name (an output entity).
    pub name: String,
    /// The collateral token (an LRT index); the debt is its underlying.
    pub lrt: usize,
    /// Largest debt / collateral value at which a position may be opened.
    pub ltv: f64,
    /// Debt / collateral value above which a position is liquidated
    /// (health factor = collateral value × threshold / debt < 1).
    pub liquidation_threshold: f64,
    /// Extra collateral a liquidator takes, as a fraction of the debt repaid.
    pub liquidation_bonus: f64,
    /// Share of a position's debt one liquidation repays.
    pub close_factor: f64,
    /// Borrow rate as a function of utilisation.
    pub rate: RateCurve,
    /// Underlying units lenders supply (the most that can be borrowed).
    pub liquidity: f64,
    /// What the collateral is valued at.
    pub oracle: Oracle,
}

/// Most liquidation rounds within one step; a spiral still running after
/// them continues the next step.
pub const MAX_LIQUIDATION_ROUNDS: u32 = 50;

/// Leverage of a full loop at loan-to-value `ltv`: 1 / (1 − ltv).
pub fn full_loop_leverage(ltv: f64) -> f64 {
    1.0 / (1.0 - ltv)
}

/// Net APR on equity of a loop at leverage `leverage` earning `yield_apr`
/// on the whole position and paying `borrow_apr` on the debt:
/// L · r − (L − 1) · b.
pub fn loop_net_apr(leverage: f64, yield_apr: f64, borrow_apr: f64) -> f64 {
    leverage * yield_apr - (leverage - 1.0) * borrow_apr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_curve_has_its_kink() {
        let c = RateCurve {
            base: 0.0,
            slope1: 0.04,
            slope2: 0.6,
            kink: 0.8,
        };
        assert_eq!(c.borrow_apr(0.0), 0.0);
        assert!((c.borrow_apr(0.4) - 0.02).abs() < 1e-15);
        assert!((c.borrow_apr(0.8) - 0.04).abs() < 1e-15);
        assert!((c.borrow_apr(0.9) - 0.34).abs() < 1e-12);
        assert!((c.borrow_apr(1.0) - 0.64).abs() < 1e-12);
        assert_eq!(c.borrow_apr(2.0), c.borrow_apr(1.0));
    }

    #[test]
    fn loop_closed_forms() {
        assert!((full_loop_leverage(0.9) - 10.0).abs() < 1e-12);
        assert!((loop_net_apr(5.0, 0.06, 0.03) - 0.18).abs() < 1e-12);
    }
}
