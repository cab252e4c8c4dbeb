//! `security`: the static security analysis of a scenario's operator–service
//! network at t = 0 (path 0's stakes) — who can attack which services at
//! what cost, the network's slack γ, the per-operator sufficient condition,
//! and the worst cascade after shocks of each size ψ — written as
//! `security.csv`, `network.csv`, `cascade.csv` and `manifest.json` into a
//! folder that appears whole.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::InvalidArgument;
use super::format::{percent, thousands, usd};
use crate::cli::SecurityArgs;
use crate::engine::initial_network;
use crate::export::csv_files::records_to_csv;
use crate::export::{ExportError, RunFolder, claim};
use crate::report::security_charts::{CASCADE_STEM, CascadePoint, cascade_chart};
use crate::scenario::{self, LoadedScenario};
use crate::security::{self, Analysis, Attack, Network};

/// Shock sizes analysed when `--shock` is not given.
pub const DEFAULT_SHOCKS: [f64; 4] = [0.001, 0.01, 0.05, 0.1];

/// The files of a security folder (`cascade.png` too with `--charts`).
pub const OUTPUT_FILES: [&str; 4] = [
    "security.csv",
    "network.csv",
    "cascade.csv",
    "manifest.json",
];

/// Columns of `security.csv`.
pub const SECURITY_COLUMNS: [&str; 14] = [
    "service",
    "profit_usd",
    "threshold",
    "stake_behind_usd",
    "needed_usd",
    "undelegated_usd",
    "attackable",
    "profitable",
    "cheapest_coalition",
    "attacked_with",
    "attack_cost_usd",
    "attack_profit_usd",
    "cost_to_profit",
    "method",
];

/// Columns of `network.csv`.
pub const NETWORK_COLUMNS: [&str; 12] = [
    "total_stake_usd",
    "services",
    "operators",
    "secure",
    "slack",
    "cheapest_attack_services",
    "cheapest_attack_coalition",
    "condition_holds",
    "condition_holds_with_slack",
    "condition_certified_slack",
    "condition_binding_operator",
    "method",
];

/// Columns of `cascade.csv`.
pub const CASCADE_COLUMNS: [&str; 10] = [
    "psi",
    "shocked_operators",
    "shocked_usd",
    "attacks",
    "attacked_services",
    "worst_loss_usd",
    "worst_loss_fraction",
    "bound_fraction",
    "proved_worst",
    "method",
];

/// `manifest.json` of a security folder: what was analysed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityManifest {
    /// Scenario name.
    pub name: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied, in order.
    pub overrides: Vec<String>,
    /// Seed (path 0 of it draws the stakes analysed).
    pub seed: u64,
    /// The shock sizes ψ analysed, ascending.
    pub shocks: Vec<f64>,
    /// How attacks were searched: `exact` or `heuristic`.
    pub method: String,
    /// restake-sim version.
    pub version: String,
    /// Files written.
    pub outputs: Vec<String>,
}

/// Analyses the scenario's network and writes the security folder.
pub fn security(args: &SecurityArgs) -> anyhow::Result<ExitCode> {
    let overrides = super::overrides(&args.scenario_args)?;
    let shocks = parse_shocks(&args.shocks)?;
    let loaded = scenario::load(&args.scenario, &overrides)?;
    if loaded
        .model
        .protocols
        .iter()
        .all(|p| p.corruption.is_none())
    {
        return Err(InvalidArgument(format!(
            "{}: no protocol has a `corruption` table, so nothing can be attacked; add `corruption = {{ profit_usd = …, threshold = … }}` to the protocols to analyse (see docs/scenario-format.md, \"Attack model\")",
            args.scenario.display()
        ))
        .into());
    }
    let folder = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-security", loaded.model.run.name)));
    let _claim = claim(&folder).with_context(|| format!("cannot write {}", folder.display()))?;
    let analysis = security::analyse(initial_network(&loaded.model), &shocks);
    let done = write_folder(&loaded, &analysis, &shocks, &folder, args.charts)?;
    if args.quiet {
        crate::sayln!("{}", done.display());
    } else {
        crate::say!("{}", summary(&loaded, &analysis, &done));
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--shock` values: numbers in (0, 1], comma-separated, ascending
/// without repeats; the defaults when none is given.
pub fn parse_shocks(specs: &[String]) -> Result<Vec<f64>, InvalidArgument> {
    let mut shocks = Vec::new();
    for part in specs.iter().flat_map(|s| s.split(',')) {
        let text = part.trim();
        let psi: f64 = text.parse().map_err(|_| {
            InvalidArgument(format!(
                "--shock: expected numbers in (0, 1] separated by commas, found \"{text}\""
            ))
        })?;
        if !(psi > 0.0 && psi <= 1.0) {
            return Err(InvalidArgument(format!(
                "--shock: a shock is a fraction of all stake in (0, 1], found {text}"
            )));
        }
        shocks.push(psi);
    }
    if shocks.is_empty() {
        shocks.extend(DEFAULT_SHOCKS);
    }
    shocks.sort_by(f64::total_cmp);
    shocks.dedup();
    Ok(shocks)
}

/// Writes the folder (all or nothing), with `cascade.png` when `charts`.
fn write_folder(
    loaded: &LoadedScenario,
    analysis: &Analysis,
    shocks: &[f64],
    folder: &Path,
    charts: bool,
) -> anyhow::Result<PathBuf> {
    let out = RunFolder::create(folder).map_err(anyhow::Error::from)?;
    out.write("security.csv", &security_csv(analysis)?)?;
    out.write("network.csv", &network_csv(analysis)?)?;
    out.write("cascade.csv", &cascade_csv(analysis)?)?;
    let mut outputs: Vec<String> = OUTPUT_FILES.iter().map(|f| f.to_string()).collect();
    if charts {
        let png = cascade_chart(&loaded.model.run.name, &cascade_points(analysis))
            .png()
            .context("cannot draw the cascade chart")?;
        let name = format!("{CASCADE_STEM}.png");
        out.write(&name, &png)?;
        outputs.push(name);
    }
    let manifest = SecurityManifest {
        name: loaded.model.run.name.clone(),
        scenario_file: loaded.path.display().to_string(),
        scenario_sha256: loaded.sha256.clone(),
        overrides: loaded.overrides.clone(),
        seed: loaded.model.run.seed,
        shocks: shocks.to_vec(),
        method: analysis.method.name().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        outputs,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(ExportError::from)?;
    json.push(b'\n');
    out.write("manifest.json", &json)?;
    Ok(out.commit()?)
}

/// A number as the CSV files write it (`inf` for +∞).
fn num(x: f64) -> String {
    x.to_string()
}

/// Operator names joined by `+`.
fn operator_names(net: &Network, operators: &[usize]) -> String {
    operators
        .iter()
        .map(|&o| net.operators[o].name.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// The names of the services of an attack joined by `+`.
fn service_names(net: &Network, attack: &Attack) -> String {
    attack
        .service_list()
        .iter()
        .map(|&s| net.services[s].name.as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// Per service: whether every operator together holds its threshold of
/// the stake behind it (some coalition can attack it at all).
fn attackable(net: &Network) -> Vec<bool> {
    let held: Vec<f64> = (0..net.service_count())
        .map(|s| {
            (0..net.operator_count())
                .map(|o| net.exposure(o, s))
                .fold(0.0, |a, b| a + b)
        })
        .collect();
    let set = net.attackable(&held, &net.needed());
    (0..net.service_count())
        .map(|s| set & (1 << s) != 0)
        .collect()
}

/// `security.csv`: one row per service, in scenario order.
pub fn security_csv(analysis: &Analysis) -> Result<Vec<u8>, ExportError> {
    let net = &analysis.network;
    let open = attackable(net);
    let rows: Vec<Vec<String>> = net
        .services
        .iter()
        .enumerate()
        .map(|(s, service)| {
            let behind = net.stake_behind(s);
            let best = analysis.tally.per_service[s].as_ref();
            let mut row = vec![
                service.name.clone(),
                num(service.profit),
                num(service.threshold),
                num(behind),
                num(service.threshold * behind),
                num(service.honest),
                open[s].to_string(),
                best.is_some_and(Attack::pays).to_string(),
            ];
            match best {
                Some(a) => row.extend([
                    operator_names(net, &a.coalition),
                    service_names(net, a),
                    num(a.cost),
                    num(a.profit),
                    num(a.ratio()),
                ]),
                None => row.extend((0..5).map(|_| String::new())),
            }
            row.push(analysis.method.name().to_string());
            row
        })
        .collect();
    records_to_csv("security.csv", &header(&SECURITY_COLUMNS), &rows)
}

/// Whether the per-operator condition holds at the network's own slack
/// (false when γ is infinite or negative).
fn holds_with_slack(analysis: &Analysis) -> bool {
    let gamma = analysis.slack();
    gamma.is_finite() && gamma >= 0.0 && analysis.condition.holds_with(gamma)
}

/// `network.csv`: one row for the whole network.
pub fn network_csv(analysis: &Analysis) -> Result<Vec<u8>, ExportError> {
    let net = &analysis.network;
    let cheapest = analysis.tally.cheapest.as_ref();
    let condition = &analysis.condition;
    let row = vec![
        num(net.total_stake()),
        net.service_count().to_string(),
        net.operator_count().to_string(),
        analysis.secure().to_string(),
        num(analysis.slack()),
        cheapest.map_or_else(String::new, |a| service_names(net, a)),
        cheapest.map_or_else(String::new, |a| operator_names(net, &a.coalition)),
        condition.holds_with(0.0).to_string(),
        holds_with_slack(analysis).to_string(),
        num(condition.certified_slack),
        condition
            .binding_operator
            .map_or_else(String::new, |o| net.operators[o].name.clone()),
        analysis.method.name().to_string(),
    ];
    records_to_csv("network.csv", &header(&NETWORK_COLUMNS), &[row])
}

/// The services attacked in a cascade, in the order the attacks came.
fn cascade_services(net: &Network, attacks: &[Attack]) -> String {
    attacks
        .iter()
        .map(|a| service_names(net, a))
        .collect::<Vec<_>>()
        .join("+")
}

/// `cascade.csv`: one row per shock size, ascending.
pub fn cascade_csv(analysis: &Analysis) -> Result<Vec<u8>, ExportError> {
    let net = &analysis.network;
    let rows: Vec<Vec<String>> = analysis
        .cascades
        .iter()
        .map(|c| {
            vec![
                num(c.psi),
                operator_names(net, &c.shocked),
                num(c.shocked_stake),
                c.attacks.len().to_string(),
                cascade_services(net, &c.attacks),
                num(c.lost),
                num(c.lost_fraction),
                analysis.bound(c.psi).map_or_else(String::new, num),
                c.proved_worst.to_string(),
                c.method.name().to_string(),
            ]
        })
        .collect();
    records_to_csv("cascade.csv", &header(&CASCADE_COLUMNS), &rows)
}

fn header(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

/// The points of the cascade chart.
fn cascade_points(analysis: &Analysis) -> Vec<CascadePoint> {
    analysis
        .cascades
        .iter()
        .map(|c| CascadePoint {
            psi: c.psi,
            loss_fraction: c.lost_fraction,
            bound: analysis.bound(c.psi),
        })
        .collect()
}

/// γ for people: `∞`, or three decimals.
fn gamma_text(gamma: f64) -> String {
    if gamma == f64::INFINITY {
        "∞".into()
    } else if gamma == f64::NEG_INFINITY {
        "-∞".into()
    } else {
        format!("{gamma:.3}")
    }
}

/// Widths the terminal table cuts coalitions and service lists at.
const COALITION_WIDTH: usize = 24;
const SERVICES_WIDTH: usize = 32;

/// A list cut at `width` characters, `…` marking the cut; `—` when empty.
fn cut(text: &str, width: usize) -> String {
    if text.is_empty() {
        "—".into()
    } else if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

/// `1 service`, `2 services`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The table printed after the analysis: per service, the network, the
/// cascades, and the folder.
pub fn summary(loaded: &LoadedScenario, analysis: &Analysis, folder: &Path) -> String {
    let net = &analysis.network;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: the network at t = 0 (stakes of path 0, seed {}): {}, {}, stake {}, {} search",
        loaded.model.run.name,
        loaded.model.run.seed,
        count(net.service_count(), "service"),
        count(net.operator_count(), "operator"),
        usd(net.total_stake()),
        analysis.method.name()
    );
    let _ = writeln!(
        s,
        "  {:<22} {:>12} {:>9} {:>13} {:>12} {:>10} {:>10} {:>11}  cheapest attack",
        "service",
        "profit",
        "threshold",
        "stake behind",
        "needed",
        "attackable",
        "profitable",
        "cost/profit"
    );
    let open = attackable(net);
    for (i, service) in net.services.iter().enumerate() {
        let behind = net.stake_behind(i);
        let best = analysis.tally.per_service[i].as_ref();
        let name: String = service.name.chars().take(22).collect();
        let _ = writeln!(
            s,
            "  {:<22} {:>12} {:>9} {:>13} {:>12} {:>10} {:>10} {:>11}  {}",
            name,
            usd(service.profit),
            percent(service.threshold),
            usd(behind),
            usd(service.threshold * behind),
            yes(open[i]),
            yes(best.is_some_and(Attack::pays)),
            best.map_or_else(|| "—".into(), |a| thousands(a.ratio(), 3)),
            best.map_or_else(
                || "—".into(),
                |a| format!(
                    "{} on {}",
                    cut(&operator_names(net, &a.coalition), COALITION_WIDTH),
                    cut(&service_names(net, a), SERVICES_WIDTH)
                )
            ),
        );
    }
    let gamma = analysis.slack();
    let cheapest = analysis.tally.cheapest.as_ref().map_or_else(
        || "no coalition can attack a service worth anything".to_string(),
        |a| {
            format!(
                "cheapest attack: {} on {}, cost/profit {}",
                cut(&operator_names(net, &a.coalition), COALITION_WIDTH),
                cut(&service_names(net, a), SERVICES_WIDTH),
                thousands(a.ratio(), 3)
            )
        },
    );
    let _ = writeln!(
        s,
        "  network: {}, slack γ = {}; {cheapest}",
        if analysis.secure() {
            "secure (no attack pays)"
        } else {
            "NOT secure (an attack pays)"
        },
        gamma_text(gamma)
    );
    let condition = &analysis.condition;
    let binding = condition.binding_operator.map_or_else(String::new, |o| {
        format!(" (binding operator {})", net.operators[o].name)
    });
    let verdict = |holds: bool| if holds { "holds" } else { "does not hold" };
    let with_slack = if gamma.is_finite() && gamma >= 0.0 {
        verdict(holds_with_slack(analysis))
    } else {
        "not checked"
    };
    let _ = writeln!(
        s,
        "  per-operator condition: {} at γ = 0, {with_slack} at the network's γ = {}; largest γ certified {}{binding}",
        verdict(condition.holds_with(0.0)),
        gamma_text(gamma),
        gamma_text(condition.certified_slack),
    );
    let _ = writeln!(
        s,
        "  {:<10} {:>14} {:>8} {:>11} {:>15}  {:<7}  shocked → attacked",
        "shock ψ", "shocked stake", "attacks", "worst loss", "bound (1+1/γ)ψ", "proved"
    );
    for c in &analysis.cascades {
        let _ = writeln!(
            s,
            "  {:<10} {:>14} {:>8} {:>11} {:>15}  {:<7}  {} → {}",
            percent(c.psi),
            usd(c.shocked_stake),
            c.attacks.len(),
            percent(c.lost_fraction),
            analysis.bound(c.psi).map_or_else(|| "—".into(), percent),
            yes(c.proved_worst),
            cut(&operator_names(net, &c.shocked), COALITION_WIDTH),
            cut(&cascade_services(net, &c.attacks), SERVICES_WIDTH),
        );
    }
    let _ = writeln!(s, "→ {}", folder.display());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shocks_are_fractions_in_zero_one_sorted_once() {
        let parse = |v: &[&str]| parse_shocks(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(parse(&[]).unwrap(), DEFAULT_SHOCKS.to_vec());
        assert_eq!(parse(&["0.1, 0.01", "0.1"]).unwrap(), vec![0.01, 0.1]);
        assert_eq!(parse(&["1"]).unwrap(), vec![1.0]);
        for bad in ["0", "1.5", "-0.1", "x", "NaN", ""] {
            let e = parse(&[bad]).unwrap_err();
            assert!(e.0.contains("--shock"), "{bad}: {e}");
        }
    }
}
