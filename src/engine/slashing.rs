//! The slashing phase: each of the step's hits takes its severity (times
//! the protocol's counted share) of every exposed allocation's stake, and
//! the path's event log records it.

use super::classes::Classes;
use super::events::Hit;
use super::protocols::ProtocolBook;
use super::stakers::Stakers;
use crate::model::{Allocation, Model};
use crate::results::EventRecord;

/// The slashes a path logs: at most `run.max_event_rows`, the rest counted.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: u32,
    capacity: usize,
    /// Logged slashes, in the order applied.
    pub events: Vec<EventRecord>,
    /// Slashes applied after the log was full.
    pub not_logged: u64,
}

impl EventLog {
    /// An empty log for path `path` of `model`.
    pub fn new(model: &Model, path: u32) -> EventLog {
        EventLog {
            path,
            capacity: model.run.max_event_rows as usize,
            events: Vec::new(),
            not_logged: 0,
        }
    }

    fn push(&mut self, day: u32, hit: &Hit, lost_native: f64, lost_usd: f64) {
        if self.events.len() < self.capacity {
            self.events.push(EventRecord {
                path: self.path,
                day,
                protocol: hit.protocol,
                source: hit.source,
                operator: hit.operator,
                severity: hit.severity,
                lost_native,
                lost_usd,
            });
        } else {
            self.not_logged += 1;
        }
    }
}

/// Applies step `step`'s `hits` in order at today's `prices`: stakers lose
/// stake, classes and protocols count the losses, the log records each
/// slash; then the classes' TVL is recounted. Nothing happens without hits.
pub fn apply_slashes(
    model: &Model,
    step: u32,
    hits: &[Hit],
    prices: &[f64],
    protocols: &mut ProtocolBook,
    classes: &mut Classes,
    log: &mut EventLog,
) {
    if hits.is_empty() {
        return;
    }
    let day = (step + 1) * model.run.step_days;
    for hit in hits {
        let proto = &model.protocols[hit.protocol];
        let share = proto.counted_share(protocols.tvl_native[hit.protocol]);
        let unique = proto.allocation == Allocation::UniqueStake;
        let unit_price = prices[proto.assets[0]];
        let mut lost_usd = 0.0;
        for (run, class) in classes.runs.iter_mut().zip(&model.classes) {
            if !run.accepts[hit.protocol] {
                continue;
            }
            let lost = slash_class(
                model,
                &mut classes.stakers,
                run.members(),
                hit,
                share,
                unique,
            );
            run.losses += lost;
            lost_usd += lost * prices[class.asset];
        }
        let lost_native = lost_usd / unit_price;
        protocols.losses[hit.protocol] += lost_native;
        protocols.slash_events[hit.protocol] += 1;
        log.push(day, hit, lost_native, lost_usd);
    }
    classes.recount();
}

/// Slashes the stakers `members` of one class exposed to `hit` (through
/// an active or leaving allocation, and its operator if the hit names one);
/// returns the stake they lost.
fn slash_class(
    model: &Model,
    st: &mut Stakers,
    members: std::ops::Range<usize>,
    hit: &Hit,
    share: f64,
    unique: bool,
) -> f64 {
    let mut lost = 0.0;
    for i in members {
        let stake = st.stake[i];
        if stake == 0.0 || hit.operator.is_some_and(|o| st.operator[i] as usize != o) {
            continue;
        }
        for j in st.slot_range(i) {
            if st.slot_protocol(j) != Some(hit.protocol) {
                continue;
            }
            let c_now = st.stake[i];
            let loss = (hit.severity * share * st.weight[j] * c_now).min(c_now);
            if loss <= 0.0 {
                continue;
            }
            let after = c_now - loss;
            if unique {
                rescale_unique(model, st, i, j, hit.severity, c_now, after);
            }
            st.stake[i] = after;
            st.losses[i] += loss;
            lost += loss;
        }
    }
    lost
}

/// Unique stake (EigenLayer magnitudes): after slashing a fraction `severity`
/// of allocation `j`, the staker's total falls from `before` to `after`; the
/// slashed allocation keeps (1 − severity) of its amount and the other
/// unique-stake allocations keep theirs, so their weights (fractions of the
/// new total) are rescaled.
fn rescale_unique(
    model: &Model,
    st: &mut Stakers,
    i: usize,
    j: usize,
    severity: f64,
    before: f64,
    after: f64,
) {
    if after <= 0.0 {
        return;
    }
    let scale = before / after;
    for k in st.slot_range(i) {
        let Some(p) = st.slot_protocol(k) else {
            continue;
        };
        if model.protocols[p].allocation != Allocation::UniqueStake {
            continue;
        }
        let kept = if k == j { 1.0 - severity } else { 1.0 };
        st.weight[k] = (st.weight[k] * kept * scale).min(1.0);
    }
}
