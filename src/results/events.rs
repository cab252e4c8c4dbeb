//! Events as results: what caused a slash ([`Source`], encoded in one
//! place) and the row each slash leaves in `events.csv`; the row each
//! liquidation leaves in `liquidations.csv`.

use super::record::{ClassRef, Column, Field, FieldValue, Kind, MarketRef, NameRef, Record};
use crate::record;

record! {
    /// One liquidation as logged in `liquidations.csv`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct LiquidationRecord {
        /// Path index.
        pub path: u32,
        /// Day it happened (the end of its step).
        pub day: u32,
        /// The lending market.
        pub market: MarketRef,
        /// The looping staker's class.
        pub class: ClassRef,
        /// Round of the step's spiral, from 0.
        pub round: u32,
        /// Debt repaid, underlying units.
        pub debt_repaid: f64,
        /// Collateral seized, underlying units at the oracle price.
        pub collateral_seized: f64,
        /// Oracle price / NAV when it happened.
        pub oracle_ratio: f64,
        /// Debt repaid, USD at the day's price.
        pub debt_repaid_usd: f64,
    }
}

/// What caused a slash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The protocol's own slashing event.
    Protocol,
    /// A shock (index).
    Shock(usize),
    /// An operator fault (operator index).
    Operator(usize),
    /// An attack by a coalition of operators on the protocol (the row's
    /// operator is one member of the coalition).
    Attack,
}

impl Source {
    /// The source's kind as written in `events.csv`'s `source` column.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Source::Protocol => "protocol",
            Source::Shock(_) => "shock",
            Source::Operator(_) => "operator",
            Source::Attack => "attack",
        }
    }

    /// The source as a (kind code, index) pair: the one encoding of a
    /// source, used by the slash generators' keys and the shard files.
    /// Kind codes are 1 (protocol, index 0), 2 (shock), 3 (operator) and 4
    /// (attack, index 0).
    pub fn code(&self) -> (u64, usize) {
        match *self {
            Source::Protocol => (1, 0),
            Source::Shock(s) => (2, s),
            Source::Operator(o) => (3, o),
            Source::Attack => (4, 0),
        }
    }

    /// The source of a [`Source::code`]; `None` for an unknown kind code.
    pub fn from_code(kind: u64, index: usize) -> Option<Source> {
        match kind {
            1 => Some(Source::Protocol),
            2 => Some(Source::Shock(index)),
            3 => Some(Source::Operator(index)),
            4 => Some(Source::Attack),
            _ => None,
        }
    }

    /// The entity named in `events.csv`'s `source_name` column: the slashed
    /// protocol itself (for its own events and attacks on it), the shock,
    /// or the faulty operator.
    pub fn named(&self, protocol: usize) -> NameRef {
        match *self {
            Source::Protocol | Source::Attack => NameRef::Protocol(protocol),
            Source::Shock(s) => NameRef::Shock(s),
            Source::Operator(o) => NameRef::Operator(o),
        }
    }
}

/// One slash as logged in `events.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Path index.
    pub path: u32,
    /// Day the slash took effect.
    pub day: u32,
    /// Protocol index.
    pub protocol: usize,
    /// Cause.
    pub source: Source,
    /// Operator hit, if operator-level.
    pub operator: Option<usize>,
    /// Severity applied (after caps).
    pub severity: f64,
    /// Stake lost, native units of the protocol's first asset.
    pub lost_native: f64,
    /// Stake lost, USD at the day's prices.
    pub lost_usd: f64,
}

const fn column(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

impl Record for EventRecord {
    const COLUMNS: &'static [Column] = &[
        column("path", Kind::Count),
        column("day", Kind::Count),
        column("protocol", Kind::Name),
        column("source", Kind::Source),
        column("source_name", Kind::Name),
        column("operator", Kind::Name),
        column("severity", Kind::Real),
        column("lost_native", Kind::Real),
        column("lost_usd", Kind::Real),
    ];

    fn fields(&self) -> Vec<Field> {
        vec![
            self.path.to_field(),
            self.day.to_field(),
            Field::Name(NameRef::Protocol(self.protocol)),
            self.source.to_field(),
            Field::Name(self.source.named(self.protocol)),
            Field::Name(self.operator.map_or(NameRef::Nobody, NameRef::Operator)),
            self.severity.to_field(),
            self.lost_native.to_field(),
            self.lost_usd.to_field(),
        ]
    }

    fn from_fields(fields: &mut dyn Iterator<Item = Field>) -> Option<EventRecord> {
        let path = u32::from_field(fields.next()?)?;
        let day = u32::from_field(fields.next()?)?;
        let NameRef::Protocol(protocol) = NameRef::from_field(fields.next()?)? else {
            return None;
        };
        let source = Source::from_field(fields.next()?)?;
        // Derived from the source: only checked.
        if NameRef::from_field(fields.next()?)? != source.named(protocol) {
            return None;
        }
        let operator = match NameRef::from_field(fields.next()?)? {
            NameRef::Operator(o) => Some(o),
            NameRef::Nobody => None,
            _ => return None,
        };
        Some(EventRecord {
            path,
            day,
            protocol,
            source,
            operator,
            severity: f64::from_field(fields.next()?)?,
            lost_native: f64::from_field(fields.next()?)?,
            lost_usd: f64::from_field(fields.next()?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_codes_round_trip_and_unknown_kinds_are_refused() {
        for s in [
            Source::Protocol,
            Source::Shock(3),
            Source::Operator(65_534),
            Source::Attack,
        ] {
            let (kind, index) = s.code();
            assert_eq!(Source::from_code(kind, index), Some(s));
        }
        assert_eq!(Source::from_code(0, 0), None);
        assert_eq!(Source::from_code(5, 1), None);
    }

    #[test]
    fn an_event_row_round_trips_through_its_fields() {
        let e = EventRecord {
            path: 4,
            day: 30,
            protocol: 2,
            source: Source::Operator(1),
            operator: Some(1),
            severity: 0.05,
            lost_native: 12.5,
            lost_usd: 40_000.0,
        };
        let fields = e.fields();
        assert_eq!(fields.len(), EventRecord::COLUMNS.len());
        for (f, c) in fields.iter().zip(EventRecord::COLUMNS) {
            assert_eq!(f.kind(), c.kind, "column {}", c.name);
        }
        assert_eq!(fields[4], Field::Name(NameRef::Operator(1)));
        let back = EventRecord::from_fields(&mut fields.into_iter()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn an_inconsistent_source_name_is_refused() {
        let e = EventRecord {
            path: 0,
            day: 1,
            protocol: 0,
            source: Source::Protocol,
            operator: None,
            severity: 0.1,
            lost_native: 1.0,
            lost_usd: 1.0,
        };
        let mut fields = e.fields();
        fields[4] = Field::Name(NameRef::Shock(0));
        assert!(EventRecord::from_fields(&mut fields.into_iter()).is_none());
    }
}
