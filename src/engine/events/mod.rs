//! Drawing one step's slashing events: protocols' own events, shocks and
//! operator faults, with veto windows. A step draws one uniform per protocol,
//! per random shock and per operator fault risk from the path's event
//! stream whatever happens; a slash's severity and veto come from its own
//! generator ([`slash_rng`], keyed by step and cause). So runs that differ
//! only in probabilities or severities stay aligned draw by draw.

use rand::RngExt;
use rand_distr::{Beta, Distribution};

use super::rng::{PathRng, Stream, path_rng, slash_rng};
use crate::model::{Model, Severity, Trigger};
use crate::results::Source;

/// One slash to apply: protocol, severity (after the protocol's cap), and
/// the operator whose delegators it hits (`None`: everyone in the protocol).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Protocol index.
    pub protocol: usize,
    /// Fraction of the exposed stake lost.
    pub severity: f64,
    /// Only stake delegated to this operator, if set.
    pub operator: Option<usize>,
    /// Cause.
    pub source: Source,
}

/// Effects of one step's events other than slashes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideEffects {
    /// Price moves: (asset, relative change).
    pub price_moves: Vec<(usize, f64)>,
    /// LRT pool price moves: (LRT, relative change).
    pub lrt_moves: Vec<(usize, f64)>,
    /// Largest exit fraction of the shocks that fired (0: none).
    pub exit_fraction: f64,
}

/// Draws severities; Beta distributions are built once.
#[derive(Debug, Clone)]
enum Sampler {
    Fixed(f64),
    Uniform(f64, f64),
    Beta(Beta<f64>),
}

impl Sampler {
    fn new(s: Severity) -> Sampler {
        match s {
            Severity::Fixed(v) => Sampler::Fixed(v),
            Severity::Uniform { low, high } => Sampler::Uniform(low, high),
            // Parameters were validated (> 0), so construction cannot fail;
            // a degenerate fallback keeps this panic-free regardless.
            Severity::Beta { alpha, beta } => Beta::new(alpha, beta)
                .map(Sampler::Beta)
                .unwrap_or(Sampler::Fixed(alpha / (alpha + beta))),
        }
    }

    fn draw(&self, rng: &mut PathRng) -> f64 {
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            Sampler::Beta(b) => b.sample(rng),
        }
    }
}

/// What a slash's own generator is keyed by: its cause and protocol.
fn cause_key(source: Source, operator: Option<usize>, protocol: usize) -> u64 {
    let (kind, index) = source.code();
    let operator = operator.map_or(0, |o| o as u64 + 1);
    (kind << 60) ^ ((index as u64) << 40) ^ (operator << 20) ^ protocol as u64
}

/// Key of a slash's veto draw, apart from its severity draws.
const VETO: u64 = 1 << 63;

/// The event machinery of one path.
#[derive(Debug, Clone)]
pub struct EventDrawer {
    seed: u64,
    path: u64,
    protocol: Vec<Option<(f64, Sampler)>>,
    shock_override: Vec<Option<Sampler>>,
    operator_fault: Vec<Option<(f64, Option<Sampler>)>>,
    veto: Vec<(u32, f64)>,
    pending: Vec<(u32, Hit)>,
    fresh: Vec<Hit>,
    wide_hit: Vec<bool>,
}

impl EventDrawer {
    /// Prepares samplers for `model`, for path `path` of a run seeded `seed`.
    pub fn new(model: &Model, seed: u64, path: u64) -> EventDrawer {
        EventDrawer {
            seed,
            path,
            protocol: model
                .protocols
                .iter()
                .map(|p| {
                    p.slashing
                        .map(|s| (s.step_probability, Sampler::new(s.severity)))
                })
                .collect(),
            shock_override: model
                .shocks
                .iter()
                .map(|s| s.severity.map(Sampler::new))
                .collect(),
            operator_fault: model
                .operators
                .iter()
                .map(|o| {
                    o.fault
                        .map(|f| (f.step_probability, f.severity.map(Sampler::new)))
                })
                .collect(),
            veto: model
                .protocols
                .iter()
                .map(|p| (p.veto_steps, p.veto_probability))
                .collect(),
            pending: Vec::new(),
            fresh: Vec::new(),
            wide_hit: vec![false; model.protocols.len()],
        }
    }

    fn protocol_severity(&self, p: usize, rng: &mut PathRng) -> f64 {
        self.protocol[p].as_ref().map_or(0.0, |(_, s)| s.draw(rng))
    }

    /// The generator of one slash's draws.
    fn slash_rng(&self, step: u32, key: u64) -> PathRng {
        slash_rng(self.seed, self.path, step, key)
    }

    /// Draws the events of step `step` into `hits` (cleared first), in a
    /// fixed order: protocols, shocks, operator faults; then slashes whose
    /// veto window ends now. A protocol hit by its own event and by a shock
    /// in the same step is slashed once (RM-1's convention).
    pub fn draw(
        &mut self,
        model: &Model,
        step: u32,
        rng: &mut PathRng,
        hits: &mut Vec<Hit>,
        side: &mut SideEffects,
    ) {
        hits.clear();
        side.price_moves.clear();
        side.lrt_moves.clear();
        side.exit_fraction = 0.0;
        self.wide_hit.fill(false);
        let mut fresh = std::mem::take(&mut self.fresh);
        fresh.clear();
        for p in 0..model.protocols.len() {
            let u: f64 = rng.random();
            if let Some((prob, sampler)) = &self.protocol[p]
                && u < *prob
            {
                let key = cause_key(Source::Protocol, None, p);
                let severity = sampler.draw(&mut self.slash_rng(step, key));
                fresh.push(Hit {
                    protocol: p,
                    severity,
                    operator: None,
                    source: Source::Protocol,
                });
                self.wide_hit[p] = true;
            }
        }
        for (si, shock) in model.shocks.iter().enumerate() {
            let fired = match shock.trigger {
                Trigger::Random { step_probability } => rng.random::<f64>() < step_probability,
                Trigger::Scheduled { step: at } => at == step,
            };
            if !fired {
                continue;
            }
            side.price_moves.extend_from_slice(&shock.price_moves);
            side.lrt_moves.extend_from_slice(&shock.lrt_moves);
            side.exit_fraction = side.exit_fraction.max(shock.exit_fraction);
            for &p in &shock.protocols {
                let mut own = self.slash_rng(step, cause_key(Source::Shock(si), None, p));
                let severity = match &self.shock_override[si] {
                    Some(s) => s.draw(&mut own),
                    None => self.protocol_severity(p, &mut own),
                };
                if shock.operators.is_empty() {
                    if !self.wide_hit[p] {
                        self.wide_hit[p] = true;
                        fresh.push(Hit {
                            protocol: p,
                            severity,
                            operator: None,
                            source: Source::Shock(si),
                        });
                    }
                } else {
                    for &o in &shock.operators {
                        if model.operators[o].serves[p] {
                            fresh.push(Hit {
                                protocol: p,
                                severity,
                                operator: Some(o),
                                source: Source::Shock(si),
                            });
                        }
                    }
                }
            }
        }
        for (o, op) in model.operators.iter().enumerate() {
            let Some((prob, sampler)) = &self.operator_fault[o] else {
                continue;
            };
            for p in (0..model.protocols.len()).filter(|&p| op.serves[p]) {
                let u: f64 = rng.random();
                if u < *prob {
                    let key = cause_key(Source::Operator(o), Some(o), p);
                    let mut own = self.slash_rng(step, key);
                    let severity = match sampler {
                        Some(s) => s.draw(&mut own),
                        None => self.protocol_severity(p, &mut own),
                    };
                    fresh.push(Hit {
                        protocol: p,
                        severity,
                        operator: Some(o),
                        source: Source::Operator(o),
                    });
                }
            }
        }
        // Veto windows: delayed slashes wait, and some are vetoed.
        for hit in fresh.drain(..) {
            let (delay, veto_probability) = self.veto[hit.protocol];
            if delay == 0 {
                hits.push(hit);
            } else if self
                .slash_rng(
                    step,
                    VETO ^ cause_key(hit.source, hit.operator, hit.protocol),
                )
                .random::<f64>()
                >= veto_probability
            {
                self.pending.push((step + delay, hit));
            }
        }
        self.fresh = fresh;
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].0 <= step {
                hits.push(self.pending.remove(i).1);
            } else {
                i += 1;
            }
        }
        for hit in hits.iter_mut() {
            hit.severity = model.protocols[hit.protocol].capped_severity(hit.severity);
        }
    }
}

/// One path's events: the drawer, the path's event stream, and what the
/// current step drew.
#[derive(Debug, Clone)]
pub struct PathEvents {
    drawer: EventDrawer,
    rng: PathRng,
    /// The step's slashes, in the order they apply.
    pub hits: Vec<Hit>,
    /// The step's other effects.
    pub side: SideEffects,
}

impl PathEvents {
    /// The events of path `path` of `model`.
    pub fn new(model: &Model, path: u32) -> PathEvents {
        let seed = model.run.seed;
        PathEvents {
            drawer: EventDrawer::new(model, seed, u64::from(path)),
            rng: path_rng(seed, u64::from(path), Stream::Events),
            hits: Vec::new(),
            side: SideEffects::default(),
        }
    }

    /// Draws step `step`'s events.
    pub fn draw(&mut self, model: &Model, step: u32) {
        self.drawer
            .draw(model, step, &mut self.rng, &mut self.hits, &mut self.side);
    }
}

#[cfg(test)]
mod tests;
