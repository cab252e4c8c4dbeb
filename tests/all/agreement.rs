//! Statistical agreement with the per-agent engine of commit 985c9fb.
//!
//! For every scenario in `tests/agreement/scenarios/` (the shipped scenarios
//! as they are at 985c9fb, byte for byte), `tests/agreement/<scenario>.csv`
//! holds that engine's key results on each of N paths at seed 985 (written by
//! `scripts/agreement-reference.sh`; N, seed and the scenario's SHA-256 in
//! `tests/agreement/manifest.csv`). Each test runs the current binary on the
//! same file at M paths and another seed, and compares every reference
//! column with the same column of its `paths.csv`, two ways:
//!
//! - means, Welch: z = |x̄_new − x̄_ref| / √(s²_new/M + s²_ref/N) ≤ z*;
//! - distributions, two-sample Kolmogorov–Smirnov:
//!   D = sup_x |F_new(x) − F_ref(x)| < c(α) · √((N + M)/(N · M)).
//!
//! Tolerances. The family-wise error, the chance that a correct engine fails
//! any comparison of any scenario, is at most `FAMILY_ALPHA` = 0.001
//! (Bonferroni): with K = 2 × (number of reference columns over all the
//! scenarios) comparisons, each is made at α = 0.001 / K, and
//!
//! - z* = Φ⁻¹(1 − α/2) (two-sided; Φ⁻¹ by Acklam's rational approximation,
//!   relative error < 1.2e-9),
//! - c(α) = √(−ln(α/2) / 2) (the Kolmogorov distribution's tail,
//!   P(√(NM/(N+M)) D > c) ≈ 2 e^(−2c²); conservative for discrete columns).
//!
//! With the 267 columns of the six scenarios, K = 534, α = 1.87e-6,
//! z* = 4.767 and c(α) = 2.635.
//!
//! Numerics, not statistics: the reference keeps 10 significant digits, so
//! the new values are rounded the same way; values within 2e-9 relative
//! are one value for the KS statistic (a point mass, as the return of a path
//! without slashing, must not split on the last bits of a sum), a difference
//! of means within 1e-9 of the column's largest magnitude passes, and a
//! column constant in both samples must agree to 1e-9 relative.
//!
//! M per scenario is in the tests below: enough for the comparison to mean
//! something (the standard errors shrink as 1/√M) with the whole module
//! under about a minute in the dev profile. What that buys, measured on
//! multi-protocol-l3: a 20 % larger reward budget of one protocol fails
//! (z = 9.3 on `total.rewards_usd`, KS on the returns), as does a 10× higher
//! slashing rate of another (z = 7.6); a 5 % budget or a doubled rate of a
//! rare slash does not: the test guards the law, not small effects.
//!
//! l3-stacking, lrt-loop and security-cascade were shipped after 985c9fb,
//! which cannot read them (lending markets, corruption): for those the
//! reference is the current engine with every staker on its own
//! (`run.cohorts = false`), the per-agent engine the cohorts replace, run
//! at another seed ([`agree_with_per_agent`]).

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::support::{csv_rows, restake_sim, root};

/// The family-wise error over all comparisons of all scenarios.
const FAMILY_ALPHA: f64 = 0.001;

/// The new engine's seed (the reference's is in the manifest, and differs).
const SEED: u64 = 20_261_127;

/// Paths of market-2026 (250,000 stakers per path).
const MARKET_2026_PATHS: u32 = 200;

/// Significant digits the reference keeps.
const DIGITS: usize = 10;

fn folder() -> PathBuf {
    root().join("tests/agreement")
}

/// A manifest row: reference paths, seed and the scenario's SHA-256.
struct Reference {
    paths: usize,
    seed: u64,
    sha256: String,
}

fn manifest() -> HashMap<String, Reference> {
    let (header, rows) = csv_rows(&folder().join("manifest.csv"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (s, p, seed, sha) = (at("scenario"), at("paths"), at("seed"), at("sha256"));
    rows.into_iter()
        .map(|r| {
            (
                r[s].clone(),
                Reference {
                    paths: r[p].parse().unwrap(),
                    seed: r[seed].parse().unwrap(),
                    sha256: r[sha].clone(),
                },
            )
        })
        .collect()
}

/// K: two comparisons for each reference column of every scenario.
fn comparisons(manifest: &HashMap<String, Reference>) -> usize {
    manifest
        .keys()
        .map(|name| {
            let text = fs::read_to_string(folder().join(format!("{name}.csv"))).unwrap();
            2 * text.lines().next().unwrap().split(',').count()
        })
        .sum()
}

/// Φ⁻¹(p), Acklam's algorithm.
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        let q = (-2.0 * q.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail(p)
    } else if p > 1.0 - 0.024_25 {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The bounds at a per-comparison α: (z*, c(α)).
fn bounds(alpha: f64) -> (f64, f64) {
    (
        normal_quantile(1.0 - alpha / 2.0),
        (-(alpha / 2.0).ln() / 2.0).sqrt(),
    )
}

/// A cell as a number rounded to `DIGITS` significant digits.
fn value(cell: &str) -> f64 {
    let v: f64 = cell
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"));
    if v.is_finite() {
        format!("{v:.prec$e}", prec = DIGITS - 1).parse().unwrap()
    } else {
        v
    }
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Two values one for the KS statistic (see the module's comment).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 2e-9 * a.abs().max(b.abs())
}

/// The two-sample KS statistic, the ECDFs compared only where the next
/// value of the pooled sample is not the same as this one.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    for (k, &(v, in_a)) in pooled.iter().enumerate() {
        if in_a {
            i += 1;
        } else {
            j += 1;
        }
        if pooled.get(k + 1).is_none_or(|&(next, _)| !same(v, next)) {
            d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
        }
    }
    d
}

/// One column's comparison: a failure's description, if any.
/// `worst` keeps the largest z and the largest D / critical value seen.
fn compare(
    column: &str,
    reference: &[f64],
    new: &[f64],
    (z_star, c): (f64, f64),
    worst: &mut (f64, f64),
) -> Option<String> {
    let nan_ref = reference.iter().filter(|v| v.is_nan()).count();
    let nan_new = new.iter().filter(|v| v.is_nan()).count();
    let mut failure = Vec::new();
    if nan_ref + nan_new > 0 {
        // The share of NaN (no staker entered), as a proportion.
        let flag = |x: &[f64]| {
            x.iter()
                .map(|v| f64::from(u8::from(v.is_nan())))
                .collect::<Vec<_>>()
        };
        if let Some(f) = compare(
            &format!("{column} is NaN"),
            &flag(reference),
            &flag(new),
            (z_star, c),
            worst,
        ) {
            failure.push(f);
        }
    }
    let r: Vec<f64> = reference.iter().copied().filter(|v| !v.is_nan()).collect();
    let w: Vec<f64> = new.iter().copied().filter(|v| !v.is_nan()).collect();
    if r.len() < 2 || w.len() < 2 {
        return (!failure.is_empty()).then(|| failure.join("\n"));
    }
    let (n, m) = (r.len() as f64, w.len() as f64);
    let (mr, vr) = mean_var(&r);
    let (mw, vw) = mean_var(&w);
    let scale = r.iter().chain(&w).fold(0.0f64, |s, v| s.max(v.abs()));
    let se = (vw / m + vr / n).sqrt();
    let diff = (mw - mr).abs();
    let z = if se > 0.0 { diff / se } else { f64::INFINITY };
    let d = ks(&r, &w);
    let d_crit = c * ((n + m) / (n * m)).sqrt();
    let means_agree = diff <= 1e-9 * scale || z <= z_star;
    if diff > 1e-9 * scale {
        worst.0 = worst.0.max(z);
    }
    worst.1 = worst.1.max(d / d_crit);
    if !means_agree || d >= d_crit {
        failure.push(format!(
            "{column}: mean new {mw:.9e} (se {:.3e}, M = {m}) vs reference {mr:.9e} \
             (se {:.3e}, N = {n}): z = {z:.3} (bound {z_star:.3}){}; \
             KS D = {d:.4} (critical {d_crit:.4}, c(α) = {c:.3}){}",
            (vw / m).sqrt(),
            (vr / n).sqrt(),
            if means_agree { "" } else { " FAIL" },
            if d < d_crit { "" } else { " FAIL" },
        ));
    }
    (!failure.is_empty()).then(|| failure.join("\n"))
}

/// A sample: a `paths.csv` header and its rows.
type Sample<'a> = (&'a [String], &'a [Vec<String>]);

/// Compares every column of `reference` with the same column of `new`:
/// the failures, and the largest z and D / critical value seen.
fn compare_columns(
    (ref_header, ref_rows): Sample<'_>,
    (new_header, new_rows): Sample<'_>,
    (z_star, c): (f64, f64),
) -> (Vec<String>, (f64, f64)) {
    let mut failures = Vec::new();
    let mut worst = (0.0, 0.0);
    for (i, column) in ref_header.iter().enumerate() {
        let Some(at) = new_header.iter().position(|h| h == column) else {
            failures.push(format!("{column}: not in the new paths.csv"));
            continue;
        };
        let r: Vec<f64> = ref_rows.iter().map(|row| value(&row[i])).collect();
        let w: Vec<f64> = new_rows.iter().map(|row| value(&row[at])).collect();
        let constant = |x: &[f64]| x.iter().all(|&v| v == x[0] || v.is_nan() && x[0].is_nan());
        if constant(&r) && constant(&w) {
            let (a, b) = (r[0], w[0]);
            if !(a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())) {
                failures.push(format!(
                    "{column}: constant, new {b:.12e} vs reference {a:.12e}"
                ));
            }
            continue;
        }
        if let Some(f) = compare(column, &r, &w, (z_star, c), &mut worst) {
            failures.push(f);
        }
    }
    (failures, worst)
}

/// Runs the current binary on `file` at `paths` paths and `seed` with the
/// extra arguments `extra`: its `paths.csv`.
fn run_sample(
    file: &std::path::Path,
    paths: u32,
    seed: u64,
    extra: &[&str],
) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    restake_sim()
        .arg("run")
        .arg(file)
        .args(["--paths", &paths.to_string()])
        .args(["--seed", &seed.to_string()])
        .args(extra)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let sample = csv_rows(&out.join("paths.csv"));
    assert_eq!(sample.1.len(), paths as usize);
    sample
}

/// Runs the current binary on `scenario`, from `scenarios/`, with cohorts
/// (the default) and with every staker on its own (`run.cohorts = false`,
/// another seed), each at `paths` paths, and compares the key columns as
/// [`agree`] does: the total figures, and per class its stake, losses, net
/// return, median net return and stakers, per protocol its TVL, losses and
/// slash events. The family-wise error of these tests is `FAMILY_ALPHA`,
/// a third for each of the three scenarios, split over 2 × its columns.
fn agree_with_per_agent(scenario: &str, paths: u32) {
    let file = root().join(format!("scenarios/{scenario}.toml"));
    let new = run_sample(&file, paths, SEED, &[]);
    let per_agent = run_sample(&file, paths, SEED + 1, &["--set", "run.cohorts=false"]);
    let key = |h: &str| {
        h.starts_with("total.")
            || [
                ".stake",
                ".losses",
                ".net_return",
                ".median_net_return",
                ".stakers",
                ".tvl_native",
                ".losses_native",
                ".slash_events",
            ]
            .iter()
            .any(|s| h.ends_with(s))
    };
    let columns: Vec<usize> = (0..per_agent.0.len())
        .filter(|&i| key(&per_agent.0[i]))
        .collect();
    let header: Vec<String> = columns.iter().map(|&i| per_agent.0[i].clone()).collect();
    let rows: Vec<Vec<String>> = per_agent
        .1
        .iter()
        .map(|row| columns.iter().map(|&i| row[i].clone()).collect())
        .collect();
    let alpha = FAMILY_ALPHA / 3.0 / (2 * header.len()) as f64;
    let (z_star, c) = bounds(alpha);
    let (failures, worst) = compare_columns((&header, &rows), (&new.0, &new.1), (z_star, c));
    eprintln!(
        "{scenario}, cohorts vs per-agent: {} columns, M = N = {paths}; α = {alpha:.3e}, \
         z* = {z_star:.3}, c(α) = {c:.3}; largest z {:.2}, largest D / critical {:.2}; {} failed",
        header.len(),
        worst.0,
        worst.1,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{scenario}: cohorts disagree with the per-agent engine (α = {alpha:.3e}, \
         z* = {z_star:.3}, c(α) = {c:.3}):\n{}",
        failures.join("\n")
    );
}

/// Runs the current binary on `scenario` at `paths` paths and compares
/// every reference column.
fn agree(scenario: &str, paths: u32) {
    let manifest = manifest();
    let reference = manifest
        .get(scenario)
        .unwrap_or_else(|| panic!("{scenario}: not in tests/agreement/manifest.csv"));
    let file = folder().join(format!("scenarios/{scenario}.toml"));
    let sha: String = Sha256::digest(fs::read(&file).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        sha,
        reference.sha256,
        "{}: not the file the reference ran; rerun scripts/agreement-reference.sh",
        file.display()
    );
    assert_ne!(reference.seed, SEED, "the two samples must be independent");
    let k = comparisons(&manifest);
    let alpha = FAMILY_ALPHA / k as f64;
    let (z_star, c) = bounds(alpha);

    let (new_header, new_rows) = run_sample(&file, paths, SEED, &[]);
    let (ref_header, ref_rows) = csv_rows(&folder().join(format!("{scenario}.csv")));
    assert_eq!(
        ref_rows.len(),
        reference.paths,
        "{scenario}: reference rows"
    );

    let reference_sample = (&ref_header[..], &ref_rows[..]);
    let (failures, worst) =
        compare_columns(reference_sample, (&new_header, &new_rows), (z_star, c));
    eprintln!(
        "{scenario}: {} columns, N = {}, M = {paths}; K = {k}, α = {alpha:.3e}, \
         z* = {z_star:.3}, c(α) = {c:.3}; largest z {:.2}, largest D / critical {:.2}; \
         {} failed",
        ref_header.len(),
        reference.paths,
        worst.0,
        worst.1,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{scenario}: the current engine disagrees with 985c9fb's (family α = {FAMILY_ALPHA}, \
         K = {k}, per-comparison α = {alpha:.3e}, z* = {z_star:.3}, c(α) = {c:.3}):\n{}",
        failures.join("\n")
    );
}

#[test]
fn agreement_bounds() {
    // Φ⁻¹ against known quantiles, c(α) against the Kolmogorov tail.
    assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
    assert!((normal_quantile(0.5)).abs() < 1e-12);
    assert!((normal_quantile(1.0 - 1e-6) - 4.753_424_309).abs() < 1e-7);
    assert!((normal_quantile(1e-9) + 5.997_807_015).abs() < 1e-6);
    let (_, c) = bounds(0.05);
    assert!((c - 1.358_1).abs() < 1e-3);
    // KS: identical samples 0, disjoint 1, point masses not split.
    assert_eq!(ks(&[1.0, 2.0, 3.0], &[3.0, 1.0, 2.0]), 0.0);
    assert_eq!(ks(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
    assert_eq!(ks(&[0.06; 5], &[0.06 * (1.0 + 1e-12); 7]), 0.0);
    assert!((ks(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0]) - 0.5).abs() < 1e-12);
}

#[test]
fn agreement_babylon_btc() {
    agree("babylon-btc", 500);
}

#[test]
fn agreement_eigenlayer_avs() {
    agree("eigenlayer-avs", 300);
}

#[test]
fn agreement_multi_protocol_l3() {
    agree("multi-protocol-l3", 400);
}

#[test]
fn agreement_symbiotic_karak() {
    agree("symbiotic-karak", 400);
}

#[test]
fn agreement_rm1() {
    agree("rm1", 128);
}

#[test]
fn agreement_market_2026() {
    agree("market-2026", MARKET_2026_PATHS);
}

#[test]
fn cohorts_agree_with_per_agent_l3_stacking() {
    agree_with_per_agent("l3-stacking", 300);
}

#[test]
fn cohorts_agree_with_per_agent_lrt_loop() {
    agree_with_per_agent("lrt-loop", 300);
}

#[test]
fn cohorts_agree_with_per_agent_security_cascade() {
    agree_with_per_agent("security-cascade", 300);
}
