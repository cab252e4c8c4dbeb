//! A staker's entry: its stake, operator and allocation drawn from its
//! class's distributions, and its stake added to the protocols it backs.

use rand::RngExt;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rand_distr::{Distribution, LogNormal};

use super::Behaviour;
use crate::engine::classes::Classes;
use crate::engine::protocols::ProtocolBook;
use crate::engine::rng::{PathRng, Stream};
use crate::engine::stakers::{Member, NO_OPERATOR, Status};
use crate::model::{InitialAllocation, Model, StakeDist};

impl Behaviour {
    /// Brings staker `i` of class `c` in at `step` as a cohort of its own,
    /// with a fresh stake, allocation and operator drawn from `stream` (the
    /// initial stream at t = 0, the behaviour stream for later entries).
    /// Entries after t = 0 do not flow into protocols at capacity, and a
    /// protocol whose `min_stake` the stake does not reach, or that the
    /// operator does not serve, is left out.
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
        let (stake, operator) = self.draw_entrant(model, &protocols.tvl_native, c, step, stream);
        let member = classes.take_member_position(c);
        classes.stakers.member[member] = Member::entering(stake);
        let picks = std::mem::take(&mut self.picks);
        let cohort = Cohort {
            stake,
            operator,
            picks: &picks,
            members: member..member + 1,
        };
        install(classes, protocols, c, i, step, cohort);
        self.picks = picks;
    }

    /// Draws one entrant of class `c` at `step` from `stream`: returns its
    /// stake and operator, and leaves the protocols it backs (protocol,
    /// weight), in the order drawn, in `self.picks`.
    fn draw_entrant(
        &mut self,
        model: &Model,
        tvl_native: &[f64],
        c: usize,
        step: u32,
        stream: Stream,
    ) -> (f64, usize) {
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
        let open = |p: usize| step == 0 || tvl_native[p] < model.protocols[p].capacity;
        let eligible = |p: usize| stake >= model.protocols[p].min_stake && serves(p) && open(p);
        self.picks.clear();
        match &class.allocation {
            InitialAllocation::Fixed(pairs) => {
                self.picks
                    .extend(pairs.iter().copied().filter(|&(p, _)| eligible(p)));
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
                        self.picks.push((p, *weight));
                    }
                }
            }
        }
        (stake, operator)
    }

    /// Brings class `c`'s stakers at t = 0 in, drawing each as
    /// [`Self::activate`] would (the same numbers in the same order), and
    /// gathers those alike in law — the same operator and the same
    /// protocols at the same weights — into cohorts, in order of their
    /// first member (with `run.cohorts` off, or for a looping class whose
    /// leverage is drawn per staker, every staker is its own cohort).
    pub fn enter_class_initial(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
    ) {
        let class = &model.classes[c];
        let count = class.count as usize;
        let alike = model.run.cohorts && !class.is_loop();
        let mut grouping = SPARE_GROUPING.with_borrow_mut(std::mem::take);
        grouping.clear(&class.allocation);
        let mut stakes = std::mem::take(&mut grouping.stakes);
        let mut group_of = std::mem::take(&mut grouping.group_of);
        for _ in 0..count {
            let (stake, operator) =
                self.draw_entrant(model, &protocols.tvl_native, c, 0, Stream::Initial);
            stakes.push(stake);
            group_of.push(grouping.group_of(operator, &self.picks, alike, stake));
        }
        // Members grouped by cohort, in drawing order within each.
        let groups = grouping.len();
        let mut offset = vec![0usize; groups + 1];
        for &g in &group_of {
            offset[g as usize + 1] += 1;
        }
        for g in 0..groups {
            offset[g + 1] += offset[g];
        }
        let start = classes.runs[c].range.start;
        let first_member = classes.runs[c].member_range.start;
        let mut fill = offset.clone();
        for (&g, &stake) in group_of.iter().zip(&stakes) {
            classes.stakers.member[first_member + fill[g as usize]] = Member::entering(stake);
            fill[g as usize] += 1;
        }
        for g in 0..groups {
            let members = first_member + offset[g]..first_member + offset[g + 1];
            let stake = classes.stakers.member[members.clone()]
                .iter()
                .map(|m| m.base)
                .sum();
            let (operator, picks) = grouping.cohort(g);
            let cohort = Cohort {
                stake,
                operator,
                picks,
                members,
            };
            install(classes, protocols, c, start + g, 0, cohort);
        }
        let run = &mut classes.runs[c];
        run.next_entry = start + groups;
        run.entries_used = run.next_entry;
        run.next_member = first_member + count;
        grouping.stakes = stakes;
        grouping.group_of = group_of;
        SPARE_GROUPING.set(grouping);
    }
}

thread_local! {
    /// This thread's grouping from its last class at t = 0, for its next:
    /// cleared, it keeps its room, so that a path does not grow its tables
    /// (and rehash its map) again from nothing.
    static SPARE_GROUPING: RefCell<Grouping> = RefCell::new(Grouping::default());
}

/// A cohort about to enter.
struct Cohort<'a> {
    /// Its members' stakes, summed.
    stake: f64,
    /// Their operator ([`NO_OPERATOR`] for none).
    operator: usize,
    /// The protocols they back: (protocol, weight).
    picks: &'a [(usize, f64)],
    /// Positions of their stakes at entry in the member arrays.
    members: std::ops::Range<usize>,
}

/// Makes entry `i` of class `c` the cohort `cohort`, entered at `step`,
/// and adds its stake to the protocols it backs.
fn install(
    classes: &mut Classes,
    protocols: &mut ProtocolBook,
    c: usize,
    i: usize,
    step: u32,
    cohort: Cohort<'_>,
) {
    let Cohort {
        stake,
        operator,
        picks,
        members,
    } = cohort;
    let st = &mut classes.stakers;
    let run = &mut classes.runs[c];
    let count = members.len() as u32;
    let base = st.slot_range(i).start;
    for (n, &(p, w)) in picks.iter().enumerate() {
        st.allocate(base + n, p, w);
        run.tvl[st.slot_index(base + n)] += w * stake;
        protocols.backers[p] += count;
    }
    st.stake[i] = stake;
    st.cohort[i].initial = stake;
    st.operator[i] = operator as u16;
    st.cohort[i].status = Status::Active;
    st.cohort[i].entered = step;
    st.cohort[i].members = count;
    st.cohort[i].first_member = members.start as u32;
    st.cohort[i].member_room = count;
    st.cohort[i].scale = stake;
    run.stake += stake;
    run.initial += stake;
    run.active += count;
    run.joined += count;
}

/// Stakers at t = 0 gathered by what they are alike in: operator and
/// (protocol, weight) pairs, in protocol order. Keys are found by a 64-bit
/// hash and confirmed word for word; a staker whose hash another key holds
/// (or any staker, when stakers are not to be gathered) starts a cohort of
/// its own, which is always exact.
/// The word that starts a key's pairs when they are keyed as a set of
/// protocols of one weight ([`Grouping::key_of`]): no protocol index.
const SET_KEY: u64 = u64::MAX;

/// The word that starts a key's pairs when they are keyed as which pairs
/// of the class's fixed allocation they are ([`Grouping::key_of`]): no
/// protocol index.
const FIXED_KEY: u64 = u64::MAX - 1;

/// The protocols of `picks`, one bit each, and the bits of their weight,
/// when they have one weight and distinct protocols below 128; `None`
/// otherwise. The answer depends on the set of picks alone.
fn protocol_set(picks: &[(usize, f64)]) -> Option<(u128, u64)> {
    let weight = picks.first().map_or(0, |&(_, w)| w.to_bits());
    let mut bits = 0u128;
    let mut one_weight = true;
    for &(p, w) in picks {
        bits |= 1u128 << (p & 127);
        one_weight &= p < 128 && w.to_bits() == weight;
    }
    (one_weight && bits.count_ones() as usize == picks.len()).then_some((bits, weight))
}

/// Which of `fixed` (at most 64 distinct pairs) `picks` are, one bit
/// each, when they are some of them, each once; `None` otherwise (or when
/// `fixed` is empty). The answer depends on the set of picks alone.
fn fixed_subset(fixed: &[(usize, f64)], picks: &[(usize, f64)]) -> Option<u64> {
    if fixed.is_empty() {
        return None;
    }
    let mut among = 0u64;
    for &(p, w) in picks {
        let bit = 1u64
            << fixed
                .iter()
                .position(|&(q, v)| q == p && v.to_bits() == w.to_bits())?;
        if among & bit != 0 {
            return None;
        }
        among |= bit;
    }
    Some(among)
}

#[derive(Default)]
struct Grouping {
    /// Hash of a key → its cohort.
    by_hash: HashMap<u64, u32, BuildHasherDefault<KeyHashHasher>>,
    /// Per cohort: its key's words in `keys`, and where its picks are.
    key_range: Vec<std::ops::Range<usize>>,
    /// Per cohort: its operator.
    operators: Vec<usize>,
    /// Per cohort: its first member's picks in `picks`, in drawing order.
    pick_range: Vec<std::ops::Range<usize>>,
    /// Every cohort's key words.
    keys: Vec<u64>,
    /// Every cohort's picks.
    picks: Vec<(usize, f64)>,
    /// Whether the class's picks are drawn at random ([`Self::key_of`]).
    by_set: bool,
    /// The class's fixed allocation, if it has one ([`Self::key_of`]).
    fixed: Vec<(usize, f64)>,
    /// The key being looked up, and its pairs being sorted.
    scratch: Vec<u64>,
    pairs: Vec<(u64, u64)>,
    /// Per staker, in drawing order: its stake and its cohort (kept here
    /// between classes for their room only).
    stakes: Vec<f64>,
    group_of: Vec<u32>,
}

impl Grouping {
    /// The cohort of a staker with `operator` and `picks`.
    fn group_of(
        &mut self,
        operator: usize,
        picks: &[(usize, f64)],
        alike: bool,
        stake: f64,
    ) -> u32 {
        if !alike || stake <= 0.0 {
            return self.new_group(operator, picks, None);
        }
        self.key_of(operator, picks);
        let hash = hash_words(&self.scratch);
        if let Some(&g) = self.by_hash.get(&hash)
            && self.keys[self.key_range[g as usize].clone()] == self.scratch[..]
        {
            return g;
        }
        self.new_group(operator, picks, Some(hash))
    }

    /// Puts the key of a staker with `operator` and `picks` in `scratch`:
    /// the operator, then the set of (protocol, weight) pairs, whose order
    /// drawn does not matter in law. After a tag no protocol index can
    /// equal, it is keyed as
    /// - when the class's picks are drawn at random (`by_set`: one weight,
    ///   distinct protocols), and they have one weight and distinct
    ///   protocols below 128: that set's protocols, one bit each, and the
    ///   weight;
    /// - when the class has a fixed allocation (of distinct protocols) of
    ///   at most 64 pairs, and the picks are some of its pairs, each once:
    ///   which of them, one bit each.
    ///
    /// Other picks are keyed as their pairs in protocol order. Which form
    /// a key takes depends on the class and the set alone, so equal sets
    /// give equal keys.
    fn key_of(&mut self, operator: usize, picks: &[(usize, f64)]) {
        self.scratch.clear();
        self.scratch.push(operator as u64);
        if let Some(among) = fixed_subset(&self.fixed, picks) {
            self.scratch.extend([FIXED_KEY, among]);
            return;
        }
        if self.by_set
            && let Some((bits, weight)) = protocol_set(picks)
        {
            self.scratch
                .extend([SET_KEY, bits as u64, (bits >> 64) as u64, weight]);
            return;
        }
        self.pairs.clear();
        self.pairs
            .extend(picks.iter().map(|&(p, w)| (p as u64, w.to_bits())));
        self.pairs.sort_unstable();
        for &(p, w) in &self.pairs {
            self.scratch.push(p);
            self.scratch.push(w);
        }
    }

    /// Empty, with the room it had, for a class with `allocation` (see
    /// [`Self::key_of`]).
    fn clear(&mut self, allocation: &InitialAllocation) {
        self.by_set = matches!(allocation, InitialAllocation::Random { .. });
        self.fixed.clear();
        if let InitialAllocation::Fixed(pairs) = allocation
            && pairs.len() <= 64
        {
            self.fixed.extend_from_slice(pairs);
        }
        self.by_hash.clear();
        self.key_range.clear();
        self.operators.clear();
        self.pick_range.clear();
        self.keys.clear();
        self.picks.clear();
        self.stakes.clear();
        self.group_of.clear();
    }

    /// A new cohort of one staker with `operator` and `picks`, found
    /// again by `hash` (its key is in `scratch`) if given.
    fn new_group(&mut self, operator: usize, picks: &[(usize, f64)], hash: Option<u64>) -> u32 {
        let g = self.key_range.len() as u32;
        let k = self.keys.len();
        if let Some(hash) = hash {
            self.by_hash.entry(hash).or_insert(g);
            self.keys.extend_from_slice(&self.scratch);
        }
        self.key_range.push(k..self.keys.len());
        self.operators.push(operator);
        let q = self.picks.len();
        self.picks.extend_from_slice(picks);
        self.pick_range.push(q..self.picks.len());
        g
    }

    /// Cohorts so far.
    fn len(&self) -> usize {
        self.key_range.len()
    }

    /// Cohort `g`'s operator and picks.
    fn cohort(&self, g: usize) -> (usize, &[(usize, f64)]) {
        (self.operators[g], &self.picks[self.pick_range[g].clone()])
    }
}

/// Hashes a key's [`hash_words`] as itself: it is a hash already.
#[derive(Default)]
pub(super) struct KeyHashHasher(u64);

impl Hasher for KeyHashHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// A 64-bit hash of `words`: one multiply per word (as FxHash does),
/// finished with a splitmix64 step so that every bit of the result depends
/// on every word.
pub(super) fn hash_words(words: &[u64]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for &w in words {
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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
            assert_eq!((st.stake[i], st.cohort[i].initial), (10.0, 10.0));
            assert_eq!(st.cohort[i].status, Status::Active);
            assert_eq!(st.cohort[i].entered, 0);
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
        assert_eq!(st.cohort[2].entered, 5);
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

    #[test]
    fn stakers_group_by_operator_and_their_set_of_protocol_weight_pairs() {
        // Keyed as protocol sets (a random allocation's class) or as pairs,
        // the groups are the same.
        let random = InitialAllocation::Random {
            min: 1,
            max: 3,
            weight: 1.0,
            among: vec![0, 3, 7],
        };
        let fixed = InitialAllocation::Fixed(vec![(0, 1.0), (3, 1.0), (7, 1.0)]);
        for allocation in [random, fixed, InitialAllocation::Fixed(vec![])] {
            let mut grouping = Grouping::default();
            grouping.clear(&allocation);
            let mut group =
                |operator, picks: &[(usize, f64)]| grouping.group_of(operator, picks, true, 1.0);
            // One weight, drawn in any order.
            let a = group(0, &[(3, 1.0), (0, 1.0), (7, 1.0)]);
            assert_eq!(group(0, &[(7, 1.0), (3, 1.0), (0, 1.0)]), a);
            assert_ne!(group(1, &[(0, 1.0), (3, 1.0), (7, 1.0)]), a);
            assert_ne!(group(0, &[(0, 0.5), (3, 0.5), (7, 0.5)]), a);
            assert_ne!(group(0, &[(0, 1.0), (3, 1.0)]), a);
            // Protocols beyond 127 and weights that differ: always pairs.
            let b = group(0, &[(200, 1.0), (0, 1.0)]);
            assert_eq!(group(0, &[(0, 1.0), (200, 1.0)]), b);
            let c = group(0, &[(0, 1.0), (3, 0.5)]);
            assert_eq!(group(0, &[(3, 0.5), (0, 1.0)]), c);
            assert_ne!(group(0, &[(0, 0.5), (3, 1.0)]), c);
            // A protocol listed twice is not the set of it once.
            let d = group(0, &[(4, 1.0), (4, 1.0)]);
            assert_ne!(group(0, &[(4, 1.0)]), d);
            assert_eq!(group(0, &[]), group(0, &[]));
            assert_eq!(grouping.len(), 10, "{allocation:?}");
        }
    }

    #[test]
    fn a_cleared_grouping_groups_as_a_new_one() {
        let picks = [
            [(1, 1.0), (2, 1.0)],
            [(2, 1.0), (1, 1.0)],
            [(0, 1.0), (2, 0.5)],
        ];
        let groups_of = |grouping: &mut Grouping| -> Vec<u32> {
            picks
                .iter()
                .map(|p| grouping.group_of(0, p, true, 1.0))
                .collect()
        };
        let mut used = Grouping::default();
        groups_of(&mut used);
        used.group_of(3, &[(9, 2.0)], true, 1.0);
        let fixed = InitialAllocation::Fixed(vec![(1, 1.0), (2, 1.0)]);
        used.clear(&fixed);
        let mut fresh = Grouping::default();
        fresh.clear(&fixed);
        assert_eq!(groups_of(&mut used), groups_of(&mut fresh));
        assert_eq!(used.len(), 2);
    }
}
