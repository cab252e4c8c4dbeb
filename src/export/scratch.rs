//! A scratch folder beside an output folder, for data too large for memory
//! while the output is computed (a spilled run's shards, the columns of
//! its summary). It is deleted when dropped, and on SIGINT or SIGTERM.

use std::fs;
use std::path::{Path, PathBuf};

use super::ExportError;
use super::folder::{io, parent_of};

/// A scratch folder, deleted with everything in it when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates `.NAME.scratch-PID` beside `target` (an output folder
    /// `.../NAME`), replacing a stale one of the same process id.
    pub fn beside(target: &Path) -> Result<Scratch, ExportError> {
        let parent = parent_of(target);
        let name = target
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let path = parent.join(format!(".{name}.scratch-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path).map_err(io("remove stale folder", &path))?;
        }
        super::interrupt::stage_created(&path, || fs::create_dir_all(&path))
            .map_err(io("create folder", &path))?;
        Ok(Scratch { path })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
        super::interrupt::unstage(&self.path);
    }
}
