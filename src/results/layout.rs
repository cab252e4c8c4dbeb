//! The time series a path records: which metric of which entity, in which
//! order. Metrics are closed sets, one enum per kind of entity, so that
//! whatever records or reads a series matches them exhaustively. Built once
//! per run from the model; every path fills one `f32` per series per
//! recorded step in this order.

use crate::model::Model;

/// Declares a metric enum, its recording order ([`ALL`](ProtocolMetric::ALL))
/// and the names written to `timeseries.csv`, in one list.
macro_rules! metrics {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant ),*
        }

        impl $name {
            /// Every metric of this kind, in recording order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name written to `timeseries.csv`.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }
    };
}

metrics! {
    /// Metrics recorded per protocol (native units of its first asset
    /// unless the name says USD).
    pub enum ProtocolMetric {
        /// Active TVL, native units.
        TvlNative = "tvl_native",
        /// Active TVL, USD.
        TvlUsd = "tvl_usd",
        /// APR paid.
        Apr = "apr",
        /// Stakers with an active allocation to it.
        Stakers = "stakers",
        /// Stake slashed in it, cumulative: the sum of the four parts below.
        LossesCum = "losses_cum",
        /// Of which by the protocol's own slashing.
        LossesProtocolCum = "losses_protocol_cum",
        /// Of which by shocks.
        LossesShockCum = "losses_shock_cum",
        /// Of which by operator faults.
        LossesOperatorCum = "losses_operator_cum",
        /// Of which by attacks.
        LossesAttackCum = "losses_attack_cum",
        /// Slashes applied, cumulative.
        SlashEventsCum = "slash_events_cum",
    }
}

metrics! {
    /// Metrics recorded per staker class (native units of its asset).
    pub enum ClassMetric {
        /// Stake held.
        Stake = "stake",
        /// Stake held, USD.
        StakeUsd = "stake_usd",
        /// Rewards earned, cumulative.
        RewardsCum = "rewards_cum",
        /// Stake slashed, cumulative: the sum of the four parts below.
        LossesCum = "losses_cum",
        /// Of which by the protocols' own slashing.
        LossesProtocolCum = "losses_protocol_cum",
        /// Of which by shocks.
        LossesShockCum = "losses_shock_cum",
        /// Of which by operator faults.
        LossesOperatorCum = "losses_operator_cum",
        /// Of which by attacks.
        LossesAttackCum = "losses_attack_cum",
        /// Stake exited, cumulative.
        ExitsCum = "exits_cum",
        /// Stake of exits started but not yet released (unbonding).
        StakeExiting = "stake_exiting",
        /// (rewards − losses) / initial stake.
        NetReturn = "net_return",
        /// APR earned on the stake held.
        Apr = "apr",
        /// Active stakers.
        Stakers = "stakers",
    }
}

metrics! {
    /// Metrics recorded per asset.
    pub enum AssetMetric {
        /// USD price.
        PriceUsd = "price_usd",
        /// Stake held in the asset, native units.
        TvlNative = "tvl_native",
        /// Stake held in the asset, USD.
        TvlUsd = "tvl_usd",
    }
}

metrics! {
    /// Metrics recorded for the whole scenario (USD at the day's prices
    /// unless cumulative, which are at t = 0 prices).
    pub enum TotalMetric {
        /// Active TVL over protocols, USD.
        TvlUsd = "tvl_usd",
        /// Stake held, USD.
        StakeUsd = "stake_usd",
        /// Rewards, cumulative, USD at t = 0 prices.
        RewardsCumUsd = "rewards_cum_usd",
        /// Losses, cumulative, USD at t = 0 prices: the sum of the four
        /// parts below.
        LossesCumUsd = "losses_cum_usd",
        /// Of which by the protocols' own slashing.
        LossesProtocolCumUsd = "losses_protocol_cum_usd",
        /// Of which by shocks.
        LossesShockCumUsd = "losses_shock_cum_usd",
        /// Of which by operator faults.
        LossesOperatorCumUsd = "losses_operator_cum_usd",
        /// Of which by attacks.
        LossesAttackCumUsd = "losses_attack_cum_usd",
        /// Slashes applied, cumulative.
        SlashEventsCum = "slash_events_cum",
        /// Active stakers.
        Stakers = "stakers",
    }
}

metrics! {
    /// Metrics recorded per liquid restaking token (underlying units).
    pub enum LrtMetric {
        /// Net asset value, underlying units per token.
        Nav = "lrt_nav",
        /// Pool price, underlying units per token.
        Price = "lrt_price",
        /// 1 − price / NAV.
        Discount = "lrt_discount",
        /// Tokens waiting in the redemption queue, at NAV, underlying units.
        RedemptionQueue = "redemption_queue",
    }
}

metrics! {
    /// Metrics recorded per lending market.
    pub enum MarketMetric {
        /// Borrow APR.
        BorrowApr = "borrow_apr",
        /// Borrowed / supplied.
        Utilisation = "utilisation",
        /// Debt repaid by liquidations, cumulative, USD.
        LiquidationsUsdCum = "liquidations_usd_cum",
        /// Debt left unpaid, cumulative, USD.
        BadDebtUsdCum = "bad_debt_usd_cum",
    }
}

metrics! {
    /// Metrics recorded per operator (entity: its name); the last one also
    /// per operator and protocol it serves (entity: `<operator>/<protocol>`).
    pub enum OperatorMetric {
        /// Stake of its delegators (unbonding included), USD at the day's
        /// prices.
        DelegatedStakeUsd = "delegated_stake_usd",
        /// Commission it kept, cumulative, USD at t = 0 prices.
        CommissionCumUsd = "commission_cum_usd",
        /// Slashes naming it, cumulative.
        SlashEventsCum = "slash_events_cum",
        /// Stake its delegators lost, cumulative, USD at t = 0 prices.
        DelegatorLossesCumUsd = "delegator_losses_cum_usd",
    }
}

metrics! {
    /// Metrics recorded per looping staker class, after its class metrics.
    pub enum LoopMetric {
        /// Restaked position / equity at NAV over the class's open loops.
        Leverage = "leverage",
        /// The class's return on the equity it put in, cumulative.
        EquityNetReturn = "equity_net_return",
    }
}

metrics! {
    /// Metrics recorded per attackable protocol (one with a `corruption`),
    /// with `run.attacks` only.
    pub enum ServiceMetric {
        /// Value stolen by attacks on it, cumulative, USD.
        StolenUsdCum = "stolen_usd_cum",
    }
}

metrics! {
    /// Metrics recorded for the whole network's security, with
    /// `run.attacks` only.
    pub enum SecurityMetric {
        /// Services an attack has corrupted so far (each was found open to
        /// a profitable attack and attacked).
        InsecureServices = "insecure_services",
        /// Attacks so far.
        AttacksCum = "attacks_cum",
        /// γ after the step's attacks: the cheapest attack's cost ÷ profit
        /// − 1, capped at 1000 (nothing can be attacked).
        SecuritySlack = "security_slack",
        /// Value stolen by attacks, cumulative, USD.
        StolenUsdCum = "stolen_usd_cum",
    }
}

/// A recorded metric of one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Of a protocol (index).
    Protocol(usize, ProtocolMetric),
    /// Of a staker class (index).
    Class(usize, ClassMetric),
    /// Of an asset (index).
    Asset(usize, AssetMetric),
    /// Of a looping staker class (index).
    Loop(usize, LoopMetric),
    /// Of an LRT (index).
    Lrt(usize, LrtMetric),
    /// Of a lending market (index).
    Market(usize, MarketMetric),
    /// Of an operator (index).
    Operator(usize, OperatorMetric),
    /// Of an operator's delegators in one protocol it serves (operator
    /// index, protocol index): only their losses.
    OperatorProtocol(usize, usize),
    /// Of the whole scenario.
    Total(TotalMetric),
    /// Of an attackable protocol (index).
    Service(usize, ServiceMetric),
    /// Of the network's security.
    Security(SecurityMetric),
}

impl Metric {
    /// The metric's name as written to `timeseries.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Protocol(_, m) => m.name(),
            Metric::Class(_, m) => m.name(),
            Metric::Asset(_, m) => m.name(),
            Metric::Loop(_, m) => m.name(),
            Metric::Lrt(_, m) => m.name(),
            Metric::Market(_, m) => m.name(),
            Metric::Operator(_, m) => m.name(),
            Metric::OperatorProtocol(..) => OperatorMetric::DelegatorLossesCumUsd.name(),
            Metric::Total(m) => m.name(),
            Metric::Service(_, m) => m.name(),
            Metric::Security(m) => m.name(),
        }
    }
}

/// One recorded series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// What is recorded, of which entity.
    pub metric: Metric,
    /// Entity name as written to `timeseries.csv`.
    pub entity: String,
}

/// The number of series [`series_of`] gives for `model`, without building
/// them (the memory estimate uses it).
pub fn series_count(model: &Model) -> usize {
    let loops = model.classes.iter().filter(|c| c.is_loop()).count();
    model.protocols.len() * ProtocolMetric::ALL.len()
        + model.classes.len() * ClassMetric::ALL.len()
        + loops * LoopMetric::ALL.len()
        + model.assets.len() * AssetMetric::ALL.len()
        + model.lrts.len() * LrtMetric::ALL.len()
        + model.markets.len() * MarketMetric::ALL.len()
        + model.operators.len() * OperatorMetric::ALL.len()
        + model
            .operators
            .iter()
            .map(|o| o.serves.iter().filter(|&&s| s).count())
            .sum::<usize>()
        + TotalMetric::ALL.len()
        + if model.run.attacks {
            attackable(model).count() * ServiceMetric::ALL.len() + SecurityMetric::ALL.len()
        } else {
            0
        }
}

/// The protocols attacks can target: those with a `corruption`.
fn attackable(model: &Model) -> impl Iterator<Item = usize> + '_ {
    (0..model.protocols.len()).filter(|&p| model.protocols[p].corruption.is_some())
}

/// The entity name of operator `operator`'s delegators in `protocol`.
pub fn operator_protocol_entity(operator: &str, protocol: &str) -> String {
    format!("{operator}/{protocol}")
}

/// The series of a model, in recording order: protocols, classes (a loop
/// class's leverage after its class metrics), assets, LRTs, lending
/// markets, operators (each followed by its delegators' losses in each
/// protocol it serves), total; with `run.attacks`, then attackable protocols and the
/// network's security.
pub fn series_of(model: &Model) -> Vec<Series> {
    let mut out = Vec::with_capacity(series_count(model));
    for (i, p) in model.protocols.iter().enumerate() {
        for &m in ProtocolMetric::ALL {
            out.push(Series {
                metric: Metric::Protocol(i, m),
                entity: p.name.clone(),
            });
        }
    }
    for (i, c) in model.classes.iter().enumerate() {
        for &m in ClassMetric::ALL {
            out.push(Series {
                metric: Metric::Class(i, m),
                entity: c.name.clone(),
            });
        }
        if c.is_loop() {
            for &m in LoopMetric::ALL {
                out.push(Series {
                    metric: Metric::Loop(i, m),
                    entity: c.name.clone(),
                });
            }
        }
    }
    for (i, a) in model.assets.iter().enumerate() {
        for &m in AssetMetric::ALL {
            out.push(Series {
                metric: Metric::Asset(i, m),
                entity: a.name.clone(),
            });
        }
    }
    for (i, l) in model.lrts.iter().enumerate() {
        for &m in LrtMetric::ALL {
            out.push(Series {
                metric: Metric::Lrt(i, m),
                entity: l.name.clone(),
            });
        }
    }
    for (i, k) in model.markets.iter().enumerate() {
        for &m in MarketMetric::ALL {
            out.push(Series {
                metric: Metric::Market(i, m),
                entity: k.name.clone(),
            });
        }
    }
    for (o, op) in model.operators.iter().enumerate() {
        for &m in OperatorMetric::ALL {
            out.push(Series {
                metric: Metric::Operator(o, m),
                entity: op.name.clone(),
            });
        }
        for (p, proto) in model.protocols.iter().enumerate() {
            if op.serves[p] {
                out.push(Series {
                    metric: Metric::OperatorProtocol(o, p),
                    entity: operator_protocol_entity(&op.name, &proto.name),
                });
            }
        }
    }
    for &m in TotalMetric::ALL {
        out.push(Series {
            metric: Metric::Total(m),
            entity: "total".into(),
        });
    }
    if model.run.attacks {
        for p in attackable(model) {
            for &m in ServiceMetric::ALL {
                out.push(Series {
                    metric: Metric::Service(p, m),
                    entity: model.protocols[p].name.clone(),
                });
            }
        }
        for &m in SecurityMetric::ALL {
            out.push(Series {
                metric: Metric::Security(m),
                entity: "total".into(),
            });
        }
    }
    out
}
