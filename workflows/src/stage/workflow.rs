//! One stage run as an engine workflow of named, checkpointed steps:
//! load → comment (created) → :eyes: → load issue → comment (preparing) → prepare runtime →
//! render prompt → launch agent → comment (started) → await agent (pausing while it waits for the
//! Owner) → collect results → write-scope check → labels → comment (finished, next steps) →
//! release runtime. Failures, cancellation and timeouts end in `cleanup`.

use std::sync::Arc;

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    comment::{self, Outcome, Phase, StatusView},
    prompt,
    shape::{Shape, outside_scope},
};
use crate::{
    github_step,
    platform::Platform,
    policy::{
        Finished, IssueNumber, LabelSet, NeedLabel, NextStep, PullRequestNumber, RunKind,
        StateLabel, Trigger, next_steps,
    },
    runtime::{AgentOutput, AgentSpec, AgentState, Workspace},
    store::{
        agent_run::{self, AgentRun},
        run_token::{self, RunToken},
    },
};

/// Name of the signal an agent's events arrive on.
pub const AGENT_EVENT: &str = "agent_event";

/// What an agent (or its runtime) tells the stage run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AgentEvent {
    /// The agent process exited.
    Exited {
        /// Exit code.
        code: i32,
    },
    /// The agent waits for the Owner: the run's budget pauses.
    WaitingOwner,
    /// The Owner answered: the budget runs again.
    Resumed,
}

/// Input of a stage run: everything else is in its `agent_runs` row (same id).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StageInput {}

/// What a successful stage run produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageOutput {
    /// The agent's final message.
    pub final_message: Option<String>,
    /// Files it changed.
    pub changed_files: Vec<String>,
    /// Its pull request, if any.
    pub pull_request: Option<u64>,
}

/// The stage run workflow.
pub struct StageRun {
    platform: Arc<Platform>,
}

impl StageRun {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

fn spec(run: &AgentRun, prompt: String) -> AgentSpec {
    AgentSpec {
        run_id: run.id,
        repository: run.repository.clone(),
        branch: run.branch.clone(),
        prompt,
        model: run.model.clone(),
        reasoning: run.reasoning.clone(),
        role: run.role.clone(),
        env: Vec::new(),
        attempt: 0,
    }
}

fn retryable(e: impl std::fmt::Display) -> StepError {
    StepError::retryable(e)
}

/// Upserts the status comment for a phase, as step `name`, and stores its id.
async fn publish(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    name: &str,
    phase: Phase,
    outcome: Option<Outcome>,
    steps: &[NextStep],
) -> Result<(), WorkflowError> {
    let view = StatusView {
        run,
        phase,
        outcome,
        next_steps: steps,
        console_url: &p.config.console_url,
    };
    let body = comment::render(&view);
    let marker = comment::marker(run);
    github_step::call(ctx, name, p.config.github_rate_limit_waits, || async {
        let known = agent_run::get(&p.pool, run.id)
            .await?
            .and_then(|r| r.status_comment_id)
            .map(|id| id as u64);
        let posted = p
            .github
            .upsert_status_comment(
                &run.repository,
                run.thread_number as u64,
                known,
                &marker,
                &body,
            )
            .await?;
        agent_run::set_status_comment(&p.pool, run.id, posted.id as i64).await?;
        Ok(posted.id)
    })
    .await?;
    Ok(())
}

impl Workflow for StageRun {
    const KIND: &'static str = "stage_run";
    type Input = StageInput;
    type Output = StageOutput;

    async fn run(&self, ctx: WorkflowContext, _: StageInput) -> Result<StageOutput, WorkflowError> {
        let p = &*self.platform;
        let run_id = ctx.run_id();
        let run: AgentRun = ctx
            .step("load_run", |_| async move {
                let run = agent_run::get(&p.pool, run_id).await.map_err(retryable)?;
                let run = run
                    .ok_or_else(|| StepError::terminal(format!("agent run {run_id} not found")))?;
                agent_run::set_status(&p.pool, run_id, "running")
                    .await
                    .map_err(retryable)?;
                Ok(run)
            })
            .await?;
        let waits = p.config.github_rate_limit_waits;
        let repo = run.repository.as_str();
        let thread = run.thread_number as u64;
        publish(&ctx, p, &run, "comment_created", Phase::Created, None, &[]).await?;
        github_step::call(&ctx, "pickup_reaction", waits, || async {
            Ok(p.github
                .add_reaction(repo, thread, crate::github::Reaction::Eyes)
                .await?)
        })
        .await?;
        let issue = match run.issue_number {
            Some(n) => Some(
                github_step::call(&ctx, "load_issue", waits, || async {
                    Ok(p.github.get_issue(repo, n as u64).await?)
                })
                .await?,
            ),
            None => None,
        };
        publish(
            &ctx,
            p,
            &run,
            "comment_preparing",
            Phase::PreparingRuntime,
            None,
            &[],
        )
        .await?;
        let ws: Workspace = ctx
            .step("prepare_runtime", |_| async {
                p.runtime
                    .prepare(&spec(&run, String::new()))
                    .await
                    .map_err(retryable)
            })
            .await?;
        let prompt_text: String = ctx
            .step("render_prompt", |_| async {
                prompt::render(p, &run, issue.as_ref())
                    .await
                    .map_err(StepError::terminal)
            })
            .await?;
        launch(&ctx, p, &run, &ws, &prompt_text, 0).await?;
        publish(&ctx, p, &run, "comment_started", Phase::Started, None, &[]).await?;
        let code = await_agent(&ctx, p, &run, &ws, &prompt_text).await?;
        let output: AgentOutput = ctx
            .step("collect_results", |_| async {
                p.runtime.collect(&ws).await.map_err(retryable)
            })
            .await?;
        if let Some(pr) = output.pull_request {
            ctx.step("record_pull_request", |_| async move {
                agent_run::set_pull_request(&p.pool, run_id, pr as i64)
                    .await
                    .map_err(retryable)
            })
            .await?;
        }
        if code != 0 {
            return Err(WorkflowError::new(
                "agent_failed",
                format!("the agent exited with code {code}"),
            ));
        }
        let scope = Shape::of(&run)
            .map_err(|e| WorkflowError::new("corrupt_run", e))?
            .write_scope();
        let outside = outside_scope(scope, &output.changed_files);
        if !outside.is_empty() {
            return Err(WorkflowError::new(
                "write_scope_violation",
                format!("this stage may not change {}", outside.join(", ")),
            ));
        }
        let pull_request = output
            .pull_request
            .or(run.pull_request_number.map(|n| n as u64));
        let steps = finish_labels(&ctx, p, &run, pull_request).await?;
        let outcome = Outcome {
            status: "succeeded".into(),
            detail: output.final_message.clone(),
        };
        publish(
            &ctx,
            p,
            &run,
            "comment_finished",
            Phase::Finished,
            Some(outcome),
            &steps,
        )
        .await?;
        ctx.step("release_runtime", |_| async {
            if p.config.runtime_ttl.is_zero() {
                return p
                    .runtime
                    .release(&ws)
                    .await
                    .map_err(retryable)
                    .map(|()| None);
            }
            // Kept for the TTL, then released by a delayed run (idempotent per stage run).
            let release_at = chrono::Utc::now() + p.config.runtime_ttl;
            let options = engine::StartOptions {
                idempotency_key: Some(format!("release:{run_id}")),
                run_at: Some(release_at),
                ..engine::StartOptions::default()
            };
            p.client()
                .start::<ReleaseRuntime>(&ReleaseInput { run_id }, options)
                .await
                .map_err(retryable)?;
            Ok(Some(release_at))
        })
        .await
        .map(|_: Option<chrono::DateTime<chrono::Utc>>| ())?;
        ctx.step("mark_succeeded", |_| async move {
            run_token::revoke_for_run(&p.pool, run_id)
                .await
                .map_err(retryable)?;
            agent_run::set_status(&p.pool, run_id, "succeeded")
                .await
                .map_err(retryable)
        })
        .await?;
        Ok(StageOutput {
            final_message: output.final_message,
            changed_files: output.changed_files,
            pull_request,
        })
    }

    async fn cleanup(
        &self,
        run_id: Uuid,
        _: StageInput,
        reason: EndReason,
    ) -> Result<(), StepError> {
        let p = &*self.platform;
        let Some(run) = agent_run::get(&p.pool, run_id).await.map_err(retryable)? else {
            return Ok(());
        };
        let ws = p
            .runtime
            .prepare(&spec(&run, String::new()))
            .await
            .map_err(retryable)?;
        p.runtime.release(&ws).await.map_err(retryable)?;
        let detail = p
            .client()
            .get_run(run_id)
            .await
            .ok()
            .and_then(|r| r.error)
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("error");
                let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
                format!("{code}: {message}")
            });
        let view = StatusView {
            run: &run,
            phase: Phase::Finished,
            outcome: Some(Outcome {
                status: reason.as_str().into(),
                detail,
            }),
            next_steps: &[],
            console_url: &p.config.console_url,
        };
        let body = comment::render(&view);
        match p
            .github
            .upsert_status_comment(
                &run.repository,
                run.thread_number as u64,
                run.status_comment_id.map(|i| i as u64),
                &comment::marker(&run),
                &body,
            )
            .await
        {
            Ok(c) => agent_run::set_status_comment(&p.pool, run_id, c.id as i64)
                .await
                .map_err(retryable)?,
            Err(e) => return Err(retryable(e)),
        }
        run_token::revoke_for_run(&p.pool, run_id)
            .await
            .map_err(retryable)?;
        agent_run::set_status(&p.pool, run_id, reason.as_str())
            .await
            .map_err(retryable)
    }
}

/// Launches the agent (attempt 0) or relaunches it (later attempts), as one checkpointed step:
/// a fresh run token, the platform URL, and a monitor that signals the agent's exit.
async fn launch(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    ws: &Workspace,
    prompt_text: &str,
    attempt: u32,
) -> Result<(), WorkflowError> {
    let run_id = run.id;
    let step = if attempt == 0 {
        "launch_agent".to_owned()
    } else {
        format!("relaunch_agent_{attempt}")
    };
    ctx.step(&step, |_| async {
        // A fresh run token per launch: the agent proves its run with it (runner API, /mcp).
        let token = RunToken::generate();
        let expires_at = chrono::Utc::now() + p.config.stage_budget * 4;
        run_token::insert(&p.pool, run_id, &token, expires_at).await.map_err(retryable)?;
        let mut agent = spec(run, prompt_text.to_owned());
        agent.attempt = attempt;
        agent.env = vec![
            ("CK8S_RUN_TOKEN".into(), token.expose().to_owned()),
            ("CK8S_PLATFORM_URL".into(), p.config.api_url.clone()),
        ];
        if attempt > 0 {
            agent.env.push(("CK8S_RESUME_PROMPT".into(), RESUME_PROMPT.into()));
        }
        let launched = p.runtime.launch(ws, &agent).await.map_err(retryable)?;
        if let Some(exited) = launched.exited {
            let client = p.client().clone();
            tokio::spawn(async move {
                let code = exited.await;
                let event = json!({ "kind": "exited", "code": code });
                let key = format!("agent_exited:{attempt}");
                if let Err(e) = client.signal(run_id, AGENT_EVENT, event, Some(&key)).await {
                    tracing::warn!(%run_id, error.message = %e, "could not signal the agent's exit; the probe will see it");
                }
            });
        }
        Ok(launched.agent)
    })
    .await?;
    Ok(())
}

/// What a relaunched agent is told (it resumes its codex thread from the saved session).
const RESUME_PROMPT: &str = "Your previous process stopped while you waited for the Owner's answer. \
Ask the same question again with owner_feedback_request: the Owner's answer is ready for you. Then finish the task.";

/// Waits for the agent to exit; the wait pauses the run's budget while the agent waits for the
/// Owner. Without events, probes the agent every `agent_probe_every`. If the agent dies while an
/// Owner question of this run is open, the run keeps waiting (budget paused) and relaunches the
/// agent once the question is answered (or expires): the agent resumes its codex thread.
async fn await_agent(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    ws: &Workspace,
    prompt_text: &str,
) -> Result<i32, WorkflowError> {
    let mut pausing = false;
    let mut orphaned = false;
    let mut attempt = 0u32;
    for round in 0.. {
        let mut wait = Wait::signal(AGENT_EVENT).timeout(p.config.agent_probe_every);
        if pausing || orphaned {
            wait = wait.pausing();
        }
        let exit = match ctx.wait::<AgentEvent>(wait).await? {
            WaitOutcome::Signal(AgentEvent::Exited { code }) => Some(code),
            WaitOutcome::Signal(AgentEvent::WaitingOwner) => {
                pausing = true;
                publish(
                    ctx,
                    p,
                    run,
                    &format!("comment_waiting_{round}"),
                    Phase::Waiting,
                    None,
                    &[],
                )
                .await?;
                None
            }
            WaitOutcome::Signal(AgentEvent::Resumed) => {
                pausing = false;
                if !orphaned {
                    publish(
                        ctx,
                        p,
                        run,
                        &format!("comment_resumed_{round}"),
                        Phase::Started,
                        None,
                        &[],
                    )
                    .await?;
                }
                None
            }
            WaitOutcome::Deadline if orphaned => None,
            WaitOutcome::Deadline => {
                let state: AgentState = ctx
                    .step(&format!("probe_agent_{round}"), |_| async {
                        p.runtime.probe(ws).await.map_err(retryable)
                    })
                    .await?;
                match state {
                    AgentState::Exited { code } => Some(code),
                    AgentState::Gone => Some(-1),
                    AgentState::Running => None,
                }
            }
        };
        if exit.is_none() && !orphaned {
            continue;
        }
        let run_id = run.id;
        let question: Option<String> = ctx
            .step(&format!("open_question_{round}"), |_| async move {
                crate::approval::open_feedback_state(&p.pool, run_id)
                    .await
                    .map_err(retryable)
            })
            .await?;
        match (exit, orphaned, question.as_deref()) {
            // A normal exit, with no question left open.
            (Some(code), false, None) => return Ok(code),
            // Died while the Owner was asked: wait for the answer with the budget paused.
            (Some(_), false, Some("requested")) => {
                tracing::warn!(run_id = %run.id, "agent died while waiting for the Owner; waiting for the answer to relaunch it");
                orphaned = true;
            }
            // Still unanswered.
            (_, true, Some("requested")) => {}
            // The answer is there (or the question ended) and nobody runs: relaunch.
            (_, true, _) | (Some(_), false, Some(_)) => {
                attempt += 1;
                orphaned = false;
                pausing = false;
                launch(ctx, p, run, ws, prompt_text, attempt).await?;
                publish(
                    ctx,
                    p,
                    run,
                    &format!("comment_relaunched_{attempt}"),
                    Phase::Started,
                    None,
                    &[],
                )
                .await?;
            }
            (None, false, _) => {}
        }
    }
    unreachable!("the loop only ends by returning")
}

/// Labels after a successful stage: the trigger label goes, `state:in-review` comes, and a pull
/// request gets `need:reviewer` (pre-review comes before the Owner's review). Returns the next
/// steps computed from the labels as they are now.
async fn finish_labels(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    pull_request: Option<u64>,
) -> Result<Vec<NextStep>, WorkflowError> {
    let catalog = p.policy.catalog();
    let repo = run.repository.as_str();
    let waits = p.config.github_rate_limit_waits;
    let trigger: Option<Trigger> = run
        .trigger
        .as_ref()
        .and_then(|t| serde_json::from_value(serde_json::Value::String(t.clone())).ok());
    let Some(issue) = run.issue_number.map(|n| n as u64) else {
        return Ok(Vec::new());
    };
    let in_review = catalog.state(StateLabel::InReview).as_str().to_owned();
    let trigger_label = trigger.map(|t| catalog.trigger(t).as_str().to_owned());
    let issue_labels: Vec<String> = github_step::call(ctx, "label_issue", waits, || async {
        if let Some(label) = &trigger_label {
            p.github.remove_label(repo, issue, label).await?;
        }
        Ok(p.github
            .add_labels(repo, issue, std::slice::from_ref(&in_review))
            .await?)
    })
    .await?;
    let mut pr_labels = None;
    if let (Some(pr), Some(_)) = (pull_request, trigger) {
        let reviewer = catalog.need(NeedLabel::Reviewer).as_str().to_owned();
        pr_labels = Some(
            github_step::call(ctx, "label_pull_request", waits, || async {
                Ok(p.github
                    .add_labels(repo, pr, std::slice::from_ref(&reviewer))
                    .await?)
            })
            .await?,
        );
    }
    let Some(trigger) = trigger else {
        return Ok(Vec::new());
    };
    let parse =
        |raw: &[String]| LabelSet::parse(raw.iter().map(String::as_str)).unwrap_or_default();
    let issue_set = parse(&issue_labels);
    let pr_set = pr_labels.as_deref().map(parse);
    let finished = Finished {
        run: RunKind::Stage(trigger),
        profile: None,
        issue: IssueNumber(issue),
        issue_labels: &issue_set,
        pull_request: pull_request
            .zip(pr_set.as_ref())
            .map(|(n, l)| (PullRequestNumber(n), l)),
    };
    Ok(next_steps(catalog, &finished))
}

/// Input of a delayed runtime release.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseInput {
    /// The stage run whose runtime goes.
    pub run_id: Uuid,
}

/// Releases a finished stage run's runtime once its TTL has passed.
pub struct ReleaseRuntime {
    platform: Arc<Platform>,
}

impl ReleaseRuntime {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

impl Workflow for ReleaseRuntime {
    const KIND: &'static str = "runtime_release";
    type Input = ReleaseInput;
    type Output = ();

    async fn run(&self, ctx: WorkflowContext, input: ReleaseInput) -> Result<(), WorkflowError> {
        let p = &*self.platform;
        ctx.step("release_runtime", |_| async {
            let Some(run) = agent_run::get(&p.pool, input.run_id)
                .await
                .map_err(retryable)?
            else {
                return Ok(());
            };
            let ws = p
                .runtime
                .prepare(&spec(&run, String::new()))
                .await
                .map_err(retryable)?;
            p.runtime.release(&ws).await.map_err(retryable)
        })
        .await?;
        Ok(())
    }
}
