//! Next-step transitions: preview the label diff of an offered action on a thread's current
//! labels, then execute it only if the labels are still what the preview saw (optimistic check).
//! Every preview and execution is audited in `flow_events`; an execution also records who
//! confirmed it, so the label event the bot's change causes counts as that person's.

use serde_json::json;

use crate::{
    github,
    platform::Platform,
    policy::{self, Action, LabelDiff, LabelSet, Login, Preview, Thread},
    store::{directory, flow_event},
};

/// Why a transition was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    /// The policy refused it (stale preview, label already present, not permitted, …).
    #[error(transparent)]
    Policy(#[from] policy::Error),
    /// The repository is not bound to a project.
    #[error("repository {0} is not bound to a project")]
    NotBound(String),
    /// GitHub failed.
    #[error(transparent)]
    GitHub(#[from] github::Error),
    /// The platform's store failed.
    #[error(transparent)]
    Domain(#[from] crate::Error),
}

fn number(thread: Thread) -> u64 {
    match thread {
        Thread::Issue(n) => n.0,
        Thread::PullRequest(n) => n.0,
    }
}

async fn current(p: &Platform, repo: &str, thread: Thread) -> Result<LabelSet, TransitionError> {
    let raw = p.code_host.list_issue_labels(repo, number(thread)).await?;
    Ok(LabelSet::parse(raw.iter().map(String::as_str))?)
}

/// The label diff of `action` on the thread's labels now.
pub async fn preview(
    p: &Platform,
    repo: &str,
    action: Action,
    actor: &Login,
) -> Result<Preview, TransitionError> {
    let labels = current(p, repo, action.thread()).await?;
    let preview = policy::preview(p.policy.catalog(), action, &labels)?;
    let detail = json!({ "repository": repo.to_lowercase(), "action": action, "diff": preview.diff, "actor": actor.as_str() });
    flow_event::insert(&p.pool, None, "next_step_previewed", &detail).await?;
    Ok(preview)
}

/// Applies a preview if the thread's labels are unchanged since, for a person allowed to start runs.
pub async fn execute(
    p: &Platform,
    repo: &str,
    preview: &Preview,
    actor: &Login,
) -> Result<LabelDiff, TransitionError> {
    let binding = directory::binding(&p.pool, repo)
        .await?
        .ok_or_else(|| TransitionError::NotBound(repo.to_owned()))?;
    let (access, _) = directory::access(&p.pool, actor.as_str(), binding.project_id).await?;
    let thread = preview.action.thread();
    let labels = current(p, repo, thread).await?;
    let refused = |e: &policy::Error| json!({ "repository": repo.to_lowercase(), "action": preview.action, "actor": actor.as_str(), "error": e.to_string() });
    let diff = match policy::execute(p.policy.catalog(), preview, &labels, &access) {
        Ok(diff) => diff,
        Err(e) => {
            flow_event::insert(&p.pool, None, "next_step_refused", &refused(&e)).await?;
            return Err(e.into());
        }
    };
    // Recorded first: the label event it causes must find who confirmed it.
    let added: Vec<String> = diff
        .added_labels
        .iter()
        .map(|l| l.as_str().to_owned())
        .collect();
    let detail = json!({
        "repository": repo.to_lowercase(),
        "thread_number": number(thread),
        "action": preview.action,
        "removed_labels": diff.removed_labels,
        "added_labels": added,
        "final_labels": diff.final_labels,
        "actor": actor.as_str(),
    });
    flow_event::insert(&p.pool, None, "next_step_executed", &detail).await?;
    for label in &diff.removed_labels {
        p.code_host
            .remove_label(repo, number(thread), label.as_str())
            .await?;
    }
    if !added.is_empty() {
        p.code_host.add_labels(repo, number(thread), &added).await?;
    }
    Ok(diff)
}
