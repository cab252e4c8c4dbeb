//! One Monte Carlo path: the agents over time. The path's state is grouped
//! by owner — prices ([`Market`]), events ([`PathEvents`]), protocols
//! ([`ProtocolBook`]), classes and their stakers ([`Classes`]), behaviour
//! ([`Behaviour`]), operators ([`Operators`]), the event log ([`EventLog`]) and the recorder
//! ([`Recorder`]) — and [`PathState::step`] is the list of what happens
//! in a step, in order, one phase per line. ARCHITECTURE.md states the same
//! order. Everything a path draws comes from its own streams (see
//! [`super::rng`]).

use super::attacks::{Attacks, network_of};
use super::behaviour::Behaviour;
use super::classes::Classes;
use super::events::PathEvents;
use super::lending::Lending;
use super::lrt::Lrts;
use super::market::Market;
use super::operators::Operators;
use super::outcome::{
    PathOutcome, class_finals, find_defect, loop_finals, lrt_finals, market_finals,
    operator_finals, protocol_finals, total_final,
};
use super::protocols::ProtocolBook;
use super::recorder::{Recorder, View};
use super::rng::{Stream, path_rng};
use super::slashing::{EventLog, apply_slashes};
use crate::model::Model;
use crate::results::{PathRow, Series};
use crate::security::Network;

/// Simulates path `path` of `model`, recording `layout`, and returns its
/// outcome.
pub fn simulate_path(model: &Model, layout: &[Series], path: u32) -> PathOutcome {
    let mut state = PathState::new(model, layout, path);
    state.start();
    for step in 0..model.run.steps {
        state.step(step);
    }
    state.finish()
}

/// The operator–service graph of `model` at t = 0, on path 0 of its seed
/// (the stakes drawn as that path draws them), for the static analysis.
pub fn initial_network(model: &Model) -> Network {
    let mut state = PathState::new(model, &[], 0);
    state.start();
    state.network()
}

/// Everything one path holds, grouped by owner.
pub struct PathState<'m> {
    pub(super) model: &'m Model,
    pub(super) path: u32,
    pub(super) market: Market,
    pub(super) events: PathEvents,
    pub(super) protocols: ProtocolBook,
    pub(super) classes: Classes,
    pub(super) behaviour: Behaviour,
    pub(super) lrts: Lrts,
    pub(super) lending: Lending,
    pub(super) attacks: Attacks,
    pub(super) operators: Operators,
    pub(super) log: EventLog,
    pub(super) recorder: Recorder<'m>,
}

impl<'m> PathState<'m> {
    /// Path `path` of `model` before t = 0: no staker has entered.
    pub fn new(model: &'m Model, layout: &'m [Series], path: u32) -> PathState<'m> {
        let seed = model.run.seed;
        let classes = Classes::new(model);
        PathState {
            model,
            path,
            market: Market::new(model, path_rng(seed, u64::from(path), Stream::Market)),
            events: PathEvents::new(model, path),
            protocols: ProtocolBook::new(model),
            lending: Lending::new(model, path, &classes),
            classes,
            behaviour: Behaviour::new(model, path),
            lrts: Lrts::new(model),
            attacks: Attacks::new(model),
            operators: Operators::new(model),
            log: EventLog::new(model, path),
            recorder: Recorder::new(model, layout),
        }
    }

    /// t = 0: the initial stakers enter, the protocols' TVL and APRs
    /// follow, and the starting point is recorded.
    pub fn start(&mut self) {
        let model = self.model;
        self.behaviour
            .enter_initial(model, &mut self.classes, &mut self.protocols);
        self.protocols
            .update_aprs(model, &self.market, &self.classes);
        self.protocols.mark_initial_tvl();
        self.operators
            .tally(model, &self.classes, &self.market.prices);
        self.operators.mark_initial();
        self.lrts.start(model, &self.classes);
        self.lending.open_positions(model, &self.classes);
        self.attacks
            .assess(model, &self.market.prices, &self.protocols, &self.classes);
        self.record_if_due(0);
    }

    /// One step, in order:
    /// 1. prices move (correlated GBM);
    /// 2. events are drawn (protocol slashes, shocks, operator faults, veto
    ///    windows) and shocks move asset prices and LRT pool prices;
    /// 3. protocols' TVL and APRs follow from the stake and prices;
    /// 4. stakers earn the step's rewards (an LRT's fee withheld);
    /// 5. the step's slashes hit;
    /// 6. with `run.attacks`, every attack that has become profitable
    ///    happens, the most profitable first, until none is left;
    /// 7. each LRT's NAV follows its backing;
    /// 8. stakers review (shock exits, strategies, opportunity exits,
    ///    entries);
    /// 9. exits and deallocations whose delay has run out are released;
    /// 10. panicking exits sell LRTs into their pools;
    /// 11. lending: new loops open, interest accrues, closed loops repay,
    ///     the liquidation spiral runs;
    /// 12. arbitrage buys below NAV into the redemption queue, which
    ///     releases what is due;
    /// 13. the state is recorded on recording steps.
    pub fn step(&mut self, step: u32) {
        let model = self.model;
        self.market.step();
        self.events.draw(model, step);
        self.market.shock(&self.events.side.price_moves);
        self.lrts.apply_moves(&self.events.side.lrt_moves);
        self.protocols
            .update_aprs(model, &self.market, &self.classes);
        self.classes.pay_rewards(model, &self.protocols.rate);
        apply_slashes(
            model,
            step,
            &self.events.hits,
            &self.market.prices,
            &mut self.protocols,
            &mut self.classes,
            &mut self.log,
        );
        self.attacks.step(
            model,
            step,
            &self.market.prices,
            &mut self.protocols,
            &mut self.classes,
            &mut self.log,
        );
        self.lrts.update_nav(model, &self.classes);
        self.behaviour.review(
            model,
            step,
            self.events.side.exit_fraction,
            &mut self.classes,
            &mut self.protocols,
        );
        self.behaviour.release(step, &mut self.classes);
        self.lrts.sell_exits(model, &self.classes);
        self.lending.open_positions(model, &self.classes);
        self.lending.step(
            model,
            step,
            &self.market.prices,
            &mut self.classes,
            &mut self.lrts,
            &mut self.protocols.backers,
        );
        self.lrts.arbitrage(model, step, &self.classes);
        self.record_if_due(step + 1);
    }

    /// Records the state at the end of step `step` if it is a recording
    /// step, with the protocols' TVL and APRs brought up to date first.
    fn record_if_due(&mut self, step: u32) {
        if !self.recorder.take_due(step) {
            return;
        }
        self.protocols
            .update_aprs(self.model, &self.market, &self.classes);
        self.operators
            .tally(self.model, &self.classes, &self.market.prices);
        self.recorder.record(View {
            model: self.model,
            market: &self.market,
            protocols: &self.protocols,
            classes: &self.classes,
            lrts: &self.lrts,
            lending: &self.lending,
            attacks: &self.attacks,
            operators: &self.operators,
            operator_slashes: &self.log.operator_slashes,
        });
    }

    /// The operator–service graph now (see [`network_of`]).
    pub fn network(&self) -> Network {
        network_of(
            self.model,
            self.attacks.services(),
            self.attacks.corrupted(),
            &self.classes,
            &self.market.prices,
            &self.protocols,
        )
    }

    /// The path's outcome at the horizon.
    pub fn finish(mut self) -> PathOutcome {
        let model = self.model;
        self.protocols
            .update_aprs(model, &self.market, &self.classes);
        self.operators
            .tally(model, &self.classes, &self.market.prices);
        let (classes, staker_apr) = class_finals(model, &self.market, &self.classes);
        let row = PathRow {
            path: self.path,
            classes,
            protocols: protocol_finals(&self.protocols),
            lrts: lrt_finals(&self.lrts),
            markets: market_finals(model, &self.lending),
            loops: loop_finals(model, &self.classes, &self.lending),
            operators: operator_finals(
                model,
                &self.operators,
                &self.classes,
                &self.market.initial,
                &self.log.operator_slashes,
            ),
            total: total_final(model, &self.market, &self.protocols, &self.classes),
        };
        let bookkeeping_error = self.classes.bookkeeping_error();
        let series = self.recorder.layout().len();
        let values = self.recorder.values;
        let defect = find_defect(&self.classes, &row, &values, series, bookkeeping_error);
        PathOutcome {
            path: self.path,
            series: values,
            row,
            staker_apr,
            exit_delays: std::mem::take(&mut self.behaviour.exit_delays),
            events: self.log.events,
            events_not_logged: self.log.not_logged,
            liquidations: self.lending.log,
            liquidations_not_logged: self.lending.not_logged,
            bookkeeping_error,
            defect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stakers::Status;
    use crate::engine::test_support::{RUN_AND_ETH, assert_close, model, parse_model};
    use crate::results::{ClassMetric, Metric, Source, series_of};

    /// One protocol paying `apr` with extra keys, two stakers of 100 ETH.
    fn tiny_tables(apr: &str, extra: &str) -> String {
        format!(
            r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = {apr}
{extra}

[[staker]]
class = "c"
count = 2
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}
"#
        )
    }

    fn tiny(apr: &str, extra: &str) -> Model {
        model(&tiny_tables(apr, extra))
    }

    const CONSTANT: &str = r#"{ curve = "constant", value = 0.073 }"#;
    /// 0.073 a year over a day.
    const DAILY: f64 = 0.073 / 365.0;

    #[test]
    fn one_step_is_simple_interest_on_the_stake() {
        let model = tiny(CONSTANT, "");
        let layout = series_of(&model);
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        assert_eq!(state.classes.stakers.stake[0..2], [100.0, 100.0]);
        state.step(0);
        let st = &state.classes.stakers;
        for i in 0..2 {
            assert_close(st.stake[i], 100.0 * (1.0 + DAILY), 1e-15);
            assert_close(st.rewards[i], 100.0 * DAILY, 1e-15);
        }
        assert_close(state.classes.runs[0].rewards, 200.0 * DAILY, 1e-15);
        assert_close(state.classes.runs[0].stake, 200.0 * (1.0 + DAILY), 1e-15);
        assert!(st.bookkeeping_error() < 1e-15);
        // Recorded at the end of the step, with the TVL brought up to date.
        assert_close(state.protocols.tvl_native[0], 200.0 * (1.0 + DAILY), 1e-15);
        assert_eq!(state.recorder.values.len(), 2 * layout.len());
    }

    #[test]
    fn a_longer_step_earns_its_length_in_years() {
        let run = RUN_AND_ETH
            .replace("[run]", "[run]\nstep_days = 5")
            .replace("record_every_days = 1", "record_every_days = 5");
        let model = parse_model(&format!("{run}{}", tiny_tables(CONSTANT, "")));
        assert_eq!(model.run.steps, 2);
        let layout = series_of(&model);
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        state.step(0);
        assert_close(
            state.classes.stakers.stake[0],
            100.0 * (1.0 + 5.0 * DAILY),
            1e-15,
        );
    }

    #[test]
    fn a_whole_path_compounds_and_its_outcome_adds_up() {
        let model = tiny(CONSTANT, "");
        let layout = series_of(&model);
        let outcome = simulate_path(&model, &layout, 0);
        let growth = (1.0 + DAILY).powi(10);
        let row = &outcome.row;
        assert_close(row.classes[0].stake, 200.0 * growth, 1e-14);
        assert_close(row.classes[0].rewards, 200.0 * (growth - 1.0), 1e-12);
        assert_close(row.classes[0].net_return, growth - 1.0, 1e-12);
        assert_close(row.classes[0].median_net_return, growth - 1.0, 1e-12);
        assert_close(row.total.initial_usd, 200.0 * 2000.0, 1e-15);
        assert_close(
            row.total.rewards_usd,
            200.0 * (growth - 1.0) * 2000.0,
            1e-12,
        );
        assert_close(row.total.net_return, growth - 1.0, 1e-12);
        assert_close(row.total.tvl_usd, 200.0 * growth * 2000.0, 1e-14);
        assert_eq!(row.total.slash_events, 0);
        assert_eq!(row.protocols[0].apr, 0.073);
        assert!(outcome.bookkeeping_error < 1e-14);
        assert_eq!(outcome.defect, None);
        assert!(outcome.events.is_empty());
        // Recorded every day, t = 0 included: 11 points.
        let n = layout.len();
        assert_eq!(outcome.series.len(), 11 * n);
        let stake = layout
            .iter()
            .position(|s| s.metric == Metric::Class(0, ClassMetric::Stake))
            .unwrap();
        for k in 0..=10 {
            let expected = (200.0 * (1.0 + DAILY).powi(k as i32)) as f32;
            assert_eq!(outcome.series[k * n + stake], expected, "point {k}");
        }
    }

    #[test]
    fn a_budget_pays_out_exactly_the_budget_each_step_whatever_the_tvl() {
        // 36.5 ETH a year is 0.1 ETH a day, shared by the stake.
        let model = tiny(r#"{ curve = "budget", budget = 36.5 }"#, "");
        let layout = series_of(&model);
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        for step in 0..10 {
            state.step(step);
            let run = &state.classes.runs[0];
            let n = f64::from(step + 1);
            assert_close(run.rewards, 0.1 * n, 1e-13);
            assert_close(run.stake, 200.0 + 0.1 * n, 1e-14);
            assert_close(state.classes.stakers.stake[0], 100.0 + 0.05 * n, 1e-14);
        }
    }

    #[test]
    fn a_slash_hits_after_the_steps_rewards() {
        let slashing = r#"slashing = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.1 } }"#;
        let model = tiny(CONSTANT, slashing);
        let layout = series_of(&model);
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        state.step(0);
        let after = 100.0 * (1.0 + DAILY) * 0.9;
        assert_close(state.classes.stakers.stake[0], after, 1e-15);
        assert_close(
            state.classes.stakers.losses[0],
            100.0 * (1.0 + DAILY) * 0.1,
            1e-15,
        );
        assert_eq!(state.protocols.slash_events, [1]);
        assert_eq!(state.log.events.len(), 1);
        assert_eq!(state.log.events[0].day, 1);
        assert_eq!(state.log.events[0].source, Source::Protocol);
        assert!(state.classes.stakers.bookkeeping_error() < 1e-15);
        state.step(1);
        let after = after * (1.0 + DAILY) * 0.9;
        assert_close(state.classes.stakers.stake[1], after, 1e-15);
        assert_eq!(state.log.events[1].day, 2);
        let outcome = state.finish();
        assert_eq!(outcome.row.total.slash_events, 2);
        assert!(outcome.bookkeeping_error < 1e-15);
    }

    /// Two LRTs backed by 2 × 100 ETH each earning 7.3 % a year, one in a
    /// pool 1,000 ETH deep, one infinitely deep; `shock` appended.
    fn two_lrts(shock: &str) -> Model {
        model(&format!(
            r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = {CONSTANT}

[[staker]]
class = "deep-holders"
count = 2
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}

[[staker]]
class = "other-holders"
count = 2
asset = "ETH"
stake = {{ dist = "fixed", value = 100 }}
allocate = {{ p = 1.0 }}

[[lrt]]
name = "pooled"
backing = ["deep-holders"]
pool = {{ depth = 1000 }}

[[lrt]]
name = "unpooled"
backing = ["other-holders"]
{shock}
"#
        ))
    }

    #[test]
    fn a_shocks_lrt_price_move_moves_the_pool_price_by_the_change_and_leaves_the_nav() {
        let depeg = r#"
[[shock]]
name = "depeg"
day = 2
lrt_price = [{ lrt = "pooled", change = -0.3 }, { lrt = "unpooled", change = -0.3 }]
"#;
        let (shocked, calm) = (two_lrts(depeg), two_lrts(""));
        assert_eq!(shocked.shocks[0].lrt_moves, [(0, -0.3), (1, -0.3)]);
        let (layout, calm_layout) = (series_of(&shocked), series_of(&calm));
        let mut state = PathState::new(&shocked, &layout, 0);
        let mut reference = PathState::new(&calm, &calm_layout, 0);
        state.start();
        reference.start();
        for step in 0..10 {
            let before = state.lrts.tokens[0].price();
            state.step(step);
            reference.step(step);
            let (pooled, unpooled) = (&state.lrts.tokens[0], &state.lrts.tokens[1]);
            // The NAV is untouched: the same, bit for bit, as without the shock.
            for l in 0..2 {
                assert_eq!(
                    state.lrts.tokens[l].nav, reference.lrts.tokens[l].nav,
                    "step {step}"
                );
            }
            assert!(pooled.nav > 1.0, "the NAV grows with the rewards");
            // Nothing trades in the pool but the shock: the price moves
            // by exactly −30 % on step 2 and stays there.
            let expected = if step < 2 { 1.0 } else { 0.7 };
            assert_close(pooled.price(), expected, 1e-15);
            if step == 2 {
                assert_close(pooled.price(), before * 0.7, 1e-15);
            }
            // An infinitely deep pool does not move: price = NAV.
            assert_eq!(unpooled.price(), unpooled.nav);
            assert_eq!(unpooled.discount(), 0.0);
        }
        // The rest of the path is unchanged.
        let (a, b) = (state.finish(), reference.finish());
        assert_eq!(a.row.classes, b.row.classes);
        assert_eq!(a.row.total, b.row.total);
    }

    /// Every loss total the recorder reads (per class, per protocol, in
    /// USD for the whole scenario) is exactly, in `f64`, the sum of its
    /// four parts in their order, on every step of every path of a
    /// scenario where every source of loss strikes.
    #[test]
    fn every_loss_total_is_exactly_the_sum_of_its_parts_on_every_path_and_day() {
        use crate::results::{ProtocolMetric, TotalMetric};
        let model = parse_model(include_str!("../../tests/all/all_sources.toml"));
        let class_parts = [
            ClassMetric::LossesProtocolCum,
            ClassMetric::LossesShockCum,
            ClassMetric::LossesOperatorCum,
            ClassMetric::LossesAttackCum,
        ];
        let protocol_parts = [
            ProtocolMetric::LossesProtocolCum,
            ProtocolMetric::LossesShockCum,
            ProtocolMetric::LossesOperatorCum,
            ProtocolMetric::LossesAttackCum,
        ];
        let total_parts = [
            TotalMetric::LossesProtocolCumUsd,
            TotalMetric::LossesShockCumUsd,
            TotalMetric::LossesOperatorCumUsd,
            TotalMetric::LossesAttackCumUsd,
        ];
        let mut seen = [0.0; 4];
        for path in 0..model.run.paths {
            let mut state = PathState::new(&model, &[], path);
            state.start();
            for step in 0..model.run.steps {
                state.step(step);
                let view = View {
                    model: &model,
                    market: &state.market,
                    protocols: &state.protocols,
                    classes: &state.classes,
                    lrts: &state.lrts,
                    lending: &state.lending,
                    attacks: &state.attacks,
                    operators: &state.operators,
                    operator_slashes: &state.log.operator_slashes,
                };
                let v = |m| super::super::recorder::value(view, m);
                let sum = |p: [f64; 4]| ((p[0] + p[1]) + p[2]) + p[3];
                for c in 0..model.classes.len() {
                    let parts = class_parts.map(|m| v(Metric::Class(c, m)));
                    let total = v(Metric::Class(c, ClassMetric::LossesCum));
                    assert_eq!(total, sum(parts), "path {path}, step {step}, class {c}");
                }
                for p in 0..model.protocols.len() {
                    let parts = protocol_parts.map(|m| v(Metric::Protocol(p, m)));
                    let total = v(Metric::Protocol(p, ProtocolMetric::LossesCum));
                    assert_eq!(total, sum(parts), "path {path}, step {step}, protocol {p}");
                }
                let parts = total_parts.map(|m| v(Metric::Total(m)));
                assert_eq!(v(Metric::Total(TotalMetric::LossesCumUsd)), sum(parts));
                for (s, x) in seen.iter_mut().zip(parts) {
                    *s += x;
                }
            }
        }
        assert!(
            seen.iter().all(|&s| s > 0.0),
            "every source strikes: {seen:?}"
        );
    }

    #[test]
    fn a_shock_exit_earns_until_the_review_and_is_released_after_the_delay() {
        // Everyone leaves on day 2, when ETH also halves.
        let shock = r#"
[[shock]]
name = "run"
day = 2
price = [{ asset = "ETH", change = -0.5 }]
exit_fraction = 1.0
"#;
        let model = model(&(tiny_tables(CONSTANT, "unbonding_days = 3") + shock));
        let layout = series_of(&model);
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        for step in 0..3 {
            state.step(step);
        }
        assert_eq!(state.market.prices[0], 1000.0);
        let earned = 100.0 * (1.0 + DAILY).powi(3);
        let st = &state.classes.stakers;
        assert_eq!(
            [st.cohort[0].status, st.cohort[1].status],
            [Status::Exiting; 2]
        );
        assert_close(state.classes.stakers.stake[0], earned, 1e-15);
        // Leaving stake earns nothing, and is released at the end of step 2 + 3.
        for step in 3..5 {
            state.step(step);
            assert_close(state.classes.stakers.stake[0], earned, 1e-15);
            assert_eq!(state.classes.stakers.cohort[0].status, Status::Exiting);
        }
        state.step(5);
        let st = &state.classes.stakers;
        assert_eq!(
            [st.cohort[0].status, st.cohort[1].status],
            [Status::Exited; 2]
        );
        assert_eq!((st.stake[0], st.cohort[0].released), (0.0, 6));
        assert_close(st.cohort[0].exited, earned, 1e-15);
        assert_close(state.classes.runs[0].exits, 2.0 * earned, 1e-15);
        assert_eq!(state.classes.runs[0].stake, 0.0);
        let outcome = state.finish();
        assert_eq!(outcome.row.protocols[0].tvl_native, 0.0);
        assert!(outcome.bookkeeping_error < 1e-15);
        assert_eq!(outcome.defect, None);
    }
}
