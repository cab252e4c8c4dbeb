//! Lending markets along one path: the loop positions of looping stakers
//! (debt against their restaked position, which the LRT represents), the
//! utilisation-based borrow rate, and the liquidation spiral: positions
//! whose health factor is below 1 are liquidated, their seized collateral
//! is sold into the LRT's pool, the oracle price is read again, and the
//! round repeats until nobody is liquidatable or
//! [`MAX_LIQUIDATION_ROUNDS`] have run. Bad debt is recorded, never hidden.

use rand::RngExt;

use super::classes::Classes;
use super::lrt::Lrts;
use super::rng::{PathRng, Stream, path_rng};
use super::stakers::Status;
use crate::model::defi::MAX_LIQUIDATION_ROUNDS;
use crate::model::{Model, Oracle, Strategy};
use crate::results::{ClassRef, LiquidationRecord, MarketRef};

/// One looping staker's debt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// The staker (its stake is the collateral, valued at NAV).
    pub staker: usize,
    /// Its class.
    pub class: usize,
    /// Debt, underlying units (interest included).
    pub debt: f64,
    /// Whether the position is still open.
    pub open: bool,
    /// Stake seized from it by liquidations, native units.
    pub seized: f64,
}

/// One market's state.
#[derive(Debug, Clone, Default)]
pub struct MarketState {
    /// Positions in order of opening.
    pub positions: Vec<Position>,
    /// Debt outstanding, underlying units.
    pub borrowed: f64,
    /// Borrow APR at the current utilisation.
    pub borrow_apr: f64,
    /// Debt repaid by liquidations, cumulative, USD at each day's price.
    pub liquidations_usd: f64,
    /// Debt left unpaid by positions with nothing left, cumulative, USD.
    pub bad_debt_usd: f64,
    /// Liquidations, cumulative.
    pub liquidations: u64,
}

impl MarketState {
    /// Borrowed over what lenders supply.
    pub fn utilisation(&self, liquidity: f64) -> f64 {
        self.borrowed / liquidity
    }
}

/// A looping class's profit and loss on its loops, native units: its
/// equity at the end is `equity_initial` + rewards − losses − `interest` −
/// `liquidation_cost` + `bad_debt` (a debt nobody repays is the borrower's
/// gain and the lenders' loss).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoopBook {
    /// Σ (position − debt) when the loops opened.
    pub equity_initial: f64,
    /// Interest accrued on the debts.
    pub interest: f64,
    /// Stake seized by liquidations beyond the debt they repaid (the
    /// liquidators' bonus, and the discount of a market-price oracle).
    pub liquidation_cost: f64,
    /// Debt written off: positions with nothing left, and loops whose
    /// released stake did not cover their debt.
    pub bad_debt: f64,
}

/// Every lending market of a path.
#[derive(Debug, Clone)]
pub struct Lending {
    /// Per market, in model order.
    pub markets: Vec<MarketState>,
    /// Per class (all zero for a class that does not loop).
    pub books: Vec<LoopBook>,
    /// Per class: the next staker whose position is not opened yet.
    opened_to: Vec<usize>,
    rng: PathRng,
    path: u32,
    /// Liquidations, in order (at most the run's `max_event_rows`).
    pub log: Vec<LiquidationRecord>,
    /// Liquidations after the log was full.
    pub not_logged: u64,
    capacity: usize,
}

impl Lending {
    /// No position yet, for path `path` of `model`.
    pub fn new(model: &Model, path: u32, classes: &Classes) -> Lending {
        Lending {
            markets: vec![MarketState::default(); model.markets.len()],
            books: vec![LoopBook::default(); model.classes.len()],
            opened_to: classes.runs.iter().map(|r| r.range.start).collect(),
            rng: path_rng(model.run.seed, u64::from(path), Stream::Lending),
            path,
            log: Vec::new(),
            not_logged: 0,
            capacity: model.run.max_event_rows as usize,
        }
    }

    /// Opens the loops of looping stakers that entered since the last call:
    /// leverage L drawn uniformly from the class's range, debt =
    /// stake × (L − 1) / L (the stake is the restaked position), as far as
    /// the market's liquidity allows.
    pub fn open_positions(&mut self, model: &Model, classes: &Classes) {
        for (c, class) in model.classes.iter().enumerate() {
            let Strategy::Loop {
                market,
                leverage_low,
                leverage_high,
            } = class.strategy
            else {
                continue;
            };
            let run = &classes.runs[c];
            let liquidity = model.markets[market].liquidity;
            let state = &mut self.markets[market];
            for i in self.opened_to[c]..run.next_entry {
                let u: f64 = self.rng.random();
                let leverage = leverage_low + (leverage_high - leverage_low) * u;
                let stake = classes.stakers.stake[i];
                let wanted = stake * (leverage - 1.0) / leverage;
                let debt = wanted.min((liquidity - state.borrowed).max(0.0));
                state.borrowed += debt;
                self.books[c].equity_initial += stake - debt;
                state.positions.push(Position {
                    staker: i,
                    class: c,
                    debt,
                    open: true,
                    seized: 0.0,
                });
            }
            self.opened_to[c] = run.next_entry;
        }
    }

    /// One step of the markets: interest accrues at the rate of the
    /// utilisation, loops whose staker has left are closed (repaid from the
    /// released stake, the shortfall as bad debt), then the liquidation
    /// spiral runs.
    pub fn step(
        &mut self,
        model: &Model,
        step: u32,
        prices: &[f64],
        classes: &mut Classes,
        lrts: &mut Lrts,
        backers: &mut [u32],
    ) {
        let step_years = model.run.step_years();
        for (m, market) in model.markets.iter().enumerate() {
            let state = &mut self.markets[m];
            let lrt = &lrts.tokens[market.lrt];
            let usd = prices[model.lrts[market.lrt].asset];
            state.borrow_apr = market.rate.borrow_apr(state.utilisation(market.liquidity));
            let growth = 1.0 + state.borrow_apr * step_years;
            let ratio = oracle_ratio(market.oracle, lrt.price(), lrt.nav);
            let mut borrowed = 0.0;
            for p in state.positions.iter_mut().filter(|p| p.open) {
                let book = &mut self.books[p.class];
                book.interest += p.debt * (growth - 1.0);
                p.debt *= growth;
                if classes.stakers.cohort[p.staker].status == Status::Exited {
                    // The released stake repays the loop.
                    let value = (classes.stakers.cohort[p.staker].exited - p.seized) * ratio;
                    let shortfall = (p.debt - value).max(0.0);
                    state.bad_debt_usd += shortfall * usd;
                    book.bad_debt += shortfall;
                    p.debt = 0.0;
                    p.open = false;
                }
                borrowed += p.debt;
            }
            state.borrowed = borrowed;
        }
        self.liquidate(model, step, prices, classes, lrts, backers);
    }

    /// The liquidation spiral of step `step`, market by market.
    fn liquidate(
        &mut self,
        model: &Model,
        step: u32,
        prices: &[f64],
        classes: &mut Classes,
        lrts: &mut Lrts,
        backers: &mut [u32],
    ) {
        for (m, market) in model.markets.iter().enumerate() {
            let usd = prices[model.lrts[market.lrt].asset];
            for round in 0..MAX_LIQUIDATION_ROUNDS {
                let lrt = &lrts.tokens[market.lrt];
                let nav = lrt.nav;
                let ratio = oracle_ratio(market.oracle, lrt.price(), nav);
                let mut sold = 0.0;
                let mut any = false;
                let state = &mut self.markets[m];
                for p in state
                    .positions
                    .iter_mut()
                    .filter(|p| p.open && p.debt > 0.0)
                {
                    let collateral = classes.stakers.stake[p.staker] * ratio;
                    if collateral * market.liquidation_threshold >= p.debt {
                        continue;
                    }
                    any = true;
                    let bonus = 1.0 + market.liquidation_bonus;
                    let seized = (market.close_factor * p.debt * bonus).min(collateral);
                    let repaid = seized / bonus;
                    let stake_taken = if ratio > 0.0 {
                        classes.seize(p.class, p.staker, seized / ratio, step, backers)
                    } else {
                        0.0
                    };
                    // With a close factor of 1, repaid = debt × bonus / bonus
                    // may round a few ulps above the debt.
                    p.debt = (p.debt - repaid).max(0.0);
                    p.seized += stake_taken;
                    let book = &mut self.books[p.class];
                    book.liquidation_cost += stake_taken - repaid;
                    // A running sum (re-added from the debts every step):
                    // the last repayment may round a few ulps below 0.
                    state.borrowed = (state.borrowed - repaid).max(0.0);
                    state.liquidations += 1;
                    state.liquidations_usd += repaid * usd;
                    if classes.stakers.stake[p.staker] == 0.0 {
                        book.bad_debt += p.debt;
                        state.bad_debt_usd += p.debt * usd;
                        state.borrowed = (state.borrowed - p.debt).max(0.0);
                        p.debt = 0.0;
                        p.open = false;
                    }
                    if nav > 0.0 {
                        sold += stake_taken / nav;
                    }
                    if self.log.len() < self.capacity {
                        self.log.push(LiquidationRecord {
                            path: self.path,
                            day: (step + 1) * model.run.step_days,
                            market: MarketRef(m),
                            class: ClassRef(p.class),
                            round,
                            debt_repaid: repaid,
                            collateral_seized: seized,
                            oracle_ratio: ratio,
                            debt_repaid_usd: repaid * usd,
                        });
                    } else {
                        self.not_logged += 1;
                    }
                }
                if sold > 0.0 {
                    lrts.sell(market.lrt, sold);
                }
                if !any {
                    break;
                }
            }
        }
    }

    /// Class `c`'s return on the equity its loops started with: (rewards −
    /// losses − interest − liquidation cost + bad debt) / initial equity,
    /// at least −1: a loop loses at most its equity (what it cannot repay
    /// is bad debt), however the sums round.
    pub fn equity_net_return(&self, classes: &Classes, c: usize) -> f64 {
        let b = &self.books[c];
        let run = &classes.runs[c];
        let pnl = run.rewards - run.losses.total() - b.interest - b.liquidation_cost + b.bad_debt;
        super::recorder::ratio(pnl, b.equity_initial).max(-1.0)
    }

    /// Per class: (Σ restaked position, Σ debt) over its open loops.
    pub fn class_exposure(&self, classes: &Classes, c: usize) -> (f64, f64) {
        let mut position = 0.0;
        let mut debt = 0.0;
        for state in &self.markets {
            for p in state.positions.iter().filter(|p| p.open && p.class == c) {
                position += classes.stakers.stake[p.staker];
                debt += p.debt;
            }
        }
        (position, debt)
    }
}

/// Oracle price / NAV: what one unit of stake (valued at NAV) is worth as
/// collateral.
pub fn oracle_ratio(oracle: Oracle, price: f64, nav: f64) -> f64 {
    match oracle {
        Oracle::Market if nav > 0.0 => price / nav,
        // A NAV of 0 (a backing slashed to nothing) leaves no stake to
        // value: read the collateral at NAV.
        Oracle::Nav | Oracle::Market => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::path::simulate_path;
    use crate::engine::test_support::{Parts, assert_close, model};
    use crate::results::series_of;

    /// One protocol paying `apr`, a class of one looper with a restaked
    /// position of 100 ETH at `leverage`, its LRT (no fee unless given) and
    /// a market at a constant `borrow` rate, oracle `oracle`, `pool` the
    /// LRT's pool table (or "").
    fn looped(apr: f64, leverage: f64, borrow: f64, oracle: &str, extra_lrt: &str) -> Model {
        model(&format!(
            r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = {apr} }}

[[staker]]
class = "loopers"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}
strategy = {{ kind = "loop", market = "m", leverage_min = {leverage}, leverage_max = {leverage} }}

[[lrt]]
name = "t"
fee = 0.0
{extra_lrt}

[[lending_market]]
name = "m"
collateral = "t"
ltv = 0.9
liquidation_threshold = 0.93
liquidation_bonus = 0.01
close_factor = 0.5
liquidity = 1000
oracle = "{oracle}"
rate = {{ base = {borrow}, slope1 = 0.0, slope2 = 0.0, kink = 0.5 }}
"#
        ))
    }

    #[test]
    fn a_loop_earns_leverage_times_the_yield_less_the_borrow_cost() {
        // Equity 20, debt 80 at leverage 5: after n daily steps the
        // position is 100 (1 + r/365)^n and the debt 80 (1 + b/365)^n.
        let (r, b) = (0.05, 0.02);
        let m = looped(r, 5.0, b, "nav", "");
        let layout = series_of(&m);
        let out = simulate_path(&m, &layout, 0);
        let n = f64::from(m.run.steps);
        let position = 100.0 * (1.0 + r / 365.0).powf(n);
        let debt = 80.0 * (1.0 + b / 365.0).powf(n);
        assert_close(out.row.classes[0].stake, position, 1e-12);
        let market = &out.row.markets[0];
        assert_close(market.utilisation * 1000.0, debt, 1e-12);
        assert_eq!(market.borrow_apr, b);
        // Over a small horizon the equity return is (L·r − (L − 1)·b)·t to
        // first order.
        let equity_return = (position - debt) / 20.0 - 1.0;
        let first_order = crate::model::defi::loop_net_apr(5.0, r, b) * n / 365.0;
        assert_close(equity_return, first_order, 1e-5);
        assert_eq!(market.liquidations, 0);
    }

    #[test]
    fn one_liquidation_repays_the_close_factor_and_takes_the_bonus() {
        let m = looped(0.0, 10.0, 0.0, "nav", "");
        let mut parts = Parts::start(&m);
        let mut lending = Lending::new(&m, 0, &parts.classes);
        lending.open_positions(&m, &parts.classes);
        parts.lrts.start(&m, &parts.classes);
        assert_close(lending.markets[0].positions[0].debt, 90.0, 1e-12);
        // A 5 % loss of the collateral: HF = 95 × 0.93 / 90 < 1.
        parts.classes.stakers.stake[0] = 95.0;
        parts.classes.stakers.losses[0] = 5.0;
        parts.classes.recount();
        lending.step(
            &m,
            0,
            &[2000.0],
            &mut parts.classes,
            &mut parts.lrts,
            &mut parts.protocols.backers,
        );
        let state = &lending.markets[0];
        // Repay half the debt (45); seize 45 × 1.01 of collateral at NAV.
        assert_eq!(state.liquidations, 1, "one round suffices");
        assert_close(state.positions[0].debt, 45.0, 1e-12);
        assert_close(parts.classes.stakers.stake[0], 95.0 - 45.45, 1e-12);
        assert_close(state.liquidations_usd, 45.0 * 2000.0, 1e-12);
        assert_eq!(state.bad_debt_usd, 0.0);
        assert_close(parts.classes.runs[0].exits, 45.45, 1e-12);
        // Health restored: 49.55 × 0.93 / 45 > 1.
        assert!(parts.classes.stakers.stake[0] * 0.93 > state.positions[0].debt);
        // Bookkeeping: initial − losses − exits = stake.
        let st = &parts.classes.stakers;
        assert_close(
            st.cohort[0].initial - st.losses[0] - st.cohort[0].exited,
            st.stake[0],
            1e-12,
        );
    }

    #[test]
    fn a_constant_product_spiral_reaches_the_hand_computed_fixed_point() {
        // Pool of 1,000 tokens against 1,000 ETH; `dump` tokens sold into
        // it; a 10x loop (100 position, 90 debt) priced at the market.
        for dump in [30.0, 50.0] {
            spiral_after(dump);
        }
    }

    fn spiral_after(dump: f64) {
        let m = looped(0.0, 10.0, 0.0, "market", "[lrt.pool]\ndepth = 1000");
        let mut parts = Parts::start(&m);
        let mut lending = Lending::new(&m, 0, &parts.classes);
        lending.open_positions(&m, &parts.classes);
        parts.lrts.start(&m, &parts.classes);
        parts.lrts.sell(0, dump);
        lending.step(
            &m,
            0,
            &[2000.0],
            &mut parts.classes,
            &mut parts.lrts,
            &mut parts.protocols.backers,
        );
        // By hand: k = 10^6, tokens x, price k / x²; each round liquidates
        // while stake · p · 0.93 < debt, seizing min(0.5 · debt · 1.01,
        // stake · p) worth, i.e. that / p of stake, sold into the pool.
        let k = 1e6;
        let (mut x, mut stake, mut debt, mut rounds) = (1000.0 + dump, 100.0f64, 90.0f64, 0);
        loop {
            let p = k / (x * x);
            if stake * p * 0.93 >= debt {
                break;
            }
            let seized = (0.5 * debt * 1.01).min(stake * p);
            let taken = seized / p;
            stake -= taken;
            debt -= seized / 1.01;
            x += taken;
            rounds += 1;
            if stake <= 0.0 {
                break;
            }
        }
        // Nothing left: the rest of the debt is bad debt.
        let bad_debt = if stake <= 0.0 { debt } else { 0.0 };
        assert!(rounds >= 2, "the sale feeds a spiral: {rounds} rounds");
        let state = &lending.markets[0];
        assert_eq!(state.liquidations, rounds);
        assert_close(parts.classes.stakers.stake[0], stake, 1e-9);
        assert_close(state.positions[0].debt, debt - bad_debt, 1e-9);
        assert_close(state.bad_debt_usd, bad_debt * 2000.0, 1e-9);
        assert_close(parts.lrts.tokens[0].price(), k / (x * x), 1e-9);
    }

    #[test]
    fn a_nav_of_zero_values_collateral_at_nav_rather_than_dividing_by_it() {
        assert_eq!(oracle_ratio(Oracle::Market, 0.5, 2.0), 0.25);
        assert_eq!(oracle_ratio(Oracle::Market, 0.5, 0.0), 1.0);
        assert_eq!(oracle_ratio(Oracle::Market, 0.0, 0.0), 1.0);
        assert_eq!(oracle_ratio(Oracle::Nav, 0.5, 0.0), 1.0);
    }

    #[test]
    fn priced_at_nav_a_pool_depeg_liquidates_nobody() {
        let m = looped(0.0, 10.0, 0.0, "nav", "[lrt.pool]\ndepth = 1000");
        let mut parts = Parts::start(&m);
        let mut lending = Lending::new(&m, 0, &parts.classes);
        lending.open_positions(&m, &parts.classes);
        parts.lrts.sell(0, 500.0);
        assert!(parts.lrts.tokens[0].discount() > 0.5);
        lending.step(
            &m,
            0,
            &[2000.0],
            &mut parts.classes,
            &mut parts.lrts,
            &mut parts.protocols.backers,
        );
        assert_eq!(lending.markets[0].liquidations, 0);
    }

    #[test]
    fn a_loop_that_exits_repays_and_only_a_shortfall_is_bad_debt() {
        let m = looped(0.0, 4.0, 0.0, "nav", "");
        let mut parts = Parts::start(&m);
        let mut lending = Lending::new(&m, 0, &parts.classes);
        lending.open_positions(&m, &parts.classes);
        // The staker's stake is released: 100 covers the debt of 75.
        parts.classes.stakers.cohort[0].exited = 100.0;
        parts.classes.stakers.stake[0] = 0.0;
        parts.classes.stakers.cohort[0].status = Status::Exited;
        lending.step(
            &m,
            0,
            &[2000.0],
            &mut parts.classes,
            &mut parts.lrts,
            &mut parts.protocols.backers,
        );
        let state = &lending.markets[0];
        assert!(!state.positions[0].open);
        assert_eq!(state.borrowed, 0.0);
        assert_eq!(state.bad_debt_usd, 0.0);
    }

    #[test]
    fn nothing_is_created_or_destroyed_through_a_spiral() {
        // 20 loopers at 5–10x, a 15 % slash on day 3: positions are
        // liquidated, the most leveraged to nothing (bad debt). Whatever
        // happens, the loopers' stake less their debt is their starting
        // equity plus rewards, less losses, interest and what liquidations
        // took beyond the debt they repaid, plus the debt written off.
        let m = model(
            r#"
[[shock]]
name = "incident"
day = 3
severity = { dist = "fixed", value = 0.15 }

[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { yearly_probability = 0.0, severity = { dist = "fixed", value = 0.15 }, shock_groups = ["incident"] }

[[staker]]
class = "loopers"
count = 20
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
strategy = { kind = "loop", market = "m", leverage_min = 5, leverage_max = 10 }

[[lrt]]
name = "t"
fee = 0.1
[lrt.pool]
depth = 300

[[lending_market]]
name = "m"
collateral = "t"
ltv = 0.9
liquidation_threshold = 0.93
liquidation_bonus = 0.01
liquidity = 10000
oracle = "nav"
rate = { base = 0.03, slope1 = 0.0, slope2 = 0.0, kink = 0.5 }
"#,
        );
        let out = simulate_path(&m, &series_of(&m), 0);
        let class = &out.row.classes[0];
        let market = &out.row.markets[0];
        let book = &out.row.loops[0];
        assert!(market.liquidations > 0, "the slash liquidates someone");
        assert!(book.bad_debt > 0.0, "and leaves some with nothing");
        let debt = market.utilisation * 1000.0 * 10.0;
        let equity = class.stake - debt;
        let accounted = book.equity_initial + class.rewards
            - class.losses
            - book.interest
            - book.liquidation_cost
            + book.bad_debt;
        assert_close(equity, accounted, 1e-9);
        assert_close(
            class.exits,
            class.initial + class.rewards - class.losses - class.stake,
            1e-9,
        );
        assert!(out.defect.is_none(), "{:?}", out.defect);
    }
}
