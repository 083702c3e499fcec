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
    links, outcome, prompt, pull_request, review_gate,
    shape::{Shape, outside_scope},
};
use crate::{
    github_step,
    platform::Platform,
    policy::NextStep,
    runtime::{AgentOutput, AgentSpec, AgentState, Checkout, RunScope, Workspace},
    store::{
        agent_run::{self, AgentRun},
        flow_event, link,
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

/// The agent spec of a run (the runtime keys its workspace by it).
pub(super) fn spec(run: &AgentRun, prompt: String) -> AgentSpec {
    AgentSpec {
        run_id: run.id,
        repository: run.repository.clone(),
        branch: run.branch.clone(),
        prompt,
        model: run.model.clone(),
        reasoning: run.reasoning.clone(),
        role: run.role.clone(),
        env: Vec::new(),
        checkout: None,
        attempt: 0,
        scope: scope(run),
    }
}

/// The run's project, thread, mode and profile as the runtime needs them; none when a stored
/// value is not one this build knows (the local runtime does not need it).
pub(super) fn scope(run: &AgentRun) -> Option<RunScope> {
    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
    Some(RunScope {
        project_id: run.project_id,
        thread: u64::try_from(run.issue_number.unwrap_or(run.thread_number)).ok()?,
        mode: parse(&run.execution_mode)?,
        profile: parse(&run.access_profile)?,
    })
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
        let body = format!(
            "{body}{}",
            links::render(run, &link::list_for_run(&p.pool, run.id).await?)
        );
        let known = agent_run::get(&p.pool, run.id)
            .await?
            .and_then(|r| r.status_comment_id)
            .map(|id| id as u64);
        let posted = p
            .code_host
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
    /// 2: the repository is read and checked out, the pickup reaction is marked, the pushed branch
    /// gets its pull request and links, and a finished run hands its result to the reviewer gate
    /// (`review_head`, `start_review`, `record_verdict`, `start_revise`) before the Owner's
    /// review. 3: a discussion run first looks whether a later-started discussion of its Issue
    /// already answered the comment it was queued for (`discussion_answered`, ADR 0028). A run
    /// started by an earlier version that replays a changed place parks (`nondeterministic`)
    /// rather than failing; retry or cancel it (runbook).
    const VERSION: u32 = 3;
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
        if run.kind == "discussion"
            && let Some(by) = already_answered(&ctx, p, run_id).await?
        {
            // Its "queued" status comment says why no agent came.
            let outcome = Outcome {
                status: "succeeded".into(),
                detail: Some(format!(
                    "discussion run {by} started after this comment and answered it"
                )),
                hint: None,
            };
            let phase = Phase::Finished;
            publish(&ctx, p, &run, "comment_answered", phase, Some(outcome), &[]).await?;
            return Ok(StageOutput {
                final_message: None,
                changed_files: Vec::new(),
                pull_request: None,
            });
        }
        let waits = p.config.github_rate_limit_waits;
        let repo = run.repository.as_str();
        let thread = run.thread_number as u64;
        publish(&ctx, p, &run, "comment_created", Phase::Created, None, &[]).await?;
        github_step::call(&ctx, "pickup_reaction", waits, || async {
            // A step re-executed after a crash (its checkpoint lost) does not react again.
            if agent_run::pickup_reacted(&p.pool, run_id).await? {
                return Ok(());
            }
            p.code_host
                .add_reaction(repo, thread, crate::github::Reaction::Eyes)
                .await?;
            Ok(agent_run::set_pickup_reacted(&p.pool, run_id).await?)
        })
        .await?;
        let issue = match run.issue_number {
            Some(n) => Some(
                github_step::call(&ctx, "load_issue", waits, || async {
                    Ok(p.code_host.get_issue(repo, n as u64).await?)
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
        let source: crate::github::Repository =
            github_step::call(&ctx, "load_repository", waits, || async {
                Ok(p.code_host.get_repository(repo).await?)
            })
            .await?;
        let ws: Workspace = ctx
            .step("prepare_runtime", |_| async {
                let mut agent = spec(&run, String::new());
                agent.checkout = source.clone_url.clone().map(|clone_url| Checkout {
                    clone_url,
                    default_branch: source.default_branch.clone(),
                });
                let ws = p.runtime.prepare(&agent).await.map_err(retryable)?;
                links::record_start(&p.pool, &run, &ws)
                    .await
                    .map_err(retryable)?;
                Ok(ws)
            })
            .await?;
        let prompt_text: String = ctx
            .step("render_prompt", |_| async {
                prompt::render(p, &run, issue.as_ref())
                    .await
                    .map_err(StepError::terminal)
            })
            .await?;
        launch(&ctx, p, &run, &ws, &prompt_text, 0, RESUME_PROMPT).await?;
        publish(&ctx, p, &run, "comment_started", Phase::Started, None, &[]).await?;
        let (code, attempt) = await_agent(&ctx, p, &run, &ws, &prompt_text).await?;
        let output: AgentOutput = ctx
            .step("collect_results", |_| {
                outcome::collect(p, &ws, run_id, attempt, code)
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
        outcome::verdict(&output)?;
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
        let opened = pull_request::open_or_update(
            &ctx,
            p,
            &run,
            &source.default_branch,
            output.final_message.as_deref(),
        )
        .await?;
        let pull_request = opened
            .or(output.pull_request)
            .or(run.pull_request_number.map(|n| n as u64));
        // Labels, the reviewer pre-review gate and the next steps (see `review_gate`).
        let finish = review_gate::finish(&ctx, p, &run, pull_request, &output).await?;
        let outcome = Outcome {
            status: "succeeded".into(),
            detail: finish.detail,
            hint: None,
        };
        publish(
            &ctx,
            p,
            &run,
            "comment_finished",
            Phase::Finished,
            Some(outcome),
            &finish.next_steps,
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
        super::cleanup::run(&self.platform, run_id, reason).await
    }
}

/// The later-started discussion that already read and answered the comment discussion run
/// `run_id` was queued for (behind its Issue's discussion), if any; then `run_id` ends succeeded,
/// audited, with no agent of its own.
async fn already_answered(
    ctx: &WorkflowContext,
    p: &Platform,
    run_id: Uuid,
) -> Result<Option<Uuid>, WorkflowError> {
    let answered_by: Option<Uuid> = ctx
        .step("discussion_answered", |_| async move {
            let Some(by) = agent_run::discussion_answered_by(&p.pool, run_id)
                .await
                .map_err(retryable)?
            else {
                return Ok(None);
            };
            let mut tx = p.pool.begin().await.map_err(retryable)?;
            let detail = json!({ "answered_by": by });
            flow_event::insert(
                &mut *tx,
                Some(run_id),
                "discussion_already_answered",
                &detail,
            )
            .await
            .map_err(retryable)?;
            agent_run::set_ended(&mut *tx, run_id, "succeeded", None)
                .await
                .map_err(retryable)?;
            tx.commit().await.map_err(retryable)?;
            Ok(Some(by))
        })
        .await?;
    Ok(answered_by)
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
    resume: &str,
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
        let new = run_token::NewLaunchToken { run_id, token: &token, expires_at, attempt };
        run_token::insert_for_attempt(&p.pool, &new).await.map_err(retryable)?;
        let mut agent = spec(run, prompt_text.to_owned());
        agent.attempt = attempt;
        agent.env = vec![
            ("CK8S_RUN_TOKEN".into(), token.expose().to_owned()),
            ("CK8S_PLATFORM_URL".into(), p.config.api_url.clone()),
            ("CK8S_HEARTBEAT_SECS".into(), p.config.agent_heartbeat_every.as_secs().max(1).to_string()),
        ];
        if attempt > 0 {
            agent.env.push(("CK8S_RESUME_PROMPT".into(), resume.into()));
        }
        // Before the agent can read its thread: a comment routed before this moment is seen.
        agent_run::set_agent_started(&p.pool, run_id).await.map_err(retryable)?;
        let launched = p.runtime.launch(ws, &agent).await.map_err(retryable)?;
        if let Some(exited) = launched.exited {
            let client = p.client().clone();
            tokio::spawn(async move {
                let code = exited.await;
                let event = json!({ "kind": "exited", "code": code });
                let key = outcome::exit_signal_key(attempt);
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

/// What an agent relaunched after an infrastructure failure is told.
const RESUME_AFTER_FAILURE_PROMPT: &str = "Your previous process was stopped by the infrastructure \
(its pod was killed or its node was lost), not by you. Continue the task from where you were and finish it.";

/// Relaunches of one run after infrastructure failures (OOMKilled, Evicted, node lost...); an
/// agent's own failure is never relaunched.
const MAX_INFRA_RELAUNCHES: u32 = 2;

/// Waits for the agent to exit and returns its exit code and launch attempt; the wait pauses the
/// run's budget while the agent waits for the Owner. Without events, probes the agent every
/// `agent_probe_every` (see `outcome::probe`). If the agent dies while an
/// Owner question of this run is open, the run keeps waiting (budget paused) and relaunches the
/// agent once the question is answered (or expires): the agent resumes its codex thread.
async fn await_agent(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    ws: &Workspace,
    prompt_text: &str,
) -> Result<(i32, u32), WorkflowError> {
    let mut pausing = false;
    let mut orphaned = false;
    let mut attempt = 0u32;
    let mut infra_relaunches = 0u32;
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
                        outcome::probe(p, ws, run.id, attempt).await
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
            // Vanished with no question open: relaunch (bounded) when the runtime says the
            // infrastructure failed it, not the agent.
            (Some(-1), false, None) if infra_relaunches < MAX_INFRA_RELAUNCHES => {
                let failure: Option<String> = ctx
                    .step(&format!("diagnose_agent_{attempt}"), |_| async {
                        let output = p.runtime.collect(ws).await.map_err(retryable)?;
                        Ok(output.infrastructure_failure)
                    })
                    .await?;
                let Some(reason) = failure else {
                    return Ok((-1, attempt));
                };
                tracing::warn!(run_id = %run.id, attempt, reason = %reason, "the infrastructure failed the agent; relaunching it");
                infra_relaunches += 1;
                attempt += 1;
                relaunch(
                    ctx,
                    p,
                    run,
                    ws,
                    prompt_text,
                    attempt,
                    RESUME_AFTER_FAILURE_PROMPT,
                )
                .await?;
            }
            // A normal exit, with no question left open.
            (Some(code), false, None) => return Ok((code, attempt)),
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
                relaunch(ctx, p, run, ws, prompt_text, attempt, RESUME_PROMPT).await?;
            }
            (None, false, _) => {}
        }
    }
    unreachable!("the loop only ends by returning")
}

/// Launches `attempt` with the `resume` prompt and says so in the status comment.
async fn relaunch(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    ws: &Workspace,
    prompt_text: &str,
    attempt: u32,
    resume: &str,
) -> Result<(), WorkflowError> {
    launch(ctx, p, run, ws, prompt_text, attempt, resume).await?;
    let step = format!("comment_relaunched_{attempt}");
    publish(ctx, p, run, &step, Phase::Started, None, &[]).await
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
