//! Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM (a scheduler's kill):
//! every output folder and file being written, and every lock file held,
//! is registered here while it exists; on a signal they are deleted and the process
//! exits with 128 + the signal's number (130, 143), so an interrupted run
//! leaves nothing behind and the previous result in place. A commit holds
//! the registry while it renames, so a signal never lands between moving
//! the previous result aside and putting the new one in its place.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The staging folders and files being written now, and the lock files held.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding it leaves the list itself intact.
    STAGING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Creates a staging folder or file (or lock file) at `path` with `create`
/// and registers it, holding the registry throughout: a signal never finds
/// it created but not yet registered, which would leave it behind.
pub(super) fn stage_created<T, E>(
    path: &Path,
    create: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let mut staged = registry();
    let made = create()?;
    staged.push(path.to_path_buf());
    Ok(made)
}

/// Forgets a staging folder or file (committed or dropped).
pub(super) fn unstage(path: &Path) {
    registry().retain(|p| p != path);
}

/// Holds the registry: no signal is acted on until it is released.
pub(super) fn hold() -> MutexGuard<'static, Vec<PathBuf>> {
    registry()
}

/// Installs the handler of SIGINT and SIGTERM: a thread that, on either,
/// deletes every staging folder and file, says so, and exits with 128 + the signal.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let staged = registry();
            for path in staged.iter() {
                if path.is_dir() {
                    let _ = std::fs::remove_dir_all(path);
                } else {
                    let _ = std::fs::remove_file(path);
                }
            }
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            eprintln!("\ninterrupted ({name}): nothing written, any previous result kept");
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
