//! The one definition of each per-path result table's columns. A result
//! struct is declared with [`record!`](crate::record), which writes the
//! struct, its column list and its values in one place; the CSV writer
//! (`paths.csv`, `events.csv`), the shard encoding, the per-path finite
//! check and the docs test all read that list, so a new column cannot be
//! written in one place and forgotten in another.

use super::events::Source;

/// What kind of value a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A real number (`f64`); must be finite at the end of a path.
    Real,
    /// A count or index (`u32` or `u64`).
    Count,
    /// What caused a slash.
    Source,
    /// A reference to a named entity of the model (or to nobody).
    Name,
}

/// One column of a result table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Name as written in the CSV header (after the entity prefix, if any).
    pub name: &'static str,
    /// What the column holds.
    pub kind: Kind,
}

/// A named entity a result refers to, by index into the model's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRef {
    /// A protocol.
    Protocol(usize),
    /// A shock.
    Shock(usize),
    /// An operator.
    Operator(usize),
    /// A staker class.
    Class(usize),
    /// A lending market.
    Market(usize),
    /// Nobody (an empty cell).
    Nobody,
}

impl NameRef {
    /// The reference as a (kind code, index) pair: its one encoding, used
    /// by the shard files. Kind codes: 0 nobody, 1 protocol, 2 shock,
    /// 3 operator, 4 class, 5 lending market.
    pub fn code(&self) -> (u64, usize) {
        match *self {
            NameRef::Nobody => (0, 0),
            NameRef::Protocol(p) => (1, p),
            NameRef::Shock(s) => (2, s),
            NameRef::Operator(o) => (3, o),
            NameRef::Class(c) => (4, c),
            NameRef::Market(m) => (5, m),
        }
    }

    /// The reference of a [`NameRef::code`]; `None` for an unknown kind.
    pub fn from_code(kind: u64, index: usize) -> Option<NameRef> {
        match kind {
            0 => Some(NameRef::Nobody),
            1 => Some(NameRef::Protocol(index)),
            2 => Some(NameRef::Shock(index)),
            3 => Some(NameRef::Operator(index)),
            4 => Some(NameRef::Class(index)),
            5 => Some(NameRef::Market(index)),
            _ => None,
        }
    }
}

/// A staker class index, as a result column (written as the class name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassRef(pub usize);

/// A lending market index, as a result column (written as its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketRef(pub usize);

impl FieldValue for ClassRef {
    const KIND: Kind = Kind::Name;
    fn to_field(&self) -> Field {
        Field::Name(NameRef::Class(self.0))
    }
    fn from_field(field: Field) -> Option<ClassRef> {
        match field {
            Field::Name(NameRef::Class(c)) => Some(ClassRef(c)),
            _ => None,
        }
    }
}

impl FieldValue for MarketRef {
    const KIND: Kind = Kind::Name;
    fn to_field(&self) -> Field {
        Field::Name(NameRef::Market(self.0))
    }
    fn from_field(field: Field) -> Option<MarketRef> {
        match field {
            Field::Name(NameRef::Market(m)) => Some(MarketRef(m)),
            _ => None,
        }
    }
}

/// One value of a result row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field {
    /// A real number.
    Real(f64),
    /// A count or index.
    Count(u64),
    /// What caused a slash.
    Source(Source),
    /// A named entity.
    Name(NameRef),
}

impl Field {
    /// The kind of column this value belongs in.
    pub fn kind(&self) -> Kind {
        match self {
            Field::Real(_) => Kind::Real,
            Field::Count(_) => Kind::Count,
            Field::Source(_) => Kind::Source,
            Field::Name(_) => Kind::Name,
        }
    }
}

/// A value that can sit in a result column: converts to and from a
/// [`Field`] without loss.
pub trait FieldValue: Sized {
    /// The column kind of this type.
    const KIND: Kind;
    /// As a field.
    fn to_field(&self) -> Field;
    /// Back from a field; `None` if the field is of another kind or out of
    /// range for the type.
    fn from_field(field: Field) -> Option<Self>;
}

impl FieldValue for f64 {
    const KIND: Kind = Kind::Real;
    fn to_field(&self) -> Field {
        Field::Real(*self)
    }
    fn from_field(field: Field) -> Option<f64> {
        match field {
            Field::Real(x) => Some(x),
            _ => None,
        }
    }
}

impl FieldValue for u64 {
    const KIND: Kind = Kind::Count;
    fn to_field(&self) -> Field {
        Field::Count(*self)
    }
    fn from_field(field: Field) -> Option<u64> {
        match field {
            Field::Count(n) => Some(n),
            _ => None,
        }
    }
}

impl FieldValue for u32 {
    const KIND: Kind = Kind::Count;
    fn to_field(&self) -> Field {
        Field::Count(u64::from(*self))
    }
    fn from_field(field: Field) -> Option<u32> {
        u64::from_field(field).and_then(|n| u32::try_from(n).ok())
    }
}

impl FieldValue for Source {
    const KIND: Kind = Kind::Source;
    fn to_field(&self) -> Field {
        Field::Source(*self)
    }
    fn from_field(field: Field) -> Option<Source> {
        match field {
            Field::Source(s) => Some(s),
            _ => None,
        }
    }
}

impl FieldValue for NameRef {
    const KIND: Kind = Kind::Name;
    fn to_field(&self) -> Field {
        Field::Name(*self)
    }
    fn from_field(field: Field) -> Option<NameRef> {
        match field {
            Field::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// A row of a result table: its columns, declared once, and its values in
/// that order.
pub trait Record: Sized {
    /// The columns, in CSV order.
    const COLUMNS: &'static [Column];

    /// The values, one per column of [`Record::COLUMNS`].
    fn fields(&self) -> Vec<Field>;

    /// The row back from its values in column order; `None` if one is
    /// missing or of the wrong kind.
    fn from_fields(fields: &mut dyn Iterator<Item = Field>) -> Option<Self>;

    /// The first real column whose value is not finite, with that value.
    fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        Self::COLUMNS
            .iter()
            .zip(self.fields())
            .find_map(|(c, f)| match f {
                Field::Real(x) if !x.is_finite() => Some((c.name, x)),
                _ => None,
            })
    }
}

/// Declares a result struct and its [`Record`] implementation from one
/// list of fields: the struct's fields are the table's columns, in order,
/// named as in the CSV header. Field types must implement [`FieldValue`].
#[macro_export]
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[doc = $doc:literal])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty ),*
        }

        impl $crate::results::record::Record for $name {
            const COLUMNS: &'static [$crate::results::record::Column] = &[
                $( $crate::results::record::Column {
                    name: stringify!($field),
                    kind: <$ty as $crate::results::record::FieldValue>::KIND,
                } ),*
            ];

            fn fields(&self) -> Vec<$crate::results::record::Field> {
                vec![ $( $crate::results::record::FieldValue::to_field(&self.$field) ),* ]
            }

            fn from_fields(
                fields: &mut dyn Iterator<Item = $crate::results::record::Field>,
            ) -> Option<Self> {
                Some($name {
                    $( $field: <$ty as $crate::results::record::FieldValue>::from_field(fields.next()?)? ),*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::record! {
        /// A test row.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Row {
            /// A real.
            pub x: f64,
            /// A count.
            pub n: u32,
            /// A source.
            pub source: Source,
        }
    }

    #[test]
    fn columns_fields_and_back() {
        assert_eq!(
            Row::COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["x", "n", "source"]
        );
        assert_eq!(
            Row::COLUMNS.iter().map(|c| c.kind).collect::<Vec<_>>(),
            [Kind::Real, Kind::Count, Kind::Source]
        );
        let row = Row {
            x: 1.5,
            n: 7,
            source: Source::Shock(2),
        };
        let fields = row.fields();
        assert_eq!(fields.len(), Row::COLUMNS.len());
        let back = Row::from_fields(&mut fields.into_iter()).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn wrong_kinds_and_short_rows_are_refused() {
        let short = vec![Field::Real(1.0), Field::Count(2)];
        assert!(Row::from_fields(&mut short.into_iter()).is_none());
        let swapped = vec![
            Field::Count(2),
            Field::Real(1.0),
            Field::Source(Source::Protocol),
        ];
        assert!(Row::from_fields(&mut swapped.into_iter()).is_none());
        let too_big = vec![
            Field::Real(1.0),
            Field::Count(u64::MAX),
            Field::Source(Source::Protocol),
        ];
        assert!(Row::from_fields(&mut too_big.into_iter()).is_none());
    }

    #[test]
    fn the_first_non_finite_real_is_named() {
        let row = Row {
            x: f64::NAN,
            n: 1,
            source: Source::Protocol,
        };
        let (column, value) = row.first_non_finite().unwrap();
        assert_eq!(column, "x");
        assert!(value.is_nan());
        let fine = Row { x: 0.0, ..row };
        assert_eq!(fine.first_non_finite(), None);
    }
}
