//! `sweep`: the Cartesian product of parameter values, one row each in
//! `sweep.csv`, with common random numbers across rows.

use std::path::Path;
use std::process::ExitCode;

use super::InvalidArgument;
use super::compare::{
    VariantResult, change_cells_of, change_header, comparison_folder, create_folder,
    records_to_csv, result_cells_of, result_header, run_variants,
};
use super::run::simulation_overrides;
use crate::cli::SweepArgs;
use crate::scenario::{self, LoadedScenario, Override};

/// One grid axis: a key path and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Key path, as for `--set`.
    pub key: String,
    /// Values, in order.
    pub values: Vec<toml::Value>,
}

/// Parses `key.path=v1,v2,v3` or `key.path=start:stop:step` (inclusive).
pub fn parse_axis(spec: &str) -> Result<Axis, String> {
    let (key, raw) = spec.split_once('=').ok_or_else(|| {
        format!("expected key.path=v1,v2 or key.path=start:stop:step, found \"{spec}\"")
    })?;
    let key = key.trim().to_string();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(format!(
            "{key}: expected at least one value after '=', found none"
        ));
    }
    let parts: Vec<&str> = raw.split(':').collect();
    let values = if parts.len() == 3 && !raw.contains(',') {
        range_values(parts[0], parts[1], parts[2])?
    } else {
        raw.split(',')
            .map(|v| Override::parse(&format!("x={}", v.trim())).map(|o| o.value))
            .collect::<Result<Vec<_>, _>>()?
    };
    if values.is_empty() {
        return Err(format!("--grid {key}: no values"));
    }
    Ok(Axis { key, values })
}

/// Digits after the decimal point of a number as written (`0.25` → 2,
/// `1e-3` → 3, `5` → 0), at most 15.
fn decimals_of(s: &str) -> u32 {
    let s = s.trim().to_ascii_lowercase();
    let (mantissa, exponent) = match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i64>().unwrap_or(0)),
        None => (s.clone(), 0),
    };
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i64);
    (fraction - exponent).clamp(0, 15) as u32
}

/// `x` rounded to `decimals` digits after the decimal point, through its
/// shortest decimal form (so `0.30000000000000004` at 1 digit is `0.3`).
fn round_to(x: f64, decimals: u32) -> f64 {
    format!("{x:.*}", decimals as usize).parse().unwrap_or(x)
}

fn range_values(start: &str, stop: &str, step: &str) -> Result<Vec<toml::Value>, String> {
    let integers = [start, stop, step]
        .iter()
        .all(|s| s.trim().parse::<i64>().is_ok());
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("expected a number in start:stop:step, found \"{s}\""))
    };
    let (a, b, h) = (num(start)?, num(stop)?, num(step)?);
    if h <= 0.0 || b < a {
        return Err(format!(
            "expected start ≤ stop and step > 0, found {start}:{stop}:{step}"
        ));
    }
    let n = ((b - a) / h + 1e-9).floor() as usize + 1;
    let decimals = [start, stop, step]
        .iter()
        .map(|s| decimals_of(s))
        .max()
        .unwrap_or(0);
    if n > 10_000 {
        return Err(format!(
            "{n} values in {start}:{stop}:{step}: at most 10,000"
        ));
    }
    Ok((0..n)
        .map(|i| {
            let x = round_to(a + h * i as f64, decimals);
            if integers {
                toml::Value::Integer(x.round() as i64)
            } else {
                toml::Value::Float(x)
            }
        })
        .collect())
}

/// A value as a CSV cell (strings without quotes).
pub fn cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every combination, first axis slowest (row-major order).
pub fn combinations(axes: &[Axis]) -> Vec<Vec<toml::Value>> {
    let mut out: Vec<Vec<toml::Value>> = vec![Vec::new()];
    for axis in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut row = prefix.clone();
                    row.push(v.clone());
                    row
                })
            })
            .collect();
    }
    out
}

/// A sweep's grid, every point validated: the base scenario, the axes and
/// each point's values, folder name and scenario.
pub struct Grid {
    /// The scenario with the command's overrides, no axis applied.
    pub base: LoadedScenario,
    /// The axes, the file's `[sweep]` table first, then `--grid`.
    pub axes: Vec<Axis>,
    /// Every point's values, first axis slowest.
    pub combos: Vec<Vec<toml::Value>>,
    /// Per point: its name (`0003_key=value…`, the folder under `runs/`)
    /// and its scenario.
    pub variants: Vec<(String, LoadedScenario)>,
}

/// Reads the scenario, its `[sweep]` table and the `--grid` axes, and
/// loads every point (an invalid one is an error located in the file).
pub fn grid(
    scenario_path: &Path,
    overrides: &[Override],
    grid_specs: &[String],
) -> anyhow::Result<Grid> {
    let base = scenario::load(scenario_path, overrides)?;
    let grid = grid_specs
        .iter()
        .map(|spec| parse_axis(spec).map_err(|e| InvalidArgument(format!("--grid: {e}"))))
        .collect::<Result<Vec<Axis>, _>>()?;
    // The file's axes that no --grid replaces: each non-empty, each value valid.
    let replaced = |key: &str| grid.iter().any(|a| a.key == key);
    scenario::check_sweep(&base, overrides, &replaced)?;
    let mut axes: Vec<Axis> = base
        .file
        .sweep
        .iter()
        .flatten()
        .map(|(key, values)| Axis {
            key: key.clone(),
            values: values.clone(),
        })
        .collect();
    for axis in grid {
        axes.retain(|a| a.key != axis.key);
        axes.push(axis);
    }
    if axes.is_empty() {
        return Err(InvalidArgument(
            "nothing to sweep: give --grid key.path=v1,v2 or a [sweep] table in the scenario"
                .into(),
        )
        .into());
    }
    if let Some(empty) = axes.iter().find(|a| a.values.is_empty()) {
        return Err(InvalidArgument(format!(
            "sweep axis {} has no values: nothing to run",
            empty.key
        ))
        .into());
    }
    let combos = combinations(&axes);
    let mut variants = Vec::with_capacity(combos.len());
    for (i, combo) in combos.iter().enumerate() {
        let mut o = overrides.to_vec();
        o.extend(
            axes.iter()
                .zip(combo)
                .map(|(a, v)| scenario::axis_override(&a.key, v)),
        );
        let loaded = scenario::load(scenario_path, &o)?;
        let label: Vec<String> = axes
            .iter()
            .zip(combo)
            .map(|(a, v)| format!("{}={}", a.key, cell(v)))
            .collect();
        let name = format!("{i:04}_{}", sanitize(&label.join("_")));
        variants.push((name, loaded));
    }
    Ok(Grid {
        base,
        axes,
        combos,
        variants,
    })
}

impl Grid {
    /// The axes' key paths, the first columns of `sweep.csv`.
    pub fn keys(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.key.clone()).collect()
    }

    /// The protocols' names, for the per-protocol columns.
    pub fn protocols(&self) -> Vec<String> {
        self.base
            .model
            .protocols
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }
}

/// One point's results as plain values: all a row of `sweep.csv` is made
/// of besides the point's parameter values and paths.
#[derive(Debug, Clone, PartialEq)]
pub struct PointValues {
    /// Key result values, in `key_result_columns` order.
    pub key: Vec<f64>,
    /// Per `PATH_MEANS` figure, its per-path values.
    pub figures: Vec<Vec<f64>>,
    /// Per protocol: (mean final TVL native, mean final APR).
    pub protocols: Vec<(f64, f64)>,
}

impl From<&VariantResult> for PointValues {
    fn from(r: &VariantResult) -> Self {
        PointValues {
            key: r.key.values(),
            figures: r.figures.clone(),
            protocols: r.protocols.clone(),
        }
    }
}

/// The header of `sweep.csv`.
pub fn sweep_header(keys: &[String], protocols: &[String]) -> Vec<String> {
    let mut header = keys.to_vec();
    header.push("paths".into());
    header.extend(result_header(protocols));
    header.extend(change_header());
    header
}

/// A row of `sweep.csv`: the point's values, its paths, its results and
/// their changes from the first point's.
pub fn sweep_row(
    cells: &[String],
    paths: u32,
    point: &PointValues,
    baseline: &PointValues,
) -> Vec<String> {
    let mut row = cells.to_vec();
    row.push(paths.to_string());
    row.extend(result_cells_of(&point.key, &point.protocols));
    row.extend(change_cells_of(
        (&point.key, &point.figures),
        (&baseline.key, &baseline.figures),
    ));
    row
}

/// The line a finished sweep prints (or only its folder when quiet).
pub fn announce(quiet: bool, name: &str, points: usize, paths: &[u32], done: &Path) {
    if quiet {
        crate::sayln!("{}", done.display());
        return;
    }
    let paths = match (paths.iter().min(), paths.iter().max()) {
        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    };
    crate::sayln!(
        "{name}: {points} combinations × {paths} paths → {}",
        done.join("sweep.csv").display()
    );
}

/// Runs the sweep and writes `sweep.csv` (and `runs/` with `--keep-runs`);
/// with `--block I/N` only block I of the points, into a block folder.
pub fn sweep(args: &SweepArgs) -> anyhow::Result<ExitCode> {
    if let Some(spec) = &args.block {
        return super::sweep_block::run_block(args, spec);
    }
    let overrides = simulation_overrides(&args.sim)?;
    let grid = grid(&args.scenario, &overrides, &args.grid)?;
    let pool = super::worker_pool(args.sim.threads)?;
    let charts = args
        .sim
        .charts
        .then(|| super::chart::image_formats(crate::cli::ChartFormat::Png));
    let folder_path = comparison_folder(args.sim.out.as_ref(), &grid.base, "sweep");
    let folder = create_folder(&folder_path)?;
    let keep = args.keep_runs.then(|| folder.staging().join("runs"));
    let results = run_variants(
        &grid.variants,
        &pool,
        args.sim.quiet,
        keep.as_deref(),
        charts,
    )?;
    let points: Vec<PointValues> = results.iter().map(PointValues::from).collect();
    let header = sweep_header(&grid.keys(), &grid.protocols());
    let paths: Vec<u32> = grid
        .variants
        .iter()
        .map(|(_, l)| l.model.run.paths)
        .collect();
    let rows: Vec<Vec<String>> = grid
        .combos
        .iter()
        .zip(&paths)
        .zip(&points)
        .map(|((combo, paths), point)| {
            let cells: Vec<String> = combo.iter().map(cell).collect();
            sweep_row(&cells, *paths, point, &points[0])
        })
        .collect();
    folder.write("sweep.csv", &records_to_csv("sweep.csv", &header, &rows)?)?;
    if let Some(formats) = charts {
        super::chart::write_into(&folder, formats)?;
    }
    let done = folder.commit()?;
    announce(
        args.sim.quiet,
        &grid.base.model.run.name,
        grid.combos.len(),
        &paths,
        &done,
    );
    Ok(ExitCode::SUCCESS)
}

/// Keeps letters, digits, '-', '_', '.' and '='; replaces the rest.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.=".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_values_are_rounded_to_the_decimals_written() {
        let floats =
            |v: Vec<toml::Value>| -> Vec<f64> { v.iter().map(|x| x.as_float().unwrap()).collect() };
        assert_eq!(
            floats(range_values("0.1", "0.3", "0.1").unwrap()),
            vec![0.1, 0.2, 0.3]
        );
        assert_eq!(
            floats(range_values("0", "0.7", "0.35").unwrap()),
            vec![0.0, 0.35, 0.7]
        );
        assert_eq!(
            floats(range_values("1e-3", "3e-3", "1e-3").unwrap()),
            vec![0.001, 0.002, 0.003]
        );
        assert_eq!(decimals_of("2.50"), 2);
        assert_eq!(decimals_of("5"), 0);
    }

    #[test]
    fn axes_parse_lists_and_ranges() {
        let a = parse_axis("protocol.p0.apr.budget=100,200,300").unwrap();
        assert_eq!(a.values.len(), 3);
        let r = parse_axis("run.paths=10:30:10").unwrap();
        assert_eq!(
            r.values,
            vec![
                toml::Value::Integer(10),
                toml::Value::Integer(20),
                toml::Value::Integer(30)
            ]
        );
        let f = parse_axis("x=0.1:0.3:0.1").unwrap();
        assert_eq!(f.values.len(), 3);
        assert!(parse_axis("x=1:0:1").is_err());
        let empty = parse_axis("run.seed= ").unwrap_err();
        assert!(empty.contains("expected at least one value"), "{empty}");
    }

    #[test]
    fn combinations_are_row_major() {
        let axes = [
            Axis {
                key: "a".into(),
                values: vec![1.into(), 2.into()],
            },
            Axis {
                key: "b".into(),
                values: vec![10.into(), 20.into(), 30.into()],
            },
        ];
        let c = combinations(&axes);
        assert_eq!(c.len(), 6);
        assert_eq!(c[0], vec![toml::Value::from(1), toml::Value::from(10)]);
        assert_eq!(c[1], vec![toml::Value::from(1), toml::Value::from(20)]);
        assert_eq!(c[3], vec![toml::Value::from(2), toml::Value::from(10)]);
    }
}
