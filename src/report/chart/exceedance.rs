//! Loss exceedance panels: P(loss > x) against x on a log scale, with the
//! 99 % Value at Risk and expected shortfall marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, LegendItem, MAIN, MARK_A, MARK_B, Swatch, err};
use super::{Axis, value_range};
use crate::report::ticks::Unit;

/// One exceedance panel.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceedancePanel {
    /// Panel caption (the class or `total`).
    pub caption: String,
    /// The horizontal axis (the loss).
    pub x: Axis,
    /// The corner points of the step curve (loss, probability that the loss
    /// exceeds it), from [`crate::stats::risk::exceedance_curve`].
    pub curve: Vec<(f64, f64)>,
    /// Paths the curve was drawn from (sets the lowest probability shown).
    pub paths: usize,
    /// 99 % Value at Risk of the loss.
    pub var99: f64,
    /// 99 % expected shortfall of the loss.
    pub cvar99: f64,
}

impl ExceedancePanel {
    /// The legend every exceedance chart shares.
    pub fn legend() -> Vec<LegendItem> {
        vec![
            LegendItem::new(Swatch::Line(MAIN), "P(loss > x) across paths"),
            LegendItem::new(Swatch::Dashed(MARK_A), "VaR 99 %"),
            LegendItem::new(Swatch::Dashed(MARK_B), "CVaR 99 % (expected shortfall)"),
        ]
    }

    /// Draws the panel.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.curve.is_empty() {
            return style::draw_note(area, &self.caption, "no loss on any path");
        }
        let (_, x1) = value_range(
            self.curve
                .iter()
                .map(|p| p.0)
                .chain([self.var99, self.cvar99]),
            true,
        );
        let lowest = 0.5 / self.paths.max(1) as f64;
        let mut chart = style::builder(area, &self.caption)
            .build_cartesian_2d(0.0..x1, (lowest..1.0).log_scale())
            .map_err(err)?;
        style::draw_mesh(
            &mut chart,
            &self.x,
            &Axis::new("P(loss > x), log scale", Unit::Probability),
        )?;
        chart
            .draw_series(plotters::series::LineSeries::new(
                self.curve.iter().copied(),
                MAIN.stroke_width(3),
            ))
            .map_err(err)?;
        for (x, colour) in [(self.var99, MARK_A), (self.cvar99, MARK_B)] {
            if x.is_finite() {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(x, lowest), (x, 1.0)],
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
