//! The end of a path: its final figures per class, protocol and total, the
//! per-class sketch of per-staker yields, and the check that the results
//! can be used (finite, non-negative, bookkeeping intact).

use super::classes::{ClassRun, Classes};
use super::lending::Lending;
use super::lrt::Lrts;
use super::market::Market;
use super::operators::{self, Operators};
use super::protocols::ProtocolBook;
use super::recorder::{ratio, total_losses_usd};
use crate::model::Model;
use crate::results::{
    BOOKKEEPING_TOLERANCE, ClassFinal, DelayCounts, EventRecord, LiquidationRecord, LoopFinal,
    LossSource, LrtFinal, MarketFinal, OperatorFinal, PathDefect, PathRow, ProtocolFinal,
    TotalFinal, YIELD_SKETCH_ACCURACY,
};
use crate::stats::LogHistogram;

/// Everything one path produces.
#[derive(Debug, Clone)]
pub struct PathOutcome {
    /// Path index.
    pub path: u32,
    /// Recorded values, `recorded steps × series`, in layout order.
    pub series: Vec<f32>,
    /// Final figures.
    pub row: PathRow,
    /// Per class: sketch of per-staker net APR (net return / years held).
    pub staker_apr: Vec<LogHistogram>,
    /// Per class: released exits by days from start to release.
    pub exit_delays: Vec<DelayCounts>,
    /// Slashes, at most `max_event_rows`.
    pub events: Vec<EventRecord>,
    /// Slashes applied after `events` was full: `events.len()` plus this is
    /// `total.slash_events`.
    pub events_not_logged: u64,
    /// Liquidations, at most `max_event_rows`.
    pub liquidations: Vec<LiquidationRecord>,
    /// Liquidations after `liquidations` was full.
    pub liquidations_not_logged: u64,
    /// Largest relative bookkeeping error over stakers (should be ~1e-15).
    pub bookkeeping_error: f64,
    /// What went wrong when the path ended with a non-finite or negative
    /// stake, a non-finite result or broken bookkeeping (checked once, at
    /// the end of the path).
    pub defect: Option<PathDefect>,
}

/// Final figures of every class, and the per-class yield sketches; USD
/// figures value the horizon's position at `market`'s prices today.
pub fn class_finals(
    model: &Model,
    market: &Market,
    classes: &Classes,
) -> (Vec<ClassFinal>, Vec<LogHistogram>) {
    let horizon = model.run.steps;
    let step_years = model.run.step_years();
    let st = &classes.stakers;
    let mut sketches = Vec::with_capacity(classes.runs.len());
    let mut finals = Vec::with_capacity(classes.runs.len());
    let mut returns = Vec::new();
    let mut yields = Vec::new();
    for (run, class) in classes.runs.iter().zip(&model.classes) {
        let mut sketch = LogHistogram::new(YIELD_SKETCH_ACCURACY);
        returns.clear();
        yields.clear();
        for i in run.members() {
            let cohort = &st.cohort[i];
            let held = cohort.left(horizon).min(horizon) - cohort.entered.min(horizon);
            let mut add = |net: f64, members: u32| {
                returns.push((net, members));
                if held > 0 {
                    yields.push((net / (f64::from(held) * step_years), u64::from(members)));
                }
            };
            if st.cohort[i].mixed {
                for m in st.member_range(i) {
                    add(st.member_net_return(i, m), 1);
                }
            } else {
                // Every member of a cohort that absorbed none has the
                // cohort's net return: its rewards and losses are the same
                // share of the cohort's as its stake at entry.
                add(
                    (st.rewards[i] - st.losses[i]) / st.cohort[i].initial,
                    st.cohort[i].members,
                );
            }
        }
        sketch.add_all_times(&yields);
        sketches.push(sketch);
        let losses = run.losses.total();
        finals.push(ClassFinal {
            stake: run.stake,
            initial: run.initial,
            rewards: run.rewards,
            losses,
            losses_protocol: run.losses.part(LossSource::Protocol),
            losses_shock: run.losses.part(LossSource::Shock),
            losses_operator: run.losses.part(LossSource::Operator),
            losses_attack: run.losses.part(LossSource::Attack),
            exits: run.exits,
            net_return: ratio(run.rewards - losses, run.initial),
            after_tax_net_return: ratio(run.rewards * (1.0 - class.tax_rate) - losses, run.initial),
            median_net_return: median_of_counted(&mut returns),
            net_return_usd: usd_return(
                run,
                market.prices[class.asset],
                market.initial[class.asset],
            ),
            stakers: run.active,
            entered: run.joined - class.count,
        });
    }
    (finals, sketches)
}

/// (value of stake and rewards at `price` − value of the initial stake at
/// `price0`) / the latter: the net return in USD, price moves included.
/// Stake that exited is valued with the rest, as held in the asset.
fn usd_return(run: &ClassRun, price: f64, price0: f64) -> f64 {
    ratio(
        position(run) * price - run.initial * price0,
        run.initial * price0,
    )
}

/// Stake and rewards of a class, whatever exited: initial + rewards − losses.
fn position(run: &ClassRun) -> f64 {
    run.initial + run.rewards - run.losses.total()
}

/// Final figures of every protocol.
pub fn protocol_finals(protocols: &ProtocolBook) -> Vec<ProtocolFinal> {
    (0..protocols.apr.len())
        .map(|p| {
            let losses = protocols.losses[p];
            ProtocolFinal {
                tvl_native: protocols.tvl_native[p],
                tvl_usd: protocols.tvl_usd[p],
                apr: protocols.apr[p],
                losses_native: losses.total(),
                losses_protocol_native: losses.part(LossSource::Protocol),
                losses_shock_native: losses.part(LossSource::Shock),
                losses_operator_native: losses.part(LossSource::Operator),
                losses_attack_native: losses.part(LossSource::Attack),
                tvl_native_initial: protocols.initial_tvl[p],
                loss_fraction: ratio(losses.total(), protocols.initial_tvl[p]),
                slash_events: protocols.slash_events[p],
            }
        })
        .collect()
}

/// Final figures of every LRT.
pub fn lrt_finals(lrts: &Lrts) -> Vec<LrtFinal> {
    lrts.tokens
        .iter()
        .map(|t| LrtFinal {
            nav: t.nav,
            price: t.price(),
            discount: t.discount(),
            redemption_queue: t.queued * t.nav,
        })
        .collect()
}

/// Final figures of every lending market.
pub fn market_finals(model: &Model, lending: &Lending) -> Vec<MarketFinal> {
    lending
        .markets
        .iter()
        .zip(&model.markets)
        .map(|(state, market)| MarketFinal {
            borrow_apr: state.borrow_apr,
            utilisation: state.utilisation(market.liquidity),
            liquidations_usd: state.liquidations_usd,
            bad_debt_usd: state.bad_debt_usd,
            liquidations: state.liquidations,
        })
        .collect()
}

/// Final figures of every looping class's loops, in class order.
pub fn loop_finals(model: &Model, classes: &Classes, lending: &Lending) -> Vec<LoopFinal> {
    (0..model.classes.len())
        .filter(|&c| model.classes[c].is_loop())
        .map(|c| {
            let b = lending.books[c];
            LoopFinal {
                equity_initial: b.equity_initial,
                interest: b.interest,
                liquidation_cost: b.liquidation_cost,
                bad_debt: b.bad_debt,
                equity_net_return: lending.equity_net_return(classes, c),
            }
        })
        .collect()
}

/// Final figures of every operator: its delegated stake (as last tallied),
/// and its commission and delegators' losses at the prices `p0`.
pub fn operator_finals(
    model: &Model,
    ops: &Operators,
    classes: &Classes,
    p0: &[f64],
    slashes: &[u64],
) -> Vec<OperatorFinal> {
    (0..model.operators.len())
        .map(|o| OperatorFinal {
            delegated_usd_initial: ops.initial_usd[o],
            delegated_stake_usd: ops.delegated_usd[o],
            commission_usd: operators::commission_usd(model, classes, p0, o),
            delegator_losses_usd: operators::delegator_losses_total_usd(model, classes, p0, o),
            slash_events: slashes[o],
        })
        .collect()
}

/// Whole-scenario figures: stake, rewards and losses at t = 0 prices.
pub fn total_final(
    model: &Model,
    market: &Market,
    protocols: &ProtocolBook,
    classes: &Classes,
) -> TotalFinal {
    let p0 = &market.initial;
    let initial_usd = classes.value(model, p0, |r| r.initial);
    let rewards_usd = classes.value(model, p0, |r| r.rewards);
    let losses = total_losses_usd(model, classes, p0);
    let losses_usd = losses.total();
    let position_usd = classes.value(model, &market.prices, position);
    let taxed_usd: f64 = classes
        .runs
        .iter()
        .zip(&model.classes)
        .map(|(r, k)| r.rewards * (1.0 - k.tax_rate) * p0[k.asset])
        .sum();
    TotalFinal {
        net_return: ratio(rewards_usd - losses_usd, initial_usd),
        after_tax_net_return: ratio(taxed_usd - losses_usd, initial_usd),
        net_return_usd: ratio(position_usd - initial_usd, initial_usd),
        initial_usd,
        rewards_usd,
        losses_usd,
        losses_protocol_usd: losses.part(LossSource::Protocol),
        losses_shock_usd: losses.part(LossSource::Shock),
        losses_operator_usd: losses.part(LossSource::Operator),
        losses_attack_usd: losses.part(LossSource::Attack),
        tvl_usd: protocols.tvl_usd.iter().sum(),
        slash_events: protocols.total_slash_events(),
    }
}

/// The first thing wrong with a path's results, if any: a staker's stake
/// negative or not finite, a final figure or a recorded value not finite,
/// or bookkeeping off by more than [`BOOKKEEPING_TOLERANCE`].
pub fn find_defect(
    classes: &Classes,
    row: &PathRow,
    values: &[f32],
    series: usize,
    bookkeeping_error: f64,
) -> Option<PathDefect> {
    let stakes = &classes.stakers.stake;
    if let Some(staker) = stakes.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Some(PathDefect::Stake {
            staker,
            stake: stakes[staker],
        });
    }
    if let Some((part, column, value)) = row.first_non_finite() {
        return Some(PathDefect::FinalFigure {
            part,
            column,
            value,
        });
    }
    if let Some(k) = values.iter().position(|v| !v.is_finite()) {
        let n = series.max(1);
        return Some(PathDefect::Recorded {
            series: k % n,
            point: k / n,
        });
    }
    if bookkeeping_error.is_nan() || bookkeeping_error > BOOKKEEPING_TOLERANCE {
        return Some(PathDefect::Bookkeeping {
            error: bookkeeping_error,
        });
    }
    None
}

/// Median of the values each repeated its count of times (a cohort's
/// members share its value): the middle one, or the mean of the two middle
/// ones for an even total count; NaN if the count is 0.
pub fn median_of_counted(values: &mut [(f64, u32)]) -> f64 {
    let total: u64 = values.iter().map(|&(_, n)| u64::from(n)).sum();
    if total == 0 {
        return f64::NAN;
    }
    if total == values.len() as u64 {
        // Stakers on their own: a selection, not a sort.
        let mid = values.len() / 2;
        let (lower, m, _) = values.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0));
        let upper = m.0;
        return if total % 2 == 1 {
            upper
        } else {
            let below = lower.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
            0.5 * (below + upper)
        };
    }
    let upper = value_at_rank(values, total / 2);
    if total % 2 == 1 {
        upper
    } else {
        0.5 * (value_at_rank(values, total / 2 - 1) + upper)
    }
}

/// The value at 0-based `rank` of the list in which each of `values` is
/// repeated its count of times, sorted by [`f64::total_cmp`] (NaN past the
/// end): a weighted selection, which reorders `values`.
fn value_at_rank(values: &mut [(f64, u32)], mut rank: u64) -> f64 {
    let by_value = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0);
    let mut rest = values;
    while !rest.is_empty() {
        let (lower, pivot, upper) = rest.select_nth_unstable_by(rest.len() / 2, by_value);
        let below: u64 = lower.iter().map(|&(_, n)| u64::from(n)).sum();
        let through = below + u64::from(pivot.1);
        if rank < below {
            rest = lower;
        } else if rank < through {
            return pivot.0;
        } else {
            rank -= through;
            rest = upper;
        }
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, assert_close, model};
    use crate::results::{Part, SourceLosses};

    /// An ETH class with tax and entries, a BTC class, one protocol each.
    fn two_classes() -> Model {
        model(
            r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = { curve = "constant", value = 0.05 }

[[protocol]]
name = "b"
assets = ["BTC"]
apr = { curve = "constant", value = 0.05 }

[[staker]]
class = "eth"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
tax_rate = 0.3
entry = { per_review = 1, max_new = 4 }

[[staker]]
class = "btc"
count = 1
asset = "BTC"
stake = { dist = "fixed", value = 1 }
allocate = { b = 1.0 }
"#,
        )
    }

    /// Hand-made end of a 10-step path: the ETH class has had one entrant
    /// (staker 2, entered at the horizon) and staker 1 left after step 3.
    fn ended(model: &Model) -> Parts {
        let mut parts = Parts::start(model);
        parts.market.prices = vec![1.0, 1.0];
        let st = &mut parts.classes.stakers;
        for (i, initial, entered, left) in [(0, 100.0, 0, 10), (1, 100.0, 0, 4), (2, 50.0, 10, 10)]
        {
            let cohort = &mut st.cohort[i];
            (cohort.initial, cohort.entered, cohort.released) = (initial, entered, left);
        }
        st.rewards[0..3].copy_from_slice(&[10.0, 4.0, 1.0]);
        st.losses[0..3].copy_from_slice(&[2.0, 0.0, 0.0]);
        st.cohort[2].members = 1;
        let runs = &mut parts.classes.runs;
        (runs[0].next_entry, runs[0].joined) = (3, 3);
        (runs[0].stake, runs[0].initial, runs[0].rewards) = (160.0, 250.0, 15.0);
        runs[0].losses = SourceLosses::from_parts([0.5, 1.0, 0.25, 0.25]);
        (runs[0].exits, runs[0].active) = (104.0, 2);
        runs[1].rewards = 0.01;
        runs[1].losses = SourceLosses::from_parts([0.005, 0.0, 0.0, 0.0]);
        let book = &mut parts.protocols;
        book.losses = vec![
            SourceLosses::from_parts([1.0, 2.0, 0.0, 2.0]),
            SourceLosses::default(),
        ];
        book.slash_events = vec![3, 0];
        book.initial_tvl = vec![200.0, 0.0];
        parts
    }

    #[test]
    fn class_finals_and_the_per_staker_yield_sketch() {
        let model = two_classes();
        let parts = ended(&model);
        let (finals, sketches) = class_finals(&model, &parts.market, &parts.classes);
        let eth = &finals[0];
        assert_eq!((eth.stake, eth.initial, eth.rewards), (160.0, 250.0, 15.0));
        assert_eq!(
            (eth.losses, eth.exits, eth.stakers, eth.entered),
            (2.0, 104.0, 2, 1)
        );
        assert_eq!(
            (
                eth.losses_protocol,
                eth.losses_shock,
                eth.losses_operator,
                eth.losses_attack
            ),
            (0.5, 1.0, 0.25, 0.25)
        );
        assert_close(eth.net_return, 13.0 / 250.0, 1e-15);
        assert_close(eth.after_tax_net_return, (15.0 * 0.7 - 2.0) / 250.0, 1e-15);
        // Per-staker net returns 0.08, 0.04 and 0.02.
        assert_close(eth.median_net_return, 0.04, 1e-15);
        // Yearly yields of the stakers that held for a while: 0.08 over
        // 10 days and 0.04 over 4; the entrant at the horizon held 0.
        assert_eq!(sketches[0].count(), 2);
        assert_close(sketches[0].min(), 0.08 / (10.0 / 365.0), 1e-15);
        assert_close(sketches[0].max(), 0.04 / (4.0 / 365.0), 1e-15);
        assert_eq!(finals[1].entered, 0);
        assert_eq!(finals[1].after_tax_net_return, finals[1].net_return);
    }

    #[test]
    fn protocol_finals_divide_losses_by_the_initial_tvl() {
        let model = two_classes();
        let parts = ended(&model);
        let finals = protocol_finals(&parts.protocols);
        assert_eq!(finals[0].losses_native, 5.0);
        assert_eq!(finals[0].losses_shock_native, 2.0);
        assert_eq!(finals[0].losses_attack_native, 2.0);
        assert_eq!(finals[0].tvl_native_initial, 200.0);
        assert_eq!(finals[0].loss_fraction, 0.025);
        assert_eq!(finals[0].slash_events, 3);
        assert_eq!(finals[0].apr, 0.05);
        assert_eq!(finals[1].loss_fraction, 0.0, "no initial TVL");
    }

    #[test]
    fn the_total_counts_stake_rewards_and_losses_at_t0_prices() {
        let model = two_classes();
        let parts = ended(&model);
        let total = total_final(&model, &parts.market, &parts.protocols, &parts.classes);
        // At 2,000 and 40,000 USD, not today's prices of 1.
        assert_eq!(total.initial_usd, 250.0 * 2000.0 + 40_000.0);
        assert_close(total.rewards_usd, 15.0 * 2000.0 + 0.01 * 40_000.0, 1e-15);
        assert_close(total.losses_usd, 2.0 * 2000.0 + 0.005 * 40_000.0, 1e-15);
        assert_eq!(total.losses_protocol_usd, 0.5 * 2000.0 + 0.005 * 40_000.0);
        assert_eq!(total.losses_shock_usd, 2000.0);
        let sum = ((total.losses_protocol_usd + total.losses_shock_usd)
            + total.losses_operator_usd)
            + total.losses_attack_usd;
        assert_eq!(total.losses_usd, sum);
        assert_close(total.net_return, (30_400.0 - 4_200.0) / 540_000.0, 1e-15);
        let taxed = 15.0 * 0.7 * 2000.0 + 0.01 * 40_000.0;
        assert_close(
            total.after_tax_net_return,
            (taxed - 4_200.0) / 540_000.0,
            1e-15,
        );
        assert_eq!(total.tvl_usd, parts.protocols.tvl_usd.iter().sum::<f64>());
        assert_eq!(total.slash_events, 3);
    }

    #[test]
    fn the_usd_return_values_the_position_at_the_horizons_prices() {
        let model = two_classes();
        let mut parts = ended(&model);
        // ETH halves from 2,000 to 1,000; BTC rises from 40,000 to 50,000.
        parts.market.prices = vec![1000.0, 50_000.0];
        let (finals, _) = class_finals(&model, &parts.market, &parts.classes);
        // ETH: (250 + 15 − 2) × 1,000 against 250 × 2,000.
        assert_close(
            finals[0].net_return_usd,
            263.0 * 1000.0 / 500_000.0 - 1.0,
            1e-15,
        );
        // BTC: (1 + 0.01 − 0.005) × 50,000 against 40,000.
        assert_close(finals[1].net_return_usd, 1.005 * 1.25 - 1.0, 1e-15);
        let total = total_final(&model, &parts.market, &parts.protocols, &parts.classes);
        let usd = 263.0 * 1000.0 + 1.005 * 50_000.0;
        assert_close(total.net_return_usd, usd / 540_000.0 - 1.0, 1e-15);
        // Without price moves it is the net return.
        parts.market.prices = parts.market.initial.clone();
        let total = total_final(&model, &parts.market, &parts.protocols, &parts.classes);
        assert_close(total.net_return_usd, total.net_return, 1e-15);
    }

    #[test]
    fn a_defect_is_the_first_thing_wrong_in_a_fixed_order() {
        let model = two_classes();
        let mut parts = ended(&model);
        let (classes, _) = class_finals(&model, &parts.market, &parts.classes);
        let mut row = PathRow {
            path: 0,
            classes,
            protocols: protocol_finals(&parts.protocols),
            lrts: Vec::new(),
            markets: Vec::new(),
            loops: Vec::new(),
            operators: Vec::new(),
            total: total_final(&model, &parts.market, &parts.protocols, &parts.classes),
        };
        let mut values = vec![1.0f32; 6];
        assert_eq!(find_defect(&parts.classes, &row, &values, 3, 1e-9), None);
        assert_eq!(
            find_defect(&parts.classes, &row, &values, 3, 2e-9),
            Some(PathDefect::Bookkeeping { error: 2e-9 })
        );
        let nan_error = find_defect(&parts.classes, &row, &values, 3, f64::NAN);
        assert!(matches!(nan_error, Some(PathDefect::Bookkeeping { error }) if error.is_nan()));
        values[4] = f32::INFINITY;
        assert_eq!(
            find_defect(&parts.classes, &row, &values, 3, 2e-9),
            Some(PathDefect::Recorded {
                series: 1,
                point: 1
            })
        );
        row.protocols[1].apr = f64::NAN;
        let figure = find_defect(&parts.classes, &row, &values, 3, 2e-9);
        assert!(matches!(
            figure,
            Some(PathDefect::FinalFigure { part: Part::Protocol(1), column: "apr", value }) if value.is_nan()
        ));
        parts.classes.stakers.stake[1] = -1.0;
        assert_eq!(
            find_defect(&parts.classes, &row, &values, 3, 2e-9),
            Some(PathDefect::Stake {
                staker: 1,
                stake: -1.0
            })
        );
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        let ones = |v: &[f64]| v.iter().map(|&x| (x, 1)).collect::<Vec<_>>();
        assert_eq!(median_of_counted(&mut ones(&[3.0, 1.0, 2.0])), 2.0);
        assert_eq!(median_of_counted(&mut ones(&[4.0, 1.0, 3.0, 2.0])), 2.5);
        assert!(median_of_counted(&mut []).is_nan());
        assert!(median_of_counted(&mut [(1.0, 0)]).is_nan());
    }

    #[test]
    fn a_counted_median_is_the_median_of_the_values_repeated() {
        // 1 ×3, 5 ×1, 2 ×2: 1 1 1 2 2 5 → (1 + 2) / 2.
        assert_eq!(median_of_counted(&mut [(1.0, 3), (5.0, 1), (2.0, 2)]), 1.5);
        // 1 ×3, 5 ×1, 2 ×1: 1 1 1 2 5 → 1.
        assert_eq!(median_of_counted(&mut [(5.0, 1), (1.0, 3), (2.0, 1)]), 1.0);
        assert_eq!(median_of_counted(&mut [(7.0, 1_000_000)]), 7.0);
    }

    #[test]
    fn a_weighted_selection_finds_every_rank_of_the_values_repeated() {
        // Pseudo-random values with ties and counts 0 to 4, against the
        // expanded list sorted.
        let mut state = 12_345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            state >> 33
        };
        for len in [1, 2, 7, 40, 300] {
            let values: Vec<(f64, u32)> = (0..len)
                .map(|_| ((next() % 50) as f64 - 20.0, (next() % 5) as u32))
                .collect();
            let mut expanded: Vec<f64> = values
                .iter()
                .flat_map(|&(x, n)| std::iter::repeat_n(x, n as usize))
                .collect();
            expanded.sort_by(f64::total_cmp);
            for (rank, &x) in expanded.iter().enumerate() {
                let mut shuffled = values.clone();
                assert_eq!(
                    value_at_rank(&mut shuffled, rank as u64),
                    x,
                    "len {len} rank {rank}"
                );
            }
            let mut all = values.clone();
            assert!(value_at_rank(&mut all, expanded.len() as u64).is_nan());
        }
    }
}
