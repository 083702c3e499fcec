//! The audit log: flow events newest first, filtered by run, kind and time; the whole platform's
//! for platform admins, a project's (the events of its runs) for its admins.

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use workflows::{
    policy::ProjectRole,
    store::flow_event::{self, AuditParams, EventRow},
};

use super::{
    access::{Need, authorize},
    auth::StaffUser,
    extract::{Params, PathOf},
    page, wire,
};
use crate::api::{ApiError, AppState};

/// The audit routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/audit-events", get(list_audit_events))
        .route(
            "/api/v1/staff/projects/{project}/audit-events",
            get(list_project_audit_events),
        )
}

/// The audit query.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    run_id: Option<Uuid>,
    kind: Option<String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    cursor: Option<String>,
    limit: Option<i64>,
}

impl AuditQuery {
    /// The store's filters, fetching one row more than the page to know whether more follow.
    fn params(&self) -> Result<AuditParams<'_>, ApiError> {
        Ok(AuditParams {
            run_id: self.run_id,
            kind: self.kind.as_deref(),
            created_after: self.created_after,
            created_before: self.created_before,
            before_id: page::decode_id(self.cursor.as_deref())?,
            limit: page::limit(self.limit) + 1,
        })
    }
}

fn audit_page(rows: Vec<EventRow>, limit: i64) -> wire::AuditPage {
    let (rows, more) = page::split(rows, limit);
    wire::AuditPage {
        next_cursor: more
            .then(|| rows.last().map(|r| page::encode_id(r.id)))
            .flatten(),
        items: rows
            .into_iter()
            .map(|r| wire::AuditEvent {
                id: r.id,
                run_id: r.run_id,
                kind: r.kind,
                step_seq: r.step_seq.map(i64::from),
                attempt: r.attempt.map(i64::from),
                detail: match r.detail {
                    serde_json::Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                },
                created_at: r.created_at,
            })
            .collect(),
    }
}

async fn list_audit_events(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<AuditQuery>,
) -> Result<Json<wire::AuditPage>, ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let params = q.params()?;
    let target = state.staff.reads.for_inspection(user.id).await;
    let rows = flow_event::list_audit(&target.pool, &params)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(audit_page(rows, page::limit(q.limit))))
}

async fn list_project_audit_events(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(slug): PathOf<String>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<wire::AuditPage>, ApiError> {
    let project = super::directory::project_for(&state, &user, &slug, ProjectRole::Admin).await?;
    let params = q.params()?;
    let target = state.staff.reads.for_inspection(user.id).await;
    let rows = flow_event::list_audit_for_project(&target.pool, project.id, &params)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(audit_page(rows, page::limit(q.limit))))
}
