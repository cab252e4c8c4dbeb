//! The heuristic attack search for networks too large to search exactly: a
//! local search over coalitions, started from every service's greedy cover
//! and from the coalition of every operator.
//!
//! For a coalition B the candidate sets are the whole set S(B) of live
//! services it can attack, each single service of it, and the sets met
//! when dropping from S(B) one service at a time, the one whose removal
//! lowers cost ÷ profit most (in the paper's model, where an attacker
//! loses its whole stake whatever it attacks, S(B) is the best set for B). From a start, moves drop an operator, add
//! one, or swap one in for one out, and a move is taken when it lowers the
//! best cost ÷ profit of an attack on the target service (the best drop
//! or add each round, swaps only when neither improves); the search stops when no move improves, or after
//! [`MAX_ROUNDS`] moves. Finally each paying
//! attack found is grown, one operator at a time, while it still pays: the
//! most damaging attack is the worst next step of a cascade.
//!
//! Every coalition the search looks at goes into the same [`Tally`] as the
//! exact search's, so the heuristic can only miss attacks, never invent
//! one: an attack it reports is real.

use super::exact::relevant_operators;
use super::network::{Network, ServiceSet, members};
use super::tally::Tally;

/// Most improving moves from one start.
pub const MAX_ROUNDS: usize = 200;

/// A coalition under search, with its stake behind each service.
struct Coalition<'n> {
    net: &'n Network,
    needed: &'n [f64],
    /// The network is in the paper's model (no set smaller than all the
    /// attackable services can pay better).
    full: bool,
    member: Vec<bool>,
    held: Vec<f64>,
}

impl<'n> Coalition<'n> {
    fn empty(net: &'n Network, needed: &'n [f64]) -> Coalition<'n> {
        Coalition {
            net,
            needed,
            full: net.is_fully_restaked(),
            member: vec![false; net.operator_count()],
            held: vec![0.0; net.service_count()],
        }
    }

    fn toggle(&mut self, o: usize) {
        let sign = if self.member[o] { -1.0 } else { 1.0 };
        self.member[o] = !self.member[o];
        for (s, h) in self.held.iter_mut().enumerate() {
            *h += sign * self.net.exposure(o, s);
        }
    }

    fn list(&self) -> Vec<usize> {
        (0..self.member.len()).filter(|&o| self.member[o]).collect()
    }

    /// The live services the coalition holds α of (the running sums'
    /// rounding is far inside the thresholds' tolerance).
    fn attackable(&self) -> ServiceSet {
        self.net.attackable(&self.held, self.needed)
    }

    /// Records the coalition's candidate attacks and returns the lowest
    /// cost ÷ profit among those containing `target` (∞ if none).
    fn evaluate(&self, tally: &mut Tally, target: usize) -> f64 {
        let can = self.attackable();
        if can & (1 << target) == 0 {
            return f64::INFINITY;
        }
        let list = self.list();
        let mut best = f64::INFINITY;
        for set in candidate_sets(self.net, can, &list, self.full) {
            tally.see(self.net, set, &list);
            if set & (1 << target) != 0 {
                let profit = self.net.profit(set);
                if profit > 0.0 {
                    best = best.min(self.net.cost(set, &list) / profit);
                }
            }
        }
        best
    }
}

/// The sets of services a coalition able to attack `can` is tried on: all
/// of them, each alone, and — unless the network is `full` (the paper's
/// model, where the cost does not depend on the set) — the chain from all
/// of them dropping, one at a time, the service whose removal lowers
/// cost ÷ profit the most (an operator loses only its stake behind the
/// attacked services, so a smaller set can pay better).
fn candidate_sets(
    net: &Network,
    can: ServiceSet,
    coalition: &[usize],
    full: bool,
) -> Vec<ServiceSet> {
    let mut sets: Vec<ServiceSet> = std::iter::once(can)
        .chain(members(can).map(|s| 1u64 << s))
        .collect();
    if full {
        return sets;
    }
    // Per member: its slashable stake behind the current set.
    let slashable = |o: usize, s: usize| net.exposure(o, s) * net.services[s].slashable;
    let mut behind: Vec<f64> = coalition
        .iter()
        .map(|&o| {
            members(can)
                .map(|s| slashable(o, s))
                .fold(0.0, |a, b| a + b)
        })
        .collect();
    let mut set = can;
    let mut profit = net.profit(set);
    while set.count_ones() > 2 {
        let mut best: Option<(f64, usize)> = None;
        for s in members(set) {
            let rest = profit - net.services[s].profit;
            if rest <= 0.0 {
                continue;
            }
            let cost = coalition
                .iter()
                .zip(&behind)
                .map(|(&o, &w)| (w - slashable(o, s)).min(net.operators[o].stake))
                .fold(0.0, |a, b| a + b);
            let ratio = cost / rest;
            if best.is_none_or(|(r, _)| ratio < r) {
                best = Some((ratio, s));
            }
        }
        let Some((_, s)) = best else {
            break;
        };
        for (k, &o) in coalition.iter().enumerate() {
            behind[k] -= slashable(o, s);
        }
        profit -= net.services[s].profit;
        set &= !(1u64 << s);
        sets.push(set);
    }
    sets
}

/// Searches `net` heuristically; the tally holds the best attacks found.
pub fn search(net: &Network) -> Tally {
    let mut tally = Tally::new(net.service_count());
    let ops = relevant_operators(net);
    let needed = net.needed();
    for target in members(net.live()) {
        for largest_first in [true, false] {
            if let Some(start) = greedy_cover(net, &needed, &ops, target, largest_first) {
                improve(&mut tally, start, &ops, target);
            }
        }
        if let Some(start) = cheapest_cover(net, &needed, &ops, target) {
            improve(&mut tally, start, &ops, target);
        }
        let mut all = Coalition::empty(net, &needed);
        for &o in &ops {
            all.toggle(o);
        }
        improve(&mut tally, all, &ops, target);
    }
    grow_paying(net, &needed, &ops, &mut tally);
    tally
}

/// A coalition holding α of `target`: with `largest_first`, the operators
/// most behind it first; otherwise at each step the cheapest operator that
/// completes the cover if one does, else the one most behind it. `None` if
/// all of them together do not hold α.
fn greedy_cover<'n>(
    net: &'n Network,
    needed: &'n [f64],
    ops: &[usize],
    target: usize,
    largest_first: bool,
) -> Option<Coalition<'n>> {
    let mut left: Vec<usize> = ops
        .iter()
        .copied()
        .filter(|&o| net.exposure(o, target) > 0.0)
        .collect();
    left.sort_by(|&a, &b| net.exposure(b, target).total_cmp(&net.exposure(a, target)));
    let mut c = Coalition::empty(net, needed);
    while c.attackable() & (1 << target) == 0 && !left.is_empty() {
        let missing = needed[target] - c.held[target];
        let completing = left
            .iter()
            .enumerate()
            .filter(|&(_, &o)| net.exposure(o, target) >= missing)
            .min_by(|a, b| {
                net.loss_of(*a.1, 1 << target)
                    .total_cmp(&net.loss_of(*b.1, 1 << target))
            });
        let pick = match completing {
            Some((k, _)) if !largest_first => k,
            _ => 0,
        };
        c.toggle(left.remove(pick));
    }
    (c.attackable() & (1 << target) != 0).then_some(c)
}

/// Buckets of the stake a coalition needs behind a service, in
/// `cheapest_cover`.
pub const COVER_BUCKETS: usize = 8192;

/// The cheapest coalition holding α of `target` alone, by dynamic
/// programming over the operators with the stake behind it counted in
/// [`COVER_BUCKETS`] buckets of what is needed (rounded down, so the
/// coalition found does hold α; one within a bucket of the edge can be
/// missed). `None` if none is found.
fn cheapest_cover<'n>(
    net: &'n Network,
    needed: &'n [f64],
    ops: &[usize],
    target: usize,
) -> Option<Coalition<'n>> {
    let need = needed[target];
    let behind: Vec<usize> = ops
        .iter()
        .copied()
        .filter(|&o| net.exposure(o, target) > 0.0)
        .collect();
    if need <= 0.0 || behind.is_empty() {
        return None;
    }
    let k = COVER_BUCKETS;
    // best[b]: (cost, chosen) of the cheapest set found holding b buckets
    // (k: at least all of the need); chosen as a list of indices into `behind`.
    let mut best: Vec<Option<(f64, Vec<usize>)>> = vec![None; k + 1];
    best[0] = Some((0.0, Vec::new()));
    for (i, &o) in behind.iter().enumerate() {
        let units = ((net.exposure(o, target) / need * k as f64).floor() as usize).min(k);
        let cost = net.loss_of(o, 1 << target);
        for b in (0..=k).rev() {
            let Some((c, chosen)) = best[b].clone() else {
                continue;
            };
            let to = (b + units).min(k);
            if best[to].as_ref().is_none_or(|(t, _)| c + cost < *t) {
                let mut next = chosen;
                next.push(i);
                best[to] = Some((c + cost, next));
            }
        }
    }
    let (_, chosen) = best[k].take()?;
    let mut c = Coalition::empty(net, needed);
    for i in chosen {
        c.toggle(behind[i]);
    }
    (c.attackable() & (1 << target) != 0).then_some(c)
}

/// Steepest-descent local search from `c`, lowering the cost ÷ profit of
/// attacks on `target`: each round takes the best drop or add, or, when
/// none improves, the best swap, until nothing improves.
fn improve(tally: &mut Tally, mut c: Coalition<'_>, ops: &[usize], target: usize) {
    let mut score = c.evaluate(tally, target);
    for _ in 0..MAX_ROUNDS {
        let mut best = Move::none(score);
        for &o in ops {
            best.consider(&mut c, tally, target, o, None);
        }
        if best.toggles.is_none() {
            let (inside, outside): (Vec<usize>, Vec<usize>) =
                ops.iter().partition(|&&o| c.member[o]);
            for &out in &inside {
                for &inn in &outside {
                    best.consider(&mut c, tally, target, out, Some(inn));
                }
            }
        }
        let Some((a, b)) = best.toggles else {
            return;
        };
        c.toggle(a);
        if let Some(b) = b {
            c.toggle(b);
        }
        score = best.score;
    }
}

/// The best move of a round: the operators it toggles and the score after.
struct Move {
    score: f64,
    toggles: Option<(usize, Option<usize>)>,
}

impl Move {
    fn none(score: f64) -> Move {
        Move {
            score,
            toggles: None,
        }
    }

    /// Tries toggling `a` (and `b`), keeps the move if it beats the best.
    fn consider(
        &mut self,
        c: &mut Coalition<'_>,
        tally: &mut Tally,
        target: usize,
        a: usize,
        b: Option<usize>,
    ) {
        let flip = |c: &mut Coalition<'_>| {
            c.toggle(a);
            if let Some(b) = b {
                c.toggle(b);
            }
        };
        flip(c);
        let next = c.evaluate(tally, target);
        if next < self.score {
            self.score = next;
            self.toggles = Some((a, b));
        }
        flip(c);
    }
}

/// Grows each service's best paying attack one operator at a time (the one
/// that adds the most cost) while it still pays.
fn grow_paying(net: &Network, needed: &[f64], ops: &[usize], tally: &mut Tally) {
    let starts: Vec<Vec<usize>> = tally
        .per_service
        .iter()
        .flatten()
        .filter(|a| a.pays())
        .map(|a| a.coalition.clone())
        .collect();
    for start in starts {
        let mut c = Coalition::empty(net, needed);
        for o in start {
            c.toggle(o);
        }
        loop {
            let mut best: Option<(f64, usize)> = None;
            let outside: Vec<usize> = ops.iter().copied().filter(|&o| !c.member[o]).collect();
            for o in outside {
                c.toggle(o);
                let set = c.attackable();
                let list = c.list();
                let (cost, profit) = (net.cost(set, &list), net.profit(set));
                tally.see(net, set, &list);
                if Network::pays(profit, cost) && best.is_none_or(|(b, _)| cost > b) {
                    best = Some((cost, o));
                }
                c.toggle(o);
            }
            match best {
                Some((_, o)) => c.toggle(o),
                None => break,
            }
        }
    }
}
