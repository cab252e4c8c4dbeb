//! `stress`: the baseline and each stress (named presets, `--multiply`)
//! with common random numbers, one row each in `stress.csv` with the change
//! against the baseline.

use std::process::ExitCode;

use super::InvalidArgument;
use super::compare::{
    change_cells, change_header, comparison_folder, create_folder, records_to_csv, result_cells,
    result_header, run_variants,
};
use super::run::simulation_overrides;
use crate::cli::StressArgs;
use crate::scenario::presets::{self, PRESETS};
use crate::scenario::{self, Override};

/// Runs the stresses and writes `stress.csv`.
pub fn stress(args: &StressArgs) -> anyhow::Result<ExitCode> {
    let overrides = simulation_overrides(&args.sim)?;
    let base = scenario::load(&args.scenario, &overrides)?;
    let names = presets::expand(&args.presets).map_err(InvalidArgument)?;
    if names.is_empty() && args.multiply.is_empty() {
        return Err(InvalidArgument(
            "nothing to stress: give --preset NAME (or all) or --multiply key.path=factor".into(),
        )
        .into());
    }
    let mut variants = vec![("baseline".to_string(), base.clone())];
    let mut descriptions = vec!["the scenario as written".to_string()];
    let explicit = |name: &str| args.presets.iter().any(|p| p == name);
    for name in names {
        let mut file = base.file.clone();
        if let Err(e) = presets::apply(&mut file, name) {
            if explicit(name) {
                return Err(InvalidArgument(format!("preset {name} does not apply: {e}")).into());
            }
            eprintln!("note: preset {name} skipped: {e}");
            continue;
        }
        let stressed = scenario::rebuild(&base, file, &format!("preset {name}"))?;
        variants.push((name.to_string(), stressed));
        let what = PRESETS.iter().find(|p| p.0 == name).map_or("", |p| p.1);
        descriptions.push(what.to_string());
    }
    for spec in &args.multiply {
        let m = Override::parse_multiply(spec)
            .map_err(|e| InvalidArgument(format!("--multiply: {e}")))?;
        let mut o = overrides.clone();
        o.push(m.clone());
        let stressed = scenario::load(&args.scenario, &o)?;
        variants.push((format!("multiply {}", spec.trim()), stressed));
        descriptions.push(format!("{} × {}", m.path, m.value));
    }
    let pool = super::worker_pool(args.sim.threads)?;
    let charts = args
        .sim
        .charts
        .then(|| super::chart::image_formats(crate::cli::ChartFormat::Png));
    let folder_path = comparison_folder(args.sim.out.as_ref(), &base, "stress");
    let folder = create_folder(&folder_path)?;
    let results = run_variants(&variants, &pool, args.sim.quiet, None, None)?;
    let protocols: Vec<String> = base
        .model
        .protocols
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let mut header: Vec<String> = vec!["stress".into(), "description".into(), "paths".into()];
    header.extend(result_header(&protocols));
    header.extend(change_header());
    let rows: Vec<Vec<String>> = variants
        .iter()
        .zip(&descriptions)
        .zip(&results)
        .map(|(((name, loaded), what), r)| {
            let mut row = vec![
                name.clone(),
                what.clone(),
                loaded.model.run.paths.to_string(),
            ];
            row.extend(result_cells(r));
            row.extend(change_cells(r, &results[0]));
            row
        })
        .collect();
    folder.write("stress.csv", &records_to_csv("stress.csv", &header, &rows)?)?;
    if let Some(formats) = charts {
        super::chart::write_into(&folder, formats)?;
    }
    let done = folder.commit()?;
    if args.sim.quiet {
        println!("{}", done.display());
    } else {
        println!(
            "{:<28} {:>11} {:>11} {:>11} {:>13}",
            "stress", "net return", "Δ vs base", "CVaR99 loss", "slash events"
        );
        for ((name, _), r) in variants.iter().zip(&results) {
            println!(
                "{:<28} {:>11} {:>11} {:>11} {:>13.2}",
                name,
                super::format::percent(r.key.net_return_mean),
                super::format::percent(r.key.net_return_mean - results[0].key.net_return_mean),
                super::format::percent(r.key.loss_cvar99),
                r.key.slash_events_mean
            );
        }
        println!("→ {}", done.join("stress.csv").display());
    }
    Ok(ExitCode::SUCCESS)
}
