//! `validate`: parse and check scenarios and print what each means at t = 0
//! and how much work its run is.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::format::{percent, thousands, usd};
use super::workload::Workload;
use crate::cli::ValidateArgs;
use crate::model::Model;
use crate::model::outlook::Outlook;
use crate::scenario;

/// Validates every scenario, and its `[sweep]` table as `sweep` would use
/// it; prints a summary of the valid ones and the errors of the others.
/// Exit code 2 if any is invalid.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let overrides = super::overrides(&args.scenario)?;
    let paths = super::expand_scenario_paths(&args.scenarios)?;
    let mut failed = 0;
    for path in &paths {
        let checked = scenario::load(path, &overrides).and_then(|loaded| {
            scenario::check_sweep(&loaded, &overrides, &|_| false).map(|()| loaded)
        });
        match checked {
            Ok(loaded) => {
                let work = Workload::measure(&loaded.model, rayon::current_num_threads());
                crate::say!(
                    "{}  {}\n",
                    describe(&path.display().to_string(), &loaded.model),
                    work.describe()
                );
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} scenario(s) invalid", paths.len());
        Ok(ExitCode::from(super::EXIT_INVALID))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// The t = 0 summary of a model, as printed by `validate`.
pub fn describe(label: &str, model: &Model) -> String {
    let o = Outlook::of(model);
    let r = &model.run;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{label}: valid: \"{}\", {} days in steps of {} day(s), {} paths, seed {}",
        r.name, r.horizon_days, r.step_days, r.paths, r.seed
    );
    let _ = writeln!(
        s,
        "  {:<22} {:>10} {:>20} {:>14} {:>9}",
        "protocol", "asset", "TVL (native)", "TVL (USD)", "APR"
    );
    for (p, po) in model.protocols.iter().zip(&o.protocols) {
        let _ = writeln!(
            s,
            "  {:<22} {:>10} {:>20} {:>14} {:>9}",
            p.name,
            model.assets[p.assets[0]].name,
            thousands(po.tvl_native, 2),
            usd(po.tvl_usd),
            percent(po.apr)
        );
    }
    let _ = writeln!(
        s,
        "  {:<22} {:>10} {:>14} {:>18} {:>14} {:>9}",
        "staker class", "count", "mean stake", "total stake", "total (USD)", "APR"
    );
    for (c, co) in model.classes.iter().zip(&o.classes) {
        let _ = writeln!(
            s,
            "  {:<22} {:>10} {:>14} {:>18} {:>14} {:>9}",
            c.name,
            thousands(f64::from(c.count), 0),
            format!(
                "{} {}",
                thousands(co.mean_stake, 3),
                model.assets[c.asset].name
            ),
            thousands(co.total_stake, 2),
            usd(co.total_usd),
            percent(co.apr)
        );
    }
    let staked: f64 = o.staked_usd_by_asset.iter().sum();
    let tvl: f64 = o.protocols.iter().map(|p| p.tvl_usd).sum();
    let stakers: u64 = model.classes.iter().map(|c| u64::from(c.count)).sum();
    let _ = writeln!(
        s,
        "  total: TVL {} across {} protocols (stake {} counted once), TVL-weighted APR {}, {} stakers",
        usd(tvl),
        model.protocols.len(),
        usd(staked),
        percent(o.average_apr),
        thousands(stakers as f64, 0)
    );
    let shares = |values: &[f64], total: f64| -> String {
        model
            .assets
            .iter()
            .zip(values)
            .filter(|(_, v)| **v > 0.0)
            .map(|(a, v)| format!("{} {}", a.name, percent(v / total)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if tvl > 0.0 {
        let _ = writeln!(s, "  TVL by asset: {}", shares(&o.tvl_usd_by_asset, tvl));
    }
    if staked > 0.0 {
        let _ = writeln!(
            s,
            "  stake by asset: {}",
            shares(&o.staked_usd_by_asset, staked)
        );
    }
    s
}
