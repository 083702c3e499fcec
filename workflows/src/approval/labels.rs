//! `github_labels`: list the run's thread labels, or change them through the `AgentLabels`
//! workflow: `state:*`/`need:*` apply at once; labels that start runs wait for an Owner approval,
//! whose decision the approval flow sends to that workflow as `owner_decision`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    error::{Error, Result},
    model::Kind,
    open::{Opening, commit_or_reuse, insert_with_flow, reusable},
    sign::digest,
};
use crate::{
    agent_label::{AgentLabels, AgentLabelsInput},
    error::db,
    platform::Platform,
    policy::{
        AgentLabelRequest, Decision, IssueNumber, LabelSet, PullRequestNumber, Thread,
        route_agent_labels,
    },
    store::agent_run::AgentRun,
};

/// How long a change that needs no approval is awaited before answering "queued".
const APPLY_WAIT: Duration = Duration::from_secs(10);

/// What to do with labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelAction {
    /// Read the thread's labels.
    List,
    /// Add labels.
    Add,
    /// Remove labels.
    Remove,
    /// Remove some and add others in one request.
    Transition,
}

/// A label request as the agent asks it.
#[derive(Debug, Clone)]
pub struct LabelsAsk {
    /// What to do.
    pub action: LabelAction,
    /// The run's Issue (default: the run's thread); only the run's own thread, Issue and linked
    /// pull request are allowed.
    pub issue_number: Option<u64>,
    /// The run's linked pull request (default: the run's thread); same rule.
    pub pull_request_number: Option<u64>,
    /// Labels to add.
    pub add: Vec<String>,
    /// Labels to remove.
    pub remove: Vec<String>,
}

/// The threads a run may label: its own thread, its Issue and its linked pull request.
fn allowed(run: &AgentRun) -> Vec<u64> {
    let mut numbers: Vec<u64> = [
        Some(run.thread_number),
        run.issue_number,
        run.pull_request_number,
    ]
    .into_iter()
    .flatten()
    .filter_map(|n| u64::try_from(n).ok())
    .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// The thread asked for, when it is one of the run's own (see [`allowed`]); any other is refused
/// with the numbers the run may use, before anything reaches GitHub.
fn thread(run: &AgentRun, ask: &LabelsAsk) -> Result<Thread> {
    let thread = requested(run, ask)?;
    let allowed = allowed(run);
    if allowed.contains(&number(thread)) {
        return Ok(thread);
    }
    let named: Vec<String> = allowed.iter().map(|n| format!("#{n}")).collect();
    Err(Error::NotAllowed(format!(
        "github_labels acts only on this run's own Issue and pull request ({}); #{} is not one of them",
        named.join(", "),
        number(thread)
    )))
}

fn requested(run: &AgentRun, ask: &LabelsAsk) -> Result<Thread> {
    match (ask.issue_number, ask.pull_request_number) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "issue_number",
            "give an issue_number or a pull_request_number, not both",
        )),
        (Some(n), None) => Ok(Thread::Issue(IssueNumber(n))),
        (None, Some(n)) => Ok(Thread::PullRequest(PullRequestNumber(n))),
        (None, None) if run.thread_kind == "pull_request" => Ok(Thread::PullRequest(
            PullRequestNumber(run.thread_number as u64),
        )),
        (None, None) => Ok(Thread::Issue(IssueNumber(run.thread_number as u64))),
    }
}

fn number(t: Thread) -> u64 {
    match t {
        Thread::Issue(n) => n.0,
        Thread::PullRequest(n) => n.0,
    }
}

fn set(field: &'static str, raw: &[String]) -> Result<LabelSet> {
    LabelSet::parse(raw.iter().map(String::as_str))
        .map_err(|e| Error::invalid(field, e.to_string()))
}

/// Lists or changes labels (see the module docs).
pub async fn request(p: &Platform, run: &AgentRun, ask: LabelsAsk) -> Result<Value> {
    let thread = thread(run, &ask)?;
    if ask.action == LabelAction::List {
        let labels = p
            .code_host
            .list_issue_labels(&run.repository, number(thread))
            .await?;
        return Ok(json!({ "status": "listed", "thread": thread, "labels": labels }));
    }
    let (add, remove) = match ask.action {
        LabelAction::Add => (set("add", &ask.add)?, LabelSet::default()),
        LabelAction::Remove => (LabelSet::default(), set("remove", &ask.remove)?),
        _ => (set("add", &ask.add)?, set("remove", &ask.remove)?),
    };
    if add.is_empty() && remove.is_empty() {
        return Err(Error::invalid("add", "no labels to change"));
    }
    let request = AgentLabelRequest {
        thread,
        add,
        remove,
    };
    let input = AgentLabelsInput {
        repository: run.repository.clone(),
        requested_by_run: run.id,
        request: request.clone(),
    };
    match route_agent_labels(&p.policy, &request) {
        Decision::NeedsOwnerApproval {
            pending, apply_now, ..
        } => {
            let pending: Vec<String> = pending.iter().map(|l| l.as_str().to_owned()).collect();
            let mut sorted = pending.iter().map(|l| l.to_lowercase()).collect::<Vec<_>>();
            sorted.sort();
            let body = json!({
                "repository": run.repository, "thread": thread, "pending_labels": pending,
                "add_now": apply_now.add, "remove_now": apply_now.remove,
            });
            let signature = digest(&[
                Kind::Labels.as_str(),
                &run.project_id.to_string(),
                &run.repository,
                &number(thread).to_string(),
                &sorted.join(","),
            ]);
            let opening = Opening {
                run,
                kind: Kind::Labels,
                tool: "github_labels",
                request: body,
                signature,
            };
            let opened = match reusable(p, &opening.signature).await? {
                Some(found) => super::open::Opened {
                    approval: found,
                    created: false,
                },
                None => {
                    let mut tx = p.pool.begin().await.map_err(db("approval::labels begin"))?;
                    let target = p
                        .client()
                        .start_with::<AgentLabels>(&mut *tx, &input, Default::default())
                        .await?;
                    let id = insert_with_flow(&mut tx, p, &opening, Some(target.id)).await?;
                    commit_or_reuse(p, tx, id, &opening.signature).await?
                }
            };
            let a = &opened.approval;
            Ok(json!({
                "status": "approval_pending",
                "request_id": a.id,
                "state": a.state,
                "pending_labels": pending,
                "reused": !opened.created,
                "labels_run_id": a.target_run_id,
                "expires_at": a.expires_at,
            }))
        }
        _ => {
            let started = p
                .client()
                .start::<AgentLabels>(&input, Default::default())
                .await?;
            let deadline = tokio::time::Instant::now() + APPLY_WAIT;
            loop {
                let status = p.client().get_run(started.id).await?.summary.status;
                if status.is_terminal() || tokio::time::Instant::now() >= deadline {
                    let done = status == engine::RunStatus::Succeeded;
                    return Ok(json!({
                        "status": if done { "applied" } else { status.as_str() },
                        "labels_run_id": started.id,
                    }));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
