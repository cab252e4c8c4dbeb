//! The bytes of `shard.bin`: every per-path table encoded field by field in
//! the column order its [`Record`] declares, little-endian, then the rest of
//! what a shard collected. [`Reader`] reads them front to back from memory
//! or from a file, so that the path rows can be read one at a time.

use std::io::Read;

use crate::model::Model;
use crate::results::{
    ClassFinal, Collected, DelayCounts, EventRecord, Field, Kind, LiquidationRecord, LoopFinal,
    LrtFinal, MarketFinal, NameRef, OperatorFinal, PathRow, ProtocolFinal, Record, Source,
    TotalFinal,
};
use crate::stats::LogHistogram;

/// What is wrong in the bytes of `shard.bin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The data ends inside a value.
    #[error("it ends at byte {at}, inside {what}")]
    Truncated {
        /// Offset of the value.
        at: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A value is out of range for what it encodes.
    #[error("{what} at byte {at} is out of range")]
    OutOfRange {
        /// Offset of the value.
        at: usize,
        /// What was being read.
        what: &'static str,
    },
    /// Bytes follow the last value.
    #[error("{extra} bytes follow the data, from byte {at}")]
    Trailing {
        /// Offset of the first extra byte.
        at: usize,
        /// How many.
        extra: usize,
    },
}

/// Appends one field, little-endian: a real as its bits, a count as a
/// `u64`, a source as its [`Source::code`] and a name as its
/// [`NameRef::code`], each a pair of `u64`s.
fn put_field(w: &mut Vec<u8>, field: Field) {
    let mut u64_ = |x: u64| w.extend(x.to_le_bytes());
    match field {
        Field::Real(x) => u64_(x.to_bits()),
        Field::Count(n) => u64_(n),
        Field::Source(s) => {
            let (kind, index) = s.code();
            u64_(kind);
            u64_(index as u64);
        }
        Field::Name(n) => {
            let (kind, index) = n.code();
            u64_(kind);
            u64_(index as u64);
        }
    }
}

/// Appends a record's fields in its column order.
fn put_record<R: Record>(w: &mut Vec<u8>, r: &R) {
    for field in r.fields() {
        put_field(w, field);
    }
}

/// `shard.bin`'s bytes: the path rows, then the rest of what was collected.
pub(super) fn encode(c: &Collected) -> Vec<u8> {
    let mut w = Vec::new();
    let u64_ = |w: &mut Vec<u8>, x: u64| w.extend(x.to_le_bytes());
    u64_(&mut w, c.rows.len() as u64);
    for r in &c.rows {
        u64_(&mut w, u64::from(r.path));
        u64_(&mut w, r.classes.len() as u64);
        for k in &r.classes {
            put_record(&mut w, k);
        }
        u64_(&mut w, r.protocols.len() as u64);
        for p in &r.protocols {
            put_record(&mut w, p);
        }
        u64_(&mut w, r.lrts.len() as u64);
        for l in &r.lrts {
            put_record(&mut w, l);
        }
        u64_(&mut w, r.markets.len() as u64);
        for m in &r.markets {
            put_record(&mut w, m);
        }
        u64_(&mut w, r.loops.len() as u64);
        for l in &r.loops {
            put_record(&mut w, l);
        }
        u64_(&mut w, r.operators.len() as u64);
        for o in &r.operators {
            put_record(&mut w, o);
        }
        put_record(&mut w, &r.total);
    }
    u64_(&mut w, c.staker_apr.len() as u64);
    for s in &c.staker_apr {
        w.extend(s.to_le_bytes());
    }
    u64_(&mut w, c.staker_apr_moments.len() as u64);
    for [sum, sum_sq] in &c.staker_apr_moments {
        u64_(&mut w, sum.to_bits());
        u64_(&mut w, sum_sq.to_bits());
    }
    u64_(&mut w, c.events.len() as u64);
    for e in &c.events {
        put_record(&mut w, e);
    }
    u64_(&mut w, c.events_dropped);
    u64_(&mut w, c.liquidations.len() as u64);
    for l in &c.liquidations {
        put_record(&mut w, l);
    }
    u64_(&mut w, c.liquidations_dropped);
    u64_(&mut w, c.exit_delays.len() as u64);
    for delays in &c.exit_delays {
        u64_(&mut w, delays.len() as u64);
        for (days, n) in delays.iter() {
            u64_(&mut w, u64::from(days));
            u64_(&mut w, n);
        }
    }
    u64_(&mut w, c.bookkeeping_error.to_bits());
    w
}

/// Reads `shard.bin`'s bytes front to back from `src`, knowing its offset
/// and the data's whole length (`total`), so that a damaged count is caught
/// before anything is reserved for it.
pub(super) struct Reader<R: Read> {
    src: R,
    at: usize,
    total: usize,
}

impl<R: Read> Reader<R> {
    /// Reads `total` bytes from `src`, which starts at offset `at` of them.
    pub(super) fn new(src: R, at: usize, total: usize) -> Self {
        Reader { src, at, total }
    }

    fn u64_(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let mut head = [0; 8];
        if self.total - self.at < 8 || self.src.read_exact(&mut head).is_err() {
            return Err(DecodeError::Truncated { at: self.at, what });
        }
        self.at += 8;
        Ok(u64::from_le_bytes(head))
    }

    fn usize_(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let at = self.at;
        let n = self.u64_(what)?;
        usize::try_from(n).map_err(|_| DecodeError::OutOfRange { at, what })
    }

    fn u32_(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let at = self.at;
        let n = self.u64_(what)?;
        u32::try_from(n).map_err(|_| DecodeError::OutOfRange { at, what })
    }

    /// A count of items that follow, each at least `min_bytes` long, so
    /// that a damaged count cannot make the reader reserve or loop for
    /// more than the data can hold.
    fn len(&mut self, what: &'static str, min_bytes: usize) -> Result<usize, DecodeError> {
        let at = self.at;
        let n = self.usize_(what)?;
        let left = self.total - self.at;
        if n.saturating_mul(min_bytes.max(1)) > left {
            return Err(DecodeError::OutOfRange { at, what });
        }
        Ok(n)
    }

    fn field(&mut self, kind: Kind, what: &'static str) -> Result<Field, DecodeError> {
        Ok(match kind {
            Kind::Real => Field::Real(f64::from_bits(self.u64_(what)?)),
            Kind::Count => Field::Count(self.u64_(what)?),
            Kind::Source => {
                let at = self.at;
                let (kind, index) = (self.u64_(what)?, self.usize_(what)?);
                Field::Source(
                    Source::from_code(kind, index).ok_or(DecodeError::OutOfRange { at, what })?,
                )
            }
            Kind::Name => {
                let at = self.at;
                let (tag, index) = (self.u64_(what)?, self.usize_(what)?);
                Field::Name(
                    NameRef::from_code(tag, index).ok_or(DecodeError::OutOfRange { at, what })?,
                )
            }
        })
    }

    /// One record, field by field in its column order.
    fn record<Rec: Record>(&mut self, what: &'static str) -> Result<Rec, DecodeError> {
        let at = self.at;
        let mut fields = Vec::with_capacity(Rec::COLUMNS.len());
        for c in Rec::COLUMNS {
            fields.push(self.field(c.kind, c.name)?);
        }
        Rec::from_fields(&mut fields.into_iter()).ok_or(DecodeError::OutOfRange { at, what })
    }

    /// The number of path rows that follow.
    pub(super) fn row_count(&mut self) -> Result<usize, DecodeError> {
        self.len("the number of path rows", 8)
    }

    /// One path row.
    pub(super) fn row(&mut self) -> Result<PathRow, DecodeError> {
        let path = self.u32_("a path index")?;
        let mut classes = Vec::new();
        for _ in 0..self.len("the number of classes", record_bytes::<ClassFinal>())? {
            classes.push(self.record("a class's final figures")?);
        }
        let mut protocols = Vec::new();
        for _ in 0..self.len("the number of protocols", record_bytes::<ProtocolFinal>())? {
            protocols.push(self.record("a protocol's final figures")?);
        }
        let mut lrts = Vec::new();
        for _ in 0..self.len("the number of LRTs", record_bytes::<LrtFinal>())? {
            lrts.push(self.record("an LRT's final figures")?);
        }
        let mut markets = Vec::new();
        for _ in 0..self.len(
            "the number of lending markets",
            record_bytes::<MarketFinal>(),
        )? {
            markets.push(self.record("a lending market's final figures")?);
        }
        let mut loops = Vec::new();
        for _ in 0..self.len("the number of looping classes", record_bytes::<LoopFinal>())? {
            loops.push(self.record("a looping class's final figures")?);
        }
        let mut operators = Vec::new();
        for _ in 0..self.len("the number of operators", record_bytes::<OperatorFinal>())? {
            operators.push(self.record("an operator's final figures")?);
        }
        let total: TotalFinal = self.record("the total's final figures")?;
        Ok(PathRow {
            path,
            classes,
            protocols,
            lrts,
            markets,
            loops,
            operators,
            total,
        })
    }
}

/// The encoded size of a record, for bounding counts read from the file.
fn record_bytes<R: Record>() -> usize {
    R::COLUMNS
        .iter()
        .map(|c| match c.kind {
            Kind::Real | Kind::Count => 8,
            Kind::Source | Kind::Name => 16,
        })
        .sum()
}

/// The encoded size of one path row of `model`: its path index, the six
/// counts of its tables and their records.
pub fn row_bytes(model: &Model) -> usize {
    let looping = model.classes.iter().filter(|c| c.is_loop()).count();
    8 + 6 * 8
        + model.classes.len() * record_bytes::<ClassFinal>()
        + model.protocols.len() * record_bytes::<ProtocolFinal>()
        + model.lrts.len() * record_bytes::<LrtFinal>()
        + model.markets.len() * record_bytes::<MarketFinal>()
        + looping * record_bytes::<LoopFinal>()
        + model.operators.len() * record_bytes::<OperatorFinal>()
        + record_bytes::<TotalFinal>()
}

/// Decodes all of `shard.bin` into `c`.
pub(super) fn decode(data: &[u8], c: &mut Collected) -> Result<(), DecodeError> {
    let mut r = Reader::new(data, 0, data.len());
    let rows = r.row_count()?;
    c.rows.clear();
    for _ in 0..rows {
        c.rows.push(r.row()?);
    }
    decode_rest(r, c)
}

/// Decodes what follows the path rows (the yield sketches, events,
/// liquidations, exit delays and bookkeeping error) into `c`.
pub(super) fn decode_rest(mut r: Reader<&[u8]>, c: &mut Collected) -> Result<(), DecodeError> {
    let sketches = r.len("the number of yield sketches", 8)?;
    c.staker_apr.clear();
    for _ in 0..sketches {
        let at = r.at;
        let before = r.src.len();
        let sketch = LogHistogram::from_le_bytes(&mut r.src).ok_or(DecodeError::OutOfRange {
            at,
            what: "a yield sketch",
        })?;
        r.at += before - r.src.len();
        c.staker_apr.push(sketch);
    }
    let moments = r.len("the number of yield sketch moments", 16)?;
    c.staker_apr_moments.clear();
    for _ in 0..moments {
        let sum = f64::from_bits(r.u64_("a sketch sum")?);
        let sum_sq = f64::from_bits(r.u64_("a sketch sum of squares")?);
        c.staker_apr_moments.push([sum, sum_sq]);
    }
    let events = r.len("the number of events", record_bytes::<EventRecord>())?;
    c.events.clear();
    for _ in 0..events {
        c.events.push(r.record("an event")?);
    }
    c.events_dropped = r.u64_("the number of dropped events")?;
    let liquidations = r.len(
        "the number of liquidations",
        record_bytes::<LiquidationRecord>(),
    )?;
    c.liquidations.clear();
    for _ in 0..liquidations {
        c.liquidations.push(r.record("a liquidation")?);
    }
    c.liquidations_dropped = r.u64_("the number of dropped liquidations")?;
    let classes = r.len("the number of exit delay counts", 8)?;
    c.exit_delays.clear();
    for _ in 0..classes {
        let mut delays = DelayCounts::default();
        for _ in 0..r.len("the number of exit delays", 16)? {
            let days = r.u32_("an exit delay")?;
            let at = r.at;
            let n = r.u64_("an exit count")?;
            if n == 0 {
                return Err(DecodeError::OutOfRange {
                    at,
                    what: "an exit count",
                });
            }
            delays.add(days, n);
        }
        c.exit_delays.push(delays);
    }
    c.bookkeeping_error = f64::from_bits(r.u64_("the bookkeeping error")?);
    if r.at != r.total {
        return Err(DecodeError::Trailing {
            at: r.at,
            extra: r.total - r.at,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use crate::results::PathRange;

    fn model() -> Model {
        let text = crate::scenario::starter::STARTER_SCENARIO;
        crate::scenario::parse(text, Path::new("s.toml"), &[])
            .expect("the starter scenario is valid")
            .1
    }

    const RANGE: PathRange = PathRange { first: 3, count: 1 };

    fn empty() -> Collected {
        Collected::empty(&model(), RANGE)
    }

    fn sample() -> Collected {
        let model = model();
        let mut c = Collected::empty(&model, RANGE);
        let class = ClassFinal {
            stake: 1.0,
            initial: 1.0,
            rewards: 0.1,
            losses: 0.0,
            losses_protocol: 0.0,
            losses_shock: 0.0,
            losses_operator: 0.0,
            losses_attack: 0.0,
            exits: 0.0,
            net_return: 0.1,
            after_tax_net_return: 0.1,
            median_net_return: 0.1,
            net_return_usd: 0.1,
            stakers: 1,
            entered: 0,
        };
        let protocol = ProtocolFinal {
            tvl_native: 1.0,
            tvl_usd: 2.0,
            apr: 0.05,
            losses_native: 0.0,
            losses_protocol_native: 0.0,
            losses_shock_native: 0.0,
            losses_operator_native: 0.0,
            losses_attack_native: 0.0,
            tvl_native_initial: 1.0,
            loss_fraction: 0.0,
            slash_events: 1,
        };
        let operator = OperatorFinal {
            delegated_usd_initial: 3.0,
            delegated_stake_usd: 2.5,
            commission_usd: 0.01,
            delegator_losses_usd: f64::from_bits(0x3FB9_9999_9999_999B),
            slash_events: 2,
        };
        c.rows.push(PathRow {
            path: 3,
            classes: vec![class; model.classes.len()],
            protocols: vec![protocol; model.protocols.len()],
            lrts: Vec::new(),
            markets: Vec::new(),
            loops: Vec::new(),
            operators: vec![operator],
            total: TotalFinal {
                net_return: 0.1,
                after_tax_net_return: 0.1,
                net_return_usd: 0.1,
                initial_usd: 2.0,
                rewards_usd: 0.2,
                losses_usd: 0.0,
                losses_protocol_usd: 0.0,
                losses_shock_usd: 0.0,
                losses_operator_usd: 0.0,
                losses_attack_usd: 0.0,
                tvl_usd: 2.2,
                slash_events: 1,
            },
        });
        c.staker_apr_moments = vec![[0.5, 0.25]; model.classes.len()];
        c.exit_delays[0].add(14, 3);
        c.exit_delays[0].add(0, 1);
        c.events.push(EventRecord {
            path: 3,
            day: 9,
            protocol: 0,
            source: Source::Protocol,
            operator: None,
            severity: 0.1,
            lost_native: 0.1,
            lost_usd: 0.2,
        });
        c.events_dropped = 2;
        c.liquidations.push(LiquidationRecord {
            path: 3,
            day: 9,
            market: crate::results::MarketRef(0),
            class: crate::results::ClassRef(0),
            round: 1,
            debt_repaid: 4.5,
            collateral_seized: 4.545,
            oracle_ratio: 0.97,
            debt_repaid_usd: 9000.0,
        });
        c.liquidations_dropped = 1;
        c.bookkeeping_error = 1e-16;
        c
    }

    #[test]
    fn encoding_round_trips_exactly() {
        let c = sample();
        let bytes = encode(&c);
        let mut back = empty();
        decode(&bytes, &mut back).unwrap();
        assert_eq!(back.rows, c.rows);
        assert_eq!(back.events, c.events);
        assert_eq!(back.liquidations, c.liquidations);
        assert_eq!(back.liquidations_dropped, 1);
        assert_eq!(back.staker_apr_moments, c.staker_apr_moments);
        assert_eq!(back.exit_delays, c.exit_delays);
        assert_eq!(back.events_dropped, 2);
        assert_eq!(back.bookkeeping_error, 1e-16);
    }

    #[test]
    fn every_truncation_is_a_located_error() {
        let bytes = encode(&sample());
        for cut in [0, 7, 8, 100, bytes.len() - 1] {
            let mut back = empty();
            let err = decode(&bytes[..cut], &mut back).unwrap_err();
            assert!(
                matches!(
                    err,
                    DecodeError::Truncated { .. } | DecodeError::OutOfRange { .. }
                ),
                "cut at {cut}: {err}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        let err = decode(&long, &mut empty()).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Trailing {
                at: bytes.len(),
                extra: 1
            }
        );
    }

    #[test]
    fn a_huge_count_is_refused_before_anything_is_reserved() {
        let mut bytes = encode(&sample());
        bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let err = decode(&bytes, &mut empty()).unwrap_err();
        assert_eq!(
            err,
            DecodeError::OutOfRange {
                at: 0,
                what: "the number of path rows"
            }
        );
    }
}
