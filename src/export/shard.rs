//! A shard folder: what `run --shard I/N` collected over its range of paths,
//! kept exactly so that `merge` can rebuild the whole run's outputs bit for
//! bit. `shard.json` says what was run; `values.f32` holds the recorded
//! values and `shard.bin` the rest, both little-endian binary (JSON would
//! not keep every `f64` and NaN exactly). Each per-path table is encoded
//! field by field in the column order its [`Record`] declares.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ExportError, RunFolder};
use crate::model::Model;
use crate::results::{
    ClassFinal, Collected, DelayCounts, EventRecord, Field, Kind, LiquidationRecord, LoopFinal,
    LrtFinal, MarketFinal, NameRef, OperatorFinal, PathRange, PathRow, ProtocolFinal, Record,
    Source, TotalFinal,
};
use crate::stats::LogHistogram;

/// Version of the shard folder's layout; `merge` refuses any other.
/// Format 2 writes each per-path table in its [`Record`] column order;
/// format 3 adds the operators' final figures and the exit delay counts.
pub const SHARD_FORMAT: u32 = 3;

/// Files every shard folder holds.
pub const SHARD_FILES: [&str; 3] = ["shard.json", "values.f32", "shard.bin"];

/// `shard.json`: what a shard is a part of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Layout version ([`SHARD_FORMAT`]).
    pub format: u32,
    /// Scenario name.
    pub name: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied, in order (with `--paths` and `--seed`).
    pub overrides: Vec<String>,
    /// Seed.
    pub seed: u64,
    /// Paths of the whole run.
    pub paths: u32,
    /// This shard, 1 to `shards`.
    pub shard: u32,
    /// Shards the run was split into.
    pub shards: u32,
    /// First path index of this shard.
    pub first_path: u32,
    /// Paths in this shard.
    pub count: u32,
    /// restake-sim version.
    pub version: String,
    /// Worker threads.
    pub threads: usize,
    /// Wall time of the shard's simulation, seconds.
    pub simulation_seconds: f64,
}

/// The paths `[floor((shard − 1)·paths/shards), floor(shard·paths/shards))`
/// of shard `shard` (1-based) of `shards`.
pub fn shard_range(paths: u32, shard: u32, shards: u32) -> PathRange {
    let bound = |i: u32| (u64::from(i) * u64::from(paths) / u64::from(shards)) as u32;
    let first = bound(shard - 1);
    PathRange {
        first,
        count: bound(shard) - first,
    }
}

/// Writes `info` and `collected` into `out` (not committed).
pub fn write_shard(
    out: &RunFolder,
    info: &ShardInfo,
    collected: &Collected,
) -> Result<(), ExportError> {
    let mut json = serde_json::to_vec_pretty(info)?;
    json.push(b'\n');
    out.write("shard.json", &json)?;
    let mut values = Vec::with_capacity(collected.values.len() * 4);
    for v in &collected.values {
        values.extend(v.to_le_bytes());
    }
    out.write("values.f32", &values)?;
    out.write("shard.bin", &encode(collected))?;
    Ok(())
}

/// Why a shard folder's data cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A file of the shard cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: std::io::Error,
    },
    /// `values.f32` does not hold the shard's recorded values.
    #[error("{path} holds {found} bytes, expected {expected} for {paths} paths of this scenario")]
    ValuesSize {
        /// The file.
        path: PathBuf,
        /// Its size.
        found: usize,
        /// The size the scenario and path count imply.
        expected: usize,
        /// Paths in the shard.
        paths: u32,
    },
    /// `shard.bin` cannot be decoded.
    #[error("{path} is damaged: {problem}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        problem: DecodeError,
    },
    /// `shard.bin` decodes, but not to data of this scenario and shard.
    #[error("{path} does not belong to this scenario and shard: {problem}")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        problem: Mismatch,
    },
}

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

/// How decoded shard data differs from what the scenario and shard imply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Another number of path rows.
    #[error("{found} path rows, expected {expected}")]
    Rows {
        /// Rows found.
        found: usize,
        /// Paths in the shard.
        expected: usize,
    },
    /// A row of another path than expected.
    #[error("row {row} is path {found}, expected path {expected}")]
    PathIndex {
        /// Row number.
        row: usize,
        /// Path found.
        found: u32,
        /// Path expected.
        expected: u32,
    },
    /// Another number of classes or protocols in a row, or of sketches.
    #[error("{what}: {found}, the scenario has {expected}")]
    Count {
        /// What was counted.
        what: &'static str,
        /// Found.
        found: usize,
        /// The scenario's.
        expected: usize,
    },
    /// An event of a path outside the shard.
    #[error("event {event} is of path {path}, outside the shard")]
    EventPath {
        /// Event number.
        event: usize,
        /// Its path.
        path: u32,
    },
    /// A liquidation of a path outside the shard.
    #[error("liquidation {row} is of path {path}, outside the shard")]
    LiquidationPath {
        /// Row number.
        row: usize,
        /// Its path.
        path: u32,
    },
    /// A liquidation names an entity the scenario does not have.
    #[error("liquidation {row} refers to {entity:?}, which the scenario does not have")]
    LiquidationName {
        /// Row number.
        row: usize,
        /// The reference.
        entity: NameRef,
    },
    /// An event names an entity the scenario does not have.
    #[error("event {event} refers to {entity:?}, which the scenario does not have")]
    EventName {
        /// Event number.
        event: usize,
        /// The reference.
        entity: NameRef,
    },
}

/// Reads what [`write_shard`] wrote for `info` of `model`.
pub fn read_shard_data(
    folder: &Path,
    info: &ShardInfo,
    model: &Model,
) -> Result<Collected, ShardError> {
    let read = |name: &str| {
        let path = folder.join(name);
        std::fs::read(&path).map_err(|reason| ShardError::Read { path, reason })
    };
    let range = PathRange {
        first: info.first_path,
        count: info.count,
    };
    let mut c = Collected::empty(model, range);
    let values = read("values.f32")?;
    if values.len() != c.values.len() * 4 {
        return Err(ShardError::ValuesSize {
            path: folder.join("values.f32"),
            found: values.len(),
            expected: c.values.len() * 4,
            paths: info.count,
        });
    }
    for (v, bytes) in c.values.iter_mut().zip(values.chunks_exact(4)) {
        *v = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let data = read("shard.bin")?;
    let path = folder.join("shard.bin");
    decode(&data, &mut c).map_err(|problem| ShardError::Damaged {
        path: path.clone(),
        problem,
    })?;
    check_fits(&c, model, range).map_err(|problem| ShardError::Foreign { path, problem })?;
    Ok(c)
}

/// Checks that decoded data has the shape of `model` over `range` and names
/// only its protocols, shocks and operators.
fn check_fits(c: &Collected, model: &Model, range: PathRange) -> Result<(), Mismatch> {
    let count = |what, found, expected| {
        if found == expected {
            Ok(())
        } else {
            Err(Mismatch::Count {
                what,
                found,
                expected,
            })
        }
    };
    if c.rows.len() != range.count as usize {
        return Err(Mismatch::Rows {
            found: c.rows.len(),
            expected: range.count as usize,
        });
    }
    for (row, (r, expected)) in c.rows.iter().zip(range.first..range.end()).enumerate() {
        if r.path != expected {
            return Err(Mismatch::PathIndex {
                row,
                found: r.path,
                expected,
            });
        }
        count(
            "classes in a path row",
            r.classes.len(),
            model.classes.len(),
        )?;
        count(
            "protocols in a path row",
            r.protocols.len(),
            model.protocols.len(),
        )?;
        count("LRTs in a path row", r.lrts.len(), model.lrts.len())?;
        count(
            "lending markets in a path row",
            r.markets.len(),
            model.markets.len(),
        )?;
        let looping = model.classes.iter().filter(|c| c.is_loop()).count();
        count("looping classes in a path row", r.loops.len(), looping)?;
        count(
            "operators in a path row",
            r.operators.len(),
            model.operators.len(),
        )?;
    }
    count(
        "exit delay counts",
        c.exit_delays.len(),
        model.classes.len(),
    )?;
    count("yield sketches", c.staker_apr.len(), model.classes.len())?;
    count(
        "yield sketch moments",
        c.staker_apr_moments.len(),
        model.classes.len() * range.count as usize,
    )?;
    let known = |n: NameRef| match n {
        NameRef::Protocol(p) => p < model.protocols.len(),
        NameRef::Shock(s) => s < model.shocks.len(),
        NameRef::Operator(o) => o < model.operators.len(),
        NameRef::Class(c) => c < model.classes.len(),
        NameRef::Market(m) => m < model.markets.len(),
        NameRef::Nobody => true,
    };
    for (row, l) in c.liquidations.iter().enumerate() {
        if !(range.first..range.end()).contains(&l.path) {
            return Err(Mismatch::LiquidationPath { row, path: l.path });
        }
        for field in l.fields() {
            if let Field::Name(entity) = field
                && !known(entity)
            {
                return Err(Mismatch::LiquidationName { row, entity });
            }
        }
    }
    for (event, e) in c.events.iter().enumerate() {
        if !(range.first..range.end()).contains(&e.path) {
            return Err(Mismatch::EventPath {
                event,
                path: e.path,
            });
        }
        for field in e.fields() {
            if let Field::Name(entity) = field
                && !known(entity)
            {
                return Err(Mismatch::EventName { event, entity });
            }
        }
    }
    Ok(())
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

fn encode(c: &Collected) -> Vec<u8> {
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

/// Reads `shard.bin`'s bytes front to back, knowing its offset.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u64_(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let bytes = self
            .data
            .get(self.at..self.at + 8)
            .ok_or(DecodeError::Truncated { at: self.at, what })?;
        self.at += 8;
        let mut head = [0; 8];
        head.copy_from_slice(bytes);
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
        let left = self.data.len() - self.at;
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
    fn record<R: Record>(&mut self, what: &'static str) -> Result<R, DecodeError> {
        let at = self.at;
        let mut fields = Vec::with_capacity(R::COLUMNS.len());
        for c in R::COLUMNS {
            fields.push(self.field(c.kind, c.name)?);
        }
        R::from_fields(&mut fields.into_iter()).ok_or(DecodeError::OutOfRange { at, what })
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

fn decode(data: &[u8], c: &mut Collected) -> Result<(), DecodeError> {
    let mut r = Reader { data, at: 0 };
    let rows = r.len("the number of path rows", 8)?;
    c.rows.clear();
    for _ in 0..rows {
        let path = r.u32_("a path index")?;
        let mut classes = Vec::new();
        for _ in 0..r.len("the number of classes", record_bytes::<ClassFinal>())? {
            classes.push(r.record("a class's final figures")?);
        }
        let mut protocols = Vec::new();
        for _ in 0..r.len("the number of protocols", record_bytes::<ProtocolFinal>())? {
            protocols.push(r.record("a protocol's final figures")?);
        }
        let mut lrts = Vec::new();
        for _ in 0..r.len("the number of LRTs", record_bytes::<LrtFinal>())? {
            lrts.push(r.record("an LRT's final figures")?);
        }
        let mut markets = Vec::new();
        for _ in 0..r.len(
            "the number of lending markets",
            record_bytes::<MarketFinal>(),
        )? {
            markets.push(r.record("a lending market's final figures")?);
        }
        let mut loops = Vec::new();
        for _ in 0..r.len("the number of looping classes", record_bytes::<LoopFinal>())? {
            loops.push(r.record("a looping class's final figures")?);
        }
        let mut operators = Vec::new();
        for _ in 0..r.len("the number of operators", record_bytes::<OperatorFinal>())? {
            operators.push(r.record("an operator's final figures")?);
        }
        let total: TotalFinal = r.record("the total's final figures")?;
        c.rows.push(PathRow {
            path,
            classes,
            protocols,
            lrts,
            markets,
            loops,
            operators,
            total,
        });
    }
    let sketches = r.len("the number of yield sketches", 8)?;
    c.staker_apr.clear();
    for _ in 0..sketches {
        let at = r.at;
        let mut rest = &data[r.at..];
        let sketch = LogHistogram::from_le_bytes(&mut rest).ok_or(DecodeError::OutOfRange {
            at,
            what: "a yield sketch",
        })?;
        r.at = data.len() - rest.len();
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
    if r.at != data.len() {
        return Err(DecodeError::Trailing {
            at: r.at,
            extra: data.len() - r.at,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ClassFinal, Source};

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
