//! Approval requests: what is asked, the state machine, and the stored record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What an approval request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A question to the Owner with options and maybe a custom answer.
    Feedback,
    /// A secret sync between GitHub Actions and a Kubernetes Secret (run by the executor).
    SecretSync,
    /// Creating or deleting an environment database (run by the executor).
    DatabaseLifecycle,
    /// `run:*` (and other run-starting) labels an agent asked for.
    Labels,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feedback => "feedback",
            Kind::SecretSync => "secret_sync",
            Kind::DatabaseLifecycle => "database_lifecycle",
            Kind::Labels => "labels",
        }
    }

    /// Whether an approved request is handed to the external executor.
    pub fn needs_executor(self) -> bool {
        matches!(self, Kind::SecretSync | Kind::DatabaseLifecycle)
    }
}

/// Where a request is in its life: `requested → approved | denied | expired`, then
/// `approved → applied | failed`. Every transition is a guarded update in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for the Owner.
    Requested,
    /// The Owner approved (answered); applying is next.
    Approved,
    /// The Owner denied (declined to answer).
    Denied,
    /// Nobody answered in time.
    Expired,
    /// Done: the executor applied it, the labels were released or the answer reached the agent.
    Applied,
    /// Applying failed.
    Failed,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Applied => "applied",
            State::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        serde_json::from_value(Value::String(raw.to_owned())).ok()
    }

    /// Whether the state machine allows going from `self` to `next`.
    pub fn can_become(self, next: State) -> bool {
        use State::*;
        matches!(
            (self, next),
            (Requested, Approved | Denied | Expired) | (Approved, Applied | Failed)
        )
    }

    /// Whether the Owner has decided (or the request expired).
    pub fn is_decided(self) -> bool {
        !matches!(self, State::Requested)
    }
}

/// The Owner's verdict in an approver callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approve (for feedback: answer).
    Approved,
    /// Deny (for feedback: decline to answer).
    Denied,
}

impl Verdict {
    /// The state a request goes to.
    pub fn state(self) -> State {
        match self {
            Verdict::Approved => State::Approved,
            Verdict::Denied => State::Denied,
        }
    }
}

/// One option of a feedback question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackOption {
    /// Stable id the answer names.
    pub id: String,
    /// What the Owner reads.
    pub label: String,
}

/// The stored answer of a decided request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Approved or denied.
    pub verdict: Verdict,
    /// The chosen option (feedback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_id: Option<String>,
    /// The Owner's own answer (feedback with custom answers allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_answer: Option<String>,
    /// Why (free text from the approver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An approval request as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// Id (also what callbacks name).
    pub id: Uuid,
    /// The stage run whose agent asked.
    pub agent_run_id: Uuid,
    /// Its project.
    pub project_id: Uuid,
    /// What it is about.
    pub kind: Kind,
    /// The MCP tool that created it.
    pub tool: String,
    /// The validated request.
    pub request: Value,
    /// Idempotency signature.
    pub signature: String,
    /// Current state.
    pub state: State,
    /// The approval flow's engine run.
    pub flow_run_id: Option<Uuid>,
    /// The engine run waiting for the decision (labels).
    pub target_run_id: Option<Uuid>,
    /// Deadline for answers.
    pub expires_at: DateTime<Utc>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// The winning answer.
    pub decision: Option<Decision>,
    /// The outcome of applying.
    pub result: Option<Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Approval {
    /// The feedback options of the request (empty for other kinds).
    pub fn options(&self) -> Vec<FeedbackOption> {
        self.request
            .get("options")
            .and_then(|o| serde_json::from_value(o.clone()).ok())
            .unwrap_or_default()
    }

    /// Whether a feedback request accepts a custom answer.
    pub fn allows_custom(&self) -> bool {
        self.request
            .get("allow_custom")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// What the agent (or the approval_status tool) is told about this request. A custom
    /// answer is returned to the agent but never copied into the audit.
    pub fn view(&self) -> Value {
        serde_json::json!({
            "request_id": self.id,
            "kind": self.kind,
            "state": self.state,
            "expires_at": self.expires_at,
            "decided_by": self.decided_by,
            "decision": self.decision,
            "result": self.result,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(from: State, expected: &str) {
        let all = [
            State::Requested,
            State::Approved,
            State::Denied,
            State::Expired,
            State::Applied,
            State::Failed,
        ];
        let next: Vec<&str> = all
            .iter()
            .filter(|n| from.can_become(**n))
            .map(|n| n.as_str())
            .collect();
        assert_eq!(next.join(" "), expected, "from {}", from.as_str());
    }

    #[test]
    fn the_state_machine_allows_only_decisions_then_outcomes() {
        check(State::Requested, "approved denied expired");
        check(State::Approved, "applied failed");
        check(State::Denied, "");
        check(State::Expired, "");
        check(State::Applied, "");
        check(State::Failed, "");
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for s in [
            "requested",
            "approved",
            "denied",
            "expired",
            "applied",
            "failed",
        ] {
            assert_eq!(State::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(State::parse("done"), None);
    }
}
