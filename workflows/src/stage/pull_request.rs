//! The pull request of a stage run's work branch: after the runner pushed the branch (a `branch`
//! link of the run), the platform opens the pull request, or updates the open one of the branch,
//! with a title and body from the agent's final message, closing the Issue. Idempotent across
//! retries: the open pull request of the head is looked up first, in the same step as the create.

use engine::prelude::*;
use serde_json::json;

use crate::{
    github::{NewPullRequest, PullRequest},
    github_step,
    platform::Platform,
    store::{
        agent_run::{self, AgentRun},
        link::{self, LinkKind},
    },
};

/// Longest pull request title.
const MAX_TITLE_CHARS: usize = 72;

/// The title: the first line of the final message without Markdown heading marks, shortened.
fn title(run: &AgentRun, final_message: Option<&str>) -> String {
    let first = final_message.and_then(|m| {
        m.lines()
            .map(|l| l.trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
    });
    let raw = match (first, run.issue_number) {
        (Some(line), _) => line.to_owned(),
        (None, Some(n)) => format!("codex: Issue #{n}"),
        (None, None) => format!("codex: {}", run.branch),
    };
    if raw.chars().count() <= MAX_TITLE_CHARS {
        return raw;
    }
    let cut: String = raw.chars().take(MAX_TITLE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The body: the final message, then the Issue it closes and the run it came from.
fn body(run: &AgentRun, final_message: Option<&str>) -> String {
    let mut out = final_message.unwrap_or_default().trim().to_owned();
    if let Some(n) = run.issue_number {
        out.push_str(&format!("\n\nCloses #{n}"));
    }
    out.push_str(&format!("\n\n<!-- codex-k8s:run run_id={} -->\n", run.id));
    out.trim_start().to_owned()
}

/// Opens or updates the pull request of the run's pushed work branch into `base`; `None` when the
/// runner pushed nothing. Records the `pull_request` link and the run's pull request number.
pub(crate) async fn open_or_update(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    base: &str,
    final_message: Option<&str>,
) -> Result<Option<u64>, WorkflowError> {
    let run_id = run.id;
    let pushed: bool = ctx
        .step("pushed_branch", |_| async move {
            let links = link::list_for_run(&p.pool, run_id)
                .await
                .map_err(StepError::retryable)?;
            Ok(links
                .iter()
                .any(|l| l.kind == LinkKind::Branch.as_str() && l.target == run.branch))
        })
        .await?;
    if !pushed {
        return Ok(None);
    }
    let repo = run.repository.as_str();
    let waits = p.config.github_rate_limit_waits;
    let (title, body) = (title(run, final_message), body(run, final_message));
    let (pull, created): (PullRequest, bool) =
        github_step::call(ctx, "open_pull_request", waits, || async {
            let open = p
                .code_host
                .list_pull_requests_for_branch(repo, &run.branch)
                .await?;
            if let Some(found) = open.into_iter().find(|pr| pr.base_ref == base) {
                return Ok((found, false));
            }
            let new = NewPullRequest {
                head: &run.branch,
                base,
                title: &title,
                body: &body,
            };
            Ok((p.code_host.create_pull_request(repo, &new).await?, true))
        })
        .await?;
    // An Issue's run describes the pull request; a revise keeps what the pull request says.
    if !created && run.thread_kind == "issue" {
        github_step::call(ctx, "update_pull_request", waits, || async {
            Ok(p.code_host
                .update_pull_request(repo, pull.number, &title, &body)
                .await
                .map(|_| ())?)
        })
        .await?;
    }
    let number = pull.number;
    let url = pull.html_url.clone();
    ctx.step("link_pull_request", |_| async move {
        link::insert(
            &p.pool,
            run_id,
            LinkKind::PullRequest,
            &number.to_string(),
            json!({ "url": url, "created": created }),
        )
        .await
        .map_err(StepError::retryable)?;
        agent_run::set_pull_request(&p.pool, run_id, number as i64)
            .await
            .map_err(StepError::retryable)
    })
    .await?;
    Ok(Some(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(issue: Option<i64>) -> AgentRun {
        AgentRun {
            id: uuid::Uuid::nil(),
            project_id: uuid::Uuid::nil(),
            repository_id: uuid::Uuid::nil(),
            repository: "acme/shop".into(),
            delivery_id: None,
            kind: "stage".into(),
            trigger: Some("dev".into()),
            stage: Some("dev".into()),
            role: "dev".into(),
            execution_mode: "code_only".into(),
            access_profile: "candidate".into(),
            target_env: "candidate".into(),
            model: "gpt-5".into(),
            reasoning: "medium".into(),
            model_from_label: false,
            reasoning_from_label: false,
            issue_number: issue,
            pull_request_number: None,
            thread_kind: "issue".into(),
            thread_number: issue.unwrap_or(1),
            branch: "codex/issue-7".into(),
            locale: "en".into(),
            learning_mode: false,
            status: "running".into(),
            status_comment_id: None,
        }
    }

    #[test]
    fn the_title_is_the_first_line_of_the_final_message_and_the_body_closes_the_issue() {
        let r = run(Some(7));
        assert_eq!(title(&r, Some("\n## Add search\nDetails")), "Add search");
        assert_eq!(title(&r, None), "codex: Issue #7");
        let long = "x".repeat(100);
        assert_eq!(title(&r, Some(&long)).chars().count(), MAX_TITLE_CHARS);
        let b = body(&r, Some("Did it."));
        assert!(b.starts_with("Did it.\n\nCloses #7"), "{b}");
        assert!(!body(&run(None), Some("x")).contains("Closes"));
    }
}
