//! `submit local`: the parts in parallel on this machine with
//! `seq 1 N | xargs -P K`, then the merge, as one shell script in
//! `output/NAME.local/run.sh`.

use std::process::ExitCode;

use super::script::{command_line, render};
use super::{Paths, Plan, SubmitError, this_binary, write_file};
use crate::app::InvalidArgument;
use crate::cli::LocalArgs;

/// The script: the parts through `xargs -P jobs`, then the merge.
pub fn script(plan: &Plan, jobs: u32) -> String {
    format!(
        "#!/bin/bash\n# restake-sim: the {parts} {part}s of {name}, {jobs} at a time, then the merge.\nset -euo pipefail\nseq 1 {parts} | xargs -P {jobs} -I{{}} {command}\n{merge}\n",
        parts = plan.parts,
        part = plan.kind.part(),
        name = plan.name,
        command = render(&plan.part, "{}"),
        merge = render(&plan.merge, ""),
    )
}

/// `submit local`.
pub fn submit(args: &LocalArgs) -> anyhow::Result<ExitCode> {
    if args.jobs == 0 {
        return Err(InvalidArgument("--jobs must be at least 1".into()).into());
    }
    let plan = Plan::new(&args.job, &this_binary()?, Paths::Absolute, "local")?;
    let file = plan.jobs_dir().join("run.sh");
    write_file(&file, &script(&plan, args.jobs), true)?;
    let line = command_line(&["bash".to_string(), file.display().to_string()]);
    if args.job.dry_run {
        crate::sayln!("wrote {}", file.display());
        crate::sayln!("{line}");
        return Ok(ExitCode::SUCCESS);
    }
    let status = std::process::Command::new("bash")
        .arg(&file)
        .status()
        .map_err(|e| SubmitError::ToolFailed {
            command: line.clone(),
            status: "could not start".into(),
            stderr: e.to_string(),
        })?;
    if !status.success() {
        return Err(SubmitError::JobFailed(format!("`{line}` failed ({status})")).into());
    }
    Ok(ExitCode::SUCCESS)
}
