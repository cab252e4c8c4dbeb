//! The protocols' state along one path: TVL, APRs and per-step reward
//! rates (recomputed from the classes' stake and the prices), and what
//! each protocol has suffered (stake slashed, slashes applied).

use super::classes::Classes;
use super::market::Market;
use super::stakers::slot_index_count;
use crate::model::Model;

/// Per-protocol state of one path, indexed by protocol.
#[derive(Debug, Clone)]
pub struct ProtocolBook {
    /// APR paid (per year).
    pub apr: Vec<f64>,
    /// APR earned by stake counted in the protocol (per year).
    pub earning: Vec<f64>,
    /// Active TVL, native units of the protocol's first asset.
    pub tvl_native: Vec<f64>,
    /// Active TVL, USD.
    pub tvl_usd: Vec<f64>,
    /// Reward per unit of stake and step, per slot index (leaving and empty
    /// slot indices stay 0).
    pub rate: Vec<f64>,
    /// Stakers with an active allocation to the protocol.
    pub backers: Vec<u32>,
    /// Stake slashed in it, cumulative, native units.
    pub losses: Vec<f64>,
    /// Slashes applied, cumulative.
    pub slash_events: Vec<u64>,
    /// Active TVL at t = 0, native units.
    pub initial_tvl: Vec<f64>,
}

impl ProtocolBook {
    /// Nothing staked yet in any of `model`'s protocols.
    pub fn new(model: &Model) -> ProtocolBook {
        let n = model.protocols.len();
        ProtocolBook {
            apr: vec![0.0; n],
            earning: vec![0.0; n],
            tvl_native: vec![0.0; n],
            tvl_usd: vec![0.0; n],
            rate: vec![0.0; slot_index_count(n)],
            backers: vec![0; n],
            losses: vec![0.0; n],
            slash_events: vec![0; n],
            initial_tvl: Vec::new(),
        }
    }

    /// TVL from the classes' active stake at today's prices, then each
    /// protocol's APR and per-step reward rate from its TVL.
    pub fn update_aprs(&mut self, model: &Model, market: &Market, classes: &Classes) {
        self.tvl_usd.fill(0.0);
        for (run, class) in classes.runs.iter().zip(&model.classes) {
            let price = market.prices[class.asset];
            for (p, usd) in self.tvl_usd.iter_mut().enumerate() {
                *usd += run.tvl[classes.stakers.active_index(p)] * price;
            }
        }
        let step_years = model.run.step_years();
        for (p, proto) in model.protocols.iter().enumerate() {
            let usd = self.tvl_usd[p].max(0.0);
            let native = usd / market.prices[proto.assets[0]];
            self.tvl_native[p] = native;
            let reward = proto.reward_value(&market.prices, &market.initial);
            let (paid, earned) = proto.aprs(native, usd, reward);
            self.apr[p] = paid;
            self.earning[p] = earned;
            self.rate[classes.stakers.active_index(p)] = earned * step_years;
        }
    }

    /// Remembers today's TVL as the t = 0 TVL (loss fractions divide by it).
    pub fn mark_initial_tvl(&mut self) {
        self.initial_tvl = self.tvl_native.clone();
    }

    /// Slashes applied over all protocols.
    pub fn total_slash_events(&self) -> u64 {
        self.slash_events.iter().sum()
    }
}
