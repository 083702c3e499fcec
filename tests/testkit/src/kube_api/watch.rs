//! `?watch=true`: newline-delimited JSON events, replayed from the history after the given
//! resource version, then live; `410 Expired` as an `ERROR` event when that history is gone.
//!
//! Without a resource version (or with `0`) the current objects come first as `ADDED`, as on
//! the API server; `sendInitialEvents=true` does the same and ends the initial part with a
//! `BOOKMARK` annotated `k8s.io/initial-events-end`. With `allowWatchBookmarks` a `BOOKMARK`
//! carrying the latest resource version the watch has passed follows every
//! [`BOOKMARK_INTERVAL`]. A label or field selector turns an object that stops (starts)
//! matching into `DELETED` (`ADDED`).

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::crud;
use super::resource::Resource;
use super::routes::Call;
use super::selectors::Selector;
use super::status::Failure;
use super::store::{Change, Event, Message};

/// How often a watch that allows bookmarks gets one.
pub(super) const BOOKMARK_INTERVAL: Duration = Duration::from_secs(1);

/// Which events a watch passes on.
#[derive(Debug)]
struct Filter {
    resource: &'static Resource,
    namespace: Option<String>,
    selector: Selector,
}

impl Filter {
    fn matches(&self, object: &Value) -> bool {
        let in_namespace = self
            .namespace
            .as_deref()
            .is_none_or(|ns| object["metadata"]["namespace"] == ns);
        in_namespace && self.selector.matches(object)
    }

    /// The event type this watch reports for `event`, if any.
    fn change(&self, event: &Event) -> Option<&'static str> {
        if event.resource.plural != self.resource.plural {
            return None;
        }
        let now = self.matches(&event.object);
        let before = event.old.as_ref().is_some_and(|old| self.matches(old));
        match (event.change, before, now) {
            (Change::Added, _, true) => Some("ADDED"),
            (Change::Deleted, _, true) => Some("DELETED"),
            (Change::Modified, true, true) => Some("MODIFIED"),
            (Change::Modified, false, true) => Some("ADDED"),
            (Change::Modified, true, false) => Some("DELETED"),
            _ => None,
        }
    }

    fn bookmark(&self, revision: u64, annotations: Value) -> Bytes {
        let object = json!({
            "kind": self.resource.kind,
            "apiVersion": self.resource.api_version(),
            "metadata": { "resourceVersion": revision.to_string(), "annotations": annotations },
        });
        line("BOOKMARK", &object)
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({ "type": kind, "object": object }).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// Starts a watch; the response streams until the client leaves, `timeoutSeconds` pass, the
/// watches are broken or the fake stops.
pub(super) fn start(call: &Call<'_>, namespace: Option<&str>) -> Result<Response, Failure> {
    let filter = Filter {
        resource: call.resource,
        namespace: namespace.map(str::to_owned),
        selector: crud::selector(call)?,
    };
    let params = call.params;
    let since = match params.resource_version.as_deref() {
        None | Some("" | "0") => None,
        Some(_) if params.send_initial_events => None,
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|_| Failure::bad_request(format!("invalid resource version {text:?}")))?,
        ),
    };
    let mut first = Vec::new();
    let mut store = call.shared.store();
    let revision = store.revision();
    let events = match since {
        None => {
            for object in store.list(call.resource, namespace) {
                if filter.matches(&object) {
                    first.push(line("ADDED", &object));
                }
            }
            if params.send_initial_events {
                let end = json!({ "k8s.io/initial-events-end": "true" });
                first.push(filter.bookmark(revision, end));
            }
            Some(store.subscribe())
        }
        Some(since) => match store.history_since(since) {
            Some(events) => {
                for event in events {
                    if let Some(kind) = filter.change(&event) {
                        first.push(line(kind, &event.object));
                    }
                }
                Some(store.subscribe())
            }
            None => {
                let status = Failure::expired(&since.to_string()).to_status();
                first.push(line("ERROR", &status));
                None
            }
        },
    };
    drop(store);
    let (sender, receiver) = mpsc::channel::<Result<Bytes, io::Error>>(256);
    let stop = call.shared.stop.clone();
    let timeout = params.timeout_seconds.map(Duration::from_secs);
    let bookmarks = params.allow_bookmarks;
    tokio::spawn(async move {
        for bytes in first {
            if sender.send(Ok(bytes)).await.is_err() {
                return;
            }
        }
        if let Some(events) = events {
            let watch = Watch {
                filter,
                sender,
                events,
                revision,
            };
            watch.run(stop, timeout, bookmarks).await;
        }
    });
    let body = Body::from_stream(futures::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// The live part of one watch.
struct Watch {
    filter: Filter,
    sender: mpsc::Sender<Result<Bytes, io::Error>>,
    events: mpsc::UnboundedReceiver<Message>,
    /// The latest resource version the watch has passed.
    revision: u64,
}

impl Watch {
    async fn run(
        mut self,
        stop: tokio_util::sync::CancellationToken,
        timeout: Option<Duration>,
        bookmarks: bool,
    ) {
        let deadline = tokio::time::sleep(timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600)));
        tokio::pin!(deadline);
        let mut ticks = tokio::time::interval(BOOKMARK_INTERVAL);
        ticks.tick().await;
        loop {
            let bytes = tokio::select! {
                () = stop.cancelled() => return,
                () = self.sender.closed() => return,
                () = &mut deadline, if timeout.is_some() => return,
                _ = ticks.tick(), if bookmarks => self.filter.bookmark(self.revision, json!({})),
                message = self.events.recv() => match message {
                    Some(Message::Event(event)) => {
                        self.revision = event.revision;
                        match self.filter.change(&event) {
                            Some(kind) => line(kind, &event.object),
                            None => continue,
                        }
                    }
                    Some(Message::Break) | None => {
                        let _ = self.sender.send(Err(io::Error::other("watch broken"))).await;
                        return;
                    }
                },
            };
            if self.sender.send(Ok(bytes)).await.is_err() {
                return;
            }
        }
    }
}
