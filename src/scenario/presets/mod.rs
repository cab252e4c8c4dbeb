//! Named stress presets: each one a transformation of a scenario's file
//! shape, so the stressed scenario is validated like any other.

use std::collections::BTreeSet;

mod collapse;

pub use collapse::largest_operators;
use collapse::operator_collapse;

use super::file::{
    FaultFile, LrtPriceMoveFile, PriceMoveFile, ScenarioFile, SeverityFile, ShockFile,
};

/// The presets, with what each does, in the order `all` runs them.
pub const PRESETS: [(&str, &str); 11] = [
    (
        "slash-x10",
        "every slashing hazard × 10 (protocol slashing, operator faults, slashing shocks)",
    ),
    (
        "severity-x3",
        "every slashing severity × 3, capped at 1 (beta: mean × 3, same concentration)",
    ),
    (
        "correlated",
        "all protocol slashing in one shock group firing at the protocols' mean hazard",
    ),
    (
        "eth-crash",
        "ETH and ETH-denominated assets −50 % on day 30",
    ),
    (
        "btc-crash",
        "BTC and BTC-denominated assets −50 % on day 30",
    ),
    (
        "reward-token-crash",
        "reward assets that no class stakes −80 % on day 30",
    ),
    (
        "bank-run",
        "unbonding and withdrawal delays × 2, and half of every class's stakers exit on day 30",
    ),
    (
        "lrt-depeg",
        "every LRT's pool price −30 % on day 30 (NAV unchanged)",
    ),
    (
        "liquidity-crunch",
        "every LRT's pool depth and arbitrage capital ÷ 10, its queue × 2",
    ),
    (
        "operator-collapse",
        "the largest operators, holding a third of the delegated stake, slashed 50 % in every protocol they serve on day 30",
    ),
    ("combined", "every preset above that applies, at once"),
];

/// Day the scheduled presets strike.
pub const STRESS_DAY: u32 = 30;

/// Expands `all` and checks names; keeps the order given, without repeats.
pub fn expand(names: &[String]) -> Result<Vec<&'static str>, String> {
    let mut out: Vec<&'static str> = Vec::new();
    for name in names {
        let picked: Vec<&'static str> = if name == "all" {
            PRESETS.iter().map(|p| p.0).collect()
        } else {
            let found = PRESETS.iter().find(|p| p.0 == name).ok_or_else(|| {
                format!(
                    "unknown preset \"{name}\"; known: {}, all",
                    PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                )
            })?;
            vec![found.0]
        };
        for p in picked {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Applies preset `name` to `file`. An error says why it does not apply
/// (e.g. no ETH asset for `eth-crash`).
pub fn apply(file: &mut ScenarioFile, name: &str) -> Result<(), String> {
    match name {
        "slash-x10" => slash_x10(file),
        "severity-x3" => {
            for_each_severity(file, |s| *s = scale_severity(s, 3.0));
            Ok(())
        }
        "correlated" => correlated(file),
        "eth-crash" => crash(file, "ETH", -0.5, name),
        "btc-crash" => crash(file, "BTC", -0.5, name),
        "reward-token-crash" => reward_token_crash(file),
        "bank-run" => bank_run(file),
        "lrt-depeg" => lrt_depeg(file),
        "liquidity-crunch" => liquidity_crunch(file),
        "operator-collapse" => operator_collapse(file),
        "combined" => {
            let mut applied = 0;
            for (p, _) in PRESETS.iter().filter(|p| p.0 != "combined") {
                if apply(file, p).is_ok() {
                    applied += 1;
                }
            }
            if applied == 0 {
                return Err("no preset applies to this scenario".into());
            }
            Ok(())
        }
        other => Err(format!("unknown preset \"{other}\"")),
    }
}

/// Probability of at least one event when the hazard is multiplied by `k`.
fn scale_probability(p: f64, k: f64) -> f64 {
    1.0 - (1.0 - p).powf(k)
}

fn scale_frequency(
    yearly_probability: &mut Option<f64>,
    yearly_rate: &mut Option<f64>,
    daily_probability: &mut Option<f64>,
    k: f64,
) {
    if let Some(p) = yearly_probability {
        *p = scale_probability(*p, k);
    }
    if let Some(r) = yearly_rate {
        *r *= k;
    }
    if let Some(q) = daily_probability {
        *q = scale_probability(*q, k);
    }
}

/// Names of shocks that slash (some protocol lists them, or they name operators).
fn slashing_shocks(file: &ScenarioFile) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = file
        .protocols
        .iter()
        .filter_map(|p| p.slashing.as_ref())
        .flat_map(|s| s.shock_groups.iter().cloned())
        .collect();
    names.extend(
        file.shocks
            .iter()
            .filter(|s| !s.operators.is_empty())
            .map(|s| s.name.clone()),
    );
    names
}

fn slash_x10(file: &mut ScenarioFile) -> Result<(), String> {
    let shocks = slashing_shocks(file);
    for p in &mut file.protocols {
        if let Some(s) = &mut p.slashing {
            scale_frequency(
                &mut s.yearly_probability,
                &mut s.yearly_rate,
                &mut s.daily_probability,
                10.0,
            );
        }
    }
    for o in &mut file.operators {
        if let Some(FaultFile {
            yearly_probability,
            yearly_rate,
            daily_probability,
            ..
        }) = &mut o.fault
        {
            scale_frequency(yearly_probability, yearly_rate, daily_probability, 10.0);
        }
    }
    for s in file.shocks.iter_mut().filter(|s| shocks.contains(&s.name)) {
        scale_frequency(
            &mut s.yearly_probability,
            &mut s.yearly_rate,
            &mut s.daily_probability,
            10.0,
        );
    }
    Ok(())
}

fn for_each_severity(file: &mut ScenarioFile, mut f: impl FnMut(&mut SeverityFile)) {
    for p in &mut file.protocols {
        if let Some(s) = p.slashing.as_mut().and_then(|s| s.severity.as_mut()) {
            f(s);
        }
    }
    for o in &mut file.operators {
        if let Some(s) = o.fault.as_mut().and_then(|f| f.severity.as_mut()) {
            f(s);
        }
    }
    for s in &mut file.shocks {
        if let Some(s) = s.severity.as_mut() {
            f(s);
        }
    }
}

/// A severity `k` times as hard, capped at 1. A beta keeps its
/// concentration α + β and moves its mean to min(k·mean, 1).
pub fn scale_severity(s: &SeverityFile, k: f64) -> SeverityFile {
    match *s {
        SeverityFile::Fixed { value } => SeverityFile::Fixed {
            value: (value * k).min(1.0),
        },
        SeverityFile::Uniform { low, high } => SeverityFile::Uniform {
            low: (low * k).min(1.0),
            high: (high * k).min(1.0),
        },
        SeverityFile::Beta { alpha, beta } => {
            let concentration = alpha + beta;
            let mean = (alpha / concentration * k).min(1.0);
            if mean >= 1.0 {
                SeverityFile::Fixed { value: 1.0 }
            } else {
                SeverityFile::Beta {
                    alpha: mean * concentration,
                    beta: (1.0 - mean) * concentration,
                }
            }
        }
    }
}

/// Yearly hazard of a frequency given in any of its three forms.
fn yearly_hazard(yp: Option<f64>, rate: Option<f64>, dp: Option<f64>) -> Option<f64> {
    if let Some(p) = yp {
        return Some(-(1.0 - p.min(1.0 - 1e-12)).ln());
    }
    if let Some(r) = rate {
        return Some(r);
    }
    dp.map(|q| -(1.0 - q.min(1.0 - 1e-12)).ln() * 365.0)
}

fn unique_shock_name(file: &ScenarioFile, base: &str) -> String {
    let mut name = base.to_string();
    let mut k = 2;
    while file.shocks.iter().any(|s| s.name == name) {
        name = format!("{base}-{k}");
        k += 1;
    }
    name
}

fn scheduled_shock(name: String) -> ShockFile {
    ShockFile {
        name,
        yearly_probability: None,
        yearly_rate: None,
        daily_probability: None,
        day: Some(STRESS_DAY),
        severity: None,
        operators: Vec::new(),
        price: Vec::new(),
        lrt_price: Vec::new(),
        exit_fraction: 0.0,
    }
}

fn correlated(file: &mut ScenarioFile) -> Result<(), String> {
    let hazards: Vec<f64> = file
        .protocols
        .iter()
        .filter_map(|p| p.slashing.as_ref())
        .filter(|s| s.severity.is_some())
        .filter_map(|s| yearly_hazard(s.yearly_probability, s.yearly_rate, s.daily_probability))
        .collect();
    if hazards.is_empty() {
        return Err("no protocol slashes on its own".into());
    }
    let mean = hazards.iter().sum::<f64>() / hazards.len() as f64;
    let name = unique_shock_name(file, "stress-correlated");
    for p in &mut file.protocols {
        if let Some(s) = &mut p.slashing
            && s.severity.is_some()
        {
            s.yearly_probability = None;
            s.yearly_rate = None;
            s.daily_probability = None;
            s.shock_groups.push(name.clone());
        }
    }
    let mut shock = scheduled_shock(name);
    shock.day = None;
    shock.yearly_rate = Some(mean);
    file.shocks.push(shock);
    Ok(())
}

fn crash(file: &mut ScenarioFile, ticker: &str, change: f64, preset: &str) -> Result<(), String> {
    check_horizon(file)?;
    let hit: Vec<String> = file
        .assets
        .iter()
        .filter(|a| a.name.to_uppercase().contains(ticker))
        .map(|a| a.name.clone())
        .collect();
    if hit.is_empty() {
        return Err(format!("no asset named like {ticker}"));
    }
    let mut shock = scheduled_shock(unique_shock_name(file, &format!("stress-{preset}")));
    shock.price = hit
        .into_iter()
        .map(|asset| PriceMoveFile { asset, change })
        .collect();
    file.shocks.push(shock);
    Ok(())
}

fn check_horizon(file: &ScenarioFile) -> Result<(), String> {
    if file.run.horizon_days <= STRESS_DAY {
        return Err(format!(
            "the horizon ({} days) ends before day {STRESS_DAY}",
            file.run.horizon_days
        ));
    }
    Ok(())
}

fn reward_token_crash(file: &mut ScenarioFile) -> Result<(), String> {
    check_horizon(file)?;
    let staked: BTreeSet<&str> = file.stakers.iter().map(|s| s.asset.as_str()).collect();
    let tokens: BTreeSet<String> = file
        .protocols
        .iter()
        .filter_map(|p| p.reward_asset.clone())
        .filter(|a| !staked.contains(a.as_str()))
        .collect();
    if tokens.is_empty() {
        return Err("no protocol pays in a reward token that no class stakes".into());
    }
    let mut shock = scheduled_shock(unique_shock_name(file, "stress-reward-token-crash"));
    shock.price = tokens
        .into_iter()
        .map(|asset| PriceMoveFile {
            asset,
            change: -0.8,
        })
        .collect();
    file.shocks.push(shock);
    Ok(())
}

fn bank_run(file: &mut ScenarioFile) -> Result<(), String> {
    check_horizon(file)?;
    for p in &mut file.protocols {
        p.unbonding_days = p.unbonding_days.saturating_mul(2);
        p.withdrawal_days = p.withdrawal_days.saturating_mul(2);
    }
    let mut shock = scheduled_shock(unique_shock_name(file, "stress-bank-run"));
    shock.exit_fraction = 0.5;
    file.shocks.push(shock);
    Ok(())
}

/// Relative change of every LRT's pool price in `lrt-depeg`.
const DEPEG: f64 = -0.3;

/// Divisor of every LRT's pool depth and arbitrage capital in
/// `liquidity-crunch` (its queue is multiplied by [`CRUNCH_QUEUE`]).
const CRUNCH: f64 = 10.0;

/// Factor on every LRT's `queue_days` in `liquidity-crunch`.
const CRUNCH_QUEUE: u32 = 2;

/// A new shock on day 30 moving every LRT's pool price −30 % (the NAV does
/// not move). An LRT without a pool is listed too, but an infinitely deep
/// pool cannot move; if no LRT has a pool, the preset does not apply.
fn lrt_depeg(file: &mut ScenarioFile) -> Result<(), String> {
    if file.lrts.is_empty() {
        return Err("no [[lrt]] to depeg".into());
    }
    if file.lrts.iter().all(|l| l.pool.is_none()) {
        return Err("no [[lrt]] has a pool (an infinitely deep pool cannot depeg)".into());
    }
    check_horizon(file)?;
    let mut shock = scheduled_shock(unique_shock_name(file, "stress-lrt-depeg"));
    shock.lrt_price = file
        .lrts
        .iter()
        .map(|l| LrtPriceMoveFile {
            lrt: l.name.clone(),
            change: DEPEG,
        })
        .collect();
    file.shocks.push(shock);
    Ok(())
}

/// Liquidity dries up for every LRT: its pool is a tenth as deep, its
/// arbitrageurs have a tenth of the capital (they are the liquidity that
/// pulls the price back), and its own withdrawal queue is twice as long.
/// Does not apply when no LRT has a pool, arbitrage capital or a queue.
fn liquidity_crunch(file: &mut ScenarioFile) -> Result<(), String> {
    if file.lrts.is_empty() {
        return Err("no [[lrt]] to crunch".into());
    }
    let any = file.lrts.iter().any(|l| {
        l.pool.is_some()
            || l.queue_days > 0
            || l.arbitrage
                .as_ref()
                .is_some_and(|a| a.capital_per_day > 0.0)
    });
    if !any {
        return Err(
            "no [[lrt]] has a pool, arbitrage capital or a queue (every pool is infinitely deep)"
                .into(),
        );
    }
    for l in &mut file.lrts {
        if let Some(pool) = &mut l.pool {
            pool.depth /= CRUNCH;
        }
        if let Some(a) = &mut l.arbitrage {
            a.capital_per_day /= CRUNCH;
        }
        l.queue_days = l.queue_days.saturating_mul(CRUNCH_QUEUE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_expands_to_every_preset_once() {
        let names = expand(&["slash-x10".into(), "all".into()]).unwrap();
        assert_eq!(names.len(), PRESETS.len());
        assert_eq!(names[0], "slash-x10");
        assert!(expand(&["nope".into()]).is_err());
    }

    #[test]
    fn severities_scale_and_cap() {
        let beta = scale_severity(
            &SeverityFile::Beta {
                alpha: 2.0,
                beta: 18.0,
            },
            3.0,
        );
        let SeverityFile::Beta { alpha, beta } = beta else {
            panic!("still a beta")
        };
        assert!((alpha / (alpha + beta) - 0.3).abs() < 1e-12);
        assert!((alpha + beta - 20.0).abs() < 1e-12);
        assert_eq!(
            scale_severity(&SeverityFile::Fixed { value: 0.5 }, 3.0),
            SeverityFile::Fixed { value: 1.0 }
        );
    }

    /// A scenario with two LRTs, `ezETH` in a pool with arbitrage and a
    /// queue, `inf` infinitely deep, and `extra` appended.
    fn with_lrts(extra: &str) -> ScenarioFile {
        file_of(&format!(
            r#"
[run]
name = "lrts"
horizon_days = 60
paths = 10

[[asset]]
name = "ETH"
price_usd = 3000

[[protocol]]
name = "p"
assets = ["ETH"]
apr = {{ curve = "constant", value = 0.04 }}
unbonding_days = 7

[[staker]]
class = "a"
count = 10
asset = "ETH"
stake = {{ dist = "fixed", value = 10 }}
allocate = {{ p = 1.0 }}

[[staker]]
class = "b"
count = 10
asset = "ETH"
stake = {{ dist = "fixed", value = 10 }}
allocate = {{ p = 1.0 }}

[[lrt]]
name = "ezETH"
backing = ["a"]
queue_days = 7
pool = {{ depth = 4000 }}
arbitrage = {{ capital_per_day = 150, min_discount = 0.01 }}

[[lrt]]
name = "inf"
backing = ["b"]
{extra}
"#
        ))
    }

    pub(super) fn file_of(text: &str) -> ScenarioFile {
        toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// The model of a stressed file (it must still be valid).
    pub(super) fn build(file: &ScenarioFile) -> crate::model::Model {
        let text = toml::to_string(file).unwrap();
        crate::scenario::parse(&text, std::path::Path::new("stressed.toml"), &[])
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .1
    }

    /// The shipped scenarios' files, by name.
    pub(super) fn shipped() -> Vec<(String, ScenarioFile)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p.display().to_string(), file_of(&text))
            })
            .collect()
    }

    #[test]
    fn lrt_depeg_adds_a_day_30_shock_moving_every_lrt_pool_30_percent_down() {
        let mut file = with_lrts("");
        let before = file.clone();
        apply(&mut file, "lrt-depeg").unwrap();
        assert_eq!(file.shocks.len(), 1);
        let shock = &file.shocks[0];
        assert_eq!(shock.name, "stress-lrt-depeg");
        assert_eq!(shock.day, Some(STRESS_DAY));
        assert_eq!(
            shock.lrt_price,
            [
                LrtPriceMoveFile {
                    lrt: "ezETH".into(),
                    change: -0.3
                },
                LrtPriceMoveFile {
                    lrt: "inf".into(),
                    change: -0.3
                }
            ]
        );
        assert!(shock.price.is_empty() && shock.exit_fraction == 0.0);
        assert!(shock.severity.is_none() && shock.operators.is_empty());
        // Nothing else changes; the stressed file is valid.
        assert_eq!(file.lrts, before.lrts);
        let model = build(&file);
        assert_eq!(model.shocks[0].lrt_moves, [(0, -0.3), (1, -0.3)]);
        assert!(model.shocks[0].protocols.is_empty());
        // A second depeg gets a name of its own.
        apply(&mut file, "lrt-depeg").unwrap();
        assert_eq!(file.shocks[1].name, "stress-lrt-depeg-2");
    }

    /// `preset` does not apply to `file`, says `why`, and leaves it as it was.
    pub(super) fn refused(mut file: ScenarioFile, preset: &str, why: &str) {
        let before = file.clone();
        assert_eq!(apply(&mut file, preset), Err(why.to_string()));
        assert_eq!(file, before);
    }

    #[test]
    fn lrt_depeg_does_not_apply_without_a_pool_or_before_day_30() {
        let mut none = with_lrts("");
        none.lrts.clear();
        refused(none, "lrt-depeg", "no [[lrt]] to depeg");
        let mut unpooled = with_lrts("");
        unpooled.lrts[0].pool = None;
        refused(
            unpooled,
            "lrt-depeg",
            "no [[lrt]] has a pool (an infinitely deep pool cannot depeg)",
        );
        let mut short = with_lrts("");
        short.run.horizon_days = 30;
        refused(
            short,
            "lrt-depeg",
            "the horizon (30 days) ends before day 30",
        );
    }

    #[test]
    fn liquidity_crunch_thins_every_pool_and_arbitrage_tenfold_and_doubles_the_queue() {
        let mut file = with_lrts("queue_days = 3\narbitrage = { capital_per_day = 0 }");
        let before = file.clone();
        apply(&mut file, "liquidity-crunch").unwrap();
        let (a, b) = (&file.lrts[0], &file.lrts[1]);
        assert_eq!(a.pool.as_ref().unwrap().depth, 400.0);
        let arb = a.arbitrage.as_ref().unwrap();
        assert_eq!((arb.capital_per_day, arb.min_discount), (15.0, 0.01));
        assert_eq!(a.queue_days, 14);
        // An infinitely deep pool stays so; no capital stays none.
        assert_eq!(b.pool, None);
        assert_eq!(b.arbitrage.as_ref().unwrap().capital_per_day, 0.0);
        assert_eq!(b.queue_days, 6);
        // Nothing else changes; the stressed file is valid.
        assert_eq!(file.shocks, before.shocks);
        assert_eq!(file.protocols, before.protocols);
        let (stressed, base) = (build(&file), build(&before));
        assert_eq!(stressed.lrts[0].pool.unwrap().depth, 400.0);
        assert_eq!(stressed.lrts[0].arbitrage.capital_per_step, 15.0);
        // The redemption delay grows by the 7 extra queue days.
        assert_eq!(
            stressed.lrts[0].redemption_steps,
            base.lrts[0].redemption_steps + 7
        );
    }

    #[test]
    fn liquidity_crunch_does_not_apply_when_there_is_nothing_to_tighten() {
        let mut none = with_lrts("");
        none.lrts.clear();
        refused(none, "liquidity-crunch", "no [[lrt]] to crunch");
        let mut deep = with_lrts("");
        deep.lrts.remove(0);
        refused(
            deep,
            "liquidity-crunch",
            "no [[lrt]] has a pool, arbitrage capital or a queue (every pool is infinitely deep)",
        );
    }

    #[test]
    fn combined_includes_the_lrt_presets_where_there_are_lrts() {
        let mut file = with_lrts("");
        apply(&mut file, "combined").unwrap();
        let depeg = file
            .shocks
            .iter()
            .find(|s| s.name == "stress-lrt-depeg")
            .expect("the depeg shock");
        assert_eq!(depeg.lrt_price.len(), 2);
        assert_eq!(file.lrts[0].pool.as_ref().unwrap().depth, 400.0);
        assert_eq!(file.lrts[0].queue_days, 14);
        build(&file);
    }

    #[test]
    fn the_lrt_presets_leave_scenarios_without_lrts_and_their_combined_stress_as_they_were() {
        // Every preset but the two LRT ones (and `combined` itself).
        let older: Vec<&str> = PRESETS
            .iter()
            .map(|p| p.0)
            .filter(|&p| !["lrt-depeg", "liquidity-crunch", "combined"].contains(&p))
            .collect();
        assert_eq!(older.len(), 8);
        let mut without_lrts = 0;
        for (name, file) in shipped() {
            if !file.lrts.is_empty() {
                continue;
            }
            without_lrts += 1;
            refused(file.clone(), "lrt-depeg", "no [[lrt]] to depeg");
            refused(file.clone(), "liquidity-crunch", "no [[lrt]] to crunch");
            // `combined` is the other presets that apply, in their order.
            let mut combined = file.clone();
            let mut older_only = file.clone();
            apply(&mut combined, "combined").unwrap();
            for p in &older {
                let _ = apply(&mut older_only, p);
            }
            assert_eq!(combined, older_only, "{name}");
        }
        assert!(without_lrts >= 5);
    }

    #[test]
    fn hazard_scaling_keeps_probabilities_below_one() {
        assert!((scale_probability(0.01, 10.0) - (1.0 - 0.99f64.powi(10))).abs() < 1e-15);
        assert!(scale_probability(0.5, 10.0) < 1.0);
    }
}
