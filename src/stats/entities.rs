//! The `summary.csv` rows of losses by cause and of operators: per class
//! and per protocol, the share of the stake at risk each cause of loss took
//! (`loss_fraction_<source>`, over the same denominator as the entity's
//! `loss_fraction`); per operator, its delegators' loss fraction and its
//! commission.

use super::tables::{Figure, PathFigure, ratio};
use crate::model::Model;
use crate::results::{ClassFinal, LossSource, ProtocolFinal, TotalFinal};

/// The summary metric of a cause of loss.
fn fraction_metric(source: LossSource) -> &'static str {
    match source {
        LossSource::Protocol => "loss_fraction_protocol",
        LossSource::Shock => "loss_fraction_shock",
        LossSource::Operator => "loss_fraction_operator",
        LossSource::Attack => "loss_fraction_attack",
    }
}

/// A class's stake lost to `source` (native units).
fn class_part(f: &ClassFinal, source: LossSource) -> f64 {
    match source {
        LossSource::Protocol => f.losses_protocol,
        LossSource::Shock => f.losses_shock,
        LossSource::Operator => f.losses_operator,
        LossSource::Attack => f.losses_attack,
    }
}

/// A protocol's stake lost to `source` (native units of its first asset).
fn protocol_part(f: &ProtocolFinal, source: LossSource) -> f64 {
    match source {
        LossSource::Protocol => f.losses_protocol_native,
        LossSource::Shock => f.losses_shock_native,
        LossSource::Operator => f.losses_operator_native,
        LossSource::Attack => f.losses_attack_native,
    }
}

/// The whole scenario's losses to `source`, USD at t = 0 prices.
fn total_part(f: &TotalFinal, source: LossSource) -> f64 {
    match source {
        LossSource::Protocol => f.losses_protocol_usd,
        LossSource::Shock => f.losses_shock_usd,
        LossSource::Operator => f.losses_operator_usd,
        LossSource::Attack => f.losses_attack_usd,
    }
}

/// Four `total` figures, `loss_fraction_protocol` … `_attack`: the losses
/// to each cause over the initial stake, both USD at t = 0 prices.
pub fn total_source_figures() -> Vec<PathFigure> {
    LossSource::ALL
        .into_iter()
        .map(|source| {
            PathFigure::new(
                "total",
                "total",
                fraction_metric(source),
                Figure::Loss,
                move |r| ratio(total_part(&r.total, source), r.total.initial_usd),
            )
        })
        .collect()
}

/// Per class in scenario order, four figures: `loss_fraction_protocol`,
/// `_shock`, `_operator` and `_attack`, each the class's losses to that
/// cause over its initial stake.
pub fn class_source_figures(model: &Model) -> Vec<PathFigure> {
    let mut out = Vec::new();
    for (c, class) in model.classes.iter().enumerate() {
        for source in LossSource::ALL {
            out.push(PathFigure::new(
                &class.name,
                "class",
                fraction_metric(source),
                Figure::Loss,
                move |r| {
                    let f = &r.classes[c];
                    ratio(class_part(f, source), f.initial)
                },
            ));
        }
    }
    out
}

/// Per protocol in scenario order, four figures as
/// [`class_source_figures`], each over the protocol's TVL at t = 0.
pub fn protocol_source_figures(model: &Model) -> Vec<PathFigure> {
    let mut out = Vec::new();
    for (p, protocol) in model.protocols.iter().enumerate() {
        for source in LossSource::ALL {
            out.push(PathFigure::new(
                &protocol.name,
                "protocol",
                fraction_metric(source),
                Figure::Loss,
                move |r| {
                    let f = &r.protocols[p];
                    ratio(protocol_part(f, source), f.tvl_native_initial)
                },
            ));
        }
    }
    out
}

/// Per operator in scenario order (none without operators), two figures:
/// `delegator_loss_fraction` (its delegators' losses over the stake
/// delegated to it at t = 0, both USD at t = 0 prices) and `commission_usd`
/// (the commission it kept, USD at t = 0 prices, summarised as a
/// non-return figure: its VaR and CVaR columns are upper quantiles and tail
/// means of the commission, and `p_any_loss` the share of paths with any).
pub fn operator_figures(model: &Model) -> Vec<PathFigure> {
    let mut out = Vec::new();
    for (o, operator) in model.operators.iter().enumerate() {
        out.push(PathFigure::new(
            &operator.name,
            "operator",
            "delegator_loss_fraction",
            Figure::Loss,
            move |r| {
                let f = &r.operators[o];
                ratio(f.delegator_losses_usd, f.delegated_usd_initial)
            },
        ));
        out.push(PathFigure::new(
            &operator.name,
            "operator",
            "commission_usd",
            Figure::Loss,
            move |r| r.operators[o].commission_usd,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::tables::tests::uniform_paths;

    #[test]
    fn each_source_row_is_that_sources_loss_over_the_initial_stake() {
        let model = crate::scenario::parse(
            crate::scenario::starter::STARTER_SCENARIO,
            std::path::Path::new("s.toml"),
            &[],
        )
        .expect("the starter scenario is valid")
        .1;
        // Losses of 1, 2, 3 and 4 out of 100 to the protocol, shocks,
        // operators and attacks, on every path: each row's median is the
        // exact quotient.
        let rows = uniform_paths(3, [1.0, 2.0, 3.0, 4.0]);
        let tables = [
            ("total", total_source_figures()),
            ("class", class_source_figures(&model)),
            ("protocol", protocol_source_figures(&model)),
        ];
        for (kind, figures) in tables {
            let got: Vec<(&str, &str, f64)> = figures
                .iter()
                .map(|f| f.row(rows.iter().map(&f.value).collect()))
                .map(|r| (r.kind, r.metric, r.p50))
                .collect();
            assert_eq!(
                got,
                [
                    (kind, "loss_fraction_protocol", 1.0 / 100.0),
                    (kind, "loss_fraction_shock", 2.0 / 100.0),
                    (kind, "loss_fraction_operator", 3.0 / 100.0),
                    (kind, "loss_fraction_attack", 4.0 / 100.0),
                ]
            );
        }
    }
}
