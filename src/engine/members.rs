//! A cohort's members: how each member's figures are kept, how a cohort
//! splits, and how one cohort absorbs another.
//!
//! A [`Member`] m of entry i keeps four numbers: `base`, its stake at
//! entry (`initial`) and offsets for rewards and losses. Its figures now:
//! - stake: `base × stake_i / scale_i`;
//! - rewards: `m.rewards + base × (rewards_i − rewards_offset_i) / scale_i`;
//! - losses: the same with `m.losses`, `losses_i` and `losses_offset_i`;
//! - exits and payouts: its `base / scale_i` share of the entry's.
//!
//! Rewards, slashes, exits and payouts act on stake in proportion, so they
//! change the entry's sums only, never a member's numbers. A cohort formed
//! at entry has offsets 0 and `base` = stake at entry, so every member's
//! figures are one share of the cohort's. When a cohort absorbs another whose
//! members' histories differ (yield chasers arriving at the same
//! allocation), the newcomers' numbers are restated against the absorbing
//! cohort so that none of their figures changes, and the cohort is marked
//! `mixed`.
//!
//! Where members lie, and how a cohort gets room for more, is
//! [`crate::engine::member_room`]'s.

use std::ops::Range;

use crate::engine::member_room::MemberRegion;
use crate::engine::stakers::{Cohort, SlotState, Stakers, Status};

/// One staker of a cohort. All-zero is a valid value (`Zeroable`), so the
/// member arrays are allocated zeroed and cost nothing until used.
#[derive(Debug, Clone, Copy, Default, PartialEq, bytemuck::Zeroable)]
pub struct Member {
    /// Its stake now is `base × stake / scale` of its entry (in a cohort
    /// that never absorbed another: its stake at entry).
    pub base: f64,
    /// Its stake at entry.
    pub initial: f64,
    /// Its rewards are this plus `base` × its entry's rewards per unit of
    /// scale beyond the entry's offset (0 unless it was absorbed).
    pub rewards: f64,
    /// As `rewards`, for losses.
    pub losses: f64,
}

impl Member {
    /// A staker entering with `stake`.
    pub fn entering(stake: f64) -> Member {
        Member {
            base: stake,
            initial: stake,
            rewards: 0.0,
            losses: 0.0,
        }
    }
}

/// A member's own figures, native units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemberFigures {
    /// Stake now.
    pub stake: f64,
    /// Stake at entry.
    pub initial: f64,
    /// Rewards earned, cumulative.
    pub rewards: f64,
    /// Stake slashed, cumulative.
    pub losses: f64,
}

/// The summed figures of members taken out of a cohort on their way into
/// another ([`Stakers::detach_tail`], [`Stakers::absorb`]): what an entry
/// of their own would hold.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Detached {
    /// Stake now.
    pub stake: f64,
    /// Stake at entry.
    pub initial: f64,
    /// Rewards earned.
    pub rewards: f64,
    /// Stake slashed.
    pub losses: f64,
    /// Stake released by exits.
    pub exited: f64,
    /// Rewards paid out.
    pub paid_out: f64,
    /// The sum of the members' `base`.
    pub scale: f64,
    /// The sum of the members' `rewards` offsets.
    pub rewards_offset: f64,
    /// The sum of the members' `losses` offsets.
    pub losses_offset: f64,
    /// Whether they come from a mixed cohort.
    pub mixed: bool,
}

impl Detached {
    /// Whether members with these figures can join another cohort: stake
    /// above 0, and no exits or payouts (which members would then hold in
    /// other shares than their stake's).
    pub fn can_join(&self) -> bool {
        figures_can_join(self.stake, self.scale, self.exited, self.paid_out)
    }

    /// Stake, rewards and losses per unit of scale beyond the offsets.
    fn units(&self) -> (f64, f64, f64) {
        (
            self.stake / self.scale,
            (self.rewards - self.rewards_offset) / self.scale,
            (self.losses - self.losses_offset) / self.scale,
        )
    }
}

impl Stakers {
    /// Positions of entry `i`'s members in the member arrays.
    #[inline]
    pub fn member_range(&self, i: usize) -> Range<usize> {
        let first = self.cohort[i].first_member as usize;
        first..first + self.cohort[i].members as usize
    }

    /// The smallest and largest stake among entry `i`'s members now.
    pub fn member_stake_bounds(&self, i: usize) -> (f64, f64) {
        if self.cohort[i].members == 1 {
            return (self.stake[i], self.stake[i]);
        }
        let growth = self.stake[i] / self.cohort[i].scale;
        let (lo, hi) = self.member[self.member_range(i)]
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
                (lo.min(m.base), hi.max(m.base))
            });
        (lo * growth, hi * growth)
    }

    /// The figures now of the member at position `m` of entry `i`.
    pub fn member_figures(&self, i: usize, m: usize) -> MemberFigures {
        let scale = self.cohort[i].scale;
        let member = self.member[m];
        let unit = |sum: f64, offset: f64| (sum - offset) / scale;
        MemberFigures {
            stake: member.base * self.stake[i] / scale,
            initial: member.initial,
            rewards: member.rewards
                + member.base * unit(self.rewards[i], self.cohort[i].rewards_offset),
            losses: member.losses
                + member.base * unit(self.losses[i], self.cohort[i].losses_offset),
        }
    }

    /// Net return of the member at position `m` of entry `i`: (rewards −
    /// losses) / stake at entry.
    pub fn member_net_return(&self, i: usize, m: usize) -> f64 {
        let f = self.member_figures(i, m);
        (f.rewards - f.losses) / f.initial
    }

    /// Makes entry `e` (unused) a cohort of the last `k` members of entry
    /// `i` (0 < k < members of `i`), with the same state and the members'
    /// part of `i`'s stake, rewards, losses, exits and payouts; `i` keeps
    /// the rest.
    pub fn split_tail(&mut self, i: usize, k: u32, e: usize) {
        let tail = self.detach_tail(i, k);
        self.attach_tail(i, k, e, tail);
    }

    /// Takes the figures of the last `k` members of entry `i` (0 < k <
    /// members of `i`) out of `i`'s and returns them; the members stay in
    /// `i`'s range, for [`Self::attach_tail`] or [`Self::absorb_tail`].
    pub fn detach_tail(&mut self, i: usize, k: u32) -> Detached {
        let all = self.member_range(i);
        debug_assert!(k > 0 && k < self.cohort[i].members);
        let tail = all.end - k as usize..all.end;
        if self.cohort[i].mixed {
            return self.detach_mixed(i, tail);
        }
        let tail_base: f64 = self.member[tail].iter().map(|m| m.base).sum();
        // Every figure is the members' share of their stakes at entry.
        let share = tail_base / self.member[all].iter().map(|m| m.base).sum::<f64>();
        let cohort = &mut self.cohort[i];
        Detached {
            stake: take_share(&mut self.stake[i], share),
            initial: take_share(&mut cohort.initial, share),
            rewards: take_share(&mut self.rewards[i], share),
            losses: take_share(&mut self.losses[i], share),
            exited: take_share(&mut cohort.exited, share),
            paid_out: take_share(&mut self.paid_out[i], share),
            scale: take_share(&mut cohort.scale, share),
            rewards_offset: 0.0,
            losses_offset: 0.0,
            mixed: false,
        }
    }

    /// [`Self::detach_tail`]'s figures for a mixed cohort: stake, exits and
    /// payouts by `base` share, the rest summed member by member: the four
    /// sums in one pass over the tail, each as `Iterator::sum` adds (from
    /// −0, in member order).
    fn detach_mixed(&mut self, i: usize, tail: Range<usize>) -> Detached {
        let (tail_base, initial, rewards_offset, losses_offset) = self.member[tail].iter().fold(
            (-0.0, -0.0, -0.0, -0.0),
            |(base, initial, rewards, losses), m| {
                (
                    base + m.base,
                    initial + m.initial,
                    rewards + m.rewards,
                    losses + m.losses,
                )
            },
        );
        let share = tail_base / self.cohort[i].scale;
        let stake = take_share(&mut self.stake[i], share);
        let exited = take_share(&mut self.cohort[i].exited, share);
        let paid_out = take_share(&mut self.paid_out[i], share);
        take_amount(&mut self.cohort[i].initial, initial);
        let rewards_unit = (self.rewards[i] - self.cohort[i].rewards_offset) / self.cohort[i].scale;
        let rewards = rewards_offset + tail_base * rewards_unit;
        take_amount(&mut self.rewards[i], rewards);
        let losses_unit = (self.losses[i] - self.cohort[i].losses_offset) / self.cohort[i].scale;
        let losses = losses_offset + tail_base * losses_unit;
        take_amount(&mut self.losses[i], losses);
        self.cohort[i].scale -= tail_base;
        self.cohort[i].rewards_offset -= rewards_offset;
        self.cohort[i].losses_offset -= losses_offset;
        Detached {
            stake,
            initial,
            rewards,
            losses,
            exited,
            paid_out,
            scale: tail_base,
            rewards_offset,
            losses_offset,
            mixed: true,
        }
    }

    /// Makes entry `e` (unused) the cohort of the last `k` members of entry
    /// `i`, whose figures `tail` [`Self::detach_tail`] took out of `i`'s:
    /// the same state, and the member positions from the tail on.
    pub fn attach_tail(&mut self, i: usize, k: u32, e: usize, tail: Detached) {
        let all = self.member_range(i);
        let n = self.cohort[i].members;
        debug_assert!(k > 0 && k < n && self.cohort[e].members == 0);
        self.set_detached(e, tail);
        self.cohort[i].members = n - k;
        self.cohort[e].members = k;
        self.cohort[e].first_member = (all.end - k as usize) as u32;
        self.cohort[e].member_room = self.cohort[i].member_room - (n - k);
        self.cohort[i].member_room = n - k;
        self.operator[e] = self.operator[i];
        self.cohort[e].status = self.cohort[i].status;
        self.cohort[e].entered = self.cohort[i].entered;
        self.cohort[e].released = self.cohort[i].released;
        self.copy_slots(i, e);
    }

    /// Entry `i`'s summed figures.
    fn detached(&self, i: usize) -> Detached {
        Detached {
            stake: self.stake[i],
            initial: self.cohort[i].initial,
            rewards: self.rewards[i],
            losses: self.losses[i],
            exited: self.cohort[i].exited,
            paid_out: self.paid_out[i],
            scale: self.cohort[i].scale,
            rewards_offset: self.cohort[i].rewards_offset,
            losses_offset: self.cohort[i].losses_offset,
            mixed: self.cohort[i].mixed,
        }
    }

    /// Gives entry `e` the summed figures `d`.
    fn set_detached(&mut self, e: usize, d: Detached) {
        self.stake[e] = d.stake;
        self.cohort[e].initial = d.initial;
        self.rewards[e] = d.rewards;
        self.losses[e] = d.losses;
        self.cohort[e].exited = d.exited;
        self.paid_out[e] = d.paid_out;
        self.cohort[e].scale = d.scale;
        self.cohort[e].rewards_offset = d.rewards_offset;
        self.cohort[e].losses_offset = d.losses_offset;
        self.cohort[e].mixed = d.mixed;
    }

    /// Whether entry `i` can join another cohort or be joined: active, in
    /// use, and with figures that can join ([`Detached::can_join`]).
    pub fn joinable(&self, i: usize) -> bool {
        self.cohort[i].status == Status::Active
            && self.cohort[i].members > 0
            && figures_can_join(
                self.stake[i],
                self.cohort[i].scale,
                self.cohort[i].exited,
                self.paid_out[i],
            )
    }

    /// Whether cohort `t` can absorb cohort `e` as far as their figures
    /// go: both [`Self::joinable`].
    pub fn can_absorb(&self, t: usize, e: usize) -> bool {
        self.joinable(t) && self.joinable(e)
    }

    /// Cohort `t` absorbs cohort `e` of the same class (alike in law from
    /// now on, see [`Self::can_absorb`]): `e`'s members join `t`'s with
    /// their figures unchanged, and `e` is left unused.
    pub fn absorb(&mut self, t: usize, e: usize, region: MemberRegion<'_>) {
        debug_assert!(self.can_absorb(t, e) && t != e);
        let figures = self.detached(e);
        // Room first, while `e` still holds its members: packing the
        // region keeps them, and they are read from where it leaves them.
        self.make_room(t, self.cohort[e].members as usize, region);
        let moving = self.member_range(e);
        self.clear_entry(e);
        self.absorb_members(t, figures, moving);
    }

    /// Cohort `t` absorbs the last `k` members of entry `i`, whose figures
    /// `tail` [`Self::detach_tail`] took out of `i`'s (they can join, and
    /// `t` can absorb them): as a split of the tail into an entry of its
    /// own that `t` then absorbs, without the entry.
    pub fn absorb_tail(
        &mut self,
        t: usize,
        i: usize,
        k: u32,
        tail: Detached,
        region: MemberRegion<'_>,
    ) {
        debug_assert!(tail.can_join() && self.joinable(t) && t != i);
        // Room first, while `i` still holds the tail (see [`Self::absorb`]).
        self.make_room(t, k as usize, region);
        let all = self.member_range(i);
        self.cohort[i].members -= k;
        self.absorb_members(t, tail, all.end - k as usize..all.end);
    }

    /// Cohort `t`, with room for them, absorbs the members at positions
    /// `moving` (another entry's, or positions no entry holds any more),
    /// whose summed figures are `figures`: each member's numbers are
    /// restated against `t` so that none of its figures changes, and they
    /// are appended to `t`'s.
    fn absorb_members(&mut self, t: usize, figures: Detached, moving: Range<usize>) {
        let (growth_e, rewards_e, losses_e) = figures.units();
        let (growth_t, rewards_t, losses_t) = self.detached(t).units();
        let (mut scale, mut rewards_offset, mut losses_offset) = (0.0, 0.0, 0.0);
        let end = self.member_range(t).end;
        debug_assert!(
            self.cohort[t].members as usize + moving.len() <= self.cohort[t].member_room as usize
        );
        for (to, from) in (end..).zip(moving.clone()) {
            let mut m = self.member[from];
            let rewards = m.rewards + m.base * rewards_e;
            let losses = m.losses + m.base * losses_e;
            m.base *= growth_e / growth_t;
            m.rewards = rewards - m.base * rewards_t;
            m.losses = losses - m.base * losses_t;
            scale += m.base;
            rewards_offset += m.rewards;
            losses_offset += m.losses;
            self.member[to] = m;
        }
        self.cohort[t].scale += scale;
        self.cohort[t].rewards_offset += rewards_offset;
        self.cohort[t].losses_offset += losses_offset;
        self.stake[t] += figures.stake;
        self.cohort[t].initial += figures.initial;
        self.rewards[t] += figures.rewards;
        self.losses[t] += figures.losses;
        self.cohort[t].mixed = true;
        self.cohort[t].members += moving.len() as u32;
    }

    /// Moves entry `from` (in use) to entry `to` (unused), members, slots
    /// and all, and leaves `from` unused.
    pub fn move_entry(&mut self, from: usize, to: usize) {
        macro_rules! move_all {
            ($($array:ident),*) => {
                $(self.$array[to] = self.$array[from];)*
            };
        }
        move_all!(stake, rewards, losses, paid_out, operator, cohort);
        self.copy_slots(from, to);
        self.clear_entry(from);
    }

    /// Gives entry `to` the allocation slots of entry `from` (empty ones
    /// pointing at `to`'s own empty-slot indices).
    fn copy_slots(&mut self, from: usize, to: usize) {
        for (a, b) in self.slot_range(from).zip(self.slot_range(to)) {
            if self.slot_state(a) == SlotState::Empty {
                self.clear_slot(b);
            } else {
                self.slot[b] = self.slot[a];
                self.weight[b] = self.weight[a];
            }
        }
    }

    /// Leaves entry `i` unused: no members, every figure 0, slots empty.
    pub fn clear_entry(&mut self, i: usize) {
        for figure in [
            &mut self.stake,
            &mut self.rewards,
            &mut self.losses,
            &mut self.paid_out,
        ] {
            figure[i] = 0.0;
        }
        let cohort = &mut self.cohort[i];
        *cohort = Cohort {
            entered: cohort.entered,
            first_member: cohort.first_member,
            ..Cohort::default()
        };
        for j in self.slot_range(i) {
            self.clear_slot(j);
        }
    }
}

/// [`Detached::can_join`] for figures kept apart.
fn figures_can_join(stake: f64, scale: f64, exited: f64, paid_out: f64) -> bool {
    stake > 0.0 && scale > 0.0 && exited == 0.0 && paid_out == 0.0
}

/// Takes the `share` of `figure` out of it and returns it; the rest is
/// never below 0 by rounding (every figure is a sum of amounts).
fn take_share(figure: &mut f64, share: f64) -> f64 {
    let moved = *figure * share;
    *figure = (*figure - moved).max(0.0);
    moved
}

/// Takes `amount` out of `figure` and returns it, as [`take_share`].
fn take_amount(figure: &mut f64, amount: f64) {
    *figure = (*figure - amount).max(0.0);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::stakers::Stakers;

    /// One staker followed on its own: stake, rewards and losses.
    #[derive(Debug, Clone, Copy)]
    struct Alone {
        stake: f64,
        initial: f64,
        rewards: f64,
        losses: f64,
    }

    impl Alone {
        fn new(stake: f64) -> Alone {
            Alone {
                stake,
                initial: stake,
                rewards: 0.0,
                losses: 0.0,
            }
        }

        fn earn(&mut self, rate: f64) {
            let r = self.stake * rate;
            self.stake += r;
            self.rewards += r;
        }

        fn slash(&mut self, severity: f64) {
            let loss = self.stake * severity;
            self.stake -= loss;
            self.losses += loss;
        }
    }

    /// `entries` free entries of one slot each, for one protocol; every
    /// member position is the class's region.
    pub(crate) fn stakers(entries: usize) -> Stakers {
        Stakers::new(entries, 1, 1).with_member_positions(3 * entries)
    }

    /// Makes entry `i` a cohort entering now with `stakes`, at member
    /// positions from `*next` on, allocated to protocol 0.
    pub(crate) fn enter(st: &mut Stakers, i: usize, stakes: &[f64], next: &mut usize) {
        let first = *next;
        for (k, &stake) in stakes.iter().enumerate() {
            st.member[first + k] = Member {
                base: stake,
                initial: stake,
                rewards: 0.0,
                losses: 0.0,
            };
        }
        let sum: f64 = stakes.iter().sum();
        st.stake[i] = sum;
        st.cohort[i].initial = sum;
        st.cohort[i].scale = sum;
        st.cohort[i].members = stakes.len() as u32;
        st.cohort[i].first_member = first as u32;
        st.cohort[i].member_room = stakes.len() as u32;
        st.cohort[i].status = Status::Active;
        st.allocate(st.slot_range(i).start, 0, 1.0);
        *next += stakes.len();
    }

    /// What the reward pass and a slash do to entry `i`'s sums.
    pub(crate) fn earn(st: &mut Stakers, i: usize, rate: f64) {
        let r = st.stake[i] * rate;
        st.stake[i] += r;
        st.rewards[i] += r;
    }

    fn slash(st: &mut Stakers, i: usize, severity: f64) {
        let loss = st.stake[i] * severity;
        st.stake[i] -= loss;
        st.losses[i] += loss;
    }

    /// Entry `i`'s members' figures, in position order.
    pub(crate) fn figures(st: &Stakers, i: usize) -> Vec<MemberFigures> {
        st.member_range(i)
            .map(|m| st.member_figures(i, m))
            .collect()
    }

    #[track_caller]
    fn assert_same(found: &[MemberFigures], expected: &[Alone]) {
        assert_eq!(found.len(), expected.len());
        for (f, a) in found.iter().zip(expected) {
            for (x, y) in [
                (f.stake, a.stake),
                (f.initial, a.initial),
                (f.rewards, a.rewards),
                (f.losses, a.losses),
            ] {
                assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{f:?} vs {a:?}");
            }
        }
    }

    #[test]
    fn an_absorbed_cohort_keeps_every_members_figures_and_then_moves_with_its_new_one() {
        let mut st = stakers(4);
        let mut next = 0;
        enter(&mut st, 0, &[10.0, 30.0], &mut next);
        enter(&mut st, 1, &[20.0], &mut next);
        let mut a = [Alone::new(10.0), Alone::new(30.0)];
        let mut b = [Alone::new(20.0)];
        // Different histories: 0 earns 10 % and loses 5 %, 1 earns 2 %.
        earn(&mut st, 0, 0.10);
        slash(&mut st, 0, 0.05);
        earn(&mut st, 1, 0.02);
        a.iter_mut().for_each(|x| {
            x.earn(0.10);
            x.slash(0.05);
        });
        b[0].earn(0.02);
        let region = MemberRegion {
            range: 0..8,
            next: &mut next,
            entries: 0..2,
        };
        assert!(st.can_absorb(0, 1));
        st.absorb(0, 1, region);
        let mut all = [a[0], a[1], b[0]];
        assert!(st.cohort[0].mixed);
        assert_eq!((st.cohort[0].members, st.cohort[1].members), (3, 0));
        assert_eq!(st.cohort[1].status, Status::Reserve);
        assert_same(&figures(&st, 0), &all);
        // From now on they earn and lose alike, member by member.
        earn(&mut st, 0, 0.03);
        slash(&mut st, 0, 0.10);
        all.iter_mut().for_each(|x| {
            x.earn(0.03);
            x.slash(0.10);
        });
        assert_same(&figures(&st, 0), &all);
        for (m, x) in st.member_range(0).zip(&all) {
            let net = (x.rewards - x.losses) / x.initial;
            assert!((st.member_net_return(0, m) - net).abs() < 1e-14);
        }
        assert!(st.bookkeeping_error() < 1e-14);
        // A split of a mixed cohort: each part keeps its members' figures.
        st.split_tail(0, 1, 2);
        assert_same(&figures(&st, 0), &all[..2]);
        assert_same(&figures(&st, 2), &all[2..]);
        for i in [0, 2] {
            let members = figures(&st, i);
            let sum = |f: fn(&MemberFigures) -> f64| members.iter().map(f).sum::<f64>();
            assert!((st.stake[i] - sum(|f| f.stake)).abs() < 1e-12);
            assert!((st.rewards[i] - sum(|f| f.rewards)).abs() < 1e-12);
            assert!((st.losses[i] - sum(|f| f.losses)).abs() < 1e-12);
            assert!((st.cohort[i].initial - sum(|f| f.initial)).abs() < 1e-12);
        }
        assert!(st.bookkeeping_error() < 1e-14);
    }

    #[test]
    fn a_cohort_absorbing_beyond_its_room_moves_and_a_full_region_is_packed() {
        let mut st = stakers(6);
        let mut next = 0;
        for (i, stake) in [1.0, 2.0, 3.0, 4.0, 5.0].into_iter().enumerate() {
            enter(&mut st, i, &[stake], &mut next);
        }
        let absorb = |st: &mut Stakers, next: &mut usize, e: usize| {
            let region = MemberRegion {
                range: 0..12,
                next,
                entries: 0..5,
            };
            st.absorb(0, e, region);
        };
        // Room 1: entry 0 moves to the region's end with room for 4.
        absorb(&mut st, &mut next, 1);
        assert_eq!(
            (st.cohort[0].first_member, st.cohort[0].member_room, next),
            (5, 4, 9)
        );
        absorb(&mut st, &mut next, 2);
        absorb(&mut st, &mut next, 3);
        assert_eq!((st.cohort[0].first_member, next), (5, 9), "within its room");
        // The fifth does not fit and 10 more positions are not free: the
        // region is packed (with room for half as many again) first.
        absorb(&mut st, &mut next, 4);
        assert_eq!(st.cohort[0].first_member, 0);
        assert_eq!(st.cohort[0].members, 5);
        let mut initial: Vec<f64> = st.member[st.member_range(0)]
            .iter()
            .map(|m| m.initial)
            .collect();
        initial.sort_by(f64::total_cmp);
        assert_eq!(initial, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(st.stake[0], 15.0);
        assert!((1..5).all(|i| st.cohort[i].members == 0 && st.stake[i] == 0.0));
    }

    #[test]
    fn a_tail_absorbed_straight_gives_the_bytes_of_a_split_then_an_absorb() {
        // Cohort 0 is mixed (it absorbed 1), cohort 2 plain; both had
        // different histories. The last two members of 0 join 2, and the
        // last one of 2 joins 0, each both ways.
        let mut st = stakers(6);
        let mut next = 0;
        enter(&mut st, 0, &[10.0, 30.0, 5.0], &mut next);
        enter(&mut st, 1, &[20.0, 2.0], &mut next);
        enter(&mut st, 2, &[7.0, 11.0, 13.0], &mut next);
        earn(&mut st, 0, 0.10);
        slash(&mut st, 0, 0.05);
        earn(&mut st, 1, 0.02);
        earn(&mut st, 2, 0.07);
        slash(&mut st, 2, 0.20);
        let mut region_next = next;
        fn region(next: &mut usize) -> MemberRegion<'_> {
            MemberRegion {
                range: 0..18,
                next,
                entries: 0..4,
            }
        }
        st.absorb(0, 1, region(&mut region_next));
        for (from, to, k) in [(0, 2, 2), (2, 0, 1)] {
            let (mut split, mut straight) = (st.clone(), st.clone());
            let (mut split_next, mut straight_next) = (region_next, region_next);
            split.split_tail(from, k, 3);
            split.absorb(to, 3, region(&mut split_next));
            let tail = straight.detach_tail(from, k);
            assert!(tail.can_join());
            straight.absorb_tail(to, from, k, tail, region(&mut straight_next));
            for i in [from, to] {
                assert_eq!(straight.detached(i), split.detached(i), "entry {i}");
                assert_eq!(straight.cohort[i].members, split.cohort[i].members);
                let (a, b) = (figures(&straight, i), figures(&split, i));
                assert_eq!(a, b, "entry {i}'s members");
            }
            assert_eq!(straight.cohort[3].members, 0);
            assert!(straight.bookkeeping_error() < 1e-14);
        }
    }

    #[test]
    fn moving_an_entry_carries_everything_and_leaves_the_old_one_unused() {
        let mut st = stakers(3);
        let mut next = 0;
        enter(&mut st, 0, &[7.0, 9.0], &mut next);
        earn(&mut st, 0, 0.5);
        st.move_entry(0, 2);
        assert_eq!(
            (st.cohort[2].members, st.stake[2], st.rewards[2]),
            (2, 24.0, 8.0)
        );
        assert_eq!(st.member_range(2), 0..2);
        assert_eq!(st.slot_state(st.slot_range(2).start), SlotState::Active(0));
        assert_eq!(
            (st.cohort[0].members, st.stake[0], st.cohort[0].status),
            (0, 0.0, Status::Reserve)
        );
        assert_eq!(st.slot_state(st.slot_range(0).start), SlotState::Empty);
        assert_eq!(st.cohort[0].released, 0);
    }
}
