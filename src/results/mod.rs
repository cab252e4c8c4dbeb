//! The run's results as plain data, between the engine that writes them and
//! `stats`, `export` and `merge` that read them: what a path records
//! ([`layout`]: metrics and series), its final figures ([`finals`]), its
//! slashing events ([`events`]), its losses by cause ([`losses`]), how
//! long its exits took ([`exits`]), what can be wrong with it ([`defect`]),
//! and everything a run collects in path order ([`collected`]). Each
//! per-path table declares its columns once ([`record`]).

pub mod collected;
pub mod defect;
pub mod events;
pub mod exits;
pub mod finals;
pub mod layout;
pub mod losses;
pub mod record;

pub use collected::{Collected, JoinError, PathRange, YIELD_SKETCH_ACCURACY, join, join_rest};
pub use defect::{BOOKKEEPING_TOLERANCE, PathDefect};
pub use events::{EventRecord, LiquidationRecord, Source};
pub use exits::DelayCounts;
pub use finals::{
    ClassFinal, LoopFinal, LrtFinal, MarketFinal, OperatorFinal, Part, PathRow, ProtocolFinal,
    TotalFinal,
};
pub use layout::{
    AssetMetric, ClassMetric, LoopMetric, LrtMetric, MarketMetric, Metric, OperatorMetric,
    ProtocolMetric, SecurityMetric, Series, ServiceMetric, TotalMetric, series_count, series_of,
};
pub use losses::{LossSource, SourceLosses};
pub use record::{ClassRef, Column, Field, Kind, MarketRef, NameRef, Record};
