//! `owner_feedback_request`: ask the Owner, block the tool call until the answer (within
//! `owner_wait`), pausing the run's time budget meanwhile.
//!
//! An answer that arrives after the caller is gone stays in the request (state `approved`);
//! the same question asked again on the same thread (by this run or a resumed one) returns it at
//! once and marks it `applied` (delivered). `approval_status` looks any request up by id.

use std::{collections::HashSet, sync::Arc};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{
    error::{Error, Result},
    model::{Approval, FeedbackOption, Kind, State},
    open::{Opening, open},
    sign::digest,
    store, wait,
};
use crate::{platform::Platform, store::agent_run::AgentRun};

/// Longest question.
const MAX_QUESTION: usize = 2000;
/// Longest option label.
const MAX_LABEL: usize = 200;
/// Longest custom answer accepted from the approver (bytes).
pub(crate) const MAX_CUSTOM_ANSWER: usize = 8192;

/// A question for the Owner, as the agent asks it.
#[derive(Debug, Clone)]
pub struct FeedbackAsk {
    /// The question.
    pub question: String,
    /// 1 to 10 options.
    pub options: Vec<FeedbackOption>,
    /// Whether the Owner may answer in their own words.
    pub allow_custom: bool,
}

/// What the agent is told.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedbackOutcome {
    /// The Owner answered.
    Answered(Approval),
    /// The Owner declined or nobody answered in time.
    Closed(Approval),
    /// No answer within this call; asking the same question again keeps waiting.
    Pending(Approval),
}

impl FeedbackOutcome {
    /// The JSON result of the tool.
    pub fn to_json(&self) -> Value {
        let (status, a) = match self {
            FeedbackOutcome::Answered(a) => ("answered", a),
            FeedbackOutcome::Closed(a) => (a.state.as_str(), a),
            FeedbackOutcome::Pending(a) => ("pending", a),
        };
        let d = a.decision.as_ref();
        json!({
            "status": status,
            "request_id": a.id,
            "option_id": d.and_then(|d| d.option_id.clone()),
            "custom_answer": d.and_then(|d| d.custom_answer.clone()),
            "reason": d.and_then(|d| d.reason.clone()),
            "answered_by": a.decided_by,
            "expires_at": a.expires_at,
            "hint": matches!(self, FeedbackOutcome::Pending(_)).then_some(
                "no answer yet: ask the same question again to keep waiting, or check approval_status later"
            ),
        })
    }
}

fn validate(ask: &FeedbackAsk) -> Result<()> {
    let q = ask.question.trim();
    if q.is_empty() || q.chars().count() > MAX_QUESTION {
        return Err(Error::invalid(
            "question",
            format!("must be 1..{MAX_QUESTION} characters"),
        ));
    }
    if ask.options.is_empty() && !ask.allow_custom {
        return Err(Error::invalid(
            "options",
            "give at least one option, or allow a custom answer",
        ));
    }
    if ask.options.len() > 10 {
        return Err(Error::invalid("options", "at most 10 options"));
    }
    let mut seen = HashSet::new();
    for o in &ask.options {
        let id_ok = !o.id.is_empty()
            && o.id.len() <= 64
            && o.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !id_ok {
            return Err(Error::invalid(
                "options.id",
                format!("{:?} must be 1..64 of [A-Za-z0-9_-]", o.id),
            ));
        }
        if !seen.insert(o.id.as_str()) {
            return Err(Error::invalid(
                "options.id",
                format!("{:?} is repeated", o.id),
            ));
        }
        if o.label.trim().is_empty() || o.label.chars().count() > MAX_LABEL {
            return Err(Error::invalid(
                "options.label",
                format!("must be 1..{MAX_LABEL} characters"),
            ));
        }
    }
    Ok(())
}

/// Asks the Owner and waits for the answer (see the module docs). `cancel` fires when the
/// caller went away: the answer is then left for the next identical question.
pub async fn request(
    p: &Arc<Platform>,
    run: &AgentRun,
    ask: FeedbackAsk,
    cancel: CancellationToken,
) -> Result<FeedbackOutcome> {
    validate(&ask)?;
    let question = ask
        .question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let request = json!({
        "question": question,
        "options": ask.options,
        "allow_custom": ask.allow_custom,
        "repository": run.repository,
        "thread_kind": run.thread_kind,
        "thread_number": run.thread_number,
    });
    let signature = digest(&[
        Kind::Feedback.as_str(),
        &run.project_id.to_string(),
        &run.repository,
        &run.thread_number.to_string(),
        &request.to_string(),
    ]);
    let opening = Opening {
        run,
        kind: Kind::Feedback,
        tool: "owner_feedback_request",
        request,
        signature,
    };
    let opened = open(p, &opening).await?;
    let approval = match opened.approval.state {
        State::Requested => {
            let (approval, gone) =
                wait::for_decision(p, run.id, opened.approval.id, &cancel).await?;
            if gone {
                return Ok(FeedbackOutcome::Pending(approval));
            }
            approval
        }
        _ => opened.approval,
    };
    deliver(p, run, approval).await
}

/// Turns the request's state into the tool's outcome, marking a delivered answer `applied`.
async fn deliver(p: &Platform, run: &AgentRun, approval: Approval) -> Result<FeedbackOutcome> {
    match approval.state {
        State::Requested => Ok(FeedbackOutcome::Pending(approval)),
        State::Approved => {
            let result = json!({ "delivered_to_run": run.id });
            let done = store::finish(&p.pool, approval.id, State::Applied, &result).await?;
            if done.is_some() {
                let detail = json!({ "request_id": approval.id, "delivered_to_run": run.id });
                super::audit::record(p, Some(run.id), "approval_applied", &detail).await?;
            }
            Ok(FeedbackOutcome::Answered(done.unwrap_or(approval)))
        }
        State::Applied => Ok(FeedbackOutcome::Answered(approval)),
        State::Denied | State::Expired | State::Failed => Ok(FeedbackOutcome::Closed(approval)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(options: &[(&str, &str)], custom: bool) -> FeedbackAsk {
        FeedbackAsk {
            question: "Ship it?".into(),
            options: options
                .iter()
                .map(|(id, label)| FeedbackOption {
                    id: (*id).into(),
                    label: (*label).into(),
                })
                .collect(),
            allow_custom: custom,
        }
    }

    fn check(a: FeedbackAsk, expected: &str) {
        let got = match validate(&a) {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn questions_need_options_or_a_custom_answer_and_sane_ids() {
        check(ask(&[("yes", "Yes"), ("no", "No")], false), "ok");
        check(ask(&[], true), "ok");
        check(
            ask(&[], false),
            "invalid options: give at least one option, or allow a custom answer",
        );
        check(
            ask(&[("a b", "x")], false),
            "invalid options.id: \"a b\" must be 1..64 of [A-Za-z0-9_-]",
        );
        check(
            ask(&[("a", "x"), ("a", "y")], false),
            "invalid options.id: \"a\" is repeated",
        );
        let mut empty = ask(&[("a", "x")], false);
        empty.question = "  ".into();
        check(empty, "invalid question: must be 1..2000 characters");
    }
}
