//! Deterministic object names. A run namespace is named from (project, issue, role) only, so a
//! `run:<stage>:revise` of the same Issue and role lands in the namespace of the earlier run.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Kubernetes' limit for a DNS-1123 label (namespace names, label values, Job names).
pub const MAX_LABEL: usize = 63;

/// Turns `raw` into a DNS-1123 label: lowercase ASCII letters, digits and `-`, starting and
/// ending with a letter or digit, at most 63 characters. A name that had to be shortened ends
/// with 8 hex digits of the sha256 of `raw`, so two long names stay distinct.
pub fn dns_label(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    let mut name = if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    };
    if name.len() > MAX_LABEL {
        let hash = hex::encode(Sha256::digest(raw.as_bytes()));
        name.truncate(MAX_LABEL - 9);
        let keep = name.trim_end_matches('-').len();
        name.truncate(keep);
        name.push('-');
        name.push_str(&hash[..8]);
    }
    name
}

/// The short project key in names: the first 12 hex digits of the project id.
pub fn project_key(project: Uuid) -> String {
    project.simple().to_string()[..12].to_owned()
}

/// The namespace of `full-env` runs of (project, issue, role): `<prefix>p<project12>-i<issue>-<role>`.
pub fn run_namespace(prefix: &str, project: Uuid, issue: u64, role: &str) -> String {
    dns_label(&format!(
        "{prefix}p{}-i{issue}-{role}",
        project_key(project)
    ))
}

/// The namespace of a project's `code-only` runs: `<prefix>p<project12>`.
pub fn project_namespace(prefix: &str, project: Uuid) -> String {
    dns_label(&format!("{prefix}p{}", project_key(project)))
}

/// The agent Job of a run's launch attempt: `agent-<run id>-<attempt>` (at most 49 characters,
/// so its Pods' names and `job-name` labels fit too).
pub fn agent_job(run_id: Uuid, attempt: u32) -> String {
    format!("agent-{}-{attempt}", run_id.simple())
}

/// The Secret holding a launch's run token and model key.
pub fn agent_secret(job: &str) -> String {
    format!("{job}-credentials")
}

/// The ConfigMap holding a launch's prompt.
pub fn agent_prompt(job: &str) -> String {
    format!("{job}-prompt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_dns_labels_of_bounded_length() {
        let project = Uuid::parse_str("0190f0c2-aaaa-7bbb-8ccc-123456789abc").unwrap();
        let ns = run_namespace("codex-", project, 42, "dev");
        assert_eq!(ns, "codex-p0190f0c2aaaa-i42-dev");
        assert_eq!(ns, run_namespace("codex-", project, 42, "dev"));
        assert_ne!(ns, run_namespace("codex-", project, 42, "reviewer"));
        let long = run_namespace("codex-", project, 42, &"Very_Long Role!".repeat(6));
        assert!(long.len() <= MAX_LABEL, "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert!(!long.starts_with('-') && !long.ends_with('-'));
        let other = run_namespace("codex-", project, 42, &"Very_Long Role?".repeat(7));
        assert_ne!(long, other, "the hash keeps shortened names apart");
        assert_eq!(dns_label("--A..b--"), "a-b");
        assert_eq!(dns_label("!!!"), "x");
        let job = agent_job(Uuid::nil(), 12);
        assert!(job.len() + 6 <= MAX_LABEL, "{job}");
    }
}
