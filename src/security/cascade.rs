//! Cascades: a shock removes operators holding at most ψ of all stake,
//! and then valid attacks follow one another on what is left, each
//! slashing its coalition and corrupting its services, until none pays.
//! The worst case over shocks is the paper's R_ψ: the shock plus every
//! attack's loss, as a fraction of all stake. A network with slack γ > 0
//! never loses (1 + 1/γ)·ψ or more (Theorem 1).
//!
//! After a shock the search launches, at each step, the paying attack that
//! slashes the most stake. In the paper's model (every operator's whole
//! stake behind every service it secures, so an attacker loses its whole
//! stake) that first attack is already the worst whole cascade, because a
//! cascade's union is itself one valid attack (Corollary 1): with the exact
//! attack search and every shock set tried, the result is the worst case.
//! Outside that model an operator loses only its stake behind the services
//! it attacks, a cascade's union is no longer one attack, and the search
//! is greedy: a cascade that can happen, perhaps not the worst.

use super::Method;
use super::network::Network;
use super::tally::Attack;

/// Most shocked operator sets tried exactly; beyond it, or beyond
/// [`CASCADE_LIMIT`] work, shocks are chosen heuristically.
pub const MAX_SHOCK_SETS: usize = 1 << 14;

/// Largest (shock sets × exact search work) searched exactly.
pub const CASCADE_LIMIT: u64 = 1 << 24;

/// The worst cascade found after a shock of ψ.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    /// ψ: the largest fraction of all stake the shock may remove.
    pub psi: f64,
    /// The operators the shock removes, ascending.
    pub shocked: Vec<usize>,
    /// Their stake, USD.
    pub shocked_stake: f64,
    /// The attacks that follow, in order.
    pub attacks: Vec<Attack>,
    /// Shocked stake plus every attack's cost, USD.
    pub lost: f64,
    /// `lost` ÷ all stake: R_ψ.
    pub lost_fraction: f64,
    /// How the shocks and attacks were searched.
    pub method: Method,
    /// Whether this is the worst case: every shock set and coalition
    /// searched, in the paper's model.
    pub proved_worst: bool,
}

/// The worst cascade after a shock of at most `psi` of `net`'s stake, by
/// `method` (exact only if the shocks and searches are small enough;
/// otherwise heuristic, which finds a cascade that can happen but may miss
/// a worse one).
pub fn worst_cascade(net: &Network, psi: f64, method: Method) -> Cascade {
    let total = net.total_stake();
    let budget = psi * total;
    let exact_sets = match method {
        Method::Exact => exact_shock_sets(net, budget),
        Method::Heuristic => None,
    };
    let (sets, method) = match exact_sets {
        Some(sets) => (sets, Method::Exact),
        None => (heuristic_shock_sets(net, budget), Method::Heuristic),
    };
    let mut worst: Option<Cascade> = None;
    for shocked in sets {
        let c = cascade_after(net, shocked, psi, total, method);
        if worst.as_ref().is_none_or(|w| c.lost > w.lost) {
            worst = Some(c);
        }
    }
    let mut worst = worst.unwrap_or_else(|| cascade_after(net, Vec::new(), psi, total, method));
    worst.proved_worst = method == Method::Exact && net.is_fully_restaked();
    worst
}

/// The cascade after removing `shocked`: the most damaging paying attack,
/// again and again.
pub fn cascade_after(
    net: &Network,
    shocked: Vec<usize>,
    psi: f64,
    total: f64,
    method: Method,
) -> Cascade {
    let shocked_stake: f64 = shocked
        .iter()
        .map(|&o| net.operators[o].stake)
        .fold(0.0, |a, b| a + b);
    let mut now = net.without(&shocked);
    let mut attacks = Vec::new();
    while let Some(attack) = super::scan(&now, method).most_damaging {
        now = now.after_attack(attack.services, &attack.coalition);
        attacks.push(attack);
    }
    let lost = shocked_stake + attacks.iter().map(|a| a.cost).fold(0.0, |a, b| a + b);
    Cascade {
        psi,
        shocked,
        shocked_stake,
        attacks,
        lost,
        lost_fraction: if total > 0.0 { lost / total } else { 0.0 },
        method,
        proved_worst: false,
    }
}

/// Every set of operators with stake whose stake sums to at most `budget`
/// (the empty set first), if the exact search of all of them is small
/// enough.
fn exact_shock_sets(net: &Network, budget: f64) -> Option<Vec<Vec<usize>>> {
    if !super::exact::is_small(net) {
        return None;
    }
    let ops: Vec<usize> = (0..net.operator_count())
        .filter(|&o| net.operators[o].stake > 0.0)
        .collect();
    let mut sets = Vec::new();
    let mut current = Vec::new();
    if !collect_sets(net, &ops, 0, budget, &mut current, &mut sets) {
        return None;
    }
    let work = super::exact::exact_work(net).saturating_mul(sets.len() as u64);
    (work <= CASCADE_LIMIT).then_some(sets)
}

/// Depth-first: the subsets of `ops[from..]` that fit in `budget`, added to
/// `current`. False once more than [`MAX_SHOCK_SETS`].
fn collect_sets(
    net: &Network,
    ops: &[usize],
    from: usize,
    budget: f64,
    current: &mut Vec<usize>,
    sets: &mut Vec<Vec<usize>>,
) -> bool {
    sets.push(current.clone());
    if sets.len() > MAX_SHOCK_SETS {
        return false;
    }
    for k in from..ops.len() {
        let stake = net.operators[ops[k]].stake;
        if stake <= budget * (1.0 + super::network::TOLERANCE) {
            current.push(ops[k]);
            let ok = collect_sets(net, ops, k + 1, budget - stake, current, sets);
            current.pop();
            if !ok {
                return false;
            }
        }
    }
    true
}

/// Candidate shocks for large networks: none; the largest operators that
/// fit; the smallest; each operator alone; and, for each service, the
/// operators behind it other than its largest, smallest first (clearing the
/// way for the largest to attack alone).
fn heuristic_shock_sets(net: &Network, budget: f64) -> Vec<Vec<usize>> {
    let fits = |o: usize| net.operators[o].stake > 0.0;
    let mut by_stake: Vec<usize> = (0..net.operator_count()).filter(|&o| fits(o)).collect();
    by_stake.sort_by(|&a, &b| net.operators[b].stake.total_cmp(&net.operators[a].stake));
    let fill = |order: &mut dyn Iterator<Item = usize>| {
        let mut left = budget * (1.0 + super::network::TOLERANCE);
        let mut set = Vec::new();
        for o in order {
            let stake = net.operators[o].stake;
            if stake <= left {
                left -= stake;
                set.push(o);
            }
        }
        set.sort_unstable();
        set
    };
    let mut sets = vec![
        Vec::new(),
        fill(&mut by_stake.iter().copied()),
        fill(&mut by_stake.iter().rev().copied()),
    ];
    sets.extend(by_stake.iter().map(|&o| fill(&mut std::iter::once(o))));
    for s in super::network::members(net.live()) {
        let mut behind: Vec<usize> = by_stake
            .iter()
            .copied()
            .filter(|&o| net.exposure(o, s) > 0.0)
            .collect();
        behind.sort_by(|&a, &b| net.exposure(a, s).total_cmp(&net.exposure(b, s)));
        behind.pop();
        sets.push(fill(&mut behind.into_iter()));
    }
    sets.sort();
    sets.dedup();
    sets
}
