//! Errors in scenario files, located by file, line, column and key path.
//!
//! Validation collects every problem it can find ([`Problem`]); they are
//! reported together, each naming what was expected and what was found.

use std::fmt;
use std::path::PathBuf;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Key path, e.g. `protocol[2].slashing.severity.alpha` (empty: whole file).
    pub key_path: String,
    /// 1-based line of the key (or of its nearest enclosing table).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What was expected and what was found, with a fix where one is clear.
    pub message: String,
    /// The command-line option that set the value (`--set …`, `--paths 0`,
    /// `--multiply …`), when the value is not the file's: errors then name
    /// it instead of a place in the file.
    pub flag: Option<String>,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {path}: {reason}")]
    Read {
        /// File path.
        path: PathBuf,
        /// Underlying I/O error.
        reason: std::io::Error,
    },
    /// The file was read but is invalid.
    #[error("{}", InvalidDisplay { file, problems })]
    Invalid {
        /// File path (or `<command line>` for overrides).
        file: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// The problems, if the file was invalid.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            ScenarioError::Read { .. } => &[],
        }
    }
}

struct InvalidDisplay<'a> {
    file: &'a PathBuf,
    problems: &'a [Problem],
}

impl fmt::Display for InvalidDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{} is not a valid scenario ({count} problem{}):",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for p in self.problems {
            match &p.flag {
                Some(flag) => write!(f, "\n  {flag} (not the file): ")?,
                None => write!(f, "\n  {}:{}:{}: ", self.file.display(), p.line, p.column)?,
            }
            if !p.key_path.is_empty() {
                write!(f, "{}: ", p.key_path)?;
            }
            write!(f, "{}", p.message)?;
        }
        Ok(())
    }
}
