//! Assets: USD prices following correlated geometric Brownian motion.

use serde::Serialize;

/// A priced asset (staked or paid as a reward).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    /// Ticker.
    pub name: String,
    /// Price at t = 0, USD.
    pub price_usd: f64,
    /// Yearly drift of the price (GBM mu): E(price_t) = price_0 · e^(mu·t).
    pub drift: f64,
    /// Yearly volatility (GBM sigma).
    pub volatility: f64,
}

impl Asset {
    /// Whether the price never moves except through shocks.
    pub fn is_constant(&self) -> bool {
        self.drift == 0.0 && self.volatility == 0.0
    }
}
