//! The staker classes along one path: every staker's state (a structure of
//! arrays, [`Stakers`]), each class's running totals and TVL per slot
//! index, and the reward phase that pays them.

use std::cell::RefCell;
use std::ops::Range;

use super::member_room::MemberRegion;
use super::members::Detached;
use super::reward_pass::{Rates, Weights, recount, reward_pass};
use super::stakers::{MEMBER_ROOM, Stakers, slot_index_count};
use crate::model::{Allocation, Model, StakerClass, Strategy};
use crate::results::SourceLosses;

/// One class's running state.
#[derive(Debug, Clone)]
pub struct ClassRun {
    /// Its entries' indices (cohorts of stakers, see [`Stakers`]): one per
    /// staker it can hold, reserves for entries included.
    pub range: Range<usize>,
    /// The next unused entry: entries `range.start..next_entry` are in use
    /// (active, exiting or gone).
    pub next_entry: usize,
    /// `next_entry` at its highest in this path: entries from here on
    /// have never been used.
    pub entries_used: usize,
    /// Its region of [`Stakers::member`]: [`member_room`] positions per
    /// staker it can hold.
    pub member_range: Range<usize>,
    /// The first member position in its region that no entry holds.
    pub next_member: usize,
    /// Stakers that have entered, t = 0 included.
    pub joined: u32,
    /// Stake per slot index (active, leaving, junk), weighted.
    pub tvl: Vec<f64>,
    /// Stake held, native units.
    pub stake: f64,
    /// Rewards earned, cumulative.
    pub rewards: f64,
    /// Stake slashed, cumulative, by cause.
    pub losses: SourceLosses,
    /// Per operator: commission its stakers paid it, cumulative.
    pub commission: Vec<f64>,
    /// Per operator × protocol (`o × P + p`): stake its stakers delegating
    /// to the operator lost in the protocol, cumulative.
    pub delegator_losses: Vec<f64>,
    /// Stake released by exits, cumulative.
    pub exits: f64,
    /// Stake at entry, summed over stakers that entered.
    pub initial: f64,
    /// Stake that started exiting, cumulative (at the start of each exit).
    pub exiting_started: f64,
    /// Active stakers.
    pub active: u32,
    /// Per protocol: whether it accepts the class's asset.
    pub accepts: Vec<bool>,
    /// Protocols that accept the class's asset, ascending (yield chasing
    /// reorders it while it works and restores it).
    pub candidates: Vec<usize>,
    /// How the reward pass weighs its slots: one common weight when its
    /// allocation has one and no protocol it can hold rescales weights
    /// (unique stake does, on a slash).
    pub weights: Weights,
}

impl ClassRun {
    /// Takes the next unused entry into use and returns it.
    pub fn take_entry(&mut self) -> usize {
        let e = self.next_entry;
        assert!(
            e < self.range.end,
            "a class has at most one cohort per staker"
        );
        self.next_entry += 1;
        self.entries_used = self.entries_used.max(self.next_entry);
        e
    }

    /// The entries in use: cohorts of stakers that have entered (active,
    /// exiting or gone).
    pub fn members(&self) -> Range<usize> {
        self.range.start..self.next_entry
    }
}

/// Every class and staker of one path.
#[derive(Debug, Clone)]
pub struct Classes {
    /// Per staker, grouped by class.
    pub stakers: Stakers,
    /// Per class.
    pub runs: Vec<ClassRun>,
    /// Per operator: the share of rewards its delegators keep.
    keep: Vec<f64>,
    /// Per class: the share of rewards its stakers keep after the fee of
    /// the LRT they back (1 for a class that backs none).
    lrt_keep: Vec<f64>,
    /// The reward rates scaled by a class's `lrt_keep` (scratch).
    scaled_rate: Vec<f64>,
}

thread_local! {
    /// This thread's staker arrays from its last path, reset, for its next
    /// path of the same shape: allocating them afresh on every path costs
    /// zeroing them all, where resetting costs only the entries used.
    static SPARE_STAKERS: RefCell<Option<Stakers>> = const { RefCell::new(None) };
}

/// Staker arrays for `len` entries with `slots` slots, `protocols`
/// protocols and `positions` member positions, as [`Stakers::new`] makes
/// them: this thread's spare ones when they have that shape.
fn spare_stakers(len: usize, slots: usize, protocols: usize, positions: usize) -> Stakers {
    SPARE_STAKERS
        .with_borrow_mut(Option::take)
        .filter(|st| st.shape() == (len, slots, protocols, positions))
        .unwrap_or_else(|| Stakers::new(len, slots, protocols).with_member_positions(positions))
}

impl Drop for Classes {
    /// Resets the entries this path used and keeps the arrays as this
    /// thread's spare ones.
    fn drop(&mut self) {
        let mut stakers = std::mem::take(&mut self.stakers);
        for run in &self.runs {
            stakers.reset_entries(run.range.start..run.entries_used);
        }
        SPARE_STAKERS.set(Some(stakers));
    }
}

impl Classes {
    /// Every staker of `model` in reserve, with room for the allocation
    /// slots its class can need.
    pub fn new(model: &Model) -> Classes {
        let n_protocols = model.protocols.len();
        let slot_count = slot_index_count(n_protocols);
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
        let (mut start, mut first_member) = (0, 0);
        let runs: Vec<ClassRun> = model
            .classes
            .iter()
            .map(|c| {
                let len = c.capacity() as usize;
                let positions = member_room(model, c) * len;
                let accepts: Vec<bool> = model
                    .protocols
                    .iter()
                    .map(|p| p.assets.contains(&c.asset))
                    .collect();
                let run = ClassRun {
                    range: start..start + len,
                    next_entry: start,
                    entries_used: start,
                    member_range: first_member..first_member + positions,
                    next_member: first_member,
                    joined: 0,
                    tvl: vec![0.0; slot_count],
                    stake: 0.0,
                    rewards: 0.0,
                    losses: SourceLosses::default(),
                    commission: vec![0.0; model.operators.len()],
                    delegator_losses: vec![0.0; model.operators.len() * n_protocols],
                    exits: 0.0,
                    initial: 0.0,
                    exiting_started: 0.0,
                    active: 0,
                    candidates: (0..n_protocols).filter(|&p| accepts[p]).collect(),
                    weights: if (0..n_protocols).any(|p| {
                        accepts[p] && model.protocols[p].allocation == Allocation::UniqueStake
                    }) {
                        Weights::PerSlot
                    } else {
                        c.allocation
                            .common_weight()
                            .map_or(Weights::PerSlot, Weights::Common)
                    },
                    accepts,
                };
                start += len;
                first_member += positions;
                run
            })
            .collect();
        Classes {
            stakers: spare_stakers(start, slots, n_protocols, first_member),
            runs,
            keep: model.operators.iter().map(|o| 1.0 - o.commission).collect(),
            lrt_keep: (0..model.classes.len())
                .map(|c| {
                    model
                        .lrts
                        .iter()
                        .find(|l| l.backing.contains(&c))
                        .map_or(1.0, |l| 1.0 - l.fee)
                })
                .collect(),
            scaled_rate: vec![0.0; slot_count],
        }
    }

    /// The class staker `i` belongs to.
    pub fn class_of(&self, i: usize) -> usize {
        self.runs
            .iter()
            .position(|r| r.range.contains(&i))
            .unwrap_or(0)
    }

    /// Pays every staker one step's rewards at `rate` (per slot index) and
    /// rebuilds each class's TVL and stake from the new stakes.
    pub fn pay_rewards(&mut self, model: &Model, rate: &[f64]) {
        for ((class, run), &lrt_keep) in
            model.classes.iter().zip(&mut self.runs).zip(&self.lrt_keep)
        {
            run.tvl.fill(0.0);
            let range = run.members();
            let operators = !class.delegation.is_empty();
            let st = &mut self.stakers;
            let keep = &self.keep;
            let tvl = &mut run.tvl;
            let fee = &mut run.commission;
            // The LRT's fee is withheld from its backing's rewards.
            let rate = if lrt_keep == 1.0 {
                rate
            } else {
                for (scaled, r) in self.scaled_rate.iter_mut().zip(rate) {
                    *scaled = r * lrt_keep;
                }
                &self.scaled_rate[..]
            };
            let rates = Rates {
                rate,
                keep_by_operator: keep,
                weights: run.weights,
            };
            let (paid, stake) = match (class.compounding, operators) {
                (true, false) => reward_pass::<true, false>(st, range, rates, fee, tvl),
                (true, true) => reward_pass::<true, true>(st, range, rates, fee, tvl),
                (false, false) => reward_pass::<false, false>(st, range, rates, fee, tvl),
                (false, true) => reward_pass::<false, true>(st, range, rates, fee, tvl),
            };
            run.rewards += paid;
            run.stake = stake;
        }
    }

    /// Cohort `t` of class `c` absorbs cohort `e` of the same class (see
    /// [`Stakers::absorb`]); `e` is left unused.
    pub fn absorb(&mut self, c: usize, t: usize, e: usize) {
        let (stakers, region) = self.member_region(c);
        stakers.absorb(t, e, region);
    }

    /// The stakers, and class `c`'s region of their member positions.
    fn member_region(&mut self, c: usize) -> (&mut Stakers, MemberRegion<'_>) {
        let run = &mut self.runs[c];
        let entries = run.members();
        let region = MemberRegion {
            range: run.member_range.clone(),
            next: &mut run.next_member,
            entries,
        };
        (&mut self.stakers, region)
    }

    /// Cohort `t` of class `c` absorbs the last `k` members of entry `i`,
    /// whose figures `tail` were taken out of `i`'s (see
    /// [`Stakers::absorb_tail`]).
    pub fn absorb_tail(&mut self, c: usize, t: usize, i: usize, k: u32, tail: Detached) {
        let (stakers, region) = self.member_region(c);
        stakers.absorb_tail(t, i, k, tail, region);
    }

    /// A free member position in class `c`'s region for one more staker,
    /// packing the region's members first when none is left.
    pub fn take_member_position(&mut self, c: usize) -> usize {
        let run = &self.runs[c];
        if run.next_member >= run.member_range.end {
            let (stakers, mut region) = self.member_region(c);
            stakers.compact_members(&mut region, true);
            if *region.next >= region.range.end {
                stakers.compact_members(&mut region, false);
            }
        }
        let run = &mut self.runs[c];
        let m = run.next_member;
        run.next_member += 1;
        m
    }

    /// Largest relative bookkeeping error over the entries in use (see
    /// [`Stakers::bookkeeping_error`]).
    pub fn bookkeeping_error(&self) -> f64 {
        self.runs
            .iter()
            .map(|run| self.stakers.bookkeeping_error_in(run.members()))
            .fold(0.0, f64::max)
    }

    /// Recomputes every class's TVL and stake from its stakers.
    pub fn recount(&mut self) {
        for run in &mut self.runs {
            run.stake = recount(&self.stakers, run.members(), &mut run.tvl);
        }
    }

    /// Takes `amount` (native units) of staker `i`'s stake out of class `c`
    /// at `step`, as a liquidation seizes collateral: it leaves every
    /// allocation pro rata and counts as exited. A staker left with nothing
    /// (or less than a relative 1e-12 of it) is gone: its slots empty and
    /// it stops backing its protocols. Returns the stake taken.
    pub fn seize(
        &mut self,
        c: usize,
        i: usize,
        amount: f64,
        step: u32,
        backers: &mut [u32],
    ) -> f64 {
        let st = &mut self.stakers;
        let run = &mut self.runs[c];
        let stake = st.stake[i];
        let all = amount >= stake * (1.0 - 1e-12);
        let taken = if all { stake } else { amount };
        for j in st.slot_range(i) {
            run.tvl[st.slot_index(j)] -= st.weight[j] * taken;
        }
        st.stake[i] = stake - taken;
        st.cohort[i].exited += taken;
        // A running sum: never below 0 by rounding (see `release`).
        run.stake = (run.stake - taken).max(0.0);
        run.exits += taken;
        if all {
            st.stake[i] = 0.0;
            let members = st.cohort[i].members;
            for j in st.slot_range(i) {
                if let super::stakers::SlotState::Active(p) = st.slot_state(j) {
                    backers[p] -= members;
                }
                st.clear_slot(j);
            }
            if st.cohort[i].status == super::stakers::Status::Active {
                run.active -= members;
            }
            st.cohort[i].status = super::stakers::Status::Exited;
            st.cohort[i].released = step + 1;
        }
        taken
    }

    /// Total over classes of `figure × price of the class's asset`.
    pub fn value(&self, model: &Model, prices: &[f64], figure: impl Fn(&ClassRun) -> f64) -> f64 {
        self.runs
            .iter()
            .zip(&model.classes)
            .map(|(r, k)| figure(r) * prices[k.asset])
            .sum()
    }
}

/// Member positions class `class` has per staker it can hold:
/// [`MEMBER_ROOM`] when its cohorts may join again, else one.
pub fn member_room(model: &Model, class: &StakerClass) -> usize {
    if class.cohorts_may_join(model.run.cohorts) {
        MEMBER_ROOM
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, assert_close, model};

    /// Three classes of 100 ETH stakers in a 5 % protocol: compounding,
    /// paid out at half weight, and delegated to an operator keeping 10 %.
    fn three_classes() -> Model {
        model(
            r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "q"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "b"
assets = ["BTC"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "op"
commission = 0.1
protocols = ["p"]

[[staker]]
class = "compounding"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
entry = { per_review = 1, max_new = 3 }

[[staker]]
class = "paid-out"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 0.5, q = 0.5 }
compounding = false

[[staker]]
class = "delegated"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
operators = { op = 1.0 }
"#,
        )
    }

    #[test]
    fn classes_hold_their_stakers_and_reserves_contiguously() {
        let model = three_classes();
        let classes = Classes::new(&model);
        let ranges: Vec<_> = classes.runs.iter().map(|r| r.range.clone()).collect();
        assert_eq!(ranges, [0..5, 5..6, 6..7]);
        // Nobody has entered yet: no entry is in use.
        assert_eq!(classes.runs[0].next_entry, 0);
        assert_eq!(classes.runs[0].members(), 0..0);
        assert_eq!(classes.stakers.stake.len(), 7);
        // The most protocols a class holds.
        assert_eq!(classes.stakers.slots, 2);
        assert_eq!(classes.runs[1].accepts, [true, true, false]);
        assert_eq!(classes.runs[1].candidates, [0, 1]);
        assert_eq!(classes.keep, [0.9]);
        let of: Vec<usize> = (0..7).map(|i| classes.class_of(i)).collect();
        assert_eq!(of, [0, 0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn a_common_weight_is_used_only_where_no_slash_rescales_weights() {
        let model = three_classes();
        let classes = Classes::new(&model);
        let weights: Vec<Weights> = classes.runs.iter().map(|r| r.weights).collect();
        // Weight 1, two weights of 0.5, weight 1.
        assert_eq!(
            weights,
            [
                Weights::Common(1.0),
                Weights::Common(0.5),
                Weights::Common(1.0)
            ]
        );
        let unique = model_with_unique_stake();
        assert_eq!(Classes::new(&unique).runs[0].weights, Weights::PerSlot);
    }

    /// One class of equal weights in a unique-stake protocol, whose slashes
    /// rescale its weights.
    fn model_with_unique_stake() -> Model {
        model(
            r#"
[[protocol]]
name = "a"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
allocation = { model = "unique_stake" }

[[protocol]]
name = "b"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
allocation = { model = "unique_stake" }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { a = 0.5, b = 0.5 }
"#,
        )
    }

    #[test]
    fn yield_chasers_get_a_spare_slot_when_a_protocol_deallocates_slowly() {
        let text = |days: u32| {
            format!(
                r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}
deallocation_days = {days}

[[protocol]]
name = "q"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 1 }}
random_allocation = {{ min = 1, max = 2, weight = 0.5 }}
strategy = {{ kind = "yield_chasing", probability = 1.0 }}
"#
            )
        };
        assert_eq!(Classes::new(&model(&text(0))).stakers.slots, 2);
        assert_eq!(Classes::new(&model(&text(3))).stakers.slots, 3);
    }

    #[test]
    fn rewards_compound_or_are_paid_out_and_operators_keep_their_commission() {
        let model = three_classes();
        let mut parts = Parts::start(&model);
        let classes = &mut parts.classes;
        let mut rate = vec![0.0; slot_index_count(3)];
        rate[classes.stakers.active_index(0)] = 0.01;
        rate[classes.stakers.active_index(1)] = 0.02;
        classes.pay_rewards(&model, &rate);
        let st = &classes.stakers;
        // Compounding, weight 1 at 1 %: 100 → 101.
        assert_eq!(&st.stake[0..2], [101.0, 101.0]);
        assert_eq!(classes.runs[0].rewards, 2.0);
        assert_eq!(classes.runs[0].stake, 202.0);
        assert_eq!(classes.runs[0].tvl[0], 202.0);
        // Paid out: 0.5 × 1 % + 0.5 × 2 % of 100, the stake stays.
        assert_eq!(st.stake[5], 100.0);
        assert_close(st.rewards[5], 1.5, 1e-15);
        assert_eq!(st.paid_out[5], st.rewards[5]);
        assert_close(classes.runs[1].rewards, 1.5, 1e-15);
        assert_eq!(classes.runs[1].stake, 100.0);
        assert_eq!(classes.runs[1].tvl[0], 50.0);
        assert_eq!(classes.runs[1].tvl[1], 50.0);
        // Delegated: 1 % less the operator's 10 %.
        assert_close(st.stake[6], 100.9, 1e-15);
        assert_close(classes.runs[2].rewards, 0.9, 1e-15);
        assert_close(classes.runs[2].commission[0], 0.1, 1e-15);
        assert_eq!(classes.runs[0].commission, [0.0], "no operators");
        assert_close(classes.runs[2].tvl[0], 100.9, 1e-15);
        // Reserves earn nothing.
        assert_eq!(&st.stake[2..5], [0.0; 3]);
        assert_eq!(st.bookkeeping_error(), 0.0);
    }

    #[test]
    fn a_recount_agrees_with_the_tvl_accumulated_while_paying() {
        let model = three_classes();
        let mut parts = Parts::start(&model);
        let classes = &mut parts.classes;
        let mut rate = vec![0.0; slot_index_count(3)];
        rate[0] = 0.013;
        rate[1] = 0.007;
        for _ in 0..3 {
            classes.pay_rewards(&model, &rate);
        }
        let paid: Vec<(Vec<f64>, f64)> = classes
            .runs
            .iter()
            .map(|r| (r.tvl.clone(), r.stake))
            .collect();
        for run in &mut classes.runs {
            run.tvl.fill(-1.0);
            run.stake = -1.0;
        }
        classes.recount();
        for (c, run) in classes.runs.iter().enumerate() {
            assert_eq!(run.tvl, paid[c].0, "class {c}");
            assert_eq!(run.stake, paid[c].1, "class {c}");
        }
        // Compounded three times: 100 × 1.013³ each.
        assert_close(classes.runs[0].stake, 2.0 * 100.0 * 1.013f64.powi(3), 1e-14);
    }

    #[test]
    fn value_sums_a_figure_at_each_class_assets_price() {
        let model = three_classes();
        let parts = Parts::start(&model);
        let classes = &parts.classes;
        // 200 + 100 + 100 ETH at 3,000 USD; BTC's price is not used.
        let usd = classes.value(&model, &[3000.0, 1.0], |r| r.stake);
        assert_eq!(usd, 400.0 * 3000.0);
        assert_eq!(
            classes.value(&model, &[3000.0, 1.0], |r| r.losses.total()),
            0.0
        );
        let actives = classes.value(&model, &[1.0, 1.0], |r| f64::from(r.active));
        assert_eq!(actives, 4.0);
    }
}
