//! Security of the restaking network: which coalitions of operators can
//! profitably attack which services, with how much slack, and how far a
//! shock can cascade — the model of Durvasula & Roughgarden, "Robust
//! Restaking Networks" (2024). Pure computation on a [`Network`]; the
//! engine builds one from a path's state ([`crate::engine::attacks::network_of`])
//! and `restake-sim security` reports on the network at t = 0.
//!
//! - [`network`]: the graph, costs, thresholds, shocks and attacks on it;
//! - [`exact`]: every coalition, for small networks;
//! - [`heuristic`]: a local search, for the others;
//! - [`cascade`]: the worst cascade after a shock of ψ;
//! - [`condition`]: the per-operator sufficient condition.

pub mod cascade;
pub mod condition;
pub mod exact;
pub mod heuristic;
pub mod network;
pub mod tally;

#[cfg(test)]
mod tests;

pub use cascade::{Cascade, worst_cascade};
pub use condition::{Condition, check};
pub use network::{Network, Operator, Service, ServiceSet};
pub use tally::{Attack, Tally};

/// How an attack search was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Every coalition ([`exact::search`]).
    Exact,
    /// A local search ([`heuristic::search`]).
    Heuristic,
}

impl Method {
    /// Exact when the network is within [`exact::EXACT_LIMIT`].
    pub fn for_network(net: &Network) -> Method {
        if exact::is_small(net) {
            Method::Exact
        } else {
            Method::Heuristic
        }
    }

    /// The name written to the outputs.
    pub fn name(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Heuristic => "heuristic",
        }
    }
}

/// Searches `net`'s attacks by `method`, falling back to the heuristic when
/// the exact search would be too large.
pub fn scan(net: &Network, method: Method) -> Tally {
    match method {
        Method::Exact if exact::is_small(net) => exact::search(net),
        _ => heuristic::search(net),
    }
}

/// The static analysis of a network: its attacks, slack, the sufficient
/// condition, and the worst cascade after each shock.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The network analysed.
    pub network: Network,
    /// How attacks were searched.
    pub method: Method,
    /// The best attacks found.
    pub tally: Tally,
    /// The per-operator sufficient condition.
    pub condition: Condition,
    /// The worst cascade after each shock, in the order asked.
    pub cascades: Vec<Cascade>,
}

impl Analysis {
    /// γ: every attack costs at least (1 + γ) × its profit (∞ when nothing
    /// worth anything can be attacked; negative when an attack pays).
    pub fn slack(&self) -> f64 {
        self.tally.slack()
    }

    /// Whether no attack pays.
    pub fn secure(&self) -> bool {
        self.tally.secure()
    }

    /// The paper's bound on the loss after a shock of ψ, (1 + 1/γ)·ψ, as a
    /// fraction of all stake; `None` unless γ > 0.
    pub fn bound(&self, psi: f64) -> Option<f64> {
        let gamma = self.slack();
        (gamma > 0.0).then(|| (1.0 + 1.0 / gamma) * psi)
    }
}

/// Analyses `net`: attacks (exact when small enough), the condition, and the
/// worst cascade after a shock of each ψ in `shocks`.
pub fn analyse(net: Network, shocks: &[f64]) -> Analysis {
    let method = Method::for_network(&net);
    let tally = scan(&net, method);
    let condition = check(&net);
    let cascades = shocks
        .iter()
        .map(|&psi| worst_cascade(&net, psi, method))
        .collect();
    Analysis {
        network: net,
        method,
        tally,
        condition,
        cascades,
    }
}
