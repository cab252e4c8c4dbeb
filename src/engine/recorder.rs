//! The recorder: on recording steps, one `f32` per series of the layout,
//! read from the path's state. Every metric is matched exhaustively, so a
//! new metric cannot record another's value.

use super::attacks::Attacks;
use super::classes::Classes;
use super::lending::Lending;
use super::lrt::Lrts;
use super::market::Market;
use super::operators::{self, Operators};
use super::protocols::ProtocolBook;
use super::stakers::Status;
use crate::model::Model;
use crate::results::{
    AssetMetric, ClassMetric, LoopMetric, LossSource, LrtMetric, MarketMetric, Metric,
    OperatorMetric, ProtocolMetric, SecurityMetric, Series, ServiceMetric, SourceLosses,
    TotalMetric,
};

/// What a path records, and when.
#[derive(Debug, Clone)]
pub struct Recorder<'m> {
    layout: &'m [Series],
    recorded: Vec<u32>,
    next_record: usize,
    /// Recorded values, `recorded steps × series`, in layout order.
    pub values: Vec<f32>,
}

/// The state a record reads.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The scenario.
    pub model: &'a Model,
    /// Prices.
    pub market: &'a Market,
    /// Protocols, APRs up to date.
    pub protocols: &'a ProtocolBook,
    /// Classes.
    pub classes: &'a Classes,
    /// LRTs.
    pub lrts: &'a Lrts,
    /// Lending markets.
    pub lending: &'a Lending,
    /// Attacks.
    pub attacks: &'a Attacks,
    /// Operators, delegated stake tallied at today's prices.
    pub operators: &'a Operators,
    /// Per operator: slashes naming it so far.
    pub operator_slashes: &'a [u64],
}

impl<'m> Recorder<'m> {
    /// A recorder of `layout` on `model`'s recording steps.
    pub fn new(model: &Model, layout: &'m [Series]) -> Recorder<'m> {
        let recorded = model.run.recorded_steps();
        Recorder {
            layout,
            values: Vec::with_capacity(recorded.len() * layout.len()),
            recorded,
            next_record: 0,
        }
    }

    /// The series recorded, in order.
    pub fn layout(&self) -> &'m [Series] {
        self.layout
    }

    /// Whether the state at the end of step `step` (0: at t = 0) is
    /// recorded; a true answer counts the record as taken.
    pub fn take_due(&mut self, step: u32) -> bool {
        if self.recorded.get(self.next_record) != Some(&step) {
            return false;
        }
        self.next_record += 1;
        true
    }

    /// Appends one value per series, read from `view`.
    pub fn record(&mut self, view: View<'_>) {
        for s in self.layout {
            self.values.push(value(view, s.metric) as f32);
        }
    }
}

/// One metric's value now.
pub(super) fn value(view: View<'_>, metric: Metric) -> f64 {
    let View {
        model,
        market,
        protocols: book,
        classes,
        lrts,
        lending,
        attacks,
        operators: ops,
        operator_slashes,
    } = view;
    let prices = &market.prices;
    let p0 = &market.initial;
    match metric {
        Metric::Protocol(p, m) => match m {
            ProtocolMetric::TvlNative => book.tvl_native[p],
            ProtocolMetric::TvlUsd => book.tvl_usd[p],
            ProtocolMetric::Apr => book.apr[p],
            ProtocolMetric::Stakers => f64::from(book.backers[p]),
            ProtocolMetric::LossesCum => book.losses[p].total(),
            ProtocolMetric::LossesProtocolCum => book.losses[p].part(LossSource::Protocol),
            ProtocolMetric::LossesShockCum => book.losses[p].part(LossSource::Shock),
            ProtocolMetric::LossesOperatorCum => book.losses[p].part(LossSource::Operator),
            ProtocolMetric::LossesAttackCum => book.losses[p].part(LossSource::Attack),
            ProtocolMetric::SlashEventsCum => book.slash_events[p] as f64,
        },
        Metric::Class(c, m) => {
            let run = &classes.runs[c];
            match m {
                ClassMetric::Stake => run.stake,
                ClassMetric::StakeUsd => run.stake * prices[model.classes[c].asset],
                ClassMetric::RewardsCum => run.rewards,
                ClassMetric::LossesCum => run.losses.total(),
                ClassMetric::LossesProtocolCum => run.losses.part(LossSource::Protocol),
                ClassMetric::LossesShockCum => run.losses.part(LossSource::Shock),
                ClassMetric::LossesOperatorCum => run.losses.part(LossSource::Operator),
                ClassMetric::LossesAttackCum => run.losses.part(LossSource::Attack),
                ClassMetric::ExitsCum => run.exits,
                ClassMetric::StakeExiting => {
                    let st = &classes.stakers;
                    run.members()
                        .filter(|&i| st.cohort[i].status == Status::Exiting)
                        .map(|i| st.stake[i])
                        .sum()
                }
                ClassMetric::NetReturn => ratio(run.rewards - run.losses.total(), run.initial),
                // Without an active staker nothing earns; the running TVL
                // and stake then hold only rounding, whose ratio means nothing.
                ClassMetric::Apr if run.active == 0 => 0.0,
                ClassMetric::Apr => {
                    let earning: f64 = (0..book.earning.len())
                        // A running TVL: rounding leaves nothing below 0.
                        .map(|p| {
                            run.tvl[classes.stakers.active_index(p)].max(0.0) * book.earning[p]
                        })
                        .sum();
                    ratio(earning, run.stake)
                }
                ClassMetric::Stakers => f64::from(run.active),
            }
        }
        Metric::Asset(a, m) => {
            let stake = || -> f64 {
                classes
                    .runs
                    .iter()
                    .zip(&model.classes)
                    .filter(|(_, k)| k.asset == a)
                    .map(|(r, _)| r.stake)
                    .sum()
            };
            match m {
                AssetMetric::PriceUsd => prices[a],
                AssetMetric::TvlNative => stake(),
                AssetMetric::TvlUsd => stake() * prices[a],
            }
        }
        Metric::Loop(c, m) => match m {
            LoopMetric::Leverage => {
                let (position, debt) = lending.class_exposure(classes, c);
                ratio(position, position - debt)
            }
            LoopMetric::EquityNetReturn => lending.equity_net_return(classes, c),
        },
        Metric::Lrt(l, m) => {
            let token = &lrts.tokens[l];
            match m {
                LrtMetric::Nav => token.nav,
                LrtMetric::Price => token.price(),
                LrtMetric::Discount => token.discount(),
                LrtMetric::RedemptionQueue => token.queued * token.nav,
            }
        }
        Metric::Market(k, m) => {
            let state = &lending.markets[k];
            match m {
                MarketMetric::BorrowApr => state.borrow_apr,
                MarketMetric::Utilisation => state.utilisation(model.markets[k].liquidity),
                MarketMetric::LiquidationsUsdCum => state.liquidations_usd,
                MarketMetric::BadDebtUsdCum => state.bad_debt_usd,
            }
        }
        Metric::Operator(o, m) => match m {
            OperatorMetric::DelegatedStakeUsd => ops.delegated_usd[o],
            OperatorMetric::CommissionCumUsd => operators::commission_usd(model, classes, p0, o),
            OperatorMetric::SlashEventsCum => operator_slashes[o] as f64,
            OperatorMetric::DelegatorLossesCumUsd => {
                operators::delegator_losses_total_usd(model, classes, p0, o)
            }
        },
        Metric::OperatorProtocol(o, p) => operators::delegator_losses_usd(model, classes, p0, o, p),
        Metric::Total(m) => match m {
            TotalMetric::TvlUsd => book.tvl_usd.iter().sum(),
            TotalMetric::StakeUsd => classes.value(model, prices, |r| r.stake),
            TotalMetric::RewardsCumUsd => classes.value(model, p0, |r| r.rewards),
            TotalMetric::LossesCumUsd => losses_usd(view).total(),
            TotalMetric::LossesProtocolCumUsd => losses_usd(view).part(LossSource::Protocol),
            TotalMetric::LossesShockCumUsd => losses_usd(view).part(LossSource::Shock),
            TotalMetric::LossesOperatorCumUsd => losses_usd(view).part(LossSource::Operator),
            TotalMetric::LossesAttackCumUsd => losses_usd(view).part(LossSource::Attack),
            TotalMetric::SlashEventsCum => book.total_slash_events() as f64,
            TotalMetric::Stakers => classes.runs.iter().map(|r| f64::from(r.active)).sum(),
        },
        Metric::Service(p, m) => match m {
            ServiceMetric::StolenUsdCum => attacks.stolen_usd[p],
        },
        Metric::Security(m) => match m {
            SecurityMetric::InsecureServices => attacks.corrupted_services() as f64,
            SecurityMetric::AttacksCum => attacks.attacks as f64,
            SecurityMetric::SecuritySlack => attacks.slack,
            SecurityMetric::StolenUsdCum => attacks.stolen_total_usd(),
        },
    }
}

/// Every class's losses by cause, USD at t = 0 prices.
fn losses_usd(view: View<'_>) -> SourceLosses {
    total_losses_usd(view.model, view.classes, &view.market.initial)
}

/// Every class's losses by cause, each part summed over classes at the
/// prices `p0`; the total is the sum of the parts.
pub fn total_losses_usd(model: &Model, classes: &Classes, p0: &[f64]) -> SourceLosses {
    SourceLosses::from_fn(|s| classes.value(model, p0, |r| r.losses.part(s)))
}

/// `num / den`, 0 when `den` is 0.
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, RUN_AND_ETH, model, parse_model};
    use crate::results::series_of;

    const ONE_PROTOCOL: &str = r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }
"#;

    #[test]
    fn a_record_is_due_exactly_on_the_recorded_steps() {
        // 10 steps recorded every 4 days: 0, 4, 8 and the last, 10.
        let run = RUN_AND_ETH.replace("record_every_days = 1", "record_every_days = 4");
        let model = parse_model(&format!("{run}{ONE_PROTOCOL}"));
        let layout = series_of(&model);
        let mut recorder = Recorder::new(&model, &layout);
        assert_eq!(recorder.layout().len(), 10 + 13 + 3 + 10);
        let due: Vec<u32> = (0..=10).filter(|&s| recorder.take_due(s)).collect();
        assert_eq!(due, [0, 4, 8, 10]);
        // Each record is taken once.
        assert!(!recorder.take_due(10));
        let mut again = Recorder::new(&model, &layout);
        assert!(again.take_due(0));
        assert!(!again.take_due(0));
    }

    /// ETH and BTC; protocol p0 on ETH, p1 on BTC; class c0 stakes ETH in
    /// p0, c1 BTC in p1.
    fn two_of_each() -> Model {
        model(
            r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p1"
assets = ["BTC"]
apr = { curve = "constant", value = 0.03 }

[[staker]]
class = "c0"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p0 = 1.0 }

[[staker]]
class = "c1"
count = 1
asset = "BTC"
stake = { dist = "fixed", value = 1 }
allocate = { p1 = 1.0 }
"#,
        )
    }

    /// A hand-made state: none of it follows from the others, so that
    /// each metric reads its own figure.
    fn hand_made(model: &Model) -> Parts {
        let mut parts = Parts::empty(model);
        parts.market.prices = vec![2500.0, 30_000.0];
        let book = &mut parts.protocols;
        book.tvl_native = vec![10.0, 2.0];
        book.tvl_usd = vec![20_000.0, 80_000.0];
        book.apr = vec![0.05, 0.03];
        book.earning = vec![0.04, 0.025];
        book.backers = vec![3, 1];
        book.losses = vec![
            SourceLosses::from_parts([1.0, 0.5, 0.0, 0.0]),
            SourceLosses::from_parts([0.0, 0.0, 0.25, 0.0]),
        ];
        book.slash_events = vec![2, 1];
        let runs = &mut parts.classes.runs;
        runs[0].stake = 12.0;
        runs[0].rewards = 3.0;
        runs[0].losses = SourceLosses::from_parts([0.25, 0.5, 0.125, 0.125]);
        runs[0].exits = 0.5;
        runs[0].initial = 10.0;
        runs[0].active = 3;
        runs[0].tvl[0] = 8.0;
        runs[0].tvl[1] = 100.0; // another protocol's index: earns at p1's rate
        runs[1].stake = 2.0;
        runs[1].rewards = 0.1;
        runs[1].losses = SourceLosses::from_parts([0.05, 0.0, 0.0, 0.0]);
        runs[1].initial = 2.0;
        runs[1].active = 1;
        runs[1].tvl[1] = 2.0;
        parts
    }

    #[test]
    fn every_metric_reads_its_own_figure() {
        let model = two_of_each();
        let parts = hand_made(&model);
        let view = View {
            model: &model,
            market: &parts.market,
            protocols: &parts.protocols,
            classes: &parts.classes,
            lrts: &parts.lrts,
            lending: &parts.lending,
            attacks: &Attacks::new(&model),
            operators: &Operators::new(&model),
            operator_slashes: &[],
        };
        let v = |m| value(view, m);
        use Metric::{Asset, Class, Protocol, Total};
        let protocol = [
            (ProtocolMetric::TvlNative, 2.0),
            (ProtocolMetric::TvlUsd, 80_000.0),
            (ProtocolMetric::Apr, 0.03),
            (ProtocolMetric::Stakers, 1.0),
            (ProtocolMetric::LossesCum, 0.25),
            (ProtocolMetric::LossesProtocolCum, 0.0),
            (ProtocolMetric::LossesShockCum, 0.0),
            (ProtocolMetric::LossesOperatorCum, 0.25),
            (ProtocolMetric::LossesAttackCum, 0.0),
            (ProtocolMetric::SlashEventsCum, 1.0),
        ];
        for (m, expected) in protocol {
            assert_eq!(v(Protocol(1, m)), expected, "{m:?}");
        }
        let class = [
            (ClassMetric::Stake, 12.0),
            (ClassMetric::StakeUsd, 12.0 * 2500.0),
            (ClassMetric::RewardsCum, 3.0),
            (ClassMetric::LossesCum, 1.0),
            (ClassMetric::LossesProtocolCum, 0.25),
            (ClassMetric::LossesShockCum, 0.5),
            (ClassMetric::LossesOperatorCum, 0.125),
            (ClassMetric::LossesAttackCum, 0.125),
            (ClassMetric::ExitsCum, 0.5),
            (ClassMetric::StakeExiting, 0.0),
            (ClassMetric::NetReturn, (3.0 - 1.0) / 10.0),
            (ClassMetric::Apr, (8.0 * 0.04 + 100.0 * 0.025) / 12.0),
            (ClassMetric::Stakers, 3.0),
        ];
        for (m, expected) in class {
            assert_eq!(v(Class(0, m)), expected, "{m:?}");
        }
        assert_eq!(v(Class(1, ClassMetric::StakeUsd)), 60_000.0);
        assert_eq!(v(Class(1, ClassMetric::Apr)), 0.025);
        let asset = [
            (0, AssetMetric::PriceUsd, 2500.0),
            (0, AssetMetric::TvlNative, 12.0),
            (0, AssetMetric::TvlUsd, 30_000.0),
            (1, AssetMetric::PriceUsd, 30_000.0),
            (1, AssetMetric::TvlNative, 2.0),
            (1, AssetMetric::TvlUsd, 60_000.0),
        ];
        for (a, m, expected) in asset {
            assert_eq!(v(Asset(a, m)), expected, "{a} {m:?}");
        }
        let total = [
            (TotalMetric::TvlUsd, 100_000.0),
            (TotalMetric::StakeUsd, 90_000.0),
            // Cumulative figures at t = 0 prices (2,000 and 40,000).
            (TotalMetric::RewardsCumUsd, 3.0 * 2000.0 + 0.1 * 40_000.0),
            (TotalMetric::LossesCumUsd, 1.0 * 2000.0 + 0.05 * 40_000.0),
            (
                TotalMetric::LossesProtocolCumUsd,
                0.25 * 2000.0 + 0.05 * 40_000.0,
            ),
            (TotalMetric::LossesShockCumUsd, 0.5 * 2000.0),
            (TotalMetric::LossesOperatorCumUsd, 0.125 * 2000.0),
            (TotalMetric::LossesAttackCumUsd, 0.125 * 2000.0),
            (TotalMetric::SlashEventsCum, 3.0),
            (TotalMetric::Stakers, 4.0),
        ];
        for (m, expected) in total {
            assert_eq!(v(Total(m)), expected, "{m:?}");
        }
    }

    #[test]
    fn a_class_with_nothing_staked_has_zero_apr_and_net_return() {
        let model = two_of_each();
        let mut parts = hand_made(&model);
        let run = &mut parts.classes.runs[1];
        (run.stake, run.initial) = (0.0, 0.0);
        let view = View {
            model: &model,
            market: &parts.market,
            protocols: &parts.protocols,
            classes: &parts.classes,
            lrts: &parts.lrts,
            lending: &parts.lending,
            attacks: &Attacks::new(&model),
            operators: &Operators::new(&model),
            operator_slashes: &[],
        };
        assert_eq!(value(view, Metric::Class(1, ClassMetric::Apr)), 0.0);
        assert_eq!(value(view, Metric::Class(1, ClassMetric::NetReturn)), 0.0);
        assert_eq!(ratio(1.0, 0.0), 0.0);
        assert_eq!(ratio(1.0, 4.0), 0.25);
    }

    #[test]
    fn a_record_appends_one_value_per_series_in_layout_order() {
        let model = two_of_each();
        let parts = hand_made(&model);
        let layout = series_of(&model);
        let mut recorder = Recorder::new(&model, &layout);
        let view = View {
            model: &model,
            market: &parts.market,
            protocols: &parts.protocols,
            classes: &parts.classes,
            lrts: &parts.lrts,
            lending: &parts.lending,
            attacks: &Attacks::new(&model),
            operators: &Operators::new(&model),
            operator_slashes: &[],
        };
        recorder.record(view);
        recorder.record(view);
        let n = layout.len();
        assert_eq!(n, 2 * 10 + 2 * 13 + 2 * 3 + 10);
        assert_eq!(recorder.values.len(), 2 * n);
        for (k, s) in layout.iter().enumerate() {
            let expected = value(view, s.metric) as f32;
            assert_eq!(recorder.values[k], expected, "{:?}", s.metric);
            assert_eq!(recorder.values[n + k], expected);
        }
        // The first series is p0's native TVL, the last the total stakers.
        assert_eq!(recorder.values[0], 10.0);
        assert_eq!(recorder.values[n - 1], 4.0);
    }
}
