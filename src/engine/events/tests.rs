//! Unit tests of the event drawer and the path's event stream.
use super::*;
use crate::engine::test_support::model;

const SEED: u64 = 7;

/// The events of steps `0..steps` of path 0, one hit list and side
/// effects per step.
fn draw_steps(model: &Model, steps: u32) -> Vec<(Vec<Hit>, SideEffects)> {
    let mut drawer = EventDrawer::new(model, SEED, 0);
    let mut rng = path_rng(SEED, 0, Stream::Events);
    (0..steps)
        .map(|step| {
            let (mut hits, mut side) = (Vec::new(), SideEffects::default());
            drawer.draw(model, step, &mut rng, &mut hits, &mut side);
            (hits, side)
        })
        .collect()
}

fn hit(protocol: usize, severity: f64, operator: Option<usize>, source: Source) -> Hit {
    Hit {
        protocol,
        severity,
        operator,
        source,
    }
}

/// Two protocols with fixed severities: "sure" slashes every step,
/// "never" never does on its own.
const SURE_AND_NEVER: &str = r#"
[[protocol]]
name = "sure"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.1 }, shock_groups = ["crash", "bug"] }

[[protocol]]
name = "never"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { yearly_probability = 0.0, severity = { dist = "fixed", value = 0.2 }, shock_groups = ["crash", "bug"] }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { sure = 1.0 }
"#;

const SHOCKS: &str = r#"
[[shock]]
name = "crash"
day = 3
severity = { dist = "fixed", value = 0.3 }
price = [{ asset = "ETH", change = -0.5 }]
exit_fraction = 0.25

[[shock]]
name = "bug"
day = 5
"#;

#[test]
fn a_certain_slash_fires_every_step_and_an_impossible_one_never() {
    let model = model(&format!("{SURE_AND_NEVER}{SHOCKS}"));
    for (step, (hits, _)) in draw_steps(&model, 10).into_iter().enumerate() {
        let own = hit(0, 0.1, None, Source::Protocol);
        // "never" is slashed only by the shocks, on steps 3 and 5.
        match step {
            3 => assert_eq!(hits, [own, hit(1, 0.3, None, Source::Shock(0))]),
            5 => assert_eq!(hits, [own, hit(1, 0.2, None, Source::Shock(1))]),
            _ => assert_eq!(hits, [own], "step {step}"),
        }
    }
}

#[test]
fn a_scheduled_shock_fires_at_its_step_only_and_slashes_a_protocol_once() {
    let model = model(&format!("{SURE_AND_NEVER}{SHOCKS}"));
    let steps = draw_steps(&model, 10);
    for (step, (hits, side)) in steps.iter().enumerate() {
        // "sure" fired on its own every step: the shocks do not slash
        // it a second time (RM-1's convention), its own event counts.
        let on_sure: Vec<&Hit> = hits.iter().filter(|h| h.protocol == 0).collect();
        assert_eq!(on_sure, [&hit(0, 0.1, None, Source::Protocol)]);
        let expected_side = if step == 3 {
            SideEffects {
                price_moves: vec![(0, -0.5)],
                lrt_moves: vec![],
                exit_fraction: 0.25,
            }
        } else {
            SideEffects::default()
        };
        assert_eq!(side, &expected_side, "step {step}");
    }
    // Without a severity of its own, "bug" uses each protocol's.
    assert_eq!(steps[5].0[1], hit(1, 0.2, None, Source::Shock(1)));
    // Step 5's side effects are empty: "bug" moves no price.
    assert_eq!(steps[5].1, SideEffects::default());
}

#[test]
fn the_side_effects_of_simultaneous_shocks_add_moves_and_keep_the_largest_exit_fraction() {
    let model = model(
        r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[shock]]
name = "eth-crash"
day = 2
price = [{ asset = "ETH", change = -0.5 }]
exit_fraction = 0.1

[[shock]]
name = "btc-crash"
day = 2
price = [{ asset = "BTC", change = -0.2 }]
exit_fraction = 0.3

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }
"#,
    );
    let steps = draw_steps(&model, 4);
    assert_eq!(
        steps[2].1,
        SideEffects {
            price_moves: vec![(0, -0.5), (1, -0.2)],
            lrt_moves: vec![],
            exit_fraction: 0.3,
        }
    );
    assert!(steps[2].0.is_empty(), "no protocol is slashed");
    // Cleared again the next step.
    assert_eq!(steps[3].1, SideEffects::default());
}

#[test]
fn fired_shocks_add_their_lrt_moves_without_drawing_more() {
    let with_moves = model(
        r#"
[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { severity = { dist = "fixed", value = 0.1 }, shock_groups = ["sometimes"] }

[[shock]]
name = "sometimes"
daily_probability = 0.5
lrt_price = [{ lrt = "a", change = -0.1 }]

[[shock]]
name = "depeg"
day = 3
lrt_price = [{ lrt = "b", change = -0.3 }, { lrt = "a", change = 0.2 }]
price = [{ asset = "ETH", change = -0.5 }]

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }

[[staker]]
class = "d"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }

[[lrt]]
name = "a"
backing = ["c"]
pool = { depth = 100 }

[[lrt]]
name = "b"
backing = ["d"]
"#,
    );
    let mut without = with_moves.clone();
    for shock in &mut without.shocks {
        shock.lrt_moves.clear();
    }
    let (a, b) = (draw_steps(&with_moves, 20), draw_steps(&without, 20));
    let mut fired = 0;
    for (step, ((hits, side), (hits_without, side_without))) in a.iter().zip(&b).enumerate() {
        // The same draws: the same slashes and asset moves.
        assert_eq!(hits, hits_without, "step {step}");
        assert_eq!(side.price_moves, side_without.price_moves, "step {step}");
        assert!(side_without.lrt_moves.is_empty());
        // "sometimes" fired whenever it slashed p (its only member).
        let random = hits.iter().any(|h| h.source == Source::Shock(0));
        let mut expected = if random { vec![(0, -0.1)] } else { vec![] };
        if step == 3 {
            expected.extend([(1, -0.3), (0, 0.2)]);
        }
        fired += usize::from(random);
        assert_eq!(side.lrt_moves, expected, "step {step}");
    }
    assert!(fired > 0 && fired < 20, "fired {fired} times");
}

/// Three protocols (no events of their own) and two operators: op-a
/// faults every step in p0 and p2, which it serves; op-b faults every
/// step in p1 with p1's own severity; op-c never faults.
const OPERATORS: &str = r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { severity = { dist = "fixed", value = 0.01 }, shock_groups = ["keys"] }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { severity = { dist = "fixed", value = 0.02 }, shock_groups = ["keys"] }

[[protocol]]
name = "p2"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { severity = { dist = "fixed", value = 0.03 } }

[[operator]]
name = "op-a"
protocols = ["p0", "p2"]
fault = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.05 } }

[[operator]]
name = "op-b"
protocols = ["p1"]
fault = { daily_probability = 1.0 }

[[operator]]
name = "op-c"
protocols = ["p0", "p1", "p2"]
fault = { daily_probability = 0.0 }

# Members p0 and p1, restricted to op-a's stake: only p0 is op-a's.
[[shock]]
name = "keys"
day = 4
operators = ["op-a"]
severity = { dist = "fixed", value = 0.5 }

# No members: every protocol op-c serves, op-c's stake only.
[[shock]]
name = "op-c-keys"
day = 6
operators = ["op-c"]
severity = { dist = "fixed", value = 0.4 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p0 = 1.0 }
"#;

#[test]
fn operator_faults_hit_only_the_protocols_the_operator_serves_and_only_its_stake() {
    let model = model(OPERATORS);
    let faults = [
        hit(0, 0.05, Some(0), Source::Operator(0)),
        hit(2, 0.05, Some(0), Source::Operator(0)),
        hit(1, 0.02, Some(1), Source::Operator(1)),
    ];
    for (step, (hits, _)) in draw_steps(&model, 8).into_iter().enumerate() {
        let shock: Vec<Hit> = match step {
            4 => vec![hit(0, 0.5, Some(0), Source::Shock(0))],
            6 => (0..3)
                .map(|p| hit(p, 0.4, Some(2), Source::Shock(1)))
                .collect(),
            _ => vec![],
        };
        // Order: shocks, then operator faults.
        let expected: Vec<Hit> = shock.into_iter().chain(faults).collect();
        assert_eq!(hits, expected, "step {step}");
    }
}

#[test]
fn a_veto_window_delays_a_slash_and_a_certain_veto_cancels_it() {
    let model = model(
        r#"
[[protocol]]
name = "delayed"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
veto_days = 3
slashing = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.1 } }

[[protocol]]
name = "vetoed"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
veto_days = 2
veto_probability = 1.0
slashing = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.2 } }

[[protocol]]
name = "once"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
veto_days = 2
slashing = { severity = { dist = "fixed", value = 0.3 }, shock_groups = ["s"] }

[[shock]]
name = "s"
day = 1

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { delayed = 1.0 }
"#,
    );
    let mut drawer = EventDrawer::new(&model, SEED, 0);
    let mut rng = path_rng(SEED, 0, Stream::Events);
    let (mut hits, mut side) = (Vec::new(), SideEffects::default());
    for step in 0..10 {
        drawer.draw(&model, step, &mut rng, &mut hits, &mut side);
        // "delayed" fires every step and takes effect 3 steps later;
        // the shock on "once" at step 1 takes effect at step 3.
        let mut expected = vec![];
        if step == 3 {
            expected.push(hit(2, 0.3, None, Source::Shock(0)));
        }
        if step >= 3 {
            expected.insert(0, hit(0, 0.1, None, Source::Protocol));
        }
        assert_eq!(hits, expected, "step {step}");
        // Waiting: "delayed" slashes of the last 3 steps and the shock
        // on "once" until it is due, in the order drawn; "vetoed" never
        // queues.
        let waiting: Vec<usize> = drawer.pending.iter().map(|(_, h)| h.protocol).collect();
        let expected_waiting = match step {
            0 => vec![0],
            1 => vec![0, 0, 2],
            2 => vec![0, 0, 2, 0],
            _ => vec![0, 0, 0],
        };
        assert_eq!(waiting, expected_waiting, "step {step}");
    }
}

#[test]
fn severities_are_capped_by_the_protocols_cap_whatever_their_source() {
    let model = model(
        r#"
[[protocol]]
name = "capped"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
veto_days = 1
slashing = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.3 }, shock_groups = ["s"] }
allocation = { model = "capped", max_slash = 0.05 }

[[protocol]]
name = "loose"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { severity = { dist = "fixed", value = 0.3 }, shock_groups = ["s"] }

[[operator]]
name = "op"
protocols = ["capped"]
fault = { yearly_probability = 1.0, severity = { dist = "fixed", value = 0.9 } }

[[shock]]
name = "s"
yearly_probability = 1.0
severity = { dist = "fixed", value = 0.7 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { capped = 1.0 }
"#,
    );
    let steps = draw_steps(&model, 3);
    assert!(steps[0].0.iter().all(|h| h.protocol == 1), "capped waits");
    for (hits, _) in &steps[1..] {
        // Own event of "capped" (delayed a step, capped), its operator
        // fault (capped); the shock slashes only "loose" since "capped"
        // was hit by its own event.
        assert_eq!(
            hits,
            &[
                hit(1, 0.7, None, Source::Shock(0)),
                hit(0, 0.05, None, Source::Protocol),
                hit(0, 0.05, Some(0), Source::Operator(0)),
            ]
        );
    }
}

/// One random shock, two protocols and an operator serving both, all
/// with probability `probability`.
fn risky(probability: f64) -> Model {
    model(&format!(
        r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}
veto_days = 2
veto_probability = 0.5
slashing = {{ daily_probability = {probability}, severity = {{ dist = "uniform", low = 0.1, high = 0.2 }}, shock_groups = ["s", "sched"] }}

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.05 }}
slashing = {{ daily_probability = {probability}, severity = {{ dist = "beta", alpha = 2, beta = 18 }}, shock_groups = ["s"] }}

[[operator]]
name = "op"
protocols = ["p0", "p1"]
fault = {{ daily_probability = {probability} }}

[[operator]]
name = "op-safe"
protocols = ["p0", "p1"]

[[shock]]
name = "s"
daily_probability = {probability}
price = [{{ asset = "ETH", change = -0.1 }}]
exit_fraction = 0.5

[[shock]]
name = "sched"
day = 2

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = {{ dist = "fixed", value = 1 }}
allocate = {{ p0 = 1.0 }}
"#
    ))
}

#[test]
fn a_step_draws_the_same_number_of_uniforms_from_the_event_stream_whatever_happens() {
    // 2 protocols + 1 random shock + 2 protocols served by the faulty
    // operator; the scheduled shock and the operator without a fault
    // risk draw nothing.
    const PER_STEP: usize = 5;
    let (never, always) = (risky(0.0), risky(1.0));
    let mut quiet = EventDrawer::new(&never, SEED, 0);
    let mut busy = EventDrawer::new(&always, SEED, 0);
    let mut quiet_rng = path_rng(SEED, 0, Stream::Events);
    let mut busy_rng = path_rng(SEED, 0, Stream::Events);
    let mut reference = path_rng(SEED, 0, Stream::Events);
    let (mut hits, mut side) = (Vec::new(), SideEffects::default());
    let mut busy_hits = 0;
    for step in 0..6 {
        quiet.draw(&never, step, &mut quiet_rng, &mut hits, &mut side);
        // Only the scheduled shock slashes (after p0's veto window).
        assert!(hits.iter().all(|h| h.source == Source::Shock(1)));
        if step != 2 {
            assert_eq!(side, SideEffects::default());
        }
        busy.draw(&always, step, &mut busy_rng, &mut hits, &mut side);
        busy_hits += hits.len();
        for _ in 0..PER_STEP {
            let _: f64 = reference.random();
        }
        let next = reference.clone().random::<u64>();
        assert_eq!(quiet_rng.clone().random::<u64>(), next, "step {step}");
        assert_eq!(busy_rng.clone().random::<u64>(), next, "step {step}");
    }
    assert!(busy_hits > 0);
}

#[test]
fn a_slashs_severity_depends_on_its_step_and_cause_not_on_other_events() {
    let alone = model(
        r#"
[[protocol]]
name = "p0"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }
slashing = { yearly_probability = 1.0, severity = { dist = "uniform", low = 0.1, high = 0.2 } }

[[protocol]]
name = "p1"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "c"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 1 }
allocate = { p0 = 1.0 }
"#,
    );
    let mut crowded = alone.clone();
    crowded.protocols[1].slashing = crowded.protocols[0].slashing;
    let (a, b) = (draw_steps(&alone, 5), draw_steps(&crowded, 5));
    let mut severities = Vec::new();
    for step in 0..5 {
        assert_eq!(a[step].0.len(), 1);
        assert_eq!(b[step].0.len(), 2);
        assert_eq!(a[step].0[0], b[step].0[0], "step {step}");
        let s = a[step].0[0].severity;
        assert!((0.1..=0.2).contains(&s));
        // The drawn value is lo + (hi − lo) × the slash generator's first uniform.
        let key = cause_key(Source::Protocol, None, 0);
        let u: f64 = slash_rng(SEED, 0, step as u32, key).random();
        assert_eq!(s, 0.1 + 0.1 * u);
        severities.push(s);
    }
    severities.dedup();
    assert_eq!(severities.len(), 5, "a fresh severity every step");
}

#[test]
fn path_events_draw_from_the_paths_event_stream() {
    let model = model(&format!("{SURE_AND_NEVER}{SHOCKS}"));
    let mut events = PathEvents::new(&model, 3);
    let mut drawer = EventDrawer::new(&model, model.run.seed, 3);
    let mut rng = path_rng(model.run.seed, 3, Stream::Events);
    let (mut hits, mut side) = (Vec::new(), SideEffects::default());
    for step in 0..5 {
        events.draw(&model, step);
        drawer.draw(&model, step, &mut rng, &mut hits, &mut side);
        assert_eq!(events.hits, hits);
        assert_eq!(events.side, side);
    }
    assert_eq!(events.rng.random::<u64>(), rng.random::<u64>());
}
