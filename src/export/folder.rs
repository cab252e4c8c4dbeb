//! The run folder: files are written into a hidden temporary sibling and
//! the folder is renamed into place only when every file is written. A
//! failed or interrupted run never leaves a folder that looks complete, and
//! never touches the previous result; a successful one replaces it.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::lock::OutputLock;

/// Why writing outputs failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file system operation failed.
    #[error("cannot {action} {path}: {reason}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why (shown in the message, so not chained as a source: a chain
        /// printed with `{:#}` would say it twice).
        reason: std::io::Error,
    },
    /// A part of the output path exists and is a file, not a folder.
    #[error("cannot create {path}: {file} is a file, not a folder")]
    NotAFolder {
        /// The folder that was to be created.
        path: PathBuf,
        /// The file in its way.
        file: PathBuf,
    },
    /// A shard being read for the output is damaged or foreign.
    #[error(transparent)]
    Shard(#[from] super::shard::ShardError),
    /// CSV serialisation failed.
    #[error("cannot write CSV {name}: {reason}")]
    Csv {
        /// File name.
        name: String,
        /// Why.
        reason: csv::Error,
    },
    /// JSON serialisation failed.
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The target is a folder of something else, which a run must not replace.
    #[error(
        "refusing to replace {0}: it is not empty and holds no restake-sim output ({markers}); choose another --out folder or remove it",
        markers = OUTPUT_MARKERS.join(", ")
    )]
    NotAnOutputFolder(PathBuf),
    /// Another process is writing the folder now.
    #[error(
        "cannot write {path}: another restake-sim process{} is writing it now; wait for it to finish or choose another --out folder",
        holder.map(|pid| format!(" (process {pid})")).unwrap_or_default()
    )]
    Busy {
        /// The output folder.
        path: PathBuf,
        /// The process id of the writer, when it could be read.
        holder: Option<u32>,
    },
}

/// Files that mark a folder as one this tool wrote (a run, a sweep, a
/// stress test, a reverse stress test, a shard, a sweep block), and so as
/// one a new result may replace.
pub const OUTPUT_MARKERS: [&str; 6] = [
    "manifest.json",
    "sweep.csv",
    "stress.csv",
    "solve.csv",
    "shard.json",
    "sweep-block.json",
];

pub(super) fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ExportError + 'a {
    move |reason| ExportError::Io {
        action,
        path: path.to_path_buf(),
        reason,
    }
}

/// A run folder being written.
#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    /// Held until the folder is in place or abandoned; dropped last.
    _lock: OutputLock,
}

impl RunFolder {
    /// Starts writing the output folder `target` (its parent is created).
    /// An existing `target` is replaced on [`commit`](Self::commit) only if
    /// it is empty or holds a previous output (one of [`OUTPUT_MARKERS`]);
    /// any other folder or file is refused here, before any work is done.
    pub fn create(target: &Path) -> Result<RunFolder, ExportError> {
        let lock = claim(target)?;
        Self::staged(target, lock)
    }

    /// Like [`create`](Self::create), but replaces whatever `target` holds:
    /// for folders inside an output folder (its `charts/`).
    pub fn create_replacing(target: &Path) -> Result<RunFolder, ExportError> {
        let lock = lock_folder(target)?;
        Self::staged(target, lock)
    }

    fn staged(target: &Path, lock: OutputLock) -> Result<RunFolder, ExportError> {
        let parent = parent_of(target);
        let name = target
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io("remove stale folder", &staging))?;
        }
        super::interrupt::stage_created(&staging, || fs::create_dir_all(&staging))
            .map_err(io("create folder", &staging))?;
        Ok(RunFolder {
            target: target.to_path_buf(),
            staging,
            committed: false,
            _lock: lock,
        })
    }

    /// Writes one file into the folder. The only place output bytes are written.
    /// An error names the file's place in the target folder, where the
    /// user will look for it, not the hidden staging folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.staging.join(name);
        let destination = self.target.join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io("create folder", &destination))?;
        }
        fs::write(&path, bytes).map_err(io("write", &destination))
    }

    /// Writes one file into the folder through `fill`, which gets a
    /// buffered writer and returns it when done: for files too large to
    /// render in memory first. Errors name the file's place in the target
    /// folder, as [`write`](Self::write) does.
    pub fn write_streamed(
        &self,
        name: &str,
        fill: impl FnOnce(BufWriter<fs::File>) -> Result<BufWriter<fs::File>, ExportError>,
    ) -> Result<(), ExportError> {
        let path = self.staging.join(name);
        let destination = self.target.join(name);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io("create folder", &destination))?;
        }
        let file = fs::File::create(&path).map_err(io("write", &destination))?;
        let written = fill(BufWriter::with_capacity(1 << 20, file)).map_err(|e| match e {
            ExportError::Csv { reason, .. } if matches!(reason.kind(), csv::ErrorKind::Io(_)) => {
                let reason = match reason.kind() {
                    csv::ErrorKind::Io(e) => std::io::Error::new(e.kind(), e.to_string()),
                    other => std::io::Error::other(format!("{other:?}")),
                };
                io("write", &destination)(reason)
            }
            other => other,
        })?;
        written
            .into_inner()
            .map(drop)
            .map_err(|e| io("write", &destination)(e.into_error()))
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
        // No signal acts between the renames.
        let _held = super::interrupt::hold();
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
                reason: source,
            });
        }
        if had_previous {
            fs::remove_dir_all(&old).map_err(io("remove previous result", &old))?;
        }
        self.committed = true;
        drop(_held);
        super::interrupt::unstage(&self.staging);
        Ok(self.target.clone())
    }
}

/// The folder that holds `target` (`.` for a bare name).
pub(super) fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Locks the output folder `target` for this process (see
/// [`OutputLock`]), creating its parent folders first.
pub fn lock_folder(target: &Path) -> Result<OutputLock, ExportError> {
    let parent = parent_of(target);
    if let Some(file) = parent.ancestors().find(|a| a.is_file()) {
        return Err(ExportError::NotAFolder {
            path: target.to_path_buf(),
            file: file.to_path_buf(),
        });
    }
    fs::create_dir_all(parent).map_err(io("create folder", parent))?;
    OutputLock::acquire(target)
}

/// Claims `target` for a new output before any work is done: locks it
/// against other processes, then checks that it may be replaced (see
/// [`check_replaceable`]). Commands hold the claim until their folder is
/// in place.
pub fn claim(target: &Path) -> Result<OutputLock, ExportError> {
    let lock = lock_folder(target)?;
    check_replaceable(target)?;
    Ok(lock)
}

/// Whether an output may be written to `target`: it does not exist, or it
/// is an empty folder, or a folder holding an earlier output (one of
/// [`OUTPUT_MARKERS`]).
pub fn check_replaceable(target: &Path) -> Result<(), ExportError> {
    let replaceable = match fs::read_dir(target) {
        Ok(mut entries) => {
            entries.next().is_none() || OUTPUT_MARKERS.iter().any(|m| target.join(m).is_file())
        }
        Err(_) => !target.exists(),
    };
    if replaceable {
        Ok(())
    } else {
        Err(ExportError::NotAnOutputFolder(target.to_path_buf()))
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
    let written = super::interrupt::stage_created(&temporary, || fs::File::create(&temporary))
        .and_then(|mut file| file.write_all(bytes))
        .map_err(io("write", &temporary))
        .and_then(|()| {
            let _held = super::interrupt::hold();
            fs::rename(&temporary, path).map_err(io("move into place", path))
        });
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    super::interrupt::unstage(&temporary);
    written
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            super::interrupt::unstage(&self.staging);
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
        f.write("manifest.json", b"{}").unwrap();
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
        h.write("manifest.json", b"{}").unwrap();
        h.commit().unwrap();
        assert!(!target.join("a.csv").exists());
        assert!(target.join("b.csv").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_empty_folders_and_earlier_outputs_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        fs::create_dir(&notes).unwrap();
        fs::write(notes.join("notes.txt"), b"mine").unwrap();
        let refused = RunFolder::create(&notes).unwrap_err();
        assert!(matches!(refused, ExportError::NotAnOutputFolder(_)));
        assert!(refused.to_string().contains("refusing to replace"));
        assert_eq!(fs::read(notes.join("notes.txt")).unwrap(), b"mine");
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(RunFolder::create(&file).is_err());

        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        RunFolder::create(&empty).unwrap().commit().unwrap();
        let earlier = dir.path().join("earlier");
        fs::create_dir(&earlier).unwrap();
        fs::write(earlier.join("sweep.csv"), b"a\n").unwrap();
        RunFolder::create(&earlier).unwrap().commit().unwrap();
        RunFolder::create_replacing(&notes)
            .unwrap()
            .commit()
            .unwrap();
        assert!(!notes.join("notes.txt").exists());
    }
}
