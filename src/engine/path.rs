//! One Monte Carlo path: the agents over time. Each step: prices move,
//! events are drawn, protocols' APRs follow from their TVL, stakers earn,
//! slashes hit, strategies act, leaving stake is released, and a time-series
//! point is recorded on recording steps. Everything a path draws comes from
//! its own streams (see [`super::rng`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

use super::events::{EventDrawer, Hit, SideEffects, Source};
use super::layout::{EntityKind, Series};
use super::market::Market;
use super::rng::{PathRng, Stream, path_rng};
use super::stakers::{NO_OPERATOR, Stakers, Status, recount, reward_pass, slot_index_count};
use crate::model::{Allocation, InitialAllocation, Model, StakeDist, StakerClass, Strategy};
use crate::stats::LogHistogram;

/// Relative accuracy of the per-staker yield sketches (0.1 %).
pub const YIELD_SKETCH_ACCURACY: f64 = 0.001;

/// Marker in the release queue for a whole staker's exit.
const FULL_EXIT: u16 = u16::MAX;

/// Final figures of one class on one path (native units of its asset).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassFinal {
    /// Stake held at the horizon (including unbonding stake).
    pub stake: f64,
    /// Stake at entry, summed over stakers that entered.
    pub initial: f64,
    /// Rewards earned.
    pub rewards: f64,
    /// Stake slashed.
    pub losses: f64,
    /// Stake that exited.
    pub exits: f64,
    /// (rewards − losses) / initial.
    pub net_return: f64,
    /// (rewards × (1 − tax) − losses) / initial.
    pub after_tax_net_return: f64,
    /// Median over stakers of (rewards − losses) / initial stake.
    pub median_net_return: f64,
    /// Active stakers at the horizon.
    pub stakers: u32,
    /// Stakers that entered after t = 0.
    pub entered: u32,
}

/// Final figures of one protocol on one path.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolFinal {
    /// Active TVL at the horizon, native units of its first asset.
    pub tvl_native: f64,
    /// Active TVL at the horizon, USD.
    pub tvl_usd: f64,
    /// APR at the horizon.
    pub apr: f64,
    /// Stake slashed in it, native units.
    pub losses_native: f64,
    /// Stake slashed in it over its TVL at t = 0.
    pub loss_fraction: f64,
    /// Slashes applied.
    pub slash_events: u64,
}

/// Whole-scenario figures of one path. Returns value stake, rewards and
/// losses at t = 0 prices, so price moves do not count as yield.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalFinal {
    /// Active TVL at the horizon at the horizon's prices, USD.
    pub tvl_usd: f64,
    /// Stake at entry at t = 0 prices, USD.
    pub initial_usd: f64,
    /// Rewards at t = 0 prices, USD.
    pub rewards_usd: f64,
    /// Losses at t = 0 prices, USD.
    pub losses_usd: f64,
    /// (rewards − losses) / initial stake, at t = 0 prices.
    pub net_return: f64,
    /// After tax, at t = 0 prices.
    pub after_tax_net_return: f64,
    /// Slashes applied.
    pub slash_events: u64,
}

/// One slash as logged in `events.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Path index.
    pub path: u32,
    /// Day the slash took effect.
    pub day: u32,
    /// Protocol index.
    pub protocol: usize,
    /// Cause.
    pub source: Source,
    /// Operator hit, if operator-level.
    pub operator: Option<usize>,
    /// Severity applied (after caps).
    pub severity: f64,
    /// Stake lost, native units of the protocol's first asset.
    pub lost_native: f64,
    /// Stake lost, USD at the day's prices.
    pub lost_usd: f64,
}

/// Everything one path produces.
#[derive(Debug, Clone)]
pub struct PathOutcome {
    /// Path index.
    pub path: u32,
    /// Recorded values, `recorded steps × series`, in layout order.
    pub series: Vec<f32>,
    /// Per class.
    pub classes: Vec<ClassFinal>,
    /// Per protocol.
    pub protocols: Vec<ProtocolFinal>,
    /// Whole scenario.
    pub total: TotalFinal,
    /// Per class: sketch of per-staker net APR (net return / years held).
    pub staker_apr: Vec<LogHistogram>,
    /// Slashes, at most `max_event_rows`.
    pub events: Vec<EventRecord>,
    /// Slashes applied after `events` was full: `events.len()` plus this is
    /// `total.slash_events`.
    pub events_not_logged: u64,
    /// Largest relative bookkeeping error over stakers (should be ~1e-15).
    pub bookkeeping_error: f64,
    /// What went wrong when the path ended with a non-finite or negative
    /// stake, a non-finite result or broken bookkeeping (checked once, at
    /// the end of the path).
    pub defect: Option<String>,
}

/// Largest relative bookkeeping error a path may end with.
pub const BOOKKEEPING_TOLERANCE: f64 = 1e-9;

/// Per-class running state.
#[derive(Debug, Clone)]
struct ClassRun {
    range: Range<usize>,
    next_reserve: usize,
    tvl: Vec<f64>,
    stake: f64,
    rewards: f64,
    losses: f64,
    exits: f64,
    initial: f64,
    active: u32,
    accepts: Vec<bool>,
    candidates: Vec<usize>,
}

/// Simulates path `path` of `model` and returns its outcome.
pub fn simulate_path(model: &Model, series: &[Series], path: u32) -> PathOutcome {
    let mut sim = PathSim::new(model, series, path);
    sim.run();
    sim.finish()
}

struct PathSim<'m> {
    model: &'m Model,
    layout: &'m [Series],
    path: u32,
    n_protocols: usize,
    st: Stakers,
    classes: Vec<ClassRun>,
    market: Market,
    drawer: EventDrawer,
    hits: Vec<Hit>,
    side: SideEffects,
    apr: Vec<f64>,
    earning: Vec<f64>,
    tvl_native: Vec<f64>,
    tvl_usd: Vec<f64>,
    rate: Vec<f64>,
    backers: Vec<u32>,
    losses_p: Vec<f64>,
    events_p: Vec<u64>,
    keep: Vec<f64>,
    releases: BinaryHeap<Reverse<(u32, u32, u16)>>,
    events: Vec<EventRecord>,
    events_not_logged: u64,
    recorded: Vec<u32>,
    next_record: usize,
    values: Vec<f32>,
    scratch: Vec<usize>,
    scores: Vec<f64>,
    initial_tvl: Vec<f64>,
    rng_market: PathRng,
    rng_events: PathRng,
    rng_behaviour: PathRng,
    rng_initial: PathRng,
}

impl<'m> PathSim<'m> {
    fn new(model: &'m Model, layout: &'m [Series], path: u32) -> PathSim<'m> {
        let n_protocols = model.protocols.len();
        let slot_count = slot_index_count(n_protocols);
        let seed = model.run.seed;
        let chases_with_delay = |c: &StakerClass| {
            matches!(c.strategy, Strategy::YieldChasing { .. })
                && model.protocols.iter().any(|p| p.deallocation_steps > 0)
        };
        let slots = model
            .classes
            .iter()
            .map(|c| c.allocation.max_protocols() + usize::from(chases_with_delay(c)))
            .max()
            .unwrap_or(1)
            .max(1);
        let mut start = 0;
        let classes: Vec<ClassRun> = model
            .classes
            .iter()
            .map(|c| {
                let len = c.capacity() as usize;
                let accepts: Vec<bool> = model
                    .protocols
                    .iter()
                    .map(|p| p.assets.contains(&c.asset))
                    .collect();
                let run = ClassRun {
                    range: start..start + len,
                    next_reserve: start + c.count as usize,
                    tvl: vec![0.0; slot_count],
                    stake: 0.0,
                    rewards: 0.0,
                    losses: 0.0,
                    exits: 0.0,
                    initial: 0.0,
                    active: 0,
                    candidates: (0..n_protocols).filter(|&p| accepts[p]).collect(),
                    accepts,
                };
                start += len;
                run
            })
            .collect();
        let recorded = model.run.recorded_steps();
        PathSim {
            model,
            layout,
            path,
            n_protocols,
            st: Stakers::new(start, slots, n_protocols, model.run.steps),
            classes,
            market: Market::new(model),
            drawer: EventDrawer::new(model, seed, u64::from(path)),
            hits: Vec::new(),
            side: SideEffects::default(),
            apr: vec![0.0; n_protocols],
            earning: vec![0.0; n_protocols],
            tvl_native: vec![0.0; n_protocols],
            tvl_usd: vec![0.0; n_protocols],
            rate: vec![0.0; slot_count],
            backers: vec![0; n_protocols],
            losses_p: vec![0.0; n_protocols],
            events_p: vec![0; n_protocols],
            keep: model.operators.iter().map(|o| 1.0 - o.commission).collect(),
            releases: BinaryHeap::new(),
            events: Vec::new(),
            events_not_logged: 0,
            values: Vec::with_capacity(recorded.len() * layout.len()),
            recorded,
            next_record: 0,
            scratch: Vec::new(),
            scores: Vec::new(),
            initial_tvl: Vec::new(),
            rng_market: path_rng(seed, u64::from(path), Stream::Market),
            rng_events: path_rng(seed, u64::from(path), Stream::Events),
            rng_behaviour: path_rng(seed, u64::from(path), Stream::Behaviour),
            rng_initial: path_rng(seed, u64::from(path), Stream::Initial),
        }
    }

    fn run(&mut self) {
        for c in 0..self.classes.len() {
            let first = self.classes[c].range.start;
            let count = self.model.classes[c].count as usize;
            for i in first..first + count {
                self.activate(c, i, 0, Stream::Initial);
            }
        }
        self.update_aprs();
        self.initial_tvl = self.tvl_native.clone();
        self.record_if_due(0);
        for step in 0..self.model.run.steps {
            self.market.step(&mut self.rng_market);
            self.drawer.draw(
                self.model,
                step,
                &mut self.rng_events,
                &mut self.hits,
                &mut self.side,
            );
            for &(asset, change) in &self.side.price_moves {
                self.market.shock(asset, change);
            }
            self.update_aprs();
            self.pay_rewards();
            if !self.hits.is_empty() {
                self.apply_slashes(step);
            }
            self.review(step);
            self.release(step);
            self.record_if_due(step + 1);
        }
    }

    /// TVL (end of the previous step) and prices → APR and per-step rates.
    fn update_aprs(&mut self) {
        let p_count = self.n_protocols;
        self.tvl_usd.fill(0.0);
        for (c, run) in self.classes.iter().enumerate() {
            let price = self.market.prices[self.model.classes[c].asset];
            for p in 0..p_count {
                self.tvl_usd[p] += run.tvl[p] * price;
            }
        }
        let step_years = self.model.run.step_years();
        for (p, proto) in self.model.protocols.iter().enumerate() {
            let usd = self.tvl_usd[p].max(0.0);
            let native = usd / self.market.prices[proto.assets[0]];
            self.tvl_native[p] = native;
            let reward = proto.reward_value(&self.market.prices, &self.market.initial);
            let (paid, earned) = proto.aprs(native, usd, reward);
            self.apr[p] = paid;
            self.earning[p] = earned;
            self.rate[p] = earned * step_years;
        }
    }

    fn pay_rewards(&mut self) {
        for (c, class) in self.model.classes.iter().enumerate() {
            let run = &mut self.classes[c];
            run.tvl.fill(0.0);
            let range = run.range.start..run.next_reserve;
            let operators = !class.delegation.is_empty();
            let (paid, stake) = match (class.compounding, operators) {
                (true, false) => reward_pass::<true, false>(
                    &mut self.st,
                    range,
                    &self.rate,
                    &self.keep,
                    &mut run.tvl,
                ),
                (true, true) => reward_pass::<true, true>(
                    &mut self.st,
                    range,
                    &self.rate,
                    &self.keep,
                    &mut run.tvl,
                ),
                (false, false) => reward_pass::<false, false>(
                    &mut self.st,
                    range,
                    &self.rate,
                    &self.keep,
                    &mut run.tvl,
                ),
                (false, true) => reward_pass::<false, true>(
                    &mut self.st,
                    range,
                    &self.rate,
                    &self.keep,
                    &mut run.tvl,
                ),
            };
            run.rewards += paid;
            run.stake = stake;
        }
    }

    fn apply_slashes(&mut self, step: u32) {
        let p_count = self.n_protocols;
        let day = (step + 1) * self.model.run.step_days;
        for h in 0..self.hits.len() {
            let hit = self.hits[h];
            let proto = &self.model.protocols[hit.protocol];
            let share = proto.counted_share(self.tvl_native[hit.protocol]);
            let unique = proto.allocation == Allocation::UniqueStake;
            let unit_price = self.market.prices[proto.assets[0]];
            let (active, leaving) = (hit.protocol as u16, (hit.protocol + p_count) as u16);
            let mut lost_usd = 0.0;
            for (c, class) in self.model.classes.iter().enumerate() {
                if !self.classes[c].accepts[hit.protocol] {
                    continue;
                }
                let mut lost = 0.0;
                let range = self.classes[c].range.start..self.classes[c].next_reserve;
                for i in range {
                    let stake = self.st.stake[i];
                    if stake == 0.0
                        || hit
                            .operator
                            .is_some_and(|o| self.st.operator[i] as usize != o)
                    {
                        continue;
                    }
                    for j in self.st.slot_range(i) {
                        let s = self.st.slot[j];
                        if s != active && s != leaving {
                            continue;
                        }
                        let c_now = self.st.stake[i];
                        let loss = (hit.severity * share * self.st.weight[j] * c_now).min(c_now);
                        if loss <= 0.0 {
                            continue;
                        }
                        let after = c_now - loss;
                        if unique {
                            rescale_unique(
                                self.model,
                                &mut self.st,
                                i,
                                j,
                                hit.severity,
                                c_now,
                                after,
                            );
                        }
                        self.st.stake[i] = after;
                        self.st.losses[i] += loss;
                        lost += loss;
                    }
                }
                let run = &mut self.classes[c];
                run.losses += lost;
                lost_usd += lost * self.market.prices[class.asset];
            }
            let lost_native = lost_usd / unit_price;
            self.losses_p[hit.protocol] += lost_native;
            self.events_p[hit.protocol] += 1;
            if self.events.len() < self.model.run.max_event_rows as usize {
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
                self.events_not_logged += 1;
            }
        }
        for c in 0..self.classes.len() {
            let run = &mut self.classes[c];
            let range = run.range.start..run.next_reserve;
            run.stake = recount(&self.st, range, &mut run.tvl);
        }
    }

    /// Reviews (strategies, opportunity exits, entries) and shock exits.
    fn review(&mut self, step: u32) {
        let exit_fraction = self.side.exit_fraction;
        for c in 0..self.classes.len() {
            let class = &self.model.classes[c];
            if exit_fraction > 0.0 {
                for i in self.classes[c].range.start..self.classes[c].next_reserve {
                    if self.st.status[i] == Status::Active
                        && self.rng_behaviour.random::<f64>() < exit_fraction
                    {
                        self.begin_exit(c, i, step);
                    }
                }
            }
            let n = class.review_every_steps;
            if step % n != n - 1 {
                continue;
            }
            match class.strategy {
                Strategy::Fixed => {}
                Strategy::RiskAverse { exit_loss } => {
                    for i in self.classes[c].range.start..self.classes[c].next_reserve {
                        if self.st.status[i] == Status::Active
                            && self.st.losses[i] > exit_loss * self.st.initial[i]
                        {
                            self.begin_exit(c, i, step);
                        }
                    }
                }
                Strategy::YieldChasing {
                    probability,
                    min_improvement,
                    risk_weight,
                } => self.chase(c, step, probability, min_improvement, risk_weight),
            }
            if class.opportunity_apr > 0.0 {
                for i in self.classes[c].range.start..self.classes[c].next_reserve {
                    if self.st.status[i] == Status::Active
                        && self.staker_apr(i) < class.opportunity_apr
                    {
                        self.begin_exit(c, i, step);
                    }
                }
            }
            if let Some(entry) = class.entry
                && self.prospective_apr(c) > class.opportunity_apr
            {
                let end = self.classes[c].range.end;
                for _ in 0..entry.per_review {
                    let i = self.classes[c].next_reserve;
                    if i >= end {
                        break;
                    }
                    self.classes[c].next_reserve += 1;
                    self.activate(c, i, step + 1, Stream::Behaviour);
                }
            }
        }
    }

    /// APR a staker earns now: Σ weight × APR over its active allocations.
    fn staker_apr(&self, i: usize) -> f64 {
        self.st
            .slot_range(i)
            .filter(|&j| (self.st.slot[j] as usize) < self.n_protocols)
            .map(|j| self.st.weight[j] * self.earning[self.st.slot[j] as usize])
            .sum()
    }

    /// APR a new staker of class `c` would expect now.
    fn prospective_apr(&self, c: usize) -> f64 {
        self.model.classes[c].allocation.expected_apr(&self.earning)
    }

    fn chase(
        &mut self,
        c: usize,
        step: u32,
        probability: f64,
        min_improvement: f64,
        risk_weight: f64,
    ) {
        if probability <= 0.0 {
            return;
        }
        let step_years = self.model.run.step_years();
        let mut scores = std::mem::take(&mut self.scores);
        scores.clear();
        scores.extend(
            self.model
                .protocols
                .iter()
                .zip(&self.earning)
                .map(|(p, apr)| apr - risk_weight * p.expected_yearly_loss(step_years)),
        );
        let mut order = std::mem::take(&mut self.classes[c].candidates);
        // Best first; ties to the lowest index.
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let range = self.classes[c].range.start..self.classes[c].next_reserve;
        let log_keep = (1.0 - probability).ln();
        let mut i = range.start;
        loop {
            // Geometric skipping: each staker acts with `probability`.
            if probability < 1.0 {
                let u: f64 = 1.0 - self.rng_behaviour.random::<f64>();
                let skip = (u.ln() / log_keep).floor();
                if skip >= (range.end - i) as f64 {
                    break;
                }
                i += skip as usize;
            }
            if i >= range.end {
                break;
            }
            if self.st.status[i] == Status::Active {
                self.swap_worst_for_best(c, i, step, &order, &scores, min_improvement);
            }
            i += 1;
        }
        order.sort_unstable();
        self.classes[c].candidates = order;
        self.scores = scores;
    }

    /// Moves the weight of staker i's worst held protocol to the best one it
    /// does not hold (ties: lowest index), if the gain is at least
    /// `min_improvement`.
    fn swap_worst_for_best(
        &mut self,
        c: usize,
        i: usize,
        step: u32,
        order: &[usize],
        scores: &[f64],
        min_improvement: f64,
    ) {
        let model = self.model;
        let p_count = self.n_protocols;
        let slots = self.st.slot_range(i);
        let mut worst: Option<(usize, usize)> = None;
        for j in slots.clone() {
            let p = self.st.slot[j] as usize;
            if p >= p_count {
                continue;
            }
            let better = match worst {
                None => true,
                Some((_, wp)) => scores[p] < scores[wp] || (scores[p] == scores[wp] && p < wp),
            };
            if better {
                worst = Some((j, p));
            }
        }
        let Some((j_worst, p_worst)) = worst else {
            return;
        };
        let st = &self.st;
        let held = |p: usize| {
            slots.clone().any(|j| {
                let s = st.slot[j] as usize;
                s < 2 * p_count && s % p_count == p
            })
        };
        let stake = st.stake[i];
        let op = st.operator[i] as usize;
        let has_ops = !model.classes[c].delegation.is_empty();
        let best = order.iter().copied().find(|&p| {
            let proto = &model.protocols[p];
            !held(p)
                && stake >= proto.min_stake
                && self.tvl_native[p] < proto.capacity
                && (!has_ops || model.operators[op].serves[p])
        });
        let Some(p_best) = best else { return };
        if scores[p_best] - scores[p_worst] < min_improvement {
            return;
        }
        // Unique stake: magnitudes (including those still deallocating) stay
        // within the stake, so a move into a unique-stake protocol must fit.
        let unique = |p: usize| model.protocols[p].allocation == Allocation::UniqueStake;
        if unique(p_best) {
            let w_move = st.weight[j_worst];
            let held_unique: f64 = slots
                .clone()
                .filter(|&j| {
                    let s = st.slot[j] as usize;
                    s < 2 * p_count && unique(s % p_count)
                })
                .map(|j| st.weight[j])
                .sum();
            let freed = if unique(p_worst) && model.protocols[p_worst].deallocation_steps == 0 {
                w_move
            } else {
                0.0
            };
            if held_unique - freed + w_move > 1.0 + 1e-12 {
                return;
            }
        }
        let delay = model.protocols[p_worst].deallocation_steps;
        let target = if delay == 0 {
            j_worst
        } else {
            // The old allocation stays slashable while it deallocates: it
            // needs a free slot for the new one, else the move waits.
            let Some(free) = slots.clone().find(|&j| st.is_empty(st.slot[j])) else {
                return;
            };
            free
        };
        let w = self.st.weight[j_worst];
        let run = &mut self.classes[c];
        run.tvl[p_worst] -= w * stake;
        self.backers[p_worst] -= 1;
        self.backers[p_best] += 1;
        if delay > 0 {
            self.st.slot[j_worst] = (p_worst + p_count) as u16;
            run.tvl[p_worst + p_count] += w * stake;
            self.releases.push(Reverse((
                step + delay,
                i as u32,
                (j_worst - slots.start) as u16,
            )));
        }
        self.st.slot[target] = p_best as u16;
        self.st.weight[target] = w;
        run.tvl[p_best] += w * stake;
    }

    /// Starts a staker's exit: its allocations stop earning and unbond.
    fn begin_exit(&mut self, c: usize, i: usize, step: u32) {
        let p_count = self.n_protocols;
        let stake = self.st.stake[i];
        let mut delay = 0;
        let run = &mut self.classes[c];
        for j in self.st.slot_range(i) {
            let p = self.st.slot[j] as usize;
            if p < p_count {
                let w = self.st.weight[j];
                run.tvl[p] -= w * stake;
                run.tvl[p + p_count] += w * stake;
                self.st.slot[j] = (p + p_count) as u16;
                self.backers[p] -= 1;
                delay = delay.max(self.model.protocols[p].exit_delay_steps);
            }
        }
        self.st.status[i] = Status::Exiting;
        run.active -= 1;
        self.releases
            .push(Reverse((step + delay, i as u32, FULL_EXIT)));
    }

    /// Releases exits and deallocations whose delay has run out.
    fn release(&mut self, step: u32) {
        while let Some(&Reverse((due, i, which))) = self.releases.peek() {
            if due > step {
                break;
            }
            self.releases.pop();
            let i = i as usize;
            let c = self
                .classes
                .iter()
                .position(|r| r.range.contains(&i))
                .unwrap_or(0);
            let stake = self.st.stake[i];
            let run = &mut self.classes[c];
            let slots = self.st.slot_range(i);
            if which == FULL_EXIT {
                for j in slots {
                    let s = self.st.slot[j] as usize;
                    run.tvl[s] -= self.st.weight[j] * stake;
                    self.st.clear_slot(j);
                }
                self.st.exited[i] += stake;
                self.st.stake[i] = 0.0;
                self.st.status[i] = Status::Exited;
                self.st.left[i] = step + 1;
                run.exits += stake;
                run.stake -= stake;
            } else {
                let j = slots.start + which as usize;
                let s = self.st.slot[j] as usize;
                if !self.st.is_empty(s as u16) {
                    run.tvl[s] -= self.st.weight[j] * stake;
                    self.st.clear_slot(j);
                }
            }
        }
    }

    /// Brings staker `i` of class `c` in at `step` with a fresh stake,
    /// allocation and operator, drawn from `stream`.
    fn activate(&mut self, c: usize, i: usize, step: u32, stream: Stream) {
        let model = self.model;
        let class = &model.classes[c];
        let rng = match stream {
            Stream::Initial => &mut self.rng_initial,
            _ => &mut self.rng_behaviour,
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
        let base = i * self.st.slots;
        let mut n = 0;
        // Entries after t = 0 do not flow into protocols at capacity.
        let open = |p: usize| step == 0 || self.tvl_native[p] < model.protocols[p].capacity;
        match &class.allocation {
            InitialAllocation::Fixed(pairs) => {
                for &(p, w) in pairs {
                    if stake >= model.protocols[p].min_stake && serves(p) && open(p) {
                        self.st.slot[base + n] = p as u16;
                        self.st.weight[base + n] = w;
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
                    if stake >= model.protocols[p].min_stake && serves(p) && open(p) {
                        self.st.slot[base + n] = p as u16;
                        self.st.weight[base + n] = *weight;
                        n += 1;
                    }
                }
            }
        }
        let run = &mut self.classes[c];
        for j in base..base + n {
            let p = self.st.slot[j] as usize;
            run.tvl[p] += self.st.weight[j] * stake;
            self.backers[p] += 1;
        }
        self.st.stake[i] = stake;
        self.st.initial[i] = stake;
        self.st.operator[i] = operator as u16;
        self.st.status[i] = Status::Active;
        self.st.entered[i] = step;
        run.stake += stake;
        run.initial += stake;
        run.active += 1;
    }

    fn record_if_due(&mut self, step: u32) {
        if self.recorded.get(self.next_record) != Some(&step) {
            return;
        }
        self.next_record += 1;
        self.update_aprs();
        let prices = &self.market.prices;
        let total_slashes: u64 = self.events_p.iter().sum();
        let initial_prices = &self.market.initial;
        for s in self.layout {
            let v = match s.kind {
                EntityKind::Protocol(p) => match s.metric {
                    "tvl_native" => self.tvl_native[p],
                    "tvl_usd" => self.tvl_usd[p],
                    "apr" => self.apr[p],
                    "stakers" => f64::from(self.backers[p]),
                    "losses_cum" => self.losses_p[p],
                    _ => self.events_p[p] as f64,
                },
                EntityKind::Class(c) => {
                    let run = &self.classes[c];
                    let price = prices[self.model.classes[c].asset];
                    match s.metric {
                        "stake" => run.stake,
                        "stake_usd" => run.stake * price,
                        "rewards_cum" => run.rewards,
                        "losses_cum" => run.losses,
                        "exits_cum" => run.exits,
                        "net_return" => ratio(run.rewards - run.losses, run.initial),
                        "apr" => {
                            let earning: f64 = (0..self.n_protocols)
                                .map(|p| run.tvl[p] * self.earning[p])
                                .sum();
                            ratio(earning, run.stake)
                        }
                        _ => f64::from(run.active),
                    }
                }
                EntityKind::Asset(a) => {
                    let stake: f64 = self
                        .classes
                        .iter()
                        .zip(&self.model.classes)
                        .filter(|(_, k)| k.asset == a)
                        .map(|(r, _)| r.stake)
                        .sum();
                    match s.metric {
                        "price_usd" => prices[a],
                        "tvl_native" => stake,
                        _ => stake * prices[a],
                    }
                }
                EntityKind::Total => {
                    let by_class = |f: &dyn Fn(&ClassRun) -> f64, price: &[f64]| -> f64 {
                        self.classes
                            .iter()
                            .zip(&self.model.classes)
                            .map(|(r, k)| f(r) * price[k.asset])
                            .sum()
                    };
                    match s.metric {
                        "tvl_usd" => self.tvl_usd.iter().sum(),
                        "stake_usd" => by_class(&|r| r.stake, prices),
                        "rewards_cum_usd" => by_class(&|r| r.rewards, initial_prices),
                        "losses_cum_usd" => by_class(&|r| r.losses, initial_prices),
                        "slash_events_cum" => total_slashes as f64,
                        _ => self.classes.iter().map(|r| f64::from(r.active)).sum(),
                    }
                }
            };
            self.values.push(v as f32);
        }
    }

    fn finish(mut self) -> PathOutcome {
        self.update_aprs();
        let model = self.model;
        let horizon = model.run.steps;
        let step_years = model.run.step_years();
        let mut sketches = Vec::with_capacity(self.classes.len());
        let mut classes = Vec::with_capacity(self.classes.len());
        let mut returns = Vec::new();
        for (c, run) in self.classes.iter().enumerate() {
            let class = &model.classes[c];
            let mut sketch = LogHistogram::new(YIELD_SKETCH_ACCURACY);
            returns.clear();
            for i in run.range.start..run.next_reserve {
                let initial = self.st.initial[i];
                let net = (self.st.rewards[i] - self.st.losses[i]) / initial;
                returns.push(net);
                let held = self.st.left[i].min(horizon) - self.st.entered[i].min(horizon);
                if held > 0 {
                    sketch.add(net / (f64::from(held) * step_years));
                }
            }
            sketches.push(sketch);
            classes.push(ClassFinal {
                stake: run.stake,
                initial: run.initial,
                rewards: run.rewards,
                losses: run.losses,
                exits: run.exits,
                net_return: ratio(run.rewards - run.losses, run.initial),
                after_tax_net_return: ratio(
                    run.rewards * (1.0 - class.tax_rate) - run.losses,
                    run.initial,
                ),
                median_net_return: median(&mut returns),
                stakers: run.active,
                entered: (run.next_reserve - run.range.start) as u32 - class.count,
            });
        }
        let protocols: Vec<ProtocolFinal> = (0..self.n_protocols)
            .map(|p| ProtocolFinal {
                tvl_native: self.tvl_native[p],
                tvl_usd: self.tvl_usd[p],
                apr: self.apr[p],
                losses_native: self.losses_p[p],
                loss_fraction: ratio(self.losses_p[p], self.initial_tvl[p]),
                slash_events: self.events_p[p],
            })
            .collect();
        let p0 = &self.market.initial;
        let value = |f: &dyn Fn(&ClassFinal) -> f64| -> f64 {
            classes
                .iter()
                .zip(&model.classes)
                .map(|(cf, k)| f(cf) * p0[k.asset])
                .sum()
        };
        let initial_usd = value(&|cf| cf.initial);
        let rewards_usd = value(&|cf| cf.rewards);
        let losses_usd = value(&|cf| cf.losses);
        let taxed_usd: f64 = classes
            .iter()
            .zip(&model.classes)
            .map(|(cf, k)| cf.rewards * (1.0 - k.tax_rate) * p0[k.asset])
            .sum();
        let total = TotalFinal {
            tvl_usd: self.tvl_usd.iter().sum(),
            initial_usd,
            rewards_usd,
            losses_usd,
            net_return: ratio(rewards_usd - losses_usd, initial_usd),
            after_tax_net_return: ratio(taxed_usd - losses_usd, initial_usd),
            slash_events: self.events_p.iter().sum(),
        };
        let bookkeeping_error = self.st.bookkeeping_error();
        let defect = if let Some(i) = self
            .st
            .stake
            .iter()
            .position(|c| !(c.is_finite() && *c >= 0.0))
        {
            Some(format!(
                "staker {i} ended with a stake of {}",
                self.st.stake[i]
            ))
        } else if !finals_are_finite(&classes, &protocols, &total) {
            Some("a final figure is not finite".to_string())
        } else if self.values.iter().any(|v| !v.is_finite()) {
            Some("a recorded value is not finite (too large for the time series)".to_string())
        } else if bookkeeping_error.is_nan() || bookkeeping_error > BOOKKEEPING_TOLERANCE {
            Some(format!(
                "bookkeeping broken: relative error {bookkeeping_error} (at most {BOOKKEEPING_TOLERANCE})"
            ))
        } else {
            None
        };
        PathOutcome {
            path: self.path,
            series: std::mem::take(&mut self.values),
            classes,
            protocols,
            total,
            staker_apr: sketches,
            events: std::mem::take(&mut self.events),
            events_not_logged: self.events_not_logged,
            bookkeeping_error,
            defect,
        }
    }
}

/// Whether every final figure of a path is finite.
fn finals_are_finite(classes: &[ClassFinal], protocols: &[ProtocolFinal], t: &TotalFinal) -> bool {
    let class_ok = |c: &ClassFinal| {
        [c.stake, c.initial, c.rewards, c.losses, c.net_return]
            .iter()
            .all(|x| x.is_finite())
    };
    let protocol_ok = |p: &ProtocolFinal| {
        [
            p.tvl_native,
            p.tvl_usd,
            p.apr,
            p.losses_native,
            p.loss_fraction,
        ]
        .iter()
        .all(|x| x.is_finite())
    };
    classes.iter().all(class_ok)
        && protocols.iter().all(protocol_ok)
        && [
            t.tvl_usd,
            t.initial_usd,
            t.rewards_usd,
            t.losses_usd,
            t.net_return,
            t.after_tax_net_return,
        ]
        .iter()
        .all(|x| x.is_finite())
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
    let p_count = model.protocols.len();
    if after <= 0.0 {
        return;
    }
    let scale = before / after;
    for k in st.slot_range(i) {
        let s = st.slot[k] as usize;
        if s >= 2 * p_count {
            continue;
        }
        if model.protocols[s % p_count].allocation != Allocation::UniqueStake {
            continue;
        }
        let kept = if k == j { 1.0 - severity } else { 1.0 };
        st.weight[k] = (st.weight[k] * kept * scale).min(1.0);
    }
}

fn draw_stake(dist: StakeDist, rng: &mut PathRng) -> f64 {
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

/// `num / den`, 0 when `den` is 0.
fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

/// Median (mean of the two middle values for an even count); NaN if empty.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lower, m, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (below + upper)
    }
}
