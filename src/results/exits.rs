//! How long exits took: per class, an exact count of released exits by
//! the whole number of days from the start of the exit to its release.
//! Counts add up exactly, so the parts of a sharded run merge bit for bit.

use std::collections::BTreeMap;

/// Released exits counted by delay in days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelayCounts {
    counts: BTreeMap<u32, u64>,
}

impl DelayCounts {
    /// Counts `n` more exits that took `days`.
    pub fn add(&mut self, days: u32, n: u64) {
        if n > 0 {
            *self.counts.entry(days).or_insert(0) += n;
        }
    }

    /// Adds another count's exits to this one.
    pub fn merge(&mut self, other: &DelayCounts) {
        for (&days, &n) in &other.counts {
            self.add(days, n);
        }
    }

    /// (days, exits) in ascending days, each with at least one exit.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts.iter().map(|(&d, &n)| (d, n))
    }

    /// Distinct delays counted.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no exit is counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Exits counted.
    pub fn count(&self) -> u64 {
        self.counts.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_and_merge_exactly_and_skip_zeros() {
        let mut a = DelayCounts::default();
        a.add(14, 2);
        a.add(3, 1);
        a.add(9, 0);
        let mut b = DelayCounts::default();
        b.add(14, 5);
        b.add(0, 1);
        a.merge(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), [(0, 1), (3, 1), (14, 7)]);
        assert_eq!((a.len(), a.count()), (3, 9));
        assert!(DelayCounts::default().is_empty());
    }
}
