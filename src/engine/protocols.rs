//! The protocols' state along one path: TVL, APRs and per-step reward
//! rates (recomputed from the classes' stake and the prices), and what
//! each protocol has suffered (stake slashed, slashes applied).

use super::classes::Classes;
use super::market::Market;
use super::stakers::slot_index_count;
use crate::model::Model;
use crate::results::SourceLosses;

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
    /// Stake slashed in it, cumulative, native units, by cause.
    pub losses: Vec<SourceLosses>,
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
            losses: vec![SourceLosses::default(); n],
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
            // Sums of running totals: the last stake out may leave a few
            // ulps of rounding below 0, which is no TVL.
            let usd = self.tvl_usd[p].max(0.0);
            self.tvl_usd[p] = usd;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, assert_close, model};

    /// ETH at 2,000 USD and BTC at 40,000 USD; a constant-APR protocol on
    /// ETH and a budget protocol accepting ETH and BTC (TVL in ETH); two
    /// ETH stakers of 10 and one BTC staker of 1.
    fn two_assets() -> Model {
        model(
            r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "steady"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "shared"
assets = ["ETH", "BTC"]
apr = { curve = "budget", budget = 100 }

[[staker]]
class = "eth"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { steady = 1.0, shared = 0.5 }
max_leverage = 1.5

[[staker]]
class = "btc"
count = 1
asset = "BTC"
stake = { dist = "fixed", value = 1 }
allocate = { shared = 1.0 }
"#,
        )
    }

    #[test]
    fn tvl_is_the_classes_active_stake_at_todays_prices() {
        let model = two_assets();
        let parts = Parts::start(&model);
        let book = &parts.protocols;
        // steady: 2 × 10 ETH × 2,000; shared: 2 × 0.5 × 10 ETH × 2,000 + 1 BTC × 40,000.
        assert_close(book.tvl_usd[0], 40_000.0, 1e-15);
        assert_close(book.tvl_usd[1], 20_000.0 + 40_000.0, 1e-15);
        assert_close(book.tvl_native[0], 20.0, 1e-15);
        assert_close(book.tvl_native[1], 30.0, 1e-15);
        assert_eq!(book.backers, [2, 3]);
        assert_eq!(book.initial_tvl, book.tvl_native);
    }

    #[test]
    fn constant_and_budget_aprs_and_the_per_step_rate() {
        let model = two_assets();
        let parts = Parts::start(&model);
        let book = &parts.protocols;
        let active = |p| parts.classes.stakers.active_index(p);
        assert_eq!(book.apr[0], 0.05);
        assert_eq!(book.earning[0], 0.05);
        // Budget: 100 ETH a year × 2,000 USD over 60,000 USD of TVL.
        let budget_apr = 100.0 * 2000.0 / 60_000.0;
        assert_close(book.apr[1], budget_apr, 1e-15);
        assert_close(book.earning[1], budget_apr, 1e-15);
        assert_close(book.rate[active(0)], 0.05 / 365.0, 1e-15);
        assert_close(book.rate[active(1)], budget_apr / 365.0, 1e-15);
        // Nothing else earns: leaving and empty slot indices stay at 0.
        let earning_indices = [active(0), active(1)];
        for (k, &r) in book.rate.iter().enumerate() {
            if !earning_indices.contains(&k) {
                assert_eq!(r, 0.0, "slot index {k}");
            }
        }
    }

    #[test]
    fn a_price_move_changes_the_usd_tvl_and_the_budget_apr() {
        let model = two_assets();
        let mut parts = Parts::start(&model);
        parts.market.prices[1] = 20_000.0;
        parts.update_aprs(&model);
        let book = &parts.protocols;
        assert_close(book.tvl_usd[1], 20_000.0 + 20_000.0, 1e-15);
        assert_close(book.tvl_native[1], 20.0, 1e-15);
        assert_close(book.apr[1], 100.0 * 2000.0 / 40_000.0, 1e-15);
        assert_eq!(book.apr[0], 0.05);
        // ETH itself halves: the budget (paid in ETH) is worth half as
        // much, and so is the TVL counted in USD; its native TVL is the same.
        parts.market.prices[0] = 1000.0;
        parts.update_aprs(&model);
        let book = &parts.protocols;
        assert_close(book.tvl_usd[1], 10_000.0 + 20_000.0, 1e-15);
        assert_close(book.tvl_native[1], 30.0, 1e-15);
        assert_close(book.apr[1], 100.0 * 1000.0 / 30_000.0, 1e-15);
        // t = 0 TVL is kept.
        assert_eq!(book.initial_tvl, [20.0, 30.0]);
    }

    #[test]
    fn a_network_limit_pays_the_counted_share() {
        let model = model(
            r#"
[[protocol]]
name = "limited"
assets = ["ETH"]
apr = { curve = "constant", value = 0.08 }
allocation = { model = "network_limit", limit = 25 }

[[staker]]
class = "c"
count = 4
asset = "ETH"
stake = { dist = "fixed", value = 25 }
allocate = { limited = 1.0 }
"#,
        );
        let parts = Parts::start(&model);
        let book = &parts.protocols;
        assert_eq!(book.tvl_native[0], 100.0);
        assert_eq!(book.apr[0], 0.08);
        // A quarter of each allocation counts.
        assert_close(book.earning[0], 0.02, 1e-15);
        assert_close(book.rate[0], 0.02 / 365.0, 1e-15);
    }

    #[test]
    fn slash_events_sum_over_protocols() {
        let mut book = ProtocolBook::new(&two_assets());
        book.slash_events = vec![3, 4];
        assert_eq!(book.total_slash_events(), 7);
    }
}
