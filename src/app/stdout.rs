//! Printing to standard output that survives a closed pipe: when the
//! reader has gone (`restake-sim validate FILE | head`), what is left to
//! print is dropped and the command carries on to its normal exit, instead
//! of panicking as `println!` does. Results are written to files, never
//! only printed, so nothing is lost.

use std::io::Write;

/// Writes `text` to standard output, ignoring a closed pipe.
pub fn write(text: &str) {
    let mut out = std::io::stdout().lock();
    // Any error (a closed pipe, a full disk behind a redirection) leaves
    // the command's results, which are in files, untouched.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `print!` that ignores a closed pipe.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::app::stdout::write(&format!($($arg)*))
    };
}

/// `println!` that ignores a closed pipe.
#[macro_export]
macro_rules! sayln {
    () => {
        $crate::app::stdout::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::app::stdout::write(&format!("{}\n", format_args!($($arg)*)))
    };
}
