//! Fan panels: a quantity's distribution across paths over time, as a
//! p5–p95 band, a p25–p75 band, the median line and the mean (dashed).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, LegendItem, MAIN, MARK_A, Swatch, err};
use super::{Axis, value_range};
use crate::report::data::Fan;
use crate::report::ticks::Unit;

/// Opacity of the p5–p95 band.
const OUTER: f64 = 0.18;
/// Opacity of the p25–p75 band.
const INNER: f64 = 0.38;

/// One fan panel.
#[derive(Debug, Clone, PartialEq)]
pub struct FanPanel {
    /// Panel caption (the entity).
    pub caption: String,
    /// The vertical axis.
    pub y: Axis,
    /// The distribution over time.
    pub fan: Fan,
}

impl FanPanel {
    /// The legend every fan chart shares.
    pub fn legend() -> Vec<LegendItem> {
        vec![
            LegendItem::new(Swatch::Fill(MAIN, OUTER), "5th–95th percentile"),
            LegendItem::new(Swatch::Fill(MAIN, INNER), "25th–75th percentile"),
            LegendItem::new(Swatch::Line(MAIN), "median across paths"),
            LegendItem::new(Swatch::Dashed(MARK_A), "mean across paths"),
        ]
    }

    /// Draws the panel.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let f = &self.fan;
        let (x0, x1) = match (f.days.first(), f.days.last()) {
            (Some(&a), Some(&b)) if b > a => (a, b),
            (Some(&a), _) => (a, a + 1.0),
            _ => return style::draw_note(area, &self.caption, "nothing recorded"),
        };
        let (y0, y1) = value_range(f.p05.iter().chain(&f.p95).copied(), true);
        let mut chart = style::builder(area, &self.caption)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        style::draw_mesh(&mut chart, &Axis::new("day", Unit::Day), &self.y)?;
        for (lo, hi, opacity) in [(&f.p05, &f.p95, OUTER), (&f.p25, &f.p75, INNER)] {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&f.days, lo, hi),
                    MAIN.mix(opacity).filled(),
                )))
                .map_err(err)?;
        }
        chart
            .draw_series(plotters::series::LineSeries::new(
                f.days.iter().copied().zip(f.p50.iter().copied()),
                MAIN.stroke_width(3),
            ))
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                f.days.iter().copied().zip(f.mean.iter().copied()),
                8,
                5,
                MARK_A.stroke_width(2),
            ))
            .map_err(err)?;
        Ok(())
    }
}

/// The outline of the band between `lo` and `hi`: along `lo`, back along `hi`.
pub fn band(days: &[f64], lo: &[f64], hi: &[f64]) -> Vec<(f64, f64)> {
    days.iter()
        .copied()
        .zip(lo.iter().copied())
        .chain(days.iter().copied().zip(hi.iter().copied()).rev())
        .collect()
}
