//! The mandatory reviewer pre-review between a stage run and the Owner's review.
//!
//! A stage run that finishes with a pull request (or a document change on its Issue) does not
//! hand the Issue to the Owner: it removes its trigger label, marks the pull request
//! `need:reviewer` and starts the reviewer run itself (once per stage run and pull request head).
//! The reviewer run, when it finishes, records its verdict (ADR 0019) and decides the turn:
//! `approve` or `comment` sets `state:in-review` (the Owner's turn); `changes_requested` starts the
//! stage's revise, up to `review_max_rounds` reviews per lineage, then asks the Owner with
//! `need:input`. Other runs (discussions, a review a person asked for) finish as before.

use engine::{StepError, WorkflowContext, WorkflowError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    child,
    verdict::{self, Decision, Verdict},
};
use crate::{
    github_step::{self, CallError},
    platform::Platform,
    policy::{
        Finished, IssueNumber, LabelSet, NeedLabel, NextStep, PullRequestNumber, RunKind,
        StateLabel, Trigger, next_steps,
    },
    runtime::AgentOutput,
    store::{
        agent_run::{self, AgentRun},
        review,
    },
};

/// What the Owner can do when the reviewer run failed or timed out (its cleanup set `need:input`).
pub(crate) fn unresolved_hint(ru: bool) -> &'static str {
    if ru {
        "Пре-ревью не завершилось, вердикта нет: на Issue поставлен `need:input`, решает Owner. Проверьте pull request сами или снова поставьте на него `need:reviewer`, чтобы повторить пре-ревью."
    } else {
        "The pre-review did not finish and gave no verdict: the Issue got `need:input` and the Owner decides. Review the pull request yourself, or add `need:reviewer` to it again to repeat the pre-review."
    }
}

/// What the finished run's status comment shows.
pub(crate) struct Finish {
    /// The Owner's next steps (none while the pre-review is pending).
    pub(crate) next_steps: Vec<NextStep>,
    /// The result line: the agent's summary, and where the gate stands.
    pub(crate) detail: Option<String>,
}

fn wire<T: serde::de::DeserializeOwned>(raw: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The status comment shows one line of the result: the gate's note first, then the agent's.
fn joined(note: String, final_message: Option<&str>) -> Option<String> {
    let first = final_message.and_then(|m| m.lines().find(|l| !l.trim().is_empty()));
    Some(match first {
        Some(f) => format!("{note} — {}", f.trim()),
        None => note,
    })
}

/// Finishes a successful run in `finish_labels`' place: labels, the gate, the next steps.
pub(crate) async fn finish(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    pull_request: Option<u64>,
    output: &AgentOutput,
) -> Result<Finish, WorkflowError> {
    let trigger: Option<Trigger> = run.trigger.as_deref().and_then(wire);
    // `review_max_rounds` 0 switches the gate off (the binary refuses 0; tests of other parts).
    let reviewed = p.config.review_max_rounds > 0
        && (pull_request.is_some() || !output.changed_files.is_empty());
    match (run.kind.as_str(), trigger, run.issue_number) {
        ("stage", Some(trigger), Some(_)) if reviewed => {
            after_stage(ctx, p, run, trigger, pull_request, output).await
        }
        ("reviewer", _, Some(_)) => after_review(ctx, p, run, pull_request, output).await,
        _ => {
            let labels = relabel_issue(ctx, p, run, trigger, &[StateLabel::InReview], &[]).await?;
            let mut pr_labels = None;
            if let (Some(pr), Some(_)) = (pull_request, trigger) {
                pr_labels = Some(relabel_pull_request(ctx, p, run, pr, &[], &[]).await?);
            }
            let steps = owner_steps(p, run, trigger, &labels, pull_request, pr_labels.as_deref());
            Ok(Finish {
                next_steps: steps,
                detail: output.final_message.clone(),
            })
        }
    }
}

/// The stage's agent is done: hand the result to the reviewer, not yet to the Owner.
async fn after_stage(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    trigger: Trigger,
    pull_request: Option<u64>,
    output: &AgentOutput,
) -> Result<Finish, WorkflowError> {
    relabel_issue(ctx, p, run, Some(trigger), &[], &[]).await?;
    if let Some(pr) = pull_request {
        let reviewer = p
            .policy
            .catalog()
            .need(NeedLabel::Reviewer)
            .as_str()
            .to_owned();
        relabel_pull_request(ctx, p, run, pr, &[], &[reviewer]).await?;
    }
    let repo = run.repository.as_str();
    let head: String = match pull_request {
        Some(pr) => {
            github_step::call(
                ctx,
                "review_head",
                p.config.github_rate_limit_waits,
                || async { Ok(p.code_host.get_pull_request(repo, pr).await?.head_sha) },
            )
            .await?
        }
        None => format!("branch:{}", run.branch),
    };
    let max_rounds = p.config.review_max_rounds.max(1) as i32;
    let started: Option<(Uuid, i32)> = ctx
        .step("start_review", |_| async {
            let mut tx = p.pool.begin().await.map_err(StepError::retryable)?;
            let round = review::round_of_revise(&mut *tx, run.id)
                .await
                .map_err(StepError::retryable)?
                .map_or(1, |r| r + 1);
            let row = reviewer_row(p, run, pull_request);
            let key = format!("review:{}:{head}", run.id);
            let Some(child) = child::start(&mut tx, p, row, key).await? else {
                return Ok(None);
            };
            if child.created {
                let new = review::NewReview {
                    reviewer_run_id: child.id,
                    stage_run_id: run.id,
                    pull_request_number: pull_request.map(|n| n as i64),
                    head: &head,
                    round,
                };
                review::insert(&mut *tx, &new)
                    .await
                    .map_err(StepError::retryable)?;
            }
            tx.commit().await.map_err(StepError::retryable)?;
            Ok(Some((child.id, round)))
        })
        .await?;
    let note = match (started, pull_request) {
        (Some((id, round)), Some(pr)) => format!(
            "🔎 Pre-review: the reviewer run `{id}` reviews pull request #{pr} (round {round} of {max_rounds}); the Owner's review follows its verdict."
        ),
        (Some((id, round)), None) => format!(
            "🔎 Pre-review: the reviewer run `{id}` reviews the changes on `{}` (round {round} of {max_rounds}); the Owner's review follows its verdict.",
            run.branch
        ),
        (None, _) => "The repository is no longer bound: no pre-review started.".to_owned(),
    };
    Ok(Finish {
        next_steps: Vec::new(),
        detail: joined(note, output.final_message.as_deref()),
    })
}

/// The reviewer run of `run`'s result: the same Issue and pull request, role reviewer, its status
/// comment on the Issue (where the Owner reads the verdict).
fn reviewer_row(p: &Platform, run: &AgentRun, pull_request: Option<u64>) -> AgentRun {
    AgentRun {
        kind: "reviewer".into(),
        trigger: None,
        role: "reviewer".into(),
        execution_mode: snake(&p.policy.modes().for_reviewer()),
        pull_request_number: pull_request.map(|n| n as i64).or(run.pull_request_number),
        thread_kind: "issue".into(),
        thread_number: run.issue_number.unwrap_or(run.thread_number),
        ..run.clone()
    }
}

/// What the reviewer's verdict leads to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "turn")]
enum Turn {
    /// The Owner reviews (`state:in-review`).
    Owner,
    /// A revise run was started.
    Revise { run_id: Uuid, round: i32 },
    /// The Owner is asked (`need:input`): rounds spent, no verdict, or nothing to revise.
    AskOwner { why: String },
}

/// The reviewer is done: record its verdict and give the turn to the Owner or to a revise.
async fn after_review(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    pull_request: Option<u64>,
    output: &AgentOutput,
) -> Result<Finish, WorkflowError> {
    let verdict = verdict::parse(output.final_message.as_deref());
    let pull_request = pull_request.or(run.pull_request_number.map(|n| n as u64));
    let recorded: (review::Review, Option<AgentRun>) = ctx
        .step("record_verdict", |_| async {
            let v = review::Verdict {
                reviewer_run_id: run.id,
                pull_request_number: pull_request.map(|n| n as i64),
                head: &run.branch,
                verdict: verdict.decision.as_str(),
                summary: verdict.summary.as_deref(),
                blocking_findings: verdict.blocking_findings,
            };
            let stored = review::record_verdict(&p.pool, &v)
                .await
                .map_err(StepError::retryable)?;
            let stage = match stored.stage_run_id {
                Some(id) => agent_run::get(&p.pool, id)
                    .await
                    .map_err(StepError::retryable)?,
                None => None,
            };
            Ok((stored, stage))
        })
        .await?;
    let (stored, stage_run) = recorded;
    let stage_trigger: Option<Trigger> = stage_run
        .as_ref()
        .and_then(|s| s.trigger.as_deref())
        .and_then(wire);
    let max_rounds = p.config.review_max_rounds.max(1) as i32;
    let turn: Turn = match (verdict.decision, stage_run.as_ref(), stage_trigger) {
        (Decision::Approve | Decision::Comment, _, _) | (_, None, _) => Turn::Owner,
        (Decision::None, Some(_), _) => Turn::AskOwner {
            why: "the reviewer gave no readable verdict".into(),
        },
        (Decision::ChangesRequested, Some(_), _) if stored.round >= max_rounds => Turn::AskOwner {
            why: format!(
                "changes are still requested after {} review rounds",
                stored.round
            ),
        },
        (Decision::ChangesRequested, Some(stage), trigger) => {
            match trigger.and_then(|t| Trigger::of(t.stage(), true)) {
                Some(revise) => start_revise(ctx, p, run, stage, revise, stored.round).await?,
                None => Turn::AskOwner {
                    why: "the stage has no revise".into(),
                },
            }
        }
    };
    let catalog = p.policy.catalog();
    let in_review = catalog.state(StateLabel::InReview).as_str().to_owned();
    let reviewer = catalog.need(NeedLabel::Reviewer).as_str().to_owned();
    let issue_add: &[StateLabel] = match turn {
        Turn::Owner => &[StateLabel::InReview],
        _ => &[],
    };
    let need: Vec<String> = match turn {
        Turn::AskOwner { .. } => vec![catalog.need(NeedLabel::Input).as_str().to_owned()],
        _ => Vec::new(),
    };
    let issue_labels = relabel_issue(ctx, p, run, None, issue_add, &need).await?;
    let mut pr_labels = None;
    if let Some(pr) = pull_request {
        let add = match turn {
            Turn::Owner => vec![in_review],
            _ => Vec::new(),
        };
        pr_labels = Some(relabel_pull_request(ctx, p, run, pr, &[reviewer], &add).await?);
    }
    let steps = match turn {
        Turn::Revise { .. } => Vec::new(),
        _ => owner_steps(
            p,
            run,
            stage_trigger,
            &issue_labels,
            pull_request,
            pr_labels.as_deref(),
        ),
    };
    Ok(Finish {
        next_steps: steps,
        detail: Some(verdict_text(&verdict, &turn, stored.round, max_rounds)),
    })
}

/// One line (the status comment shows one): verdict, round, what follows, the summary.
fn verdict_text(verdict: &Verdict, turn: &Turn, round: i32, max_rounds: i32) -> String {
    let mut text = format!(
        "🔎 Reviewer verdict: `{}` (round {round} of {max_rounds})",
        verdict.decision.as_str()
    );
    if let Some(n) = verdict.blocking_findings {
        text.push_str(&format!(", {n} blocking finding(s)"));
    }
    let next = match turn {
        Turn::Owner => "the Owner's review is next (`state:in-review`)".to_owned(),
        Turn::Revise { run_id, .. } => format!("the revise run `{run_id}` addresses it"),
        Turn::AskOwner { why } => format!("the Owner decides (`need:input`): {why}"),
    };
    text.push_str(&format!("; {next}."));
    if let Some(summary) = verdict.summary.as_deref().and_then(|s| s.lines().next()) {
        text.push_str(&format!(" {summary}"));
    }
    text
}

/// Starts the stage's revise on the same Issue, pull request and branch (once per verdict).
async fn start_revise(
    ctx: &WorkflowContext,
    p: &Platform,
    reviewer: &AgentRun,
    stage: &AgentRun,
    revise: Trigger,
    round: i32,
) -> Result<Turn, WorkflowError> {
    let row = AgentRun {
        kind: "stage".into(),
        trigger: Some(snake(&revise)),
        stage: Some(snake(&revise.stage())),
        role: snake(&revise.stage().spec().role),
        execution_mode: snake(&p.policy.modes().for_trigger(revise)),
        pull_request_number: reviewer.pull_request_number.or(stage.pull_request_number),
        thread_kind: "issue".into(),
        thread_number: stage.issue_number.unwrap_or(stage.thread_number),
        ..stage.clone()
    };
    let started: Option<Uuid> = ctx
        .step("start_revise", |_| async {
            let mut tx = p.pool.begin().await.map_err(StepError::retryable)?;
            let key = format!("revise:{}", reviewer.id);
            let Some(child) = child::start(&mut tx, p, row, key).await? else {
                return Ok(None);
            };
            review::set_revise_run(&mut *tx, reviewer.id, child.id)
                .await
                .map_err(StepError::retryable)?;
            tx.commit().await.map_err(StepError::retryable)?;
            Ok(Some(child.id))
        })
        .await?;
    Ok(match started {
        Some(run_id) => Turn::Revise { run_id, round },
        None => Turn::AskOwner {
            why: "the repository is no longer bound".into(),
        },
    })
}

/// Removes the trigger label from the Issue and adds `add` (and `add_need`); its labels now.
async fn relabel_issue(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    trigger: Option<Trigger>,
    add: &[StateLabel],
    add_need: &[String],
) -> Result<Vec<String>, WorkflowError> {
    let catalog = p.policy.catalog();
    let repo = run.repository.as_str();
    let Some(issue) = run.issue_number.map(|n| n as u64) else {
        return Ok(Vec::new());
    };
    let remove: Vec<String> = trigger
        .map(|t| catalog.trigger(t).as_str().to_owned())
        .into_iter()
        .collect();
    let add: Vec<String> = add
        .iter()
        .map(|s| catalog.state(*s).as_str().to_owned())
        .chain(add_need.iter().cloned())
        .collect();
    github_step::call(ctx, "label_issue", p.config.github_rate_limit_waits, || {
        relabel(p, repo, issue, &remove, &add)
    })
    .await
}

/// Removes `remove` from and adds `add` to the pull request; its labels now.
async fn relabel_pull_request(
    ctx: &WorkflowContext,
    p: &Platform,
    run: &AgentRun,
    pr: u64,
    remove: &[String],
    add: &[String],
) -> Result<Vec<String>, WorkflowError> {
    let repo = run.repository.as_str();
    github_step::call(
        ctx,
        "label_pull_request",
        p.config.github_rate_limit_waits,
        || relabel(p, repo, pr, remove, add),
    )
    .await
}

async fn relabel(
    p: &Platform,
    repo: &str,
    number: u64,
    remove: &[String],
    add: &[String],
) -> Result<Vec<String>, CallError> {
    for label in remove {
        p.code_host.remove_label(repo, number, label).await?;
    }
    if add.is_empty() {
        return Ok(p.code_host.get_issue(repo, number).await?.labels);
    }
    Ok(p.code_host.add_labels(repo, number, add).await?)
}

/// The Owner's next steps after `trigger`'s stage, from the labels as they are now.
fn owner_steps(
    p: &Platform,
    run: &AgentRun,
    trigger: Option<Trigger>,
    issue_labels: &[String],
    pull_request: Option<u64>,
    pr_labels: Option<&[String]>,
) -> Vec<NextStep> {
    let (Some(trigger), Some(issue)) = (trigger, run.issue_number) else {
        return Vec::new();
    };
    let parse =
        |raw: &[String]| LabelSet::parse(raw.iter().map(String::as_str)).unwrap_or_default();
    let issue_set = parse(issue_labels);
    let pr_set = pr_labels.map(parse);
    let finished = Finished {
        run: RunKind::Stage(trigger),
        profile: None,
        issue: IssueNumber(issue as u64),
        issue_labels: &issue_set,
        pull_request: pull_request
            .zip(pr_set.as_ref())
            .map(|(n, l)| (PullRequestNumber(n), l)),
    };
    next_steps(p.policy.catalog(), &finished)
}
