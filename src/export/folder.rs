//! The run folder: files are written into a hidden temporary sibling and
//! the folder is renamed into place only when every file is written. A
//! failed or interrupted run never leaves a folder that looks complete, and
//! never touches the previous result; a successful one replaces it.

use std::fs;
use std::path::{Path, PathBuf};

/// Why writing outputs failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// CSV serialisation failed.
    #[error("cannot write CSV {name}: {source}")]
    Csv {
        /// File name.
        name: String,
        /// Why.
        source: csv::Error,
    },
    /// JSON serialisation failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ExportError + 'a {
    move |source| ExportError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A run folder being written.
#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl RunFolder {
    /// Starts writing the run folder `target` (its parent is created).
    pub fn create(target: &Path) -> Result<RunFolder, ExportError> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io("create folder", parent))?;
        let name = target
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io("remove stale folder", &staging))?;
        }
        fs::create_dir_all(&staging).map_err(io("create folder", &staging))?;
        Ok(RunFolder {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Writes one file into the folder. The only place output bytes are written.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.staging.join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io("create folder", dir))?;
        }
        fs::write(&path, bytes).map_err(io("write", &path))
    }

    /// Where files are being written now (the staging folder); nested run
    /// folders can be created inside it.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Where the folder will be once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished folder into place, replacing a previous result.
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        let old = self.staging.with_extension("old");
        let had_previous = self.target.exists();
        if had_previous {
            fs::rename(&self.target, &old).map_err(io("move aside", &self.target))?;
        }
        if let Err(source) = fs::rename(&self.staging, &self.target) {
            if had_previous {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(ExportError::Io {
                action: "move into place",
                path: self.target.clone(),
                source,
            });
        }
        if had_previous {
            fs::remove_dir_all(&old).map_err(io("remove previous result", &old))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

/// Writes one file beside the run folders: into a hidden temporary sibling
/// first, renamed over `path` once complete, so a reader never sees half a
/// file and a failure keeps the previous one.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    fs::write(&temporary, bytes).map_err(io("write", &temporary))?;
    fs::rename(&temporary, path).map_err(|source| {
        let _ = fs::remove_file(&temporary);
        ExportError::Io {
            action: "move into place",
            path: path.to_path_buf(),
            source,
        }
    })
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_appears_only_when_committed_and_replaces_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        let f = RunFolder::create(&target).unwrap();
        f.write("a.csv", b"x\n").unwrap();
        assert!(!target.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(target.join("a.csv")).unwrap(), b"x\n");

        let g = RunFolder::create(&target).unwrap();
        g.write("b.csv", b"y\n").unwrap();
        drop(g); // a failed run: previous result untouched, no leftovers
        assert!(target.join("a.csv").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        let h = RunFolder::create(&target).unwrap();
        h.write("b.csv", b"y\n").unwrap();
        h.commit().unwrap();
        assert!(!target.join("a.csv").exists());
        assert!(target.join("b.csv").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
