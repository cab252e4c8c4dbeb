//! The target of a reverse stress test, `RESULT<=VALUE` (or `>=`, `<`,
//! `>`): a key-result column, a comparison and a threshold.

use super::SolveError;
use crate::scenario::overrides::did_you_mean;
use crate::stats::tables::{KeyResults, key_result_columns};
use crate::stats::uncertainty::Z;

/// How a result is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<=`
    AtMost,
    /// `>=`
    AtLeast,
    /// `<`
    Below,
    /// `>`
    Above,
}

impl Comparison {
    /// The operators as written, two-character ones first so that `<=` is
    /// not read as `<`.
    const OPERATORS: [(&'static str, Comparison); 6] = [
        ("<=", Comparison::AtMost),
        (">=", Comparison::AtLeast),
        ("≤", Comparison::AtMost),
        ("≥", Comparison::AtLeast),
        ("<", Comparison::Below),
        (">", Comparison::Above),
    ];

    /// The operator as written in a target (`<=`).
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtMost => "<=",
            Comparison::AtLeast => ">=",
            Comparison::Below => "<",
            Comparison::Above => ">",
        }
    }

    /// Whether `value` compared with `threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::AtMost => value <= threshold,
            Comparison::AtLeast => value >= threshold,
            Comparison::Below => value < threshold,
            Comparison::Above => value > threshold,
        }
    }
}

/// Where the standard error of a result comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorSource {
    /// The key-result column `<result>_se`.
    Column(String),
    /// The 95 % confidence bounds `<result>_lo` and `<result>_hi`:
    /// se = (hi − lo) / (2 × 1.96), as if the interval were normal.
    Interval(String, String),
    /// None: the answer is reported with its final bracket only.
    None,
}

impl ErrorSource {
    /// The source for `result`: its `_se` column, else its `_lo` and `_hi`
    /// columns, else none.
    pub fn of(result: &str) -> ErrorSource {
        let has = |c: &str| key_result_columns().any(|k| k == c);
        let (se, lo, hi) = (
            format!("{result}_se"),
            format!("{result}_lo"),
            format!("{result}_hi"),
        );
        if has(&se) {
            ErrorSource::Column(se)
        } else if has(&lo) && has(&hi) {
            ErrorSource::Interval(lo, hi)
        } else {
            ErrorSource::None
        }
    }

    /// The standard error in `key`; `None` without a source, or when the
    /// source is not a finite number (the paths cannot support it).
    pub fn standard_error(&self, key: &KeyResults) -> Option<f64> {
        let se = match self {
            ErrorSource::Column(c) => key.get(c)?,
            ErrorSource::Interval(lo, hi) => (key.get(hi)? - key.get(lo)?) / (2.0 * Z),
            ErrorSource::None => return None,
        };
        (se.is_finite() && se >= 0.0).then_some(se)
    }

    /// How the source is described in outputs: the column(s), or `none`.
    pub fn describe(&self) -> String {
        match self {
            ErrorSource::Column(c) => c.clone(),
            ErrorSource::Interval(lo, hi) => format!("{lo}+{hi}"),
            ErrorSource::None => "none".into(),
        }
    }
}

/// A parsed `--target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The key-result column.
    pub result: String,
    /// The comparison.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Where the result's standard error comes from.
    pub errors: ErrorSource,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.result,
            self.comparison.symbol(),
            self.threshold
        )
    }
}

impl Target {
    /// Parses `RESULT<=VALUE`, `RESULT>=VALUE`, `RESULT<VALUE` or
    /// `RESULT>VALUE` (spaces allowed around the parts; `≤` and `≥` too).
    /// RESULT must be a key-result column; an unknown name gets the closest
    /// names and the list.
    pub fn parse(spec: &str) -> Result<Target, SolveError> {
        let syntax = || {
            SolveError::Target(format!(
                "expected RESULT<=VALUE, RESULT>=VALUE, RESULT<VALUE or RESULT>VALUE (e.g. p_any_loss>=0.05), found \"{spec}\""
            ))
        };
        let (at, symbol, comparison) = Comparison::OPERATORS
            .iter()
            .filter_map(|&(s, c)| spec.find(s).map(|at| (at, s, c)))
            .min_by_key(|&(at, s, _)| (at, std::cmp::Reverse(s.len())))
            .ok_or_else(syntax)?;
        let result = spec[..at].trim();
        let raw = spec[at + symbol.len()..].trim();
        if result.is_empty() || raw.is_empty() {
            return Err(syntax());
        }
        let threshold: f64 = raw.parse().map_err(|_| {
            SolveError::Target(format!(
                "expected a number after {}, found \"{raw}\"",
                comparison.symbol()
            ))
        })?;
        if !threshold.is_finite() {
            return Err(SolveError::Target(format!(
                "expected a finite threshold, found {raw}"
            )));
        }
        if !key_result_columns().any(|c| c == result) {
            return Err(SolveError::UnknownResult {
                name: result.to_string(),
                suggestion: did_you_mean(result, key_result_columns()),
                known: key_result_columns().collect::<Vec<_>>().join(", "),
            });
        }
        Ok(Target {
            result: result.to_string(),
            comparison,
            threshold,
            errors: ErrorSource::of(result),
        })
    }

    /// Whether the target is met by `value`.
    pub fn is_met(&self, value: f64) -> bool {
        self.comparison.holds(value, self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_every_operator() {
        let t = Target::parse("p_any_loss>=0.05").unwrap();
        assert_eq!(t.result, "p_any_loss");
        assert_eq!(t.comparison, Comparison::AtLeast);
        assert_eq!(t.threshold, 0.05);
        assert_eq!(t.errors, ErrorSource::Column("p_any_loss_se".into()));
        assert_eq!(t.to_string(), "p_any_loss>=0.05");
        let cases = [
            ("net_return_mean <= -0.01", Comparison::AtMost, -0.01),
            ("net_return_mean<1e-3", Comparison::Below, 1e-3),
            ("loss_cvar99 > 0.2", Comparison::Above, 0.2),
            ("loss_cvar99≥0.2", Comparison::AtLeast, 0.2),
            ("loss_cvar99≤0.2", Comparison::AtMost, 0.2),
        ];
        for (spec, comparison, threshold) in cases {
            let t = Target::parse(spec).unwrap();
            assert_eq!(
                (t.comparison, t.threshold),
                (comparison, threshold),
                "{spec}"
            );
        }
    }

    #[test]
    fn comparisons_hold_as_written() {
        assert!(Comparison::AtMost.holds(1.0, 1.0));
        assert!(!Comparison::Below.holds(1.0, 1.0));
        assert!(Comparison::AtLeast.holds(1.0, 1.0));
        assert!(!Comparison::Above.holds(1.0, 1.0));
        assert!(Comparison::Above.holds(1.5, 1.0));
        assert!(!Comparison::AtLeast.holds(f64::NAN, 1.0));
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        for spec in [
            "p_any_loss",
            "p_any_loss=0.05",
            ">=0.05",
            "p_any_loss>=",
            "",
        ] {
            let e = Target::parse(spec).unwrap_err().to_string();
            assert!(
                e.starts_with("--target: expected RESULT<=VALUE"),
                "{spec}: {e}"
            );
        }
        let e = Target::parse("p_any_loss>=five").unwrap_err().to_string();
        assert!(
            e.contains("expected a number after >=, found \"five\""),
            "{e}"
        );
        let e = Target::parse("p_any_loss>=inf").unwrap_err().to_string();
        assert!(e.contains("finite"), "{e}");
        let e = Target::parse("p_any_los>=0.05").unwrap_err();
        assert!(e.is_invalid_input());
        let e = e.to_string();
        assert!(e.contains("unknown result \"p_any_los\""), "{e}");
        assert!(e.contains("did you mean \"p_any_loss\"?"), "{e}");
        assert!(
            e.contains("key results: net_return_mean, net_return_mean_se"),
            "{e}"
        );
    }

    #[test]
    fn errors_come_from_se_columns_then_intervals() {
        assert_eq!(
            ErrorSource::of("net_return_usd_mean"),
            ErrorSource::Column("net_return_usd_mean_se".into())
        );
        assert_eq!(
            ErrorSource::of("loss_var99"),
            ErrorSource::Interval("loss_var99_lo".into(), "loss_var99_hi".into())
        );
        assert_eq!(ErrorSource::of("tvl_usd_mean"), ErrorSource::None);
        assert_eq!(ErrorSource::of("loss_var999"), ErrorSource::None);
    }
}
