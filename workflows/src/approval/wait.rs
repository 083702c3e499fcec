//! A blocked tool call's wait for the Owner: while it lasts the run is in `wait_state = mcp` and
//! its stage workflow got `agent_event {"kind":"waiting_owner"}` (so its time budget pauses);
//! when it ends, for whatever reason (answer, timeout, error, the caller hanging up), the run
//! gets `{"kind":"resumed"}` and leaves the wait state.

use std::sync::Arc;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    audit,
    error::{Error, Result},
    model::{Approval, State},
    store,
};
use crate::{error::db, platform::Platform, stage::AGENT_EVENT};

/// Sets (`Some("mcp")`) or clears the run's wait state.
pub(crate) async fn set_wait_state(p: &Platform, run_id: Uuid, state: Option<&str>) -> Result<()> {
    sqlx::query(include_str!("../../queries/agent_runs/set_wait_state.sql"))
        .bind(run_id)
        .bind(state)
        .execute(&p.pool)
        .await
        .map_err(db("agent_run::set_wait_state"))?;
    Ok(())
}

/// One pause of a run's budget; resumes on [`Episode::end`] or, failing that, when dropped.
struct Episode {
    platform: Arc<Platform>,
    run_id: Uuid,
    request_id: Uuid,
    id: Uuid,
    ended: bool,
}

async fn transition(p: &Platform, run_id: Uuid, request_id: Uuid, episode: Uuid, waiting: bool) {
    let (event, kind, key, state) = if waiting {
        (
            "waiting_owner",
            "run_wait_paused",
            format!("mcp-wait-{episode}"),
            Some("mcp"),
        )
    } else {
        (
            "resumed",
            "run_wait_resumed",
            format!("mcp-resume-{episode}"),
            None,
        )
    };
    // Failing to pause or resume is not the tool's failure: the budget then just keeps
    // running (or the run's probe notices the agent later). Logged here, where it is handled.
    if let Err(e) = set_wait_state(p, run_id, state).await {
        tracing::warn!(%run_id, error.message = %e, "could not record the wait state");
    }
    let payload = json!({ "kind": event });
    if let Err(e) = p
        .client()
        .signal(run_id, AGENT_EVENT, payload, Some(&key))
        .await
    {
        tracing::warn!(%run_id, error.message = %e, "could not signal the stage run");
    }
    let detail = json!({ "request_id": request_id, "episode": episode, "wait_state": state });
    if let Err(e) = audit::record(p, Some(run_id), kind, &detail).await {
        tracing::warn!(%run_id, error.message = %e, "could not audit the wait");
    }
}

impl Episode {
    async fn begin(platform: Arc<Platform>, run_id: Uuid, request_id: Uuid) -> Self {
        let id = Uuid::new_v4();
        transition(&platform, run_id, request_id, id, true).await;
        Self {
            platform,
            run_id,
            request_id,
            id,
            ended: false,
        }
    }

    async fn end(mut self) {
        self.ended = true;
        transition(&self.platform, self.run_id, self.request_id, self.id, false).await;
    }
}

impl Drop for Episode {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        // The call was cancelled (the MCP client hung up) or failed: resume in the background.
        let (p, run, req, id) = (self.platform.clone(), self.run_id, self.request_id, self.id);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move { transition(&p, run, req, id, false).await });
        }
    }
}

/// Blocks until the request is decided, expires, `owner_wait` passes or the caller goes away
/// (`cancel`); returns the request as it is then, and whether the caller went away.
pub(crate) async fn for_decision(
    p: &Arc<Platform>,
    run_id: Uuid,
    request_id: Uuid,
    cancel: &CancellationToken,
) -> Result<(Approval, bool)> {
    let cfg = &p.config.approval;
    let deadline = Instant::now() + cfg.owner_wait;
    let episode = Episode::begin(p.clone(), run_id, request_id).await;
    let approval = loop {
        let a = store::get(&p.pool, request_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("request {request_id}")))?;
        if a.state != State::Requested {
            break a;
        }
        if a.expires_at <= chrono::Utc::now() {
            match store::expire(&p.pool, request_id).await? {
                Some(expired) => {
                    let detail = json!({ "request_id": request_id, "by": "waiting tool call" });
                    audit::record(p, Some(run_id), "approval_expired", &detail).await?;
                    break expired;
                }
                None => continue,
            }
        }
        let now = Instant::now();
        if now >= deadline {
            break a;
        }
        tokio::select! {
            () = tokio::time::sleep(cfg.poll_every.min(deadline - now)) => {}
            () = cancel.cancelled() => break a,
        }
    };
    episode.end().await;
    Ok((approval, cancel.is_cancelled()))
}
