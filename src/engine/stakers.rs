//! Staker state along one path, as a structure of arrays: one entry per
//! staker (grouped by class, contiguous), and `slots` allocation slots per
//! staker holding a slot index and a weight. What the passes over every
//! entry read (stake, rewards, losses, payouts, operator, slots) is one
//! array per field; the rest of an entry's state is one 64-byte [`Cohort`]
//! record, which is what moves, splits and joins touch.
//!
//! An entry is a cohort: one or more stakers alike in law (the same
//! class, allocation, operator, status and entry step) whose stakes differ
//! only by a factor. Its stake, rewards, losses, exits and payouts are the
//! sums over its members; rewards and slashes act on stake in proportion,
//! so a cohort evolves exactly as its members would one by one. How a
//! member's own figures are kept is in [`crate::engine::members`].
//!
//! Slot indices: `p` (0 ≤ p < P) is an active allocation to protocol p,
//! earning and slashable; `p + P` is stake leaving protocol p (unbonding or
//! deallocating), slashable but earning nothing; `2P` and above is an empty
//! slot (weight 0, rate 0). Only this module knows the encoding: the rest
//! of the engine reads a slot through [`Stakers::slot_state`] and writes it
//! through [`Stakers::allocate`], [`Stakers::start_leaving`] and
//! [`Stakers::clear_slot`]. Inner loops read a rate per slot index and never
//! branch on it. Empty slots point at one of [`JUNK_SLOTS`] different
//! indices, chosen by position, so that consecutive stakers' empty slots do
//! not chain their TVL additions through one memory cell.

use std::ops::Range;

pub use super::members::Member;

/// Operator index of a staker that delegates to nobody: operator-level
/// slashes never match it.
pub const NO_OPERATOR: u16 = u16::MAX;

/// Number of distinct indices empty slots point at.
pub const JUNK_SLOTS: usize = 16;

/// Length of per-slot-index arrays (rates, TVL accumulators) for P protocols.
pub fn slot_index_count(protocols: usize) -> usize {
    2 * protocols + JUNK_SLOTS
}

/// Bytes of per-entry state in [`Stakers`] (four `f64`, an operator `u16`
/// and a [`Cohort`]), rounded up to a multiple of 16; the memory estimate
/// uses it.
pub const ENTRY_BYTES: usize = 112;

/// Bytes per member position in [`Stakers`]: a [`Member`], four `f64`.
pub const MEMBER_BYTES: usize = std::mem::size_of::<Member>();

/// Member positions per staker of a class whose cohorts may join again
/// (see [`crate::model::StakerClass::cohorts_may_join`]; other classes have
/// one): a cohort absorbing more members than its room holds moves to free
/// room, and packing the region takes back the room left behind (see
/// [`crate::engine::member_room`]). Three rather than two leave three times as
/// much free room after packing.
pub const MEMBER_ROOM: usize = 3;

/// Bytes per allocation slot in [`Stakers`]: a `u16` slot index and an
/// `f64` weight.
pub const SLOT_BYTES: usize = std::mem::size_of::<u16>() + std::mem::size_of::<f64>();

/// Lifecycle of a staker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Zeroable)]
#[repr(u8)]
pub enum Status {
    /// Not yet entered (a reserve for entries).
    #[default]
    Reserve = 0,
    /// Backing protocols.
    Active,
    /// Exit requested: stake unbonding, slashable, earning nothing.
    Exiting,
    /// Gone: stake released.
    Exited,
}

/// What an allocation slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// An active allocation to a protocol: earning and slashable.
    Active(usize),
    /// Stake leaving a protocol (unbonding or deallocating): slashable,
    /// earning nothing.
    Leaving(usize),
    /// Nothing (weight 0).
    Empty,
}

/// The state of one entry that the passes over every entry (rewards,
/// slashes) do not read, kept together so that a move, a split or a join
/// touches one cache line of it rather than one per field.
/// All-zero is an entry not in use (`Zeroable`), so the records are
/// allocated zeroed and cost nothing until used.
#[derive(Debug, Clone, Copy, Default, PartialEq, bytemuck::Zeroable)]
#[repr(C, align(64))]
pub struct Cohort {
    /// Stake at entry.
    pub initial: f64,
    /// Stake released by exits.
    pub exited: f64,
    /// The sum of its members' `base`.
    pub scale: f64,
    /// The sum of its members' `rewards` offsets.
    pub rewards_offset: f64,
    /// The sum of its members' `losses` offsets.
    pub losses_offset: f64,
    /// Step of entry.
    pub entered: u32,
    /// Step after which the stake was released, 0 if it never was (a
    /// release happens at the end of a step, so this is at least 1).
    pub released: u32,
    /// Stakers in it (0 for an entry not in use).
    pub members: u32,
    /// The position of its first member in the member arrays; its members
    /// are `first_member..first_member + members`.
    pub first_member: u32,
    /// Member positions it holds from `first_member` on (its members and
    /// free room after them).
    pub member_room: u32,
    /// Lifecycle.
    pub status: Status,
    /// Whether it absorbed another cohort, so that its members' figures
    /// are no longer one share of its own.
    pub mixed: bool,
}

impl Cohort {
    /// The step after which its stake left: when it was released, or the
    /// horizon `steps` if it never was.
    pub fn left(&self, steps: u32) -> u32 {
        if self.released == 0 {
            steps
        } else {
            self.released
        }
    }
}

/// All stakers of one path.
#[derive(Debug, Clone, Default)]
pub struct Stakers {
    /// Allocation slots per staker.
    pub slots: usize,
    /// Number of protocols P.
    pub protocols: usize,
    /// Current stake, native units of the class's asset.
    pub stake: Vec<f64>,
    /// Rewards earned (after commission), cumulative.
    pub rewards: Vec<f64>,
    /// Stake slashed, cumulative.
    pub losses: Vec<f64>,
    /// Rewards paid out instead of compounded.
    pub paid_out: Vec<f64>,
    /// Operator index ([`NO_OPERATOR`] when the class has no operators).
    pub operator: Vec<u16>,
    /// Slot index per allocation slot (`len × slots`).
    pub slot: Vec<u16>,
    /// Weight per allocation slot (`len × slots`).
    pub weight: Vec<f64>,
    /// Per entry: the rest of its state.
    pub cohort: Vec<Cohort>,
    /// Per member position (members grouped by entry, see
    /// [`crate::engine::member_room`]).
    pub member: Vec<Member>,
    /// Scratch for packing members (see [`crate::engine::member_room`]).
    pub(super) member_scratch: Vec<Member>,
}

impl Stakers {
    /// Empty state for `len` stakers with `slots` slots each and `protocols`
    /// protocols, every slot empty, with one member position per staker.
    pub fn new(len: usize, slots: usize, protocols: usize) -> Stakers {
        Stakers {
            slots,
            protocols,
            stake: vec![0.0; len],
            rewards: vec![0.0; len],
            losses: vec![0.0; len],
            paid_out: vec![0.0; len],
            operator: vec![NO_OPERATOR; len],
            slot: (0..len * slots)
                .map(|k| empty_slot_index(protocols, k))
                .collect(),
            weight: vec![0.0; len * slots],
            cohort: bytemuck::allocation::zeroed_vec(len),
            member: bytemuck::allocation::zeroed_vec(len),
            member_scratch: Vec::new(),
        }
    }

    /// (entries, slots per entry, protocols, member positions).
    pub fn shape(&self) -> (usize, usize, usize, usize) {
        (
            self.stake.len(),
            self.slots,
            self.protocols,
            self.member.len(),
        )
    }

    /// Asks the cache for entry `t`'s figures, state and slots: a hint,
    /// with no effect on any value.
    #[inline]
    pub fn prefetch_entry(&self, t: usize) {
        use prefetch_index::prefetch_index;
        prefetch_index(&self.cohort, t);
        prefetch_index(&self.stake, t);
        prefetch_index(&self.rewards, t);
        prefetch_index(&self.losses, t);
        prefetch_index(&self.paid_out, t);
        prefetch_index(&self.slot, t * self.slots);
    }

    /// Makes entries `range` as [`Stakers::new`] leaves them. Member
    /// records are left as they are: a member position is always written
    /// before it is read (see [`crate::engine::member_room`]).
    pub fn reset_entries(&mut self, range: Range<usize>) {
        for figure in [
            &mut self.stake,
            &mut self.rewards,
            &mut self.losses,
            &mut self.paid_out,
        ] {
            figure[range.clone()].fill(0.0);
        }
        self.operator[range.clone()].fill(NO_OPERATOR);
        self.cohort[range.clone()].fill(Cohort::default());
        for k in range.start * self.slots..range.end * self.slots {
            self.clear_slot(k);
        }
    }

    /// The same with `positions` member positions in all.
    pub fn with_member_positions(mut self, positions: usize) -> Stakers {
        self.member = bytemuck::allocation::zeroed_vec(positions);
        self
    }

    /// Whether entry `i` holds stake in protocol `p`, active or leaving: a
    /// test of its slot indices alone, cheap enough to run over every entry.
    #[inline]
    pub fn holds_protocol(&self, i: usize, p: usize) -> bool {
        let (active, leaving) = (self.active_index(p) as u16, self.leaving_index(p) as u16);
        self.slot[self.slot_range(i)]
            .iter()
            .any(|&s| s == active || s == leaving)
    }

    /// Position, in per-slot-index arrays, of stake active in protocol `p`.
    #[inline]
    pub fn active_index(&self, p: usize) -> usize {
        p
    }

    /// Position, in per-slot-index arrays, of stake leaving protocol `p`.
    #[inline]
    pub fn leaving_index(&self, p: usize) -> usize {
        p + self.protocols
    }

    /// What allocation slot `j` (an index into `slot`/`weight`) holds.
    #[inline]
    pub fn slot_state(&self, j: usize) -> SlotState {
        let s = self.slot[j] as usize;
        let p_count = self.protocols;
        if s < p_count {
            SlotState::Active(s)
        } else if s < 2 * p_count {
            SlotState::Leaving(s - p_count)
        } else {
            SlotState::Empty
        }
    }

    /// [`Self::slot_state`] read without a branch on the state, for hot
    /// loops over slots whose states are as good as random: (protocol,
    /// active, held), where held is active or leaving, and the protocol is
    /// meaningful only when held (it is `protocols` or above when empty).
    #[inline]
    pub fn slot_parts(&self, j: usize) -> (usize, bool, bool) {
        let s = self.slot[j] as usize;
        let p_count = self.protocols;
        let active = s < p_count;
        let p = std::hint::select_unpredictable(active, s, s.wrapping_sub(p_count));
        (p, active, s < 2 * p_count)
    }

    /// The protocol allocation slot `j` holds stake in, active or leaving.
    #[inline]
    pub fn slot_protocol(&self, j: usize) -> Option<usize> {
        match self.slot_state(j) {
            SlotState::Active(p) | SlotState::Leaving(p) => Some(p),
            SlotState::Empty => None,
        }
    }

    /// The per-slot-index position slot `j` adds its stake to.
    #[inline]
    pub fn slot_index(&self, j: usize) -> usize {
        self.slot[j] as usize
    }

    /// Allocates slot `j` to protocol `p` with `weight`, active.
    #[inline]
    pub fn allocate(&mut self, j: usize, p: usize, weight: f64) {
        self.slot[j] = self.active_index(p) as u16;
        self.weight[j] = weight;
    }

    /// Turns active slot `j` of protocol `p` into stake leaving `p`.
    #[inline]
    pub fn start_leaving(&mut self, j: usize, p: usize) {
        self.slot[j] = self.leaving_index(p) as u16;
    }

    /// Range of a staker's slots in `slot` and `weight`.
    #[inline]
    pub fn slot_range(&self, staker: usize) -> Range<usize> {
        staker * self.slots..(staker + 1) * self.slots
    }

    /// Empties allocation slot `k` (an index into `slot`/`weight`).
    #[inline]
    pub fn clear_slot(&mut self, k: usize) {
        self.slot[k] = empty_slot_index(self.protocols, k);
        self.weight[k] = 0.0;
    }

    /// Largest relative bookkeeping error over stakers that entered:
    /// |initial + rewards − paid_out − losses − exited − stake| / initial.
    pub fn bookkeeping_error(&self) -> f64 {
        self.bookkeeping_error_in(0..self.stake.len())
    }

    /// [`Self::bookkeeping_error`] over the entries `range` only.
    pub fn bookkeeping_error_in(&self, range: Range<usize>) -> f64 {
        range
            .filter(|&i| self.cohort[i].status != Status::Reserve)
            .map(|i| {
                let expected = self.cohort[i].initial + self.rewards[i]
                    - self.paid_out[i]
                    - self.losses[i]
                    - self.cohort[i].exited;
                let scale = self.cohort[i].initial + self.rewards[i];
                (expected - self.stake[i]).abs() / scale.max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max)
    }
}

/// The empty-slot index for allocation slot `k`.
#[inline]
pub fn empty_slot_index(protocols: usize, k: usize) -> u16 {
    (2 * protocols + k % JUNK_SLOTS) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reset_entries_leave_them_as_new_ones() {
        let fresh = Stakers::new(4, 2, 3);
        let mut st = fresh.clone();
        for i in 1..3 {
            st.stake[i] = 5.0;
            st.rewards[i] = 1.0;
            st.losses[i] = 0.5;
            st.paid_out[i] = 0.25;
            st.operator[i] = 2;
            st.allocate(st.slot_range(i).start, 1, 0.5);
            st.start_leaving(st.slot_range(i).start, 1);
            st.cohort[i] = Cohort {
                initial: 4.0,
                members: 3,
                status: Status::Exited,
                released: 7,
                mixed: true,
                ..Cohort::default()
            };
        }
        st.reset_entries(1..3);
        assert_eq!(st.stake, fresh.stake);
        assert_eq!(st.rewards, fresh.rewards);
        assert_eq!(st.losses, fresh.losses);
        assert_eq!(st.paid_out, fresh.paid_out);
        assert_eq!(st.operator, fresh.operator);
        assert_eq!(st.slot, fresh.slot);
        assert_eq!(st.weight, fresh.weight);
        assert_eq!(st.cohort, fresh.cohort);
    }

    #[test]
    fn the_memory_estimate_sizes_cover_the_arrays() {
        use std::mem::size_of;
        let per_entry = 4 * size_of::<f64>() + size_of::<u16>() + size_of::<Cohort>();
        assert!(per_entry <= ENTRY_BYTES, "{per_entry} bytes per entry");
        assert_eq!(size_of::<Cohort>(), 64, "one cache line");
        assert_eq!(MEMBER_BYTES, 4 * size_of::<f64>());
        assert_eq!(SLOT_BYTES, 10);
    }

    #[test]
    fn slots_read_without_a_branch_give_their_states() {
        let mut st = Stakers::new(2, 3, 4);
        st.allocate(0, 2, 1.0);
        st.allocate(1, 0, 1.0);
        st.start_leaving(1, 0);
        st.allocate(3, 3, 0.5);
        st.start_leaving(3, 3);
        st.allocate(4, 1, 1.0);
        for j in 0..6 {
            let (p, active, held) = st.slot_parts(j);
            let expected = match (active, held) {
                (true, _) => SlotState::Active(p),
                (false, true) => SlotState::Leaving(p),
                (false, false) => SlotState::Empty,
            };
            assert_eq!(expected, st.slot_state(j), "slot {j}");
        }
        assert!(!st.slot_parts(2).2, "an empty slot holds nothing");
    }

    #[test]
    fn a_staker_holds_a_protocol_through_an_active_or_leaving_slot_only() {
        let mut st = Stakers::new(2, 3, 3);
        st.allocate(0, 2, 1.0);
        st.allocate(1, 0, 1.0);
        st.start_leaving(1, 0);
        assert!(st.holds_protocol(0, 2), "active");
        assert!(st.holds_protocol(0, 0), "leaving");
        assert!(!st.holds_protocol(0, 1), "not held");
        assert!(
            (0..3).all(|p| !st.holds_protocol(1, p)),
            "empty slots hold nothing"
        );
        st.clear_slot(0);
        assert!(!st.holds_protocol(0, 2));
    }

    #[test]
    fn slots_are_read_and_written_through_their_state() {
        let mut st = Stakers::new(1, 3, 2);
        assert!((0..3).all(|j| st.slot_state(j) == SlotState::Empty));
        st.allocate(0, 1, 0.5);
        st.allocate(1, 0, 0.25);
        assert_eq!(st.slot_state(0), SlotState::Active(1));
        assert_eq!(st.slot_protocol(1), Some(0));
        st.start_leaving(0, 1);
        assert_eq!(st.slot_state(0), SlotState::Leaving(1));
        assert_eq!(st.slot_protocol(0), Some(1));
        assert_eq!(st.slot_index(0), st.leaving_index(1));
        assert_eq!(st.weight[0], 0.5, "leaving keeps the weight");
        st.clear_slot(0);
        assert_eq!(st.slot_state(0), SlotState::Empty);
        assert_eq!(st.slot_protocol(0), None);
        assert_eq!(st.weight[0], 0.0);
        assert!(
            st.slot_index(2) >= 4,
            "empty slots point past the leaving ones"
        );
    }
}
