//! Where a class's members lie: an entry's members sit together at
//! `first_member..first_member + members`, followed by free room up to
//! `member_room`, inside its class's region of the member arrays. A cohort
//! absorbing more members than its room holds moves to the end of the
//! region with room for twice as many; when the region is full, every
//! entry's members are packed again, entry by entry. Which member is where
//! inside a cohort never changes here, so no result depends on the
//! layout. How members' figures are kept is [`crate::engine::members`]'s.

use std::ops::Range;

use crate::engine::members::Member;
use crate::engine::stakers::Stakers;

/// Where a class keeps its members: its region of the member arrays, the
/// first free position in it, and the entries in use.
#[derive(Debug)]
pub struct MemberRegion<'a> {
    /// The class's member positions.
    pub range: Range<usize>,
    /// The first position no entry holds.
    pub next: &'a mut usize,
    /// The class's entries in use.
    pub entries: Range<usize>,
}

/// How many entries ahead [`Stakers::compact_members`] asks for members.
const PACK_AHEAD: usize = 8;

impl Stakers {
    /// Gives entry `t` room for `extra` more members, moving it to the end
    /// of the region (with room for twice as many) when its room is short.
    pub(crate) fn make_room(&mut self, t: usize, extra: usize, mut region: MemberRegion<'_>) {
        let need = self.cohort[t].members as usize + extra;
        if need > self.cohort[t].member_room as usize && *region.next + 2 * need > region.range.end
        {
            self.compact_members(&mut region, true);
        }
        if need > self.cohort[t].member_room as usize {
            if *region.next + need > region.range.end {
                self.compact_members(&mut region, false);
            }
            let room = (2 * need).min(region.range.end - *region.next);
            let to = *region.next;
            self.copy_members(self.member_range(t), to);
            self.cohort[t].first_member = to as u32;
            self.cohort[t].member_room = room as u32;
            *region.next += room;
        }
    }

    /// Copies the members at `from` to positions from `to` on (the two
    /// ranges do not overlap).
    fn copy_members(&mut self, from: Range<usize>, to: usize) {
        self.member.copy_within(from, to);
    }

    /// Packs the members of the region's entries from its start, entry by
    /// entry, each with room for half as many again with `slack` when the
    /// region has it (so that a cohort absorbing a few does not move at
    /// once), else with room for its members only. The members are packed
    /// into a scratch array; when the region is the whole member array (one
    /// class), the two arrays trade places instead of copying back. Room
    /// beyond an entry's members holds whatever it held: it is only ever
    /// written.
    pub fn compact_members(&mut self, region: &mut MemberRegion<'_>, slack: bool) {
        let live: usize = region
            .entries
            .clone()
            .map(|i| self.cohort[i].members as usize)
            .sum();
        let slack = slack && live + live / 2 <= region.range.len();
        let start = region.range.start;
        let mut packed = std::mem::take(&mut self.member_scratch);
        packed.resize(region.range.len(), Member::default());
        let mut at = 0;
        for i in region.entries.clone() {
            // The members of an entry a few ahead, into the cache while
            // these are copied: entries' members lie anywhere in the region.
            if let Some(ahead) = self.cohort.get(i + PACK_AHEAD) {
                prefetch_index::prefetch_index(&self.member, ahead.first_member as usize);
            }
            let members = self.cohort[i].members as usize;
            let room = if slack {
                members + members / 2
            } else {
                members
            };
            packed[at..at + members].copy_from_slice(&self.member[self.member_range(i)]);
            self.cohort[i].first_member = (start + at) as u32;
            self.cohort[i].member_room = room as u32;
            at += room;
        }
        if region.range == (0..self.member.len()) {
            std::mem::swap(&mut self.member, &mut packed);
        } else {
            self.member[start..start + at].copy_from_slice(&packed[..at]);
        }
        self.member_scratch = packed;
        *region.next = start + at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::members::tests::{earn, enter, figures, stakers};

    /// `st` with the members of `entries` in positions `range` packed
    /// (with slack), and the first free position after it, which was
    /// `next`.
    fn packed(
        st: &Stakers,
        range: Range<usize>,
        entries: Range<usize>,
        mut next: usize,
    ) -> (Stakers, usize) {
        let mut st = st.clone();
        let mut region = MemberRegion {
            range,
            next: &mut next,
            entries,
        };
        st.compact_members(&mut region, true);
        (st, next)
    }

    #[test]
    fn packing_keeps_every_members_figures_in_the_whole_array_or_one_region_of_it() {
        // Entries 0 and 1 lie out of order with gaps in positions 0..6;
        // entry 2 (another class's, say) in 6..12.
        let mut st = stakers(4);
        let mut next = 3;
        enter(&mut st, 0, &[1.0, 2.0], &mut next);
        next = 0;
        enter(&mut st, 1, &[3.0], &mut next);
        next = 8;
        enter(&mut st, 2, &[4.0, 5.0, 6.0], &mut next);
        earn(&mut st, 0, 0.1);
        let before: Vec<_> = (0..3).map(|i| figures(&st, i)).collect();

        // One region of the array: the other's positions stay as they were.
        let (part, next) = packed(&st, 0..6, 0..2, 6);
        assert_eq!(next, 4, "room for 2 + 1 and 1 + 0");
        assert_eq!(
            (part.cohort[0].first_member, part.cohort[0].member_room),
            (0, 3)
        );
        assert_eq!(
            (part.cohort[1].first_member, part.cohort[1].member_room),
            (3, 1)
        );
        assert_eq!(part.member[6..12], st.member[6..12]);
        assert_eq!(part.cohort[2], st.cohort[2]);

        // The whole array: the packed one takes its place.
        let (whole, next) = packed(&st, 0..12, 0..3, 11);
        assert_eq!(next, 8);
        assert_eq!(
            (whole.cohort[2].first_member, whole.cohort[2].member_room),
            (4, 4)
        );
        for (i, figures_before) in before.iter().enumerate() {
            assert_eq!(&figures(&part, i), figures_before, "part, entry {i}");
            assert_eq!(&figures(&whole, i), figures_before, "whole, entry {i}");
        }
    }
}
