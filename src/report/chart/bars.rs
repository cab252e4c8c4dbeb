//! Bar panels: a result per variant (baseline and stresses) as horizontal
//! bars, with p5–p95 whiskers where the result has them.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, LegendItem, MAIN, Swatch, TEXT, err};
use super::{Axis, value_range};
use crate::report::ticks::Unit;

/// Colour of the baseline's bar.
const BASELINE: RGBColor = RGBColor(120, 120, 120);

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Variant name.
    pub label: String,
    /// Bar length.
    pub value: f64,
    /// Whisker from the 5th to the 95th percentile, if known.
    pub whisker: Option<(f64, f64)>,
    /// Drawn in the baseline's colour.
    pub baseline: bool,
}

/// One bar panel.
#[derive(Debug, Clone, PartialEq)]
pub struct BarPanel {
    /// Panel caption (the result).
    pub caption: String,
    /// The value axis.
    pub x: Axis,
    /// Bars, drawn top to bottom.
    pub bars: Vec<Bar>,
}

impl BarPanel {
    /// The legend every bar chart shares.
    pub fn legend() -> Vec<LegendItem> {
        vec![
            LegendItem::new(Swatch::Fill(BASELINE, 1.0), "baseline"),
            LegendItem::new(Swatch::Fill(MAIN, 1.0), "stressed"),
            LegendItem::new(Swatch::Line(TEXT), "5th–95th percentile across paths"),
        ]
    }

    /// Draws the panel.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let n = self.bars.len();
        let values = self.bars.iter().flat_map(|b| {
            let w = b.whisker.map_or([b.value, b.value], |(lo, hi)| [lo, hi]);
            [0.0, b.value, w[0], w[1]]
        });
        let (x0, x1) = value_range(values, true);
        // Top to bottom: bar k sits at row n - 1 - k.
        let names = (0..n).map(|r| self.bars[n - 1 - r].label.clone()).collect();
        let y = Axis::new("", Unit::Categories(names));
        let mut builder = style::builder(area, &self.caption);
        builder.y_label_area_size(190);
        let mut chart = builder
            .build_cartesian_2d(x0..x1, -0.5..n as f64 - 0.5)
            .map_err(err)?;
        style::draw_mesh(&mut chart, &self.x, &y)?;
        for (k, bar) in self.bars.iter().enumerate() {
            let row = (n - 1 - k) as f64;
            let colour = if bar.baseline { BASELINE } else { MAIN };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, row - 0.32), (bar.value, row + 0.32)],
                    colour.filled(),
                )))
                .map_err(err)?;
            if let Some((lo, hi)) = bar.whisker {
                let ink = TEXT.stroke_width(2);
                let lines = [
                    [(lo, row), (hi, row)],
                    [(lo, row - 0.15), (lo, row + 0.15)],
                    [(hi, row - 0.15), (hi, row + 0.15)],
                ];
                chart
                    .draw_series(lines.into_iter().map(|l| PathElement::new(l, ink)))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}
