//! The slashing phase: each of the step's hits takes its severity (times
//! the protocol's counted share) of every exposed allocation's stake, and
//! the path's event log records it.

use super::classes::Classes;
use super::events::Hit;
use super::protocols::ProtocolBook;
use super::stakers::{NO_OPERATOR, Stakers};
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
    /// Per operator: slashes applied that name it, logged or not.
    pub operator_slashes: Vec<u64>,
}

impl EventLog {
    /// An empty log for path `path` of `model`.
    pub fn new(model: &Model, path: u32) -> EventLog {
        EventLog {
            path,
            capacity: model.run.max_event_rows as usize,
            events: Vec::new(),
            not_logged: 0,
            operator_slashes: vec![0; model.operators.len()],
        }
    }

    fn push(&mut self, day: u32, hit: &Hit, lost_native: f64, lost_usd: f64) {
        if let Some(o) = hit.operator {
            self.operator_slashes[o] += 1;
        }
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
/// stake, classes and protocols count the losses by cause (and classes by
/// operator and protocol), the log records each slash; then the classes' TVL is recounted. Nothing happens without hits.
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
                &mut run.delegator_losses,
            );
            run.losses.add(hit.source, lost);
            lost_usd += lost * prices[class.asset];
        }
        let lost_native = lost_usd / unit_price;
        protocols.losses[hit.protocol].add(hit.source, lost_native);
        protocols.slash_events[hit.protocol] += 1;
        log.push(day, hit, lost_native, lost_usd);
    }
    classes.recount();
}

/// Slashes the stakers `members` of one class exposed to `hit` (through
/// an active or leaving allocation, and its operator if the hit names one);
/// returns the stake they lost, and adds each delegating staker's loss to
/// `by_operator[operator × P + protocol]`.
fn slash_class(
    model: &Model,
    st: &mut Stakers,
    members: std::ops::Range<usize>,
    hit: &Hit,
    share: f64,
    unique: bool,
    by_operator: &mut [f64],
) -> f64 {
    let mut lost = 0.0;
    let n_protocols = model.protocols.len();
    for i in members {
        // Most stakers do not hold the protocol: the cheapest test first.
        if !st.holds_protocol(i, hit.protocol) {
            continue;
        }
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
            if st.operator[i] != NO_OPERATOR {
                by_operator[st.operator[i] as usize * n_protocols + hit.protocol] += loss;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, RUN_AND_ETH, assert_close, model, parse_model};
    use crate::results::{LossSource, Source};

    /// Two full-restaking protocols; two stakers of 100 ETH backing p0
    /// with weight 1 and p1 with weight 0.5, delegated to op-a or op-b;
    /// a BTC class (never exposed) and a class without operators.
    const TWO_PROTOCOLS: &str = r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
unbonding_days = 5

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "b"
assets = ["BTC"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "op-a"
protocols = ["p0", "p1"]

[[operator]]
name = "op-b"
protocols = ["p0", "p1"]

[[staker]]
class = "delegated"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p0 = 1.0, p1 = 0.5 }
max_leverage = 1.5
operators = { op-a = 0.5, op-b = 0.5 }

[[staker]]
class = "btc"
count = 1
asset = "BTC"
stake = { dist = "fixed", value = 1 }
allocate = { b = 1.0 }

[[staker]]
class = "solo"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { p0 = 1.0 }
"#;

    /// The model and its parts at t = 0, staker 0 delegated to op-a and
    /// staker 1 to op-b.
    fn started() -> (Model, Parts) {
        let model = model(TWO_PROTOCOLS);
        let mut parts = Parts::start(&model);
        parts.classes.stakers.operator[0..2].copy_from_slice(&[0, 1]);
        (model, parts)
    }

    fn hit(protocol: usize, severity: f64, operator: Option<usize>) -> Hit {
        Hit {
            protocol,
            severity,
            operator,
            source: operator.map_or(Source::Protocol, Source::Operator),
        }
    }

    fn apply(model: &Model, parts: &mut Parts, step: u32, hits: &[Hit]) {
        let prices = parts.market.prices.clone();
        apply_slashes(
            model,
            step,
            hits,
            &prices,
            &mut parts.protocols,
            &mut parts.classes,
            &mut parts.log,
        );
    }

    #[test]
    fn a_protocol_wide_slash_takes_severity_times_weight_of_every_exposed_stake() {
        let (model, mut parts) = started();
        apply(&model, &mut parts, 4, &[hit(1, 0.2, None)]);
        let st = &parts.classes.stakers;
        // 0.2 × 0.5 × 100 from each delegated staker; "solo" and "btc"
        // do not back p1.
        assert_eq!(st.stake[0..4], [90.0, 90.0, 1.0, 10.0]);
        assert_eq!(st.losses[0..4], [10.0, 10.0, 0.0, 0.0]);
        let runs = &parts.classes.runs;
        assert_eq!(runs[0].losses.total(), 20.0);
        assert_eq!(runs[0].losses.part(LossSource::Protocol), 20.0);
        assert_eq!((runs[1].losses.total(), runs[2].losses.total()), (0.0, 0.0));
        let protocol_losses: Vec<f64> = parts.protocols.losses.iter().map(|l| l.total()).collect();
        assert_eq!(protocol_losses, [0.0, 20.0, 0.0]);
        // Each delegated staker's 10 to its operator, in p1.
        assert_eq!(runs[0].delegator_losses, [0.0, 10.0, 0.0, 0.0, 10.0, 0.0]);
        assert_eq!(
            runs[2].delegator_losses, [0.0; 6],
            "solo delegates to nobody"
        );
        assert_eq!(
            parts.log.operator_slashes,
            [0, 0],
            "the slash names no operator"
        );
        assert_eq!(parts.protocols.slash_events, [0, 1, 0]);
        // Recounted: the smaller stake backs both protocols.
        assert_eq!(runs[0].stake, 180.0);
        assert_eq!(runs[0].tvl[0], 180.0);
        assert_eq!(runs[0].tvl[1], 90.0);
        assert_eq!(
            parts.log.events,
            [EventRecord {
                path: 0,
                day: 5,
                protocol: 1,
                source: Source::Protocol,
                operator: None,
                severity: 0.2,
                lost_native: 20.0,
                lost_usd: 40_000.0,
            }]
        );
        assert_eq!(parts.log.not_logged, 0);
        assert_eq!(st.bookkeeping_error(), 0.0);
    }

    #[test]
    fn hits_apply_in_order_each_on_the_stake_the_previous_left() {
        let (model, mut parts) = started();
        apply(
            &model,
            &mut parts,
            0,
            &[hit(0, 0.1, None), hit(1, 0.2, None)],
        );
        let st = &parts.classes.stakers;
        // 100 − 0.1 × 100 = 90, then 90 − 0.2 × 0.5 × 90 = 81.
        assert_close(st.stake[0], 81.0, 1e-15);
        assert_close(st.losses[0], 19.0, 1e-15);
        // "solo" backs p0 only: 10 − 1.
        assert_close(st.stake[3], 9.0, 1e-15);
        assert_close(parts.protocols.losses[0].total(), 2.0 * 10.0 + 1.0, 1e-15);
        assert_close(parts.protocols.losses[1].total(), 2.0 * 9.0, 1e-15);
        assert_close(parts.classes.runs[2].losses.total(), 1.0, 1e-15);
        let lost: Vec<f64> = parts.log.events.iter().map(|e| e.lost_native).collect();
        assert_eq!(lost.len(), 2);
        assert_close(lost[0], 21.0, 1e-15);
        assert_close(lost[1], 18.0, 1e-15);
    }

    #[test]
    fn an_operator_level_slash_touches_only_that_operators_delegators() {
        let (model, mut parts) = started();
        apply(&model, &mut parts, 2, &[hit(0, 0.1, Some(1))]);
        let st = &parts.classes.stakers;
        // Staker 1 (op-b) loses 10; op-a's staker and "solo", which
        // delegates to nobody, keep theirs.
        assert_eq!(st.stake[0..4], [100.0, 90.0, 1.0, 10.0]);
        assert_eq!(parts.protocols.losses[0].total(), 10.0);
        assert_eq!(parts.protocols.losses[0].part(LossSource::Operator), 10.0);
        assert_eq!(
            parts.classes.runs[0].delegator_losses[3], 10.0,
            "op-b in p0"
        );
        assert_eq!(parts.log.operator_slashes, [0, 1]);
        assert_eq!(parts.log.events[0].operator, Some(1));
        assert_eq!(parts.log.events[0].source, Source::Operator(1));
        assert_eq!(parts.log.events[0].day, 3);
    }

    #[test]
    fn losses_go_to_the_part_of_their_source_and_sum_to_the_total() {
        let (model, mut parts) = started();
        let mut shock = hit(0, 0.1, None);
        shock.source = Source::Shock(0);
        let mut attack = hit(1, 0.2, Some(0));
        attack.source = Source::Attack;
        let hits = [hit(0, 0.1, None), shock, hit(1, 0.1, Some(1)), attack];
        apply(&model, &mut parts, 0, &hits);
        let losses = parts.classes.runs[0].losses;
        // Staker 0: 10 (own), 9 (shock), then 0.2 × 0.5 × 81 (attack, op-a);
        // staker 1: 10, 9, then 0.1 × 0.5 × 81 (op-b's fault).
        assert_close(losses.part(LossSource::Protocol), 20.0, 1e-15);
        assert_close(losses.part(LossSource::Shock), 18.0, 1e-15);
        assert_close(losses.part(LossSource::Operator), 4.05, 1e-14);
        assert_close(losses.part(LossSource::Attack), 8.1, 1e-14);
        let parts_sum = ((losses.part(LossSource::Protocol) + losses.part(LossSource::Shock))
            + losses.part(LossSource::Operator))
            + losses.part(LossSource::Attack);
        assert_eq!(losses.total(), parts_sum);
        let st = &parts.classes.stakers;
        assert_close(losses.total(), st.losses[0] + st.losses[1], 1e-14);
        let p1 = parts.protocols.losses[1];
        assert_close(p1.part(LossSource::Operator), 4.05, 1e-14);
        assert_close(p1.part(LossSource::Attack), 8.1, 1e-14);
        assert_eq!(p1.part(LossSource::Shock), 0.0);
        // Per operator and protocol: op-a lost 10 + 9 in p0 and 8.1 in p1.
        let by = &parts.classes.runs[0].delegator_losses;
        assert_close(by[0], 19.0, 1e-15);
        assert_close(by[1], 8.1, 1e-14);
        assert_close(by[4], 4.05, 1e-14);
        assert_eq!(parts.log.operator_slashes, [1, 1]);
    }

    #[test]
    fn leaving_stake_is_slashed_like_active_stake() {
        let (model, mut parts) = started();
        let Parts {
            behaviour,
            classes,
            protocols,
            ..
        } = &mut parts;
        behaviour.begin_exit(&model, classes, protocols, 0, 1, 0);
        apply(
            &model,
            &mut parts,
            1,
            &[hit(0, 0.1, None), hit(1, 0.2, None)],
        );
        let st = &parts.classes.stakers;
        assert_close(st.stake[0], 81.0, 1e-15);
        assert_close(st.stake[1], 81.0, 1e-15);
        let run = &parts.classes.runs[0];
        assert_close(run.tvl[st.active_index(0)], 81.0, 1e-15);
        assert_close(run.tvl[st.leaving_index(0)], 81.0, 1e-15);
        assert_close(run.tvl[st.leaving_index(1)], 40.5, 1e-15);
    }

    #[test]
    fn the_log_keeps_at_most_its_capacity_and_counts_the_rest() {
        let run = RUN_AND_ETH.replace("[run]", "[run]\nmax_event_rows = 1");
        let model = parse_model(&format!("{run}{TWO_PROTOCOLS}"));
        assert_eq!(model.run.max_event_rows, 1);
        let mut parts = Parts::start(&model);
        let hits = [hit(0, 0.1, None), hit(1, 0.1, None), hit(0, 0.1, None)];
        apply(&model, &mut parts, 0, &hits);
        assert_eq!(parts.log.events.len(), 1);
        assert_eq!(parts.log.events[0].protocol, 0);
        assert_eq!(parts.log.not_logged, 2);
        // The protocols count every slash.
        assert_eq!(parts.protocols.slash_events, [2, 1, 0]);
    }

    #[test]
    fn without_hits_nothing_changes_not_even_the_class_totals() {
        let (model, mut parts) = started();
        // Totals out of step with the stakers: a recount would fix them.
        parts.classes.runs[0].tvl[0] = 12_345.0;
        parts.classes.runs[0].stake = -1.0;
        let before = (
            parts.classes.stakers.stake.clone(),
            parts.classes.runs[0].tvl.clone(),
            parts.protocols.losses.clone(),
        );
        apply(&model, &mut parts, 0, &[]);
        assert_eq!(parts.classes.stakers.stake, before.0);
        assert_eq!(parts.classes.runs[0].tvl, before.1);
        assert_eq!(parts.classes.runs[0].stake, -1.0);
        assert_eq!(parts.protocols.losses, before.2);
        assert_eq!(parts.protocols.slash_events, [0, 0, 0]);
        assert!(parts.log.events.is_empty());
    }

    #[test]
    fn losses_in_usd_add_up_over_classes_of_different_assets() {
        let model = model(
            r#"
[[asset]]
name = "LST"
price_usd = 1000

[[protocol]]
name = "p"
assets = ["ETH", "LST"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "eth"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { p = 1.0 }

[[staker]]
class = "lst"
count = 1
asset = "LST"
stake = { dist = "fixed", value = 10 }
allocate = { p = 1.0 }
"#,
        );
        let mut parts = Parts::start(&model);
        apply(&model, &mut parts, 0, &[hit(0, 0.1, None)]);
        // 1 ETH (2,000 USD) and 1 LST (1,000 USD): 1.5 ETH.
        assert_close(parts.log.events[0].lost_usd, 3000.0, 1e-15);
        assert_close(parts.log.events[0].lost_native, 1.5, 1e-15);
        assert_close(parts.protocols.losses[0].total(), 1.5, 1e-15);
        assert_close(parts.classes.runs[0].losses.total(), 1.0, 1e-15);
        assert_close(parts.classes.runs[1].losses.total(), 1.0, 1e-15);
    }

    #[test]
    fn a_unique_stake_slash_keeps_the_other_allocations_amounts() {
        let model = model(
            r#"
[[protocol]]
name = "u0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
allocation = { model = "unique_stake" }

[[protocol]]
name = "u1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
allocation = { model = "unique_stake" }

[[protocol]]
name = "full"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { u0 = 0.5, u1 = 0.5, full = 1.0 }
max_leverage = 2.0
"#,
        );
        let mut parts = Parts::start(&model);
        apply(&model, &mut parts, 0, &[hit(0, 0.2, None)]);
        let st = &parts.classes.stakers;
        // 0.2 × 50 lost: u0 keeps 40 of the 90 left, u1 its 50; the
        // full-restaking weight stays 1.
        assert_eq!(st.stake[0], 90.0);
        assert_close(st.weight[0], 40.0 / 90.0, 1e-15);
        assert_close(st.weight[1], 50.0 / 90.0, 1e-15);
        assert_eq!(st.weight[2], 1.0);
        let run = &parts.classes.runs[0];
        assert_close(run.tvl[0], 40.0, 1e-14);
        assert_close(run.tvl[1], 50.0, 1e-14);
        assert_close(run.tvl[2], 90.0, 1e-14);
    }

    #[test]
    fn a_network_limit_slashes_only_the_counted_share() {
        let model = model(
            r#"
[[protocol]]
name = "limited"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
allocation = { model = "network_limit", limit = 50 }

[[staker]]
class = "c"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { limited = 1.0 }
"#,
        );
        let mut parts = Parts::start(&model);
        apply(&model, &mut parts, 0, &[hit(0, 0.4, None)]);
        // A quarter (50 of 200) counts: 0.4 × 0.25 × 100 each.
        let st = &parts.classes.stakers;
        assert_close(st.stake[0], 90.0, 1e-15);
        assert_close(st.stake[1], 90.0, 1e-15);
        assert_close(parts.protocols.losses[0].total(), 20.0, 1e-15);
    }
}
