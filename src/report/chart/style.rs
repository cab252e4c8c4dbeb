//! The look shared by every chart: the bundled font, the colour-blind-safe
//! palette, text sizes, the title and legend band, and axis styling.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::Axis;

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The font family every chart asks for.
pub const FAMILY: &str = "sans-serif";

/// Makes the bundled font the chart font (once per process).
pub fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the bundled font cannot be read".to_string())
        })
        .clone()
}

/// Okabe & Ito's palette (black left out: it is the text colour), in the
/// order series take it: blue, orange, bluish green, vermillion, sky blue,
/// reddish purple, yellow.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(240, 228, 66),
];

/// The colour of series `i` (the palette repeats after seven series).
pub fn series_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The main colour (fans, bars, histograms).
pub const MAIN: RGBColor = PALETTE[0];
/// The first marker colour (means, VaR).
pub const MARK_A: RGBColor = PALETTE[1];
/// The second marker colour (p5, CVaR).
pub const MARK_B: RGBColor = PALETTE[3];
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Text.
pub const TEXT: RGBColor = RGBColor(20, 20, 20);

/// Chart title size, pixels.
pub const TITLE_SIZE: u32 = 28;
/// Panel caption size.
pub const CAPTION_SIZE: u32 = 20;
/// Axis description size.
pub const AXIS_SIZE: u32 = 16;
/// Tick label and legend size.
pub const TICK_SIZE: u32 = 15;

/// A font of the chart family.
pub fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&TEXT)
}

/// A drawing-library error as text.
pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A filled box in a colour at an opacity (bands, bars).
    Fill(RGBColor, f64),
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    /// What is drawn.
    pub swatch: Swatch,
    /// What it means.
    pub label: String,
}

impl LegendItem {
    /// A legend entry.
    pub fn new(swatch: Swatch, label: impl Into<String>) -> LegendItem {
        LegendItem {
            swatch,
            label: label.into(),
        }
    }
}

/// Draws the title and, under it, the legend entries in a row.
pub fn draw_header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendItem],
) -> Result<(), String> {
    area.draw(&Text::new(title.to_string(), (24, 14), font(TITLE_SIZE)))
        .map_err(err)?;
    let y = 64;
    let mut x = 26;
    for item in legend {
        match item.swatch {
            Swatch::Fill(colour, opacity) => area
                .draw(&Rectangle::new(
                    [(x, y - 8), (x + 28, y + 8)],
                    colour.mix(opacity).filled(),
                ))
                .map_err(err)?,
            Swatch::Line(colour) => area
                .draw(&PathElement::new(
                    [(x, y), (x + 28, y)],
                    colour.stroke_width(3),
                ))
                .map_err(err)?,
            Swatch::Dashed(colour) => {
                for dash in 0..3 {
                    let x0 = x + dash * 11;
                    area.draw(&PathElement::new(
                        [(x0, y), (x0 + 6, y)],
                        colour.stroke_width(3),
                    ))
                    .map_err(err)?;
                }
            }
        }
        let label_style = font(TICK_SIZE + 1);
        area.draw(&Text::new(
            item.label.clone(),
            (x + 36, y - 9),
            label_style.clone(),
        ))
        .map_err(err)?;
        let width = area
            .estimate_text_size(&item.label, &label_style)
            .map_err(err)?
            .0 as i32;
        x += 36 + width + 30;
    }
    Ok(())
}

/// Draws the grid, the axes, their descriptions and tick labels.
pub fn draw_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x: &Axis,
    y: &Axis,
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    // Categorical axes ask for enough ticks that every category gets one.
    let count = |a: &Axis| match &a.unit {
        crate::report::ticks::Unit::Categories(names) => names.len() * 2 + 1,
        _ => 6,
    };
    let x_tick = |v: &f64| x.unit.tick(*v);
    let y_tick = |v: &f64| y.unit.tick(*v);
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(TEXT.mix(0.6))
        .x_labels(count(x))
        .y_labels(count(y))
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(AXIS_SIZE))
        .draw()
        .map_err(err)
}

/// A chart context on `area` with a caption and room for tick labels.
pub fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(caption, font(CAPTION_SIZE))
        .margin(8)
        .x_label_area_size(52)
        .y_label_area_size(92);
    b
}

/// Writes a note in the middle of a panel that has nothing to draw.
pub fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    note: &str,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(caption.to_string(), (10, 8), font(CAPTION_SIZE)))
        .map_err(err)?;
    area.draw(&Text::new(
        note.to_string(),
        (w as i32 / 2 - 150, h as i32 / 2),
        font(AXIS_SIZE),
    ))
    .map_err(err)
}
