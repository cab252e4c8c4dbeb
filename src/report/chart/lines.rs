//! Line panels: a result against a swept parameter, one line per series,
//! each with an optional p5–p95 band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, err, series_colour};
use super::{Axis, value_range};

/// One line, with an optional band around it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSeries {
    /// Legend label.
    pub label: String,
    /// Points (x, y), in x order.
    pub points: Vec<(f64, f64)>,
    /// Band (x, low, high), if the result has one.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// One line panel.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    /// Panel caption (the result).
    pub caption: String,
    /// The horizontal axis (the parameter).
    pub x: Axis,
    /// The vertical axis (the result).
    pub y: Axis,
    /// The lines; series `i` takes palette colour `i`.
    pub series: Vec<LineSeries>,
}

impl LinePanel {
    /// Draws the panel.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = value_range(xs, false);
        let ys = self.series.iter().flat_map(|s| {
            let band = s.band.iter().flatten().flat_map(|b| [b.1, b.2]);
            s.points.iter().map(|p| p.1).chain(band)
        });
        let (y0, y1) = value_range(ys, true);
        let mut chart = style::builder(area, &self.caption)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        style::draw_mesh(&mut chart, &self.x, &self.y)?;
        for (i, s) in self.series.iter().enumerate() {
            let colour = series_colour(i);
            if let Some(band) = &s.band {
                let outline: Vec<(f64, f64)> = band
                    .iter()
                    .map(|b| (b.0, b.1))
                    .chain(band.iter().rev().map(|b| (b.0, b.2)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        colour.mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
            chart
                .draw_series(plotters::series::LineSeries::new(
                    s.points.iter().copied(),
                    colour.stroke_width(3),
                ))
                .map_err(err)?;
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 5, colour.filled())))
                .map_err(err)?;
        }
        Ok(())
    }
}
