//! Engine benches with fixed seeds: one staker-day step (the reward pass
//! over 10,000 stakers), one path of RM-1 and of market-2026 with and
//! without cohorts, and a full small run.
//!
//! `cargo bench --bench engine`; see docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use restake_sim::engine::path::simulate_path;
use restake_sim::engine::reward_pass::{Rates, Weights, reward_pass};
use restake_sim::engine::simulate;
use restake_sim::engine::stakers::{Stakers, slot_index_count};
use restake_sim::results::{PathRange, series_of};
use restake_sim::scenario::{self, Override};

fn rm1(overrides: &[&str]) -> restake_sim::model::Model {
    scenario_model("scenarios/rm1.toml", overrides)
}

/// The model of the shipped scenario at `path` with `overrides`.
fn scenario_model(path: &str, overrides: &[&str]) -> restake_sim::model::Model {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|s| Override::parse(s).expect("valid override"))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    scenario::load(&root.join(path), &overrides)
        .expect("shipped scenarios are valid")
        .model
}

/// One step of the reward pass for 10,000 stakers with 4 slots each.
fn staker_day(c: &mut Criterion) {
    let n = 10_000;
    let protocols = 20;
    let mut st = Stakers::new(n, 4, protocols);
    for i in 0..n {
        st.stake[i] = 10.0 + i as f64 % 7.0;
        for j in 0..4 {
            let k = i * 4 + j;
            if j < 1 + i % 4 {
                st.slot[k] = ((i * 7 + j * 5) % protocols) as u16;
                st.weight[k] = 1.0;
            }
        }
    }
    let rate: Vec<f64> = (0..slot_index_count(protocols))
        .map(|p| {
            if p < protocols {
                1e-4 * (1 + p) as f64
            } else {
                0.0
            }
        })
        .collect();
    let mut tvl = vec![0.0; slot_index_count(protocols)];
    let mut g = c.benchmark_group("staker_day");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("reward_pass_10k_stakers", |b| {
        b.iter(|| {
            tvl.fill(0.0);
            let rates = Rates {
                rate: &rate,
                keep_by_operator: &[],
                weights: Weights::PerSlot,
            };
            black_box(reward_pass::<true, false>(
                &mut st,
                0..n,
                rates,
                &mut [],
                &mut tvl,
            ))
        })
    });
    g.finish();
}

/// One full path of RM-1 (10,000 stakers, 20 protocols, 365 days) and of
/// market-2026 (250,000 stakers, 15 protocols), with cohorts (the default)
/// and with every staker on its own.
fn one_path(c: &mut Criterion) {
    for (group, file) in [
        ("rm1", "scenarios/rm1.toml"),
        ("market_2026", "scenarios/market-2026.toml"),
    ] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        for (name, overrides) in [
            ("one_path", &[][..]),
            ("one_path_per_agent", &["run.cohorts=false"][..]),
        ] {
            let model = scenario_model(file, overrides);
            let series = series_of(&model);
            g.throughput(Throughput::Elements(model.agent_steps(1)));
            g.bench_function(name, |b| {
                b.iter(|| black_box(simulate_path(&model, &series, 0)))
            });
        }
        g.finish();
    }
}

/// A full small run: RM-1 with 1,000 stakers over 16 paths, in parallel.
fn small_run(c: &mut Criterion) {
    let model = rm1(&["staker.stakers.count=1000"]);
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    g.throughput(Throughput::Elements(model.agent_steps(16)));
    g.bench_function("rm1_1k_stakers_16_paths", |b| {
        b.iter(|| {
            black_box(simulate(
                &model,
                PathRange {
                    first: 0,
                    count: 16,
                },
                &|| {},
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, staker_day, one_path, small_run);
criterion_main!(benches);
