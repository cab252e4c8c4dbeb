//! The passes over every entry of a class that sum its stake into TVL per
//! slot index: the daily reward pass, which pays each entry and adds its
//! new stake to the slots it holds, and the recount after slashes. Both
//! read an entry's slots through `slot_indices`; on the project's
//! machine these passes are bound by their memory operations, not their
//! arithmetic.

use std::ops::Range;

use super::stakers::{JUNK_SLOTS, Stakers};

/// How a class's slots are weighted in [`reward_pass`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights {
    /// Every slot (empty ones aside, whose rate is 0 and whose TVL index is
    /// junk) has this weight: it is not read per slot.
    Common(f64),
    /// Each slot's own weight.
    PerSlot,
}

/// The reward step of one class: every staker earns `stake × Σ weight ×
/// rate[slot]` (rates already per step, net of network-limit shares),
/// operators keep their commission (added up per operator in
/// `commission`), and the new stake is added to the TVL accumulator of
/// each slot (the empty slots' part of `tvl` is left at 0). Returns (rewards paid, stake after).
///
/// This is the hot loop: no allocation, no locking, no dynamic dispatch; the
/// class's compounding, delegation and common weight are compile-time
/// parameters.
pub fn reward_pass<const COMPOUND: bool, const OPERATORS: bool>(
    st: &mut Stakers,
    range: Range<usize>,
    rates: Rates<'_>,
    commission: &mut [f64],
    tvl: &mut [f64],
) -> (f64, f64) {
    // Slot counts up to 4 get a fully unrolled inner loop. A common weight
    // of 1 (full restaking) spares two multiplications on each entry's
    // critical path: `1 × x` is `x`, bit for bit.
    macro_rules! go {
        ($k:literal) => {
            match rates.weights {
                Weights::Common(1.0) => {
                    pass::<COMPOUND, OPERATORS, $k, true>(st, range, rates, 1.0, commission, tvl)
                }
                Weights::Common(w) => {
                    pass::<COMPOUND, OPERATORS, $k, true>(st, range, rates, w, commission, tvl)
                }
                Weights::PerSlot => {
                    pass::<COMPOUND, OPERATORS, $k, false>(st, range, rates, 1.0, commission, tvl)
                }
            }
        };
    }
    match st.slots {
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        4 => go!(4),
        _ => go!(0),
    }
}

/// What a class earns at: the rate per slot index, the share of rewards
/// each operator's delegators keep, and the class's weights.
#[derive(Debug, Clone, Copy)]
pub struct Rates<'a> {
    /// Rate per step, per slot index.
    pub rate: &'a [f64],
    /// Per operator: the share of rewards its delegators keep.
    pub keep_by_operator: &'a [f64],
    /// The class's slot weights.
    pub weights: Weights,
}

/// [`reward_pass`] for `K` slots per staker (`K = 0`: any number), with
/// every slot weighted `common` when `COMMON`.
#[inline(always)]
fn pass<const COMPOUND: bool, const OPERATORS: bool, const K: usize, const COMMON: bool>(
    st: &mut Stakers,
    range: Range<usize>,
    rates: Rates<'_>,
    common: f64,
    commission: &mut [f64],
    tvl: &mut [f64],
) -> (f64, f64) {
    let Rates {
        rate,
        keep_by_operator,
        ..
    } = rates;
    let k = if K > 0 { K } else { st.slots };
    let (mut paid, mut total) = (0.0, 0.0);
    let slots = st.slot[range.start * k..range.end * k].chunks_exact(k);
    let weights = st.weight[range.start * k..range.end * k].chunks_exact(k);
    let stake = &mut st.stake[range.clone()];
    let rewards = &mut st.rewards[range.clone()];
    let paid_out = &mut st.paid_out[range.clone()];
    let operator = &st.operator[range];
    for (i, (s, w)) in slots.zip(weights).enumerate() {
        let mut word = [0; 4];
        let s = slot_indices::<K>(s, &mut word);
        let r_rate = if COMMON {
            common * s.iter().map(|&sj| rate[usize::from(sj)]).sum::<f64>()
        } else {
            s.iter()
                .zip(w)
                .map(|(&sj, &wj)| wj * rate[usize::from(sj)])
                .sum::<f64>()
        };
        let c = stake[i];
        let mut r = c * r_rate;
        if OPERATORS {
            let op = operator[i] as usize;
            let gross = r;
            r *= keep_by_operator[op];
            commission[op] += gross - r;
        }
        rewards[i] += r;
        let c_new = if COMPOUND {
            c + r
        } else {
            paid_out[i] += r;
            c
        };
        stake[i] = c_new;
        if COMMON {
            let add = common * c_new;
            for &sj in s {
                tvl[usize::from(sj)] += add;
            }
        } else {
            for (&sj, &wj) in s.iter().zip(w) {
                tvl[usize::from(sj)] += wj * c_new;
            }
        }
        paid += r;
        total += c_new;
    }
    // Empty slots hold nothing, whatever a common weight added to them.
    let junk = tvl.len() - JUNK_SLOTS;
    tvl[junk..].fill(0.0);
    (paid, total)
}

/// One entry's `K` slot indices `s`, read in one load of a word when `K`
/// is 2 or 4 (unpacked into `word`), else `s` itself. The reward pass is
/// bound by its memory operations, not its arithmetic: four loads of a
/// `u16` are three operations more per entry than one of a `u64`.
#[inline(always)]
fn slot_indices<'a, const K: usize>(s: &'a [u16], word: &'a mut [u16; 4]) -> &'a [u16] {
    let bytes: &[u8] = bytemuck::cast_slice(s);
    match K {
        4 => {
            let w = u64::from_ne_bytes(bytes.try_into().expect("four slots"));
            *word = [0, 1, 2, 3].map(|n| (w >> lane_shift(n, 4)) as u16);
            &word[..]
        }
        2 => {
            let w = u32::from_ne_bytes(bytes.try_into().expect("two slots"));
            *word = [0, 1, 0, 0].map(|n| (w >> lane_shift(n, 2)) as u16);
            &word[..2]
        }
        _ => s,
    }
}

/// The shift of the `n`th of `lanes` `u16` in a word read from their bytes
/// in native order: the first is the lowest on a little-endian machine,
/// the highest on a big-endian one.
#[inline(always)]
const fn lane_shift(n: u32, lanes: u32) -> u32 {
    if cfg!(target_endian = "little") {
        16 * n
    } else {
        16 * (lanes - 1 - n)
    }
}

/// Recomputes a class's TVL accumulator and total stake from scratch.
pub fn recount(st: &Stakers, range: Range<usize>, tvl: &mut [f64]) -> f64 {
    match st.slots {
        1 => recount_slots::<1>(st, range, tvl),
        2 => recount_slots::<2>(st, range, tvl),
        3 => recount_slots::<3>(st, range, tvl),
        4 => recount_slots::<4>(st, range, tvl),
        _ => recount_slots::<0>(st, range, tvl),
    }
}

/// [`recount`] for `K` slots per entry (`K = 0`: any number), without a
/// branch per entry: an entry without stake adds `weight × 0 = +0` to each
/// of its slots, which leaves every sum as it was (they are never −0).
#[inline(always)]
fn recount_slots<const K: usize>(st: &Stakers, range: Range<usize>, tvl: &mut [f64]) -> f64 {
    let k = if K > 0 { K } else { st.slots };
    tvl.fill(0.0);
    let mut total = 0.0;
    let slots = st.slot[range.start * k..range.end * k].chunks_exact(k);
    let weights = st.weight[range.start * k..range.end * k].chunks_exact(k);
    for ((&c, s), w) in st.stake[range].iter().zip(slots).zip(weights) {
        total += c;
        let mut word = [0; 4];
        for (&sj, &wj) in slot_indices::<K>(s, &mut word).iter().zip(w) {
            tvl[usize::from(sj)] += wj * c;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stakers::slot_index_count;
    fn per_slot<'a>(rate: &'a [f64], keep: &'a [f64]) -> Rates<'a> {
        Rates {
            rate,
            keep_by_operator: keep,
            weights: Weights::PerSlot,
        }
    }

    #[test]
    fn a_common_weight_earns_and_counts_as_the_same_weight_per_slot() {
        let mut st = Stakers::new(3, 3, 3);
        st.stake = vec![100.0, 50.0, 8.0];
        // protocols 0–2, leaving 3–5, empty from 6
        st.slot = vec![0, 1, 6, 2, 4, 7, 8, 9, 10];
        st.weight = vec![0.5, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0];
        let mut rate = vec![0.0; slot_index_count(3)];
        rate[0..3].copy_from_slice(&[0.01, 0.02, 0.04]);
        let mut by_slot = st.clone();
        let mut tvl = vec![0.0; slot_index_count(3)];
        let mut tvl_by_slot = tvl.clone();
        let common = Rates {
            weights: Weights::Common(0.5),
            ..per_slot(&rate, &[])
        };
        let sums = reward_pass::<true, false>(&mut st, 0..3, common, &mut [], &mut tvl);
        let by_slot_sums = reward_pass::<true, false>(
            &mut by_slot,
            0..3,
            per_slot(&rate, &[]),
            &mut [],
            &mut tvl_by_slot,
        );
        assert_eq!(sums, by_slot_sums);
        assert_eq!(st.stake, by_slot.stake);
        assert_eq!(st.stake, [101.5, 51.0, 8.0]);
        // Empty slots hold nothing either way.
        assert_eq!(tvl, tvl_by_slot);
    }

    /// Four entries of `slots` slots (at least 3) backing protocols 0–2 of
    /// 3 (some slots empty), and rates per slot index.
    fn three_backed(slots: usize) -> (Stakers, Vec<f64>) {
        let mut st = Stakers::new(4, slots, 3);
        st.stake = vec![100.0, 50.0, 8.0, 1e-3];
        for (i, held) in [&[0, 1, 2][..], &[1, 2], &[0], &[2, 0, 1]]
            .iter()
            .enumerate()
        {
            let base = st.slot_range(i).start;
            for (n, &p) in held.iter().enumerate() {
                st.allocate(base + n, p, 1.0);
            }
        }
        let mut rate = vec![0.0; slot_index_count(3)];
        rate[0..3].copy_from_slice(&[0.0103, 0.0207, 0.0401]);
        (st, rate)
    }

    #[test]
    fn a_common_weight_of_one_earns_as_weights_of_one_per_slot_bit_for_bit() {
        // 4 slots are read as one word, 3 one by one.
        for slots in [3, 4] {
            let run = |weights: Weights| {
                let (mut st, rate) = three_backed(slots);
                let mut tvl = vec![0.0; slot_index_count(3)];
                let rates = Rates {
                    weights,
                    ..per_slot(&rate, &[])
                };
                let sums = reward_pass::<true, false>(&mut st, 0..4, rates, &mut [], &mut tvl);
                assert!(tvl[6..].iter().all(|&x| x == 0.0));
                (sums, st.stake, st.rewards, tvl)
            };
            let common = run(Weights::Common(1.0));
            assert_eq!(common, run(Weights::PerSlot));
            // The first entry earned the three rates.
            let earned = 100.0 * (0.0103 + 0.0207 + 0.0401);
            assert_eq!(common.1[0], 100.0 + earned);
        }
    }

    #[test]
    fn slot_indices_read_as_a_word_come_in_order() {
        let mut word = [0; 4];
        let four = [1, 300, 0xABCD, 7];
        assert_eq!(slot_indices::<4>(&four, &mut word), four);
        assert_eq!(slot_indices::<2>(&four[1..3], &mut word), [300, 0xABCD]);
        assert_eq!(slot_indices::<3>(&four[..3], &mut word), [1, 300, 0xABCD]);
    }

    #[test]
    fn reward_pass_compounds_and_accumulates_tvl() {
        let mut st = Stakers::new(2, 2, 2);
        // protocols: 0, 1; leaving 2, 3; empty 4 and above
        st.stake = vec![100.0, 50.0];
        st.slot = vec![0, 1, 1, 4];
        st.weight = vec![1.0, 0.5, 1.0, 0.0];
        let mut rate = vec![0.0; slot_index_count(2)];
        rate[0] = 0.01;
        rate[1] = 0.02;
        let mut tvl = vec![0.0; slot_index_count(2)];
        let (paid, total) =
            reward_pass::<true, false>(&mut st, 0..2, per_slot(&rate, &[]), &mut [], &mut tvl);
        assert!((st.stake[0] - 102.0).abs() < 1e-12);
        assert!((st.stake[1] - 51.0).abs() < 1e-12);
        assert!((paid - 3.0).abs() < 1e-12);
        assert!((total - 153.0).abs() < 1e-12);
        assert!((tvl[0] - 102.0).abs() < 1e-12);
        assert!((tvl[1] - (51.0 + 51.0)).abs() < 1e-12);
        let mut again = vec![0.0; slot_index_count(2)];
        recount(&st, 0..2, &mut again);
        assert_eq!(tvl, again);
    }

    #[test]
    fn a_recount_adds_every_slot_of_every_staked_entry_bit_for_bit() {
        for slots in [2, 3, 5] {
            let len = 6;
            let mut st = Stakers::new(len, slots, 3);
            for i in 0..len {
                // Entries 1 and 4 hold nothing; the others 1 or 2 slots.
                st.stake[i] = if i % 3 == 1 {
                    0.0
                } else {
                    1.5 + i as f64 / 7.0
                };
                let base = st.slot_range(i).start;
                st.allocate(base, i % 3, 0.5 + i as f64 / 10.0);
                if i % 2 == 0 {
                    st.allocate(base + 1, (i + 1) % 3, 1.0);
                }
            }
            st.start_leaving(st.slot_range(2).start, 2);
            // The sums as a loop over the staked entries' slots makes them.
            let mut expected = vec![0.0; slot_index_count(3)];
            let mut expected_total = 0.0;
            for i in 0..len {
                expected_total += st.stake[i];
                if st.stake[i] == 0.0 {
                    continue;
                }
                for j in st.slot_range(i) {
                    expected[st.slot[j] as usize] += st.weight[j] * st.stake[i];
                }
            }
            let mut tvl = vec![7.0; slot_index_count(3)];
            let total = recount(&st, 0..len, &mut tvl);
            assert_eq!(total.to_bits(), expected_total.to_bits());
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&tvl), bits(&expected), "{slots} slots");
        }
    }

    #[test]
    fn without_compounding_rewards_are_paid_out() {
        let mut st = Stakers::new(1, 1, 1);
        st.operator = vec![0];
        st.stake = vec![1.0];
        st.slot = vec![0];
        st.weight = vec![1.0];
        let mut rate = vec![0.0; slot_index_count(1)];
        rate[0] = 0.06;
        let mut tvl = vec![0.0; slot_index_count(1)];
        let mut commission = [0.0];
        reward_pass::<false, true>(
            &mut st,
            0..1,
            per_slot(&rate, &[0.9]),
            &mut commission,
            &mut tvl,
        );
        assert_eq!(st.stake[0], 1.0);
        assert!((st.rewards[0] - 0.054).abs() < 1e-15);
        // The operator kept the rest of the 0.06.
        assert_eq!(commission[0], 0.06 - st.rewards[0]);
        assert_eq!(st.paid_out[0], st.rewards[0]);
    }
}
