//! Carries out a routing decision: start a stage run (with its row, atomically), post a routing
//! comment, ask for input, or cancel a closed thread's runs.

use engine::{StartOptions, StepError, WorkflowContext, WorkflowError};
use serde::Serialize;
use uuid::Uuid;

use super::{comment, facts::BoundRepo, route::RouteOutput};
use crate::{
    github_step,
    platform::{Platform, STAGE_QUEUE},
    policy::{
        CleanupTarget, Decision, Event, NeedLabel, ProfileSource, RunKind, RunPlan, Thread,
        TriggerSource,
    },
    stage::{StageInput, StageRun},
    store::agent_run::{self, AgentRun},
};

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn outcome(outcome: &str, decision: &Decision) -> RouteOutput {
    RouteOutput {
        outcome: outcome.into(),
        reason: decision.reason().map(|r| r.as_str().to_owned()),
        agent_run_id: None,
    }
}

fn thread_number(thread: &Thread) -> u64 {
    match thread {
        Thread::Issue(n) => n.0,
        Thread::PullRequest(n) => n.0,
    }
}

/// Applies the decision; returns what to record on the delivery.
pub(crate) async fn apply(
    ctx: &WorkflowContext,
    p: &Platform,
    delivery_id: &str,
    event: &Event,
    bound: Option<&BoundRepo>,
    learning_override: Option<bool>,
    decision: &Decision,
) -> Result<RouteOutput, WorkflowError> {
    let repo = event.repository.as_str();
    let locale = bound
        .and_then(|b| b.locale.clone())
        .unwrap_or_else(|| p.config.default_locale.clone());
    let waits = p.config.github_rate_limit_waits;
    let text = comment::render(decision, p.policy.catalog(), &locale);
    let result = match decision {
        Decision::StartRun(plan) => {
            let Some(bound) = bound else {
                return Ok(outcome("ignored", decision));
            };
            let id = start_stage(
                ctx,
                p,
                delivery_id,
                event,
                bound,
                learning_override,
                &locale,
                plan,
            )
            .await?;
            return Ok(RouteOutput {
                outcome: "run_started".into(),
                reason: None,
                agent_run_id: Some(id),
            });
        }
        Decision::Conflict { thread, .. } => ("conflict", Some(*thread), false),
        Decision::Warn { thread, .. } => ("warned", Some(*thread), false),
        Decision::NeedInput { thread, .. } => ("need_input", Some(*thread), true),
        Decision::FailPrecondition { thread, .. } => ("failed_precondition", Some(*thread), false),
        Decision::Cleanup { target, .. } => {
            let number = match target {
                CleanupTarget::Issue(n) | CleanupTarget::Discussion(n) => n.0,
                CleanupTarget::PullRequest(n) => n.0,
            };
            if let Some(bound) = bound {
                let repo_id = bound.repository_id;
                ctx.step("cancel_thread_runs", |_| async move {
                    let runs = agent_run::list_active_for_thread(&p.pool, repo_id, number as i64)
                        .await
                        .map_err(StepError::retryable)?;
                    for run in &runs {
                        p.client()
                            .cancel(*run, "the thread was closed")
                            .await
                            .map_err(StepError::retryable)?;
                    }
                    Ok(runs.len())
                })
                .await?;
            }
            ("cleanup", None, false)
        }
        Decision::Record { .. } => ("recorded", None, false),
        Decision::Ignore { .. }
        | Decision::ApplyLabels { .. }
        | Decision::NeedsOwnerApproval { .. } => ("ignored", None, false),
    };
    let (name, thread, needs_input) = result;
    if let (Some(thread), Some(body)) = (thread, text) {
        let number = thread_number(&thread);
        if needs_input {
            let label = p
                .policy
                .catalog()
                .need(NeedLabel::Input)
                .as_str()
                .to_owned();
            github_step::call(ctx, "add_need_input", waits, || async {
                Ok(p.github
                    .add_labels(repo, number, std::slice::from_ref(&label))
                    .await?)
            })
            .await?;
        }
        github_step::call(ctx, "post_routing_comment", waits, || async {
            Ok(p.github
                .create_comment(repo, number, &body)
                .await
                .map(|c| c.id)?)
        })
        .await?;
    }
    Ok(outcome(name, decision))
}

#[allow(clippy::too_many_arguments)]
async fn start_stage(
    ctx: &WorkflowContext,
    p: &Platform,
    delivery_id: &str,
    event: &Event,
    bound: &BoundRepo,
    learning_override: Option<bool>,
    locale: &str,
    plan: &RunPlan,
) -> Result<Uuid, WorkflowError> {
    let repo = event.repository.as_str();
    let on_pull_request = matches!(
        plan.source,
        TriggerSource::PullRequestLabel | TriggerSource::PullRequestReview
    );
    let (thread_kind, thread_number) = match (on_pull_request, plan.pull_request, plan.issue) {
        (true, Some(pr), _) => ("pull_request", pr.0),
        (_, _, Some(issue)) => ("issue", issue.0),
        (_, Some(pr), None) => ("pull_request", pr.0),
        (_, None, None) => {
            return Err(WorkflowError::new(
                "no_thread",
                "the run plan names neither an issue nor a pull request",
            ));
        }
    };
    let branch = match (on_pull_request, plan.pull_request) {
        (true, Some(pr)) => {
            github_step::call(
                ctx,
                "pull_request_head",
                p.config.github_rate_limit_waits,
                || async { Ok(p.github.get_pull_request(repo, pr.0).await?.head_ref) },
            )
            .await?
        }
        _ => format!(
            "codex/issue-{}",
            plan.issue.map(|i| i.0).unwrap_or(thread_number)
        ),
    };
    let (kind, trigger) = match plan.kind {
        RunKind::Stage(t) => ("stage", Some(snake(&t))),
        RunKind::Reviewer => ("reviewer", None),
        RunKind::Discussion => ("discussion", None),
    };
    let learning = learning_override
        .or(bound.learning_mode_default)
        .unwrap_or(p.config.learning_mode_default);
    let issue_key = format!(
        "issue:{repo}#{}",
        plan.issue.map(|i| i.0).unwrap_or(thread_number)
    )
    .to_lowercase();
    let project_key = format!("project:{}", bound.project_slug);
    let mut row = AgentRun {
        id: Uuid::nil(),
        project_id: bound.project_id,
        repository_id: bound.repository_id,
        repository: repo.to_lowercase(),
        delivery_id: Some(delivery_id.to_owned()),
        kind: kind.into(),
        trigger,
        stage: plan.stage.as_ref().map(snake),
        role: snake(&plan.role),
        execution_mode: snake(&plan.mode),
        access_profile: snake(&plan.access_profile),
        target_env: snake(&plan.target_env),
        model: plan.model.value.as_str().to_owned(),
        reasoning: plan.reasoning.value.as_str().to_owned(),
        model_from_label: plan.model.source != ProfileSource::Default,
        reasoning_from_label: plan.reasoning.source != ProfileSource::Default,
        issue_number: plan.issue.map(|i| i.0 as i64),
        pull_request_number: plan.pull_request.map(|pr| pr.0 as i64),
        thread_kind: thread_kind.into(),
        thread_number: thread_number as i64,
        branch,
        locale: locale.to_owned(),
        learning_mode: learning,
        status: "pending".into(),
        status_comment_id: None,
    };
    let max_active = bound.max_active_runs;
    let id = ctx
        .step("start_stage_run", |_| async move {
            let mut tx = p.pool.begin().await.map_err(StepError::retryable)?;
            let options = StartOptions {
                queue: Some(STAGE_QUEUE.into()),
                idempotency_key: Some(format!("stage:{delivery_id}")),
                concurrency: vec![(issue_key, 1), (project_key, max_active)],
                budget: Some(p.config.stage_budget),
                ..StartOptions::default()
            };
            let started = p
                .client()
                .start_with::<StageRun>(&mut *tx, &StageInput {}, options)
                .await
                .map_err(StepError::retryable)?;
            row.id = started.id;
            agent_run::insert(&mut *tx, &row)
                .await
                .map_err(StepError::retryable)?;
            tx.commit().await.map_err(StepError::retryable)?;
            Ok(started.id)
        })
        .await?;
    Ok(id)
}
