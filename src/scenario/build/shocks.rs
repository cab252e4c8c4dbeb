//! `[[shock]]`: correlated events, each a trigger (random or scheduled) and
//! what it hits — the protocols listing it in `slashing.shock_groups`, the
//! stake of some operators, asset prices, LRT pool prices, exits — checked
//! into [`Shock`]s.

use super::names::Names;
use super::{Validator, fmt_num};
use crate::model::{RunSettings, Shock, Trigger};
use crate::scenario::file::ScenarioFile;

/// Largest relative change of an LRT's pool price a shock may give.
const MAX_LRT_CHANGE: f64 = 10.0;

impl Validator {
    /// Checks the protocols' `slashing.shock_groups` references, then every
    /// `[[shock]]`; a shock without a valid trigger is left out.
    pub(super) fn shocks(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        step_days: u32,
        run: Option<&RunSettings>,
    ) -> Vec<Shock> {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); file.shocks.len()];
        for (pi, p) in file.protocols.iter().enumerate() {
            let Some(s) = &p.slashing else { continue };
            for (gi, g) in s.shock_groups.iter().enumerate() {
                let path = format!("protocol[{pi}].slashing.shock_groups[{gi}]");
                if let Some(si) = self.reference(&path, "shock", g, &names.shocks) {
                    members[si].push(pi);
                }
            }
        }
        let mut shocks = Vec::new();
        for (si, s) in file.shocks.iter().enumerate() {
            let path = format!("shock[{si}]");
            let freq = self.frequency(
                &path,
                s.yearly_probability,
                s.yearly_rate,
                s.daily_probability,
            );
            let trigger = match (freq, s.day) {
                (Some(f), None) => Some(Trigger::Random {
                    step_probability: f.step_probability(step_days),
                }),
                (None, Some(day)) => {
                    if let Some(r) = run
                        && day >= r.horizon_days
                    {
                        self.issue(
                            &format!("{path}.day"),
                            format!(
                                "expected a day before horizon_days ({}), found {day}",
                                r.horizon_days
                            ),
                        );
                    }
                    Some(Trigger::Scheduled {
                        step: day / step_days,
                    })
                }
                (None, None) => {
                    self.issue(
                        &path,
                        "expected a frequency (yearly_probability, yearly_rate, daily_probability) or a scheduled day, found neither".into(),
                    );
                    None
                }
                (Some(_), Some(_)) => {
                    self.issue(
                        &format!("{path}.day"),
                        "expected either a frequency or a day, found both".into(),
                    );
                    None
                }
            };
            let severity = s
                .severity
                .as_ref()
                .map(|sev| self.severity(&format!("{path}.severity"), sev));
            let operators: Vec<usize> = s
                .operators
                .iter()
                .enumerate()
                .filter_map(|(j, o)| {
                    self.reference(
                        &format!("{path}.operators[{j}]"),
                        "operator",
                        o,
                        &names.operators,
                    )
                })
                .collect();
            let price_moves: Vec<(usize, f64)> = s
                .price
                .iter()
                .enumerate()
                .filter_map(|(j, m)| {
                    let mp = format!("{path}.price[{j}]");
                    if self.finite(&format!("{mp}.change"), m.change) && m.change <= -1.0 {
                        self.issue(
                            &format!("{mp}.change"),
                            format!("expected a relative change > -1 (a price stays positive), found {}", m.change),
                        );
                    }
                    let a = self.reference_or_blank(&format!("{mp}.asset"), "asset", &m.asset, &names.assets)?;
                    Some((a, m.change))
                })
                .collect();
            let lrt_moves: Vec<(usize, f64)> = s
                .lrt_price
                .iter()
                .enumerate()
                .filter_map(|(j, m)| {
                    let mp = format!("{path}.lrt_price[{j}]");
                    self.lrt_change(&format!("{mp}.change"), m.change);
                    let l = self.reference(&format!("{mp}.lrt"), "LRT", &m.lrt, &names.lrts)?;
                    Some((l, m.change))
                })
                .collect();
            self.unit_interval(&format!("{path}.exit_fraction"), s.exit_fraction);
            let mut protocols = members[si].clone();
            if protocols.is_empty() && !operators.is_empty() {
                protocols = file
                    .operators
                    .iter()
                    .enumerate()
                    .filter(|(oi, _)| operators.contains(oi))
                    .flat_map(|(_, o)| o.protocols.iter().filter_map(|n| names.protocols.get(n)))
                    .collect();
                protocols.sort_unstable();
                protocols.dedup();
            }
            let lacks_severity = severity.is_none()
                && protocols.iter().any(|&p| {
                    file.protocols[p]
                        .slashing
                        .as_ref()
                        .is_none_or(|s| s.severity.is_none())
                });
            if lacks_severity {
                self.issue(
                    &format!("{path}.severity"),
                    "expected a severity here, or a slashing.severity on every member protocol, found neither".into(),
                );
            }
            if protocols.is_empty()
                && price_moves.is_empty()
                && s.lrt_price.is_empty()
                && s.exit_fraction == 0.0
            {
                self.issue(
                    &path,
                    format!("expected the shock to do something: list it in a protocol's slashing.shock_groups, give operators, a price move, an LRT price move or an exit_fraction (\"{}\" does nothing)", s.name),
                );
            }
            if let Some(trigger) = trigger {
                shocks.push(Shock {
                    name: s.name.clone(),
                    trigger,
                    protocols,
                    operators,
                    severity,
                    price_moves,
                    lrt_moves,
                    exit_fraction: s.exit_fraction,
                });
            }
        }
        shocks
    }

    /// Checks the relative change of an LRT's pool price: finite, > −1 (a
    /// price stays positive) and at most 10 (an 11-fold rise).
    fn lrt_change(&mut self, path: &str, change: f64) {
        if self.finite(path, change) && !(change > -1.0 && change <= MAX_LRT_CHANGE) {
            self.issue(
                path,
                format!(
                    "expected a relative change > -1 (a price stays positive) and at most {MAX_LRT_CHANGE}, found {}",
                    fmt_num(change)
                ),
            );
        }
    }
}
