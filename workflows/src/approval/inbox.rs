//! The Owner's inbox in the staff API: pending requests (questions with their options, actions
//! to approve), and deciding them through the very path of the approver callback ([`answer`]),
//! so exactly one answer wins and every other one is refused the same way.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    decide::{ApproverAnswer, answer},
    error::{Error, Result},
    model::{Approval, State, Verdict},
    sign::{Audience, callback_token},
    store::{self, InboxParams},
};
use crate::platform::Platform;

/// A page of the inbox.
#[derive(Debug, Clone)]
pub struct InboxQuery<'a> {
    /// Requests in this state (`requested`: pending).
    pub state: State,
    /// One project.
    pub project_id: Option<Uuid>,
    /// Only these projects (the caller's); none: every project.
    pub visible: Option<&'a [Uuid]>,
    /// Continue after this `(created_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to fetch.
    pub limit: i64,
}

/// Requests newest first, each with its project slug.
pub async fn inbox(p: &Platform, q: &InboxQuery<'_>) -> Result<Vec<(Approval, String)>> {
    let params = InboxParams {
        state: q.state,
        project_id: q.project_id,
        visible: q.visible,
        after: q.after,
        limit: q.limit,
    };
    store::list_inbox(&p.pool, &params)
        .await
        .map_err(Error::from)
}

/// One request.
pub async fn get(p: &Platform, id: Uuid) -> Result<Option<Approval>> {
    store::get(&p.pool, id).await.map_err(Error::from)
}

/// A staff member's decision.
#[derive(Debug, Clone)]
pub struct StaffDecision {
    /// Approved (answered) or denied.
    pub verdict: Verdict,
    /// The chosen option (questions).
    pub option_id: Option<String>,
    /// The Owner's own answer (questions that allow one).
    pub custom_answer: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// Decides a request as `login` through the approver callback's path (same checks, same single
/// winner); needs the callback key, as the callback does.
pub async fn decide(p: &Platform, id: Uuid, login: &str, d: StaffDecision) -> Result<Approval> {
    let key = p
        .config
        .approval
        .callback_key
        .as_ref()
        .ok_or(Error::NotConfigured(
            "the callback secret (CK8S_CALLBACK_SECRET)",
        ))?;
    let token = callback_token(key, Audience::Approver, id);
    let ans = ApproverAnswer {
        request_id: id,
        decision: d.verdict,
        by: login.to_owned(),
        option_id: d.option_id,
        custom_answer: d.custom_answer,
        reason: d.reason,
    };
    answer(p, &token, ans).await
}
