//! Losses by source, operators as entities and exit delays, through the
//! library: the parts of every loss add up to its total exactly, each part
//! matches the slashes of its source in the event log, operators' figures
//! follow closed forms, and a fixed unbonding delay is every exit's delay.

use std::path::Path;

use restake_sim::engine::simulate;
use restake_sim::model::Model;
use restake_sim::results::{Collected, PathRange};
use restake_sim::scenario::{self, Override};
use restake_sim::stats::exits::exit_rows;
use restake_sim::stats::tables::summary_rows;

use crate::support::root;

fn model(text: &str) -> Model {
    match scenario::parse(text, Path::new("test.toml"), &[]) {
        Ok((_, model)) => model,
        Err(e) => panic!("scenario rejected:\n{e}\n---\n{text}"),
    }
}

fn run(model: &Model) -> Collected {
    let range = PathRange {
        first: 0,
        count: model.run.paths,
    };
    simulate(model, range, &|| {})
}

fn all_sources() -> Model {
    model(&std::fs::read_to_string(root().join("tests/all/all_sources.toml")).unwrap())
}

/// Index of series (`metric`, `entity`).
fn series(c: &Collected, metric: &str, entity: &str) -> usize {
    c.series
        .iter()
        .position(|s| s.metric.name() == metric && s.entity == entity)
        .unwrap_or_else(|| panic!("no series {metric} of {entity}"))
}

fn sum4(p: [f64; 4]) -> f64 {
    ((p[0] + p[1]) + p[2]) + p[3]
}

#[test]
fn final_losses_are_exactly_the_sum_of_their_sources_and_each_matches_the_event_log() {
    let model = all_sources();
    let c = run(&model);
    assert_eq!(c.events_dropped, 0);
    let mut by_source = [0.0; 4];
    for row in &c.rows {
        for k in &row.classes {
            let parts = [
                k.losses_protocol,
                k.losses_shock,
                k.losses_operator,
                k.losses_attack,
            ];
            assert_eq!(k.losses, sum4(parts), "path {}", row.path);
        }
        for (p, k) in row.protocols.iter().enumerate() {
            let parts = [
                k.losses_protocol_native,
                k.losses_shock_native,
                k.losses_operator_native,
                k.losses_attack_native,
            ];
            assert_eq!(k.losses_native, sum4(parts), "path {}", row.path);
            // Each part is the sum of its source's slashes of the protocol.
            for (kind, part) in ["protocol", "shock", "operator", "attack"]
                .iter()
                .zip(parts)
            {
                let logged: f64 = c
                    .events
                    .iter()
                    .filter(|e| e.path == row.path && e.protocol == p)
                    .filter(|e| e.source.kind_name() == *kind)
                    .map(|e| e.lost_native)
                    .sum();
                assert!(
                    (logged - part).abs() <= 1e-9 * part.max(1.0),
                    "path {} protocol {p} {kind}: log {logged}, part {part}",
                    row.path
                );
            }
        }
        let t = &row.total;
        let parts = [
            t.losses_protocol_usd,
            t.losses_shock_usd,
            t.losses_operator_usd,
            t.losses_attack_usd,
        ];
        assert_eq!(t.losses_usd, sum4(parts), "path {}", row.path);
        // Prices are constant: the USD parts are the logged USD losses.
        for ((kind, part), acc) in ["protocol", "shock", "operator", "attack"]
            .iter()
            .zip(parts)
            .zip(&mut by_source)
        {
            let logged: f64 = c
                .events
                .iter()
                .filter(|e| e.path == row.path && e.source.kind_name() == *kind)
                .map(|e| e.lost_usd)
                .sum();
            assert!(
                (logged - part).abs() <= 1e-9 * part.max(1.0),
                "path {} {kind}: log {logged}, part {part}",
                row.path
            );
            *acc += part;
        }
    }
    assert!(by_source.iter().all(|&x| x > 0.0), "{by_source:?}");
}

#[test]
fn recorded_loss_totals_are_the_sum_of_their_parts_on_every_path_and_day() {
    // The engine's values are exactly equal in f64 (engine::path tests);
    // recorded as f32 each value is rounded on its own, so here they agree
    // within that rounding, and the last day is the final figure.
    let model = all_sources();
    let c = run(&model);
    let n = c.range.count as usize;
    let mut entities: Vec<(String, &str)> = Vec::new();
    for k in &model.classes {
        entities.push((k.name.clone(), ""));
    }
    for p in &model.protocols {
        entities.push((p.name.clone(), ""));
    }
    entities.push(("total".into(), "_usd"));
    for (entity, usd) in &entities {
        let total = series(&c, &format!("losses_cum{usd}"), entity);
        let parts = ["protocol", "shock", "operator", "attack"]
            .map(|s| series(&c, &format!("losses_{s}_cum{usd}"), entity));
        for point in 0..c.recorded_days.len() {
            for path in 0..n {
                let t = f64::from(c.across_paths(point, total)[path]);
                let s: f64 = parts
                    .iter()
                    .map(|&k| f64::from(c.across_paths(point, k)[path]))
                    .sum();
                assert!(
                    (t - s).abs() <= 4.0 * f64::from(f32::EPSILON) * t.abs(),
                    "{entity} day {} path {path}: {t} vs {s}",
                    c.recorded_days[point]
                );
            }
        }
        let last = c.recorded_days.len() - 1;
        for (path, row) in c.rows.iter().enumerate() {
            let recorded = c.across_paths(last, total)[path];
            let k = model.classes.iter().position(|k| &k.name == entity);
            let p = model.protocols.iter().position(|p| &p.name == entity);
            let final_value = match (k, p) {
                (Some(k), _) => row.classes[k].losses,
                (_, Some(p)) => row.protocols[p].losses_native,
                _ => row.total.losses_usd,
            };
            assert_eq!(recorded, final_value as f32, "{entity} path {path}");
        }
    }
}

#[test]
fn operators_figures_follow_their_delegators() {
    let model = all_sources();
    let c = run(&model);
    let p0 = 2000.0;
    let summary = summary_rows(&model, &c.rows);
    for (o, name) in ["op-a", "op-b"].iter().enumerate() {
        // Each operator has one class of delegators, all of it.
        let k = o;
        for row in &c.rows {
            let f = &row.operators[o];
            let class = &row.classes[k];
            assert_eq!(f.delegated_usd_initial, class.initial * p0);
            let rel = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            assert!(rel(f.delegator_losses_usd, class.losses * p0), "{name}");
            assert!(rel(f.delegated_stake_usd, class.stake * p0), "{name}");
            // The commission k keeps a share k of the gross rewards, the
            // delegators the rest: commission = rewards × k / (1 − k).
            let k_share = model.operators[o].commission;
            assert!(
                rel(
                    f.commission_usd,
                    class.rewards * p0 * k_share / (1.0 - k_share)
                ),
                "{name}: {} vs rewards {}",
                f.commission_usd,
                class.rewards
            );
            let named = c
                .events
                .iter()
                .filter(|e| e.path == row.path && e.operator == Some(o))
                .count() as u64;
            assert_eq!(f.slash_events, named, "{name}");
        }
        let fraction: Vec<f64> = summary
            .iter()
            .filter(|r| r.kind == "operator" && r.entity == *name)
            .map(|r| r.mean)
            .collect();
        assert_eq!(fraction.len(), 2, "{name}: two operator rows");
        let expected: f64 = c
            .rows
            .iter()
            .map(|r| r.classes[k].losses / r.classes[k].initial)
            .sum::<f64>()
            / c.rows.len() as f64;
        assert!((fraction[0] - expected).abs() <= 1e-12, "{name}");
    }
    // Per protocol, the delegators' losses add up to their total.
    let last = c.recorded_days.len() - 1;
    for name in ["op-a", "op-b"] {
        let whole = series(&c, "delegator_losses_cum_usd", name);
        let parts: Vec<usize> = ["svc", "base"]
            .iter()
            .map(|p| series(&c, "delegator_losses_cum_usd", &format!("{name}/{p}")))
            .collect();
        for path in 0..c.rows.len() {
            let t = f64::from(c.across_paths(last, whole)[path]);
            let s: f64 = parts
                .iter()
                .map(|&k| f64::from(c.across_paths(last, k)[path]))
                .sum();
            assert!((t - s).abs() <= 4.0 * f64::from(f32::EPSILON) * t, "{name}");
        }
    }
}

#[test]
fn a_scenario_without_operators_has_no_operator_rows_series_or_columns() {
    let text = std::fs::read_to_string(root().join("scenarios/babylon-btc.toml")).unwrap();
    let small = ["run.paths=4", "staker.*.count=20"].map(|o| Override::parse(o).unwrap());
    let model = scenario::parse(&text, Path::new("babylon-btc.toml"), &small)
        .unwrap()
        .1;
    assert!(model.operators.is_empty());
    let c = run(&model);
    let summary = summary_rows(&model, &c.rows);
    assert!(summary.iter().all(|r| r.kind != "operator"));
    assert!(c.series.iter().all(|s| !s.entity.contains('/')));
    assert!(c.rows.iter().all(|r| r.operators.is_empty()));
}

/// Stakers of 100 ETH in a protocol paying nothing with a 7-day unbonding
/// delay: half of them (on average) start to leave on day 5, the rest on
/// day 15 (recorded every day).
const FIXED_DELAY: &str = r#"
[run]
name = "exits"
horizon_days = 40
paths = 12
seed = 3
record_every_days = 1

[[asset]]
name = "ETH"
price_usd = 2000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.0 }
unbonding_days = 7

[[shock]]
name = "some-leave"
day = 5
exit_fraction = 0.5

[[shock]]
name = "all-leave"
day = 15
exit_fraction = 1.0

[[staker]]
class = "c"
count = 30
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
"#;

#[test]
fn with_a_fixed_unbonding_delay_every_exit_takes_exactly_that_delay() {
    let model = model(FIXED_DELAY);
    let c = run(&model);
    // Every staker left and was released before the horizon, after 7 days.
    let delays: Vec<(u32, u64)> = c.exit_delays[0].iter().collect();
    assert_eq!(delays, [(7, 30 * 12)]);
    let rows = exit_rows(&model, &c.exit_delays);
    assert_eq!(rows.len(), 11);
    assert_eq!((rows[0].statistic, rows[0].value), ("count", 360.0));
    assert!(rows[1..].iter().all(|r| r.value == 7.0), "{rows:?}");
    // Stake in the queue: none at first and at the end, all of it while
    // the last exits unbond.
    let exiting = series(&c, "stake_exiting", "c");
    let first = c.across_paths(0, exiting);
    let last = c.across_paths(c.recorded_days.len() - 1, exiting);
    assert!(first.iter().chain(last).all(|&v| v == 0.0));
    let stake = series(&c, "stake", "c");
    let all_out = (0..c.recorded_days.len()).any(|point| {
        let held = c.across_paths(point, stake);
        let queued = c.across_paths(point, exiting);
        held.iter().zip(queued).all(|(&h, &q)| h > 0.0 && q == h)
    });
    assert!(all_out, "a recorded day with all stake held unbonding");
    for row in &c.rows {
        assert_eq!(row.classes[0].exits, 3000.0);
    }
}

#[test]
fn an_operator_name_with_a_slash_or_of_another_entity_is_refused() {
    let text = std::fs::read_to_string(root().join("tests/all/all_sources.toml")).unwrap();
    for (name, expected) in [
        ("op/a", "without \"/\""),
        ("base", "not used by an asset, protocol, staker class"),
        ("total", "other than \"total\""),
    ] {
        let renamed = text.replace("\"op-a\"", &format!("\"{name}\""));
        let renamed = renamed.replace("op-a = 1.0", &format!("\"{name}\" = 1.0"));
        let err = scenario::parse(&renamed, Path::new("t.toml"), &[])
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("operator[0].name") && err.contains(expected),
            "{name}: {err}"
        );
    }
}
