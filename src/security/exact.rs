//! The exact attack search: every coalition of the operators behind a live
//! service, and every set of services it can attack. Exponential: used when
//! 2^(operators + services) is at most [`EXACT_LIMIT`].

use super::network::{Network, members};
use super::tally::Tally;

/// Largest 2^(operators + services) searched exactly (about a million
/// attacking coalitions: e.g. 12 operators and 8 services).
pub const EXACT_LIMIT: u64 = 1 << 20;

/// The operators with stake behind some live service: the only ones an
/// attack can use.
pub fn relevant_operators(net: &Network) -> Vec<usize> {
    let live: Vec<usize> = members(net.live()).collect();
    (0..net.operator_count())
        .filter(|&o| live.iter().any(|&s| net.exposure(o, s) > 0.0))
        .collect()
}

/// 2^(relevant operators + live services), saturating: the exact search's work.
pub fn exact_work(net: &Network) -> u64 {
    let bits = relevant_operators(net).len() + members(net.live()).count();
    if bits >= 63 { u64::MAX } else { 1 << bits }
}

/// Whether the exact search is within [`EXACT_LIMIT`].
pub fn is_small(net: &Network) -> bool {
    exact_work(net) <= EXACT_LIMIT
}

/// Looks at every attacking coalition of `net`: each subset B of the
/// relevant operators (the empty one included: it attacks services with no
/// stake behind them) and each non-empty set of live services B can attack.
pub fn search(net: &Network) -> Tally {
    let mut tally = Tally::new(net.service_count());
    let ops = relevant_operators(net);
    let needed = net.needed();
    let mut held = vec![0.0; net.service_count()];
    let mut coalition = Vec::with_capacity(ops.len());
    for mask in 0u64..(1u64 << ops.len()) {
        coalition.clear();
        coalition.extend(
            (0..ops.len())
                .filter(|&k| mask & (1 << k) != 0)
                .map(|k| ops[k]),
        );
        for (s, h) in held.iter_mut().enumerate() {
            *h = coalition
                .iter()
                .map(|&o| net.exposure(o, s))
                .fold(0.0, |a, b| a + b);
        }
        let can = net.attackable(&held, &needed);
        // Every non-empty subset of `can`.
        let mut set = can;
        while set != 0 {
            tally.see(net, set, &coalition);
            set = (set - 1) & can;
        }
    }
    tally
}
