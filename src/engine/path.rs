//! One Monte Carlo path: the agents over time. The path's state is grouped
//! by owner — prices ([`Market`]), events ([`PathEvents`]), protocols
//! ([`ProtocolBook`]), classes and their stakers ([`Classes`]), behaviour
//! ([`Behaviour`]), the event log ([`EventLog`]) and the recorder
//! ([`Recorder`]) — and [`PathState::step`] is the list of what happens
//! in a step, in order, one phase per line. ARCHITECTURE.md states the same
//! order. Everything a path draws comes from its own streams (see
//! [`super::rng`]).

use super::behaviour::Behaviour;
use super::classes::Classes;
use super::events::PathEvents;
use super::market::Market;
use super::outcome::{PathOutcome, class_finals, find_defect, protocol_finals, total_final};
use super::protocols::ProtocolBook;
use super::recorder::{Recorder, View};
use super::rng::{Stream, path_rng};
use super::slashing::{EventLog, apply_slashes};
use crate::model::Model;
use crate::results::{PathRow, Series};

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

/// Everything one path holds, grouped by owner.
pub struct PathState<'m> {
    model: &'m Model,
    path: u32,
    market: Market,
    events: PathEvents,
    protocols: ProtocolBook,
    classes: Classes,
    behaviour: Behaviour,
    log: EventLog,
    recorder: Recorder<'m>,
}

impl<'m> PathState<'m> {
    /// Path `path` of `model` before t = 0: no staker has entered.
    pub fn new(model: &'m Model, layout: &'m [Series], path: u32) -> PathState<'m> {
        let seed = model.run.seed;
        PathState {
            model,
            path,
            market: Market::new(model, path_rng(seed, u64::from(path), Stream::Market)),
            events: PathEvents::new(model, path),
            protocols: ProtocolBook::new(model),
            classes: Classes::new(model),
            behaviour: Behaviour::new(model, path),
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
        self.record_if_due(0);
    }

    /// One step, in order:
    /// 1. prices move (correlated GBM);
    /// 2. events are drawn (protocol slashes, shocks, operator faults, veto
    ///    windows) and shocks move prices;
    /// 3. protocols' TVL and APRs follow from the stake and prices;
    /// 4. stakers earn the step's rewards;
    /// 5. the step's slashes hit;
    /// 6. stakers review (shock exits, strategies, opportunity exits,
    ///    entries);
    /// 7. exits and deallocations whose delay has run out are released;
    /// 8. the state is recorded on recording steps.
    pub fn step(&mut self, step: u32) {
        let model = self.model;
        self.market.step();
        self.events.draw(model, step);
        self.market.shock(&self.events.side.price_moves);
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
        self.behaviour.review(
            model,
            step,
            self.events.side.exit_fraction,
            &mut self.classes,
            &mut self.protocols,
        );
        self.behaviour.release(step, &mut self.classes);
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
        self.recorder.record(View {
            model: self.model,
            market: &self.market,
            protocols: &self.protocols,
            classes: &self.classes,
        });
    }

    /// The path's outcome at the horizon.
    pub fn finish(mut self) -> PathOutcome {
        let model = self.model;
        self.protocols
            .update_aprs(model, &self.market, &self.classes);
        let (classes, staker_apr) = class_finals(model, &self.classes);
        let row = PathRow {
            path: self.path,
            classes,
            protocols: protocol_finals(&self.protocols),
            total: total_final(model, &self.market, &self.protocols, &self.classes),
        };
        let bookkeeping_error = self.classes.stakers.bookkeeping_error();
        let series = self.recorder.layout().len();
        let values = self.recorder.values;
        let defect = find_defect(&self.classes, &row, &values, series, bookkeeping_error);
        PathOutcome {
            path: self.path,
            series: values,
            row,
            staker_apr,
            events: self.log.events,
            events_not_logged: self.log.not_logged,
            bookkeeping_error,
            defect,
        }
    }
}
