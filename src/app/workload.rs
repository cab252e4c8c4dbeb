//! How much work a run is, announced before it starts: its agent-steps
//! (stakers × steps × paths), the memory it will hold, and the time it
//! will take at the rate measured on this machine for this scenario. The
//! rate comes from a probe: one path of the scenario, cut to a few steps,
//! timed. Nothing is refused for being long; `validate` and `run` say it.

use std::time::Instant;

use super::format::thousands;
use super::spill::spill_chunk;
use crate::engine::simulate;
use crate::model::Model;
use crate::results::PathRange;
use crate::scenario::estimated_memory_bytes;

/// Agent-steps the probe aims at: a few milliseconds of simulation.
const PROBE_AGENT_STEPS: u64 = 2_000_000;

/// The estimated cost of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Stakers at t = 0 × steps × paths.
    pub agent_steps: u64,
    /// Agent-steps per second of one thread, measured by the probe.
    pub rate_per_thread: f64,
    /// Worker threads the run would use.
    pub threads: usize,
    /// Estimated wall time of the simulation in seconds.
    pub seconds: f64,
    /// Estimated peak memory in bytes, every path's results held.
    pub memory_bytes: f64,
    /// `run.memory_limit_gib` when the results exceed it, so that `run`
    /// keeps them on disk (see [`spill_chunk`]).
    pub spills: Option<f64>,
}

impl Workload {
    /// Measures `model`'s rate on this machine and scales it to the whole
    /// run on `threads` threads. Two probes of one path, cut to `k` and
    /// `2k` steps (`k` steps make about 2 million agent-steps), separate
    /// the cost of a step from that of setting up a path, which a big
    /// class makes large.
    pub fn measure(model: &Model, threads: usize) -> Workload {
        let stakers = model
            .classes
            .iter()
            .map(|c| u64::from(c.count))
            .sum::<u64>();
        let steps = u64::from(model.run.steps);
        let k = (PROBE_AGENT_STEPS / stakers.max(1)).clamp(1, steps.div_ceil(2).max(1));
        let (short, long) = time_probes(model, k, (2 * k).min(steps));
        let per_step = ((long - short) / k as f64).max(short / (2 * k) as f64 * 0.1);
        let setup = (short - k as f64 * per_step).max(0.0);
        let seconds_per_path = setup + steps as f64 * per_step;
        let threads = threads.max(1);
        let rounds = (f64::from(model.run.paths) / threads as f64).ceil();
        Workload {
            agent_steps: model.agent_steps(model.run.paths),
            rate_per_thread: stakers.max(1) as f64 / per_step,
            threads,
            seconds: rounds * seconds_per_path,
            memory_bytes: estimated_memory_bytes(model, threads),
            spills: spill_chunk(model, threads).map(|_| model.run.memory_limit_gib),
        }
    }

    /// One line for the terminal, such as "work: 9.1e9 agent-steps, about
    /// 5 min on 2 threads (1.5e7 agent-steps/s per thread measured here),
    /// about 1.2 GiB of memory".
    pub fn describe(&self) -> String {
        format!(
            "work: {} agent-steps, {} on {} thread{} ({} agent-steps/s per thread measured here), about {} of {}",
            compact(self.agent_steps as f64),
            duration(self.seconds),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            compact(self.rate_per_thread),
            bytes(self.memory_bytes),
            match self.spills {
                Some(limit) => format!(
                    "results, more than run.memory_limit_gib = {limit}: kept on disk while summarised"
                ),
                None => "memory".to_string(),
            },
        )
    }
}

/// Times each probe is run. The short and the long probe take turns, so
/// that a burst of load on the machine (other processes, or tests running
/// side by side) falls on both alike rather than on one of them, and the
/// shortest time of each is kept: load can only slow a probe, never speed
/// it up. A long probe slowed alone would make a step look dear; a short
/// one slowed alone would make it look cheap, and the whole run short.
const PROBE_REPEATS: usize = 5;

/// Seconds to simulate path 0 of `model` cut to `short` and to `long`
/// steps, each the shortest of [`PROBE_REPEATS`] runs taken in turns.
fn time_probes(model: &Model, short: u64, long: u64) -> (f64, f64) {
    let (short_probe, long_probe) = (cut_to(model, short), cut_to(model, long));
    (0..PROBE_REPEATS).fold((f64::INFINITY, f64::INFINITY), |(s, l), _| {
        (
            s.min(time_one_path(&short_probe)),
            l.min(time_one_path(&long_probe)),
        )
    })
}

/// `model` as one path of `steps` steps.
fn cut_to(model: &Model, steps: u64) -> Model {
    let mut probe = model.clone();
    probe.run.steps = u32::try_from(steps).unwrap_or(model.run.steps);
    probe.run.horizon_days = probe.run.steps * probe.run.step_days;
    probe.run.paths = 1;
    probe
}

/// Seconds one run of the one-path `probe` takes.
fn time_one_path(probe: &Model) -> f64 {
    let started = Instant::now();
    let _ = simulate(probe, PathRange { first: 0, count: 1 }, &|| {});
    started.elapsed().as_secs_f64().max(1e-6)
}

/// A count in few digits: "12,345" below a million, "4.2e9" above.
fn compact(x: f64) -> String {
    if x < 1e6 {
        thousands(x, 0)
    } else {
        format!("{x:.1e}")
    }
}

/// A duration a reader takes in at a glance.
fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 1.0 => "under a second".to_string(),
        s if s < 90.0 => format!("about {s:.0} s"),
        s if s < 90.0 * 60.0 => format!("about {:.0} min", s / 60.0),
        s if s < 48.0 * 3600.0 => format!("about {:.1} hours", s / 3600.0),
        s => format!("about {:.0} days", s / 86_400.0),
    }
}

/// A size in MiB or GiB.
pub(super) fn bytes(b: f64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if b < 1024.0 * MIB {
        format!("{:.0} MiB", (b / MIB).max(1.0))
    } else {
        format!("{:.1} GiB", b / (1024.0 * MIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(duration(0.2), "under a second");
        assert_eq!(duration(42.0), "about 42 s");
        assert_eq!(duration(600.0), "about 10 min");
        assert_eq!(duration(3.0 * 3600.0), "about 3.0 hours");
        assert_eq!(duration(10.0 * 86_400.0), "about 10 days");
    }

    #[test]
    fn counts_and_sizes_stay_short() {
        assert_eq!(compact(12_345.0), "12,345");
        assert_eq!(compact(9.1e9), "9.1e9");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0), "3 MiB");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
    }

    #[test]
    fn the_estimate_scales_with_paths_and_threads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rm1.toml");
        let mut model = crate::scenario::load(&path, &[]).unwrap().model;
        model.run.paths = 8;
        let one = Workload::measure(&model, 1);
        assert_eq!(one.agent_steps, model.agent_steps(model.run.paths));
        assert!(one.seconds > 0.0 && one.rate_per_thread > 0.0);
        let mut more = model.clone();
        more.run.paths *= 4;
        let more = Workload::measure(&more, 1);
        assert_eq!(more.agent_steps, 4 * one.agent_steps);
        assert!(more.describe().starts_with("work: "), "{}", more.describe());
    }
}
