//! Leaving: a staker's exit (its allocations stop earning and unbond, still
//! slashable) and the release queue that frees exits and deallocations
//! when their delay has run out.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Behaviour;
use crate::engine::classes::Classes;
use crate::engine::protocols::ProtocolBook;
use crate::engine::stakers::{SlotState, Status};
use crate::model::Model;

/// Marker in the queue for a whole staker's exit (else a slot offset).
const FULL_EXIT: u16 = u16::MAX;

/// What the queue releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// A staker's whole stake.
    Exit {
        /// The staker.
        staker: usize,
    },
    /// One deallocating slot of a staker.
    Deallocation {
        /// The staker.
        staker: usize,
        /// The slot's offset among the staker's slots.
        slot: usize,
    },
}

/// Exits and deallocations waiting for their delay, released in order of
/// (due step, staker, slot), a whole exit after the staker's slots.
#[derive(Debug, Clone, Default)]
pub struct Releases {
    queue: BinaryHeap<Reverse<(u32, u32, u16)>>,
}

impl Releases {
    /// Queues `release` for step `due`.
    pub fn push(&mut self, due: u32, release: Release) {
        let entry = match release {
            Release::Exit { staker } => (due, staker as u32, FULL_EXIT),
            Release::Deallocation { staker, slot } => (due, staker as u32, slot as u16),
        };
        self.queue.push(Reverse(entry));
    }

    /// Queues, for staker `to`, a copy of every release pending for
    /// staker `from` (a cohort split off `from` leaves as `from` would).
    pub fn copy_pending(&mut self, from: usize, to: usize) {
        let copies: Vec<_> = self
            .queue
            .iter()
            .filter(|Reverse((_, staker, _))| *staker as usize == from)
            .map(|&Reverse((due, _, which))| Reverse((due, to as u32, which)))
            .collect();
        self.queue.extend(copies);
    }

    /// Whether a release is pending for any staker in `stakers`.
    pub fn any_pending_in(&self, stakers: std::ops::Range<usize>) -> bool {
        self.queue
            .iter()
            .any(|Reverse((_, staker, _))| stakers.contains(&(*staker as usize)))
    }

    /// The next release due at or before `step`, if any.
    pub fn pop_due(&mut self, step: u32) -> Option<Release> {
        let &Reverse((due, staker, which)) = self.queue.peek()?;
        if due > step {
            return None;
        }
        self.queue.pop();
        let staker = staker as usize;
        Some(if which == FULL_EXIT {
            Release::Exit { staker }
        } else {
            Release::Deallocation {
                staker,
                slot: usize::from(which),
            }
        })
    }
}

impl Behaviour {
    /// Starts the exit of staker `i` of class `c` at `step` (every member
    /// of the cohort `i` is): its active
    /// allocations turn into leaving stake (earning nothing, slashable)
    /// for the longest exit delay among them.
    pub fn begin_exit(
        &mut self,
        model: &Model,
        classes: &mut Classes,
        protocols: &mut ProtocolBook,
        c: usize,
        i: usize,
        step: u32,
    ) {
        let st = &mut classes.stakers;
        let run = &mut classes.runs[c];
        let stake = st.stake[i];
        let members = st.cohort[i].members;
        let mut delay = 0;
        for j in st.slot_range(i) {
            if let SlotState::Active(p) = st.slot_state(j) {
                let w = st.weight[j];
                run.tvl[st.active_index(p)] -= w * stake;
                run.tvl[st.leaving_index(p)] += w * stake;
                st.start_leaving(j, p);
                protocols.backers[p] -= members;
                delay = delay.max(model.protocols[p].exit_delay_steps);
            }
        }
        st.cohort[i].status = Status::Exiting;
        run.active -= members;
        run.exiting_started += stake;
        self.exit_began[i] = step;
        self.releases
            .push(step + delay, Release::Exit { staker: i });
    }

    /// Releases the exits and deallocations due at `step`: an exit's stake
    /// leaves its class (and the days since it started are counted), a
    /// deallocation's slot empties.
    pub fn release(&mut self, step: u32, classes: &mut Classes) {
        while let Some(release) = self.releases.pop_due(step) {
            match release {
                Release::Exit { staker: i } => {
                    let c = classes.class_of(i);
                    let st = &mut classes.stakers;
                    let run = &mut classes.runs[c];
                    let stake = st.stake[i];
                    for j in st.slot_range(i) {
                        run.tvl[st.slot_index(j)] -= st.weight[j] * stake;
                        st.clear_slot(j);
                    }
                    st.cohort[i].exited += stake;
                    st.stake[i] = 0.0;
                    st.cohort[i].status = Status::Exited;
                    st.cohort[i].released = step + 1;
                    run.exits += stake;
                    // A running sum: the last staker out may leave a few
                    // ulps of rounding, never a negative stake.
                    run.stake = (run.stake - stake).max(0.0);
                    let days = (step - self.exit_began[i]) * self.step_days;
                    self.exit_delays[c].add(days, u64::from(st.cohort[i].members));
                }
                Release::Deallocation { staker: i, slot } => {
                    let c = classes.class_of(i);
                    let st = &mut classes.stakers;
                    let run = &mut classes.runs[c];
                    let stake = st.stake[i];
                    let j = st.slot_range(i).start + slot;
                    if st.slot_protocol(j).is_some() {
                        run.tvl[st.slot_index(j)] -= st.weight[j] * stake;
                        st.clear_slot(j);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, model};

    /// Two stakers of 100 ETH in "slow" (weight 1, exits in 2 + 3 steps)
    /// and "quick" (weight 0.5, exits in 3 steps).
    fn two_delays() -> Model {
        model(
            r#"
[[protocol]]
name = "slow"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
withdrawal_days = 2
unbonding_days = 3

[[protocol]]
name = "quick"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
unbonding_days = 3

[[staker]]
class = "c"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { slow = 1.0, quick = 0.5 }
max_leverage = 1.5
"#,
        )
    }

    #[test]
    fn an_exit_moves_the_weight_to_leaving_and_queues_at_the_longest_delay() {
        let model = two_delays();
        let mut parts = Parts::start(&model);
        let Parts {
            behaviour,
            classes,
            protocols,
            ..
        } = &mut parts;
        behaviour.begin_exit(&model, classes, protocols, 0, 1, 10);
        let st = &classes.stakers;
        let first = st.slot_range(1).start;
        assert_eq!(st.slot_state(first), SlotState::Leaving(0));
        assert_eq!(st.slot_state(first + 1), SlotState::Leaving(1));
        assert_eq!((st.weight[first], st.weight[first + 1]), (1.0, 0.5));
        assert_eq!(st.cohort[1].status, Status::Exiting);
        assert_eq!(st.cohort[0].status, Status::Active);
        let run = &classes.runs[0];
        assert_eq!(run.active, 1);
        assert_eq!(run.stake, 200.0, "the stake stays until released");
        assert_eq!((run.tvl[0], run.tvl[1]), (100.0, 50.0));
        assert_eq!(
            (run.tvl[st.leaving_index(0)], run.tvl[st.leaving_index(1)]),
            (100.0, 50.0)
        );
        assert_eq!(protocols.backers, [1, 1]);
        // Due at 10 + max(5, 3).
        let mut queue = behaviour.releases.clone();
        assert_eq!(queue.pop_due(14), None);
        assert_eq!(queue.pop_due(15), Some(Release::Exit { staker: 1 }));
        assert_eq!(queue.pop_due(100), None);
        // The protocols' TVL counts active stake only.
        parts.update_aprs(&model);
        assert_eq!(parts.protocols.tvl_native, [100.0, 50.0]);
    }

    #[test]
    fn a_release_frees_the_stake_when_its_delay_has_run_out() {
        let model = two_delays();
        let mut parts = Parts::start(&model);
        let Parts {
            behaviour,
            classes,
            protocols,
            ..
        } = &mut parts;
        behaviour.begin_exit(&model, classes, protocols, 0, 1, 10);
        classes.stakers.stake[1] = 90.0; // slashed while leaving
        classes.recount();
        behaviour.release(14, classes);
        assert_eq!(classes.stakers.cohort[1].status, Status::Exiting, "not yet");
        behaviour.release(15, classes);
        let st = &classes.stakers;
        assert_eq!(st.cohort[1].status, Status::Exited);
        assert_eq!(
            (st.stake[1], st.cohort[1].exited, st.cohort[1].released),
            (0.0, 90.0, 16)
        );
        assert!(
            st.slot_range(1)
                .all(|j| st.slot_state(j) == SlotState::Empty)
        );
        assert!(st.slot_range(1).all(|j| st.weight[j] == 0.0));
        let run = &classes.runs[0];
        assert_eq!((run.exits, run.stake, run.active), (90.0, 100.0, 1));
        // Started on step 10, released on step 15: 5 days.
        let delays: Vec<(u32, u64)> = behaviour.exit_delays[0].iter().collect();
        assert_eq!(delays, [(5, 1)]);
        assert_eq!(run.tvl[st.leaving_index(0)], 0.0);
        assert_eq!(run.tvl[st.leaving_index(1)], 0.0);
        assert_eq!((run.tvl[0], run.tvl[1]), (100.0, 50.0));
        // The staker who stayed is untouched.
        assert_eq!((st.stake[0], st.cohort[0].status), (100.0, Status::Active));
        // The totals agree with a recount.
        let kept = run.tvl.clone();
        classes.recount();
        assert_eq!(classes.runs[0].tvl, kept);
    }

    #[test]
    fn a_released_deallocation_empties_its_slot_and_keeps_the_stake() {
        let model = two_delays();
        let mut parts = Parts::start(&model);
        let classes = &mut parts.classes;
        let st = &mut classes.stakers;
        let j = st.slot_range(0).start + 1;
        st.start_leaving(j, 1);
        classes.recount();
        let behaviour = &mut parts.behaviour;
        behaviour
            .releases
            .push(4, Release::Deallocation { staker: 0, slot: 1 });
        behaviour.release(3, classes);
        assert_eq!(classes.stakers.slot_state(j), SlotState::Leaving(1));
        behaviour.release(4, classes);
        let st = &classes.stakers;
        assert_eq!(st.slot_state(j), SlotState::Empty);
        assert_eq!((st.stake[0], st.cohort[0].status), (100.0, Status::Active));
        let run = &classes.runs[0];
        assert_eq!(run.tvl[st.leaving_index(1)], 0.0);
        assert_eq!((run.tvl[0], run.tvl[1], run.stake), (200.0, 50.0, 200.0));
    }

    #[test]
    fn releases_come_out_by_due_step_then_staker_with_the_exit_last() {
        let mut q = Releases::default();
        q.push(5, Release::Exit { staker: 1 });
        q.push(3, Release::Deallocation { staker: 2, slot: 0 });
        q.push(5, Release::Deallocation { staker: 1, slot: 1 });
        q.push(9, Release::Exit { staker: 0 });
        assert_eq!(q.pop_due(2), None, "nothing due yet");
        assert_eq!(
            q.pop_due(5),
            Some(Release::Deallocation { staker: 2, slot: 0 })
        );
        assert_eq!(
            q.pop_due(5),
            Some(Release::Deallocation { staker: 1, slot: 1 })
        );
        assert_eq!(q.pop_due(5), Some(Release::Exit { staker: 1 }));
        assert_eq!(q.pop_due(8), None);
        assert_eq!(q.pop_due(9), Some(Release::Exit { staker: 0 }));
    }
}
