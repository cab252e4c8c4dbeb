//! One writer per output folder. A command that writes `output/x` holds an
//! exclusive lock on `output/.x.lock` from before it simulates until its
//! folder is in place, so a second process aimed at the same folder (or a
//! `chart` of it) is told at once that the folder is busy instead of
//! racing the first one's renames. The lock is an advisory file lock
//! (`flock`), released by the system when the holder exits, even when it
//! is killed: a crashed run never leaves a folder locked.
//!
//! Within one process the lock is re-entrant (a run holds it, then its
//! [`RunFolder`](super::RunFolder) takes it again), counted per folder.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::ExportError;

/// A lock file held by this process and how many guards share it.
struct Held {
    path: PathBuf,
    _file: File,
    guards: usize,
}

/// Lock files this process holds.
static HELD: Mutex<Vec<Held>> = Mutex::new(Vec::new());

fn held() -> MutexGuard<'static, Vec<Held>> {
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The right to write one output folder, until dropped.
#[derive(Debug)]
#[must_use = "the folder is locked only while the lock is held"]
pub struct OutputLock {
    path: PathBuf,
}

impl OutputLock {
    /// Locks the output folder `target` for this process. Its parent
    /// folder must exist. Fails with [`ExportError::Busy`] when another
    /// process holds it.
    pub fn acquire(target: &Path) -> Result<OutputLock, ExportError> {
        let path = lock_path(target)?;
        let mut held = held();
        if let Some(h) = held.iter_mut().find(|h| h.path == path) {
            h.guards += 1;
            return Ok(OutputLock { path });
        }
        let file = super::interrupt::stage_created(&path, || lock_file(&path, target))?;
        held.push(Held {
            path: path.clone(),
            _file: file,
            guards: 1,
        });
        Ok(OutputLock { path })
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let mut held = held();
        let Some(at) = held.iter().position(|h| h.path == self.path) else {
            return;
        };
        held[at].guards -= 1;
        if held[at].guards == 0 {
            // Removed while still locked; a process that opened it in the
            // meantime sees that the path no longer names its file and
            // tries again (see `lock_file`).
            let _ = fs::remove_file(&self.path);
            super::interrupt::unstage(&self.path);
            held.swap_remove(at);
        }
    }
}

/// `parent/.name.lock` for `parent/name`, with the parent made absolute so
/// that two spellings of one folder are one lock.
fn lock_path(target: &Path) -> Result<PathBuf, ExportError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = parent.canonicalize().map_err(|reason| ExportError::Io {
        action: "find folder",
        path: parent.to_path_buf(),
        reason,
    })?;
    let name = target
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    Ok(parent.join(format!(".{name}.lock")))
}

/// Opens and locks the lock file at `path`, writing this process's id into
/// it. Retries when the file it locked was removed by its previous holder
/// in between, so that two processes never both hold a lock.
fn lock_file(path: &Path, target: &Path) -> Result<File, ExportError> {
    // Errors name the output folder, which the user chose, not the lock file.
    let io = |action| {
        move |reason| ExportError::Io {
            action,
            path: target.to_path_buf(),
            reason,
        }
    };
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io("create the lock file of"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(ExportError::Busy {
                    path: target.to_path_buf(),
                    holder: holder.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(reason)) => return Err(io("lock")(reason)),
        }
        let ours = file.metadata().map_err(io("read the lock file of"))?;
        let still_there =
            fs::metadata(path).is_ok_and(|now| now.ino() == ours.ino() && now.dev() == ours.dev());
        if still_there {
            file.set_len(0).map_err(io("write the lock file of"))?;
            file.rewind().map_err(io("write the lock file of"))?;
            write!(file, "{}", std::process::id()).map_err(io("write the lock file of"))?;
            return Ok(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_reentrant_in_a_process_and_removed_with_its_last_guard() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        let lock_file = dir.path().join(".run.lock");
        let first = OutputLock::acquire(&target).unwrap();
        let again = OutputLock::acquire(&dir.path().join(".").join("run")).unwrap();
        assert_eq!(
            fs::read_to_string(&lock_file).unwrap(),
            std::process::id().to_string()
        );
        drop(first);
        assert!(lock_file.exists(), "a guard still holds it");
        drop(again);
        assert!(!lock_file.exists());
    }

    #[test]
    fn a_lock_held_by_another_open_file_is_busy_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        // Another holder: an open file description this module does not know.
        let other = File::create(dir.path().join(".run.lock")).unwrap();
        other.lock().unwrap();
        fs::write(dir.path().join(".run.lock"), "4242").unwrap();
        let busy = OutputLock::acquire(&target).unwrap_err();
        assert!(matches!(
            busy,
            ExportError::Busy {
                holder: Some(4242),
                ..
            }
        ));
        let message = busy.to_string();
        assert!(message.contains("process 4242"), "{message}");
        assert!(message.contains(&target.display().to_string()), "{message}");
        other.unlock().unwrap();
        drop(OutputLock::acquire(&target).unwrap());
    }

    #[test]
    fn a_missing_parent_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let error = OutputLock::acquire(&dir.path().join("no/run")).unwrap_err();
        assert!(error.to_string().contains("no"), "{error}");
    }
}
