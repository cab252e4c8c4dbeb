//! Attacks along a path: after the step's random slashes, the operator–
//! service graph is read off the stakers ([`network_of`]) and, while some
//! coalition of operators can profitably attack a set of services, the most
//! profitable attack happens — the coalition's delegators are slashed in
//! full (up to each protocol's cap) in every attacked service, the services'
//! profit is counted as stolen and they are corrupted for the rest of the
//! path — and the search runs again on what is left: a cascade within the
//! step. Only with `run.attacks`; otherwise nothing here runs.

use super::classes::Classes;
use super::events::Hit;
use super::protocols::ProtocolBook;
use super::slashing::{EventLog, apply_slashes};
use super::stakers::NO_OPERATOR;
use crate::model::Model;
#[cfg(test)]
use crate::results::Metric;
use crate::results::Source;
use crate::security::{self, Method, Network, Operator, Service, network::members};

/// Largest security slack recorded: γ is infinite when nothing worth
/// anything can be attacked, and a recorded value must be finite.
pub const SLACK_CAP: f64 = 1000.0;

/// The attack state of one path.
#[derive(Debug, Clone)]
pub struct Attacks {
    /// The protocol of each service (the protocols with a `corruption`).
    protocols: Vec<usize>,
    /// Per service: corrupted by an attack.
    corrupted: Vec<bool>,
    /// Per protocol: value stolen by attacks, USD, cumulative.
    pub stolen_usd: Vec<f64>,
    /// Attacks so far.
    pub attacks: u64,
    /// γ after the step's attacks (capped at [`SLACK_CAP`]).
    pub slack: f64,
    hits: Vec<Hit>,
}

impl Attacks {
    /// No attack yet on `model`'s services.
    pub fn new(model: &Model) -> Attacks {
        let protocols: Vec<usize> = (0..model.protocols.len())
            .filter(|&p| model.protocols[p].corruption.is_some())
            .collect();
        Attacks {
            corrupted: vec![false; protocols.len()],
            protocols,
            stolen_usd: vec![0.0; model.protocols.len()],
            attacks: 0,
            slack: SLACK_CAP,
            hits: Vec::new(),
        }
    }

    /// The protocol of each service.
    pub fn services(&self) -> &[usize] {
        &self.protocols
    }

    /// Per service: whether an attack has corrupted it.
    pub fn corrupted(&self) -> &[bool] {
        &self.corrupted
    }

    /// Services corrupted so far.
    pub fn corrupted_services(&self) -> usize {
        self.corrupted.iter().filter(|&&c| c).count()
    }

    /// Value stolen so far over every service, USD.
    pub fn stolen_total_usd(&self) -> f64 {
        self.stolen_usd.iter().fold(0.0, |a, b| a + b)
    }

    /// The slack at t = 0, before any attack (nothing without `run.attacks`).
    pub fn assess(
        &mut self,
        model: &Model,
        prices: &[f64],
        protocols: &ProtocolBook,
        classes: &Classes,
    ) {
        if !model.run.attacks {
            return;
        }
        let net = network_of(
            model,
            &self.protocols,
            &self.corrupted,
            classes,
            prices,
            protocols,
        );
        self.slack = security::scan(&net, Method::for_network(&net))
            .slack()
            .min(SLACK_CAP);
    }

    /// Step `step`'s attacks, at `prices`: the most profitable attack,
    /// again and again, until none pays. Nothing without `run.attacks`.
    pub fn step(
        &mut self,
        model: &Model,
        step: u32,
        prices: &[f64],
        protocols: &mut ProtocolBook,
        classes: &mut Classes,
        log: &mut EventLog,
    ) {
        if !model.run.attacks {
            return;
        }
        // Each attack corrupts at least one service, so this ends.
        for _ in 0..=self.protocols.len() {
            let net = network_of(
                model,
                &self.protocols,
                &self.corrupted,
                classes,
                prices,
                protocols,
            );
            let tally = security::scan(&net, Method::for_network(&net));
            let Some(attack) = tally.most_profitable else {
                self.slack = tally.slack().min(SLACK_CAP);
                return;
            };
            self.hits.clear();
            for s in members(attack.services) {
                let p = self.protocols[s];
                self.corrupted[s] = true;
                self.stolen_usd[p] += net.services[s].profit;
                let severity = model.protocols[p].capped_severity(1.0);
                // Only the coalition's members with stake behind it.
                self.hits.extend(
                    attack
                        .coalition
                        .iter()
                        .filter(|&&o| net.exposure(o, s) > 0.0)
                        .map(|&o| Hit {
                            protocol: p,
                            severity,
                            operator: Some(o),
                            source: Source::Attack,
                        }),
                );
            }
            self.attacks += 1;
            apply_slashes(model, step, &self.hits, prices, protocols, classes, log);
        }
    }
}

/// The operator–service graph of `model` now: a service per protocol in
/// `services` (corrupted ones marked), an operator per `[[operator]]`, each
/// operator's stake the USD value of its delegators' stake that backs some
/// service, and its stake behind a service what its delegators have
/// allocated to it (active or leaving, times the protocol's counted share).
/// Stake of classes that do not delegate is undelegated stake behind the
/// services. π follows each protocol's `corruption` at today's `prices`.
pub fn network_of(
    model: &Model,
    services: &[usize],
    corrupted: &[bool],
    classes: &Classes,
    prices: &[f64],
    book: &ProtocolBook,
) -> Network {
    let n = services.len();
    let mut service_of = vec![usize::MAX; model.protocols.len()];
    for (s, &p) in services.iter().enumerate() {
        service_of[p] = s;
    }
    let share: Vec<f64> = (0..model.protocols.len())
        .map(|p| model.protocols[p].counted_share(book.tvl_native[p]))
        .collect();
    let mut exposure = vec![vec![0.0; n]; model.operators.len()];
    let mut stake = vec![0.0; model.operators.len()];
    let mut honest = vec![0.0; n];
    let st = &classes.stakers;
    for (run, class) in classes.runs.iter().zip(&model.classes) {
        let price = prices[class.asset];
        for i in run.members() {
            let value = st.stake[i] * price;
            if value <= 0.0 {
                continue;
            }
            let operator = st.operator[i];
            let mut backs = false;
            for j in st.slot_range(i) {
                let Some(p) = st.slot_protocol(j) else {
                    continue;
                };
                let s = service_of[p];
                if s == usize::MAX {
                    continue;
                }
                let behind = st.weight[j] * share[p] * value;
                if operator == NO_OPERATOR {
                    honest[s] += behind;
                } else {
                    exposure[usize::from(operator)][s] += behind;
                }
                backs = true;
            }
            if backs && operator != NO_OPERATOR {
                stake[usize::from(operator)] += value;
            }
        }
    }
    let operators = model
        .operators
        .iter()
        .zip(&stake)
        .map(|(o, &stake)| Operator {
            name: o.name.clone(),
            stake,
        })
        .collect();
    let services = services
        .iter()
        .enumerate()
        .map(|(s, &p)| {
            let protocol = &model.protocols[p];
            let behind: f64 = exposure.iter().map(|row| row[s]).fold(0.0, |a, b| a + b) + honest[s];
            let corruption = protocol.corruption.as_ref();
            Service {
                name: protocol.name.clone(),
                profit: corruption.map_or(0.0, |c| c.profit_usd(behind, prices)),
                threshold: corruption.map_or(1.0, |c| c.threshold),
                honest: honest[s],
                slashable: protocol.capped_severity(1.0),
                corrupted: corrupted[s],
            }
        })
        .collect();
    // At most 64 services: more is refused when the scenario is checked.
    Network::new(services, operators, exposure).unwrap_or_else(Network::empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::path::{PathState, initial_network};
    use crate::engine::test_support::model;
    use crate::results::{SecurityMetric, ServiceMetric, series_of};

    /// Theorem 2's network as a scenario: one service worth exactly all the
    /// stake (400,000 USD), α = 1, behind operators holding 1 % and 99 %;
    /// `extra` appended (e.g. a shock), `attacks` the run switch.
    fn epsilon(attacks: bool, extra: &str) -> Model {
        let text = format!(
            r#"
[[protocol]]
name = "bridge"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.0 }}
corruption = {{ profit_usd = 400000, threshold = 1.0 }}

[[operator]]
name = "small"
protocols = ["bridge"]

[[operator]]
name = "large"
protocols = ["bridge"]

[[staker]]
class = "with-small"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 2 }}
allocate = {{ bridge = 1.0 }}
operators = {{ small = 1.0 }}

[[staker]]
class = "with-large"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 198 }}
allocate = {{ bridge = 1.0 }}
operators = {{ large = 1.0 }}
{extra}
"#
        );
        let mut m = model(&text);
        m.run.attacks = attacks;
        m
    }

    /// The small operator's delegators lose everything on day 3.
    const SMALL_LOST: &str = r#"
[[shock]]
name = "small-lost"
day = 3
operators = ["small"]
severity = { dist = "fixed", value = 1.0 }
"#;

    #[test]
    fn the_network_is_read_off_the_stakers_in_usd() {
        let net = initial_network(&epsilon(true, ""));
        assert_eq!(net.services.len(), 1);
        assert_eq!(net.services[0].profit, 400_000.0);
        assert_eq!(net.services[0].threshold, 1.0);
        assert_eq!(net.operators[0].stake, 4_000.0);
        assert_eq!(net.operators[1].stake, 396_000.0);
        assert_eq!(
            (net.exposure(0, 0), net.exposure(1, 0)),
            (4_000.0, 396_000.0)
        );
        assert_eq!(net.services[0].honest, 0.0);
        assert!(net.is_fully_restaked());
        let tally = security::scan(&net, Method::Exact);
        assert!(tally.secure());
        assert!(tally.slack().abs() < 1e-12);
    }

    #[test]
    fn after_a_shock_to_the_small_operator_the_large_one_attacks() {
        let model = epsilon(true, SMALL_LOST);
        let layout = series_of(&model);
        let find = |metric| layout.iter().position(|s| s.metric == metric).unwrap();
        let mut state = PathState::new(&model, &layout, 0);
        state.start();
        for step in 0..3 {
            state.step(step);
            assert_eq!(state.attacks.attacks, 0, "step {step}");
        }
        // Step 3: the shock takes the small operator's 2 ETH; the large
        // operator then holds all the stake, worth 396,000 < 400,000.
        state.step(3);
        assert_eq!(state.attacks.attacks, 1);
        assert_eq!(state.attacks.stolen_usd, [400_000.0]);
        assert_eq!(state.attacks.corrupted, [true]);
        let st = &state.classes.stakers;
        assert_eq!((st.stake[0], st.stake[1]), (0.0, 0.0));
        let log = &state.log.events;
        assert_eq!(log.len(), 2);
        assert_eq!(log[1].source, Source::Attack);
        assert_eq!(log[1].operator, Some(1));
        assert_eq!(log[1].lost_usd, 396_000.0);
        // Nothing is left to attack: no further attack, the slack is capped.
        for step in 4..10 {
            state.step(step);
        }
        assert_eq!(state.attacks.attacks, 1);
        assert_eq!(state.attacks.slack, SLACK_CAP);
        let outcome = state.finish();
        assert_eq!(outcome.defect, None);
        let n = layout.len();
        let last = &outcome.series[10 * n..];
        assert_eq!(
            last[find(Metric::Security(SecurityMetric::AttacksCum))],
            1.0
        );
        assert_eq!(
            last[find(Metric::Security(SecurityMetric::InsecureServices))],
            1.0
        );
        assert_eq!(
            last[find(Metric::Security(SecurityMetric::StolenUsdCum))],
            400_000.0
        );
        assert_eq!(
            last[find(Metric::Service(0, ServiceMetric::StolenUsdCum))],
            400_000.0
        );
        let before = &outcome.series[2 * n..3 * n];
        assert_eq!(
            before[find(Metric::Security(SecurityMetric::AttacksCum))],
            0.0
        );
        assert!(before[find(Metric::Security(SecurityMetric::SecuritySlack))].abs() < 1e-6);
    }

    #[test]
    fn without_the_switch_the_keys_change_nothing() {
        let (on, off) = (epsilon(false, SMALL_LOST), {
            let mut m = epsilon(false, SMALL_LOST);
            m.protocols[0].corruption = None;
            m
        });
        let (a, b) = (series_of(&on), series_of(&off));
        assert_eq!(a, b, "no security series without run.attacks");
        let (x, y) = (
            crate::engine::path::simulate_path(&on, &a, 0),
            crate::engine::path::simulate_path(&off, &b, 0),
        );
        assert_eq!(x.series, y.series);
        assert_eq!(x.events, y.events);
        assert_eq!(x.row, y.row);
    }
}
