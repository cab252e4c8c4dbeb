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
    /// Starts the exit of staker `i` of class `c` at `step`: its active
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
        let mut delay = 0;
        for j in st.slot_range(i) {
            if let SlotState::Active(p) = st.slot_state(j) {
                let w = st.weight[j];
                run.tvl[st.active_index(p)] -= w * stake;
                run.tvl[st.leaving_index(p)] += w * stake;
                st.start_leaving(j, p);
                protocols.backers[p] -= 1;
                delay = delay.max(model.protocols[p].exit_delay_steps);
            }
        }
        st.status[i] = Status::Exiting;
        run.active -= 1;
        self.releases
            .push(step + delay, Release::Exit { staker: i });
    }

    /// Releases the exits and deallocations due at `step`: an exit's stake
    /// leaves its class, a deallocation's slot empties.
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
                    st.exited[i] += stake;
                    st.stake[i] = 0.0;
                    st.status[i] = Status::Exited;
                    st.left[i] = step + 1;
                    run.exits += stake;
                    run.stake -= stake;
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
