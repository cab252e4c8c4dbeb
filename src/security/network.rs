//! The operator–service graph of Durvasula & Roughgarden ("Robust Restaking
//! Networks", 2024): services with a profit from corruption π and a
//! threshold α, operators (the paper's validators) with the stake delegated
//! to them, and how much of each operator's stake is behind each service.

/// Largest number of services a [`Network`] holds: service sets are bit
/// masks of one `u64`.
pub const MAX_SERVICES: usize = 64;

/// Relative tolerance of the comparisons (thresholds, profit against cost),
/// so that a coalition meeting a threshold exactly, or an attack costing
/// exactly its profit, is not decided by rounding.
pub const TOLERANCE: f64 = 1e-9;

// Sums in this module fold from +0.0: an empty `f64` sum is −0.0, which
// would print as "-0".

/// A set of services, bit `s` for service `s`.
pub type ServiceSet = u64;

/// A service that can be attacked.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Name (the protocol's).
    pub name: String,
    /// π: what corrupting it is worth to an attacker, USD.
    pub profit: f64,
    /// α: the fraction of the stake behind it an attacker needs, in (0, 1].
    pub threshold: f64,
    /// Stake behind it that no operator controls (stakers who do not
    /// delegate), USD: it counts towards the threshold but joins no coalition.
    pub honest: f64,
    /// The fraction of the stake behind it an attack can slash: 1, or the
    /// protocol's slashing cap.
    pub slashable: f64,
    /// Already corrupted: it has nothing left to steal and is out of the graph.
    pub corrupted: bool,
}

/// An operator: a validator of the paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// Name.
    pub name: String,
    /// σ: the stake delegated to it, USD.
    pub stake: f64,
}

/// Services, operators and the stake each operator has behind each service.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Services, at most [`MAX_SERVICES`].
    pub services: Vec<Service>,
    /// Operators.
    pub operators: Vec<Operator>,
    /// `exposure[o * services + s]`: stake of operator `o` behind service
    /// `s`, USD, at most `operators[o].stake`.
    exposure: Vec<f64>,
}

impl Network {
    /// A network; `exposure[o][s]` is operator `o`'s stake behind service
    /// `s`. `None` if there are more than [`MAX_SERVICES`] services or the
    /// exposure rows do not match.
    pub fn new(
        services: Vec<Service>,
        operators: Vec<Operator>,
        exposure: Vec<Vec<f64>>,
    ) -> Option<Network> {
        if services.len() > MAX_SERVICES
            || exposure.len() != operators.len()
            || exposure.iter().any(|row| row.len() != services.len())
        {
            return None;
        }
        Some(Network {
            exposure: exposure.concat(),
            services,
            operators,
        })
    }

    /// A network with no service and no operator.
    pub fn empty() -> Network {
        Network {
            services: Vec::new(),
            operators: Vec::new(),
            exposure: Vec::new(),
        }
    }

    /// The paper's model: every operator's whole stake is behind every
    /// service it is connected to (`edges[o]` lists operator `o`'s
    /// services), and no stake is undelegated.
    pub fn fully_restaked(
        services: Vec<(f64, f64)>,
        stakes: &[f64],
        edges: &[Vec<usize>],
    ) -> Option<Network> {
        let n = services.len();
        let exposure = stakes
            .iter()
            .zip(edges)
            .map(|(&stake, to)| {
                let mut row = vec![0.0; n];
                for &s in to {
                    *row.get_mut(s)? = stake;
                }
                Some(row)
            })
            .collect::<Option<Vec<_>>>()?;
        let services = services
            .into_iter()
            .enumerate()
            .map(|(s, (profit, threshold))| Service {
                name: format!("s{s}"),
                profit,
                threshold,
                honest: 0.0,
                slashable: 1.0,
                corrupted: false,
            })
            .collect();
        let operators = stakes
            .iter()
            .enumerate()
            .map(|(o, &stake)| Operator {
                name: format!("v{o}"),
                stake,
            })
            .collect();
        Network::new(services, operators, exposure)
    }

    /// Whether the network is in the paper's model: every operator's
    /// whole stake behind every service it is behind at all, and every
    /// service able to slash all of it.
    pub fn is_fully_restaked(&self) -> bool {
        let uncapped = self.services.iter().all(|s| s.slashable == 1.0);
        uncapped
            && (0..self.operators.len()).all(|o| {
                let stake = self.operators[o].stake;
                (0..self.services.len()).all(|s| {
                    let w = self.exposure(o, s);
                    w == 0.0 || (w - stake).abs() <= TOLERANCE * stake
                })
            })
    }

    /// Number of services.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// Number of operators.
    pub fn operator_count(&self) -> usize {
        self.operators.len()
    }

    /// Operator `o`'s stake behind service `s`, USD.
    pub fn exposure(&self, o: usize, s: usize) -> f64 {
        self.exposure[o * self.services.len() + s]
    }

    /// The services still in the graph (not corrupted).
    pub fn live(&self) -> ServiceSet {
        self.services
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.corrupted)
            .fold(0, |set, (s, _)| set | 1 << s)
    }

    /// All the stake behind service `s`, delegated or not, USD.
    pub fn stake_behind(&self, s: usize) -> f64 {
        let delegated: f64 = (0..self.operators.len())
            .map(|o| self.exposure(o, s))
            .fold(0.0, |a, b| a + b);
        delegated + self.services[s].honest
    }

    /// α × the stake behind each service: what a coalition must hold
    /// behind it to attack it.
    pub fn needed(&self) -> Vec<f64> {
        (0..self.services.len())
            .map(|s| self.services[s].threshold * self.stake_behind(s) * (1.0 - TOLERANCE))
            .collect()
    }

    /// σ_V: the network's stake, USD — every operator's, and the
    /// undelegated stake behind the services (counted once per service, so
    /// an upper bound when undelegated stake backs several).
    pub fn total_stake(&self) -> f64 {
        let delegated: f64 = self
            .operators
            .iter()
            .map(|o| o.stake)
            .fold(0.0, |a, b| a + b);
        let honest: f64 = self
            .services
            .iter()
            .map(|s| s.honest)
            .fold(0.0, |a, b| a + b);
        delegated + honest
    }

    /// π of a set of services: the sum of the live ones' profits, USD.
    pub fn profit(&self, set: ServiceSet) -> f64 {
        members(set)
            .filter(|&s| !self.services[s].corrupted)
            .map(|s| self.services[s].profit)
            .fold(0.0, |a, b| a + b)
    }

    /// What operator `o` loses when its delegators are slashed as much as
    /// can be in every service of `set`: its stake behind them (times each
    /// service's slashable fraction), at most its stake. With the whole
    /// stake behind every service (the paper's model) that is the whole
    /// stake σ_o.
    pub fn loss_of(&self, o: usize, set: ServiceSet) -> f64 {
        let behind: f64 = members(set)
            .map(|s| self.exposure(o, s) * self.services[s].slashable)
            .fold(0.0, |a, b| a + b);
        behind.min(self.operators[o].stake)
    }

    /// The cost of an attack on `set` by `coalition`: what its operators lose.
    pub fn cost(&self, set: ServiceSet, coalition: &[usize]) -> f64 {
        coalition
            .iter()
            .map(|&o| self.loss_of(o, set))
            .fold(0.0, |a, b| a + b)
    }

    /// The live services `coalition` holds at least α of the stake behind,
    /// given `held[s]`, the coalition's stake behind each service, and
    /// `needed` from [`Network::needed`].
    pub fn attackable(&self, held: &[f64], needed: &[f64]) -> ServiceSet {
        let live = self.live();
        (0..self.services.len())
            .filter(|&s| live & (1 << s) != 0 && held[s] >= needed[s])
            .fold(0, |set, s| set | 1 << s)
    }

    /// Whether an attack costing `cost` for `profit` pays: π > cost, up to
    /// the [`TOLERANCE`].
    pub fn pays(profit: f64, cost: f64) -> bool {
        profit - cost > TOLERANCE * profit.max(cost)
    }

    /// The network after a shock that removes the operators `shocked`
    /// (their stake is lost and they leave every service).
    pub fn without(&self, shocked: &[usize]) -> Network {
        let mut next = self.clone();
        let n = self.services.len();
        for &o in shocked {
            next.operators[o].stake = 0.0;
            next.exposure[o * n..(o + 1) * n].fill(0.0);
        }
        next
    }

    /// The network after `coalition` attacked `set`: the services are
    /// corrupted, each operator loses [`Network::loss_of`] and keeps at
    /// most its remaining stake behind each other service.
    pub fn after_attack(&self, set: ServiceSet, coalition: &[usize]) -> Network {
        let mut next = self.clone();
        let n = self.services.len();
        for &o in coalition {
            let left = (self.operators[o].stake - self.loss_of(o, set)).max(0.0);
            next.operators[o].stake = left;
            for s in 0..n {
                let w = &mut next.exposure[o * n + s];
                *w = if set & (1 << s) != 0 {
                    0.0
                } else {
                    w.min(left)
                };
            }
        }
        for s in members(set) {
            next.services[s].corrupted = true;
        }
        next
    }
}

/// The members of a service set, ascending.
pub fn members(set: ServiceSet) -> impl Iterator<Item = usize> {
    (0..MAX_SERVICES).filter(move |&s| set & (1 << s) != 0)
}
