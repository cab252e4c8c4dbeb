//! The per-operator sufficient condition (the paper's Claim 1 and
//! Corollary 2, the check EigenLayer's documentation proposes): a network
//! is secure with slack γ if, for every operator o,
//! Σ_{s ∈ N(o)} π_s · w_os / (α_s · T_s) ≤ (loss o can suffer) / (1 + γ),
//! where w_os is o's stake behind s and T_s all the stake behind s.
//!
//! In the paper's model (w_os = σ_o) it reads Σ_s π_s / (α_s T_s) ≤
//! 1 / (1 + γ). Here an attack on a set A costs o at most
//! min(σ_o, Σ_{s∈A} w_os), so the condition asks both
//! τ_o = Σ_s π_s w_os / (α_s T_s) ≤ σ_o / (1 + γ) and, for each s,
//! π_s / (α_s T_s) ≤ 1 / (1 + γ). It is cheap (one pass over the graph)
//! and only sufficient: a network can be secure without meeting it.

use super::network::{Network, members};

/// What the condition certifies.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The largest γ the condition certifies (−∞ when a service with a
    /// profit has no stake behind it; +∞ when nothing can be attacked).
    pub certified_slack: f64,
    /// The operator that limits it, if any.
    pub binding_operator: Option<usize>,
}

impl Condition {
    /// Whether the condition holds with slack `gamma`.
    pub fn holds_with(&self, gamma: f64) -> bool {
        self.certified_slack >= gamma
    }
}

/// Evaluates the condition on `net`.
pub fn check(net: &Network) -> Condition {
    let live: Vec<usize> = members(net.live()).collect();
    let pressure: Vec<f64> = live
        .iter()
        .map(|&s| {
            let service = &net.services[s];
            let behind = net.stake_behind(s);
            if service.profit <= 0.0 {
                0.0
            } else if behind > 0.0 {
                service.profit / (service.threshold * behind)
            } else {
                f64::INFINITY
            }
        })
        .collect();
    if pressure.iter().any(|p| p.is_infinite()) {
        return Condition {
            certified_slack: f64::NEG_INFINITY,
            binding_operator: None,
        };
    }
    let mut worst = Condition {
        certified_slack: f64::INFINITY,
        binding_operator: None,
    };
    for o in 0..net.operator_count() {
        let stake = net.operators[o].stake;
        let (mut tau, mut rho) = (0.0_f64, 0.0_f64);
        for (k, &s) in live.iter().enumerate() {
            let w = net.exposure(o, s);
            if w > 0.0 {
                tau += pressure[k] * w;
                rho = rho.max(pressure[k]);
            }
        }
        let mut factor = f64::INFINITY;
        if tau > 0.0 {
            factor = factor.min(stake / tau);
        }
        if rho > 0.0 {
            factor = factor.min(1.0 / rho);
        }
        let gamma = factor - 1.0;
        if gamma < worst.certified_slack {
            worst = Condition {
                certified_slack: gamma,
                binding_operator: Some(o),
            };
        }
    }
    worst
}
