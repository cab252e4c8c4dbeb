//! Liquid restaking tokens along one path: each token's NAV follows its
//! backing classes' return (rewards net of the LRT's fee, which the reward
//! phase already withheld, less slashes), its pool price moves with sales
//! (panicking exits, liquidations), with shocks' `lrt_price` moves and with
//! buy-and-redeem arbitrage, and its redemption queue holds what
//! arbitrageurs bought until the backing's delays let them out.

use std::collections::VecDeque;

use super::classes::Classes;
use super::pool::Pool;
use crate::model::{Lrt, Model};

/// One LRT's state on a path.
#[derive(Debug, Clone)]
pub struct LrtState {
    /// Underlying units per token.
    pub nav: f64,
    /// The pool it trades in.
    pub pool: Pool,
    /// Tokens waiting in the redemption queue: (release step, tokens).
    queue: VecDeque<(u32, f64)>,
    /// Tokens in the queue.
    pub queued: f64,
    /// The backing's stake, rewards and losses at the last NAV update.
    last: Backing,
    /// Stake that had started exiting at the last update (panic sales).
    last_exiting: f64,
}

/// Aggregate figures of an LRT's backing classes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Backing {
    stake: f64,
    rewards: f64,
    losses: f64,
}

impl Backing {
    fn of(lrt: &Lrt, classes: &Classes) -> Backing {
        let mut b = Backing::default();
        for &c in &lrt.backing {
            let run = &classes.runs[c];
            b.stake += run.stake;
            b.rewards += run.rewards;
            b.losses += run.losses.total();
        }
        b
    }
}

/// Every LRT of a path.
#[derive(Debug, Clone, Default)]
pub struct Lrts {
    /// Per LRT, in model order.
    pub tokens: Vec<LrtState>,
}

impl Lrts {
    /// NAV 1 and pools balanced at it, before anyone has staked.
    pub fn new(model: &Model) -> Lrts {
        Lrts {
            tokens: model
                .lrts
                .iter()
                .map(|l| LrtState {
                    nav: 1.0,
                    pool: l
                        .pool
                        .map_or(Pool::Infinite, |p| Pool::balanced(p.depth, 1.0)),
                    queue: VecDeque::new(),
                    queued: 0.0,
                    last: Backing::default(),
                    last_exiting: 0.0,
                })
                .collect(),
        }
    }

    /// Remembers the backing at t = 0, after the initial stakers entered.
    pub fn start(&mut self, model: &Model, classes: &Classes) {
        for (state, lrt) in self.tokens.iter_mut().zip(&model.lrts) {
            state.last = Backing::of(lrt, classes);
            state.last_exiting = lrt
                .backing
                .iter()
                .map(|&c| classes.runs[c].exiting_started)
                .sum();
        }
    }

    /// NAV follows the backing's return since the last update: rewards
    /// (already net of the fee) less losses, over the stake then.
    pub fn update_nav(&mut self, model: &Model, classes: &Classes) {
        for (state, lrt) in self.tokens.iter_mut().zip(&model.lrts) {
            let now = Backing::of(lrt, classes);
            if state.last.stake > 0.0 {
                let gain = (now.rewards - state.last.rewards) - (now.losses - state.last.losses);
                // A backing slashed to nothing leaves a NAV of 0, which
                // rounding must not carry below.
                state.nav = (state.nav * (1.0 + gain / state.last.stake)).max(0.0);
            }
            state.last = now;
        }
    }

    /// Shock moves of the pool prices: (LRT, relative change), each a
    /// trade against the pool to p · (1 + change) ([`Pool::move_price`]);
    /// the NAV does not move, and an infinitely deep pool does not either.
    pub fn apply_moves(&mut self, moves: &[(usize, f64)]) {
        for &(l, change) in moves {
            self.tokens[l].pool.move_price(change);
        }
    }

    /// Panicking exits: a share of the stake that started exiting since
    /// the last call is sold into the pool instead of waiting for the queue.
    pub fn sell_exits(&mut self, model: &Model, classes: &Classes) {
        for (state, lrt) in self.tokens.iter_mut().zip(&model.lrts) {
            let exiting: f64 = lrt
                .backing
                .iter()
                .map(|&c| classes.runs[c].exiting_started)
                .sum();
            let started = exiting - state.last_exiting;
            state.last_exiting = exiting;
            if lrt.panic_sell_share > 0.0 && started > 0.0 && state.nav > 0.0 {
                let tokens = lrt.panic_sell_share * started / state.nav;
                state.pool.sell(tokens, state.nav);
            }
        }
    }

    /// The end of step `step`'s market: arbitrage buys below NAV into the
    /// redemption queue, the queue releases what is due, and the backing's
    /// stake is remembered for the next NAV update.
    pub fn arbitrage(&mut self, model: &Model, step: u32, classes: &Classes) {
        for (state, lrt) in self.tokens.iter_mut().zip(&model.lrts) {
            let arb = lrt.arbitrage;
            if arb.capital_per_step > 0.0 {
                let target = state.nav * (1.0 - arb.min_discount);
                if state.pool.price(state.nav) < target {
                    let (bought, _) = state.pool.buy_up_to(target, arb.capital_per_step);
                    if bought > 0.0 {
                        state.queue.push_back((step + lrt.redemption_steps, bought));
                        state.queued += bought;
                    }
                }
            }
            while let Some(&(due, tokens)) = state.queue.front() {
                if due > step {
                    break;
                }
                state.queue.pop_front();
                state.queued -= tokens;
            }
            if state.queue.is_empty() {
                state.queued = 0.0;
            }
            state.last = Backing::of(lrt, classes);
        }
    }

    /// Sells `tokens` of LRT `l` into its pool (a liquidation); returns the
    /// underlying units received.
    pub fn sell(&mut self, l: usize, tokens: f64) -> f64 {
        let state = &mut self.tokens[l];
        state.pool.sell(tokens, state.nav)
    }
}

impl LrtState {
    /// The pool's price, underlying units per token.
    pub fn price(&self) -> f64 {
        self.pool.price(self.nav)
    }

    /// 1 − price / NAV: how far below its backing the token trades; 0
    /// once the NAV is 0 (a backing slashed to nothing), against which no
    /// discount is measured.
    pub fn discount(&self) -> f64 {
        if self.nav > 0.0 {
            1.0 - self.price() / self.nav
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::path::simulate_path;
    use crate::engine::test_support::{assert_close, model};
    use crate::results::series_of;

    /// A class of 10 holders of 10 ETH backing an LRT, one protocol paying
    /// `apr`, a 5 % slash of it on day 3, and `lrt` extra LRT keys.
    fn backed(apr: f64, lrt: &str) -> crate::model::Model {
        model(&format!(
            r#"
[[shock]]
name = "incident"
day = 3
severity = {{ dist = "fixed", value = 0.05 }}

[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = {apr} }}
slashing = {{ yearly_probability = 0.0, severity = {{ dist = "fixed", value = 0.05 }}, shock_groups = ["incident"] }}

[[staker]]
class = "holders"
count = 10
asset = "ETH"
stake = {{ dist = "fixed", value = 10 }}
allocate = {{ p = 1.0 }}

[[lrt]]
name = "t"
backing = ["holders"]
{lrt}
"#
        ))
    }

    #[test]
    fn nav_follows_a_slash_of_the_backing_exactly() {
        let m = backed(0.0, "fee = 0.0");
        let out = simulate_path(&m, &series_of(&m), 0);
        assert_close(out.row.lrts[0].nav, 0.95, 1e-15);
        assert_close(out.row.classes[0].stake, 95.0, 1e-12);
    }

    #[test]
    fn nav_grows_with_the_rewards_less_the_fee() {
        // No slash before day 3: two steps of 3.65 % a year, 10 % fee.
        let m = backed(0.0365, "fee = 0.1");
        let layout = series_of(&m);
        let out = simulate_path(&m, &layout, 0);
        let nav = layout
            .iter()
            .position(|s| s.metric.name() == "lrt_nav")
            .unwrap();
        let at_day_2 = out.series[2 * layout.len() + nav];
        let expected = (1.0 + 0.9 * 0.0001f64).powi(2);
        assert!((f64::from(at_day_2) - expected).abs() < 1e-6);
        // Without exits or entries, supply × NAV is the backing's stake
        // (the stakers earn the rate net of the fee).
        assert_close(out.row.lrts[0].nav, out.row.classes[0].stake / 100.0, 1e-12);
    }

    #[test]
    fn panicking_exits_sell_at_the_nav_and_nothing_once_the_nav_is_0() {
        use super::Lrts;
        use crate::engine::test_support::Parts;
        let m = backed(0.0, "panic_sell_share = 0.5\npool = { depth = 1000 }");
        let mut parts = Parts::start(&m);
        let sell_after_exits = |nav: f64, parts: &mut Parts| {
            let mut lrts = Lrts::new(&m);
            lrts.start(&m, &parts.classes);
            lrts.tokens[0].nav = nav;
            let before = lrts.tokens[0].price();
            parts.classes.runs[0].exiting_started += 50.0;
            lrts.sell_exits(&m, &parts.classes);
            (before, lrts.tokens[0].price(), lrts.tokens[0].last_exiting)
        };
        // NAV 1: half of the 50 ETH that started exiting is sold, 25
        // tokens into a pool of 1000 a side.
        let (before, after, seen) = sell_after_exits(1.0, &mut parts);
        assert_close(before, 1.0, 1e-15);
        assert_close(after, (1000.0 * 1000.0 / 1025.0) / 1025.0, 1e-12);
        assert_eq!(seen, 50.0);
        // NAV 0 (a backing slashed to nothing): no token count to sell, the
        // pool does not move, and the exits are taken as seen.
        let (before, after, seen) = sell_after_exits(0.0, &mut parts);
        assert_eq!(after, before);
        assert!(after.is_finite());
        assert_eq!(seen, 100.0);
    }

    #[test]
    fn with_an_infinitely_deep_pool_the_price_never_leaves_the_nav() {
        let m = backed(0.05, "panic_sell_share = 1.0");
        let layout = series_of(&m);
        let out = simulate_path(&m, &layout, 0);
        let col = |name: &str| layout.iter().position(|s| s.metric.name() == name).unwrap();
        let (nav, price) = (col("lrt_nav"), col("lrt_price"));
        for point in out.series.chunks(layout.len()) {
            assert_eq!(point[nav], point[price]);
        }
        assert_eq!(out.row.lrts[0].discount, 0.0);
    }
}
