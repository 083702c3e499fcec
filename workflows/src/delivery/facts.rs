//! Looks up what routing needs about an event: the actor's access, the repository binding, the
//! threads' linked runs and labels. Reads the database and GitHub; decides nothing.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    github_step::CallError,
    platform::Platform,
    policy::{
        EventKind, Facts, IssueNumber, LabelSet, LinkedIssue, LinkedPullRequest, ModelName,
        PullRequestNumber, ReasoningEffort, RunRecord, Stage,
    },
    store::{agent_run, directory::Binding},
};

/// The parts of a binding the routing run carries between steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BoundRepo {
    pub(crate) repository_id: Uuid,
    pub(crate) project_id: Uuid,
    pub(crate) project_slug: String,
    pub(crate) locale: Option<String>,
    pub(crate) learning_mode_default: Option<bool>,
    pub(crate) max_active_runs: i32,
}

impl From<Binding> for BoundRepo {
    fn from(b: Binding) -> Self {
        Self {
            repository_id: b.repository_id,
            project_id: b.project_id,
            project_slug: b.project_slug,
            locale: b.locale,
            learning_mode_default: b.learning_mode_default,
            max_active_runs: b.max_active_runs,
        }
    }
}

/// Facts plus the acting member's learning-mode override.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Looked {
    pub(crate) facts: Facts,
    pub(crate) learning_override: Option<bool>,
}

fn record(last: agent_run::LastRun) -> RunRecord {
    RunRecord {
        stage: last
            .stage
            .and_then(|s| serde_json::from_value::<Stage>(serde_json::Value::String(s)).ok()),
        model: last.model.and_then(|m| ModelName::parse(&m).ok()),
        reasoning: last.reasoning.and_then(|r| {
            serde_json::from_value::<ReasoningEffort>(serde_json::Value::String(r)).ok()
        }),
    }
}

fn labels(raw: &[String]) -> LabelSet {
    LabelSet::parse(raw.iter().map(String::as_str)).unwrap_or_default()
}

/// Loads the facts of one event.
pub(crate) async fn load(
    platform: &Platform,
    event: &crate::policy::Event,
    bound: Option<&BoundRepo>,
) -> Result<Looked, CallError> {
    let pool = &platform.pool;
    let repo = event.repository.as_str();
    let actor = event.on_behalf_of.as_ref().unwrap_or(&event.sender.login);
    let project_id = bound.map(|b| b.project_id).unwrap_or_else(Uuid::nil);
    let (access, learning_override) =
        crate::store::directory::access(pool, actor.as_str(), project_id).await?;
    let mut facts = Facts {
        access,
        repository_bound: bound.is_some(),
        ..Facts::default()
    };
    let Some(bound) = bound else {
        return Ok(Looked {
            facts,
            learning_override,
        });
    };
    let repo_id = bound.repository_id;
    let issue = match &event.kind {
        EventKind::IssueLabeled { issue, .. } | EventKind::IssueCommentCreated { issue, .. } => {
            Some(*issue)
        }
        _ => None,
    };
    let pull = match &event.kind {
        EventKind::PullRequestLabeled { pull_request, .. }
        | EventKind::PullRequestReviewSubmitted { pull_request, .. } => Some(*pull_request),
        _ => None,
    };
    if let Some(IssueNumber(n)) = issue {
        let n = n as i64;
        let last = agent_run::last_for_issue(pool, repo_id, n).await?;
        if let Some(pr) = last.as_ref().and_then(|l| l.pull_request_number) {
            let found = platform.code_host.get_pull_request(repo, pr as u64).await?;
            if found.state == crate::github::IssueState::Open {
                facts.pull_request = Some(LinkedPullRequest {
                    number: PullRequestNumber(pr as u64),
                    labels: labels(&found.labels),
                });
                facts.last_pull_request_run = agent_run::last_for_pull_request(pool, repo_id, pr)
                    .await?
                    .map(record);
            }
        }
        facts.last_issue_run = last.map(record);
        facts.candidate_lineage = agent_run::candidate_exists(pool, repo_id, n).await?;
        facts.discussion_active = agent_run::discussion_active(pool, repo_id, n).await?;
    }
    if let Some(PullRequestNumber(n)) = pull {
        let n = n as i64;
        facts.last_pull_request_run = agent_run::last_for_pull_request(pool, repo_id, n)
            .await?
            .map(record);
        for issue in agent_run::linked_issues(pool, repo_id, n).await? {
            let found = platform.code_host.get_issue(repo, issue as u64).await?;
            facts.linked_issues.push(LinkedIssue {
                number: IssueNumber(issue as u64),
                labels: labels(&found.labels),
            });
        }
        if let [one] = facts.linked_issues.as_slice() {
            let n = one.number.0 as i64;
            facts.last_issue_run = agent_run::last_for_issue(pool, repo_id, n)
                .await?
                .map(record);
            facts.candidate_lineage = agent_run::candidate_exists(pool, repo_id, n).await?;
        }
    }
    Ok(Looked {
        facts,
        learning_override,
    })
}
