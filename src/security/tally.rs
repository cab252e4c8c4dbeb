//! Attacks and the record of the best ones a search has seen.

use super::network::{Network, ServiceSet, members};

/// An attacking coalition: operators holding at least α of the stake
/// behind each service of a set.
#[derive(Debug, Clone, PartialEq)]
pub struct Attack {
    /// The attacked services.
    pub services: ServiceSet,
    /// The coalition's operators, ascending.
    pub coalition: Vec<usize>,
    /// What the coalition loses, USD.
    pub cost: f64,
    /// π of the services, USD.
    pub profit: f64,
}

impl Attack {
    /// Cost ÷ profit: below 1 the attack pays (∞ without profit).
    pub fn ratio(&self) -> f64 {
        if self.profit > 0.0 {
            self.cost / self.profit
        } else {
            f64::INFINITY
        }
    }

    /// Whether the attack pays: π > cost.
    pub fn pays(&self) -> bool {
        Network::pays(self.profit, self.cost)
    }

    /// Profit − cost, USD.
    pub fn net(&self) -> f64 {
        self.profit - self.cost
    }

    /// The attacked services' indices, ascending.
    pub fn service_list(&self) -> Vec<usize> {
        members(self.services).collect()
    }
}

/// The best attacking coalitions a search has seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Per service: the coalition with the lowest cost ÷ profit among those
    /// attacking a set that contains it.
    pub per_service: Vec<Option<Attack>>,
    /// The lowest cost ÷ profit overall: the network's slack is its ratio − 1.
    pub cheapest: Option<Attack>,
    /// Among attacks that pay, the one with the most profit − cost: the one
    /// a rational attacker launches.
    pub most_profitable: Option<Attack>,
    /// Among attacks that pay, the one that slashes the most stake (ties:
    /// the most profit − cost): the worst next step of a cascade.
    pub most_damaging: Option<Attack>,
    /// Attacking coalitions looked at.
    pub examined: u64,
}

impl Tally {
    /// An empty tally for `services` services.
    pub fn new(services: usize) -> Tally {
        Tally {
            per_service: vec![None; services],
            ..Tally::default()
        }
    }

    /// Records the attack of `coalition` on `set` (which it can attack).
    pub fn see(&mut self, net: &Network, set: ServiceSet, coalition: &[usize]) {
        if set == 0 {
            return;
        }
        self.examined += 1;
        let profit = net.profit(set);
        let cost = net.cost(set, coalition);
        let ratio = if profit > 0.0 {
            cost / profit
        } else {
            f64::INFINITY
        };
        let pays = Network::pays(profit, cost);
        let net_gain = profit - cost;
        let lower = |best: &Option<Attack>| best.as_ref().is_none_or(|b| ratio < b.ratio());
        let for_service = profit > 0.0 && members(set).any(|s| lower(&self.per_service[s]));
        let cheapest = profit > 0.0 && lower(&self.cheapest);
        let profitable = pays
            && self
                .most_profitable
                .as_ref()
                .is_none_or(|b| net_gain > b.net());
        let damaging = pays
            && self
                .most_damaging
                .as_ref()
                .is_none_or(|b| cost > b.cost || (cost == b.cost && net_gain > b.net()));
        if !(for_service || cheapest || profitable || damaging) {
            return;
        }
        // Built only when it is kept somewhere.
        let attack = Attack {
            services: set,
            coalition: coalition.to_vec(),
            cost,
            profit,
        };
        if for_service {
            for s in members(set) {
                if lower(&self.per_service[s]) {
                    self.per_service[s] = Some(attack.clone());
                }
            }
        }
        if cheapest {
            self.cheapest = Some(attack.clone());
        }
        if profitable {
            self.most_profitable = Some(attack.clone());
        }
        if damaging {
            self.most_damaging = Some(attack);
        }
    }

    /// The network's slack γ: every attack costs at least (1 + γ) × its
    /// profit. `f64::INFINITY` when no coalition can attack anything
    /// worth something; negative when an attack pays.
    pub fn slack(&self) -> f64 {
        self.cheapest
            .as_ref()
            .map_or(f64::INFINITY, |a| a.ratio() - 1.0)
    }

    /// Whether no attack pays.
    pub fn secure(&self) -> bool {
        self.most_profitable.is_none()
    }
}
