//! `[[operator]]`: node operators — commission, the protocols each serves,
//! and its fault risk — checked into [`Operator`]s.

use super::names::Names;
use super::{MAX_OPERATORS, Validator};
use crate::model::{Fault, Operator};
use crate::scenario::file::ScenarioFile;

impl Validator {
    /// At most [`MAX_OPERATORS`] operators.
    pub(super) fn operator_count(&mut self, file: &ScenarioFile) {
        if file.operators.len() > MAX_OPERATORS {
            self.issue(
                "operator",
                format!(
                    "expected at most {MAX_OPERATORS} operators, found {}",
                    file.operators.len()
                ),
            );
        }
    }

    /// An operator is an entity of the outputs (`timeseries.csv`, the
    /// columns of `paths.csv`), its delegators' losses in a protocol the
    /// entity `<operator>/<protocol>`: its name must not contain `/`, be
    /// `total`, or be the name of another kind of entity.
    fn operator_name(&mut self, path: &str, name: &str, names: &Names) {
        if name.contains('/') {
            self.issue(
                path,
                format!("expected a name without \"/\" (it separates operator and protocol in the outputs), found \"{name}\""),
            );
        } else if name == "total" {
            self.issue(
                path,
                format!("expected a name other than \"total\" (reserved for the whole scenario in the outputs), found \"{name}\""),
            );
        } else if [
            &names.assets,
            &names.protocols,
            &names.stakers,
            &names.lrts,
            &names.markets,
        ]
        .iter()
        .any(|index| index.get(name).is_some())
        {
            self.issue(
                path,
                format!("expected a name not used by an asset, protocol, staker class, LRT or lending market, found \"{name}\""),
            );
        }
    }

    /// Checks every `[[operator]]`: its name, commission, protocols served,
    /// fault.
    pub(super) fn operators(
        &mut self,
        file: &ScenarioFile,
        names: &Names,
        step_days: u32,
    ) -> Vec<Operator> {
        file.operators
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let path = format!("operator[{i}]");
                self.operator_name(&format!("{path}.name"), &o.name, names);
                self.unit_interval(&format!("{path}.commission"), o.commission);
                let mut serves = vec![false; file.protocols.len()];
                if o.protocols.is_empty() {
                    self.issue(
                        &format!("{path}.protocols"),
                        "expected at least one protocol served, found []".into(),
                    );
                }
                for (j, name) in o.protocols.iter().enumerate() {
                    let pp = format!("{path}.protocols[{j}]");
                    if let Some(p) = self.reference(&pp, "protocol", name, &names.protocols) {
                        serves[p] = true;
                    }
                }
                let fault = o.fault.as_ref().and_then(|f| {
                    let fp = format!("{path}.fault");
                    let freq =
                        self.frequency(&fp, f.yearly_probability, f.yearly_rate, f.daily_probability);
                    if freq.is_none() {
                        self.issue(&fp, "expected a frequency (yearly_probability, yearly_rate or daily_probability), found none".into());
                    }
                    let severity = f.severity.as_ref().map(|s| self.severity(&format!("{fp}.severity"), s));
                    if severity.is_none() {
                        for (j, name) in o.protocols.iter().enumerate() {
                            let lacks = names.protocols.get(name).is_some_and(|p| {
                                file.protocols[p].slashing.as_ref().is_none_or(|s| s.severity.is_none())
                            });
                            if lacks {
                                self.issue(&format!("{fp}.severity"), format!("expected a severity here, because protocol \"{name}\" (protocols[{j}]) has no slashing.severity to fall back on, found none"));
                            }
                        }
                    }
                    Some(Fault {
                        step_probability: freq?.step_probability(step_days),
                        severity,
                    })
                });
                Operator {
                    name: o.name.clone(),
                    commission: o.commission,
                    serves,
                    fault,
                }
            })
            .collect()
    }
}
