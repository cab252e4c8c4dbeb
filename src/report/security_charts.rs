//! The chart of a `security` folder: the worst loss after a shock of ψ
//! against ψ, with the bound (1 + 1/γ)·ψ of a network with slack γ > 0.
//! Plain data in, a [`Chart`] out; `app::security` draws it into
//! `cascade.png`.

use super::chart::{Axis, Chart, Figure, LegendItem, Line, LinePanel, Swatch, series_colour};
use super::ticks::Unit;

/// One shock of the cascade analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadePoint {
    /// ψ: the largest fraction of all stake the shock removes.
    pub psi: f64,
    /// The worst loss found, shock included, as a fraction of all stake.
    pub loss_fraction: f64,
    /// (1 + 1/γ)·ψ, when the network's slack γ is positive.
    pub bound: Option<f64>,
}

/// Stem of the chart file, `cascade.png`.
pub const CASCADE_STEM: &str = "cascade";

/// The cascade chart of scenario `name`: the worst loss fraction against ψ
/// (points in ascending ψ), and the bound as a second line when every point
/// has one. A bound above 100 % (nothing can lose more than all its stake)
/// is drawn at 100 %.
pub fn cascade_chart(name: &str, points: &[CascadePoint]) -> Chart {
    let mut points = points.to_vec();
    points.sort_by(|a, b| a.psi.total_cmp(&b.psi));
    let mut series = vec![Line {
        label: "worst loss".into(),
        points: points.iter().map(|p| (p.psi, p.loss_fraction)).collect(),
        band: None,
    }];
    let mut legend = vec![LegendItem::new(
        Swatch::Line(series_colour(0)),
        "worst loss after the shock (shock included)",
    )];
    let bounds: Option<Vec<(f64, f64)>> =
        points.iter().map(|p| p.bound.map(|b| (p.psi, b))).collect();
    let mut caption = "The worst loss found after a shock removing at most ψ of all stake, \
                       the shocked stake and every attack that follows, as a fraction of all stake."
        .to_string();
    if let Some(bounds) = bounds.filter(|b| !b.is_empty()) {
        let capped = bounds.iter().any(|&(_, b)| b > 1.0);
        series.push(Line {
            label: "bound".into(),
            points: bounds.iter().map(|&(x, b)| (x, b.min(1.0))).collect(),
            band: None,
        });
        legend.push(LegendItem::new(
            Swatch::Line(series_colour(1)),
            if capped {
                "bound (1 + 1/γ)·ψ, at most 100 %"
            } else {
                "bound (1 + 1/γ)·ψ"
            },
        ));
        caption.push_str(
            " With slack γ > 0 the loss stays below (1 + 1/γ)·ψ (Durvasula & Roughgarden, Theorem 1).",
        );
    } else {
        caption.push_str(" The network has no positive slack γ, so there is no bound to draw.");
    }
    Chart {
        stem: CASCADE_STEM.into(),
        title: format!("{name}: worst cascade after a shock"),
        caption,
        legend,
        figure: Figure::Lines(vec![LinePanel {
            caption: "loss against shock size (lines join the shocks analysed)".into(),
            x: Axis::new("shock ψ (share of all stake removed)", Unit::Percent),
            y: Axis::new("worst loss (share of all stake)", Unit::Percent),
            series,
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_a_second_line_only_with_positive_slack() {
        let with = [
            CascadePoint {
                psi: 0.1,
                loss_fraction: 0.2,
                bound: Some(0.3),
            },
            CascadePoint {
                psi: 0.01,
                loss_fraction: 0.0,
                bound: Some(0.03),
            },
        ];
        let chart = cascade_chart("x", &with);
        let Figure::Lines(panels) = &chart.figure else {
            panic!("a line chart");
        };
        assert_eq!(panels[0].series.len(), 2);
        assert_eq!(panels[0].series[0].points, vec![(0.01, 0.0), (0.1, 0.2)]);
        assert_eq!(chart.legend.len(), 2);
        let without = with.map(|p| CascadePoint { bound: None, ..p });
        let chart = cascade_chart("x", &without);
        let Figure::Lines(panels) = &chart.figure else {
            panic!("a line chart");
        };
        assert_eq!(panels[0].series.len(), 1);
        assert!(chart.png().unwrap().starts_with(b"\x89PNG"));
    }
}
