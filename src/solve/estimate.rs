//! The answer of a stopped bisection: the crossing and its uncertainty.
//!
//! - **Crossing**: x* = a + w·(b − a), w = (T − r(a)) / (r(b) − r(a)), the
//!   linear interpolation of the result between the final bracket's ends
//!   a and b (T the threshold).
//! - **Standard error of the result at the crossing**: se*, the same
//!   interpolation of se(a) and se(b), from the result's
//!   [`ErrorSource`](super::ErrorSource); none when the result has none
//!   (then only the bracket is reported).
//! - **Slope**: with common random numbers a probability is a step function
//!   of the parameter at a finite number of paths, so the slope over a
//!   narrow bracket means nothing. It is the secant between, on each side of
//!   the crossing, the evaluated point nearest x* whose result differs from
//!   T by at least [`SLOPE_SPAN_SE`] × se*, or the range's end on that side
//!   when no point does.
//! - **Standard error of the crossing** (delta method): se(x*) = se* /
//!   |slope|; the 95 % interval is x* ± 1.96·se(x*).

use super::search::{Bisection, Point, Stop};
use crate::stats::uncertainty::Z;

/// How many standard errors of the result a point used for the slope must
/// lie from the threshold.
pub const SLOPE_SPAN_SE: f64 = 2.0;

/// The answer of a reverse stress test.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The crossing, x*.
    pub value: f64,
    /// The final bracket's ends, lower first.
    pub bracket: (Point, Point),
    /// Standard error of the result at the crossing, se*.
    pub result_se: Option<f64>,
    /// The points the slope is measured between, lower first.
    pub secant: Option<(Point, Point)>,
    /// The slope of the result in the parameter over the secant.
    pub slope: Option<f64>,
    /// Standard error of the crossing, se(x*).
    pub se: Option<f64>,
    /// Why the bisection stopped.
    pub stop: Stop,
    /// Evaluations made.
    pub evaluations: usize,
    /// Whether the results, taken in parameter order, are monotone.
    pub monotone: bool,
}

impl Solution {
    /// The 95 % interval x* ± 1.96·se(x*), when there is a standard error.
    pub fn interval(&self) -> Option<(f64, f64)> {
        self.se.map(|se| (self.value - Z * se, self.value + Z * se))
    }

    /// One line for the terminal: `key = 0.0213 ± 0.0011 (1 s.e.; 95 %
    /// 0.0192–0.0235; bracket 0.0212–0.0215) where p_any_loss crosses
    /// 0.05`, to two significant digits of the standard error (of the
    /// bracket's width without one); the bracket to two significant digits
    /// of its width.
    pub fn describe(&self, parameter: &str, result: &str, threshold: f64) -> String {
        let (a, b) = (self.bracket.0.x, self.bracket.1.x);
        let width = b - a;
        let scale = match self.se {
            Some(se) if se > 0.0 => se,
            _ => width,
        };
        let d = decimals_for(scale);
        let n = |x: f64| format!("{x:.d$}");
        let e = decimals_for(width).max(d);
        let bracket = format!("bracket {a:.e$}–{b:.e$}");
        let error = match (self.se, self.interval()) {
            (Some(se), Some((lo, hi))) => {
                format!(" ± {} (1 s.e.; 95 % {}–{}; {bracket})", n(se), n(lo), n(hi))
            }
            _ => format!(" ({bracket}; no standard error for {result})"),
        };
        format!(
            "{parameter} = {}{error} where {result} crosses {threshold}",
            n(self.value)
        )
    }
}

/// Decimals that show `scale` with two significant digits (0 to 15; 6 when
/// `scale` is 0 or not finite).
pub fn decimals_for(scale: f64) -> usize {
    if !(scale.is_finite() && scale > 0.0) {
        return 6;
    }
    (1.0 - scale.log10().floor()).clamp(0.0, 15.0) as usize
}

/// The answer of a stopped bisection; `None` while it goes on.
pub fn solve(bisection: &Bisection) -> Option<Solution> {
    let stop = bisection.stop()?;
    let (a, b) = bisection.bracket()?;
    let points = bisection.points();
    let threshold = bisection.target().threshold;
    let (value, w) = interpolate(a, b, threshold);
    let result_se = match (a.se, b.se) {
        (Some(sa), Some(sb)) => Some((1.0 - w) * sa + w * sb),
        _ => None,
    };
    let secant = result_se.map(|se| secant(points, value, threshold, se));
    let slope = secant.map(|(p, q)| (q.value - p.value) / (q.x - p.x));
    let se = match (result_se, slope) {
        (Some(se), Some(slope)) if slope.is_finite() && slope != 0.0 => Some(se / slope.abs()),
        _ => None,
    };
    Some(Solution {
        value,
        bracket: (a, b),
        result_se,
        secant,
        slope,
        se,
        stop,
        evaluations: points.len(),
        monotone: is_monotone(points),
    })
}

/// The crossing of `threshold` by linear interpolation between `a` and `b`
/// (results on either side of it), and its weight w in [0, 1] from `a`.
pub fn interpolate(a: Point, b: Point, threshold: f64) -> (f64, f64) {
    let w = ((threshold - a.value) / (b.value - a.value)).clamp(0.0, 1.0);
    let w = if w.is_nan() { 0.5 } else { w };
    (a.x + w * (b.x - a.x), w)
}

/// The secant for the slope: on each side of the crossing `x` (points whose
/// target is met as at the range's lower end, and the others), the point
/// nearest `x` whose result lies at least [`SLOPE_SPAN_SE`] × `se` from
/// `threshold`, or that side's end of the range. `points` starts with the
/// range's two ends, as a [`Bisection`] records them.
pub fn secant(points: &[Point], x: f64, threshold: f64, se: f64) -> (Point, Point) {
    let lower_met = points[0].met;
    let nearest = |met: bool, fallback: Point| {
        points
            .iter()
            .filter(|p| p.met == met && (p.value - threshold).abs() >= SLOPE_SPAN_SE * se)
            .min_by(|p, q| (p.x - x).abs().total_cmp(&(q.x - x).abs()))
            .copied()
            .unwrap_or(fallback)
    };
    (
        nearest(lower_met, points[0]),
        nearest(!lower_met, points[1]),
    )
}

/// Whether the results, in parameter order, never go up or never go down.
pub fn is_monotone(points: &[Point]) -> bool {
    let mut sorted: Vec<Point> = points.to_vec();
    sorted.sort_by(|p, q| p.x.total_cmp(&q.x));
    let pairs = || sorted.windows(2).map(|w| w[1].value - w[0].value);
    pairs().all(|d| d >= 0.0) || pairs().all(|d| d <= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::search::{Range, drive};

    fn point(x: f64, value: f64, se: f64, met: bool) -> Point {
        Point {
            x,
            value,
            se: Some(se),
            met,
        }
    }

    #[test]
    fn interpolation_is_linear_between_the_bracket_ends() {
        let (a, b) = (point(1.0, 0.1, 0.0, false), point(2.0, 0.3, 0.0, true));
        let (x, w) = interpolate(a, b, 0.15);
        assert!((x - 1.25).abs() < 1e-12 && (w - 0.25).abs() < 1e-12);
        // Downhill as well.
        let (a, b) = (point(0.0, 1.0, 0.0, false), point(1.0, 0.0, 0.0, true));
        assert!((interpolate(a, b, 0.2).0 - 0.8).abs() < 1e-12);
    }

    #[test]
    fn a_linear_result_is_solved_exactly_with_the_delta_method_error() {
        // r(x) = 2x, se 0.01 everywhere: x* = 0.3 for T = 0.6, slope 2,
        // se(x*) = 0.005.
        let b = drive(
            "p_any_loss>=0.6",
            Range { lo: 0.0, hi: 1.0 },
            None,
            20,
            |x| (2.0 * x, Some(0.01)),
        )
        .unwrap();
        let s = solve(&b).unwrap();
        assert!((s.value - 0.3).abs() < 1e-12, "{}", s.value);
        assert!((s.slope.unwrap() - 2.0).abs() < 1e-9);
        assert!((s.se.unwrap() - 0.005).abs() < 1e-12);
        let (lo, hi) = s.interval().unwrap();
        assert!((hi - lo - 2.0 * Z * 0.005).abs() < 1e-12);
        assert!(s.monotone);
        assert_eq!(s.stop, Stop::Tolerance);
        // The secant skips points within 2 s.e. (0.02) of the threshold.
        let (p, q) = s.secant.unwrap();
        assert!(
            p.value <= 0.6 - 0.02 && q.value >= 0.6 + 0.02,
            "{p:?} {q:?}"
        );
    }

    #[test]
    fn the_slope_of_a_step_function_is_taken_over_a_meaningful_span() {
        // A probability at finite paths: r(x) = ⌊100 x⌋ / 100 on 0:1, se 0.04.
        // Over the final bracket the step makes the slope huge; the secant
        // rule measures it between points ≥ 0.08 from 0.5, about 1.
        let b = drive(
            "p_any_loss>=0.5",
            Range { lo: 0.0, hi: 1.0 },
            None,
            20,
            |x| ((100.0 * x).floor() / 100.0, Some(0.04)),
        )
        .unwrap();
        let s = solve(&b).unwrap();
        let (a, c) = s.bracket;
        let bracket_slope = (c.value - a.value) / (c.x - a.x);
        assert!(bracket_slope > 5.0, "{bracket_slope}");
        let slope = s.slope.unwrap();
        assert!((0.8..=1.25).contains(&slope), "{slope}");
        assert!((s.se.unwrap() - 0.04 / slope).abs() < 1e-12);
        assert!((s.value - 0.5).abs() < 0.01);
    }

    #[test]
    fn the_secant_falls_back_to_the_range_ends() {
        // Every point within 2 s.e. of the threshold: the range's ends.
        let points = [
            point(0.0, 0.45, 0.1, false),
            point(1.0, 0.55, 0.1, true),
            point(0.5, 0.51, 0.1, true),
            point(0.25, 0.49, 0.1, false),
        ];
        let (p, q) = secant(&points, 0.4, 0.5, 0.1);
        assert_eq!((p.x, q.x), (0.0, 1.0));
        // One side has a point far enough; the nearest such is taken.
        let points = [
            point(0.0, 0.1, 0.01, false),
            point(1.0, 0.9, 0.01, true),
            point(0.5, 0.6, 0.01, true),
            point(0.25, 0.49, 0.01, false),
            point(0.375, 0.51, 0.01, true),
        ];
        let (p, q) = secant(&points, 0.3, 0.5, 0.01);
        assert_eq!((p.x, q.x), (0.0, 0.5));
    }

    #[test]
    fn results_without_errors_report_the_bracket_only() {
        let b = drive(
            "tvl_usd_mean<=5",
            Range { lo: 0.0, hi: 10.0 },
            None,
            20,
            |x| (10.0 - x, None),
        )
        .unwrap();
        let s = solve(&b).unwrap();
        assert!(s.se.is_none() && s.slope.is_none() && s.interval().is_none());
        assert!((s.value - 5.0).abs() < 1e-9);
        let line = s.describe("k", "tvl_usd_mean", 5.0);
        assert!(line.starts_with("k = 5.000"), "{line}");
        assert!(
            line.contains("no standard error for tvl_usd_mean"),
            "{line}"
        );
    }

    #[test]
    fn answers_are_written_to_two_digits_of_their_error() {
        let s = Solution {
            value: 0.021_34,
            bracket: (
                point(0.0212, 0.0, 0.0, false),
                point(0.0215, 0.0, 0.0, true),
            ),
            result_se: Some(0.01),
            secant: None,
            slope: None,
            se: Some(0.001_1),
            stop: Stop::Tolerance,
            evaluations: 12,
            monotone: true,
        };
        assert_eq!(
            s.describe("protocol.0.slashing.yearly_probability", "p_any_loss", 0.05),
            "protocol.0.slashing.yearly_probability = 0.0213 ± 0.0011 (1 s.e.; 95 % 0.0192–0.0235; bracket 0.02120–0.02150) where p_any_loss crosses 0.05"
        );
        assert_eq!(decimals_for(0.0011), 4);
        assert_eq!(decimals_for(12_000.0), 0);
        assert_eq!(decimals_for(0.1), 2);
        assert_eq!(decimals_for(0.0), 6);
    }

    #[test]
    fn non_monotone_results_are_noticed() {
        let up = [point(0.0, 0.0, 0.0, false), point(1.0, 1.0, 0.0, true)];
        assert!(is_monotone(&up));
        let bump = [
            point(0.0, 0.0, 0.0, false),
            point(1.0, 1.0, 0.0, true),
            point(0.5, 2.0, 0.0, true),
        ];
        assert!(!is_monotone(&bump));
    }
}
