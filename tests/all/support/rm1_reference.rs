//! An independent, deliberately naive implementation of RM-1 (the reference
//! model in the shared notes), step by step as written there, sharing no
//! code with the engine. Tests compare the engine's statistics with it
//! within Monte Carlo error.

#![allow(dead_code)]

use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, LogNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// RM-1's size parameters.
pub struct Rm1Params {
    /// Stakers N.
    pub stakers: usize,
    /// Protocols P.
    pub protocols: usize,
    /// Days T.
    pub days: usize,
    /// Paths M.
    pub paths: usize,
    /// Seed.
    pub seed: u64,
}

/// What one path of RM-1 produces.
pub struct Rm1PathResult {
    /// Final TVL per protocol, ETH.
    pub final_tvl: Vec<f64>,
    /// Total final stake.
    pub total_stake: f64,
    /// Total rewards.
    pub total_rewards: f64,
    /// Total losses.
    pub total_losses: f64,
    /// Median over stakers of (rewards − losses) / initial stake.
    pub median_net_return: f64,
    /// Days on which each protocol was slashed.
    pub slash_events: Vec<u64>,
}

/// Runs RM-1 path by path, sequentially.
pub fn run_rm1(params: &Rm1Params) -> Vec<Rm1PathResult> {
    (0..params.paths)
        .map(|m| {
            let seed = params.seed ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            run_path(params, &mut Xoshiro256PlusPlus::seed_from_u64(seed))
        })
        .collect()
}

fn run_path(params: &Rm1Params, rng: &mut Xoshiro256PlusPlus) -> Rm1PathResult {
    let (n, np) = (params.stakers, params.protocols);
    let stake_dist = LogNormal::new(10f64.ln(), 1.5).unwrap();
    let severity = Beta::new(2.0, 18.0).unwrap();
    let budget: Vec<f64> = (0..np).map(|p| 500.0 * (1 + p) as f64).collect();
    let q: Vec<f64> = (0..np).map(|p| 0.0005 * (1 + p % 5) as f64).collect();

    let mut stake: Vec<f64> = (0..n).map(|_| stake_dist.sample(rng)).collect();
    let initial = stake.clone();
    let mut holdings: Vec<Vec<usize>> = (0..n)
        .map(|_| {
            let k = rng.random_range(1..=4usize);
            let mut all: Vec<usize> = (0..np).collect();
            let mut held = Vec::new();
            for _ in 0..k {
                let i = rng.random_range(0..all.len());
                held.push(all.remove(i));
            }
            held
        })
        .collect();
    let mut rewards = vec![0.0; n];
    let mut losses = vec![0.0; n];
    let mut events = vec![0u64; np];

    for t in 0..params.days {
        let mut tvl = vec![0.0; np];
        for i in 0..n {
            for &p in &holdings[i] {
                tvl[p] += stake[i];
            }
        }
        let apr: Vec<f64> = (0..np)
            .map(|p| {
                if tvl[p] > 0.0 {
                    (budget[p] / tvl[p]).min(0.25)
                } else {
                    0.0
                }
            })
            .collect();
        for i in 0..n {
            let r = stake[i] * holdings[i].iter().map(|&p| apr[p]).sum::<f64>() / 365.0;
            stake[i] += r;
            rewards[i] += r;
        }
        let own: Vec<bool> = (0..np).map(|p| rng.random::<f64>() < q[p]).collect();
        let common = rng.random::<f64>() < 0.0002;
        for p in 0..np {
            if !(own[p] || common) {
                continue;
            }
            events[p] += 1;
            let s = severity.sample(rng);
            for i in 0..n {
                if holdings[i].contains(&p) {
                    let loss = (s * stake[i]).min(stake[i]);
                    stake[i] -= loss;
                    losses[i] += loss;
                }
            }
        }
        if t % 7 == 6 {
            for held in holdings.iter_mut() {
                if rng.random::<f64>() >= 0.1 {
                    continue;
                }
                let worst = *held
                    .iter()
                    .min_by(|&&a, &&b| apr[a].total_cmp(&apr[b]).then(a.cmp(&b)))
                    .unwrap();
                let best = (0..np)
                    .filter(|p| !held.contains(p))
                    .max_by(|&a, &b| apr[a].total_cmp(&apr[b]).then(b.cmp(&a)));
                if let Some(best) = best {
                    let pos = held.iter().position(|&p| p == worst).unwrap();
                    held[pos] = best;
                }
            }
        }
    }
    let mut final_tvl = vec![0.0; np];
    for i in 0..n {
        for &p in &holdings[i] {
            final_tvl[p] += stake[i];
        }
    }
    let mut net: Vec<f64> = (0..n)
        .map(|i| (rewards[i] - losses[i]) / initial[i])
        .collect();
    net.sort_by(f64::total_cmp);
    let median_net_return = if n % 2 == 1 {
        net[n / 2]
    } else {
        0.5 * (net[n / 2 - 1] + net[n / 2])
    };
    Rm1PathResult {
        final_tvl,
        total_stake: stake.iter().sum(),
        total_rewards: rewards.iter().sum(),
        total_losses: losses.iter().sum(),
        median_net_return,
        slash_events: events,
    }
}
