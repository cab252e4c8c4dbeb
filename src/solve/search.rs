//! The search: the `LO:HI` range and the bisection over it.
//!
//! The ends are evaluated first; the target must be met at exactly one of
//! them. Each further evaluation is at the middle of the bracket (the two
//! evaluated values nearest each other on either side of the crossing) and
//! replaces the end on its side, assuming the result is monotone in the
//! parameter over the range. The search stops when the bracket is no wider
//! than the tolerance or when the evaluations allowed are spent, whichever
//! comes first.

use super::SolveError;
use super::target::Target;

/// The range searched, `LO:HI` with LO < HI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Range {
    /// Parses `LO:HI`: two finite numbers, LO < HI.
    pub fn parse(spec: &str) -> Result<Range, SolveError> {
        let (lo, hi) = spec.split_once(':').ok_or_else(|| {
            SolveError::Range(format!("expected LO:HI (e.g. 0:0.5), found \"{spec}\""))
        })?;
        let number = |s: &str| -> Result<f64, SolveError> {
            let x: f64 = s.trim().parse().map_err(|_| {
                SolveError::Range(format!(
                    "expected a number on each side of ':', found \"{}\" in \"{spec}\"",
                    s.trim()
                ))
            })?;
            if x.is_finite() {
                Ok(x)
            } else {
                Err(SolveError::Range(format!(
                    "expected finite numbers, found \"{}\" in \"{spec}\"",
                    s.trim()
                )))
            }
        };
        let (lo, hi) = (number(lo)?, number(hi)?);
        if lo >= hi {
            return Err(SolveError::Range(format!(
                "expected LO < HI, found {lo}:{hi}"
            )));
        }
        Ok(Range { lo, hi })
    }

    /// HI − LO.
    pub fn width(self) -> f64 {
        self.hi - self.lo
    }
}

/// Why the bisection stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The bracket is no wider than the tolerance.
    Tolerance,
    /// The evaluations allowed are spent.
    MaxSteps,
}

impl Stop {
    /// The name written in outputs: `tolerance` or `max-steps`.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Tolerance => "tolerance",
            Stop::MaxSteps => "max-steps",
        }
    }
}

/// One evaluation: the parameter value and the result there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Parameter value.
    pub x: f64,
    /// The result.
    pub value: f64,
    /// Its standard error, when the result has one.
    pub se: Option<f64>,
    /// Whether the target is met.
    pub met: bool,
}

/// The state of a bisection: the evaluations so far, in order, and the
/// bracket. Drive it with [`Bisection::next_value`] and
/// [`Bisection::record`].
#[derive(Debug, Clone)]
pub struct Bisection {
    target: Target,
    range: Range,
    tolerance: f64,
    max_steps: usize,
    points: Vec<Point>,
    /// Indices into `points` of the bracket's lower and upper ends.
    bracket: (usize, usize),
    stop: Option<Stop>,
}

impl Bisection {
    /// A bisection of `range` for `target`; the tolerance defaults to
    /// (HI − LO) / 1000. `max_steps` counts every evaluation, the two ends
    /// included.
    pub fn new(
        target: Target,
        range: Range,
        tolerance: Option<f64>,
        max_steps: usize,
    ) -> Result<Bisection, SolveError> {
        let tolerance = tolerance.unwrap_or(range.width() / 1000.0);
        if !(tolerance.is_finite() && tolerance > 0.0) {
            return Err(SolveError::Tolerance(tolerance));
        }
        if max_steps < 2 {
            return Err(SolveError::MaxSteps(max_steps));
        }
        Ok(Bisection {
            target,
            range,
            tolerance,
            max_steps,
            points: Vec::new(),
            bracket: (0, 1),
            stop: None,
        })
    }

    /// The evaluations a search of this range may take: the two ends and
    /// the halvings until the tolerance, at most `max_steps`.
    pub fn expected_steps(&self) -> usize {
        let halvings = (self.range.width() / self.tolerance).log2().ceil().max(0.0);
        (2 + halvings as usize).min(self.max_steps)
    }

    /// The next parameter value to evaluate: LO, HI, then the middle of the
    /// bracket; `None` once the search has stopped ([`Bisection::stop`]
    /// says why). Asking again before [`Bisection::record`] gives the same
    /// value.
    pub fn next_value(&mut self) -> Option<f64> {
        match self.points.len() {
            0 => Some(self.range.lo),
            1 => Some(self.range.hi),
            n => {
                let (a, b) = self.bracket_values();
                if b - a <= self.tolerance {
                    self.stop = Some(Stop::Tolerance);
                    None
                } else if n >= self.max_steps {
                    self.stop = Some(Stop::MaxSteps);
                    None
                } else {
                    Some(a + (b - a) / 2.0)
                }
            }
        }
    }

    /// Records the result at `x`, the value [`Bisection::next_value`] gave.
    /// An error when the result is not a number, and, once both ends are
    /// evaluated, when the target is met at both or at neither.
    pub fn record(&mut self, x: f64, value: f64, se: Option<f64>) -> Result<(), SolveError> {
        if value.is_nan() {
            return Err(SolveError::NotANumber {
                result: self.target.result.clone(),
                x,
            });
        }
        let met = self.target.is_met(value);
        self.points.push(Point { x, value, se, met });
        let n = self.points.len();
        if n == 2 {
            let (lo, hi) = (self.points[0], self.points[1]);
            if lo.met == hi.met {
                return Err(SolveError::NotCrossed {
                    result: self.target.result.clone(),
                    target: self.target.to_string(),
                    threshold: self.target.threshold,
                    lo: lo.x,
                    hi: hi.x,
                    lo_value: lo.value,
                    hi_value: hi.value,
                    met: if lo.met {
                        "met at both ends"
                    } else {
                        "met at neither end"
                    },
                });
            }
        } else if n > 2 {
            if met == self.points[0].met {
                self.bracket.0 = n - 1;
            } else {
                self.bracket.1 = n - 1;
            }
        }
        Ok(())
    }

    /// Parameter values of the bracket's ends (LO:HI until a middle is
    /// evaluated).
    fn bracket_values(&self) -> (f64, f64) {
        (self.points[self.bracket.0].x, self.points[self.bracket.1].x)
    }

    /// The evaluations so far, in order.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The bracket's ends, lower first, once both ends of the range are
    /// evaluated.
    pub fn bracket(&self) -> Option<(Point, Point)> {
        (self.points.len() >= 2).then(|| (self.points[self.bracket.0], self.points[self.bracket.1]))
    }

    /// Why the search stopped; `None` while it goes on.
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The range.
    pub fn range(&self) -> Range {
        self.range
    }

    /// The tolerance in force.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The evaluations allowed.
    pub fn max_steps(&self) -> usize {
        self.max_steps
    }
}

/// The bracket after each evaluation of `points`, recorded in order by a
/// [`Bisection`] (the range's ends first): none after the first; then the
/// largest value whose target is met as at the lower end and the smallest
/// whose target is not.
pub fn brackets(points: &[Point]) -> Vec<Option<(f64, f64)>> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let mut out = vec![None];
    let (mut a, mut b) = (first.x, f64::INFINITY);
    for p in &points[1..] {
        if p.met == first.met {
            a = a.max(p.x);
        } else {
            b = b.min(p.x);
        }
        out.push(Some((a, b)));
    }
    out
}

/// Runs a bisection for the target `spec` against `f` (the result and its
/// standard error at a parameter value), returning it stopped, or the error.
#[cfg(test)]
pub(crate) fn drive(
    spec: &str,
    range: Range,
    tolerance: Option<f64>,
    max_steps: usize,
    f: impl Fn(f64) -> (f64, Option<f64>),
) -> Result<Bisection, SolveError> {
    let target = Target::parse(spec)?;
    let mut b = Bisection::new(target, range, tolerance, max_steps)?;
    while let Some(x) = b.next_value() {
        let (v, se) = f(x);
        b.record(x, v, se)?;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(spec: &str) -> Target {
        Target::parse(spec).unwrap()
    }

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        assert_eq!(Range::parse("0:0.5").unwrap(), Range { lo: 0.0, hi: 0.5 });
        assert_eq!(
            Range::parse(" -1e-3 : 2 ").unwrap(),
            Range {
                lo: -0.001,
                hi: 2.0
            }
        );
        let cases = [
            ("0.5", "expected LO:HI"),
            ("0.5:0.5", "expected LO < HI, found 0.5:0.5"),
            ("1:0", "expected LO < HI, found 1:0"),
            ("a:1", "found \"a\" in \"a:1\""),
            ("0:1:2", "found \"1:2\""),
            ("0:inf", "finite"),
        ];
        for (spec, wanted) in cases {
            let e = Range::parse(spec).unwrap_err().to_string();
            assert!(e.starts_with("--range: "), "{e}");
            assert!(e.contains(wanted), "{spec}: {e}");
        }
    }

    #[test]
    fn bisection_stops_at_the_tolerance() {
        // x² ≥ 0.25 on 0:1 crosses at 0.5: the bracket halves each step.
        let b = drive(
            "p_any_loss>=0.25",
            Range { lo: 0.0, hi: 1.0 },
            None,
            50,
            |x| (x * x, None),
        )
        .unwrap();
        assert_eq!(b.stop(), Some(Stop::Tolerance));
        // 2 ends + 10 halvings: 1/1024 ≤ 1/1000.
        assert_eq!(b.points().len(), 12);
        assert_eq!(b.expected_steps(), 12);
        let (a, c) = b.bracket().unwrap();
        assert!(!a.met && c.met);
        assert!(c.x - a.x <= 1e-3 && a.x <= 0.5 && 0.5 <= c.x, "{a:?} {c:?}");
        let xs: Vec<f64> = b.points().iter().take(4).map(|p| p.x).collect();
        assert_eq!(xs, vec![0.0, 1.0, 0.5, 0.25]);
    }

    #[test]
    fn bisection_stops_at_max_steps_and_works_downhill() {
        // 1 − x ≤ 0.3 is met above 0.7.
        let b = drive(
            "net_return_mean<=0.3",
            Range { lo: 0.0, hi: 1.0 },
            Some(1e-9),
            6,
            |x| (1.0 - x, None),
        )
        .unwrap();
        assert_eq!(b.stop(), Some(Stop::MaxSteps));
        assert_eq!(b.points().len(), 6);
        let (a, c) = b.bracket().unwrap();
        assert!(!a.met && c.met && a.x < 0.7 && 0.7 < c.x);
        assert!((c.x - a.x - 1.0 / 16.0).abs() < 1e-12);
    }

    #[test]
    fn brackets_follow_the_evaluations() {
        let b = drive(
            "p_any_loss>=0.3",
            Range { lo: 0.0, hi: 1.0 },
            None,
            5,
            |x| (x, None),
        )
        .unwrap();
        let found = brackets(b.points());
        assert_eq!(
            found,
            vec![
                None,
                Some((0.0, 1.0)),
                Some((0.0, 0.5)),
                Some((0.25, 0.5)),
                Some((0.25, 0.375))
            ]
        );
        let (a, c) = b.bracket().unwrap();
        assert_eq!(found.last().copied().flatten(), Some((a.x, c.x)));
    }

    #[test]
    fn a_target_not_crossed_names_both_ends() {
        let e = drive(
            "p_any_loss>=0.9",
            Range { lo: 0.0, hi: 0.5 },
            None,
            20,
            |x| (x, None),
        )
        .unwrap_err();
        assert!(!e.is_invalid_input());
        let e = e.to_string();
        assert!(
            e.contains("p_any_loss = 0 at 0, 0.5 at 0.5") && e.contains("is met at neither end"),
            "{e}"
        );
        let e = drive("p_any_loss>=0", Range { lo: 0.0, hi: 0.5 }, None, 20, |x| {
            (x, None)
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("is met at both ends"), "{e}");
    }

    #[test]
    fn bad_settings_and_nan_results_are_errors() {
        let r = Range { lo: 0.0, hi: 1.0 };
        for tol in [0.0, -1.0, f64::NAN] {
            let e = Bisection::new(target("p_any_loss>=0.1"), r, Some(tol), 20).unwrap_err();
            assert!(e.is_invalid_input() && e.to_string().starts_with("--tolerance"));
        }
        let e = Bisection::new(target("p_any_loss>=0.1"), r, None, 1).unwrap_err();
        assert!(e.to_string().starts_with("--max-steps"), "{e}");
        let e = drive("loss_var999>=0.1", r, None, 20, |_| (f64::NAN, None)).unwrap_err();
        assert!(!e.is_invalid_input());
        assert!(
            e.to_string().contains("loss_var999 is not a number at 0"),
            "{e}"
        );
    }
}
