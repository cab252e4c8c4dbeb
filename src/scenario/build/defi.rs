//! The DeFi layer: `[[lrt]]` (liquid restaking tokens, their pool and
//! arbitrage), `[[lending_market]]` (money markets taking an LRT as
//! collateral) and the `loop` strategy of staker classes, checked into
//! [`Lrt`]s and [`LendingMarket`]s. It runs after every other table, so its
//! issues come last and a scenario without these tables reports exactly
//! what it did before they existed.
//!
//! Two rules tie the tables together:
//!
//! - **Backing.** An LRT is backed by the classes its `backing` lists plus
//!   every class looping through a market that takes it as collateral; a
//!   class backs at most one LRT, and every backing class stakes the same
//!   asset, the LRT's underlying.
//! - **Redemption delay.** `redemption_steps` = ceil(`queue_days` /
//!   `step_days`) + the longest `exit_delay_steps` (ceil((`withdrawal_days` +
//!   `unbonding_days`) / `step_days`), as a protocol's exits wait) among the
//!   protocols a backing class may allocate to: a fixed allocation's
//!   protocols, a random allocation's candidates (`among`, or every protocol
//!   accepting the class's asset), and for a yield-chasing class every
//!   protocol accepting its asset (where its moves may take it); 0 when
//!   there are none.

use std::collections::HashMap;

use super::names::Names;
use super::{MAX_APR, MAX_DAYS, MAX_MAGNITUDE, Validator, fmt_num};
use crate::model::defi::full_loop_leverage;
use crate::model::{
    Arbitrage, InitialAllocation, LendingMarket, Lrt, Oracle, Pool, Protocol, RateCurve,
    StakerClass, Strategy,
};
use crate::scenario::file::{
    LendingMarketFile, LrtFile, OracleFile, RateCurveFile, ScenarioFile, StrategyFile,
};

/// A looping class as written: (class index, market name, leverage_min,
/// leverage_max).
type LoopFile<'a> = (usize, &'a str, f64, f64);

impl Validator {
    /// Checks every `[[lrt]]`, every `[[lending_market]]` and every class
    /// with `strategy.kind = "loop"`, then assembles each LRT's backing;
    /// builds them (meaningful only when no issue is found). `classes` and
    /// `protocols` are the tables as built, `None` where one could not be.
    pub(super) fn defi(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        classes: &[Option<StakerClass>],
        protocols: &[Option<Protocol>],
        step_days: u32,
    ) -> (Vec<Lrt>, Vec<LendingMarket>) {
        let explicit: Vec<Vec<(usize, usize)>> = (file.lrts.iter().enumerate())
            .map(|(i, l)| self.lrt_keys(i, l, names))
            .collect();
        let markets: Vec<Option<LendingMarket>> = (file.lending_markets.iter().enumerate())
            .map(|(i, m)| self.market(i, m, names))
            .collect();
        let loops = loop_classes(file);
        // The LRT each loop class backs, through its market.
        let mut looped: Vec<(usize, usize)> = Vec::new();
        for &(k, market, leverage_min, leverage_max) in &loops {
            let path = format!("staker[{k}].strategy");
            let m = self.reference(
                &format!("{path}.market"),
                "lending market",
                market,
                &names.markets,
            );
            let file_market = m.map(|m| &file.lending_markets[m]);
            self.leverage(&path, leverage_min, leverage_max, file_market);
            if let Some(lrt) = m.and_then(|m| names.lrts.get(&file.lending_markets[m].collateral)) {
                looped.push((k, lrt));
            }
        }
        let backing = self.backing(file, names, &explicit, &looped);
        let lrts = (file.lrts.iter().zip(backing))
            .filter_map(|(l, (asset, backing))| {
                let redemption_steps =
                    redemption_steps(l.queue_days, &backing, classes, protocols, step_days);
                Some(Lrt {
                    name: l.name.clone(),
                    asset: asset?,
                    backing,
                    fee: l.fee,
                    redemption_steps,
                    pool: l.pool.as_ref().map(|p| Pool { depth: p.depth }),
                    panic_sell_share: l.panic_sell_share,
                    // Absent: no capital (min_discount at the file's default).
                    arbitrage: l.arbitrage.as_ref().map_or(
                        Arbitrage {
                            capital_per_step: 0.0,
                            min_discount: 0.005,
                        },
                        |a| Arbitrage {
                            capital_per_step: a.capital_per_day * f64::from(step_days),
                            min_discount: a.min_discount,
                        },
                    ),
                })
            })
            .collect();
        (lrts, markets.into_iter().flatten().collect())
    }

    /// Checks the keys of `lrt[i]` on their own (fee, queue, panic selling,
    /// pool, arbitrage) and resolves its `backing`: (j, class index) for each
    /// name that resolves.
    fn lrt_keys(&mut self, i: usize, l: &LrtFile, names: &Names) -> Vec<(usize, usize)> {
        let path = format!("lrt[{i}]");
        self.below_one(
            &format!("{path}.fee"),
            l.fee,
            "a share of the rewards; 1 would keep them all",
        );
        if l.queue_days > MAX_DAYS {
            self.issue(
                &format!("{path}.queue_days"),
                format!(
                    "expected at most {MAX_DAYS} days (100 years), found {}",
                    l.queue_days
                ),
            );
        }
        self.unit_interval(&format!("{path}.panic_sell_share"), l.panic_sell_share);
        if let Some(pool) = &l.pool {
            let at = format!("{path}.pool.depth");
            self.positive(&at, pool.depth);
            self.at_most(&at, pool.depth, MAX_MAGNITUDE);
        }
        if let Some(a) = &l.arbitrage {
            let at = format!("{path}.arbitrage.capital_per_day");
            self.non_negative(&at, a.capital_per_day);
            self.at_most(&at, a.capital_per_day, MAX_MAGNITUDE);
            self.below_one(
                &format!("{path}.arbitrage.min_discount"),
                a.min_discount,
                "a discount to NAV; 1 would be a price of 0",
            );
        }
        (l.backing.iter().enumerate())
            .filter_map(|(j, class)| {
                let at = format!("{path}.backing[{j}]");
                let c = self.reference(&at, "staker class", class, &names.stakers)?;
                Some((j, c))
            })
            .collect()
    }

    /// Checks `lending_market[i]`; `None` if its collateral is not an LRT.
    fn market(&mut self, i: usize, m: &LendingMarketFile, names: &Names) -> Option<LendingMarket> {
        let path = format!("lending_market[{i}]");
        let lrt = self.reference(
            &format!("{path}.collateral"),
            "LRT",
            &m.collateral,
            &names.lrts,
        );
        let ltv_ok = self.open_unit(&format!("{path}.ltv"), m.ltv);
        let at = format!("{path}.liquidation_threshold");
        let threshold = m.liquidation_threshold;
        let mut threshold_ok = false;
        if self.finite(&at, threshold) {
            if !(0.0..1.0).contains(&threshold) {
                self.issue(
                    &at,
                    format!("expected a value in [ltv, 1), found {}", fmt_num(threshold)),
                );
            } else if ltv_ok && threshold < m.ltv {
                self.issue(
                    &at,
                    format!(
                        "expected a liquidation_threshold ≥ ltv ({}), found {}: a position opened at the largest loan-to-value would be liquidated at once",
                        fmt_num(m.ltv),
                        fmt_num(threshold)
                    ),
                );
            } else {
                threshold_ok = true;
            }
        }
        let at = format!("{path}.liquidation_bonus");
        let bonus = m.liquidation_bonus;
        if self.below_one(&at, bonus, "extra collateral per unit of debt repaid")
            && threshold_ok
            && (1.0 + bonus) * threshold >= 1.0
        {
            self.issue(
                &at,
                format!(
                    "expected (1 + liquidation_bonus) × liquidation_threshold < 1, found (1 + {}) × {} = {}: a liquidator repaying d of debt takes d × (1 + bonus) of collateral, which raises the health factor of a position just below 1 only if (1 + bonus) × threshold < 1; otherwise every liquidation leaves it less healthy and liquidations never end (lower the bonus or the threshold)",
                    fmt_num(bonus),
                    fmt_num(threshold),
                    short((1.0 + bonus) * threshold)
                ),
            );
        }
        let at = format!("{path}.close_factor");
        if self.finite(&at, m.close_factor) && !(m.close_factor > 0.0 && m.close_factor <= 1.0) {
            self.issue(
                &at,
                format!(
                    "expected a value in (0, 1], found {}",
                    fmt_num(m.close_factor)
                ),
            );
        }
        let at = format!("{path}.liquidity");
        self.positive(&at, m.liquidity);
        self.at_most(&at, m.liquidity, MAX_MAGNITUDE);
        let rate = self.rate(&format!("{path}.rate"), &m.rate);
        Some(LendingMarket {
            name: m.name.clone(),
            lrt: lrt?,
            ltv: m.ltv,
            liquidation_threshold: threshold,
            liquidation_bonus: bonus,
            close_factor: m.close_factor,
            rate,
            liquidity: m.liquidity,
            oracle: match m.oracle {
                OracleFile::Market => Oracle::Market,
                OracleFile::Nav => Oracle::Nav,
            },
        })
    }

    /// Checks a borrow rate curve: APRs in [0, `MAX_APR`], kink in (0, 1).
    fn rate(&mut self, path: &str, r: &RateCurveFile) -> RateCurve {
        for (key, x) in [("base", r.base), ("slope1", r.slope1), ("slope2", r.slope2)] {
            let at = format!("{path}.{key}");
            if self.finite(&at, x) && !(0.0..=MAX_APR).contains(&x) {
                self.issue(
                    &at,
                    format!(
                        "expected a yearly rate in [0, {MAX_APR}], found {}",
                        fmt_num(x)
                    ),
                );
            }
        }
        self.open_unit(&format!("{path}.kink"), r.kink);
        RateCurve {
            base: r.base,
            slope1: r.slope1,
            slope2: r.slope2,
            kink: r.kink,
        }
    }

    /// Checks a loop's leverage bounds at `path` (`staker[k].strategy`):
    /// 1 ≤ leverage_min ≤ leverage_max ≤ the full loop of its market (when
    /// the market resolves with a valid `ltv`).
    fn leverage(&mut self, path: &str, min: f64, max: f64, market: Option<&LendingMarketFile>) {
        let at_min = format!("{path}.leverage_min");
        let min_ok = self.finite(&at_min, min);
        if min_ok && min < 1.0 {
            self.issue(
                &at_min,
                format!(
                    "expected a leverage ≥ 1 (1: no borrowing), found {}",
                    fmt_num(min)
                ),
            );
        }
        let at_max = format!("{path}.leverage_max");
        if !self.finite(&at_max, max) {
            return;
        }
        if min_ok && max < min {
            self.issue(
                &at_max,
                format!(
                    "expected leverage_max ≥ leverage_min ({}), found {}",
                    fmt_num(min),
                    fmt_num(max)
                ),
            );
        }
        let Some(m) = market.filter(|m| m.ltv > 0.0 && m.ltv < 1.0) else {
            return;
        };
        let full = full_loop_leverage(m.ltv);
        if max > full * (1.0 + 1e-9) {
            self.issue(
                &at_max,
                format!(
                    "expected at most {}, the leverage of a full loop at market \"{}\"'s ltv of {} (1 / (1 − ltv): borrowing the most the market lends at every turn), found {}",
                    short(full),
                    m.name,
                    fmt_num(m.ltv),
                    fmt_num(max)
                ),
            );
        }
    }

    /// Assembles each LRT's backing from its `backing` (`explicit`: (j,
    /// class) per LRT) and the loop classes of its markets (`looped`:
    /// (class, LRT)): a class backs at most one LRT, every class backing an
    /// LRT stakes the same asset, and every LRT has a backing class. Returns
    /// each LRT's asset (`None` if unknown) and backing, ascending.
    fn backing(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        explicit: &[Vec<(usize, usize)>],
        looped: &[(usize, usize)],
    ) -> Vec<(Option<usize>, Vec<usize>)> {
        // Class → (LRT, key path) of the first claim on it.
        let mut claims: HashMap<usize, (usize, String)> = HashMap::new();
        let mut backing: Vec<Vec<usize>> = vec![Vec::new(); file.lrts.len()];
        let class_name = |c: usize| file.stakers[c].class.as_str();
        let lrt_name = |l: usize| file.lrts[l].name.as_str();
        for (i, list) in explicit.iter().enumerate() {
            for &(j, c) in list {
                let at = format!("lrt[{i}].backing[{j}]");
                match claims.get(&c) {
                    Some((l, first)) if *l == i => self.issue(
                        &at,
                        format!(
                            "expected each class listed once, found \"{}\" again (as {first})",
                            class_name(c)
                        ),
                    ),
                    Some((l, first)) => self.issue(
                        &at,
                        format!(
                            "expected a class backing no other LRT (a class backs at most one), found \"{}\", which already backs \"{}\" ({first})",
                            class_name(c),
                            lrt_name(*l)
                        ),
                    ),
                    None => {
                        claims.insert(c, (i, at));
                        backing[i].push(c);
                    }
                }
            }
        }
        for &(c, i) in looped {
            let market = match &file.stakers[c].strategy {
                Some(StrategyFile::Loop { market, .. }) => market.as_str(),
                _ => "",
            };
            match claims.get(&c) {
                Some((l, _)) if *l == i => {}
                Some((l, first)) => self.issue(
                    &format!("staker[{c}].strategy.market"),
                    format!(
                        "expected a market taking the LRT this class backs (\"{}\", {first}) as collateral, since a class backs at most one LRT, found \"{market}\", whose collateral is \"{}\"",
                        lrt_name(*l),
                        lrt_name(i)
                    ),
                ),
                None => {
                    claims.insert(c, (i, format!("staker[{c}].strategy.market")));
                    backing[i].push(c);
                }
            }
        }
        let asset_of = |c: usize| names.assets.get(&file.stakers[c].asset);
        let mut out = Vec::new();
        for (i, mut classes) in backing.into_iter().enumerate() {
            if classes.is_empty() {
                self.issue(
                    &format!("lrt[{i}].backing"),
                    "expected at least one backing class (listed in backing, or a class with strategy kind = \"loop\" on a market taking this LRT as collateral), found none".into(),
                );
                out.push((None, classes));
                continue;
            }
            // The first backing class with a known asset sets the LRT's.
            let first = classes.iter().copied().find(|&c| asset_of(c).is_some());
            let asset = first.and_then(asset_of);
            if let (Some(first), Some(asset)) = (first, asset) {
                for &c in &classes {
                    let Some(other) = asset_of(c).filter(|&a| a != asset) else {
                        continue;
                    };
                    let (asset_name, other_name) =
                        (&file.assets[asset].name, &file.assets[other].name);
                    let (_, at) = &claims[&c];
                    if at.starts_with("staker[") {
                        self.issue(
                            &format!("staker[{c}].asset"),
                            format!(
                                "expected {asset_name}, the underlying of the LRT \"{}\" this class loops (its backing class \"{}\" stakes {asset_name}), found \"{other_name}\"",
                                lrt_name(i),
                                class_name(first)
                            ),
                        );
                    } else {
                        self.issue(
                            at,
                            format!(
                                "expected a class staking {asset_name}, as the LRT's backing class \"{}\" does (every backing class stakes the LRT's underlying), found \"{}\", which stakes {other_name}",
                                class_name(first),
                                class_name(c)
                            ),
                        );
                    }
                }
            }
            classes.sort_unstable();
            out.push((asset, classes));
        }
        out
    }

    /// `x` finite and in [0, 1); `what` says what it is. True if so.
    fn below_one(&mut self, path: &str, x: f64, what: &str) -> bool {
        if !self.finite(path, x) {
            return false;
        }
        if !(0.0..1.0).contains(&x) {
            self.issue(
                path,
                format!("expected a value in [0, 1) ({what}), found {}", fmt_num(x)),
            );
            return false;
        }
        true
    }

    /// `x` finite and in (0, 1). True if so.
    fn open_unit(&mut self, path: &str, x: f64) -> bool {
        if !self.finite(path, x) {
            return false;
        }
        if !(x > 0.0 && x < 1.0) {
            self.issue(
                path,
                format!("expected a value in (0, 1), found {}", fmt_num(x)),
            );
            return false;
        }
        true
    }
}

/// The classes with `strategy.kind = "loop"`, in file order.
fn loop_classes(file: &ScenarioFile) -> Vec<LoopFile<'_>> {
    (file.stakers.iter().enumerate())
        .filter_map(|(k, s)| match &s.strategy {
            Some(StrategyFile::Loop {
                market,
                leverage_min,
                leverage_max,
            }) => Some((k, market.as_str(), *leverage_min, *leverage_max)),
            _ => None,
        })
        .collect()
}

/// Steps a redemption at NAV waits (see the module doc): the LRT's queue,
/// ceil(`queue_days` / `step_days`), plus the longest `exit_delay_steps`
/// among the protocols its backing classes may allocate to.
fn redemption_steps(
    queue_days: u32,
    backing: &[usize],
    classes: &[Option<StakerClass>],
    protocols: &[Option<Protocol>],
    step_days: u32,
) -> u32 {
    let exit = (backing.iter())
        .filter_map(|&c| classes.get(c)?.as_ref())
        .flat_map(|c| candidate_protocols(c, protocols))
        .filter_map(|p| protocols.get(p)?.as_ref())
        .map(|p| p.exit_delay_steps)
        .max()
        .unwrap_or(0);
    queue_days.div_ceil(step_days.max(1)).saturating_add(exit)
}

/// The protocols a class may allocate to: its fixed allocation's, its
/// random allocation's candidates, and, for a yield-chasing class, every
/// protocol accepting its asset.
fn candidate_protocols(class: &StakerClass, protocols: &[Option<Protocol>]) -> Vec<usize> {
    let mut out: Vec<usize> = match &class.allocation {
        InitialAllocation::Fixed(pairs) => pairs.iter().map(|p| p.0).collect(),
        InitialAllocation::Random { among, .. } => among.clone(),
    };
    if matches!(class.strategy, Strategy::YieldChasing { .. }) {
        out.extend((protocols.iter().enumerate()).filter_map(|(p, protocol)| {
            protocol
                .as_ref()
                .filter(|protocol| protocol.assets.contains(&class.asset))
                .map(|_| p)
        }));
    }
    out
}

/// `x` with at most 6 decimals, trailing zeros dropped: 10.000000000000002
/// prints as 10.
fn short(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::Model;
    use crate::scenario::{Override, ScenarioError, parse};

    /// Three-day steps; `eigen-da` exits in 14 days (5 steps), `oracle` in
    /// 7 + 10 = 17 days (6 steps); `loopers` loop through `ezETH-ETH`
    /// without being listed in `ezETH`'s backing.
    const BASE: &str = r#"[run]
name = "defi"
horizon_days = 60
step_days = 3
paths = 10

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "eigen-da"
assets = ["ETH"]
apr = { curve = "constant", value = 0.04 }
withdrawal_days = 14

[[protocol]]
name = "oracle"
assets = ["ETH"]
apr = { curve = "constant", value = 0.03 }
withdrawal_days = 7
unbonding_days = 10

[[staker]]
class = "depositors"
count = 10
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { eigen-da = 1.0 }

[[staker]]
class = "loopers"
count = 10
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { eigen-da = 1.0 }
strategy = { kind = "loop", market = "ezETH-ETH", leverage_min = 2, leverage_max = 10 }

[[lrt]]
name = "ezETH"
backing = ["depositors"]
queue_days = 7
pool = { depth = 20000 }
arbitrage = { capital_per_day = 500 }

[[lending_market]]
name = "ezETH-ETH"
collateral = "ezETH"
ltv = 0.9
liquidation_threshold = 0.93
liquidation_bonus = 0.05
liquidity = 200000
oracle = "market"
rate = { slope1 = 0.035, slope2 = 0.8, kink = 0.9 }
"#;

    fn model_of(text: &str, overrides: &[&str]) -> Result<Model, ScenarioError> {
        let overrides: Vec<Override> = overrides
            .iter()
            .map(|o| Override::parse(o).unwrap())
            .collect();
        parse(text, Path::new("defi.toml"), &overrides).map(|(_, model)| model)
    }

    fn model(text: &str) -> Model {
        model_of(text, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn loop_classes_back_the_lrt_of_their_market() {
        let m = model(BASE);
        assert_eq!(m.lrts.len(), 1);
        assert_eq!(m.lrts[0].backing, vec![0, 1]);
        assert_eq!(m.lrts[0].asset, 0);
        assert_eq!(m.markets[0].lrt, 0);
        assert_eq!(
            m.classes[1].strategy,
            Strategy::Loop {
                market: 0,
                leverage_low: 2.0,
                leverage_high: 10.0,
            }
        );
        // Listed as well: counted once.
        let listed = BASE.replace(
            "backing = [\"depositors\"]",
            "backing = [\"loopers\", \"depositors\"]",
        );
        assert_eq!(model(&listed).lrts[0].backing, vec![0, 1]);
        // Backed by its loop class alone.
        let alone = BASE.replace("backing = [\"depositors\"]\n", "");
        assert_eq!(model(&alone).lrts[0].backing, vec![1]);
        // Without the loop strategy and unlisted, a class backs nothing.
        let unlooped = BASE.replace(
            "strategy = { kind = \"loop\", market = \"ezETH-ETH\", leverage_min = 2, leverage_max = 10 }\n",
            "",
        );
        assert_eq!(model(&unlooped).lrts[0].backing, vec![0]);
    }

    #[test]
    fn redemption_waits_the_queue_and_the_longest_exit_in_steps() {
        // ceil(7 / 3) = 3 steps of queue + eigen-da's ceil(14 / 3) = 5.
        assert_eq!(model(BASE).lrts[0].redemption_steps, 3 + 5);
        // A backing class that may pick oracle: its ceil(17 / 3) = 6 steps
        // (each delay is rounded on its own: 3 + 6, not ceil(24 / 3) = 8).
        let random = BASE.replacen(
            "allocate = { eigen-da = 1.0 }",
            "random_allocation = { min = 1, max = 1, among = [\"oracle\"] }",
            1,
        );
        assert_eq!(model(&random).lrts[0].redemption_steps, 3 + 6);
        // A random allocation without `among` may pick every protocol
        // accepting ETH.
        let any = BASE.replacen(
            "allocate = { eigen-da = 1.0 }",
            "random_allocation = { min = 1, max = 1 }",
            1,
        );
        assert_eq!(model(&any).lrts[0].redemption_steps, 3 + 6);
        // A yield chaser holding eigen-da may move to oracle.
        let chasing = BASE.replacen(
            "allocate = { eigen-da = 1.0 }",
            "allocate = { eigen-da = 1.0 }\nstrategy = { kind = \"yield_chasing\", probability = 0.1 }",
            1,
        );
        assert_eq!(model(&chasing).lrts[0].redemption_steps, 3 + 6);
        // No queue and no delays: redeemed at once.
        let instant = BASE
            .replace("queue_days = 7\n", "")
            .replace("withdrawal_days = 14\n", "");
        assert_eq!(model(&instant).lrts[0].redemption_steps, 0);
    }

    #[test]
    fn defaults_and_per_step_amounts() {
        let m = model(BASE);
        let lrt = &m.lrts[0];
        assert_eq!(lrt.fee, 0.10);
        assert_eq!(lrt.panic_sell_share, 0.0);
        assert_eq!(lrt.pool, Some(Pool { depth: 20000.0 }));
        // 500 a day in 3-day steps.
        assert_eq!(
            lrt.arbitrage,
            Arbitrage {
                capital_per_step: 1500.0,
                min_discount: 0.005,
            }
        );
        let market = &m.markets[0];
        assert_eq!(market.close_factor, 0.5);
        assert_eq!(market.oracle, Oracle::Market);
        assert_eq!(market.rate.base, 0.0);
        let bare = BASE
            .replace("pool = { depth = 20000 }\n", "")
            .replace("arbitrage = { capital_per_day = 500 }\n", "");
        let lrt = &model(&bare).lrts[0];
        assert_eq!(lrt.pool, None);
        assert_eq!(lrt.arbitrage.capital_per_step, 0.0);
    }

    #[test]
    fn overrides_reach_the_defi_tables() {
        let m = model_of(
            BASE,
            &[
                "lrt.*.pool.depth=100",
                "lending_market.0.oracle=nav",
                "lending_market.ezETH-ETH.ltv=0.8",
                "staker.loopers.strategy.leverage_max=5",
                "lrt.ezETH.queue_days=0",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.lrts[0].pool, Some(Pool { depth: 100.0 }));
        assert_eq!(m.lrts[0].redemption_steps, 5);
        assert_eq!(m.markets[0].oracle, Oracle::Nav);
        assert_eq!(m.markets[0].ltv, 0.8);
        assert!(matches!(
            m.classes[1].strategy,
            Strategy::Loop {
                leverage_high: 5.0,
                ..
            }
        ));
        // ltv 0.8 loops to 5× at most: leverage_max = 10 is now too high.
        let err = model_of(BASE, &["lending_market.0.ltv=0.8"]).unwrap_err();
        let problems = err.problems();
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(problems[0].key_path, "staker[1].strategy.leverage_max");
        assert!(
            problems[0]
                .message
                .starts_with("expected at most 5, the leverage of a full loop"),
            "{err}"
        );
    }

    #[test]
    fn a_full_loop_is_allowed_despite_rounding() {
        // 1 / (1 − 0.9) is 10.000000000000002 in floating point; 1 / (1 −
        // 0.7) is 3.333…: leverage_max at the full loop is valid.
        let m = model(BASE);
        assert_eq!(
            m.classes[1].strategy,
            Strategy::Loop {
                market: 0,
                leverage_low: 2.0,
                leverage_high: 10.0,
            }
        );
        let ltv = BASE
            .replace("ltv = 0.9", "ltv = 0.7")
            .replace("leverage_max = 10", "leverage_max = 3.3333333333333335");
        model(&ltv);
    }

    #[test]
    fn the_defi_tables_round_trip_through_toml() {
        let (file, model) = parse(BASE, Path::new("defi.toml"), &[]).unwrap();
        let text = toml::to_string(&file).unwrap();
        let (again, model_again) =
            parse(&text, Path::new("again.toml"), &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again, file);
        assert_eq!(model_again, model);
    }

    #[test]
    fn defi_issues_come_after_the_others() {
        // The DeFi tables written first, before [run].
        let at = BASE.find("[[lrt]]").unwrap();
        let text = format!("{}{}", &BASE[at..], &BASE[..at])
            .replace("queue_days = 7", "queue_days = 7\nfee = 1")
            .replace("count = 10", "count = 0")
            .replace("collateral = \"ezETH\"", "collateral = \"ezETh\"");
        let file: ScenarioFile = toml::from_str(&text).unwrap();
        let issues = crate::scenario::build::build(&file).unwrap_err();
        let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
        // An unknown collateral leaves the loop class no LRT to back:
        // nothing more is reported about it.
        assert_eq!(
            paths,
            [
                "staker[0].count",
                "staker[1].count",
                "lrt[0].fee",
                "lending_market[0].collateral"
            ]
        );
        assert_eq!(
            issues[3].message,
            "expected the name of a defined LRT (ezETH), found \"ezETh\"; did you mean \"ezETH\"?"
        );
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(full_loop_leverage(0.9)), "10");
        assert_eq!(short(1.0 / 3.0), "0.333333");
        assert_eq!(short(1.007), "1.007");
    }
}
