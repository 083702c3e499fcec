//! The audit log: flow events newest first, filtered by run, kind and time (platform admins).

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use workflows::store::flow_event::{self, AuditParams};

use super::{
    access::{Need, authorize},
    auth::StaffUser,
    extract::Params,
    page, wire,
};
use crate::api::{ApiError, AppState};

/// The audit route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/audit-events", get(list_audit_events))
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

async fn list_audit_events(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<AuditQuery>,
) -> Result<Json<wire::AuditPage>, ApiError> {
    authorize(&user, Need::PlatformAdmin)?;
    let limit = page::limit(q.limit);
    let params = AuditParams {
        run_id: q.run_id,
        kind: q.kind.as_deref(),
        created_after: q.created_after,
        created_before: q.created_before,
        before_id: page::decode_id(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let target = state.staff.reads.for_inspection(user.id).await;
    let rows = flow_event::list_audit(&target.pool, &params)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (rows, more) = page::split(rows, limit);
    Ok(Json(wire::AuditPage {
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
    }))
}
