//! `init`: write the commented starter scenario.

use std::process::ExitCode;

use anyhow::Context;

use super::InvalidArgument;
use crate::cli::InitArgs;
use crate::scenario::starter::STARTER_SCENARIO;

/// Writes the starter scenario to `args.path`, refusing to overwrite without `--force`.
pub fn init(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if args.path.exists() && !args.force {
        return Err(InvalidArgument(format!(
            "{} already exists; pass --force to overwrite it",
            args.path.display()
        ))
        .into());
    }
    std::fs::write(&args.path, STARTER_SCENARIO)
        .with_context(|| format!("cannot write {}", args.path.display()))?;
    crate::sayln!(
        "wrote {}; check it with `restake-sim validate {0}` and run it with `restake-sim run {0}`",
        args.path.display()
    );
    Ok(ExitCode::SUCCESS)
}
