//! Splitting a cohort: when a random per-staker decision (a shock exit, a
//! yield-chasing move) or a stake threshold (`min_stake`) separates some of
//! a cohort's members from the others, they become a cohort of their own,
//! with the same state and their share of every figure (see
//! [`crate::engine::stakers`]). Splits only ever separate; cohorts never
//! merge.

use rand::RngExt;
use rand_distr::{Binomial, Distribution};

use super::Behaviour;
use crate::engine::classes::Classes;

impl Behaviour {
    /// How many of `n` stakers act when each does, independently, with
    /// probability `q`: one uniform against `q` for a staker on its own
    /// (as a per-staker engine draws it), a binomial draw for a cohort.
    pub fn draw_acting(&mut self, n: u32, q: f64) -> u32 {
        if n == 1 {
            return u32::from(self.rng.random::<f64>() < q);
        }
        if q >= 1.0 {
            return n;
        }
        Binomial::new(u64::from(n), q.max(0.0))
            .map(|b| b.sample(&mut self.rng) as u32)
            .unwrap_or(0)
    }

    /// Separates `k` members of entry `i` of class `c`, chosen uniformly at
    /// random, into a new cohort and returns its entry; with `k` equal to
    /// the members of `i`, `i` itself acts whole and is returned.
    pub fn split_random(&mut self, classes: &mut Classes, c: usize, i: usize, k: u32) -> usize {
        let n = classes.stakers.members[i];
        if k >= n {
            return i;
        }
        // A partial Fisher–Yates shuffle draws the k to the end.
        let members = classes.stakers.member_range(i);
        let base = &mut classes.stakers.base[members.clone()];
        for t in 0..k as usize {
            let last = base.len() - 1 - t;
            let j = self.rng.random_range(0..=last);
            base.swap(j, last);
        }
        self.split_tail(classes, c, i, k)
    }

    /// Separates the members of entry `i` of class `c` whose stake now is
    /// at least `threshold` from those below it, when there are both:
    /// returns the entry of those at or above (a new cohort), or `None`
    /// when all members are on one side.
    pub fn split_at_stake(
        &mut self,
        classes: &mut Classes,
        c: usize,
        i: usize,
        threshold: f64,
    ) -> Option<usize> {
        let st = &mut classes.stakers;
        let growth = st.stake[i] / st.initial[i];
        let members = st.member_range(i);
        let base = &mut st.base[members];
        // Those below first, those at or above at the end.
        let mut below = 0;
        for j in 0..base.len() {
            if base[j] * growth < threshold {
                base.swap(below, j);
                below += 1;
            }
        }
        let above = (base.len() - below) as u32;
        if below == 0 || above == 0 {
            return None;
        }
        Some(self.split_tail(classes, c, i, above))
    }

    /// Makes the last `k` members of entry `i` a cohort of their own in
    /// class `c`'s next unused entry, carrying `i`'s pending deallocations
    /// and exit start along.
    fn split_tail(&mut self, classes: &mut Classes, c: usize, i: usize, k: u32) -> usize {
        let run = &mut classes.runs[c];
        let e = run.next_entry;
        assert!(
            e < run.range.end,
            "a class has at most one cohort per staker"
        );
        run.next_entry += 1;
        classes.stakers.split_tail(i, k, e);
        self.exit_began[e] = self.exit_began[i];
        self.releases.copy_pending(i, e);
        e
    }
}
