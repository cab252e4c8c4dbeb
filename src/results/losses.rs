//! Losses split by what caused them. A slash's [`Source`] says which part
//! its loss goes to; the total is always the sum of the parts in one fixed
//! order, so that the parts add up to it exactly in floating point.

use super::events::Source;

/// What caused a loss, in the order the parts are summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossSource {
    /// The protocol's own slashing.
    Protocol,
    /// A shock.
    Shock,
    /// An operator fault.
    Operator,
    /// An attack by a coalition of operators.
    Attack,
}

impl LossSource {
    /// Every source, in summation order.
    pub const ALL: [LossSource; 4] = [
        LossSource::Protocol,
        LossSource::Shock,
        LossSource::Operator,
        LossSource::Attack,
    ];

    /// The source's name in metric and column names (`losses_<name>_cum`).
    pub fn name(self) -> &'static str {
        match self {
            LossSource::Protocol => "protocol",
            LossSource::Shock => "shock",
            LossSource::Operator => "operator",
            LossSource::Attack => "attack",
        }
    }

    /// The part a slash of `source` goes to.
    pub fn of(source: Source) -> LossSource {
        match source {
            Source::Protocol => LossSource::Protocol,
            Source::Shock(_) => LossSource::Shock,
            Source::Operator(_) => LossSource::Operator,
            Source::Attack => LossSource::Attack,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Cumulative losses, one part per [`LossSource`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SourceLosses {
    parts: [f64; 4],
}

impl SourceLosses {
    /// Losses with the given parts, in [`LossSource::ALL`] order.
    pub fn from_parts(parts: [f64; 4]) -> SourceLosses {
        SourceLosses { parts }
    }

    /// Adds `amount` to the part of `source`.
    pub fn add(&mut self, source: Source, amount: f64) {
        self.parts[LossSource::of(source).index()] += amount;
    }

    /// The part caused by `source`.
    pub fn part(&self, source: LossSource) -> f64 {
        self.parts[source.index()]
    }

    /// The total: ((protocol + shock) + operator) + attack, always in this
    /// order, so that it is exactly the sum of the parts so added.
    pub fn total(&self) -> f64 {
        let [protocol, shock, operator, attack] = self.parts;
        ((protocol + shock) + operator) + attack
    }

    /// Losses whose part of each source is `f(source)`.
    pub fn from_fn(f: impl Fn(LossSource) -> f64) -> SourceLosses {
        SourceLosses {
            parts: LossSource::ALL.map(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_goes_to_its_part_and_the_total_sums_them_in_order() {
        let mut l = SourceLosses::default();
        l.add(Source::Protocol, 0.1);
        l.add(Source::Shock(3), 0.2);
        l.add(Source::Operator(1), 0.3);
        l.add(Source::Attack, 1e-17);
        l.add(Source::Shock(0), 0.5);
        assert_eq!(l.part(LossSource::Protocol), 0.1);
        assert_eq!(l.part(LossSource::Shock), 0.2 + 0.5);
        assert_eq!(l.part(LossSource::Operator), 0.3);
        assert_eq!(l.part(LossSource::Attack), 1e-17);
        assert_eq!(l.total(), ((0.1 + (0.2 + 0.5)) + 0.3) + 1e-17);
        let doubled = SourceLosses::from_fn(|s| 2.0 * l.part(s));
        assert_eq!(doubled.part(LossSource::Shock), 1.4);
        let names: Vec<&str> = LossSource::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["protocol", "shock", "operator", "attack"]);
    }
}
