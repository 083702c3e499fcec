//! Carries out a routing decision: start a stage run (with its row, atomically), post a routing
//! comment, ask for input, cancel a closed thread's runs, or re-index the docs of a pushed
//! default branch.

use engine::{StartOptions, StepError, WorkflowContext, WorkflowError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{comment, facts::BoundRepo, route::RouteOutput};
use crate::{
    docs, github_step,
    platform::{Platform, STAGE_QUEUE},
    policy::{
        CleanupTarget, Decision, Event, LabelName, NeedLabel, ProfileSource, ReasonCode, RunKind,
        RunPlan, Thread, TriggerSource,
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

/// Which delivery is applied, and the identity of the event it carries (see `replay`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) delivery_id: &'a str,
    pub(crate) event_key: &'a str,
}

/// What a cleanup's cancel message says, by the reason the threads' runs end.
fn cleanup_message(reason: ReasonCode) -> &'static str {
    match reason {
        ReasonCode::IssueDeleted => "the Issue was deleted",
        ReasonCode::PullRequestClosed => "the pull request was closed",
        ReasonCode::DiscussionModeRemoved => "mode:discussion was removed",
        _ => "the Issue was closed",
    }
}

/// Deletes the runtime environments of a thread that closed (its `full-env` run namespaces).
/// A failure is logged, not fatal: the routing is done, and the sweep deletes the environments
/// once their lease runs out.
async fn release_thread_environments(
    ctx: &WorkflowContext,
    p: &Platform,
    project: Uuid,
    thread: u64,
) {
    let policy = engine::RetryPolicy {
        max_attempts: 3,
        ..engine::RetryPolicy::default()
    };
    let released = ctx
        .step_with("release_thread_environments", policy, |_| async move {
            p.runtime
                .thread_closed(project, thread)
                .await
                .map_err(StepError::retryable)
        })
        .await;
    if let Err(failed) = released {
        tracing::warn!(thread, error.message = %failed.message, "thread environments kept for the sweep");
    }
}

/// Applies the decision; returns what to record on the delivery.
pub(crate) async fn apply(
    ctx: &WorkflowContext,
    p: &Platform,
    source: Source<'_>,
    event: &Event,
    bound: Option<&BoundRepo>,
    learning_override: Option<bool>,
    decision: &Decision,
) -> Result<RouteOutput, WorkflowError> {
    let delivery_id = source.delivery_id;
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
            let started = start_stage(
                ctx,
                p,
                source,
                event,
                bound,
                learning_override,
                &locale,
                plan,
            )
            .await?;
            if let Started::Run(id) = started {
                announce_queued(ctx, p, repo, id).await?;
            }
            return Ok(match started {
                Started::Run(id) => RouteOutput {
                    outcome: "run_started".into(),
                    reason: None,
                    agent_run_id: Some(id),
                },
                // The same event again (a redelivery under a fresh delivery id): its run exists.
                Started::Duplicate(id) => RouteOutput {
                    outcome: "duplicate".into(),
                    reason: Some("event_already_routed".into()),
                    agent_run_id: Some(id),
                },
                Started::LabelGone => RouteOutput {
                    outcome: "ignored".into(),
                    reason: Some(ReasonCode::TriggerLabelRemoved.as_str().to_owned()),
                    agent_run_id: None,
                },
                // Unbound (or its project deleted) while this delivery was routed.
                Started::Unbound => RouteOutput {
                    outcome: "ignored".into(),
                    reason: Some(ReasonCode::RepositoryNotBound.as_str().to_owned()),
                    agent_run_id: None,
                },
            });
        }
        Decision::Conflict { thread, .. } => ("conflict", Some(*thread), false),
        Decision::Warn { thread, .. } => ("warned", Some(*thread), false),
        Decision::NeedInput { thread, .. } => ("need_input", Some(*thread), true),
        Decision::FailPrecondition { thread, .. } => ("failed_precondition", Some(*thread), false),
        Decision::Cleanup { target, reason } => {
            let message = cleanup_message(*reason);
            let number = match target {
                CleanupTarget::Issue(n) | CleanupTarget::Discussion(n) => n.0,
                CleanupTarget::PullRequest(n) => n.0,
            };
            if let Some(bound) = bound {
                let repo_id = bound.repository_id;
                let discussion_only = matches!(target, CleanupTarget::Discussion(_));
                ctx.step("cancel_thread_runs", |_| async move {
                    // Removing `mode:discussion` ends the discussion, not the Issue's stage run.
                    let runs = if discussion_only {
                        agent_run::list_active_discussions(&p.pool, repo_id, number as i64).await
                    } else {
                        agent_run::list_active_for_thread(&p.pool, repo_id, number as i64).await
                    }
                    .map_err(StepError::retryable)?;
                    for run in &runs {
                        crate::stage::cancel(p, *run, message)
                            .await
                            .map_err(StepError::retryable)?;
                    }
                    Ok(runs.len())
                })
                .await?;
                if !discussion_only {
                    release_thread_environments(ctx, p, bound.project_id, number).await;
                }
            }
            ("cleanup", None, false)
        }
        Decision::Record { head_sha, .. } => {
            if let Some(bound) = bound {
                start_docs_index(ctx, p, delivery_id, bound, head_sha).await?;
            }
            ("recorded", None, false)
        }
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
                Ok(p.code_host
                    .add_labels(repo, number, std::slice::from_ref(&label))
                    .await?)
            })
            .await?;
        }
        github_step::call(ctx, "post_routing_comment", waits, || async {
            Ok(p.code_host
                .create_comment(repo, number, &body)
                .await
                .map(|c| c.id)?)
        })
        .await?;
    }
    Ok(outcome(name, decision))
}

/// A run that waits behind an active one (its Issue's, or the project's last slot) says so in its
/// status comment at once; the run edits the same comment in place when it starts.
async fn announce_queued(
    ctx: &WorkflowContext,
    p: &Platform,
    repo: &str,
    run_id: Uuid,
) -> Result<(), WorkflowError> {
    let _: bool = github_step::call(
        ctx,
        "queued_comment",
        p.config.github_rate_limit_waits,
        || async {
            if !p
                .client()
                .is_blocked(run_id)
                .await
                .map_err(StepError::retryable)?
            {
                return Ok(false);
            }
            let Some(run) = agent_run::get(&p.pool, run_id).await? else {
                return Ok(false);
            };
            let view = crate::stage::comment::StatusView {
                run: &run,
                phase: crate::stage::comment::Phase::Queued,
                outcome: None,
                next_steps: &[],
                console_url: &p.config.console_url,
            };
            let body = crate::stage::comment::render(&view);
            let marker = crate::stage::comment::marker(&run);
            let posted = p
                .code_host
                .upsert_status_comment(repo, run.thread_number as u64, None, &marker, &body)
                .await?;
            agent_run::set_status_comment(&p.pool, run_id, posted.id as i64).await?;
            Ok(true)
        },
    )
    .await?;
    Ok(())
}

/// A push to the default branch of a bound repository re-indexes its docs (when docs search is
/// configured); the run is started once per delivery, and the step's output names it.
async fn start_docs_index(
    ctx: &WorkflowContext,
    p: &Platform,
    delivery_id: &str,
    bound: &BoundRepo,
    head_sha: &str,
) -> Result<(), WorkflowError> {
    let input = docs::IndexInput {
        repository_id: bound.repository_id,
        trigger: "push".into(),
        head_sha: Some(head_sha.to_owned()),
    };
    let _: Option<Uuid> = ctx
        .step("start_docs_index", |_| async {
            if p.docs.embedder().is_none() {
                return Ok(None);
            }
            let key = format!("docs:delivery:{delivery_id}");
            let run = docs::start_index(p.client(), &p.pool, &input, key)
                .await
                .map_err(StepError::retryable)?;
            Ok(Some(run.id))
        })
        .await?;
    Ok(())
}

/// What starting a stage run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Started {
    /// A new run.
    Run(Uuid),
    /// This event's run already exists (the event was delivered before under another id).
    Duplicate(Uuid),
    /// The trigger label is no longer on the thread: nothing starts.
    LabelGone,
    /// The repository lost its binding meanwhile.
    Unbound,
}

#[allow(clippy::too_many_arguments)]
async fn start_stage(
    ctx: &WorkflowContext,
    p: &Platform,
    source: Source<'_>,
    event: &Event,
    bound: &BoundRepo,
    learning_override: Option<bool>,
    locale: &str,
    plan: &RunPlan,
) -> Result<Started, WorkflowError> {
    let Source {
        delivery_id,
        event_key,
    } = source;
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
    // The payload's labels are what the thread had when the event was sent; a replayed body
    // carries them long after. A label event starts a run only while its label is still there.
    if matches!(
        plan.source,
        TriggerSource::IssueLabel | TriggerSource::PullRequestLabel
    ) {
        let label = plan.trigger_label.clone();
        let present: bool = github_step::call(
            ctx,
            "current_labels",
            p.config.github_rate_limit_waits,
            || async {
                let thread = p.code_host.get_issue(repo, thread_number).await?;
                Ok(thread
                    .labels
                    .iter()
                    .filter_map(|l| LabelName::parse(l).ok())
                    .any(|l| l == label))
            },
        )
        .await?;
        if !present {
            return Ok(Started::LabelGone);
        }
    }
    if plan.stop_discussion
        && let Some(issue) = plan.issue
    {
        let repo_id = bound.repository_id;
        let message = format!(
            "`{}` was added: the stage run replaces the discussion",
            plan.trigger_label.as_str()
        );
        ctx.step("stop_discussion", |_| async move {
            let runs = agent_run::list_active_discussions(&p.pool, repo_id, issue.0 as i64)
                .await
                .map_err(StepError::retryable)?;
            for run in &runs {
                crate::stage::cancel(p, *run, &message)
                    .await
                    .map_err(StepError::retryable)?;
            }
            Ok(runs.len())
        })
        .await?;
    }
    let branch = match (on_pull_request, plan.pull_request) {
        (true, Some(pr)) => {
            github_step::call(
                ctx,
                "pull_request_head",
                p.config.github_rate_limit_waits,
                || async { Ok(p.code_host.get_pull_request(repo, pr.0).await?.head_ref) },
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
                // One event starts at most one run, however often (and under whichever delivery
                // ids) it is re-sent.
                idempotency_key: Some(format!("stage:{event_key}")),
                concurrency: vec![(issue_key, 1), (project_key, max_active)],
                budget: Some(p.config.stage_budget),
                ..StartOptions::default()
            };
            let started = p
                .client()
                .start_with::<StageRun>(&mut *tx, &StageInput {}, options)
                .await
                .map_err(StepError::retryable)?;
            if !started.created {
                return Ok(Started::Duplicate(started.id));
            }
            row.id = started.id;
            match agent_run::insert(&mut *tx, &row).await {
                Ok(()) => {}
                // The repository was unbound, or its project deleted, after the delivery was
                // loaded: nothing starts (the engine run goes with the rolled-back transaction).
                Err(e) if agent_run::lost_its_binding(&e) => return Ok(Started::Unbound),
                Err(e) => return Err(StepError::retryable(e)),
            }
            tx.commit().await.map_err(StepError::retryable)?;
            Ok(Started::Run(started.id))
        })
        .await?;
    Ok(id)
}
