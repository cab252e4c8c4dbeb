//! A staker class's initial allocation: a fixed `allocate` table or a
//! `random_allocation`, checked against the protocols (accepted asset,
//! unique-stake sums, at most 64 protocols) and the class's leverage.

use std::collections::BTreeMap;

use super::stakers::ClassContext;
use super::{LISTED_NAMES, Validator, list_names};
use crate::model::InitialAllocation;
use crate::scenario::file::{AllocationFile, RandomAllocationFile, StakerFile};

impl Validator {
    /// Checks a `random_allocation` (the candidates `among`, `min`, `max`,
    /// `weight`) against the class's asset and leverage.
    pub(super) fn random_allocation(
        &mut self,
        path: &str,
        r: &RandomAllocationFile,
        s: &StakerFile,
        ctx: &ClassContext<'_>,
        accepts: &dyn Fn(usize) -> bool,
    ) -> Option<InitialAllocation> {
        let rp = format!("{path}.random_allocation");
        let mut among: Vec<usize> = if r.among.is_empty() {
            (0..ctx.protocols.len()).filter(|&p| accepts(p)).collect()
        } else {
            r.among
                .iter()
                .enumerate()
                .filter_map(|(j, n)| {
                    let p = self.reference(
                        &format!("{rp}.among[{j}]"),
                        "protocol",
                        n,
                        &ctx.names.protocols,
                    )?;
                    if !accepts(p) {
                        self.issue(
                            &format!("{rp}.among[{j}]"),
                            format!("expected a protocol accepting {}, found \"{n}\"", s.asset),
                        );
                    }
                    Some(p)
                })
                .collect()
        };
        among.sort_unstable();
        among.dedup();
        self.positive(&format!("{rp}.weight"), r.weight);
        if r.weight > 1.0 {
            self.issue(
                &format!("{rp}.weight"),
                format!("expected a weight in (0, 1], found {}", r.weight),
            );
        }
        if r.min == 0 || r.min > r.max {
            self.issue(
                &format!("{rp}.min"),
                format!("expected 1 ≤ min ≤ max ({}), found {}", r.max, r.min),
            );
        }
        if r.max as usize > among.len() {
            self.issue(
                &format!("{rp}.max"),
                format!(
                    "expected at most the {} candidate protocols, found {}",
                    among.len(),
                    r.max
                ),
            );
        }
        if r.max > 64 {
            self.issue(
                &format!("{rp}.max"),
                format!("expected at most 64 protocols per staker, found {}", r.max),
            );
        }
        let lev = f64::from(r.max) * r.weight;
        if lev > s.max_leverage + 1e-12 {
            self.issue(&format!("{rp}.max"), format!("expected max × weight ≤ max_leverage ({}), found {lev} (raise max_leverage or lower max)", s.max_leverage));
        }
        self.random_unique_stake(&rp, r, &among, ctx);
        Some(InitialAllocation::Random {
            min: r.min,
            max: r.max,
            weight: r.weight,
            among,
        })
    }

    /// Checks an `allocate` table (protocol → weight), sorted by protocol.
    pub(super) fn fixed_allocation(
        &mut self,
        path: &str,
        allocate: &BTreeMap<String, f64>,
        ctx: &ClassContext<'_>,
        accepts: &dyn Fn(usize) -> bool,
    ) -> Option<InitialAllocation> {
        let mut pairs = Vec::new();
        let mut unique_sum = 0.0;
        for (name, &w) in allocate {
            let wp = format!("{path}.allocate.{name}");
            let Some(p) = self.reference(&wp, "protocol", name, &ctx.names.protocols) else {
                continue;
            };
            if !accepts(p) {
                let assets = &ctx.protocols[p].assets;
                let more = assets.len().saturating_sub(LISTED_NAMES);
                self.issue(
                    &wp,
                    format!(
                        "expected a protocol accepting the class's asset, found \"{name}\" which accepts {:?}{}",
                        &assets[..assets.len() - more],
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    ),
                );
            }
            if self.finite(&wp, w) && (w <= 0.0 || w > 1.0) {
                self.issue(&wp, format!("expected a weight in (0, 1], found {w}"));
            }
            if matches!(
                ctx.protocols[p].allocation,
                Some(AllocationFile::UniqueStake)
            ) {
                unique_sum += w;
            }
            pairs.push((p, w));
        }
        pairs.sort_by_key(|p| p.0);
        if unique_sum > 1.0 + 1e-12 {
            self.issue(
                &format!("{path}.allocate"),
                format!(
                    "expected unique-stake allocations summing to at most 1, found {unique_sum}"
                ),
            );
        }
        if pairs.len() > 64 {
            self.issue(
                &format!("{path}.allocate"),
                format!(
                    "expected at most 64 protocols per staker, found {}",
                    pairs.len()
                ),
            );
        }
        Some(InitialAllocation::Fixed(pairs))
    }

    /// A staker draws k in [min, max] and then k distinct protocols from
    /// `among`, each with `weight`: in the worst draw, k = max and every
    /// unique-stake candidate it can hold is picked, so its unique-stake
    /// weights sum to weight × min(max, unique-stake candidates).
    fn random_unique_stake(
        &mut self,
        rp: &str,
        r: &RandomAllocationFile,
        among: &[usize],
        ctx: &ClassContext<'_>,
    ) {
        if !(r.weight > 0.0 && r.weight <= 1.0) {
            return;
        }
        let unique: Vec<&str> = among
            .iter()
            .filter(|&&p| {
                matches!(
                    ctx.protocols[p].allocation,
                    Some(AllocationFile::UniqueStake)
                )
            })
            .map(|&p| ctx.protocols[p].name.as_str())
            .collect();
        let picks = (r.max as usize).min(unique.len());
        let worst = r.weight * picks as f64;
        if worst > 1.0 + 1e-12 {
            self.issue(
                rp,
                format!(
                    "expected unique-stake weights summing to at most 1 in every draw, found weight × min(max, unique-stake candidates) = {} × {picks} = {worst}: a staker may pick {picks} of {} (lower weight or max, or leave unique-stake protocols out of among)",
                    r.weight,
                    list_names(&unique)
                ),
            );
        }
    }
}
