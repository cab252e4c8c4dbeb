//! `submit k8s`: a Kubernetes Indexed Job of the parts (completion index
//! `JOB_COMPLETION_INDEX` + 1 is the part) and a merge Job, both mounting
//! one PersistentVolumeClaim as their working folder. The merge Job waits
//! until every part's folder has appeared (a part folder appears only
//! complete), then merges. The manifests are JSON, which is YAML too.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::script::{command_line, quote, render};
use super::{Paths, Plan, run_tool, write_file};
use crate::cli::K8sArgs;

/// Seconds between the merge Job's looks for the parts.
const MERGE_POLL_SECONDS: u32 = 10;

/// A DNS-1123 label from a name: lowercase letters, digits and `-`, at
/// most 50 characters (room for the `-shards` suffix).
pub fn job_name(name: &str) -> String {
    let mut s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(50)
        .collect();
    while s.ends_with('-') {
        s.pop();
    }
    let s = s.trim_start_matches('-').to_string();
    if s.is_empty() {
        "restake-sim".into()
    } else {
        s
    }
}

/// A Job with one container running `sh -c script`.
fn job(name: &str, args: &K8sArgs, script: String, spec: Value) -> Value {
    let mut spec = spec;
    spec["template"] = json!({
        "metadata": { "labels": { "app.kubernetes.io/name": "restake-sim" } },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "restake-sim",
                "image": args.image,
                "workingDir": args.mount_path,
                "command": ["/bin/sh", "-c", script],
                "volumeMounts": [{ "name": "data", "mountPath": args.mount_path }],
            }],
            "volumes": [{
                "name": "data",
                "persistentVolumeClaim": { "claimName": args.pvc },
            }],
        },
    });
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": name, "labels": { "app.kubernetes.io/name": "restake-sim" } },
        "spec": spec,
    })
}

/// The Indexed Job of the parts.
pub fn parts_job(plan: &Plan, args: &K8sArgs, name: &str) -> Value {
    let script = format!(
        "set -eu; I=$((JOB_COMPLETION_INDEX + 1)); exec {}",
        render(&plan.part, "\"$I\"")
    );
    let spec = json!({
        "completionMode": "Indexed",
        "completions": plan.parts,
        "parallelism": args.parallelism.unwrap_or(plan.parts).min(plan.parts),
        "backoffLimit": plan.parts,
    });
    job(&format!("{name}-{}s", plan.kind.part()), args, script, spec)
}

/// The merge Job: waits for every part's folder, then merges.
pub fn merge_job(plan: &Plan, args: &K8sArgs, name: &str) -> Value {
    let markers: Vec<String> = (1..=plan.parts)
        .map(|i| quote(&plan.part_dir(i).join(plan.marker).display().to_string()))
        .collect();
    let script = format!(
        "set -eu; for f in {}; do until [ -f \"$f\" ]; do sleep {MERGE_POLL_SECONDS}; done; done; exec {}",
        markers.join(" "),
        render(&plan.merge, "")
    );
    job(
        &format!("{name}-merge"),
        args,
        script,
        json!({ "completions": 1, "backoffLimit": 1 }),
    )
}

/// `submit k8s`.
pub fn submit(args: &K8sArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan::new(&args.job, &args.binary, Paths::AsGiven, "k8s")?;
    let name = job_name(args.name.as_deref().unwrap_or(&plan.name));
    let dir = plan.jobs_dir().to_path_buf();
    let parts_file = dir.join(format!("{}s.json", plan.kind.part()));
    let merge_file = dir.join("merge.json");
    let pretty = |v: &Value| serde_json::to_string_pretty(v).map(|s| s + "\n");
    write_file(&parts_file, &pretty(&parts_job(&plan, args, &name))?, false)?;
    write_file(&merge_file, &pretty(&merge_job(&plan, args, &name))?, false)?;
    let apply = vec![
        "apply".to_string(),
        "-f".to_string(),
        parts_file.display().to_string(),
        "-f".to_string(),
        merge_file.display().to_string(),
    ];
    let mut line = vec!["kubectl".to_string()];
    line.extend(apply.iter().cloned());
    if args.job.dry_run {
        crate::sayln!(
            "wrote {} and {}",
            parts_file.display(),
            merge_file.display()
        );
        crate::sayln!("{}", command_line(&line));
        crate::sayln!(
            "→ {} on the volume {} (when the merge Job has run)",
            plan.out.display(),
            args.pvc
        );
        return Ok(ExitCode::SUCCESS);
    }
    let printed = run_tool(
        "kubectl",
        &apply,
        "kubectl is needed to apply the Jobs; --dry-run writes the manifests without it",
    )?;
    crate::say!("{printed}");
    crate::sayln!(
        "{}: {} {}s as Job {name}-{}s, merge Job {name}-merge",
        plan.name,
        plan.parts,
        plan.kind.part(),
        plan.kind.part()
    );
    crate::sayln!(
        "→ {} on the volume {} (when the merge Job has run)",
        plan.out.display(),
        args.pvc
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_dns_labels() {
        assert_eq!(job_name("EigenLayer_AVS"), "eigenlayer-avs");
        assert_eq!(job_name("--x--"), "x");
        assert_eq!(job_name("**"), "restake-sim");
        assert!(job_name(&"a".repeat(80)).len() <= 50);
    }
}
