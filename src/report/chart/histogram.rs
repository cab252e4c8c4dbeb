//! Histogram panels: the distribution of per-staker net APR, with the mean
//! and the 5th percentile marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, LegendItem, MAIN, MARK_A, MARK_B, Swatch, err};
use super::{Axis, value_range};
use crate::report::ticks::Unit;

/// One histogram panel.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramPanel {
    /// Panel caption (the class).
    pub caption: String,
    /// The horizontal axis (what is binned).
    pub x: Axis,
    /// Bins: lower edge, upper edge, share of the total (0–1).
    pub bins: Vec<(f64, f64, f64)>,
    /// Where the mean is.
    pub mean: f64,
    /// Where the 5th percentile is.
    pub p05: f64,
}

impl HistogramPanel {
    /// The legend every histogram chart shares.
    pub fn legend() -> Vec<LegendItem> {
        vec![
            LegendItem::new(Swatch::Fill(MAIN, 0.7), "share of stakers"),
            LegendItem::new(Swatch::Dashed(MARK_A), "mean"),
            LegendItem::new(Swatch::Dashed(MARK_B), "5th percentile"),
        ]
    }

    /// Draws the panel.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.bins.is_empty() {
            return style::draw_note(area, &self.caption, "no stakers");
        }
        let (x0, x1) = value_range(
            self.bins
                .iter()
                .flat_map(|b| [b.0, b.1])
                .chain([self.mean, self.p05]),
            false,
        );
        let (_, y1) = value_range(self.bins.iter().map(|b| b.2), true);
        let mut chart = style::builder(area, &self.caption)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(err)?;
        style::draw_mesh(
            &mut chart,
            &self.x,
            &Axis::new("share of stakers", Unit::Percent),
        )?;
        chart
            .draw_series(self.bins.iter().map(|&(lo, hi, share)| {
                Rectangle::new([(lo, 0.0), (hi.max(lo), share)], MAIN.mix(0.7).filled())
            }))
            .map_err(err)?;
        for (x, colour) in [(self.mean, MARK_A), (self.p05, MARK_B)] {
            if x.is_finite() {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(x, 0.0), (x, y1)],
                        8,
                        6,
                        colour.stroke_width(3),
                    ))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}
