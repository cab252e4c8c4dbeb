//! The recorder: on recording steps, one `f32` per series of the layout,
//! read from the path's state. Every metric is matched exhaustively, so a
//! new metric cannot record another's value.

use super::classes::Classes;
use super::market::Market;
use super::protocols::ProtocolBook;
use crate::model::Model;
use crate::results::{AssetMetric, ClassMetric, Metric, ProtocolMetric, Series, TotalMetric};

/// What a path records, and when.
#[derive(Debug, Clone)]
pub struct Recorder<'m> {
    layout: &'m [Series],
    recorded: Vec<u32>,
    next_record: usize,
    /// Recorded values, `recorded steps × series`, in layout order.
    pub values: Vec<f32>,
}

/// The state a record reads.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The scenario.
    pub model: &'a Model,
    /// Prices.
    pub market: &'a Market,
    /// Protocols, APRs up to date.
    pub protocols: &'a ProtocolBook,
    /// Classes.
    pub classes: &'a Classes,
}

impl<'m> Recorder<'m> {
    /// A recorder of `layout` on `model`'s recording steps.
    pub fn new(model: &Model, layout: &'m [Series]) -> Recorder<'m> {
        let recorded = model.run.recorded_steps();
        Recorder {
            layout,
            values: Vec::with_capacity(recorded.len() * layout.len()),
            recorded,
            next_record: 0,
        }
    }

    /// The series recorded, in order.
    pub fn layout(&self) -> &'m [Series] {
        self.layout
    }

    /// Whether the state at the end of step `step` (0: at t = 0) is
    /// recorded; a true answer counts the record as taken.
    pub fn take_due(&mut self, step: u32) -> bool {
        if self.recorded.get(self.next_record) != Some(&step) {
            return false;
        }
        self.next_record += 1;
        true
    }

    /// Appends one value per series, read from `view`.
    pub fn record(&mut self, view: View<'_>) {
        for s in self.layout {
            self.values.push(value(view, s.metric) as f32);
        }
    }
}

/// One metric's value now.
fn value(view: View<'_>, metric: Metric) -> f64 {
    let View {
        model,
        market,
        protocols: book,
        classes,
    } = view;
    let prices = &market.prices;
    match metric {
        Metric::Protocol(p, m) => match m {
            ProtocolMetric::TvlNative => book.tvl_native[p],
            ProtocolMetric::TvlUsd => book.tvl_usd[p],
            ProtocolMetric::Apr => book.apr[p],
            ProtocolMetric::Stakers => f64::from(book.backers[p]),
            ProtocolMetric::LossesCum => book.losses[p],
            ProtocolMetric::SlashEventsCum => book.slash_events[p] as f64,
        },
        Metric::Class(c, m) => {
            let run = &classes.runs[c];
            match m {
                ClassMetric::Stake => run.stake,
                ClassMetric::StakeUsd => run.stake * prices[model.classes[c].asset],
                ClassMetric::RewardsCum => run.rewards,
                ClassMetric::LossesCum => run.losses,
                ClassMetric::ExitsCum => run.exits,
                ClassMetric::NetReturn => ratio(run.rewards - run.losses, run.initial),
                ClassMetric::Apr => {
                    let earning: f64 = (0..book.earning.len())
                        .map(|p| run.tvl[classes.stakers.active_index(p)] * book.earning[p])
                        .sum();
                    ratio(earning, run.stake)
                }
                ClassMetric::Stakers => f64::from(run.active),
            }
        }
        Metric::Asset(a, m) => {
            let stake = || -> f64 {
                classes
                    .runs
                    .iter()
                    .zip(&model.classes)
                    .filter(|(_, k)| k.asset == a)
                    .map(|(r, _)| r.stake)
                    .sum()
            };
            match m {
                AssetMetric::PriceUsd => prices[a],
                AssetMetric::TvlNative => stake(),
                AssetMetric::TvlUsd => stake() * prices[a],
            }
        }
        Metric::Total(m) => match m {
            TotalMetric::TvlUsd => book.tvl_usd.iter().sum(),
            TotalMetric::StakeUsd => classes.value(model, prices, |r| r.stake),
            TotalMetric::RewardsCumUsd => classes.value(model, &market.initial, |r| r.rewards),
            TotalMetric::LossesCumUsd => classes.value(model, &market.initial, |r| r.losses),
            TotalMetric::SlashEventsCum => book.total_slash_events() as f64,
            TotalMetric::Stakers => classes.runs.iter().map(|r| f64::from(r.active)).sum(),
        },
    }
}

/// `num / den`, 0 when `den` is 0.
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}
