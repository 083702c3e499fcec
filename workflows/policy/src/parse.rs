//! Reads a GitHub webhook payload into the routing `Event`: only the fields routing needs,
//! parsed once into the policy's newtypes. Unknown events become `EventKind::Other`.

use serde_json::Value;

use crate::{
    Event, EventKind, IssueNumber, LabelName, LabelSet, Login, PullRequestNumber, RepoFullName,
    ReviewState, Sender, SenderKind,
};

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {event} payload: {message}")]
pub struct ParseError {
    /// The `X-GitHub-Event` name.
    pub event: String,
    /// What was missing or wrong.
    pub message: String,
}

/// Largest issue or pull request number accepted (the database stores them as `int8`).
const MAX_NUMBER: u64 = i64::MAX as u64;

fn field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, key| v.get(key))
}

struct Reader<'a> {
    event: &'a str,
    payload: &'a Value,
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            event: self.event.to_owned(),
            message: message.into(),
        }
    }

    fn str(&self, path: &str) -> Result<&str, ParseError> {
        field(self.payload, path)
            .and_then(Value::as_str)
            .ok_or_else(|| self.err(format!("{path} is missing")))
    }

    /// An issue or pull request number: present, and within `1..=i64::MAX` (how it is stored);
    /// anything else is refused here rather than wrapped later.
    fn u64(&self, path: &str) -> Result<u64, ParseError> {
        let value =
            field(self.payload, path).ok_or_else(|| self.err(format!("{path} is missing")))?;
        value
            .as_u64()
            .filter(|n| (1..=MAX_NUMBER).contains(n))
            .ok_or_else(|| self.err(format!("{path} is not a number in 1..={MAX_NUMBER}")))
    }

    fn labels(&self, path: &str) -> Result<LabelSet, ParseError> {
        let names: Vec<&str> = field(self.payload, path)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|l| l.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        LabelSet::parse(names).map_err(|e| self.err(e.to_string()))
    }

    fn label(&self) -> Result<LabelName, ParseError> {
        LabelName::parse(self.str("label.name")?).map_err(|e| self.err(e.to_string()))
    }
}

/// Parses one delivery. `event` is the `X-GitHub-Event` header.
pub fn parse_event(event: &str, payload: &Value) -> Result<Event, ParseError> {
    let r = Reader { event, payload };
    let repository =
        RepoFullName::parse(r.str("repository.full_name")?).map_err(|e| r.err(e.to_string()))?;
    let sender = Sender {
        login: Login::parse(r.str("sender.login")?).map_err(|e| r.err(e.to_string()))?,
        kind: SenderKind::parse(
            field(payload, "sender.type")
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
    };
    let action = field(payload, "action")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = match (event, action) {
        ("issues", "labeled") => EventKind::IssueLabeled {
            issue: IssueNumber(r.u64("issue.number")?),
            label: r.label()?,
            labels: r.labels("issue.labels")?,
        },
        ("issues", "unlabeled") => EventKind::IssueUnlabeled {
            issue: IssueNumber(r.u64("issue.number")?),
            label: r.label()?,
        },
        ("issues", "closed") => EventKind::IssueClosed {
            issue: IssueNumber(r.u64("issue.number")?),
        },
        ("issues", "deleted") => EventKind::IssueDeleted {
            issue: IssueNumber(r.u64("issue.number")?),
        },
        ("issue_comment", "created") => EventKind::IssueCommentCreated {
            issue: IssueNumber(r.u64("issue.number")?),
            on_pull_request: field(payload, "issue.pull_request").is_some_and(|v| !v.is_null()),
            labels: r.labels("issue.labels")?,
        },
        ("pull_request", "labeled") => EventKind::PullRequestLabeled {
            pull_request: PullRequestNumber(r.u64("pull_request.number")?),
            label: r.label()?,
            labels: r.labels("pull_request.labels")?,
            head_sha: r.str("pull_request.head.sha")?.to_owned(),
        },
        ("pull_request", "closed") => EventKind::PullRequestClosed {
            pull_request: PullRequestNumber(r.u64("pull_request.number")?),
        },
        ("pull_request_review", "submitted") => EventKind::PullRequestReviewSubmitted {
            pull_request: PullRequestNumber(r.u64("pull_request.number")?),
            state: ReviewState::parse(r.str("review.state")?),
            labels: r.labels("pull_request.labels")?,
            head_sha: r.str("pull_request.head.sha")?.to_owned(),
        },
        ("push", _) => EventKind::Push {
            git_ref: r.str("ref")?.to_owned(),
            default_branch: r.str("repository.default_branch")?.to_owned(),
            head_sha: r.str("after")?.to_owned(),
        },
        _ => EventKind::Other {
            event: event.to_owned(),
            action: action.to_owned(),
        },
    };
    Ok(Event {
        repository,
        sender,
        on_behalf_of: None,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_labeled_issue_reads_its_label_labels_and_sender() {
        let payload = json!({
            "action": "labeled",
            "issue": { "number": 7, "labels": [{ "name": "run:dev" }, { "name": "bug" }] },
            "label": { "name": "run:dev" },
            "repository": { "full_name": "Acme/Shop" },
            "sender": { "login": "Owner", "type": "User" }
        });
        let e = parse_event("issues", &payload).unwrap();
        assert_eq!(e.repository.as_str(), "Acme/Shop");
        assert_eq!(e.sender.login.as_str(), "owner");
        assert!(
            matches!(e.kind, EventKind::IssueLabeled { issue: IssueNumber(7), ref labels, .. } if labels.len() == 2)
        );
    }

    #[test]
    fn a_payload_without_required_fields_is_a_clear_error() {
        let err = parse_event("issues", &json!({ "action": "labeled" })).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed issues payload: repository.full_name is missing"
        );
    }

    #[test]
    fn numbers_outside_what_is_stored_are_refused_not_wrapped() {
        for number in [
            json!(9223372036854775813u64),
            json!(0),
            json!(-3),
            json!(1.5),
            json!("7"),
        ] {
            let payload = json!({
                "action": "labeled",
                "repository": { "full_name": "a/b" },
                "sender": { "login": "x", "type": "User" },
                "label": { "name": "run:dev" },
                "issue": { "number": number, "labels": [] },
            });
            let err = parse_event("issues", &payload).unwrap_err();
            assert!(
                err.message.contains("issue.number is not a number in 1..="),
                "{err}"
            );
        }
    }

    #[test]
    fn unhandled_events_are_other() {
        let payload = json!({ "action": "created", "repository": { "full_name": "a/b" }, "sender": { "login": "x", "type": "User" } });
        let e = parse_event("star", &payload).unwrap();
        assert_eq!(
            e.kind,
            EventKind::Other {
                event: "star".into(),
                action: "created".into()
            }
        );
    }
}
