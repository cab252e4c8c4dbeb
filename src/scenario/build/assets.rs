//! `[[asset]]` and `[correlation]`: prices, drifts and volatilities, and the
//! correlation matrix of the assets' Brownian motions, checked and factored
//! ([`cholesky`]) for the engine.

use super::names::Names;
use super::{MAX_ASSETS, MAX_MAGNITUDE, Validator};
use crate::model::Asset;
use crate::scenario::file::{CorrelationFile, ScenarioFile};

impl Validator {
    /// Checks every `[[asset]]` (there must be one at least, and at most
    /// [`MAX_ASSETS`]).
    pub(super) fn assets(&mut self, file: &ScenarioFile) -> Vec<Asset> {
        if file.assets.is_empty() {
            self.issue(
                "asset",
                "expected at least one [[asset]], found none".into(),
            );
        } else if file.assets.len() > MAX_ASSETS {
            self.issue(
                "asset",
                format!(
                    "expected at most {MAX_ASSETS} assets (their correlation is a matrix of every pair), found {}",
                    file.assets.len()
                ),
            );
        }
        file.assets
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let path = format!("asset[{i}]");
                self.positive(&format!("{path}.price_usd"), a.price_usd);
                self.at_most(&format!("{path}.price_usd"), a.price_usd, MAX_MAGNITUDE);
                if self.finite(&format!("{path}.drift"), a.drift) && a.drift.abs() > 5.0 {
                    self.issue(
                        &format!("{path}.drift"),
                        format!(
                            "expected a yearly drift in [-5, 5] (±500 %), found {}",
                            a.drift
                        ),
                    );
                }
                self.non_negative(&format!("{path}.volatility"), a.volatility);
                if a.volatility > 5.0 {
                    self.issue(
                        &format!("{path}.volatility"),
                        format!(
                            "expected a yearly volatility of at most 5 (500 %), found {}",
                            a.volatility
                        ),
                    );
                }
                Asset {
                    name: a.name.clone(),
                    price_usd: a.price_usd,
                    drift: a.drift,
                    volatility: a.volatility,
                }
            })
            .collect()
    }

    /// Checks `[correlation]` and returns the Cholesky factor of the full
    /// n×n matrix of the `n` assets (unlisted pairs uncorrelated; the
    /// identity when the table is absent), or `None` if it is invalid or
    /// there are more than [`MAX_ASSETS`] assets (reported with them).
    pub(super) fn correlation(
        &mut self,
        c: Option<&CorrelationFile>,
        names: &Names,
        n: usize,
    ) -> Option<Vec<f64>> {
        if n > MAX_ASSETS {
            return None;
        }
        let mut full = vec![0.0; n * n];
        for i in 0..n {
            full[i * n + i] = 1.0;
        }
        let Some(c) = c else {
            return Some(full);
        };
        let k = c.assets.len();
        let idx: Vec<Option<usize>> = c
            .assets
            .iter()
            .enumerate()
            .map(|(i, name)| {
                self.reference(
                    &format!("correlation.assets[{i}]"),
                    "asset",
                    name,
                    &names.assets,
                )
            })
            .collect();
        let listed_once = self.listed_once("correlation.assets", &c.assets);
        if c.matrix.len() != k || c.matrix.iter().any(|row| row.len() != k) {
            self.issue(
                "correlation.matrix",
                format!(
                    "expected a {k}×{k} matrix (one row and column per listed asset), found {} rows of lengths {:?}",
                    c.matrix.len(),
                    c.matrix.iter().map(Vec::len).collect::<Vec<_>>()
                ),
            );
            return None;
        }
        let mut ok = true;
        for i in 0..k {
            for j in 0..k {
                let x = c.matrix[i][j];
                let path = format!("correlation.matrix[{i}][{j}]");
                if !x.is_finite() || !(-1.0..=1.0).contains(&x) {
                    self.issue(&path, format!("expected a value in [-1, 1], found {x}"));
                    ok = false;
                } else if i == j && x != 1.0 {
                    self.issue(&path, format!("expected 1 on the diagonal, found {x}"));
                    ok = false;
                } else if (x - c.matrix[j][i]).abs() > 1e-12 {
                    self.issue(
                        &path,
                        format!(
                            "expected a symmetric matrix, found {x} here and {} at [{j}][{i}]",
                            c.matrix[j][i]
                        ),
                    );
                    ok = false;
                }
            }
        }
        if !ok || !listed_once || idx.iter().any(Option::is_none) {
            return None;
        }
        for i in 0..k {
            for j in 0..k {
                let (a, b) = (idx[i]?, idx[j]?);
                full[a * n + b] = c.matrix[i][j];
            }
        }
        match cholesky(&full, n) {
            Some(l) => Some(l),
            None => {
                self.issue(
                    "correlation.matrix",
                    "expected a positive semi-definite matrix, found one with a negative eigenvalue (lower the off-diagonal correlations)".into(),
                );
                None
            }
        }
    }
}

/// Cholesky factor of a symmetric positive semi-definite matrix (row-major
/// n×n), tolerating zero pivots; `None` if it is not PSD.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - dot;
                if d < -1e-10 {
                    return None;
                }
                l[i * n + i] = d.max(0.0).sqrt();
            } else {
                let pivot = l[j * n + j];
                let off = a[i * n + j] - dot;
                if pivot > 1e-12 {
                    l[i * n + j] = off / pivot;
                } else if off.abs() > 1e-10 {
                    return None;
                }
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::cholesky;

    #[test]
    fn cholesky_of_a_correlation_matrix_reproduces_it() {
        let a = [1.0, 0.6, 0.6, 1.0];
        let l = cholesky(&a, 2).unwrap();
        assert!((l[2] * l[2] + l[3] * l[3] - 1.0).abs() < 1e-12);
        assert!((l[2] * l[0] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn cholesky_rejects_non_psd_and_accepts_singular() {
        let bad = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky(&bad, 3).is_none());
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_some());
    }
}
