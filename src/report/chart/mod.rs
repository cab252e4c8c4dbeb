//! Charts: what each one shows ([`Figure`]), and drawing it to PNG or SVG
//! with the same code (plotters, generic over the backend).
//!
//! Every chart has a title, a legend of its series, and one or more panels
//! laid out in a grid (small multiples stay readable with 15 protocols).
//! Text uses the bundled DejaVu Sans, so PNGs render on a machine with no
//! system fonts; colours come from the Okabe–Ito palette, which colour-blind
//! readers can tell apart.

mod bars;
mod exceedance;
mod fan;
mod heatmap;
mod histogram;
mod lines;
mod style;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use bars::{Bar, BarPanel};
pub use exceedance::ExceedancePanel;
pub use fan::FanPanel;
pub use heatmap::{HeatmapPanel, viridis};
pub use histogram::HistogramPanel;
pub use lines::{LinePanel, LineSeries as Line};
pub use style::{LegendItem, Swatch, series_colour};

use super::ReportError;
use super::ticks::Unit;

/// An axis: its description (with the unit) and how its ticks read.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Description, e.g. `TVL (USD)`.
    pub label: String,
    /// How tick labels read.
    pub unit: Unit,
}

impl Axis {
    /// An axis described by `label`, ticks in `unit`.
    pub fn new(label: impl Into<String>, unit: Unit) -> Axis {
        Axis {
            label: label.into(),
            unit,
        }
    }
}

/// What a chart shows: one kind of panel, one or more panels.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    /// Fan charts over time.
    Fans(Vec<FanPanel>),
    /// Histograms with markers.
    Histograms(Vec<HistogramPanel>),
    /// Loss exceedance curves on a log axis.
    Exceedance(Vec<ExceedancePanel>),
    /// Lines against a parameter, with optional bands.
    Lines(Vec<LinePanel>),
    /// One heatmap over two parameters.
    Heatmap(HeatmapPanel),
    /// Horizontal bars with whiskers.
    Bars(Vec<BarPanel>),
}

impl Figure {
    fn panel_count(&self) -> usize {
        match self {
            Figure::Fans(p) => p.len(),
            Figure::Histograms(p) => p.len(),
            Figure::Exceedance(p) => p.len(),
            Figure::Lines(p) => p.len(),
            Figure::Heatmap(_) => 1,
            Figure::Bars(p) => p.len(),
        }
    }
}

/// One chart: a file name, a title, a caption for the report, a legend and
/// the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name without extension, e.g. `tvl_usd`.
    pub stem: String,
    /// Title drawn on the chart.
    pub title: String,
    /// One or two sentences for the report: what the chart shows.
    pub caption: String,
    /// Legend entries shown under the title.
    pub legend: Vec<LegendItem>,
    /// What is drawn.
    pub figure: Figure,
}

/// Height of the title and legend band, pixels.
const HEADER: u32 = 96;

/// Rows and columns of a grid of `n` panels.
pub fn grid(n: usize) -> (usize, usize) {
    let cols = match n {
        0 | 1 => 1,
        2..=4 => 2,
        5..=9 => 3,
        _ => 4,
    };
    (n.max(1).div_ceil(cols), cols)
}

impl Chart {
    /// Image size in pixels (width, height): 1200–1600 wide, a printed
    /// page's width at 150–200 dpi.
    pub fn size(&self) -> (u32, u32) {
        if let Figure::Heatmap(_) = self.figure {
            return (1200, 900);
        }
        let (rows, cols) = grid(self.figure.panel_count());
        let (width, panel_height) = match cols {
            1 => (1200, 640),
            2 => (1400, 460),
            _ => (1600, 360),
        };
        (width, HEADER + rows as u32 * panel_height)
    }

    /// The chart as a PNG file.
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
        style::register_fonts().map_err(|m| super::draw_error(self, m))?;
        let (w, h) = self.size();
        let mut pixels = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|m| super::draw_error(self, m))?;
            root.present().map_err(|e| super::draw_error(self, e))?;
        }
        encode_png(&pixels, w, h).map_err(|e| super::draw_error(self, e))
    }

    /// The chart as an SVG file.
    pub fn svg(&self) -> Result<String, ReportError> {
        style::register_fonts().map_err(|m| super::draw_error(self, m))?;
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, self.size()).into_drawing_area();
            self.draw(&root).map_err(|m| super::draw_error(self, m))?;
            root.present().map_err(|e| super::draw_error(self, e))?;
        }
        Ok(text)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(style::err)?;
        let (header, body) = root.split_vertically(HEADER);
        style::draw_header(&header, &self.title, &self.legend)?;
        if let Figure::Heatmap(panel) = &self.figure {
            return panel.draw(&body.margin(0, 10, 10, 30));
        }
        let areas = body.split_evenly(grid(self.figure.panel_count()));
        match &self.figure {
            Figure::Fans(p) => draw_all(&areas, p, FanPanel::draw),
            Figure::Histograms(p) => draw_all(&areas, p, HistogramPanel::draw),
            Figure::Exceedance(p) => draw_all(&areas, p, ExceedancePanel::draw),
            Figure::Lines(p) => draw_all(&areas, p, LinePanel::draw),
            Figure::Bars(p) => draw_all(&areas, p, BarPanel::draw),
            Figure::Heatmap(_) => Ok(()),
        }
    }
}

/// Draws each panel into its grid cell.
fn draw_all<DB: DrawingBackend, P>(
    areas: &[DrawingArea<DB, Shift>],
    panels: &[P],
    draw: impl Fn(&P, &DrawingArea<DB, Shift>) -> Result<(), String>,
) -> Result<(), String> {
    for (panel, area) in panels.iter().zip(areas) {
        draw(panel, &area.margin(4, 8, 8, 16))?;
    }
    Ok(())
}

/// Encodes 8-bit RGB pixels as a PNG file.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

/// The lower and upper ends of an axis showing `values`, padded a little;
/// amounts that never go negative start at zero.
pub fn value_range(values: impl IntoIterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero && lo >= 0.0 {
        lo = 0.0;
    }
    if hi - lo < 1e-12 * hi.abs().max(1e-12) {
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return (lo - if lo == 0.0 { 0.0 } else { pad }, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    hi += pad;
    if !(from_zero && lo == 0.0) {
        lo -= pad;
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_hold_every_panel() {
        for n in 1..=40 {
            let (rows, cols) = grid(n);
            assert!(rows * cols >= n && rows * cols < n + cols, "{n}");
        }
        assert_eq!(grid(15), (4, 4));
        assert_eq!(grid(1), (1, 1));
    }

    #[test]
    fn ranges_pad_and_start_at_zero_for_amounts() {
        assert_eq!(value_range([2.0, 4.0], true), (0.0, 4.2));
        let (lo, hi) = value_range([-1.0, 1.0], false);
        assert!((lo + 1.1).abs() < 1e-12 && (hi - 1.1).abs() < 1e-12);
        assert_eq!(value_range([5.0, 5.0], true), (0.0, 5.25));
        assert_eq!(value_range([0.0], true), (0.0, 1.0));
        assert_eq!(value_range([f64::NAN], true), (0.0, 1.0));
    }
}
