//! Helpers for the engine's unit tests: small models parsed from TOML text
//! and a path's parts at t = 0.

use super::behaviour::Behaviour;
use super::classes::Classes;
use super::lending::Lending;
use super::lrt::Lrts;
use super::market::Market;
use super::protocols::ProtocolBook;
use super::rng::{Stream, path_rng};
use super::slashing::EventLog;
use crate::model::Model;

/// A `[run]` of 10 daily steps and one constant asset, ETH at 2,000 USD,
/// to put before the tables a test needs. Each staker is simulated on its
/// own (`cohorts = false`), so tests address stakers by index; the cohort
/// tests switch cohorts on with [`with_cohorts`].
pub(crate) const RUN_AND_ETH: &str = r#"
[run]
name = "t"
horizon_days = 10
paths = 1
seed = 7
record_every_days = 1
cohorts = false

[[asset]]
name = "ETH"
price_usd = 2000
"#;

/// The model of a whole scenario `text`; panics with the problems if the
/// text is not a valid scenario.
pub(crate) fn parse_model(text: &str) -> Model {
    match crate::scenario::parse(text, std::path::Path::new("t.toml"), &[]) {
        Ok((_, model)) => model,
        Err(e) => panic!("test scenario is invalid: {e:?}"),
    }
}

/// The model of [`RUN_AND_ETH`] with cohorts on, followed by `tables`.
pub(crate) fn with_cohorts(tables: &str) -> Model {
    let run = RUN_AND_ETH.replace("cohorts = false\n", "");
    parse_model(&format!("{run}{tables}"))
}

/// The model of [`RUN_AND_ETH`] followed by `tables`.
pub(crate) fn model(tables: &str) -> Model {
    parse_model(&format!("{RUN_AND_ETH}{tables}"))
}

/// A path's parts that the phases read and write, at t = 0 as
/// `PathState::start` leaves them (the initial stakers entered, TVL and
/// APRs computed), without recording.
pub(crate) struct Parts {
    pub market: Market,
    pub protocols: ProtocolBook,
    pub classes: Classes,
    pub behaviour: Behaviour,
    pub log: EventLog,
    pub lrts: Lrts,
    pub lending: Lending,
}

impl Parts {
    /// Path 0 of `model` at t = 0.
    pub fn start(model: &Model) -> Parts {
        let mut parts = Parts::empty(model);
        parts
            .behaviour
            .enter_initial(model, &mut parts.classes, &mut parts.protocols);
        parts.update_aprs(model);
        parts.protocols.mark_initial_tvl();
        parts
    }

    /// Path 0 of `model` before anyone has entered.
    pub fn empty(model: &Model) -> Parts {
        let classes = Classes::new(model);
        Parts {
            market: Market::new(model, path_rng(model.run.seed, 0, Stream::Market)),
            protocols: ProtocolBook::new(model),
            lending: Lending::new(model, 0, &classes),
            classes,
            behaviour: Behaviour::new(model, 0),
            log: EventLog::new(model, 0),
            lrts: Lrts::new(model),
        }
    }

    /// The stakers' review of `step` (`Behaviour::review`), with shock
    /// exits at `exit_fraction`.
    pub fn review(&mut self, model: &Model, step: u32, exit_fraction: f64) {
        self.behaviour.review(
            model,
            step,
            exit_fraction,
            &mut self.classes,
            &mut self.protocols,
        );
    }

    /// Brings TVL and APRs up to date.
    pub fn update_aprs(&mut self, model: &Model) {
        self.protocols
            .update_aprs(model, &self.market, &self.classes);
    }
}

/// Asserts `a` and `b` differ by at most `tol` relative to the larger of
/// 1 and |b|.
#[track_caller]
pub(crate) fn assert_close(a: f64, b: f64, tol: f64) {
    let scale = b.abs().max(1.0);
    assert!(
        (a - b).abs() <= tol * scale,
        "expected {b}, found {a} (difference {})",
        a - b
    );
}
