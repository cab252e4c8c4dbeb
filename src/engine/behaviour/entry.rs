//! A staker's entry: its stake, operator and allocation drawn from its
//! class's distributions, and its stake added to the protocols it backs.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

use super::Behaviour;
use crate::engine::classes::Classes;
use crate::engine::protocols::ProtocolBook;
use crate::engine::rng::{PathRng, Stream};
use crate::engine::stakers::{NO_OPERATOR, Status};
use crate::model::{InitialAllocation, Model, StakeDist};

impl Behaviour {
    /// Brings staker `i` of class `c` in at `step` with a fresh stake,
    /// allocation and operator, drawn from `stream` (the initial stream at
    /// t = 0, the behaviour stream for later entries). Entries after t = 0
    /// do not flow into protocols at capacity, and a protocol whose
    /// `min_stake` the stake does not reach, or that the operator does not
    /// serve, is left out.
    #[allow(clippy::too_many_arguments)]
    pub fn activate(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        step: u32,
        stream: Stream,
    ) {
        let class = &model.classes[c];
        let rng = match stream {
            Stream::Initial => &mut self.initial_rng,
            _ => &mut self.rng,
        };
        let stake = draw_stake(class.stake, rng);
        let operator = if class.delegation.is_empty() {
            usize::from(NO_OPERATOR)
        } else {
            let u: f64 = rng.random();
            class
                .delegation
                .iter()
                .find(|&&(_, cum)| u < cum)
                .or(class.delegation.last())
                .map_or(0, |&(o, _)| o)
        };
        let serves = |p: usize| class.delegation.is_empty() || model.operators[operator].serves[p];
        let tvl_native = &protocols.tvl_native;
        let open = |p: usize| step == 0 || tvl_native[p] < model.protocols[p].capacity;
        let eligible = |p: usize| stake >= model.protocols[p].min_stake && serves(p) && open(p);
        let st = &mut classes.stakers;
        let base = st.slot_range(i).start;
        let mut n = 0;
        match &class.allocation {
            InitialAllocation::Fixed(pairs) => {
                for &(p, w) in pairs {
                    if eligible(p) {
                        st.allocate(base + n, p, w);
                        n += 1;
                    }
                }
            }
            InitialAllocation::Random {
                min,
                max,
                weight,
                among,
            } => {
                let k = rng.random_range(*min..=*max) as usize;
                self.scratch.clear();
                self.scratch.extend_from_slice(among);
                for pick in 0..k.min(self.scratch.len()) {
                    let j = rng.random_range(pick..self.scratch.len());
                    self.scratch.swap(pick, j);
                    let p = self.scratch[pick];
                    if eligible(p) {
                        st.allocate(base + n, p, *weight);
                        n += 1;
                    }
                }
            }
        }
        let run = &mut classes.runs[c];
        for j in base..base + n {
            run.tvl[st.slot_index(j)] += st.weight[j] * stake;
            if let Some(p) = st.slot_protocol(j) {
                protocols.backers[p] += 1;
            }
        }
        st.stake[i] = stake;
        st.initial[i] = stake;
        st.operator[i] = operator as u16;
        st.status[i] = Status::Active;
        st.entered[i] = step;
        run.stake += stake;
        run.initial += stake;
        run.active += 1;
    }
}

/// One staker's stake at entry, native units.
pub fn draw_stake(dist: StakeDist, rng: &mut PathRng) -> f64 {
    match dist {
        StakeDist::Fixed(v) => v,
        StakeDist::LogNormal { mu, sigma } => LogNormal::new(mu, sigma)
            .map(|d| d.sample(rng))
            .unwrap_or(mu.exp()),
        StakeDist::Pareto { scale, shape } => {
            let u: f64 = 1.0 - rng.random::<f64>();
            scale * u.powf(-1.0 / shape)
        }
        StakeDist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::path_rng;
    use crate::engine::stakers::SlotState;
    use crate::engine::test_support::{Parts, model};

    #[test]
    fn an_entrant_skips_protocols_whose_min_stake_it_does_not_reach() {
        let model = model(
            r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
min_stake = 50

[[staker]]
class = "c"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { p0 = 1.0, p1 = 0.5 }
max_leverage = 1.5
"#,
        );
        let parts = Parts::start(&model);
        let st = &parts.classes.stakers;
        for i in 0..2 {
            let slots = st.slot_range(i);
            assert_eq!(st.slot_state(slots.start), SlotState::Active(0));
            assert_eq!(st.weight[slots.start], 1.0);
            assert_eq!(st.slot_state(slots.start + 1), SlotState::Empty);
            assert_eq!(st.weight[slots.start + 1], 0.0);
            assert_eq!((st.stake[i], st.initial[i]), (10.0, 10.0));
            assert_eq!(st.status[i], Status::Active);
            assert_eq!(st.entered[i], 0);
            assert_eq!(st.operator[i], NO_OPERATOR);
        }
        let run = &parts.classes.runs[0];
        assert_eq!((run.stake, run.initial, run.active), (20.0, 20.0, 2));
        assert_eq!((run.tvl[0], run.tvl[1]), (20.0, 0.0));
        assert_eq!(parts.protocols.backers, [2, 0]);
        assert_eq!(parts.protocols.tvl_native, [20.0, 0.0]);
    }

    #[test]
    fn entries_after_t0_do_not_flow_into_protocols_at_capacity() {
        let model = model(
            r#"
[[protocol]]
name = "open"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "full"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
capacity = 15

[[staker]]
class = "c"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { open = 1.0, full = 1.0 }
max_leverage = 2.0
entry = { per_review = 1, max_new = 3 }
"#,
        );
        let mut parts = Parts::start(&model);
        // At t = 0 capacity does not bind: 20 ETH in "full".
        assert_eq!(parts.protocols.tvl_native, [20.0, 20.0]);
        let Parts {
            behaviour,
            classes,
            protocols,
            ..
        } = &mut parts;
        behaviour.activate(&model, classes, protocols, 0, 2, 5, Stream::Behaviour);
        let st = &classes.stakers;
        let first = st.slot_range(2).start;
        assert_eq!(st.slot_state(first), SlotState::Active(0));
        assert_eq!(st.slot_state(first + 1), SlotState::Empty);
        assert_eq!(st.entered[2], 5);
        assert_eq!(protocols.backers, [3, 2]);
        let run = &classes.runs[0];
        assert_eq!((run.tvl[0], run.tvl[1], run.active), (30.0, 20.0, 3));
        // At t = 0 it would back it, full or not.
        behaviour.activate(&model, classes, protocols, 0, 3, 0, Stream::Initial);
        let first = classes.stakers.slot_range(3).start;
        assert_eq!(classes.stakers.slot_state(first + 1), SlotState::Active(1));
        assert_eq!(protocols.backers, [4, 3]);
        // Below capacity again, an entrant backs it.
        protocols.tvl_native[1] = 14.9;
        behaviour.activate(&model, classes, protocols, 0, 4, 6, Stream::Behaviour);
        let first = classes.stakers.slot_range(4).start;
        assert_eq!(classes.stakers.slot_state(first + 1), SlotState::Active(1));
        assert_eq!(protocols.backers, [5, 4]);
    }

    #[test]
    fn random_allocations_skip_protocols_the_operator_does_not_serve() {
        let model = model(
            r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p2"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "op"
protocols = ["p0", "p2"]

[[staker]]
class = "c"
count = 20
asset = "ETH"
stake = { dist = "fixed", value = 1 }
random_allocation = { min = 3, max = 3, weight = 0.3 }
operators = { op = 1.0 }
"#,
        );
        let parts = Parts::start(&model);
        let st = &parts.classes.stakers;
        for i in 0..20 {
            let mut held: Vec<(usize, f64)> = st
                .slot_range(i)
                .filter_map(|j| st.slot_protocol(j).map(|p| (p, st.weight[j])))
                .collect();
            held.sort_by_key(|h| h.0);
            assert_eq!(held, [(0, 0.3), (2, 0.3)], "staker {i}");
            assert_eq!(st.operator[i], 0);
        }
        assert_eq!(parts.protocols.backers, [20, 0, 20]);
        let run = &parts.classes.runs[0];
        assert!((run.tvl[0] - 6.0).abs() < 1e-12 && (run.tvl[2] - 6.0).abs() < 1e-12);
        assert_eq!(run.tvl[1], 0.0);
    }

    #[test]
    fn a_random_allocation_picks_its_count_of_distinct_protocols() {
        let model = model(
            r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "p2"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "c"
count = 30
asset = "ETH"
stake = { dist = "fixed", value = 1 }
random_allocation = { min = 2, max = 2, weight = 0.5, among = ["p0", "p1", "p2"] }
"#,
        );
        let parts = Parts::start(&model);
        let st = &parts.classes.stakers;
        for i in 0..30 {
            let mut held: Vec<usize> = st
                .slot_range(i)
                .filter_map(|j| st.slot_protocol(j))
                .collect();
            held.sort_unstable();
            held.dedup();
            assert_eq!(held.len(), 2, "staker {i}");
        }
        let backers = &parts.protocols.backers;
        assert_eq!(backers.iter().sum::<u32>(), 60);
        assert!(backers.iter().all(|&b| b > 0), "{backers:?}");
    }

    #[test]
    fn each_staker_draws_its_operator_from_the_delegation_shares() {
        let model = model(
            r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "op-a"
protocols = ["p"]

[[operator]]
name = "op-b"
protocols = ["p"]

[[staker]]
class = "c"
count = 20
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }
operators = { op-a = 0.25, op-b = 0.75 }
"#,
        );
        let parts = Parts::start(&model);
        // A fixed stake and allocation draw nothing: each staker draws one
        // uniform, op-a below 0.25.
        let mut rng = path_rng(model.run.seed, 0, Stream::Initial);
        let expected: Vec<u16> = (0..20)
            .map(|_| u16::from(rng.random::<f64>() >= 0.25))
            .collect();
        assert_eq!(parts.classes.stakers.operator[0..20], expected);
        assert!(expected.contains(&0) && expected.contains(&1));
    }

    #[test]
    fn stakes_follow_their_distribution_draw_for_draw() {
        let rng = path_rng(3, 0, Stream::Initial);
        let u: f64 = rng.clone().random();
        let mut r = rng.clone();
        assert_eq!(draw_stake(StakeDist::Fixed(32.0), &mut r), 32.0);
        assert_eq!(r, rng, "a fixed stake draws nothing");
        let uniform = StakeDist::Uniform {
            low: 1.0,
            high: 5.0,
        };
        assert_eq!(draw_stake(uniform, &mut rng.clone()), 1.0 + 4.0 * u);
        let pareto = StakeDist::Pareto {
            scale: 2.0,
            shape: 1.5,
        };
        let expected = 2.0 * (1.0 - u).powf(-1.0 / 1.5);
        assert_eq!(draw_stake(pareto, &mut rng.clone()), expected);
        assert!(expected >= 2.0);
        let lognormal = StakeDist::LogNormal {
            mu: 10f64.ln(),
            sigma: 0.5,
        };
        let expected = LogNormal::new(10f64.ln(), 0.5)
            .unwrap()
            .sample(&mut rng.clone());
        assert_eq!(draw_stake(lognormal, &mut rng.clone()), expected);
        let degenerate = StakeDist::LogNormal {
            mu: 10f64.ln(),
            sigma: 0.0,
        };
        assert!((draw_stake(degenerate, &mut rng.clone()) - 10.0).abs() < 1e-12);
    }
}
