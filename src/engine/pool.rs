//! An LRT's pool: a constant-product market maker (x · y = k) of tokens
//! against the underlying asset, or an infinitely deep one whose price is
//! always the NAV. Constant product is the model of the pools where LRTs
//! actually depegged (Curve and Uniswap v2-style pools without a peg
//! amplifier once drained): the price impact of a sale grows with its size
//! relative to the depth, and a pool never runs dry.

/// A pool's reserves.
#[derive(Debug, Clone, PartialEq)]
pub enum Pool {
    /// Infinitely deep: trades at NAV and never moves.
    Infinite,
    /// Constant product of the two reserves.
    ConstantProduct {
        /// Tokens held.
        tokens: f64,
        /// Underlying units held.
        underlying: f64,
    },
}

impl Pool {
    /// A constant-product pool with `depth` underlying units against
    /// `depth / price` tokens, so that it starts at `price`.
    pub fn balanced(depth: f64, price: f64) -> Pool {
        Pool::ConstantProduct {
            tokens: depth / price,
            underlying: depth,
        }
    }

    /// The marginal price, underlying units per token (`nav` for an
    /// infinite pool).
    pub fn price(&self, nav: f64) -> f64 {
        match *self {
            Pool::Infinite => nav,
            Pool::ConstantProduct { tokens, underlying } => underlying / tokens,
        }
    }

    /// Sells `amount` tokens into the pool; returns the underlying units
    /// received (at `nav` for an infinite pool).
    pub fn sell(&mut self, amount: f64, nav: f64) -> f64 {
        match self {
            Pool::Infinite => amount * nav,
            Pool::ConstantProduct { tokens, underlying } => {
                let k = *tokens * *underlying;
                let after = k / (*tokens + amount);
                let out = *underlying - after;
                *tokens += amount;
                *underlying = after;
                out
            }
        }
    }

    /// Moves the marginal price from p to p · (1 + `change`) by the trade
    /// that gets it there (a sale of tokens for `change` < 0, a purchase for
    /// `change` > 0), as a shock's `lrt_price` move does: with k = x · y,
    /// the token reserve becomes x / sqrt(1 + `change`) and the underlying
    /// k over that, so k is kept. `change` > −1 (validated). An infinitely
    /// deep pool cannot move: nothing happens.
    pub fn move_price(&mut self, change: f64) {
        if let Pool::ConstantProduct { tokens, underlying } = self {
            let k = *tokens * *underlying;
            let after = *tokens / (1.0 + change).sqrt();
            *tokens = after;
            *underlying = k / after;
        }
    }

    /// Buys tokens with up to `budget` underlying units, no further than
    /// the price `target`; returns (tokens bought, underlying spent). An
    /// infinite pool never trades below NAV, so nothing is bought.
    pub fn buy_up_to(&mut self, target: f64, budget: f64) -> (f64, f64) {
        match self {
            Pool::Infinite => (0.0, 0.0),
            Pool::ConstantProduct { tokens, underlying } => {
                let k = *tokens * *underlying;
                // At price p: underlying = sqrt(k · p).
                let needed = ((k * target).sqrt() - *underlying).max(0.0);
                let spend = needed.min(budget);
                if spend <= 0.0 {
                    return (0.0, 0.0);
                }
                let after = *underlying + spend;
                let tokens_after = k / after;
                let bought = *tokens - tokens_after;
                *tokens = tokens_after;
                *underlying = after;
                (bought, spend)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_follows_the_constant_product() {
        let mut pool = Pool::balanced(1000.0, 1.0);
        let out = pool.sell(100.0, 1.0);
        // 1000 · 1000 / 1100 left: 90.909… out.
        assert!((out - (1000.0 - 1e6 / 1100.0)).abs() < 1e-9);
        assert!((pool.price(1.0) - (1e6 / 1100.0) / 1100.0).abs() < 1e-12);
    }

    #[test]
    fn a_price_move_follows_the_closed_form_and_keeps_the_product() {
        for change in [-0.3, -0.9, 0.0, 0.25, 10.0] {
            let mut pool = Pool::balanced(1000.0, 1.0);
            pool.sell(150.0, 1.0);
            let before = pool.clone();
            let Pool::ConstantProduct { tokens, underlying } = before else {
                panic!("constant product")
            };
            let k = tokens * underlying;
            pool.move_price(change);
            let Pool::ConstantProduct {
                tokens: x,
                underlying: y,
            } = pool
            else {
                panic!("constant product")
            };
            // x' = x / sqrt(1 + change), y' = k / x'.
            let x_expected = tokens / (1.0 + change).sqrt();
            assert!(
                (x - x_expected).abs() < 1e-12 * x_expected,
                "change {change}"
            );
            assert!((y - k / x_expected).abs() < 1e-12 * y, "change {change}");
            assert!((x * y - k).abs() < 1e-9 * k, "change {change}");
            let expected = before.price(1.0) * (1.0 + change);
            assert!(
                (pool.price(1.0) - expected).abs() < 1e-12 * expected,
                "change {change}"
            );
        }
        // A 30 % fall from a balanced pool of depth 1000: 1000 / sqrt(0.7)
        // tokens against 1000 · sqrt(0.7) underlying.
        let mut pool = Pool::balanced(1000.0, 1.0);
        pool.move_price(-0.3);
        let Pool::ConstantProduct { tokens, underlying } = pool else {
            panic!("constant product")
        };
        assert!((tokens - 1000.0 / 0.7f64.sqrt()).abs() < 1e-9);
        assert!((underlying - 1000.0 * 0.7f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn an_infinite_pool_does_not_move_with_a_price_move() {
        let mut pool = Pool::Infinite;
        pool.move_price(-0.3);
        assert_eq!(pool, Pool::Infinite);
        assert_eq!(pool.price(1.05), 1.05);
    }

    #[test]
    fn an_infinite_pool_trades_at_nav_and_never_moves() {
        let mut pool = Pool::Infinite;
        assert_eq!(pool.sell(50.0, 1.02), 51.0);
        assert_eq!(pool.price(1.02), 1.02);
        assert_eq!(pool.buy_up_to(1.0, 100.0), (0.0, 0.0));
    }

    #[test]
    fn buying_stops_at_the_target_price_or_the_budget() {
        let mut pool = Pool::balanced(1000.0, 1.0);
        pool.sell(200.0, 1.0);
        let (bought, spent) = pool.buy_up_to(0.99, 1e9);
        assert!((pool.price(1.0) - 0.99).abs() < 1e-12);
        assert!(bought > 0.0 && spent > 0.0);
        let mut small = Pool::balanced(1000.0, 1.0);
        small.sell(200.0, 1.0);
        let (_, spent) = small.buy_up_to(0.99, 5.0);
        assert_eq!(spent, 5.0);
        assert!(small.price(1.0) < 0.99);
    }
}
