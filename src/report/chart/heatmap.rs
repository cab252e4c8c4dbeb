//! A heatmap panel: a result over two swept parameters, one cell per
//! combination, coloured on the viridis scale (readable in grey and by
//! colour-blind readers) and labelled with its value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Axis;
use super::style::{self, AXIS_SIZE, err, font};
use crate::report::ticks::Unit;

/// One heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapPanel {
    /// Panel caption (the result).
    pub caption: String,
    /// Horizontal axis: the first parameter's values as categories.
    pub x: Axis,
    /// Vertical axis: the second parameter's values as categories.
    pub y: Axis,
    /// How cell values read.
    pub z: Unit,
    /// Cells: (column, row, value).
    pub cells: Vec<(usize, usize, f64)>,
}

/// Viridis at eight evenly spaced points.
const VIRIDIS: [(u8, u8, u8); 8] = [
    (68, 1, 84),
    (70, 50, 127),
    (54, 92, 141),
    (39, 127, 142),
    (31, 161, 135),
    (74, 194, 109),
    (159, 218, 58),
    (253, 231, 37),
];

/// The viridis colour at `t` in [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn categories(unit: &Unit) -> usize {
    match unit {
        Unit::Categories(names) => names.len().max(1),
        _ => 1,
    }
}

impl HeatmapPanel {
    /// Draws the heatmap.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (nx, ny) = (categories(&self.x.unit), categories(&self.y.unit));
        let mut chart = style::builder(area, &self.caption)
            .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
            .map_err(err)?;
        style::draw_mesh(&mut chart, &self.x, &self.y)?;
        let finite = self.cells.iter().map(|c| c.2).filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let scale = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        for &(i, j, v) in &self.cells {
            let (x, y) = (i as f64, j as f64);
            let t = scale(v);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    viridis(t).filled(),
                )))
                .map_err(err)?;
            let ink = if t > 0.6 { BLACK } else { WHITE };
            let label = self.z.tick(v);
            let text = font(AXIS_SIZE)
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(label, (x, y), text)))
                .map_err(err)?;
        }
        Ok(())
    }
}
