//! Bar panels: a result per variant (baseline and stresses) as horizontal
//! bars, with p5–p95 whiskers where the result has them.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, LegendItem, MAIN, Swatch, TEXT, err};
use super::{Axis, value_range};
use crate::report::ticks::Unit;

/// Colour of the baseline's bar.
const BASELINE: RGBColor = RGBColor(120, 120, 120);

/// The most characters of a row label; longer ones keep their start and
/// end around an ellipsis.
const MAX_LABEL_CHARS: usize = 40;

/// Pixels per character of a row label, with room to spare.
const PIXELS_PER_CHAR: u32 = 8;

/// A row label that fits: whole up to [`MAX_LABEL_CHARS`], otherwise its
/// start and end (which holds a `--multiply` factor) around "…".
pub fn fit_label(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let keep = MAX_LABEL_CHARS - 1;
    let head = keep / 2;
    let tail = keep - head;
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}…{end}")
}

/// The width of the label area for labels of up to `chars` characters, so
/// that none is clipped.
fn label_area_width(chars: usize) -> u32 {
    (chars as u32 * PIXELS_PER_CHAR + 24).clamp(120, MAX_LABEL_CHARS as u32 * PIXELS_PER_CHAR + 24)
}

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
        let names: Vec<String> = (0..n)
            .map(|r| fit_label(&self.bars[n - 1 - r].label))
            .collect();
        let longest = names.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let y = Axis::new("", Unit::Categories(names));
        let mut builder = style::builder(area, &self.caption);
        builder.y_label_area_size(label_area_width(longest));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_keep_their_start_and_end_and_the_area_grows_to_fit() {
        let short = "multiply operator.*.commission=2";
        assert_eq!(fit_label(short), short);
        let long = "multiply protocol.*.slashing.severity.value=1.5";
        let fitted = fit_label(long);
        assert_eq!(fitted.chars().count(), MAX_LABEL_CHARS);
        assert!(fitted.starts_with("multiply protocol") && fitted.ends_with("value=1.5"));
        assert!(fitted.contains('…'));
        assert!(label_area_width(short.chars().count()) > 190);
        assert_eq!(label_area_width(3), 120);
    }
}
