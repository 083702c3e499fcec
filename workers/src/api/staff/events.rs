//! The live event stream of a run (`GET /api/v1/staff/runs/{run_id}/events`, SSE).
//!
//! One feed per watched run polls `flow_events` (every 200 ms while anyone listens) and fans its
//! new events out to every subscriber through a broadcast channel, so 100 subscribers cost one
//! query per tick. A subscriber subscribes first, then catches up from the database after its
//! `Last-Event-ID`, then takes live events, skipping any id it has sent already: nothing is lost
//! in between and nothing is repeated. A subscriber that falls behind the channel catches up from
//! the database again. The stream ends once the run has ended and its last event is sent.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
    routing::get,
};
use futures::Stream;
use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;
use workflows::{
    policy::ProjectRole,
    store::{
        flow_event::{self, EventRow},
        staff_run,
    },
};

use super::{auth::StaffUser, extract::PathOf, wire};
use crate::api::{ApiError, AppState};

/// How often a feed polls while it has subscribers.
const POLL: Duration = Duration::from_millis(200);
/// Events per catch-up query.
const BATCH: i64 = 500;

/// The events route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff/runs/{run_id}/events", get(stream_run_events))
}

/// What a feed publishes.
#[derive(Debug, Clone)]
enum Feed {
    /// A new event.
    Event(Arc<EventRow>),
    /// The run has ended and every event of it was published.
    Ended,
}

struct RunFeed {
    tx: broadcast::Sender<Feed>,
}

/// The live feeds of this process, one per watched run.
pub(crate) struct EventHub {
    pool: PgPool,
    feeds: Mutex<HashMap<Uuid, Weak<RunFeed>>>,
}

impl EventHub {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            feeds: Mutex::new(HashMap::new()),
        }
    }

    /// A receiver of `run`'s live events, starting its feed if none runs. The returned `Arc` keeps
    /// the feed alive; the feed stops once every subscriber is gone. A new feed starts after the
    /// run's newest event as of now, so a subscriber's catch-up (which reads after this) and the
    /// feed overlap and never leave a gap.
    async fn subscribe(
        &self,
        run: Uuid,
    ) -> Result<(Arc<RunFeed>, broadcast::Receiver<Feed>), sqlx::Error> {
        if let Some(found) = self.existing(run) {
            return Ok(found);
        }
        let start = sqlx::query_scalar::<_, Option<i64>>(
            "select max(id) from flow_events where run_id = $1",
        )
        .bind(run)
        .fetch_one(&self.pool)
        .await?
        .unwrap_or(0);
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(feed) = feeds.get(&run).and_then(Weak::upgrade) {
            let rx = feed.tx.subscribe();
            return Ok((feed, rx));
        }
        let (tx, rx) = broadcast::channel(1024);
        let feed = Arc::new(RunFeed { tx });
        feeds.insert(run, Arc::downgrade(&feed));
        tokio::spawn(poll(self.pool.clone(), run, start, Arc::downgrade(&feed)));
        Ok((feed, rx))
    }

    fn existing(&self, run: Uuid) -> Option<(Arc<RunFeed>, broadcast::Receiver<Feed>)> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds.retain(|_, f| f.strong_count() > 0);
        let feed = feeds.get(&run).and_then(Weak::upgrade)?;
        let rx = feed.tx.subscribe();
        Some((feed, rx))
    }
}

async fn run_ended(pool: &PgPool, run: Uuid) -> bool {
    match staff_run::get(pool, run).await {
        Ok(Some((r, _))) => matches!(
            r.status.as_str(),
            "succeeded" | "failed" | "cancelled" | "timed_out"
        ),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// The feed's loop: publish new events in id order until the run ends or nobody listens.
async fn poll(pool: PgPool, run: Uuid, mut last: i64, feed: Weak<RunFeed>) {
    loop {
        let Some(feed) = feed.upgrade() else { return };
        if feed.tx.receiver_count() == 0 {
            return;
        }
        // Whether the run had ended before this read: then what it reads is everything.
        let ended = run_ended(&pool, run).await;
        match flow_event::list_after(&pool, run, last, BATCH).await {
            Ok(rows) => {
                let full = rows.len() as i64 == BATCH;
                for row in rows {
                    last = row.id;
                    let _ = feed.tx.send(Feed::Event(Arc::new(row)));
                }
                if ended && !full {
                    let _ = feed.tx.send(Feed::Ended);
                    return;
                }
                if full {
                    continue;
                }
            }
            Err(e) => tracing::warn!(run_id = %run, error.message = %e, "event feed poll failed"),
        }
        drop(feed);
        tokio::time::sleep(POLL).await;
    }
}

fn sse_event(row: &EventRow) -> Event {
    let view = wire::RunEvent {
        id: Some(row.id),
        at: row.created_at,
        kind: row.kind.clone(),
        step_seq: row.step_seq.map(i64::from),
        attempt: row.attempt.map(i64::from),
        detail: match &row.detail {
            serde_json::Value::Object(m) => m.clone(),
            _ => serde_json::Map::new(),
        },
    };
    Event::default()
        .id(row.id.to_string())
        .event(row.kind.clone())
        .json_data(view)
        .unwrap_or_else(|_| {
            Event::default()
                .id(row.id.to_string())
                .comment("unencodable event")
        })
}

/// Every event of the run after `last`, from the database, in id order.
async fn catch_up(pool: &PgPool, run: Uuid, last: &mut i64) -> Option<Vec<Event>> {
    let mut out = Vec::new();
    loop {
        let rows = match flow_event::list_after(pool, run, *last, BATCH).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(run_id = %run, error.message = %e, "event stream catch-up failed");
                return None;
            }
        };
        let n = rows.len() as i64;
        for row in rows {
            *last = row.id;
            out.push(sse_event(&row));
        }
        if n < BATCH {
            return Some(out);
        }
    }
}

/// One subscriber: catch up, then follow the feed; ends when the run has ended (after its last
/// event) or the client has gone (a send fails).
async fn follow(
    pool: PgPool,
    run: Uuid,
    mut last: i64,
    _feed: Arc<RunFeed>,
    mut rx: broadcast::Receiver<Feed>,
    tx: tokio::sync::mpsc::Sender<Event>,
) {
    let send_all = |events: Vec<Event>| {
        let tx = tx.clone();
        async move {
            for ev in events {
                if tx.send(ev).await.is_err() {
                    return false;
                }
            }
            true
        }
    };
    let ended = run_ended(&pool, run).await;
    let Some(events) = catch_up(&pool, run, &mut last).await else {
        return;
    };
    if !send_all(events).await || ended {
        return;
    }
    loop {
        match rx.recv().await {
            Ok(Feed::Event(row)) => {
                if row.id > last {
                    last = row.id;
                    if tx.send(sse_event(&row)).await.is_err() {
                        return;
                    }
                }
            }
            Ok(Feed::Ended) | Err(broadcast::error::RecvError::Closed) => {
                if let Some(events) = catch_up(&pool, run, &mut last).await {
                    send_all(events).await;
                }
                return;
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let Some(events) = catch_up(&pool, run, &mut last).await else {
                    return;
                };
                if !send_all(events).await {
                    return;
                }
            }
        }
    }
}

async fn stream_run_events(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let pool = state.client.pool().clone();
    super::runs::run_for(&pool, &user, run_id, ProjectRole::Read).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    // Subscribed before the catch-up reads, so no event falls between the two.
    let (feed, rx) = state
        .staff
        .events
        .subscribe(run_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (tx, out) = tokio::sync::mpsc::channel(256);
    tokio::spawn(follow(pool, run_id, last, feed, rx, tx));
    let stream = futures::stream::unfold(out, |mut out| async move {
        out.recv().await.map(|ev| (Ok::<_, Infallible>(ev), out))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
