//! The final figures of one path: per class, protocol, LRT, lending market,
//! looping class and operator, and for the whole scenario, each a
//! [`Record`](super::record::Record) whose columns are those of `paths.csv`
//! (prefixed with the entity's name, or `total.`).

use crate::record;

record! {
    /// Final figures of one class on one path (native units of its asset).
    #[derive(Debug, Clone, PartialEq)]
    pub struct ClassFinal {
        /// Stake held at the horizon (including unbonding stake).
        pub stake: f64,
        /// Stake at entry, summed over stakers that entered.
        pub initial: f64,
        /// Rewards earned.
        pub rewards: f64,
        /// Stake slashed: exactly ((`losses_protocol` + `losses_shock`) +
        /// `losses_operator`) + `losses_attack`.
        pub losses: f64,
        /// Stake slashed by the protocols' own slashing.
        pub losses_protocol: f64,
        /// Stake slashed by shocks.
        pub losses_shock: f64,
        /// Stake slashed by operator faults.
        pub losses_operator: f64,
        /// Stake slashed by attacks.
        pub losses_attack: f64,
        /// Stake that exited.
        pub exits: f64,
        /// (rewards − losses) / initial.
        pub net_return: f64,
        /// (rewards × (1 − tax) − losses) / initial.
        pub after_tax_net_return: f64,
        /// Median over stakers of (rewards − losses) / initial stake.
        pub median_net_return: f64,
        /// ((initial + rewards − losses) × the horizon's price − initial ×
        /// the t = 0 price) / (initial × the t = 0 price): the net return in
        /// USD, price moves included.
        pub net_return_usd: f64,
        /// Active stakers at the horizon.
        pub stakers: u32,
        /// Stakers that entered after t = 0.
        pub entered: u32,
    }
}

record! {
    /// Final figures of one protocol on one path.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ProtocolFinal {
        /// Active TVL at the horizon, native units of its first asset.
        pub tvl_native: f64,
        /// Active TVL at the horizon, USD.
        pub tvl_usd: f64,
        /// APR at the horizon.
        pub apr: f64,
        /// Stake slashed in it, native units: exactly the sum of the four
        /// parts below, in their order.
        pub losses_native: f64,
        /// Of which by its own slashing.
        pub losses_protocol_native: f64,
        /// Of which by shocks.
        pub losses_shock_native: f64,
        /// Of which by operator faults.
        pub losses_operator_native: f64,
        /// Of which by attacks.
        pub losses_attack_native: f64,
        /// Active TVL at t = 0, native units.
        pub tvl_native_initial: f64,
        /// Stake slashed in it over its TVL at t = 0.
        pub loss_fraction: f64,
        /// Slashes applied.
        pub slash_events: u64,
    }
}

record! {
    /// Whole-scenario figures of one path. Returns value stake, rewards and
    /// losses at t = 0 prices, so price moves do not count as yield.
    #[derive(Debug, Clone, PartialEq)]
    pub struct TotalFinal {
        /// (rewards − losses) / initial stake, at t = 0 prices.
        pub net_return: f64,
        /// After tax, at t = 0 prices.
        pub after_tax_net_return: f64,
        /// (Σ (initial + rewards − losses) × the horizon's prices − initial
        /// USD) / initial USD: the net return in USD, price moves included.
        pub net_return_usd: f64,
        /// Stake at entry at t = 0 prices, USD.
        pub initial_usd: f64,
        /// Rewards at t = 0 prices, USD.
        pub rewards_usd: f64,
        /// Losses at t = 0 prices, USD: exactly the sum of the four parts
        /// below, in their order.
        pub losses_usd: f64,
        /// Of which by the protocols' own slashing.
        pub losses_protocol_usd: f64,
        /// Of which by shocks.
        pub losses_shock_usd: f64,
        /// Of which by operator faults.
        pub losses_operator_usd: f64,
        /// Of which by attacks.
        pub losses_attack_usd: f64,
        /// Active TVL at the horizon at the horizon's prices, USD.
        pub tvl_usd: f64,
        /// Slashes applied.
        pub slash_events: u64,
    }
}

record! {
    /// Final figures of one liquid restaking token on one path.
    #[derive(Debug, Clone, PartialEq)]
    pub struct LrtFinal {
        /// NAV at the horizon, underlying units per token.
        pub nav: f64,
        /// Pool price at the horizon.
        pub price: f64,
        /// 1 − price / NAV at the horizon.
        pub discount: f64,
        /// Tokens in the redemption queue at the horizon, at NAV.
        pub redemption_queue: f64,
    }
}

record! {
    /// Final figures of one lending market on one path.
    #[derive(Debug, Clone, PartialEq)]
    pub struct MarketFinal {
        /// Borrow APR at the horizon.
        pub borrow_apr: f64,
        /// Utilisation at the horizon.
        pub utilisation: f64,
        /// Debt repaid by liquidations, USD at each day's price.
        pub liquidations_usd: f64,
        /// Debt left unpaid, USD at each day's price.
        pub bad_debt_usd: f64,
        /// Liquidations.
        pub liquidations: u64,
    }
}

record! {
    /// Final figures of one looping class's loops on one path (native
    /// units of its asset).
    #[derive(Debug, Clone, PartialEq)]
    pub struct LoopFinal {
        /// Σ (position − debt) when the loops opened.
        pub equity_initial: f64,
        /// Interest accrued on the debts.
        pub interest: f64,
        /// Stake seized by liquidations beyond the debt repaid.
        pub liquidation_cost: f64,
        /// Debt written off (the borrowers' gain, the lenders' loss).
        pub bad_debt: f64,
        /// (rewards − losses − interest − liquidation_cost + bad_debt) /
        /// equity_initial: the return on the equity the loopers put in.
        pub equity_net_return: f64,
    }
}

record! {
    /// Final figures of one operator on one path: its delegators' stake,
    /// its commission and their losses.
    #[derive(Debug, Clone, PartialEq)]
    pub struct OperatorFinal {
        /// Stake delegated to it at t = 0, USD at t = 0 prices.
        pub delegated_usd_initial: f64,
        /// Stake delegated to it at the horizon (unbonding included), USD
        /// at the horizon's prices.
        pub delegated_stake_usd: f64,
        /// Commission it kept, USD at t = 0 prices.
        pub commission_usd: f64,
        /// Stake its delegators lost, USD at t = 0 prices.
        pub delegator_losses_usd: f64,
        /// Slashes naming it (operator faults, shocks naming it, attacks it
        /// took part in).
        pub slash_events: u64,
    }
}

/// The final figures of one path (its row in `paths.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    /// Path index.
    pub path: u32,
    /// Per class.
    pub classes: Vec<ClassFinal>,
    /// Per protocol.
    pub protocols: Vec<ProtocolFinal>,
    /// Per LRT.
    pub lrts: Vec<LrtFinal>,
    /// Per lending market.
    pub markets: Vec<MarketFinal>,
    /// Per looping class, in class order.
    pub loops: Vec<LoopFinal>,
    /// Per operator.
    pub operators: Vec<OperatorFinal>,
    /// Whole scenario.
    pub total: TotalFinal,
}

/// Which part of a path's final figures a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A class (index).
    Class(usize),
    /// A protocol (index).
    Protocol(usize),
    /// An LRT (index).
    Lrt(usize),
    /// A lending market (index).
    Market(usize),
    /// A looping class (index among looping classes).
    Loop(usize),
    /// An operator (index).
    Operator(usize),
    /// The whole scenario.
    Total,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Class(c) => write!(f, "class {c}"),
            Part::Protocol(p) => write!(f, "protocol {p}"),
            Part::Lrt(l) => write!(f, "LRT {l}"),
            Part::Market(m) => write!(f, "lending market {m}"),
            Part::Loop(c) => write!(f, "looping class {c}"),
            Part::Operator(o) => write!(f, "operator {o}"),
            Part::Total => f.write_str("the total"),
        }
    }
}

impl PathRow {
    /// The first final figure that is not finite: where, which column, and
    /// its value.
    pub fn first_non_finite(&self) -> Option<(Part, &'static str, f64)> {
        use super::record::Record;
        let classes = self.classes.iter().enumerate().find_map(|(c, k)| {
            k.first_non_finite()
                .map(|(column, x)| (Part::Class(c), column, x))
        });
        let protocols = || {
            self.protocols.iter().enumerate().find_map(|(p, k)| {
                k.first_non_finite()
                    .map(|(column, x)| (Part::Protocol(p), column, x))
            })
        };
        let lrts = || {
            self.lrts.iter().enumerate().find_map(|(l, k)| {
                k.first_non_finite()
                    .map(|(column, x)| (Part::Lrt(l), column, x))
            })
        };
        let markets = || {
            self.markets.iter().enumerate().find_map(|(m, k)| {
                k.first_non_finite()
                    .map(|(column, x)| (Part::Market(m), column, x))
            })
        };
        let loops = || {
            self.loops.iter().enumerate().find_map(|(c, k)| {
                k.first_non_finite()
                    .map(|(column, x)| (Part::Loop(c), column, x))
            })
        };
        let operators = || {
            self.operators.iter().enumerate().find_map(|(o, k)| {
                k.first_non_finite()
                    .map(|(column, x)| (Part::Operator(o), column, x))
            })
        };
        let total = || {
            self.total
                .first_non_finite()
                .map(|(column, x)| (Part::Total, column, x))
        };
        classes
            .or_else(protocols)
            .or_else(lrts)
            .or_else(markets)
            .or_else(loops)
            .or_else(operators)
            .or_else(total)
    }
}
