//! docs/outputs.md documents every column of every output file.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{restake_sim, root};

/// Options that keep every run small: few paths, 50 stakers per class.
const SMALL: [&str; 5] = ["--paths", "4", "--quiet", "--set", "staker.*.count=50"];

fn doc() -> String {
    fs::read_to_string(root().join("docs/outputs.md")).expect("docs/outputs.md exists")
}

fn scenario(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

fn reader(path: &Path) -> csv::Reader<fs::File> {
    csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn header(path: &Path) -> Vec<String> {
    let mut r = reader(path);
    let h = r
        .headers()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    h.iter().map(str::to_string).collect()
}

/// The distinct values of one column.
fn values(path: &Path, column: &str) -> BTreeSet<String> {
    let mut r = reader(path);
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{}: no column {column}", path.display()));
    r.records()
        .map(|rec| rec.unwrap()[at].to_string())
        .collect()
}

/// Class, protocol and operator names of a run folder, from `summary.csv`.
struct Entities {
    classes: Vec<String>,
    protocols: Vec<String>,
    operators: Vec<String>,
}

fn entities(run: &Path) -> Entities {
    let mut r = reader(&run.join("summary.csv"));
    let (mut classes, mut protocols, mut operators) = (Vec::new(), Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.unwrap();
        let list = match &rec[1] {
            "class" => &mut classes,
            "protocol" => &mut protocols,
            "operator" => &mut operators,
            _ => continue,
        };
        if !list.iter().any(|n| n == &rec[0]) {
            list.push(rec[0].to_string());
        }
    }
    Entities {
        classes,
        protocols,
        operators,
    }
}

/// A column name as the doc writes it: `btc-holders.stake` → `<class>.stake`.
fn generic(column: &str, e: &Entities) -> String {
    // The changes of the key results are documented as one pattern.
    let key_results: Vec<&str> = restake_sim::stats::tables::key_result_columns().collect();
    if let Some(rest) = column.strip_prefix("change_") {
        if key_results.contains(&rest) {
            return "change_<key result>".into();
        }
        if rest
            .strip_suffix("_se")
            .is_some_and(|k| key_results.contains(&k))
        {
            return "change_<key result>_se".into();
        }
    }
    let kinds = [
        ("<class>", &e.classes),
        ("<protocol>", &e.protocols),
        ("<operator>", &e.operators),
    ];
    for (placeholder, names) in kinds {
        for name in names {
            if let Some(rest) = column.strip_prefix(&format!("{name}.")) {
                return format!("{placeholder}.{rest}");
            }
        }
    }
    column.to_string()
}

/// Adds to `missing` every name that the doc does not show in backticks.
fn check<I: IntoIterator<Item = String>>(
    doc: &str,
    what: &str,
    names: I,
    missing: &mut BTreeSet<String>,
) {
    for name in names {
        if !doc.contains(&format!("`{name}`")) {
            missing.insert(format!("{what}: `{name}`"));
        }
    }
}

/// Every CSV header, the names in `metric`-like columns, and the manifest's
/// keys of one run folder.
fn check_run_folder(doc: &str, run: &Path, missing: &mut BTreeSet<String>) {
    let e = entities(run);
    assert!(!e.classes.is_empty() && !e.protocols.is_empty());
    let mut csvs: Vec<PathBuf> = fs::read_dir(run)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    let names: Vec<String> = csvs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "timeseries.csv",
        "paths.csv",
        "summary.csv",
        "yields.csv",
        "events.csv",
        "exits.csv",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no {expected} in {names:?}"
        );
    }
    for (path, name) in csvs.iter().zip(&names) {
        check(doc, name, [name.clone()], missing);
        let columns = header(path).into_iter().map(|c| generic(&c, &e));
        check(doc, name, columns, missing);
    }
    let cells = [
        ("timeseries.csv", "metric"),
        ("summary.csv", "kind"),
        ("summary.csv", "metric"),
        ("yields.csv", "statistic"),
        ("exits.csv", "statistic"),
        ("events.csv", "source"),
    ];
    for (file, column) in cells {
        let what = format!("{file} {column}");
        check(doc, &what, values(&run.join(file), column), missing);
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(run.join("manifest.json")).unwrap()).unwrap();
    let keys = manifest.as_object().expect("manifest is an object").keys();
    check(doc, "manifest.json", keys.cloned(), missing);
}

fn assert_none_missing(missing: &BTreeSet<String>) {
    let list: Vec<&str> = missing.iter().map(String::as_str).collect();
    assert!(
        list.is_empty(),
        "docs/outputs.md does not mention (in backticks):\n  {}",
        list.join("\n  ")
    );
}

#[test]
fn every_column_of_a_run_folder_and_of_batch_csv_is_documented() {
    let doc = doc();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("batch");
    restake_sim()
        .arg("run")
        .arg(scenario("eigenlayer-avs.toml"))
        .arg(scenario("babylon-btc.toml"))
        .args(SMALL)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut missing = BTreeSet::new();
    for name in ["eigenlayer-avs", "babylon-btc"] {
        check_run_folder(&doc, &out.join(name), &mut missing);
    }
    check(
        &doc,
        "batch.csv",
        header(&out.join("batch.csv")),
        &mut missing,
    );
    assert_none_missing(&missing);
}

#[test]
fn every_column_of_sweep_csv_and_stress_csv_is_documented() {
    let doc = doc();
    let dir = tempfile::tempdir().unwrap();
    let axis = "protocol.*.slashing.yearly_probability";
    let sweep = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(scenario("eigenlayer-avs.toml"))
        .args(["--grid", &format!("{axis}=0.01,0.05"), "--keep-runs"])
        .args(SMALL)
        .arg("--out")
        .arg(&sweep)
        .assert()
        .success();
    let stress = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(scenario("eigenlayer-avs.toml"))
        .args([
            "--preset",
            "slash-x10",
            "--multiply",
            "operator.*.commission=2",
        ])
        .args(SMALL)
        .arg("--out")
        .arg(&stress)
        .assert()
        .success();

    let mut missing = BTreeSet::new();
    let mut kept: Vec<PathBuf> = fs::read_dir(sweep.join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 2, "one kept run per combination: {kept:?}");
    check_run_folder(&doc, &kept[0], &mut missing);
    let e = entities(&kept[0]);
    let sweep_columns = header(&sweep.join("sweep.csv"));
    assert_eq!(sweep_columns[0], axis);
    let columns = sweep_columns[1..].iter().map(|c| generic(c, &e));
    check(
        &doc,
        "sweep.csv",
        columns.chain(["<key.path>".into()]),
        &mut missing,
    );
    let columns = header(&stress.join("stress.csv")).into_iter();
    check(
        &doc,
        "stress.csv",
        columns.map(|c| generic(&c, &e)),
        &mut missing,
    );
    assert_none_missing(&missing);
}

/// The schemas as the code declares them — every metric of every entity
/// kind and every column of the per-path tables — are each documented in
/// docs/outputs.md, metrics in the table row of their entity kind.
#[test]
fn every_declared_metric_and_column_is_documented() {
    use restake_sim::results::{
        AssetMetric, ClassFinal, ClassMetric, EventRecord, LoopFinal, LoopMetric, LrtFinal,
        LrtMetric, MarketFinal, MarketMetric, OperatorFinal, OperatorMetric, ProtocolFinal,
        ProtocolMetric, Record, SecurityMetric, ServiceMetric, TotalFinal, TotalMetric,
    };
    let doc = doc();
    let mut missing = BTreeSet::new();
    let kinds: [(&str, Vec<&str>); 10] = [
        (
            "protocol",
            ProtocolMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
        ("class", ClassMetric::ALL.iter().map(|m| m.name()).collect()),
        ("asset", AssetMetric::ALL.iter().map(|m| m.name()).collect()),
        ("total", TotalMetric::ALL.iter().map(|m| m.name()).collect()),
        (
            "loop class",
            LoopMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
        ("lrt", LrtMetric::ALL.iter().map(|m| m.name()).collect()),
        (
            "lending market",
            MarketMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
        (
            "protocol",
            ServiceMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
        (
            "total",
            SecurityMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
        (
            "operator",
            OperatorMetric::ALL.iter().map(|m| m.name()).collect(),
        ),
    ];
    for (kind, metrics) in kinds {
        for metric in metrics {
            let row = format!("| {kind} | `{metric}` |");
            if !doc.contains(&row) {
                missing.insert(format!("timeseries.csv metric: {row}"));
            }
        }
    }
    let prefixed = |prefix: &str, columns: &[restake_sim::results::Column]| {
        columns
            .iter()
            .map(|c| format!("{prefix}.{}", c.name))
            .collect::<Vec<_>>()
    };
    check(
        &doc,
        "paths.csv",
        prefixed("total", TotalFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<class>", ClassFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<protocol>", ProtocolFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<lrt>", LrtFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<market>", MarketFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<class>", LoopFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "paths.csv",
        prefixed("<operator>", OperatorFinal::COLUMNS),
        &mut missing,
    );
    check(
        &doc,
        "liquidations.csv",
        restake_sim::results::LiquidationRecord::COLUMNS
            .iter()
            .map(|c| c.name.to_string()),
        &mut missing,
    );
    check(
        &doc,
        "key results",
        restake_sim::stats::tables::key_result_columns().map(str::to_string),
        &mut missing,
    );
    check(
        &doc,
        "events.csv",
        EventRecord::COLUMNS.iter().map(|c| c.name.to_string()),
        &mut missing,
    );
    assert_none_missing(&missing);
}

/// The columns `solve` declares for `solve.csv` and `solution.csv` each
/// have a table row in their own section of docs/outputs.md ("Solve
/// folders"), so that generic names such as `value` cannot pass by
/// appearing elsewhere.
#[test]
fn every_column_of_the_solve_files_is_documented() {
    use restake_sim::app::solve::{SOLUTION_COLUMNS, SOLVE_COLUMNS};
    let doc = doc();
    let section = |title: &str| -> String {
        let start = doc
            .find(&format!("### {title}\n"))
            .unwrap_or_else(|| panic!("docs/outputs.md has no section {title}"));
        let rest = &doc[start + 4..];
        let end = rest.find("\n#").map_or(rest.len(), |e| e + 1);
        rest[..end].to_string()
    };
    let mut missing = BTreeSet::new();
    for (file, columns) in [
        ("solve.csv", &SOLVE_COLUMNS[..]),
        ("solution.csv", &SOLUTION_COLUMNS[..]),
    ] {
        let text = section(file);
        for c in columns {
            if !text.contains(&format!("| `{c}` |")) {
                missing.insert(format!("{file}: `{c}`"));
            }
        }
    }
    assert_none_missing(&missing);
}
