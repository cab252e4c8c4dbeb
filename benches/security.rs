//! Security benches with fixed inputs: the attack search on the shipped
//! `security-cascade` network (exact) and on a larger random network
//! (heuristic), and one path of that scenario with attacks on and off —
//! their difference is the attack phase's cost.
//!
//! `cargo bench --bench security`; see docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use restake_sim::engine::initial_network;
use restake_sim::engine::path::simulate_path;
use restake_sim::results::series_of;
use restake_sim::scenario::{self, Override};
use restake_sim::security::{Method, Network, exact, heuristic};

fn security_cascade(overrides: &[&str]) -> restake_sim::model::Model {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|s| Override::parse(s).expect("valid override"))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    scenario::load(&root.join("scenarios/security-cascade.toml"), &overrides)
        .expect("security-cascade.toml is valid")
        .model
}

/// `operators` operators, each fully restaked behind about a third of
/// `services` services, stakes and profits drawn from a fixed seed.
fn random_network(operators: usize, services: usize) -> Network {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let stakes: Vec<f64> = (0..operators)
        .map(|_| rng.random_range(1.0..10.0))
        .collect();
    let edges: Vec<Vec<usize>> = (0..operators)
        .map(|_| {
            (0..services)
                .filter(|_| rng.random::<f64>() < 0.35)
                .collect()
        })
        .collect();
    let total: f64 = stakes.iter().sum();
    let profits = (0..services)
        .map(|_| (rng.random_range(0.02..0.08) * total, 0.5))
        .collect();
    Network::fully_restaked(profits, &stakes, &edges).expect("valid network")
}

fn search(c: &mut Criterion) {
    let mut g = c.benchmark_group("security");
    let net = initial_network(&security_cascade(&[]));
    assert_eq!(Method::for_network(&net), Method::Exact);
    g.bench_function("exact_5_operators_4_services", |b| {
        b.iter(|| black_box(exact::search(&net)))
    });
    let large = random_network(40, 12);
    assert_eq!(Method::for_network(&large), Method::Heuristic);
    g.sample_size(10);
    g.bench_function("heuristic_40_operators_12_services", |b| {
        b.iter(|| black_box(heuristic::search(&large)))
    });
    g.finish();
}

fn path(c: &mut Criterion) {
    let mut g = c.benchmark_group("security_path");
    g.sample_size(20);
    for (name, attacks) in [("attacks_on", "true"), ("attacks_off", "false")] {
        let model = security_cascade(&[&format!("run.attacks={attacks}")]);
        let layout = series_of(&model);
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate_path(&model, &layout, 3)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotter needs fonts the machine may not have.
    config = Criterion::default().without_plots();
    targets = search, path
}
criterion_main!(benches);
