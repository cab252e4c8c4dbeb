//! Asset prices: correlated geometric Brownian motion, plus the price moves
//! of shocks. Costs nothing per step when no asset moves.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::rng::PathRng;
use crate::model::Model;

/// Prices of every asset along one path.
#[derive(Debug, Clone)]
pub struct Market {
    /// Current USD prices.
    pub prices: Vec<f64>,
    /// Prices at t = 0.
    pub initial: Vec<f64>,
    drift_step: Vec<f64>,
    vol_step: Vec<f64>,
    cholesky: Vec<f64>,
    normals: Vec<f64>,
    moving: bool,
    rng: PathRng,
}

impl Market {
    /// Prices at t = 0 for `model`, moved by draws from `rng` (the path's
    /// market stream).
    pub fn new(model: &Model, rng: PathRng) -> Market {
        let dt = model.run.step_years();
        let prices: Vec<f64> = model.assets.iter().map(|a| a.price_usd).collect();
        Market {
            initial: prices.clone(),
            prices,
            // E[S_t] = S_0 e^{mu t}: log drift mu − sigma²/2.
            drift_step: model
                .assets
                .iter()
                .map(|a| (a.drift - 0.5 * a.volatility * a.volatility) * dt)
                .collect(),
            vol_step: model
                .assets
                .iter()
                .map(|a| a.volatility * dt.sqrt())
                .collect(),
            cholesky: model.correlation_cholesky.clone(),
            normals: vec![0.0; model.assets.len()],
            moving: model.assets.iter().any(|a| !a.is_constant()),
            rng,
        }
    }

    /// Advances prices by one step.
    pub fn step(&mut self) {
        if !self.moving {
            return;
        }
        let n = self.prices.len();
        for z in &mut self.normals {
            *z = self.rng.sample(StandardNormal);
        }
        for i in 0..n {
            let row = &self.cholesky[i * n..i * n + i + 1];
            let correlated: f64 = row.iter().zip(&self.normals).map(|(l, z)| l * z).sum();
            self.prices[i] *= (self.drift_step[i] + self.vol_step[i] * correlated).exp();
        }
    }

    /// Applies relative price moves (of shocks): (asset, change), e.g.
    /// −0.5 halves the price.
    pub fn shock(&mut self, moves: &[(usize, f64)]) {
        for &(asset, change) in moves {
            self.prices[asset] *= 1.0 + change;
        }
    }
}
