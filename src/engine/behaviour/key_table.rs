//! Where cohorts are found by their key when they may join: a map from a
//! key's 64-bit hash to an entry index, one 8-byte word per slot, open
//! addressing with linear probing. A lookup reads one cache line nearly
//! always; a general hash map reads a control group and a bucket, with
//! twice as many bytes per slot.
//!
//! A word holds the entry in its low bits (as many as the class's entries
//! need) and the hash's top bits above them (its tag); a key's home slot
//! is read from the top of its tag, so the table can grow without the
//! hash. Keys are told apart by their tags: two keys whose hashes agree in
//! the top 46 bits or more (for up to 262,144 entries in all) are
//! vanishingly rare, and harmless: the table only proposes an entry, which
//! its user confirms against the entry's key (see [`super::merges`]).

/// Slots of a table when it first stores a key.
const INITIAL_SLOTS: usize = 1024;

/// A map from key hashes to entry indices; see the module doc.
#[derive(Debug, Clone)]
pub struct KeyTable {
    /// Per slot: 0 when empty, else the tag above the entry.
    slots: Vec<u64>,
    /// Slots in use.
    len: usize,
    /// Low bits of a word that hold the entry.
    entry_bits: u32,
}

impl KeyTable {
    /// An empty table for entries below `entries` (at most 2³²).
    pub fn new(entries: usize) -> KeyTable {
        KeyTable {
            slots: Vec::new(),
            len: 0,
            entry_bits: entry_bits(entries),
        }
    }

    /// Forgets every key; the table keeps its room.
    pub fn clear(&mut self) {
        self.slots.fill(0);
        self.len = 0;
    }

    /// Keys stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry stored under `hash`, if any.
    #[inline]
    pub fn get(&self, hash: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = self.tag_of(hash);
        let mask = self.slots.len() - 1;
        let mut at = self.home(tag);
        loop {
            let word = self.slots[at];
            if word == 0 {
                return None;
            }
            if word >> self.entry_bits == tag {
                return Some((word & self.entry_mask()) as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// Asks the cache for the slot a lookup of `hash` reads first: a
    /// hint, with no effect on any value.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if !self.slots.is_empty() {
            prefetch_index::prefetch_index(&self.slots, self.home(self.tag_of(hash)));
        }
    }

    /// Stores `entry` (below the table's entries) under `hash`, in place
    /// of the entry stored under it before, if any.
    pub fn insert(&mut self, hash: u64, entry: usize) {
        debug_assert!((entry as u64) <= self.entry_mask());
        if 4 * (self.len + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let tag = self.tag_of(hash);
        self.place(tag << self.entry_bits | entry as u64);
    }

    /// Puts `word` in the slot of its tag, or in the first empty one after
    /// its home.
    fn place(&mut self, word: u64) {
        let tag = word >> self.entry_bits;
        let mask = self.slots.len() - 1;
        let mut at = self.home(tag);
        loop {
            let old = self.slots[at];
            if old == 0 {
                self.len += 1;
                self.slots[at] = word;
                return;
            }
            if old >> self.entry_bits == tag {
                self.slots[at] = word;
                return;
            }
            at = (at + 1) & mask;
        }
    }

    /// Twice the slots (at least [`INITIAL_SLOTS`]), every word placed
    /// again in slot order.
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![0; (2 * old.len()).max(INITIAL_SLOTS)];
        self.len = 0;
        for word in old.into_iter().filter(|&w| w != 0) {
            self.place(word);
        }
    }

    /// The tag of `hash`: its bits above the entry's, never 0 (0 marks an
    /// empty slot).
    #[inline]
    fn tag_of(&self, hash: u64) -> u64 {
        (hash >> self.entry_bits).max(1)
    }

    /// The home slot of `tag`: the top bits of the hash it was cut from
    /// (the table has at least [`INITIAL_SLOTS`] slots when one is read).
    #[inline]
    fn home(&self, tag: u64) -> usize {
        let slot_bits = self.slots.len().trailing_zeros();
        (tag << self.entry_bits >> (64 - slot_bits)) as usize
    }

    /// The low bits of a word that hold the entry.
    #[inline]
    fn entry_mask(&self) -> u64 {
        (1u64 << self.entry_bits) - 1
    }
}

/// Bits an entry index below `entries` needs (at least 1, at most 32).
fn entry_bits(entries: usize) -> u32 {
    (usize::BITS - entries.saturating_sub(1).leading_zeros()).clamp(1, 32)
}

#[cfg(test)]
mod tests {
    use super::{INITIAL_SLOTS, KeyTable};
    use crate::engine::behaviour::entry::hash_words;

    /// Distinct, well-mixed 64-bit hashes, as the merges' keys are made.
    fn hashes(n: u64) -> Vec<u64> {
        (0..n).map(|i| hash_words(&[i])).collect()
    }

    #[test]
    fn finds_what_was_stored_and_nothing_else_through_growth() {
        let keys = hashes(10_000);
        let mut table = KeyTable::new(10_000);
        assert_eq!(table.get(keys[0]), None, "an empty table holds nothing");
        let (stored, absent) = keys.split_at(6_000);
        for (entry, &hash) in stored.iter().enumerate() {
            table.insert(hash, entry);
        }
        assert_eq!(table.len(), stored.len());
        assert!(table.slots.len() > INITIAL_SLOTS, "it grew");
        for (entry, &hash) in stored.iter().enumerate() {
            assert_eq!(table.get(hash), Some(entry));
        }
        for &hash in absent {
            assert_eq!(table.get(hash), None);
        }
    }

    #[test]
    fn a_key_stored_again_holds_its_latest_entry() {
        let keys = hashes(3);
        let mut table = KeyTable::new(100);
        table.insert(keys[0], 7);
        table.insert(keys[1], 8);
        table.insert(keys[0], 9);
        assert_eq!(table.len(), 2);
        assert_eq!(table.get(keys[0]), Some(9));
        assert_eq!(table.get(keys[1]), Some(8));
        assert_eq!(table.get(keys[2]), None);
    }

    #[test]
    fn keys_sharing_a_home_are_found_past_each_other_and_zero_is_a_key() {
        // The same top bits (one home), different below: one probe run.
        let base = 0xABCD_0000_0000_0000u64;
        let keys = [base | 1 << 20, base | 2 << 20, base | 3 << 20, 0];
        let mut table = KeyTable::new(1 << 10);
        for (entry, &hash) in keys.iter().enumerate() {
            table.insert(hash, entry);
        }
        for (entry, &hash) in keys.iter().enumerate() {
            assert_eq!(table.get(hash), Some(entry));
        }
        // Two hashes differing only in the entry's 10 bits are one tag:
        // the table proposes the latest entry for both.
        table.insert(1, 9);
        assert_eq!((table.get(0), table.get(1)), (Some(9), Some(9)));
        assert_eq!(table.len(), keys.len());
    }

    #[test]
    fn a_cleared_table_keeps_its_room_and_holds_nothing() {
        let keys = hashes(2_000);
        let mut table = KeyTable::new(2_000);
        for (entry, &hash) in keys.iter().enumerate() {
            table.insert(hash, entry);
        }
        let room = table.slots.len();
        table.clear();
        assert!(table.is_empty());
        assert_eq!(table.slots.len(), room);
        assert!(keys.iter().all(|&hash| table.get(hash).is_none()));
        table.insert(keys[5], 1_999);
        assert_eq!(table.get(keys[5]), Some(1_999));
    }
}
