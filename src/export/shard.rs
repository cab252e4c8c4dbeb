//! A shard folder: what `run --shard I/N` collected over its range of paths,
//! kept exactly so that `merge` can rebuild the whole run's outputs bit for
//! bit. `shard.json` says what was run; `values.f32` holds the recorded
//! values and `shard.bin` the rest, both little-endian binary (JSON would
//! not keep every `f64` and NaN exactly).

use serde::{Deserialize, Serialize};

use super::{ExportError, RunFolder};
use crate::engine::events::Source;
use crate::engine::path::{ClassFinal, EventRecord, ProtocolFinal, TotalFinal};
use crate::engine::{Collected, PathRange, PathRow};
use crate::model::Model;
use crate::stats::LogHistogram;

/// Version of the shard folder's layout; `merge` refuses any other.
pub const SHARD_FORMAT: u32 = 1;

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

/// Reads what [`write_shard`] wrote for `info` of `model`; `Err` says
/// what does not fit.
pub fn read_shard_data(
    folder: &std::path::Path,
    info: &ShardInfo,
    model: &Model,
) -> Result<Collected, String> {
    let read = |name: &str| {
        std::fs::read(folder.join(name))
            .map_err(|e| format!("cannot read {}: {e}", folder.join(name).display()))
    };
    let range = PathRange {
        first: info.first_path,
        count: info.count,
    };
    let mut c = Collected::empty(model, range);
    let values = read("values.f32")?;
    if values.len() != c.values.len() * 4 {
        return Err(format!(
            "{} holds {} bytes, expected {} for {} paths of this scenario",
            folder.join("values.f32").display(),
            values.len(),
            c.values.len() * 4,
            info.count
        ));
    }
    for (v, bytes) in c.values.iter_mut().zip(values.chunks_exact(4)) {
        *v = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let data = read("shard.bin")?;
    decode(&mut data.as_slice(), &mut c)
        .filter(|()| fits(&c, model, info))
        .ok_or_else(|| format!("{} is damaged", folder.join("shard.bin").display()))?;
    Ok(c)
}

/// Whether decoded data has the shape of `model` and names only its
/// protocols, shocks and operators.
fn fits(c: &Collected, model: &Model, info: &ShardInfo) -> bool {
    let paths = info.first_path..info.first_path + info.count;
    c.rows.len() == info.count as usize
        && c.rows.iter().zip(paths.clone()).all(|(r, path)| {
            r.path == path
                && r.classes.len() == model.classes.len()
                && r.protocols.len() == model.protocols.len()
        })
        && c.staker_apr.len() == model.classes.len()
        && c.staker_apr_moments.len() == model.classes.len() * info.count as usize
        && c.events.iter().all(|e| {
            paths.contains(&e.path)
                && e.protocol < model.protocols.len()
                && e.operator.is_none_or(|o| o < model.operators.len())
                && match e.source {
                    Source::Protocol => true,
                    Source::Shock(s) => s < model.shocks.len(),
                    Source::Operator(o) => o < model.operators.len(),
                }
        })
}

fn encode(c: &Collected) -> Vec<u8> {
    let mut w = Vec::new();
    let u64_ = |w: &mut Vec<u8>, x: u64| w.extend(x.to_le_bytes());
    let f64_ = |w: &mut Vec<u8>, x: f64| w.extend(x.to_le_bytes());
    u64_(&mut w, c.rows.len() as u64);
    for r in &c.rows {
        u64_(&mut w, u64::from(r.path));
        u64_(&mut w, r.classes.len() as u64);
        for k in &r.classes {
            for x in [
                k.stake,
                k.initial,
                k.rewards,
                k.losses,
                k.exits,
                k.net_return,
                k.after_tax_net_return,
                k.median_net_return,
            ] {
                f64_(&mut w, x);
            }
            u64_(&mut w, u64::from(k.stakers));
            u64_(&mut w, u64::from(k.entered));
        }
        u64_(&mut w, r.protocols.len() as u64);
        for p in &r.protocols {
            for x in [
                p.tvl_native,
                p.tvl_usd,
                p.apr,
                p.losses_native,
                p.loss_fraction,
            ] {
                f64_(&mut w, x);
            }
            u64_(&mut w, p.slash_events);
        }
        let t = &r.total;
        for x in [
            t.tvl_usd,
            t.initial_usd,
            t.rewards_usd,
            t.losses_usd,
            t.net_return,
            t.after_tax_net_return,
        ] {
            f64_(&mut w, x);
        }
        u64_(&mut w, t.slash_events);
    }
    u64_(&mut w, c.staker_apr.len() as u64);
    for s in &c.staker_apr {
        w.extend(s.to_le_bytes());
    }
    u64_(&mut w, c.staker_apr_moments.len() as u64);
    for [sum, sum_sq] in &c.staker_apr_moments {
        f64_(&mut w, *sum);
        f64_(&mut w, *sum_sq);
    }
    u64_(&mut w, c.events.len() as u64);
    for e in &c.events {
        u64_(&mut w, u64::from(e.path));
        u64_(&mut w, u64::from(e.day));
        u64_(&mut w, e.protocol as u64);
        let (tag, index) = match e.source {
            Source::Protocol => (0, 0),
            Source::Shock(i) => (1, i),
            Source::Operator(i) => (2, i),
        };
        u64_(&mut w, tag);
        u64_(&mut w, index as u64);
        u64_(&mut w, e.operator.map_or(u64::MAX, |o| o as u64));
        f64_(&mut w, e.severity);
        f64_(&mut w, e.lost_native);
        f64_(&mut w, e.lost_usd);
    }
    u64_(&mut w, c.events_dropped);
    f64_(&mut w, c.bookkeeping_error);
    w
}

fn decode(r: &mut &[u8], c: &mut Collected) -> Option<()> {
    fn u64_(r: &mut &[u8]) -> Option<u64> {
        let (head, rest) = r.split_first_chunk::<8>()?;
        *r = rest;
        Some(u64::from_le_bytes(*head))
    }
    fn u32_(r: &mut &[u8]) -> Option<u32> {
        u32::try_from(u64_(r)?).ok()
    }
    fn usize_(r: &mut &[u8]) -> Option<usize> {
        usize::try_from(u64_(r)?).ok()
    }
    fn f64_(r: &mut &[u8]) -> Option<f64> {
        u64_(r).map(f64::from_bits)
    }
    // Counts come from the file: cap what is reserved up front.
    let len = |r: &mut &[u8]| usize_(r).filter(|&n| n <= r.len());
    let rows = len(r)?;
    c.rows.clear();
    for _ in 0..rows {
        let path = u32_(r)?;
        let mut classes = Vec::new();
        for _ in 0..len(r)? {
            classes.push(ClassFinal {
                stake: f64_(r)?,
                initial: f64_(r)?,
                rewards: f64_(r)?,
                losses: f64_(r)?,
                exits: f64_(r)?,
                net_return: f64_(r)?,
                after_tax_net_return: f64_(r)?,
                median_net_return: f64_(r)?,
                stakers: u32_(r)?,
                entered: u32_(r)?,
            });
        }
        let mut protocols = Vec::new();
        for _ in 0..len(r)? {
            protocols.push(ProtocolFinal {
                tvl_native: f64_(r)?,
                tvl_usd: f64_(r)?,
                apr: f64_(r)?,
                losses_native: f64_(r)?,
                loss_fraction: f64_(r)?,
                slash_events: u64_(r)?,
            });
        }
        let total = TotalFinal {
            tvl_usd: f64_(r)?,
            initial_usd: f64_(r)?,
            rewards_usd: f64_(r)?,
            losses_usd: f64_(r)?,
            net_return: f64_(r)?,
            after_tax_net_return: f64_(r)?,
            slash_events: u64_(r)?,
        };
        c.rows.push(PathRow {
            path,
            classes,
            protocols,
            total,
        });
    }
    let sketches = len(r)?;
    c.staker_apr.clear();
    for _ in 0..sketches {
        c.staker_apr.push(LogHistogram::from_le_bytes(r)?);
    }
    let moments = len(r)?;
    c.staker_apr_moments.clear();
    for _ in 0..moments {
        c.staker_apr_moments.push([f64_(r)?, f64_(r)?]);
    }
    let events = len(r)?;
    c.events.clear();
    for _ in 0..events {
        let path = u32_(r)?;
        let day = u32_(r)?;
        let protocol = usize_(r)?;
        let (tag, index) = (u64_(r)?, usize_(r)?);
        let source = match tag {
            0 => Source::Protocol,
            1 => Source::Shock(index),
            2 => Source::Operator(index),
            _ => return None,
        };
        let operator = match u64_(r)? {
            u64::MAX => None,
            o => Some(usize::try_from(o).ok()?),
        };
        c.events.push(EventRecord {
            path,
            day,
            protocol,
            source,
            operator,
            severity: f64_(r)?,
            lost_native: f64_(r)?,
            lost_usd: f64_(r)?,
        });
    }
    c.events_dropped = u64_(r)?;
    c.bookkeeping_error = f64_(r)?;
    r.is_empty().then_some(())
}
