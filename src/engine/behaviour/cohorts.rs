//! Splitting a cohort: when a random per-staker decision (a shock exit, a
//! yield-chasing move) or a stake threshold (`min_stake`) separates some of
//! a cohort's members from the others, they become a cohort of their own,
//! with the same state and their share of every figure (see
//! [`crate::engine::members`]). Cohorts join again only after a
//! yield-chasing move ([`super::merges`]).

use rand::RngExt;
use rand_distr::{Binomial, Distribution};

use super::Behaviour;
use crate::engine::classes::Classes;
use crate::engine::members::Detached;

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
        let n = classes.stakers.cohort[i].members;
        self.split_random_among(classes, c, i, k, n)
    }

    /// [`Self::split_random`] choosing among the first `n` members of `i`
    /// only (the others arrived in a review and have acted in it).
    pub fn split_random_among(
        &mut self,
        classes: &mut Classes,
        c: usize,
        i: usize,
        k: u32,
        n: u32,
    ) -> usize {
        if k >= classes.stakers.cohort[i].members {
            return i;
        }
        self.draw_to_tail(classes, i, k, n);
        self.split_tail(classes, c, i, k)
    }

    /// Puts `k` members of entry `i` (fewer than all), chosen uniformly at
    /// random among its first `n`, at the end of its members.
    pub fn draw_to_tail(&mut self, classes: &mut Classes, i: usize, k: u32, n: u32) {
        let all = classes.stakers.cohort[i].members as usize;
        debug_assert!((k as usize) < all && k <= n);
        // A partial Fisher–Yates shuffle draws the k to the end of the
        // first n, which then trade places with the last k.
        let first = classes.stakers.member_range(i).start;
        let member = &mut classes.stakers.member;
        for t in 0..k as usize {
            let last = n as usize - 1 - t;
            let j = self.rng.random_range(0..=last);
            member.swap(first + j, first + last);
        }
        // With no members arrived in the review (n = all), they are there.
        if n as usize != all {
            for t in 1..=k as usize {
                member.swap(first + n as usize - t, first + all - t);
            }
        }
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
        let growth = st.stake[i] / st.cohort[i].scale;
        let members = st.member_range(i);
        // Those below first, those at or above at the end.
        let mut below = members.start;
        for j in members.clone() {
            if st.member[j].base * growth < threshold {
                st.member.swap(below, j);
                below += 1;
            }
        }
        let above = (members.end - below) as u32;
        let below = below - members.start;
        if below == 0 || above == 0 {
            return None;
        }
        Some(self.split_tail(classes, c, i, above))
    }

    /// Makes the last `k` members of entry `i` a cohort of their own in
    /// class `c`'s next unused entry, carrying `i`'s pending deallocations
    /// and exit start along.
    fn split_tail(&mut self, classes: &mut Classes, c: usize, i: usize, k: u32) -> usize {
        let tail = classes.stakers.detach_tail(i, k);
        self.attach_tail(classes, c, i, k, tail)
    }

    /// [`Self::split_tail`] for a tail whose figures
    /// [`crate::engine::stakers::Stakers::detach_tail`] has taken out of
    /// `i`'s already.
    pub(super) fn attach_tail(
        &mut self,
        classes: &mut Classes,
        c: usize,
        i: usize,
        k: u32,
        tail: Detached,
    ) -> usize {
        let e = classes.runs[c].take_entry();
        classes.stakers.attach_tail(i, k, e, tail);
        self.exit_began[e] = self.exit_began[i];
        self.releases.copy_pending(i, e);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::class_finals;
    use crate::engine::stakers::{SlotState, Status};
    use crate::engine::test_support::{Parts, model, with_cohorts};
    use crate::model::Model;

    /// Two protocols, "low" at 2 % and "high" at 9 % (min_stake 50), and
    /// `count` ETH stakers of `stake` in "low" with the extra class keys.
    fn tables(count: u32, stake: &str, extra: &str) -> String {
        format!(
            r#"
[[protocol]]
name = "low"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.02 }}
unbonding_days = 2

[[protocol]]
name = "high"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.09 }}
min_stake = 50

[[staker]]
class = "c"
count = {count}
asset = "ETH"
stake = {stake}
allocate = {{ low = 1.0 }}
review_every_days = 1
{extra}
"#
        )
    }

    const SPREAD: &str = r#"{ dist = "uniform", low = 1, high = 100 }"#;

    #[test]
    fn stakers_alike_enter_as_one_cohort_with_the_stakes_drawn_one_by_one() {
        let text = tables(50, SPREAD, "");
        let (gathered, alone) = (with_cohorts(&text), model(&text));
        let (cohort, agents) = (Parts::start(&gathered), Parts::start(&alone));
        let st = &cohort.classes.stakers;
        assert_eq!(cohort.classes.runs[0].members(), 0..1);
        assert_eq!(st.cohort[0].members, 50);
        // The same draws, in the same order, as each staker on its own.
        let bases: Vec<f64> = st.member[0..50].iter().map(|m| m.base).collect();
        assert_eq!(bases, agents.classes.stakers.stake[0..50]);
        let sum: f64 = bases.iter().sum();
        assert_eq!((st.stake[0], st.cohort[0].initial), (sum, sum));
        let run = &cohort.classes.runs[0];
        assert_eq!((run.active, run.joined), (50, 50));
        assert_eq!(cohort.protocols.backers, [50, 0]);
        assert_eq!(agents.classes.runs[0].members(), 0..50);
    }

    #[test]
    fn a_shock_exit_splits_off_a_binomial_share_of_a_cohort() {
        // 400 stakers leave with probability 0.25 each: Binomial(400, 1/4),
        // mean 100, sd √75; over 200 paths the mean count has sd 0.61.
        let model = with_cohorts(&tables(400, SPREAD, ""));
        let start = Parts::start(&model);
        let trials = 200;
        let mut total = 0.0;
        for path in 0..trials {
            let mut parts = Parts::start(&model);
            parts.behaviour = Behaviour::new(&model, path);
            parts.review(&model, 0, 0.25);
            let st = &parts.classes.stakers;
            let run = &parts.classes.runs[0];
            let leaving: u32 = run
                .members()
                .filter(|&i| st.cohort[i].status == Status::Exiting)
                .map(|i| st.cohort[i].members)
                .sum();
            assert_eq!(run.active + leaving, 400);
            assert_eq!(parts.protocols.backers[0], run.active);
            // Every member keeps its own stake: the cohorts' stakes are the
            // sums of their members' stakes at entry.
            for i in run.members() {
                let own: f64 = st.member[st.member_range(i)].iter().map(|m| m.base).sum();
                assert!((st.stake[i] - own).abs() <= 1e-12 * own);
            }
            let total_stake: f64 = run.members().map(|i| st.stake[i]).sum();
            assert!((total_stake - start.classes.stakers.stake[0]).abs() < 1e-9);
            assert!(st.bookkeeping_error() < 1e-12);
            total += f64::from(leaving);
        }
        let mean = total / f64::from(trials);
        let se = (400.0f64 * 0.25 * 0.75 / f64::from(trials)).sqrt();
        assert!((mean - 100.0).abs() < 4.0 * se, "mean {mean}, se {se}");
    }

    #[test]
    fn a_chase_splits_a_cohort_at_a_min_stake_it_straddles() {
        // Everyone acts; only members with 50 or more may move to "high".
        let strategy = r#"strategy = { kind = "yield_chasing", probability = 1.0 }"#;
        let model = with_cohorts(&tables(40, SPREAD, strategy));
        let mut parts = Parts::start(&model);
        let rich = parts.classes.stakers.member[0..40]
            .iter()
            .filter(|m| m.base >= 50.0)
            .count() as u32;
        assert!(rich > 0 && rich < 40);
        parts.review(&model, 0, 0.0);
        let st = &parts.classes.stakers;
        let run = &parts.classes.runs[0];
        assert_eq!(run.members(), 0..2, "split once, at the threshold");
        for i in run.members() {
            let members = &st.member[st.member_range(i)];
            let moved = st.slot_state(st.slot_range(i).start) == SlotState::Active(1);
            assert!(
                members.iter().all(|m| (m.base >= 50.0) == moved),
                "cohort {i}"
            );
            assert_eq!(st.cohort[i].members, if moved { rich } else { 40 - rich });
        }
        assert_eq!(parts.protocols.backers, [40 - rich, rich]);
        // The running TVL agrees with a recount.
        let kept = parts.classes.runs[0].tvl.clone();
        parts.classes.recount();
        let recounted = &parts.classes.runs[0].tvl;
        for (a, b) in kept.iter().zip(recounted) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
    }

    #[test]
    fn a_cohort_that_would_not_move_is_not_split() {
        // "high" is out of reach of everyone: nobody moves, nothing splits.
        let strategy = r#"strategy = { kind = "yield_chasing", probability = 0.5 }"#;
        let small = r#"{ dist = "uniform", low = 1, high = 10 }"#;
        let model = with_cohorts(&tables(40, small, strategy));
        let mut parts = Parts::start(&model);
        for step in 0..5 {
            parts.review(&model, step, 0.0);
        }
        assert_eq!(parts.classes.runs[0].members(), 0..1);
        assert_eq!(parts.classes.stakers.cohort[0].members, 40);
    }

    #[test]
    fn per_staker_outputs_count_every_member() {
        // Without randomness after entry, cohorts and stakers on their own
        // give the same counts, median and yield histogram.
        let text = tables(30, SPREAD, "");
        let finals = |model: &Model| {
            let mut parts = Parts::start(model);
            parts.classes.pay_rewards(model, &parts.protocols.rate);
            let mut st = parts.classes.stakers.clone();
            for i in parts.classes.runs[0].members() {
                st.cohort[i].released = 10;
            }
            parts.classes.stakers = st;
            class_finals(model, &parts.market, &parts.classes)
        };
        let (gathered, alone) = (finals(&with_cohorts(&text)), finals(&model(&text)));
        assert_eq!(gathered.0[0].stakers, 30);
        assert_eq!(gathered.0[0].stakers, alone.0[0].stakers);
        let (a, b) = (
            gathered.0[0].median_net_return,
            alone.0[0].median_net_return,
        );
        assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        assert_eq!(gathered.1[0].count(), alone.1[0].count());
        assert_eq!(gathered.1[0].count(), 30);
    }
}
