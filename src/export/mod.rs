//! Writing a run's results: CSV tables, the manifest, and the run folder
//! that appears only when complete. Nothing here computes statistics; the
//! rows come from [`crate::stats::tables`].

pub mod columns;
pub mod csv_files;
pub mod folder;
pub mod interrupt;
pub mod lock;
pub mod manifest;
pub mod scratch;
pub mod shard;
mod shard_codec;
pub mod shard_files;

pub use folder::{
    ExportError, RunFolder, check_replaceable, claim, lock_folder, write_file_atomically,
};
pub use lock::OutputLock;
pub use manifest::Manifest;
