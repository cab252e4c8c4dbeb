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
