//! `submit slurm`: a job array of the parts (`--array=1-N`, the part's
//! index `$SLURM_ARRAY_TASK_ID`) and a merge job that runs after every task
//! succeeded (`--dependency=afterok:ID --kill-on-invalid-dep=yes`); both
//! scripts and their logs in `output/NAME.slurm/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::script::{command_line, render};
use super::{Paths, Plan, SubmitError, run_tool, this_binary, write_file};
use crate::app::InvalidArgument;
use crate::cli::SlurmArgs;

/// What to do without `sbatch`.
const NO_SBATCH: &str = "Slurm's sbatch is needed to submit (is this a Slurm login node?); --dry-run writes the scripts without it";

/// How often `--wait` asks Slurm about the merge job.
const POLL: Duration = Duration::from_secs(2);

/// The `#SBATCH` lines both jobs share.
fn common_options(args: &SlurmArgs) -> Result<Vec<String>, InvalidArgument> {
    let mut lines = Vec::new();
    let named = [
        ("partition", &args.partition),
        ("time", &args.time),
        ("account", &args.account),
        ("mem", &args.mem),
    ];
    for (option, value) in named {
        if let Some(v) = value {
            lines.push(format!("--{option}={v}"));
        }
    }
    lines.extend(args.sbatch_args.iter().cloned());
    if let Some(bad) = lines.iter().find(|l| l.contains(['\n', '\r'])) {
        return Err(InvalidArgument(format!(
            "an sbatch option cannot hold a line break: {bad:?}"
        )));
    }
    Ok(lines)
}

/// A path as the value of an `#SBATCH` option: in double quotes when it
/// holds white space (sbatch strips them).
fn directive_value(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains(char::is_whitespace) {
        format!("\"{text}\"")
    } else {
        text
    }
}

/// The array script: one part per task.
pub fn array_script(plan: &Plan, options: &[String], logs: &Path) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "# restake-sim: the {} {}s of {}, one per array task; `merge.sh` runs after them.\n",
        plan.parts,
        plan.kind.part(),
        plan.name
    ));
    s.push_str(&format!(
        "#SBATCH --job-name={}-{}s\n",
        plan.name,
        plan.kind.part()
    ));
    s.push_str(&format!("#SBATCH --array=1-{}\n", plan.parts));
    let log = logs.join(format!("{}-%a.out", plan.kind.part()));
    s.push_str(&format!("#SBATCH --output={}\n", directive_value(&log)));
    for o in options {
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str("set -euo pipefail\nI=\"$SLURM_ARRAY_TASK_ID\"\n");
    s.push_str(&format!("exec {}\n", render(&plan.part, "\"$I\"")));
    s
}

/// The merge script.
pub fn merge_script(plan: &Plan, options: &[String], logs: &Path) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "# restake-sim: merges the {}s of {} into {}.\n",
        plan.kind.part(),
        plan.name,
        plan.out.display()
    ));
    s.push_str(&format!("#SBATCH --job-name={}-merge\n", plan.name));
    let log = logs.join("merge.out");
    s.push_str(&format!("#SBATCH --output={}\n", directive_value(&log)));
    for o in options {
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str("set -euo pipefail\n");
    s.push_str(&format!("exec {}\n", render(&plan.merge, "")));
    s
}

/// The job files of a plan.
struct Files {
    array: PathBuf,
    merge: PathBuf,
    logs: PathBuf,
}

/// `submit slurm`.
pub fn submit(args: &SlurmArgs) -> anyhow::Result<ExitCode> {
    let options = common_options(args)?;
    let plan = Plan::new(&args.job, &this_binary()?, Paths::Absolute, "slurm")?;
    let dir = plan.jobs_dir().to_path_buf();
    let files = Files {
        array: dir.join(format!("{}s.sh", plan.kind.part())),
        merge: dir.join("merge.sh"),
        logs: dir.join("logs"),
    };
    std::fs::create_dir_all(&files.logs).map_err(|reason| SubmitError::Write {
        path: files.logs.clone(),
        reason,
    })?;
    std::fs::create_dir_all(&plan.parts_dir).map_err(|reason| SubmitError::Write {
        path: plan.parts_dir.clone(),
        reason,
    })?;
    write_file(
        &files.array,
        &array_script(&plan, &options, &files.logs),
        true,
    )?;
    write_file(
        &files.merge,
        &merge_script(&plan, &options, &files.logs),
        true,
    )?;
    let array_args = vec!["--parsable".to_string(), files.array.display().to_string()];
    let merge_args = |id: &str| {
        vec![
            "--parsable".to_string(),
            format!("--dependency=afterok:{id}"),
            "--kill-on-invalid-dep=yes".to_string(),
            files.merge.display().to_string(),
        ]
    };
    let line = |a: &[String]| {
        let mut w = vec!["sbatch".to_string()];
        w.extend(a.iter().cloned());
        command_line(&w)
    };
    if args.job.dry_run {
        crate::sayln!(
            "wrote {} and {}",
            files.array.display(),
            files.merge.display()
        );
        crate::sayln!("ARRAY_ID=$({})", line(&array_args));
        let merge = line(&merge_args("ARRAY_ID"));
        crate::sayln!(
            "{}",
            merge.replace("afterok:ARRAY_ID", "afterok:\"$ARRAY_ID\"")
        );
        crate::sayln!("→ {} (when the merge job has run)", plan.out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let array_id = job_id(&run_tool("sbatch", &array_args, NO_SBATCH)?)?;
    let merge_id = job_id(&run_tool("sbatch", &merge_args(&array_id), NO_SBATCH)?)?;
    crate::sayln!(
        "{}: {} {}s as job array {array_id} (tasks 1-{}), merge job {merge_id} after them",
        plan.name,
        plan.parts,
        plan.kind.part(),
        plan.parts
    );
    crate::sayln!("scripts and logs: {}", dir.display());
    crate::sayln!("→ {}", plan.out.display());
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    wait(&plan, &array_id, &merge_id, &files.logs)?;
    crate::sayln!("merge job {merge_id} completed → {}", plan.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The job id `sbatch --parsable` printed (`ID` or `ID;CLUSTER`).
fn job_id(stdout: &str) -> Result<String, SubmitError> {
    let id = stdout.trim().split(';').next().unwrap_or("").trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SubmitError::ToolFailed {
            command: "sbatch --parsable".into(),
            status: "no job id".into(),
            stderr: format!("printed {:?}", stdout.trim()),
        });
    }
    Ok(id.to_string())
}

/// One record of `scontrol show job -o`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// `JobState`.
    pub state: String,
    /// `ArrayTaskId`, for a task of an array.
    pub task: Option<String>,
    /// `ExitCode` (`status:signal`).
    pub exit_code: String,
    /// `Reason`.
    pub reason: String,
}

/// Parses `scontrol show job -o` output: one job (or array task) a line
/// of `Key=Value` fields.
pub fn parse_jobs(text: &str) -> Vec<JobRecord> {
    text.lines()
        .filter(|l| l.contains("JobState="))
        .map(|line| {
            let field = |key: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                    .unwrap_or("")
                    .to_string()
            };
            let task = field("ArrayTaskId");
            JobRecord {
                state: field("JobState"),
                task: (!task.is_empty()).then_some(task),
                exit_code: field("ExitCode"),
                reason: field("Reason"),
            }
        })
        .collect()
}

/// Whether a job state is final.
pub fn is_final(state: &str) -> bool {
    !matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "CONFIGURING"
            | "COMPLETING"
            | "SUSPENDED"
            | "REQUEUED"
            | "REQUEUE_HOLD"
            | "REQUEUE_FED"
            | "RESIZING"
            | "SIGNALING"
            | "STAGE_OUT"
            | "RESV_DEL_HOLD"
            | ""
    )
}

fn scontrol(id: &str) -> Result<Vec<JobRecord>, SubmitError> {
    let args = ["show", "job", "-o", id].map(String::from);
    Ok(parse_jobs(&run_tool(
        "scontrol",
        &args,
        "Slurm's scontrol is needed for --wait",
    )?))
}

/// Waits for the merge job; an error names the failed tasks (or the merge)
/// with their logs.
fn wait(plan: &Plan, array_id: &str, merge_id: &str, logs: &Path) -> Result<(), SubmitError> {
    let merge = loop {
        let records = scontrol(merge_id)?;
        if let Some(r) = records.into_iter().next().filter(|r| is_final(&r.state)) {
            break r;
        }
        std::thread::sleep(POLL);
    };
    if merge.state == "COMPLETED" {
        return Ok(());
    }
    let part = plan.kind.part();
    let failed: Vec<String> = scontrol(array_id)?
        .into_iter()
        .filter(|t| t.state != "COMPLETED")
        .map(|t| {
            let task = t.task.unwrap_or_default();
            format!(
                "{part} {task}/{} (job {array_id}_{task}) {}, exit code {}; log: {}",
                plan.parts,
                t.state,
                t.exit_code,
                logs.join(format!("{part}-{task}.out")).display()
            )
        })
        .collect();
    let message = if failed.is_empty() {
        format!(
            "merge job {merge_id} {} (exit code {}, reason {}); log: {}",
            merge.state,
            merge.exit_code,
            merge.reason,
            logs.join("merge.out").display()
        )
    } else {
        format!(
            "merge job {merge_id} {} ({}) because of job array {array_id}:\n  {}",
            merge.state,
            merge.reason,
            failed.join("\n  ")
        )
    };
    Err(SubmitError::JobFailed(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scontrol_records_are_parsed() {
        let text = "JobId=13 ArrayJobId=12 ArrayTaskId=2 JobName=x-shards JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0\n\
                    JobId=12 ArrayJobId=12 ArrayTaskId=1 JobName=x-shards JobState=COMPLETED Reason=None ExitCode=0:0\n";
        let jobs = parse_jobs(text);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].state, "FAILED");
        assert_eq!(jobs[0].task.as_deref(), Some("2"));
        assert_eq!(jobs[0].exit_code, "1:0");
        assert_eq!(jobs[1].reason, "None");
        let merge =
            parse_jobs("JobId=14 JobName=x-merge JobState=PENDING Reason=Dependency ExitCode=0:0");
        assert_eq!(merge[0].task, None);
        assert!(!is_final(&merge[0].state));
        assert!(is_final("CANCELLED"));
        assert!(is_final("COMPLETED"));
        assert!(!is_final("COMPLETING"));
    }

    #[test]
    fn job_ids_are_read_with_or_without_a_cluster() {
        assert_eq!(job_id("123\n").unwrap(), "123");
        assert_eq!(job_id("123;cluster\n").unwrap(), "123");
        assert!(job_id("Submitted batch job 1").is_err());
    }
}
